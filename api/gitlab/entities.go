package gitlab

import (
	"strconv"
	"time"

	"github.com/cairn-forge/cairn/forge"
)

// Time renders as GitLab does: UTC, milliseconds, "Z" (strict RFC 3339 for Go clients).
type Time time.Time

// MarshalText writes the time (encoding/json quotes it).
func (t Time) MarshalText() ([]byte, error) {
	return time.Time(t).UTC().AppendFormat(nil, "2006-01-02T15:04:05.000Z"), nil
}

func timePtr(t *time.Time) *Time {
	if t == nil {
		return nil
	}
	v := Time(*t)
	return &v
}

// Date renders a date-only field ("2024-01-31").
type Date time.Time

// MarshalText writes the date (encoding/json quotes it).
func (d Date) MarshalText() ([]byte, error) {
	return time.Time(d).UTC().AppendFormat(nil, "2006-01-02"), nil
}

func datePtr(t *time.Time) *Date {
	if t == nil {
		return nil
	}
	v := Date(*t)
	return &v
}

// BasicUser is the user embedded in other resources.
type BasicUser struct {
	ID        int64   `json:"id"`
	Username  string  `json:"username"`
	Name      string  `json:"name"`
	State     string  `json:"state"`
	Locked    bool    `json:"locked"`
	AvatarURL *string `json:"avatar_url"`
	WebURL    string  `json:"web_url"`
}

// User is the full user, as /users/:id and /user return it.
type User struct {
	BasicUser
	CreatedAt        Time    `json:"created_at"`
	Bio              string  `json:"bio"`
	Location         string  `json:"location"`
	PublicEmail      *string `json:"public_email"`
	Skype            string  `json:"skype"`
	Linkedin         string  `json:"linkedin"`
	Twitter          string  `json:"twitter"`
	Discord          string  `json:"discord"`
	WebsiteURL       string  `json:"website_url"`
	Organization     string  `json:"organization"`
	JobTitle         string  `json:"job_title"`
	Pronouns         *string `json:"pronouns"`
	Bot              bool    `json:"bot"`
	WorkInformation  *string `json:"work_information"`
	Followers        int     `json:"followers"`
	Following        int     `json:"following"`
	LocalTime        *string `json:"local_time"`
	LastSignInAt     *Time   `json:"last_sign_in_at"`
	ConfirmedAt      Time    `json:"confirmed_at"`
	LastActivityOn   *Date   `json:"last_activity_on"`
	Email            string  `json:"email,omitempty"`
	ThemeID          int     `json:"theme_id"`
	ColorSchemeID    int     `json:"color_scheme_id"`
	ProjectsLimit    int     `json:"projects_limit"`
	CurrentSignInAt  *Time   `json:"current_sign_in_at"`
	Identities       []any   `json:"identities"`
	CanCreateGroup   bool    `json:"can_create_group"`
	CanCreateProject bool    `json:"can_create_project"`
	TwoFactorEnabled bool    `json:"two_factor_enabled"`
	External         bool    `json:"external"`
	PrivateProfile   bool    `json:"private_profile"`
	CommitEmail      string  `json:"commit_email,omitempty"`
	IsAdmin          *bool   `json:"is_admin,omitempty"`
	NamespaceID      int64   `json:"namespace_id"`
	Plan             string  `json:"plan,omitempty"`
}

func (h *Handler) basicUser(u forge.User) BasicUser {
	return BasicUser{
		ID:        u.ID,
		Username:  u.Username,
		Name:      u.Name,
		State:     u.State,
		Locked:    h.forge.Accounts.SignInLocked(u),
		WebURL:    h.core.URL("/" + u.Username),
		AvatarURL: h.avatarURL(forge.UploadUser, u.ID, u.Avatar),
	}
}

// user renders u as forge let the actor see it: email, plan and admin flag only where kept.
func (h *Handler) user(u forge.UserView) User {
	out := User{
		BasicUser:        h.basicUser(u.User),
		CreatedAt:        Time(u.CreatedAt),
		Bio:              u.Bio,
		LastSignInAt:     timePtr(u.LastSignInAt),
		CurrentSignInAt:  timePtr(u.LastSignInAt),
		ConfirmedAt:      Time(u.CreatedAt),
		LastActivityOn:   datePtr(u.LastActivityAt),
		ThemeID:          1,
		ColorSchemeID:    1,
		ProjectsLimit:    u.ProjectsLimit,
		Identities:       []any{},
		CanCreateGroup:   u.CanCreateGroup,
		CanCreateProject: true,
		External:         u.External,
		NamespaceID:      u.NamespaceID,
		Email:            u.Email,
		CommitEmail:      u.Email,
		Plan:             u.Plan,
	}
	if u.SeesPrivate {
		admin := u.IsAdmin
		out.IsAdmin = &admin
	}
	return out
}

// Namespace is a namespace as /namespaces returns it.
type Namespace struct {
	ID                          int64   `json:"id"`
	Name                        string  `json:"name"`
	Path                        string  `json:"path"`
	Kind                        string  `json:"kind"`
	FullPath                    string  `json:"full_path"`
	ParentID                    *int64  `json:"parent_id"`
	AvatarURL                   *string `json:"avatar_url"`
	WebURL                      string  `json:"web_url"`
	MembersCountWithDescendants *int    `json:"members_count_with_descendants,omitempty"`
	BillableMembersCount        *int    `json:"billable_members_count,omitempty"`
	Plan                        string  `json:"plan,omitempty"`
	TrialEndsOn                 *Date   `json:"trial_ends_on"`
	Trial                       bool    `json:"trial"`
}

func (h *Handler) namespaceWebURL(n forge.Namespace) string {
	if n.Kind == "user" {
		return h.core.URL("/" + n.FullPath)
	}
	return h.core.URL("/groups/" + n.FullPath)
}

func idPtr(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

func (h *Handler) namespace(n forge.Namespace) Namespace {
	return Namespace{
		ID:        n.ID,
		Name:      n.Name,
		Path:      n.Path,
		Kind:      n.Kind,
		FullPath:  n.FullPath,
		ParentID:  idPtr(n.ParentID),
		WebURL:    h.namespaceWebURL(n),
		AvatarURL: h.avatarURL(forge.UploadGroup, n.ID, n.Avatar),
	}
}

// Group is a group as /groups returns it.
type Group struct {
	ID                             int64   `json:"id"`
	WebURL                         string  `json:"web_url"`
	Name                           string  `json:"name"`
	Path                           string  `json:"path"`
	Description                    string  `json:"description"`
	Visibility                     string  `json:"visibility"`
	ShareWithGroupLock             bool    `json:"share_with_group_lock"`
	RequireTwoFactorAuthentication bool    `json:"require_two_factor_authentication"`
	TwoFactorGracePeriod           int     `json:"two_factor_grace_period"`
	ProjectCreationLevel           string  `json:"project_creation_level"`
	AutoDevopsEnabled              *bool   `json:"auto_devops_enabled"`
	SubgroupCreationLevel          string  `json:"subgroup_creation_level"`
	EmailsDisabled                 bool    `json:"emails_disabled"`
	EmailsEnabled                  bool    `json:"emails_enabled"`
	MentionsDisabled               *bool   `json:"mentions_disabled"`
	LFSEnabled                     bool    `json:"lfs_enabled"`
	DefaultBranch                  *string `json:"default_branch"`
	DefaultBranchProtection        int     `json:"default_branch_protection"`
	AvatarURL                      *string `json:"avatar_url"`
	RequestAccessEnabled           bool    `json:"request_access_enabled"`
	FullName                       string  `json:"full_name"`
	FullPath                       string  `json:"full_path"`
	CreatedAt                      Time    `json:"created_at"`
	ParentID                       *int64  `json:"parent_id"`
	MarkedForDeletionOn            *Date   `json:"marked_for_deletion_on"`
	Archived                       bool    `json:"archived"`
}

// GroupDetail adds the group's projects, as GET /groups/:id returns it.
type GroupDetail struct {
	Group
	Projects       []Project `json:"projects"`
	SharedProjects []Project `json:"shared_projects"`
}

func (h *Handler) group(g forge.Namespace) Group {
	return Group{
		ID:                      g.ID,
		WebURL:                  h.namespaceWebURL(g),
		Name:                    g.Name,
		Path:                    g.Path,
		Description:             g.Description,
		Visibility:              g.Visibility,
		TwoFactorGracePeriod:    48,
		ProjectCreationLevel:    "maintainer",
		SubgroupCreationLevel:   "maintainer",
		EmailsEnabled:           true,
		LFSEnabled:              true,
		DefaultBranchProtection: 2,
		RequestAccessEnabled:    true,
		FullName:                g.FullName,
		FullPath:                g.FullPath,
		CreatedAt:               Time(g.CreatedAt),
		ParentID:                idPtr(g.ParentID),
		AvatarURL:               h.avatarURL(forge.UploadGroup, g.ID, g.Avatar),
	}
}

// ProjectNamespace is the namespace embedded in a project.
type ProjectNamespace struct {
	ID        int64   `json:"id"`
	Name      string  `json:"name"`
	Path      string  `json:"path"`
	Kind      string  `json:"kind"`
	FullPath  string  `json:"full_path"`
	ParentID  *int64  `json:"parent_id"`
	AvatarURL *string `json:"avatar_url"`
	WebURL    string  `json:"web_url"`
}

// Access is one side of a project's permissions object.
type Access struct {
	AccessLevel       int `json:"access_level"`
	NotificationLevel int `json:"notification_level"`
}

// Permissions is the caller's access to a project.
type Permissions struct {
	ProjectAccess *Access `json:"project_access"`
	GroupAccess   *Access `json:"group_access"`
}

// ProjectLinks are a project's API URLs (a struct, not a map: no key sorting per project).
type ProjectLinks struct {
	ClusterAgents string `json:"cluster_agents"`
	Events        string `json:"events"`
	Issues        string `json:"issues"`
	Labels        string `json:"labels"`
	Members       string `json:"members"`
	MergeRequests string `json:"merge_requests"`
	RepoBranches  string `json:"repo_branches"`
	Self          string `json:"self"`
}

// Project is a project as /projects returns it.
type Project struct {
	ID                                        int64            `json:"id"`
	Description                               *string          `json:"description"`
	Name                                      string           `json:"name"`
	NameWithNamespace                         string           `json:"name_with_namespace"`
	Path                                      string           `json:"path"`
	PathWithNamespace                         string           `json:"path_with_namespace"`
	CreatedAt                                 Time             `json:"created_at"`
	UpdatedAt                                 Time             `json:"updated_at"`
	DefaultBranch                             string           `json:"default_branch"`
	TagList                                   []string         `json:"tag_list"`
	Topics                                    []string         `json:"topics"`
	SSHURLToRepo                              string           `json:"ssh_url_to_repo"`
	HTTPURLToRepo                             string           `json:"http_url_to_repo"`
	WebURL                                    string           `json:"web_url"`
	ReadmeURL                                 *string          `json:"readme_url"`
	ForksCount                                int              `json:"forks_count"`
	AvatarURL                                 *string          `json:"avatar_url"`
	StarCount                                 int              `json:"star_count"`
	LastActivityAt                            Time             `json:"last_activity_at"`
	Namespace                                 ProjectNamespace `json:"namespace"`
	Links                                     ProjectLinks     `json:"_links"`
	EmptyRepo                                 bool             `json:"empty_repo"`
	Archived                                  bool             `json:"archived"`
	Visibility                                string           `json:"visibility"`
	Owner                                     *BasicUser       `json:"owner,omitempty"`
	ResolveOutdatedDiffDiscussions            bool             `json:"resolve_outdated_diff_discussions"`
	IssuesEnabled                             bool             `json:"issues_enabled"`
	MergeRequestsEnabled                      bool             `json:"merge_requests_enabled"`
	WikiEnabled                               bool             `json:"wiki_enabled"`
	JobsEnabled                               bool             `json:"jobs_enabled"`
	SnippetsEnabled                           bool             `json:"snippets_enabled"`
	ContainerRegistryEnabled                  bool             `json:"container_registry_enabled"`
	IssuesAccessLevel                         string           `json:"issues_access_level"`
	RepositoryAccessLevel                     string           `json:"repository_access_level"`
	MergeRequestsAccessLevel                  string           `json:"merge_requests_access_level"`
	ForkingAccessLevel                        string           `json:"forking_access_level"`
	WikiAccessLevel                           string           `json:"wiki_access_level"`
	BuildsAccessLevel                         string           `json:"builds_access_level"`
	SnippetsAccessLevel                       string           `json:"snippets_access_level"`
	PagesAccessLevel                          string           `json:"pages_access_level"`
	CreatorID                                 int64            `json:"creator_id"`
	ImportStatus                              string           `json:"import_status"`
	OpenIssuesCount                           int              `json:"open_issues_count"`
	CIConfigPath                              *string          `json:"ci_config_path"`
	PublicJobs                                bool             `json:"public_jobs"`
	SharedWithGroups                          []any            `json:"shared_with_groups"`
	OnlyAllowMergeIfPipelineSucceeds          bool             `json:"only_allow_merge_if_pipeline_succeeds"`
	OnlyAllowMergeIfAllDiscussionsAreResolved bool             `json:"only_allow_merge_if_all_discussions_are_resolved"`
	RemoveSourceBranchAfterMerge              bool             `json:"remove_source_branch_after_merge"`
	RequestAccessEnabled                      bool             `json:"request_access_enabled"`
	MergeMethod                               string           `json:"merge_method"`
	SquashOption                              string           `json:"squash_option"`
	AutocloseReferencedIssues                 bool             `json:"autoclose_referenced_issues"`
	Permissions                               *Permissions     `json:"permissions,omitempty"`
	ForkedFromProject                         *Project         `json:"forked_from_project,omitempty"`
}

func (h *Handler) project(a *forge.Actor, v forge.ProjectView) Project {
	ns := v.Namespace
	webURL := h.core.URL("/" + v.FullPath())
	apiBase := h.core.URL(h.prefix() + "/projects/" + strconv.FormatInt(v.ID, 10))
	var desc *string
	if v.Description != "" {
		d := v.Description
		desc = &d
	}
	host := hostOf(h.core.BaseURL)
	p := Project{
		ID:                v.ID,
		Description:       desc,
		Name:              v.Name,
		NameWithNamespace: v.FullName(),
		Path:              v.Path,
		PathWithNamespace: v.FullPath(),
		CreatedAt:         Time(v.CreatedAt),
		UpdatedAt:         Time(v.UpdatedAt),
		DefaultBranch:     v.DefaultBranch,
		TagList:           v.Topics,
		Topics:            v.Topics,
		SSHURLToRepo:      "git@" + host + ":" + v.FullPath() + ".git",
		HTTPURLToRepo:     webURL + ".git",
		WebURL:            webURL,
		LastActivityAt:    Time(v.LastActivityAt),
		Namespace: ProjectNamespace{
			ID:        ns.ID,
			Name:      ns.Name,
			Path:      ns.Path,
			Kind:      ns.Kind,
			FullPath:  ns.FullPath,
			ParentID:  idPtr(ns.ParentID),
			WebURL:    h.namespaceWebURL(ns),
			AvatarURL: h.avatarURL(forge.UploadGroup, ns.ID, ns.Avatar),
		},
		AvatarURL: h.avatarURL(forge.UploadProject, v.ID, v.Avatar),
		Links: ProjectLinks{
			Self:          apiBase,
			Issues:        apiBase + "/issues",
			MergeRequests: apiBase + "/merge_requests",
			RepoBranches:  apiBase + "/repository/branches",
			Labels:        apiBase + "/labels",
			Events:        apiBase + "/events",
			Members:       apiBase + "/members",
			ClusterAgents: apiBase + "/cluster_agents",
		},
		EmptyRepo:                 v.EmptyRepo,
		Archived:                  v.Archived,
		Visibility:                v.Visibility,
		IssuesEnabled:             true,
		MergeRequestsEnabled:      true,
		WikiEnabled:               false,
		JobsEnabled:               false,
		SnippetsEnabled:           false,
		IssuesAccessLevel:         "enabled",
		RepositoryAccessLevel:     "enabled",
		MergeRequestsAccessLevel:  "enabled",
		ForkingAccessLevel:        "enabled",
		WikiAccessLevel:           "disabled",
		BuildsAccessLevel:         "disabled",
		SnippetsAccessLevel:       "disabled",
		PagesAccessLevel:          "disabled",
		CreatorID:                 v.CreatorID,
		ImportStatus:              "none",
		PublicJobs:                true,
		SharedWithGroups:          []any{},
		RequestAccessEnabled:      true,
		MergeMethod:               v.MergeMethod,
		SquashOption:              v.SquashOption,
		AutocloseReferencedIssues: true,
		// As GitLab, confidential issues count for those who see them (forge counts none for others).
		OpenIssuesCount: v.OpenIssues + v.OpenConfidentialIssues,
		ForksCount:      v.ForksCount,
		StarCount:       v.StarCount,
	}
	if !v.EmptyRepo {
		readme := webURL + "/-/blob/" + v.DefaultBranch + "/README.md"
		p.ReadmeURL = &readme
	}
	if ns.Kind == "user" && ns.OwnerID != 0 {
		p.Owner = &BasicUser{ID: ns.OwnerID, Username: ns.Path, Name: ns.Name, State: "active",
			WebURL: h.core.URL("/" + ns.Path)}
	}
	if a.SignedIn() {
		p.Permissions = &Permissions{}
		if v.ProjectAccess > 0 {
			p.Permissions.ProjectAccess = &Access{AccessLevel: v.ProjectAccess, NotificationLevel: 3}
		}
		if v.GroupAccess > 0 {
			p.Permissions.GroupAccess = &Access{AccessLevel: v.GroupAccess, NotificationLevel: 3}
		}
	}
	return p
}

// Member is a membership as /members returns it.
type Member struct {
	BasicUser
	AccessLevel     int        `json:"access_level"`
	CreatedAt       Time       `json:"created_at"`
	CreatedBy       *BasicUser `json:"created_by,omitempty"`
	ExpiresAt       *Date      `json:"expires_at"`
	MembershipState string     `json:"membership_state"`
	Email           string     `json:"email,omitempty"`
}

// member renders m as forge let the actor see it: its email only where kept.
func (h *Handler) member(m forge.Member, createdBy *forge.User) Member {
	out := Member{
		BasicUser:       h.basicUser(m.User),
		AccessLevel:     m.AccessLevel,
		CreatedAt:       Time(m.CreatedAt),
		ExpiresAt:       datePtr(m.ExpiresAt),
		MembershipState: "active",
		Email:           m.User.Email,
	}
	if createdBy != nil {
		b := h.basicUser(*createdBy)
		out.CreatedBy = &b
	}
	return out
}

// Token is a personal access token; Token (the secret) only on creation and rotation.
type Token struct {
	ID            int64    `json:"id"`
	Name          string   `json:"name"`
	Description   string   `json:"description"`
	Revoked       bool     `json:"revoked"`
	CreatedAt     Time     `json:"created_at"`
	Scopes        []string `json:"scopes"`
	UserID        int64    `json:"user_id"`
	LastUsedAt    *Time    `json:"last_used_at"`
	Active        bool     `json:"active"`
	ExpiresAt     *Date    `json:"expires_at"`
	Impersonation bool     `json:"impersonation"`
	Token         string   `json:"token,omitempty"`
}

func (h *Handler) token(t forge.Token, secret string) Token {
	return Token{
		ID:            t.ID,
		Name:          t.Name,
		Description:   t.Description,
		Revoked:       t.RevokedAt != nil,
		CreatedAt:     Time(t.CreatedAt),
		Scopes:        t.Scopes,
		UserID:        t.UserID,
		LastUsedAt:    timePtr(t.LastUsedAt),
		Active:        h.forge.Access.TokenActive(t),
		ExpiresAt:     datePtr(t.ExpiresAt),
		Impersonation: t.Impersonation,
		Token:         secret,
	}
}

func (h *Handler) prefix() string { return "/api/v" + strconv.Itoa(h.version) }

func hostOf(base string) string {
	u := base
	for _, p := range []string{"https://", "http://"} {
		if len(u) > len(p) && u[:len(p)] == p {
			u = u[len(p):]
		}
	}
	for i := 0; i < len(u); i++ {
		if u[i] == '/' || u[i] == ':' {
			return u[:i]
		}
	}
	return u
}

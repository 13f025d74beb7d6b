package gitdev

import (
	"net/http"
	"strings"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

// Team is a group as the .git API shows it.
type Team struct {
	ID          string  `json:"id"`
	Name        string  `json:"name"`
	Slug        string  `json:"slug"`
	FullName    string  `json:"full_name"`
	Description *string `json:"description"`
	Visibility  string  `json:"visibility"`
	// ParentID is the team this one is nested in, if any.
	ParentID   *string   `json:"parent_id"`
	URL        string    `json:"url"`
	WebURL     string    `json:"web_url"`
	MembersURL string    `json:"members_url"`
	CreatedAt  timestamp `json:"created_at"`
	UpdatedAt  timestamp `json:"updated_at"`
}

// TeamMember is a user's membership of a team, with the role its access level grants.
type TeamMember struct {
	ID       string `json:"id"`
	Username string `json:"username"`
	Name     string `json:"name"`
	State    string `json:"state"`
	// Role names the GitLab access level: minimal_access, guest, reporter, developer,
	// maintainer or owner.
	Role        string     `json:"role"`
	AccessLevel int        `json:"access_level"`
	JoinedAt    timestamp  `json:"joined_at"`
	ExpiresAt   *timestamp `json:"expires_at"`
}

func (h *Handler) team(r *http.Request, g forge.Namespace) Team {
	id := EncodeID(prefixTeam, g.ID)
	self := h.core.URL(api.Prefix(r) + "/teams/" + id)
	t := Team{
		ID:         id,
		Name:       g.Name,
		Slug:       g.FullPath,
		FullName:   g.FullName,
		Visibility: g.Visibility,
		URL:        self,
		WebURL:     h.core.URL("/" + g.FullPath),
		MembersURL: self + "/members",
		CreatedAt:  timestamp(g.CreatedAt),
		UpdatedAt:  timestamp(g.UpdatedAt),
	}
	if g.Description != "" {
		d := g.Description
		t.Description = &d
	}
	if g.ParentID != 0 {
		p := EncodeID(prefixTeam, g.ParentID)
		t.ParentID = &p
	}
	return t
}

// roleNames are the access levels' names, as GitLab calls them.
var roleNames = map[int]string{
	forge.Minimal:    "minimal_access",
	forge.Guest:      "guest",
	forge.Reporter:   "reporter",
	forge.Developer:  "developer",
	forge.Maintainer: "maintainer",
	forge.Owner:      "owner",
}

func teamMember(m forge.Member) TeamMember {
	role := roleNames[m.AccessLevel]
	if role == "" {
		role = "none"
	}
	return TeamMember{
		ID:          EncodeID(prefixUser, m.User.ID),
		Username:    m.User.Username,
		Name:        m.User.Name,
		State:       m.User.State,
		Role:        role,
		AccessLevel: m.AccessLevel,
		JoinedAt:    timestamp(m.CreatedAt),
		ExpiresAt:   timePtr(m.ExpiresAt),
	}
}

// listTeams is GET /v1/teams: every group the caller may see, by name.
func (h *Handler) listTeams(w http.ResponseWriter, r *http.Request, _ api.Params) error {
	pg, err := parsePage(r)
	if err != nil {
		return err
	}
	all := true
	groups, total, err := h.forge.Projects.ListGroups(r.Context(), api.Actor(r),
		forge.GroupListOptions{AllAvailable: &all, OrderBy: "name"}, pg)
	if err != nil {
		return err
	}
	out := make([]Team, len(groups))
	for i, g := range groups {
		out[i] = h.team(r, g)
	}
	return writeList(h, w, r, pg, total, out)
}

// teamSubtree dispatches everything below /teams/: GET {id} and GET {id}/members, where id
// is a team_ id or the group's path (nested paths hold slashes, literal or escaped).
func (h *Handler) teamSubtree(w http.ResponseWriter, r *http.Request, _ api.Params) error {
	ref, members, ok := subpath(strings.TrimPrefix(r.URL.Path, "/teams/"), "members", func(string) bool { return true })
	if !ok {
		return &forge.Error{Code: forge.ENotFound, Reason: forge.ReasonNoRoute, Message: "Not Found"}
	}
	g, err := h.findTeam(r, ref)
	if err != nil {
		return err
	}
	if members {
		return h.listTeamMembers(w, r, g)
	}
	return api.JSON(w, r, http.StatusOK, h.team(r, g))
}

// findTeam resolves a team_ id, or failing that a group path, to a group the caller may see.
// A group whose path happens to read as a team id is still found by its path.
func (h *Handler) findTeam(r *http.Request, ref string) (forge.Namespace, error) {
	a := api.Actor(r)
	if n, ok := DecodeID(prefixTeam, ref); ok {
		g, err := h.forge.Projects.GroupByRef(r.Context(), a, forge.ParseRef(forgeRef(n)))
		if forge.ErrorCode(err) != forge.ENotFound {
			return g, err
		}
	}
	if strings.HasPrefix(ref, "/") || strings.HasSuffix(ref, "/") {
		return forge.Namespace{}, forge.NotFound(forge.ResourceGroup)
	}
	return h.forge.Projects.GroupByRef(r.Context(), a, forge.ParseRef(ref))
}

// listTeamMembers is GET /v1/teams/{id}/members: the team's members, those of its parent
// teams included (each user once, with their highest role), ordered by user.
func (h *Handler) listTeamMembers(w http.ResponseWriter, r *http.Request, g forge.Namespace) error {
	pg, err := parsePage(r)
	if err != nil {
		return err
	}
	src := forge.MemberSource{Kind: "group", Ref: forgeRef(g.ID)}
	members, total, err := h.forge.Projects.ListMembers(r.Context(), api.Actor(r), src, true,
		r.URL.Query().Get("query"), pg)
	if err != nil {
		return err
	}
	out := make([]TeamMember, len(members))
	for i, m := range members {
		out[i] = teamMember(m)
	}
	return writeList(h, w, r, pg, total, out)
}

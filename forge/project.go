package forge

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/cairn-forge/cairn/db"
	"github.com/cairn-forge/cairn/gitstore"
)

// ProjectInput carries the fields of a project to create or change; nil means "not given".
type ProjectInput struct {
	Name        *string
	Path        *string
	Description *string
	Visibility  *string
	// NamespaceRef is the id or full path of the namespace to create the project in; empty
	// means the creator's personal namespace.
	NamespaceRef  string
	DefaultBranch *string
	// InitializeWithReadme commits a README.md as the first commit.
	InitializeWithReadme bool
	// Files, for fixtures, are committed as the first commit (instead of a README).
	Files        []gitstore.File
	Topics       *[]string
	Archived     *bool
	MergeMethod  *string
	SquashOption *string
}

// ProjectView is a project with the actor's access to it, as the actor may see it: the
// count of open confidential issues is 0 unless CanSeeConfidential.
type ProjectView struct {
	Project
	// Access is the actor's access level: AdminAccess for administrators, 0 for none.
	Access int
	// ProjectAccess and GroupAccess split the access by where it comes from, as GitLab's
	// permissions object does; 0 means none from there.
	ProjectAccess int
	GroupAccess   int
	// CanSeeConfidential: the actor's role sees every confidential issue of the project
	// (Reporter and above); others see only those they wrote or are assigned.
	CanSeeConfidential bool
	// CanEditReleases: the actor's role may create and change the project's releases
	// (Developer and above). Its token's scopes and an archived project may refuse it all
	// the same.
	CanEditReleases bool
}

// seesConfidential reports whether access level sees every confidential issue of a project.
func seesConfidential(level int) bool { return level >= Reporter }

// releaseWriter is the access level that creates and changes releases.
const releaseWriter = Developer

// projectAccess works out the actor's access to p, and what it may see of p.
func (s *Service) projectAccess(ctx context.Context, a *Actor, p Project) (ProjectView, error) {
	v, err := s.projectLevels(ctx, a, p)
	if err != nil {
		return v, err
	}
	v.CanSeeConfidential = seesConfidential(v.Access)
	v.CanEditReleases = v.Access >= releaseWriter
	if !v.CanSeeConfidential {
		v.OpenConfidentialIssues = 0
	}
	return v, nil
}

// projectLevels works out the actor's access levels to p.
func (s *Service) projectLevels(ctx context.Context, a *Actor, p Project) (ProjectView, error) {
	v := ProjectView{Project: p}
	if !a.SignedIn() {
		return v, nil
	}
	if a.access != nil {
		v.ProjectAccess = a.access.Projects[p.ID]
		if v.GroupAccess = a.access.Namespaces[p.NamespaceID]; v.GroupAccess < Guest {
			// Minimal access to a group sees the group, none of its projects.
			v.GroupAccess = NoAccess
		}
		if p.Namespace.OwnerID == a.User.ID {
			v.ProjectAccess = max(v.ProjectAccess, Owner)
			v.GroupAccess = 0
		}
		v.Access = max(v.ProjectAccess, v.GroupAccess)
	} else if p.Namespace.OwnerID == a.User.ID {
		// The owner of a personal namespace owns its projects; no query can say more.
		v.Access, v.ProjectAccess = Owner, Owner
	} else if a.User.IsAdmin && p.Namespace.Kind == "user" {
		// An administrator's own level is what rules use; a personal project has no group side.
	} else {
		level, err := db.ProjectAccessLevel(ctx, s.db.Read, p.ID, p.NamespaceID, a.User.ID, s.Now())
		if err != nil {
			return v, err
		}
		v.Access = level
		if p.Namespace.Kind == "user" {
			v.ProjectAccess = level
		} else {
			// Split only when asked in detail; the combined level is what rules use.
			v.ProjectAccess, v.GroupAccess = level, 0
		}
	}
	if a.User.IsAdmin {
		v.Access = AdminAccess
	}
	return v, nil
}

// ProjectByRef returns the project named by ref (an id or a full path) if the actor may see
// it; a project the actor may not see is not found.
func (s *Projects) ProjectByRef(ctx context.Context, a *Actor, ref Ref) (ProjectView, error) {
	if err := a.Require(NeedRead); err != nil {
		return ProjectView{}, err
	}
	return s.visibleProject(ctx, a, ref)
}

func (s *Service) findProject(ctx context.Context, q db.Querier, ref Ref) (Project, error) {
	if id, ok := ref.ID(); ok {
		p, err := db.ProjectByID(ctx, q, id)
		return p, notFoundAs(err, ResourceProject)
	}
	path := ref.String()
	i := strings.LastIndexByte(path, '/')
	if i <= 0 || i == len(path)-1 {
		return Project{}, NotFound(ResourceProject)
	}
	ns, err := db.NamespaceByPath(ctx, q, path[:i])
	if err != nil {
		return Project{}, notFoundAs(err, ResourceProject)
	}
	p, err := db.ProjectByPath(ctx, q, ns.ID, path[i+1:])
	return p, notFoundAs(err, ResourceProject)
}

func (s *Service) visibleProject(ctx context.Context, a *Actor, ref Ref) (ProjectView, error) {
	p, err := s.findProject(ctx, s.db.Read, ref)
	if err != nil {
		return ProjectView{}, err
	}
	v, err := s.projectAccess(ctx, a, p)
	if err != nil {
		return ProjectView{}, err
	}
	if !canSee(a, p.Visibility, v.Access) {
		return ProjectView{}, NotFound(ResourceProject)
	}
	return v, nil
}

// CreateProject makes a project and its repository, in the actor's namespace or one it may
// create projects in. When forUser is not zero, an administrator creates it for that user.
func (s *Projects) CreateProject(ctx context.Context, a *Actor, in ProjectInput, forUser int64) (ProjectView, error) {
	if err := a.requireUser(NeedProjects); err != nil {
		return ProjectView{}, err
	}
	if (in.Name == nil || strings.TrimSpace(*in.Name) == "") && (in.Path == nil || *in.Path == "") {
		return ProjectView{}, MissingOneOf("name", "path")
	}
	owner := a.User
	if forUser != 0 {
		if !a.IsAdmin() {
			return ProjectView{}, Forbidden()
		}
		u, err := db.UserByID(ctx, s.db.Read, forUser)
		if err != nil {
			return ProjectView{}, notFoundAs(err, ResourceUser)
		}
		owner = &u
	}
	ns, err := s.targetNamespace(ctx, a, owner, ParseRef(in.NamespaceRef))
	if err != nil {
		return ProjectView{}, err
	}
	if in.Name == nil || strings.TrimSpace(*in.Name) == "" {
		in.Name = in.Path
	}
	if in.Path == nil || *in.Path == "" {
		slug := Slug(*in.Name)
		in.Path = &slug
	}
	now := s.Now()
	st, err := s.currentSettings(ctx)
	if err != nil {
		return ProjectView{}, err
	}
	p := Project{
		NamespaceID:    ns.ID,
		Namespace:      ns,
		Visibility:     st.DefaultProjectVisibility,
		DefaultBranch:  st.DefaultBranchName,
		CreatorID:      a.UserID(),
		EmptyRepo:      true,
		Topics:         []string{},
		MergeMethod:    "merge",
		SquashOption:   "default_off",
		CreatedAt:      now,
		UpdatedAt:      now,
		LastActivityAt: now,
	}
	if ns.Kind == "group" && visibilityRank(p.Visibility) > visibilityRank(ns.Visibility) {
		p.Visibility = ns.Visibility // the instance's default never exceeds the group's
	}
	if err := applyProjectInput(&p, in); err != nil {
		return ProjectView{}, err
	}
	for _, f := range in.Files {
		if _, problem := ValidateFilePath(f.Path); problem != "" {
			return ProjectView{}, invalidField("files", fmt.Sprintf("%q %s", f.Path, problem))
		}
	}
	init := gitstore.InitOptions{DefaultBranch: p.DefaultBranch, Files: in.Files,
		Author: gitstore.Signature{Name: gitIdentity(a.User.Name), Email: gitIdentity(a.User.Email), When: now}}
	if len(init.Files) == 0 && in.InitializeWithReadme {
		readme := "# " + p.Name + "\n"
		if p.Description != "" {
			readme += "\n" + p.Description + "\n"
		}
		init.Files = []gitstore.File{{Path: "README.md", Content: []byte(readme)}}
	}
	if a.User.ID == 0 {
		init.Author = gitstore.Signature{Name: gitIdentity(owner.Name), Email: gitIdentity(owner.Email), When: now}
	}
	if init.Author.Name == "" || init.Author.Email == "" {
		init.Author = gitstore.Signature{Name: "cairn", Email: "cairn@localhost", When: now}
	}
	p.EmptyRepo = len(init.Files) == 0
	// The repository is built first, outside the write; in the write, the row is inserted and
	// the repository renamed into place (Publish), then the transaction committed.
	staged, err := s.repos.Stage(init)
	if err != nil {
		return ProjectView{}, err
	}
	if p, err = s.insertProject(ctx, a, p, func(id int64) error { return s.repos.Publish(staged, id) }); err != nil {
		if derr := s.repos.Discard(staged); derr != nil {
			s.log.Error("remove repository of failed project", "err", derr)
		}
		return ProjectView{}, err
	}
	return s.projectAccess(ctx, a, p)
}

// insertProject adds project p, in the namespace p.Namespace, with its default branch's
// protection, its owner's membership, its topics and the repository makeRepo makes. The row
// is inserted, then the repository made, then the transaction committed: if the process dies
// in between, the repository has no row and Reconcile removes it at start.
func (s *Service) insertProject(ctx context.Context, a *Actor, p Project,
	makeRepo func(id int64) error) (Project, error) {
	now := p.CreatedAt
	ns := p.Namespace
	created := false
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		if err := checkPathFree(ctx, tx, p.FullPath(), 0, 0); err != nil {
			return err
		}
		if _, err := db.ProjectByPath(ctx, tx, ns.ID, p.Path); err == nil {
			return Taken("name", "path")
		}
		id, err := db.InsertProject(ctx, tx, p)
		if err != nil {
			return takenAs(err, "name", "path")
		}
		p.ID = id
		rule := defaultProtection
		rule.ProjectID, rule.Name, rule.CreatedAt = id, p.DefaultBranch, now
		if _, err := db.SaveProtectedBranch(ctx, tx, rule); err != nil {
			return err
		}
		// As in GitLab, the owner of a personal namespace is its projects' owner member.
		if ns.Kind == "user" {
			if err := db.UpsertMember(ctx, tx, Member{
				SourceKind:  "project",
				SourceID:    id,
				User:        User{ID: ns.OwnerID},
				AccessLevel: Owner,
				CreatedBy:   a.UserID(),
				CreatedAt:   now,
			}); err != nil {
				return err
			}
		}
		if err := db.SetProjectTopics(ctx, tx, id, p.Topics, now); err != nil {
			return err
		}
		if err := makeRepo(id); err != nil {
			return err
		}
		created = true
		return nil
	})
	if err != nil {
		if created {
			if derr := s.repos.Delete(p.ID); derr != nil {
				s.log.Error("remove repository of failed project", "project_id", p.ID, "err", derr)
			}
		}
		return Project{}, err
	}
	return p, nil
}

// targetNamespace resolves where a new project goes and checks the actor may create there.
func (s *Service) targetNamespace(ctx context.Context, a *Actor, owner *User, ref Ref) (Namespace, error) {
	if ref.String() == "" {
		ns, err := db.NamespaceByID(ctx, s.db.Read, owner.NamespaceID)
		return ns, notFoundAs(err, ResourceNamespace)
	}
	ns, err := s.findNamespace(ctx, ref)
	if err != nil {
		return Namespace{}, notFoundAs(err, ResourceNamespace)
	}
	level, err := s.namespaceAccess(ctx, a, ns)
	if err != nil {
		return Namespace{}, err
	}
	switch {
	case level == NoAccess && !canSee(a, ns.Visibility, level):
		return Namespace{}, NotFound(ResourceNamespace)
	case !canCreateIn(a, ns, level, owner):
		return Namespace{}, Forbidden()
	}
	return ns, nil
}

// applyProjectInput validates in and copies it onto p.
func applyProjectInput(p *Project, in ProjectInput) error {
	fe := FieldErrors{}
	if in.Name != nil {
		p.Name = strings.TrimSpace(*in.Name)
		if msg := ValidateName(p.Name, false); msg != "" {
			fe.Add("name", msg)
		}
	}
	if in.Path != nil {
		p.Path = *in.Path
		if msg := ValidatePath(p.Path); msg != "" {
			fe.Add("path", msg)
		}
	}
	if in.Description != nil {
		p.Description = *in.Description
		checkText(fe, "description", p.Description, limitProjectDescription)
	}
	if in.Visibility != nil {
		if !ValidVisibility(*in.Visibility) {
			fe.Add("visibility", "does not have a valid value")
		} else {
			p.Visibility = *in.Visibility
		}
	}
	if p.Namespace.Kind == "group" && visibilityRank(p.Visibility) > visibilityRank(p.Namespace.Visibility) {
		fe.Add("visibility_level", p.Visibility+" is not allowed in a "+p.Namespace.Visibility+" group.")
	}
	if in.DefaultBranch != nil && *in.DefaultBranch != "" {
		if problem := ValidateBranchName(*in.DefaultBranch); problem != "" {
			fe.Add("default_branch", problem)
		}
		p.DefaultBranch = *in.DefaultBranch
	}
	if in.Topics != nil {
		p.Topics = []string{}
		for _, t := range *in.Topics {
			if t = strings.TrimSpace(t); t != "" && !strings.ContainsAny(t, "\n") &&
				checkText(fe, "topics", t, limitName) {
				p.Topics = append(p.Topics, t)
			}
		}
	}
	if in.Archived != nil {
		p.Archived = *in.Archived
	}
	if in.MergeMethod != nil {
		switch *in.MergeMethod {
		case "merge", "rebase_merge", "ff":
			p.MergeMethod = *in.MergeMethod
		default:
			fe.Add("merge_method", "does not have a valid value")
		}
	}
	if in.SquashOption != nil {
		switch *in.SquashOption {
		case "never", "always", "default_on", "default_off":
			p.SquashOption = *in.SquashOption
		default:
			fe.Add("squash_option", "does not have a valid value")
		}
	}
	return fe.Err()
}

// UpdateProject changes a project; maintainers may, and only owners may change visibility.
func (s *Projects) UpdateProject(ctx context.Context, a *Actor, ref Ref, in ProjectInput) (ProjectView, error) {
	if err := a.requireUser(NeedProjects); err != nil {
		return ProjectView{}, err
	}
	v, err := s.visibleProject(ctx, a, ref)
	if err != nil {
		return ProjectView{}, err
	}
	if !canAdminProject(v) || in.Visibility != nil && *in.Visibility != v.Visibility && !canChangeVisibility(v) {
		return ProjectView{}, Forbidden()
	}
	p := v.Project
	newHead := in.DefaultBranch != nil && *in.DefaultBranch != "" && *in.DefaultBranch != p.DefaultBranch
	if newHead {
		if problem := ValidateBranchName(*in.DefaultBranch); problem != "" {
			return ProjectView{}, FieldErrors{"default_branch": {problem}}.Err()
		}
	}
	if newHead && !p.EmptyRepo {
		if err := s.requireBranch(p.ID, *in.DefaultBranch); err != nil {
			return ProjectView{}, err
		}
	}
	oldPath, oldHead := p.FullPath(), p.DefaultBranch
	if err := applyProjectInput(&p, in); err != nil {
		return ProjectView{}, err
	}
	if newHead {
		// HEAD moves first, outside the write, so that the row never names a default branch
		// that clones would not check out; it moves back if the row is not written.
		if err := s.repos.SetHead(p.ID, p.DefaultBranch); err != nil {
			return ProjectView{}, err
		}
	}
	err = s.db.Write(ctx, func(tx *sql.Tx) error {
		if p.FullPath() != oldPath {
			if err := checkPathFree(ctx, tx, p.FullPath(), 0, p.ID); err != nil {
				return err
			}
		}
		p.UpdatedAt = s.Now()
		if err := takenAs(db.UpdateProject(ctx, tx, p), "name", "path"); err != nil {
			return err
		}
		if in.Topics != nil {
			return db.SetProjectTopics(ctx, tx, p.ID, p.Topics, p.UpdatedAt)
		}
		return nil
	})
	if err != nil {
		if newHead {
			if herr := s.repos.SetHead(p.ID, oldHead); herr != nil {
				s.log.Error("move HEAD back after a failed update", "project_id", p.ID, "err", herr)
			}
		}
		return ProjectView{}, err
	}
	v.Project = p
	return v, nil
}

// requireBranch refuses a default branch the repository of project id lacks, with GitLab's
// message.
func (s *Service) requireBranch(id int64, branch string) error {
	repo, err := s.repos.OpenRepo(id)
	if err != nil {
		return err
	}
	defer repo.Close()
	_, ok, err := repo.Reference("refs/heads/" + branch)
	switch {
	case err != nil:
		return err
	case !ok:
		return &Error{Code: EInvalid, Reason: ReasonStateRefused, Message: "Could not set the default branch"}
	}
	return nil
}

// DeleteProject removes a project and its repository; only owners and administrators may.
// Deleting a project that is already gone succeeds for whoever could have deleted it.
func (s *Projects) DeleteProject(ctx context.Context, a *Actor, ref Ref) error {
	if err := a.requireUser(NeedProjects); err != nil {
		return err
	}
	p, err := s.findProject(ctx, s.db.Read, ref)
	if ErrorCode(err) == ENotFound {
		return s.deleteGoneProject(ctx, a, ref)
	}
	if err != nil {
		return err
	}
	v, err := s.projectAccess(ctx, a, p)
	if err != nil {
		return err
	}
	if !canSee(a, p.Visibility, v.Access) {
		return NotFound(ResourceProject)
	}
	if !canDeleteProject(v) {
		return Forbidden()
	}
	// The row goes first: if the process dies before the repository is removed, the
	// repository has no row and Reconcile removes it at the next start.
	if err := s.db.Write(ctx, func(tx *sql.Tx) error {
		return db.DeleteProject(ctx, tx, p, a.UserID(), s.Now())
	}); err != nil {
		return err
	}
	s.audit(ctx, a, "project_deleted", "project", p.ID, p.FullPath())
	if err := s.repos.Delete(p.ID); err != nil {
		s.log.Error("delete repository", "project_id", p.ID, "err", err)
	}
	return nil
}

// deleteGoneProject answers a DELETE of a project that no longer exists: success for an
// administrator, whoever deleted it, or an owner of its namespace; not found for anyone else.
func (s *Service) deleteGoneProject(ctx context.Context, a *Actor, ref Ref) error {
	var d db.DeletedProject
	var err error
	if id, ok := ref.ID(); ok {
		d, err = db.DeletedProjectByID(ctx, s.db.Read, id)
	} else {
		d, err = db.DeletedProjectByPath(ctx, s.db.Read, ref.String())
	}
	if err != nil {
		return notFoundAs(err, ResourceProject)
	}
	if a.IsAdmin() || d.DeletedBy == a.UserID() {
		return nil
	}
	ns, err := db.NamespaceByID(ctx, s.db.Read, d.NamespaceID)
	if err != nil {
		return notFoundAs(err, ResourceProject)
	}
	level, err := s.namespaceAccess(ctx, a, ns)
	if err != nil {
		return err
	}
	if level >= Owner {
		return nil
	}
	return NotFound(ResourceProject)
}

// ProjectListOptions filter the project list.
type ProjectListOptions struct {
	Owned          bool
	Membership     bool
	MinAccessLevel int
	Visibility     string
	Search         string
	Archived       *bool
	OrderBy        string
	Desc           bool
	// GroupRef lists the projects of one group (with IncludeSubgroups, of its subgroups too).
	GroupRef         Ref
	IncludeSubgroups bool
	// UserRef lists the projects in one user's personal namespace.
	UserRef Ref
	// Starred keeps the projects the actor starred; StarredBy those a user starred.
	Starred   bool
	StarredBy string
	// ForkedFromID keeps the forks of a project.
	ForkedFromID int64
	// Topics keeps the projects with every one of these topics.
	Topics []string
}

// ListProjects lists the projects the actor may see.
func (s *Projects) ListProjects(ctx context.Context, a *Actor, o ProjectListOptions, pg Page) ([]ProjectView,
	int, error) {
	if err := a.Require(NeedRead); err != nil {
		return nil, 0, err
	}
	if o.Visibility != "" && !ValidVisibility(o.Visibility) {
		return nil, 0, Invalidf("visibility does not have a valid value")
	}
	f := db.ProjectFilter{
		Visibility:   o.Visibility,
		Search:       o.Search,
		Archived:     o.Archived,
		OrderBy:      o.OrderBy,
		Desc:         o.Desc,
		Now:          s.Now(),
		Limit:        pg.limit(),
		Offset:       pg.offset(),
		ForkedFromID: o.ForkedFromID,
		Topics:       o.Topics,
	}
	switch {
	case o.Starred && !a.SignedIn():
		return []ProjectView{}, 0, nil
	case o.Starred:
		f.StarredBy = a.User.ID
	case o.StarredBy != "":
		u, err := s.Accounts.UserByRef(ctx, a, ParseRef(o.StarredBy))
		if err != nil {
			return nil, 0, err
		}
		f.StarredBy = u.ID
	}
	switch {
	case !a.SignedIn():
		if o.Owned || o.Membership {
			return []ProjectView{}, 0, nil
		}
		f.Visibilities = []string{Public}
	case a.IsAdmin() && !o.Owned && !o.Membership && o.MinAccessLevel == 0:
	default:
		// Membership means Guest or more: Minimal access to a group shows none of its projects.
		f.MemberUserID, f.MinAccessLevel = a.User.ID, max(o.MinAccessLevel, Guest)
		if !o.Owned && !o.Membership && o.MinAccessLevel == 0 {
			f.Visibilities = []string{Public}
			if !a.User.External {
				f.Visibilities = append(f.Visibilities, Internal)
			}
		}
		if o.Owned {
			f.OwnerUserID = a.User.ID
		}
	}
	if o.GroupRef != (Ref{}) {
		g, _, err := s.visibleGroup(ctx, a, o.GroupRef)
		if err != nil {
			return nil, 0, err
		}
		f.NamespaceIDs = []int64{g.ID}
		if o.IncludeSubgroups {
			if f.NamespaceIDs, err = db.NamespaceDescendantIDs(ctx, s.db.Read, g.ID); err != nil {
				return nil, 0, err
			}
		}
	}
	if o.UserRef != (Ref{}) {
		u, err := s.Accounts.UserByRef(ctx, a, o.UserRef)
		if err != nil {
			return nil, 0, err
		}
		f.NamespaceIDs = []int64{u.NamespaceID}
	}
	projects, total, err := db.ListProjects(ctx, s.db.Read, f)
	if err != nil {
		return nil, 0, err
	}
	if a.SignedIn() {
		if _, err := s.userAccess(ctx, a); err != nil {
			return nil, 0, err
		}
	}
	views := make([]ProjectView, len(projects))
	for i, p := range projects {
		if views[i], err = s.projectAccess(ctx, a, p); err != nil {
			return nil, 0, err
		}
	}
	return views, total, nil
}

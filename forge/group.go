package forge

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"

	"github.com/cairn-forge/cairn/db"
)

// GroupInput carries the fields of a group to create or change; nil means "not given".
type GroupInput struct {
	Name        *string
	Path        *string
	ParentID    *int64
	Visibility  *string
	Description *string
}

// namespaceAccess is the actor's access level to a namespace; administrators have AdminAccess.
func (s *Service) namespaceAccess(ctx context.Context, a *Actor, ns Namespace) (int, error) {
	if !a.SignedIn() {
		return NoAccess, nil
	}
	if a.User.IsAdmin {
		return AdminAccess, nil
	}
	if a.access != nil {
		return a.access.Namespaces[ns.ID], nil
	}
	return db.NamespaceAccessLevel(ctx, s.db.Read, ns.ID, a.User.ID, s.Now())
}

// canSee reports whether an actor with access level may see something of visibility v.
func canSee(a *Actor, v string, level int) bool {
	switch {
	case level > NoAccess:
		return true
	case v == Public:
		return true
	case v == Internal:
		return a.SignedIn() && !a.User.External
	}
	return false
}

// GroupByRef returns the group named by ref (an id or a full path) if the actor may see it.
func (s *Projects) GroupByRef(ctx context.Context, a *Actor, ref Ref) (Namespace, error) {
	if err := a.Require(NeedRead); err != nil {
		return Namespace{}, err
	}
	g, _, err := s.visibleGroup(ctx, a, ref)
	return g, err
}

// visibleGroup finds a group the actor may see and returns the actor's access level to it.
func (s *Service) visibleGroup(ctx context.Context, a *Actor, ref Ref) (Namespace, int, error) {
	g, err := s.findNamespace(ctx, ref)
	if errors.Is(err, db.ErrNotFound) || err == nil && g.Kind != "group" {
		return Namespace{}, 0, NotFound(ResourceGroup)
	}
	if err != nil {
		return Namespace{}, 0, err
	}
	level, err := s.namespaceAccess(ctx, a, g)
	if err != nil {
		return Namespace{}, 0, err
	}
	if !canSee(a, g.Visibility, level) {
		return Namespace{}, 0, NotFound(ResourceGroup)
	}
	return g, level, nil
}

// CreateGroup makes a group, or a subgroup when ParentID is set. The creator becomes its owner.
func (s *Projects) CreateGroup(ctx context.Context, a *Actor, in GroupInput) (Namespace, error) {
	if err := a.requireUser(NeedWrite); err != nil {
		return Namespace{}, err
	}
	var missing []string
	if in.Name == nil || strings.TrimSpace(*in.Name) == "" {
		missing = append(missing, "name")
	}
	if in.Path == nil || *in.Path == "" {
		missing = append(missing, "path")
	}
	if len(missing) > 0 {
		return Namespace{}, Missing(missing...)
	}
	now := s.Now()
	g := Namespace{Kind: "group", Visibility: Private, CreatedAt: now, UpdatedAt: now}
	var parent *Namespace
	if in.ParentID != nil && *in.ParentID != 0 {
		p, level, err := s.visibleGroup(ctx, a, ID(*in.ParentID))
		if err != nil {
			return Namespace{}, err
		}
		if !canCreateIn(a, p, level, a.User) {
			return Namespace{}, Forbidden()
		}
		parent = &p
		g.ParentID = p.ID
	} else if !a.CanCreateGroup() {
		return Namespace{}, Forbidden()
	}
	st, err := s.currentSettings(ctx)
	if err != nil {
		return Namespace{}, err
	}
	if g.Visibility = st.DefaultGroupVisibility; parent != nil &&
		visibilityRank(g.Visibility) > visibilityRank(parent.Visibility) {
		g.Visibility = parent.Visibility // the instance's default never exceeds the parent's
	}
	if err := applyGroupInput(&g, parent, in); err != nil {
		return Namespace{}, err
	}
	err = s.db.Write(ctx, func(tx *sql.Tx) error {
		if err := checkPathFree(ctx, tx, g.FullPath, 0, 0); err != nil {
			return err
		}
		id, err := db.InsertNamespace(ctx, tx, g)
		if err != nil {
			return takenAs(err, "path")
		}
		g.ID = id
		if a.UserID() != 0 {
			return db.UpsertMember(ctx, tx, Member{
				SourceKind:  "group",
				SourceID:    id,
				User:        *a.User,
				AccessLevel: Owner,
				CreatedBy:   a.UserID(),
				CreatedAt:   now,
			})
		}
		return nil
	})
	if err != nil {
		return Namespace{}, err
	}
	return g, nil
}

// applyGroupInput validates in and copies it onto g, whose parent is parent (or none).
func applyGroupInput(g *Namespace, parent *Namespace, in GroupInput) error {
	fe := FieldErrors{}
	if in.Name != nil {
		g.Name = strings.TrimSpace(*in.Name)
		if msg := ValidateName(g.Name, true); msg != "" {
			fe.Add("name", msg)
		}
	}
	if in.Path != nil {
		g.Path = *in.Path
		validate := ValidateTopLevelPath
		if parent != nil {
			validate = ValidatePath
		}
		if msg := validate(g.Path); msg != "" {
			fe.Add("path", msg)
		}
	}
	if in.Description != nil {
		g.Description = *in.Description
		checkText(fe, "description", g.Description, limitShortDescription)
	}
	if in.Visibility != nil {
		if !ValidVisibility(*in.Visibility) {
			fe.Add("visibility", "does not have a valid value")
		} else {
			g.Visibility = *in.Visibility
		}
	}
	if parent != nil && visibilityRank(g.Visibility) > visibilityRank(parent.Visibility) {
		fe.Add("visibility_level", g.Visibility+
			" is not allowed since the parent group has a "+parent.Visibility+" visibility.")
	}
	if err := fe.Err(); err != nil {
		return err
	}
	g.FullPath, g.FullName = g.Path, g.Name
	if parent != nil {
		g.FullPath, g.FullName = parent.FullPath+"/"+g.Path, parent.FullName+" / "+g.Name
	}
	return nil
}

// checkPathFree refuses a full path that a namespace or a project already has, other than the
// namespace or project being changed (exceptNS, exceptProject).
func checkPathFree(ctx context.Context, q db.Querier, fullPath string, exceptNS, exceptProject int64) error {
	if ns, err := db.NamespaceByPath(ctx, q, fullPath); err == nil && ns.ID != exceptNS {
		return Taken("path")
	} else if err != nil && !errors.Is(err, db.ErrNotFound) {
		return err
	}
	if i := strings.LastIndexByte(fullPath, '/'); i > 0 {
		ns, err := db.NamespaceByPath(ctx, q, fullPath[:i])
		if err == nil {
			if p, err := db.ProjectByPath(ctx, q, ns.ID, fullPath[i+1:]); err == nil && p.ID != exceptProject {
				return Taken("path")
			}
		}
	}
	return nil
}

// UpdateGroup changes a group; only its owners may.
func (s *Projects) UpdateGroup(ctx context.Context, a *Actor, ref Ref, in GroupInput) (Namespace, error) {
	if err := a.requireUser(NeedWrite); err != nil {
		return Namespace{}, err
	}
	g, level, err := s.visibleGroup(ctx, a, ref)
	if err != nil {
		return Namespace{}, err
	}
	if !canAdminGroup(level) {
		return Namespace{}, Forbidden()
	}
	in.ParentID = nil
	err = s.db.Write(ctx, func(tx *sql.Tx) error {
		var parent *Namespace
		if g.ParentID != 0 {
			p, err := db.NamespaceByID(ctx, tx, g.ParentID)
			if err != nil {
				return err
			}
			parent = &p
		}
		oldPath, oldName := g.FullPath, g.FullName
		if err := applyGroupInput(&g, parent, in); err != nil {
			return err
		}
		if in.Visibility != nil {
			if err := checkChildrenVisibility(ctx, tx, g); err != nil {
				return err
			}
		}
		if g.FullPath != oldPath {
			if err := checkPathFree(ctx, tx, g.FullPath, g.ID, 0); err != nil {
				return err
			}
		}
		g.UpdatedAt = s.Now()
		if err := db.UpdateNamespace(ctx, tx, g); err != nil {
			return takenAs(err, "path")
		}
		if g.FullPath != oldPath || g.FullName != oldName {
			return db.RenameNamespaceTree(ctx, tx, oldPath, g.FullPath, oldName, g.FullName)
		}
		return nil
	})
	return g, err
}

// checkChildrenVisibility refuses to close a group below what its subgroups and projects show.
func checkChildrenVisibility(ctx context.Context, q db.Querier, g Namespace) error {
	parentID := g.ID
	subs, _, err := db.ListNamespaces(ctx, q, db.NamespaceFilter{ParentID: &parentID})
	if err != nil {
		return err
	}
	for _, sub := range subs {
		if visibilityRank(sub.Visibility) > visibilityRank(g.Visibility) {
			return FieldErrors{"visibility_level": {g.Visibility +
				" is not allowed since there are sub-groups with higher visibility."}}.Err()
		}
	}
	projects, _, err := db.ListProjects(ctx, q, db.ProjectFilter{NamespaceIDs: []int64{g.ID}})
	if err != nil {
		return err
	}
	for _, p := range projects {
		if visibilityRank(p.Visibility) > visibilityRank(g.Visibility) {
			return FieldErrors{"visibility_level": {g.Visibility +
				" is not allowed since this group contains projects with higher visibility."}}.Err()
		}
	}
	return nil
}

// DeleteGroup removes a group with its subgroups, projects and their repositories; only
// owners may. Deleting a group that is already gone succeeds for whoever could have deleted
// it: an administrator, the one who did, or an owner of its parent group.
func (s *Projects) DeleteGroup(ctx context.Context, a *Actor, ref Ref) error {
	if err := a.requireUser(NeedWrite); err != nil {
		return err
	}
	g, level, err := s.visibleGroup(ctx, a, ref)
	if ErrorCode(err) == ENotFound {
		return s.deleteGoneGroup(ctx, a, ref)
	}
	if err != nil {
		return err
	}
	if !canAdminGroup(level) {
		return Forbidden()
	}
	var ids []int64
	now := s.Now()
	err = s.db.Write(ctx, func(tx *sql.Tx) error {
		ids, err = deleteGroupTree(ctx, tx, g.ID, a.UserID(), now)
		return err
	})
	if err != nil {
		return err
	}
	s.audit(ctx, a, "group_deleted", "group", g.ID, g.FullPath)
	for _, id := range ids {
		// A failure here leaves an orphan repository, which Reconcile removes at next start.
		if err := s.repos.Delete(id); err != nil {
			s.log.Error("delete repository", "project_id", id, "err", err)
		}
	}
	return nil
}

// deleteGoneGroup answers a DELETE of a group that no longer exists.
func (s *Service) deleteGoneGroup(ctx context.Context, a *Actor, ref Ref) error {
	id, byID := ref.ID()
	path := ref.String()
	if byID {
		path = "" // by id alone: a deleted group whose path is these digits is another group
	}
	d, err := db.DeletedNamespaceByRef(ctx, s.db.Read, id, path)
	if err != nil {
		return notFoundAs(err, ResourceGroup)
	}
	if a.IsAdmin() || d.DeletedBy == a.UserID() {
		return nil
	}
	if d.ParentID != 0 {
		if parent, err := db.NamespaceByID(ctx, s.db.Read, d.ParentID); err == nil {
			if level, err := s.namespaceAccess(ctx, a, parent); err == nil && level >= Owner {
				return nil
			}
		}
	}
	return NotFound(ResourceGroup)
}

// GroupListOptions filter the group list.
type GroupListOptions struct {
	Search       string
	Owned        bool
	AllAvailable *bool
	TopLevelOnly bool
	// ParentID lists the subgroups of one group.
	ParentID *int64
	// DescendantsOf lists the groups below one group, at any depth.
	DescendantsOf  *int64
	MinAccessLevel int
	OrderBy        string
	Desc           bool
}

// ListGroups lists the groups the actor may see. Signed-in users see the groups they belong
// to unless AllAvailable; administrators and anonymous callers see all they may.
func (s *Projects) ListGroups(ctx context.Context, a *Actor, o GroupListOptions, pg Page) ([]Namespace, int, error) {
	if err := a.Require(NeedRead); err != nil {
		return nil, 0, err
	}
	f := db.NamespaceFilter{
		Kind:         "group",
		Search:       o.Search,
		TopLevelOnly: o.TopLevelOnly,
		ParentID:     o.ParentID,
		Under:        o.DescendantsOf,
		OrderBy:      o.OrderBy,
		Desc:         o.Desc,
		Limit:        pg.limit(),
		Offset:       pg.offset(),
	}
	if f.OrderBy == "" {
		f.OrderBy = "name"
	}
	switch {
	case !a.SignedIn():
		f.Visibility = []string{Public}
	case a.IsAdmin() && !o.Owned && o.MinAccessLevel == 0:
	default:
		acc, err := s.userAccess(ctx, a)
		if err != nil {
			return nil, 0, err
		}
		f.IDs = []int64{}
		for id, level := range acc.Namespaces {
			if level >= max(o.MinAccessLevel, 1) && (!o.Owned || level >= Owner) {
				f.IDs = append(f.IDs, id)
			}
		}
		all := o.ParentID != nil || o.DescendantsOf != nil || o.Search != ""
		if o.AllAvailable != nil {
			all = *o.AllAvailable
		}
		if all && !o.Owned && o.MinAccessLevel == 0 {
			f.Visibility = []string{Public}
			if !a.User.External {
				f.Visibility = append(f.Visibility, Internal)
			}
		}
	}
	return db.ListNamespaces(ctx, s.db.Read, f)
}

func formatID(id int64) string { return strconv.FormatInt(id, 10) }

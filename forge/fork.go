package forge

import (
	"context"
	"strings"
)

// ForkInput describes a fork to make; empty fields take the source's.
type ForkInput struct {
	// NamespaceRef is the id or full path of where the fork goes; empty means the actor's
	// personal namespace.
	NamespaceRef string
	Name         *string
	Path         *string
	Description  *string
	Visibility   *string
	// Branches, when given, are the only branches the fork takes.
	Branches []string
}

// ForkProject makes a fork of a project: a new project holding a copy of its repository's
// branches and tags, which names it as forked_from. Whoever may read the code may fork it
// into a namespace where they may create projects. The fork's visibility is the source's
// (or the one asked for), never above the source's nor its namespace's.
func (s *Projects) ForkProject(ctx context.Context, a *Actor, ref Ref, in ForkInput) (ProjectView, error) {
	if err := a.requireUser(NeedProjects); err != nil {
		return ProjectView{}, err
	}
	src, err := s.visibleProject(ctx, a, ref)
	if err != nil {
		return ProjectView{}, err
	}
	if !canReadCode(src) {
		return ProjectView{}, Forbidden()
	}
	ns, err := s.targetNamespace(ctx, a, a.User, ParseRef(in.NamespaceRef))
	if err != nil {
		return ProjectView{}, err
	}
	now := s.Now()
	p := Project{
		NamespaceID:    ns.ID,
		Namespace:      ns,
		Name:           src.Name,
		Path:           src.Path,
		Description:    src.Description,
		Visibility:     src.Visibility,
		DefaultBranch:  src.DefaultBranch,
		CreatorID:      a.UserID(),
		EmptyRepo:      src.EmptyRepo,
		Topics:         []string{},
		MergeMethod:    src.MergeMethod,
		SquashOption:   src.SquashOption,
		ForkedFromID:   src.ID,
		CreatedAt:      now,
		UpdatedAt:      now,
		LastActivityAt: now,
	}
	if ns.Kind == "group" && visibilityRank(p.Visibility) > visibilityRank(ns.Visibility) {
		p.Visibility = ns.Visibility
	}
	if in.Visibility != nil && ValidVisibility(*in.Visibility) &&
		visibilityRank(*in.Visibility) > visibilityRank(src.Visibility) {
		return ProjectView{}, FieldErrors{"visibility_level": {*in.Visibility +
			" is not allowed since the fork source project has lower visibility."}}.Err()
	}
	fi := ProjectInput{Name: in.Name, Path: in.Path, Description: in.Description, Visibility: in.Visibility}
	if fi.Name != nil && (fi.Path == nil || *fi.Path == "") {
		slug := Slug(*fi.Name)
		fi.Path = &slug
	}
	if fi.Path != nil && (fi.Name == nil || strings.TrimSpace(*fi.Name) == "") {
		fi.Name = fi.Path
	}
	if err := applyProjectInput(&p, fi); err != nil {
		return ProjectView{}, err
	}
	// The copy is made first, outside the write; in the write it is renamed into place.
	staged, err := s.repos.StageFork(src.ID, p.DefaultBranch, in.Branches)
	if err != nil {
		return ProjectView{}, err
	}
	p, err = s.insertProject(ctx, a, p, func(id int64) error { return s.repos.Publish(staged, id) })
	if err != nil {
		if derr := s.repos.Discard(staged); derr != nil {
			s.log.Error("remove repository of failed fork", "err", derr)
		}
		return ProjectView{}, err
	}
	s.audit(ctx, a, "project_forked", "project", p.ID, src.FullPath()+" to "+p.FullPath())
	return s.projectAccess(ctx, a, p)
}

// ListForks lists the forks of a project the actor may see.
func (s *Projects) ListForks(ctx context.Context, a *Actor, ref Ref, o ProjectListOptions,
	pg Page) ([]ProjectView, int, error) {
	src, err := s.ProjectByRef(ctx, a, ref)
	if err != nil {
		return nil, 0, err
	}
	o.ForkedFromID = src.ID
	return s.ListProjects(ctx, a, o, pg)
}

// ForkedFrom returns the project v was forked from, nil when it is no fork or the actor may
// not see its source.
func (s *Projects) ForkedFrom(ctx context.Context, a *Actor, v ProjectView) (*ProjectView, error) {
	if v.ForkedFromID == 0 {
		return nil, nil
	}
	src, err := s.visibleProject(ctx, a, ID(v.ForkedFromID))
	if ErrorCode(err) == ENotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &src, nil
}

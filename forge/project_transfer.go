package forge

import (
	"context"
	"database/sql"

	"github.com/cairn-forge/cairn/db"
)

// transferRefused is the error of a transfer refused for problem, about the new namespace.
func transferRefused(problem string) *Error {
	return &Error{Code: EInvalid, Reason: ReasonTransferRefused,
		Fields: map[string][]string{"new_namespace": {problem}}}
}

// TransferProject moves a project into another namespace, which its owners (and
// administrators) may do into a namespace where they may create projects. The project keeps
// its id, so its repository stays where it is; its path changes with its namespace, and its
// visibility drops to the new group's when that is lower.
func (s *Projects) TransferProject(ctx context.Context, a *Actor, ref Ref, namespaceRef Ref) (ProjectView, error) {
	if err := a.requireUser(NeedProjects); err != nil {
		return ProjectView{}, err
	}
	v, err := s.visibleProject(ctx, a, ref)
	if err != nil {
		return ProjectView{}, err
	}
	if !canTransferProject(v) {
		return ProjectView{}, Forbidden()
	}
	ns, err := s.findNamespace(ctx, namespaceRef)
	if err != nil {
		return ProjectView{}, notFoundAs(err, ResourceNamespace)
	}
	level, err := s.namespaceAccess(ctx, a, ns)
	if err != nil {
		return ProjectView{}, err
	}
	switch {
	case !canSee(a, ns.Visibility, level) && !(ns.Kind == "user" && ns.OwnerID == a.User.ID):
		return ProjectView{}, NotFound(ResourceNamespace)
	case ns.ID == v.NamespaceID:
		return ProjectView{}, transferRefused("Please select a new namespace for your project.")
	case ns.Kind == "user" && ns.OwnerID != a.User.ID && !a.IsAdmin(), ns.Kind == "group" && level < Maintainer:
		return ProjectView{}, transferRefused("You don't have permission to transfer this project to that namespace.")
	}
	p := v.Project
	from := p.FullPath()
	p.NamespaceID, p.Namespace = ns.ID, ns
	if ns.Kind == "group" && visibilityRank(p.Visibility) > visibilityRank(ns.Visibility) {
		p.Visibility = ns.Visibility
	}
	p.UpdatedAt = s.Now()
	err = s.db.Write(ctx, func(tx *sql.Tx) error {
		if _, err := db.ProjectByPath(ctx, tx, ns.ID, p.Path); err == nil {
			return transferRefused("Project with same name or path in target namespace already exists")
		}
		if err := checkPathFree(ctx, tx, p.FullPath(), 0, p.ID); err != nil {
			return err
		}
		if err := db.UpdateProject(ctx, tx, p); err != nil {
			if ErrorCode(takenAs(err)) == EConflict {
				return transferRefused("Project with same name or path in target namespace already exists")
			}
			return err
		}
		if ns.Kind == "user" {
			return db.UpsertMember(ctx, tx, Member{
				SourceKind:  "project",
				SourceID:    p.ID,
				User:        User{ID: ns.OwnerID},
				AccessLevel: Owner,
				CreatedBy:   a.UserID(),
				CreatedAt:   p.UpdatedAt,
			})
		}
		return nil
	})
	if err != nil {
		return ProjectView{}, err
	}
	s.audit(ctx, a, "project_transferred", "project", p.ID, from+" to "+p.FullPath())
	return s.projectAccess(ctx, a, p)
}

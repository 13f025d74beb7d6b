package forge

import (
	"context"
	"database/sql"

	"github.com/cairn-forge/cairn/db"
)

// groupTransferRefused is the error of a group transfer refused for problem.
func groupTransferRefused(problem string) *Error {
	return &Error{Code: EInvalid, Reason: ReasonTransferRefused, Resource: ResourceGroup,
		Message: "Transfer failed: " + problem}
}

// TransferGroup moves a group, with its subgroups and projects, under another group, or to
// the top level when parentRef is empty. The group's owners may, under a group where they may
// create subgroups (maintainers and above), never into the group's own tree. What shows more
// than the new parent is lowered to the parent's visibility. Nothing moves on disk: projects
// and their repositories are stored by id.
func (s *Projects) TransferGroup(ctx context.Context, a *Actor, ref Ref, parentRef Ref) (Namespace, error) {
	if err := a.requireUser(NeedWrite); err != nil {
		return Namespace{}, err
	}
	g, level, err := s.visibleGroup(ctx, a, ref)
	if err != nil {
		return Namespace{}, err
	}
	if level < Owner {
		return Namespace{}, Forbidden()
	}
	var parent *Namespace
	if parentRef.String() != "" {
		p, plevel, err := s.visibleGroup(ctx, a, parentRef)
		if err != nil {
			return Namespace{}, err
		}
		switch {
		case p.ID == g.ParentID:
			return Namespace{}, groupTransferRefused("Group is already associated to the parent group.")
		case p.ID == g.ID || len(p.FullPath) > len(g.FullPath) && p.FullPath[:len(g.FullPath)+1] == g.FullPath+"/":
			return Namespace{}, groupTransferRefused("Cannot transfer group to one of its subgroup.")
		case plevel < Maintainer:
			return Namespace{}, groupTransferRefused("You don't have enough permissions.")
		}
		parent = &p
	} else if g.ParentID == 0 {
		return Namespace{}, groupTransferRefused("Group is already a root group.")
	} else if !a.IsAdmin() && !a.User.CanCreateGroup {
		return Namespace{}, groupTransferRefused("You don't have enough permissions.")
	}
	oldPath, oldName := g.FullPath, g.FullName
	g.ParentID, g.FullPath, g.FullName = 0, g.Path, g.Name
	if parent != nil {
		g.ParentID, g.FullPath, g.FullName = parent.ID, parent.FullPath+"/"+g.Path, parent.FullName+" / "+g.Name
	}
	g.UpdatedAt = s.Now()
	err = s.db.Write(ctx, func(tx *sql.Tx) error {
		if err := checkPathFree(ctx, tx, g.FullPath, g.ID, 0); ErrorCode(err) == EConflict {
			return groupTransferRefused("The parent group already has a subgroup or a project with the same path.")
		} else if err != nil {
			return err
		}
		if err := db.UpdateNamespace(ctx, tx, g); err != nil {
			return err
		}
		if err := db.RenameNamespaceTree(ctx, tx, oldPath, g.FullPath, oldName, g.FullName); err != nil {
			return err
		}
		if parent != nil && visibilityRank(g.Visibility) > visibilityRank(parent.Visibility) {
			return db.CapTreeVisibility(ctx, tx, g.ID, parent.Visibility, visibilityRank(parent.Visibility))
		}
		return nil
	})
	if err != nil {
		return Namespace{}, err
	}
	s.audit(ctx, a, "group_transferred", "group", g.ID, oldPath+" to "+g.FullPath)
	out, err := db.NamespaceByID(ctx, s.db.Read, g.ID)
	return out, err
}

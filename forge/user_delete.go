package forge

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"

	"github.com/cairn-forge/cairn/db"
)

// settingGhostUser holds the id of the Ghost User once it exists.
const settingGhostUser = "ghost_user_id"

const ghostBio = "Stands in for users who have since been deleted, as the author of what they did. " +
	"This user cannot be removed."

// DeleteUser removes a user, as GitLab's DELETE /users/:id does; only administrators may, and
// they may remove themselves. The user's personal projects go with their repositories, and
// their tokens, sessions and memberships go. What they wrote or did in other projects (issues,
// merge requests, notes, award emoji, events, releases, deployments, defects) stays, credited
// to the Ghost User, unless hard is set: then their issues, merge requests, notes, award emoji
// and events go too, and so do the groups nobody else owns (with their projects), which
// otherwise refuse the deletion.
// Deleting a user who was already deleted succeeds.
func (s *Accounts) DeleteUser(ctx context.Context, a *Actor, id int64, hard bool) error {
	if err := a.requireAdmin(NeedWrite); err != nil {
		return err
	}
	var (
		d    userDeletion
		gone bool
	)
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		u, err := db.UserByID(ctx, tx, id)
		if errors.Is(err, db.ErrNotFound) {
			if gone, err = db.UserWasDeleted(ctx, tx, id); err == nil && !gone {
				err = NotFound(ResourceUser)
			}
			return err
		}
		if err != nil {
			return err
		}
		d, err = s.deleteUser(ctx, tx, a, u, hard)
		return err
	})
	if err != nil || gone {
		return err
	}
	for _, g := range d.groups {
		s.audit(ctx, a, "group_deleted", "group", g.ID, g.FullPath)
	}
	details := d.user.Username
	if hard {
		details += " (hard delete)"
	}
	s.audit(ctx, a, "user_deleted", "user", id, details)
	// The rows went first: a repository left behind by a failure here has no project, and
	// Reconcile removes it at the next start.
	for _, p := range d.projects {
		if err := s.repos.Delete(p); err != nil {
			s.log.Error("delete repository", "project_id", p, "err", err)
		}
	}
	return nil
}

// userDeletion is what the deletion of a user removed: the user, the groups only they
// owned, and the projects whose repositories are to go.
type userDeletion struct {
	user     User
	groups   []Namespace
	projects []int64
}

// deleteUser removes u in tx, refusing the Ghost User and, unless hard, the sole owner of a
// group.
func (s *Service) deleteUser(ctx context.Context, tx *sql.Tx, a *Actor, u User, hard bool) (userDeletion, error) {
	d := userDeletion{user: u}
	now := s.Now()
	ghost, err := ghostUserID(ctx, tx)
	if err != nil {
		return d, err
	}
	if ghost == u.ID {
		return d, Forbiddenf("The Ghost User cannot be removed")
	}
	owned, err := db.SoleOwnedGroups(ctx, tx, u.ID)
	if err != nil {
		return d, err
	}
	if len(owned) > 0 && !hard {
		return d, Conflictf("User cannot be removed while is the sole-owner of a group")
	}
	for _, g := range owned {
		ids, err := deleteGroupTree(ctx, tx, g.ID, a.UserID(), now)
		if errors.Is(err, db.ErrNotFound) {
			continue // below a group deleted before it
		}
		if err != nil {
			return d, err
		}
		d.groups, d.projects = append(d.groups, g), append(d.projects, ids...)
	}
	if u.NamespaceID != 0 {
		ids, err := deleteProjectsIn(ctx, tx, u.NamespaceID, a.UserID(), now)
		if err != nil {
			return d, err
		}
		d.projects = append(d.projects, ids...)
	}
	if hard {
		err = deleteContributions(ctx, tx, u.ID)
	} else if ghost, err = s.ghostUser(ctx, tx, now); err == nil {
		err = db.ReassignContributions(ctx, tx, u.ID, ghost)
		if err == nil {
			err = db.ReassignAwardEmoji(ctx, tx, u.ID, ghost)
		}
	}
	if err != nil {
		return d, err
	}
	if err := db.TombstoneUser(ctx, tx, u.ID, a.UserID(), now); err != nil {
		return d, err
	}
	return d, db.DeleteUser(ctx, tx, u.ID)
}

// deleteContributions removes what user authored, refusing while one of their merge
// requests is being merged (the merge would finish on a row that is gone).
func deleteContributions(ctx context.Context, tx *sql.Tx, user int64) error {
	locked, err := db.AuthorHasLockedMergeRequest(ctx, tx, user)
	if err != nil {
		return err
	}
	if locked {
		return mergeInProgress(ActionDelete)
	}
	return db.DeleteContributions(ctx, tx, user)
}

// deleteGroupTree removes group id with its subgroups and projects, leaving tombstones as
// DeleteGroup does, and returns the ids of the projects whose repositories are to go.
func deleteGroupTree(ctx context.Context, tx *sql.Tx, id, by int64, now time.Time) ([]int64, error) {
	if _, err := db.NamespaceByID(ctx, tx, id); err != nil {
		return nil, err
	}
	ids, err := deleteProjectsIn(ctx, tx, id, by, now)
	if err != nil {
		return nil, err
	}
	if err := db.TombstoneNamespaceTree(ctx, tx, id, by, now); err != nil {
		return nil, err
	}
	return ids, db.DeleteNamespace(ctx, tx, id)
}

// deleteProjectsIn removes the projects of namespace id and the namespaces below it, each
// through db.DeleteProject as a project's own deletion does, and returns their ids.
func deleteProjectsIn(ctx context.Context, tx *sql.Tx, id, by int64, now time.Time) ([]int64, error) {
	ids, err := db.ProjectIDsInNamespaceTree(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	for _, pid := range ids {
		p, err := db.ProjectByID(ctx, tx, pid)
		if err != nil {
			return nil, err
		}
		if err := db.DeleteProject(ctx, tx, p, by, now); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// ghostUserID returns the id of the Ghost User, or 0 while there is none.
func ghostUserID(ctx context.Context, q db.Querier) (int64, error) {
	v, err := db.Setting(ctx, q, settingGhostUser)
	if errors.Is(err, db.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	id, ok := parseID(v)
	if !ok {
		return 0, nil
	}
	return id, nil
}

// ghostUser returns the id of GitLab's Ghost User, who is credited with what deleted users
// did, making it the first time it is needed: a blocked user without a password, who can
// neither sign in nor use a token. Its username is "ghost", or "ghost1", "ghost2"… when a
// user or group already has the name.
func (s *Service) ghostUser(ctx context.Context, tx *sql.Tx, now time.Time) (int64, error) {
	id, err := ghostUserID(ctx, tx)
	if err != nil {
		return 0, err
	}
	if id != 0 {
		if _, err := db.UserByID(ctx, tx, id); err == nil {
			return id, nil
		} else if !errors.Is(err, db.ErrNotFound) {
			return 0, err
		}
	}
	for n := 0; ; n++ {
		name := "ghost"
		if n > 0 {
			name += strconv.Itoa(n)
		}
		u := User{
			Username:  name,
			Email:     name + "@example.com",
			Name:      "Ghost User",
			State:     "blocked",
			Bio:       ghostBio,
			CreatedAt: now,
			UpdatedAt: now,
		}
		if err := checkUserUnique(ctx, tx, u); ErrorCode(err) == EConflict {
			continue
		} else if err != nil {
			return 0, err
		}
		id, err := insertUser(ctx, tx, u, "")
		if err != nil {
			return 0, err
		}
		return id, db.SetSetting(ctx, tx, settingGhostUser, strconv.FormatInt(id, 10))
	}
}

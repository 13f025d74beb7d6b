package forge

import (
	"context"
	"database/sql"

	"github.com/cairn-forge/cairn/db"
)

// SetUserBanned bans an active user or lifts the ban of a banned one; only administrators may.
// A banned user is blocked (tokens and sessions refused) and shown as "banned". Any other
// state refuses the change, naming it, as GitLab's ban service does.
func (s *Accounts) SetUserBanned(ctx context.Context, a *Actor, id int64, ban bool) error {
	if err := a.requireAdmin(NeedWrite); err != nil {
		return err
	}
	action, from, to := "unban", "banned", "active"
	if ban {
		action, from, to = "ban", "active", "banned"
	}
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		u, err := db.UserByID(ctx, tx, id)
		if err != nil {
			return notFoundAs(err, ResourceUser)
		}
		if u.State != from || ban && u.ID == a.User.ID {
			return Forbiddenf("You cannot %s %s users.", action, u.State)
		}
		u.State, u.UpdatedAt = to, s.Now()
		if ban {
			if err := db.DeleteUserSessions(ctx, tx, id, nil); err != nil {
				return err
			}
		}
		return db.UpdateUser(ctx, tx, u)
	})
	if err != nil {
		return err
	}
	s.audit(ctx, a, "user_"+action+"ned", "user", id, "")
	return nil
}

package forge

import (
	"context"
	"database/sql"
	"strconv"
	"time"

	"github.com/cairn-forge/cairn/db"
)

// Accounts are locked as GitLab locks them (Devise's lockable, GitLab's defaults): the 10th
// failed password in a row locks the account for 10 minutes, during which even the right
// password does not sign in. Tokens and sessions go on working: the lock slows down guessing
// of the password, it does not take the account away from its owner.
const (
	MaxFailedSignIns   = 10
	SignInLockDuration = 10 * time.Minute
)

// SignInLocked reports whether u's account is locked for failed passwords now.
func (s *Accounts) SignInLocked(u User) bool {
	return u.LockedAt != nil && s.Now().Before(u.LockedAt.Add(SignInLockDuration))
}

// recordFailedSignIn counts a failed password of user id and locks the account at the
// limit. Failures while locked are not counted, so guessing does not extend a lock; the first
// failure after a lock ran out starts a new count.
func (s *Service) recordFailedSignIn(ctx context.Context, id int64, ip string) error {
	var locked, expired bool
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		u, err := db.UserByID(ctx, tx, id)
		if err != nil {
			return err
		}
		now := s.Now()
		attempts, lockedAt := u.FailedAttempts, u.LockedAt
		if lockedAt != nil {
			if s.Accounts.SignInLocked(u) {
				return nil
			}
			attempts, lockedAt, expired = 0, nil, true
		}
		attempts++
		if attempts >= MaxFailedSignIns {
			lockedAt, locked = &now, true
		}
		return db.SetSignInLock(ctx, tx, id, attempts, lockedAt)
	})
	if err != nil {
		return err
	}
	if expired {
		s.audit(ctx, Anonymous(ip), "user_unlocked", "user", id, "the lock ran out")
	}
	if locked {
		s.audit(ctx, Anonymous(ip), "user_locked", "user", id,
			strconv.Itoa(MaxFailedSignIns)+" failed sign-ins in a row")
	}
	return nil
}

// clearFailedSignIns forgets u's failed passwords after a successful sign-in.
func (s *Service) clearFailedSignIns(ctx context.Context, u User, ip string) error {
	if u.FailedAttempts == 0 && u.LockedAt == nil {
		return nil
	}
	if err := s.db.Write(ctx, func(tx *sql.Tx) error { return db.SetSignInLock(ctx, tx, u.ID, 0, nil) }); err != nil {
		return err
	}
	if u.LockedAt != nil {
		s.audit(ctx, Anonymous(ip), "user_unlocked", "user", u.ID, "the lock ran out")
	}
	return nil
}

// UnlockUser lifts the sign-in lock of a user and forgets their failed passwords, as
// GitLab's administrators do from the Admin area; only administrators may. It reports
// whether the account was locked.
func (s *Accounts) UnlockUser(ctx context.Context, a *Actor, id int64) (bool, error) {
	if err := a.requireAdmin(NeedWrite); err != nil {
		return false, err
	}
	var was bool
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		u, err := db.UserByID(ctx, tx, id)
		if err != nil {
			return notFoundAs(err, ResourceUser)
		}
		was = s.SignInLocked(u)
		if u.FailedAttempts == 0 && u.LockedAt == nil {
			return nil
		}
		return db.SetSignInLock(ctx, tx, id, 0, nil)
	})
	if err != nil {
		return false, err
	}
	if was {
		s.audit(ctx, a, "user_unlocked", "user", id, "by an administrator")
	}
	return was, nil
}

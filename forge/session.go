package forge

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"time"

	"github.com/cairn-forge/cairn/db"
)

// SessionLifetime is how long a browser stays signed in.
const SessionLifetime = 7 * 24 * time.Hour

// Session is a new browser session: the cookie's secret and the CSRF token writes must echo,
// both shown only now.
type Session struct {
	Secret    string
	CSRF      string
	ExpiresAt time.Time
}

// SignIn checks a username-or-email and password and opens a session. Failures are audited
// and say nothing of which part was wrong. previous is the secret of the session cookie the
// browser came with, if any: it is ended, so that a cookie planted before sign-in (session
// fixation) or left by another user is worth nothing after.
func (s *Access) SignIn(ctx context.Context, login, password, ip, previous string) (User, Session, error) {
	u, err := s.Accounts.VerifyPassword(ctx, login, password, ip)
	if err != nil {
		return User{}, Session{}, err
	}
	now := s.Now()
	sess := Session{Secret: s.randomSecret(32), CSRF: s.randomSecret(32), ExpiresAt: now.Add(SessionLifetime)}
	err = s.db.Write(ctx, func(tx *sql.Tx) error {
		if previous != "" {
			if err := db.DeleteSession(ctx, tx, HashToken(previous)); err != nil {
				return err
			}
		}
		if err := db.InsertSession(ctx, tx, db.Session{
			Hash:      HashToken(sess.Secret),
			UserID:    u.ID,
			CSRF:      sess.CSRF,
			IP:        ip,
			CreatedAt: now,
			ExpiresAt: sess.ExpiresAt,
		}); err != nil {
			return err
		}
		return db.SetLastSignIn(ctx, tx, u.ID, now)
	})
	if err != nil {
		return User{}, Session{}, err
	}
	s.audit(ctx, &Actor{User: &u, IP: ip}, "signed_in", "user", u.ID, "")
	return u, sess, nil
}

// SessionActor returns the actor a session cookie stands for. A write (unsafe) request must
// also carry the session's CSRF token; without it the request counts as anonymous, so that a
// page on another site cannot act with the browser's cookie.
func (s *Access) SessionActor(ctx context.Context, secret, csrf string, unsafe bool, ip string) (*Actor, error) {
	sess, u, err := s.liveSession(ctx, secret)
	if err != nil || sess == nil {
		return Anonymous(ip), err
	}
	if unsafe && !csrfMatches(csrf, sess.CSRF) {
		return Anonymous(ip), nil
	}
	return &Actor{User: &u, IP: ip, session: sess.Hash, csrf: sess.CSRF}, nil
}

// liveSession returns the session of a cookie's secret with its user, or nil when it is
// unknown, expired or its user may not sign in.
func (s *Service) liveSession(ctx context.Context, secret string) (*db.Session, User, error) {
	sess, u, err := db.SessionAndUserByHash(ctx, s.db.Read, HashToken(secret))
	if errors.Is(err, db.ErrNotFound) {
		return nil, User{}, nil
	}
	if err != nil {
		return nil, User{}, err
	}
	if !s.Now().Before(sess.ExpiresAt) || u.State != "active" {
		return nil, User{}, nil
	}
	return &sess, u, nil
}

// NewFormToken returns a random token for a form shown before sign-in, which the browser
// echoes from a cookie and a hidden field (double submit): a page on another site can send
// neither, so it cannot sign a browser in to an account of its choosing (login CSRF).
func (s *Access) NewFormToken() string { return s.randomSecret(32) }

// FormTokenMatches reports whether a form's token is the one its cookie holds.
func FormTokenMatches(field, cookie string) bool { return csrfMatches(field, cookie) }

func csrfMatches(given, want string) bool {
	return given != "" && subtle.ConstantTimeCompare([]byte(given), []byte(want)) == 1
}

// SignOut ends a session. It needs the session's CSRF token, so that another site cannot
// sign a browser out; ending a session that is gone succeeds.
func (s *Access) SignOut(ctx context.Context, secret, csrf string) error {
	sess, _, err := s.liveSession(ctx, secret)
	if err != nil {
		return err
	}
	if sess != nil && !csrfMatches(csrf, sess.CSRF) {
		return Forbiddenf("The form was not sent from this site: sign out from cairn's own page")
	}
	return db.DeleteSession(ctx, s.db.Writer(), HashToken(secret))
}

// RevokeSessions signs a user out everywhere: every browser session of theirs ends (tokens
// stay). Administrators may do it to anyone, users to themselves.
func (s *Access) RevokeSessions(ctx context.Context, a *Actor, userID int64) error {
	if err := a.requireUser(NeedWrite); err != nil {
		return err
	}
	if !a.IsAdmin() && a.User.ID != userID {
		return Forbidden()
	}
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		if _, err := db.UserByID(ctx, tx, userID); err != nil {
			return notFoundAs(err, ResourceUser)
		}
		return db.DeleteUserSessions(ctx, tx, userID, nil)
	})
	if err != nil {
		return err
	}
	s.audit(ctx, a, "sessions_revoked", "user", userID, "signed out everywhere")
	return nil
}

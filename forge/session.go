package forge

import (
	"context"
	"crypto/subtle"
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
// and say nothing of which part was wrong.
func (s *Service) SignIn(ctx context.Context, login, password, ip string) (User, Session, error) {
	u, err := s.VerifyPassword(ctx, login, password, ip)
	if err != nil {
		return User{}, Session{}, err
	}
	now := s.Now()
	sess := Session{Secret: s.randomSecret(32), CSRF: s.randomSecret(32), ExpiresAt: now.Add(SessionLifetime)}
	if err := db.InsertSession(ctx, s.db.Writer(), db.Session{Hash: HashToken(sess.Secret), UserID: u.ID,
		CSRF: sess.CSRF, IP: ip, CreatedAt: now, ExpiresAt: sess.ExpiresAt}); err != nil {
		return User{}, Session{}, err
	}
	if err := db.SetLastSignIn(ctx, s.db.Writer(), u.ID, now); err != nil {
		return User{}, Session{}, err
	}
	s.audit(ctx, &Actor{User: &u, IP: ip}, "signed_in", "user", u.ID, "")
	return u, sess, nil
}

// SessionActor returns the actor a session cookie stands for. A write (unsafe) request must
// also carry the session's CSRF token; without it the request counts as anonymous, so that a
// page on another site cannot act with the browser's cookie.
func (s *Service) SessionActor(ctx context.Context, secret, csrf string, unsafe bool, ip string) (*Actor, error) {
	sess, u, err := db.SessionAndUserByHash(ctx, s.db.Read, HashToken(secret))
	if errors.Is(err, db.ErrNotFound) {
		return Anonymous(ip), nil
	}
	if err != nil {
		return nil, err
	}
	if !s.Now().Before(sess.ExpiresAt) || u.State != "active" {
		return Anonymous(ip), nil
	}
	if unsafe && subtle.ConstantTimeCompare([]byte(csrf), []byte(sess.CSRF)) != 1 {
		return Anonymous(ip), nil
	}
	return &Actor{User: &u, IP: ip}, nil
}

// SignOut ends a session; ending one that is gone succeeds.
func (s *Service) SignOut(ctx context.Context, secret string) error {
	return db.DeleteSession(ctx, s.db.Writer(), HashToken(secret))
}

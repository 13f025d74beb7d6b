package db

import (
	"context"
	"fmt"
	"time"

	"github.com/cairn-forge/cairn/forge/model"
)

// Session is a signed-in browser.
type Session struct {
	Hash      []byte
	UserID    int64
	CSRF      string
	IP        string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// InsertSession records s, and drops the sessions that have expired.
func InsertSession(ctx context.Context, q Querier, s Session) error {
	if _, err := q.ExecContext(ctx, "DELETE FROM sessions WHERE expires_at <= ?", ms(s.CreatedAt)); err != nil {
		return fmt.Errorf("expire sessions: %w", wrap(err))
	}
	_, err := q.ExecContext(ctx, `INSERT INTO sessions (hash, user_id, csrf, ip, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?)`, s.Hash, s.UserID, s.CSRF, s.IP, ms(s.CreatedAt), ms(s.ExpiresAt))
	if err != nil {
		return fmt.Errorf("insert session: %w", wrap(err))
	}
	return nil
}

// SessionAndUserByHash returns the session whose secret hashes to hash, with its user.
func SessionAndUserByHash(ctx context.Context, q Querier, hash []byte) (Session, model.User, error) {
	var s Session
	var u model.User
	var us userScan
	var created, expires int64
	err := q.QueryRowContext(ctx, "SELECT s.hash, s.user_id, s.csrf, s.ip, s.created_at, s.expires_at, "+userColumns+
		" FROM sessions s JOIN users u ON u.id = s.user_id LEFT JOIN namespaces n ON n.owner_id = u.id WHERE s.hash = ?", hash).
		Scan(append([]any{&s.Hash, &s.UserID, &s.CSRF, &s.IP, &created, &expires}, us.dest(&u)...)...)
	if err != nil {
		return Session{}, model.User{}, wrap(err)
	}
	us.finish(&u)
	s.CreatedAt, s.ExpiresAt = fromMS(created), fromMS(expires)
	return s, u, nil
}

// DeleteSession ends the session whose secret hashes to hash.
func DeleteSession(ctx context.Context, q Querier, hash []byte) error {
	_, err := q.ExecContext(ctx, "DELETE FROM sessions WHERE hash = ?", hash)
	return wrap(err)
}

// DeleteUserSessions ends every session of a user but the one whose secret hashes to keep
// (none when nil).
func DeleteUserSessions(ctx context.Context, q Querier, userID int64, keep []byte) error {
	_, err := q.ExecContext(ctx, "DELETE FROM sessions WHERE user_id = ? AND hash IS NOT ?", userID, keep)
	return wrap(err)
}

// SetLastSignIn records when a user last signed in.
func SetLastSignIn(ctx context.Context, q Querier, userID int64, t time.Time) error {
	_, err := q.ExecContext(ctx, "UPDATE users SET last_sign_in_at = ? WHERE id = ?", ms(t), userID)
	return wrap(err)
}

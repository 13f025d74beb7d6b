package db

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Email is a row of user_emails: a user's secondary email.
type Email struct {
	ID          int64
	UserID      int64
	Email       string
	ConfirmedAt *time.Time
	CreatedAt   time.Time
}

func scanEmail(row interface{ Scan(...any) error }) (Email, error) {
	var e Email
	var confirmed sql.NullInt64
	var created int64
	if err := row.Scan(&e.ID, &e.UserID, &e.Email, &confirmed, &created); err != nil {
		return Email{}, wrap(err)
	}
	e.ConfirmedAt, e.CreatedAt = fromNullMS(confirmed), fromMS(created)
	return e, nil
}

const emailColumns = "id, user_id, email, confirmed_at, created_at"

// ListEmails returns one page of a user's secondary emails, oldest first, and the total.
func ListEmails(ctx context.Context, q Querier, user int64, limit, offset int) ([]Email, int, error) {
	return listPage(ctx, q, "SELECT COUNT(*) FROM user_emails WHERE user_id = ?",
		"SELECT "+emailColumns+" FROM user_emails WHERE user_id = ? ORDER BY id", []any{user}, limit, offset, scanEmail)
}

// EmailByID returns the secondary email with id.
func EmailByID(ctx context.Context, q Querier, id int64) (Email, error) {
	return scanEmail(q.QueryRowContext(ctx, "SELECT "+emailColumns+" FROM user_emails WHERE id = ?", id))
}

// EmailTaken reports whether email is anyone's, primary or secondary.
func EmailTaken(ctx context.Context, q Querier, email string) (bool, error) {
	var taken bool
	err := q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE email = ?)
		OR EXISTS (SELECT 1 FROM user_emails WHERE email = ?)`, email, email).Scan(&taken)
	return taken, wrap(err)
}

// InsertEmail adds e and returns its id.
func InsertEmail(ctx context.Context, tx *sql.Tx, e Email) (int64, error) {
	res, err := tx.ExecContext(ctx,
		"INSERT INTO user_emails (user_id, email, confirmed_at, created_at) VALUES (?, ?, ?, ?)",
		e.UserID, e.Email, msPtr(e.ConfirmedAt), ms(e.CreatedAt))
	if err != nil {
		return 0, fmt.Errorf("insert email: %w", wrap(err))
	}
	return res.LastInsertId()
}

// DeleteEmail removes secondary email id.
func DeleteEmail(ctx context.Context, tx *sql.Tx, id int64) error {
	_, err := tx.ExecContext(ctx, "DELETE FROM user_emails WHERE id = ?", id)
	return wrap(err)
}

// UserStatus is a row of user_statuses.
type UserStatus struct {
	UserID        int64
	Emoji         string
	Message       string
	Availability  string
	ClearStatusAt *time.Time
}

// StatusOf returns user's status; a user who set none has the zero status.
func StatusOf(ctx context.Context, q Querier, user int64) (UserStatus, error) {
	st := UserStatus{UserID: user, Availability: "not_set"}
	var clear sql.NullInt64
	err := q.QueryRowContext(ctx,
		"SELECT emoji, message, availability, clear_status_at FROM user_statuses WHERE user_id = ?",
		user).Scan(&st.Emoji, &st.Message, &st.Availability, &clear)
	if err == sql.ErrNoRows {
		return st, nil
	}
	st.ClearStatusAt = fromNullMS(clear)
	return st, wrap(err)
}

// SetStatus writes a user's status.
func SetStatus(ctx context.Context, tx *sql.Tx, st UserStatus) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO user_statuses (user_id, emoji, message, availability, clear_status_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET emoji = excluded.emoji, message = excluded.message,
		availability = excluded.availability, clear_status_at = excluded.clear_status_at`,
		st.UserID, st.Emoji, st.Message, st.Availability, msPtr(st.ClearStatusAt))
	return wrap(err)
}

// Identity is a row of identities: a user's account at another provider.
type Identity struct {
	UserID    int64
	Provider  string
	ExternUID string
}

// IdentitiesOf returns a user's identities, by provider.
func IdentitiesOf(ctx context.Context, q Querier, user int64) ([]Identity, error) {
	return queryAll(ctx, q, "SELECT user_id, provider, extern_uid FROM identities WHERE user_id = ? ORDER BY provider",
		[]any{user}, func(row interface{ Scan(...any) error }) (Identity, error) {
			var i Identity
			return i, wrap(row.Scan(&i.UserID, &i.Provider, &i.ExternUID))
		})
}

// SetIdentity records user's uid at provider, replacing the one they had there.
func SetIdentity(ctx context.Context, tx *sql.Tx, i Identity, at time.Time) error {
	_, err := tx.ExecContext(ctx,
		`INSERT INTO identities (user_id, provider, extern_uid, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (user_id, provider) DO UPDATE SET extern_uid = excluded.extern_uid`,
		i.UserID, i.Provider, i.ExternUID, ms(at))
	if err != nil {
		return fmt.Errorf("set identity: %w", wrap(err))
	}
	return nil
}

// DeleteIdentity removes user's identity at provider; deleted is false when there was none.
func DeleteIdentity(ctx context.Context, tx *sql.Tx, user int64, provider string) (deleted bool, err error) {
	res, err := tx.ExecContext(ctx, "DELETE FROM identities WHERE user_id = ? AND provider = ?", user, provider)
	if err != nil {
		return false, wrap(err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// CustomAttribute is a row of custom_attributes.
type CustomAttribute struct {
	Key   string
	Value string
}

// CustomAttributes returns the custom attributes of a user, group or project, by key.
func CustomAttributes(ctx context.Context, q Querier, kind string, id int64) ([]CustomAttribute, error) {
	return queryAll(ctx, q, "SELECT key, value FROM custom_attributes WHERE kind = ? AND target_id = ? ORDER BY key",
		[]any{kind, id}, func(row interface{ Scan(...any) error }) (CustomAttribute, error) {
			var c CustomAttribute
			return c, wrap(row.Scan(&c.Key, &c.Value))
		})
}

// SetCustomAttribute writes one custom attribute.
func SetCustomAttribute(ctx context.Context, tx *sql.Tx, kind string, id int64, c CustomAttribute) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO custom_attributes (kind, target_id, key, value) VALUES (?, ?, ?, ?)
		ON CONFLICT (kind, target_id, key) DO UPDATE SET value = excluded.value`, kind, id, c.Key, c.Value)
	return wrap(err)
}

// DeleteCustomAttribute removes one custom attribute; deleted is false when there was none.
func DeleteCustomAttribute(ctx context.Context, tx *sql.Tx, kind string, id int64, key string) (bool, error) {
	res, err := tx.ExecContext(ctx,
		"DELETE FROM custom_attributes WHERE kind = ? AND target_id = ? AND key = ?", kind, id, key)
	if err != nil {
		return false, wrap(err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

package db

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/cairn-forge/cairn/forge/model"
)

const tokenColumns = `t.id, t.user_id, t.name, t.description, t.scopes, t.impersonation,
	t.created_at, t.expires_at, t.last_used_at, t.revoked_at, COALESCE(t.rotated_from, 0)`

func scanToken(row interface{ Scan(...any) error }) (model.Token, error) {
	var t model.Token
	var sc tokenScan
	if err := row.Scan(sc.dest(&t)...); err != nil {
		return model.Token{}, wrap(err)
	}
	sc.finish(&t)
	return t, nil
}

// tokenScan holds the columns of tokenColumns that need converting after a scan.
type tokenScan struct {
	scopes                 string
	created                int64
	expires, used, revoked sql.NullInt64
}

func (sc *tokenScan) dest(t *model.Token) []any {
	return []any{&t.ID, &t.UserID, &t.Name, &t.Description, &sc.scopes, &t.Impersonation,
		&sc.created, &sc.expires, &sc.used, &sc.revoked, &t.RotatedFrom}
}

func (sc *tokenScan) finish(t *model.Token) {
	t.Scopes = strings.Fields(sc.scopes)
	t.CreatedAt = fromMS(sc.created)
	t.ExpiresAt, t.LastUsedAt, t.RevokedAt = fromNullMS(sc.expires), fromNullMS(sc.used), fromNullMS(sc.revoked)
}

// TokenAndUserByHash returns the token whose secret hashes to hash, with its user: the one
// query of every authenticated request.
func TokenAndUserByHash(ctx context.Context, q Querier, hash []byte) (model.Token, model.User, error) {
	var t model.Token
	var u model.User
	var ts tokenScan
	var us userScan
	err := q.QueryRowContext(ctx, "SELECT "+tokenColumns+", "+userColumns+
		" FROM tokens t JOIN users u ON u.id = t.user_id LEFT JOIN namespaces n ON n.owner_id = u.id WHERE t.hash = ?", hash).
		Scan(append(ts.dest(&t), us.dest(&u)...)...)
	if err != nil {
		return model.Token{}, model.User{}, wrap(err)
	}
	ts.finish(&t)
	us.finish(&u)
	return t, u, nil
}

// TokenByHash returns the token whose secret hashes to hash.
func TokenByHash(ctx context.Context, q Querier, hash []byte) (model.Token, error) {
	return scanToken(q.QueryRowContext(ctx, "SELECT "+tokenColumns+" FROM tokens t WHERE t.hash = ?", hash))
}

// TokenByID returns the token with id.
func TokenByID(ctx context.Context, q Querier, id int64) (model.Token, error) {
	return scanToken(q.QueryRowContext(ctx, "SELECT "+tokenColumns+" FROM tokens t WHERE t.id = ?", id))
}

// TokenFilter selects tokens.
type TokenFilter struct {
	UserID        int64
	Impersonation *bool
	// State is "active" (not revoked, not expired at Now), "inactive", or empty for all.
	State  string
	Search string
	Now    time.Time
	Limit  int
	Offset int
}

// ListTokens returns one page of the tokens matching f, oldest first, and the total.
func ListTokens(ctx context.Context, q Querier, f TokenFilter) ([]model.Token, int, error) {
	var where []string
	var args []any
	if f.UserID != 0 {
		where = append(where, "t.user_id = ?")
		args = append(args, f.UserID)
	}
	if f.Impersonation != nil {
		where = append(where, "t.impersonation = ?")
		args = append(args, boolInt(*f.Impersonation))
	}
	switch f.State {
	case "active":
		where = append(where, "t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > ?)")
		args = append(args, ms(f.Now))
	case "inactive":
		where = append(where, "(t.revoked_at IS NOT NULL OR t.expires_at <= ?)")
		args = append(args, ms(f.Now))
	}
	if f.Search != "" {
		where = append(where, "t.name LIKE ? ESCAPE '\\'")
		args = append(args, "%"+escapeLike(f.Search)+"%")
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	return listPage(ctx, q, "SELECT COUNT(*) FROM tokens t"+cond,
		"SELECT "+tokenColumns+" FROM tokens t"+cond+" ORDER BY t.id", args, f.Limit, f.Offset, scanToken)
}

// InsertToken adds t, whose secret hashes to hash, and returns its id.
func InsertToken(ctx context.Context, tx *sql.Tx, t model.Token, hash []byte) (int64, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO tokens (user_id, name, description, hash, scopes,
		impersonation, created_at, expires_at, rotated_from) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.UserID, t.Name, t.Description, hash, strings.Join(t.Scopes, " "), boolInt(t.Impersonation),
		ms(t.CreatedAt), msPtr(t.ExpiresAt), nullID(t.RotatedFrom))
	if err != nil {
		return 0, fmt.Errorf("insert token: %w", wrap(err))
	}
	return res.LastInsertId()
}

// UpdateToken writes the mutable columns of t: name, scopes, expiry, revocation.
func UpdateToken(ctx context.Context, tx *sql.Tx, t model.Token) error {
	_, err := tx.ExecContext(ctx, `UPDATE tokens SET name = ?, description = ?, scopes = ?, expires_at = ?,
		revoked_at = ? WHERE id = ?`, t.Name, t.Description, strings.Join(t.Scopes, " "),
		msPtr(t.ExpiresAt), msPtr(t.RevokedAt), t.ID)
	if err != nil {
		return fmt.Errorf("update token %d: %w", t.ID, wrap(err))
	}
	return nil
}

// TouchToken records that token id was used at t.
func TouchToken(ctx context.Context, tx *sql.Tx, id int64, t time.Time) error {
	_, err := tx.ExecContext(ctx, "UPDATE tokens SET last_used_at = ? WHERE id = ?", ms(t), id)
	return wrap(err)
}

// RevokeTokenFamily revokes every token rotated from id, directly or transitively.
func RevokeTokenFamily(ctx context.Context, tx *sql.Tx, id int64, at time.Time) error {
	_, err := tx.ExecContext(ctx, `WITH RECURSIVE fam(id) AS (
			SELECT ? UNION SELECT t.id FROM tokens t JOIN fam ON t.rotated_from = fam.id)
		UPDATE tokens SET revoked_at = ? WHERE id IN (SELECT id FROM fam) AND revoked_at IS NULL`, id, ms(at))
	return wrap(err)
}

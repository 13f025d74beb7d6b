package db

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// DeployKey is a row of deploy_keys, with its link to one project when read through it.
type DeployKey struct {
	ID                int64
	Title             string
	Key               string
	FingerprintSHA256 string
	FingerprintMD5    string
	CreatedAt         time.Time
	ExpiresAt         *time.Time
	// CanPush is the key's right on the project it was read through.
	CanPush bool
}

const deployKeyColumns = `k.id, k.title, k.key, k.fingerprint_sha256, k.fingerprint_md5, k.created_at, k.expires_at`

func scanDeployKey(withPush bool) func(row interface{ Scan(...any) error }) (DeployKey, error) {
	return func(row interface{ Scan(...any) error }) (DeployKey, error) {
		var k DeployKey
		var created int64
		var expires sql.NullInt64
		dest := []any{&k.ID, &k.Title, &k.Key, &k.FingerprintSHA256, &k.FingerprintMD5, &created, &expires}
		if withPush {
			dest = append(dest, &k.CanPush)
		}
		if err := row.Scan(dest...); err != nil {
			return DeployKey{}, wrap(err)
		}
		k.CreatedAt, k.ExpiresAt = fromMS(created), fromNullMS(expires)
		return k, nil
	}
}

// ListDeployKeys returns one page of every deploy key, and how many there are.
func ListDeployKeys(ctx context.Context, q Querier, limit, offset int) ([]DeployKey, int, error) {
	return listPage(ctx, q, "SELECT COUNT(*) FROM deploy_keys", "SELECT "+deployKeyColumns+
		" FROM deploy_keys k ORDER BY k.id",
		nil, limit, offset, scanDeployKey(false))
}

// ListProjectDeployKeys returns one page of the deploy keys enabled for project.
func ListProjectDeployKeys(ctx context.Context, q Querier, project int64, limit, offset int) ([]DeployKey, int, error) {
	from := " FROM deploy_keys k JOIN deploy_keys_projects dp ON dp.deploy_key_id = k.id WHERE dp.project_id = ?"
	return listPage(ctx, q, "SELECT COUNT(*)"+from, "SELECT "+deployKeyColumns+", dp.can_push"+from+" ORDER BY k.id",
		[]any{project}, limit, offset, scanDeployKey(true))
}

// ProjectDeployKey returns deploy key id as enabled for project.
func ProjectDeployKey(ctx context.Context, q Querier, project, id int64) (DeployKey, error) {
	return scanDeployKey(true)(q.QueryRowContext(ctx, "SELECT "+deployKeyColumns+
		", dp.can_push FROM deploy_keys k JOIN deploy_keys_projects dp ON dp.deploy_key_id = k.id WHERE dp.project_id = ? AND k.id = ?",
		project, id))
}

// DeployKeyByID returns deploy key id.
func DeployKeyByID(ctx context.Context, q Querier, id int64) (DeployKey, error) {
	return scanDeployKey(false)(
		q.QueryRowContext(ctx, "SELECT "+deployKeyColumns+" FROM deploy_keys k WHERE k.id = ?", id))
}

// DeployKeyByFingerprint returns the deploy key of a SHA-256 fingerprint.
func DeployKeyByFingerprint(ctx context.Context, q Querier, fp string) (DeployKey, error) {
	return scanDeployKey(false)(
		q.QueryRowContext(ctx, "SELECT "+deployKeyColumns+" FROM deploy_keys k WHERE k.fingerprint_sha256 = ?", fp))
}

// InsertDeployKey adds k and returns its id.
func InsertDeployKey(ctx context.Context, tx *sql.Tx, k DeployKey) (int64, error) {
	res, err := tx.ExecContext(ctx,
		`INSERT INTO deploy_keys (title, key, fingerprint_sha256, fingerprint_md5, created_at,
		expires_at) VALUES (?, ?, ?, ?, ?, ?)`, k.Title, k.Key, k.FingerprintSHA256, k.FingerprintMD5, ms(k.CreatedAt),
		msPtr(k.ExpiresAt))
	if err != nil {
		return 0, fmt.Errorf("insert deploy key: %w", wrap(err))
	}
	return res.LastInsertId()
}

// UpdateDeployKeyTitle renames deploy key id.
func UpdateDeployKeyTitle(ctx context.Context, tx *sql.Tx, id int64, title string) error {
	_, err := tx.ExecContext(ctx, "UPDATE deploy_keys SET title = ? WHERE id = ?", title, id)
	return wrap(err)
}

// EnableDeployKey links deploy key id to project (or changes can_push on the link).
func EnableDeployKey(ctx context.Context, tx *sql.Tx, id, project int64, canPush bool, at time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO deploy_keys_projects (deploy_key_id, project_id, can_push, created_at)
		VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET can_push = excluded.can_push`, id, project,
		boolInt(canPush), ms(at))
	return wrap(err)
}

// DisableDeployKey unlinks deploy key id from project; a key no project uses any more goes.
func DisableDeployKey(ctx context.Context, tx *sql.Tx, id, project int64) error {
	if _, err := tx.ExecContext(ctx,
		"DELETE FROM deploy_keys_projects WHERE deploy_key_id = ? AND project_id = ?", id, project); err != nil {
		return wrap(err)
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM deploy_keys WHERE id = ?
		AND NOT EXISTS (SELECT 1 FROM deploy_keys_projects WHERE deploy_key_id = ?)`, id, id)
	return wrap(err)
}

// DeployToken is a row of deploy_tokens.
type DeployToken struct {
	ID        int64
	ProjectID int64
	GroupID   int64
	Name      string
	Username  string
	Hash      []byte
	Scopes    []string
	CreatedAt time.Time
	ExpiresAt *time.Time
	RevokedAt *time.Time
}

const deployTokenColumns = `id, COALESCE(project_id, 0), COALESCE(group_id, 0), name, username, hash, scopes,
	created_at, expires_at, revoked_at`

func scanDeployToken(row interface{ Scan(...any) error }) (DeployToken, error) {
	var t DeployToken
	var scopes string
	var created int64
	var expires, revoked sql.NullInt64
	if err := row.Scan(&t.ID, &t.ProjectID, &t.GroupID, &t.Name, &t.Username, &t.Hash, &scopes, &created, &expires,
		&revoked); err != nil {
		return DeployToken{}, wrap(err)
	}
	t.Scopes = strings.Fields(scopes)
	t.CreatedAt, t.ExpiresAt, t.RevokedAt = fromMS(created), fromNullMS(expires), fromNullMS(revoked)
	return t, nil
}

// DeployTokenByHash returns the deploy token whose secret hashes to hash.
func DeployTokenByHash(ctx context.Context, q Querier, hash []byte) (DeployToken, error) {
	return scanDeployToken(
		q.QueryRowContext(ctx, "SELECT "+deployTokenColumns+" FROM deploy_tokens WHERE hash = ?", hash))
}

// DeployTokenByID returns deploy token id.
func DeployTokenByID(ctx context.Context, q Querier, id int64) (DeployToken, error) {
	return scanDeployToken(q.QueryRowContext(ctx, "SELECT "+deployTokenColumns+" FROM deploy_tokens WHERE id = ?", id))
}

// ListDeployTokens returns one page of the deploy tokens of a project or a group (both 0:
// every one), and how many there are; active keeps the usable ones at now.
func ListDeployTokens(ctx context.Context, q Querier, project, group int64, active bool, now time.Time,
	limit, offset int) ([]DeployToken, int, error) {
	cond := " WHERE 1"
	var args []any
	switch {
	case project != 0:
		cond, args = cond+" AND project_id = ?", append(args, project)
	case group != 0:
		cond, args = cond+" AND group_id = ?", append(args, group)
	}
	if active {
		cond += " AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)"
		args = append(args, ms(now))
	}
	return listPage(ctx, q, "SELECT COUNT(*) FROM deploy_tokens"+cond,
		"SELECT "+deployTokenColumns+" FROM deploy_tokens"+cond+" ORDER BY id", args, limit, offset, scanDeployToken)
}

// InsertDeployToken adds t and returns its id.
func InsertDeployToken(ctx context.Context, tx *sql.Tx, t DeployToken) (int64, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO deploy_tokens (project_id, group_id, name, username, hash, scopes,
		created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, nullID(t.ProjectID), nullID(t.GroupID), t.Name,
		t.Username, t.Hash, strings.Join(t.Scopes, " "), ms(t.CreatedAt), msPtr(t.ExpiresAt))
	if err != nil {
		return 0, fmt.Errorf("insert deploy token: %w", wrap(err))
	}
	return res.LastInsertId()
}

// SetDeployTokenUsername names deploy token id's user.
func SetDeployTokenUsername(ctx context.Context, tx *sql.Tx, id int64, username string) error {
	_, err := tx.ExecContext(ctx, "UPDATE deploy_tokens SET username = ? WHERE id = ?", username, id)
	return wrap(err)
}

// RevokeDeployToken revokes deploy token id at t.
func RevokeDeployToken(ctx context.Context, tx *sql.Tx, id int64, t time.Time) error {
	_, err := tx.ExecContext(ctx,
		"UPDATE deploy_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?", ms(t), id)
	return wrap(err)
}

package db

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// SSHKey is a row of ssh_keys.
type SSHKey struct {
	ID                int64
	UserID            int64
	Title             string
	Key               string
	FingerprintSHA256 string
	FingerprintMD5    string
	UsageType         string
	CreatedAt         time.Time
	ExpiresAt         *time.Time
	LastUsedAt        *time.Time
}

const sshKeyColumns = `id, user_id, title, key, fingerprint_sha256, fingerprint_md5, usage_type, created_at,
	expires_at, last_used_at`

func scanSSHKey(row interface{ Scan(...any) error }) (SSHKey, error) {
	var k SSHKey
	var created int64
	var expires, used sql.NullInt64
	if err := row.Scan(&k.ID, &k.UserID, &k.Title, &k.Key, &k.FingerprintSHA256, &k.FingerprintMD5, &k.UsageType,
		&created, &expires, &used); err != nil {
		return SSHKey{}, wrap(err)
	}
	k.CreatedAt, k.ExpiresAt, k.LastUsedAt = fromMS(created), fromNullMS(expires), fromNullMS(used)
	return k, nil
}

// SSHKeyByID returns the SSH key with id.
func SSHKeyByID(ctx context.Context, q Querier, id int64) (SSHKey, error) {
	return scanSSHKey(q.QueryRowContext(ctx, "SELECT "+sshKeyColumns+" FROM ssh_keys WHERE id = ?", id))
}

// SSHKeyByFingerprint returns the SSH key of a SHA-256 ("SHA256:…") or MD5 ("aa:bb:…")
// fingerprint.
func SSHKeyByFingerprint(ctx context.Context, q Querier, fp string) (SSHKey, error) {
	return scanSSHKey(q.QueryRowContext(ctx, "SELECT "+sshKeyColumns+
		" FROM ssh_keys WHERE fingerprint_sha256 = ? OR fingerprint_md5 = ? LIMIT 1", fp, fp))
}

// ListSSHKeys returns one page of a user's SSH keys, oldest first, and how many there are.
func ListSSHKeys(ctx context.Context, q Querier, user int64, limit, offset int) ([]SSHKey, int, error) {
	return listPage(ctx, q, "SELECT COUNT(*) FROM ssh_keys WHERE user_id = ?",
		"SELECT "+sshKeyColumns+" FROM ssh_keys WHERE user_id = ? ORDER BY id", []any{user}, limit, offset, scanSSHKey)
}

// InsertSSHKey adds k and returns its id; a fingerprint already known is a constraint error.
func InsertSSHKey(ctx context.Context, tx *sql.Tx, k SSHKey) (int64, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO ssh_keys (user_id, title, key, fingerprint_sha256, fingerprint_md5,
		usage_type, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		k.UserID, k.Title, k.Key, k.FingerprintSHA256, k.FingerprintMD5, k.UsageType, ms(k.CreatedAt),
		msPtr(k.ExpiresAt))
	if err != nil {
		return 0, fmt.Errorf("insert ssh key: %w", wrap(err))
	}
	return res.LastInsertId()
}

// DeleteSSHKey removes SSH key id.
func DeleteSSHKey(ctx context.Context, tx *sql.Tx, id int64) error {
	_, err := tx.ExecContext(ctx, "DELETE FROM ssh_keys WHERE id = ?", id)
	return wrap(err)
}

// GPGKey is a row of gpg_keys.
type GPGKey struct {
	ID           int64
	UserID       int64
	Key          string
	PrimaryKeyID string
	Fingerprint  string
	SubkeyIDs    []string
	Emails       []string
	CreatedAt    time.Time
}

const gpgKeyColumns = "id, user_id, key, primary_keyid, fingerprint, subkey_ids, emails, created_at"

func scanGPGKey(row interface{ Scan(...any) error }) (GPGKey, error) {
	var k GPGKey
	var subkeys, emails string
	var created int64
	if err := row.Scan(&k.ID, &k.UserID, &k.Key, &k.PrimaryKeyID, &k.Fingerprint, &subkeys, &emails,
		&created); err != nil {
		return GPGKey{}, wrap(err)
	}
	k.SubkeyIDs, k.Emails, k.CreatedAt = splitList(subkeys), splitList(emails), fromMS(created)
	return k, nil
}

// GPGKeyByID returns the GPG key with id.
func GPGKeyByID(ctx context.Context, q Querier, id int64) (GPGKey, error) {
	return scanGPGKey(q.QueryRowContext(ctx, "SELECT "+gpgKeyColumns+" FROM gpg_keys WHERE id = ?", id))
}

// GPGKeyByKeyID returns the GPG key whose primary key or one of whose subkeys has the 16-hex
// key id.
func GPGKeyByKeyID(ctx context.Context, q Querier, keyID string) (GPGKey, error) {
	like := "%" + escapeLike(strings.ToUpper(keyID)) + "%"
	return scanGPGKey(q.QueryRowContext(ctx, "SELECT "+gpgKeyColumns+
		` FROM gpg_keys WHERE primary_keyid = ? OR subkey_ids LIKE ? ESCAPE '\' LIMIT 1`, strings.ToUpper(keyID), like))
}

// ListGPGKeys returns one page of a user's GPG keys, oldest first, and how many there are.
func ListGPGKeys(ctx context.Context, q Querier, user int64, limit, offset int) ([]GPGKey, int, error) {
	return listPage(ctx, q, "SELECT COUNT(*) FROM gpg_keys WHERE user_id = ?",
		"SELECT "+gpgKeyColumns+" FROM gpg_keys WHERE user_id = ? ORDER BY id", []any{user}, limit, offset, scanGPGKey)
}

// InsertGPGKey adds k and returns its id; a fingerprint already known is a constraint error.
func InsertGPGKey(ctx context.Context, tx *sql.Tx, k GPGKey) (int64, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO gpg_keys (user_id, key, primary_keyid, fingerprint, subkey_ids,
		emails, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`, k.UserID, k.Key, k.PrimaryKeyID, k.Fingerprint,
		joinList(k.SubkeyIDs), joinList(k.Emails), ms(k.CreatedAt))
	if err != nil {
		return 0, fmt.Errorf("insert gpg key: %w", wrap(err))
	}
	return res.LastInsertId()
}

// DeleteGPGKey removes GPG key id.
func DeleteGPGKey(ctx context.Context, tx *sql.Tx, id int64) error {
	_, err := tx.ExecContext(ctx, "DELETE FROM gpg_keys WHERE id = ?", id)
	return wrap(err)
}

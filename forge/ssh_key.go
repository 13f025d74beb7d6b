package forge

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/cairn-forge/cairn/db"
	"golang.org/x/crypto/ssh"
)

// SSHKey is a user's SSH public key, known instance-wide by its fingerprint.
type SSHKey struct {
	ID     int64
	UserID int64
	Title  string
	// Key is the public key in authorized_keys form ("ssh-ed25519 AAAA… comment").
	Key               string
	FingerprintSHA256 string
	FingerprintMD5    string
	// UsageType is auth, signing or auth_and_signing.
	UsageType  string
	CreatedAt  time.Time
	ExpiresAt  *time.Time
	LastUsedAt *time.Time
}

// SSHKeyInput is a key to add.
type SSHKeyInput struct {
	Title     string
	Key       string
	ExpiresAt *time.Time
	UsageType string
}

func sshKeyOf(r db.SSHKey) SSHKey {
	return SSHKey{
		ID:                r.ID,
		UserID:            r.UserID,
		Title:             r.Title,
		Key:               r.Key,
		FingerprintSHA256: r.FingerprintSHA256,
		FingerprintMD5:    r.FingerprintMD5,
		UsageType:         r.UsageType,
		CreatedAt:         r.CreatedAt,
		ExpiresAt:         r.ExpiresAt,
		LastUsedAt:        r.LastUsedAt,
	}
}

// ParseSSHKey reads one public key in authorized_keys form and returns it cleaned (type,
// base64 and comment on one line) with its SHA-256 and MD5 fingerprints, as GitLab shows them
// ("SHA256:…", "aa:bb:…"). DSA keys are refused, as GitLab refuses them by default.
func ParseSSHKey(text string) (key, sha256, md5 string, err error) {
	text = strings.TrimSpace(text)
	invalid := FieldErrors{"key": {"is invalid"}, "fingerprint_sha256": {"cannot be generated"}}
	if text == "" || strings.ContainsAny(text, "\r\n") {
		return "", "", "", invalid.Err()
	}
	pub, comment, options, rest, perr := ssh.ParseAuthorizedKey([]byte(text))
	if perr != nil || len(options) > 0 || len(rest) > 0 {
		return "", "", "", invalid.Err()
	}
	if pub.Type() == "ssh-dss" {
		return "", "", "", FieldErrors{"key": {"type is forbidden. Must be RSA, ECDSA, ED25519, ECDSA_SK, or ED25519_SK"}}.Err()
	}
	key = strings.TrimSpace(strings.TrimSuffix(string(ssh.MarshalAuthorizedKey(pub)), "\n") + " " + comment)
	return key, ssh.FingerprintSHA256(pub), ssh.FingerprintLegacyMD5(pub), nil
}

// keyOwner resolves whose keys a request is about: ref "" is the actor, whose own token may
// read (read_user) and change (api) them; another user's keys are public to read and only
// administrators change them.
func (s *Service) keyOwner(ctx context.Context, a *Actor, ref Ref, write bool) (User, error) {
	need := NeedReadUser
	if write {
		need = NeedWrite
	}
	if ref.String() == "" {
		if err := a.requireUser(need); err != nil {
			return User{}, err
		}
		return *a.User, nil
	}
	if write {
		if err := a.requireAdmin(need); err != nil {
			return User{}, err
		}
	} else if err := a.Require(need); err != nil {
		return User{}, err
	}
	var u User
	var err error
	if id, ok := ref.ID(); ok {
		u, err = db.UserByID(ctx, s.db.Read, id)
	} else {
		u, err = db.UserByUsername(ctx, s.db.Read, ref.String())
	}
	return u, notFoundAs(err, ResourceUser)
}

// ListSSHKeys lists a user's SSH keys (ref "": the actor's).
func (s *Accounts) ListSSHKeys(ctx context.Context, a *Actor, ref Ref, pg Page) ([]SSHKey, int, error) {
	u, err := s.keyOwner(ctx, a, ref, false)
	if err != nil {
		return nil, 0, err
	}
	rows, total, err := db.ListSSHKeys(ctx, s.db.Read, u.ID, pg.limit(), pg.offset())
	if err != nil {
		return nil, 0, err
	}
	out := make([]SSHKey, len(rows))
	for i, r := range rows {
		out[i] = sshKeyOf(r)
	}
	return out, total, nil
}

// GetSSHKey returns one SSH key of a user (ref "": the actor's).
func (s *Accounts) GetSSHKey(ctx context.Context, a *Actor, ref Ref, id int64) (SSHKey, error) {
	u, err := s.keyOwner(ctx, a, ref, false)
	if err != nil {
		return SSHKey{}, err
	}
	k, err := db.SSHKeyByID(ctx, s.db.Read, id)
	if err != nil || k.UserID != u.ID {
		return SSHKey{}, notFoundAs(orNotFound(err), ResourceSSHKey)
	}
	return sshKeyOf(k), nil
}

// FindSSHKey returns any user's key by id or fingerprint (SHA-256 or MD5), with its owner;
// only administrators may look keys up.
func (s *Accounts) FindSSHKey(ctx context.Context, a *Actor, id int64, fingerprint string) (SSHKey, UserView, error) {
	if err := a.requireAdmin(NeedRead); err != nil {
		return SSHKey{}, UserView{}, err
	}
	var k db.SSHKey
	var err error
	if fingerprint != "" {
		k, err = db.SSHKeyByFingerprint(ctx, s.db.Read, fingerprint)
	} else {
		k, err = db.SSHKeyByID(ctx, s.db.Read, id)
	}
	if err != nil {
		return SSHKey{}, UserView{}, notFoundAs(err, "")
	}
	u, err := db.UserByID(ctx, s.db.Read, k.UserID)
	if err != nil {
		return SSHKey{}, UserView{}, err
	}
	return sshKeyOf(k), viewUser(a, u), nil
}

// AddSSHKey adds a key to a user (ref "": the actor). A key already known to the instance,
// for anyone, is refused.
func (s *Accounts) AddSSHKey(ctx context.Context, a *Actor, ref Ref, in SSHKeyInput) (SSHKey, error) {
	u, err := s.keyOwner(ctx, a, ref, true)
	if err != nil {
		return SSHKey{}, err
	}
	fe := FieldErrors{}
	checkText(fe, "title", in.Title, limitName)
	if strings.TrimSpace(in.Title) == "" {
		fe.Add("title", "can't be blank")
	}
	switch in.UsageType {
	case "":
		in.UsageType = "auth_and_signing"
	case "auth", "signing", "auth_and_signing":
	default:
		return SSHKey{}, invalidValue("usage_type")
	}
	if in.ExpiresAt != nil && !in.ExpiresAt.After(s.Now()) {
		fe.Add("expires_at", "must be in the future")
	}
	key, sha, md5, err := ParseSSHKey(in.Key)
	if err != nil {
		return SSHKey{}, err
	}
	if err := fe.Err(); err != nil {
		return SSHKey{}, err
	}
	row := db.SSHKey{
		UserID:            u.ID,
		Title:             strings.TrimSpace(in.Title),
		Key:               key,
		FingerprintSHA256: sha,
		FingerprintMD5:    md5,
		UsageType:         in.UsageType,
		CreatedAt:         s.Now(),
		ExpiresAt:         in.ExpiresAt,
	}
	err = s.db.Write(ctx, func(tx *sql.Tx) error {
		if _, err := db.DeployKeyByFingerprint(ctx, tx, sha); err == nil {
			return db.ErrConstraint // a deploy key's
		}
		row.ID, err = db.InsertSSHKey(ctx, tx, row)
		return err
	})
	if ErrorCode(takenAs(err)) == EConflict {
		return SSHKey{}, FieldErrors{"key": {"has already been taken"},
			"fingerprint_sha256": {"has already been taken"}}.Err()
	}
	if err != nil {
		return SSHKey{}, err
	}
	s.audit(ctx, a, "ssh_key_added", "user", u.ID, sha)
	return sshKeyOf(row), nil
}

// DeleteSSHKey removes a key of a user (ref "": the actor).
func (s *Accounts) DeleteSSHKey(ctx context.Context, a *Actor, ref Ref, id int64) error {
	u, err := s.keyOwner(ctx, a, ref, true)
	if err != nil {
		return err
	}
	k, err := db.SSHKeyByID(ctx, s.db.Read, id)
	if err != nil || k.UserID != u.ID {
		return notFoundAs(orNotFound(err), ResourceSSHKey)
	}
	if err := s.db.Write(ctx, func(tx *sql.Tx) error { return db.DeleteSSHKey(ctx, tx, id) }); err != nil {
		return err
	}
	s.audit(ctx, a, "ssh_key_removed", "user", u.ID, k.FingerprintSHA256)
	return nil
}

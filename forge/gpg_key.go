package forge

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/cairn-forge/cairn/db"
)

// GPGKey is a user's OpenPGP public key, which verifies the commits it signed.
type GPGKey struct {
	ID     int64
	UserID int64
	// Key is the armored public key as given.
	Key          string
	PrimaryKeyID string
	Fingerprint  string
	SubkeyIDs    []string
	// Emails are those of the key's identities.
	Emails    []string
	CreatedAt time.Time
}

func gpgKeyOf(r db.GPGKey) GPGKey {
	return GPGKey{
		ID:           r.ID,
		UserID:       r.UserID,
		Key:          r.Key,
		PrimaryKeyID: r.PrimaryKeyID,
		Fingerprint:  r.Fingerprint,
		SubkeyIDs:    r.SubkeyIDs,
		Emails:       r.Emails,
		CreatedAt:    r.CreatedAt,
	}
}

// gpgKeyInvalid is GitLab's refusal of what is no armored public key.
var gpgKeyInvalid = FieldErrors{"key": {"is invalid. A valid public GPG key begins with '-----BEGIN PGP PUBLIC KEY BLOCK-----'"}}

// ParseGPGKey reads one armored OpenPGP public key (never a private one) and returns what
// cairn keeps of it.
func ParseGPGKey(text string) (GPGKey, error) {
	text = strings.TrimSpace(text)
	block, err := armor.Decode(strings.NewReader(text))
	if err != nil || block.Type != openpgp.PublicKeyType {
		return GPGKey{}, gpgKeyInvalid.Err()
	}
	list, err := openpgp.ReadArmoredKeyRing(strings.NewReader(text))
	if err != nil || len(list) != 1 || list[0].PrivateKey != nil {
		return GPGKey{}, gpgKeyInvalid.Err()
	}
	e := list[0]
	k := GPGKey{Key: text, PrimaryKeyID: fmt.Sprintf("%016X", e.PrimaryKey.KeyId),
		Fingerprint: fmt.Sprintf("%X", e.PrimaryKey.Fingerprint), SubkeyIDs: []string{}, Emails: []string{}}
	for _, sk := range e.Subkeys {
		k.SubkeyIDs = append(k.SubkeyIDs, fmt.Sprintf("%016X", sk.PublicKey.KeyId))
	}
	for _, id := range e.Identities {
		if id.UserId != nil && id.UserId.Email != "" && !containsString(k.Emails, strings.ToLower(id.UserId.Email)) {
			k.Emails = append(k.Emails, strings.ToLower(id.UserId.Email))
		}
	}
	return k, nil
}

// ListGPGKeys lists a user's GPG keys (ref "": the actor's).
func (s *Accounts) ListGPGKeys(ctx context.Context, a *Actor, ref Ref, pg Page) ([]GPGKey, int, error) {
	u, err := s.keyOwner(ctx, a, ref, false)
	if err != nil {
		return nil, 0, err
	}
	rows, total, err := db.ListGPGKeys(ctx, s.db.Read, u.ID, pg.limit(), pg.offset())
	if err != nil {
		return nil, 0, err
	}
	out := make([]GPGKey, len(rows))
	for i, r := range rows {
		out[i] = gpgKeyOf(r)
	}
	return out, total, nil
}

// GetGPGKey returns one GPG key of a user (ref "": the actor's).
func (s *Accounts) GetGPGKey(ctx context.Context, a *Actor, ref Ref, id int64) (GPGKey, error) {
	u, err := s.keyOwner(ctx, a, ref, false)
	if err != nil {
		return GPGKey{}, err
	}
	k, err := db.GPGKeyByID(ctx, s.db.Read, id)
	if err != nil || k.UserID != u.ID {
		return GPGKey{}, notFoundAs(orNotFound(err), ResourceGPGKey)
	}
	return gpgKeyOf(k), nil
}

// AddGPGKey adds a GPG key to a user (ref "": the actor); a key already known is refused.
func (s *Accounts) AddGPGKey(ctx context.Context, a *Actor, ref Ref, text string) (GPGKey, error) {
	u, err := s.keyOwner(ctx, a, ref, true)
	if err != nil {
		return GPGKey{}, err
	}
	k, err := ParseGPGKey(text)
	if err != nil {
		return GPGKey{}, err
	}
	row := db.GPGKey{
		UserID:       u.ID,
		Key:          k.Key,
		PrimaryKeyID: k.PrimaryKeyID,
		Fingerprint:  k.Fingerprint,
		SubkeyIDs:    k.SubkeyIDs,
		Emails:       k.Emails,
		CreatedAt:    s.Now(),
	}
	err = s.db.Write(ctx, func(tx *sql.Tx) error {
		row.ID, err = db.InsertGPGKey(ctx, tx, row)
		return err
	})
	if ErrorCode(takenAs(err)) == EConflict {
		return GPGKey{}, FieldErrors{"fingerprint": {"has already been taken"}}.Err()
	}
	if err != nil {
		return GPGKey{}, err
	}
	s.audit(ctx, a, "gpg_key_added", "user", u.ID, k.Fingerprint)
	return gpgKeyOf(row), nil
}

// DeleteGPGKey removes a GPG key of a user (ref "": the actor).
func (s *Accounts) DeleteGPGKey(ctx context.Context, a *Actor, ref Ref, id int64) error {
	u, err := s.keyOwner(ctx, a, ref, true)
	if err != nil {
		return err
	}
	k, err := db.GPGKeyByID(ctx, s.db.Read, id)
	if err != nil || k.UserID != u.ID {
		return notFoundAs(orNotFound(err), ResourceGPGKey)
	}
	return s.db.Write(ctx, func(tx *sql.Tx) error { return db.DeleteGPGKey(ctx, tx, id) })
}

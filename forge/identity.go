package forge

import (
	"context"
	"database/sql"
	"strings"

	"github.com/cairn-forge/cairn/db"
)

// Identity is a user's account at another provider (an LDAP server, a SAML or OAuth
// provider), as administrators record it.
type Identity struct {
	Provider  string
	ExternUID string
}

// Identities returns a user's identities; only administrators see them.
func (s *Accounts) Identities(ctx context.Context, a *Actor, userID int64) ([]Identity, error) {
	if !a.IsAdmin() {
		return []Identity{}, nil
	}
	rows, err := db.IdentitiesOf(ctx, s.db.Read, userID)
	if err != nil {
		return nil, err
	}
	out := make([]Identity, len(rows))
	for i, r := range rows {
		out[i] = Identity{Provider: r.Provider, ExternUID: r.ExternUID}
	}
	return out, nil
}

// SetIdentity records a user's uid at a provider; only administrators may. An uid another
// user has at that provider is refused.
func (s *Accounts) SetIdentity(ctx context.Context, a *Actor, userID int64, provider, uid string) error {
	if err := a.requireAdmin(NeedWrite); err != nil {
		return err
	}
	if _, err := db.UserByID(ctx, s.db.Read, userID); err != nil {
		return notFoundAs(err, ResourceUser)
	}
	provider, uid = strings.TrimSpace(provider), strings.TrimSpace(uid)
	fe := FieldErrors{}
	for _, f := range []struct{ name, v string }{{"provider", provider}, {"extern_uid", uid}} {
		if f.v == "" {
			fe.Add(f.name, "can't be blank")
		}
		checkText(fe, f.name, f.v, limitName)
	}
	if err := fe.Err(); err != nil {
		return err
	}
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		return db.SetIdentity(ctx, tx, db.Identity{UserID: userID, Provider: provider, ExternUID: uid}, s.Now())
	})
	if ErrorCode(takenAs(err)) == EConflict {
		return FieldErrors{"extern_uid": {"has already been taken"}}.Err()
	}
	return err
}

// DeleteIdentity removes a user's identity at a provider; only administrators may.
func (s *Accounts) DeleteIdentity(ctx context.Context, a *Actor, userID int64, provider string) error {
	if err := a.requireAdmin(NeedWrite); err != nil {
		return err
	}
	if _, err := db.UserByID(ctx, s.db.Read, userID); err != nil {
		return notFoundAs(err, ResourceUser)
	}
	return s.db.Write(ctx, func(tx *sql.Tx) error {
		deleted, err := db.DeleteIdentity(ctx, tx, userID, provider)
		if err == nil && !deleted {
			err = NotFound(ResourceIdentity)
		}
		return err
	})
}

package forge

import (
	"context"
	"database/sql"
	"encoding/base32"
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cairn-forge/cairn/db"
	"golang.org/x/crypto/bcrypt"
)

// TokenPrefix starts every personal access token, so that secret scanners can find leaks.
const TokenPrefix = "cairn_pat_"

// TokenInput describes a token to create.
type TokenInput struct {
	Name        string
	Description string
	Scopes      []string
	// ExpiresAt is when the token stops working; nil means the default lifetime.
	ExpiresAt *time.Time
	// Permanent asks for no expiry; it is refused where the instance does not allow
	// permanent tokens.
	Permanent bool
	// PermanentIfAllowed asks for no expiry where the instance allows it, and the default
	// lifetime elsewhere: what a GitLab client means by leaving expires_at out.
	PermanentIfAllowed bool
}

// adminScopes may only be granted to administrators.
var adminScopes = []string{ScopeSudo, ScopeAdminMode, ScopeAdmin}

// CreateToken issues a personal access token for user userID and returns it with its secret,
// which is shown this once. Users create their own; administrators create anyone's.
func (s *Access) CreateToken(ctx context.Context, a *Actor, userID int64, in TokenInput) (Token, string, error) {
	if err := a.requireUser(NeedWrite); err != nil {
		return Token{}, "", err
	}
	if !a.IsAdmin() && a.User.ID != userID {
		return Token{}, "", Forbidden()
	}
	u, err := db.UserByID(ctx, s.db.Read, userID)
	if err != nil {
		return Token{}, "", notFoundAs(err, ResourceUser)
	}
	tok, err := s.validateToken(ctx, u, in)
	if err != nil {
		return Token{}, "", err
	}
	secret := TokenPrefix + s.randomSecret(20)
	if err := s.db.Write(ctx, func(tx *sql.Tx) error {
		id, err := db.InsertToken(ctx, tx, tok, HashToken(secret))
		tok.ID = id
		return err
	}); err != nil {
		return Token{}, "", err
	}
	s.audit(ctx, a, "token_created", "token", tok.ID, tok.Name)
	return tok, secret, nil
}

// validateToken checks in against the rules for a token of user u.
func (s *Service) validateToken(ctx context.Context, u User, in TokenInput) (Token, error) {
	now := s.Now()
	if strings.TrimSpace(in.Name) == "" {
		// The name is optional, as Gitar's alias is; a dated one tells tokens apart.
		in.Name = "token-" + now.Format("2006-01-02")
	}
	if len(in.Scopes) == 0 {
		return Token{}, Missing("scopes")
	}
	fe := FieldErrors{}
	checkText(fe, "name", in.Name, limitName)
	checkText(fe, "description", in.Description, limitShortDescription)
	var scopes []string
	for _, raw := range in.Scopes {
		sc, ok := ParseScope(raw)
		switch {
		case !ok:
			fe.Add("scopes", "can only contain available scopes")
		case slices.Contains(adminScopes, sc) && !u.IsAdmin:
			fe.Add("scopes", sc+" can only be granted to administrators")
		case !slices.Contains(scopes, sc):
			scopes = append(scopes, sc)
		}
	}
	var expires *time.Time
	switch {
	case in.ExpiresAt != nil:
		if !in.ExpiresAt.After(now) {
			fe.Add("expires_at", "must be in the future")
		}
		t := in.ExpiresAt.UTC()
		expires = &t
	case in.Permanent && !s.cfg.AllowPermanentTokens:
		fe.Add("expires_at", "is required: this instance does not allow permanent tokens")
	case in.Permanent, in.PermanentIfAllowed && s.cfg.AllowPermanentTokens:
		// no expiry
	default:
		lifetime, err := s.settingInt(ctx, settingTokenLifetime, int(s.cfg.TokenLifetime/time.Second))
		if err != nil {
			return Token{}, err
		}
		t := now.Add(time.Duration(lifetime) * time.Second)
		expires = &t
	}
	if err := fe.Err(); err != nil {
		return Token{}, err
	}
	return Token{
		UserID:      u.ID,
		Name:        strings.TrimSpace(in.Name),
		Description: in.Description,
		Scopes:      scopes,
		CreatedAt:   now,
		ExpiresAt:   expires,
	}, nil
}

// EnsureToken makes secret a working token of user userID with the given scopes and no
// expiry, whatever the instance's rules: the operator's --admin-token.
func (s *Access) EnsureToken(ctx context.Context, userID int64, name, secret string, scopes []string) error {
	return s.EnsureTokenExpiring(ctx, userID, name, secret, scopes, nil)
}

// EnsureTokenExpiring makes secret a working token of user userID with the given scopes and
// expiry (nil: none): fixtures and the operator fix token secrets this way.
func (s *Access) EnsureTokenExpiring(ctx context.Context, userID int64, name, secret string, scopes []string,
	expires *time.Time) error {
	hash := HashToken(secret)
	return s.db.Write(ctx, func(tx *sql.Tx) error {
		tok, err := db.TokenByHash(ctx, tx, hash)
		if errors.Is(err, db.ErrNotFound) {
			_, err = db.InsertToken(ctx, tx, Token{UserID: userID, Name: name, Scopes: scopes,
				CreatedAt: s.Now(), ExpiresAt: expires}, hash)
			return err
		}
		if err != nil {
			return err
		}
		if tok.UserID != userID {
			return Conflictf("that token secret belongs to another user")
		}
		tok.Scopes, tok.ExpiresAt, tok.RevokedAt = scopes, expires, nil
		return db.UpdateToken(ctx, tx, tok)
	})
}

// TokenListOptions filter the token list.
type TokenListOptions struct {
	UserID int64
	State  string
	Search string
}

// ListTokens lists tokens: administrators see everyone's, users their own.
func (s *Access) ListTokens(ctx context.Context, a *Actor, o TokenListOptions, pg Page) ([]Token, int, error) {
	if err := a.requireUser(NeedRead); err != nil {
		return nil, 0, err
	}
	if !a.IsAdmin() {
		if o.UserID != 0 && o.UserID != a.User.ID {
			return nil, 0, Unauthorized("")
		}
		o.UserID = a.User.ID
	}
	f := db.TokenFilter{
		UserID: o.UserID,
		State:  o.State,
		Search: o.Search,
		Now:    s.Now(),
		Limit:  pg.limit(),
		Offset: pg.offset(),
	}
	return db.ListTokens(ctx, s.db.Read, f)
}

// GetToken returns a token to its owner or an administrator; ref is an id or "self".
func (s *Access) GetToken(ctx context.Context, a *Actor, ref Ref) (Token, error) {
	if err := a.requireUser(NeedRead); err != nil {
		return Token{}, err
	}
	return s.ownToken(ctx, a, ref)
}

// ownToken finds the token named by ref ("self" or an id) among those a may manage.
func (s *Service) ownToken(ctx context.Context, a *Actor, ref Ref) (Token, error) {
	if ref.String() == "self" {
		if a.Token == nil {
			return Token{}, NotFound(ResourcePersonalAccessToken)
		}
		return *a.Token, nil
	}
	id, ok := ref.ID()
	if !ok {
		return Token{}, NotFound(ResourcePersonalAccessToken)
	}
	tok, err := db.TokenByID(ctx, s.db.Read, id)
	if err != nil {
		return Token{}, notFoundAs(err, ResourcePersonalAccessToken)
	}
	if tok.UserID != a.User.ID && !a.IsAdmin() {
		return Token{}, NotFound(ResourcePersonalAccessToken)
	}
	return tok, nil
}

// RevokeToken revokes a token; revoking a revoked token succeeds. ref is an id or "self"
// (any token may revoke itself).
func (s *Access) RevokeToken(ctx context.Context, a *Actor, ref Ref) error {
	need := NeedWrite
	if ref.String() == "self" {
		need = NeedRead
	}
	if !a.SignedIn() {
		return Unauthorized("")
	}
	if ref.String() != "self" {
		if err := a.Require(need); err != nil {
			return err
		}
	}
	tok, err := s.ownToken(ctx, a, ref)
	if err != nil {
		return err
	}
	if tok.RevokedAt != nil {
		return nil
	}
	now := s.Now()
	tok.RevokedAt = &now
	if err := s.db.Write(ctx, func(tx *sql.Tx) error { return db.UpdateToken(ctx, tx, tok) }); err != nil {
		return err
	}
	s.audit(ctx, a, "token_revoked", "token", tok.ID, tok.Name)
	return nil
}

// RotateToken revokes a token and issues its successor with the same name and scopes,
// expiring at expiresAt (nil: the default lifetime). Rotating a token that is already revoked
// revokes every token rotated from it, since its secret has leaked.
func (s *Access) RotateToken(ctx context.Context, a *Actor, ref Ref, expiresAt *time.Time) (Token, string, error) {
	if err := a.requireUser(NeedWrite); err != nil {
		return Token{}, "", err
	}
	old, err := s.ownToken(ctx, a, ref)
	if err != nil {
		return Token{}, "", err
	}
	now := s.Now()
	if old.RevokedAt != nil {
		if err := s.db.Write(ctx,
			func(tx *sql.Tx) error { return db.RevokeTokenFamily(ctx, tx, old.ID, now) }); err != nil {
			return Token{}, "", err
		}
		s.audit(ctx, a, "token_family_revoked", "token", old.ID, old.Name)
		return Token{}, "", Invalidf("Token already revoked")
	}
	if old.ExpiresAt != nil && !now.Before(*old.ExpiresAt) {
		return Token{}, "", Invalidf("Token already expired")
	}
	u, err := db.UserByID(ctx, s.db.Read, old.UserID)
	if err != nil {
		return Token{}, "", err
	}
	tok, err := s.validateToken(ctx, u,
		TokenInput{Name: old.Name, Description: old.Description, Scopes: old.Scopes, ExpiresAt: expiresAt})
	if err != nil {
		return Token{}, "", err
	}
	secret := TokenPrefix + s.randomSecret(20)
	tok.RotatedFrom = old.ID
	err = s.db.Write(ctx, func(tx *sql.Tx) error {
		old.RevokedAt = &now
		if err := db.UpdateToken(ctx, tx, old); err != nil {
			return err
		}
		id, err := db.InsertToken(ctx, tx, tok, HashToken(secret))
		tok.ID = id
		return err
	})
	if err != nil {
		return Token{}, "", err
	}
	s.audit(ctx, a, "token_rotated", "token", tok.ID, tok.Name)
	return tok, secret, nil
}

// PrivateTokenName names the token a user's account page shows as their private token.
const PrivateTokenName = "Private token"

// privateTokens returns the active private tokens of user id at now (one, unless several
// resets raced).
func privateTokens(ctx context.Context, q db.Querier, userID int64, now time.Time) ([]Token, error) {
	list, _, err := db.ListTokens(ctx, q, db.TokenFilter{UserID: userID, State: "active", Search: PrivateTokenName,
		Now: now, Limit: -1})
	out := list[:0]
	for _, t := range list {
		if t.Name == PrivateTokenName {
			out = append(out, t)
		}
	}
	return out, err
}

// PrivateToken returns the actor's active private token (without its secret), nil when it
// has none.
func (s *Access) PrivateToken(ctx context.Context, a *Actor) (*Token, error) {
	if err := a.requireUser(NeedRead); err != nil {
		return nil, err
	}
	list, err := privateTokens(ctx, s.db.Read, a.User.ID, s.Now())
	if err != nil || len(list) == 0 {
		return nil, err
	}
	return &list[len(list)-1], nil
}

// ResetPrivateToken revokes the actor's private token, if it has one, and issues a new one
// with the api scope: the "private token" GitSwarm's /profile/account shows and resets, as
// its API document describes. It expires as any new token does, unless the instance allows
// permanent tokens. Tokens are stored hashed, so the secret is returned this once.
func (s *Access) ResetPrivateToken(ctx context.Context, a *Actor) (Token, string, error) {
	if err := a.requireUser(NeedWrite); err != nil {
		return Token{}, "", err
	}
	tok, err := s.validateToken(ctx, *a.User, TokenInput{Name: PrivateTokenName, Scopes: []string{ScopeAPI},
		PermanentIfAllowed: true})
	if err != nil {
		return Token{}, "", err
	}
	secret := TokenPrefix + s.randomSecret(20)
	err = s.db.Write(ctx, func(tx *sql.Tx) error {
		old, err := privateTokens(ctx, tx, a.User.ID, tok.CreatedAt)
		if err != nil {
			return err
		}
		for _, o := range old {
			o.RevokedAt = &tok.CreatedAt
			if err := db.UpdateToken(ctx, tx, o); err != nil {
				return err
			}
		}
		tok.ID, err = db.InsertToken(ctx, tx, tok, HashToken(secret))
		return err
	})
	if err != nil {
		return Token{}, "", err
	}
	s.audit(ctx, a, "token_created", "token", tok.ID, tok.Name)
	return tok, secret, nil
}

// TokenActive reports whether a token can still be used.
func (s *Access) TokenActive(t Token) bool {
	return t.RevokedAt == nil && (t.ExpiresAt == nil || s.Now().Before(*t.ExpiresAt))
}

var secretEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// randomSecret returns n random bytes, base32-encoded in lower case.
func (s *Service) randomSecret(n int) string {
	b := make([]byte, n)
	if _, err := io.ReadFull(s.rand, b); err != nil {
		panic("forge: random source failed: " + err.Error())
	}
	return secretEncoding.EncodeToString(b)
}

func checkPassword(hash, password string) bool {
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}

// parseID reads a positive decimal id.
func parseID(s string) (int64, bool) {
	if s == "" || s[0] < '0' || s[0] > '9' {
		return 0, false
	}
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil && id > 0
}

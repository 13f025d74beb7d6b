package forge

import (
	"context"
	"database/sql"

	"github.com/cairn-forge/cairn/db"
)

// CreateImpersonationToken issues a token with which an administrator acts as user userID,
// shown once as CreateToken's; only administrators may. It works as the user's own tokens
// do and is listed apart from them.
func (s *Access) CreateImpersonationToken(ctx context.Context, a *Actor, userID int64, in TokenInput) (Token,
	string, error) {
	if err := a.requireAdmin(NeedWrite); err != nil {
		return Token{}, "", err
	}
	u, err := db.UserByID(ctx, s.db.Read, userID)
	if err != nil {
		return Token{}, "", notFoundAs(err, ResourceUser)
	}
	tok, err := s.validateToken(ctx, u, in)
	if err != nil {
		return Token{}, "", err
	}
	tok.Impersonation = true
	secret := TokenPrefix + s.randomSecret(20)
	err = s.db.Write(ctx, func(tx *sql.Tx) error {
		tok.ID, err = db.InsertToken(ctx, tx, tok, HashToken(secret))
		return err
	})
	if err != nil {
		return Token{}, "", err
	}
	s.audit(ctx, a, "impersonation_token_created", "token", tok.ID, u.Username+": "+tok.Name)
	return tok, secret, nil
}

// ListImpersonationTokens lists a user's impersonation tokens (state "active", "inactive"
// or "" for all); only administrators may.
func (s *Access) ListImpersonationTokens(ctx context.Context, a *Actor, userID int64, state string,
	pg Page) ([]Token, int, error) {
	if err := a.requireAdmin(NeedRead); err != nil {
		return nil, 0, err
	}
	if _, err := db.UserByID(ctx, s.db.Read, userID); err != nil {
		return nil, 0, notFoundAs(err, ResourceUser)
	}
	yes := true
	return db.ListTokens(ctx, s.db.Read, db.TokenFilter{
		UserID:        userID,
		Impersonation: &yes,
		State:         state,
		Now:           s.Now(),
		Limit:         pg.limit(),
		Offset:        pg.offset(),
	})
}

// impersonationToken reads token id of user userID, for administrators.
func (s *Service) impersonationToken(ctx context.Context, a *Actor, userID, id int64, need Need) (Token, error) {
	if err := a.requireAdmin(need); err != nil {
		return Token{}, err
	}
	if _, err := db.UserByID(ctx, s.db.Read, userID); err != nil {
		return Token{}, notFoundAs(err, ResourceUser)
	}
	tok, err := db.TokenByID(ctx, s.db.Read, id)
	if err != nil || tok.UserID != userID || !tok.Impersonation {
		return Token{}, notFoundAs(orNotFound(err), ResourceImpersonationToken)
	}
	return tok, nil
}

// GetImpersonationToken returns one impersonation token of a user.
func (s *Access) GetImpersonationToken(ctx context.Context, a *Actor, userID, id int64) (Token, error) {
	return s.impersonationToken(ctx, a, userID, id, NeedRead)
}

// RevokeImpersonationToken revokes one impersonation token of a user.
func (s *Access) RevokeImpersonationToken(ctx context.Context, a *Actor, userID, id int64) error {
	tok, err := s.impersonationToken(ctx, a, userID, id, NeedWrite)
	if err != nil || tok.RevokedAt != nil {
		return err
	}
	now := s.Now()
	tok.RevokedAt = &now
	if err := s.db.Write(ctx, func(tx *sql.Tx) error { return db.UpdateToken(ctx, tx, tok) }); err != nil {
		return err
	}
	s.audit(ctx, a, "token_revoked", "token", tok.ID, tok.Name)
	return nil
}

package forge

import (
	"context"
	"database/sql"
	"errors"

	"github.com/cairn-forge/cairn/db"
)

// RootUsername is the administrator created at first start.
const RootUsername = "root"

// Bootstrap is what the first start on an empty data directory made, to be shown once.
type Bootstrap struct {
	// Created is false when the instance had already been set up.
	Created  bool
	Password string
	// Token is the generated admin token; empty when the operator gave one.
	Token string
}

const settingBootstrapped = "bootstrapped"

// AdminScopes are the scopes of the operator's admin token.
var AdminScopes = []string{ScopeAPI, ScopeSudo, ScopeAdminMode, ScopeAdmin}

// EnsureRoot creates the administrator root on first start, with a generated password and,
// unless adminToken is given, a generated admin token. A given adminToken is made a working
// token of root with AdminScopes at every start.
func (s *Accounts) EnsureRoot(ctx context.Context, adminToken string) (Bootstrap, error) {
	var b Bootstrap
	_, err := db.Setting(ctx, s.db.Read, settingBootstrapped)
	switch {
	case errors.Is(err, db.ErrNotFound):
		if b, err = s.createRoot(ctx, adminToken == ""); err != nil {
			return Bootstrap{}, err
		}
	case err != nil:
		return Bootstrap{}, err
	}
	if adminToken != "" {
		root, err := db.UserByUsername(ctx, s.db.Read, RootUsername)
		if err != nil {
			return Bootstrap{}, notFoundAs(err, ResourceUser)
		}
		if err := s.Access.EnsureToken(ctx, root.ID, "admin-token", adminToken, AdminScopes); err != nil {
			return Bootstrap{}, err
		}
	}
	return b, nil
}

func (s *Service) createRoot(ctx context.Context, withToken bool) (Bootstrap, error) {
	b := Bootstrap{Created: true, Password: s.randomSecret(15)}
	now := s.Now()
	var rootID int64
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		u := User{
			Username:       RootUsername,
			Email:          "root@localhost",
			Name:           "Administrator",
			IsAdmin:        true,
			State:          "active",
			CanCreateGroup: true,
			ProjectsLimit:  100000,
			CreatedAt:      now,
			UpdatedAt:      now,
		}
		id, err := insertUser(ctx, tx, u, "")
		if err != nil {
			return err
		}
		rootID = id
		if withToken {
			b.Token = TokenPrefix + s.randomSecret(20)
			if _, err := db.InsertToken(ctx, tx, Token{UserID: id, Name: "admin-token", Scopes: AdminScopes,
				CreatedAt: now}, HashToken(b.Token)); err != nil {
				return err
			}
		}
		return db.SetSetting(ctx, tx, settingBootstrapped, now.Format("2006-01-02T15:04:05Z"))
	})
	if err != nil {
		return Bootstrap{}, err
	}
	// Hashing a password takes tens of milliseconds of CPU; it waits until the instance is
	// ready (Ready), so that a new instance is ready at once, or until a password is checked.
	// Until it is done, password sign-ins wait.
	s.bg.Add(1)
	s.passwords.Lock()
	go func() {
		defer s.bg.Done()
		defer s.passwords.Unlock()
		<-s.readied
		hash, err := s.hashPassword(b.Password)
		if err == nil {
			err = db.SetPasswordHash(context.Background(), s.db.Writer(), rootID, hash)
		}
		if err != nil {
			s.log.Error("set root password", "err", err)
		}
	}()
	return b, nil
}

// AwaitingFirstSignIn reports whether the administrator root has never signed in with its
// password, so that the sign-in page may say how a new instance is entered.
func (s *Accounts) AwaitingFirstSignIn(ctx context.Context) (bool, error) {
	root, err := db.UserByUsername(ctx, s.db.Read, RootUsername)
	if errors.Is(err, db.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return root.LastSignInAt == nil, nil
}

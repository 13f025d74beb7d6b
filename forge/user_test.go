package forge

import (
	"context"
	"errors"
	"testing"

	"github.com/cairn-forge/cairn/db"
	"golang.org/x/crypto/bcrypt"
)

// A login that cannot sign in is compared against a hash of the instance's cost, as a real
// account's password is, so that a failure's duration does not tell whether the account
// exists. Only an active user with a password is compared against their own hash.
func TestSignInComparesEveryLoginAtTheInstanceCost(t *testing.T) {
	own, err := bcrypt.GenerateFromPassword([]byte("secret"), 5)
	if err != nil {
		t.Fatal(err)
	}
	users := []struct {
		name   string
		user   User
		hash   string
		found  bool
		usable bool
	}{
		{"no such login", User{}, "", false, false},
		{"blocked", User{State: "blocked"}, string(own), true, false},
		{"without a password", User{State: "active"}, "", true, false},
		{"active", User{State: "active"}, string(own), true, true},
	}
	costs := []struct{ configured, hashed int }{
		{0, bcrypt.DefaultCost}, // New's default
		{2, bcrypt.DefaultCost}, // below bcrypt's minimum, as bcrypt.GenerateFromPassword hashes it
		{bcrypt.MinCost, bcrypt.MinCost},
		{6, 6},
	}
	for _, c := range costs {
		s := New(nil, nil, Config{PasswordCost: c.configured}, Options{})
		for _, tt := range users {
			hash, usable := s.signInHash(tt.user, tt.hash, tt.found)
			if usable != tt.usable {
				t.Errorf("cost %d, %s: usable %v, want %v", c.configured, tt.name, usable, tt.usable)
			}
			if tt.usable {
				if hash != tt.hash {
					t.Errorf("cost %d, %s: compared with %q, not the user's hash", c.configured, tt.name, hash)
				}
				continue
			}
			if got, err := bcrypt.Cost([]byte(hash)); err != nil || got != c.hashed {
				t.Errorf("cost %d, %s: stand-in hash %q has cost %d (%v), want %d", c.configured, tt.name,
					hash, got, err, c.hashed)
			}
			// A mismatch, not a parse error: bcrypt ran in full, as for a real hash. (The
			// default cost is left out only to keep the test quick.)
			if c.hashed == bcrypt.DefaultCost {
				continue
			}
			if err := bcrypt.CompareHashAndPassword([]byte(hash), []byte("secret")); !errors.Is(err,
				bcrypt.ErrMismatchedHashAndPassword) {
				t.Errorf("cost %d, %s: comparing with the stand-in hash: %v, want a mismatch", c.configured,
					tt.name, err)
			}
		}
	}
}

func TestVerifyPasswordSignsInOnlyActiveUsersWithTheirPassword(t *testing.T) {
	ctx := context.Background()
	s, d := newTestService(t, Config{PasswordCost: bcrypt.MinCost})
	t.Cleanup(s.Close)
	user := func(username string) User {
		password := "password-" + username
		email := username + "@example.com"
		u, err := s.Accounts.CreateUser(ctx, System(),
			UserInput{Username: &username, Email: &email, Name: &username, Password: &password})
		if err != nil {
			t.Fatal(err)
		}
		return u.User
	}
	user("ann")
	if _, err := s.Accounts.SetUserBlocked(ctx, System(), user("ben").ID, true); err != nil {
		t.Fatal(err)
	}
	if err := db.SetPasswordHash(ctx, d.Writer(), user("cid").ID, ""); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		login, password string
		ok              bool
	}{
		{"ann", "password-ann", true},
		{"ann@example.com", "password-ann", true},
		{"ann", "password-ben", false},
		{"ben", "password-ben", false},
		{"cid", "", false},
		{"cid", "password-cid", false},
		{"dan", "password-dan", false},
	}
	for _, tt := range tests {
		u, err := s.Accounts.VerifyPassword(ctx, tt.login, tt.password, "192.0.2.1")
		if tt.ok && (err != nil || u.Username != "ann") {
			t.Errorf("%s / %s: %v, %v; want ann signed in", tt.login, tt.password, u.Username, err)
		}
		if !tt.ok && ErrorCode(err) != EUnauthorized {
			t.Errorf("%s / %s: %v; want unauthorized", tt.login, tt.password, err)
		}
	}
}

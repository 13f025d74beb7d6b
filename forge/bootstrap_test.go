package forge

import (
	"context"
	"testing"

	"github.com/cairn-forge/cairn/db"
	"golang.org/x/crypto/bcrypt"
)

// A first start's root password is hashed (tens of milliseconds of CPU at the default cost)
// once the instance is ready, not while it starts; a sign-in before then hashes it at once, and
// so does closing a service that never got ready.
func TestFirstStartHashesTheRootPasswordOnceReady(t *testing.T) {
	ctx := context.Background()
	rootHash := func(t *testing.T, d *db.DB) string {
		u, err := db.UserByUsername(ctx, d.Read, RootUsername)
		if err != nil {
			t.Fatal(err)
		}
		hash, err := db.PasswordHash(ctx, d.Read, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		return hash
	}
	for _, tt := range []struct {
		name string
		then func(t *testing.T, s *Service, password string)
	}{
		{"ready", func(t *testing.T, s *Service, _ string) { s.Ready(); s.Close() }},
		{"a sign-in", func(t *testing.T, s *Service, password string) {
			defer s.Close()
			if _, err := s.Accounts.VerifyPassword(ctx, RootUsername, password, "127.0.0.1"); err != nil {
				t.Fatalf("root signs in before the instance is ready: %v", err)
			}
		}},
		{"closed", func(t *testing.T, s *Service, _ string) { s.Close() }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, d := newTestService(t, Config{PasswordCost: bcrypt.MinCost})
			b, err := s.Accounts.EnsureRoot(ctx, "")
			if err != nil || !b.Created || b.Password == "" {
				t.Fatalf("first start: %+v, %v", b, err)
			}
			if h := rootHash(t, d); h != "" {
				t.Fatalf("root's password was hashed during the start: %q", h)
			}
			tt.then(t, s, b.Password)
			if err := bcrypt.CompareHashAndPassword([]byte(rootHash(t, d)), []byte(b.Password)); err != nil {
				t.Fatalf("root's password after %s: %v", tt.name, err)
			}
		})
	}
}

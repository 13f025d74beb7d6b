package server_test

import (
	"context"
	"net"
	"os"
	"strings"
	"testing"

	"github.com/cairn-forge/cairn/forge"
	"github.com/cairn-forge/cairn/server"
	"golang.org/x/crypto/bcrypt"
)

// A failed Open returns its error and releases what it had prepared: the database, and an
// ephemeral data directory.
func TestFailedOpenReturnsTheErrorAndRemovesEphemeralData(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	s, err := server.Open(context.Background(), server.Config{Addr: busy.Addr().String(), Ephemeral: true,
		Forge: forge.Config{PasswordCost: bcrypt.MinCost}})
	if s != nil || err == nil || !strings.HasPrefix(err.Error(), "listen:") {
		t.Fatalf("Open on an address in use: %v, %v; want no server and the listen error", s, err)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("left behind in the temporary directory: %v", left)
	}
	var none *server.Server
	if err := none.Close(); err != nil {
		t.Errorf("Close of a nil server: %v", err)
	}
}

// A seed's token expires on a date or at any time the API reads; one already past is an
// expired token, as a fixture for clients that must handle one.
func TestSeedTokenExpiry(t *testing.T) {
	dir := t.TempDir()
	seed := dir + "/seed.json"
	body := `{"users": [{"username": "ann", "name": "Ann", "email": "ann@example.com", "tokens": [
		{"name": "dated", "token": "cairn_pat_example_dated_00000000000000", "expires_at": "2999-01-01"},
		{"name": "timed", "token": "cairn_pat_example_timed_00000000000000", "expires_at": "2999-01-01T12:00:00Z"},
		{"name": "expired", "token": "cairn_pat_example_expired_000000000000", "expires_at": "2020-01-01T00:00:00Z"}]}]}`
	if err := os.WriteFile(seed, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := server.Open(context.Background(),
		server.Config{Addr: "127.0.0.1:0", DataDir: dir + "/data", Fixture: seed,
			Forge: forge.Config{PasswordCost: bcrypt.MinCost}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, tok := range []string{"cairn_pat_example_dated_00000000000000", "cairn_pat_example_timed_00000000000000"} {
		if _, err := s.Forge().Access.Authenticate(context.Background(), tok, "127.0.0.1"); err != nil {
			t.Errorf("%s: %v", tok, err)
		}
	}
	_, err = s.Forge().Access.Authenticate(context.Background(), "cairn_pat_example_expired_000000000000", "127.0.0.1")
	if e := forge.ErrorOf(err); e == nil || e.Reason != forge.ReasonTokenExpired {
		t.Errorf("the expired token: %v, want expired", err)
	}
}

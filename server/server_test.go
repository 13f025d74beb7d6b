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

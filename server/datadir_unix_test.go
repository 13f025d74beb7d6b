//go:build unix

package server_test

import (
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/cairn-forge/cairn/forge"
	"github.com/cairn-forge/cairn/server"
	"golang.org/x/crypto/bcrypt"
)

// openWithProject starts an instance on dir and, unless it has one, makes the project
// root/demo with a README; it returns the instance and the project's id.
func openWithProject(t *testing.T, dir string) (*server.Server, int64) {
	t.Helper()
	ctx := context.Background()
	s, err := server.Open(ctx,
		server.Config{Addr: "127.0.0.1:0", DataDir: dir, AdminToken: "cairn_pat_datadir_test_token_0000",
			Forge: forge.Config{PasswordCost: bcrypt.MinCost}})
	if err != nil {
		t.Fatal(err)
	}
	root, err := s.Forge().Access.Authenticate(ctx, "cairn_pat_datadir_test_token_0000", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if v, err := s.Forge().Projects.ProjectByRef(ctx, root, forge.ParseRef("root/demo")); err == nil {
		return s, v.ID
	}
	name := "demo"
	v, err := s.Forge().Projects.CreateProject(ctx, root,
		forge.ProjectInput{Name: &name, InitializeWithReadme: true}, 0)
	if err != nil {
		t.Fatal(err)
	}
	return s, v.ID
}

// The data directory holds password and token hashes and every private repository: what
// cairn creates in it is its owner's only, whatever the umask lets through.
func TestDataIsReadableByItsOwnerOnly(t *testing.T) {
	defer syscall.Umask(syscall.Umask(0o022))
	dir := filepath.Join(t.TempDir(), "cairn-data")
	s, _ := openWithProject(t, dir)
	defer s.Close()
	for _, f := range []struct {
		path string
		mode fs.FileMode
	}{
		{"", 0o700},
		{"cairn.db", 0o600},
		{"cairn.db-wal", 0o600},
		{"cairn.db-shm", 0o600},
		{"repositories", 0o700},
	} {
		fi, err := os.Stat(filepath.Join(dir, f.path))
		if err != nil {
			t.Errorf("%s: %v", f.path, err)
			continue
		}
		if got := fi.Mode().Perm(); got != f.mode {
			t.Errorf("%q has mode %#o, want %#o", "data/"+f.path, got, f.mode)
		}
	}
}

// A database made before cairn created it owner-only is made so at the next start.
func TestExistingDatabaseIsMadeOwnerOnly(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cairn-data")
	s, _ := openWithProject(t, dir)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(dir, "cairn.db"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, _ = openWithProject(t, dir)
	defer s.Close()
	for _, name := range []string{"cairn.db", "cairn.db-wal", "cairn.db-shm"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != 0o600 {
			t.Errorf("%s has mode %#o after a restart, want 0600", name, got)
		}
	}
}

// A process killed while it held git's lock files leaves them behind, and git then refuses to
// touch what they lock ("Unable to create '…/main.lock': File exists"). A start removes those
// older than itself, and only git's: a lock made since (a live git process's) stays, and so do
// cairn's own reference lock and files that only look like locks.
func TestStartRemovesStaleGitLockFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cairn-data")
	s, id := openWithProject(t, dir)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	repo := filepath.Join(dir, "repositories", strconv.FormatInt(id, 10)+".git")
	long := time.Now().Add(-time.Hour)
	stale := []string{"refs/heads/main.lock", "refs/heads/topic/x.lock", "refs/tags/v1.lock", "packed-refs.lock",
		"HEAD.lock", "config.lock", "index.lock", "shallow.lock", "logs/refs/heads/main.lock",
		"objects/info/commit-graph.lock", "objects/pack/multi-pack-index.lock"}
	kept := []string{"cairn-refs.lock", "objects/pack/x.lock.pack", "description"}
	for _, name := range append(stale, kept...) {
		p := filepath.Join(repo, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(p); err != nil {
			if err := os.WriteFile(p, []byte("0000000000000000000000000000000000000000\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Chtimes(p, long, long); err != nil {
			t.Fatal(err)
		}
	}
	// A lock taken after the start, by a git process that is still running.
	fresh := filepath.Join(repo, "refs", "heads", "live.lock")
	future := time.Now().Add(time.Hour)
	if err := os.WriteFile(fresh, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(fresh, future, future); err != nil {
		t.Fatal(err)
	}

	s, _ = openWithProject(t, dir)
	defer s.Close()
	for _, name := range stale {
		if _, err := os.Stat(filepath.Join(repo, filepath.FromSlash(name))); !os.IsNotExist(err) {
			t.Errorf("stale %s is still there (%v)", name, err)
		}
	}
	for _, name := range append(kept, "refs/heads/live.lock") {
		if _, err := os.Stat(filepath.Join(repo, filepath.FromSlash(name))); err != nil {
			t.Errorf("%s was removed: %v", name, err)
		}
	}
	// git itself can move the branch again.
	if git, err := exec.LookPath("git"); err == nil {
		out, err := exec.Command(git, "-C", repo, "update-ref", "refs/heads/main", "refs/heads/main").CombinedOutput()
		if err != nil {
			t.Errorf("git update-ref after the restart: %v\n%s", err, out)
		}
	}
}

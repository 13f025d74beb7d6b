package gitstore

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// testServer serves a Store over smart HTTP the way the real handler will: info/refs,
// git-upload-pack and git-receive-pack under /<id>.git/, gzip request bodies, the
// Git-Protocol header. It exists to drive the engine with the real git client.
type testServer struct {
	t     *testing.T
	store *Store
	srv   *httptest.Server

	mu          sync.Mutex
	authorize   func(context.Context, []PendingUpdate) []RefDecision
	maxPackSize int64
	pushes      []*PushResult
	requests    []string // method, path and content encoding of each request
}

func newTestServer(t *testing.T) *testServer {
	t.Helper()
	st, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return newTestServerFor(t, st)
}

// newTestServerFor serves an existing store.
func newTestServerFor(t *testing.T, st *Store) *testServer {
	t.Helper()
	ts := &testServer{t: t, store: st}
	ts.srv = httptest.NewServer(http.HandlerFunc(ts.serve))
	t.Cleanup(ts.srv.Close)
	// Bitmap writes after pushes must end before the temporary directories go.
	t.Cleanup(st.WaitBackground)
	return ts
}

// url is the clone URL of the repository of project id.
func (ts *testServer) url(id int64) string { return fmt.Sprintf("%s/%d.git", ts.srv.URL, id) }

func (ts *testServer) setAuthorize(f func(context.Context, []PendingUpdate) []RefDecision) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.authorize = f
}

func (ts *testServer) setMaxPackSize(n int64) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.maxPackSize = n
}

func (ts *testServer) lastPush() *PushResult {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if len(ts.pushes) == 0 {
		return nil
	}
	return ts.pushes[len(ts.pushes)-1]
}

func (ts *testServer) serve(w http.ResponseWriter, r *http.Request) {
	ts.mu.Lock()
	ts.requests = append(ts.requests, strings.TrimSpace(r.Method+" "+r.URL.Path+" "+r.Header.Get("Content-Encoding")))
	authorize, maxPackSize := ts.authorize, ts.maxPackSize
	ts.mu.Unlock()

	repo, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	id, err := strconv.ParseInt(strings.TrimSuffix(repo, ".git"), 10, 64)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	version := ProtocolVersion(r.Header.Get("Git-Protocol"))
	body := io.Reader(r.Body)
	if enc := r.Header.Get("Content-Encoding"); enc == "gzip" || enc == "x-gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, "bad gzip body", http.StatusBadRequest)
			return
		}
		defer zr.Close()
		body = zr
	}
	w.Header().Set("Cache-Control", "no-cache, max-age=0, must-revalidate")
	switch {
	case r.Method == http.MethodGet && rest == "info/refs":
		service := r.URL.Query().Get("service")
		if service != ServiceUploadPack && service != ServiceReceivePack {
			http.Error(w, "dumb HTTP is not supported", http.StatusForbidden)
			return
		}
		w.Header().Set("Content-Type", "application/x-"+service+"-advertisement")
		err = ts.store.AdvertiseRefs(r.Context(), id, service, w,
			AdvertiseOptions{ProtocolVersion: version, Version: "test"})
	case r.Method == http.MethodPost && rest == ServiceUploadPack:
		w.Header().Set("Content-Type", "application/x-git-upload-pack-result")
		err = ts.store.UploadPack(r.Context(), id, body, w, UploadPackOptions{ProtocolVersion: version})
	case r.Method == http.MethodPost && rest == ServiceReceivePack:
		w.Header().Set("Content-Type", "application/x-git-receive-pack-result")
		var res *PushResult
		res, err = ts.store.ReceivePack(r.Context(), id, body, w,
			ReceivePackOptions{Authorize: authorize, MaxPackSize: maxPackSize})
		if res != nil && len(res.Applied)+len(res.Rejected) > 0 {
			ts.mu.Lock()
			ts.pushes = append(ts.pushes, res)
			ts.mu.Unlock()
		}
	default:
		http.NotFound(w, r)
		return
	}
	if errors.Is(err, ErrNotExist) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		ts.t.Logf("%s %s: %v", r.Method, r.URL.Path, err)
	}
}

// gitCLI runs the real git client with an isolated home and configuration.
type gitCLI struct {
	t   testing.TB
	env []string
}

func newGitCLI(t testing.TB) *gitCLI {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	home := t.TempDir()
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GIT_") && !strings.HasPrefix(kv, "HOME=") &&
			!strings.HasPrefix(kv, "XDG_CONFIG_HOME=") {
			env = append(env, kv)
		}
	}
	env = append(env, "HOME="+home, "XDG_CONFIG_HOME="+home, "GIT_CONFIG_NOSYSTEM=1",
		"GIT_TERMINAL_PROMPT=0", "GIT_ASKPASS=", "LC_ALL=C")
	cfg := "[user]\n\tname = Test User\n\temail = test@example.com\n[init]\n\tdefaultBranch = main\n" +
		"[advice]\n\tdetachedHead = false\n[gc]\n\tauto = 0\n[core]\n\tfsync = none\n"
	if err := os.WriteFile(filepath.Join(home, ".gitconfig"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return &gitCLI{t: t, env: env}
}

// try runs git in dir and returns its combined output.
func (g *gitCLI) try(dir string, args ...string) (string, error) {
	return g.tryEnv(nil, dir, args...)
}

func (g *gitCLI) tryEnv(env []string, dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(append([]string(nil), g.env...), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// runEnv is run with extra environment variables.
func (g *gitCLI) runEnv(env []string, dir string, args ...string) string {
	g.t.Helper()
	out, err := g.tryEnv(env, dir, args...)
	if err != nil {
		g.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(out)
}

// run runs git in dir, failing the test if it fails, and returns its trimmed output.
func (g *gitCLI) run(dir string, args ...string) string {
	g.t.Helper()
	out, err := g.try(dir, args...)
	if err != nil {
		g.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(out)
}

// commit writes files (path → content) in the work tree dir and commits them.
func (g *gitCLI) commit(dir, msg string, files map[string]string) string {
	g.t.Helper()
	for path, content := range files {
		full := filepath.Join(dir, filepath.FromSlash(path))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			g.t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			g.t.Fatal(err)
		}
	}
	g.run(dir, "add", "-A")
	g.run(dir, "commit", "-q", "--allow-empty", "-m", msg)
	return g.run(dir, "rev-parse", "HEAD")
}

// newWorkTree makes a fresh repository with n commits on main and returns its path.
func (g *gitCLI) newWorkTree(n int) string {
	g.t.Helper()
	dir := g.t.TempDir()
	g.run(dir, "init", "-q")
	for i := 0; i < n; i++ {
		g.commit(dir, fmt.Sprintf("commit %d", i), map[string]string{
			"README":                        fmt.Sprintf("version %d\n", i),
			fmt.Sprintf("dir/f%d.txt", i%7): strings.Repeat(fmt.Sprintf("line %d\n", i), 50+i),
		})
	}
	return dir
}

// createRepo makes an empty repository for project id in the store.
func (ts *testServer) createRepo(id int64) {
	ts.t.Helper()
	if err := ts.store.Create(id, InitOptions{}); err != nil {
		ts.t.Fatal(err)
	}
}

// assertFsck runs git fsck --strict in a repository.
func (g *gitCLI) assertFsck(dir string) {
	g.t.Helper()
	g.run(dir, "fsck", "--strict", "--no-dangling")
}

// requestLog returns the requests served so far.
func (ts *testServer) requestLog() []string {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]string(nil), ts.requests...)
}

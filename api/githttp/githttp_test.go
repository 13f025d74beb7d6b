package githttp_test

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/cairn-forge/cairn/server"
	"github.com/cairn-forge/cairn/server/servertest"
)

// gitEnv runs the git command line with no global configuration and no prompts.
type gitEnv struct {
	t   *testing.T
	dir string
}

func newGit(t *testing.T) *gitEnv {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	return &gitEnv{t: t, dir: t.TempDir()}
}

// run runs git in dir (relative to the env's directory) and returns its combined output.
func (g *gitEnv) run(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = filepath.Join(g.dir, dir)
	var env []string
	for _, kv := range os.Environ() {
		// Not git's own variables: a run from a git hook or rebase --exec inherits GIT_DIR.
		if !strings.HasPrefix(kv, "GIT_") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "GIT_TERMINAL_PROMPT=0", "GIT_CONFIG_NOSYSTEM=1", "HOME="+g.dir,
		"GIT_AUTHOR_NAME=Ada", "GIT_AUTHOR_EMAIL=ada@example.com",
		"GIT_COMMITTER_NAME=Ada", "GIT_COMMITTER_EMAIL=ada@example.com")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (g *gitEnv) must(dir string, args ...string) string {
	g.t.Helper()
	out, err := g.run(dir, args...)
	if err != nil {
		g.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func (g *gitEnv) write(path, content string) {
	g.t.Helper()
	full := filepath.Join(g.dir, path)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		g.t.Fatal(err)
	}
	if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
		g.t.Fatal(err)
	}
}

// remote is the clone URL of a project, with token as the Basic password when not empty.
func remote(s *servertest.Server, path, token string) string {
	u, _ := url.Parse(s.URL + "/" + path + ".git")
	if token != "" {
		u.User = url.UserPassword("oauth2", token)
	}
	return u.String()
}

func createProject(t *testing.T, s *servertest.Server, token string, body map[string]any) {
	t.Helper()
	resp := s.Do(t, "POST", "/api/v4/projects", token, body)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create project: %d %s", resp.StatusCode, resp.Body)
	}
}

func TestCloneNeedsAccess(t *testing.T) {
	t.Parallel()
	s := servertest.New(t)
	g := newGit(t)
	_, devToken := s.CreateUser(t, "dev")
	_, strangerToken := s.CreateUser(t, "stranger")
	_, readToken := s.CreateUser(t, "reader", "read_repository")
	createProject(t, s, s.AdminToken, map[string]any{"name": "secret", "initialize_with_readme": true})
	createProject(t, s, s.AdminToken,
		map[string]any{"name": "open", "visibility": "public", "initialize_with_readme": true})
	guestID, guestToken := s.CreateUser(t, "guest")
	minimalID, minimalToken := s.CreateUser(t, "minimal")
	for _, m := range []struct {
		path  string
		user  int64
		level int
	}{{"projects/root%2Fsecret", 2, 30}, {"projects/root%2Fsecret", guestID, 10}} {
		if resp := s.Do(t, "POST", "/api/v4/"+m.path+"/members", s.AdminToken,
			map[string]any{"user_id": m.user, "access_level": m.level}); resp.StatusCode != http.StatusCreated {
			t.Fatalf("add member: %d %s", resp.StatusCode, resp.Body)
		}
	}
	// Minimal access to a group sees the group, none of its projects.
	resp := s.Do(t, "POST", "/api/v4/groups", s.AdminToken, map[string]any{"name": "corp", "path": "corp"})
	var group struct{ ID int64 }
	if err := json.Unmarshal([]byte(resp.Body), &group); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("create group: %d %s", resp.StatusCode, resp.Body)
	}
	if resp := s.Do(t, "POST", "/api/v4/groups/corp/members", s.AdminToken,
		map[string]any{"user_id": minimalID, "access_level": 5}); resp.StatusCode != http.StatusCreated {
		t.Fatalf("add a minimal member: %d %s", resp.StatusCode, resp.Body)
	}
	createProject(t, s, s.AdminToken,
		map[string]any{"name": "deep", "namespace_id": group.ID, "initialize_with_readme": true})

	tests := []struct {
		name, path, token string
		ok                bool
		says              string
	}{
		{"member clones private project with token", "root/secret", devToken, true, ""},
		{"anonymous is asked for credentials", "root/secret", "", false, "could not read Username"},
		{"signed-in stranger sees nothing", "root/secret", strangerToken, false, "not found"},
		{"wrong token is refused", "root/secret", "cairn_pat_wrong", false, "Authentication failed"},
		{"a guest may not download a private project's code", "root/secret", guestToken, false,
			"You are not allowed to download code from this project."},
		{"minimal access to a group reaches none of its projects", "corp/deep", minimalToken, false, "not found"},
		{"anonymous clones public project", "root/open", "", true, ""},
		{"read_repository token clones public project", "root/open", readToken, true, ""},
	}
	for i, tt := range tests {
		out, err := g.run("", "clone", remote(s, tt.path, tt.token), fmt.Sprintf("c%d", i))
		if (err == nil) != tt.ok || !strings.Contains(out, tt.says) {
			t.Errorf("%s: err=%v, output:\n%s", tt.name, err, out)
			continue
		}
		if tt.ok {
			if got := g.must(fmt.Sprintf("c%d", i), "ls-files"); strings.TrimSpace(got) != "README.md" {
				t.Errorf("%s: clone holds %q", tt.name, got)
			}
		}
	}
	// The .git suffix is optional, as on GitLab.
	g.must("", "clone", strings.TrimSuffix(remote(s, "root/open", ""), ".git"), "nosuffix")
}

func TestPushUpdatesProjectAndHonoursProtection(t *testing.T) {
	t.Parallel()
	s := servertest.New(t)
	g := newGit(t)
	_, readAPI := s.CreateUser(t, "auditor", "read_api")
	createProject(t, s, s.AdminToken, map[string]any{"name": "app", "visibility": "internal"})
	url := remote(s, "root/app", s.AdminToken)

	// A new repository: init, commit, push; the project is no longer empty.
	g.must("", "init", "-q", "-b", "main", "work")
	g.write("work/main.go", "package main\n")
	g.must("work", "add", ".")
	g.must("work", "commit", "-qm", "first")
	g.must("work", "push", url, "main")
	var p struct {
		EmptyRepo     bool   `json:"empty_repo"`
		DefaultBranch string `json:"default_branch"`
	}
	s.Do(t, "GET", "/api/v4/projects/root%2Fapp", s.AdminToken, nil).JSON(t, &p)
	if p.EmptyRepo || p.DefaultBranch != "main" {
		t.Fatalf("after the first push: %+v", p)
	}
	var events []struct {
		ActionName     string `json:"action_name"`
		AuthorUsername string `json:"author_username"`
		PushData       struct {
			CommitCount int    `json:"commit_count"`
			Ref         string `json:"ref"`
			CommitTitle string `json:"commit_title"`
		} `json:"push_data"`
	}
	s.Do(t, "GET", "/api/v4/projects/root%2Fapp/events", s.AdminToken, nil).JSON(t, &events)
	if len(events) != 1 || events[0].ActionName != "pushed new" || events[0].AuthorUsername != "root" ||
		events[0].PushData.Ref != "main" || events[0].PushData.CommitCount != 1 ||
		events[0].PushData.CommitTitle != "first" {
		t.Fatalf("push events: %+v", events)
	}

	// Branches and tags; deleting a branch.
	g.must("work", "branch", "topic")
	g.must("work", "tag", "-a", "v1.0", "-m", "release")
	g.must("work", "push", url, "topic", "v1.0")
	g.must("work", "push", url, "--delete", "topic")
	refs := g.must("", "ls-remote", url)
	if !strings.Contains(refs, "refs/tags/v1.0") || strings.Contains(refs, "refs/heads/topic") {
		t.Fatalf("refs after pushes:\n%s", refs)
	}

	// The default branch is protected from force-push and deletion.
	g.must("work", "commit", "-q", "--amend", "-m", "rewritten")
	out, err := g.run("work", "push", "--force", url, "main")
	if err == nil || !strings.Contains(out, "remote: You are not allowed to force push code to a protected branch") {
		t.Fatalf("force-push to main: err=%v\n%s", err, out)
	}
	out, err = g.run("work", "push", url, "--delete", "main")
	if err == nil || !strings.Contains(out, "remote rejected") {
		t.Fatalf("deleting main: err=%v\n%s", err, out)
	}

	// After unprotecting, a force-push goes through.
	if resp := s.Do(t, "DELETE", "/api/v4/projects/root%2Fapp/protected_branches/main", s.AdminToken,
		nil); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("unprotect: %d %s", resp.StatusCode, resp.Body)
	}
	g.must("work", "push", "--force", url, "main")

	// A read_api token may fetch an internal project but not push.
	g.must("", "clone", "-q", remote(s, "root/app", readAPI), "ro")
	g.write("ro/x", "x")
	g.must("ro", "add", "x")
	g.must("ro", "commit", "-qm", "x")
	if out, err := g.run("ro", "push", "origin", "main"); err == nil || !strings.Contains(out, "403") &&
		!strings.Contains(out, "scope") {
		t.Fatalf("push with read_api token: err=%v\n%s", err, out)
	}
}

func TestShallowCloneAndFetch(t *testing.T) {
	t.Parallel()
	s := servertest.New(t)
	g := newGit(t)
	createProject(t, s, s.AdminToken, map[string]any{"name": "hist", "visibility": "public"})
	url := remote(s, "root/hist", s.AdminToken)
	g.must("", "init", "-q", "-b", "main", "src")
	for i := 0; i < 5; i++ {
		g.write("src/n.txt", fmt.Sprint(i))
		g.must("src", "add", ".")
		g.must("src", "commit", "-qm", fmt.Sprint("c", i))
	}
	g.must("src", "push", "-q", url, "main")
	g.must("", "clone", "-q", "--depth", "1", remote(s, "root/hist", ""), "shallow")
	if n := strings.Count(g.must("shallow", "log", "--oneline"), "\n"); n != 1 {
		t.Fatalf("shallow clone has %d commits", n)
	}
	g.write("src/n.txt", "new")
	g.must("src", "commit", "-qam", "c5")
	g.must("src", "push", "-q", url, "main")
	g.must("shallow", "fetch", "-q", "--deepen", "2")
	g.must("", "clone", "-q", remote(s, "root/hist", ""), "full")
	if log := g.must("full", "log", "--format=%s"); !strings.HasPrefix(log, "c5\nc4") {
		t.Fatalf("full clone log:\n%s", log)
	}
}

func TestLargeBinaryRoundTripsAndConcurrentPushesKeepOneWinner(t *testing.T) {
	t.Parallel()
	s := servertest.New(t)
	g := newGit(t)
	createProject(t, s, s.AdminToken, map[string]any{"name": "bin", "initialize_with_readme": true})
	url := remote(s, "root/bin", s.AdminToken)

	blob := make([]byte, 5<<20)
	if _, err := rand.Read(blob); err != nil {
		t.Fatal(err)
	}
	g.must("", "clone", "-q", url, "a")
	g.write("a/blob.bin", string(blob))
	g.must("a", "add", ".")
	g.must("a", "commit", "-qm", "binary")
	g.must("a", "push", "-q", "origin", "main")
	g.must("", "clone", "-q", url, "b")
	got, err := os.ReadFile(filepath.Join(g.dir, "b", "blob.bin"))
	if err != nil || !bytes.Equal(got, blob) {
		t.Fatalf("5 MB blob did not round-trip (err=%v, %d bytes)", err, len(got))
	}

	// Four clones from the same base push different commits to one branch at once.
	const n = 4
	for i := 0; i < n; i++ {
		dir := fmt.Sprint("p", i)
		g.must("", "clone", "-q", url, dir)
		g.write(dir+"/f.txt", dir)
		g.must(dir, "add", ".")
		g.must(dir, "commit", "-qm", dir)
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, errs[i] = g.run(fmt.Sprint("p", i), "push", "-q", "origin", "main")
		}(i)
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		if err == nil {
			wins++
		}
	}
	if wins != 1 {
		t.Fatalf("%d of %d concurrent pushes won, want exactly 1 (%v)", wins, n, errs)
	}
	g.must("", "clone", "-q", url, "check")
	g.must("check", "fsck", "--strict")
}

func TestDumbProtocolGetsAClearError(t *testing.T) {
	t.Parallel()
	s := servertest.New(t)
	createProject(t, s, s.AdminToken,
		map[string]any{"name": "pub", "visibility": "public", "initialize_with_readme": true})
	for _, path := range []string{"/root/pub.git/info/refs", "/root/pub.git/HEAD"} {
		resp := s.Do(t, "GET", path, "", nil)
		if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(resp.Body), "smart HTTP") {
			t.Errorf("GET %s: %d %s", path, resp.StatusCode, resp.Body)
		}
	}
	resp := s.Do(t, "GET", "/root/pub.git/info/refs?service=git-upload-pack", "", nil)
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK ||
		ct != "application/x-git-upload-pack-advertisement" {
		t.Fatalf("smart advertisement: %d %q", resp.StatusCode, ct)
	}
	resp = s.Do(t, "GET", "/root/pub.git/info/refs?service=git-receive-pack", "", nil)
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") != `Basic realm="cairn"` {
		t.Fatalf("anonymous push advertisement: %d %v", resp.StatusCode, resp.Header)
	}
}

func TestOversizedFetchRequestGetsAnError(t *testing.T) {
	t.Parallel()
	s := servertest.New(t)
	g := newGit(t)
	createProject(t, s, s.AdminToken,
		map[string]any{"name": "pub", "visibility": "public", "initialize_with_readme": true})
	tip := strings.Fields(g.must("", "ls-remote", remote(s, "root/pub", ""), "HEAD"))[0]

	// 17 MiB of want lines, 50 KB once gzipped, sent anonymously.
	var body bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&body, gzip.BestCompression)
	line := fmt.Sprintf("0032want %s\n", tip)
	for n := 0; n < 17<<20; n += len(line) {
		io.WriteString(zw, line)
	}
	io.WriteString(zw, "00000009done\n")
	zw.Close()
	resp := s.Do(t, "POST", "/root/pub.git/git-upload-pack", "", body.Bytes(),
		"Content-Type", "application/x-git-upload-pack-request", "Content-Encoding", "gzip")
	want := "ERR upload-pack: the request is larger than the 16 MiB limit\n"
	if resp.StatusCode != http.StatusOK || string(resp.Body) != fmt.Sprintf("%04x%s", len(want)+4, want) {
		t.Errorf("%d %q", resp.StatusCode, resp.Body[:min(len(resp.Body), 200)])
	}
}

func TestPushOverTheSizeLimitIsRefused(t *testing.T) {
	t.Parallel()
	s := servertest.New(t, servertest.WithConfig(func(c *server.Config) { c.MaxPushSize = 1 << 20 }))
	g := newGit(t)
	createProject(t, s, s.AdminToken, map[string]any{"name": "app", "initialize_with_readme": true})
	url := remote(s, "root/app", s.AdminToken)
	g.must("", "clone", "-q", url, "work")
	before := g.must("", "ls-remote", url)

	blob := make([]byte, 1536<<10)
	if _, err := rand.Read(blob); err != nil {
		t.Fatal(err)
	}
	g.write("work/blob.bin", string(blob))
	g.must("work", "add", ".")
	g.must("work", "commit", "-qm", "too big")
	out, err := g.run("work", "push", "origin", "main")
	if err == nil ||
		!strings.Contains(out, "remote: cairn: the pushed pack is larger than the 1 MiB this server accepts") ||
		!strings.Contains(out, "remote unpack failed: pack exceeds maximum allowed size (1 MiB)") {
		t.Fatalf("push over the limit: err=%v\n%s", err, out)
	}
	if after := g.must("", "ls-remote", url); after != before {
		t.Errorf("refs moved:\n%s\n---\n%s", before, after)
	}
	// Under the limit, the same kind of push goes through.
	g.must("work", "reset", "-q", "--hard", "HEAD~1")
	g.write("work/small.bin", string(blob[:256<<10]))
	g.must("work", "add", ".")
	g.must("work", "commit", "-qm", "small enough")
	g.must("work", "push", "-q", "origin", "main")
}

func TestOversizedPushCommandListIsRefused(t *testing.T) {
	t.Parallel()
	s := servertest.New(t)
	g := newGit(t)
	devID, devToken := s.CreateUser(t, "dev")
	createProject(t, s, s.AdminToken, map[string]any{"name": "app", "initialize_with_readme": true})
	if resp := s.Do(t, "POST", "/api/v4/projects/root%2Fapp/members", s.AdminToken,
		map[string]any{"user_id": devID, "access_level": 30}); resp.StatusCode != http.StatusCreated {
		t.Fatalf("add member: %d %s", resp.StatusCode, resp.Body)
	}
	url := remote(s, "root/app", devToken)
	before := g.must("", "ls-remote", url)
	tip := strings.Fields(before)[0]

	// 150,000 branch creations, 16 MB of commands and 400 KB once gzipped, from a developer.
	var body bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&body, gzip.BestCompression)
	for i := 0; i < 150_000; i++ {
		line := fmt.Sprintf("%040d %s refs/heads/b%06d", 0, tip, i)
		if i == 0 {
			line += "\x00report-status side-band-64k"
		}
		fmt.Fprintf(zw, "%04x%s\n", len(line)+5, line)
	}
	io.WriteString(zw, "0000")
	zw.Close()
	resp := s.Do(t, "POST", "/root/app.git/git-receive-pack", "", body.Bytes(),
		"Content-Type", "application/x-git-receive-pack-request", "Content-Encoding", "gzip",
		"Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("oauth2:"+devToken)))
	for _, want := range []string{
		"cairn: a push may update at most 100000 references; push fewer at a time",
		"unpack too many ref updates (more than 100000)\n",
		"ng refs/heads/b000000 unpacker error\n",
	} {
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(resp.Body), want) {
			t.Errorf("%d %q…, want %q", resp.StatusCode, resp.Body[:min(len(resp.Body), 200)], want)
		}
	}
	if after := g.must("", "ls-remote", url); after != before {
		t.Errorf("refs moved:\n%s\n---\n%s", before, after)
	}
}

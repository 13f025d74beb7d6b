package main

// These tests build the real cairn binary once and drive it as an operator or a test
// harness would: flags, environment, ready file, signals, data directories, admin commands.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// cairnBin is the binary TestMain builds.
var cairnBin string

const testVersion = "v0.0.0-maintest"

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "cairn-main-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cairnBin = filepath.Join(dir, "cairn")
	build := exec.Command("go", "build", "-ldflags", "-X main.version="+testVersion, "-o", cairnBin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build cairn:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// lockedBuffer collects a process's output while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// env is the test process's environment without any CAIRN_ variable, plus extra.
func env(extra ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CAIRN_") {
			out = append(out, kv)
		}
	}
	return append(out, extra...)
}

// runCairn executes a short cairn command and returns its stdout, stderr and exit code.
func runCairn(t *testing.T, extraEnv []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	// A command expected to end that keeps running (a serve that started after all) fails
	// the test instead of hanging it.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, cairnBin, args...)
	cmd.Env = env(extraEnv...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("cairn %v still ran after a minute; stderr:\n%s", args, e.String())
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatalf("run cairn %v: %v", args, err)
	}
	return o.String(), e.String(), code
}

// serveProc is a running `cairn serve`.
type serveProc struct {
	cmd  *exec.Cmd
	out  *lockedBuffer
	done chan struct{}
	err  error
}

// startServe starts `cairn serve args...`; the process is killed at the end of the test if
// the test has not stopped it.
func startServe(t *testing.T, extraEnv []string, args ...string) *serveProc {
	t.Helper()
	s := &serveProc{out: &lockedBuffer{}, done: make(chan struct{})}
	s.cmd = exec.Command(cairnBin, append([]string{"serve"}, args...)...)
	s.cmd.Env = env(extraEnv...)
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start cairn: %v", err)
	}
	go func() {
		s.err = s.cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		select {
		case <-s.done:
		default:
			_ = s.cmd.Process.Kill()
			<-s.done
		}
	})
	return s
}

// readyInfo is what the ready file holds.
type readyInfo struct {
	URL        string `json:"url"`
	APIURL     string `json:"api_url"`
	DataDir    string `json:"data_dir"`
	PID        int    `json:"pid"`
	AdminToken string `json:"admin_token"`
}

// waitReady waits for the ready file and reads it.
func (s *serveProc) waitReady(t *testing.T, file string) readyInfo {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			t.Fatalf("cairn exited before it was ready (%v):\n%s", s.err, s.out)
		default:
		}
		if data, err := os.ReadFile(file); err == nil {
			var info readyInfo
			if err := json.Unmarshal(data, &info); err != nil {
				t.Fatalf("ready file is not JSON (%v): %s", err, data)
			}
			return info
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("no ready file after 15s; output:\n%s", s.out)
	return readyInfo{}
}

// waitOutput waits until the process's output matches re (what it printed reaches the
// test through a pipe, after the ready file may have appeared) and returns the match.
func (s *serveProc) waitOutput(t *testing.T, re *regexp.Regexp) []string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		if m := re.FindStringSubmatch(s.out.String()); m != nil {
			return m
		}
		select {
		case <-s.done:
			// Exited: all it printed has been copied.
			return re.FindStringSubmatch(s.out.String())
		default:
		}
		if time.Now().After(deadline) {
			return nil
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// stop sends SIGTERM and returns the exit code.
func (s *serveProc) stop(t *testing.T) int {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("signal cairn: %v", err)
	}
	select {
	case <-s.done:
	case <-time.After(15 * time.Second):
		t.Fatalf("cairn did not stop within 15s of SIGTERM; output:\n%s", s.out)
	}
	return s.cmd.ProcessState.ExitCode()
}

// call sends one API request and decodes a JSON answer into out (when not nil).
func call(t *testing.T, method, url, token string, out any) int {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("PRIVATE-TOKEN", token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(body, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, url, err, body)
		}
	}
	return resp.StatusCode
}

type apiUser struct {
	ID       int64  `json:"id"`
	Username string `json:"username"`
	IsAdmin  bool   `json:"is_admin"`
}

// whoami answers the username a token authenticates, failing unless GET /user is 200.
func whoami(t *testing.T, base, token string) string {
	t.Helper()
	var u apiUser
	if code := call(t, "GET", base+"/api/v4/user", token, &u); code != 200 {
		t.Fatalf("GET /api/v4/user: %d", code)
	}
	return u.Username
}

func TestServeEphemeralWritesReadyFileAndStopsCleanly(t *testing.T) {
	t.Parallel()
	ready := filepath.Join(t.TempDir(), "ready.json")
	s := startServe(t, nil, "--ephemeral", "--addr", "127.0.0.1:0", "--ready-file", ready)
	info := s.waitReady(t, ready)
	if !regexp.MustCompile(`^http://127\.0\.0\.1:\d+$`).MatchString(info.URL) || info.APIURL != info.URL+"/api/v4" {
		t.Errorf("ready file urls: %+v", info)
	}
	if info.PID != s.cmd.Process.Pid {
		t.Errorf("ready file pid %d, want %d", info.PID, s.cmd.Process.Pid)
	}
	if !strings.HasPrefix(info.AdminToken, "cairn_pat_") {
		t.Fatalf("ready file admin_token %q", info.AdminToken)
	}
	var root apiUser
	if code := call(t, "GET", info.URL+"/api/v4/user", info.AdminToken, &root); code != 200 ||
		root.Username != "root" || !root.IsAdmin {
		t.Fatalf("GET /user with the ready file's token: %d %+v", code, root)
	}
	var version struct{ Version string }
	if code := call(t, "GET", info.APIURL+"/version", info.AdminToken, &version); code != 200 || version.Version == "" {
		t.Errorf("GET /version: %d %+v", code, version)
	}
	if st, err := os.Stat(info.DataDir); err != nil || !st.IsDir() {
		t.Fatalf("the ephemeral data directory %q is missing while running: %v", info.DataDir, err)
	}

	if code := s.stop(t); code != 0 {
		t.Fatalf("exit code %d after SIGTERM; output:\n%s", code, s.out)
	}
	if _, err := os.Stat(info.DataDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the ephemeral data directory %q is still there after exit (%v)", info.DataDir, err)
	}
}

var (
	printedPassword = regexp.MustCompile(`password:\s+(\S+)`)
	printedToken    = regexp.MustCompile(`admin token:\s+(cairn_pat_\S+)`)
)

func TestFirstStartPrintsCredentialsOnce(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	ready := filepath.Join(t.TempDir(), "ready.json")

	s := startServe(t, nil, "--data-dir", dir, "--addr", "127.0.0.1:0", "--ready-file", ready)
	info := s.waitReady(t, ready)
	pw, tok := s.waitOutput(t, printedPassword), s.waitOutput(t, printedToken)
	out := s.out.String()
	if pw == nil || tok == nil {
		t.Fatalf("the first start printed no password or admin token:\n%s", out)
	}
	if len(pw[1]) < 12 {
		t.Errorf("generated password %q is short", pw[1])
	}
	if got := whoami(t, info.URL, tok[1]); got != "root" {
		t.Errorf("the printed admin token is %s's", got)
	}
	if info.AdminToken != tok[1] {
		t.Errorf("ready file admin_token %q, printed %q", info.AdminToken, tok[1])
	}
	if code := s.stop(t); code != 0 {
		t.Fatalf("exit code %d; output:\n%s", code, s.out)
	}
	if _, err := os.Stat(filepath.Join(dir, "cairn.db")); err != nil {
		t.Fatalf("no database in the data directory after a clean stop: %v", err)
	}

	os.Remove(ready)
	s = startServe(t, nil, "--data-dir", dir, "--addr", "127.0.0.1:0", "--ready-file", ready)
	info = s.waitReady(t, ready)
	if out := s.out.String(); strings.Contains(out, pw[1]) || strings.Contains(out, tok[1]) ||
		printedPassword.MatchString(out) || printedToken.MatchString(out) {
		t.Errorf("the second start printed credentials again:\n%s", out)
	}
	if got := whoami(t, info.URL, tok[1]); got != "root" {
		t.Errorf("the first start's token is %s's after a restart", got)
	}
	if code := s.stop(t); code != 0 {
		t.Fatalf("exit code %d; output:\n%s", code, s.out)
	}
}

func TestAdminTokenFlagAndEnvironment(t *testing.T) {
	t.Parallel()
	const given = "cairn_pat_given_by_the_operator_0001"
	tests := []struct {
		name string
		env  []string
		args []string
	}{
		{"flag", nil, []string{"--admin-token", given}},
		{"environment", []string{"CAIRN_ADMIN_TOKEN=" + given}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ready := filepath.Join(t.TempDir(), "ready.json")
			s := startServe(t, tt.env,
				append([]string{"--ephemeral", "--addr", "127.0.0.1:0", "--ready-file", ready}, tt.args...)...)
			info := s.waitReady(t, ready)
			if info.AdminToken != given {
				t.Errorf("ready file admin_token %q, want the given one", info.AdminToken)
			}
			if got := whoami(t, info.URL, given); got != "root" {
				t.Errorf("--admin-token authenticates %s", got)
			}
			// The given token has the sudo scope.
			var u apiUser
			if code := call(t, "GET", info.URL+"/api/v4/user?sudo=root", given, &u); code != 200 {
				t.Errorf("sudo with the given token: %d", code)
			}
			// A generated token is neither printed nor made.
			if out := s.out.String(); printedToken.MatchString(out) || !printedPassword.MatchString(out) {
				t.Errorf("first start with --admin-token should print the password only:\n%s", out)
			}
			if code := s.stop(t); code != 0 {
				t.Errorf("exit code %d", code)
			}
		})
	}
}

func TestEnvironmentVariablesConfigureServe(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "from-env")
	ready := filepath.Join(t.TempDir(), "ready.json")
	s := startServe(t, []string{"CAIRN_ADDR=127.0.0.1:0", "CAIRN_DATA_DIR=" + dir, "CAIRN_READY_FILE=" + ready,
		"CAIRN_LOG_FORMAT=json"})
	info := s.waitReady(t, ready)
	if info.DataDir != dir {
		t.Errorf("data_dir %q, want CAIRN_DATA_DIR %q", info.DataDir, dir)
	}
	if _, err := os.Stat(filepath.Join(dir, "cairn.db")); err != nil {
		t.Errorf("no database under CAIRN_DATA_DIR: %v", err)
	}
	tok := s.waitOutput(t, printedToken)
	if tok == nil {
		t.Fatalf("no admin token printed:\n%s", s.out)
	}
	whoami(t, info.URL, tok[1])
	if code := s.stop(t); code != 0 {
		t.Fatalf("exit code %d", code)
	}
	// CAIRN_LOG_FORMAT=json: every log line is a JSON object.
	logs := 0
	for _, line := range strings.Split(s.out.String(), "\n") {
		if strings.HasPrefix(line, "{") {
			var v map[string]any
			if err := json.Unmarshal([]byte(line), &v); err != nil {
				t.Errorf("log line is not JSON: %s", line)
			}
			logs++
		}
	}
	if logs == 0 {
		t.Errorf("no JSON log lines with CAIRN_LOG_FORMAT=json:\n%s", s.out)
	}
}

func TestFlagsWinOverEnvironment(t *testing.T) {
	t.Parallel()
	ready := filepath.Join(t.TempDir(), "ready.json")
	s := startServe(t, []string{"CAIRN_ADDR=256.0.0.1:99999", "CAIRN_DATA_DIR=/nonexistent/never"},
		"--addr", "127.0.0.1:0", "--ephemeral", "--ready-file", ready)
	s.waitReady(t, ready)
	if code := s.stop(t); code != 0 {
		t.Errorf("exit code %d", code)
	}
}

func TestExternalURLIsTheBaseOfResponseURLs(t *testing.T) {
	t.Parallel()
	const external = "https://git.example.com"
	ready := filepath.Join(t.TempDir(), "ready.json")
	s := startServe(t, nil, "--ephemeral", "--addr", "127.0.0.1:0", "--ready-file", ready,
		"--admin-token", "cairn_pat_external_url_test_00000001", "--external-url", external+"/")
	info := s.waitReady(t, ready)
	var u struct {
		WebURL string `json:"web_url"`
	}
	call(t, "GET", info.URL+"/api/v4/user", info.AdminToken, &u)
	if u.WebURL != external+"/root" {
		t.Errorf("web_url %q, want %s/root", u.WebURL, external)
	}
	req, _ := http.NewRequest("GET", info.URL+"/api/v4/users?per_page=1", nil)
	req.Header.Set("PRIVATE-TOKEN", info.AdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if link := resp.Header.Get("Link"); !strings.HasPrefix(link, "<"+external+"/api/v4/users?") {
		t.Errorf("Link %q does not start at the external URL", link)
	}
	s.stop(t)
}

func TestSeedFileLoadsAndReloads(t *testing.T) {
	t.Parallel()
	const (
		aliceToken = "cairn_pat_example_alice_api_0000000000"
		bobToken   = "cairn_pat_example_bob_readonly_00000000"
		opsToken   = "cairn_pat_example_ops_sudo_000000000000"
	)
	dir := filepath.Join(t.TempDir(), "data")
	for start := 1; start <= 2; start++ {
		ready := filepath.Join(t.TempDir(), "ready.json")
		s := startServe(t, nil, "--data-dir", dir, "--addr", "127.0.0.1:0", "--ready-file", ready,
			"--fixture", "testdata/fixture.json")
		info := s.waitReady(t, ready)
		api := info.APIURL

		for token, want := range map[string]string{aliceToken: "alice", bobToken: "bob", opsToken: "ops"} {
			if got := whoami(t, info.URL, token); got != want {
				t.Errorf("start %d: token of %s authenticates %s", start, want, got)
			}
		}
		var group struct {
			FullPath string `json:"full_path"`
			FullName string `json:"full_name"`
		}
		if code := call(t, "GET", api+"/groups/acme%2Fplatform", "", &group); code != 200 ||
			group.FullPath != "acme/platform" || group.FullName != "Acme / Platform" {
			t.Errorf("start %d: group acme/platform: %d %+v", start, code, group)
		}
		var project struct {
			EmptyRepo   bool   `json:"empty_repo"`
			Visibility  string `json:"visibility"`
			Description string `json:"description"`
		}
		if code := call(t, "GET", api+"/projects/acme%2Fplatform%2Fapi", "", &project); code != 200 ||
			project.EmptyRepo || project.Visibility != "public" {
			t.Errorf("start %d: project acme/platform/api: %d %+v", start, code, project)
		}
		// alice/notes is private: bob is a reporter of it, strangers do not see it.
		if code := call(t, "GET", api+"/projects/alice%2Fnotes", "", nil); code != 404 {
			t.Errorf("start %d: alice/notes anonymously: %d, want 404", start, code)
		}
		if code := call(t, "GET", api+"/projects/alice%2Fnotes", bobToken, nil); code != 200 {
			t.Errorf("start %d: alice/notes for bob: %d, want 200", start, code)
		}
		// Scopes as the fixture gives them: bob's token reads only; ops may sudo.
		if code := call(t, "POST", api+"/groups?name=X&path=x", bobToken, nil); code != 403 {
			t.Errorf("start %d: a write with bob's read_api token: %d, want 403", start, code)
		}
		var u apiUser
		if code := call(t, "GET", api+"/user?sudo=alice", opsToken, &u); code != 200 || u.Username != "alice" {
			t.Errorf("start %d: ops sudo alice: %d %+v", start, code, u)
		}
		// Group membership from the fixture: alice owns acme, so she may create in it.
		if start == 1 {
			if code := call(t, "POST", api+"/projects?name=extra&namespace_id=acme", aliceToken, nil); code != 201 {
				t.Errorf("alice creates a project in acme: %d", code)
			}
		}
		if code := s.stop(t); code != 0 {
			t.Fatalf("start %d: exit code %d; output:\n%s", start, code, s.out)
		}
	}
}

func TestAdminCommandsWorkOnADataDirectory(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	stdout, stderr, code := runCairn(t, nil, "admin", "user", "create", "--data-dir", dir,
		"--username", "carol", "--email", "carol@example.com", "--name", "Carol")
	if code != 0 || !regexp.MustCompile(`created user carol \(id \d+\)`).MatchString(stdout) ||
		!printedPassword.MatchString(stdout) {
		t.Fatalf("admin user create: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	_, stderr, code = runCairn(t, nil, "admin", "user", "create", "--data-dir", dir, "--username", "carol",
		"--email", "other@example.com")
	if code == 0 || !strings.Contains(stderr, "Username has already been taken") {
		t.Errorf("a duplicate user: exit %d, stderr %s", code, stderr)
	}
	_, stderr, code = runCairn(t, []string{"CAIRN_DATA_DIR=" + dir}, "admin", "user", "create", "--username", "dave",
		"--email", "dave@example.com", "--password", "dave-password", "--admin")
	if code != 0 {
		t.Errorf("admin user create with CAIRN_DATA_DIR: exit %d, stderr %s", code, stderr)
	}

	stdout, stderr, code = runCairn(t, nil, "admin", "token", "create", "--data-dir", dir,
		"--username", "carol", "--name", "ci", "--scopes", "read_api,read_repository")
	token := strings.TrimSpace(stdout)
	if code != 0 || !strings.HasPrefix(token, "cairn_pat_") {
		t.Fatalf("admin token create: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	expires := time.Now().AddDate(0, 0, 3).Format("2006-01-02")
	stdout, _, code = runCairn(t, nil, "admin", "token", "create", "--data-dir", dir, "--username", "dave",
		"--name", "ops",
		"--scopes", "api,sudo", "--expires-at", expires)
	daveToken := strings.TrimSpace(stdout)
	if code != 0 || !strings.HasPrefix(daveToken, "cairn_pat_") {
		t.Fatalf("admin token create for dave: exit %d, %s", code, stdout)
	}
	for _, bad := range [][]string{
		{"--username", "carol", "--name", "x", "--scopes", "everything"},
		{"--username", "nobody", "--name", "x"},
		{"--username", "carol", "--name", "x", "--scopes", "sudo"},
		{"--username", "carol", "--expires", "never"}, // the instance does not allow permanent tokens
		{"--username", "carol", "--expires", "soon"},
	} {
		if _, stderr, code := runCairn(t, nil,
			append([]string{"admin", "token", "create", "--data-dir", dir}, bad...)...); code == 0 {
			t.Errorf("admin token create %v succeeded; stderr %s", bad, stderr)
		}
	}

	// Where permanent tokens are allowed, --expires never makes one; the name is optional.
	stdout, stderr, code = runCairn(t, []string{"CAIRN_ALLOW_PERMANENT_TOKENS=true"}, "admin", "token", "create",
		"--data-dir", dir, "--username", "carol", "--expires", "never")
	permanent := strings.TrimSpace(stdout)
	if code != 0 || !strings.HasPrefix(permanent, "cairn_pat_") {
		t.Fatalf("admin token create --expires never: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}

	ready := filepath.Join(t.TempDir(), "ready.json")
	s := startServe(t, nil, "--data-dir", dir, "--addr", "127.0.0.1:0", "--ready-file", ready)
	info := s.waitReady(t, ready)
	var forever struct {
		Name      string  `json:"name"`
		ExpiresAt *string `json:"expires_at"`
	}
	call(t, "GET", info.APIURL+"/personal_access_tokens/self", permanent, &forever)
	if forever.ExpiresAt != nil || forever.Name != "token-"+time.Now().UTC().Format("2006-01-02") {
		t.Errorf("the permanent token: %+v, want no expiry and a dated name", forever)
	}
	if got := whoami(t, info.URL, token); got != "carol" {
		t.Errorf("the command line's token authenticates %s", got)
	}
	var tok struct {
		Scopes    []string `json:"scopes"`
		ExpiresAt string   `json:"expires_at"`
	}
	call(t, "GET", info.APIURL+"/personal_access_tokens/self", token, &tok)
	if strings.Join(tok.Scopes, ",") != "read_api,read_repository" || tok.ExpiresAt == "" {
		t.Errorf("the command line's token: %+v", tok)
	}
	var u apiUser
	if code := call(t, "GET", info.APIURL+"/user?sudo=carol", daveToken, &u); code != 200 || u.Username != "carol" {
		t.Errorf("dave (admin, sudo token) as carol: %d %+v", code, u)
	}
	// The server also set up root on this directory, as on any first start.
	if !printedPassword.MatchString(s.out.String()) {
		t.Errorf("the first serve on the directory printed no root password:\n%s", s.out)
	}
	if code := s.stop(t); code != 0 {
		t.Errorf("exit code %d", code)
	}
}

// signInForm posts the sign-in form of base as a browser that loaded the page does, from the
// client address xff names (when the server trusts the test's loopback as a proxy), and
// returns the status.
func signInForm(t *testing.T, base, login, password, xff string) int {
	t.Helper()
	const token = "a-sign-in-form-token-of-thirty-two-or-more"
	form := url.Values{"user[login]": {login}, "user[password]": {password}, "authenticity_token": {token}}
	req, err := http.NewRequest("POST", base+"/users/sign_in", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Cookie", "_cairn_csrf="+token)
	if xff != "" {
		req.Header.Set("X-Forwarded-For", xff)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// An account locked by failed passwords is unlocked from the command line, while the server
// runs; behind a proxy named in CAIRN_TRUSTED_PROXY the audit log names each client.
func TestLockedAccountIsUnlockedFromTheCommandLine(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	if _, stderr, code := runCairn(t, nil, "admin", "user", "create", "--data-dir", dir, "--username", "carol",
		"--email", "carol@example.com", "--password", "carol-password"); code != 0 {
		t.Fatalf("admin user create: %s", stderr)
	}
	const admin = "cairn_pat_operator_chosen_token_0001"
	ready := filepath.Join(t.TempDir(), "ready.json")
	s := startServe(t, []string{"CAIRN_TRUSTED_PROXY=10.0.0.0/8,127.0.0.1"},
		"--data-dir", dir, "--addr", "127.0.0.1:0", "--ready-file", ready, "--admin-token", admin)
	info := s.waitReady(t, ready)
	for i := 0; i < 10; i++ {
		if code := signInForm(t, info.URL, "carol", "wrong-password", "198.51.100.7"); code != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: %d", i+1, code)
		}
	}
	if code := signInForm(t, info.URL, "carol", "carol-password", "198.51.100.7"); code != http.StatusUnauthorized {
		t.Fatalf("the right password of a locked account: %d", code)
	}
	var events []struct {
		EventName string `json:"event_name"`
		Details   struct {
			IPAddress string `json:"ip_address"`
		} `json:"details"`
	}
	call(t, "GET", info.APIURL+"/audit_events", admin, &events)
	if len(events) == 0 || events[0].EventName != "sign_in_failed" || events[1].EventName != "user_locked" ||
		events[1].Details.IPAddress != "198.51.100.7" {
		t.Fatalf("audit log: %+v, want the lock from 198.51.100.7 before the last failure", events)
	}

	stdout, stderr, code := runCairn(t, nil, "admin", "user", "unlock", "--data-dir", dir, "--username", "carol")
	if code != 0 || !strings.Contains(stdout, "unlocked user carol") {
		t.Fatalf("admin user unlock: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	if code := signInForm(t, info.URL, "carol", "carol-password", "198.51.100.7"); code != http.StatusOK {
		t.Fatalf("the right password after the unlock: %d", code)
	}
	stdout, _, code = runCairn(t, nil, "admin", "user", "unlock", "--data-dir", dir, "--username", "carol")
	if code != 0 || !strings.Contains(stdout, "was not locked") {
		t.Errorf("unlocking again: exit %d, %s", code, stdout)
	}
	if _, stderr, code := runCairn(t, nil, "admin", "user", "unlock", "--data-dir", dir, "--username",
		"nobody"); code == 0 {
		t.Errorf("unlocking nobody succeeded: %s", stderr)
	}
	if code := s.stop(t); code != 0 {
		t.Errorf("exit code %d", code)
	}
}

func TestVersionAndHelp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		code int
		// want must appear in stdout+stderr.
		want []string
	}{
		{[]string{"version"}, 0, []string{"cairn " + testVersion + "\n"}},
		{[]string{"--help"}, 0,
			[]string{"cairn serve", "cairn admin user create", "cairn admin token create", "cairn version"}},
		{[]string{"serve", "--help"}, 0,
			[]string{"-addr", "-data-dir", "-ephemeral", "-ready-file", "-admin-token", "-fixture", "-seed",
				"-external-url", "-log-format", "-no-rate-limit", "CAIRN_"}},
		{[]string{"admin", "--help"}, 0,
			[]string{"cairn admin user create", "cairn admin user unlock", "cairn admin token create",
				"cairn admin repo gc"}},
		{[]string{"admin", "user", "unlock", "--help"}, 0, []string{"-username", "-data-dir"}},
		{[]string{"admin", "repo", "gc", "--help"}, 0, []string{"PROJECT", "-data-dir"}},
		{[]string{"serve", "--trusted-proxy", "proxy.example.com", "--ephemeral"}, 1,
			[]string{"trusted-proxy", "proxy.example.com"}},
		{[]string{"admin", "user", "create", "--help"}, 0,
			[]string{"-username", "-email", "-password", "-admin", "-data-dir"}},
		{[]string{"admin", "token", "create", "--help"}, 0,
			[]string{"-username", "-name", "-scopes", "-expires", "-expires-at",
				"-allow-permanent-tokens", "-data-dir"}},
		{[]string{}, 1, []string{"Usage"}},
		{[]string{"frobnicate"}, 1, []string{`unknown command "frobnicate"`}},
		{[]string{"serve", "--no-such-flag"}, 1, []string{"no-such-flag"}},
		{[]string{"serve", "--log-format", "xml", "--ephemeral"}, 1, []string{"--log-format"}},
		{[]string{"serve", "--deploy-command", "staging=./deploy.sh", "--ephemeral"}, 1,
			[]string{"names no projects", "GROUP/*:staging"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			stdout, stderr, code := runCairn(t, nil, tt.args...)
			if code != tt.code {
				t.Errorf("exit code %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, stdout, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stdout+stderr, w) {
					t.Errorf("output lacks %q\nstdout: %s\nstderr: %s", w, stdout, stderr)
				}
			}
		})
	}
}

// A start that fails says why and exits 1, without a panic, and leaves no ephemeral data
// directory behind.
func TestFailedStartPrintsTheErrorAndCleansUp(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { busy.Close() })
	badSeed := filepath.Join(t.TempDir(), "seed.json")
	seed := `{"users": [{"username": "ann", "name": "Ann", "email": "ann@example.com",
		"tokens": [{"name": "ci", "token": "cairn_pat_example_ann_0000000000000000", "expires_at": "someday"}]}]}`
	if err := os.WriteFile(badSeed, []byte(seed), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"address in use", []string{"--addr", busy.Addr().String()}, "listen:"},
		{"seed refused", []string{"--addr", "127.0.0.1:0", "--seed", badSeed}, "expires_at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tmp := t.TempDir()
			args := append([]string{"serve", "--ephemeral"}, tt.args...)
			_, stderr, code := runCairn(t, []string{"TMPDIR=" + tmp}, args...)
			if code != 1 || !strings.Contains(stderr, "cairn: ") || !strings.Contains(stderr, tt.want) ||
				strings.Contains(stderr, "panic") {
				t.Errorf("exit code %d, want 1 with an error naming %q; stderr:\n%s", code, tt.want, stderr)
			}
			if left, _ := os.ReadDir(tmp); len(left) != 0 {
				t.Errorf("left behind in the temporary directory: %v", left)
			}
		})
	}
}

// gitIn runs the git CLI in dir with no user or system configuration.
func gitIn(t *testing.T, dir string, args ...string) string {
	t.Helper()
	home := filepath.Join(t.TempDir(), "home")
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = env("HOME="+home, "GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0",
		"GIT_AUTHOR_NAME=A", "GIT_AUTHOR_EMAIL=a@example.com", "GIT_COMMITTER_NAME=C",
		"GIT_COMMITTER_EMAIL=c@example.com")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func TestAdminRepoGCRepacksRepositoriesWhileTheServerRuns(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	ready := filepath.Join(t.TempDir(), "ready.json")
	token := "cairn_pat_admin_repo_gc_test_000001"
	s := startServe(t, nil, "--data-dir", dir, "--addr", "127.0.0.1:0", "--ready-file", ready,
		"--admin-token", token, "--no-rate-limit")
	info := s.waitReady(t, ready)
	req, _ := http.NewRequest("POST", info.APIURL+"/projects?name=demo", nil)
	req.Header.Set("PRIVATE-TOKEN", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("create project: %v %v", resp, err)
	}
	resp.Body.Close()
	// Two pushes: two packs.
	wt := t.TempDir()
	gitIn(t, wt, "init", "-q", "-b", "main")
	remote := strings.Replace(info.URL, "http://", "http://root:"+token+"@", 1) + "/root/demo.git"
	for i := 0; i < 2; i++ {
		for j := 0; j < 5; j++ {
			if err := os.WriteFile(filepath.Join(wt, fmt.Sprintf("f%d.txt", j)),
				[]byte(fmt.Sprintf("%d %d\n", i, j)), 0o644); err != nil {
				t.Fatal(err)
			}
			gitIn(t, wt, "add", "-A")
			gitIn(t, wt, "commit", "-q", "-m", fmt.Sprintf("c%d%d", i, j))
		}
		gitIn(t, wt, "push", "-q", remote, "main")
	}
	repos, _ := filepath.Glob(filepath.Join(dir, "repositories", "*.git"))
	if len(repos) != 1 {
		t.Fatalf("repositories %v", repos)
	}
	stdout, stderr, code := runCairn(t, nil, "admin", "repo", "gc", "--data-dir", dir, "root/demo")
	if code != 0 || !strings.Contains(stdout, "root/demo: 2 packs and 0 loose objects into one pack of") ||
		!strings.Contains(stdout, "commit-graph of 10 commits") {
		t.Fatalf("admin repo gc: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	packs, _ := filepath.Glob(filepath.Join(repos[0], "objects", "pack", "*.pack"))
	if len(packs) != 1 {
		t.Fatalf("packs after gc: %v", packs)
	}
	gitIn(t, repos[0], "fsck", "--strict")
	gitIn(t, repos[0], "commit-graph", "verify")
	// The server reads on, and a clone has everything.
	clone := t.TempDir()
	gitIn(t, clone, "clone", "-q", remote, ".")
	if got := gitIn(t, clone, "rev-list", "--count", "HEAD"); got != "10" {
		t.Fatalf("clone after gc has %s commits", got)
	}
	// Every repository when none is named; an unknown project is an error.
	stdout, stderr, code = runCairn(t, []string{"CAIRN_DATA_DIR=" + dir}, "admin", "repo", "gc")
	if code != 0 ||
		!strings.Contains(stdout, "root/demo: already in one pack with a bitmap; commit-graph of 10 commits") {
		t.Fatalf("admin repo gc of everything: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	if _, stderr, code := runCairn(t, nil, "admin", "repo", "gc", "--data-dir", dir,
		"root/nope"); code == 0 || !strings.Contains(stderr, "Not Found") {
		t.Fatalf("admin repo gc of a missing project: exit %d, stderr %s", code, stderr)
	}
}

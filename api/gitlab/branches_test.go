package gitlab_test

import (
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cairn-forge/cairn/server/servertest"
)

// What a client decodes of the repository API's entities.
type (
	commitJSON struct {
		ID             string            `json:"id"`
		ShortID        string            `json:"short_id"`
		Title          string            `json:"title"`
		Message        string            `json:"message"`
		ParentIDs      []string          `json:"parent_ids"`
		AuthorName     string            `json:"author_name"`
		AuthorEmail    string            `json:"author_email"`
		AuthoredDate   string            `json:"authored_date"`
		CommitterName  string            `json:"committer_name"`
		CommitterEmail string            `json:"committer_email"`
		CommittedDate  string            `json:"committed_date"`
		CreatedAt      string            `json:"created_at"`
		WebURL         string            `json:"web_url"`
		Trailers       map[string]string `json:"trailers"`
		Stats          *struct {
			Additions int `json:"additions"`
			Deletions int `json:"deletions"`
			Total     int `json:"total"`
		} `json:"stats"`
		ProjectID int64 `json:"project_id"`
	}
	branchJSON struct {
		Name               string     `json:"name"`
		Commit             commitJSON `json:"commit"`
		Merged             bool       `json:"merged"`
		Protected          bool       `json:"protected"`
		Default            bool       `json:"default"`
		DevelopersCanPush  bool       `json:"developers_can_push"`
		DevelopersCanMerge bool       `json:"developers_can_merge"`
		CanPush            bool       `json:"can_push"`
		WebURL             string     `json:"web_url"`
	}
	diffJSON struct {
		OldPath     string `json:"old_path"`
		NewPath     string `json:"new_path"`
		AMode       string `json:"a_mode"`
		BMode       string `json:"b_mode"`
		Diff        string `json:"diff"`
		NewFile     bool   `json:"new_file"`
		RenamedFile bool   `json:"renamed_file"`
		DeletedFile bool   `json:"deleted_file"`
		TooLarge    bool   `json:"too_large"`
	}
)

// repoFixture is a server with one project, created with a README by the administrator.
type repoFixture struct {
	t     *testing.T
	s     *servertest.Server
	token string // the administrator's
	id    int64
	path  string // "root/demo"
	web   string // the project's web URL
}

func newRepoFixture(t *testing.T, project map[string]any) *repoFixture {
	t.Helper()
	s := servertest.New(t, servertest.WithoutRateLimit())
	if project == nil {
		project = map[string]any{"name": "demo", "initialize_with_readme": true}
	}
	p := createProject(t, s, s.AdminToken, project)
	return &repoFixture{t: t, s: s, token: s.AdminToken, id: p.ID, path: p.PathWithNamespace, web: p.WebURL}
}

// url is the API path of the project's sub-resource rest ("/repository/branches").
func (f *repoFixture) url(rest string) string {
	return "/api/v4/projects/" + itoa(f.id) + rest
}

func (f *repoFixture) do(method, rest, token string, body any, headers ...string) *servertest.Response {
	f.t.Helper()
	return f.s.Do(f.t, method, f.url(rest), token, body, headers...)
}

// commit makes a commit of actions on branch through the API and returns it.
func (f *repoFixture) commit(branch, message string, actions ...map[string]any) commitJSON {
	f.t.Helper()
	body := map[string]any{"branch": branch, "commit_message": message, "actions": actions}
	return decode[commitJSON](f.t,
		mustDo(f.t, f.s, http.StatusCreated, "POST", f.url("/repository/commits"), f.token, body))
}

// member makes a user with access level on the project and returns its token.
func (f *repoFixture) member(username string, level int) string {
	f.t.Helper()
	uid, token := f.s.CreateUser(f.t, username)
	if level > 0 {
		addMember(f.t, f.s, f.token, "projects", f.id, uid, level)
	}
	return token
}

// repoDir is where the bare repository lives.
func (f *repoFixture) repoDir() string {
	return filepath.Join(f.s.DataDir, "repositories", itoa(f.id)+".git")
}

func create(path, content string) map[string]any {
	return map[string]any{"action": "create", "file_path": path, "content": content}
}

func esc(s string) string { return url.PathEscape(s) }

// git runs the git client in dir, failing the test on error; it is skipped without git.
func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(gitFreeEnviron(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+t.TempDir(), "GIT_TERMINAL_PROMPT=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// gitFreeEnviron is this process's environment without git's variables: a test run from a
// git hook or rebase --exec inherits GIT_DIR, which would point the client at the wrong
// repository.
func gitFreeEnviron() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GIT_") {
			env = append(env, kv)
		}
	}
	return env
}

func TestBranchesListSearchAndPaginate(t *testing.T) {
	f := newRepoFixture(t, nil)
	for _, b := range []string{"feature/login", "feature/logout", "fix-login", "release-1.0"} {
		mustDo(t, f.s, http.StatusCreated, "POST", f.url("/repository/branches"), f.token,
			map[string]any{"branch": b, "ref": "main"})
	}
	tests := []struct {
		query string
		want  []string
	}{
		{"", []string{"feature/login", "feature/logout", "fix-login", "main", "release-1.0"}},
		{"?search=login", []string{"feature/login", "fix-login"}},
		{"?search=%5Efeature", []string{"feature/login", "feature/logout"}},
		{"?search=LOGIN%24", []string{"feature/login", "fix-login"}},
		{"?regex=%5Erelease-%5Cd", []string{"release-1.0"}},
		{"?sort=name_desc", []string{"release-1.0", "main", "fix-login", "feature/logout", "feature/login"}},
		{"?per_page=2&page=2", []string{"fix-login", "main"}},
		{"?per_page=2&page=9", []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			r := f.do("GET", "/repository/branches"+tt.query, f.token, nil)
			wantStatus(t, r, http.StatusOK)
			if got := names(t, r, "name"); strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Fatalf("branches %v, want %v", got, tt.want)
			}
		})
	}
	r := f.do("GET", "/repository/branches?per_page=2", f.token, nil)
	if r.Header.Get("X-Total") != "5" || r.Header.Get("X-Total-Pages") != "3" || r.Header.Get("X-Next-Page") != "2" {
		t.Fatalf("pagination headers: total %q pages %q next %q", r.Header.Get("X-Total"),
			r.Header.Get("X-Total-Pages"), r.Header.Get("X-Next-Page"))
	}
}

func TestBranchShowsProtectionMergedAndCommit(t *testing.T) {
	f := newRepoFixture(t, nil)
	dev := f.member("dev", 30)
	mustDo(t, f.s, http.StatusCreated, "POST", f.url("/repository/branches"), f.token,
		map[string]any{"branch": "old", "ref": "main"})
	f.commit("main", "second", create("b.txt", "b\n"))
	main := decode[branchJSON](t, mustDo(t, f.s, 200, "GET", f.url("/repository/branches/main"), dev, nil))
	if !main.Default || !main.Protected || !main.DevelopersCanPush || main.DevelopersCanMerge ||
		!main.CanPush || main.Merged {
		t.Fatalf("main: %+v", main)
	}
	if main.Commit.Title != "second" || main.WebURL != f.web+"/-/tree/main" {
		t.Fatalf("main commit %q, web_url %q", main.Commit.Title, main.WebURL)
	}
	old := decode[branchJSON](t, mustDo(t, f.s, 200, "GET", f.url("/repository/branches/old"), dev, nil))
	if !old.Merged || old.Protected || old.Default || old.DevelopersCanPush || !old.CanPush {
		t.Fatalf("old: %+v", old)
	}
	wantJSON(t, f.do("GET", "/repository/branches/nope", f.token, nil), 404, `{"message":"404 Branch Not Found"}`)
}

func TestCreateBranchFromBranchTagOrSha(t *testing.T) {
	f := newRepoFixture(t, nil)
	c := f.commit("main", "second", create("b.txt", "b\n"))
	mustDo(t, f.s, 201, "POST", f.url("/repository/tags"), f.token,
		map[string]any{"tag_name": "v1", "ref": "main", "message": "one"})
	for _, tt := range []struct{ name, ref string }{{"from-branch", "main"}, {"from-tag", "v1"},
		{"from-sha", c.ID}, {"from-short", c.ShortID}, {"nested/name", "main"}} {
		r := f.do("POST", "/repository/branches", f.token, map[string]any{"branch": tt.name, "ref": tt.ref})
		b := decode[branchJSON](t, r)
		wantStatus(t, r, http.StatusCreated)
		if b.Name != tt.name || b.Commit.ID != c.ID {
			t.Fatalf("%s: got %s at %s, want %s", tt.name, b.Name, b.Commit.ID, c.ID)
		}
	}
	// Names with a slash are addressed escaped.
	mustDo(t, f.s, 200, "GET", f.url("/repository/branches/"+esc("nested/name")), f.token, nil)

	tests := []struct {
		name string
		body any
		code int
		want string
	}{
		{"exists", map[string]any{"branch": "main", "ref": "main"}, 400, `{"message":"Branch already exists"}`},
		{"bad ref", map[string]any{"branch": "x", "ref": "nope"}, 400, `{"message":"Invalid reference name: nope"}`},
		{"bad name", map[string]any{"branch": "a..b", "ref": "main"}, 400, `{"message":"Branch name is invalid"}`},
		{"missing both", map[string]any{}, 400, `{"error":"branch is missing, ref is missing"}`},
		{"missing ref", "branch=x", 400, `{"error":"ref is missing"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantJSON(t, f.do("POST", "/repository/branches", f.token, tt.body), tt.code, tt.want)
		})
	}
}

// git keeps branches and tags as paths, so "feature" and "feature/login" cannot both be: every
// door that makes one refuses it with 400 naming the one in its way, on v4 and v3 alike.
func TestRefNamesThatClashWithAnExistingOneAreRefused(t *testing.T) {
	f := newRepoFixture(t, nil)
	for _, b := range []string{"feature", "topic/a"} {
		mustDo(t, f.s, 201, "POST", f.url("/repository/branches"), f.token, map[string]any{"branch": b, "ref": "main"})
	}
	mustDo(t, f.s, 201, "POST", f.url("/repository/tags"), f.token, map[string]any{"tag_name": "v1", "ref": "main"})
	v3 := "/api/v3/projects/" + itoa(f.id)
	commit := func(branch string) map[string]any {
		return map[string]any{"branch": branch, "start_branch": "main", "commit_message": "m",
			"actions": []any{create("n.txt", "n")}}
	}
	tests := []struct {
		name, path string
		body       any
		want       string
	}{
		{"a branch under a branch", f.url("/repository/branches"),
			map[string]any{"branch": "feature/login", "ref": "main"},
			`{"message":"Cannot create branch 'feature/login': branch 'feature' exists"}`},
		{"a branch over branches", f.url("/repository/branches"), map[string]any{"branch": "topic", "ref": "main"},
			`{"message":"Cannot create branch 'topic': branch 'topic/a' exists"}`},
		{"on v3", v3 + "/repository/branches", map[string]any{"branch": "feature/login", "ref": "main"},
			`{"message":"Cannot create branch 'feature/login': branch 'feature' exists"}`},
		{"a new branch of a commit", f.url("/repository/commits"), commit("feature/login"),
			`{"message":"Cannot create branch 'feature/login': branch 'feature' exists"}`},
		{"a new branch of a file", f.url("/repository/files/n.txt"),
			map[string]any{"branch": "topic", "start_branch": "main", "content": "n", "commit_message": "m"},
			`{"message":"Cannot create branch 'topic': branch 'topic/a' exists"}`},
		{"a tag under a tag", f.url("/repository/tags"), map[string]any{"tag_name": "v1/rc", "ref": "main"},
			`{"message":"Cannot create tag 'v1/rc': tag 'v1' exists"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantJSON(t, f.s.Do(t, "POST", tt.path, f.token, tt.body), 400, tt.want)
		})
	}
	// Nothing was written, and the names are free once what was in the way is gone.
	wantStatus(t, f.do("GET", "/repository/branches/"+esc("feature/login"), f.token, nil), 404)
	mustDo(t, f.s, 204, "DELETE", f.url("/repository/branches/feature"), f.token, nil)
	mustDo(t, f.s, 201, "POST", f.url("/repository/branches"), f.token,
		map[string]any{"branch": "feature/login", "ref": "main"})
}

func TestDeleteBranchRules(t *testing.T) {
	f := newRepoFixture(t, nil)
	dev := f.member("dev", 30)
	reporter := f.member("rep", 20)
	for _, b := range []string{"topic", "release"} {
		mustDo(t, f.s, 201, "POST", f.url("/repository/branches"), f.token, map[string]any{"branch": b, "ref": "main"})
	}
	mustDo(t, f.s, 201, "POST", f.url("/protected_branches"), f.token,
		map[string]any{"name": "release", "push_access_level": 30})
	tests := []struct {
		name, branch, token string
		code                int
		want                string
	}{
		{"reporter may not", "topic", reporter, 403, bodyForbidden},
		{"default branch", "main", f.token, 405, `{"message":"Cannot remove HEAD branch"}`},
		{"protected, developer", "release", dev, 403, `{"message":"403 Forbidden - Protected branch cant be removed"}`},
		{"missing", "nope", dev, 404, `{"message":"404 Branch Not Found"}`},
		{"developer deletes", "topic", dev, 204, ""},
		{"gone now", "topic", dev, 404, `{"message":"404 Branch Not Found"}`},
		{"protected, maintainer", "release", f.token, 204, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.do("DELETE", "/repository/branches/"+esc(tt.branch), tt.token, nil)
			if tt.want == "" {
				wantStatus(t, r, tt.code)
				return
			}
			wantJSON(t, r, tt.code, tt.want)
		})
	}
	if got := names(t, f.do("GET", "/repository/branches", f.token, nil), "name"); strings.Join(got, ",") != "main" {
		t.Fatalf("branches left: %v", got)
	}
}

func TestRepositoryReadAccess(t *testing.T) {
	f := newRepoFixture(t, map[string]any{"name": "secret", "initialize_with_readme": true, "visibility": "private"})
	guest := f.member("guest", 10)
	reporter := f.member("reporter", 20)
	stranger := f.member("stranger", 0)
	readerID, readOnly := f.s.CreateUser(t, "reader", "read_api")
	addMember(t, f.s, f.token, "projects", f.id, readerID, 30)
	pub := createProject(t, f.s, f.token,
		map[string]any{"name": "open", "initialize_with_readme": true, "visibility": "public"})
	tests := []struct {
		name, path, token string
		code              int
	}{
		{"anonymous, private", f.url("/repository/branches"), "", 404},
		{"stranger, private", f.url("/repository/tree"), stranger, 404},
		{"guest, private", f.url("/repository/commits"), guest, 403},
		{"reporter, private", f.url("/repository/commits"), reporter, 200},
		{"anonymous, public", "/api/v4/projects/" + itoa(pub.ID) + "/repository/files/README.md?ref=main", "", 200},
		{"anonymous, public raw", "/api/v4/projects/" + itoa(pub.ID) + "/repository/files/README.md/raw", "", 200},
		{"read_api token reads", f.url("/repository/branches/main"), readOnly, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { mustDo(t, f.s, tt.code, "GET", tt.path, tt.token, nil) })
	}
	// A read-only token cannot write, even for a developer.
	r := f.do("POST", "/repository/branches", readOnly, map[string]any{"branch": "x", "ref": "main"})
	wantStatus(t, r, 403)
	// A reporter may read but not create branches or commits.
	wantJSON(t, f.do("POST", "/repository/branches", reporter, map[string]any{"branch": "x", "ref": "main"}),
		403, bodyForbidden)
}

func TestEmptyRepositoryListsNothing(t *testing.T) {
	f := newRepoFixture(t, map[string]any{"name": "empty"})
	for _, path := range []string{"/repository/branches", "/repository/tags", "/repository/commits",
		"/repository/tree", "/repository/contributors"} {
		r := f.do("GET", path, f.token, nil)
		wantJSON(t, r, 200, `[]`)
	}
	wantJSON(t, f.do("GET", "/languages", f.token, nil), 200, `{}`)
	wantJSON(t, f.do("GET", "/repository/branches/main", f.token, nil), 404, `{"message":"404 Branch Not Found"}`)
	wantJSON(t, f.do("GET", "/repository/commits/main", f.token, nil), 404, `{"message":"404 Commit Not Found"}`)
	wantJSON(t, f.do("GET", "/repository/files/README.md?ref=main", f.token, nil), 404,
		`{"message":"404 Commit Not Found"}`)
	wantStatus(t, f.do("GET", "/repository/archive", f.token, nil), 404)
	// The first commit creates the default branch.
	f.commit("main", "first", create("a.txt", "a\n"))
	p := decode[projectJSON](t, mustDo(t, f.s, 200, "GET", f.url(""), f.token, nil))
	if p.EmptyRepo || p.DefaultBranch != "main" {
		t.Fatalf("after the first commit: empty_repo %v, default_branch %q", p.EmptyRepo, p.DefaultBranch)
	}
}

func TestProtectingABranchTwiceIsAConflictNamingIt(t *testing.T) {
	f := newRepoFixture(t, nil)
	mustDo(t, f.s, 201, "POST", f.url("/protected_branches"), f.token,
		map[string]any{"name": "release", "push_access_level": 30})
	wantJSON(t, f.do("POST", "/protected_branches", f.token, map[string]any{"name": "release"}), 409,
		`{"message":"Protected branch 'release' already exists"}`)
}

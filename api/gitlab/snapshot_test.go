package gitlab_test

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cairn-forge/cairn/server/servertest"
)

// untar writes a tar's files under dir.
func untar(t *testing.T, body []byte, dir string) []string {
	t.Helper()
	var names []string
	tr := tar.NewReader(bytes.NewReader(body))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return names
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		p := filepath.Join(dir, filepath.FromSlash(h.Name))
		if h.Typeflag == tar.TypeDir {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		data, _ := io.ReadAll(tr)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// An administrator's snapshot is the bare repository: git reads and clones it as it is.
func TestRepositorySnapshot(t *testing.T) {
	f := newRepoFixture(t, nil)
	c := f.commit("main", "files", create("src/a.go", "package a\n"))
	mustDo(t, f.s, 201, "POST", f.url("/repository/tags"), f.token, map[string]any{"tag_name": "v1", "ref": "main"})

	r := mustDo(t, f.s, 200, "GET", f.url("/snapshot"), f.token, nil)
	if r.Header.Get("Content-Type") != "application/x-tar" ||
		r.Header.Get("Content-Disposition") != "attachment; filename=snapshot.tar" {
		t.Fatalf("headers: %v", r.Header)
	}
	dir := filepath.Join(t.TempDir(), "snap.git")
	names := untar(t, r.Body, dir)
	for _, n := range names {
		if n == "config" || filepath.Dir(n) == "hooks" {
			t.Errorf("the snapshot holds %s", n)
		}
	}
	if got := git(t, dir, "rev-parse", "main", "v1"); got != c.ID+"\n"+c.ID {
		t.Fatalf("refs in the snapshot: %q", got)
	}
	git(t, dir, "fsck", "--strict")
	work := t.TempDir()
	git(t, work, "clone", "-q", dir, "w")
	if b, err := os.ReadFile(filepath.Join(work, "w", "src", "a.go")); err != nil || string(b) != "package a\n" {
		t.Fatalf("clone of the snapshot: %q %v", b, err)
	}

	tokens := f.roles()
	wantStatuses(t, f, tokens, "GET", "/snapshot", nil, map[string]int{
		"anonymous": 401, "outsider": 403, "guest": 403, "reporter": 403, "maintainer": 403, "owner": 403,
		"admin": 200})
	wantStatus(t, f.do("GET", "/snapshot?wiki=true", f.token, nil), 404)
	wantJSON(t, mustDo(t, f.s, 404, "GET", "/api/v4/projects/999/snapshot", f.token, nil), 404,
		`{"message":"404 Project Not Found"}`)
}

// POST .../repository/branches in an empty repository makes the default branch first, with
// GitLab's first commit.
func TestBranchOfAnEmptyRepositoryStartsTheDefaultBranch(t *testing.T) {
	f := newRepoFixture(t, map[string]any{"name": "empty"})
	dev := f.member("dev", 30)
	b := decode[struct {
		Name   string     `json:"name"`
		Commit commitJSON `json:"commit"`
	}](t, mustDo(t, f.s, 201, "POST", f.url("/repository/branches"), dev,
		map[string]any{"branch": "feature", "ref": "main"}))
	if b.Name != "feature" || b.Commit.Title != "Initial commit" || b.Commit.AuthorName != "dev" {
		t.Fatalf("branch: %+v", b)
	}
	main := decode[struct {
		Commit commitJSON `json:"commit"`
	}](t, mustDo(t, f.s, 200, "GET", f.url("/repository/branches/main"), dev, nil))
	if main.Commit.ID != b.Commit.ID {
		t.Fatalf("main %s, feature %s", main.Commit.ID, b.Commit.ID)
	}
	wantJSON(t, f.do("GET", "/repository/tree?ref=main", dev, nil), 200,
		`[{"id":"e69de29bb2d1d6434b8b29ae775ad8c2e48c5391","name":".gitkeep","type":"blob","path":".gitkeep","mode":"100644"}]`)
	p := decode[projectJSON](t, mustDo(t, f.s, 200, "GET", f.url(""), dev, nil))
	if p.EmptyRepo || p.DefaultBranch != "main" {
		t.Fatalf("project: empty_repo %v, default_branch %q", p.EmptyRepo, p.DefaultBranch)
	}
	// An invalid name still writes nothing.
	g := newRepoFixture(t, map[string]any{"name": "empty"})
	wantJSON(t,
		g.do("POST", "/repository/branches", g.token, map[string]any{"branch": "a..b", "ref": "main"}), 400,
		`{"message":"Branch name is invalid"}`)
	wantJSON(t, g.do("GET", "/repository/branches", g.token, nil), 200, `[]`)
}

// GET /projects/:id/groups lists the project's group and its ancestors the caller may see.
func TestProjectGroupsAreItsAncestors(t *testing.T) {
	s := newServer(t, servertest.WithoutRateLimit())
	top := createGroup(t, s, s.AdminToken, map[string]any{"name": "Top", "path": "top", "visibility": "private"})
	mid := createGroup(t, s, s.AdminToken,
		map[string]any{"name": "Mid", "path": "mid", "parent_id": top.ID, "visibility": "private"})
	low := createGroup(t, s, s.AdminToken,
		map[string]any{"name": "Low", "path": "low", "parent_id": mid.ID, "visibility": "private"})
	p := createProject(t, s, s.AdminToken, map[string]any{"name": "app", "namespace_id": low.ID})

	r := mustDo(t, s, 200, "GET", "/api/v4/projects/"+itoa(p.ID)+"/groups", s.AdminToken, nil)
	wantJSON(t, r, 200, `[
		{"id":`+itoa(top.ID)+`,"name":"Top","web_url":"`+s.URL+
		`/groups/top","avatar_url":null,"full_name":"Top","full_path":"top"},
		{"id":`+itoa(mid.ID)+`,"name":"Mid","web_url":"`+s.URL+
		`/groups/top/mid","avatar_url":null,"full_name":"Top / Mid","full_path":"top/mid"},
		{"id":`+itoa(low.ID)+`,"name":"Low","web_url":"`+s.URL+
		`/groups/top/mid/low","avatar_url":null,"full_name":"Top / Mid / Low","full_path":"top/mid/low"}]`)
	if r.Header.Get("X-Total") != "3" {
		t.Errorf("X-Total %q", r.Header.Get("X-Total"))
	}
	if got := names(t,
		mustDo(t, s, 200, "GET", "/api/v4/projects/"+itoa(p.ID)+"/groups?skip_groups[]="+itoa(top.ID)+
			"&search=LO", s.AdminToken, nil), "full_path"); len(got) != 1 || got[0] != "top/mid/low" {
		t.Errorf("filtered: %v", got)
	}
	// A member of the project alone sees none of its private groups; others see no project.
	uid, token := s.CreateUser(t, "dev")
	addMember(t, s, s.AdminToken, "projects", p.ID, uid, 30)
	wantJSON(t, mustDo(t, s, 200, "GET", "/api/v4/projects/"+itoa(p.ID)+"/groups", token, nil), 200, `[]`)
	addMember(t, s, s.AdminToken, "groups", mid.ID, uid, 10)
	if got := names(t, mustDo(t, s, 200, "GET", "/api/v4/projects/"+itoa(p.ID)+"/groups", token, nil),
		"full_path"); strings.Join(got, ",") != "top/mid,top/mid/low" {
		t.Errorf("a member of mid sees %v", got)
	}
	_, other := s.CreateUser(t, "other")
	wantStatus(t, s.Do(t, "GET", "/api/v4/projects/"+itoa(p.ID)+"/groups", other, nil), 404)
	mine := createProject(t, s, token, map[string]any{"name": "mine"})
	wantJSON(t, mustDo(t, s, 200, "GET", "/api/v4/projects/"+itoa(mine.ID)+"/groups", token, nil), 200, `[]`)
}

package gitlab_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cairn-forge/cairn/server/servertest"
)

type forkJSON struct {
	projectJSON
	ForksCount        int          `json:"forks_count"`
	StarCount         int          `json:"star_count"`
	Topics            []string     `json:"topics"`
	ForkedFromProject *projectJSON `json:"forked_from_project"`
}

// A fork copies the repository, names its source, and is counted and listed by it.
func TestForkProject(t *testing.T) {
	f := newRepoFixture(t, map[string]any{"name": "demo", "initialize_with_readme": true, "visibility": "internal"})
	c := f.commit("main", "work", create("src/a.go", "package a\n"))
	mustDo(t, f.s, 201, "POST", f.url("/repository/branches"), f.token,
		map[string]any{"branch": "topic", "ref": "main"})
	_, alice := f.s.CreateUser(t, "alice")

	fork := decode[forkJSON](t, mustDo(t, f.s, 201, "POST", f.url("/fork"), alice, nil))
	if fork.PathWithNamespace != "alice/demo" || fork.Visibility != "internal" || fork.ForkedFromProject == nil ||
		fork.ForkedFromProject.ID != f.id || fork.DefaultBranch != "main" || fork.EmptyRepo {
		t.Fatalf("fork: %+v", fork)
	}
	branches := names(t,
		mustDo(t, f.s, 200, "GET", "/api/v4/projects/"+itoa(fork.ID)+"/repository/branches", alice, nil), "name")
	if strings.Join(branches, ",") != "main,topic" {
		t.Fatalf("the fork's branches: %v", branches)
	}
	tip := decode[commitJSON](t,
		mustDo(t, f.s, 200, "GET", "/api/v4/projects/"+itoa(fork.ID)+"/repository/commits/main", alice, nil))
	if tip.ID != c.ID {
		t.Fatalf("the fork's main at %s, want %s", tip.ID, c.ID)
	}
	// The owner of the fork may push to it.
	dir := t.TempDir()
	git(t, dir, "clone", "-q", basicURL(f.s.URL, "alice", alice)+"/alice/demo.git", "w")
	wc := filepath.Join(dir, "w")
	if err := os.WriteFile(filepath.Join(wc, "b.txt"), []byte("b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git(t, wc, "add", ".")
	git(t, wc, "-c", "user.name=A", "-c", "user.email=a@example.com", "commit", "-q", "-m", "b")
	git(t, wc, "push", "-q", "origin", "main")

	// A second fork into a group, renamed, with only one branch.
	g := createGroup(t, f.s, f.token, map[string]any{"name": "Team", "path": "team", "visibility": "private"})
	named := decode[forkJSON](t, mustDo(t, f.s, 201, "POST", f.url("/fork"), f.token,
		map[string]any{"namespace_path": "team", "name": "Demo Copy", "branches": "topic"}))
	if named.PathWithNamespace != "team/demo-copy" || named.Name != "Demo Copy" ||
		named.Visibility != "private" || named.Namespace.ID != g.ID {
		t.Fatalf("named fork: %+v", named)
	}
	if got := names(t,
		mustDo(t, f.s, 200, "GET", "/api/v4/projects/"+itoa(named.ID)+"/repository/branches", f.token, nil),
		"name"); strings.Join(got, ",") != "topic" {
		t.Fatalf("the fork of topic alone: %v", got)
	}

	src := decode[forkJSON](t, mustDo(t, f.s, 200, "GET", f.url(""), f.token, nil))
	if src.ForksCount != 2 || src.ForkedFromProject != nil {
		t.Fatalf("source: forks_count %d, forked_from %v", src.ForksCount, src.ForkedFromProject)
	}
	r := mustDo(t, f.s, 200, "GET", f.url("/forks"), f.token, nil)
	if got := names(t, r, "path_with_namespace"); len(got) != 2 || r.Header.Get("X-Total") != "2" {
		t.Fatalf("forks: %v", got)
	}
	// alice sees her fork, not the one in a private group she is not in.
	if got := names(t, mustDo(t, f.s, 200, "GET", f.url("/forks"), alice, nil),
		"path_with_namespace"); strings.Join(got, ",") != "alice/demo" {
		t.Fatalf("forks alice sees: %v", got)
	}

	// Forking again into the same namespace is GitLab's 409.
	wantJSON(t, f.do("POST", "/fork", alice, nil), 409, `{"message":{"path":["has already been taken"]}}`)
	// A fork may not be more visible than its source.
	wantJSON(t, f.do("POST", "/fork", f.token, map[string]any{"path": "pub", "visibility": "public"}), 409,
		`{"message":{"visibility_level":["public is not allowed since the fork source project has lower visibility."]}}`)
	// Nobody forks into someone else's namespace, or anonymously.
	wantStatus(t, f.do("POST", "/fork", alice, map[string]any{"namespace_path": "team"}), 404)
	wantStatus(t, f.do("POST", "/fork", "", nil), 401)
	// Deleting the source leaves the fork whole, and unlinked.
	mustDo(t, f.s, 202, "DELETE", f.url(""), f.token, nil)
	after := decode[forkJSON](t, mustDo(t, f.s, 200, "GET", "/api/v4/projects/"+itoa(fork.ID), alice, nil))
	if after.ForkedFromProject != nil {
		t.Fatalf("a fork of a deleted project: %+v", after.ForkedFromProject)
	}
	mustDo(t, f.s, 200, "GET", "/api/v4/projects/"+itoa(fork.ID)+"/repository/files/src%2Fa.go/raw?ref=main",
		alice, nil)
}

// basicURL puts user and token into a base URL as git's credentials.
func basicURL(base, user, token string) string {
	return strings.Replace(base, "http://", "http://"+user+":"+token+"@", 1)
}

func TestForkPermissions(t *testing.T) {
	f := newRepoFixture(t, nil)
	tokens := f.roles()
	wantStatuses(t, f, tokens, "POST", "/fork", nil, map[string]int{
		"anonymous": 401, "outsider": 404, "guest": 403, "reporter": 201, "developer": 201, "owner": 201})
}

// Stars: 201 with the project on a change, 304 when nothing changes, counted and listed.
func TestStarProject(t *testing.T) {
	f := newRepoFixture(t, map[string]any{"name": "demo", "visibility": "public"})
	_, alice := f.s.CreateUser(t, "alice")
	p := decode[forkJSON](t, mustDo(t, f.s, 201, "POST", f.url("/star"), alice, nil))
	if p.StarCount != 1 {
		t.Fatalf("star_count %d", p.StarCount)
	}
	r := f.do("POST", "/star", alice, nil)
	if r.StatusCode != http.StatusNotModified || len(r.Body) != 0 {
		t.Fatalf("star twice: %d %q", r.StatusCode, r.Body)
	}
	mustDo(t, f.s, 201, "POST", f.url("/star"), f.token, nil)
	var starrers []struct {
		StarredSince string   `json:"starred_since"`
		User         userJSON `json:"user"`
	}
	mustDo(t, f.s, 200, "GET", f.url("/starrers"), "", nil).JSON(t, &starrers)
	if len(starrers) != 2 || starrers[0].User.Username != "root" || starrers[1].User.Username != "alice" ||
		starrers[0].StarredSince == "" {
		t.Fatalf("starrers: %+v", starrers)
	}
	if got := names(t, mustDo(t, f.s, 200, "GET", f.url("/starrers?search=ali"), "", nil),
		"starred_since"); len(got) != 1 {
		t.Fatalf("starrers named ali: %v", got)
	}
	if got := names(t, mustDo(t, f.s, 200, "GET", "/api/v4/projects?starred=true", alice, nil), "id"); len(got) != 1 {
		t.Fatalf("alice's starred projects: %v", got)
	}
	if got := names(t, mustDo(t, f.s, 200, "GET", "/api/v4/users/alice/starred_projects", "", nil),
		"id"); len(got) != 1 {
		t.Fatalf("alice's starred projects: %v", got)
	}
	un := decode[forkJSON](t, mustDo(t, f.s, 201, "POST", f.url("/unstar"), alice, nil))
	if un.StarCount != 1 {
		t.Fatalf("star_count after unstar %d", un.StarCount)
	}
	wantStatus(t, f.do("POST", "/unstar", alice, nil), 304)
	wantStatus(t, f.do("POST", "/star", "", nil), 401)
	private := newRepoFixture(t, nil)
	_, bob := private.s.CreateUser(t, "bob")
	wantStatus(t, private.do("POST", "/star", bob, nil), 404)
}

// A transfer moves a project between namespaces: its path changes, its repository does not.
func TestTransferProject(t *testing.T) {
	s := servertest.New(t, servertest.WithoutRateLimit())
	aliceID, alice := s.CreateUser(t, "alice")
	pub := createGroup(t, s, s.AdminToken, map[string]any{"name": "Pub", "path": "pub", "visibility": "public"})
	priv := createGroup(t, s, s.AdminToken, map[string]any{"name": "Priv", "path": "priv", "visibility": "private"})
	addMember(t, s, s.AdminToken, "groups", priv.ID, aliceID, 40)
	p := createProject(t, s, alice,
		map[string]any{"name": "app", "visibility": "public", "initialize_with_readme": true})
	base := "/api/v4/projects/" + itoa(p.ID)

	moved := decode[projectJSON](t,
		mustDo(t, s, 200, "PUT", base+"/transfer", alice, map[string]any{"namespace": "priv"}))
	if moved.PathWithNamespace != "priv/app" || moved.Visibility != "private" || moved.Namespace.ID != priv.ID {
		t.Fatalf("transferred: %+v", moved)
	}
	mustDo(t, s, 200, "GET", "/api/v4/projects/priv%2Fapp/repository/files/README.md/raw?ref=main", alice, nil)
	wantStatus(t, s.Do(t, "GET", "/api/v4/projects/alice%2Fapp", alice, nil), 404)
	wantJSON(t, s.Do(t, "PUT", base+"/transfer", alice, map[string]any{"namespace": priv.ID}), 400,
		`{"message":"Failed to transfer project {:new_namespace=>[\"Please select a new namespace for your project.\"]}"}`)
	wantJSON(t, s.Do(t, "PUT", base+"/transfer", alice, map[string]any{"namespace": "pub"}), 400,
		`{"message":"Failed to transfer project {:new_namespace=>[\"You don't have permission to transfer this project to that namespace.\"]}"}`)
	wantJSON(t, s.Do(t, "PUT", base+"/transfer", alice, map[string]any{"namespace": "nosuch"}), 404,
		`{"message":"404 Namespace Not Found"}`)
	wantJSON(t, s.Do(t, "PUT", base+"/transfer", alice, nil), 400, `{"error":"namespace is missing"}`)
	// Back to alice, where another app now stands.
	createProject(t, s, alice, map[string]any{"name": "app"})
	wantJSON(t, s.Do(t, "PUT", base+"/transfer", alice, map[string]any{"namespace": "alice"}), 400,
		`{"message":"Failed to transfer project {:new_namespace=>[\"Project with same name or path in target namespace already exists\"]}"}`)
	// Maintainers may not transfer; only owners and administrators.
	bobID, bob := s.CreateUser(t, "bob")
	addMember(t, s, s.AdminToken, "projects", p.ID, bobID, 40)
	wantJSON(t, s.Do(t, "PUT", base+"/transfer", bob, map[string]any{"namespace": "bob"}), 403, bodyForbidden)
	adminMoved := decode[projectJSON](t,
		mustDo(t, s, 200, "PUT", base+"/transfer", s.AdminToken, map[string]any{"namespace": pub.ID}))
	if adminMoved.PathWithNamespace != "pub/app" || adminMoved.Visibility != "private" {
		t.Fatalf("transferred by an administrator: %+v", adminMoved)
	}
	wantStatus(t, s.Do(t, "PUT", base+"/transfer", "", map[string]any{"namespace": "pub"}), 401)
}

type topicJSON struct {
	ID                 int64   `json:"id"`
	Name               string  `json:"name"`
	Title              string  `json:"title"`
	Description        *string `json:"description"`
	TotalProjectsCount int     `json:"total_projects_count"`
}

// Projects' topics are the instance's topics, listed and counted at /topics.
func TestTopics(t *testing.T) {
	s := servertest.New(t, servertest.WithoutRateLimit())
	createProject(t, s, s.AdminToken,
		map[string]any{"name": "a", "topics": []string{"go", "cli"}, "visibility": "public"})
	b := createProject(t, s, s.AdminToken, map[string]any{"name": "b", "topics": "go", "visibility": "public"})
	var topics []topicJSON
	mustDo(t, s, 200, "GET", "/api/v4/topics", "", nil).JSON(t, &topics)
	if len(topics) != 2 || topics[0].Name != "go" || topics[0].TotalProjectsCount != 2 ||
		topics[1].Name != "cli" || topics[1].Title != "cli" {
		t.Fatalf("topics: %+v", topics)
	}
	if got := names(t, mustDo(t, s, 200, "GET", "/api/v4/projects?topic=go,cli", "", nil),
		"name"); strings.Join(got, ",") != "a" {
		t.Fatalf("projects with go and cli: %v", got)
	}
	mustDo(t, s, 200, "PUT", "/api/v4/projects/"+itoa(b.ID), s.AdminToken, map[string]any{"topics": []string{"rust"}})
	if got := names(t, mustDo(t, s, 200, "GET", "/api/v4/topics?search=r", "", nil),
		"name"); strings.Join(got, ",") != "rust" {
		t.Fatalf("topics named r: %v", got)
	}
	created := decode[topicJSON](t, mustDo(t, s, 201, "POST", "/api/v4/topics", s.AdminToken,
		map[string]any{"name": "web", "title": "Web", "description": "Sites"}))
	if created.Title != "Web" || created.Description == nil || *created.Description != "Sites" ||
		created.TotalProjectsCount != 0 {
		t.Fatalf("created: %+v", created)
	}
	if got := names(t, mustDo(t, s, 200, "GET", "/api/v4/topics?without_projects=true", "", nil),
		"name"); strings.Join(got, ",") != "web" {
		t.Fatalf("topics without projects: %v", got)
	}
	wantJSON(t, s.Do(t, "POST", "/api/v4/topics", s.AdminToken, map[string]any{"name": "WEB", "title": "x"}), 400,
		`{"message":{"name":["has already been taken"]}}`)
	wantJSON(t, s.Do(t, "POST", "/api/v4/topics", s.AdminToken, map[string]any{"name": "x"}), 400,
		`{"error":"title is missing"}`)
	_, alice := s.CreateUser(t, "alice")
	wantStatus(t, s.Do(t, "POST", "/api/v4/topics", alice, map[string]any{"name": "y", "title": "y"}), 403)
	goTopic := topics[0]
	mustDo(t, s, 204, "DELETE", "/api/v4/topics/"+itoa(goTopic.ID), s.AdminToken, nil)
	wantStatus(t, s.Do(t, "GET", "/api/v4/topics/"+itoa(goTopic.ID), "", nil), 404)
	a := decode[forkJSON](t, mustDo(t, s, 200, "GET", "/api/v4/projects/root%2Fa", "", nil))
	if strings.Join(a.Topics, ",") != "cli" {
		t.Fatalf("a's topics after go went: %v", a.Topics)
	}
}

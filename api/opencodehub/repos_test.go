package opencodehub_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/cairn-forge/cairn/server"
	"github.com/cairn-forge/cairn/server/servertest"
)

// The seed's "Create Repository" example, sent as curl sends it, answers the seed's success
// shape: the repository under data, with "repo-" and "user-" ids, and meta.timestamp.
func TestSeedCreateRepository(t *testing.T) {
	t.Parallel()
	s := servertest.New(t)
	uid, token := s.CreateUser(t, "swadhin", "repo", "pr")
	r := call(t, s, "POST", "/api/repos", token, `{
    "name": "my-project",
    "description": "My awesome project",
    "visibility": "private"
  }`, "Content-Type", "application/json")
	env := ok[repoJSON](t, r, http.StatusCreated)
	got := env.Data
	if !strings.HasPrefix(got.ID, "repo-") || got.Name != "my-project" || got.Visibility != "private" ||
		got.Owner != (ownerJSON{ID: "user-" + itoa(uid), Username: "swadhin", Type: "user"}) {
		t.Fatalf("repository %+v", got)
	}
	if got.Description != "My awesome project" || got.FullName != "swadhin/my-project" || !got.Private ||
		got.DefaultBranch != "main" || !got.Empty || got.CloneURL != s.URL+"/swadhin/my-project.git" {
		t.Fatalf("repository %+v", got)
	}
	wantTimestamp(t, got.CreatedAt)
	if loc := r.Header.Get("Location"); loc != s.URL+"/api/repos/swadhin/my-project" || got.URL != loc {
		t.Errorf("Location %q, url %q", loc, got.URL)
	}
	if r.Header.Get("X-RateLimit-Remaining") == "" {
		t.Errorf("no X-RateLimit-Remaining")
	}
	// The exact keys of the seed's sample are there.
	var raw struct {
		Data map[string]any `json:"data"`
		Meta map[string]any `json:"meta"`
	}
	r.JSON(t, &raw)
	for _, k := range []string{"id", "name", "owner", "visibility", "created_at"} {
		if _, has := raw.Data[k]; !has {
			t.Errorf("data lacks %q: %s", k, r.Body)
		}
	}
	if owner, _ := raw.Data["owner"].(map[string]any); owner["username"] != "swadhin" ||
		owner["id"] != "user-"+itoa(uid) {
		t.Errorf("owner %v", raw.Data["owner"])
	}
	if _, has := raw.Meta["timestamp"]; !has || len(raw.Meta) != 1 {
		t.Errorf("meta %v", raw.Meta)
	}

	// The repository reads back by owner/name and by its id, with or without the prefix.
	for _, path := range []string{"/api/repos/swadhin/my-project", "/api/repos/" + got.ID,
		"/api/repos/" + strings.TrimPrefix(got.ID, "repo-"), "/api/repos/swadhin%2Fmy-project"} {
		if back := ok[repoJSON](t, call(t, s, "GET", path, token, ""), http.StatusOK).Data; back != got {
			t.Errorf("GET %s = %+v, want %+v", path, back, got)
		}
	}
}

func TestCreateRepositoryErrors(t *testing.T) {
	t.Parallel()
	s := servertest.New(t)
	_, token := s.CreateUser(t, "alice")
	ok[repoJSON](t, call(t, s, "POST", "/api/repos", token, `{"name": "taken"}`), http.StatusCreated)
	tests := []struct {
		name, body        string
		status            int
		code              string
		field, constraint string
		message           string
	}{
		{"missing name", `{"description": "x"}`, 422, "VALIDATION_ERROR", "name", "required",
			"Repository name is required"},
		{"blank name", `{"name": "  "}`, 422, "VALIDATION_ERROR", "name", "required", "Repository name is required"},
		{"null name", `{"name": null}`, 422, "VALIDATION_ERROR", "name", "required", "Repository name is required"},
		{"name of the wrong type", `{"name": {"a": 1}}`, 400, "VALIDATION_ERROR", "name", "invalid", "name is invalid"},
		{"name too long", `{"name": "` + strings.Repeat("n", 256) + `"}`, 422, "VALIDATION_ERROR", "name", "too_long",
			"Repository name is too long (maximum is 255 characters)"},
		{"bad visibility", `{"name": "v", "visibility": "secret"}`, 422, "VALIDATION_ERROR", "visibility", "invalid",
			"Repository visibility does not have a valid value"},
		{"name taken", `{"name": "taken"}`, 409, "CONFLICT", "name", "taken", "Repository name has already been taken"},
		{"name that makes no path", `{"name": "日本"}`, 422, "VALIDATION_ERROR", "name", "invalid",
			"Repository name must contain a letter or digit"},
		{"malformed JSON", `{"name": `, 400, "VALIDATION_ERROR", "body", "malformed",
			"The request body is not valid JSON"},
		{"unknown owner", `{"name": "o", "owner": "nobody-here"}`, 404, "NOT_FOUND", "", "", "Owner not found"},
		{"someone else's namespace", `{"name": "o", "owner": "root"}`, 403, "FORBIDDEN", "", "",
			"You are not allowed to do this"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := fails(t, call(t, s, "POST", "/api/repos", token, tt.body, "Content-Type", "application/json"),
				tt.status, tt.code, tt.field, tt.constraint)
			if e.Error.Message != tt.message {
				t.Errorf("message %q, want %q", e.Error.Message, tt.message)
			}
		})
	}
}

// A repository can be created in a group the caller maintains, named by path or by id, and
// is then reached through its nested path.
func TestCreateRepositoryInGroup(t *testing.T) {
	t.Parallel()
	s := servertest.New(t)
	_, token := s.CreateUser(t, "alice")
	var g struct{ ID int64 }
	gitlabCall(t, s, 201, "POST", "/groups", token, map[string]any{"name": "acme", "path": "acme"}).JSON(t, &g)
	gitlabCall(t, s, 201, "POST", "/groups", token,
		map[string]any{"name": "platform", "path": "platform", "parent_id": g.ID})
	a := ok[repoJSON](t,
		call(t, s, "POST", "/api/repos", token,
			`{"name": "api", "owner": "acme/platform", "auto_init": true}`), 201).Data
	if a.FullName != "acme/platform/api" || a.Owner.Type != "group" || a.Owner.Username != "acme/platform" || a.Empty {
		t.Fatalf("repository %+v", a)
	}
	b := ok[repoJSON](t,
		call(t, s, "POST", "/api/repos", token, `{"name": "web", "owner": "group-`+itoa(g.ID)+`"}`), 201).Data
	if b.FullName != "acme/web" || b.Owner.ID != "group-"+itoa(g.ID) {
		t.Fatalf("repository %+v", b)
	}
	for _, path := range []string{"/api/repos/acme/platform/api", "/api/repos/acme%2Fplatform/api"} {
		if got := ok[repoJSON](t, call(t, s, "GET", path, token, ""), 200).Data; got.ID != a.ID {
			t.Errorf("GET %s = %s, want %s", path, got.ID, a.ID)
		}
	}
}

// Others' private repositories do not exist for the caller; public ones are readable by anyone.
func TestRepositoryVisibility(t *testing.T) {
	t.Parallel()
	s := servertest.New(t)
	_, alice := s.CreateUser(t, "alice")
	_, bob := s.CreateUser(t, "bob")
	priv := ok[repoJSON](t,
		call(t, s, "POST", "/api/repos", alice, `{"name": "secret", "visibility": "private"}`), 201).Data
	pub := ok[repoJSON](t,
		call(t, s, "POST", "/api/repos", alice, `{"name": "open", "visibility": "public"}`), 201).Data
	for _, token := range []string{bob, ""} {
		for _, path := range []string{"/api/repos/alice/secret", "/api/repos/" + priv.ID,
			"/api/repos/alice/secret/pulls"} {
			e := fails(t, call(t, s, "GET", path, token, ""), 404, "NOT_FOUND", "", "")
			if e.Error.Message != "Repository not found" {
				t.Errorf("GET %s: message %q", path, e.Error.Message)
			}
		}
		ok[repoJSON](t, call(t, s, "GET", "/api/repos/alice/open", token, ""), 200)
	}
	list := func(token string) []string {
		var ids []string
		for _, r := range ok[[]repoJSON](t, call(t, s, "GET", "/api/repos", token, ""), 200).Data {
			ids = append(ids, r.ID)
		}
		return ids
	}
	if got := strings.Join(list(bob), ","); got != pub.ID {
		t.Errorf("bob sees %s, want %s", got, pub.ID)
	}
	if got := strings.Join(list(""), ","); got != pub.ID {
		t.Errorf("anonymous sees %s, want %s", got, pub.ID)
	}
	if got := strings.Join(list(alice), ","); got != pub.ID+","+priv.ID {
		t.Errorf("alice sees %s (newest first)", got)
	}
}

func TestAuthenticationErrors(t *testing.T) {
	t.Parallel()
	s := servertest.New(t)
	tests := []struct {
		name, method, path, token string
		constraint                string
	}{
		{"bad token on a list", "GET", "/api/repos", "cairn_pat_not-a-real-token", "invalid"},
		{"bad token on a create", "POST", "/api/repos", "cairn_pat_not-a-real-token", "invalid"},
		{"anonymous create", "POST", "/api/repos", "", "required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := call(t, s, tt.method, tt.path, tt.token, `{"name": "x"}`)
			fails(t, r, http.StatusUnauthorized, "UNAUTHORIZED", "token", tt.constraint)
			if !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("WWW-Authenticate %q", r.Header.Get("WWW-Authenticate"))
			}
		})
	}
}

// The repo scope creates repositories; a token for pull requests alone may read them but not
// create them; api and admin tokens do everything.
func TestRepositoryScopes(t *testing.T) {
	t.Parallel()
	s := servertest.New(t)
	_, prOnly := s.CreateUser(t, "pronly", "pr")
	_, repoOnly := s.CreateUser(t, "repoonly", "repo")
	_, readOnly := s.CreateUser(t, "readonly", "read_user")
	e := fails(t, call(t, s, "POST", "/api/repos", prOnly, `{"name": "x"}`), 403, "FORBIDDEN", "scope",
		"insufficient_scope")
	if !strings.Contains(e.Error.Message, `"repo"`) {
		t.Errorf("message %q does not name the scope", e.Error.Message)
	}
	ok[repoJSON](t, call(t, s, "POST", "/api/repos", repoOnly, `{"name": "x", "visibility": "public"}`), 201)
	ok[repoJSON](t, call(t, s, "POST", "/api/repos", s.AdminToken, `{"name": "y"}`), 201)
	ok[repoJSON](t, call(t, s, "GET", "/api/repos/repoonly/x", prOnly, ""), 200)
	fails(t, call(t, s, "GET", "/api/repos/repoonly/x", readOnly, ""), 403, "FORBIDDEN", "scope", "insufficient_scope")
}

func TestListRepositoriesPagination(t *testing.T) {
	t.Parallel()
	s := servertest.New(t)
	_, token := s.CreateUser(t, "alice")
	for _, name := range []string{"r1", "r2", "r3", "r4", "r5"} {
		ok[repoJSON](t, call(t, s, "POST", "/api/repos", token, `{"name": "`+name+`"}`), 201)
	}
	r := call(t, s, "GET", "/api/repos?per_page=2&page=2", token, "")
	env := ok[[]repoJSON](t, r, 200)
	if len(env.Data) != 2 || env.Data[0].Name != "r3" || env.Data[1].Name != "r2" {
		t.Fatalf("page 2: %+v", env.Data)
	}
	m := env.Meta
	if m.Page != 2 || m.PerPage != 2 || m.Total == nil || *m.Total != 5 || m.TotalPages != 3 {
		t.Fatalf("meta %+v", m)
	}
	for k, v := range map[string]string{"X-Total": "5", "X-Total-Pages": "3", "X-Page": "2",
		"X-Per-Page": "2", "X-Next-Page": "3", "X-Prev-Page": "1"} {
		if got := r.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if link := r.Header.Get("Link"); !strings.Contains(link, s.URL+"/api/repos?page=3&per_page=2>; rel=\"next\"") {
		t.Errorf("Link %q", link)
	}
	// An empty list is still a list with its pagination.
	empty := ok[[]repoJSON](t, call(t, s, "GET", "/api/repos?page=9", token, ""), 200)
	if empty.Data == nil || len(empty.Data) != 0 || *empty.Meta.Total != 5 {
		t.Errorf("page 9: %+v", empty)
	}
	fails(t, call(t, s, "GET", "/api/repos?page=x", token, ""), 400, "VALIDATION_ERROR", "page", "invalid")
	fails(t, call(t, s, "GET", "/api/repos?visibility=secret", token, ""), 422, "VALIDATION_ERROR",
		"visibility", "invalid")
	if got := ok[[]repoJSON](t, call(t, s, "GET", "/api/repos?visibility=public", token, ""), 200).Data; len(got) != 0 {
		t.Errorf("public repositories: %+v", got)
	}
}

// An unchanged resource answers If-None-Match with 304, though every answer has a new
// timestamp.
func TestConditionalGet(t *testing.T) {
	t.Parallel()
	s := servertest.New(t)
	_, token := s.CreateUser(t, "alice")
	ok[repoJSON](t, call(t, s, "POST", "/api/repos", token, `{"name": "x"}`), 201)
	r := call(t, s, "GET", "/api/repos/alice/x", token, "")
	etag := r.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	again := call(t, s, "GET", "/api/repos/alice/x", token, "", "If-None-Match", etag)
	if again.StatusCode != http.StatusNotModified || len(again.Body) != 0 {
		t.Fatalf("If-None-Match: %d %s", again.StatusCode, again.Body)
	}
}

// Paths and methods the dialect does not have answer in its error shape.
func TestUnknownRoutes(t *testing.T) {
	t.Parallel()
	s := servertest.New(t)
	_, token := s.CreateUser(t, "alice")
	ok[repoJSON](t, call(t, s, "POST", "/api/repos", token, `{"name": "x"}`), 201)
	for _, path := range []string{"/api/nothing", "/api/repos/alice", "/api/repos/alice/x/issues", "/api",
		"/api/repos/alice/x/pulls/abc/merge"} {
		fails(t, call(t, s, "GET", path, token, ""), 404, "NOT_FOUND", "", "")
	}
	tests := []struct{ method, path, allow string }{
		{"DELETE", "/api/repos", "GET"},
		{"PUT", "/api/repos/alice/x", "GET, HEAD, OPTIONS"},
		{"PUT", "/api/repos/alice/x/pulls", "GET, HEAD, POST, OPTIONS"},
		{"GET", "/api/repos/alice/x/pulls/1/merge", "PUT, OPTIONS"},
	}
	for _, tt := range tests {
		r := call(t, s, tt.method, tt.path, token, "")
		fails(t, r, 405, "METHOD_NOT_ALLOWED", "", "")
		if !strings.Contains(r.Header.Get("Allow"), tt.allow) {
			t.Errorf("%s %s: Allow %q, want it to hold %q", tt.method, tt.path, r.Header.Get("Allow"), tt.allow)
		}
	}
}

// A body over the instance's limit is refused before it is read to the end.
func TestBodyTooLarge(t *testing.T) {
	t.Parallel()
	s := servertest.New(t, servertest.WithConfig(func(c *server.Config) { c.MaxBody = 1 << 10 }))
	_, token := s.CreateUser(t, "alice")
	r := call(t, s, "POST", "/api/repos", token, `{"name": "x", "description": "`+strings.Repeat("d", 4<<10)+`"}`)
	fails(t, r, http.StatusRequestEntityTooLarge, "VALIDATION_ERROR", "", "too_large")
}

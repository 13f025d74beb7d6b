package gitlab_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestConditionalGETAnswers304(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	p := createProject(t, s, s.AdminToken, map[string]any{"name": "cached"})
	paths := []string{
		"/api/v4/projects/" + itoa(p.ID),
		"/api/v4/projects/root%2Fcached",
		"/api/v4/projects",
		"/api/v4/user",
		"/api/v3/projects/" + itoa(p.ID),
	}
	for _, path := range paths {
		t.Run(path, func(t *testing.T) {
			r := mustDo(t, s, 200, "GET", path, s.AdminToken, nil)
			etag := r.Header.Get("ETag")
			if etag == "" {
				t.Fatalf("GET %s: no ETag", path)
			}
			r = s.Do(t, "GET", path, s.AdminToken, nil, "If-None-Match", etag)
			wantStatus(t, r, http.StatusNotModified)
			if len(r.Body) != 0 {
				t.Errorf("304 with a body: %s", r.Body)
			}
			if r.Header.Get("X-Request-Id") == "" || r.Header.Get("X-Runtime") == "" {
				t.Errorf("304 without X-Request-Id or X-Runtime: %v", r.Header)
			}
			r = s.Do(t, "GET", path, s.AdminToken, nil, "If-None-Match", `W/"somethingelse"`)
			wantStatus(t, r, http.StatusOK)
		})
	}
	t.Run("a change gives a new ETag", func(t *testing.T) {
		path := "/api/v4/projects/" + itoa(p.ID)
		etag := mustDo(t, s, 200, "GET", path, s.AdminToken, nil).Header.Get("ETag")
		mustDo(t, s, 200, "PUT", path, s.AdminToken, map[string]any{"description": "changed"})
		r := s.Do(t, "GET", path, s.AdminToken, nil, "If-None-Match", etag)
		wantStatus(t, r, http.StatusOK)
		if r.Header.Get("ETag") == etag {
			t.Errorf("ETag %s unchanged after an update", etag)
		}
	})
}

func TestWrongMethodIs405WithAllow(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	tests := []struct {
		method, path string
		allow        []string
		notAllow     []string
	}{
		{"DELETE", "/api/v4/version", []string{"GET"}, []string{"DELETE", "POST"}},
		{"PATCH", "/api/v4/projects", []string{"GET", "POST"}, []string{"DELETE"}},
		{"POST", "/api/v4/projects/1", []string{"GET", "PUT", "DELETE"}, []string{"POST"}},
		{"DELETE", "/api/v4/users", []string{"GET", "POST"}, []string{"DELETE"}},
		{"PATCH", "/api/v3/groups/1", []string{"GET", "PUT", "DELETE"}, []string{"PATCH"}},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			t.Parallel()
			r := s.Do(t, tt.method, tt.path, s.AdminToken, nil)
			wantJSON(t, r, http.StatusMethodNotAllowed, `{"error":"405 Not Allowed"}`)
			allow := r.Header.Get("Allow")
			for _, m := range tt.allow {
				if !strings.Contains(allow, m) {
					t.Errorf("Allow %q lacks %s", allow, m)
				}
			}
			for _, m := range tt.notAllow {
				if strings.Contains(allow, m) {
					t.Errorf("Allow %q names %s", allow, m)
				}
			}
		})
	}
}

func TestUnknownRouteIs404WithGrapeBody(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	for _, path := range []string{"/api/v4/nothing-here", "/api/v4/projects/1/nothing/here", "/api/v3/nope",
		"/api/v4"} {
		for _, token := range []string{"", s.AdminToken} {
			wantJSON(t, s.Do(t, "GET", path, token, nil), http.StatusNotFound, bodyNoRoute)
		}
	}
}

// Every answer, success or error, carries the request id, the runtime and the rate-limit
// headers, and JSON bodies are labelled exactly application/json (python-gitlab compares it).
func TestEveryResponseCarriesTheCommonHeaders(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	_, alice := s.CreateUser(t, "alice")
	tests := []struct {
		name   string
		method string
		path   string
		token  string
		body   any
		status int
	}{
		{"a list", "GET", "/api/v4/projects", s.AdminToken, nil, 200},
		{"an anonymous list", "GET", "/api/v4/projects", "", nil, 200},
		{"an object", "GET", "/api/v4/version", alice, nil, 200},
		{"a creation", "POST", "/api/v4/groups", s.AdminToken, map[string]any{"name": "G", "path": "g"}, 201},
		{"a 400", "POST", "/api/v4/groups", s.AdminToken, map[string]any{"path": "h"}, 400},
		{"a 401", "GET", "/api/v4/user", "", nil, 401},
		{"a 403", "POST", "/api/v4/users", alice, map[string]any{"username": "x"}, 403},
		{"a 404", "GET", "/api/v4/projects/999", s.AdminToken, nil, 404},
		{"an unknown route", "GET", "/api/v4/nowhere", s.AdminToken, nil, 404},
		{"a 405", "DELETE", "/api/v4/version", s.AdminToken, nil, 405},
		{"v3", "GET", "/api/v3/projects", s.AdminToken, nil, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.Do(t, tt.method, tt.path, tt.token, tt.body)
			wantStatus(t, r, tt.status)
			if got := r.Header.Get("Content-Type"); got != "application/json" {
				t.Errorf("Content-Type %q, want exactly application/json", got)
			}
			id := r.Header.Get("X-Request-Id")
			if len(id) < 16 {
				t.Errorf("X-Request-Id %q", id)
			}
			if r.Header.Get("X-Runtime") == "" {
				t.Error("no X-Runtime")
			}
			for _, h := range []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} {
				if r.Header.Get(h) == "" {
					t.Errorf("no %s", h)
				}
			}
			// GitLab's Go client reads RateLimit-Limit from any response as a per-minute budget.
			if got := r.Header.Get("RateLimit-Limit"); got != "" {
				t.Errorf("RateLimit-Limit %q on an ordinary response", got)
			}
		})
	}
	t.Run("request ids differ", func(t *testing.T) {
		a := s.Do(t, "GET", "/api/v4/projects", "", nil).Header.Get("X-Request-Id")
		b := s.Do(t, "GET", "/api/v4/projects", "", nil).Header.Get("X-Request-Id")
		if a == b {
			t.Errorf("two requests share the id %s", a)
		}
	})
}

func TestMalformedJSONIs400AndUnknownFieldsAreIgnored(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	r := s.Do(t, "POST", "/api/v4/groups", s.AdminToken, []byte(`{"name": "broken"`))
	wantStatus(t, r, http.StatusBadRequest)
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	r = s.Do(t, "POST", "/api/v4/groups", s.AdminToken, []byte(`{"name":"Fine","path":"fine","no_such_field":[1,2]}`))
	wantStatus(t, r, http.StatusCreated)
}

// Parameters arrive as JSON, as a form (curl -d) or in the query string; explicit nulls mean
// "not given".
func TestParametersFromFormQueryAndJSON(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	r := mustDo(t, s, 201, "POST", "/api/v4/groups", s.AdminToken, "name=Form+Group&path=form-group&visibility=public")
	if g := decode[groupJSON](t, r); g.FullPath != "form-group" || g.Visibility != "public" {
		t.Errorf("form group: %+v", g)
	}
	r = mustDo(t, s, 201, "POST", "/api/v4/groups?name=Query&path=query-group", s.AdminToken, nil)
	if g := decode[groupJSON](t, r); g.FullPath != "query-group" {
		t.Errorf("query group: %+v", g)
	}
	r = mustDo(t, s, 201, "POST", "/api/v4/projects", s.AdminToken,
		map[string]any{"name": "nulls", "description": nil, "namespace_id": nil, "visibility": nil})
	if p := decode[projectJSON](t, r); p.PathWithNamespace != "root/nulls" || p.Visibility != "private" {
		t.Errorf("project with null fields: %+v", p)
	}
}

// GitLab v4 answers deletions of projects and groups with 202; the v3 paths with 200 and the
// deleted resource, as the GitSwarm document says.
func TestDeletionStatusPerVersion(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	a := createProject(t, s, s.AdminToken, map[string]any{"name": "a"})
	b := createProject(t, s, s.AdminToken, map[string]any{"name": "b"})
	wantJSON(t, s.Do(t, "DELETE", "/api/v4/projects/"+itoa(a.ID), s.AdminToken, nil), 202, `{"message":"202 Accepted"}`)
	if got := decode[projectJSON](t,
		mustDo(t, s, 200, "DELETE", "/api/v3/projects/"+itoa(b.ID), s.AdminToken, nil)); got.ID != b.ID ||
		got.Name != "b" {
		t.Errorf("the v3 deletion answers %+v", got)
	}
}

// GitLab's /version and /metadata need a signed-in caller (lib/api/version.rb: authenticate!);
// clients read the major and minor version from them.
func TestVersionAndMetadataNeedAuthentication(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	_, alice := s.CreateUser(t, "alice", "read_user")
	_, cloner := s.CreateUser(t, "cloner", "read_repository")
	for _, path := range []string{"/api/v4/version", "/api/v4/metadata", "/api/v3/version"} {
		wantJSON(t, s.Do(t, "GET", path, "", nil), http.StatusUnauthorized, bodyUnauthorized)
		mustDo(t, s, 200, "GET", path, alice, nil) // GitLab lets read_user tokens read it
		r := mustDo(t, s, 200, "GET", path, s.AdminToken, nil)
		v := decode[struct {
			Version  string `json:"version"`
			Revision string `json:"revision"`
		}](t, r)
		major, minor, ok := strings.Cut(v.Version, ".")
		if !ok || major == "" || !strings.Contains(minor, ".") || v.Revision == "" {
			t.Errorf("GET %s: version %q revision %q", path, v.Version, v.Revision)
		}
		wantJSON(t, s.Do(t, "GET", path, cloner, nil), 403, bodyInsufficientScope("read_user"))
	}
}

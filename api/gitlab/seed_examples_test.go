package gitlab_test

// The examples and documented bodies of seeds/001 (the GitSwarm/GitLab API document), each
// sent as the document shows it with only the host changed.

import (
	"net/http"
	"strings"
	"testing"

	"github.com/cairn-forge/cairn/server/servertest"
)

// exampleFixture is an instance where alice and bob each have a private project, so that a
// listing shows whose eyes it was made with.
type exampleFixture struct {
	s          *servertest.Server
	aliceID    int64
	aliceToken string
	bobToken   string
}

func newExampleFixture(t *testing.T) exampleFixture {
	t.Helper()
	s := newServer(t)
	f := exampleFixture{s: s}
	f.aliceID, f.aliceToken = s.CreateUser(t, "alice")
	_, f.bobToken = s.CreateUser(t, "bob")
	createProject(t, s, f.aliceToken, map[string]any{"name": "secret"})
	createProject(t, s, f.bobToken, map[string]any{"name": "hidden"})
	return f
}

func TestSeedExamplesWorkWithOnlyTheHostChanged(t *testing.T) {
	t.Parallel()
	f := newExampleFixture(t)
	tok, id := f.s.AdminToken, itoa(f.aliceID)
	const asAdmin, asAlice = "admin", "alice"
	tests := []struct {
		name    string
		path    string
		headers []string
		// sees is whose view of the projects the answer must be.
		sees string
	}{
		{"OAuth2 token in the Authorization header", "/api/v3/projects",
			[]string{"Authorization", "Bearer " + tok}, asAdmin},
		{"private_token in the query", "/api/v3/projects?private_token=" + tok, nil, asAdmin},
		{"PRIVATE-TOKEN header", "/api/v3/projects", []string{"PRIVATE-TOKEN", tok}, asAdmin},
		{"sudo by username in the query", "/api/v3/projects?private_token=" + tok + "&sudo=alice", nil, asAlice},
		{"sudo by username in the SUDO header", "/api/v3/projects",
			[]string{"PRIVATE-TOKEN", tok, "SUDO", "alice"}, asAlice},
		{"sudo by id in the query", "/api/v3/projects?private_token=" + tok + "&sudo=" + id, nil, asAlice},
		{"sudo by id in the SUDO header", "/api/v3/projects", []string{"PRIVATE-TOKEN", tok, "SUDO", id}, asAlice},
		{"the same on /api/v4", "/api/v4/projects", []string{"PRIVATE-TOKEN", tok}, asAdmin},
		{"sudo on /api/v4", "/api/v4/projects", []string{"PRIVATE-TOKEN", tok, "SUDO", "alice"}, asAlice},
		{"access_token in the query", "/api/v4/projects?access_token=" + tok, nil, asAdmin},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := f.s.Do(t, "GET", tt.path, "", nil, tt.headers...)
			wantStatus(t, r, http.StatusOK)
			got := names(t, r, "path_with_namespace")
			seesAlice, seesBob := contains(got, "alice/secret"), contains(got, "bob/hidden")
			switch {
			case tt.sees == asAdmin && !(seesAlice && seesBob):
				t.Errorf("the admin's listing is %v; want both private projects", got)
			case tt.sees == asAlice && !(seesAlice && !seesBob):
				t.Errorf("alice's listing (through sudo) is %v; want alice/secret and not bob/hidden", got)
			}
		})
	}
}

// The document lists namespaces with "curl -X PUT ... /api/v3/namespaces?per_page=50".
func TestSeedNamespacesExampleAnswersPUT(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	for _, method := range []string{"PUT", "GET"} {
		for _, version := range []string{"v3", "v4"} {
			r := s.Do(t, method, "/api/"+version+"/namespaces?per_page=50", s.AdminToken, nil)
			wantStatus(t, r, http.StatusOK)
			if got := r.Header.Get("X-Per-Page"); got != "50" {
				t.Errorf("%s /api/%s/namespaces?per_page=50: X-Per-Page %q, want 50", method, version, got)
			}
			if got := names(t, r, "full_path"); !contains(got, "root") {
				t.Errorf("%s /api/%s/namespaces: %v, want root's namespace", method, version, got)
			}
		}
	}
}

// The document's pagination example, reproduced on a list cairn has: 8 items, 3 per page,
// page 2, asked with curl -I (HEAD) and with GET.
func TestSeedPaginationExampleHeaders(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	for i := 0; i < 8; i++ {
		createProject(t, s, s.AdminToken, map[string]any{"name": "p" + itoa(int64(i))})
	}
	base := s.URL + "/api/v3/projects"
	wantLink := "<" + base + `?page=1&per_page=3>; rel="prev", ` +
		"<" + base + `?page=3&per_page=3>; rel="next", ` +
		"<" + base + `?page=1&per_page=3>; rel="first", ` +
		"<" + base + `?page=3&per_page=3>; rel="last"`
	want := map[string]string{
		"Cache-Control": "no-cache",
		"Content-Type":  "application/json",
		"Link":          wantLink,
		"X-Next-Page":   "3",
		"X-Page":        "2",
		"X-Per-Page":    "3",
		"X-Prev-Page":   "1",
		"X-Total":       "8",
		"X-Total-Pages": "3",
	}
	for _, method := range []string{"HEAD", "GET"} {
		t.Run(method, func(t *testing.T) {
			r := s.Do(t, method, "/api/v3/projects?per_page=3&page=2", "", nil, "PRIVATE-TOKEN", s.AdminToken)
			wantStatus(t, r, http.StatusOK)
			for k, v := range want {
				if got := r.Header.Get(k); got != v {
					t.Errorf("%s: %q, want %q", k, got, v)
				}
			}
			for _, k := range []string{"X-Request-Id", "X-Runtime"} {
				if r.Header.Get(k) == "" {
					t.Errorf("no %s header", k)
				}
			}
			if method == "HEAD" && len(r.Body) != 0 {
				t.Errorf("HEAD answered a body: %s", r.Body)
			}
			if method == "GET" {
				if got := names(t, r, "name"); len(got) != 3 {
					t.Errorf("page 2 holds %v, want 3 projects", got)
				}
			}
		})
	}
}

func TestSeedDocumentedErrorBodies(t *testing.T) {
	t.Parallel()
	f := newExampleFixture(t)
	s := f.s
	tests := []struct {
		name    string
		method  string
		path    string
		token   string
		body    any
		headers []string
		status  int
		want    string
	}{
		{"no token where one is needed", "GET", "/api/v3/user", "", nil, nil,
			401, `{"message":"401 Unauthorized"}`},
		{"an unknown token", "GET", "/api/v3/projects", "cairn_pat_unknown", nil, nil,
			401, `{"message":"401 Unauthorized"}`},
		{"sudo with a token that is not an admin's", "GET", "/api/v3/projects", f.aliceToken, nil,
			[]string{"SUDO", "bob"},
			403, `{"message":"403 Forbidden: Must be admin to use sudo"}`},
		{"sudo as a user who does not exist", "GET", "/api/v3/projects", s.AdminToken, nil, []string{"SUDO", "nobody"},
			404, `{"message":"404 Not Found: No user id or username for: nobody"}`},
		{"sudo as an id that does not exist", "GET", "/api/v3/projects?sudo=9999", s.AdminToken, nil, nil,
			404, `{"message":"404 Not Found: No user id or username for: 9999"}`},
		{"a missing attribute", "POST", "/api/v3/groups", s.AdminToken, map[string]any{"path": "docs"}, nil,
			400, `{"message":"400 (Bad request) \"name\" not given"}`},
		{"a validation error (the document's bio example)", "PUT", "/api/v3/users/" + itoa(f.aliceID), s.AdminToken,
			map[string]any{"bio": strings.Repeat("b", 256)}, nil,
			400, `{"message":{"bio":["is too long (maximum is 255 characters)"]}}`},
		{"a validation error on a project path", "POST", "/api/v4/projects", f.aliceToken,
			map[string]any{"name": "fine", "path": "not a path"}, nil,
			400, `{"message":{"path":["can contain only letters, digits, '_', '-' and '.'"]}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.Do(t, tt.method, tt.path, tt.token, tt.body, tt.headers...)
			wantJSON(t, r, tt.status, tt.want)
		})
	}
}

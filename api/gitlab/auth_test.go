package gitlab_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cairn-forge/cairn/server/servertest"
)

func TestEveryTokenCarrierAuthenticates(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	_, tok := s.CreateUser(t, "alice")
	carriers := []struct {
		name    string
		query   string
		headers func(tok string) []string
	}{
		{"PRIVATE-TOKEN header", "", func(tok string) []string { return []string{"PRIVATE-TOKEN", tok} }},
		{"Private-Token header as Go clients send it", "",
			func(tok string) []string { return []string{"Private-Token", tok} }},
		{"private_token query parameter", "?private_token=", nil},
		{"access_token query parameter", "?access_token=", nil},
		{"Authorization Bearer", "", func(tok string) []string { return []string{"Authorization", "Bearer " + tok} }},
		{"HTTP Basic with the token as password", "",
			func(tok string) []string { return []string{"Authorization", basic("alice", tok)} }},
		{"HTTP Basic with oauth2 as user", "",
			func(tok string) []string { return []string{"Authorization", basic("oauth2", tok)} }},
	}
	for _, c := range carriers {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			send := func(tok string) *servertest.Response {
				path := "/api/v4/user"
				var headers []string
				if c.query != "" {
					path += c.query + tok
				} else {
					headers = c.headers(tok)
				}
				return s.Do(t, "GET", path, "", nil, headers...)
			}
			r := send(tok)
			wantStatus(t, r, http.StatusOK)
			if u := decode[userJSON](t, r); u.Username != "alice" {
				t.Errorf("GET /user as alice answered %q", u.Username)
			}
			wantJSON(t, send("cairn_pat_notavalidtoken"), http.StatusUnauthorized, bodyUnauthorized)
		})
	}
}

// Omitted credentials are anonymous; wrong ones are refused even where anonymous callers
// would be served.
func TestBadCredentialsAre401EvenOnPublicResources(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	createProject(t, s, s.AdminToken, map[string]any{"name": "open", "visibility": "public"})
	wantStatus(t, s.Do(t, "GET", "/api/v4/projects", "", nil), http.StatusOK)
	wantStatus(t, s.Do(t, "GET", "/api/v4/projects/root%2Fopen", "", nil), http.StatusOK)
	for _, headers := range [][]string{
		{"PRIVATE-TOKEN", "cairn_pat_wrong"},
		{"Authorization", "Bearer cairn_pat_wrong"},
		{"Authorization", "Basic !!!not-base64"},
		{"Authorization", "Negotiate abc"},
	} {
		r := s.Do(t, "GET", "/api/v4/projects/root%2Fopen", "", nil, headers...)
		wantJSON(t, r, http.StatusUnauthorized, bodyUnauthorized)
	}
	wantJSON(t, s.Do(t, "GET", "/api/v4/user", "", nil), http.StatusUnauthorized, bodyUnauthorized)
}

// writeSeed writes a fixture file for one test.
func writeSeed(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "seed.json")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestExpiredTokenIs401WithInvalidTokenBody(t *testing.T) {
	t.Parallel()
	const expired = "cairn_pat_expiredexpiredexpired00"
	s := newServer(t, servertest.WithFixture(writeSeed(t, `{"users":[{"username":"old","tokens":[
		{"name":"stale","token":"`+expired+`","scopes":["api"],"expires_at":"2020-01-01"}]}]}`)))
	for _, path := range []string{"/api/v4/user", "/api/v4/projects", "/api/v3/projects"} {
		r := s.Do(t, "GET", path, expired, nil)
		wantJSON(t, r, http.StatusUnauthorized, bodyExpired)
		if got := r.Header.Get("WWW-Authenticate"); !strings.Contains(got, `error="invalid_token"`) {
			t.Errorf("GET %s: WWW-Authenticate %q, want error=\"invalid_token\"", path, got)
		}
	}
}

func TestRevokedTokenIs401WithInvalidTokenBody(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	_, tok := s.CreateUser(t, "alice")
	self := decode[tokenJSON](t, mustDo(t, s, 200, "GET", "/api/v4/personal_access_tokens/self", tok, nil))
	mustDo(t, s, http.StatusNoContent, "DELETE", "/api/v4/personal_access_tokens/"+itoa(self.ID), s.AdminToken, nil)
	for _, path := range []string{"/api/v4/user", "/api/v4/projects"} {
		r := s.Do(t, "GET", path, tok, nil)
		wantJSON(t, r, http.StatusUnauthorized, bodyRevoked)
		if got := r.Header.Get("WWW-Authenticate"); !strings.Contains(got, `error="invalid_token"`) {
			t.Errorf("GET %s: WWW-Authenticate %q, want error=\"invalid_token\"", path, got)
		}
	}
}

func TestTokenScopesLimitWhatATokenMayDo(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	aliceID, _ := s.CreateUser(t, "alice")
	_, readAPI := s.CreateUser(t, "reader", "read_api")
	_, readUser := s.CreateUser(t, "viewer", "read_user")
	_, readRepo := s.CreateUser(t, "cloner", "read_repository")
	tests := []struct {
		name   string
		token  string
		method string
		path   string
		body   any
		status int
		// scope is the scope a 403 names.
		scope string
	}{
		{"read_api lists projects", readAPI, "GET", "/api/v4/projects", nil, 200, ""},
		{"read_api reads itself", readAPI, "GET", "/api/v4/user", nil, 200, ""},
		{"read_api reads a user", readAPI, "GET", "/api/v4/users/" + itoa(aliceID), nil, 200, ""},
		{"read_api lists groups", readAPI, "GET", "/api/v4/groups", nil, 200, ""},
		{"read_api cannot create a project", readAPI, "POST", "/api/v4/projects", map[string]any{"name": "x"},
			403, "api"},
		{"read_api cannot create a group", readAPI, "POST", "/api/v4/groups",
			map[string]any{"name": "g", "path": "g"}, 403, "api"},
		{"read_api cannot create a token", readAPI, "POST", "/api/v4/user/personal_access_tokens",
			map[string]any{"name": "more", "scopes": []string{"api"}}, 403, "api"},
		{"read_user reads itself", readUser, "GET", "/api/v4/user", nil, 200, ""},
		{"read_user reads a user", readUser, "GET", "/api/v4/users/" + itoa(aliceID), nil, 200, ""},
		{"read_user cannot list projects", readUser, "GET", "/api/v4/projects", nil, 403, "read_api"},
		{"read_user cannot create a project", readUser, "POST", "/api/v4/projects",
			map[string]any{"name": "x"}, 403, "api"},
		{"read_repository cannot read the API", readRepo, "GET", "/api/v4/groups", nil, 403, "read_api"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := s.Do(t, tt.method, tt.path, tt.token, tt.body)
			if tt.status == 403 {
				wantJSON(t, r, 403, bodyInsufficientScope(tt.scope))
				if got := r.Header.Get("WWW-Authenticate"); !strings.Contains(got, `error="insufficient_scope"`) {
					t.Errorf("WWW-Authenticate %q, want error=\"insufficient_scope\"", got)
				}
				return
			}
			wantStatus(t, r, tt.status)
		})
	}
}

func TestSudoActsAsTheNamedUser(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	aliceID, aliceToken := s.CreateUser(t, "alice")
	rootID := decode[userJSON](t, mustDo(t, s, 200, "GET", "/api/v4/user", s.AdminToken, nil)).ID
	// An admin token without the sudo scope.
	plainAdmin := decode[tokenJSON](t,
		mustDo(t, s, 201, "POST", "/api/v4/users/"+itoa(rootID)+"/personal_access_tokens",
			s.AdminToken, map[string]any{"name": "no-sudo", "scopes": []string{"api"}}))
	tests := []struct {
		name    string
		path    string
		token   string
		headers []string
		status  int
		want    string // exact body of an error
	}{
		{"SUDO header by username", "/api/v4/user", s.AdminToken, []string{"SUDO", "alice"}, 200, ""},
		{"Sudo header as Go clients send it", "/api/v4/user", s.AdminToken, []string{"Sudo", "alice"}, 200, ""},
		{"SUDO header by id", "/api/v4/user", s.AdminToken, []string{"SUDO", itoa(aliceID)}, 200, ""},
		{"sudo query by username", "/api/v4/user?sudo=alice", s.AdminToken, nil, 200, ""},
		{"sudo query by id", "/api/v4/user?sudo=" + itoa(aliceID), s.AdminToken, nil, 200, ""},
		{"on the v3 paths", "/api/v3/user?sudo=alice", s.AdminToken, nil, 200, ""},
		{"non-admin", "/api/v4/user", aliceToken, []string{"SUDO", "root"}, 403,
			`{"message":"403 Forbidden: Must be admin to use sudo"}`},
		{"admin token without the sudo scope", "/api/v4/user", *plainAdmin.Token, []string{"SUDO", "alice"}, 403,
			bodyInsufficientScope("sudo")},
		{"unknown username", "/api/v4/user", s.AdminToken, []string{"SUDO", "ghost"}, 404,
			`{"message":"404 Not Found: No user id or username for: ghost"}`},
		{"anonymous", "/api/v4/user?sudo=alice", "", nil, 401, bodyUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := s.Do(t, "GET", tt.path, tt.token, nil, tt.headers...)
			if tt.want != "" {
				wantJSON(t, r, tt.status, tt.want)
				return
			}
			wantStatus(t, r, tt.status)
			u := decode[userJSON](t, r)
			if u.Username != "alice" || u.ID != aliceID {
				t.Errorf("sudo alice answered user %d %q", u.ID, u.Username)
			}
		})
	}

	t.Run("writes happen as the sudo user", func(t *testing.T) {
		t.Parallel()
		r := mustDo(t, s, 201, "POST", "/api/v4/projects", s.AdminToken, map[string]any{"name": "via-sudo"},
			"SUDO", "alice")
		if p := decode[projectJSON](t, r); p.PathWithNamespace != "alice/via-sudo" {
			t.Errorf("project created through sudo is %q, want alice/via-sudo", p.PathWithNamespace)
		}
	})
}

package gitlab_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/server"
	"github.com/cairn-forge/cairn/server/servertest"
)

type settingsJSON struct {
	ID                                 int64  `json:"id"`
	SignupEnabled                      bool   `json:"signup_enabled"`
	DefaultProjectVisibility           string `json:"default_project_visibility"`
	DefaultGroupVisibility             string `json:"default_group_visibility"`
	DefaultBranchName                  string `json:"default_branch_name"`
	RequirePersonalAccessTokenExpiry   bool   `json:"require_personal_access_token_expiry"`
	TokenLifetimeDays                  int    `json:"personal_access_token_default_lifetime_days"`
	ThrottleAuthenticatedAPIEnabled    bool   `json:"throttle_authenticated_api_enabled"`
	ThrottleAuthenticatedAPIRequests   int    `json:"throttle_authenticated_api_requests_per_period"`
	ThrottleAuthenticatedAPIPeriod     int    `json:"throttle_authenticated_api_period_in_seconds"`
	ThrottleUnauthenticatedAPIEnabled  bool   `json:"throttle_unauthenticated_api_enabled"`
	ThrottleUnauthenticatedAPIRequests int    `json:"throttle_unauthenticated_api_requests_per_period"`
	ThrottleUnauthenticatedAPIPeriod   int    `json:"throttle_unauthenticated_api_period_in_seconds"`
}

// The instance's endpoints refuse anonymous callers with 401 and users with 403, as GitLab's
// authenticated_as_admin! does.
func TestInstanceEndpointsAreForAdministrators(t *testing.T) {
	t.Parallel()
	s := servertest.New(t, servertest.WithoutRateLimit())
	_, user := s.CreateUser(t, "alice")
	for _, c := range []struct {
		method, path string
		body         any
	}{
		{"GET", "/api/v4/application/settings", nil},
		{"PUT", "/api/v4/application/settings", map[string]any{"default_project_visibility": "public"}},
		{"GET", "/api/v4/application/statistics", nil},
		{"GET", "/api/v4/license", nil},
		{"GET", "/api/v4/licenses", nil},
		{"GET", "/api/v3/application/settings", nil},
		{"POST", "/api/v4/broadcast_messages", map[string]any{"message": "hi"}},
	} {
		wantJSON(t, s.Do(t, c.method, c.path, "", c.body), http.StatusUnauthorized, bodyUnauthorized)
		wantJSON(t, s.Do(t, c.method, c.path, user, c.body), http.StatusForbidden, bodyForbidden)
	}
	st := decode[settingsJSON](t, mustDo(t, s, 200, "GET", "/api/v4/application/settings", s.AdminToken, nil))
	if st.DefaultProjectVisibility != "private" {
		t.Fatalf("a user's PUT changed the settings: %+v", st)
	}
}

// An administrator reads and changes the settings cairn has; new projects, groups and tokens
// follow them at once.
func TestApplicationSettingsApplyToWhatIsCreatedNext(t *testing.T) {
	t.Parallel()
	s := servertest.New(t, servertest.WithoutRateLimit())
	wantJSON(t, mustDo(t, s, 200, "GET", "/api/v4/application/settings", s.AdminToken, nil), 200, `{
		"id": 1, "signup_enabled": false, "default_project_visibility": "private", "default_group_visibility": "private",
		"default_branch_name": "main", "require_personal_access_token_expiry": true,
		"personal_access_token_default_lifetime_days": 30,
		"throttle_authenticated_api_enabled": false, "throttle_authenticated_api_requests_per_period": 5000,
		"throttle_authenticated_api_period_in_seconds": 3600,
		"throttle_unauthenticated_api_enabled": false, "throttle_unauthenticated_api_requests_per_period": 60,
		"throttle_unauthenticated_api_period_in_seconds": 3600}`)

	st := decode[settingsJSON](t, mustDo(t, s, 200, "PUT", "/api/v4/application/settings", s.AdminToken, map[string]any{
		"default_project_visibility": "internal", "default_group_visibility": "public", "default_branch_name": "trunk",
		"personal_access_token_default_lifetime_days": 7}))
	if st.DefaultProjectVisibility != "internal" || st.DefaultGroupVisibility != "public" ||
		st.DefaultBranchName != "trunk" ||
		st.TokenLifetimeDays != 7 {
		t.Fatalf("updated settings: %+v", st)
	}
	p := createProject(t, s, s.AdminToken, map[string]any{"name": "next", "initialize_with_readme": true})
	if p.Visibility != "internal" || p.DefaultBranch != "trunk" {
		t.Errorf("new project: visibility %q, default branch %q", p.Visibility, p.DefaultBranch)
	}
	g := createGroup(t, s, s.AdminToken, map[string]any{"name": "G", "path": "g"})
	if g.Visibility != "public" {
		t.Errorf("new group: visibility %q", g.Visibility)
	}
	// The default never goes past the enclosing group's visibility.
	priv := createGroup(t, s, s.AdminToken, map[string]any{"name": "P", "path": "p", "visibility": "private"})
	inPriv := createProject(t, s, s.AdminToken, map[string]any{"name": "x", "namespace_id": priv.ID})
	if inPriv.Visibility != "private" {
		t.Errorf("a project in a private group: %q", inPriv.Visibility)
	}
	// A visibility named still wins.
	if p := createProject(t, s, s.AdminToken,
		map[string]any{"name": "pub", "visibility": "public"}); p.Visibility != "public" {
		t.Errorf("named visibility: %q", p.Visibility)
	}

	_, alice := s.CreateUser(t, "alice")
	tok := decode[tokenJSON](t, mustDo(t, s, 201, "POST", "/api/v4/user/personal_access_tokens", alice,
		map[string]any{"name": "week", "scopes": []string{"api"}}))
	want := time.Now().UTC().Add(7 * 24 * time.Hour).Format("2006-01-02")
	if tok.ExpiresAt == nil || *tok.ExpiresAt != want {
		t.Errorf("a new token expires at %v, want %s", tok.ExpiresAt, want)
	}

	// The web's forms offer the default first.
	r := s.Do(t, "GET", "/projects/new", "", nil, "Cookie", signInCookie(t, s, "webuser"))
	if !strings.Contains(string(r.Body), `value="internal" checked`) {
		t.Errorf("the new project form does not offer internal first")
	}
}

// signInCookie makes a user, signs it in on the pages and returns the session's cookie
// header.
func signInCookie(t *testing.T, s *servertest.Server, username string) string {
	t.Helper()
	s.CreateUser(t, username)
	session, _ := s.SignIn(t, username, "password-"+username)
	return api.SessionCookie + "=" + session
}

func TestApplicationSettingsBadInput(t *testing.T) {
	t.Parallel()
	s := servertest.New(t, servertest.WithoutRateLimit())
	wantRefused(t, s, s.AdminToken, "/api/v4/application/settings", []refusal{
		{"visibility", "PUT", "", map[string]any{"default_project_visibility": "secret"},
			`{"error":"default_project_visibility does not have a valid value"}`},
		{"sign-up", "PUT", "", map[string]any{"signup_enabled": true},
			`{"message":{"signup_enabled":["cannot be enabled: accounts are made by administrators"]}}`},
		{"lifetime", "PUT", "", map[string]any{"personal_access_token_default_lifetime_days": 0},
			`{"message":{"personal_access_token_default_lifetime_days":["must be between 1 and 365"]}}`},
		{"branch", "PUT", "", map[string]any{"default_branch_name": "a..b"},
			`{"message":{"default_branch_name":["is not a valid git reference name"]}}`},
		{"limits off", "PUT", "", map[string]any{"throttle_unauthenticated_api_requests_per_period": 5},
			`{"message":{"throttle_unauthenticated_api_requests_per_period":["cannot change: the server runs without rate limits (--no-rate-limit)"]}}`},
		{"not a number", "PUT", "", map[string]any{"throttle_authenticated_api_period_in_seconds": "often"},
			`{"error":"throttle_authenticated_api_period_in_seconds is invalid"}`},
	})
	// Turning sign-up off, as it is, is no change.
	mustDo(t, s, 200, "PUT", "/api/v4/application/settings", s.AdminToken, map[string]any{"signup_enabled": false})
}

// Rate limits an administrator sets apply to the running server at once, and again after
// a restart.
func TestApplicationSettingsRateLimitsTakeEffectAtOnce(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	onDir := servertest.WithConfig(func(c *server.Config) { c.DataDir = dir })
	t.Run("running", func(t *testing.T) {
		s := servertest.New(t, onDir)
		wantStatus(t, s.Do(t, "GET", "/api/v4/projects", "", nil), 200)
		wantRefused(t, s, s.AdminToken, "/api/v4/application/settings", []refusal{
			{"zero", "PUT", "", map[string]any{"throttle_unauthenticated_api_requests_per_period": 0},
				`{"message":{"throttle_unauthenticated_api_requests_per_period":["must be greater than 0"]}}`},
			{"turned off", "PUT", "", map[string]any{"throttle_unauthenticated_api_enabled": false},
				`{"message":{"throttle_unauthenticated_api_enabled":["cannot change: rate limits are on or off from the server's start (--no-rate-limit)"]}}`},
		})
		st := decode[settingsJSON](t, mustDo(t, s, 200, "PUT", "/api/v4/application/settings", s.AdminToken,
			map[string]any{"throttle_unauthenticated_api_requests_per_period": 3,
				"throttle_unauthenticated_api_enabled": true}))
		if !st.ThrottleUnauthenticatedAPIEnabled || st.ThrottleUnauthenticatedAPIRequests != 3 ||
			st.ThrottleUnauthenticatedAPIPeriod != 3600 ||
			st.ThrottleAuthenticatedAPIRequests != 5000 {
			t.Fatalf("settings: %+v", st)
		}
		for i := 0; i < 3; i++ {
			r := s.Do(t, "GET", "/api/v4/projects", "", nil)
			wantStatus(t, r, 200)
			if got := r.Header.Get("X-RateLimit-Limit"); got != "3" {
				t.Fatalf("X-RateLimit-Limit %q, want 3", got)
			}
		}
		wantStatus(t, s.Do(t, "GET", "/api/v4/projects", "", nil), http.StatusTooManyRequests)
		// Users keep theirs.
		if got := mustDo(t, s, 200, "GET", "/api/v4/projects", s.AdminToken, nil).Header.Get(
			"X-RateLimit-Limit"); got != "5000" {
			t.Errorf("a user's X-RateLimit-Limit %q", got)
		}
	})
	s := servertest.New(t, onDir)
	if got := s.Do(t, "GET", "/api/v4/projects", "", nil).Header.Get("X-RateLimit-Limit"); got != "3" {
		t.Errorf("after a restart, X-RateLimit-Limit %q, want 3", got)
	}
}

// Statistics count what the instance holds, as GitLab writes them: text with thousands
// separators, snippets and milestones (which cairn has not) at 0.
func TestApplicationStatistics(t *testing.T) {
	t.Parallel()
	f := newRepoFixture(t, nil)
	f.member("alice", 30)
	mustDo(t, f.s, 201, "POST", f.url("/issues"), f.token, map[string]any{"title": "one"})
	mustDo(t, f.s, 201, "POST", f.url("/fork"), f.token, map[string]any{"path": "copy", "name": "copy"})
	createGroup(t, f.s, f.token, map[string]any{"name": "G", "path": "g"})
	wantJSON(t, mustDo(t, f.s, 200, "GET", "/api/v4/application/statistics", f.token, nil), 200, `{
		"forks": "1", "issues": "1", "merge_requests": "0", "notes": "0", "snippets": "0", "ssh_keys": "0",
		"milestones": "0", "users": "2", "groups": "1", "projects": "2", "active_users": "2"}`)
	wantStatus(t, f.s.Do(t, "GET", "/api/v3/application/statistics", f.token, nil), 404)
}

// The license endpoints answer as a GitLab instance on the Free tier: no license.
func TestLicenseAnswersAsAFreeInstance(t *testing.T) {
	t.Parallel()
	s := servertest.New(t, servertest.WithoutRateLimit())
	r := mustDo(t, s, 200, "GET", "/api/v4/license", s.AdminToken, nil)
	if string(r.Body) != "null" || r.Header.Get("Content-Type") != "application/json" {
		t.Errorf("GET /license: %s %q", r.Body, r.Header.Get("Content-Type"))
	}
	wantJSON(t, mustDo(t, s, 200, "GET", "/api/v4/licenses", s.AdminToken, nil), 200, `[]`)
}

// POST /markdown renders with the pages' renderer (GitHub Flavored, sanitised), headings at
// the level written; with a project, relative links point into its default branch.
func TestMarkdownRendersAsThePages(t *testing.T) {
	t.Parallel()
	f := newRepoFixture(t, nil)
	alice := f.member("alice", 0)
	text := "# Title\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n[guide](docs/guide.md) ![logo](logo.png) <script>alert(1)</script>"
	var out struct{ HTML string }
	mustDo(t, f.s, 201, "POST", "/api/v4/markdown", alice, map[string]any{"text": text, "gfm": true}).JSON(t, &out)
	for _, want := range []string{`<h1 id="title">Title</h1>`, "<table>", `<td>1</td>`, `href="docs/guide.md"`} {
		if !strings.Contains(out.HTML, want) {
			t.Errorf("html lacks %s:\n%s", want, out.HTML)
		}
	}
	if strings.Contains(out.HTML, "<script") {
		t.Errorf("a script survived:\n%s", out.HTML)
	}

	// The project is private: its members only.
	wantJSON(t, f.s.Do(t, "POST", "/api/v4/markdown", alice, map[string]any{"text": text, "project": f.path}), 404,
		`{"message":"404 Project Not Found"}`)
	mustDo(t, f.s, 201, "POST", "/api/v4/markdown", f.token,
		map[string]any{"text": text, "project": f.path}).JSON(t, &out)
	base := f.s.URL + "/" + f.path
	for _, want := range []string{`href="` + base + `/-/blob/main/docs/guide.md"`, `src="` + base +
		`/-/raw/main/logo.png"`} {
		if !strings.Contains(out.HTML, want) {
			t.Errorf("html lacks %s:\n%s", want, out.HTML)
		}
	}
	wantJSON(t, f.s.Do(t, "POST", "/api/v4/markdown", "", map[string]any{"text": "x"}), 401, bodyUnauthorized)
	wantRefused(t, f.s, alice, "/api/v4/markdown", []refusal{
		{"no text", "POST", "", map[string]any{"gfm": true}, `{"error":"text is missing"}`},
		{"gfm", "POST", "", map[string]any{"text": "x", "gfm": "maybe"}, `{"error":"gfm is invalid"}`},
	})
	wantStatus(t, f.s.Do(t, "POST", "/api/v3/markdown", alice, map[string]any{"text": "x"}), 404)
}

package web_test

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	cairnapi "github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/server"
	"github.com/cairn-forge/cairn/server/servertest"
)

// cookie returns the value of the cookie a response sets, "" when it sets none.
func cookie(r *servertest.Response, name string) string {
	for _, c := range r.Cookies() {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

func TestSessionCookieAuthenticatesTheAPI(t *testing.T) {
	t.Parallel()
	s := servertest.New(t)
	s.CreateUser(t, "ann") // password "password-ann"
	c := newClient(t, s)
	c.signIn("ann", "password-ann")
	session, csrf := c.cookie("_gitlab_session"), c.cookie("_cairn_csrf")
	if session == "" || csrf == "" || csrf != c.csrf {
		t.Fatalf("after sign-in: session %q, csrf cookie %q, page token %q", session, csrf, c.csrf)
	}
	withSession := []string{"Cookie", "_gitlab_session=" + session}

	// Reads work with the cookie alone.
	r := s.Do(t, "GET", "/api/v4/user", "", nil, withSession...)
	if r.StatusCode != http.StatusOK || !strings.Contains(string(r.Body), `"username":"ann"`) {
		t.Fatalf("GET /user with session: %d %s", r.StatusCode, r.Body)
	}
	// Writes need the CSRF token too; without it the request is anonymous.
	body := map[string]any{"name": "from-browser"}
	if r = s.Do(t, "POST", "/api/v4/projects", "", body, withSession...); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("write without CSRF token: %d %s", r.StatusCode, r.Body)
	}
	if r = s.Do(t, "POST", "/api/v4/projects", "", body,
		append(withSession, "X-CSRF-Token", "wrong")...); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("write with a wrong CSRF token: %d %s", r.StatusCode, r.Body)
	}
	if r = s.Do(t, "POST", "/api/v4/projects", "", body,
		append(withSession, "X-CSRF-Token", csrf)...); r.StatusCode != http.StatusCreated {
		t.Fatalf("write with CSRF token: %d %s", r.StatusCode, r.Body)
	}

	// Signing out ends the session.
	c.post("/users/sign_out", nil).redirectsTo(t, "/users/sign_in")
	if r = s.Do(t, "GET", "/api/v4/user", "", nil, withSession...); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("GET /user after sign-out: %d %s", r.StatusCode, r.Body)
	}
}

func TestFailedSignInsAreAuditedAndLimited(t *testing.T) {
	t.Parallel()
	// The budget refills over an hour, not a minute, so that a slow machine does not get an
	// attempt back while the test runs.
	limits := cairnapi.DefaultPolicies()
	limits.AuthFailures = cairnapi.Policy{Limit: 30, Window: time.Hour, Burst: 30}
	s := servertest.New(t, servertest.WithRateLimits(limits))
	s.CreateUser(t, "ben")
	c := newClient(t, s)
	c.postSignIn("/users/sign_in", url.Values{"user[login]": {"ben"}, "user[password]": {"not-the-password"}}).
		want(t, http.StatusUnauthorized, "Invalid login or password")
	r := s.Do(t, "GET", "/api/v4/audit_events", s.AdminToken, nil)
	if !strings.Contains(string(r.Body), `"event_name":"sign_in_failed"`) {
		t.Fatalf("audit log lacks the failed sign-in: %s", r.Body)
	}
	// Guessing is bounded per address: 30 failures in the budget.
	var last *page
	for i := 0; i < 31; i++ {
		last = c.post("/users/sign_in", url.Values{"user[login]": {"ben"}, "user[password]": {"guess"}})
	}
	if last.StatusCode != http.StatusTooManyRequests || last.Header.Get("Retry-After") == "" {
		t.Fatalf("after 32 failed sign-ins: %d %v, want 429 with Retry-After", last.StatusCode, last.Header)
	}
}

func TestSignInPage(t *testing.T) {
	t.Parallel()
	s := servertest.New(t)
	c := newClient(t, s)
	c.get("/users/sign_in").want(t, http.StatusOK, `name="user[password]"`, `<label for="password">`,
		"First start: sign in as <strong>root</strong>")
	// Once root has signed in, the page stops saying how.
	c.signIn("root", rootPassword(t, s))
	newClient(t, s).get("/users/sign_in").want(t, http.StatusOK)
	if p := newClient(t, s).get("/users/sign_in"); strings.Contains(p.Body, "First start") {
		t.Fatal("the first-start note is still shown after root signed in")
	}
}

// rootPassword gives root a known password through the API and returns it.
func rootPassword(t *testing.T, s *servertest.Server) string {
	t.Helper()
	api(t, s, "PUT", "/api/v4/users/1", map[string]any{"password": "root-password-1"}, http.StatusOK)
	return "root-password-1"
}

func TestAPageThatNeedsASignInSendsThereAndBack(t *testing.T) {
	t.Parallel()
	s := servertest.New(t)
	s.CreateUser(t, "ann")
	c := newClient(t, s)
	c.get("/-/user_settings/personal_access_tokens?x=1").
		redirectsTo(t, "/users/sign_in?redirect=%2F-%2Fuser_settings%2Fpersonal_access_tokens%3Fx%3D1")
	c.get("/users/sign_in?redirect=%2F-%2Fuser_settings%2Fpersonal_access_tokens%3Fx%3D1").want(t, http.StatusOK,
		`name="redirect" value="/-/user_settings/personal_access_tokens?x=1"`)
	c.post("/users/sign_in", url.Values{"user[login]": {"ann"}, "user[password]": {"password-ann"},
		"redirect": {"/-/user_settings/personal_access_tokens?x=1"}}).redirectsTo(t,
		"/-/user_settings/personal_access_tokens?x=1")
}

func TestSignInRedirectsOnlyWithinTheSite(t *testing.T) {
	t.Parallel()
	s := servertest.New(t)
	s.CreateUser(t, "ann")
	for _, target := range []string{"//evil.example", "//evil.example/path", "https://evil.example/", "/\\evil.example",
		"/\t/evil.example", "javascript:alert(1)", "http:evil.example", "evil.example", "/users/sign_in", ""} {
		c := newClient(t, s)
		c.postSignIn("/users/sign_in?redirect="+url.QueryEscape(target), url.Values{"user[login]": {"ann"},
			"user[password]": {"password-ann"}}).redirectsTo(t, "/")
		c = newClient(t, s)
		c.postSignIn("/users/sign_in", url.Values{"user[login]": {"ann"}, "user[password]": {"password-ann"},
			"redirect": {target}}).redirectsTo(t, "/")
	}
}

func TestSessionCookiesAreHttpOnlyLaxAndSecureBehindTLS(t *testing.T) {
	t.Parallel()
	for _, external := range []string{"", "https://cairn.example"} {
		s := servertest.New(t, servertest.WithConfig(func(c *server.Config) { c.ExternalURL = external }))
		s.CreateUser(t, "ann")
		p := newClient(t, s).postSignIn("/users/sign_in",
			url.Values{"user[login]": {"ann"}, "user[password]": {"password-ann"}})
		var session *http.Cookie
		for _, c := range p.Cookies() {
			if c.Name == "_gitlab_session" {
				session = c
			}
		}
		if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode ||
			session.Secure != (external != "") {
			t.Errorf("external URL %q: session cookie %+v", external, session)
		}
	}
}

func TestFormsWithoutTheCSRFTokenAreRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := newClient(t, f.s)
	c.signIn("ann", "password-ann")
	forms := []struct {
		path string
		form url.Values
	}{
		{"/projects", url.Values{"name": {"sneaky"}}},
		{"/groups", url.Values{"name": {"sneaky"}, "path": {"sneaky"}}},
		{"/acme/site/-/issues", url.Values{"title": {"sneaky"}}},
		{"/acme/site/-/branches", url.Values{"branch_name": {"sneaky"}, "ref": {"main"}}},
		{"/-/user_settings/personal_access_tokens", url.Values{"name": {"sneaky"}, "scopes": {"api"}}},
		{"/profile/account/reset_private_token", nil},
		{"/-/user_settings/profile", url.Values{"name": {"Sneaky"}}},
		{"/users/sign_out", nil},
	}
	for _, fm := range forms {
		for _, token := range []string{"", "wrong"} {
			form := url.Values{}
			for k, v := range fm.form {
				form[k] = v
			}
			if token != "" {
				form.Set("authenticity_token", token)
			}
			p := c.postRaw(fm.path, form)
			p.want(t, http.StatusForbidden, "The form was not sent from this page")
			if p.Header.Get("Content-Security-Policy") == "" {
				t.Errorf("%s: the 403 page has no CSP", fm.path)
			}
		}
	}
	// Nothing was made, and the session still works.
	for _, path := range []string{"/acme/sneaky", "/groups/sneaky", "/acme/site/-/tree/sneaky"} {
		c.get(path).want(t, http.StatusNotFound)
	}
	c.get("/acme/site/-/issues").want(t, http.StatusOK, "No issues to show")
	c.get("/-/user_settings/personal_access_tokens").want(t, http.StatusOK, "ann")
	// With the token, the same form works.
	c.post("/acme/site/-/branches", url.Values{"branch_name": {"honest"}, "ref": {"main"}}).
		redirectsTo(t, "/acme/site/-/tree/honest")
}

func TestPrivateThingsAreNotFound(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	api(t, f.s, "POST", "/api/v4/projects/"+strconv.FormatInt(f.vaultID, 10)+"/issues",
		map[string]any{"title": "secret"}, http.StatusCreated)
	bob := newClient(t, f.s)
	bob.signIn("bob", "password-bob")
	anonymous := newClient(t, f.s)
	for _, path := range []string{"/acme/vault", "/acme/vault/-/tree/main", "/acme/vault/-/blob/main/README.md",
		"/acme/vault/-/raw/main/README.md", "/acme/vault/-/blame/main/README.md", "/acme/vault/-/commits/main",
		"/acme/vault/-/branches", "/acme/vault/-/issues", "/acme/vault/-/issues/1", "/acme/vault/-/merge_requests",
		"/acme/vault/-/compare/main...main", "/acme/vault/-/tags"} {
		for who, c := range map[string]*client{"bob": bob, "anonymous": anonymous} {
			p := c.get(path)
			if p.StatusCode != http.StatusNotFound || strings.Contains(p.Body, "vault") &&
				!strings.Contains(p.Body, "Page not found") {
				t.Errorf("%s reads %s: %d", who, path, p.StatusCode)
			}
		}
	}
	// Ann, a member, sees it.
	ann := newClient(t, f.s)
	ann.signIn("ann", "password-ann")
	ann.get("/acme/vault/-/issues/1").want(t, http.StatusOK, "secret")
}

func TestErrorPagesShowTheRequestID(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := newClient(t, f.s)
	p := c.get("/no/such/page")
	p.want(t, http.StatusNotFound, "Page not found", p.Header.Get("X-Request-Id"))
	if p.Header.Get("X-Request-Id") == "" || p.Header.Get("Content-Security-Policy") == "" {
		t.Fatalf("404 headers: %v", p.Header)
	}
	c.get("/acme/site/-/blob/main/nope.go").want(t, http.StatusNotFound, "Page not found")
	c.get("/acme/site/-/tree/nope").want(t, http.StatusNotFound)
	c.get("/acme/site/-/issues/999").want(t, http.StatusNotFound)

	// A repository gone from disk is the server's fault: 500, with the request id to quote.
	dir := filepath.Join(f.s.DataDir, "repositories", strconv.FormatInt(f.siteID, 10)+".git")
	if err := os.RemoveAll(filepath.Join(dir, "objects")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "objects"), []byte("not a directory"), 0o600); err != nil {
		t.Fatal(err)
	}
	p = c.get("/acme/site/-/commit/main")
	p.want(t, http.StatusInternalServerError, "Something went wrong", p.Header.Get("X-Request-Id"))
}

func TestPagesAreCompressedWhenTheClientAcceptsGzip(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := newClient(t, f.s)
	p := c.get("/acme/site", "Accept-Encoding", "gzip")
	p.want(t, http.StatusOK, "Acme site")
	if p.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(p.Header.Get("Vary"), "Accept-Encoding") {
		t.Fatalf("with Accept-Encoding gzip: %v", p.Header)
	}
	p = c.get("/acme/site", "Accept-Encoding", "identity")
	if p.Header.Get("Content-Encoding") != "" {
		t.Fatalf("without gzip: %v", p.Header)
	}
}

func TestAssetsHaveContentHashedNamesAndLongLives(t *testing.T) {
	t.Parallel()
	s := servertest.New(t)
	c := newClient(t, s)
	home := c.get("/explore")
	for _, name := range []string{"cairn", "favicon"} {
		i := strings.Index(home.Body, "/-/assets/"+name+".")
		if i < 0 {
			t.Fatalf("the page links no %s asset", name)
		}
		path := home.Body[i:]
		path = path[:strings.IndexByte(path, '"')]
		p := c.get(path, "Accept-Encoding", "gzip")
		if p.StatusCode != http.StatusOK || p.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" ||
			p.Header.Get("ETag") == "" {
			t.Fatalf("%s: %d %v", path, p.StatusCode, p.Header)
		}
		if strings.HasSuffix(path, ".css") && p.Header.Get("Content-Encoding") != "gzip" {
			t.Fatalf("%s is not compressed: %v", path, p.Header)
		}
		c.get(path, "If-None-Match", p.Header.Get("ETag")).want(t, http.StatusNotModified)
	}
	// An old or made-up hash is not served.
	c.get("/-/assets/cairn.0000000000.css").want(t, http.StatusNotFound)
}

package web_test

import (
	"compress/gzip"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/cairn-forge/cairn/server"
	"github.com/cairn-forge/cairn/server/servertest"
)

// client is a browser without JavaScript: it keeps cookies, does not follow redirects, and
// sends the CSRF token of the last page it read with its forms, as a page's form would.
type client struct {
	t    *testing.T
	s    *servertest.Server
	http *http.Client
	csrf string
}

func newClient(t *testing.T, s *servertest.Server) *client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	return &client{t: t, s: s, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// page is a response with its body read (and decompressed).
type page struct {
	*http.Response
	Body string
}

var csrfInput = regexp.MustCompile(`name="authenticity_token" value="([^"]+)"`)

func (c *client) do(req *http.Request) *page {
	c.t.Helper()
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	var rd io.Reader = resp.Body
	if resp.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			c.t.Fatalf("%s %s: gzip: %v", req.Method, req.URL, err)
		}
		rd = zr
	}
	body, err := io.ReadAll(rd)
	if err != nil {
		c.t.Fatalf("%s %s: read: %v", req.Method, req.URL, err)
	}
	p := &page{Response: resp, Body: string(body)}
	if m := csrfInput.FindStringSubmatch(p.Body); m != nil {
		c.csrf = m[1]
	}
	return p
}

// get reads a page.
func (c *client) get(path string, headers ...string) *page {
	c.t.Helper()
	req, err := http.NewRequest("GET", c.s.URL+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return c.do(req)
}

// post sends a form, with the CSRF token of the last page read.
func (c *client) post(path string, form url.Values) *page {
	c.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if c.csrf != "" && !form.Has("authenticity_token") {
		form.Set("authenticity_token", c.csrf)
	}
	return c.postRaw(path, form)
}

// postRaw sends a form as it is.
func (c *client) postRaw(path string, form url.Values) *page {
	c.t.Helper()
	req, err := http.NewRequest("POST", c.s.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

// postSignIn loads the sign-in page, for the form's token (its hidden field and cookie), and
// posts the form to path ("/users/sign_in", with a query perhaps) with values.
func (c *client) postSignIn(path string, values url.Values) *page {
	c.t.Helper()
	c.get("/users/sign_in")
	return c.post(path, values)
}

// signIn signs in through the form and reads the start page, for its CSRF token.
func (c *client) signIn(login, password string) {
	c.t.Helper()
	p := c.postSignIn("/users/sign_in", url.Values{"user[login]": {login}, "user[password]": {password}})
	if p.StatusCode != http.StatusSeeOther {
		c.t.Fatalf("sign in as %s: %d %s", login, p.StatusCode, p.Body)
	}
	if home := c.get("/"); home.StatusCode != http.StatusOK || c.csrf == "" {
		c.t.Fatalf("start page after sign-in: %d, csrf %q", home.StatusCode, c.csrf)
	}
}

// userClient is a client signed in as a user made by CreateUser (password "password-<name>").
func userClient(t *testing.T, s *servertest.Server, username string) *client {
	t.Helper()
	c := newClient(t, s)
	c.signIn(username, "password-"+username)
	return c
}

// cookie returns the value of a cookie the client holds for the server.
func (c *client) cookie(name string) string {
	u, _ := url.Parse(c.s.URL)
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}

// want fails the test unless the page has status and contains every one of texts.
func (p *page) want(t *testing.T, status int, texts ...string) *page {
	t.Helper()
	if p.StatusCode != status {
		t.Fatalf("%s %s: status %d, want %d\n%s", p.Request.Method, p.Request.URL.Path, p.StatusCode, status,
			excerpt(p.Body))
	}
	for _, s := range texts {
		if !strings.Contains(p.Body, s) {
			t.Fatalf("%s %s: the page lacks %q\n%s", p.Request.Method, p.Request.URL.Path, s, excerpt(p.Body))
		}
	}
	return p
}

// check is want without stopping the test.
func (p *page) check(t *testing.T, status int, texts ...string) bool {
	t.Helper()
	if p.StatusCode != status {
		t.Errorf("%s %s: status %d, want %d\n%s", p.Request.Method, p.Request.URL.Path, p.StatusCode, status,
			excerpt(p.Body))
		return false
	}
	for _, s := range texts {
		if !strings.Contains(p.Body, s) {
			t.Errorf("%s %s: the page lacks %q\n%s", p.Request.Method, p.Request.URL.Path, s, excerpt(p.Body))
			return false
		}
	}
	return true
}

// redirectsTo fails the test unless the page redirects to location.
func (p *page) redirectsTo(t *testing.T, location string) *page {
	t.Helper()
	if p.StatusCode != http.StatusSeeOther && p.StatusCode != http.StatusFound &&
		p.StatusCode != http.StatusMovedPermanently {
		t.Fatalf("%s %s: status %d, want a redirect to %s\n%s", p.Request.Method, p.Request.URL.Path,
			p.StatusCode, location, excerpt(p.Body))
	}
	if got := p.Header.Get("Location"); got != location {
		t.Fatalf("%s %s: redirects to %q, want %q", p.Request.Method, p.Request.URL.Path, got, location)
	}
	return p
}

func excerpt(body string) string {
	if i := strings.Index(body, `<main`); i >= 0 {
		body = body[i:]
	}
	if len(body) > 3000 {
		body = body[:3000] + "…"
	}
	return body
}

// api calls the API with the admin token and decodes nothing; it fails the test unless the
// status is want.
func api(t *testing.T, s *servertest.Server, method, path string, body any, want int) *servertest.Response {
	t.Helper()
	r := s.Do(t, method, path, s.AdminToken, body)
	if r.StatusCode != want {
		t.Fatalf("%s %s: %d %s", method, path, r.StatusCode, r.Body)
	}
	return r
}

// fixture is a group "acme" with a public project "acme/site" holding a README, code in a few
// languages and a second branch, and a private project "acme/vault"; "ann" is a maintainer
// of both, "bob" a member of nothing.
type fixture struct {
	s        *servertest.Server
	siteID   int64
	vaultID  int64
	annToken string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	s := servertest.New(t, servertest.WithoutRateLimit(), logErrors(t))
	f := &fixture{s: s}
	api(t, s, "POST", "/api/v4/groups",
		map[string]any{"name": "Acme", "path": "acme", "visibility": "public"}, http.StatusCreated)
	var p struct{ ID int64 }
	api(t, s, "POST", "/api/v4/projects", map[string]any{"name": "site", "namespace_id": "acme", "visibility": "public",
		"description": "The Acme web site", "initialize_with_readme": false}, http.StatusCreated).JSON(t, &p)
	f.siteID = p.ID
	api(t, s, "POST", fmt.Sprintf("/api/v4/projects/%d/repository/commits", f.siteID), map[string]any{
		"branch": "main", "commit_message": "Add the site",
		"actions": []map[string]any{
			{"action": "create", "file_path": "README.md",
				"content": "# Acme site\n\nSee [the guide](docs/guide.md).\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"},
			{"action": "create", "file_path": "docs/guide.md", "content": "# Guide\n\n- [x] done\n- [ ] todo\n"},
			{"action": "create", "file_path": "main.go",
				"content": "package main\n\nimport \"fmt\"\n\n// main greets.\nfunc main() {\n\tfmt.Println(\"hello, <world>\")\n}\n"},
			{"action": "create", "file_path": "web/app.js",
				"content": "export function add(a, b) {\n  return a + b;\n}\n"},
		}}, http.StatusCreated)
	api(t, s, "POST", fmt.Sprintf("/api/v4/projects/%d/repository/branches", f.siteID),
		map[string]any{"branch": "feature/login", "ref": "main"}, http.StatusCreated)
	api(t, s, "POST", fmt.Sprintf("/api/v4/projects/%d/repository/commits", f.siteID), map[string]any{
		"branch": "feature/login", "commit_message": "Log in with a form",
		"actions": []map[string]any{
			{"action": "update", "file_path": "main.go",
				"content": "package main\n\nimport \"fmt\"\n\n// main greets.\nfunc main() {\n\tfmt.Println(\"hello, login\")\n}\n"},
			{"action": "create", "file_path": "login.go",
				"content": "package main\n\nfunc login() bool { return true }\n"},
		}}, http.StatusCreated)
	api(t, s, "POST", "/api/v4/projects",
		map[string]any{"name": "vault", "namespace_id": "acme", "visibility": "private",
			"initialize_with_readme": true}, http.StatusCreated).JSON(t, &p)
	f.vaultID = p.ID
	var annID int64
	annID, f.annToken = s.CreateUser(t, "ann")
	for _, id := range []int64{f.siteID, f.vaultID} {
		api(t, s, "POST", fmt.Sprintf("/api/v4/projects/%d/members", id),
			map[string]any{"user_id": annID, "access_level": 40}, http.StatusCreated)
	}
	s.CreateUser(t, "bob")
	return f
}

// logErrors sends the instance's error logs to the test's log, so that a 500 says why.
func logErrors(t *testing.T) servertest.Option {
	return servertest.WithConfig(func(c *server.Config) {
		c.Logger = slog.New(slog.NewTextHandler(testLog{t}, &slog.HandlerOptions{Level: slog.LevelError}))
	})
}

type testLog struct{ t *testing.T }

func (l testLog) Write(b []byte) (int, error) {
	l.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

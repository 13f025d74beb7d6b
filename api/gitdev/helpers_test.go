package gitdev_test

import (
	"encoding/json"
	"regexp"
	"strconv"
	"testing"

	"github.com/cairn-forge/cairn/server/servertest"
)

// The shapes as a client decodes them.
type (
	repoJSON struct {
		ID            string  `json:"id"`
		Name          string  `json:"name"`
		FullName      string  `json:"full_name"`
		Description   *string `json:"description"`
		Visibility    string  `json:"visibility"`
		CreatedAt     string  `json:"created_at"`
		UpdatedAt     string  `json:"updated_at"`
		DefaultBranch string  `json:"default_branch"`
		URL           string  `json:"url"`
		CloneURL      string  `json:"clone_url"`
		Owner         struct {
			Type string `json:"type"`
			ID   string `json:"id"`
			Slug string `json:"slug"`
		} `json:"owner"`
	}
	metaJSON struct {
		Total   int `json:"total"`
		Page    int `json:"page"`
		PerPage int `json:"per_page"`
	}
	repoList struct {
		Data []repoJSON `json:"data"`
		Meta metaJSON   `json:"meta"`
	}
	teamJSON struct {
		ID         string  `json:"id"`
		Name       string  `json:"name"`
		Slug       string  `json:"slug"`
		ParentID   *string `json:"parent_id"`
		Visibility string  `json:"visibility"`
		MembersURL string  `json:"members_url"`
	}
	teamList struct {
		Data []teamJSON `json:"data"`
		Meta metaJSON   `json:"meta"`
	}
	memberJSON struct {
		ID          string `json:"id"`
		Username    string `json:"username"`
		Role        string `json:"role"`
		AccessLevel int    `json:"access_level"`
		JoinedAt    string `json:"joined_at"`
	}
	memberList struct {
		Data []memberJSON `json:"data"`
		Meta metaJSON     `json:"meta"`
	}
	errorJSON struct {
		Error struct {
			Code      string `json:"code"`
			Message   string `json:"message"`
			RequestID string `json:"request_id"`
		} `json:"error"`
	}
)

// rfc3339Second is how the document writes times: "2024-11-15T08:22:00Z".
var rfc3339Second = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`)

// call sends a .git request with the token as a Bearer token (none when empty), as the
// document's examples do.
func call(t *testing.T, s *servertest.Server, method, path, token string, body any,
	headers ...string) *servertest.Response {
	t.Helper()
	if token != "" {
		headers = append([]string{"Authorization", "Bearer " + token}, headers...)
	}
	return s.Do(t, method, path, "", body, headers...)
}

// want fails the test unless r has status code and, for JSON, the exact content type.
func want(t *testing.T, r *servertest.Response, code int) {
	t.Helper()
	if r.StatusCode != code {
		t.Fatalf("%s %s: status %d, want %d; body %s", r.Request.Method, r.Request.URL, r.StatusCode, code, r.Body)
	}
	if len(r.Body) > 0 && r.Header.Get("Content-Type") != "application/json" {
		t.Errorf("%s %s: Content-Type %q", r.Request.Method, r.Request.URL, r.Header.Get("Content-Type"))
	}
}

// decode reads r's JSON body as a T, failing unless r has status code.
func decode[T any](t *testing.T, r *servertest.Response, code int) T {
	t.Helper()
	want(t, r, code)
	var v T
	r.JSON(t, &v)
	return v
}

// wantError fails unless r is the dialect's error with status, code and (when not empty)
// message, carrying the response's request id.
func wantError(t *testing.T, r *servertest.Response, status int, code, message string) {
	t.Helper()
	e := decode[errorJSON](t, r, status)
	if e.Error.Code != code {
		t.Errorf("%s %s: error code %q, want %q (%s)", r.Request.Method, r.Request.URL, e.Error.Code, code, r.Body)
	}
	if message != "" && e.Error.Message != message {
		t.Errorf("%s %s: message %q, want %q", r.Request.Method, r.Request.URL, e.Error.Message, message)
	}
	if id := r.Header.Get("X-Request-Id"); id == "" || e.Error.RequestID != id {
		t.Errorf("%s %s: request_id %q, X-Request-Id %q", r.Request.Method, r.Request.URL, e.Error.RequestID, id)
	}
	var raw map[string]map[string]any
	_ = json.Unmarshal(r.Body, &raw)
	if len(raw) != 1 || len(raw["error"]) != 3 {
		t.Errorf("%s %s: error body %s is not {error:{code,message,request_id}}", r.Request.Method,
			r.Request.URL, r.Body)
	}
}

// gitlab sends a GitLab-dialect request to set up state, failing unless it answers code.
func gitlab(t *testing.T, s *servertest.Server, code int, method, path, token string, body any) map[string]any {
	t.Helper()
	r := s.Do(t, method, "/api/v4"+path, token, body)
	if r.StatusCode != code {
		t.Fatalf("%s %s: status %d, want %d; body %s", method, path, r.StatusCode, code, r.Body)
	}
	var v map[string]any
	if len(r.Body) > 0 && r.Body[0] == '{' {
		r.JSON(t, &v)
	}
	return v
}

// id reads a numeric id from a GitLab answer.
func id(v map[string]any) int64 { return int64(v["id"].(float64)) }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// b36 is a number's lowercase base 36, the documented id encoding.
func b36(n int64) string { return strconv.FormatInt(n, 36) }

// fixture is an instance where alice owns the group acme (with a nested group acme/web),
// bob is a developer of acme, and carol belongs to nothing.
type fixture struct {
	s                  *servertest.Server
	alice, bob, carol  string
	aliceID, bobID     int64
	acme, web          int64
	frontend, site     int64 // acme/frontend-app (private), acme/web/site (private)
	public, carolOwn   int64 // acme/docs (public), carol/notes (private)
	frontendID, siteID string
}

func newFixture(t *testing.T, opts ...servertest.Option) *fixture {
	t.Helper()
	s := servertest.New(t, opts...)
	f := &fixture{s: s}
	f.aliceID, f.alice = s.CreateUser(t, "alice")
	f.bobID, f.bob = s.CreateUser(t, "bob")
	_, f.carol = s.CreateUser(t, "carol")
	f.acme = id(
		gitlab(t, s, 201, "POST", "/groups", f.alice,
			map[string]any{"name": "Acme", "path": "acme", "visibility": "private"}))
	f.web = id(
		gitlab(t, s, 201, "POST", "/groups", f.alice,
			map[string]any{"name": "Web", "path": "web", "parent_id": f.acme, "visibility": "private"}))
	gitlab(t, s, 201, "POST", "/groups/"+itoa(f.acme)+"/members", f.alice,
		map[string]any{"user_id": f.bobID, "access_level": 30})
	project := func(token string, ns any, name, vis string) int64 {
		body := map[string]any{"name": name, "visibility": vis, "initialize_with_readme": true}
		if ns != nil {
			body["namespace_id"] = ns
		}
		return id(gitlab(t, s, 201, "POST", "/projects", token, body))
	}
	f.frontend = project(f.alice, f.acme, "frontend-app", "private")
	f.site = project(f.alice, f.web, "site", "private")
	f.public = project(f.alice, f.acme, "docs", "private")
	gitlab(t, s, 200, "PUT", "/groups/"+itoa(f.acme), f.alice, map[string]any{"visibility": "public"})
	gitlab(t, s, 200, "PUT", "/projects/"+itoa(f.public), f.alice, map[string]any{"visibility": "public"})
	f.carolOwn = project(f.carol, nil, "notes", "private")
	f.frontendID, f.siteID = "repo_"+b36(f.frontend), "repo_"+b36(f.site)
	return f
}

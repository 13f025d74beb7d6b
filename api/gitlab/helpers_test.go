package gitlab_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/cairn-forge/cairn/server/servertest"
)

// The entities as a client decodes them; only the fields the tests look at.
type (
	userJSON struct {
		ID       int64   `json:"id"`
		Username string  `json:"username"`
		Name     string  `json:"name"`
		State    string  `json:"state"`
		Email    *string `json:"email"`
		IsAdmin  *bool   `json:"is_admin"`
		WebURL   string  `json:"web_url"`
		Bio      string  `json:"bio"`
	}
	namespaceJSON struct {
		ID       int64  `json:"id"`
		Name     string `json:"name"`
		Path     string `json:"path"`
		Kind     string `json:"kind"`
		FullPath string `json:"full_path"`
		ParentID *int64 `json:"parent_id"`
		WebURL   string `json:"web_url"`
	}
	projectJSON struct {
		ID                int64         `json:"id"`
		Name              string        `json:"name"`
		Path              string        `json:"path"`
		PathWithNamespace string        `json:"path_with_namespace"`
		NameWithNamespace string        `json:"name_with_namespace"`
		Visibility        string        `json:"visibility"`
		WebURL            string        `json:"web_url"`
		HTTPURLToRepo     string        `json:"http_url_to_repo"`
		DefaultBranch     string        `json:"default_branch"`
		EmptyRepo         bool          `json:"empty_repo"`
		Namespace         namespaceJSON `json:"namespace"`
		Permissions       *struct {
			ProjectAccess *struct {
				AccessLevel int `json:"access_level"`
			} `json:"project_access"`
		} `json:"permissions"`
	}
	groupJSON struct {
		ID         int64         `json:"id"`
		Name       string        `json:"name"`
		Path       string        `json:"path"`
		FullName   string        `json:"full_name"`
		FullPath   string        `json:"full_path"`
		ParentID   *int64        `json:"parent_id"`
		Visibility string        `json:"visibility"`
		WebURL     string        `json:"web_url"`
		Projects   []projectJSON `json:"projects"`
	}
	memberJSON struct {
		ID          int64   `json:"id"`
		Username    string  `json:"username"`
		AccessLevel int     `json:"access_level"`
		ExpiresAt   *string `json:"expires_at"`
	}
	tokenJSON struct {
		ID        int64    `json:"id"`
		Name      string   `json:"name"`
		Revoked   bool     `json:"revoked"`
		Active    bool     `json:"active"`
		Scopes    []string `json:"scopes"`
		UserID    int64    `json:"user_id"`
		ExpiresAt *string  `json:"expires_at"`
		Token     *string  `json:"token"`
	}
)

// Error bodies cairn must send byte-for-byte as GitLab does.
const (
	bodyUnauthorized = `{"message":"401 Unauthorized"}`
	bodyForbidden    = `{"message":"403 Forbidden"}`
	bodyExpired      = `{"error":"invalid_token","error_description":"Token is expired. You can either do re-authorization or token refresh."}`
	bodyRevoked      = `{"error":"invalid_token","error_description":"Token was revoked. You have to re-authorize from the user."}`
	bodyNoRoute      = `{"error":"404 Not Found"}`
)

// bodyInsufficientScope is the 403 of a token that lacks scope.
func bodyInsufficientScope(scope string) string {
	return `{"error":"insufficient_scope","error_description":"The request requires higher privileges than provided by the access token.","scope":"` + scope + `"}`
}

// newServer starts a fresh instance with rate limits on, as cairn runs by default.
func newServer(t *testing.T, opts ...servertest.Option) *servertest.Server {
	t.Helper()
	return servertest.New(t, opts...)
}

// wantStatus fails the test unless r has status code.
func wantStatus(t *testing.T, r *servertest.Response, code int) {
	t.Helper()
	if r.StatusCode != code {
		t.Fatalf("%s %s: status %d, want %d; body %s", r.Request.Method, r.Request.URL, r.StatusCode, code, r.Body)
	}
}

// wantJSON fails the test unless r has status code and a JSON body equal to want.
func wantJSON(t *testing.T, r *servertest.Response, code int, want string) {
	t.Helper()
	wantStatus(t, r, code)
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s %s: Content-Type %q, want application/json", r.Request.Method, r.Request.URL, ct)
	}
	if !jsonEqual(t, r.Body, []byte(want)) {
		t.Fatalf("%s %s: body\n  %s\nwant\n  %s", r.Request.Method, r.Request.URL, r.Body, want)
	}
}

// refusal is a request the API must refuse with 400 and the body want.
type refusal struct {
	name   string
	method string
	path   string
	body   any
	want   string
}

// wantRefused sends each request to prefix+path with token, as a subtest, and checks its
// 400 answer.
func wantRefused(t *testing.T, s *servertest.Server, token, prefix string, cases []refusal) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := s.Do(t, c.method, prefix+c.path, token, c.body)
			if len(r.Body) > 1000 {
				t.Fatalf("%d-byte answer: %.200s", len(r.Body), r.Body)
			}
			wantJSON(t, r, http.StatusBadRequest, c.want)
		})
	}
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		return false
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatalf("bad expected JSON %s: %v", b, err)
	}
	return reflect.DeepEqual(x, y)
}

// decode reads r's JSON body as a T.
func decode[T any](t *testing.T, r *servertest.Response) T {
	t.Helper()
	var v T
	r.JSON(t, &v)
	return v
}

// mustDo sends a request and fails unless it answers code; it returns the response.
func mustDo(t *testing.T, s *servertest.Server, code int, method, path, token string, body any,
	headers ...string) *servertest.Response {
	t.Helper()
	r := s.Do(t, method, path, token, body, headers...)
	wantStatus(t, r, code)
	return r
}

func createGroup(t *testing.T, s *servertest.Server, token string, body map[string]any) groupJSON {
	t.Helper()
	return decode[groupJSON](t, mustDo(t, s, http.StatusCreated, "POST", "/api/v4/groups", token, body))
}

func createProject(t *testing.T, s *servertest.Server, token string, body map[string]any) projectJSON {
	t.Helper()
	return decode[projectJSON](t, mustDo(t, s, http.StatusCreated, "POST", "/api/v4/projects", token, body))
}

func addMember(t *testing.T, s *servertest.Server, token, kind string, id, userID int64, level int) {
	t.Helper()
	mustDo(t, s, http.StatusCreated, "POST", "/api/v4/"+kind+"/"+itoa(id)+"/members", token,
		map[string]any{"user_id": userID, "access_level": level})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// basic is an Authorization header value carrying the token as the Basic password.
func basic(user, token string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+token))
}

// pathEscape escapes a GitLab path id ("group/project" → "group%2Fproject").
func pathEscape(s string) string { return url.PathEscape(s) }

// names lists a field of every element of a JSON array body.
func names(t *testing.T, r *servertest.Response, field string) []string {
	t.Helper()
	var items []map[string]any
	r.JSON(t, &items)
	out := make([]string, len(items))
	for i, it := range items {
		switch v := it[field].(type) {
		case string:
			out[i] = v
		case float64:
			out[i] = strconv.FormatFloat(v, 'f', -1, 64)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// hasHeader reports whether h carries key, even with an empty value.
func hasHeader(h http.Header, key string) bool {
	_, ok := h[http.CanonicalHeaderKey(key)]
	return ok
}

// splitLink parses a Link header into rel → URL.
func splitLink(t *testing.T, link string) map[string]string {
	t.Helper()
	out := map[string]string{}
	if link == "" {
		return out
	}
	for _, part := range strings.Split(link, ", ") {
		u, rel, ok := strings.Cut(part, `>; rel="`)
		if !ok || !strings.HasPrefix(u, "<") || !strings.HasSuffix(rel, `"`) {
			t.Fatalf("malformed Link part %q in %q", part, link)
		}
		out[strings.TrimSuffix(rel, `"`)] = strings.TrimPrefix(u, "<")
	}
	return out
}

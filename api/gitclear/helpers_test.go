package gitclear_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cairn-forge/cairn/forge"
	"github.com/cairn-forge/cairn/server/servertest"
)

// answer is the dialect's one response shape, as a client decodes it.
type answer struct {
	ActionEm       string `json:"action_em"`
	ResponseEm     string `json:"response_em"`
	ResponseDetail string `json:"response_detail"`
}

// fixture is an instance holding the seed's example paths: a public group "alloy", its
// subgroup "alloy/gitclear" with the public repository "alloy/gitclear/libinput" (one commit),
// and the private repository "alloy/secret". dev is a developer of alloy; libdev a developer of
// libinput only; rep a reporter of libinput; reader a maintainer of alloy whose token is
// read_api only; outsider a member of nothing.
type fixture struct {
	s      *servertest.Server
	tokens map[string]string
	// head is libinput's one commit and headAt its author time.
	head   string
	headAt time.Time
}

const (
	repoPath   = "alloy/gitclear/libinput"
	secretPath = "alloy/secret"
)

func newFixture(t *testing.T, opts ...servertest.Option) *fixture {
	t.Helper()
	s := servertest.New(t, opts...)
	f := &fixture{s: s, tokens: map[string]string{"admin": s.AdminToken}}
	alloy := gitlab(t, s, 201, "POST", "/groups", s.AdminToken,
		map[string]any{"name": "alloy", "path": "alloy", "visibility": "public"})
	sub := gitlab(t, s, 201, "POST", "/groups", s.AdminToken, map[string]any{"name": "gitclear", "path": "gitclear",
		"parent_id": alloy["id"], "visibility": "public"})
	repo := gitlab(t, s, 201, "POST", "/projects", s.AdminToken,
		map[string]any{"name": "libinput", "namespace_id": sub["id"],
			"visibility": "public", "initialize_with_readme": true})
	gitlab(t, s, 201, "POST", "/projects", s.AdminToken, map[string]any{"name": "secret", "namespace_id": alloy["id"],
		"visibility": "private"})
	branch := gitlab(t, s, 200, "GET", "/projects/"+idOf(repo)+"/repository/branches/main", s.AdminToken, nil)
	commit := branch["commit"].(map[string]any)
	f.head = commit["id"].(string)
	var err error
	if f.headAt, err = time.Parse(time.RFC3339, commit["authored_date"].(string)); err != nil {
		t.Fatal(err)
	}
	for _, u := range []struct {
		name, scope, kind string
		source            map[string]any
		level             int
	}{
		{"dev", forge.ScopeAPI, "groups", alloy, forge.Developer},
		{"libdev", forge.ScopeAPI, "projects", repo, forge.Developer},
		{"rep", forge.ScopeAPI, "projects", repo, forge.Reporter},
		{"reader", forge.ScopeReadAPI, "groups", alloy, forge.Maintainer},
		{"outsider", forge.ScopeAPI, "", nil, 0},
	} {
		id, token := s.CreateUser(t, u.name, u.scope)
		f.tokens[u.name] = token
		if u.kind != "" {
			gitlab(t, s, 201, "POST", "/"+u.kind+"/"+idOf(u.source)+"/members", s.AdminToken,
				map[string]any{"user_id": id, "access_level": u.level})
		}
	}
	return f
}

func idOf(v map[string]any) string {
	return strconv.FormatInt(int64(v["id"].(float64)), 10)
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

// call sends a GitClear request as the document's curl examples do: the token as a Bearer
// token (none when who is empty) and the body as curl -d sends it (a string) or as JSON.
func (f *fixture) call(t *testing.T, method, path, who string, body any) *servertest.Response {
	t.Helper()
	var headers []string
	if who != "" {
		headers = []string{"Authorization", "Bearer " + f.tokens[who]}
	}
	return f.s.Do(t, method, "/api/v1"+path, "", body, headers...)
}

// form joins curl -d arguments as curl does: with '&', without encoding them.
func form(args ...string) string { return strings.Join(args, "&") }

// expect fails unless r has status, is exactly {action_em, response_em, response_detail}
// with the given action and response, and its detail contains detail; it returns the answer.
func expect(t *testing.T, r *servertest.Response, status int, action, response, detail string) answer {
	t.Helper()
	if r.StatusCode != status {
		t.Fatalf("%s %s: status %d, want %d; body %s", r.Request.Method, r.Request.URL.Path, r.StatusCode,
			status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s %s: Content-Type %q", r.Request.Method, r.Request.URL.Path, ct)
	}
	var raw map[string]any
	if err := json.Unmarshal(r.Body, &raw); err != nil || len(raw) != 3 {
		t.Fatalf("%s %s: body %s is not {action_em, response_em, response_detail}", r.Request.Method,
			r.Request.URL.Path, r.Body)
	}
	var a answer
	r.JSON(t, &a)
	if a.ActionEm != action || a.ResponseEm != response || !strings.Contains(a.ResponseDetail, detail) {
		t.Fatalf("%s %s: %+v; want %s, %s, detail containing %q", r.Request.Method, r.Request.URL.Path, a,
			action, response, detail)
	}
	return a
}

// admin is the administrator as a forge actor, for looking at what was recorded.
func (f *fixture) admin(t *testing.T) *forge.Actor {
	t.Helper()
	a, err := f.s.Forge.Access.Authenticate(context.Background(), f.s.AdminToken, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// defects returns every defect recorded in the alloy group's tree.
func (f *fixture) defects(t *testing.T) []forge.Defect {
	t.Helper()
	list, err := f.s.Forge.Delivery.GroupDefects(context.Background(), f.admin(t), forge.ParseRef("alloy"),
		time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// releases returns the releases of libinput's commit.
func (f *fixture) releases(t *testing.T) []forge.Release {
	t.Helper()
	list, err := f.s.Forge.Delivery.ReleasesBySHA(context.Background(), f.admin(t), forge.ParseRef(repoPath), f.head)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// countReleases returns how many releases libinput has.
func (f *fixture) countReleases(t *testing.T) int {
	t.Helper()
	_, total, err := f.s.Forge.Delivery.ListReleases(context.Background(), f.admin(t),
		forge.ParseRef(repoPath), forge.ReleaseListOptions{},
		forge.Page{Page: 1, PerPage: 1})
	if err != nil {
		t.Fatal(err)
	}
	return total
}

package gitlab_test

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/cairn-forge/cairn/forge"
	"github.com/cairn-forge/cairn/server"
	"github.com/cairn-forge/cairn/server/servertest"
)

// deliveryFixture is an instance with a public and a private project of alice (the owner),
// both with a README on main, where maint is a maintainer, dev a developer, rep a reporter
// and guest a guest of both; bob belongs to neither.
type deliveryFixture struct {
	s                      *servertest.Server
	public, private        projectJSON
	pubAPI, privAPI        string
	alice, maint, dev, rep string
	guest, bob             string
}

func newDeliveryFixture(t *testing.T, opts ...servertest.Option) *deliveryFixture {
	t.Helper()
	s := newServer(t, opts...)
	f := &deliveryFixture{s: s}
	_, f.alice = s.CreateUser(t, "alice")
	_, f.bob = s.CreateUser(t, "bob")
	members := map[string]int{"maint": 40, "dev": 30, "rep": 20, "guest": 10}
	ids := map[string]int64{}
	tokens := map[string]*string{"maint": &f.maint, "dev": &f.dev, "rep": &f.rep, "guest": &f.guest}
	for name := range members {
		ids[name], *tokens[name] = s.CreateUser(t, name)
	}
	f.public = createProject(t, s, f.alice,
		map[string]any{"name": "shop", "visibility": "public", "initialize_with_readme": true})
	f.private = createProject(t, s, f.alice, map[string]any{"name": "vault", "initialize_with_readme": true})
	for _, p := range []projectJSON{f.public, f.private} {
		for name, level := range members {
			addMember(t, s, f.alice, "projects", p.ID, ids[name], level)
		}
	}
	f.pubAPI, f.privAPI = "/api/v4/projects/"+itoa(f.public.ID), "/api/v4/projects/"+itoa(f.private.ID)
	return f
}

// head is the sha of a project's main branch.
func (f *deliveryFixture) head(t *testing.T, api string) string {
	t.Helper()
	var b struct {
		Commit struct {
			ID          string `json:"id"`
			AuthoredAt  string `json:"authored_date"`
			CommittedAt string `json:"committed_date"`
		} `json:"commit"`
	}
	mustDo(t, f.s, 200, "GET", api+"/repository/branches/main", f.alice, nil).JSON(t, &b)
	return b.Commit.ID
}

// keys lists the keys of a JSON object body, sorted.
func keys(t *testing.T, body []byte) []string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("not a JSON object: %s", body)
	}
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

type environmentJSON struct {
	ID             int64           `json:"id"`
	Name           string          `json:"name"`
	Slug           string          `json:"slug"`
	ExternalURL    *string         `json:"external_url"`
	Tier           string          `json:"tier"`
	State          string          `json:"state"`
	Description    *string         `json:"description"`
	CreatedAt      string          `json:"created_at"`
	LastDeployment *deploymentJSON `json:"last_deployment"`
}

func TestEnvironmentsAPI(t *testing.T) {
	t.Parallel()
	f := newDeliveryFixture(t)
	s, envs := f.s, f.pubAPI+"/environments"
	r := mustDo(t, s, http.StatusCreated, "POST", envs, f.dev,
		map[string]any{"name": "staging", "external_url": "https://staging.example.com"})
	want := []string{"auto_stop_at", "auto_stop_setting", "cluster_agent", "created_at", "description", "external_url",
		"flux_resource_path", "id", "kubernetes_namespace", "name", "slug", "state", "tier", "updated_at"}
	if got := keys(t, r.Body); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("environment keys %v, want %v", got, want)
	}
	staging := decode[environmentJSON](t, r)
	if staging.Name != "staging" || staging.Slug != "staging" || staging.Tier != "staging" ||
		staging.State != "available" ||
		staging.ExternalURL == nil || *staging.ExternalURL != "https://staging.example.com" ||
		staging.Description != nil {
		t.Errorf("created: %+v", staging)
	}
	// Form bodies work as curl sends them; the tier is guessed from the name.
	prod := decode[environmentJSON](t, mustDo(t, s, http.StatusCreated, "POST", envs, f.dev, "name=production"))
	if prod.Tier != "production" || prod.ExternalURL != nil {
		t.Errorf("production: %+v", prod)
	}
	review := decode[environmentJSON](t, mustDo(t, s, http.StatusCreated, "POST", envs, f.dev,
		map[string]any{"name": "review/fix-1", "tier": "other", "description": "a review app"}))
	if review.Tier != "other" || !strings.HasPrefix(review.Slug, "review-fix-1-") || review.Description == nil {
		t.Errorf("review: %+v", review)
	}

	// Listing: pages, filters.
	r = mustDo(t, s, 200, "GET", envs+"?per_page=2", f.rep, nil)
	if got := names(t, r, "name"); strings.Join(got, ",") != "staging,production" {
		t.Errorf("page 1: %v", got)
	}
	if r.Header.Get("X-Total") != "3" || r.Header.Get("X-Total-Pages") != "2" || r.Header.Get("X-Next-Page") != "2" {
		t.Errorf("pagination headers: %v", r.Header)
	}
	if _, ok := splitLink(t, r.Header.Get("Link"))["next"]; !ok {
		t.Errorf("no next link: %s", r.Header.Get("Link"))
	}
	if got := mustDo(t, s, 200, "GET", envs+"?per_page=1000", f.rep, nil).Header.Get("X-Per-Page"); got != "100" {
		t.Errorf("per_page=1000 gave X-Per-Page %s", got)
	}
	if got := names(t, mustDo(t, s, 200, "GET", envs+"?name=production", f.rep, nil),
		"name"); strings.Join(got, ",") != "production" {
		t.Errorf("by name: %v", got)
	}
	if got := names(t, mustDo(t, s, 200, "GET", envs+"?search=fix", f.rep, nil), "name"); strings.Join(got,
		",") != "review/fix-1" {
		t.Errorf("search: %v", got)
	}

	one := envs + "/" + itoa(staging.ID)
	got := decode[environmentJSON](t, mustDo(t, s, 200, "GET", one, f.rep, nil))
	if got.Name != "staging" || got.LastDeployment != nil {
		t.Errorf("get: %+v", got)
	}
	if r := mustDo(t, s, 200, "GET", one, f.rep, nil); !strings.Contains(string(r.Body), `"name":"staging"`) ||
		strings.Contains(string(r.Body), "last_deployment") {
		t.Errorf("an environment without deployments shows last_deployment: %s", r.Body)
	}
	got = decode[environmentJSON](t,
		mustDo(t, s, 200, "PUT", one, f.dev, map[string]any{"tier": "testing", "external_url": ""}))
	if got.Tier != "testing" || got.ExternalURL != nil {
		t.Errorf("updated: %+v", got)
	}
	// The last successful deployment shows on GET.
	mustDo(t, s, http.StatusCreated, "POST", f.pubAPI+"/deployments", f.dev,
		map[string]any{"environment": "staging", "ref": "main", "status": "success"})
	got = decode[environmentJSON](t, mustDo(t, s, 200, "GET", one, f.rep, nil))
	if got.LastDeployment == nil || got.LastDeployment.Status != "success" || got.LastDeployment.Ref != "main" {
		t.Errorf("last deployment: %+v", got.LastDeployment)
	}

	// Stop, then delete: an available environment is not deleted; developers do not delete.
	wantJSON(t, s.Do(t, "DELETE", one, f.maint, nil), 403,
		`{"message":"403 Forbidden - Environment staging is available: stop it before deleting it"}`)
	got = decode[environmentJSON](t, mustDo(t, s, 200, "POST", one+"/stop", f.dev, nil))
	if got.State != "stopped" {
		t.Errorf("stopped: %+v", got)
	}
	if got := names(t, mustDo(t, s, 200, "GET", envs+"?states=stopped", f.rep, nil),
		"name"); strings.Join(got, ",") != "staging" {
		t.Errorf("stopped ones: %v", got)
	}
	wantJSON(t, s.Do(t, "DELETE", one, f.dev, nil), 403, bodyForbidden)
	mustDo(t, s, http.StatusNoContent, "DELETE", one, f.maint, nil)
	mustDo(t, s, http.StatusNoContent, "DELETE", one, f.maint, nil)
	wantJSON(t, s.Do(t, "GET", one, f.rep, nil), 404, `{"message":"404 Not found"}`)
	// Its deployments went with it.
	if r := mustDo(t, s, 200, "GET", f.pubAPI+"/deployments", f.rep, nil); r.Header.Get("X-Total") != "0" {
		t.Errorf("deployments of a deleted environment: %s", r.Body)
	}
	// The same routes answer on /api/v3.
	mustDo(t, s, 200, "GET", "/api/v3/projects/"+itoa(f.public.ID)+"/environments", f.rep, nil)
}

func TestEnvironmentsAPIRefusals(t *testing.T) {
	t.Parallel()
	f := newDeliveryFixture(t)
	s := f.s
	pub, priv := f.pubAPI+"/environments", f.privAPI+"/environments"
	e := decode[environmentJSON](t,
		mustDo(t, s, http.StatusCreated, "POST", priv, f.dev, map[string]any{"name": "production"}))
	one := priv + "/" + itoa(e.ID)
	tests := []struct {
		name         string
		method, path string
		token        string
		body         any
		status       int
		want         string
	}{
		{"anonymous on a public project", "GET", pub, "", nil, 401, bodyUnauthorized},
		{"outsider on a private project", "GET", priv, f.bob, nil, 404, `{"message":"404 Project Not Found"}`},
		{"guest on a private project", "GET", priv, f.guest, nil, 403, bodyForbidden},
		{"reporter creates", "POST", priv, f.rep, map[string]any{"name": "x"}, 403, bodyForbidden},
		{"outsider creates on a public project", "POST", pub, f.bob, map[string]any{"name": "x"}, 403, bodyForbidden},
		{"no name", "POST", pub, f.dev, map[string]any{}, 400, `{"error":"name is missing"}`},
		{"bad name", "POST", pub, f.dev, map[string]any{"name": "a\\b"}, 400,
			`{"message":{"name":["can contain only letters, digits, '-', '_', '/', '$', '{', '}', '.', and spaces, but it cannot start or end with '/'"]}}`},
		{"bad tier", "POST", pub, f.dev, map[string]any{"name": "x", "tier": "prod"}, 400,
			`{"error":"tier does not have a valid value"}`},
		{"bad url", "POST", pub, f.dev, map[string]any{"name": "x", "external_url": "javascript:alert(1)"}, 400,
			`{"message":{"external_url":["must be a valid URL"]}}`},
		{"slug given", "POST", pub, f.dev, map[string]any{"name": "x", "slug": "y"}, 400,
			`{"error":"slug is automatically generated and cannot be changed"}`},
		{"duplicate", "POST", priv, f.dev, map[string]any{"name": "production"}, 409,
			`{"message":{"name":["has already been taken"]}}`},
		{"unknown environment id", "GET", priv + "/999999", f.rep, nil, 404, `{"message":"404 Not found"}`},
		{"not an id", "GET", priv + "/abc", f.rep, nil, 404, `{"message":"404 Not found"}`},
		{"another project's environment", "GET", pub + "/" + itoa(e.ID), f.rep, nil, 404,
			`{"message":"404 Not found"}`},
		{"rename", "PUT", one, f.dev, map[string]any{"name": "prod"}, 400,
			`{"message":{"name":["cannot be changed"]}}`},
		{"reporter stops", "POST", one + "/stop", f.rep, nil, 403, bodyForbidden},
		{"outsider deletes", "DELETE", one, f.bob, nil, 404, `{"message":"404 Project Not Found"}`},
		{"unknown state", "GET", priv + "?states=gone", f.rep, nil, 400,
			`{"error":"states does not have a valid value"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantJSON(t, s.Do(t, tt.method, tt.path, tt.token, tt.body), tt.status, tt.want)
		})
	}
	// Nothing was written by the refusals.
	if r := mustDo(t, s, 200, "GET", pub, f.rep, nil); r.Header.Get("X-Total") != "0" {
		t.Errorf("public project's environments after refusals: %s", r.Body)
	}
	got := decode[environmentJSON](t, mustDo(t, s, 200, "GET", one, f.rep, nil))
	if got.Name != "production" || got.State != "available" {
		t.Errorf("after refusals: %+v", got)
	}
}

// A deploy command configured on the server runs, end to end.
func TestDeployCommandThroughTheAPI(t *testing.T) {
	t.Parallel()
	f := newDeliveryFixture(t, servertest.WithConfig(func(c *server.Config) {
		c.Forge.DeployCommands = []forge.DeployCommand{{Scope: "*", Environment: "staging",
			Command: `echo "hello from $CAIRN_DEPLOY_ENVIRONMENT at $CAIRN_DEPLOY_SHA"; ls`}}
	}))
	s := f.s
	d := decode[deploymentJSON](t, mustDo(t, s, http.StatusCreated, "POST", f.privAPI+"/deployments", f.dev,
		map[string]any{"environment": "staging", "ref": "main", "sha": f.head(t, f.privAPI), "tag": false,
			"status": "running"}))
	if d.Status != "queued" {
		t.Errorf("a deployment the server runs starts queued, not %s", d.Status)
	}
	one := f.privAPI + "/deployments/" + itoa(d.ID)
	waitDeployment(t, s, one, f.rep, "success")
	r := mustDo(t, s, 200, "GET", one+"/log", f.rep, nil)
	if ct := r.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
		t.Errorf("log Content-Type %q", ct)
	}
	want := "hello from staging at " + d.SHA + "\nREADME.md\n"
	if !strings.Contains(string(r.Body), want) ||
		!strings.Contains(string(r.Body), "[cairn] the deploy command succeeded") {
		t.Errorf("log:\n%s\nwant it to hold %q", r.Body, want)
	}
	wantJSON(t, s.Do(t, "GET", one+"/log", f.guest, nil), 403, bodyForbidden)
	wantJSON(t, s.Do(t, "PUT", one, f.dev, map[string]any{"status": "failed"}), 400,
		`{"error":"status is set by the server's deploy command for environment staging; it may only be canceled"}`)
}

package gitlab_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cairn-forge/cairn/server/servertest"
)

type deploymentJSON struct {
	ID          int64            `json:"id"`
	IID         int64            `json:"iid"`
	Ref         string           `json:"ref"`
	SHA         string           `json:"sha"`
	Status      string           `json:"status"`
	CreatedAt   string           `json:"created_at"`
	UpdatedAt   string           `json:"updated_at"`
	User        userJSON         `json:"user"`
	Environment *environmentJSON `json:"environment"`
	Deployable  json.RawMessage  `json:"deployable"`
}

// waitDeployment polls a deployment until it has status.
func waitDeployment(t *testing.T, s *servertest.Server, path, token, status string) deploymentJSON {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		d := decode[deploymentJSON](t, mustDo(t, s, 200, "GET", path, token, nil))
		if d.Status == status {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s is %s, want %s", path, d.Status, status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func deploymentIDs(t *testing.T, r *servertest.Response) []int64 {
	t.Helper()
	var list []deploymentJSON
	r.JSON(t, &list)
	out := []int64{}
	for _, d := range list {
		out = append(out, d.ID)
	}
	return out
}

func equalIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// The GitLab document's example: a form body with every parameter, and the entity it
// answers with.
func TestCreateDeploymentAsTheDocumentShows(t *testing.T) {
	t.Parallel()
	f := newDeliveryFixture(t)
	s := f.s
	sha := f.head(t, f.pubAPI)
	r := mustDo(t, s, http.StatusCreated, "POST", f.pubAPI+"/deployments", "",
		"environment=production&sha="+sha+"&ref=main&tag=false&status=success", "PRIVATE-TOKEN", f.dev)
	want := []string{"created_at", "deployable", "environment", "id", "iid", "ref", "sha", "status",
		"updated_at", "user"}
	if got := keys(t, r.Body); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("deployment keys %v, want %v", got, want)
	}
	d := decode[deploymentJSON](t, r)
	if d.IID != 1 || d.Ref != "main" || d.SHA != sha || d.Status != "success" || d.User.Username != "dev" ||
		string(d.Deployable) != "null" || d.Environment == nil || d.Environment.Name != "production" ||
		d.Environment.Slug != "production" || d.Environment.ExternalURL != nil {
		t.Errorf("deployment: %s", r.Body)
	}
	var env map[string]any
	if err := json.Unmarshal(r.Body, &struct {
		Env *map[string]any `json:"environment"`
	}{&env}); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id", "name", "slug", "external_url", "created_at", "updated_at"} {
		if _, ok := env[k]; !ok {
			t.Errorf("the embedded environment lacks %s: %v", k, env)
		}
	}
	// The environment was created with it, as GitLab does.
	e := decode[[]environmentJSON](t, mustDo(t, s, 200, "GET", f.pubAPI+"/environments", f.rep, nil))
	if len(e) != 1 || e[0].Name != "production" || e[0].Tier != "production" || e[0].ID != d.Environment.ID {
		t.Errorf("environments: %+v", e)
	}
	got := decode[deploymentJSON](t, mustDo(t, s, 200, "GET", f.pubAPI+"/deployments/"+itoa(d.ID), f.rep, nil))
	if got.ID != d.ID || got.SHA != sha || got.CreatedAt != d.CreatedAt {
		t.Errorf("read back: %+v", got)
	}
}

func TestDeploymentStatusUpdates(t *testing.T) {
	t.Parallel()
	f := newDeliveryFixture(t)
	s := f.s
	d := decode[deploymentJSON](t, mustDo(t, s, http.StatusCreated, "POST", f.privAPI+"/deployments", f.dev,
		map[string]any{"environment": "staging", "ref": "main", "tag": false, "status": "running"}))
	one := f.privAPI + "/deployments/" + itoa(d.ID)
	if got := decode[deploymentJSON](t,
		mustDo(t, s, 200, "PUT", one, f.dev, "status=success")); got.Status != "success" {
		t.Errorf("after PUT: %+v", got)
	}
	for _, tt := range []struct {
		body   any
		status int
		want   string
	}{
		{map[string]any{"status": "running"}, 400,
			`{"message":{"status":["cannot transition from success to running"]}}`},
		{map[string]any{"status": "success"}, 400, `{"message":{"status":["is already success"]}}`},
		{map[string]any{"status": "done"}, 400, `{"error":"status does not have a valid value"}`},
		{map[string]any{}, 400, `{"error":"status is missing"}`},
	} {
		wantJSON(t, s.Do(t, "PUT", one, f.dev, tt.body), tt.status, tt.want)
	}
	wantJSON(t, s.Do(t, "PUT", one, f.rep, map[string]any{"status": "failed"}), 403, bodyForbidden)
	wantJSON(t, s.Do(t, "PUT", f.privAPI+"/deployments/99999", f.dev, map[string]any{"status": "failed"}),
		404, `{"message":"404 Not found"}`)
	if got := decode[deploymentJSON](t, mustDo(t, s, 200, "GET", one, f.rep, nil)); got.Status != "success" {
		t.Errorf("refused moves changed the deployment: %+v", got)
	}
}

func TestListDeploymentsAPI(t *testing.T) {
	t.Parallel()
	f := newDeliveryFixture(t)
	s := f.s
	var ids []int64
	for _, c := range []struct{ env, status string }{
		{"staging", "success"}, {"production", "success"}, {"staging", "failed"}, {"production", "running"},
		{"staging", "success"},
	} {
		d := decode[deploymentJSON](t, mustDo(t, s, http.StatusCreated, "POST", f.pubAPI+"/deployments", f.dev,
			map[string]any{"environment": c.env, "ref": "main", "status": c.status}))
		ids = append(ids, d.ID)
	}
	list := f.pubAPI + "/deployments"
	tests := []struct {
		query string
		want  []int64
	}{
		{"", ids},
		{"?sort=desc", []int64{ids[4], ids[3], ids[2], ids[1], ids[0]}},
		{"?environment=staging", []int64{ids[0], ids[2], ids[4]}},
		{"?environment=nowhere", []int64{}},
		{"?status=success", []int64{ids[0], ids[1], ids[4]}},
		{"?environment=staging&status=success&order_by=iid&sort=desc", []int64{ids[4], ids[0]}},
		{"?order_by=finished_at&status=success&sort=desc", []int64{ids[4], ids[1], ids[0]}},
		{"?status=blocked", []int64{}},
		{"?updated_before=2000-01-01T00:00:00Z", []int64{}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			r := mustDo(t, s, 200, "GET", list+tt.query, f.rep, nil)
			if got := deploymentIDs(t, r); !equalIDs(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	r := mustDo(t, s, 200, "GET", list+"?per_page=2&page=2", f.rep, nil)
	if got := deploymentIDs(t, r); !equalIDs(got, ids[2:4]) {
		t.Errorf("page 2: %v", got)
	}
	for k, v := range map[string]string{"X-Total": "5", "X-Total-Pages": "3", "X-Page": "2",
		"X-Per-Page": "2", "X-Next-Page": "3", "X-Prev-Page": "1"} {
		if got := r.Header.Get(k); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
	links := splitLink(t, r.Header.Get("Link"))
	if !strings.Contains(links["next"], "page=3") || !strings.Contains(links["prev"], "page=1") {
		t.Errorf("Link: %v", links)
	}
	if got := mustDo(t, s, 200, "GET", list+"?per_page=1000", f.rep, nil).Header.Get("X-Per-Page"); got != "100" {
		t.Errorf("per_page=1000 gave X-Per-Page %s", got)
	}
	for _, q := range []string{"?order_by=name", "?sort=up", "?status=done", "?updated_after=yesterday"} {
		if r := s.Do(t, "GET", list+q, f.rep, nil); r.StatusCode != 400 {
			t.Errorf("%s: %d %s", q, r.StatusCode, r.Body)
		}
	}
}

func TestDeploymentsAPIRefusals(t *testing.T) {
	t.Parallel()
	f := newDeliveryFixture(t)
	s := f.s
	other := f.head(t, f.pubAPI)
	// A commit only the private project has.
	mustDo(t, s, http.StatusCreated, "POST", f.privAPI+"/repository/files/secret.txt", f.alice,
		map[string]any{"branch": "main", "content": "x", "commit_message": "secret"})
	foreign := f.head(t, f.privAPI)
	if foreign == other {
		t.Fatal("the projects share a head")
	}
	d := decode[deploymentJSON](t, mustDo(t, s, http.StatusCreated, "POST", f.privAPI+"/deployments", f.dev,
		map[string]any{"environment": "production", "ref": "main", "status": "success"}))
	priv, pub := f.privAPI+"/deployments", f.pubAPI+"/deployments"
	tests := []struct {
		name         string
		method, path string
		token        string
		body         any
		status       int
		want         string
	}{
		{"anonymous on a public project", "GET", pub, "", nil, 401, bodyUnauthorized},
		{"anonymous creates", "POST", pub, "", map[string]any{"environment": "x", "ref": "main"}, 401,
			bodyUnauthorized},
		{"outsider on a private project", "GET", priv, f.bob, nil, 404, `{"message":"404 Project Not Found"}`},
		{"outsider reads one", "GET", priv + "/" + itoa(d.ID), f.bob, nil, 404, `{"message":"404 Project Not Found"}`},
		{"guest on a private project", "GET", priv, f.guest, nil, 403, bodyForbidden},
		{"reporter creates", "POST", priv, f.rep, map[string]any{"environment": "x", "ref": "main"}, 403,
			bodyForbidden},
		{"outsider creates on a public project", "POST", pub, f.bob,
			map[string]any{"environment": "x", "ref": "main"}, 403, bodyForbidden},
		{"no environment", "POST", pub, f.dev, map[string]any{"ref": "main"}, 400,
			`{"error":"environment is missing"}`},
		{"no ref", "POST", pub, f.dev, map[string]any{"environment": "x"}, 400, `{"error":"ref is missing"}`},
		{"unknown branch", "POST", pub, f.dev, map[string]any{"environment": "x", "ref": "feature-x"}, 400,
			`{"error":"Branch 'feature-x' not found"}`},
		{"sha of another repository", "POST", pub, f.dev,
			map[string]any{"environment": "x", "ref": "main", "sha": foreign}, 400,
			`{"error":"Commit '` + foreign + `' not found"}`},
		{"bad environment name", "POST", pub, f.dev, map[string]any{"environment": "a\\b", "ref": "main"}, 400,
			`{"message":{"name":["can contain only letters, digits, '-', '_', '/', '$', '{', '}', '.', and spaces, but it cannot start or end with '/'"]}}`},
		{"bad tag flag", "POST", pub, f.dev,
			map[string]any{"environment": "x", "ref": "main", "tag": "maybe"}, 400, `{"error":"tag is invalid"}`},
		{"bad status", "POST", pub, f.dev,
			map[string]any{"environment": "x", "ref": "main", "status": "done"}, 400,
			`{"error":"status does not have a valid value"}`},
		{"another project's deployment", "GET", pub + "/" + itoa(d.ID), f.rep, nil, 404, `{"message":"404 Not found"}`},
		{"unknown deployment", "GET", priv + "/0", f.rep, nil, 404, `{"message":"404 Not found"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantJSON(t, s.Do(t, tt.method, tt.path, tt.token, tt.body), tt.status, tt.want)
		})
	}
	// Nothing half-written: no deployment and no environment on the public project.
	for _, path := range []string{pub, f.pubAPI + "/environments"} {
		if r := mustDo(t, s, 200, "GET", path, f.rep, nil); r.Header.Get("X-Total") != "0" {
			t.Errorf("%s after refusals: %s", path, r.Body)
		}
	}
	// Reporters read a private project's deployments.
	if got := decode[deploymentJSON](t, mustDo(t, s, 200, "GET", priv+"/"+itoa(d.ID), f.rep, nil)); got.ID != d.ID {
		t.Errorf("reporter reads: %+v", got)
	}
}

// Maintainers delete deployments, except a running one and the one an environment is at,
// with GitLab's 400 messages.
func TestDeleteDeploymentAPI(t *testing.T) {
	t.Parallel()
	f := newDeliveryFixture(t)
	s := f.s
	create := func(st string) string {
		d := decode[deploymentJSON](t, mustDo(t, s, http.StatusCreated, "POST", f.privAPI+"/deployments", f.dev,
			map[string]any{"environment": "production", "ref": "main", "status": st}))
		return f.privAPI + "/deployments/" + itoa(d.ID)
	}
	first, running, last := create("success"), create("running"), create("success")
	failed := create("failed")
	tests := []struct {
		name   string
		path   string
		token  string
		status int
		want   string
	}{
		{"a developer", first, f.dev, 403, bodyForbidden},
		{"an outsider", first, f.bob, 404, `{"message":"404 Project Not Found"}`},
		{"a running deployment", running, f.maint, 400, `{"message":"Cannot destroy running deployment"}`},
		{"the environment's latest success", last, f.maint, 400,
			`{"message":"Deployment currently deployed to environment"}`},
		{"an unknown deployment", f.privAPI + "/deployments/99999", f.maint, 404, `{"message":"404 Not found"}`},
		{"an earlier success", first, f.maint, 204, ""},
		{"a failed one", failed, f.maint, 204, ""},
		{"one deleted already", first, f.maint, 404, `{"message":"404 Not found"}`},
	}
	for _, tt := range tests {
		r := s.Do(t, "DELETE", tt.path, tt.token, nil)
		if tt.want == "" {
			wantStatus(t, r, tt.status)
			continue
		}
		wantJSON(t, r, tt.status, tt.want)
	}
	mustDo(t, s, 200, "GET", last, f.rep, nil)
	mustDo(t, s, 200, "GET", running, f.rep, nil)
}

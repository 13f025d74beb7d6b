package gitdev_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cairn-forge/cairn/forge"
	"github.com/cairn-forge/cairn/server"
	"github.com/cairn-forge/cairn/server/servertest"
)

type (
	deploymentJSON struct {
		ID            string   `json:"id"`
		Status        string   `json:"status"`
		URL           string   `json:"url"`
		CreatedAt     string   `json:"created_at"`
		UpdatedAt     string   `json:"updated_at"`
		RepositoryID  string   `json:"repository_id"`
		Environment   string   `json:"environment"`
		Ref           string   `json:"ref"`
		SHA           string   `json:"sha"`
		Tag           bool     `json:"tag"`
		VariableNames []string `json:"variable_names"`
		QueuedAt      *string  `json:"queued_at"`
		FinishedAt    *string  `json:"finished_at"`
		Creator       *struct {
			ID       string `json:"id"`
			Username string `json:"username"`
		} `json:"creator"`
	}
	deploymentList struct {
		Data []deploymentJSON `json:"data"`
		Meta metaJSON         `json:"meta"`
	}
)

var (
	deployID = regexp.MustCompile(`^deploy_[0-9a-z]+$`)
	sha1Hex  = regexp.MustCompile(`^[0-9a-f]{40}$`)
)

// seedDeployBody is the document's example body, byte for byte.
const seedDeployBody = `{ "ref": "main", "environment": "production" }`

// The document's example: POST with a Bearer token and a JSON body answers 201 with the
// deployment queued and its URL, which answers GET.
func TestSeedCreateDeploymentExample(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := call(t, f.s, "POST", "/v1/repositories/"+f.frontendID+"/deployments", f.alice, []byte(seedDeployBody),
		"Content-Type", "application/json")
	var raw map[string]any
	want(t, r, 201)
	r.JSON(t, &raw)
	id, _ := raw["id"].(string)
	if !deployID.MatchString(id) || raw["status"] != "queued" || raw["url"] != f.s.URL+"/v1/deployments/"+id {
		t.Fatalf("created %s", r.Body)
	}
	if s, _ := raw["created_at"].(string); !rfc3339Second.MatchString(s) {
		t.Errorf("created_at %v", raw["created_at"])
	}
	got := decode[deploymentJSON](t, call(t, f.s, "GET", "/v1/deployments/"+id, f.alice, nil), 200)
	if got.ID != id || got.Status != "queued" || got.Environment != "production" || got.Ref != "main" ||
		!sha1Hex.MatchString(got.SHA) || got.RepositoryID != f.frontendID || got.QueuedAt == nil ||
		got.FinishedAt != nil ||
		got.Creator == nil || got.Creator.Username != "alice" || got.Creator.ID != "user_"+b36(f.aliceID) {
		t.Errorf("deployment %+v", got)
	}
	// The seed's repo_id is "Repository slug or ID": the slug works as well, escaped or not.
	for _, ref := range []string{"acme/frontend-app", "acme%2Ffrontend-app", "acme/web/site", f.siteID} {
		r := call(t, f.s, "POST", "/v1/repositories/"+ref+"/deployments", f.bob, []byte(seedDeployBody),
			"Content-Type", "application/json")
		if d := decode[deploymentJSON](t, r, 201); d.Status != "queued" {
			t.Errorf("%s: %+v", ref, d)
		}
	}
}

// The example run by curl itself, with only the host changed.
func TestSeedCreateDeploymentExampleWithCurl(t *testing.T) {
	t.Parallel()
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("no curl on this machine")
	}
	f := newFixture(t)
	out, err := exec.Command(curl, "-sS", "-X", "POST", f.s.URL+"/v1/repositories/"+f.frontendID+"/deployments",
		"-H", "Authorization: Bearer "+f.alice, "-H", "Content-Type: application/json",
		"-d", seedDeployBody, "-w", `\n%{http_code}`).Output()
	if err != nil {
		t.Fatalf("curl: %v", err)
	}
	body, code, _ := bytes.Cut(bytes.TrimSpace(out), []byte("\n"))
	var d deploymentJSON
	if string(code) != "201" || json.Unmarshal(body, &d) != nil || !deployID.MatchString(d.ID) || d.Status != "queued" {
		t.Fatalf("curl got %s %s", code, body)
	}
}

func TestCreateDeploymentRefusesBadInput(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	path := "/v1/repositories/" + f.frontendID + "/deployments"
	tests := []struct {
		name, body, code, message string
	}{
		{"unknown environment", `{"ref":"main","environment":"qa"}`, "invalid_parameter",
			"environment must be one of preview, staging, production"},
		{"environment in capitals", `{"ref":"main","environment":"Production"}`, "invalid_parameter", ""},
		{"environment not a string", `{"ref":"main","environment":1}`, "invalid_parameter", ""},
		{"no ref", `{"environment":"staging"}`, "invalid_parameter", "ref is required"},
		{"empty ref", `{"ref":" "}`, "invalid_parameter", "ref is required"},
		{"ref not a string", `{"ref":42}`, "invalid_parameter", "ref must be a string"},
		{"unknown branch", `{"ref":"feature-x","environment":"production"}`, "invalid_ref",
			"Branch 'feature-x' not found"},
		{"unknown commit", `{"ref":"0123456789abcdef0123456789abcdef01234567"}`, "invalid_ref", ""},
		{"variables not an object", `{"ref":"main","variables":["A"]}`, "invalid_parameter", ""},
		{"variable a number", `{"ref":"main","variables":{"A":"x","B":1}}`, "invalid_parameter",
			"variables.B must be a string"},
		{"variable an object", `{"ref":"main","variables":{"A":{"b":"c"}}}`, "invalid_parameter", ""},
		{"variable null", `{"ref":"main","variables":{"A":null}}`, "invalid_parameter", ""},
		{"variable name not a shell name", `{"ref":"main","variables":{"1A":"x"}}`, "invalid_parameter", ""},
		{"malformed JSON", `{"ref":"main"`, "invalid_parameter", ""},
		{"JSON array", `["main"]`, "invalid_parameter", ""},
		{"JSON null", `null`, "invalid_parameter", ""},
		{"two objects", `{"ref":"main"}{}`, "invalid_parameter", ""},
		{"empty body", ``, "invalid_parameter", "ref is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := call(t, f.s, "POST", path, f.alice, []byte(tt.body), "Content-Type", "application/json")
			wantError(t, r, 400, tt.code, tt.message)
		})
	}
	// Nothing was half-written: no deployment, and no environment made for one.
	l := decode[deploymentList](t, call(t, f.s, "GET", path, f.alice, nil), 200)
	if l.Meta.Total != 0 || len(l.Data) != 0 {
		t.Errorf("refused requests left deployments: %+v", l)
	}
	envs, _, err := f.s.Forge.Delivery.ListEnvironments(context.Background(), forge.System(),
		forge.ParseRef(itoa(f.frontend)),
		forge.EnvironmentListOptions{}, forge.Page{Page: 1, PerPage: 20})
	if err != nil || len(envs) != 0 {
		t.Errorf("refused requests left environments: %v %v", envs, err)
	}
}

func TestCreateDeploymentDefaultsAndVariables(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	path := "/v1/repositories/" + f.frontendID + "/deployments"
	// Without an environment, a deployment goes to production.
	d := decode[deploymentJSON](t, call(t, f.s, "POST", path, f.alice, map[string]any{"ref": "main"}), 201)
	if d.Environment != "production" || d.Status != "queued" {
		t.Errorf("default environment: %+v", d)
	}
	d = decode[deploymentJSON](t, call(t, f.s, "POST", path, f.alice, map[string]any{
		"ref": "main", "environment": "preview",
		"variables": map[string]string{"NODE_ENV": "preview", "API_URL": "https://x"}}), 201)
	if d.Environment != "preview" || !reflect.DeepEqual(d.VariableNames, []string{"API_URL", "NODE_ENV"}) {
		t.Errorf("with variables: %+v", d)
	}
	if strings.Contains(string(call(t, f.s, "GET", "/v1/deployments/"+d.ID, f.alice, nil).Body), "https://x") {
		t.Errorf("a variable's value is shown")
	}
	// curl -d without a content type sends a form; it works too.
	d = decode[deploymentJSON](t, f.s.Do(t, "POST", path, "", "ref=main&environment=staging&variables%5BMODE%5D=fast",
		"Authorization", "Bearer "+f.alice), 201)
	if d.Environment != "staging" || !reflect.DeepEqual(d.VariableNames, []string{"MODE"}) {
		t.Errorf("form body: %+v", d)
	}
	// A tag deploys as a tag.
	gitlab(t, f.s, 201, "POST", "/projects/"+itoa(f.frontend)+"/repository/tags", f.alice,
		map[string]any{"tag_name": "v1.0.0", "ref": "main"})
	d = decode[deploymentJSON](t,
		call(t, f.s, "POST", path, f.alice, map[string]any{"ref": "v1.0.0", "environment": "production"}), 201)
	if !d.Tag || d.Ref != "v1.0.0" || !sha1Hex.MatchString(d.SHA) {
		t.Errorf("tag deployment: %+v", d)
	}
}

func TestDeploymentsFollowRepositoryAccess(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	body := []byte(seedDeployBody)
	// carol cannot see the private repository: it does not exist for her.
	wantError(t, call(t, f.s, "POST", "/v1/repositories/"+f.frontendID+"/deployments", f.carol, body), 404,
		"not_found", "Repository not found")
	wantError(t, call(t, f.s, "GET", "/v1/repositories/acme/frontend-app/deployments", f.carol, nil), 404,
		"not_found", "")
	// She sees the public one, but deploying takes developer access.
	wantError(t, call(t, f.s, "POST", "/v1/repositories/acme/docs/deployments", f.carol, body), 403, "forbidden", "")
	// A read-only token reads but does not deploy.
	readOnly := decode[map[string]any](t,
		f.s.Do(t, "POST", "/api/v4/users/"+itoa(f.bobID)+"/personal_access_tokens", f.s.AdminToken,
			map[string]any{"name": "ro", "scopes": []string{"read_api"}}), 201)["token"].(string)
	wantError(t, call(t, f.s, "POST", "/v1/repositories/acme/docs/deployments", readOnly, body), 403, "forbidden", "")

	d := decode[deploymentJSON](t,
		call(t, f.s, "POST", "/v1/repositories/"+f.frontendID+"/deployments", f.bob, body), 201)
	want(t, call(t, f.s, "GET", "/v1/deployments/"+d.ID, readOnly, nil), 200)
	wantError(t, call(t, f.s, "GET", "/v1/deployments/"+d.ID, f.carol, nil), 404, "not_found", "Deployment not found")
	for _, junk := range []string{"deploy_", "deploy_0", "deploy_0" + d.ID[7:], strings.ToUpper(d.ID),
		"deploy_zzzzzzzzzzzzzz",
		"deploy_zzzz", "repo_1", d.ID[7:], "deploy_-1", "deploy_1%2F1"} {
		wantError(t, call(t, f.s, "GET", "/v1/deployments/"+junk, f.s.AdminToken, nil), 404, "not_found", "")
	}
}

func TestListDeployments(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	path := "/v1/repositories/acme/frontend-app/deployments"
	var ids []string
	for _, env := range []string{"staging", "production", "staging"} {
		ids = append(ids,
			decode[deploymentJSON](t,
				call(t, f.s, "POST", path, f.alice, map[string]any{"ref": "main", "environment": env}), 201).ID)
	}
	l := decode[deploymentList](t, call(t, f.s, "GET", path, f.bob, nil), 200)
	if len(l.Data) != 3 || l.Meta != (metaJSON{Total: 3, Page: 1, PerPage: 20}) ||
		l.Data[0].ID != ids[2] || l.Data[1].ID != ids[1] || l.Data[2].ID != ids[0] {
		t.Fatalf("list (newest first) %+v", l)
	}
	r := call(t, f.s, "GET", path+"?per_page=2&page=2", f.bob, nil)
	l = decode[deploymentList](t, r, 200)
	if len(l.Data) != 1 || l.Data[0].ID != ids[0] || l.Meta != (metaJSON{Total: 3, Page: 2, PerPage: 2}) {
		t.Errorf("page 2: %+v", l)
	}
	if r.Header.Get("X-Total") != "3" || r.Header.Get("X-Total-Pages") != "2" ||
		!strings.Contains(r.Header.Get("Link"), `rel="prev"`) {
		t.Errorf("headers %v", r.Header)
	}
	l = decode[deploymentList](t, call(t, f.s, "GET", path+"?environment=staging", f.bob, nil), 200)
	if l.Meta.Total != 2 || l.Data[0].Environment != "staging" || l.Data[1].Environment != "staging" {
		t.Errorf("staging only: %+v", l)
	}
	for _, q := range []string{"environment=qa", "status=done", "per_page=1000", "page=0"} {
		wantError(t, call(t, f.s, "GET", path+"?"+q, f.bob, nil), 400, "invalid_parameter", "")
	}
	l = decode[deploymentList](t, call(t, f.s, "GET", "/v1/repositories/acme/web/site/deployments", f.bob, nil), 200)
	if l.Meta.Total != 0 || l.Data == nil {
		t.Errorf("a repository without deployments: %s",
			call(t, f.s, "GET", "/v1/repositories/acme/web/site/deployments", f.bob, nil).Body)
	}
}

// Where the server has a deploy command for the environment, the deployment answers queued
// and the command moves it on.
func TestDeployCommandMovesAQueuedDeployment(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	f := newFixture(t, servertest.WithConfig(func(c *server.Config) {
		c.Forge.DeployCommands = []forge.DeployCommand{{Scope: "*", Environment: "staging",
			Command: `test -n "$CAIRN_DEPLOY_SHA" && test "$CAIRN_VAR_MODE" = fast`}}
	}))
	d := decode[deploymentJSON](t, call(t, f.s, "POST", "/v1/repositories/"+f.frontendID+"/deployments", f.alice,
		map[string]any{"ref": "main", "environment": "staging", "variables": map[string]string{"MODE": "fast"}}), 201)
	if d.Status != "queued" {
		t.Fatalf("created %+v", d)
	}
	deadline := time.Now().Add(20 * time.Second)
	for d.Status == "queued" || d.Status == "running" {
		if time.Now().After(deadline) {
			t.Fatalf("still %s after 20s", d.Status)
		}
		time.Sleep(50 * time.Millisecond)
		d = decode[deploymentJSON](t, call(t, f.s, "GET", "/v1/deployments/"+d.ID, f.alice, nil), 200)
	}
	if d.Status != "success" || d.FinishedAt == nil {
		t.Errorf("after the command: %+v", d)
	}
}

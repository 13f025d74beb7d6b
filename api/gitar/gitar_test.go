package gitar_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cairn-forge/cairn/server/servertest"
)

// The shapes as a client decodes them.
type (
	runJSON struct {
		ID            int64           `json:"id"`
		Repository    string          `json:"repository"`
		RepositoryURL string          `json:"repository_url"`
		Agent         string          `json:"agent"`
		Ref           string          `json:"ref"`
		SHA           string          `json:"sha"`
		MergeRequest  *int64          `json:"merge_request"`
		Params        json.RawMessage `json:"params"`
		Status        string          `json:"status"`
		StatusReason  string          `json:"status_reason"`
		RequestedBy   struct {
			Username string `json:"username"`
		} `json:"requested_by"`
		FindingsCount int `json:"findings_count"`
		Findings      []struct {
			Path, Severity, Rule, Message string
			Line                          int
		} `json:"findings"`
		Result    json.RawMessage `json:"result"`
		CanCancel bool            `json:"can_cancel"`
		URL       string          `json:"url"`
		LogURL    string          `json:"log_url"`
		CreatedAt string          `json:"created_at"`
	}
	runListJSON struct {
		Runs       []runJSON `json:"runs"`
		Pagination struct {
			Page, PerPage, Total, TotalPages int
		} `json:"pagination"`
	}
	errorJSON struct {
		Error struct {
			Status    int            `json:"status"`
			Code      string         `json:"code"`
			Message   string         `json:"message"`
			RequestID string         `json:"request_id"`
			Details   map[string]any `json:"details"`
		} `json:"error"`
	}
)

// call sends a Gitar request with the token as a Bearer token (none when empty).
func call(t *testing.T, s *servertest.Server, method, path, token string, body any,
	headers ...string) *servertest.Response {
	t.Helper()
	if token != "" {
		headers = append([]string{"Authorization", "Bearer " + token}, headers...)
	}
	return s.Do(t, method, "/v1/external"+path, "", body, headers...)
}

// wantError checks an error answer: its status, its code, and the dialect's shape.
func wantError(t *testing.T, r *servertest.Response, status int, code string) errorJSON {
	t.Helper()
	var e errorJSON
	r.JSON(t, &e)
	if r.StatusCode != status || e.Error.Code != code || e.Error.Status != status || e.Error.Message == "" ||
		e.Error.RequestID != r.Header.Get("X-Request-Id") || r.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("%s %s = %d %s, want %d %s in the error shape", r.Request.Method, r.Request.URL.Path,
			r.StatusCode, r.Body, status, code)
	}
	return e
}

// gitlab sends a GitLab API request as the admin, failing on an error.
func gitlab(t *testing.T, s *servertest.Server, method, path string, body any) *servertest.Response {
	t.Helper()
	r := s.Do(t, method, "/api/v4"+path, s.AdminToken, body)
	if r.StatusCode >= 300 {
		t.Fatalf("%s %s: %d %s", method, path, r.StatusCode, r.Body)
	}
	return r
}

// project makes a project path (namespace/name) with a README and files.
func project(t *testing.T, s *servertest.Server, namespace, name string, files map[string]string) {
	t.Helper()
	body := map[string]any{"name": name, "initialize_with_readme": true, "visibility": "private"}
	if namespace != "root" {
		var ns struct{ ID int64 }
		gitlab(t, s, "GET", "/namespaces/"+strings.ReplaceAll(namespace, "/", "%2F"), nil).JSON(t, &ns)
		body["namespace_id"] = ns.ID
	}
	gitlab(t, s, "POST", "/projects", body)
	if len(files) == 0 {
		return
	}
	var actions []map[string]any
	for p, c := range files {
		actions = append(actions, map[string]any{"action": "create", "file_path": p, "content": c})
	}
	gitlab(t, s, "POST", "/projects/"+strings.ReplaceAll(namespace+"/"+name, "/", "%2F")+"/repository/commits",
		map[string]any{"branch": "main", "commit_message": "add files", "actions": actions})
}

// waitRun polls a run until it is final.
func waitRun(t *testing.T, s *servertest.Server, token string, id int64) runJSON {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var r runJSON
		resp := call(t, s, "GET", "/agents/runs/"+strconv.FormatInt(id, 10), token, nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("get run %d: %d %s", id, resp.StatusCode, resp.Body)
		}
		resp.JSON(t, &r)
		if r.Status != "queued" && r.Status != "running" {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("run %d is still %s", id, r.Status)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func startRun(t *testing.T, s *servertest.Server, token string, body map[string]any) runJSON {
	t.Helper()
	resp := call(t, s, "POST", "/agents/runs", token, body)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("start %v: %d %s", body, resp.StatusCode, resp.Body)
	}
	var r runJSON
	resp.JSON(t, &r)
	if resp.Header.Get("Location") != r.URL {
		t.Errorf("Location %q, url %q", resp.Header.Get("Location"), r.URL)
	}
	return r
}

func TestEveryEndpointButTheDescriptionNeedsABearerToken(t *testing.T) {
	s := servertest.New(t)
	for _, tt := range []struct {
		name    string
		path    string
		headers []string
	}{
		{"no credentials", "/agents", nil},
		{"PRIVATE-TOKEN header", "/agents", []string{"PRIVATE-TOKEN", s.AdminToken}},
		{"query token", "/agents?private_token=" + s.AdminToken, nil},
		{"access_token query", "/agents/runs?access_token=" + s.AdminToken, nil},
		{"basic auth", "/agents", []string{"Authorization", "Basic " + basic("root", s.AdminToken)}},
		{"unknown bearer token", "/agents", []string{"Authorization", "Bearer cairn_pat_nope"}},
		{"empty bearer", "/agents/runs/1", []string{"Authorization", "Bearer "}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := call(t, s, "GET", tt.path, "", nil, tt.headers...)
			wantError(t, r, http.StatusUnauthorized, "unauthorized")
			if r.Header.Get("WWW-Authenticate") == "" {
				t.Error("no WWW-Authenticate")
			}
		})
	}
	r := call(t, s, "GET", "/agents", s.AdminToken, nil)
	if r.StatusCode != http.StatusOK || r.Header.Get("X-RateLimit-Limit") == "" ||
		r.Header.Get("X-RateLimit-Remaining") == "" {
		t.Errorf("with a Bearer token: %d, rate limit headers %q", r.StatusCode, r.Header.Get("X-RateLimit-Limit"))
	}
	var agents struct {
		Agents []struct {
			Name       string
			Type       string
			RunsOn     string `json:"runs_on"`
			Parameters []struct{ Name, Type string }
		}
	}
	r.JSON(t, &agents)
	var names []string
	for _, a := range agents.Agents {
		names = append(names, a.Name+"/"+a.Type+"/"+a.RunsOn)
	}
	if strings.Join(names,
		" ") != "release-notes/builtin/ref review/builtin/merge_request secret-scan/builtin/ref stats/builtin/ref" {
		t.Errorf("agents: %v", names)
	}
	if r := call(t, s, "GET", "/openapi.json", "", nil); r.StatusCode != http.StatusOK {
		t.Errorf("openapi.json without a token: %d", r.StatusCode)
	}
}

func basic(user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
}

func TestReadOnlyTokensReadRunsButTracksWriteStartsThem(t *testing.T) {
	s := servertest.New(t)
	project(t, s, "root", "site", nil)
	uid, readOnly := s.CreateUser(t, "reader", "read_api")
	_, runner := s.CreateUser(t, "runner", "tracks_write")
	for _, u := range []string{strconv.FormatInt(uid, 10), "3"} {
		gitlab(t, s, "POST", "/projects/root%2Fsite/members", map[string]any{"user_id": u, "access_level": 30})
	}
	run := map[string]any{"repository": "root/site", "agent": "stats"}

	e := wantError(t, call(t, s, "POST", "/agents/runs", readOnly, run), http.StatusForbidden, "forbidden")
	if e.Error.Details["required_scope"] != "tracks_write" {
		t.Errorf("403 details: %v", e.Error.Details)
	}
	started := startRun(t, s, runner, run)
	if started.Status != "queued" || started.Repository != "root/site" || started.RequestedBy.Username != "runner" ||
		!started.CanCancel || started.Ref != "main" || len(started.SHA) != 40 {
		t.Errorf("started: %+v", started)
	}
	byAdmin := startRun(t, s, s.AdminToken, run)

	for _, tok := range []string{readOnly, runner} {
		if r := call(t, s, "GET", "/agents/runs/"+strconv.FormatInt(byAdmin.ID, 10), tok,
			nil); r.StatusCode != http.StatusOK {
			t.Errorf("reading a run: %d %s", r.StatusCode, r.Body)
		}
		var list runListJSON
		r := call(t, s, "GET", "/agents/runs", tok, nil)
		r.JSON(t, &list)
		if r.StatusCode != http.StatusOK || list.Pagination.Total != 2 {
			t.Errorf("listing runs: %d %s", r.StatusCode, r.Body)
		}
	}
	wantError(t, call(t, s, "POST", "/agents/runs/"+strconv.FormatInt(byAdmin.ID, 10)+"/cancel", readOnly, nil),
		http.StatusForbidden, "forbidden")
	// A developer who did not start the run may not cancel it; who did may.
	if waitRun(t, s, runner, byAdmin.ID).Status != "succeeded" {
		t.Error("admin's run did not succeed")
	}

	// A user who may not see a private project gets 404, never 403.
	_, stranger := s.CreateUser(t, "stranger", "api")
	wantError(t, call(t, s, "POST", "/agents/runs", stranger, run), http.StatusNotFound, "not_found")
	wantError(t, call(t, s, "GET", "/agents/runs/"+strconv.FormatInt(byAdmin.ID, 10), stranger, nil),
		http.StatusNotFound, "not_found")
	var list runListJSON
	call(t, s, "GET", "/agents/runs", stranger, nil).JSON(t, &list)
	if list.Pagination.Total != 0 || len(list.Runs) != 0 {
		t.Errorf("a stranger lists %d runs", list.Pagination.Total)
	}
}

func TestARunGoesFromQueuedToSucceededWithItsLogAndResult(t *testing.T) {
	s := servertest.New(t)
	project(t, s, "root", "leaky", map[string]string{"app.env": "AWS_ACCESS_KEY_ID=AKIAQ3EGRTWPZ5LX7NMB\n"})
	r := startRun(t, s, s.AdminToken, map[string]any{"repository": "root/leaky", "agent": "secret-scan",
		"params": map[string]any{"max_file_size": 1000000}})
	if string(r.Params) != `{"max_file_size":1000000}` || r.MergeRequest != nil || string(r.Result) != "null" {
		t.Errorf("created: params %s, merge_request %v, result %s", r.Params, r.MergeRequest, r.Result)
	}
	done := waitRun(t, s, s.AdminToken, r.ID)
	if done.Status != "succeeded" || done.FindingsCount != 1 || len(done.Findings) != 1 || done.CanCancel {
		t.Fatalf("done: %+v", done)
	}
	f := done.Findings[0]
	if f.Path != "app.env" || f.Line != 1 || f.Rule != "aws-access-token" || f.Severity != "critical" ||
		strings.Contains(f.Message, "AKIAQ3EGRTWPZ5LX7NMB") {
		t.Errorf("finding: %+v", f)
	}
	var log struct {
		ID        int64
		Status    string
		Log       string
		Truncated bool
	}
	resp := call(t, s, "GET", "/agents/runs/"+strconv.FormatInt(r.ID, 10)+"/log", s.AdminToken, nil)
	resp.JSON(t, &log)
	if resp.StatusCode != http.StatusOK || log.Status != "succeeded" ||
		!strings.Contains(log.Log, "[cairn] the agent succeeded") {
		t.Errorf("log: %d %s", resp.StatusCode, resp.Body)
	}
	wantError(t, call(t, s, "POST", "/agents/runs/"+strconv.FormatInt(r.ID, 10)+"/cancel", s.AdminToken, nil),
		http.StatusBadRequest, "run_not_cancelable")
}

func TestRunsAreListedWithFiltersAndPages(t *testing.T) {
	s := servertest.New(t)
	project(t, s, "root", "a", nil)
	project(t, s, "root", "b", nil)
	var ids []int64
	for _, spec := range []struct{ repo, agent string }{{"root/a", "stats"}, {"root/b", "stats"},
		{"root/a", "secret-scan"}} {
		ids = append(ids, startRun(t, s, s.AdminToken, map[string]any{"repository": spec.repo, "agent": spec.agent}).ID)
	}
	for _, id := range ids {
		waitRun(t, s, s.AdminToken, id)
	}
	tests := []struct {
		query string
		want  []int64
	}{
		{"", []int64{ids[2], ids[1], ids[0]}},
		{"?repository=root/a", []int64{ids[2], ids[0]}},
		{"?repository=http://" + strings.TrimPrefix(s.URL, "http://") + "/root/b.git", []int64{ids[1]}},
		{"?agent=stats", []int64{ids[1], ids[0]}},
		{"?status=succeeded&agent=secret-scan", []int64{ids[2]}},
		{"?status=failed", nil},
		{"?per_page=2&page=2", []int64{ids[0]}},
	}
	for _, tt := range tests {
		r := call(t, s, "GET", "/agents/runs"+tt.query, s.AdminToken, nil)
		var list runListJSON
		r.JSON(t, &list)
		var got []int64
		for _, run := range list.Runs {
			got = append(got, run.ID)
		}
		if r.StatusCode != http.StatusOK || fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("%s: %d %v, want %v", tt.query, r.StatusCode, got, tt.want)
		}
	}
	r := call(t, s, "GET", "/agents/runs?per_page=2", s.AdminToken, nil)
	if r.Header.Get("X-Total") != "3" || r.Header.Get("X-Total-Pages") != "2" ||
		!strings.Contains(r.Header.Get("Link"), `rel="next"`) {
		t.Errorf("page headers: %v", r.Header)
	}
	wantError(t, call(t, s, "GET", "/agents/runs?status=done", s.AdminToken, nil), http.StatusBadRequest, "bad_request")
	wantError(t, call(t, s, "GET", "/agents/runs?repository=root/nope", s.AdminToken, nil),
		http.StatusNotFound, "not_found")
}

func TestEveryRepositoryFormatResolves(t *testing.T) {
	s := servertest.New(t)
	for _, g := range []string{"acme", "beta"} {
		gitlab(t, s, "POST", "/groups", map[string]any{"name": g, "path": g})
	}
	var acme struct{ ID int64 }
	gitlab(t, s, "GET", "/groups/acme", nil).JSON(t, &acme)
	gitlab(t, s, "POST", "/groups", map[string]any{"name": "web", "path": "web", "parent_id": acme.ID})
	project(t, s, "acme/web", "portal", nil)
	project(t, s, "acme", "site", nil)
	project(t, s, "beta", "site", nil)
	host := strings.TrimPrefix(s.URL, "http://")
	tests := []struct {
		repository, want string
	}{
		{"acme/site", "acme/site"},
		{"acme/web/portal", "acme/web/portal"},
		{"http://" + host + "/acme/web/portal", "acme/web/portal"},
		{"http://" + host + "/acme/web/portal.git", "acme/web/portal"},
		{"https://" + host + "/beta/site/", "beta/site"},
		{"portal", "acme/web/portal"},
	}
	for _, tt := range tests {
		r := startRun(t, s, s.AdminToken, map[string]any{"repository": tt.repository, "agent": "stats"})
		if r.Repository != tt.want || r.RepositoryURL != s.URL+"/"+tt.want {
			t.Errorf("%s: repository %s (%s), want %s", tt.repository, r.Repository, r.RepositoryURL, tt.want)
		}
	}
	e := wantError(t,
		call(t, s, "POST", "/agents/runs", s.AdminToken, map[string]any{"repository": "site", "agent": "stats"}),
		http.StatusBadRequest, "ambiguous_repository")
	if fmt.Sprint(e.Error.Details["candidates"]) != "[acme/site beta/site]" ||
		!strings.Contains(e.Error.Message, "acme/site, beta/site") {
		t.Errorf("ambiguous: %+v", e.Error)
	}
	// Candidates are only what the caller may see.
	_, dev := s.CreateUser(t, "dev", "tracks_write")
	gitlab(t, s, "POST", "/projects/beta%2Fsite/members", map[string]any{"user_id": 2, "access_level": 30})
	if r := startRun(t, s, dev, map[string]any{"repository": "site", "agent": "stats"}); r.Repository != "beta/site" {
		t.Errorf("dev's site: %s", r.Repository)
	}
	for _, tt := range []struct {
		body   any
		status int
		code   string
	}{
		{map[string]any{"repository": "nowhere", "agent": "stats"}, 404, "not_found"},
		{map[string]any{"repository": "acme/nowhere", "agent": "stats"}, 404, "not_found"},
		{map[string]any{"repository": "https://github.com/acme/site", "agent": "stats"}, 400, "bad_request"},
		{map[string]any{"repository": "acme//site", "agent": "stats"}, 400, "bad_request"},
		{map[string]any{"agent": "stats"}, 400, "bad_request"},
		{map[string]any{"repository": "acme/site"}, 400, "bad_request"},
		{map[string]any{"repository": "acme/site", "agent": "nope"}, 404, "not_found"},
		{map[string]any{"repository": "acme/site", "agent": "stats", "ref": "nope"}, 400, "bad_request"},
		{map[string]any{"repository": "acme/site", "agent": "stats", "params": map[string]any{"x": 1}}, 400,
			"invalid_parameters"},
		{map[string]any{"repository": "acme/site", "agent": "stats", "params": "not an object"}, 400, "bad_request"},
		{map[string]any{"repository": "acme/site", "agent": "review"}, 400, "bad_request"},
		{map[string]any{"repository": "acme/site", "agent": "review", "merge_request": 7}, 404, "not_found"},
		{[]byte(`{"repository": `), 400, "bad_request"},
	} {
		wantError(t, call(t, s, "POST", "/agents/runs", s.AdminToken, tt.body), tt.status, tt.code)
	}
}

func TestUnknownRunsAndRoutesAreNotFound(t *testing.T) {
	s := servertest.New(t)
	for _, tt := range []struct{ method, path, code string }{
		{"GET", "/agents/runs/999", "not_found"},
		{"GET", "/agents/runs/abc", "not_found"},
		{"GET", "/agents/runs/-1/log", "not_found"},
		{"POST", "/agents/runs/999/cancel", "not_found"},
		{"GET", "/agents/nope", "no_such_endpoint"},
		{"DELETE", "/agents/runs/1", "no_such_endpoint"},
		{"PUT", "/agents", "no_such_endpoint"},
	} {
		wantError(t, call(t, s, tt.method, tt.path, s.AdminToken, nil), http.StatusNotFound, tt.code)
	}
}

// The description lists exactly the routes the router serves: each documented operation
// answers (not "no such endpoint") with one of its documented statuses, and each other
// method on a documented path, and each undocumented path, is no such endpoint.
func TestOpenAPIDescribesTheRoutesTheRouterServes(t *testing.T) {
	s := servertest.New(t)
	project(t, s, "root", "site", nil)
	run := startRun(t, s, s.AdminToken, map[string]any{"repository": "root/site", "agent": "stats"})
	waitRun(t, s, s.AdminToken, run.ID)
	var doc struct {
		OpenAPI string `json:"openapi"`
		Paths   map[string]map[string]struct {
			OperationID string                     `json:"operationId"`
			Responses   map[string]json.RawMessage `json:"responses"`
		} `json:"paths"`
		Components struct {
			Schemas map[string]json.RawMessage `json:"schemas"`
		} `json:"components"`
	}
	call(t, s, "GET", "/openapi.json", "", nil).JSON(t, &doc)
	if doc.OpenAPI != "3.1.0" || len(doc.Paths) == 0 || doc.Components.Schemas["Run"] == nil ||
		doc.Components.Schemas["Error"] == nil {
		t.Fatalf("description: %+v", doc)
	}
	var served []string
	for path, ops := range doc.Paths {
		concrete := strings.ReplaceAll(path, "{id}", strconv.FormatInt(run.ID, 10))
		for _, method := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
			op, documented := ops[strings.ToLower(method)]
			var body any
			if method == "POST" && path == "/agents/runs" {
				body = map[string]any{"repository": "root/site", "agent": "stats"}
			}
			r := call(t, s, method, concrete, s.AdminToken, body)
			var e errorJSON
			_ = json.Unmarshal(r.Body, &e)
			noRoute := e.Error.Code == "no_such_endpoint"
			switch {
			case documented && noRoute:
				t.Errorf("%s %s is documented but not served", method, path)
			case !documented && !noRoute:
				t.Errorf("%s %s is served (%d) but not documented", method, path, r.StatusCode)
			case documented && op.Responses[strconv.Itoa(r.StatusCode)] == nil:
				t.Errorf("%s %s answered %d, which is not documented", method, path, r.StatusCode)
			}
			if documented {
				served = append(served, method+" "+path)
			}
		}
	}
	if len(served) != 7 {
		t.Errorf("documented operations: %v", served)
	}
	for _, path := range []string{"/", "/agents/runs/1/findings", "/runs", "/agents/run"} {
		wantError(t, call(t, s, "GET", path, s.AdminToken, nil), http.StatusNotFound, "no_such_endpoint")
	}
}

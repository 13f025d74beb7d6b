package opencodehub_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/cairn-forge/cairn/server/servertest"
)

// The envelopes and entities as a client decodes them.
type (
	metaJSON struct {
		Timestamp  string `json:"timestamp"`
		RequestID  string `json:"request_id"`
		Page       int    `json:"page"`
		PerPage    int    `json:"per_page"`
		Total      *int   `json:"total"`
		TotalPages int    `json:"total_pages"`
	}
	errorJSON struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
			Details *struct {
				Field      string `json:"field"`
				Constraint string `json:"constraint"`
			} `json:"details"`
		} `json:"error"`
		Meta metaJSON `json:"meta"`
	}
	ownerJSON struct {
		ID       string `json:"id"`
		Username string `json:"username"`
		Type     string `json:"type"`
	}
	repoJSON struct {
		ID            string    `json:"id"`
		Name          string    `json:"name"`
		FullName      string    `json:"full_name"`
		Description   string    `json:"description"`
		Owner         ownerJSON `json:"owner"`
		Visibility    string    `json:"visibility"`
		Private       bool      `json:"private"`
		DefaultBranch string    `json:"default_branch"`
		Empty         bool      `json:"empty"`
		CloneURL      string    `json:"clone_url"`
		WebURL        string    `json:"web_url"`
		URL           string    `json:"url"`
		CreatedAt     string    `json:"created_at"`
		UpdatedAt     string    `json:"updated_at"`
	}
	branchJSON struct {
		Ref string  `json:"ref"`
		SHA *string `json:"sha"`
	}
	pullJSON struct {
		ID             string     `json:"id"`
		Number         int64      `json:"number"`
		Title          string     `json:"title"`
		Body           string     `json:"body"`
		State          string     `json:"state"`
		Draft          bool       `json:"draft"`
		Head           branchJSON `json:"head"`
		Base           branchJSON `json:"base"`
		User           ownerJSON  `json:"user"`
		Mergeable      *bool      `json:"mergeable"`
		MergeableState string     `json:"mergeable_state"`
		Merged         bool       `json:"merged"`
		MergedAt       *string    `json:"merged_at"`
		MergedBy       *ownerJSON `json:"merged_by"`
		MergeCommitSHA *string    `json:"merge_commit_sha"`
		ChangedFiles   *int       `json:"changed_files"`
		URL            string     `json:"url"`
		CreatedAt      string     `json:"created_at"`
		UpdatedAt      string     `json:"updated_at"`
	}
)

// envelope decodes a success response: data as a T, and meta.
type envelope[T any] struct {
	Data T        `json:"data"`
	Meta metaJSON `json:"meta"`
}

// call sends a request the way the seed's curl examples do: the token as a Bearer
// credential, the body as JSON text.
func call(t *testing.T, s *servertest.Server, method, path, token string, body string,
	headers ...string) *servertest.Response {
	t.Helper()
	var b any
	if body != "" {
		b = []byte(body)
	}
	if token != "" {
		headers = append(headers, "Authorization", "Bearer "+token)
	}
	return s.Do(t, method, path, "", b, headers...)
}

// ok decodes a success envelope, failing unless the response has status code, is JSON, and
// carries the envelope's timestamp.
func ok[T any](t *testing.T, r *servertest.Response, code int) envelope[T] {
	t.Helper()
	wantStatus(t, r, code)
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("%s %s: Content-Type %q", r.Request.Method, r.Request.URL, ct)
	}
	var env envelope[T]
	r.JSON(t, &env)
	wantTimestamp(t, env.Meta.Timestamp)
	var raw map[string]json.RawMessage
	r.JSON(t, &raw)
	if _, has := raw["data"]; !has || len(raw) != 2 {
		t.Fatalf("%s %s: not a {data, meta} envelope: %s", r.Request.Method, r.Request.URL, r.Body)
	}
	return env
}

// fails decodes an error response, failing unless it has status code and the seed's shape:
// the code, the details' field and constraint, and the request id in meta.
func fails(t *testing.T, r *servertest.Response, status int, code, field, constraint string) errorJSON {
	t.Helper()
	wantStatus(t, r, status)
	var e errorJSON
	r.JSON(t, &e)
	if e.Error.Code != code || e.Error.Message == "" {
		t.Fatalf("%s %s: error %+v, want code %s; body %s", r.Request.Method, r.Request.URL, e.Error, code, r.Body)
	}
	if e.Error.Details == nil {
		t.Fatalf("%s %s: no details: %s", r.Request.Method, r.Request.URL, r.Body)
	}
	if e.Error.Details.Field != field || e.Error.Details.Constraint != constraint {
		t.Fatalf("%s %s: details %+v, want field %q constraint %q", r.Request.Method, r.Request.URL,
			*e.Error.Details, field, constraint)
	}
	wantTimestamp(t, e.Meta.Timestamp)
	if id := r.Header.Get("X-Request-Id"); id == "" || e.Meta.RequestID != id {
		t.Fatalf("meta.request_id %q, X-Request-Id %q", e.Meta.RequestID, id)
	}
	return e
}

func wantStatus(t *testing.T, r *servertest.Response, code int) {
	t.Helper()
	if r.StatusCode != code {
		t.Fatalf("%s %s: status %d, want %d; body %s", r.Request.Method, r.Request.URL, r.StatusCode, code, r.Body)
	}
}

// wantTimestamp checks an RFC 3339 UTC time close to now.
func wantTimestamp(t *testing.T, s string) {
	t.Helper()
	ts, err := time.Parse(time.RFC3339, s)
	if err != nil || ts.Location() != time.UTC || time.Since(ts) > time.Minute || time.Until(ts) > time.Minute {
		t.Fatalf("timestamp %q is not RFC 3339 UTC and now (%v)", s, err)
	}
}

// gitlabCall sends a request to the GitLab dialect, failing unless it answers code.
func gitlabCall(t *testing.T, s *servertest.Server, code int, method, path, token string,
	body any) *servertest.Response {
	t.Helper()
	r := s.Do(t, method, "/api/v4"+path, token, body)
	wantStatus(t, r, code)
	return r
}

// commit writes files to a branch through the GitLab commits API, starting the branch from
// start when it is new; it returns the commit's sha.
func commit(t *testing.T, s *servertest.Server, token, project, branch, start string, files map[string]string) string {
	t.Helper()
	var actions []any
	for path, content := range files {
		action := "create"
		if r := s.Do(t, "GET", "/api/v4/projects/"+url.PathEscape(project)+
			"/repository/files/"+url.PathEscape(path)+"?ref="+refOr(start, branch), token,
			nil); r.StatusCode == http.StatusOK {
			action = "update"
		}
		actions = append(actions, map[string]any{"action": action, "file_path": path, "content": content})
	}
	body := map[string]any{"branch": branch, "commit_message": "change " + branch, "actions": actions}
	if start != "" {
		body["start_branch"] = start
	}
	var c struct{ ID string }
	gitlabCall(t, s, http.StatusCreated, "POST", "/projects/"+url.PathEscape(project)+"/repository/commits",
		token, body).JSON(t, &c)
	return c.ID
}

func refOr(start, branch string) string {
	if start != "" {
		return url.QueryEscape(start)
	}
	return url.QueryEscape(branch)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

package gitlab_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cairn-forge/cairn/server/servertest"
)

// A review run through the Gitar API leaves its findings as notes on the merge request,
// which GitLab clients read as any note; the project lists its runs.
func TestReviewFindingsAreMergeRequestNotesAndRunsAreListedOnTheProject(t *testing.T) {
	s := servertest.New(t)
	tok := s.AdminToken
	must := func(r *servertest.Response, status int) *servertest.Response {
		t.Helper()
		if r.StatusCode != status {
			t.Fatalf("%s %s: %d %s", r.Request.Method, r.Request.URL, r.StatusCode, r.Body)
		}
		return r
	}
	must(s.Do(t, "POST", "/api/v4/projects", tok, map[string]any{"name": "web", "initialize_with_readme": true}), 201)
	must(s.Do(t, "POST", "/api/v4/projects/root%2Fweb/repository/commits", tok, map[string]any{
		"branch": "change", "start_branch": "main", "commit_message": "debugging",
		"actions": []map[string]any{{"action": "create", "file_path": "app.js",
			"content": "console.log('here');\n"}}}), 201)
	must(s.Do(t, "POST", "/api/v4/projects/root%2Fweb/merge_requests", tok, map[string]any{
		"source_branch": "change", "target_branch": "main", "title": "Change"}), 201)

	var run struct{ ID int64 }
	must(s.Do(t, "POST", "/v1/external/agents/runs", "", map[string]any{"repository": "root/web", "agent": "review",
		"merge_request": 1}, "Authorization", "Bearer "+tok), 201).JSON(t, &run)
	var list []struct {
		ID              int64  `json:"id"`
		Agent           string `json:"agent"`
		Status          string `json:"status"`
		MergeRequestIID *int64 `json:"merge_request_iid"`
		FindingsCount   int    `json:"findings_count"`
		User            struct{ Username string }
		URL             string `json:"url"`
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := must(s.Do(t, "GET", "/api/v4/projects/root%2Fweb/agent_runs", tok, nil), 200)
		r.JSON(t, &list)
		if len(list) == 1 && list[0].Status == "succeeded" {
			if r.Header.Get("X-Total") != "1" {
				t.Errorf("X-Total = %q", r.Header.Get("X-Total"))
			}
			break
		}
		if time.Now().After(deadline) || len(list) == 1 && list[0].Status != "queued" && list[0].Status != "running" {
			t.Fatalf("runs: %s", r.Body)
		}
		time.Sleep(10 * time.Millisecond)
	}
	got := list[0]
	if got.ID != run.ID || got.Agent != "review" || got.MergeRequestIID == nil || *got.MergeRequestIID != 1 ||
		got.FindingsCount != 1 || got.User.Username != "root" || got.URL != s.URL+
		"/v1/external/agents/runs/"+strconv.FormatInt(run.ID, 10) {
		t.Errorf("run: %+v", got)
	}
	var notes []struct {
		Body   string
		System bool
		Author struct{ Username string }
	}
	must(s.Do(t, "GET", "/api/v4/projects/root%2Fweb/merge_requests/1/notes", tok, nil), 200).JSON(t, &notes)
	if len(notes) != 1 || notes[0].System || !strings.Contains(notes[0].Body, "`app.js:1`") ||
		!strings.Contains(notes[0].Body, "Debug leftover") || notes[0].Author.Username != "root" {
		t.Errorf("notes: %+v", notes)
	}

	// Runs are seen by whoever may read the project's code.
	_, stranger := s.CreateUser(t, "stranger")
	if r := s.Do(t, "GET", "/api/v4/projects/root%2Fweb/agent_runs", stranger,
		nil); r.StatusCode != http.StatusNotFound {
		t.Errorf("a stranger listing a private project's runs: %d", r.StatusCode)
	}
	if r := s.Do(t, "GET", "/api/v4/projects/root%2Fweb/agent_runs?status=nope", tok,
		nil); r.StatusCode != http.StatusBadRequest {
		t.Errorf("bad status filter: %d", r.StatusCode)
	}
}

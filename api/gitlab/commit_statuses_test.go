package gitlab_test

import (
	"net/http"
	"testing"
)

type commitStatusJSON struct {
	ID           int64    `json:"id"`
	SHA          string   `json:"sha"`
	Ref          string   `json:"ref"`
	Status       string   `json:"status"`
	Name         string   `json:"name"`
	TargetURL    *string  `json:"target_url"`
	Description  *string  `json:"description"`
	CreatedAt    string   `json:"created_at"`
	StartedAt    *string  `json:"started_at"`
	FinishedAt   *string  `json:"finished_at"`
	AllowFailure *bool    `json:"allow_failure"`
	Coverage     *float64 `json:"coverage"`
	PipelineID   int64    `json:"pipeline_id"`
	Author       userJSON `json:"author"`
}

type commitDetailJSON struct {
	ID           string  `json:"id"`
	Status       *string `json:"status"`
	LastPipeline *struct {
		ID        int64  `json:"id"`
		IID       int64  `json:"iid"`
		ProjectID int64  `json:"project_id"`
		SHA       string `json:"sha"`
		Ref       string `json:"ref"`
		Status    string `json:"status"`
		Source    string `json:"source"`
		WebURL    string `json:"web_url"`
	} `json:"last_pipeline"`
}

func (f *repoFixture) postStatus(token, sha string, body map[string]any) commitStatusJSON {
	f.t.Helper()
	return decode[commitStatusJSON](f.t,
		mustDo(f.t, f.s, http.StatusCreated, "POST", f.url("/statuses/"+sha), token, body))
}

// A status moves through GitLab's states while pending or running, a finished one is
// replaced by the next report of its name, and the commit shows its pipeline's summary.
func TestCommitStatusLifecycle(t *testing.T) {
	f := newRepoFixture(t, nil)
	dev := f.member("dev", 30)
	sha := f.commit("main", "build me", create("a.txt", "a\n")).ID

	st := f.postStatus(dev, sha, map[string]any{"state": "pending", "name": "ci/build",
		"target_url": "https://ci.example.com/1", "description": "queued"})
	if st.Status != "pending" || st.SHA != sha || st.Ref != "main" || st.Name != "ci/build" ||
		st.TargetURL == nil || *st.TargetURL != "https://ci.example.com/1" || st.Description == nil ||
		st.Author.Username != "dev" || st.PipelineID == 0 || st.StartedAt != nil || st.FinishedAt != nil ||
		st.AllowFailure == nil || *st.AllowFailure || st.Coverage != nil {
		t.Fatalf("pending status: %+v", st)
	}
	running := f.postStatus(dev, sha, map[string]any{"state": "running", "name": "ci/build", "coverage": 81.5})
	if running.ID != st.ID || running.Status != "running" || running.StartedAt == nil || running.Coverage == nil ||
		*running.Coverage != 81.5 || running.TargetURL == nil {
		t.Fatalf("running status: %+v", running)
	}
	wantJSON(t, f.do("POST", "/statuses/"+sha, dev, map[string]any{"state": "running", "name": "ci/build"}), 400,
		`{"message":"Cannot transition status via :run from :running (Reason(s): Status cannot transition via \"run\")"}`)
	wantJSON(t, f.do("POST", "/statuses/"+sha, dev, map[string]any{"state": "pending", "name": "ci/build"}), 400,
		`{"message":"Cannot transition status via :enqueue from :running (Reason(s): Status cannot transition via \"enqueue\")"}`)
	done := f.postStatus(dev, sha, map[string]any{"state": "success", "name": "ci/build"})
	if done.ID != st.ID || done.Status != "success" || done.FinishedAt == nil {
		t.Fatalf("finished status: %+v", done)
	}
	// context names a status as name does; a finished one is replaced by a new report.
	again := f.postStatus(dev, sha, map[string]any{"state": "failed", "context": "ci/build"})
	if again.ID == st.ID || again.Status != "failed" || again.PipelineID != st.PipelineID {
		t.Fatalf("a report after the finish: %+v", again)
	}
	f.postStatus(dev, sha, map[string]any{"state": "success"}) // "default"

	var latest []commitStatusJSON
	f.do("GET", "/repository/commits/"+sha+"/statuses", dev, nil).JSON(t, &latest)
	if len(latest) != 2 || latest[0].ID != again.ID || latest[1].Name != "default" {
		t.Fatalf("latest statuses: %+v", latest)
	}
	r := mustDo(t, f.s, 200, "GET", f.url("/repository/commits/"+sha+"/statuses?all=true&per_page=2"), dev, nil)
	if r.Header.Get("X-Total") != "3" || r.Header.Get("X-Next-Page") != "2" || len(names(t, r, "name")) != 2 {
		t.Fatalf("all statuses: %v %s", r.Header, r.Body)
	}
	if got := names(t,
		mustDo(t, f.s, 200, "GET", f.url("/repository/commits/"+sha+"/statuses?name=default"), dev, nil),
		"name"); len(got) != 1 {
		t.Fatalf("statuses named default: %v", got)
	}
	if got := names(t,
		mustDo(t, f.s, 200, "GET", f.url("/repository/commits/"+sha+"/statuses?ref=other"), dev, nil),
		"name"); len(got) != 0 {
		t.Fatalf("statuses of another ref: %v", got)
	}

	// The commit shows its pipeline: one failed and one passed status fail it.
	c := decode[commitDetailJSON](t, mustDo(t, f.s, 200, "GET", f.url("/repository/commits/"+sha), dev, nil))
	if c.Status == nil || *c.Status != "failed" || c.LastPipeline == nil || c.LastPipeline.ID != st.PipelineID ||
		c.LastPipeline.IID != 1 || c.LastPipeline.SHA != sha || c.LastPipeline.Ref != "main" ||
		c.LastPipeline.Source != "external" || c.LastPipeline.ProjectID != f.id ||
		c.LastPipeline.WebURL != f.web+"/-/pipelines/"+itoa(st.PipelineID) {
		t.Fatalf("commit's pipeline: %+v", c.LastPipeline)
	}
	// A commit nobody reported on has neither.
	wantJSONField(t, mustDo(t, f.s, 200, "GET", f.url("/repository/commits/main~1"), dev, nil), "last_pipeline", nil)
}

// wantJSONField fails unless r's JSON object has key with value want (nil for null).
func wantJSONField(t *testing.T, r interface{ JSON(testing.TB, any) }, key string, want any) {
	t.Helper()
	var m map[string]any
	r.JSON(t, &m)
	got, ok := m[key]
	if !ok || got != want {
		t.Fatalf("%s: %v (present %v), want %v", key, got, ok, want)
	}
}

func TestPipelineStatusSummarisesItsStatuses(t *testing.T) {
	f := newRepoFixture(t, nil)
	sha := f.commit("main", "c", create("a.txt", "a\n")).ID
	for _, step := range []struct {
		name, state, want string
	}{
		{"a", "pending", "pending"},
		{"b", "running", "running"},
		{"a", "success", "running"},
		{"b", "success", "success"},
		{"c", "canceled", "canceled"},
		{"d", "skipped", "canceled"},
		{"e", "failed", "failed"},
	} {
		f.postStatus(f.token, sha, map[string]any{"state": step.state, "name": step.name})
		c := decode[commitDetailJSON](t, mustDo(t, f.s, 200, "GET", f.url("/repository/commits/"+sha), f.token, nil))
		if c.Status == nil || *c.Status != step.want {
			t.Fatalf("after %s %s: %v, want %s", step.name, step.state, c.Status, step.want)
		}
	}
}

func TestCommitStatusRefusals(t *testing.T) {
	f := newRepoFixture(t, nil)
	sha := f.commit("main", "c", create("a.txt", "a\n")).ID
	wantRefused(t, f.s, f.token, f.url(""), []refusal{
		{"no state", "POST", "/statuses/" + sha, map[string]any{"name": "x"}, `{"error":"state is missing"}`},
		{"an unknown state", "POST", "/statuses/" + sha, map[string]any{"state": "done"},
			`{"error":"state does not have a valid value"}`},
		{"a coverage that is no number", "POST", "/statuses/" + sha,
			map[string]any{"state": "pending", "coverage": "lots"}, `{"error":"coverage is invalid"}`},
		{"a target that is no URL", "POST", "/statuses/" + sha,
			map[string]any{"state": "pending", "target_url": "not a url"},
			`{"message":{"target_url":["must be a valid URL"]}}`},
		{"a target of another scheme", "POST", "/statuses/" + sha,
			map[string]any{"state": "pending", "target_url": "javascript://x/alert(1)"},
			`{"message":{"target_url":["is blocked: Only allowed schemes are http, https"]}}`},
	})
	wantJSON(t,
		f.do("POST", "/statuses/0123456789012345678901234567890123456789", f.token, map[string]any{"state": "pending"}),
		404, `{"message":"404 Commit Not Found"}`)
	wantJSON(t, f.do("GET", "/repository/commits/nosuch/statuses", f.token, nil), 404,
		`{"message":"404 Commit Not Found"}`)
	wantJSON(t, f.do("POST", "/statuses/"+sha, f.token, map[string]any{"state": "pending", "pipeline_id": 999}),
		404, `{"message":"404 Pipeline for pipeline_id, sha and ref Not Found"}`)

	// A commit on no branch needs its ref named.
	mustDo(t, f.s, 201, "POST", f.url("/repository/branches"), f.token, map[string]any{"branch": "gone", "ref": "main"})
	lone := f.commit("gone", "lone", create("b.txt", "b\n")).ID
	mustDo(t, f.s, 204, "DELETE", f.url("/repository/branches/gone"), f.token, nil)
	wantJSON(t, f.do("POST", "/statuses/"+lone, f.token, map[string]any{"state": "pending"}),
		404, `{"message":"404 References for commit Not Found"}`)
	st := f.postStatus(f.token, lone, map[string]any{"state": "pending", "ref": "gone"})
	if st.Ref != "gone" {
		t.Fatalf("status on a named ref: %+v", st)
	}
	// Without a ref, a commit's newest pipeline gives it.
	if again := f.postStatus(f.token, lone, map[string]any{"state": "success"}); again.ID != st.ID {
		t.Fatalf("a report without ref did not find the pipeline's status: %+v", again)
	}
}

// Developers and above report statuses; those who read the code read them; anonymous
// callers are refused both, as GitLab authenticates its statuses API.
func TestCommitStatusPermissions(t *testing.T) {
	for _, visibility := range []string{"public", "private"} {
		t.Run(visibility, func(t *testing.T) {
			f := newRepoFixture(t,
				map[string]any{"name": "demo", "initialize_with_readme": true, "visibility": visibility})
			tokens := f.roles()
			sha := f.commit("main", "c", create("a.txt", "a\n")).ID
			hidden := map[bool]int{true: 403, false: 404}[visibility == "public"]
			post := func(string) any { return map[string]any{"state": "success"} }
			wantStatuses(t, f, tokens, "POST", "/statuses/"+sha, post, map[string]int{
				"anonymous": 401, "outsider": hidden, "guest": 403, "reporter": 403,
				"developer": 201, "maintainer": 201, "owner": 201, "admin": 201,
			})
			readGuest := 200
			if visibility == "private" {
				readGuest = 403
			}
			wantStatuses(t, f, tokens, "GET", "/repository/commits/"+sha+"/statuses", nil, map[string]int{
				"anonymous": 401, "outsider": map[bool]int{true: 200, false: 404}[visibility == "public"],
				"guest": readGuest, "reporter": 200, "developer": 200, "maintainer": 200, "owner": 200, "admin": 200,
			})
		})
	}
}

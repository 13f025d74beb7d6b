package gitlab_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cairn-forge/cairn/server"
	"github.com/cairn-forge/cairn/server/servertest"
)

// The issue, note and label entities as a client decodes them; only the fields tests read.
type (
	// issuableJSON is what issues and merge requests share.
	issuableJSON struct {
		ID        int64      `json:"id"`
		IID       int64      `json:"iid"`
		ProjectID int64      `json:"project_id"`
		Title     string     `json:"title"`
		State     string     `json:"state"`
		Labels    []string   `json:"labels"`
		Author    userJSON   `json:"author"`
		Assignees []userJSON `json:"assignees"`
		ClosedBy  *userJSON  `json:"closed_by"`
		WebURL    string     `json:"web_url"`
	}
	issueJSON struct {
		issuableJSON
		Description    *string   `json:"description"`
		Assignee       *userJSON `json:"assignee"`
		ClosedAt       *string   `json:"closed_at"`
		DueDate        *string   `json:"due_date"`
		Confidential   bool      `json:"confidential"`
		UserNotesCount int       `json:"user_notes_count"`
		References     struct {
			Short, Relative, Full string
		} `json:"references"`
		TaskCompletionStatus struct {
			Count          int `json:"count"`
			CompletedCount int `json:"completed_count"`
		} `json:"task_completion_status"`
		Links struct {
			Self    string `json:"self"`
			Notes   string `json:"notes"`
			Project string `json:"project"`
		} `json:"_links"`
	}
	noteJSON struct {
		ID           int64    `json:"id"`
		Body         string   `json:"body"`
		System       bool     `json:"system"`
		Author       userJSON `json:"author"`
		NoteableID   int64    `json:"noteable_id"`
		NoteableIID  int64    `json:"noteable_iid"`
		NoteableType string   `json:"noteable_type"`
		ProjectID    int64    `json:"project_id"`
	}
)

// issueFixture is an instance with a public and a private project of alice (the owner),
// where carol is a reporter and dave a guest of both, and bob belongs to neither.
type issueFixture struct {
	s                  *servertest.Server
	public, private    projectJSON
	alice, bob         string
	carol, dave        string
	aliceID, bobID     int64
	carolID, daveID    int64
	publicIs, privIs   string
	publicAPI, privAPI string
}

func newIssueFixture(t *testing.T) *issueFixture {
	t.Helper()
	s := newServer(t)
	f := &issueFixture{s: s}
	f.aliceID, f.alice = s.CreateUser(t, "alice")
	f.bobID, f.bob = s.CreateUser(t, "bob")
	f.carolID, f.carol = s.CreateUser(t, "carol")
	f.daveID, f.dave = s.CreateUser(t, "dave")
	f.public = createProject(t, s, f.alice, map[string]any{"name": "open", "visibility": "public"})
	f.private = createProject(t, s, f.alice, map[string]any{"name": "closed"})
	for _, p := range []projectJSON{f.public, f.private} {
		addMember(t, s, f.alice, "projects", p.ID, f.carolID, 20)
		addMember(t, s, f.alice, "projects", p.ID, f.daveID, 10)
	}
	f.publicAPI, f.privAPI = "/api/v4/projects/"+itoa(f.public.ID), "/api/v4/projects/"+itoa(f.private.ID)
	f.publicIs, f.privIs = f.publicAPI+"/issues", f.privAPI+"/issues"
	return f
}

// createIssue opens an issue through the API and returns it.
func createIssue(t *testing.T, s *servertest.Server, token, path string, body map[string]any) issueJSON {
	t.Helper()
	return decode[issueJSON](t, mustDo(t, s, http.StatusCreated, "POST", path, token, body))
}

func iids(t *testing.T, r *servertest.Response) []int64 {
	t.Helper()
	var list []issueJSON
	r.JSON(t, &list)
	out := make([]int64, len(list))
	for i, is := range list {
		out[i] = is.IID
	}
	return out
}

// The GitSwarm document's pagination example, on the list it names: the notes of the issue
// with id 8 of the project with id 8, 3 per page, page 2, through /api/v3 (global issue ids).
func TestSeedIssueNotesPaginationExample(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	for i := 1; i <= 8; i++ {
		if p := createProject(t, s, s.AdminToken, map[string]any{"name": fmt.Sprintf("p%d", i)}); p.ID != int64(i) {
			t.Fatalf("project %d has id %d", i, p.ID)
		}
	}
	for i := 1; i <= 7; i++ {
		createIssue(t, s, s.AdminToken, "/api/v4/projects/1/issues",
			map[string]any{"title": fmt.Sprintf("filler %d", i)})
	}
	is := createIssue(t, s, s.AdminToken, "/api/v4/projects/8/issues", map[string]any{"title": "the example"})
	if is.ID != 8 || is.IID != 1 {
		t.Fatalf("the example issue has id %d, iid %d; want id 8, iid 1", is.ID, is.IID)
	}
	for i := 1; i <= 8; i++ {
		mustDo(t, s, http.StatusCreated, "POST", "/api/v4/projects/8/issues/1/notes", s.AdminToken,
			map[string]any{"body": fmt.Sprintf("note %d", i)})
	}
	base := s.URL + "/api/v3/projects/8/issues/8/notes"
	want := map[string]string{
		"Cache-Control": "no-cache",
		"Content-Type":  "application/json",
		"Link": "<" + base + `?page=1&per_page=3>; rel="prev", <` + base + `?page=3&per_page=3>; rel="next", <` +
			base + `?page=1&per_page=3>; rel="first", <` + base + `?page=3&per_page=3>; rel="last"`,
		"X-Next-Page":   "3",
		"X-Page":        "2",
		"X-Per-Page":    "3",
		"X-Prev-Page":   "1",
		"X-Total":       "8",
		"X-Total-Pages": "3",
	}
	for _, method := range []string{"HEAD", "GET"} {
		t.Run(method, func(t *testing.T) {
			r := s.Do(t, method, "/api/v3/projects/8/issues/8/notes?per_page=3&page=2", "", nil,
				"PRIVATE-TOKEN", s.AdminToken)
			wantStatus(t, r, http.StatusOK)
			for k, v := range want {
				if got := r.Header.Get(k); got != v {
					t.Errorf("%s: %q, want %q", k, got, v)
				}
			}
			if r.Header.Get("X-Request-Id") == "" {
				t.Error("no X-Request-Id")
			}
			if method == "GET" {
				var notes []noteJSON
				r.JSON(t, &notes)
				// Notes come newest first by default: page 2 holds notes 5, 4 and 3.
				var bodies []string
				for _, n := range notes {
					bodies = append(bodies, n.Body)
					if n.NoteableID != 8 || n.NoteableIID != 1 || n.NoteableType != "Issue" || n.ProjectID != 8 {
						t.Errorf("note %+v: want noteable_id 8, noteable_iid 1, Issue, project 8", n)
					}
				}
				if got := strings.Join(bodies, ","); got != "note 5,note 4,note 3" {
					t.Errorf("page 2 holds %s", got)
				}
			}
		})
	}
	// The same issue is iid 1 on /api/v4; the v4 path with 8 names an iid that does not exist.
	wantJSON(t, s.Do(t, "GET", "/api/v4/projects/8/issues/8", s.AdminToken, nil), 404, `{"message":"404 Not found"}`)
	if got := decode[issueJSON](t,
		mustDo(t, s, 200, "GET", "/api/v3/projects/8/issues/8", s.AdminToken, nil)); got.IID != 1 {
		t.Errorf("v3 issue 8 is iid %d", got.IID)
	}
	// A global id names the issue only under its own project.
	wantJSON(t, s.Do(t, "GET", "/api/v3/projects/1/issues/8", s.AdminToken, nil), 404, `{"message":"404 Not found"}`)
}

// Twenty clients opening issues in one project at once get the iids 1 to 20, each once.
func TestConcurrentIssueCreationAllocatesGaplessIIDs(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	p := createProject(t, s, s.AdminToken, map[string]any{"name": "busy"})
	const n = 20
	var wg sync.WaitGroup
	got := make([]int64, n)
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body, _ := json.Marshal(map[string]any{"title": fmt.Sprintf("issue %d", i)})
			req, _ := http.NewRequest("POST", s.URL+"/api/v4/projects/"+itoa(p.ID)+"/issues", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("PRIVATE-TOKEN", s.AdminToken)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				errs <- err
				return
			}
			defer resp.Body.Close()
			data, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusCreated {
				errs <- fmt.Errorf("status %d: %s", resp.StatusCode, data)
				return
			}
			var is issueJSON
			if err := json.Unmarshal(data, &is); err != nil {
				errs <- err
				return
			}
			got[i] = is.IID
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	sort.Slice(got, func(i, j int) bool { return got[i] < got[j] })
	for i, iid := range got {
		if iid != int64(i+1) {
			t.Fatalf("iids %v; want 1..%d", got, n)
		}
	}
}

// Who may see, open, change and delete issues, as GitLab decides it.
func TestIssuePermissions(t *testing.T) {
	t.Parallel()
	f := newIssueFixture(t)
	s := f.s
	secret := createIssue(t, s, f.alice, f.privIs, map[string]any{"title": "private plans"})
	hidden := createIssue(t, s, f.alice, f.publicIs, map[string]any{"title": "security hole", "confidential": true})
	plain := createIssue(t, s, f.alice, f.publicIs, map[string]any{"title": "typo"})
	bobsOwn := createIssue(t, s, f.bob, f.publicIs, map[string]any{"title": "bob's secret", "confidential": true})
	assigned := createIssue(t, s, f.alice, f.publicIs,
		map[string]any{"title": "for dave", "confidential": true, "assignee_ids": []int64{f.daveID}})

	projectNotFound, notFound := `{"message":"404 Project Not Found"}`, `{"message":"404 Not found"}`
	tests := []struct {
		name   string
		method string
		path   string
		token  string
		body   any
		status int
		want   string
	}{
		{"a stranger cannot list a private project's issues", "GET", f.privIs, f.bob, nil, 404, projectNotFound},
		{"nor read one", "GET", f.privIs + "/" + itoa(secret.IID), f.bob, nil, 404, projectNotFound},
		{"nor can anonymous callers", "GET", f.privIs + "/" + itoa(secret.IID), "", nil, 404, projectNotFound},
		{"nor open one", "POST", f.privIs, f.bob, map[string]any{"title": "let me in"}, 404, projectNotFound},
		{"anonymous callers may not open issues", "POST", f.publicIs, "", map[string]any{"title": "x"}, 401,
			bodyUnauthorized},
		{"a guest reads a private project's issue", "GET", f.privIs + "/" + itoa(secret.IID), f.dave, nil, 200, ""},
		{"a guest opens an issue in a private project", "POST", f.privIs, f.dave,
			map[string]any{"title": "from a guest"}, 201, ""},
		{"anyone reads a public issue", "GET", f.publicIs + "/" + itoa(plain.IID), "", nil, 200, ""},
		{"a confidential issue is hidden from strangers", "GET", f.publicIs + "/" + itoa(hidden.IID), f.bob,
			nil, 404, notFound},
		{"and from guests", "GET", f.publicIs + "/" + itoa(hidden.IID), f.dave, nil, 404, notFound},
		{"and from anonymous callers", "GET", f.publicIs + "/" + itoa(hidden.IID), "", nil, 404, notFound},
		{"reporters see it", "GET", f.publicIs + "/" + itoa(hidden.IID), f.carol, nil, 200, ""},
		{"its author sees it", "GET", f.publicIs + "/" + itoa(bobsOwn.IID), f.bob, nil, 200, ""},
		{"its assignee sees it", "GET", f.publicIs + "/" + itoa(assigned.IID), f.dave, nil, 200, ""},
		{"its notes are hidden as it is", "GET", f.publicIs + "/" + itoa(hidden.IID) + "/notes", f.bob, nil,
			404, notFound},
		{"a stranger cannot comment on it", "POST", f.publicIs + "/" + itoa(hidden.IID) + "/notes", f.bob,
			map[string]any{"body": "hi"}, 404, notFound},
		{"a stranger cannot change someone else's issue", "PUT", f.publicIs + "/" + itoa(plain.IID), f.bob,
			map[string]any{"title": "mine"}, 403, bodyForbidden},
		{"nor close it", "PUT", f.publicIs + "/" + itoa(plain.IID), f.bob,
			map[string]any{"state_event": "close"}, 403, bodyForbidden},
		{"a guest cannot change someone else's issue", "PUT", f.privIs + "/" + itoa(secret.IID), f.dave,
			map[string]any{"title": "mine"}, 403, bodyForbidden},
		{"the author changes their own issue", "PUT", f.publicIs + "/" + itoa(bobsOwn.IID), f.bob,
			map[string]any{"title": "renamed"}, 200, ""},
		{"a reporter changes anyone's issue", "PUT", f.publicIs + "/" + itoa(plain.IID), f.carol,
			map[string]any{"description": "spelling"}, 200, ""},
		{"the author may not delete their issue", "DELETE", f.publicIs + "/" + itoa(bobsOwn.IID), f.bob, nil,
			403, bodyForbidden},
		{"nor may a reporter", "DELETE", f.publicIs + "/" + itoa(plain.IID), f.carol, nil, 403, bodyForbidden},
		{"a stranger deleting a hidden issue learns nothing", "DELETE", f.publicIs + "/" + itoa(hidden.IID),
			f.bob, nil, 404, notFound},
		{"the owner deletes", "DELETE", f.publicIs + "/" + itoa(plain.IID), f.alice, nil, 204, ""},
		{"and deleting again succeeds", "DELETE", f.publicIs + "/" + itoa(plain.IID), f.alice, nil, 204, ""},
		{"for the owner only", "DELETE", f.publicIs + "/" + itoa(plain.IID), f.carol, nil, 404, notFound},
		{"an administrator deletes", "DELETE", f.publicIs + "/" + itoa(bobsOwn.IID), s.AdminToken, nil, 204, ""},
		{"a read_api token cannot open issues", "POST", f.publicIs, readOnlyToken(t, s, f.bobID),
			map[string]any{"title": "x"}, 403, bodyInsufficientScope("api")},
	}
	for _, tt := range tests {
		r := s.Do(t, tt.method, tt.path, tt.token, tt.body)
		if tt.want != "" {
			t.Run(tt.name, func(t *testing.T) { wantJSON(t, r, tt.status, tt.want) })
			continue
		}
		t.Run(tt.name, func(t *testing.T) { wantStatus(t, r, tt.status) })
	}

	// Lists leave out what the reader may not see.
	listed := func(token string) []int64 {
		return iids(t, mustDo(t, s, 200, "GET", f.publicIs+"?sort=asc", token, nil))
	}
	for _, c := range []struct {
		who   string
		token string
		want  []int64
	}{
		{"anonymous", "", nil},
		{"bob (a stranger)", f.bob, nil},
		{"dave (a guest, assigned one)", f.dave, []int64{assigned.IID}},
		{"carol (a reporter)", f.carol, []int64{hidden.IID, assigned.IID}},
	} {
		got := listed(c.token)
		want := append([]int64{}, c.want...)
		if fmt.Sprint(got) != fmt.Sprint(want) && !(len(got) == 0 && len(want) == 0) {
			t.Errorf("%s lists confidential+plain issues %v, want %v", c.who, got, want)
		}
	}
}

// readOnlyToken issues a read_api token for user id.
func readOnlyToken(t *testing.T, s *servertest.Server, id int64) string {
	t.Helper()
	r := mustDo(t, s, http.StatusCreated, "POST", "/api/v4/users/"+itoa(id)+"/personal_access_tokens", s.AdminToken,
		map[string]any{"name": "ro", "scopes": []string{"read_api"}})
	return *decode[tokenJSON](t, r).Token
}

// Labels, assignees and due dates are set by reporters and above; from others they are
// ignored, as in GitLab. Assignees must be members.
func TestIssueMetadataNeedsReporters(t *testing.T) {
	t.Parallel()
	f := newIssueFixture(t)
	s := f.s
	body := map[string]any{"title": "t", "labels": "bug", "assignee_ids": []int64{f.carolID}, "due_date": "2030-01-31"}
	fromGuest := createIssue(t, s, f.dave, f.privIs, body)
	if len(fromGuest.Labels) != 0 || len(fromGuest.Assignees) != 0 || fromGuest.DueDate != nil {
		t.Errorf("a guest set metadata: %+v", fromGuest)
	}
	fromReporter := createIssue(t, s, f.carol, f.privIs, body)
	if fmt.Sprint(fromReporter.Labels) != "[bug]" || len(fromReporter.Assignees) != 1 ||
		fromReporter.DueDate == nil || *fromReporter.DueDate != "2030-01-31" {
		t.Errorf("a reporter's metadata was lost: %+v", fromReporter)
	}
	onlyMembers := createIssue(t, s, f.alice, f.publicIs, map[string]any{"title": "t",
		"assignee_ids": []int64{f.bobID, f.carolID, 9999}})
	if len(onlyMembers.Assignees) != 1 || onlyMembers.Assignees[0].ID != f.carolID || onlyMembers.Assignee == nil {
		t.Errorf("assignees %+v; want only carol, the member", onlyMembers.Assignees)
	}
}

// Bad input gets a clear 4xx in GitLab's shape.
func TestIssueBadInput(t *testing.T) {
	t.Parallel()
	f := newIssueFixture(t)
	s := f.s
	is := createIssue(t, s, f.alice, f.publicIs, map[string]any{"title": "fine"})
	one := f.publicIs + "/" + itoa(is.IID)
	tests := []struct {
		name   string
		method string
		path   string
		body   any
		status int
		want   string
	}{
		{"no title", "POST", f.publicIs, map[string]any{"description": "x"}, 400, `{"error":"title is missing"}`},
		{"no title on v3, as the GitSwarm document shows", "POST", strings.Replace(f.publicIs, "v4", "v3", 1),
			map[string]any{"description": "x"}, 400, `{"message":"400 (Bad request) \"title\" not given"}`},
		{"a blank title", "POST", f.publicIs, map[string]any{"title": "  "}, 400,
			`{"message":{"title":["can't be blank"]}}`},
		{"a title of 256 characters", "POST", f.publicIs, map[string]any{"title": strings.Repeat("é", 256)},
			400, `{"message":{"title":["is too long (maximum is 255 characters)"]}}`},
		{"a huge title", "POST", f.publicIs, map[string]any{"title": strings.Repeat("x", 100000)}, 400,
			`{"message":{"title":["is too long (maximum is 255 characters)"]}}`},
		{"a label name with a comma inside a JSON array", "POST", f.publicIs,
			map[string]any{"title": "x", "labels": []string{"a,b"}}, 400, `{"message":{"labels":["is invalid"]}}`},
		{"a label name of 256 characters", "POST", f.publicIs,
			map[string]any{"title": "x", "labels": strings.Repeat("l", 256)}, 400,
			`{"message":{"labels":["is too long (maximum is 255 characters)"]}}`},
		{"a bad due date", "POST", f.publicIs, map[string]any{"title": "x", "due_date": "someday"}, 400,
			`{"error":"due_date is invalid"}`},
		{"a bad confidential flag", "POST", f.publicIs, map[string]any{"title": "x", "confidential": "maybe"},
			400, `{"error":"confidential is invalid"}`},
		{"malformed JSON", "POST", f.publicIs, []byte(`{"title":`), 400,
			`{"message":"400 Bad request - The request body is not valid JSON"}`},
		{"an unknown state_event", "PUT", one, map[string]any{"state_event": "explode"}, 400,
			`{"error":"state_event does not have a valid value"}`},
		{"an update with nothing", "PUT", one, map[string]any{}, 400,
			`{"error":"assignee_id, assignee_ids, confidential, created_at, description, discussion_locked, due_date, labels, add_labels, remove_labels, milestone_id, state_event, title, issue_type are missing, at least one parameter must be provided"}`},
		{"an update to a blank title", "PUT", one, map[string]any{"title": ""}, 400,
			`{"message":{"title":["can't be blank"]}}`},
		{"an iid that is not a number", "GET", f.publicIs + "/abc", nil, 404, `{"message":"404 Not found"}`},
		{"an iid that does not exist", "PUT", f.publicIs + "/999", map[string]any{"title": "x"}, 404,
			`{"message":"404 Not found"}`},
		{"an unknown state filter", "GET", f.publicIs + "?state=open", nil, 400,
			`{"error":"state does not have a valid value"}`},
		{"an unknown order", "GET", f.publicIs + "?order_by=colour", nil, 400,
			`{"error":"order_by does not have a valid value"}`},
		{"an unknown sort", "GET", f.publicIs + "?sort=up", nil, 400, `{"error":"sort does not have a valid value"}`},
		{"an unknown scope", "GET", "/api/v4/issues?scope=mine", nil, 400,
			`{"error":"scope does not have a valid value"}`},
		{"iids that are not numbers", "GET", f.publicIs + "?iids[]=x", nil, 400, `{"error":"iids is invalid"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantJSON(t, s.Do(t, tt.method, tt.path, f.alice, tt.body), tt.status, tt.want)
		})
	}
}

// Closing and reopening an issue records who and when, and leaves system notes; so do
// changes of labels, assignees and confidentiality. user_notes_count counts people's notes only.
func TestIssueStateChangesWriteSystemNotes(t *testing.T) {
	t.Parallel()
	f := newIssueFixture(t)
	s := f.s
	is := createIssue(t, s, f.alice, f.publicIs, map[string]any{"title": "flaky test", "labels": "bug"})
	one := f.publicIs + "/" + itoa(is.IID)
	mustDo(t, s, 201, "POST", one+"/notes", f.bob, map[string]any{"body": "seen it too"})

	steps := []struct {
		token string
		body  map[string]any
		note  string // the system note the step leaves, "" for none
		check func(issueJSON) bool
	}{
		{f.carol, map[string]any{"state_event": "close"}, "closed", func(i issueJSON) bool {
			return i.State == "closed" && i.ClosedBy != nil && i.ClosedBy.Username == "carol" && i.ClosedAt != nil
		}},
		{f.carol, map[string]any{"state_event": "close"}, "", func(i issueJSON) bool { return i.State == "closed" }},
		{f.alice, map[string]any{"state_event": "reopen"}, "reopened", func(i issueJSON) bool {
			return i.State == "opened" && i.ClosedBy == nil && i.ClosedAt == nil
		}},
		{f.alice, map[string]any{"add_labels": "ui,needs review", "remove_labels": "bug"},
			`added ~"needs review" ~ui labels and removed ~bug label`,
			func(i issueJSON) bool { return fmt.Sprint(i.Labels) == "[needs review ui]" }},
		{f.alice, map[string]any{"labels": "ui"}, `removed ~"needs review" label`,
			func(i issueJSON) bool { return fmt.Sprint(i.Labels) == "[ui]" }},
		{f.alice, map[string]any{"assignee_ids": []int64{f.carolID, f.daveID}},
			"assigned to @carol and @dave", func(i issueJSON) bool { return len(i.Assignees) == 2 }},
		{f.alice, map[string]any{"assignee_id": f.daveID}, "unassigned @carol",
			func(i issueJSON) bool { return len(i.Assignees) == 1 }},
		{f.alice, map[string]any{"assignee_ids": nil}, "unassigned @dave",
			func(i issueJSON) bool { return len(i.Assignees) == 0 }},
		{f.alice, map[string]any{"confidential": true}, "made the issue confidential",
			func(i issueJSON) bool { return i.Confidential }},
		{f.alice, map[string]any{"due_date": "2030-02-01"}, "",
			func(i issueJSON) bool { return i.DueDate != nil && *i.DueDate == "2030-02-01" }},
		{f.alice, map[string]any{"due_date": nil}, "", func(i issueJSON) bool { return i.DueDate == nil }},
		{f.alice, map[string]any{"labels": nil}, `removed ~ui label`,
			func(i issueJSON) bool { return len(i.Labels) == 0 }},
	}
	var wantNotes []string
	for i, st := range steps {
		got := decode[issueJSON](t, mustDo(t, s, 200, "PUT", one, st.token, st.body))
		if !st.check(got) {
			t.Errorf("step %d (%v): issue %+v", i, st.body, got)
		}
		if got.UserNotesCount != 1 {
			t.Errorf("step %d: user_notes_count %d, want 1", i, got.UserNotesCount)
		}
		if st.note != "" {
			wantNotes = append(wantNotes, st.note)
		}
	}
	var notes []noteJSON
	mustDo(t, s, 200, "GET", one+"/notes?sort=asc&per_page=100", f.alice, nil).JSON(t, &notes)
	var system []string
	for _, n := range notes {
		if n.System {
			system = append(system, n.Body)
		}
	}
	if strings.Join(system, "\n") != strings.Join(wantNotes, "\n") {
		t.Errorf("system notes:\n%s\nwant:\n%s", strings.Join(system, "\n"), strings.Join(wantNotes, "\n"))
	}
	if len(notes) == 0 || notes[0].Body != "seen it too" || notes[0].System {
		t.Errorf("first note %+v, want bob's comment", notes[0])
	}
	if notes[1].Author.Username != "carol" {
		t.Errorf("the closing note is by %q, want carol", notes[1].Author.Username)
	}
}

// The list filters of GET /projects/:id/issues.
func TestProjectIssueListFilters(t *testing.T) {
	t.Parallel()
	f := newIssueFixture(t)
	s := f.s
	mk := func(token string, body map[string]any) int64 { return createIssue(t, s, token, f.publicIs, body).IID }
	a := mk(f.alice,
		map[string]any{"title": "Crash on start", "labels": "bug,p1", "assignee_ids": []int64{f.carolID},
			"due_date": "2030-03-01"})
	b := mk(f.bob, map[string]any{"title": "Typo in README", "description": "the word crash is misspelt"})
	c := mk(f.alice, map[string]any{"title": "Add dark mode", "labels": "feature", "due_date": "2030-01-01"})
	d := mk(f.carol, map[string]any{"title": "zzz closed one", "labels": "bug"})
	mustDo(t, s, 200, "PUT", f.publicIs+"/"+itoa(d), f.carol, map[string]any{"state_event": "close"})
	time.Sleep(3 * time.Millisecond) // times are kept in milliseconds: make b the last updated
	mustDo(t, s, 200, "PUT", f.publicIs+"/"+itoa(b), f.bob,
		map[string]any{"description": "the word crash is misspelt!"})

	tests := []struct {
		query string
		want  []int64
	}{
		{"", []int64{d, c, b, a}},
		{"sort=asc", []int64{a, b, c, d}},
		{"state=opened", []int64{c, b, a}},
		{"state=closed", []int64{d}},
		{"state=all", []int64{d, c, b, a}},
		{"labels=bug", []int64{d, a}},
		{"labels=bug,p1", []int64{a}},
		{"labels[]=bug&labels[]=p1", []int64{a}},
		{"labels=None", []int64{b}},
		{"labels=Any", []int64{d, c, a}},
		{"labels=nothing", nil},
		{"search=crash", []int64{b, a}},
		{"author_id=" + itoa(f.bobID), []int64{b}},
		{"author_username=carol", []int64{d}},
		{"author_username=nobody", nil},
		{"assignee_id=" + itoa(f.carolID), []int64{a}},
		{"assignee_id=None", []int64{d, c, b}},
		{"assignee_id=Any", []int64{a}},
		{"assignee_username=carol", []int64{a}},
		{"iids[]=" + itoa(a) + "&iids[]=" + itoa(c), []int64{c, a}},
		{"order_by=title&sort=asc", []int64{c, a, b, d}},
		{"order_by=updated_at", []int64{b, d, c, a}},
		{"order_by=due_date&sort=asc", []int64{c, a, b, d}},
		{"order_by=due_date", []int64{a, c, d, b}},
		{"order_by=label_priority", []int64{d, c, b, a}},
		{"per_page=2&page=2", []int64{b, a}},
		{"created_after=2000-01-01&sort=asc", []int64{a, b, c, d}},
		{"created_before=2000-01-01T00:00:00Z", nil},
		{"confidential=true", nil},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			got := iids(t, mustDo(t, s, 200, "GET", f.publicIs+"?"+tt.query, f.alice, nil))
			if fmt.Sprint(got) != fmt.Sprint(append([]int64{}, tt.want...)) {
				t.Errorf("iids %v, want %v", got, tt.want)
			}
		})
	}
	r := mustDo(t, s, 200, "GET", f.publicIs+"?per_page=3&labels=bug,p1&state=opened", f.alice, nil)
	for k, v := range map[string]string{"X-Total": "1", "X-Total-Pages": "1", "X-Per-Page": "3",
		"X-Page": "1", "X-Next-Page": ""} {
		if got := r.Header.Get(k); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
	if link := splitLink(t, r.Header.Get("Link"))["first"]; !strings.Contains(link, "labels=bug%2Cp1") {
		t.Errorf("Link first %q keeps the filters with commas encoded", link)
	}
}

// GET /issues lists the caller's issues across projects: created_by_me by default,
// assigned_to_me, or all they may see.
func TestUserIssues(t *testing.T) {
	t.Parallel()
	f := newIssueFixture(t)
	s := f.s
	titles := func(r *servertest.Response) string {
		got := names(t, r, "title")
		sort.Strings(got)
		return strings.Join(got, ",")
	}
	createIssue(t, s, f.alice, f.privIs, map[string]any{"title": "alice private", "assignee_ids": []int64{f.carolID}})
	createIssue(t, s, f.alice, f.publicIs, map[string]any{"title": "alice public", "labels": "shared"})
	createIssue(t, s, f.alice, f.publicIs, map[string]any{"title": "alice confidential", "confidential": true})
	createIssue(t, s, f.bob, f.publicIs, map[string]any{"title": "bob public"})
	other := createProject(t, s, f.bob, map[string]any{"name": "bobs"})
	createIssue(t, s, f.bob, "/api/v4/projects/"+itoa(other.ID)+"/issues",
		map[string]any{"title": "bob private", "labels": "shared,bobs"})

	tests := []struct {
		name, query, token string
		want               string
	}{
		{"created by me, by default", "", f.bob, "bob private,bob public"},
		{"created_by_me", "?scope=created_by_me", f.alice, "alice confidential,alice private,alice public"},
		{"v3's created-by-me", "?scope=created-by-me", f.alice, "alice confidential,alice private,alice public"},
		{"assigned_to_me", "?scope=assigned_to_me", f.carol, "alice private"},
		{"all a stranger may see", "?scope=all", f.bob, "alice public,bob private,bob public"},
		{"all a reporter may see", "?scope=all", f.carol, "alice confidential,alice private,alice public,bob public"},
		{"all an anonymous caller may see", "?scope=all", "", "alice public,bob public"},
		{"everything for an administrator", "?scope=all", s.AdminToken,
			"alice confidential,alice private,alice public,bob private,bob public"},
		{"with filters", "?scope=all&search=public&author_id=" + itoa(f.aliceID), f.bob, "alice public"},
		{"by a label of one project", "?scope=all&labels=shared", f.bob, "alice public,bob private"},
		{"by two labels", "?scope=all&labels=shared,bobs", f.bob, "bob private"},
		{"by a label nobody has", "?scope=all&labels=shared,nothing", f.bob, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := titles(mustDo(t, s, 200, "GET", "/api/v4/issues"+tt.query, tt.token, nil)); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
	wantJSON(t, s.Do(t, "GET", "/api/v4/issues", "", nil), 401, bodyUnauthorized)
	// GET /issues/:id is for administrators.
	wantStatus(t, s.Do(t, "GET", "/api/v4/issues/1", s.AdminToken, nil), 200)
	wantJSON(t, s.Do(t, "GET", "/api/v4/issues/1", f.alice, nil), 403, bodyForbidden)
}

// The issue entity carries what GitLab's clients read: web_url, references, _links, task
// completion from the description's task list, dates as dates.
func TestIssueEntity(t *testing.T) {
	t.Parallel()
	f := newIssueFixture(t)
	s := f.s
	is := createIssue(t, s, f.alice, f.publicIs, map[string]any{"title": "Release 1.0",
		"description": "- [x] tag\n- [ ] announce\n* [X] build\n", "due_date": "2030-05-06T10:00:00Z"})
	base := s.URL
	checks := map[string][2]any{
		"web_url":          {is.WebURL, base + "/alice/open/-/issues/1"},
		"references.short": {is.References.Short, "#1"},
		"references.full":  {is.References.Full, "alice/open#1"},
		"_links.self":      {is.Links.Self, base + "/api/v4/projects/" + itoa(f.public.ID) + "/issues/1"},
		"_links.notes":     {is.Links.Notes, base + "/api/v4/projects/" + itoa(f.public.ID) + "/issues/1/notes"},
		"_links.project":   {is.Links.Project, base + "/api/v4/projects/" + itoa(f.public.ID)},
		"tasks":            {is.TaskCompletionStatus.Count, 3},
		"tasks completed":  {is.TaskCompletionStatus.CompletedCount, 2},
		"due_date":         {*is.DueDate, "2030-05-06"},
		"author":           {is.Author.Username, "alice"},
		"state":            {is.State, "opened"},
	}
	for name, c := range checks {
		if fmt.Sprint(c[0]) != fmt.Sprint(c[1]) {
			t.Errorf("%s: %v, want %v", name, c[0], c[1])
		}
	}
	var raw map[string]any
	mustDo(t, s, 200, "GET", f.publicIs+"/1", "", nil).JSON(t, &raw)
	for _, k := range []string{"time_stats", "task_completion_status", "_links", "references", "milestone", "closed_by",
		"assignees", "labels", "user_notes_count", "confidential", "issue_type", "type", "has_tasks"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("no %s in %v", k, raw)
		}
	}
	if v3 := decode[issueJSON](t,
		mustDo(t, s, 200, "GET", "/api/v3/projects/"+itoa(f.public.ID)+"/issues/"+itoa(is.ID), "",
			nil)); !strings.HasSuffix(v3.Links.Self, "/api/v3/projects/"+itoa(f.public.ID)+"/issues/"+itoa(is.ID)) {
		t.Errorf("v3 _links.self %q names the global id", v3.Links.Self)
	}
}

// X-Total agrees with the issues a reader can list, for every reader and state, through
// closing, reopening, confidentiality changes and deletions (totals of plain lists come from
// counters the database keeps, not from counting rows).
func TestIssueListTotalsFollowChanges(t *testing.T) {
	t.Parallel()
	f := newIssueFixture(t)
	s := f.s
	for i := range 12 {
		body := map[string]any{"title": fmt.Sprintf("issue %d", i), "confidential": i%3 == 0}
		token := f.alice
		if i%4 == 1 {
			token = f.bob
		}
		if i == 6 {
			body["assignee_ids"] = []int64{f.daveID}
		}
		createIssue(t, s, token, f.publicIs, body)
	}
	check := func(step string) {
		t.Helper()
		for _, reader := range []struct{ name, token string }{{"owner", f.alice}, {"bob", f.bob},
			{"dave", f.dave}, {"anonymous", ""}} {
			for _, state := range []string{"", "opened", "closed", "all"} {
				r := mustDo(t, s, 200, "GET", f.publicIs+"?per_page=100&state="+state, reader.token, nil)
				if got, want := r.Header.Get("X-Total"), itoa(int64(len(iids(t, r)))); got != want {
					t.Errorf("%s: %s, state %q: X-Total %s, but the list holds %s", step, reader.name, state, got, want)
				}
			}
			// As GitLab counts them: confidential issues only for reporters and above, even
			// where others see some (their own) in the list.
			query := "?per_page=100&state=opened&confidential=false"
			if reader.token == f.alice {
				query = "?per_page=100&state=opened"
			}
			open := len(iids(t, mustDo(t, s, 200, "GET", f.publicIs+query, reader.token, nil)))
			p := decode[struct {
				OpenIssuesCount int `json:"open_issues_count"`
			}](t, mustDo(t, s, 200, "GET", f.publicAPI, reader.token, nil))
			if p.OpenIssuesCount != open {
				t.Errorf("%s: %s sees open_issues_count %d, and %d open issues", step, reader.name,
					p.OpenIssuesCount, open)
			}
		}
	}
	check("created")
	for _, change := range []struct {
		iid  int
		body map[string]any
	}{
		{1, map[string]any{"state_event": "close"}},
		{4, map[string]any{"state_event": "close", "confidential": true}},
		{2, map[string]any{"confidential": true}},
		{1, map[string]any{"confidential": false}},
		{1, map[string]any{"state_event": "reopen"}},
		{7, map[string]any{"state_event": "close"}},
	} {
		mustDo(t, s, 200, "PUT", f.publicIs+"/"+itoa(int64(change.iid)), f.alice, change.body)
		check(fmt.Sprintf("after %v on #%d", change.body, change.iid))
	}
	for _, iid := range []int64{4, 5, 7} {
		mustDo(t, s, 204, "DELETE", f.publicIs+"/"+itoa(iid), f.alice, nil)
	}
	check("after deletions")
}

// A fixture file may hold issues with labels, assignees, notes and a state; loading it again
// adds nothing.
func TestSeedFixtureIssues(t *testing.T) {
	t.Parallel()
	seed := `{
	  "users": [{"username": "alice"}, {"username": "bob"}],
	  "projects": [{
	    "namespace": "alice", "path": "tracker", "visibility": "public",
	    "members": [{"username": "bob", "access_level": 30}],
	    "issues": [
	      {"title": "First", "author": "alice", "labels": ["bug", "ui"], "assignees": ["bob"],
	       "notes": [{"author": "bob", "body": "on it"}]},
	      {"title": "Second", "author": "bob", "state": "closed", "confidential": true}
	    ]
	  }]
	}`
	path := t.TempDir() + "/seed.json"
	if err := os.WriteFile(path, []byte(seed), 0o600); err != nil {
		t.Fatal(err)
	}
	s := newServer(t, servertest.WithFixture(path))
	check := func() {
		t.Helper()
		var list []issueJSON
		mustDo(t, s, 200, "GET", "/api/v4/projects/alice%2Ftracker/issues?sort=asc", s.AdminToken, nil).JSON(t, &list)
		if len(list) != 2 {
			t.Fatalf("issues %+v", list)
		}
		first, second := list[0], list[1]
		if first.Title != "First" || strings.Join(first.Labels, ",") != "bug,ui" || len(first.Assignees) != 1 ||
			first.Assignees[0].Username != "bob" || first.UserNotesCount != 1 || first.Author.Username != "alice" {
			t.Errorf("first: %+v", first)
		}
		if second.State != "closed" || !second.Confidential || second.Author.Username != "bob" {
			t.Errorf("second: %+v", second)
		}
	}
	check()
	if err := server.LoadFixture(context.Background(), s.Forge, path); err != nil {
		t.Fatal(err)
	}
	check()
}

func TestArchivedProjectIssuesAreReadOnly(t *testing.T) {
	f := newRepoFixture(t, nil)
	mustDo(t, f.s, 201, "POST", f.url("/issues"), f.token, map[string]any{"title": "Frozen"})
	mustDo(t, f.s, 201, "POST", f.url("/issues/1/notes"), f.token, map[string]any{"body": "before"})
	mustDo(t, f.s, 200, "PUT", f.url(""), f.token, map[string]any{"archived": true})
	forbidden := `{"message":"403 Forbidden"}`
	for _, tt := range []struct {
		name, method, path string
		body               any
	}{
		{"open another", "POST", "/issues", map[string]any{"title": "x"}},
		{"retitle", "PUT", "/issues/1", map[string]any{"title": "Thawed"}},
		{"close", "PUT", "/issues/1", map[string]any{"state_event": "close"}},
		{"comment", "POST", "/issues/1/notes", map[string]any{"body": "after"}},
		{"edit a comment", "PUT", "/issues/1/notes/1", map[string]any{"body": "changed"}},
		{"delete a comment", "DELETE", "/issues/1/notes/1", nil},
		{"delete", "DELETE", "/issues/1", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wantJSON(t, f.do(tt.method, tt.path, f.token, tt.body), 403, forbidden)
		})
	}
	if is := decode[map[string]any](t,
		mustDo(t, f.s, 200, "GET", f.url("/issues/1"), f.token, nil)); is["title"] != "Frozen" ||
		is["state"] != "opened" {
		t.Fatalf("after refused changes: %v, %v", is["title"], is["state"])
	}
	if notes := decode[[]map[string]any](t,
		mustDo(t, f.s, 200, "GET", f.url("/issues/1/notes"), f.token, nil)); len(notes) != 1 ||
		notes[0]["body"] != "before" {
		t.Fatalf("notes after refused changes: %v", notes)
	}
	mustDo(t, f.s, 200, "PUT", f.url(""), f.token, map[string]any{"archived": false})
	mustDo(t, f.s, 200, "PUT", f.url("/issues/1"), f.token, map[string]any{"title": "Thawed"})
	mustDo(t, f.s, 201, "POST", f.url("/issues"), f.token, map[string]any{"title": "Another"})
}

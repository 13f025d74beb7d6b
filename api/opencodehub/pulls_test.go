package opencodehub_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/cairn-forge/cairn/server/servertest"
)

// pullFixture is an instance where the user "owner" has the repository "repo" (named as in
// the seed's examples), with a README on main and a branch feature-branch that changes it.
type pullFixture struct {
	s       *servertest.Server
	uid     int64
	token   string
	repo    repoJSON
	feature string // feature-branch's tip
}

func newPullFixture(t *testing.T) *pullFixture {
	t.Helper()
	s := servertest.New(t)
	uid, token := s.CreateUser(t, "owner")
	f := &pullFixture{s: s, uid: uid, token: token}
	f.repo = ok[repoJSON](t, call(t, s, "POST", "/api/repos", token, `{"name": "repo", "auto_init": true}`), 201).Data
	f.feature = f.commit(t, "feature-branch", "main", map[string]string{"feature.txt": "new\n"})
	return f
}

func (f *pullFixture) commit(t *testing.T, branch, start string, files map[string]string) string {
	t.Helper()
	return commit(t, f.s, f.token, "owner/repo", branch, start, files)
}

// open creates a pull request of head into main and returns it.
func (f *pullFixture) open(t *testing.T, title, head string) pullJSON {
	t.Helper()
	return ok[pullJSON](t, call(t, f.s, "POST", "/api/repos/owner/repo/pulls", f.token,
		`{"title": "`+title+`", "head": "`+head+`", "base": "main"}`), http.StatusCreated).Data
}

// tip reads a branch's tip through the GitLab API.
func (f *pullFixture) tip(t *testing.T, branch string) string {
	t.Helper()
	var b struct{ Commit struct{ ID string } }
	gitlabCall(t, f.s, 200, "GET", "/projects/owner%2Frepo/repository/branches/"+branch, f.token, nil).JSON(t, &b)
	return b.Commit.ID
}

// The seed's "Create Pull Request" and "List Pull Requests" examples, sent as curl sends
// them with only the host changed.
func TestSeedPullRequests(t *testing.T) {
	t.Parallel()
	f := newPullFixture(t)
	mainTip := f.tip(t, "main")
	r := call(t, f.s, "POST", "/api/repos/owner/repo/pulls", f.token, `{
    "title": "Add new feature",
    "head": "feature-branch",
    "base": "main",
    "body": "This PR adds..."
  }`, "Content-Type", "application/json")
	p := ok[pullJSON](t, r, http.StatusCreated).Data
	if !strings.HasPrefix(p.ID, "pr-") || p.Number != 1 || p.Title != "Add new feature" ||
		p.Body != "This PR adds..." ||
		p.State != "open" || p.Merged || p.MergedAt != nil || p.MergeCommitSHA != nil {
		t.Fatalf("pull %+v", p)
	}
	if p.Head.Ref != "feature-branch" || p.Head.SHA == nil || *p.Head.SHA != f.feature ||
		p.Base.Ref != "main" || p.Base.SHA == nil || *p.Base.SHA != mainTip {
		t.Fatalf("branches %+v %+v", p.Head, p.Base)
	}
	if p.User.ID != "user-"+itoa(f.uid) || p.User.Username != "owner" {
		t.Fatalf("user %+v", p.User)
	}
	if p.Mergeable == nil || !*p.Mergeable || p.MergeableState != "mergeable" || p.ChangedFiles == nil ||
		*p.ChangedFiles != 1 {
		t.Fatalf("mergeability %v %q %v", p.Mergeable, p.MergeableState, p.ChangedFiles)
	}
	if loc := r.Header.Get("Location"); loc != f.s.URL+"/api/repos/owner/repo/pulls/1" || p.URL != loc {
		t.Errorf("Location %q, url %q", loc, p.URL)
	}

	list := call(t, f.s, "GET", "/api/repos/owner/repo/pulls", f.token, "")
	env := ok[[]pullJSON](t, list, http.StatusOK)
	if len(env.Data) != 1 || env.Data[0].ID != p.ID || env.Data[0].Title != p.Title {
		t.Fatalf("list %+v", env.Data)
	}
	if m := env.Meta; m.Page != 1 || m.PerPage != 20 || m.Total == nil || *m.Total != 1 || m.TotalPages != 1 {
		t.Fatalf("meta %+v", m)
	}
	if list.Header.Get("X-Total") != "1" || list.Header.Get("X-RateLimit-Remaining") == "" {
		t.Errorf("headers %v", list.Header)
	}

	// The pull request reads back by number, by its id, and under the repository's id.
	for _, path := range []string{"/api/repos/owner/repo/pulls/1", "/api/repos/owner/repo/pulls/" + p.ID,
		"/api/repos/" + f.repo.ID + "/pulls/1"} {
		if got := ok[pullJSON](t, call(t, f.s, "GET", path, f.token, ""), 200).Data; got.ID != p.ID ||
			*got.Head.SHA != f.feature {
			t.Errorf("GET %s = %+v", path, got)
		}
	}
	fails(t, call(t, f.s, "GET", "/api/repos/owner/repo/pulls/2", f.token, ""), 404, "NOT_FOUND", "", "")
	fails(t, call(t, f.s, "GET", "/api/repos/owner/repo/pulls/pr-999", f.token, ""), 404, "NOT_FOUND", "", "")
}

// Merging moves the base branch to a merge commit of both; merging again is refused.
func TestMergePull(t *testing.T) {
	t.Parallel()
	f := newPullFixture(t)
	p := f.open(t, "Feature", "feature-branch")
	r := call(t, f.s, "PUT", "/api/repos/owner/repo/pulls/1/merge", f.token, `{"sha": "`+f.feature+`"}`)
	m := ok[pullJSON](t, r, http.StatusOK).Data
	if !m.Merged || m.State != "merged" || m.MergedAt == nil || m.MergedBy == nil || m.MergedBy.Username != "owner" ||
		m.MergeCommitSHA == nil || m.ID != p.ID {
		t.Fatalf("merged pull %+v", m)
	}
	if tip := f.tip(t, "main"); tip != *m.MergeCommitSHA {
		t.Fatalf("main at %s, merge commit %s", tip, *m.MergeCommitSHA)
	}
	var c struct {
		ParentIDs []string `json:"parent_ids"`
	}
	gitlabCall(t, f.s, 200, "GET", "/projects/owner%2Frepo/repository/commits/"+*m.MergeCommitSHA, f.token,
		nil).JSON(t, &c)
	if len(c.ParentIDs) != 2 || c.ParentIDs[1] != f.feature {
		t.Fatalf("merge commit's parents %v", c.ParentIDs)
	}
	e := fails(t, call(t, f.s, "PUT", "/api/repos/owner/repo/pulls/1/merge", f.token, ""), 409, "CONFLICT",
		"state", "not_mergeable")
	if e.Error.Message != "Pull request is already merged" {
		t.Errorf("message %q", e.Error.Message)
	}
	for state, want := range map[string]int{"": 0, "open": 0, "merged": 1, "all": 1, "closed": 0} {
		got := ok[[]pullJSON](t, call(t, f.s, "GET", "/api/repos/owner/repo/pulls?state="+state, f.token, ""), 200).Data
		if len(got) != want {
			t.Errorf("state=%s: %d pull requests, want %d", state, len(got), want)
		}
	}
	fails(t, call(t, f.s, "GET", "/api/repos/owner/repo/pulls?state=bogus", f.token, ""), 422,
		"VALIDATION_ERROR", "state", "invalid")
}

// A squash merge makes the pull request's commits one, on the base, and merges that.
func TestSquashMergePull(t *testing.T) {
	t.Parallel()
	f := newPullFixture(t)
	f.commit(t, "feature-branch", "", map[string]string{"second.txt": "two\n"})
	f.open(t, "Squashed", "feature-branch")
	before := f.tip(t, "main")
	m := ok[pullJSON](t, call(t, f.s, "PUT", "/api/repos/owner/repo/pulls/1/merge", f.token,
		`{"merge_method": "squash", "commit_title": "One commit", "commit_message": "All of it"}`), 200).Data
	if !m.Merged || m.MergeCommitSHA == nil || *m.MergeCommitSHA != f.tip(t, "main") {
		t.Fatalf("pull %+v", m)
	}
	type commitJSON struct {
		Title     string   `json:"title"`
		Message   string   `json:"message"`
		ParentIDs []string `json:"parent_ids"`
	}
	var merge, squash commitJSON
	gitlabCall(t, f.s, 200, "GET", "/projects/owner%2Frepo/repository/commits/main", f.token, nil).JSON(t, &merge)
	if len(merge.ParentIDs) != 2 || merge.ParentIDs[0] != before {
		t.Fatalf("merge commit %+v, want one on %s", merge, before)
	}
	gitlabCall(t, f.s, 200, "GET", "/projects/owner%2Frepo/repository/commits/"+merge.ParentIDs[1], f.token,
		nil).JSON(t, &squash)
	if len(squash.ParentIDs) != 1 || squash.ParentIDs[0] != before ||
		strings.TrimSpace(squash.Message) != "One commit\n\nAll of it" {
		t.Fatalf("squashed commit %+v, want one commit on %s", squash, before)
	}
	for _, file := range []string{"feature.txt", "second.txt"} {
		gitlabCall(t, f.s, 200, "GET", "/projects/owner%2Frepo/repository/files/"+file+
			"?ref="+merge.ParentIDs[1], f.token, nil)
	}
}

func TestCreatePullErrors(t *testing.T) {
	t.Parallel()
	f := newPullFixture(t)
	f.open(t, "First", "feature-branch")
	tests := []struct {
		name, body        string
		status            int
		code              string
		field, constraint string
	}{
		{"missing title", `{"head": "feature-branch", "base": "main"}`, 422, "VALIDATION_ERROR", "title", "required"},
		{"nothing given", `{}`, 422, "VALIDATION_ERROR", "title", "required"},
		{"blank title", `{"title": " ", "head": "feature-branch", "base": "main"}`, 422, "VALIDATION_ERROR",
			"title", "required"},
		{"title too long", `{"title": "` + strings.Repeat("t", 256) +
			`", "head": "feature-branch", "base": "main"}`, 422, "VALIDATION_ERROR", "title", "too_long"},
		{"missing head", `{"title": "t", "base": "main"}`, 422, "VALIDATION_ERROR", "head", "required"},
		{"missing base", `{"title": "t", "head": "feature-branch"}`, 422, "VALIDATION_ERROR", "base", "required"},
		{"unknown head", `{"title": "t", "head": "no-such-branch", "base": "main"}`, 422, "VALIDATION_ERROR",
			"head", "not_found"},
		{"unknown base", `{"title": "t", "head": "feature-branch", "base": "no-such-branch"}`, 422,
			"VALIDATION_ERROR", "base", "not_found"},
		{"same head and base", `{"title": "t", "head": "main", "base": "main"}`, 422, "VALIDATION_ERROR",
			"base", "same_as_head"},
		{"title of the wrong type", `{"title": ["t"], "head": "feature-branch", "base": "main"}`, 400,
			"VALIDATION_ERROR", "title", "invalid"},
		{"malformed JSON", `{"title": "t",`, 400, "VALIDATION_ERROR", "body", "malformed"},
		{"already open", `{"title": "again", "head": "feature-branch", "base": "main"}`, 409, "CONFLICT", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fails(t, call(t, f.s, "POST", "/api/repos/owner/repo/pulls", f.token, tt.body), tt.status,
				tt.code, tt.field, tt.constraint)
		})
	}
	fails(t, call(t, f.s, "POST", "/api/repos/owner/nothing/pulls", f.token,
		`{"title": "t", "head": "feature-branch", "base": "main"}`),
		404, "NOT_FOUND", "", "")
}

func TestMergePullErrors(t *testing.T) {
	t.Parallel()
	f := newPullFixture(t)
	f.open(t, "Feature", "feature-branch")

	// A head that moved since the sha the caller reviewed.
	e := fails(t,
		call(t, f.s, "PUT", "/api/repos/owner/repo/pulls/1/merge", f.token, `{"sha": "`+strings.Repeat("0", 40)+`"}`),
		409, "CONFLICT", "sha", "stale")
	if !strings.Contains(e.Error.Message, f.feature) {
		t.Errorf("message %q does not give the head", e.Error.Message)
	}
	fails(t, call(t, f.s, "PUT", "/api/repos/owner/repo/pulls/1/merge", f.token, `{"merge_method": "rebase"}`),
		422, "VALIDATION_ERROR", "merge_method", "invalid")
	// A number is not read as the text "3": the type is wrong, as a malformed request's is.
	fails(t, call(t, f.s, "PUT", "/api/repos/owner/repo/pulls/1/merge", f.token, `{"merge_method": 3}`),
		400, "VALIDATION_ERROR", "merge_method", "invalid")
	fails(t, call(t, f.s, "PUT", "/api/repos/owner/repo/pulls/9/merge", f.token, ""), 404, "NOT_FOUND", "", "")

	// Branches that change the same line conflict; nothing is merged.
	f.commit(t, "left", "main", map[string]string{"README.md": "left\n"})
	f.commit(t, "main", "", map[string]string{"README.md": "right\n"})
	f.open(t, "Conflicting", "left")
	got := ok[pullJSON](t, call(t, f.s, "GET", "/api/repos/owner/repo/pulls/2", f.token, ""), 200).Data
	if got.Mergeable == nil || *got.Mergeable || got.MergeableState != "conflict" {
		t.Errorf("conflicting pull: mergeable %v, state %q", got.Mergeable, got.MergeableState)
	}
	before := f.tip(t, "main")
	fails(t, call(t, f.s, "PUT", "/api/repos/owner/repo/pulls/2/merge", f.token, ""), 409, "CONFLICT", "head",
		"merge_conflict")
	if after := f.tip(t, "main"); after != before {
		t.Errorf("a refused merge moved main from %s to %s", before, after)
	}

	// A draft is not merged until it is marked ready.
	draft := ok[pullJSON](t, call(t, f.s, "POST", "/api/repos/owner/repo/pulls", f.token,
		`{"title": "Later", "head": "left", "base": "feature-branch", "draft": true}`), 201).Data
	if !draft.Draft || draft.Mergeable == nil || *draft.Mergeable || draft.MergeableState != "draft_status" {
		t.Errorf("draft %+v", draft)
	}
	e = fails(t, call(t, f.s, "PUT", "/api/repos/owner/repo/pulls/"+itoa(draft.Number)+"/merge", f.token, ""),
		409, "CONFLICT", "state", "not_mergeable")
	if !strings.Contains(e.Error.Message, "draft") {
		t.Errorf("message %q", e.Error.Message)
	}

	// A closed pull request is not merged.
	gitlabCall(t, f.s, 200, "PUT", "/projects/owner%2Frepo/merge_requests/1", f.token,
		map[string]any{"state_event": "close"})
	e = fails(t, call(t, f.s, "PUT", "/api/repos/owner/repo/pulls/1/merge", f.token, ""), 409, "CONFLICT",
		"state", "not_mergeable")
	if e.Error.Message != "Pull request is closed" {
		t.Errorf("message %q", e.Error.Message)
	}
	if got := ok[pullJSON](t, call(t, f.s, "GET", "/api/repos/owner/repo/pulls/1", f.token, ""),
		200).Data; got.State != "closed" {
		t.Errorf("state %q", got.State)
	}
}

// Pull requests take the pr scope (or api): a token for repositories alone is refused them,
// and a token for pull requests alone may open, list and merge them.
func TestPullScopes(t *testing.T) {
	t.Parallel()
	f := newPullFixture(t)
	repoOnly := tokenFor(t, f.s, f.uid, "repo")
	prOnly := tokenFor(t, f.s, f.uid, "pr")
	body := `{"title": "t", "head": "feature-branch", "base": "main"}`
	for _, req := range []struct{ method, path, body string }{
		{"GET", "/api/repos/owner/repo/pulls", ""},
		{"POST", "/api/repos/owner/repo/pulls", body},
		{"GET", "/api/repos/owner/repo/pulls/1", ""},
		{"PUT", "/api/repos/owner/repo/pulls/1/merge", ""},
	} {
		e := fails(t, call(t, f.s, req.method, req.path, repoOnly, req.body), 403, "FORBIDDEN", "scope",
			"insufficient_scope")
		if !strings.Contains(e.Error.Message, `"pr"`) {
			t.Errorf("%s %s: message %q", req.method, req.path, e.Error.Message)
		}
	}
	ok[pullJSON](t, call(t, f.s, "POST", "/api/repos/owner/repo/pulls", prOnly, body), 201)
	ok[[]pullJSON](t, call(t, f.s, "GET", "/api/repos/owner/repo/pulls", prOnly, ""), 200)
	ok[pullJSON](t, call(t, f.s, "PUT", "/api/repos/owner/repo/pulls/1/merge", prOnly, ""), 200)
	fails(t, call(t, f.s, "POST", "/api/repos", prOnly, `{"name": "x"}`), 403, "FORBIDDEN", "scope",
		"insufficient_scope")
}

// Pull requests of a private repository do not exist for others; others may not open any
// on a repository they cannot write to.
func TestPullVisibility(t *testing.T) {
	t.Parallel()
	f := newPullFixture(t)
	f.open(t, "Feature", "feature-branch")
	_, bob := f.s.CreateUser(t, "bob")
	for _, path := range []string{"/api/repos/owner/repo/pulls", "/api/repos/owner/repo/pulls/1"} {
		fails(t, call(t, f.s, "GET", path, bob, ""), 404, "NOT_FOUND", "", "")
		fails(t, call(t, f.s, "GET", path, "", ""), 404, "NOT_FOUND", "", "")
	}
	fails(t, call(t, f.s, "PUT", "/api/repos/owner/repo/pulls/1/merge", bob, ""), 404, "NOT_FOUND", "", "")
	fails(t, call(t, f.s, "PUT", "/api/repos/owner/repo/pulls/1/merge", "", ""), 401, "UNAUTHORIZED", "token",
		"required")

	gitlabCall(t, f.s, 200, "PUT", "/projects/owner%2Frepo", f.token, map[string]any{"visibility": "public"})
	ok[[]pullJSON](t, call(t, f.s, "GET", "/api/repos/owner/repo/pulls", "", ""), 200)
	fails(t, call(t, f.s, "POST", "/api/repos/owner/repo/pulls", bob,
		`{"title": "t", "head": "feature-branch", "base": "main"}`),
		403, "FORBIDDEN", "", "")
	fails(t, call(t, f.s, "PUT", "/api/repos/owner/repo/pulls/1/merge", bob, ""), 403, "FORBIDDEN", "", "")
}

// tokenFor issues another token of a user with scopes.
func tokenFor(t *testing.T, s *servertest.Server, uid int64, scopes ...string) string {
	t.Helper()
	var tok struct{ Token string }
	gitlabCall(t, s, 201, "POST", "/users/"+itoa(uid)+"/personal_access_tokens", s.AdminToken,
		map[string]any{"name": "t-" + strings.Join(scopes, "-"), "scopes": scopes}).JSON(t, &tok)
	return tok.Token
}

// On a repository that merges by fast-forward only, a pull request whose head is behind its
// base is not mergeable until rebased, and says why.
func TestPullBehindOnFastForwardRepositoryNeedsRebase(t *testing.T) {
	t.Parallel()
	f := newPullFixture(t)
	gitlabCall(t, f.s, 200, "PUT", "/projects/owner%2Frepo", f.token, map[string]any{"merge_method": "ff"})
	f.commit(t, "main", "", map[string]string{"main.txt": "moved\n"})
	f.open(t, "Behind", "feature-branch")
	p := ok[pullJSON](t, call(t, f.s, "GET", "/api/repos/owner/repo/pulls/1", f.token, ""), 200).Data
	if p.Mergeable == nil || *p.Mergeable || p.MergeableState != "need_rebase" {
		t.Fatalf("mergeable %v, mergeable_state %q; want false, need_rebase", p.Mergeable, p.MergeableState)
	}
	before := f.tip(t, "main")
	for _, body := range []string{"", `{"merge_method": "squash"}`} {
		fails(t, call(t, f.s, "PUT", "/api/repos/owner/repo/pulls/1/merge", f.token, body), 409, "CONFLICT",
			"head", "need_rebase")
	}
	if after := f.tip(t, "main"); after != before {
		t.Fatalf("a refused merge moved main from %s to %s", before, after)
	}
}

// A pull request number that names none, however large, is a pull request not found in the
// repository; the repository itself is not found only when it does not exist.
func TestUnknownPullNumbers(t *testing.T) {
	t.Parallel()
	f := newPullFixture(t)
	f.open(t, "Feature", "feature-branch")
	for _, tt := range []struct {
		method, path, message string
	}{
		{"GET", "/api/repos/owner/repo/pulls/2", "Pull request not found"},
		{"GET", "/api/repos/owner/repo/pulls/0", "Pull request not found"},
		{"GET", "/api/repos/owner/repo/pulls/99999999999999999999", "Pull request not found"},
		{"GET", "/api/repos/owner/repo/pulls/pr-99999999999999999999", "Pull request not found"},
		{"PUT", "/api/repos/owner/repo/pulls/99999999999999999999/merge", "Pull request not found"},
		{"GET", "/api/repos/owner/nothing/pulls/99999999999999999999", "Repository not found"},
	} {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			e := fails(t, call(t, f.s, tt.method, tt.path, f.token, ""), 404, "NOT_FOUND", "", "")
			if e.Error.Message != tt.message {
				t.Fatalf("message %q, want %q", e.Error.Message, tt.message)
			}
		})
	}
}

// A second open pull request for the same branches is refused in this dialect's words.
func TestSecondOpenPullIsAConflict(t *testing.T) {
	t.Parallel()
	f := newPullFixture(t)
	f.open(t, "Feature", "feature-branch")
	e := fails(t, call(t, f.s, "POST", "/api/repos/owner/repo/pulls", f.token,
		`{"title": "Again", "head": "feature-branch", "base": "main"}`), http.StatusConflict, "CONFLICT", "", "")
	if want := "Another open pull request already exists for this source branch: !1"; e.Error.Message != want {
		t.Fatalf("message %q, want %q", e.Error.Message, want)
	}
}

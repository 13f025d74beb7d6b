package gitlab_test

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/cairn-forge/cairn/server/servertest"
)

// mrJSON is a merge request as a client decodes it; only the fields tests read.
type mrJSON struct {
	issuableJSON
	SourceBranch             string     `json:"source_branch"`
	TargetBranch             string     `json:"target_branch"`
	Draft                    bool       `json:"draft"`
	WorkInProgress           bool       `json:"work_in_progress"`
	MergeStatus              string     `json:"merge_status"`
	DetailedMergeStatus      string     `json:"detailed_merge_status"`
	SHA                      *string    `json:"sha"`
	MergeCommitSHA           *string    `json:"merge_commit_sha"`
	SquashCommitSHA          *string    `json:"squash_commit_sha"`
	HasConflicts             bool       `json:"has_conflicts"`
	ChangesCount             *string    `json:"changes_count"`
	Reviewers                []userJSON `json:"reviewers"`
	MergedBy                 *userJSON  `json:"merged_by"`
	MergeUser                *userJSON  `json:"merge_user"`
	MergedAt                 *string    `json:"merged_at"`
	Reference                string     `json:"reference"`
	ShouldRemoveSourceBranch *bool      `json:"should_remove_source_branch"`
	DiffRefs                 *struct {
		BaseSHA  string `json:"base_sha"`
		HeadSHA  string `json:"head_sha"`
		StartSHA string `json:"start_sha"`
	} `json:"diff_refs"`
	User struct {
		CanMerge bool `json:"can_merge"`
	} `json:"user"`
	Changes []diffJSON `json:"changes"`
}

func update(path, content string) map[string]any {
	return map[string]any{"action": "update", "file_path": path, "content": content}
}

// branch makes a commit of actions on a new branch started from main.
func (f *repoFixture) branch(name string, actions ...map[string]any) commitJSON {
	f.t.Helper()
	body := map[string]any{"branch": name, "start_branch": "main", "commit_message": "work on " + name,
		"actions": actions}
	return decode[commitJSON](f.t,
		mustDo(f.t, f.s, http.StatusCreated, "POST", f.url("/repository/commits"), f.token, body))
}

// openMR opens a merge request of source into main.
func (f *repoFixture) openMR(source, title string, extra ...map[string]any) mrJSON {
	f.t.Helper()
	body := map[string]any{"source_branch": source, "target_branch": "main", "title": title}
	for _, e := range extra {
		for k, v := range e {
			body[k] = v
		}
	}
	return decode[mrJSON](f.t, mustDo(f.t, f.s, http.StatusCreated, "POST", f.url("/merge_requests"), f.token, body))
}

func (f *repoFixture) mr(iid int64) mrJSON {
	f.t.Helper()
	return decode[mrJSON](f.t,
		mustDo(f.t, f.s, http.StatusOK, "GET", f.url("/merge_requests/"+itoa(iid)), f.token, nil))
}

func (f *repoFixture) mainTip() commitJSON {
	f.t.Helper()
	return decode[commitJSON](f.t,
		mustDo(f.t, f.s, http.StatusOK, "GET", f.url("/repository/commits/main"), f.token, nil))
}

func TestMergeRequestLifecycle(t *testing.T) {
	f := newRepoFixture(t, nil)
	head := f.branch("feature", create("feature.txt", "a feature\n"), update("README.md", "# demo\n\nchanged\n"))

	m := f.openMR("feature", "Add a feature",
		map[string]any{"description": "- [x] done\n- [ ] later", "labels": "review,backend"})
	if m.IID != 1 || m.State != "opened" || m.SourceBranch != "feature" || m.TargetBranch != "main" {
		t.Fatalf("created %+v", m)
	}
	if m.SHA == nil || *m.SHA != head.ID {
		t.Fatalf("sha %v, want the source tip %s", m.SHA, head.ID)
	}
	if m.Reference != "!1" || !strings.HasSuffix(m.WebURL, "/root/demo/-/merge_requests/1") {
		t.Errorf("reference %q, web_url %q", m.Reference, m.WebURL)
	}
	if strings.Join(m.Labels, ",") != "backend,review" {
		t.Errorf("labels %v", m.Labels)
	}

	got := f.mr(1)
	if got.MergeStatus != "can_be_merged" || got.DetailedMergeStatus != "mergeable" || got.HasConflicts {
		t.Fatalf("checked status %q/%q conflicts %v", got.MergeStatus, got.DetailedMergeStatus, got.HasConflicts)
	}
	if got.ChangesCount == nil || *got.ChangesCount != "2" {
		t.Errorf("changes_count %v, want 2", got.ChangesCount)
	}
	if got.DiffRefs == nil || got.DiffRefs.HeadSHA != head.ID || got.DiffRefs.BaseSHA != head.ParentIDs[0] {
		t.Errorf("diff_refs %+v, want base %s head %s", got.DiffRefs, head.ParentIDs[0], head.ID)
	}
	if !got.User.CanMerge {
		t.Error("the owner cannot merge")
	}

	changes := decode[mrJSON](t, mustDo(t, f.s, 200, "GET", f.url("/merge_requests/1/changes"), f.token, nil))
	if len(changes.Changes) != 2 || changes.Changes[0].NewPath != "README.md" || !changes.Changes[1].NewFile ||
		!strings.Contains(changes.Changes[1].Diff, "+a feature") {
		t.Fatalf("changes %+v", changes.Changes)
	}
	r := mustDo(t, f.s, 200, "GET", f.url("/merge_requests/1/diffs?per_page=1&page=2"), f.token, nil)
	if r.Header.Get("X-Total") != "2" || r.Header.Get("X-Page") != "2" {
		t.Errorf("diffs headers X-Total %q X-Page %q", r.Header.Get("X-Total"), r.Header.Get("X-Page"))
	}
	if d := decode[[]diffJSON](t, r); len(d) != 1 || d[0].NewPath != "feature.txt" {
		t.Errorf("second page of diffs %+v", d)
	}
	commits := decode[[]commitJSON](t, mustDo(t, f.s, 200, "GET", f.url("/merge_requests/1/commits"), f.token, nil))
	if len(commits) != 1 || commits[0].ID != head.ID {
		t.Errorf("commits %+v", commits)
	}

	// Lists and their filters.
	for q, want := range map[string]int{"": 1, "?state=opened": 1, "?state=merged": 0, "?source_branch=feature": 1,
		"?source_branch=other": 0, "?labels=review": 1, "?labels=nope": 0, "?search=feature": 1, "?wip=yes": 0} {
		r := mustDo(t, f.s, 200, "GET", f.url("/merge_requests"+q), f.token, nil)
		if n := len(decode[[]mrJSON](t, r)); n != want || r.Header.Get("X-Total") != itoa(int64(want)) {
			t.Errorf("list%s: %d items, X-Total %q; want %d", q, n, r.Header.Get("X-Total"), want)
		}
	}
	if n := len(
		decode[[]mrJSON](t, mustDo(t, f.s, 200, "GET", "/api/v4/merge_requests?scope=all", f.token, nil))); n != 1 {
		t.Errorf("GET /merge_requests?scope=all: %d", n)
	}

	// Draft by title and by parameter; a draft cannot be merged.
	d := decode[mrJSON](t,
		mustDo(t, f.s, 200, "PUT", f.url("/merge_requests/1"), f.token, map[string]any{"draft": true}))
	if !d.Draft || !d.WorkInProgress || d.Title != "Draft: Add a feature" {
		t.Fatalf("draft: %+v", d)
	}
	wantJSON(t, f.do("PUT", "/merge_requests/1/merge", f.token, nil), 405, `{"message":"405 Method Not Allowed"}`)
	d = decode[mrJSON](t,
		mustDo(t, f.s, 200, "PUT", f.url("/merge_requests/1"), f.token, map[string]any{"title": "Add a feature"}))
	if d.Draft {
		t.Fatal("still a draft after the prefix was removed")
	}

	// Close and reopen, each with a system note.
	c := decode[mrJSON](t,
		mustDo(t, f.s, 200, "PUT", f.url("/merge_requests/1"), f.token, map[string]any{"state_event": "close"}))
	if c.State != "closed" || c.ClosedBy == nil {
		t.Fatalf("closed: %+v", c)
	}
	wantJSON(t, f.do("PUT", "/merge_requests/1/merge", f.token, nil), 405, `{"message":"405 Method Not Allowed"}`)
	mustDo(t, f.s, 200, "PUT", f.url("/merge_requests/1"), f.token, map[string]any{"state_event": "reopen"})

	// Merge, guarded by the sha the caller reviewed.
	merged := decode[mrJSON](t, mustDo(t, f.s, 200, "PUT", f.url("/merge_requests/1/merge"), f.token,
		map[string]any{"sha": head.ID, "should_remove_source_branch": true}))
	if merged.State != "merged" || merged.MergeCommitSHA == nil || merged.MergedBy == nil || merged.MergeUser == nil ||
		merged.MergedAt == nil || merged.DetailedMergeStatus != "not_open" {
		t.Fatalf("merged: %+v", merged)
	}
	tip := f.mainTip()
	if tip.ID != *merged.MergeCommitSHA || len(tip.ParentIDs) != 2 || tip.ParentIDs[1] != head.ID {
		t.Fatalf("main is %s with parents %v; want the merge commit %s of %s", tip.ID, tip.ParentIDs,
			*merged.MergeCommitSHA, head.ID)
	}
	if !strings.HasPrefix(tip.Message,
		"Merge branch 'feature' into 'main'\n\nAdd a feature\n\nSee merge request root/demo!1") {
		t.Errorf("merge message %q", tip.Message)
	}
	mustDo(t, f.s, 404, "GET", f.url("/repository/branches/feature"), f.token, nil)
	wantJSON(t, f.do("PUT", "/merge_requests/1/merge", f.token, nil), 405, `{"message":"405 Method Not Allowed"}`)
	wantJSON(t, f.do("PUT", "/merge_requests/1", f.token, map[string]any{"target_branch": "other"}), 422,
		`{"message":["Target branch of a merged merge request can't be changed"]}`)

	// A merged merge request keeps its diff and commits, and its notes tell its story.
	changes = decode[mrJSON](t, mustDo(t, f.s, 200, "GET", f.url("/merge_requests/1/changes"), f.token, nil))
	if len(changes.Changes) != 2 {
		t.Errorf("changes after merge: %d", len(changes.Changes))
	}
	notes := decode[[]noteJSON](t, mustDo(t, f.s, 200, "GET", f.url("/merge_requests/1/notes?sort=asc"), f.token, nil))
	var bodies []string
	for _, n := range notes {
		bodies = append(bodies, n.Body)
		if n.NoteableType != "MergeRequest" || n.NoteableIID != 1 {
			t.Errorf("note %+v", n)
		}
	}
	want := "marked this merge request as **draft**|marked this merge request as **ready**|closed|reopened|merged"
	if strings.Join(bodies, "|") != want {
		t.Errorf("system notes %q, want %q", strings.Join(bodies, "|"), want)
	}
	note := decode[noteJSON](t,
		mustDo(t, f.s, 201, "POST", f.url("/merge_requests/1/notes"), f.token, map[string]any{"body": "LGTM"}))
	if note.System || note.NoteableType != "MergeRequest" {
		t.Errorf("note %+v", note)
	}
}

func TestMergeRequestErrors(t *testing.T) {
	f := newRepoFixture(t, nil)
	f.branch("feature", create("a.txt", "a\n"))
	f.openMR("feature", "First")
	dev := f.member("dev", 30)
	reporter := f.member("reporter", 20)
	outsider := f.member("outsider", 0)
	mustDo(t, f.s, 200, "PUT", f.url(""), f.token, map[string]any{"visibility": "private"})

	long := strings.Repeat("x", 256)
	for _, tt := range []struct {
		name, method, path, token string
		body                      any
		code                      int
		want                      string
	}{
		{"missing parameters", "POST", "/merge_requests", f.token, map[string]any{"title": "x"}, 400,
			`{"error":"source_branch is missing, target_branch is missing"}`},
		{"same branches", "POST", "/merge_requests", f.token,
			map[string]any{"source_branch": "main", "target_branch": "main", "title": "x"},
			422, `{"message":["You can't use same project/branch for source and target"]}`},
		{"unknown source", "POST", "/merge_requests", f.token,
			map[string]any{"source_branch": "nope", "target_branch": "main", "title": "x"},
			422, `{"message":["Source branch \"nope\" does not exist"]}`},
		{"unknown target", "POST", "/merge_requests", f.token,
			map[string]any{"source_branch": "feature", "target_branch": "nope", "title": "x"},
			422, `{"message":["Target branch \"nope\" does not exist"]}`},
		{"duplicate", "POST", "/merge_requests", f.token,
			map[string]any{"source_branch": "feature", "target_branch": "main", "title": "x"},
			409, `{"message":"Another open merge request already exists for this source branch: !1"}`},
		{"huge title", "POST", "/merge_requests", f.token,
			map[string]any{"source_branch": "feature", "target_branch": "main", "title": long},
			400, `{"message":{"title":["is too long (maximum is 255 characters)"]}}`},
		{"blank title", "POST", "/merge_requests", f.token,
			map[string]any{"source_branch": "feature", "target_branch": "main", "title": " "},
			400, `{"message":{"title":["can't be blank"]}}`},
		{"reporter creates", "POST", "/merge_requests", reporter,
			map[string]any{"source_branch": "feature", "target_branch": "main", "title": "x"},
			403, `{"message":"403 Forbidden"}`},
		{"outsider reads", "GET", "/merge_requests/1", outsider, nil, 404, `{"message":"404 Project Not Found"}`},
		{"outsider lists", "GET", "/merge_requests", outsider, nil, 404, `{"message":"404 Project Not Found"}`},
		{"anonymous merges", "PUT", "/merge_requests/1/merge", "", nil, 401, `{"message":"401 Unauthorized"}`},
		{"unknown iid", "GET", "/merge_requests/99", f.token, nil, 404, `{"message":"404 Not found"}`},
		{"bad iid", "GET", "/merge_requests/x", f.token, nil, 404, `{"message":"404 Not found"}`},
		{"developer merges into protected main", "PUT", "/merge_requests/1/merge", dev, nil, 401,
			`{"message":"401 Unauthorized"}`},
		{"stale sha", "PUT", "/merge_requests/1/merge", f.token,
			map[string]any{"sha": strings.Repeat("a", 40)}, 409, ""},
		{"bad state_event", "PUT", "/merge_requests/1", f.token, map[string]any{"state_event": "explode"}, 400, ""},
		{"no update parameter", "PUT", "/merge_requests/1", f.token, map[string]any{}, 400, ""},
		{"bad state filter", "GET", "/merge_requests?state=sideways", f.token, nil, 400, ""},
		{"reporter rebases", "PUT", "/merge_requests/1/rebase", reporter, nil, 403, `{"message":"403 Forbidden"}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := f.do(tt.method, tt.path, tt.token, tt.body)
			if tt.want == "" {
				wantStatus(t, r, tt.code)
				return
			}
			wantJSON(t, r, tt.code, tt.want)
		})
	}
	r := f.do("PUT", "/merge_requests/1/merge", f.token, map[string]any{"sha": strings.Repeat("a", 40)})
	if !strings.Contains(string(r.Body), "SHA does not match HEAD of source branch: ") {
		t.Errorf("stale sha body %s", r.Body)
	}
	if f.mr(1).State != "opened" {
		t.Error("a refused merge changed the merge request")
	}
}

func TestMergeRequestConflictIs406(t *testing.T) {
	f := newRepoFixture(t, nil)
	f.branch("left", update("README.md", "left\n"))
	f.commit("main", "main moves", update("README.md", "right\n"))
	f.openMR("left", "Conflicting")
	m := f.mr(1)
	if m.MergeStatus != "cannot_be_merged" || !m.HasConflicts || m.DetailedMergeStatus != "conflict" {
		t.Fatalf("status %q/%q conflicts %v", m.MergeStatus, m.DetailedMergeStatus, m.HasConflicts)
	}
	before := f.mainTip()
	wantJSON(t, f.do("PUT", "/merge_requests/1/merge", f.token, nil), 406, `{"message":"Branch cannot be merged"}`)
	if f.mainTip().ID != before.ID {
		t.Fatal("a conflicting merge moved main")
	}

	// Resolving the conflict on the source branch makes it mergeable again.
	f.commit("left", "resolve", update("README.md", "right\n"))
	if m := f.mr(1); m.MergeStatus != "can_be_merged" || m.HasConflicts {
		t.Fatalf("after resolution: %q conflicts %v", m.MergeStatus, m.HasConflicts)
	}
}

func TestMergeRequestSquashAndFastForward(t *testing.T) {
	f := newRepoFixture(t, nil)
	f.branch("topic", create("one.txt", "1\n"))
	f.commit("topic", "second", create("two.txt", "2\n"))
	f.openMR("topic", "Squash me")
	oldMain := f.mainTip()
	m := decode[mrJSON](t, mustDo(t, f.s, 200, "PUT", f.url("/merge_requests/1/merge"), f.token,
		map[string]any{"squash": true, "squash_commit_message": "One and two"}))
	if m.SquashCommitSHA == nil || m.MergeCommitSHA == nil {
		t.Fatalf("squash merge: %+v", m)
	}
	squash := decode[commitJSON](t,
		mustDo(t, f.s, 200, "GET", f.url("/repository/commits/"+*m.SquashCommitSHA), f.token, nil))
	if len(squash.ParentIDs) != 1 || squash.ParentIDs[0] != oldMain.ID || squash.Title != "One and two" {
		t.Fatalf("squash commit %+v", squash)
	}
	tip := f.mainTip()
	if tip.ID != *m.MergeCommitSHA || len(tip.ParentIDs) != 2 || tip.ParentIDs[1] != squash.ID {
		t.Fatalf("main %s parents %v", tip.ID, tip.ParentIDs)
	}

	// A fast-forward-only project merges without a merge commit, and refuses what needs one.
	mustDo(t, f.s, 200, "PUT", f.url(""), f.token, map[string]any{"merge_method": "ff"})
	ff := f.branch("ff", create("ff.txt", "ff\n"))
	f.openMR("ff", "Fast")
	f.branch("behind", create("behind.txt", "b\n"))
	f.openMR("behind", "Behind")
	m = decode[mrJSON](t, mustDo(t, f.s, 200, "PUT", f.url("/merge_requests/2/merge"), f.token, nil))
	if m.MergeCommitSHA != nil || f.mainTip().ID != ff.ID {
		t.Fatalf("fast-forward: merge_commit_sha %v, main %s, want %s", m.MergeCommitSHA, f.mainTip().ID, ff.ID)
	}
	wantJSON(t, f.do("PUT", "/merge_requests/3/merge", f.token, nil), 406, `{"message":"Branch cannot be merged"}`)
}

// On a project that merges by fast-forward only, a source branch behind its target needs a
// rebase: the merge request says so (need_rebase, and the user cannot merge it), and the
// merge is refused as GitLab refuses it, squashed or not, until the branch is rebased.
func TestFastForwardProjectNeedsRebasedSource(t *testing.T) {
	tests := []struct {
		name        string
		mergeMethod string
		squash      bool
		// status is the detailed_merge_status of the branch behind main; refused, whether
		// its merge is refused.
		status  string
		refused bool
	}{
		{"merge commits merge a branch behind", "merge", false, "mergeable", false},
		{"fast-forward needs a rebase", "ff", false, "need_rebase", true},
		{"fast-forward needs a rebase before a squash too", "ff", true, "need_rebase", true},
		{"semi-linear history needs a rebase", "rebase_merge", false, "need_rebase", true},
		{"semi-linear history needs a rebase before a squash too", "rebase_merge", true, "need_rebase", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newRepoFixture(t, nil)
			mustDo(t, f.s, 200, "PUT", f.url(""), f.token, map[string]any{"merge_method": tt.mergeMethod})
			f.branch("behind", create("behind.txt", "b\n"))
			f.commit("main", "main moves on", create("main.txt", "m\n"))
			f.openMR("behind", "Behind")

			m := f.mr(1)
			if m.MergeStatus != "can_be_merged" || m.HasConflicts || m.DetailedMergeStatus != tt.status ||
				m.User.CanMerge == tt.refused {
				t.Fatalf(
					"merge_status %q, has_conflicts %v, detailed_merge_status %q, can_merge %v; want %q and can_merge %v",
					m.MergeStatus, m.HasConflicts, m.DetailedMergeStatus, m.User.CanMerge, tt.status, !tt.refused)
			}
			if list := decode[[]mrJSON](t,
				mustDo(t, f.s, 200, "GET", f.url("/merge_requests"), f.token,
					nil)); list[0].DetailedMergeStatus != tt.status {
				t.Errorf("listed with detailed_merge_status %q", list[0].DetailedMergeStatus)
			}
			before := f.mainTip().ID
			r := f.do("PUT", "/merge_requests/1/merge", f.token, map[string]any{"squash": tt.squash})
			if !tt.refused {
				wantStatus(t, r, 200)
				return
			}
			wantJSON(t, r, 406, `{"message":"Branch cannot be merged"}`)
			if tip := f.mainTip().ID; tip != before || f.mr(1).State != "opened" {
				t.Fatalf("a refused merge moved main from %s to %s or left the merge request %q", before, tip,
					f.mr(1).State)
			}

			// Rebased (remade on main), the branch is a fast-forward and merges: ff moves main
			// to it (or to its squash), rebase_merge still writes a merge commit.
			head := decode[commitJSON](t,
				mustDo(t, f.s, 201, "POST", f.url("/repository/commits"), f.token, map[string]any{
					"branch": "behind", "start_branch": "main", "force": true, "commit_message": "rebased",
					"actions": []map[string]any{create("behind.txt", "b\n")}}))
			if m := f.mr(1); m.DetailedMergeStatus != "mergeable" || !m.User.CanMerge {
				t.Fatalf("rebased: detailed_merge_status %q, can_merge %v", m.DetailedMergeStatus, m.User.CanMerge)
			}
			merged := decode[mrJSON](t,
				mustDo(t, f.s, 200, "PUT", f.url("/merge_requests/1/merge"), f.token,
					map[string]any{"squash": tt.squash}))
			tip := f.mainTip()
			landed := head.ID
			if tt.squash {
				if merged.SquashCommitSHA == nil {
					t.Fatalf("squashed merge without squash_commit_sha: %+v", merged)
				}
				landed = *merged.SquashCommitSHA
			}
			switch tt.mergeMethod {
			case "ff":
				if tip.ID != landed || merged.MergeCommitSHA != nil {
					t.Fatalf("main %s, merge_commit_sha %v; want main fast-forwarded to %s", tip.ID,
						merged.MergeCommitSHA, landed)
				}
			case "rebase_merge":
				if len(tip.ParentIDs) != 2 || tip.ParentIDs[0] != before || tip.ParentIDs[1] != landed ||
					merged.MergeCommitSHA == nil || *merged.MergeCommitSHA != tip.ID {
					t.Fatalf("main %s has parents %v, merge_commit_sha %v; want a merge commit of %s on %s",
						tip.ID, tip.ParentIDs, merged.MergeCommitSHA, landed, before)
				}
			}
		})
	}
}

func TestMergeRequestFollowsPushes(t *testing.T) {
	f := newRepoFixture(t, nil)
	f.branch("feature", create("f.txt", "1\n"))
	f.openMR("feature", "Moving")
	if f.mr(1).MergeStatus != "can_be_merged" {
		t.Fatal("not mergeable at first")
	}
	next := f.commit("feature", "more", update("f.txt", "2\n"))
	list := decode[[]mrJSON](t, mustDo(t, f.s, 200, "GET", f.url("/merge_requests"), f.token, nil))
	if *list[0].SHA != next.ID || list[0].MergeStatus != "unchecked" {
		t.Fatalf("after a push to the source: sha %s status %q", *list[0].SHA, list[0].MergeStatus)
	}
	if m := f.mr(1); m.MergeStatus != "can_be_merged" || *m.ChangesCount != "1" {
		t.Fatalf("after the check: %q %v", m.MergeStatus, *m.ChangesCount)
	}

	// Merging the branch outside cairn (a git push of main) marks the merge request merged.
	dir := t.TempDir()
	git(t, dir, "clone", "-q", strings.Replace(f.s.URL, "://", "://root:"+f.token+"@", 1)+"/"+f.path+".git", "w")
	w := filepath.Join(dir, "w")
	git(t, w, "-c", "user.name=t", "-c", "user.email=t@example.com", "merge", "-q", "--no-ff", "-m",
		"merge by hand", "origin/feature")
	git(t, w, "push", "-q", "origin", "main")
	m := f.mr(1)
	if m.State != "merged" || m.MergedBy == nil || m.MergedBy.Username != "root" {
		t.Fatalf("after a manual merge: %+v", m)
	}
}

func TestMergeRacingPushesLosesNothing(t *testing.T) {
	f := newRepoFixture(t, nil)
	f.branch("feature", create("feature.txt", "f\n"))
	f.openMR("feature", "Racing")
	const pushes = 5
	var wg sync.WaitGroup
	var merged *mrJSON
	var mergeErr string
	wg.Add(pushes + 1)
	go func() {
		defer wg.Done()
		r := f.s.Do(t, "PUT", f.url("/merge_requests/1/merge"), f.token, nil)
		if r.StatusCode == 200 {
			m := decode[mrJSON](t, r)
			merged = &m
		} else {
			mergeErr = fmt.Sprintf("%d %s", r.StatusCode, r.Body)
		}
	}()
	pushed := make([]string, pushes)
	for i := range pushes {
		go func() {
			defer wg.Done()
			for {
				r := f.s.Do(t, "POST", f.url("/repository/commits"), f.token, map[string]any{"branch": "main",
					"commit_message": fmt.Sprintf("push %d", i),
					"actions":        []map[string]any{create(fmt.Sprintf("p%d.txt", i), "p\n")}})
				if r.StatusCode == 201 {
					pushed[i] = decode[commitJSON](t, r).ID
					return
				}
				if r.StatusCode != 400 { // "Could not update main. Please refresh and try again."
					t.Errorf("push %d: %d %s", i, r.StatusCode, r.Body)
					return
				}
			}
		}()
	}
	wg.Wait()
	if merged == nil {
		t.Fatalf("merge failed: %s", mergeErr)
	}
	tree := decode[[]struct {
		Path string `json:"path"`
	}](t, mustDo(t, f.s, 200, "GET", f.url("/repository/tree?per_page=100"), f.token, nil))
	have := map[string]bool{}
	for _, e := range tree {
		have[e.Path] = true
	}
	for i := range pushes {
		if !have[fmt.Sprintf("p%d.txt", i)] {
			t.Errorf("push %d (%s) was lost", i, pushed[i])
		}
	}
	if !have["feature.txt"] {
		t.Error("the merge was lost")
	}
}

func TestMergeRequestsOnV3UseGlobalIDs(t *testing.T) {
	f := newRepoFixture(t, nil)
	// Another project's merge request takes global id 1, so that ids and iids differ.
	other := createProject(t, f.s, f.token, map[string]any{"name": "other", "initialize_with_readme": true})
	mustDo(t, f.s, 201, "POST", "/api/v4/projects/"+itoa(other.ID)+"/repository/branches", f.token,
		map[string]any{"branch": "x", "ref": "main"})
	mustDo(t, f.s, 201, "POST", "/api/v4/projects/"+itoa(other.ID)+"/repository/commits", f.token, map[string]any{
		"branch": "x", "commit_message": "x", "actions": []map[string]any{create("x", "x")}})
	mustDo(t, f.s, 201, "POST", "/api/v4/projects/"+itoa(other.ID)+"/merge_requests", f.token,
		map[string]any{"source_branch": "x", "target_branch": "main", "title": "other"})
	f.branch("feature", create("a", "a"))
	m := f.openMR("feature", "Here")
	if m.IID != 1 || m.ID != 2 {
		t.Fatalf("id %d iid %d", m.ID, m.IID)
	}
	mustDo(t, f.s, 404, "GET", "/api/v3/projects/"+itoa(f.id)+"/merge_requests/1", f.token, nil)
	got := decode[mrJSON](t,
		mustDo(t, f.s, 200, "GET", "/api/v3/projects/"+itoa(f.id)+"/merge_requests/2", f.token, nil))
	if got.IID != 1 {
		t.Fatalf("v3 by id: %+v", got)
	}
	mustDo(t, f.s, 201, "POST", "/api/v3/projects/"+itoa(f.id)+"/merge_requests/2/notes", f.token,
		map[string]any{"body": "hi"})
}

func TestMergeRequestDeleteByOwnerOnly(t *testing.T) {
	f := newRepoFixture(t, nil)
	f.branch("feature", create("a", "a"))
	f.openMR("feature", "Doomed")
	dev := f.member("dev", 30)
	wantStatus(t, f.do("DELETE", "/merge_requests/1", dev, nil), 403)
	wantStatus(t, f.do("DELETE", "/merge_requests/1", f.token, nil), 204)
	wantStatus(t, f.do("DELETE", "/merge_requests/1", f.token, nil), 204)
	wantStatus(t, f.do("GET", "/merge_requests/1", f.token, nil), 404)
	f.branch("again", create("b", "b"))
	if m := f.openMR("again", "Next"); m.IID != 2 {
		t.Errorf("iid after deletion %d, want 2", m.IID)
	}
}

// history lists the ids of the commits reachable from main, newest first.
func (f *repoFixture) history() []string {
	f.t.Helper()
	list := decode[[]commitJSON](f.t,
		mustDo(f.t, f.s, http.StatusOK, "GET", f.url("/repository/commits?ref_name=main&per_page=100"), f.token, nil))
	ids := make([]string, len(list))
	for i, c := range list {
		ids[i] = c.ID
	}
	return ids
}

func containsAll(list, want []string) bool {
	for _, w := range want {
		if !contains(list, w) {
			return false
		}
	}
	return true
}

// Merge requests are read with a token for them (api, read_api or OpenCodeHub's pr), in
// every dialect; a token for repositories (repo) or agents (tracks_write) alone is refused.
func TestReadingMergeRequestsNeedsAScopeForThem(t *testing.T) {
	f := newRepoFixture(t, nil)
	f.branch("feature", create("a.txt", "a\n"))
	f.openMR("feature", "Scoped")
	for i, tt := range []struct {
		scope string
		code  int
	}{{"api", 200}, {"read_api", 200}, {"pr", 200}, {"repo", 403}, {"tracks_write", 403}} {
		t.Run(tt.scope, func(t *testing.T) {
			uid, token := f.s.CreateUser(t, fmt.Sprintf("reader%d", i), tt.scope)
			addMember(t, f.s, f.token, "projects", f.id, uid, 30)
			for _, path := range []string{f.url("/merge_requests"), f.url("/merge_requests/1"),
				f.url("/merge_requests/1/notes"),
				"/api/v4/merge_requests?scope=all"} {
				r := f.s.Do(t, "GET", path, token, nil)
				if tt.code == 200 {
					wantStatus(t, r, 200)
					continue
				}
				wantJSON(t, r, 403, bodyInsufficientScope("read_api"))
			}
		})
	}
}

// An archived project is read-only: its merge requests can be read but not changed,
// closed, merged or deleted, even by its owner.
func TestArchivedProjectMergeRequestsAreReadOnly(t *testing.T) {
	f := newRepoFixture(t, nil)
	f.branch("feature", create("a.txt", "a\n"))
	f.openMR("feature", "Frozen")
	mustDo(t, f.s, 200, "PUT", f.url(""), f.token, map[string]any{"archived": true})
	for _, tt := range []struct {
		name, method, path string
		body               any
		code               int
		want               string
	}{
		{"retitle", "PUT", "/merge_requests/1", map[string]any{"title": "Thawed"}, 403, `{"message":"403 Forbidden"}`},
		{"close", "PUT", "/merge_requests/1", map[string]any{"state_event": "close"}, 403,
			`{"message":"403 Forbidden"}`},
		{"delete", "DELETE", "/merge_requests/1", nil, 403, `{"message":"403 Forbidden"}`},
		{"delete one that is gone", "DELETE", "/merge_requests/9", nil, 403, `{"message":"403 Forbidden"}`},
		{"merge", "PUT", "/merge_requests/1/merge", nil, 401, `{"message":"401 Unauthorized"}`},
		{"open another", "POST", "/merge_requests",
			map[string]any{"source_branch": "feature", "target_branch": "main", "title": "x"},
			403, `{"message":"403 Forbidden"}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wantJSON(t, f.do(tt.method, tt.path, f.token, tt.body), tt.code, tt.want)
		})
	}
	if m := f.mr(1); m.Title != "Frozen" || m.State != "opened" {
		t.Fatalf("after refused changes: title %q, state %q", m.Title, m.State)
	}
	mustDo(t, f.s, 200, "PUT", f.url(""), f.token, map[string]any{"archived": false})
	if m := decode[mrJSON](t,
		mustDo(t, f.s, 200, "PUT", f.url("/merge_requests/1"), f.token,
			map[string]any{"title": "Thawed"})); m.Title != "Thawed" {
		t.Fatalf("after unarchiving: title %q", m.Title)
	}
	wantStatus(t, f.do("DELETE", "/merge_requests/1", f.token, nil), 204)
}

func TestConcurrentMergesOfOneMergeRequestMergeOnce(t *testing.T) {
	tests := []struct {
		name    string
		project map[string]any // settings of the project
		merge   map[string]any // parameters of the merge
		// added is how many commits main gains: the two of the source, and what the merge writes.
		added int
		// check looks at main's tip after the merge.
		check func(t *testing.T, f *repoFixture, m mrJSON, before, head string)
	}{
		{"merge commit", nil, nil, 3, func(t *testing.T, f *repoFixture, m mrJSON, before, head string) {
			tip := f.mainTip()
			if len(tip.ParentIDs) != 2 || tip.ParentIDs[0] != before || tip.ParentIDs[1] != head ||
				m.MergeCommitSHA == nil || *m.MergeCommitSHA != tip.ID {
				t.Fatalf("main %s has parents %v, merge_commit_sha %v; want one merge commit of %s on %s",
					tip.ID, tip.ParentIDs, m.MergeCommitSHA, head, before)
			}
		}},
		{"squash", nil, map[string]any{"squash": true}, 2,
			func(t *testing.T, f *repoFixture, m mrJSON, before, _ string) {
				tip := f.mainTip()
				if m.SquashCommitSHA == nil || len(tip.ParentIDs) != 2 || tip.ParentIDs[0] != before ||
					tip.ParentIDs[1] != *m.SquashCommitSHA {
					t.Fatalf(
						"main %s has parents %v, squash_commit_sha %v; want one merge of one squashed commit on %s", tip.ID, tip.ParentIDs, m.SquashCommitSHA, before)
				}
			}},
		{"fast-forward", map[string]any{"merge_method": "ff"}, nil, 2,
			func(t *testing.T, f *repoFixture, m mrJSON, _, head string) {
				if tip := f.mainTip(); tip.ID != head || m.MergeCommitSHA != nil {
					t.Fatalf("main at %s, merge_commit_sha %v; want main fast-forwarded to %s", tip.ID,
						m.MergeCommitSHA, head)
				}
			}},
		{"fast-forward with squash", map[string]any{"merge_method": "ff"}, map[string]any{"squash": true}, 1,
			func(t *testing.T, f *repoFixture, m mrJSON, before, _ string) {
				tip := f.mainTip()
				if m.SquashCommitSHA == nil || tip.ID != *m.SquashCommitSHA || len(tip.ParentIDs) != 1 ||
					tip.ParentIDs[0] != before {
					t.Fatalf("main %s has parents %v, squash_commit_sha %v; want one squashed commit on %s",
						tip.ID, tip.ParentIDs, m.SquashCommitSHA, before)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newRepoFixture(t, nil)
			if tt.project != nil {
				mustDo(t, f.s, 200, "PUT", f.url(""), f.token, tt.project)
			}
			f.branch("feature", create("feature.txt", "f\n"))
			head := f.commit("feature", "more", create("more.txt", "m\n")).ID
			f.openMR("feature", "Many times")
			before := f.history()
			const n = 8
			responses := make([]*servertest.Response, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					responses[i] = f.s.Do(t, "PUT", f.url("/merge_requests/1/merge"), f.token, tt.merge)
				}()
			}
			wg.Wait()
			var merged []mrJSON
			for _, r := range responses {
				switch r.StatusCode {
				case 200:
					merged = append(merged, decode[mrJSON](t, r))
				case 405:
					wantJSON(t, r, 405, `{"message":"405 Method Not Allowed"}`)
				default:
					t.Errorf("a concurrent merge answered %d %s", r.StatusCode, r.Body)
				}
			}
			if len(merged) != 1 {
				t.Fatalf("%d merges succeeded, want exactly 1", len(merged))
			}
			after := f.history()
			if len(after) != len(before)+tt.added || !containsAll(after, before) {
				t.Fatalf("main went from %v to %v, want %d commits more", before, after, tt.added)
			}
			tt.check(t, f, merged[0], before[0], head)
			if m := f.mr(1); m.State != "merged" {
				t.Fatalf("merge request %+v", m)
			}
		})
	}
}

// A close racing a merge either closes the merge request before the merge locks it (and the
// merge is refused) or is refused while the merge runs: a closed merge request is never
// merged, and a merged one never closed.
func TestCloseRacingMergeNeverMergesAClosedMergeRequest(t *testing.T) {
	f := newRepoFixture(t, nil)
	const rounds = 12
	for i := range rounds {
		branch := fmt.Sprintf("topic-%d", i)
		f.branch(branch, create(branch+".txt", "t\n"))
		m := f.openMR(branch, "Race "+branch)
		iid := itoa(m.IID)
		before := f.mainTip().ID
		var merge, closing *servertest.Response
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			merge = f.s.Do(t, "PUT", f.url("/merge_requests/"+iid+"/merge"), f.token, nil)
		}()
		go func() {
			defer wg.Done()
			closing = f.s.Do(t, "PUT", f.url("/merge_requests/"+iid), f.token, map[string]any{"state_event": "close"})
		}()
		wg.Wait()
		got := f.mr(m.IID)
		moved := f.mainTip().ID != before
		switch got.State {
		case "merged":
			if merge.StatusCode != 200 || !moved || got.ClosedBy != nil {
				t.Fatalf("round %d: merged, but merge answered %d, main moved %v, closed_by %v", i,
					merge.StatusCode, moved, got.ClosedBy)
			}
			switch closing.StatusCode {
			case 200: // the close came after the merge: nothing to close
				if decode[mrJSON](t, closing).State != "merged" {
					t.Fatalf("round %d: close answered %s", i, closing.Body)
				}
			case 409: // the close came while the merge ran
				wantJSON(t, closing, 409, `{"message":"The merge request is being merged and can't be closed now"}`)
			default:
				t.Fatalf("round %d: close answered %d %s", i, closing.StatusCode, closing.Body)
			}
		case "closed":
			if closing.StatusCode != 200 || merge.StatusCode != 405 || moved || got.MergedBy != nil ||
				got.MergeCommitSHA != nil {
				t.Fatalf("round %d: closed, but close answered %d, merge %d %s, main moved %v", i,
					closing.StatusCode, merge.StatusCode, merge.Body, moved)
			}
		default:
			t.Fatalf("round %d: state %q after close %d and merge %d", i, got.State, closing.StatusCode,
				merge.StatusCode)
		}
	}
}

// PUT …/rebase replays the source branch on its target, as GitLab's rebase does: on a
// fast-forward-only project the merge request becomes mergeable; commits that conflict
// leave the branch as it was and say so in merge_error.
func TestRebaseMergeRequest(t *testing.T) {
	t.Parallel()
	f := newRepoFixture(t, nil)
	mustDo(t, f.s, 200, "PUT", f.url(""), f.token, map[string]any{"merge_method": "ff"})
	first := f.branch("behind", create("behind.txt", "b\n"))
	second := f.commit("behind", "second on behind", create("more.txt", "m\n"))
	main := f.commit("main", "main moves on", create("main.txt", "m\n"))
	f.openMR("behind", "Behind")
	if m := f.mr(1); m.DetailedMergeStatus != "need_rebase" {
		t.Fatalf("before the rebase: %q", m.DetailedMergeStatus)
	}

	wantJSON(t, f.do("PUT", "/merge_requests/1/rebase", f.token, nil), 202, `{"rebase_in_progress":false}`)
	got := decode[struct {
		mrJSON
		RebaseInProgress *bool   `json:"rebase_in_progress"`
		MergeError       *string `json:"merge_error"`
	}](t, mustDo(t, f.s, 200, "GET", f.url("/merge_requests/1?include_rebase_in_progress=true"), f.token, nil))
	if got.RebaseInProgress == nil || *got.RebaseInProgress || got.MergeError != nil ||
		got.DetailedMergeStatus != "mergeable" {
		t.Fatalf("after the rebase: rebase_in_progress %v, merge_error %v, detailed_merge_status %q",
			got.RebaseInProgress, got.MergeError, got.DetailedMergeStatus)
	}
	tip := decode[commitJSON](t, mustDo(t, f.s, 200, "GET", f.url("/repository/commits/behind"), f.token, nil))
	parent := decode[commitJSON](t,
		mustDo(t, f.s, 200, "GET", f.url("/repository/commits/"+tip.ParentIDs[0]), f.token, nil))
	if tip.Title != second.Title || tip.AuthorEmail != second.AuthorEmail || tip.AuthoredDate != second.AuthoredDate ||
		parent.Title != first.Title || len(parent.ParentIDs) != 1 || parent.ParentIDs[0] != main.ID ||
		got.SHA == nil || *got.SHA != tip.ID {
		t.Fatalf("rebased branch: %+v on %+v; merge request sha %v", tip, parent, got.SHA)
	}
	// Rebasing again changes nothing.
	wantJSON(t, f.do("PUT", "/merge_requests/1/rebase", f.token, nil), 202, `{"rebase_in_progress":false}`)
	if again := decode[commitJSON](t,
		mustDo(t, f.s, 200, "GET", f.url("/repository/commits/behind"), f.token, nil)); again.ID != tip.ID {
		t.Errorf("a second rebase moved the branch to %s", again.ID)
	}
	merged := decode[mrJSON](t, mustDo(t, f.s, 200, "PUT", f.url("/merge_requests/1/merge"), f.token, nil))
	if merged.State != "merged" || f.mainTip().ID != tip.ID {
		t.Fatalf("merge after the rebase: %q, main at %s", merged.State, f.mainTip().ID)
	}

	// A conflicting branch stays where it is, and merge_error says why.
	clash := f.branch("clash", update("README.md", "# demo\n\nfrom clash\n"))
	f.commit("main", "main edits the README", update("README.md", "# demo\n\nfrom main\n"))
	f.openMR("clash", "Clash")
	wantJSON(t, f.do("PUT", "/merge_requests/2/rebase", f.token, nil), 202, `{"rebase_in_progress":false}`)
	failed := decode[struct {
		MergeError *string `json:"merge_error"`
	}](t, mustDo(t, f.s, 200, "GET", f.url("/merge_requests/2"), f.token, nil))
	if failed.MergeError == nil || !strings.HasPrefix(*failed.MergeError, "Rebase failed:") {
		t.Errorf("merge_error %v", failed.MergeError)
	}
	if tip := decode[commitJSON](t,
		mustDo(t, f.s, 200, "GET", f.url("/repository/commits/clash"), f.token, nil)); tip.ID != clash.ID {
		t.Errorf("a failed rebase moved the branch to %s", tip.ID)
	}
	wantJSON(t, f.do("PUT", "/merge_requests/1/rebase", f.token, nil), 405, `{"message":"405 Method Not Allowed"}`)
}

// A rebase and a merge of one merge request racing each other: one waits for the other or
// is refused, so a merged merge request's source branch is always in its target.
func TestRebaseRacingMergeKeepsTheSourceInTheTarget(t *testing.T) {
	t.Parallel()
	for round := range 6 {
		f := newRepoFixture(t, nil)
		f.branch("topic", create("topic.txt", "t\n"))
		f.commit("main", "main moves on", create("main.txt", "m\n"))
		f.openMR("topic", "Topic")
		var wg sync.WaitGroup
		codes := make([]int, 2)
		for i, path := range []string{"/merge_requests/1/rebase", "/merge_requests/1/merge"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[i] = f.do("PUT", path, f.token, nil).StatusCode
			}()
		}
		wg.Wait()
		if f.mr(1).State != "merged" {
			// The merge lost the race for the lock (405); once the rebase is done it merges.
			mustDo(t, f.s, 200, "PUT", f.url("/merge_requests/1/merge"), f.token, nil)
		}
		topic := decode[commitJSON](t, mustDo(t, f.s, 200, "GET", f.url("/repository/commits/topic"), f.token, nil))
		if !contains(f.history(), topic.ID) {
			t.Fatalf(
				"round %d: rebase %d, merge %d: the merged merge request's branch (at %s) is not in main",
				round, codes[0], codes[1], topic.ID)
		}
	}
}

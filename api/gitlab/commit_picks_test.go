package gitlab_test

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

type commitNoteJSON struct {
	Note      string   `json:"note"`
	Path      *string  `json:"path"`
	Line      *int     `json:"line"`
	LineType  *string  `json:"line_type"`
	Author    userJSON `json:"author"`
	CreatedAt string   `json:"created_at"`
}

// Comments on a commit: on the whole commit, or on a line its diff added or removed; a
// place the diff lacks leaves the comment on the commit, as GitLab does.
func TestCommitComments(t *testing.T) {
	f := newRepoFixture(t, map[string]any{"name": "demo", "initialize_with_readme": true, "visibility": "public"})
	f.commit("main", "base", create("a.txt", "one\ntwo\nthree\n"))
	sha := f.commit("main", "edit",
		map[string]any{"action": "update", "file_path": "a.txt", "content": "one\n2\nthree\nfour\n"}).ID
	tokens := f.roles()

	plain := decode[commitNoteJSON](t, mustDo(t, f.s, 201, "POST", f.url("/repository/commits/"+sha+"/comments"),
		tokens["outsider"], map[string]any{"note": "nice"}))
	if plain.Note != "nice" || plain.Path != nil || plain.Line != nil || plain.LineType != nil ||
		plain.Author.Username != "outsider" {
		t.Fatalf("comment: %+v", plain)
	}
	onAdded := decode[commitNoteJSON](t, mustDo(t, f.s, 201, "POST", f.url("/repository/commits/"+sha+"/comments"),
		tokens["guest"], map[string]any{"note": "why 2?", "path": "a.txt", "line": 2, "line_type": "new"}))
	if onAdded.Path == nil || *onAdded.Path != "a.txt" || onAdded.Line == nil || *onAdded.Line != 2 ||
		*onAdded.LineType != "new" {
		t.Fatalf("comment on an added line: %+v", onAdded)
	}
	onRemoved := decode[commitNoteJSON](t, mustDo(t, f.s, 201, "POST", f.url("/repository/commits/"+sha+"/comments"),
		tokens["guest"], "note=gone&path=a.txt&line=2&line_type=old"))
	if onRemoved.Line == nil || *onRemoved.Line != 2 || *onRemoved.LineType != "old" {
		t.Fatalf("comment on a removed line: %+v", onRemoved)
	}
	offDiff := decode[commitNoteJSON](t, mustDo(t, f.s, 201, "POST", f.url("/repository/commits/"+sha+"/comments"),
		tokens["guest"], map[string]any{"note": "context", "path": "a.txt", "line": 1}))
	if offDiff.Path != nil || offDiff.Line != nil {
		t.Fatalf("comment on an unchanged line: %+v", offDiff)
	}

	r := mustDo(t, f.s, 200, "GET", f.url("/repository/commits/"+sha+"/comments?per_page=3"), "", nil)
	if got := names(t, r, "note"); strings.Join(got, ",") != "nice,why 2?,gone" || r.Header.Get("X-Total") != "4" {
		t.Fatalf("comments: %v %v", got, r.Header)
	}
	if got := names(t, mustDo(t, f.s, 200, "GET", f.url("/repository/commits/main~1/comments"), "", nil),
		"note"); len(got) != 0 {
		t.Fatalf("the parent's comments: %v", got)
	}

	wantRefused(t, f.s, f.token, f.url("/repository/commits/"+sha), []refusal{
		{"no note", "POST", "/comments", map[string]any{"path": "a.txt"}, `{"error":"note is missing"}`},
		{"a line type of neither side", "POST", "/comments", map[string]any{"note": "x", "line_type": "both"},
			`{"error":"line_type does not have a valid value"}`},
		{"a line that is no number", "POST", "/comments", map[string]any{"note": "x", "line": "two"},
			`{"error":"line is invalid"}`},
	})
	wantJSON(t, f.do("POST", "/repository/commits/nosuch/comments", f.token, map[string]any{"note": "x"}),
		404, `{"message":"404 Commit Not Found"}`)
	wantStatus(t, f.do("POST", "/repository/commits/"+sha+"/comments", "", map[string]any{"note": "x"}), 401)
}

func TestCommitCommentsOfPrivateProjects(t *testing.T) {
	f := newRepoFixture(t, nil)
	tokens := f.roles()
	sha := f.commit("main", "c", create("a.txt", "a\n")).ID
	wantStatuses(t, f, tokens, "POST", "/repository/commits/"+sha+"/comments",
		func(string) any { return map[string]any{"note": "n"} },
		map[string]int{"anonymous": 401, "outsider": 404, "guest": 403, "reporter": 201, "developer": 201,
			"admin": 201})
	wantStatuses(t, f, tokens, "GET", "/repository/commits/"+sha+"/comments", nil,
		map[string]int{"anonymous": 404, "outsider": 404, "guest": 403, "reporter": 200, "owner": 200})
}

// Cherry-picks and reverts through the API: a new commit on the branch, GitLab's messages,
// and GitLab's 400 with error_code when the change does not apply.
func TestCherryPickAndRevert(t *testing.T) {
	f := newRepoFixture(t, nil)
	f.commit("main", "base", create("a.txt", "1\n2\n3\n4\n5\n6\n7\n8\n"))
	mustDo(t, f.s, 201, "POST", f.url("/repository/branches"), f.token,
		map[string]any{"branch": "feature", "ref": "main"})
	pick := f.commit("feature", "Edit line 8\n\nBecause.",
		map[string]any{"action": "update", "file_path": "a.txt", "content": "1\n2\n3\n4\n5\n6\n7\neight\n"})
	onMain := f.commit("main", "Edit line 1",
		map[string]any{"action": "update", "file_path": "a.txt", "content": "one\n2\n3\n4\n5\n6\n7\n8\n"})
	dev := f.member("dev", 30)

	wantJSON(t,
		f.do("POST", "/repository/commits/"+pick.ID+"/cherry_pick", dev,
			map[string]any{"branch": "main", "dry_run": true}),
		200, `{"dry_run":"success"}`)
	if tip := decode[commitJSON](t,
		mustDo(t, f.s, 200, "GET", f.url("/repository/commits/main"), dev, nil)); tip.ID != onMain.ID {
		t.Fatalf("a dry run moved main to %s", tip.ID)
	}
	c := decode[commitJSON](t,
		mustDo(t, f.s, 201, "POST", f.url("/repository/commits/"+pick.ID+"/cherry_pick"), dev,
			map[string]any{"branch": "main"}))
	if c.Message != "Edit line 8\n\nBecause.\n\n(cherry picked from commit "+pick.ID+")\n" ||
		c.AuthorName != pick.AuthorName ||
		c.CommitterName != "dev" || len(c.ParentIDs) != 1 || c.ParentIDs[0] != onMain.ID {
		t.Fatalf("cherry-pick: %+v", c)
	}
	raw := mustDo(t, f.s, 200, "GET", f.url("/repository/files/a.txt/raw?ref=main"), dev, nil)
	if string(raw.Body) != "one\n2\n3\n4\n5\n6\n7\neight\n" {
		t.Fatalf("main after the cherry-pick: %q", raw.Body)
	}
	const pickRefused = "Sorry, we cannot cherry-pick this commit automatically. This commit may already have been cherry-picked, or a more recent commit may have updated some of its content."
	wantJSON(t, f.do("POST", "/repository/commits/"+pick.ID+"/cherry_pick", dev, map[string]any{"branch": "main"}),
		400, `{"message":"`+pickRefused+`","error_code":"empty"}`)
	wantJSON(t,
		f.do("POST", "/repository/commits/"+pick.ID+"/cherry_pick", dev,
			map[string]any{"branch": "main", "dry_run": "true"}),
		400, `{"message":"`+pickRefused+`","error_code":"empty","dry_run":"error"}`)

	// A change on the same line conflicts.
	clash := f.commit("feature", "Edit line 1 too",
		map[string]any{"action": "update", "file_path": "a.txt", "content": "uno\n2\n3\n4\n5\n6\n7\neight\n"})
	wantJSON(t, f.do("POST", "/repository/commits/"+clash.ID+"/cherry_pick", dev, map[string]any{"branch": "main"}),
		400, `{"message":"`+pickRefused+`","error_code":"conflict"}`)

	// A custom message.
	mustDo(t, f.s, 201, "POST", f.url("/repository/branches"), f.token,
		map[string]any{"branch": "stable", "ref": pick.ParentIDs[0]})
	custom := decode[commitJSON](t,
		mustDo(t, f.s, 201, "POST", f.url("/repository/commits/"+pick.ID+"/cherry_pick"), dev,
			map[string]any{"branch": "stable", "message": "backport line 8"}))
	if custom.Message != "backport line 8\n" {
		t.Fatalf("custom message: %q", custom.Message)
	}

	// Reverting main's first edit.
	rv := decode[commitJSON](t,
		mustDo(t, f.s, 201, "POST", f.url("/repository/commits/"+onMain.ID+"/revert"), dev,
			map[string]any{"branch": "main"}))
	if rv.Message != "Revert \"Edit line 1\"\n\nThis reverts commit "+onMain.ID+"\n" || rv.AuthorName != "dev" {
		t.Fatalf("revert: %+v", rv)
	}
	raw = mustDo(t, f.s, 200, "GET", f.url("/repository/files/a.txt/raw?ref=main"), dev, nil)
	if string(raw.Body) != "1\n2\n3\n4\n5\n6\n7\neight\n" {
		t.Fatalf("main after the revert: %q", raw.Body)
	}
	const revertRefused = "Sorry, we cannot revert this commit automatically. This commit may already have been reverted, or a more recent commit may have updated some of its content."
	wantJSON(t, f.do("POST", "/repository/commits/"+onMain.ID+"/revert", dev, map[string]any{"branch": "main"}),
		400, `{"message":"`+revertRefused+`","error_code":"empty"}`)

	// git agrees with the history the API wrote.
	dir := t.TempDir()
	git(t, dir, "clone", "-q", f.repoDir(), "c")
	wc := filepath.Join(dir, "c")
	if got := git(t, wc, "log", "--format=%s", "-3"); got != "Revert \"Edit line 1\"\nEdit line 8\nEdit line 1" {
		t.Fatalf("main's history:\n%s", got)
	}
	git(t, wc, "fsck", "--strict")

	wantRefused(t, f.s, dev, f.url("/repository/commits/"+pick.ID), []refusal{
		{"no branch", "POST", "/cherry_pick", map[string]any{}, `{"error":"branch is missing"}`},
		{"no branch to revert on", "POST", "/revert", map[string]any{}, `{"error":"branch is missing"}`},
	})
	wantJSON(t, f.do("POST", "/repository/commits/"+pick.ID+"/cherry_pick", dev, map[string]any{"branch": "nosuch"}),
		404, `{"message":"404 Branch Not Found"}`)
	wantJSON(t, f.do("POST", "/repository/commits/nosuch/cherry_pick", dev, map[string]any{"branch": "main"}),
		404, `{"message":"404 Commit Not Found"}`)
	tokens := f.roles()
	wantStatuses(t, f, tokens, "POST", "/repository/commits/"+pick.ID+"/cherry_pick", func(string) any {
		return map[string]any{"branch": "main", "dry_run": true}
	}, map[string]int{"anonymous": 401, "outsider": 404, "guest": 403, "reporter": 403, "developer": 400,
		"maintainer": 400})
}

// A maintainer-only branch takes no cherry-pick from a developer.
func TestCherryPickHonoursProtection(t *testing.T) {
	f := newRepoFixture(t, nil)
	mustDo(t, f.s, 201, "POST", f.url("/repository/branches"), f.token,
		map[string]any{"branch": "feature", "ref": "main"})
	pick := f.commit("feature", "x", create("x.txt", "x\n"))
	mustDo(t, f.s, 204, "DELETE", f.url("/protected_branches/main"), f.token, nil)
	mustDo(t, f.s, 201, "POST", f.url("/protected_branches"), f.token,
		map[string]any{"name": "main", "push_access_level": 40})
	dev := f.member("dev", 30)
	wantJSON(t, f.do("POST", "/repository/commits/"+pick.ID+"/cherry_pick", dev, map[string]any{"branch": "main"}),
		403, `{"message":"403 Forbidden - You are not allowed to push into this branch"}`)
}

// GET .../commits/:sha/merge_requests lists the merge requests holding the commit.
func TestCommitMergeRequests(t *testing.T) {
	f := newRepoFixture(t, nil)
	mustDo(t, f.s, 201, "POST", f.url("/repository/branches"), f.token,
		map[string]any{"branch": "feature", "ref": "main"})
	first := f.commit("feature", "first", create("x.txt", "x\n"))
	second := f.commit("feature", "second", create("y.txt", "y\n"))
	mr := decode[struct {
		IID int64 `json:"iid"`
	}](t, mustDo(t, f.s, 201, "POST", f.url("/merge_requests"), f.token,
		map[string]any{"source_branch": "feature", "target_branch": "main", "title": "Feature"}))
	for _, sha := range []string{first.ID, second.ID} {
		got := names(t,
			mustDo(t, f.s, 200, "GET", f.url("/repository/commits/"+sha+"/merge_requests"), f.token, nil), "iid")
		if len(got) != 1 || got[0] != itoa(mr.IID) {
			t.Fatalf("merge requests of %s: %v", sha, got)
		}
	}
	if got := names(t,
		mustDo(t, f.s, 200, "GET", f.url("/repository/commits/main/merge_requests"), f.token, nil),
		"iid"); len(got) != 0 {
		t.Fatalf("merge requests of main's tip: %v", got)
	}
	if got := names(t,
		mustDo(t, f.s, 200, "GET", f.url("/repository/commits/"+first.ID+"/merge_requests?state=merged"),
			f.token, nil), "iid"); len(got) != 0 {
		t.Fatalf("merged merge requests: %v", got)
	}
	merged := mustDo(t, f.s, http.StatusOK, "PUT", f.url("/merge_requests/"+itoa(mr.IID)+"/merge"), f.token, nil)
	var m struct {
		MergeCommitSHA string `json:"merge_commit_sha"`
	}
	merged.JSON(t, &m)
	for _, sha := range []string{first.ID, m.MergeCommitSHA} {
		got := names(t,
			mustDo(t, f.s, 200, "GET", f.url("/repository/commits/"+sha+"/merge_requests?state=merged"),
				f.token, nil), "iid")
		if len(got) != 1 {
			t.Fatalf("merged merge requests of %s: %v", sha, got)
		}
	}
	reporter := f.member("rep", 20)
	wantStatus(t, f.do("GET", "/repository/commits/"+first.ID+"/merge_requests", reporter, nil), 200)
	wantStatus(t, f.do("GET", "/repository/commits/"+first.ID+"/merge_requests", f.member("guest", 10), nil), 404)
	wantStatus(t, f.do("GET", "/repository/commits/"+first.ID+"/merge_requests", "", nil), 404)
}

package gitlab_test

import (
	"encoding/base64"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestCreateCommitWithEveryAction(t *testing.T) {
	f := newRepoFixture(t, nil)
	base := f.commit("main", "setup",
		create("lib/a.go", "package lib\n"),
		create("lib/old.txt", "move me\n"),
		create("doomed.txt", "bye\n"),
		create("run.sh", "#!/bin/sh\necho hi\n"))

	c := f.commit("main", "Every action\n\nWith a body.",
		map[string]any{"action": "create", "file_path": "bin/data.bin",
			"content": base64.StdEncoding.EncodeToString([]byte{0, 1, 2, 255}), "encoding": "base64"},
		map[string]any{"action": "update", "file_path": "lib/a.go", "content": "package lib\n\nfunc A() {}\n",
			"last_commit_id": base.ID},
		map[string]any{"action": "delete", "file_path": "doomed.txt"},
		map[string]any{"action": "move", "file_path": "lib/new.txt", "previous_path": "lib/old.txt"},
		map[string]any{"action": "chmod", "file_path": "run.sh", "execute_filemode": true})
	if c.Title != "Every action" || c.Message != "Every action\n\nWith a body.\n" || len(c.ParentIDs) != 1 ||
		c.ParentIDs[0] != base.ID {
		t.Fatalf("commit: %+v", c)
	}
	if c.Stats == nil || c.Stats.Additions != 2 || c.Stats.Deletions != 1 || c.Stats.Total != 3 {
		t.Fatalf("stats: %+v", c.Stats)
	}
	if c.AuthorName != "Administrator" || c.AuthorEmail != "root@localhost" || c.CommitterEmail != "root@localhost" ||
		len(c.ShortID) != 11 || c.Trailers == nil || c.WebURL != f.web+"/-/commit/"+c.ID || c.ProjectID != f.id {
		t.Fatalf("commit fields: %+v", c)
	}

	// git sees the same tree.
	dir := t.TempDir()
	git(t, dir, "clone", "-q", f.repoDir(), "c")
	wc := filepath.Join(dir, "c")
	if got := git(t, wc, "ls-tree", "-r", "--format=%(objectmode) %(path)", "HEAD"); got != strings.Join([]string{
		"100644 README.md", "100644 bin/data.bin", "100644 lib/a.go", "100644 lib/new.txt", "100755 run.sh"}, "\n") {
		t.Fatalf("tree after the commit:\n%s", got)
	}
	if b, _ := os.ReadFile(filepath.Join(wc, "bin/data.bin")); string(b) != "\x00\x01\x02\xff" {
		t.Fatalf("base64 content: %q", b)
	}
	git(t, wc, "fsck", "--strict")
}

func TestCreateCommitFromForm(t *testing.T) {
	f := newRepoFixture(t, nil)
	form := url.Values{}
	form.Set("branch", "main")
	form.Set("commit_message", "from a form")
	form.Set("author_name", "Ada")
	form.Set("author_email", "ada@example.com")
	body := form.Encode() +
		"&actions[][action]=create&actions[][file_path]=x.txt&actions[][content]=x" +
		"&actions[][action]=create&actions[][file_path]=" + url.QueryEscape("dir/y z.txt") + "&actions[][content]=y%26z"
	c := decode[commitJSON](t, mustDo(t, f.s, 201, "POST", f.url("/repository/commits"), f.token, body))
	if c.AuthorName != "Ada" || c.AuthorEmail != "ada@example.com" || c.CommitterName != "Administrator" {
		t.Fatalf("author and committer: %+v", c)
	}
	r := mustDo(t, f.s, 200, "GET", f.url("/repository/files/"+esc("dir/y z.txt")+"/raw?ref=main"), f.token, nil)
	if string(r.Body) != "y&z" {
		t.Fatalf("content %q", r.Body)
	}
	// Indexed form fields work too.
	body = "branch=main&commit_message=indexed&actions[0][action]=delete&actions[0][file_path]=x.txt"
	mustDo(t, f.s, 201, "POST", f.url("/repository/commits"), f.token, body)
	mustDo(t, f.s, 404, "GET", f.url("/repository/files/x.txt?ref=main"), f.token, nil)
}

func TestCreateCommitErrors(t *testing.T) {
	f := newRepoFixture(t, nil)
	first := f.commit("main", "first", create("a.txt", "a\n"))
	f.commit("main", "second", map[string]any{"action": "update", "file_path": "a.txt", "content": "a2\n"})
	mustDo(t, f.s, 201, "POST", f.url("/repository/branches"), f.token,
		map[string]any{"branch": "topic", "ref": "main"})
	commit := func(extra map[string]any, actions ...map[string]any) map[string]any {
		b := map[string]any{"branch": "main", "commit_message": "m", "actions": actions}
		for k, v := range extra {
			b[k] = v
		}
		return b
	}
	tests := []struct {
		name string
		body any
		code int
		want string
	}{
		{"missing everything", map[string]any{}, 400,
			`{"error":"branch is missing, commit_message is missing, actions is missing"}`},
		{"unknown action", commit(nil, map[string]any{"action": "explode", "file_path": "a.txt"}), 400,
			`{"error":"actions[0][action] does not have a valid value"}`},
		{"no file path", commit(nil, map[string]any{"action": "create"}), 400,
			`{"error":"actions[0][file_path] is missing"}`},
		{"dot-dot path", commit(nil, create("../x", "")), 400,
			`{"error":"actions[0][file_path] should be a valid file path"}`},
		{"create existing", commit(nil, create("a.txt", "x")), 400,
			`{"message":"A file with this name already exists"}`},
		{"update missing", commit(nil, map[string]any{"action": "update", "file_path": "zz", "content": "x"}),
			400, `{"message":"A file with this name doesn't exist"}`},
		{"delete missing", commit(nil, map[string]any{"action": "delete", "file_path": "zz"}), 400,
			`{"message":"A file with this name doesn't exist"}`},
		{"move onto existing",
			commit(nil, map[string]any{"action": "move", "file_path": "README.md", "previous_path": "a.txt"}),
			400, `{"message":"A file with this name already exists"}`},
		{"file where a directory is", commit(nil, create("a.txt/b", "x")), 400,
			`{"message":"A file with this name already exists"}`},
		{"stale last_commit_id",
			commit(nil,
				map[string]any{"action": "update", "file_path": "a.txt", "content": "x",
					"last_commit_id": first.ID}), 400,
			`{"message":"The file has changed since you started editing it: a.txt"}`},
		{"no such branch", commit(map[string]any{"branch": "nope"}, create("n.txt", "")), 400,
			`{"message":"You can only create or edit files when you are on a branch"}`},
		{"start from missing branch",
			commit(map[string]any{"branch": "new", "start_branch": "nope"}, create("n.txt", "")), 400,
			`{"message":"You can only create or edit files when you are on a branch"}`},
		{"existing branch with start",
			commit(map[string]any{"branch": "topic", "start_branch": "main"}, create("n.txt", "")), 400,
			`{"message":"A branch called 'topic' already exists. Switch to that branch in order to make changes"}`},
		{"bad start sha",
			commit(map[string]any{"branch": "new", "start_sha": "0123456789012345678901234567890123456789"},
				create("n.txt", "")), 400, `{"message":"Invalid start_sha: 0123456789012345678901234567890123456789"}`},
		{"malformed JSON", []byte(`{"branch":`), 400,
			`{"message":"400 Bad request - The request body is not valid JSON"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantJSON(t, f.do("POST", "/repository/commits", f.token, tt.body), tt.code, tt.want)
		})
	}
	// Nothing above moved main.
	if got := decode[branchJSON](t,
		f.do("GET", "/repository/branches/main", f.token, nil)); got.Commit.Title != "second" {
		t.Fatalf("main moved to %q", got.Commit.Title)
	}
}

func TestCreateCommitStartPointsAndProtection(t *testing.T) {
	f := newRepoFixture(t, nil)
	base := decode[branchJSON](t, f.do("GET", "/repository/branches/main", f.token, nil)).Commit
	c := f.commit("main", "ahead", create("a.txt", "a\n"))

	// A new branch from another branch, and from a commit id.
	b := decode[commitJSON](t, mustDo(t, f.s, 201, "POST", f.url("/repository/commits"), f.token, map[string]any{
		"branch": "feature", "start_branch": "main", "commit_message": "feature",
		"actions": []any{create("f.txt", "f")}}))
	if b.ParentIDs[0] != c.ID {
		t.Fatalf("feature's parent %s, want %s", b.ParentIDs[0], c.ID)
	}
	old := decode[commitJSON](t, mustDo(t, f.s, 201, "POST", f.url("/repository/commits"), f.token, map[string]any{
		"branch": "from-sha", "start_sha": base.ID, "commit_message": "old", "actions": []any{create("o.txt", "o")}}))
	if old.ParentIDs[0] != base.ID {
		t.Fatalf("from-sha's parent %s, want %s", old.ParentIDs[0], base.ID)
	}
	// force replaces a branch with a commit on top of the start point.
	forced := decode[commitJSON](t, mustDo(t, f.s, 201, "POST", f.url("/repository/commits"), f.token, map[string]any{
		"branch": "feature", "start_branch": "main", "force": true, "commit_message": "again",
		"actions": []any{create("g.txt", "g")}}))
	if forced.ParentIDs[0] != c.ID {
		t.Fatalf("forced commit's parent %s", forced.ParentIDs[0])
	}

	// Developers push to main (its default protection lets them), but not when only
	// maintainers may, and never force it.
	dev := f.member("dev", 30)
	mustDo(t, f.s, 201, "POST", f.url("/repository/commits"), dev, map[string]any{
		"branch": "main", "commit_message": "by dev", "actions": []any{create("d.txt", "d")}})
	wantJSON(t, f.do("POST", "/repository/commits", f.token, map[string]any{
		"branch": "main", "start_sha": base.ID, "force": true, "commit_message": "rewrite",
		"actions": []any{create("r.txt", "r")}}),
		403, `{"message":"403 Forbidden - You are not allowed to force push code to a protected branch"}`)
	mustDo(t, f.s, 200, "PATCH", f.url("/protected_branches/main"), f.token, map[string]any{"push_access_level": 40})
	wantJSON(t, f.do("POST", "/repository/commits", dev, map[string]any{
		"branch": "main", "commit_message": "by dev", "actions": []any{create("e.txt", "e")}}),
		403, `{"message":"403 Forbidden - You are not allowed to push into this branch"}`)
}

func TestAPICommitsAndGitCommitsAreTheSame(t *testing.T) {
	f := newRepoFixture(t, nil)
	api := f.commit("main", "From the API\n\nBody line.", create("api.txt", "api\n"))

	dir := t.TempDir()
	git(t, dir, "clone", "-q", f.repoDir(), "c")
	wc := filepath.Join(dir, "c")
	if got := git(t, wc, "log", "-1", "--format=%H|%an|%ae|%aI|%cn|%ce|%cI|%B"); got != strings.Join([]string{
		api.ID, api.AuthorName, api.AuthorEmail, isoSeconds(t, api.AuthoredDate), api.CommitterName, api.CommitterEmail,
		isoSeconds(t, api.CommittedDate), "From the API\n\nBody line."}, "|") {
		t.Fatalf("git log: %s\napi: %+v", got, api)
	}

	// A commit pushed with git, with its own author, time and zone, is read back unchanged.
	if err := os.WriteFile(filepath.Join(wc, "git.txt"), []byte("git\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git(t, wc, "add", "git.txt")
	git(t, wc, "-c", "user.name=Grace Hopper", "-c", "user.email=grace@example.com", "commit", "-q", "-m", "From git",
		"--date=2021-03-04T05:06:07+05:30")
	git(t, wc, "push", "-q", "origin", "main")
	sha := git(t, wc, "rev-parse", "HEAD")
	got := decode[commitJSON](t, mustDo(t, f.s, 200, "GET", f.url("/repository/commits/main"), f.token, nil))
	if got.ID != sha || got.ParentIDs[0] != api.ID || got.AuthorName != "Grace Hopper" ||
		got.AuthorEmail != "grace@example.com" ||
		got.AuthoredDate != "2021-03-04T05:06:07.000+05:30" || got.Title != "From git" {
		t.Fatalf("pushed commit through the API: %+v", got)
	}
	if got.Stats == nil || got.Stats.Additions != 1 || got.Stats.Deletions != 0 {
		t.Fatalf("stats %+v", got.Stats)
	}
	// The API builds on what git pushed.
	next := f.commit("main", "after git",
		map[string]any{"action": "update", "file_path": "git.txt", "content": "git2\n", "last_commit_id": sha})
	git(t, wc, "pull", "-q", "--ff-only")
	if head := git(t, wc, "rev-parse", "HEAD"); head != next.ID {
		t.Fatalf("git pulled %s, API made %s", head, next.ID)
	}
}

// isoSeconds turns GitLab's "2006-01-02T15:04:05.000-07:00" into git's strict ISO format.
func isoSeconds(t *testing.T, s string) string {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("date %q: %v", s, err)
	}
	return tm.Format("2006-01-02T15:04:05-07:00")
}

func TestListCommits(t *testing.T) {
	f := newRepoFixture(t, nil)
	c1 := f.commit("main", "one", create("docs/a.md", "a"))
	f.commit("main", "two", create("b.txt", "b"))
	c3 := f.commit("main", "three", map[string]any{"action": "update", "file_path": "docs/a.md", "content": "a2"})
	mustDo(t, f.s, 201, "POST", f.url("/repository/commits"), f.token, map[string]any{
		"branch": "side", "start_sha": c1.ID, "commit_message": "side", "actions": []any{create("s.txt", "s")}})

	tests := []struct {
		query string
		want  []string
	}{
		{"", []string{"three", "two", "one", "Initial commit"}},
		{"?ref_name=side", []string{"side", "one", "Initial commit"}},
		{"?ref_name=" + c1.ID + ".." + c3.ID, []string{"three", "two"}},
		{"?ref_name=main..side", []string{"side"}},
		{"?ref_name=side...main", []string{"three", "two", "side"}},
		{"?path=docs", []string{"three", "one"}},
		{"?path=docs/a.md&ref_name=side", []string{"one"}},
		{"?all=true", []string{"side", "three", "two", "one", "Initial commit"}},
		{"?ref_name=nope", []string{}},
		{"?per_page=2&page=2", []string{"one", "Initial commit"}},
		{"?until=2000-01-01T00:00:00Z", []string{}},
		{"?since=2000-01-01T00:00:00Z&per_page=1", []string{"three"}},
		{"?author=ROOT@local", []string{"three", "two", "one", "Initial commit"}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			r := mustDo(t, f.s, 200, "GET", f.url("/repository/commits"+tt.query), f.token, nil)
			// The list may hold the two commits made in the same second in either order.
			if got := names(t, r, "title"); strings.Join(got, ",") != strings.Join(tt.want, ",") &&
				!sameSet(got, tt.want) {
				t.Fatalf("commits %v, want %v", got, tt.want)
			}
		})
	}

	// Like GitLab, no totals: Link has next and first only.
	r := mustDo(t, f.s, 200, "GET", f.url("/repository/commits?per_page=2"), f.token, nil)
	if hasHeader(r.Header, "X-Total") || hasHeader(r.Header, "X-Total-Pages") {
		t.Fatalf("commit list carries totals: %v", r.Header)
	}
	links := splitLink(t, r.Header.Get("Link"))
	if _, ok := links["last"]; ok || links["next"] == "" || r.Header.Get("X-Next-Page") != "2" {
		t.Fatalf("Link %q, X-Next-Page %q", r.Header.Get("Link"), r.Header.Get("X-Next-Page"))
	}
	r = mustDo(t, f.s, 200, "GET", f.url("/repository/commits?per_page=2&page=2"), f.token, nil)
	links = splitLink(t, r.Header.Get("Link"))
	if _, ok := links["next"]; ok || links["prev"] == "" || r.Header.Get("X-Next-Page") != "" {
		t.Fatalf("last page: Link %q", r.Header.Get("Link"))
	}

	// with_stats adds each commit's stats.
	var withStats []commitJSON
	mustDo(t, f.s, 200, "GET", f.url("/repository/commits?with_stats=true&per_page=1"), f.token, nil).JSON(t,
		&withStats)
	if len(withStats) != 1 || withStats[0].Stats == nil || withStats[0].Stats.Total != 2 {
		t.Fatalf("with_stats: %+v", withStats)
	}
	wantJSON(t, f.do("GET", "/repository/commits?since=yesterday", f.token, nil), 400, `{"error":"since is invalid"}`)
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]int{}
	for _, s := range a {
		seen[s]++
	}
	for _, s := range b {
		seen[s]--
	}
	for _, n := range seen {
		if n != 0 {
			return false
		}
	}
	return true
}

func TestListCommitsFirstParentAndMerges(t *testing.T) {
	f := newRepoFixture(t, nil)
	dir := t.TempDir()
	git(t, dir, "clone", "-q", f.repoDir(), "c")
	wc := filepath.Join(dir, "c")
	commit := func(file, msg, date string) {
		if err := os.WriteFile(filepath.Join(wc, file), []byte(msg+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		git(t, wc, "add", file)
		git(t, wc, "-c", "user.name=T", "-c", "user.email=t@example.com", "commit", "-q", "-m", msg, "--date="+date)
	}
	git(t, wc, "checkout", "-q", "-b", "topic")
	commit("t.txt", "topic work", "2030-01-01T00:00:01Z")
	git(t, wc, "checkout", "-q", "main")
	commit("m.txt", "main work", "2030-01-01T00:00:02Z")
	git(t, wc, "-c", "user.name=T", "-c", "user.email=t@example.com", "merge", "-q", "--no-ff", "-m",
		"Merge topic", "topic")
	git(t, wc, "push", "-q", "origin", "main", "topic")

	all := names(t, mustDo(t, f.s, 200, "GET", f.url("/repository/commits"), f.token, nil), "title")
	if len(all) != 4 || all[0] != "Merge topic" || !contains(all, "topic work") {
		t.Fatalf("all: %v", all)
	}
	fp := names(t, mustDo(t, f.s, 200, "GET", f.url("/repository/commits?first_parent=true"), f.token, nil), "title")
	if strings.Join(fp, ",") != "Merge topic,main work,Initial commit" {
		t.Fatalf("first_parent: %v", fp)
	}
	// The merge did not change t.txt against the topic side: only the topic commit shows.
	if got := names(t, mustDo(t, f.s, 200, "GET", f.url("/repository/commits?path=t.txt"), f.token, nil),
		"title"); strings.Join(got, ",") != "topic work" {
		t.Fatalf("path=t.txt: %v", got)
	}
	// A merge's diff is against its first parent.
	var d []diffJSON
	mustDo(t, f.s, 200, "GET", f.url("/repository/commits/main/diff"), f.token, nil).JSON(t, &d)
	if len(d) != 1 || d[0].NewPath != "t.txt" || !d[0].NewFile {
		t.Fatalf("merge diff: %+v", d)
	}
	// refs containing the topic commit.
	sha := git(t, wc, "rev-parse", "topic")
	wantJSON(t, f.do("GET", "/repository/commits/"+sha+"/refs?type=branch", f.token, nil), 200,
		`[{"type":"branch","name":"main"},{"type":"branch","name":"topic"}]`)
}

func TestGetCommitAndDiff(t *testing.T) {
	f := newRepoFixture(t, nil)
	f.commit("main", "setup", create("a.txt", "1\n2\n3\n4\n5\n6\n7\n8\n9\n"), create("mv.txt", "same\n"),
		create("gone.txt", "x\n"))
	c := f.commit("main", "change",
		map[string]any{"action": "update", "file_path": "a.txt", "content": "1\n2\nthree\n4\n5\n6\n7\n8\n9"},
		map[string]any{"action": "move", "file_path": "moved.txt", "previous_path": "mv.txt"},
		map[string]any{"action": "delete", "file_path": "gone.txt"},
		map[string]any{"action": "create", "file_path": "new.sh", "content": "hi\n", "execute_filemode": true})

	got := decode[commitJSON](t, mustDo(t, f.s, 200, "GET", f.url("/repository/commits/"+c.ShortID), f.token, nil))
	if got.ID != c.ID || got.Stats == nil || got.Stats.Additions != 3 || got.Stats.Deletions != 3 {
		t.Fatalf("commit: %+v stats %+v", got, got.Stats)
	}
	noStats := decode[commitJSON](t,
		mustDo(t, f.s, 200, "GET", f.url("/repository/commits/"+c.ID+"?stats=false"), f.token, nil))
	if noStats.Stats != nil {
		t.Fatal("stats=false still has stats")
	}
	wantJSON(t, f.do("GET", "/repository/commits/0000000000000000000000000000000000000000", f.token, nil),
		404, `{"message":"404 Commit Not Found"}`)
	wantJSON(t, f.do("GET", "/repository/commits/nope/diff", f.token, nil), 404, `{"message":"404 Commit Not Found"}`)

	r := mustDo(t, f.s, 200, "GET", f.url("/repository/commits/"+c.ID+"/diff"), f.token, nil)
	want := `[
	 {"old_path":"a.txt","new_path":"a.txt","a_mode":"100644","b_mode":"100644","new_file":false,"renamed_file":false,"deleted_file":false,"generated_file":false,"collapsed":false,"too_large":false,
	  "diff":"@@ -1,9 +1,9 @@\n 1\n 2\n-3\n+three\n 4\n 5\n 6\n 7\n 8\n-9\n+9\n\\ No newline at end of file\n"},
	 {"old_path":"gone.txt","new_path":"gone.txt","a_mode":"100644","b_mode":"0","new_file":false,"renamed_file":false,"deleted_file":true,"generated_file":false,"collapsed":false,"too_large":false,
	  "diff":"@@ -1 +0,0 @@\n-x\n"},
	 {"old_path":"mv.txt","new_path":"moved.txt","a_mode":"100644","b_mode":"100644","new_file":false,"renamed_file":true,"deleted_file":false,"generated_file":false,"collapsed":false,"too_large":false,
	  "diff":""},
	 {"old_path":"new.sh","new_path":"new.sh","a_mode":"0","b_mode":"100755","new_file":true,"renamed_file":false,"deleted_file":false,"generated_file":false,"collapsed":false,"too_large":false,
	  "diff":"@@ -0,0 +1 @@\n+hi\n"}]`
	wantJSON(t, r, 200, want)
	if r.Header.Get("X-Total") != "4" {
		t.Fatalf("X-Total %q", r.Header.Get("X-Total"))
	}

	// The hunks are the ones git computes.
	dir := t.TempDir()
	git(t, dir, "clone", "-q", f.repoDir(), "c")
	gitDiff := git(t, filepath.Join(dir, "c"), "diff", c.ID+"^", c.ID, "--", "a.txt")
	var d []diffJSON
	r.JSON(t, &d)
	if !strings.HasSuffix(gitDiff+"\n", d[0].Diff) {
		t.Fatalf("git diff:\n%s\napi:\n%s", gitDiff, d[0].Diff)
	}
}

func TestConcurrentCommitsLoseNothing(t *testing.T) {
	f := newRepoFixture(t, nil)
	const n = 6
	codes := make([]int, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			body := map[string]any{"branch": "main", "commit_message": "c" + itoa(int64(i)),
				"actions": []any{create("f"+itoa(int64(i)), "x")}}
			r := f.s.Do(t, "POST", f.url("/repository/commits"), f.token, body)
			codes[i] = r.StatusCode
			if r.StatusCode != 201 &&
				string(r.Body) != `{"message":"Could not update main. Please refresh and try again."}` {
				t.Errorf("commit %d: %d %s", i, r.StatusCode, r.Body)
			}
		}(i)
	}
	wg.Wait()
	// Every acknowledged commit is on main: a loser is refused, never silently dropped.
	var tree []struct{ Path string }
	mustDo(t, f.s, 200, "GET", f.url("/repository/tree"), f.token, nil).JSON(t, &tree)
	var won int
	for i, code := range codes {
		if code != 201 {
			continue
		}
		won++
		found := false
		for _, e := range tree {
			found = found || e.Path == "f"+itoa(int64(i))
		}
		if !found {
			t.Fatalf("commit %d was acknowledged but its file is not on main", i)
		}
	}
	if won == 0 || len(tree) != won+1 {
		t.Fatalf("%d commits won, tree has %d entries", won, len(tree))
	}
}

package gitlab_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// forgedEmail closes the author's email early and writes a committer line of its own.
const forgedEmail = "m@x.com> 1700000000 +0000\ncommitter Linus Torvalds <torvalds@linux-foundation.org"

func TestCommitHeaderInjectionIsRefusedNamingTheField(t *testing.T) {
	f := newRepoFixture(t, nil)
	f.branch("topic", create("topic.txt", "topic\n"))
	mustDo(t, f.s, http.StatusCreated, "POST", f.url("/merge_requests"), f.token,
		map[string]any{"source_branch": "topic", "target_branch": "main", "title": "Topic"})
	before := f.mainTip()
	commit := func(extra map[string]any) map[string]any {
		body := map[string]any{"branch": "main", "commit_message": "m",
			"actions": []map[string]any{create("new.txt", "x")}}
		for k, v := range extra {
			body[k] = v
		}
		return body
	}
	wantRefused(t, f.s, f.token, f.url(""), []refusal{
		{"an author email forging the committer", "POST", "/repository/commits",
			commit(map[string]any{"author_email": forgedEmail}),
			`{"error":"author_email cannot contain '<', '>' or newlines"}`},
		{"an author name holding an email", "POST", "/repository/commits",
			commit(map[string]any{"author_name": "Eve <eve@example.com>"}),
			`{"error":"author_name cannot contain '<', '>' or newlines"}`},
		{"an author name on two lines", "POST", "/repository/commits",
			commit(map[string]any{"author_name": "Eve\nparent 0000"}),
			`{"error":"author_name cannot contain '<', '>' or newlines"}`},
		{"an author name with an escape", "POST", "/repository/commits",
			commit(map[string]any{"author_name": "Eve\x1b[2J"}),
			`{"error":"author_name cannot contain control characters"}`},
		{"a NUL in an author name", "POST", "/repository/commits", commit(map[string]any{"author_name": "Eve\x00"}),
			`{"error":"author_name cannot contain null bytes"}`},
		{"a NUL in a commit message", "POST", "/repository/commits", commit(map[string]any{"commit_message": "a\x00b"}),
			`{"error":"commit_message cannot contain null bytes"}`},
		{"an author email forging the committer through the files API", "POST", "/repository/files/new.txt",
			map[string]any{"branch": "main", "commit_message": "m", "content": "x", "author_email": forgedEmail},
			`{"error":"author_email cannot contain '<', '>' or newlines"}`},
		{"a form's author name with a newline", "POST", "/repository/files/new.txt",
			url.Values{"branch": {"main"}, "commit_message": {"m"}, "content": {"x"}, "author_name": {"a\nb"}}.Encode(),
			`{"error":"author_name cannot contain '<', '>' or newlines"}`},
		{"a NUL in a tag message", "POST", "/repository/tags",
			map[string]any{"tag_name": "v1", "ref": "main", "message": "a\x00b"},
			`{"error":"message cannot contain null bytes"}`},
		{"a NUL in a release's tag message", "POST", "/releases",
			map[string]any{"tag_name": "v2", "ref": "main", "tag_message": "a\x00b"},
			`{"error":"tag_message cannot contain null bytes"}`},
		{"a NUL in a merge commit message", "PUT", "/merge_requests/1/merge",
			map[string]any{"merge_commit_message": "a\x00b"},
			`{"error":"merge_commit_message cannot contain null bytes"}`},
		{"a NUL in a squash commit message", "PUT", "/merge_requests/1/merge",
			map[string]any{"squash": true, "squash_commit_message": "a\x00b"},
			`{"error":"squash_commit_message cannot contain null bytes"}`},
	})
	// Nothing was written.
	if tip := f.mainTip(); tip.ID != before.ID {
		t.Fatalf("main moved from %s to %s (%q by %s <%s>)", before.ID, tip.ID, tip.Message,
			tip.CommitterName, tip.CommitterEmail)
	}
	wantJSON(t, f.do("GET", "/repository/tags", f.token, nil), 200, `[]`)
	if m := f.mr(1); m.State != "opened" {
		t.Fatalf("merge request after refused merges: %s", m.State)
	}
}

// TestEveryKindOfWriteClonesWithFsckObjects makes every kind of object cairn writes (the
// first commit, commits of the commits and files APIs, tags, a release's tag, merge and
// squash commits, a rebase) by a user whose profile name holds what git cannot write, then
// clones as a client that checks every object does.
func TestEveryKindOfWriteClonesWithFsckObjects(t *testing.T) {
	f := newRepoFixture(t, nil)
	uid, eve := f.s.CreateUser(t, "eve")
	mustDo(t, f.s, 200, "PUT", "/api/v4/users/"+itoa(uid), f.token,
		map[string]any{"name": "Eve <evil@example.com> \"the\" \tTester", "email": "eve@example.com"})
	addMember(t, f.s, f.token, "projects", f.id, uid, 40)
	as := func(token, method, path string, body any, code int) *mrJSON {
		t.Helper()
		r := mustDo(t, f.s, code, method, f.url(path), token, body)
		if strings.Contains(path, "merge_requests") {
			m := decode[mrJSON](t, r)
			return &m
		}
		return nil
	}
	as(eve, "POST", "/repository/commits", map[string]any{"branch": "main", "commit_message": "by eve",
		"actions": []map[string]any{create("eve.txt", "eve\n")}}, 201)
	as(eve, "POST", "/repository/commits", map[string]any{"branch": "main", "commit_message": "by a named author",
		"author_name": "Zoë Ünal", "author_email": "zoe@example.com",
		"actions": []map[string]any{update("eve.txt", "zoë\n")}}, 201)
	as(eve, "POST", "/repository/files/docs%2Fa.md",
		map[string]any{"branch": "main", "commit_message": "add a", "content": "a"}, 201)
	as(eve, "PUT", "/repository/files/docs%2Fa.md",
		map[string]any{"branch": "main", "commit_message": "edit a", "content": "b"}, 200)
	as(eve, "DELETE", "/repository/files/docs%2Fa.md",
		map[string]any{"branch": "main", "commit_message": "drop a"}, 204)
	as(eve, "POST", "/repository/branches", map[string]any{"branch": "copy", "ref": "main"}, 201)
	as(eve, "POST", "/repository/tags", map[string]any{"tag_name": "light", "ref": "main"}, 201)
	as(eve, "POST", "/repository/tags",
		map[string]any{"tag_name": "annotated", "ref": "main", "message": "a tag by eve"}, 201)
	as(eve, "POST", "/releases",
		map[string]any{"tag_name": "v1.0", "ref": "main", "tag_message": "release by eve"}, 201)
	for _, b := range []string{"merged", "squashed", "rebased"} {
		f.branch(b, create(b+".txt", b+"\n"))
		as(eve, "POST", "/merge_requests",
			map[string]any{"source_branch": b, "target_branch": "main", "title": "Bring " + b}, 201)
	}
	f.commit("main", "move main on", create("later.txt", "later\n"))
	as(eve, "PUT", "/merge_requests/3/rebase", nil, 202)
	as(eve, "PUT", "/merge_requests/1/merge", nil, 200)
	as(eve, "PUT", "/merge_requests/2/merge", map[string]any{"squash": true}, 200)

	dir := t.TempDir()
	u, _ := url.Parse(f.s.URL + "/" + f.path + ".git")
	u.User = url.UserPassword("oauth2", f.token)
	git(t, dir, "-c", "transfer.fsckObjects=true", "clone", "-q", "--mirror", u.String(), "c.git")
	git(t, dir+"/c.git", "fsck", "--strict", "--no-dangling")
	log := git(t, dir+"/c.git", "log", "--all", "--format=%an <%ae> | %cn <%ce>")
	if !strings.Contains(log, "Eve evil@example.com \"the\" Tester <eve@example.com>") ||
		!strings.Contains(log, "Zoë Ünal <zoe@example.com>") {
		t.Fatalf("identities in the history:\n%s", log)
	}
	if tag := git(t, dir+"/c.git", "cat-file", "-p", "annotated"); !strings.Contains(tag,
		"tagger Eve evil@example.com \"the\" Tester <eve@example.com>") {
		t.Fatalf("tag object:\n%s", tag)
	}
}

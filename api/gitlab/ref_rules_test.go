package gitlab_test

import (
	"strings"
	"testing"
)

func TestRefNamesFollowOneRuleThroughTheAPI(t *testing.T) {
	f := newRepoFixture(t, nil)
	hex40 := strings.Repeat("0123456789", 4)
	commitTo := func(branch string) map[string]any {
		return map[string]any{"branch": branch, "commit_message": "m",
			"actions": []map[string]any{create("new.txt", "x")}}
	}
	wantRefused(t, f.s, f.token, f.url(""), []refusal{
		{"a commit to a branch named refs/tags/v0", "POST", "/repository/commits", commitTo("refs/tags/v0"),
			`{"message":"Branch name is invalid"}`},
		{"a commit to a branch named refs/heads/x", "POST", "/repository/commits", commitTo("refs/heads/x"),
			`{"message":"Branch name is invalid"}`},
		{"a commit to a branch named -x", "POST", "/repository/commits", commitTo("-x"),
			`{"message":"Branch name is invalid"}`},
		{"a commit to a branch named HEAD", "POST", "/repository/commits", commitTo("HEAD"),
			`{"message":"Branch name is invalid"}`},
		{"a commit to a branch named by a commit id", "POST", "/repository/commits", commitTo(hex40),
			`{"message":"Branch name is invalid"}`},
		{"a commit to a branch of 300 bytes", "POST", "/repository/commits",
			commitTo(strings.Repeat("b", 300)), `{"message":"Branch name is invalid"}`},
		{"a branch named refs/tags/v0", "POST", "/repository/branches",
			map[string]any{"branch": "refs/tags/v0", "ref": "main"},
			`{"message":"Branch name is invalid"}`},
		{"a branch named by a commit id", "POST", "/repository/branches",
			map[string]any{"branch": hex40, "ref": "main"},
			`{"message":"Branch name is invalid"}`},
		{"a default branch named refs/tags/v0", "PUT", "", map[string]any{"default_branch": "refs/tags/v0"},
			`{"message":{"default_branch":["cannot start with 'refs/'"]}}`},
		{"a tag named with a trailing blank", "POST", "/repository/tags",
			map[string]any{"tag_name": "main ", "ref": "main"}, `{"message":"Tag name invalid"}`},
		{"a tag named HEAD", "POST", "/repository/tags", map[string]any{"tag_name": "HEAD", "ref": "main"},
			`{"message":"Tag name invalid"}`},
		{"a tag named -v1", "POST", "/repository/tags", map[string]any{"tag_name": "-v1", "ref": "main"},
			`{"message":"Tag name invalid"}`},
		{"a tag named refs/tags/v1", "POST", "/repository/tags",
			map[string]any{"tag_name": "refs/tags/v1", "ref": "main"}, `{"message":"Tag name invalid"}`},
		{"a tag that starts with a commit id", "POST", "/repository/tags",
			map[string]any{"tag_name": hex40 + "-x", "ref": "main"},
			`{"message":"Tag name invalid"}`},
		{"a tag named as the default branch", "POST", "/repository/tags",
			map[string]any{"tag_name": "main", "ref": "main"},
			`{"message":"You cannot use default branch name to create a tag"}`},
		{"a release's new tag named with a trailing blank", "POST", "/releases",
			map[string]any{"tag_name": "main ", "ref": "main"},
			`{"message":"Tag name invalid"}`},
		{"a release's new tag named HEAD", "POST", "/releases",
			map[string]any{"tag_name": "HEAD", "ref": "main"}, `{"message":"Tag name invalid"}`},
		{"a protected branch name with a control character", "POST", "/protected_branches",
			map[string]any{"name": "rel\x01*"},
			`{"message":{"name":["is not a valid git reference name"]}}`},
		{"a protected branch name with a newline", "POST", "/protected_branches", map[string]any{"name": "a\nb"},
			`{"message":{"name":["is not a valid git reference name"]}}`},
		{"a protected branch name starting with '-'", "POST", "/protected_branches", map[string]any{"name": "-x"},
			`{"message":{"name":["cannot start with '-'"]}}`},
		{"a merge request from a branch git would refuse", "POST", "/merge_requests",
			map[string]any{"source_branch": "a..b", "target_branch": "main", "title": "t"},
			`{"message":{"source_branch":["is invalid"]}}`},
	})
	if got := names(t, mustDo(t, f.s, 200, "GET", f.url("/repository/branches"), f.token, nil),
		"name"); strings.Join(got, ",") != "main" {
		t.Fatalf("branches %q", got)
	}
	wantJSON(t, f.do("GET", "/repository/tags", f.token, nil), 200, `[]`)
	if p := decode[projectJSON](t, mustDo(t, f.s, 200, "GET", f.url(""), f.token, nil)); p.DefaultBranch != "main" {
		t.Fatalf("default branch %q", p.DefaultBranch)
	}
	// Names that only look odd are fine, and a protection rule may have wildcards.
	mustDo(t, f.s, 201, "POST", f.url("/repository/branches"), f.token,
		map[string]any{"branch": "feature/ünï-#1@x", "ref": "main"})
	mustDo(t, f.s, 201, "POST", f.url("/repository/tags"), f.token,
		map[string]any{"tag_name": "v1.0.0-rc.1+build", "ref": "main"})
	mustDo(t, f.s, 201, "POST", f.url("/protected_branches"), f.token, map[string]any{"name": "release/*"})
}

func TestFilePathsFollowOneRuleThroughTheAPI(t *testing.T) {
	f := newRepoFixture(t, nil)
	f.commit("main", "a file", create("keep.txt", "x"))
	before := f.mainTip()
	commitWith := func(actions ...map[string]any) map[string]any {
		return map[string]any{"branch": "main", "commit_message": "m", "actions": actions}
	}
	wantRefused(t, f.s, f.token, f.url(""), []refusal{
		{"a path with a newline", "POST", "/repository/commits", commitWith(create("a\nb.txt", "x")),
			`{"error":"actions[0][file_path] cannot contain control characters"}`},
		{"a path with an escape", "POST", "/repository/commits",
			commitWith(create("ok.txt", "x"), create("x\x1b[31m", "x")),
			`{"error":"actions[1][file_path] cannot contain control characters"}`},
		{"a name of blanks", "POST", "/repository/commits", commitWith(create("dir/   /x", "x")),
			`{"error":"actions[0][file_path] has a name of blanks only"}`},
		{"a path of blanks", "POST", "/repository/commits", commitWith(create("   ", "x")),
			`{"error":"actions[0][file_path] has a name of blanks only"}`},
		{"a path of 5,000 characters", "POST", "/repository/commits",
			commitWith(create(strings.Repeat("p/", 2500), "x")),
			`{"error":"actions[0][file_path] is too long (maximum is 4096 bytes)"}`},
		{"a name of 256 characters", "POST", "/repository/commits", commitWith(create(strings.Repeat("n", 256), "x")),
			`{"error":"actions[0][file_path] has a name that is too long (maximum is 255 bytes)"}`},
		{"a move to a path with a newline", "POST", "/repository/commits",
			commitWith(map[string]any{"action": "move", "file_path": "a\nb", "previous_path": "keep.txt"}),
			`{"error":"actions[0][file_path] cannot contain control characters"}`},
		{"a file of the files API with a newline", "POST", "/repository/files/a%0Ab.txt",
			map[string]any{"branch": "main", "commit_message": "m", "content": "x"},
			`{"error":"file_path cannot contain control characters"}`},
		{"a file of the files API with a tab", "POST", "/repository/files/a%09b.txt",
			map[string]any{"branch": "main", "commit_message": "m", "content": "x"},
			`{"error":"file_path cannot contain control characters"}`},
	})
	if tip := f.mainTip(); tip.ID != before.ID {
		t.Fatalf("main moved to %s (%q)", tip.ID, tip.Message)
	}
}

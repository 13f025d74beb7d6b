package gitstore

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
)

// newRepo makes repository 1 with files committed and opens it.
func newRepo(t *testing.T, files ...File) (*Store, *Repo) {
	t.Helper()
	st, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	opts := InitOptions{DefaultBranch: "main", Files: files,
		Author: Signature{Name: "A", Email: "a@example.com", When: time.Unix(1700000000, 0)}}
	if err := st.Create(1, opts); err != nil {
		t.Fatal(err)
	}
	r, err := st.OpenRepo(1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return st, r
}

// commitOn builds a commit of actions on branch and moves the branch to it.
func commitOn(t *testing.T, st *Store, r *Repo, branch string, when int64, actions ...FileAction) plumbing.Hash {
	t.Helper()
	head, _, err := r.Reference("refs/heads/" + branch)
	if err != nil {
		t.Fatal(err)
	}
	sig := Signature{Name: "B", Email: "b@example.com", When: time.Unix(when, 0).UTC()}
	h, err := r.BuildCommit(CommitSpec{Parent: head, Actions: actions, Author: sig, Committer: sig, Message: "c"})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.UpdateRefs(1, []RefUpdate{{Name: "refs/heads/" + branch, Old: head, New: h}}); err != nil {
		t.Fatal(err)
	}
	return h
}

func put(path, content string) FileAction {
	return FileAction{Action: ActionUpdate, Path: path, Content: []byte(content), HasContent: true}
}

func TestUnifiedMatchesGit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	long := func(n int, change map[int]string) string {
		var b strings.Builder
		for i := 1; i <= n; i++ {
			if s, ok := change[i]; ok {
				b.WriteString(s)
				continue
			}
			b.WriteString("line " + string(rune('a'+i%26)) + "\n")
		}
		return b.String()
	}
	tests := []struct {
		name, before, after string
	}{
		{"one change", "a\nb\nc\n", "a\nB\nc\n"},
		{"append", "a\n", "a\nb\n"},
		{"from empty", "", "x\ny\n"},
		{"to empty", "x\ny\n", ""},
		{"no newline at end", "a\nb", "a\nc"},
		{"newline added at end", "a\nb", "a\nb\n"},
		{"function line", "package p\n\nfunc f() {\n\ta := 1\n\tb := 2\n\tc := 3\n\td := 4\n}\n",
			"package p\n\nfunc f() {\n\ta := 1\n\tb := 2\n\tc := 3\n\td := 5\n}\n"},
		{"two hunks", long(30, map[int]string{2: "two\n", 25: "twenty-five\n"}), long(30, nil)},
		{"hunks merged across six lines", long(20, map[int]string{5: "five\n", 12: "twelve\n"}), long(20, nil)},
		{"hunks apart across seven lines", long(20, map[int]string{5: "five\n", 13: "thirteen\n"}), long(20, nil)},
	}
	dir := t.TempDir()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
			if err := os.WriteFile(a, []byte(tt.before), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(b, []byte(tt.after), 0o644); err != nil {
				t.Fatal(err)
			}
			out, _ := exec.Command("git", "diff", "--no-index", "--no-color", a, b).Output()
			want := string(out)
			if i := strings.Index(want, "@@"); i >= 0 {
				want = want[i:]
			}
			got, adds, dels := Unified(tt.before, tt.after)
			if got != want {
				t.Fatalf("hunks\n%s\ngit\n%s", got, want)
			}
			var wantAdds, wantDels int
			for _, l := range strings.Split(want, "\n") {
				switch {
				case strings.HasPrefix(l, "+"):
					wantAdds++
				case strings.HasPrefix(l, "-"):
					wantDels++
				}
			}
			if adds != wantAdds || dels != wantDels {
				t.Fatalf("+%d -%d, git +%d -%d", adds, dels, wantAdds, wantDels)
			}
		})
	}
}

func TestBuildCommitRefusesBadActions(t *testing.T) {
	st, r := newRepo(t, File{Path: "a.txt", Content: []byte("a")}, File{Path: "dir/b.txt", Content: []byte("b")})
	head, _, _ := r.Reference("refs/heads/main")
	tests := []struct {
		name   string
		action FileAction
		want   error
	}{
		{"create existing", FileAction{Action: ActionCreate, Path: "a.txt"}, ErrFileExists},
		{"create over a directory", FileAction{Action: ActionCreate, Path: "dir"}, ErrDirectoryExists},
		{"create under a file", FileAction{Action: ActionCreate, Path: "a.txt/c"}, ErrFileExists},
		{"update missing", put("nope", "x"), ErrFileNotExist},
		{"update a directory", put("dir", "x"), ErrFileNotExist},
		{"delete missing", FileAction{Action: ActionDelete, Path: "dir/nope"}, ErrFileNotExist},
		{"move missing", FileAction{Action: ActionMove, Path: "x", PreviousPath: "nope"}, ErrFileNotExist},
		{"move onto a file", FileAction{Action: ActionMove, Path: "a.txt", PreviousPath: "dir/b.txt"}, ErrFileExists},
		{"into .git", FileAction{Action: ActionCreate, Path: ".git/config"}, ErrInvalidPath},
		{"into .GIT", FileAction{Action: ActionCreate, Path: ".GIT/hooks/x"}, ErrInvalidPath},
		{"into a nested .git", FileAction{Action: ActionCreate, Path: "a/.git/config"}, ErrInvalidPath},
		{"into .git with a trailing dot", FileAction{Action: ActionCreate, Path: ".git./config"}, ErrInvalidPath},
		{"into .git with a trailing space", FileAction{Action: ActionCreate, Path: "a/.Git /config"}, ErrInvalidPath},
		{"into the short name of .git", FileAction{Action: ActionCreate, Path: "GIT~1/config"}, ErrInvalidPath},
		{"moved into .git", FileAction{Action: ActionMove, Path: ".git/x", PreviousPath: "a.txt"}, ErrInvalidPath},
		{"dot-dot", FileAction{Action: ActionCreate, Path: "x/../y"}, ErrInvalidPath},
		{"unknown", FileAction{Action: "explode", Path: "a.txt"}, ErrUnknownAction},
		{"no change", put("a.txt", "a"), ErrNoChanges},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := r.BuildCommit(CommitSpec{Parent: head, Actions: []FileAction{tt.action}, Message: "m"})
			if !errors.Is(err, tt.want) {
				t.Fatalf("error %v, want %v", err, tt.want)
			}
		})
	}
	// Names that merely start like it are fine.
	commitOn(t, st, r, "main", 1700000050, FileAction{Action: ActionCreate, Path: ".github/.gitignore"},
		FileAction{Action: ActionCreate, Path: "docs/.git-blame-ignore-revs"})
	// Deleting the last file of a directory removes the directory.
	h := commitOn(t, st, r, "main", 1700000100, FileAction{Action: ActionDelete, Path: "dir/b.txt"})
	if _, err := r.Stat(h, "dir"); !errors.Is(err, ErrPathNotFound) {
		t.Fatalf("dir after its last file went: %v", err)
	}
}

func TestObjectsGitWouldRefuseAreNotWritten(t *testing.T) {
	st, r := newRepo(t, File{Path: "a.txt", Content: []byte("a")})
	head, _, _ := r.Reference("refs/heads/main")
	ok := Signature{Name: "A", Email: "a@example.com", When: time.Unix(1700000000, 0)}
	forged := ok
	forged.Email = "m@x.com> 1700000000 +0000\ncommitter Linus Torvalds <torvalds@linux-foundation.org"
	edit := []FileAction{put("a.txt", "b")}
	tests := []struct {
		name  string
		write func() (plumbing.Hash, error)
		want  error
	}{
		{"an author email forging the committer", func() (plumbing.Hash, error) {
			return r.BuildCommit(CommitSpec{Parent: head, Actions: edit, Author: forged, Committer: ok, Message: "m"})
		}, ErrInvalidIdentity},
		{"a committer name with '<'", func() (plumbing.Hash, error) {
			bad := ok
			bad.Name = "Eve <eve"
			return r.BuildCommit(CommitSpec{Parent: head, Actions: edit, Author: ok, Committer: bad, Message: "m"})
		}, ErrInvalidIdentity},
		{"a NUL in a name", func() (plumbing.Hash, error) {
			bad := ok
			bad.Name = "a\x00b"
			return r.BuildCommit(CommitSpec{Parent: head, Actions: edit, Author: bad, Committer: ok, Message: "m"})
		}, ErrInvalidIdentity},
		{"a NUL in a commit message", func() (plumbing.Hash, error) {
			return r.BuildCommit(CommitSpec{Parent: head, Actions: edit, Author: ok, Committer: ok, Message: "a\x00b"})
		}, ErrInvalidMessage},
		{"a NUL in a tag message",
			func() (plumbing.Hash, error) { return r.WriteTag("v1", head, ok, "a\x00b") }, ErrInvalidMessage},
		{"a tagger with a newline", func() (plumbing.Hash, error) {
			bad := ok
			bad.Email = "a\nb"
			return r.WriteTag("v1", head, bad, "m")
		}, ErrInvalidIdentity},
		{"a tag name with a newline",
			func() (plumbing.Hash, error) { return r.WriteTag("v1\nobject x", head, ok, "m") }, ErrInvalidRefName},
		{"a first commit by a forged author", func() (plumbing.Hash, error) {
			return plumbing.ZeroHash, st.Create(2,
				InitOptions{Files: []File{{Path: "a", Content: []byte("a")}}, Author: forged})
		}, ErrInvalidIdentity},
	}
	for _, tt := range tests {
		if _, err := tt.write(); !errors.Is(err, tt.want) {
			t.Errorf("%s: error %v, want %v", tt.name, err, tt.want)
		}
	}
	if st.Exists(2) {
		t.Errorf("a repository whose first commit was refused exists")
	}
}

func TestIsDotGit(t *testing.T) {
	// The names git's fsck reports as hasDotgit (t1450-fsck.sh, t0060-path-utils.sh).
	for _, name := range []string{".git", ".GIT", ".gIt", ".git.", ".git ", ".git. . .", "git~1", "GIT~1",
		".git::$INDEX_ALLOCATION", ".git:stream", "a\\.git", "x\\git~1 .", ".\u200cgit", "\ufeff.gi\u200dt",
		".g\u206ait\u202e", ".git\xff"} {
		if !isDotGit([]byte(name)) {
			t.Errorf("%q is not taken for .git", name)
		}
	}
	for _, name := range []string{".gitignore", ".github", ".gitmodules", "git", ".gi", ".git-x", ".git.x", "git~2",
		"git~10", "a.git", "x.git\\y", ".\u200bgit", ".\xc5\x87it", ""} {
		if isDotGit([]byte(name)) {
			t.Errorf("%q is taken for .git", name)
		}
	}
}

func TestLogSimplifiesHistoryByPath(t *testing.T) {
	st, r := newRepo(t, File{Path: "a", Content: []byte("1")})
	c1 := commitOn(t, st, r, "main", 1700000100, put("a", "2"))
	commitOn(t, st, r, "main", 1700000200, FileAction{Action: ActionCreate, Path: "b", Content: []byte("x")})
	c3 := commitOn(t, st, r, "main", 1700000300, FileAction{Action: ActionDelete, Path: "a"})
	head, _, _ := r.Reference("refs/heads/main")
	ctx := context.Background()

	titles := func(list []*Commit) []plumbing.Hash {
		out := make([]plumbing.Hash, len(list))
		for i, c := range list {
			out[i] = c.ID
		}
		return out
	}
	list, err := r.Log(ctx, LogOptions{Include: []plumbing.Hash{head}, Path: "a"})
	if err != nil {
		t.Fatal(err)
	}
	if got := titles(list); len(got) != 3 || got[0] != c3 || got[1] != c1 {
		t.Fatalf("history of a: %v", got)
	}
	last, err := r.LastCommitFor(ctx, head, "b")
	if err != nil || last == nil || last.Parents[0] != c1 {
		t.Fatalf("last commit for b: %v %v", last, err)
	}
	list, _ = r.Log(ctx, LogOptions{Include: []plumbing.Hash{head}, Exclude: []plumbing.Hash{c1}})
	if len(list) != 2 {
		t.Fatalf("c1..head: %d commits", len(list))
	}
	list, _ = r.Log(ctx, LogOptions{Include: []plumbing.Hash{head}, Since: time.Unix(1700000150, 0)})
	if len(list) != 2 {
		t.Fatalf("since: %d commits", len(list))
	}
	list, _ = r.Log(ctx, LogOptions{Include: []plumbing.Hash{head}, Skip: 1, Limit: 2})
	if got := titles(list); len(got) != 2 || got[1] != c1 {
		t.Fatalf("skip 1, limit 2: %v", got)
	}
}

func TestResolveRevisions(t *testing.T) {
	st, r := newRepo(t, File{Path: "a", Content: []byte("1")})
	first, _, _ := r.Reference("refs/heads/main")
	second := commitOn(t, st, r, "main", 1700000100, put("a", "2"))
	tag, err := r.WriteTag("v1", first,
		Signature{Name: "T", Email: "t@example.com", When: time.Unix(1700000000, 0)}, "one")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.UpdateRefs(1, []RefUpdate{{Name: "refs/tags/v1", New: tag}}); err != nil {
		t.Fatal(err)
	}
	tests := map[string]plumbing.Hash{
		"main": second, "HEAD": second, "refs/heads/main": second, "heads/main": second, second.String(): second,
		second.String()[:8]: second, "main~1": first, "v1": first, "refs/tags/v1": first, tag.String(): first,
	}
	for rev, want := range tests {
		if got, err := r.Resolve(rev); err != nil || got != want {
			t.Errorf("Resolve(%q) = %s, %v; want %s", rev, got, err, want)
		}
	}
	for _, rev := range []string{"", "nope", "main..v1", "-x", "0000000000000000000000000000000000000000", "main:a",
		"heads", "refs/heads", "tags", "refs", "../HEAD", "heads/../../HEAD"} {
		if _, err := r.Resolve(rev); !errors.Is(err, ErrRefNotFound) {
			t.Errorf("Resolve(%q): %v, want ErrRefNotFound", rev, err)
		}
	}
	got, err := r.Tag("v1")
	if err != nil || !got.Annotated || got.Message != "one\n" || got.Commit != first || got.Target != tag {
		t.Fatalf("tag: %+v %v", got, err)
	}
}

func TestDiffMarksBinaryAndTooLargeFiles(t *testing.T) {
	st, r := newRepo(t, File{Path: "keep", Content: []byte("k")})
	base, _, _ := r.Reference("refs/heads/main")
	big := strings.Repeat("0123456789abcdef\n", 70000) // 1.1 MB of text
	h := commitOn(t, st, r, "main", 1700000100,
		FileAction{Action: ActionCreate, Path: "big.txt", Content: []byte(big), HasContent: true},
		FileAction{Action: ActionCreate, Path: "img.png", Content: []byte("\x89PNG\x00\x01"), HasContent: true})
	diffs, err := r.Diff(context.Background(), base, h)
	if err != nil {
		t.Fatal(err)
	}
	if len(diffs) != 2 {
		t.Fatalf("diffs: %+v", diffs)
	}
	if d := diffs[0]; d.NewPath != "big.txt" || !d.TooLarge || d.Patch != "" || !d.NewFile {
		t.Fatalf("big file: %+v", d)
	}
	if d := diffs[1]; !d.Binary || d.Patch != "Binary files /dev/null and b/img.png differ\n" || d.Additions != 0 {
		t.Fatalf("binary file: %+v", d)
	}
}

package gitstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
)

// snapshot is the whole content of a commit: path → content. A content starting with
// "exec:" is an executable file, "link:" a symlink to the rest, "gitlink:" a submodule at
// the commit id that follows, "text:" a file of the rest (so "text:" is an empty file).
type snapshot map[string]string

// historyWriter scripts commits for git fast-import.
type historyWriter struct {
	buf  bytes.Buffer
	mark int
	when int64
}

// commit writes a commit of snap on ref with the given parents (marks) and returns its mark.
func (w *historyWriter) commit(ref string, snap snapshot, parents ...int) int {
	w.mark++
	w.when += 60
	fmt.Fprintf(&w.buf, "commit %s\nmark :%d\n", ref, w.mark)
	fmt.Fprintf(&w.buf,
		"author A <a@example.com> %d +0000\ncommitter A <a@example.com> %d +0000\ndata 2\nc\n", w.when, w.when)
	for i, p := range parents {
		verb := "merge"
		if i == 0 {
			verb = "from"
		}
		fmt.Fprintf(&w.buf, "%s :%d\n", verb, p)
	}
	w.buf.WriteString("deleteall\n")
	paths := make([]string, 0, len(snap))
	for p := range snap {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		content, mode := snap[p], "100644"
		for prefix, m := range map[string]string{"exec:": "100755", "link:": "120000", "gitlink:": "160000",
			"text:": "100644"} {
			if rest, ok := strings.CutPrefix(content, prefix); ok {
				content, mode = rest, m
			}
		}
		if mode == "160000" {
			fmt.Fprintf(&w.buf, "M 160000 %s %s\n", content, p)
			continue
		}
		fmt.Fprintf(&w.buf, "M %s inline %s\ndata %d\n%s\n", mode, p, len(content), content)
	}
	w.buf.WriteByte('\n')
	return w.mark
}

// mergeCase is one fixture: a history with branches main (ours) and side (theirs).
type mergeCase struct {
	name               string
	base, ours, theirs snapshot
	// history builds other shapes; it must leave main and side where the merge is.
	history func(w *historyWriter)
	// want are cairn's conflicts, path → kind; empty for a clean merge.
	want map[string]ConflictKind
	// stricter explains why cairn reports a conflict where git merges cleanly: a known
	// divergence, always in the conservative direction.
	stricter string
	// gitPaths are git's conflicted paths when they differ from cairn's (renames).
	gitPaths []string
}

func (c mergeCase) build(w *historyWriter) {
	if c.history != nil {
		c.history(w)
		return
	}
	base := w.commit("refs/heads/main", c.base)
	w.commit("refs/heads/side", c.theirs, base)
	w.commit("refs/heads/main", c.ours, base)
}

// with returns a copy of s changed by kv pairs (path, content); content "" deletes.
func with(s snapshot, kv ...string) snapshot {
	out := snapshot{}
	for k, v := range s {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			delete(out, kv[i])
		} else {
			out[kv[i]] = kv[i+1]
		}
	}
	return out
}

func lines(n int, change map[int]string) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		if s, ok := change[i]; ok {
			b.WriteString(s)
			continue
		}
		fmt.Fprintf(&b, "line %d\n", i)
	}
	return b.String()
}

const blobSub = "0123456789012345678901234567890123456789"

func mergeCases() []mergeCase {
	text := lines(20, nil)
	big := strings.Repeat("x", 9000) + "\x00"
	base := snapshot{"README": "hello\n", "src/main.go": text, "src/util/u.go": lines(10, nil), "docs/a.md": "a\n"}
	return []mergeCase{
		{name: "clean: different files", base: base,
			ours:   with(base, "README", "hello world\n"),
			theirs: with(base, "src/util/u.go", lines(10, map[int]string{3: "three\n"}))},
		{name: "clean: same file, lines far apart", base: base,
			ours:   with(base, "src/main.go", lines(20, map[int]string{2: "two\n"})),
			theirs: with(base, "src/main.go", lines(20, map[int]string{18: "eighteen\n"}))},
		{name: "text conflict", base: base,
			ours:   with(base, "src/main.go", lines(20, map[int]string{5: "ours\n"})),
			theirs: with(base, "src/main.go", lines(20, map[int]string{5: "theirs\n", 6: "six\n"})),
			want:   map[string]ConflictKind{"src/main.go": ConflictContent}},
		{name: "identical changes on both sides", base: base,
			ours:   with(base, "src/main.go", lines(20, map[int]string{5: "same\n"}), "new.txt", "n\n"),
			theirs: with(base, "src/main.go", lines(20, map[int]string{5: "same\n"}), "new.txt", "n\n")},
		{name: "binary conflict", base: with(base, "logo.png", "\x89PNG\x00base"),
			ours:   with(base, "logo.png", "\x89PNG\x00ours"),
			theirs: with(base, "logo.png", "\x89PNG\x00theirs"),
			want:   map[string]ConflictKind{"logo.png": ConflictBinary}},
		{name: "binary changed on one side", base: with(base, "logo.png", "\x89PNG\x00base"),
			ours:   with(base, "logo.png", "\x89PNG\x00base", "README", "r\n"),
			theirs: with(base, "logo.png", "\x89PNG\x00theirs")},
		{name: "NUL after the first 8000 bytes is text", base: with(base, "data", "a\n"+big+"\nb\nc\nd\n"),
			ours:   with(base, "data", "A\n"+big+"\nb\nc\nd\n"),
			theirs: with(base, "data", "a\n"+big+"\nb\nc\nD\n")},
		{name: "modify/delete", base: base,
			ours:   with(base, "docs/a.md", ""),
			theirs: with(base, "docs/a.md", "changed\n"),
			want:   map[string]ConflictKind{"docs/a.md": ConflictModifyDelete}},
		{name: "delete/modify", base: base,
			ours:   with(base, "docs/a.md", "changed\n"),
			theirs: with(base, "docs/a.md", ""),
			want:   map[string]ConflictKind{"docs/a.md": ConflictModifyDelete}},
		{name: "deleted on both sides", base: base,
			ours:   with(base, "docs/a.md", "", "README", "x\n"),
			theirs: with(base, "docs/a.md", "")},
		{name: "rename on one side, edit on the other", base: base,
			ours:   with(base, "src/main.go", "", "cmd/main.go", text),
			theirs: with(base, "src/main.go", lines(20, map[int]string{7: "seven\n"}))},
		{name: "rename on one side, edit on the other, reversed", base: base,
			ours:   with(base, "src/main.go", lines(20, map[int]string{7: "seven\n"})),
			theirs: with(base, "src/main.go", "", "main.go", "exec:"+text)},
		{name: "rename on one side only", base: base,
			ours:   with(base, "README", "r\n"),
			theirs: with(base, "docs/a.md", "", "docs/b.md", "a\n")},
		{name: "rename with edits against an edit", base: base,
			ours:     with(base, "src/main.go", "", "cmd/main.go", lines(20, map[int]string{1: "one\n"})),
			theirs:   with(base, "src/main.go", lines(20, map[int]string{19: "nineteen\n"})),
			want:     map[string]ConflictKind{"src/main.go": ConflictModifyDelete},
			stricter: "renames are found by content only when exact"},
		{name: "exact rename and mode change against an edit", base: base,
			ours:   with(base, "src/util/u.go", "", "bin/u", "exec:"+lines(10, nil)),
			theirs: with(base, "src/util/u.go", lines(10, map[int]string{9: "nine\n"}))},
		{name: "rename of one of two identical files against an edit", base: with(base, "a.txt", text, "b.txt", text),
			ours:   with(base, "a.txt", "", "b.txt", text, "c.txt", text),
			theirs: with(base, "a.txt", lines(20, map[int]string{4: "four\n"}), "b.txt", text)},
		{name: "empty file renamed against an edit", base: with(base, "empty", "text:"),
			ours:   with(base, "empty2", "text:"),
			theirs: with(base, "empty", "now text\n"),
			want:   map[string]ConflictKind{"empty": ConflictModifyDelete}},
		{name: "rename/add", base: base,
			ours:     with(base, "docs/a.md", "", "docs/n.md", "a\n"),
			theirs:   with(base, "docs/a.md", "a2\n", "docs/n.md", "other\n"),
			want:     map[string]ConflictKind{"docs/a.md": ConflictModifyDelete, "docs/n.md": ConflictAddAdd},
			gitPaths: []string{"docs/n.md"}},
		{name: "rename/delete", base: base,
			ours:     with(base, "src/main.go", "", "cmd/main.go", text),
			theirs:   with(base, "src/main.go", ""),
			want:     map[string]ConflictKind{"src/main.go": ConflictRenameDelete},
			gitPaths: []string{"cmd/main.go"}},
		{name: "rename/delete with edits", base: base,
			ours:     with(base, "src/main.go", "", "cmd/main.go", lines(20, map[int]string{1: "one\n"})),
			theirs:   with(base, "src/main.go", ""),
			want:     map[string]ConflictKind{"src/main.go": ConflictRenameDelete},
			gitPaths: []string{"cmd/main.go"}},
		{name: "rename/rename to two paths", base: base,
			ours:     with(base, "src/main.go", "", "a/main.go", text),
			theirs:   with(base, "src/main.go", "", "b/main.go", text),
			want:     map[string]ConflictKind{"src/main.go": ConflictRenameRename},
			gitPaths: []string{"a/main.go", "b/main.go", "src/main.go"}},
		{name: "renamed to the same path on both sides", base: base,
			ours:   with(base, "src/main.go", "", "cmd/main.go", text),
			theirs: with(base, "src/main.go", "", "cmd/main.go", text, "README", "r\n")},
		{name: "directory renamed, file added in it on the other side", base: base,
			ours:     with(base, "src/util/u.go", "", "lib/util/u.go", lines(10, nil)),
			theirs:   with(base, "src/util/v.go", "new\n"),
			want:     map[string]ConflictKind{"src/util/v.go": ConflictDirectoryRename},
			gitPaths: []string{"lib/util/v.go"}},
		{name: "directory renamed with edits, file added in it on the other side", base: base,
			ours:     with(base, "src/util/u.go", "", "lib/util/u.go", lines(10, map[int]string{2: "two\n"})),
			theirs:   with(base, "src/util/v.go", "new\n"),
			want:     map[string]ConflictKind{"src/util/v.go": ConflictDirectoryRename},
			gitPaths: []string{"lib/util/v.go"}},
		{name: "directory deleted, file added in it on the other side", base: base,
			ours:   with(base, "src/util/u.go", ""),
			theirs: with(base, "src/util/v.go", "new\n")},
		{name: "add/add same content", base: base,
			ours:   with(base, "new.txt", "same\n"),
			theirs: with(base, "new.txt", "same\n", "README", "r\n")},
		{name: "add/add different content", base: base,
			ours:   with(base, "new.txt", "ours\nshared\n"),
			theirs: with(base, "new.txt", "theirs\nshared\n"),
			want:   map[string]ConflictKind{"new.txt": ConflictAddAdd}},
		{name: "add/add same content, different modes", base: base,
			ours:   with(base, "run.sh", "exec:echo\n"),
			theirs: with(base, "run.sh", "echo\n"),
			want:   map[string]ConflictKind{"run.sh": ConflictAddAdd}},
		{name: "mode change against an edit", base: with(base, "run.sh", text),
			ours:   with(base, "run.sh", "exec:"+text),
			theirs: with(base, "run.sh", lines(20, map[int]string{3: "three\n"}))},
		{name: "mode changed on both sides", base: with(base, "run.sh", text),
			ours:   with(base, "run.sh", "exec:"+text),
			theirs: with(base, "run.sh", "exec:"+text, "README", "r\n")},
		{name: "nested directories", base: with(base, "a/b/c/d.txt", "d\n", "a/b/e.txt", "e\n"),
			ours:   with(base, "a/b/c/d.txt", "D\n", "a/b/e.txt", "e\n", "a/x/y/z.txt", "z\n"),
			theirs: with(base, "a/b/c/d.txt", "d\n", "a/b/e.txt", "E\n", "a/b/c/k/l.txt", "l\n")},
		{name: "directory emptied by both sides together", base: with(base, "d/a", "a\n", "d/b", "b\n"),
			ours:   with(base, "d/a", "", "d/b", "b\n"),
			theirs: with(base, "d/a", "a\n", "d/b", "")},
		{name: "file on one side, directory on the other", base: base,
			ours:   with(base, "thing", "file\n"),
			theirs: with(base, "thing/inner", "dir\n"),
			want:   map[string]ConflictKind{"thing": ConflictFileDirectory}},
		{name: "file replaced by a directory on one side", base: with(base, "thing", "file\n"),
			ours:   with(base, "README", "r\n"),
			theirs: with(base, "thing/inner", "dir\n")},
		{name: "symlink changed on one side", base: with(base, "link", "link:README"),
			ours:   with(base, "link", "link:docs/a.md"),
			theirs: with(base, "link", "link:README", "README", "r\n")},
		{name: "symlink changed on both sides", base: with(base, "link", "link:README"),
			ours:   with(base, "link", "link:docs/a.md"),
			theirs: with(base, "link", "link:src"),
			want:   map[string]ConflictKind{"link": ConflictContent}},
		{name: "symlink against a file", base: with(base, "link", "link:README"),
			ours:   with(base, "link", "link:docs/a.md"),
			theirs: with(base, "link", "a file\n"),
			want:   map[string]ConflictKind{"link": ConflictDistinctTypes}},
		{name: "submodule moved on one side", base: with(base, "sub", "gitlink:"+blobSub),
			ours:   with(base, "sub", "gitlink:"+strings.Repeat("1", 40)),
			theirs: with(base, "sub", "gitlink:"+blobSub, "README", "r\n")},
		{name: "submodule moved on both sides", base: with(base, "sub", "gitlink:"+blobSub),
			ours:   with(base, "sub", "gitlink:"+strings.Repeat("1", 40)),
			theirs: with(base, "sub", "gitlink:"+strings.Repeat("2", 40)),
			want:   map[string]ConflictKind{"sub": ConflictSubmodule}},
		{name: "final newline and CRLF", base: with(base, "w.txt", "a\r\nb\r\nc\r\nd\r\ne"),
			ours:   with(base, "w.txt", "A\r\nb\r\nc\r\nd\r\ne"),
			theirs: with(base, "w.txt", "a\r\nb\r\nc\r\nd\r\ne\r\n")},
		{name: "CRLF conflict", base: with(base, "w.txt", "a\r\nb\r\nc\r\n"),
			ours:   with(base, "w.txt", "a\r\nB\r\nc\r\n"),
			theirs: with(base, "w.txt", "a\r\nb2\r\nc\r\n"),
			want:   map[string]ConflictKind{"w.txt": ConflictContent}},
		{name: "fast-forward", history: func(w *historyWriter) {
			b := w.commit("refs/heads/main", base)
			w.commit("refs/heads/side", with(base, "README", "r\n"), b)
		}},
		{name: "already merged", history: func(w *historyWriter) {
			b := w.commit("refs/heads/side", base)
			w.commit("refs/heads/main", with(base, "README", "r\n"), b)
		}},
		{name: "criss-cross, bases merge cleanly", history: func(w *historyWriter) {
			o := w.commit("refs/heads/main", base)
			a1 := w.commit("refs/heads/main", with(base, "README", "a1\n"), o)
			b1 := w.commit("refs/heads/side", with(base, "docs/a.md", "b1\n"), o)
			both := with(base, "README", "a1\n", "docs/a.md", "b1\n")
			w.commit("refs/heads/main", with(both, "src/main.go", lines(20, map[int]string{1: "a2\n"})), a1, b1)
			w.commit("refs/heads/side", with(both, "src/main.go", lines(20, map[int]string{20: "b2\n"})), b1, a1)
		}},
		{name: "criss-cross, bases conflict, sides keep their own", history: func(w *historyWriter) {
			o := w.commit("refs/heads/main", with(base, "f", "x\n"))
			a1 := w.commit("refs/heads/main", with(base, "f", "a\n"), o)
			b1 := w.commit("refs/heads/side", with(base, "f", "b\n"), o)
			w.commit("refs/heads/main", with(base, "f", "a\n", "README", "a2\n"), a1, b1)
			w.commit("refs/heads/side", with(base, "f", "b\n"), b1, a1)
		}, want: map[string]ConflictKind{"f": ConflictMultipleBases}},
		{name: "criss-cross, bases conflict, sides agree", history: func(w *historyWriter) {
			o := w.commit("refs/heads/main", with(base, "f", "x\n"))
			a1 := w.commit("refs/heads/main", with(base, "f", "a\n"), o)
			b1 := w.commit("refs/heads/side", with(base, "f", "b\n"), o)
			w.commit("refs/heads/main", with(base, "f", "ab\n", "README", "a2\n"), a1, b1)
			w.commit("refs/heads/side", with(base, "f", "ab\n", "docs/a.md", "b2\n"), b1, a1)
		}},
		{name: "criss-cross, bases conflict, one side keeps the base", history: func(w *historyWriter) {
			o := w.commit("refs/heads/main", with(base, "f", "x\n"))
			a1 := w.commit("refs/heads/main", with(base, "f", "a\n"), o)
			b1 := w.commit("refs/heads/side", with(base, "f", "b\n"), o)
			w.commit("refs/heads/main", with(base, "f", "ab\n"), a1, b1)
			w.commit("refs/heads/side", with(base, "f", "ab2\n"), b1, a1)
		}, want: map[string]ConflictKind{"f": ConflictMultipleBases}},
		{name: "criss-cross, modify/delete in the bases, one side keeps the base version",
			history: func(w *historyWriter) {
				o := w.commit("refs/heads/main", with(base, "f", "x\n"))
				a1 := w.commit("refs/heads/main", with(base, "f", ""), o)
				b1 := w.commit("refs/heads/side", with(base, "f", "b\n"), o)
				w.commit("refs/heads/main", with(base, "README", "a2\n"), a1, b1)
				w.commit("refs/heads/side", with(base, "f", "x\n"), b1, a1)
			}, want: map[string]ConflictKind{"f": ConflictMultipleBases},
			stricter: "a path the merge bases do not agree on merges only when both sides agree"},
		{name: "unrelated histories", history: func(w *historyWriter) {
			w.commit("refs/heads/main", base)
			w.commit("refs/heads/side", snapshot{"other": "o\n"})
		}},
	}
}

// mergeFixture is a case's history in a store (for cairn) and in a bare repository of its
// own (for git, so that objects git writes cannot hide ones cairn forgot to write).
type mergeFixture struct {
	g       *gitCLI
	st      *Store
	r       *Repo
	gitDir  string
	ours    plumbing.Hash
	theirs  plumbing.Hash
	gitSays *gitMerge
}

func newMergeFixture(t *testing.T, g *gitCLI, build func(w *historyWriter)) *mergeFixture {
	t.Helper()
	g = &gitCLI{t: t, env: g.env}
	w := &historyWriter{when: 1700000000}
	build(w)
	st, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Create(1, InitOptions{}); err != nil {
		t.Fatal(err)
	}
	f := &mergeFixture{g: g, st: st, gitDir: filepath.Join(t.TempDir(), "git.git")}
	g.run("", "init", "-q", "--bare", f.gitDir)
	g.fastImport(st.Path(1), w.buf.Bytes())
	g.fastImport(f.gitDir, w.buf.Bytes())
	if f.r, err = st.OpenRepo(1); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.r.Close)
	f.ours = plumbing.NewHash(g.run(f.gitDir, "rev-parse", "main"))
	f.theirs = plumbing.NewHash(g.run(f.gitDir, "rev-parse", "side"))
	f.gitSays = g.mergeTree(f.gitDir, "main", "side")
	return f
}

// gitConflictPaths are git's conflicted paths, with the "~branch" git appends to a file it
// moved aside mapped back to the path.
func (f *mergeFixture) gitConflictPaths() []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range f.gitSays.conflictedPaths() {
		for _, suffix := range []string{"~main", "~side"} {
			p = strings.TrimSuffix(p, suffix)
		}
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

func TestMergeMatchesGit(t *testing.T) {
	g := newGitCLI(t)
	ctx := context.Background()
	for _, tc := range mergeCases() {
		t.Run(tc.name, func(t *testing.T) {
			f := newMergeFixture(t, g, tc.build)
			res, err := f.r.CheckMerge(ctx, f.ours, f.theirs)
			if f.gitSays.refused {
				if !errors.Is(err, ErrUnrelatedHistories) {
					t.Fatalf("git refuses the merge; cairn: %v, %v", res, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]ConflictKind{}
			var paths []string
			for _, c := range res.Conflicts {
				got[c.Path] = c.Kind
				paths = append(paths, c.Path)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) && !(len(got) == 0 && len(tc.want) == 0) {
				t.Errorf("cairn's conflicts: %v, want %v", got, tc.want)
			}
			switch {
			case f.gitSays.clean && res.Clean():
				if res.Tree.String() != f.gitSays.tree {
					t.Fatalf("merged tree %s, git's %s\ncairn:\n%s\ngit:\n%s", res.Tree, f.gitSays.tree,
						g.run(f.gitDir, "ls-tree", "-r", f.gitSays.tree), lsTree(t, f.r, res.Tree))
				}
				checkMergeCommits(t, f, res)
			case f.gitSays.clean:
				if tc.stricter == "" {
					t.Fatalf("git merges cleanly, cairn reports %v", res.Conflicts)
				}
				checkNothingWritten(t, f, res)
			case res.Clean():
				t.Fatalf("git reports conflicts in %v, cairn merges cleanly", f.gitSays.conflictedPaths())
			default:
				if tc.stricter != "" {
					t.Errorf("git reports conflicts too: the case needs no stricter reason")
				}
				switch gitPaths := f.gitConflictPaths(); {
				case tc.gitPaths == nil && !sameStrings(paths, gitPaths):
					t.Errorf("conflicted paths %v, git's %v", paths, gitPaths)
				case tc.gitPaths != nil && !sameStrings(tc.gitPaths, gitPaths):
					t.Errorf("git's conflicted paths %v, the case says %v", gitPaths, tc.gitPaths)
				}
				if tc.gitPaths == nil {
					checkConflictTexts(t, f, res)
				}
				checkNothingWritten(t, f, res)
			}
		})
	}
}

// lsTree lists a tree cairn made (possibly only in memory) for failure messages.
func lsTree(t *testing.T, r *Repo, h plumbing.Hash) string {
	s, err := newMergeStore(r)
	if err != nil {
		return err.Error()
	}
	entries, err := s.tree(h)
	if err != nil {
		return err.Error()
	}
	var b strings.Builder
	for _, e := range entries {
		fmt.Fprintf(&b, "%o %s %s\n", e.mode, e.hash, e.name)
	}
	return b.String()
}

// checkConflictTexts compares cairn's marker text of content conflicts with the file git
// leaves in its conflicted tree.
func checkConflictTexts(t *testing.T, f *mergeFixture, res *MergeResult) {
	t.Helper()
	for _, c := range res.Conflicts {
		text, err := f.r.ConflictText(c, "main", "side")
		if errors.Is(err, ErrNotTextConflict) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		want := f.g.run(f.gitDir, "cat-file", "-p", f.gitSays.tree+":"+c.Path)
		if strings.TrimSpace(string(text)) != want {
			t.Errorf("%s: conflict text\n%s\ngit's\n%s", c.Path, text, want)
		}
	}
}

// checkNothingWritten: a conflicted merge leaves no new object in the repository.
func checkNothingWritten(t *testing.T, f *mergeFixture, res *MergeResult) {
	t.Helper()
	before := f.g.run(f.st.Path(1), "count-objects", "-v")
	if _, err := f.r.MergeTree(context.Background(), f.ours, f.theirs); err != nil {
		t.Fatal(err)
	}
	if _, err := f.r.MergeCommit(context.Background(), f.ours, f.theirs, testMergeSpec()); !errors.Is(err,
		ErrMergeConflict) {
		t.Fatalf("MergeCommit of a conflicted merge: %v", err)
	}
	if after := f.g.run(f.st.Path(1), "count-objects", "-v"); after != before {
		t.Fatalf("a conflicted merge wrote objects:\n%s\n%s", before, after)
	}
}

func testMergeSpec() MergeSpec {
	when := time.Unix(1700001000, 0).UTC()
	return MergeSpec{Message: "Merge branch 'side' into 'main'",
		Author:    Signature{Name: "Author", Email: "author@example.com", When: when},
		Committer: Signature{Name: "Merger", Email: "merger@example.com", When: when}}
}

// checkMergeCommits makes the merge commit and the squash commit of a clean merge and
// checks them with git: parents, tree, and git fsck --strict on the repository.
func checkMergeCommits(t *testing.T, f *mergeFixture, res *MergeResult) {
	t.Helper()
	ctx := context.Background()
	before := f.g.run(f.st.Path(1), "count-objects", "-v")
	if _, err := f.r.CheckMerge(ctx, f.ours, f.theirs); err != nil {
		t.Fatal(err)
	}
	if after := f.g.run(f.st.Path(1), "count-objects", "-v"); after != before {
		t.Fatalf("CheckMerge wrote objects:\n%s\n%s", before, after)
	}
	already := len(res.Bases) == 1 && res.Bases[0] == f.theirs
	mc, err := f.r.MergeCommit(ctx, f.ours, f.theirs, testMergeSpec())
	if already {
		if !errors.Is(err, ErrAlreadyMerged) {
			t.Fatalf("MergeCommit of a merged source: %v", err)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	sq, err := f.r.Squash(ctx, f.ours, f.theirs, testMergeSpec())
	if err != nil {
		t.Fatal(err)
	}
	dir := f.st.Path(1)
	if got := f.g.run(dir, "log", "-1", "--format=%T %P", mc.String()); got != res.Tree.String()+
		" "+f.ours.String()+" "+f.theirs.String() {
		t.Fatalf("merge commit: %s", got)
	}
	if got := f.g.run(dir, "log", "-1", "--format=%T %P|%an|%cn|%B", sq.String()); got != res.Tree.String()+
		" "+f.ours.String()+"|Author|Merger|Merge branch 'side' into 'main'" {
		t.Fatalf("squash commit: %q", got)
	}
	f.g.run(dir, "update-ref", "refs/heads/merged", mc.String())
	f.g.run(dir, "update-ref", "refs/heads/squashed", sq.String())
	f.g.assertFsck(dir)
}

// TestMergeObjectSizes: the size probe agrees with git for loose objects, whole pack
// entries and deltas.
func TestMergeObjectSizes(t *testing.T) {
	g := newGitCLI(t)
	f := newMergeFixture(t, g, func(w *historyWriter) {
		b := w.commit("refs/heads/main", snapshot{"f": lines(300, nil), "g": "small\n"})
		w.commit("refs/heads/main", snapshot{"f": lines(300, map[int]string{150: "x\n"}), "g": "small\n"}, b)
		w.commit("refs/heads/side", snapshot{"f": lines(300, nil), "g": "small\n", "h": "side\n"}, b)
	})
	dir := f.st.Path(1)
	check := func(stage string) {
		s, err := newMergeStore(f.r)
		if err != nil {
			t.Fatal(err)
		}
		out := g.run(dir, "cat-file", "--batch-all-objects", "--batch-check=%(objectname) %(objectsize)")
		for _, line := range strings.Split(out, "\n") {
			var name string
			var size int64
			fmt.Sscan(line, &name, &size)
			got, err := s.objectSize(plumbing.NewHash(name))
			if err != nil || got != size {
				t.Fatalf("%s: size of %s: %d, %v; git says %d", stage, name, got, err, size)
			}
		}
	}
	check("packed by fast-import")
	if _, err := f.r.MergeCommit(context.Background(), f.ours, f.theirs, testMergeSpec()); err != nil {
		t.Fatal(err)
	}
	check("with loose objects")
	g.run(dir, "repack", "-adfq", "--depth=10", "--window=10")
	packs, _ := filepath.Glob(filepath.Join(dir, "objects/pack/*.idx"))
	if len(packs) != 1 || !strings.Contains(g.run(dir, "verify-pack", "-v", packs[0]), "chain length = 1") {
		t.Fatal("expected a pack with deltas")
	}
	f.r.Close()
	r, err := f.st.OpenRepo(1)
	if err != nil {
		t.Fatal(err)
	}
	f.r = r
	check("repacked with deltas")
}

// TestMergeTooLargeFiles: files above the size limit changed on both sides are a
// conflict, without being read.
func TestMergeTooLargeFiles(t *testing.T) {
	g := newGitCLI(t)
	big := lines(100, nil)
	f := newMergeFixture(t, g, mergeCase{
		base:   snapshot{"big": big, "small": "s\n"},
		ours:   snapshot{"big": lines(100, map[int]string{1: "one\n"}), "small": "s\n"},
		theirs: snapshot{"big": lines(100, map[int]string{99: "ninety-nine\n"}), "small": "S\n"},
	}.build)
	if !f.gitSays.clean {
		t.Fatal("git should merge this")
	}
	ctx := context.Background()
	tree := func(h plumbing.Hash) plumbing.Hash {
		c, err := f.r.Commit(h)
		if err != nil {
			t.Fatal(err)
		}
		return c.Tree
	}
	bases, err := f.r.MergeBases(ctx, f.ours, f.theirs)
	if err != nil {
		t.Fatal(err)
	}
	s, err := newMergeStore(f.r)
	if err != nil {
		t.Fatal(err)
	}
	s.maxBlob = int64(len(big)) - 1
	tm := newTreeMerger(ctx, s, false)
	if _, err := tm.merge(tree(bases[0]), tree(f.ours), tree(f.theirs)); err != nil {
		t.Fatal(err)
	}
	if len(tm.conflicts) != 1 || tm.conflicts[0].Kind != ConflictTooLarge || tm.conflicts[0].Path != "big" {
		t.Fatalf("conflicts %+v", tm.conflicts)
	}
}

// TestMergeWritesCanonicalModes: a tree of an old repository with a 100664 file, rewritten
// by the merge, gets 100644 as git writes it.
func TestMergeWritesCanonicalModes(t *testing.T) {
	g := newGitCLI(t)
	st, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Create(1, InitOptions{}); err != nil {
		t.Fatal(err)
	}
	gitDir := filepath.Join(t.TempDir(), "git.git")
	g.run("", "init", "-q", "--bare", gitDir)
	env := []string{"GIT_AUTHOR_DATE=1700000000 +0000", "GIT_COMMITTER_DATE=1700000000 +0000"}
	// commit builds, in dir, a commit of d/f (mode 100664), d/g and, when h is set, d/h.
	// Both sides change d, so the merge rewrites it.
	commit := func(dir, g1, h string, parents ...string) string {
		write := func(content string) string {
			return gitWithInput(t, g, dir, content, "hash-object", "-w", "--stdin")
		}
		entries := fmt.Sprintf("100664 blob %s\tf\n100644 blob %s\tg\n", write("f\n"), write(g1))
		if h != "" {
			entries += fmt.Sprintf("100644 blob %s\th\n", write(h))
		}
		d := gitWithInput(t, g, dir, entries, "mktree")
		root := gitWithInput(t, g, dir,
			fmt.Sprintf("100644 blob %s\tREADME\n040000 tree %s\td\n", write("r\n"), d), "mktree")
		args := []string{"commit-tree", root, "-m", "c"}
		for _, p := range parents {
			args = append(args, "-p", p)
		}
		return g.runEnv(env, dir, args...)
	}
	var ours, theirs string
	for _, dir := range []string{st.Path(1), gitDir} {
		base := commit(dir, "g\n", "")
		ours = commit(dir, "g2\n", "", base)
		theirs = commit(dir, "g\n", "h\n", base)
	}
	gm := g.mergeTree(gitDir, ours, theirs)
	r, err := st.OpenRepo(1)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	res, err := r.CheckMerge(context.Background(), plumbing.NewHash(ours), plumbing.NewHash(theirs))
	if err != nil || !res.Clean() || !gm.clean {
		t.Fatalf("cairn %+v, %v; git %+v", res, err, gm)
	}
	if res.Tree.String() != gm.tree {
		t.Fatalf("merged tree %s, git's %s", res.Tree, gm.tree)
	}
	if ls := g.run(gitDir, "ls-tree", "-r", gm.tree); !strings.Contains(ls, "100644 blob") ||
		strings.Contains(ls, "100664") {
		t.Fatalf("git's tree:\n%s", ls)
	}
}

// gitWithInput runs git in dir with stdin and returns its trimmed output.
func gitWithInput(t *testing.T, g *gitCLI, dir, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = g.env
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// TestMergeErrors: what callers (the forge) tell apart.
func TestMergeErrors(t *testing.T) {
	g := newGitCLI(t)
	ctx := context.Background()
	base := snapshot{"f": "a\nb\nc\n", "d": "d\n"}
	f := newMergeFixture(t, g, mergeCase{base: base,
		ours:   with(base, "f", "a\nours\nc\n", "d", ""),
		theirs: with(base, "f", "a\ntheirs\nc\n", "d", "changed\n")}.build)

	if _, err := f.r.CheckMerge(ctx, f.ours, plumbing.NewHash(strings.Repeat("ab", 20))); !errors.Is(err,
		ErrRefNotFound) {
		t.Errorf("unknown commit: %v, want ErrRefNotFound", err)
	}
	ok, conflicts, err := f.r.CanMerge(ctx, f.ours, f.theirs)
	if err != nil || ok || len(conflicts) != 2 {
		t.Fatalf("CanMerge: %v %v %v", ok, conflicts, err)
	}
	_, err = f.r.MergeCommit(ctx, f.ours, f.theirs, testMergeSpec())
	var mce *MergeConflictError
	if !errors.As(err, &mce) || !errors.Is(err, ErrMergeConflict) || len(mce.Conflicts) != 2 {
		t.Fatalf("MergeCommit: %v", err)
	}
	if want := `merge has conflicts: modify/delete in "d", content in "f"`; err.Error() != want {
		t.Errorf("message %q, want %q", err, want)
	}
	if _, err := f.r.Squash(ctx, f.ours, f.theirs, testMergeSpec()); !errors.Is(err, ErrMergeConflict) {
		t.Errorf("Squash: %v", err)
	}
	if _, err := f.r.ConflictText(conflicts[0], "main", "side"); !errors.Is(err, ErrNotTextConflict) {
		t.Errorf("ConflictText of modify/delete: %v", err)
	}
	text, err := f.r.ConflictText(conflicts[1], "main", "side")
	if err != nil || string(text) != "a\n<<<<<<< main\nours\n=======\ntheirs\n>>>>>>> side\nc\n" {
		t.Errorf("ConflictText: %q, %v", text, err)
	}
	if _, err := f.r.Squash(ctx, f.ours, f.ours, testMergeSpec()); !errors.Is(err, ErrAlreadyMerged) {
		t.Errorf("Squash of a merged source: %v", err)
	}
}

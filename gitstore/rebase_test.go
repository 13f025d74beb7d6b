package gitstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
)

// rebaseFixture imports a history: main and side fork from a base; side's commits are
// given as (mark, parents, message, files changed) after the fork.
type rebaseCommit struct {
	mark    int
	ref     string
	parents []string // marks or revisions; the first is "from"
	message string
	files   map[string]string
}

// emptyRepository makes a store holding one empty repository, of project 1.
func emptyRepository(t testing.TB) *Store {
	t.Helper()
	st, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Create(1, InitOptions{}); err != nil {
		t.Fatal(err)
	}
	return st
}

func importHistory(t *testing.T, g *gitCLI, dir string, commits []rebaseCommit) map[int]string {
	t.Helper()
	var w bytes.Buffer
	for i, c := range commits {
		when := 1700000000 + int64(i)*60
		fmt.Fprintf(&w, "commit %s\nmark :%d\n", c.ref, c.mark)
		fmt.Fprintf(&w, "author Author %d <a%d@example.com> %d +0000\ncommitter C <c@example.com> %d +0000\n",
			c.mark, c.mark, when, when)
		fmt.Fprintf(&w, "data %d\n%s\n", len(c.message), c.message)
		for j, p := range c.parents {
			if j == 0 {
				fmt.Fprintf(&w, "from %s\n", p)
			} else {
				fmt.Fprintf(&w, "merge %s\n", p)
			}
		}
		for path, data := range c.files {
			fmt.Fprintf(&w, "M 100644 inline %s\ndata %d\n%s\n", path, len(data), data)
		}
		w.WriteByte('\n')
	}
	return g.fastImport(dir, w.Bytes())
}

// numbered makes a file of n numbered lines, with line i replaced by edits[i].
func numbered(n int, edits map[int]string) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		if e, ok := edits[i]; ok {
			b.WriteString(e + "\n")
			continue
		}
		fmt.Fprintf(&b, "line %d\n", i)
	}
	return b.String()
}

// TestRebaseMatchesGit: the rebased branch has git rebase's tree and, commit by commit,
// its authors and messages: merges left out, a commit main already has dropped.
func TestRebaseMatchesGit(t *testing.T) {
	g := newGitCLI(t)
	st := emptyRepository(t)
	marks := importHistory(t, g, st.Path(1), []rebaseCommit{
		{1, "refs/heads/main", nil, "base", map[string]string{"a.txt": numbered(10, nil), "b.txt": "b\n"}},
		{2, "refs/heads/main", []string{":1"}, "main edits line 1",
			map[string]string{"a.txt": numbered(10, map[int]string{1: "main"})}},
		{3, "refs/heads/side", []string{":1"}, "side edits b", map[string]string{"b.txt": "b side\n"}},
		{4, "refs/heads/side", []string{":3"}, "side edits line 10",
			map[string]string{"a.txt": numbered(10, map[int]string{10: "side"})}},
		{5, "refs/heads/side", []string{":4"}, "side makes main's change too",
			map[string]string{"a.txt": numbered(10, map[int]string{1: "main", 10: "side"})}},
		{6, "refs/heads/topic", []string{":1"}, "topic adds c", map[string]string{"c.txt": "c\n"}},
		{7, "refs/heads/side", []string{":5", ":6"}, "merge topic into side", nil},
		{8, "refs/heads/side", []string{":7"}, "side after the merge", map[string]string{"d.txt": "d\n"}},
	})
	r, err := st.OpenRepo(1)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	committer := Signature{Name: "Rebaser", Email: "r@example.com", When: time.Unix(1700009000, 0).UTC()}
	tip, err := r.Rebase(context.Background(), plumbing.NewHash(marks[2]), plumbing.NewHash(marks[8]), committer)
	if err != nil {
		t.Fatal(err)
	}

	work := filepath.Join(t.TempDir(), "work")
	g.run("", "clone", "-q", st.Path(1), work)
	g.run(work, "checkout", "-q", "side")
	g.run(work, "rebase", "-q", "origin/main")
	if got, want := g.run(st.Path(1), "rev-parse", tip.String()+"^{tree}"), g.run(work, "rev-parse",
		"HEAD^{tree}"); got != want {
		t.Errorf("rebased tree %s, git's %s", got, want)
	}
	format := []string{"log", "--format=%an|%ae|%at|%s|%P", "--first-parent"}
	ours := strings.Split(strings.TrimSpace(g.run(st.Path(1), append(format, marks[2]+".."+tip.String())...)), "\n")
	theirs := strings.Split(strings.TrimSpace(g.run(work, append(format, "origin/main..HEAD")...)), "\n")
	if len(ours) != 4 || len(ours) != len(theirs) {
		t.Fatalf("rebased commits:\n%s\ngit's:\n%s", strings.Join(ours, "\n"), strings.Join(theirs, "\n"))
	}
	for i := range ours {
		o, th := strings.Split(ours[i], "|"), strings.Split(theirs[i], "|")
		if !slices.Equal(o[:4], th[:4]) || strings.Contains(o[4], " ") {
			t.Errorf("commit %d: %q, git's %q", i, ours[i], theirs[i])
		}
	}
	if got := g.run(st.Path(1), "log", "-1", "--format=%cn <%ce> %ct",
		tip.String()); strings.TrimSpace(got) != "Rebaser <r@example.com> 1700009000" {
		t.Errorf("committer %q", got)
	}
	g.assertFsck(st.Path(1))
}

// TestRebaseStopsAtAConflict: a commit whose change meets another on the same line stops
// the rebase, naming it; a branch already on its target is its own rebase.
func TestRebaseStopsAtAConflict(t *testing.T) {
	g := newGitCLI(t)
	st := emptyRepository(t)
	marks := importHistory(t, g, st.Path(1), []rebaseCommit{
		{1, "refs/heads/main", nil, "base", map[string]string{"a.txt": numbered(10, nil)}},
		{2, "refs/heads/main", []string{":1"}, "main edits line 1",
			map[string]string{"a.txt": numbered(10, map[int]string{1: "main"})}},
		{3, "refs/heads/side", []string{":1"}, "side adds b", map[string]string{"b.txt": "b\n"}},
		{4, "refs/heads/side", []string{":3"}, "side edits line 1",
			map[string]string{"a.txt": numbered(10, map[int]string{1: "side"})}},
		{5, "refs/heads/ahead", []string{":2"}, "ahead of main", map[string]string{"c.txt": "c\n"}},
	})
	r, err := st.OpenRepo(1)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	committer := Signature{Name: "R", Email: "r@example.com", When: time.Unix(1700009000, 0)}
	before := g.run(st.Path(1), "count-objects")
	_, err = r.Rebase(context.Background(), plumbing.NewHash(marks[2]), plumbing.NewHash(marks[4]), committer)
	var conflict *RebaseConflictError
	if !errors.As(err, &conflict) || !errors.Is(err, ErrMergeConflict) || conflict.Commit.String() != marks[4] ||
		len(conflict.Conflicts) != 1 || conflict.Conflicts[0].Path != "a.txt" {
		t.Fatalf("rebase over a conflict: %v", err)
	}
	if after := g.run(st.Path(1), "count-objects"); after != before {
		t.Errorf("a failed rebase wrote objects: %s, then %s", before, after)
	}
	tip, err := r.Rebase(context.Background(), plumbing.NewHash(marks[2]), plumbing.NewHash(marks[5]), committer)
	if err != nil || tip.String() != marks[5] {
		t.Errorf("a branch on its target rebased to %s, %v", tip, err)
	}
}

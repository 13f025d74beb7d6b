package gitstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
)

// pickCommit is one commit of a pick fixture: files written and paths deleted against its
// first parent.
type pickCommit struct {
	mark    int
	ref     string
	parents []string
	files   map[string]string
	deleted []string
}

func importPickHistory(t *testing.T, g *gitCLI, dir string, commits []pickCommit) map[int]string {
	t.Helper()
	var w bytes.Buffer
	for i, c := range commits {
		when := 1700000000 + int64(i)*60
		msg := fmt.Sprintf("commit %d\n\nbody of %d", c.mark, c.mark)
		fmt.Fprintf(&w, "commit %s\nmark :%d\n", c.ref, c.mark)
		fmt.Fprintf(&w, "author Author %d <a%d@example.com> %d +0000\ncommitter C <c@example.com> %d +0000\n",
			c.mark, c.mark, when, when)
		fmt.Fprintf(&w, "data %d\n%s\n", len(msg), msg)
		for j, p := range c.parents {
			if j == 0 {
				fmt.Fprintf(&w, "from %s\n", p)
			} else {
				fmt.Fprintf(&w, "merge %s\n", p)
			}
		}
		for _, p := range c.deleted {
			fmt.Fprintf(&w, "D %s\n", p)
		}
		paths := make([]string, 0, len(c.files))
		for p := range c.files {
			paths = append(paths, p)
		}
		sort.Strings(paths)
		for _, p := range paths {
			fmt.Fprintf(&w, "M 100644 inline %s\ndata %d\n%s\n", p, len(c.files[p]), c.files[p])
		}
		w.WriteByte('\n')
	}
	return g.fastImport(dir, w.Bytes())
}

// TestPickMatchesGit: cherry-picks and reverts give git cherry-pick's and git revert's
// trees, and stop where git stops: on conflicts, and on a change that is already there.
func TestPickMatchesGit(t *testing.T) {
	long := numbered(30, nil)
	history := []pickCommit{
		{mark: 1, ref: "refs/heads/main",
			files: map[string]string{"a.txt": long, "b.txt": "b\n", "lib/c.txt": numbered(12, nil)}},
		{mark: 2, ref: "refs/heads/main", parents: []string{":1"},
			files: map[string]string{"a.txt": numbered(30, map[int]string{2: "main 2"})}},
		{mark: 3, ref: "refs/heads/main", parents: []string{":2"}, files: map[string]string{"b.txt": "b main\n"}},
		// side: a change far from main's, one on main's line, one main already has, a rename.
		{mark: 10, ref: "refs/heads/side", parents: []string{":1"},
			files: map[string]string{"a.txt": numbered(30, map[int]string{28: "side 28"})}},
		{mark: 11, ref: "refs/heads/side", parents: []string{":10"},
			files: map[string]string{"a.txt": numbered(30, map[int]string{2: "side 2", 28: "side 28"})}},
		{mark: 12, ref: "refs/heads/side", parents: []string{":11"}, files: map[string]string{"b.txt": "b main\n"}},
		{mark: 13, ref: "refs/heads/side", parents: []string{":12"},
			files: map[string]string{"lib/d.txt": numbered(12, nil)}, deleted: []string{"lib/c.txt"}},
		{mark: 14, ref: "refs/heads/side", parents: []string{":13"}, files: map[string]string{"new.txt": "new\n"}},
		// main edits the file side renames; a topic merged into main.
		{mark: 4, ref: "refs/heads/main", parents: []string{":3"},
			files: map[string]string{"lib/c.txt": numbered(12, map[int]string{6: "main 6"})}},
		{mark: 20, ref: "refs/heads/topic", parents: []string{":1"}, files: map[string]string{"t.txt": "topic\n"}},
		{mark: 5, ref: "refs/heads/main", parents: []string{":4", ":20"}, files: map[string]string{"t.txt": "topic\n"}},
		{mark: 6, ref: "refs/heads/main", parents: []string{":5"},
			files: map[string]string{"a.txt": numbered(30, map[int]string{2: "main 2 again"})}},
	}
	cases := []struct {
		name   string
		revert bool
		onto   string // a branch
		commit int
		// want is "" (applies), "conflict" or "empty", as git says.
		want string
	}{
		{"a change far from the branch's", false, "main", 10, ""},
		{"a change on a line the branch changed", false, "main", 11, "conflict"},
		{"a change the branch already has", false, "main", 12, "empty"},
		{"a rename of a file the branch edited", false, "main", 13, ""},
		{"a new file", false, "main", 14, ""},
		{"a merge, against its first parent", false, "side", 5, ""},
		{"a revert of an older change", true, "main", 3, ""},
		{"a revert of a merge", true, "main", 5, ""},
		{"a revert of a line changed since", true, "main", 2, "conflict"},
		{"a revert of the tip", true, "side", 14, ""},
		{"a revert of what the branch never had", true, "main", 14, "empty"},
	}
	g := newGitCLI(t)
	st := emptyRepository(t)
	marks := importPickHistory(t, g, st.Path(1), history)
	r, err := st.OpenRepo(1)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	work := filepath.Join(t.TempDir(), "work")
	g.run("", "clone", "-q", st.Path(1), work)
	g.run(work, "config", "user.name", "Picker")
	g.run(work, "config", "user.email", "p@example.com")
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			onto := g.run(st.Path(1), "rev-parse", "refs/heads/"+c.onto)
			commit := marks[c.commit]
			g.run(work, "checkout", "-q", "--detach", onto)
			args := []string{"cherry-pick", "--no-edit"}
			if c.revert {
				args = []string{"revert", "--no-edit"}
			}
			if parents := strings.Fields(g.run(work, "show", "-s", "--format=%P", commit)); len(parents) > 1 {
				args = append(args, "-m", "1")
			}
			out, gitErr := g.try(work, append(args, commit)...)
			gitSays := ""
			switch {
			case gitErr == nil:
			case strings.Contains(out, "CONFLICT"):
				gitSays = "conflict"
			case strings.Contains(out, "empty") || strings.Contains(out, "nothing to commit"):
				gitSays = "empty"
			default:
				t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), gitErr, out)
			}
			_, _ = g.try(work, "cherry-pick", "--abort")
			_, _ = g.try(work, "revert", "--abort")
			_, _ = g.try(work, "reset", "-q", "--hard")
			if gitSays != c.want {
				t.Fatalf("git says %q, the case expects %q:\n%s", gitSays, c.want, out)
			}

			before := g.run(st.Path(1), "count-objects")
			who := Signature{Name: "Picker", Email: "p@example.com", When: time.Unix(1700009000, 0).UTC()}
			spec := PickSpec{Onto: plumbing.NewHash(onto), Commit: plumbing.NewHash(commit), Revert: c.revert,
				Message: "picked", Author: who}
			dry := spec
			dry.DryRun = true
			_, dryErr := r.Pick(context.Background(), dry)
			h, err := r.Pick(context.Background(), spec)
			for _, e := range []error{dryErr, err} {
				switch c.want {
				case "":
					if e != nil {
						t.Fatalf("pick: %v", e)
					}
				case "conflict":
					var mc *MergeConflictError
					if !errors.As(e, &mc) || !errors.Is(e, ErrMergeConflict) {
						t.Fatalf("pick: %v, want a conflict", e)
					}
				case "empty":
					if !errors.Is(e, ErrEmptyPick) {
						t.Fatalf("pick: %v, want an empty pick", e)
					}
				}
			}
			if c.want != "" {
				if after := g.run(st.Path(1), "count-objects"); after != before {
					t.Errorf("a refused pick wrote objects: %s, then %s", before, after)
				}
				return
			}
			if got, want := g.run(st.Path(1), "rev-parse", h.String()+"^{tree}"), g.run(work, "rev-parse",
				"HEAD^{tree}"); got != want {
				t.Errorf("tree %s, git's %s:\n%s", got, want, g.run(st.Path(1), "diff", "--stat", "HEAD", h.String()))
			}
			if got := g.run(st.Path(1), "show", "-s", "--format=%P", h.String()); got != onto {
				t.Errorf("parents %q, want %s", got, onto)
			}
			g.run(work, "checkout", "-q", "--detach", onto) // leave git's own commit behind
		})
	}
	g.assertFsck(st.Path(1))
}

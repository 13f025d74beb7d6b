package gitstore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// gitBlame returns the commit git blame gives each line of path at rev.
func gitBlame(t *testing.T, hf *historyFixture, rev, path string) []string {
	t.Helper()
	out := hf.g.run(hf.dir, "blame", "--porcelain", rev, "--", path)
	var commits []string
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && len(f[0]) == 40 && !strings.HasPrefix(line, "\t") {
			commits = append(commits, f[0])
		}
	}
	return commits
}

func blameCommits(ranges []BlameRange) []string {
	var out []string
	for _, r := range ranges {
		for range r.Lines {
			out = append(out, r.Commit.ID.String())
		}
	}
	return out
}

func TestBlameIsGitBlame(t *testing.T) {
	for _, c := range []struct {
		name string
		make func(testing.TB, int, int64) *historyFixture
	}{
		{"a history without renames", newRenameFreeFixture},
		{"a history with renames, deletions, symlinks and a file becoming a directory", newHistoryFixture},
	} {
		t.Run(c.name, func(t *testing.T) { blameEveryFileAsGit(t, c.make(t, 400, 41)) })
	}
}

// blameEveryFileAsGit holds the blame of every file at three revisions against git blame's.
func blameEveryFileAsGit(t *testing.T, hf *historyFixture) {
	revs := []string{"main", "main~30", "main~100"}
	graphCases(t, hf, func(t *testing.T) {
		r := hf.open(t)
		checked := 0
		for _, rev := range revs {
			h, err := r.Resolve(rev)
			if err != nil {
				t.Fatal(err)
			}
			files, err := r.Tree(h, "", true)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range files {
				if f.Kind() != KindBlob {
					continue
				}
				got, err := r.Blame(context.Background(), h, f.Path)
				if err != nil {
					t.Fatal(err)
				}
				want := gitBlame(t, hf, rev, f.Path)
				if strings.Join(blameCommits(got), "\n") != strings.Join(want, "\n") {
					t.Fatalf("blame of %s at %s: %d lines differ from git's %d", f.Path, rev,
						len(blameCommits(got)), len(want))
				}
				content, _ := r.ReadBlob(f.Hash, 0)
				var lines []string
				for _, br := range got {
					lines = append(lines, br.Lines...)
				}
				if text := strings.Join(lines, "\n"); text != strings.TrimSuffix(string(content), "\n") {
					t.Fatalf("blame of %s at %s shows other text than the file's", f.Path, rev)
				}
				checked++
			}
		}
		if checked < 20 {
			t.Fatalf("only %d files checked", checked)
		}
	})
}

// TestBlameFollowsRenamesAsGitBlame blames files renamed as git's rename detection sees
// them: moved unchanged, moved and edited, moved on a branch and merged, and rewritten
// under a new name (too unlike the old one to be a rename).
func TestBlameFollowsRenamesAsGitBlame(t *testing.T) {
	g := newGitCLI(t)
	work := g.newWorkTree(0)
	lines := func(prefix string, n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "%s line %d of a file long enough to tell apart\n", prefix, i)
		}
		return b.String()
	}
	g.commit(work, "first", map[string]string{"a.txt": lines("alpha", 30), "b.txt": lines("beta", 30),
		"c.txt": lines("gamma", 30), "d.txt": lines("delta", 30)})
	g.commit(work, "edit", map[string]string{"a.txt": strings.Replace(lines("alpha", 30), "line 3 ", "LINE 3 ", 1)})
	if err := os.Mkdir(filepath.Join(work, "moved"), 0o755); err != nil {
		t.Fatal(err)
	}
	g.run(work, "mv", "a.txt", "moved/a.txt")
	g.commit(work, "move a unchanged", nil)
	g.run(work, "mv", "b.txt", "b2.txt")
	g.commit(work, "move b and edit it",
		map[string]string{"b2.txt": strings.Replace(lines("beta", 30), "line 7 ", "LINE 7 ", 1)})
	g.run(work, "rm", "-q", "d.txt")
	g.commit(work, "rewrite d under a new name", map[string]string{"e.txt": lines("epsilon", 30)})
	g.run(work, "checkout", "-q", "-b", "side")
	if err := os.Mkdir(filepath.Join(work, "side"), 0o755); err != nil {
		t.Fatal(err)
	}
	g.run(work, "mv", "c.txt", "side/c.txt")
	g.commit(work, "move c on a branch", map[string]string{"side/c.txt": lines("gamma", 29)})
	g.run(work, "checkout", "-q", "main")
	g.commit(work, "edit a again", map[string]string{"moved/a.txt": lines("alpha", 31)})
	g.run(work, "merge", "-q", "--no-ff", "-m", "merge side", "side")
	g.commit(work, "edit the moved files", map[string]string{
		"b2.txt":     strings.Replace(lines("beta", 30), "line 20 ", "LINE 20 ", 1),
		"side/c.txt": strings.Replace(lines("gamma", 29), "line 1 ", "LINE 1 ", 1),
	})

	st, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Create(1, InitOptions{}); err != nil {
		t.Fatal(err)
	}
	dir := st.Path(1)
	g.run(work, "push", "-q", dir, "main")
	hf := &historyFixture{g: g, st: st, dir: dir}
	for _, graph := range []bool{false, true} {
		if graph {
			if _, err := writeCommitGraph(context.Background(), dir); err != nil {
				t.Fatal(err)
			}
		}
		r := hf.open(t)
		h, err := r.Resolve("main")
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{"moved/a.txt", "b2.txt", "side/c.txt", "e.txt"} {
			got, err := r.Blame(context.Background(), h, p)
			if err != nil {
				t.Fatal(err)
			}
			want := gitBlame(t, hf, "main", p)
			if strings.Join(blameCommits(got), "\n") != strings.Join(want, "\n") {
				t.Errorf("blame of %s (commit-graph %v): %s\ngit blame: %s", p, graph,
					strings.Join(blameCommits(got), " "), strings.Join(want, " "))
			}
		}
	}
}

package gitstore

import (
	"context"
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
	hf := newRenameFreeFixture(t, 400, 41)
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
					t.Fatalf("blame of %s at %s: %d lines differ from git's %d", f.Path, rev, len(blameCommits(got)), len(want))
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

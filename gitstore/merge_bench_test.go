package gitstore

import (
	"bytes"
	"context"
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
)

// wideMerge imports a repository of files spread over directories and two branches from
// one base: main changes the files for which oursChanges is true, side those for which
// theirsChanges is true, each by one line. Both sides touch every directory, so that the
// merge has to walk all of them.
func wideMerge(tb testing.TB, files, perDir int, oursChanges, theirsChanges func(i int) bool) (st *Store,
	ours, theirs plumbing.Hash) {
	tb.Helper()
	g := newGitCLI(tb)
	st, err := New(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	if err := st.Create(1, InitOptions{}); err != nil {
		tb.Fatal(err)
	}
	content := func(i int, edit string) string {
		var b strings.Builder
		for l := 0; l < 40; l++ {
			switch {
			case edit == "ours" && l == 3, edit == "theirs" && l == 35:
				fmt.Fprintf(&b, "file %d line %d changed on %s\n", i, l, edit)
			default:
				fmt.Fprintf(&b, "file %d line %d\n", i, l)
			}
		}
		return b.String()
	}
	var w bytes.Buffer
	commit := func(ref string, mark, from int, edit string, changes func(int) bool) {
		fmt.Fprintf(&w, "commit %s\nmark :%d\ncommitter C <c@example.com> %d +0000\ndata 2\nc\n", ref, mark,
			1700000000+mark)
		if from > 0 {
			fmt.Fprintf(&w, "from :%d\n", from)
		}
		for i := 0; i < files; i++ {
			if changes != nil && !changes(i) {
				continue
			}
			data := content(i, edit)
			fmt.Fprintf(&w, "M 100644 inline dir%03d/file%05d.txt\ndata %d\n%s\n", i/perDir, i, len(data), data)
		}
		w.WriteByte('\n')
	}
	commit("refs/heads/main", 1, 0, "", nil)
	commit("refs/heads/main", 2, 1, "ours", oursChanges)
	commit("refs/heads/side", 3, 1, "theirs", theirsChanges)
	marks := g.fastImport(st.Path(1), w.Bytes())
	g.run(st.Path(1), "repack", "-adq")
	return st, plumbing.NewHash(marks[2]), plumbing.NewHash(marks[3])
}

func even(i int) bool { return i%2 == 0 }
func odd(i int) bool  { return i%2 == 1 }

// TestMergeThousandFilesEachSide: two branches changing 1,000 different files each merge
// into a merge commit well within the 2 s target (issue 4), on a fresh repository.
func TestMergeThousandFilesEachSide(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 2,000-file repository")
	}
	st, ours, theirs := wideMerge(t, 2000, 50, even, odd)
	r, err := st.OpenRepo(1)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	start := time.Now()
	h, err := r.MergeCommit(context.Background(), ours, theirs, testMergeSpec())
	if err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	diffs, err := r.Diff(context.Background(), ours, h)
	if err != nil {
		t.Fatal(err)
	}
	if len(diffs) != 1000 {
		t.Fatalf("the merge changes %d files of main, want the 1,000 of side", len(diffs))
	}
	t.Logf("merge commit of 1,000 + 1,000 changed files: %v", elapsed)
	if elapsed > 2*time.Second && !raceDetector {
		t.Fatalf("took %v", elapsed)
	}
}

// BenchmarkMergeThousandFilesEachSide: 1,000 files changed on each side, different files,
// 2,000 files in 40 directories; the merge commit, objects written.
func BenchmarkMergeThousandFilesEachSide(b *testing.B) {
	st, ours, theirs := wideMerge(b, 2000, 50, even, odd)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := st.OpenRepo(1)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := r.MergeCommit(context.Background(), ours, theirs, testMergeSpec()); err != nil {
			b.Fatal(err)
		}
		r.Close()
	}
}

// BenchmarkMergeThousandFilesBothSides: the same 1,000 files changed on both sides, in
// different lines: 1,000 line merges. Nothing is written.
func BenchmarkMergeThousandFilesBothSides(b *testing.B) {
	all := func(i int) bool { return i < 1000 }
	st, ours, theirs := wideMerge(b, 2000, 50, all, all)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := st.OpenRepo(1)
		if err != nil {
			b.Fatal(err)
		}
		res, err := r.CheckMerge(context.Background(), ours, theirs)
		if err != nil || !res.Clean() {
			b.Fatal(err, res.Conflicts)
		}
		r.Close()
	}
}

// BenchmarkMergeTwoEditsInLargeTree: 100,000 files in 1,000 directories, one file changed
// on each side; a mergeability check.
func BenchmarkMergeTwoEditsInLargeTree(b *testing.B) {
	st, ours, theirs := wideMerge(b, 100000, 100, func(i int) bool { return i == 10 },
		func(i int) bool { return i == 99990 })
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := st.OpenRepo(1)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := r.CheckMerge(context.Background(), ours, theirs); err != nil {
			b.Fatal(err)
		}
		r.Close()
	}
}

// BenchmarkMerge3LargeFile: a 5,000-line file with 50 one-line edits on each side.
func BenchmarkMerge3LargeFile(b *testing.B) {
	rng := rand.New(rand.NewSource(1))
	base := make([]string, 5000)
	for i := range base {
		base[i] = fmt.Sprintf("\tline %d: %x\n", i, rng.Int63())
	}
	edit := func(offset int) []byte {
		lines := append([]string(nil), base...)
		for k := 0; k < 50; k++ {
			lines[offset+k*100] = fmt.Sprintf("\tedited %d\n", k)
		}
		return []byte(strings.Join(lines, ""))
	}
	orig, ours, theirs := []byte(strings.Join(base, "")), edit(10), edit(60)
	b.SetBytes(int64(len(orig)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if m := merge3(orig, ours, theirs); !m.clean() {
			b.Fatal("conflict")
		}
	}
}

package gitstore

import (
	"bytes"
	"context"
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

// randomHistory imports a history of n commits on a few branches that merge into each
// other now and then, with committer clocks that sometimes go backwards. It returns the
// store (project 1) and the commit of each mark.
func randomHistory(t testing.TB, g *gitCLI, n int, seed int64) (*Store, map[int]string) {
	t.Helper()
	st, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Create(1, InitOptions{}); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(seed))
	var w bytes.Buffer
	tips := map[int]int{} // branch → mark
	when := int64(1600000000)
	for mark := 1; mark <= n; mark++ {
		branch := rng.Intn(4)
		when += int64(rng.Intn(600))
		if rng.Intn(10) == 0 {
			when -= int64(rng.Intn(5000)) // a skewed clock
		}
		fmt.Fprintf(&w, "commit refs/heads/b%d\nmark :%d\n", branch, mark)
		fmt.Fprintf(&w, "committer C <c@example.com> %d +0000\ndata 2\nc\n", when)
		if tip, ok := tips[branch]; ok {
			fmt.Fprintf(&w, "from :%d\n", tip)
		} else if mark > 1 {
			fmt.Fprintf(&w, "from :%d\n", 1+rng.Intn(mark-1))
		}
		if other := rng.Intn(4); rng.Intn(3) == 0 && other != branch {
			if tip, ok := tips[other]; ok && tip != tips[branch] {
				fmt.Fprintf(&w, "merge :%d\n", tip)
			}
		}
		fmt.Fprintf(&w, "M 100644 inline f%d\ndata 2\n%d\n\n", mark%5, mark%10)
		tips[branch] = mark
	}
	// A root of its own, for unrelated histories.
	fmt.Fprintf(&w,
		"commit refs/heads/orphan\nmark :%d\ncommitter C <c@example.com> %d +0000\ndata 2\nc\nM 100644 inline o\ndata 0\n\n", n+1, when)
	return st, g.fastImport(st.Path(1), w.Bytes())
}

func TestMergeBasesMatchGit(t *testing.T) {
	g := newGitCLI(t)
	const n = 400
	st, marks := randomHistory(t, g, n, 42)
	r, err := st.OpenRepo(1)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rng := rand.New(rand.NewSource(1))
	several := 0
	for i := 0; i < 150; i++ {
		a, b := marks[1+rng.Intn(n+1)], marks[1+rng.Intn(n+1)]
		out, err := g.try(st.Path(1), "merge-base", "--all", a, b)
		if err != nil && strings.TrimSpace(out) != "" {
			t.Fatalf("git merge-base: %v %s", err, out)
		}
		want := strings.Fields(out)
		sort.Strings(want)
		bases, err := r.MergeBases(context.Background(), plumbing.NewHash(a), plumbing.NewHash(b))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, h := range bases {
			got = append(got, h.String())
		}
		sort.Strings(got)
		if !sameStrings(got, want) {
			t.Fatalf("merge bases of %s and %s: %v, git's %v", a, b, got, want)
		}
		if len(want) > 1 {
			several++
		}
		ff, err := r.CanFastForward(context.Background(), plumbing.NewHash(a), plumbing.NewHash(b))
		if err != nil {
			t.Fatal(err)
		}
		_, ancestorErr := g.try(st.Path(1), "merge-base", "--is-ancestor", a, b)
		if ff != (ancestorErr == nil) {
			t.Fatalf("CanFastForward(%s, %s) = %v, git merge-base --is-ancestor says %v", a, b, ff, ancestorErr == nil)
		}
	}
	t.Logf("%d of 150 pairs have several merge bases", several)
}

// TestMergeBaseWalksOnlySinceTheFork: on a long history, finding the base of a short side
// branch reads the commits since the fork, not the history below it.
func TestMergeBaseWalksOnlySinceTheFork(t *testing.T) {
	g := newGitCLI(t)
	n := 20000
	if testing.Short() {
		n = 3000
	}
	st, fork, main, side := longHistory(t, g, n)
	r, err := st.OpenRepo(1)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx := context.Background()
	bases, err := r.MergeBases(ctx, main, side)
	if err != nil {
		t.Fatal(err)
	}
	if len(bases) != 1 || bases[0] != fork {
		t.Fatalf("bases %v, want %s", bases, fork)
	}
	if read := len(r.graph.commits); read > 100 {
		t.Fatalf("read %d commits of %d", read, n)
	}
	for _, tc := range []struct {
		target, source plumbing.Hash
		want           bool
	}{{fork, side, true}, {fork, main, true}, {main, side, false}, {side, main, false}} {
		ff, err := r.CanFastForward(ctx, tc.target, tc.source)
		if err != nil || ff != tc.want {
			t.Fatalf("CanFastForward(%s, %s) = %v, %v; want %v", tc.target, tc.source, ff, err, tc.want)
		}
	}
	if read := len(r.graph.commits); read > 100 {
		t.Fatalf("read %d commits of %d", read, n)
	}
}

// longHistory imports n commits on main and a side branch of 10 commits forking 10
// commits below main's tip.
func longHistory(t testing.TB, g *gitCLI, n int) (st *Store, fork, main, side plumbing.Hash) {
	t.Helper()
	st, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Create(1, InitOptions{}); err != nil {
		t.Fatal(err)
	}
	var w bytes.Buffer
	for mark := 1; mark <= n; mark++ {
		fmt.Fprintf(&w, "commit refs/heads/main\nmark :%d\ncommitter C <c@example.com> %d +0000\ndata 2\nc\n",
			mark, 1500000000+60*mark)
		if mark > 1 {
			fmt.Fprintf(&w, "from :%d\n", mark-1)
		}
		fmt.Fprintf(&w, "M 100644 inline f%d\ndata 2\n%d\n\n", mark%50, mark%10)
	}
	forkMark := n - 10
	for i := 1; i <= 10; i++ {
		mark := n + i
		from := mark - 1
		if i == 1 {
			from = forkMark
		}
		fmt.Fprintf(&w,
			"commit refs/heads/side\nmark :%d\ncommitter C <c@example.com> %d +0000\ndata 2\nc\nfrom :%d\n",
			mark, 1500000000+60*mark, from)
		fmt.Fprintf(&w, "M 100644 inline side%d\ndata 2\n%d\n\n", i, i)
	}
	marks := g.fastImport(st.Path(1), w.Bytes())
	return st, plumbing.NewHash(marks[forkMark]), plumbing.NewHash(marks[n]), plumbing.NewHash(marks[n+10])
}

func BenchmarkMergeBaseLongHistory(b *testing.B) {
	g := newGitCLI(b)
	st, _, main, side := longHistory(b, g, 50000)
	g.run(st.Path(1), "repack", "-adq")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := st.OpenRepo(1)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := r.MergeBases(context.Background(), main, side); err != nil {
			b.Fatal(err)
		}
		r.Close()
	}
}

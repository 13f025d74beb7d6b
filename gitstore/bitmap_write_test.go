package gitstore

import (
	"context"
	"fmt"
	"math/rand"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

func TestEWAHRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for n := 0; n < 200; n++ {
		b := make(bitset, rng.Intn(40))
		for i := range b {
			switch rng.Intn(4) {
			case 0:
				b[i] = 0
			case 1:
				b[i] = ^uint64(0)
			default:
				b[i] = rng.Uint64()
			}
		}
		enc := appendEWAH(nil, b)
		words, rest, err := readEWAH(enc)
		if err != nil || len(rest) != 0 {
			t.Fatalf("%x: read: %v, %d bytes left", b, err, len(rest))
		}
		got, err := inflateEWAH(words)
		if err != nil {
			t.Fatal(err)
		}
		want := b
		for len(want) > 0 && want[len(want)-1] == 0 {
			want = want[:len(want)-1]
		}
		if !slices.Equal(got, []uint64(want)) {
			t.Fatalf("round trip of %x gave %x", want, got)
		}
	}
}

// branchyWorkTree makes a history with merged and unmerged branches, lightweight and
// annotated tags.
func branchyWorkTree(g *gitCLI) string {
	dir := g.newWorkTree(40)
	for b := 0; b < 5; b++ {
		br := fmt.Sprintf("topic-%d", b)
		g.run(dir, "checkout", "-q", "-b", br, fmt.Sprintf("main~%d", 3*b))
		for i := 0; i < 6; i++ {
			g.commit(dir, fmt.Sprintf("%s %d", br, i), map[string]string{
				fmt.Sprintf("topic/%d/f%d.txt", b, i%3): strings.Repeat(fmt.Sprintf("%s %d\n", br, i), 20+i),
			})
		}
		g.run(dir, "checkout", "-q", "main")
		if b%2 == 0 {
			g.run(dir, "merge", "-q", "--no-ff", "-m", "merge "+br, br)
		}
		g.commit(dir, fmt.Sprintf("main after %s", br), map[string]string{"README": fmt.Sprintf("after %d\n", b)})
	}
	g.run(dir, "tag", "light", "main~4")
	g.run(dir, "tag", "-a", "-m", "release", "v1", "topic-1")
	return dir
}

func TestBitmapWrittenAfterPush(t *testing.T) {
	ts := newTestServer(t)
	g := newGitCLI(t)
	dir := branchyWorkTree(g)
	ts.createRepo(1)
	// The job's goroutine starts from a request of the git client: the race detector sees
	// no order between this goroutine and it, so everything shared goes under the lock.
	var mu sync.Mutex
	var outcomes []string
	jobs := func() []string {
		mu.Lock()
		defer mu.Unlock()
		out := outcomes
		outcomes = nil
		return out
	}
	ts.store.bitmaps.mu.Lock()
	ts.store.bitmaps.done = func(id int64, wrote int, err error) {
		mu.Lock()
		defer mu.Unlock()
		outcomes = append(outcomes, fmt.Sprintf("%d:%d:%v", id, wrote, err))
	}
	ts.store.bitmaps.mu.Unlock()
	g.run(dir, "push", "-q", ts.url(1), "refs/heads/*:refs/heads/*", "refs/tags/*:refs/tags/*")
	ts.store.WaitBackground()
	repo := ts.store.Path(1)
	bitmaps, _ := filepath.Glob(filepath.Join(repo, "objects", "pack", "*.bitmap"))
	if got := jobs(); len(bitmaps) != 1 || !slices.Equal(got, []string{"1:1:<nil>"}) {
		t.Fatalf("bitmaps %v after the push (jobs: %v)", bitmaps, got)
	}
	if left, _ := filepath.Glob(filepath.Join(repo, "objects", "pack", "tmp_*")); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
	// C git accepts it: each tip's bitmap matches a walk, and it answers whole-history
	// questions from it.
	tips := strings.Fields(g.run(repo, "for-each-ref", "--format=%(objectname)^{commit}"))
	for _, tip := range tips {
		if out := g.run(repo, "rev-list", "--test-bitmap", tip); !strings.Contains(out, "OK!") {
			t.Errorf("--test-bitmap %s:\n%s", tip, out)
		}
	}
	withBitmap := g.run(repo, "rev-list", "--use-bitmap-index", "--objects", "--all")
	without := g.run(repo, "rev-list", "--objects", "--all")
	if a, b := sortedFirstFields(withBitmap), sortedFirstFields(without); !slices.Equal(a, b) {
		t.Errorf("rev-list with the bitmap lists %d objects, without %d", len(a), len(b))
	}
	// cairn's own reads of it agree with its walk.
	db, err := openObjectDB(filepath.Join(repo, "objects"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.close()
	for _, rev := range []string{"main", "topic-3", "light", "v1^{commit}", "main~7"} {
		want := plumbing.NewHash(g.run(dir, "rev-parse", rev))
		byBitmap := &objectCollector{db: db, state: map[plumbing.Hash]uint8{}}
		ok, err := collectByBitmap(context.Background(), db, newGraph(db), []plumbing.Hash{want}, byBitmap)
		if err != nil || !ok {
			t.Fatalf("%s: bitmap not used: %v", rev, err)
		}
		sess := &uploadSession{db: db, g: newGraph(db), refs: &refList{}, theyHave: map[plumbing.Hash]bool{}}
		byWalk, err := sess.collect(context.Background(), &fetchArgs{wants: []plumbing.Hash{want}},
			&shallowPlan{parentless: map[plumbing.Hash]bool{}})
		if err != nil {
			t.Fatal(err)
		}
		if a, b := hashesOf(byBitmap), hashesOf(byWalk); !slices.Equal(a, b) {
			t.Errorf("%s: the bitmap gives %d objects, the walk %d", rev, len(a), len(b))
		}
	}
	// Clones take the bitmap and carry everything.
	for _, v := range []string{"0", "2"} {
		clone := filepath.Join(t.TempDir(), "c"+v)
		g.run("", "-c", "protocol.version="+v, "clone", "-q", "--mirror", ts.url(1), clone)
		g.assertFsck(clone)
		if a, b := g.run(clone, "for-each-ref"), g.run(repo, "for-each-ref"); a != b {
			t.Errorf("v%s: refs differ:\n%s\n---\n%s", v, a, b)
		}
		if a, b := sortedFirstFields(g.run(clone, "rev-list", "--objects", "--all")), sortedFirstFields(
			without); !slices.Equal(a, b) {
			t.Errorf("v%s: the clone has %d objects, the server %d", v, len(a), len(b))
		}
	}

	// A later push adds a pack whose history is not its own: no bitmap for it, the first
	// stays, and clones walk from the new tips down to what it covers.
	g.commit(dir, "later", map[string]string{"late.txt": "late\n"})
	g.run(dir, "push", "-q", ts.url(1), "main")
	ts.store.WaitBackground()
	if got, _ := filepath.Glob(filepath.Join(repo, "objects", "pack", "*.bitmap")); !slices.Equal(got,
		bitmaps) || !slices.Equal(jobs(), []string{"1:0:<nil>"}) {
		t.Errorf("after a second push: bitmaps %v", got)
	}
	clone := filepath.Join(t.TempDir(), "again")
	g.run("", "clone", "-q", "--mirror", ts.url(1), clone)
	g.assertFsck(clone)
	if a, b := g.run(clone, "rev-parse", "main"), g.run(dir, "rev-parse", "main"); a != b {
		t.Errorf("clone has main at %s, pushed %s", a, b)
	}
}

// TestBitmapOfFastImportPack: a pack as fast-import writes it (each blob a delta of its
// previous version, bases after deltas' order differs from a repack's).
func TestBitmapOfFastImportPack(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a 600-commit repository")
	}
	st := benchRepo(t, 600, false)
	g := newGitCLI(t)
	n, err := writeBitmaps(context.Background(), st.Path(1))
	if err != nil || n != 1 {
		t.Fatalf("wrote %d bitmaps: %v", n, err)
	}
	// Written once: a second run finds it there.
	if n, err := writeBitmaps(context.Background(), st.Path(1)); err != nil || n != 0 {
		t.Fatalf("second run wrote %d: %v", n, err)
	}
	repo := st.Path(1)
	for _, tip := range strings.Fields(g.run(repo, "for-each-ref", "--format=%(objectname)^{commit}")) {
		if out := g.run(repo, "rev-list", "--test-bitmap", tip); !strings.Contains(out, "OK!") {
			t.Errorf("--test-bitmap %s:\n%s", tip, out)
		}
	}
	ts := newTestServerFor(t, st)
	clone := filepath.Join(t.TempDir(), "c")
	g.run("", "clone", "-q", "--mirror", ts.url(1), clone)
	g.assertFsck(clone)
	if a, b := sortedFirstFields(g.run(clone, "rev-list", "--objects", "--all")), sortedFirstFields(
		g.run(repo, "rev-list", "--objects", "--all")); !slices.Equal(a, b) {
		t.Errorf("the clone has %d objects, the server %d", len(a), len(b))
	}
}

func sortedFirstFields(s string) []string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			out = append(out, f[0])
		}
	}
	slices.Sort(out)
	return out
}

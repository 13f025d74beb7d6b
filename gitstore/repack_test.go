package gitstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
)

// repackEager makes every push's job repack, at once, whatever the repository's size.
var repackEager = repackPolicy{minObjects: 1, outsideShare: 1 << 20, grace: time.Nanosecond}

// setRepackPolicy sets the policy of the store's background jobs.
func setRepackPolicy(ts *testServer, pol repackPolicy) {
	ts.store.bitmaps.mu.Lock()
	defer ts.store.bitmaps.mu.Unlock()
	ts.store.bitmaps.repack = pol
}

// readmeRepo creates repository id with a README committed by cairn (loose objects) and
// returns a clone of it with n more commits, a branch and an annotated tag, not pushed.
func readmeRepo(t *testing.T, ts *testServer, g *gitCLI, id int64, n int) string {
	t.Helper()
	err := ts.store.Create(id, InitOptions{
		Files:   []File{{Path: "README.md", Content: []byte("# hello\n")}},
		Message: "Initial commit",
		Author:  Signature{Name: "A", Email: "a@example.com", When: time.Unix(1700000000, 0)},
	})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "work")
	g.run("", "clone", "-q", ts.url(id), dir)
	for i := 0; i < n; i++ {
		g.commit(dir, fmt.Sprintf("commit %d", i), map[string]string{
			"README.md":                     fmt.Sprintf("# hello %d\n", i),
			fmt.Sprintf("src/f%d.txt", i%5): strings.Repeat(fmt.Sprintf("line %d\n", i), 30+i),
		})
	}
	if n >= 3 {
		g.run(dir, "branch", "topic", "main~3")
		g.run(dir, "tag", "-a", "-m", "release", "v1", "main~1")
	}
	return dir
}

// packFiles lists the files of the repository's pack directory by extension.
func packFiles(t *testing.T, repo string) map[string][]string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(repo, "objects", "pack"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, e := range entries {
		ext := filepath.Ext(e.Name())
		out[ext] = append(out[ext], e.Name())
	}
	return out
}

func looseObjects(t *testing.T, repo string) []plumbing.Hash {
	t.Helper()
	s, err := snapshotObjects(filepath.Join(repo, "objects"))
	if err != nil {
		t.Fatal(err)
	}
	return s.loose
}

// assertBitmapClone checks that a clone of every ref is answered by one pack's bitmap
// alone (nothing walked) and that git's clone of the repository is complete.
func assertBitmapClone(t *testing.T, ts *testServer, g *gitCLI, id int64) {
	t.Helper()
	repo := ts.store.Path(id)
	refs, err := refStore{dir: repo}.list()
	if err != nil {
		t.Fatal(err)
	}
	db, err := openObjectDB(filepath.Join(repo, "objects"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.close()
	var tips []plumbing.Hash
	for _, h := range refWants(refs) {
		target, typ, _, err := db.peel(h)
		if err != nil {
			t.Fatal(err)
		}
		if typ == plumbing.CommitObject {
			tips = append(tips, target)
		}
	}
	oc := &objectCollector{db: db, state: map[plumbing.Hash]uint8{}}
	ok, err := collectByBitmap(context.Background(), db, newGraph(db), tips, oc)
	if err != nil || !ok {
		t.Fatalf("the clone does not take the bitmap path: %v", err)
	}
	if len(oc.objs) != 0 {
		t.Errorf("the bitmap leaves %d objects to walk", len(oc.objs))
	}
	for _, tip := range strings.Fields(g.run(repo, "for-each-ref", "--format=%(objectname)^{commit}")) {
		if out := g.run(repo, "rev-list", "--test-bitmap", tip); !strings.Contains(out, "OK!") {
			t.Errorf("--test-bitmap %s:\n%s", tip, out)
		}
	}
	clone := filepath.Join(t.TempDir(), "clone")
	g.run("", "clone", "-q", "--mirror", ts.url(id), clone)
	g.assertFsck(clone)
	if a, b := g.run(clone, "for-each-ref"), g.run(repo, "for-each-ref"); a != b {
		t.Errorf("refs differ:\n%s\n---\n%s", a, b)
	}
	all := sortedFirstFields(g.run(repo, "rev-list", "--objects", "--all"))
	if got := sortedFirstFields(g.run(clone, "rev-list", "--objects", "--all")); !slices.Equal(got, all) {
		t.Errorf("the clone has %d objects, the server %d", len(got), len(all))
	}
}

// TestRepackAfterReadmeThenPush: the first commit is cairn's (loose), the rest pushed; the
// job folds both into one pack with a bitmap and removes what that pack replaced.
func TestRepackAfterReadmeThenPush(t *testing.T) {
	ts := newTestServer(t)
	g := newGitCLI(t)
	setRepackPolicy(ts, repackEager)
	dir := readmeRepo(t, ts, g, 1, 30)
	repo := ts.store.Path(1)
	if n := len(looseObjects(t, repo)); n != 3 {
		t.Fatalf("%d loose objects after Create, want the README's 3", n)
	}
	g.run(dir, "push", "-q", ts.url(1), "refs/heads/*:refs/heads/*", "refs/tags/*:refs/tags/*")
	ts.store.WaitBackground()

	files := packFiles(t, repo)
	if len(files[".pack"]) != 1 || len(files[".idx"]) != 1 || len(files[".bitmap"]) != 1 || len(files) != 3 {
		t.Fatalf("pack directory after the job: %v", files)
	}
	if loose := looseObjects(t, repo); len(loose) != 0 {
		t.Errorf("loose objects left: %v", loose)
	}
	if left, _ := filepath.Glob(filepath.Join(ts.store.Root(), ".tmp", "*")); len(left) != 0 {
		t.Errorf("scratch left behind: %v", left)
	}
	g.assertFsck(repo)
	assertBitmapClone(t, ts, g, 1)

	// Once settled, the next job has nothing to do.
	n, err := ts.store.settle(context.Background(), 1, repackEager)
	if err != nil || n != 0 {
		t.Errorf("a second job wrote %d bitmaps: %v", n, err)
	}
	if got := packFiles(t, repo); !slices.Equal(got[".pack"], files[".pack"]) {
		t.Errorf("a second job changed the packs: %v", got)
	}
}

// TestRepackKeepsUnreachable: loose objects no ref reaches, and a pack holding a deleted
// branch's commit, survive the repack.
func TestRepackKeepsUnreachable(t *testing.T) {
	ts := newTestServer(t)
	g := newGitCLI(t)
	dir := readmeRepo(t, ts, g, 1, 5)
	repo := ts.store.Path(1)
	// A branch pushed, then deleted: its pack holds a commit no ref reaches.
	g.run(dir, "checkout", "-q", "-b", "gone")
	gone := g.commit(dir, "to be deleted", map[string]string{"gone.txt": "gone\n"})
	g.run(dir, "checkout", "-q", "main")
	g.run(dir, "push", "-q", ts.url(1), "gone")
	ts.store.WaitBackground()
	g.run(dir, "push", "-q", ts.url(1), ":gone")
	stray := g.run(repo, "hash-object", "-w", "--stdin")
	if stray == "" {
		t.Fatal("no stray object")
	}

	setRepackPolicy(ts, repackEager)
	g.run(dir, "push", "-q", ts.url(1), "main", "topic", "v1")
	ts.store.WaitBackground()
	for _, h := range []string{stray, gone} {
		if _, err := g.try(repo, "cat-file", "-e", h); err != nil {
			t.Errorf("%s lost in the repack", h)
		}
	}
	if loose := looseObjects(t, repo); len(loose) != 1 || loose[0].String() != stray {
		t.Errorf("loose objects after the repack: %v, want only %s", loose, stray)
	}
	files := packFiles(t, repo)
	if len(files[".pack"]) != 2 || len(files[".bitmap"]) != 1 {
		t.Errorf("pack directory: %v (want the new pack with a bitmap and the deleted branch's)", files)
	}
	g.assertFsck(repo)
	assertBitmapClone(t, ts, g, 1)
}

// TestRepackRacingPush: pushes land while the repack runs, once after it has read the
// refs and once after it has published its pack; nothing they brought is removed.
func TestRepackRacingPush(t *testing.T) {
	for _, stage := range []string{"listed", "published"} {
		t.Run(stage, func(t *testing.T) {
			ts := newTestServer(t)
			g := newGitCLI(t)
			dir := readmeRepo(t, ts, g, 1, 10)
			repo := ts.store.Path(1)
			var mu sync.Mutex
			raced := 0
			pol := repackEager
			pol.hook = func(s string) {
				mu.Lock()
				defer mu.Unlock()
				if s != stage || raced > 0 {
					return
				}
				raced++
				g.commit(dir, "racing", map[string]string{"race.txt": "raced at " + s + "\n"})
				g.run(dir, "push", "-q", ts.url(1), "main")
			}
			setRepackPolicy(ts, pol)
			g.run(dir, "push", "-q", ts.url(1), "refs/heads/*:refs/heads/*", "refs/tags/*:refs/tags/*")
			ts.store.WaitBackground()
			mu.Lock()
			if raced != 1 {
				t.Fatalf("the hook ran %d times", raced)
			}
			mu.Unlock()
			g.assertFsck(repo)
			if a, b := g.run(repo, "rev-parse", "main"), g.run(dir, "rev-parse", "main"); a != b {
				t.Fatalf("main is %s, pushed %s", a, b)
			}
			if _, err := g.try(repo, "rev-list", "--objects", "--all", "--missing=error"); err != nil {
				t.Fatalf("objects missing: %v", err)
			}
			// The racing push queued another job, which repacked again: one pack.
			if files := packFiles(t, repo); len(files[".pack"]) != 1 || len(files[".bitmap"]) != 1 {
				t.Errorf("pack directory: %v", files)
			}
			assertBitmapClone(t, ts, g, 1)
		})
	}
}

// TestRepackManyPushes: ten small pushes end in one pack with a bitmap.
func TestRepackManyPushes(t *testing.T) {
	ts := newTestServer(t)
	g := newGitCLI(t)
	setRepackPolicy(ts, repackEager)
	dir := readmeRepo(t, ts, g, 1, 0)
	repo := ts.store.Path(1)
	for i := 0; i < 10; i++ {
		g.commit(dir, fmt.Sprintf("push %d", i),
			map[string]string{fmt.Sprintf("p/%d.txt", i): fmt.Sprintf("push %d\n", i)})
		g.run(dir, "push", "-q", ts.url(1), "main")
	}
	ts.store.WaitBackground()
	if files := packFiles(t, repo); len(files[".pack"]) != 1 || len(files[".bitmap"]) != 1 {
		t.Fatalf("pack directory after ten pushes: %v", files)
	}
	if loose := looseObjects(t, repo); len(loose) != 0 {
		t.Errorf("loose objects left: %v", loose)
	}
	g.assertFsck(repo)
	if n := len(strings.Fields(g.run(repo, "rev-list", "main"))); n != 11 {
		t.Errorf("main has %d commits, want 11", n)
	}
	assertBitmapClone(t, ts, g, 1)
}

// TestReadersOutliveRepack: an object database listed before a repack removed its packs
// and loose objects keeps reading (open packs stay readable, a vanished loose object is
// found in the new pack) and still writes a complete clone.
func TestReadersOutliveRepack(t *testing.T) {
	ts := newTestServer(t)
	g := newGitCLI(t)
	dir := readmeRepo(t, ts, g, 1, 12)
	g.run(dir, "push", "-q", ts.url(1), "refs/heads/*:refs/heads/*", "refs/tags/*:refs/tags/*")
	ts.store.WaitBackground() // the default policy leaves a repository this small alone
	repo := ts.store.Path(1)
	before := looseObjects(t, repo)
	if len(before) != 3 || len(packFiles(t, repo)[".pack"]) != 1 {
		t.Fatalf("before: %d loose, packs %v", len(before), packFiles(t, repo))
	}

	old, err := openObjectDB(filepath.Join(repo, "objects"))
	if err != nil {
		t.Fatal(err)
	}
	defer old.close()
	st, ok, err := maybeRepack(context.Background(), repo, filepath.Join(ts.store.Root(), ".tmp"),
		repackEager.withDefaults())
	if err != nil || !ok || st.packsRemoved != 1 || st.looseRemoved != 3 || st.bitmaps != 1 {
		t.Fatalf("repack: %+v, %v, %v", st, ok, err)
	}
	for _, h := range before {
		if _, _, err := old.read(h); err != nil {
			t.Errorf("reading %s after the repack: %v", h, err)
		}
	}
	refs, err := refStore{dir: repo}.list()
	if err != nil {
		t.Fatal(err)
	}
	sess := &uploadSession{db: old, g: newGraph(old), refs: refs, theyHave: map[plumbing.Hash]bool{}}
	oc, err := sess.collect(context.Background(), &fetchArgs{wants: refWants(refs)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var pack bytes.Buffer
	if _, err := writePack(context.Background(), old, oc.objs, oc.fromBitmap, nil, &pack,
		packOptions{ofsDelta: true}); err != nil {
		t.Fatal(err)
	}
	check := t.TempDir()
	g.run(check, "init", "-q", "--bare")
	indexPackWithGit(t, g, check, pack.Bytes(), false)
	for _, r := range refs.refs {
		g.run(check, "update-ref", r.name, r.hash.String())
	}
	g.assertFsck(check)

	// A database opened afterwards lists the new pack alone.
	fresh, err := openObjectDB(filepath.Join(repo, "objects"))
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.close()
	if len(fresh.packs) != 1 || fresh.packs[0].path != st.pack {
		t.Errorf("packs after the repack: %d", len(fresh.packs))
	}
}

func TestNeedsRepack(t *testing.T) {
	dir := t.TempDir()
	pack := func(name string, count int, bitmap bool) *packFile {
		path := filepath.Join(dir, name+".pack")
		if bitmap {
			if err := os.WriteFile(filepath.Join(dir, name+".bitmap"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return &packFile{path: path, idx: &packIndex{count: count}}
	}
	want := []plumbing.Hash{plumbing.NewHash("1111111111111111111111111111111111111111")}
	pol := repackPolicy{}.withDefaults()
	big, small := pack("big", 10000, true), pack("small", 100, false)
	many := make([]*packFile, 16)
	for i := range many {
		many[i] = pack(fmt.Sprintf("m%d", i), 100, i == 0)
	}
	for _, c := range []struct {
		name  string
		packs []*packFile
		loose int
		wants []plumbing.Hash
		want  bool
	}{
		{"no refs", []*packFile{pack("a", 5000, false)}, 0, nil, false},
		{"small repository", []*packFile{pack("b", 900, false)}, 3, want, false},
		{"no bitmap", []*packFile{pack("c", 900, false)}, 200, want, true},
		{"little outside the bitmap", []*packFile{big, small}, 3, want, false},
		{"much outside the bitmap", []*packFile{big, pack("d", 1300, false)}, 0, want, true},
		{"many packs", many, 0, want, true},
	} {
		db := &objectDB{packs: c.packs}
		if got := needsRepack(db, c.wants, c.loose, pol); got != c.want {
			t.Errorf("%s: needsRepack = %v, want %v", c.name, got, c.want)
		}
	}
}

// TestGoGitReadersOutliveRepack: a repository opened before a repack, whose go-git storage
// listed the packs the repack then removed, goes on reading every object.
func TestGoGitReadersOutliveRepack(t *testing.T) {
	ts := newTestServer(t)
	g := newGitCLI(t)
	dir := readmeRepo(t, ts, g, 1, 12)
	g.run(dir, "push", "-q", ts.url(1), "refs/heads/*:refs/heads/*", "refs/tags/*:refs/tags/*")
	ts.store.WaitBackground()
	r, err := ts.store.OpenRepo(1)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	_, head, err := r.Head()
	if err != nil {
		t.Fatal(err)
	}
	// The first read lists the packs.
	if _, err := r.Commit(head); err != nil {
		t.Fatal(err)
	}
	repo := ts.store.Path(1)
	all := strings.Fields(g.run(repo, "rev-list", "--objects", "--all", "--no-object-names"))
	if _, ok, err := maybeRepack(context.Background(), repo, filepath.Join(ts.store.Root(), ".tmp"),
		repackEager.withDefaults()); err != nil || !ok {
		t.Fatalf("repack: %v, %v", ok, err)
	}
	for _, h := range all {
		if _, err := r.git.Storer.EncodedObject(plumbing.AnyObject, plumbing.NewHash(h)); err != nil {
			t.Errorf("reading %s after the repack: %v", h, err)
		}
	}
	if _, err := r.Tree(head, "src", true); err != nil {
		t.Errorf("tree after the repack: %v", err)
	}
	// A missing object is still missing.
	if _, err := r.git.Storer.EncodedObject(plumbing.AnyObject,
		plumbing.NewHash(strings.Repeat("ab", 20))); !errors.Is(err, plumbing.ErrObjectNotFound) {
		t.Errorf("a missing object: %v", err)
	}
}

package gitstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
)

func TestReadsOfARepositoryShareItsPacks(t *testing.T) {
	hf := newHistoryFixture(t, 60, 21)
	hf.g.run(hf.dir, "repack", "-adq")
	a, b := hf.open(t), hf.open(t)
	dba, err := a.objects()
	if err != nil {
		t.Fatal(err)
	}
	dbb, err := b.objects()
	if err != nil {
		t.Fatal(err)
	}
	if len(dba.packs) != 1 || dba.packs[0] != dbb.packs[0] {
		t.Fatalf("packs %v and %v", dba.packs, dbb.packs)
	}
	if dba.packs[0].idxMap == nil {
		t.Error("the shared pack's index is not mapped")
	}
}

func TestPacksARepackReplacedCloseWhenTheirReadsEnd(t *testing.T) {
	hf := newHistoryFixture(t, 60, 22)
	hf.g.run(hf.dir, "repack", "-adq")
	reading := hf.open(t)
	tip, err := reading.Resolve("main")
	if err != nil {
		t.Fatal(err)
	}
	old := reading.odb.packs[0]
	// A new pack replaces the old one.
	cloneOf(t, hf)
	hf.g.run(hf.dir, "repack", "-adfq")
	fresh, err := hf.st.OpenRepo(1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fresh.Resolve("main"); err != nil {
		t.Fatal(err)
	}
	if fresh.odb.packs[0] == old {
		t.Fatal("a request after the repack still reads the removed pack")
	}
	fresh.Close()
	// The request under way reads on from the pack it has, removed or not.
	if _, err := reading.Log(context.Background(), LogOptions{Include: []plumbing.Hash{tip}}); err != nil {
		t.Fatal(err)
	}
	if old.data == nil && old.f == nil {
		t.Fatal("the old pack was closed while a request read it")
	}
	reading.Close()
	if old.data != nil || old.f != nil {
		t.Fatal("the old pack stayed open after its last reader")
	}
}

// cloneOf clones the fixture into a work tree whose pushes go back to it.
func cloneOf(t *testing.T, hf *historyFixture) string {
	wt := t.TempDir()
	hf.g.run(wt, "clone", "-q", hf.dir, ".")
	hf.g.commit(wt, "change", map[string]string{"README": fmt.Sprintf("%d\n", time.Now().UnixNano())})
	hf.g.run(wt, "push", "-q", "origin", "HEAD:refs/heads/main")
	return wt
}

func TestReadCacheStaysWithinItsBudget(t *testing.T) {
	hf := newHistoryFixture(t, 150, 23)
	hf.st.SetReadCacheSize(64 << 10)
	r := hf.open(t)
	tip, _ := r.Resolve("main")
	commits, err := r.Log(context.Background(), LogOptions{Include: []plumbing.Hash{tip}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range commits {
		if _, err := r.Tree(c.ID, "", true); err != nil {
			t.Fatal(err)
		}
	}
	c := hf.st.reads.cache
	c.mu.Lock()
	size, n := c.size, c.lru.Len()
	c.mu.Unlock()
	if size > 64<<10 || n == 0 {
		t.Fatalf("cache holds %d bytes in %d entries, budget %d", size, n, 64<<10)
	}
	// Cached trees answer as read ones do.
	again, err := r.Tree(tip, "", true)
	if err != nil {
		t.Fatal(err)
	}
	fresh := hf.open(t)
	hf.st.SetReadCacheSize(0)
	want, err := fresh.Tree(tip, "", true)
	if err != nil || fmt.Sprint(again) != fmt.Sprint(want) {
		t.Fatalf("tree from the cache %v, read %v (%v)", len(again), len(want), err)
	}
}

func TestARecreatedRepositoryIsNotReadFromTheShare(t *testing.T) {
	st, r := newRepo(t, File{Path: "f", Content: []byte("first\n")})
	h, _ := r.Resolve("main")
	if e, err := r.Stat(h, "f"); err != nil || e.Hash.IsZero() {
		t.Fatal(err)
	}
	r.Close()
	if err := st.Delete(1); err != nil {
		t.Fatal(err)
	}
	opts := InitOptions{Files: []File{{Path: "g", Content: []byte("second\n")}},
		Author: Signature{Name: "A", Email: "a@example.com", When: time.Unix(1700000000, 0)}}
	if err := st.Create(1, opts); err != nil {
		t.Fatal(err)
	}
	r2, err := st.OpenRepo(1)
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	h2, _ := r2.Resolve("main")
	if _, err := r2.Stat(h2, "f"); err == nil {
		t.Fatal("the recreated repository shows the deleted one's file")
	}
	if _, err := r2.Commit(h); err == nil {
		t.Fatal("the recreated repository has the deleted one's commit")
	}
}

func TestLargeBlobsStreamFromThePack(t *testing.T) {
	g := newGitCLI(t)
	st, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Create(1, InitOptions{}); err != nil {
		t.Fatal(err)
	}
	big := make([]byte, 3<<20)
	rand.New(rand.NewSource(1)).Read(big)
	var stream bytes.Buffer
	writeImportCommit(&stream, "refs/heads/main", 1, "", 1700000000, []importFile{{path: "big.bin", data: big}})
	g.fastImport(st.Path(1), stream.Bytes())
	g.run(st.Path(1), "repack", "-adq")
	r, err := st.OpenRepo(1)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	tip, _ := r.Resolve("main")
	e, err := r.Stat(tip, "big.bin")
	if err != nil {
		t.Fatal(err)
	}
	br, err := r.OpenBlob(e.Hash)
	if err != nil {
		t.Fatal(err)
	}
	defer br.Close()
	if _, ok := br.ReadCloser.(*blobStream); !ok || br.Size != int64(len(big)) {
		t.Fatalf("blob of %d bytes read as %T", br.Size, br.ReadCloser)
	}
	got, err := io.ReadAll(br)
	if err != nil || !bytes.Equal(got, big) {
		t.Fatalf("streamed %d bytes, %v", len(got), err)
	}
}

// TestConcurrentReadsWhileRepacking reads one repository from many goroutines, each with
// its own Repo as requests have, while C git repacks it; run with -race.
func TestConcurrentReadsWhileRepacking(t *testing.T) {
	hf := newHistoryFixture(t, 120, 24)
	if _, err := writeCommitGraph(context.Background(), hf.dir); err != nil {
		t.Fatal(err)
	}
	want := hf.g.run(hf.dir, "log", "--format=%H", "main", "--", "a.txt")
	stop := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				r, err := hf.st.OpenRepo(1)
				if err != nil {
					errs <- err
					return
				}
				tip, err := r.Resolve("main")
				if err == nil {
					var list []*Commit
					list, err = r.Log(context.Background(), LogOptions{Include: []plumbing.Hash{tip}, Path: "a.txt"})
					if err == nil && hashes(list) != want {
						err = fmt.Errorf("log differs while repacking")
					}
				}
				if err == nil {
					_, err = r.Tree(tip, "", true)
				}
				r.Close()
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for i := 0; i < 3; i++ {
		hf.g.run(hf.dir, "repack", "-adfq")
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestBlobSizesAreGitCatFileSizes(t *testing.T) {
	hf := newHistoryFixture(t, 150, 25)
	hf.g.run(hf.dir, "repack", "-adfq", "--depth=50", "--window=50") // plenty of deltas
	r := hf.open(t)
	deltas := 0
	out := hf.g.run(hf.dir, "cat-file", "--batch-all-objects",
		"--batch-check=%(objectname) %(objecttype) %(objectsize) %(deltabase)")
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if f[1] != "blob" {
			continue
		}
		size, err := r.BlobSize(plumbing.NewHash(f[0]))
		if err != nil || fmt.Sprint(size) != f[2] {
			t.Fatalf("blob %s: size %d, %v; git says %s", f[0], size, err, f[2])
		}
		if f[3] != strings.Repeat("0", 40) {
			deltas++
		}
	}
	if deltas < 3 {
		t.Fatalf("only %d blobs stored as deltas", deltas)
	}
	if _, err := r.BlobSize(plumbing.NewHash(strings.Repeat("12", 20))); !errors.Is(err, ErrPathNotFound) {
		t.Fatalf("size of a missing blob: %v", err)
	}
}

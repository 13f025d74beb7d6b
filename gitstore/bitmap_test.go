package gitstore

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

func TestBitmapMatchesWalk(t *testing.T) {
	ts := newTestServer(t)
	g := newGitCLI(t)
	dir := repackedRepo(t, ts, g, 1, 30)
	// Commits made after the repack have no bitmap: the walk from them must meet the
	// bitmap's coverage.
	for i := 0; i < 3; i++ {
		g.commit(dir, "after repack", map[string]string{"late.txt": string(rune('a' + i))})
	}
	g.run(dir, "push", "-q", ts.url(1), "main")
	if m, _ := filepath.Glob(filepath.Join(ts.store.Path(1), "objects", "pack", "*.bitmap")); len(m) != 1 {
		t.Fatalf("the repack wrote %d bitmaps", len(m))
	}
	for _, rev := range []string{"HEAD~3", "HEAD", "HEAD~10"} {
		want := plumbing.NewHash(g.run(dir, "rev-parse", rev))
		db, err := openObjectDB(filepath.Join(ts.store.Path(1), "objects"))
		if err != nil {
			t.Fatal(err)
		}
		byBitmap := &objectCollector{db: db, state: map[plumbing.Hash]uint8{}}
		ok, err := collectByBitmap(context.Background(), db, newGraph(db), []plumbing.Hash{want}, byBitmap)
		if err != nil || !ok {
			t.Fatalf("%s: bitmap not used: %v", rev, err)
		}
		sess := &uploadSession{db: db, g: newGraph(db), refs: &refList{}, theyHave: map[plumbing.Hash]bool{}}
		// A shallow plan with nothing in it keeps collect off the bitmap.
		byWalk, err := sess.collect(context.Background(), &fetchArgs{wants: []plumbing.Hash{want}},
			&shallowPlan{parentless: map[plumbing.Hash]bool{}})
		if err != nil {
			t.Fatal(err)
		}
		a, b := hashesOf(byBitmap), hashesOf(byWalk)
		if !slices.Equal(a, b) {
			t.Errorf("%s: the bitmap gives %d objects, the walk %d", rev, len(a), len(b))
		}
		db.close()
	}
}

func hashesOf(oc *objectCollector) []string {
	var out []string
	for _, o := range oc.objs {
		out = append(out, o.typ.String()+" "+o.hash.String())
	}
	if s := oc.fromBitmap; s != nil {
		x := oc.db.packs[s.pack].idx
		order := x.reverse()
		n := 0
		for r := 0; r < x.count; r++ {
			if r>>6 < len(s.bits) && s.bits.has(r) {
				h := x.hashAt(int(order[r]))
				typ, _ := oc.db.typeOf(h)
				out = append(out, typ.String()+" "+h.String())
				n++
			}
		}
		if n != s.count {
			out = append(out, fmt.Sprintf("bitmap set counts %d objects, holds %d", s.count, n))
		}
	}
	slices.Sort(out)
	return out
}

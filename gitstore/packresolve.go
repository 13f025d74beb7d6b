package gitstore

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/go-git/go-git/v5/plumbing"
)

// Delta resolution of a pushed pack, on every core, as C git's index-pack --threads: each
// whole object some delta is built on starts a tree of deltas (its OFS_DELTA children, its
// REF_DELTA children by id, theirs, and so on) that one worker resolves depth first. The
// trees are independent, so workers take them one at a time from a shared counter.

// resolveWorkers is how many goroutines resolve deltas: one a core, as index-pack.
func resolveWorkers() int { return max(1, runtime.GOMAXPROCS(0)) }

// resolver is one worker resolving deltas: its own zlib reader, buffers, path of bases
// and share of the base budget.
type resolver struct {
	ix       *packIndexer
	zr       io.ReadCloser
	deltas   *deltaStream
	hasher   *objectHasher
	raw      []byte // compressed bytes of the entry being read
	rawR     bytes.Reader
	bufR     *bufio.Reader // for entries too large to read whole
	path     []baseFrame   // objects whose deltas are being resolved, outermost first
	held     int           // bytes of their data held
	budget   int
	refs     refSet
	dotGit   *dotGitError
	free     [][]byte // buffers of objects done with, for the next ones
	resolved int      // objects whose deltas were looked at
	freeLen  int
}

// baseFrame is an object on the resolution path.
type baseFrame struct {
	entry int32 // its entry, or -1 for a thin-pack base from the repository
	hash  plumbing.Hash
	typ   plumbing.ObjectType
	data  []byte // nil once dropped
}

func (ix *packIndexer) newResolver(budget int) *resolver {
	return &resolver{ix: ix, deltas: newDeltaStream(64 << 10), hasher: newObjectHasher(), budget: budget}
}

// maxFreeBuffers and maxFreeBytes bound the buffers a resolver keeps for reuse. Objects are
// resolved depth first, so a buffer given back is usually the right size for the next one;
// without reuse every object resolved would be garbage.
const (
	maxFreeBuffers = 64
	maxFreeBytes   = 4 << 20
)

// buffer returns an empty slice with room for n bytes.
func (w *resolver) buffer(n int) []byte {
	best := -1
	for i, b := range w.free {
		if cap(b) >= n && (best < 0 || cap(b) < cap(w.free[best])) {
			best = i
		}
	}
	if best < 0 {
		// In size classes, so that the next object, a version of this one a few bytes
		// longer, finds this buffer big enough.
		c := 256
		for c < n && c < maxFreeBytes/2 {
			c <<= 1
		}
		return make([]byte, 0, max(c, n))
	}
	b := w.free[best]
	w.freeLen -= cap(b)
	last := len(w.free) - 1
	w.free[best], w.free[last] = w.free[last], nil
	w.free = w.free[:last]
	return b[:0]
}

// release gives back a buffer the resolver is done with.
func (w *resolver) release(b []byte) {
	if b == nil || cap(b) > maxFreeBytes/2 {
		return
	}
	for len(w.free) >= maxFreeBuffers || w.freeLen+cap(b) > maxFreeBytes && len(w.free) > 0 {
		w.freeLen -= cap(w.free[0])
		w.free[0] = w.free[len(w.free)-1]
		w.free[len(w.free)-1] = nil
		w.free = w.free[:len(w.free)-1]
	}
	w.free = append(w.free, b)
	w.freeLen += cap(b)
}

// maxRawRead is the largest entry read into memory before it is inflated, as C git reads
// an entry with one pread; larger ones are inflated from the file as they are read.
const maxRawRead = 1 << 20

// open returns a reader of entry i's zlib data and the entry's header.
func (w *resolver) open(i int32) (io.Reader, entryHeader, error) {
	ix := w.ix
	e := ix.entries.at(i)
	end := ix.entries.end(i, ix.rp.pack.size)
	n := end - e.off
	if n > maxRawRead {
		var hb [32]byte
		m, err := ix.file.ReadAt(hb[:], e.off)
		if m == 0 && err != nil {
			return nil, entryHeader{}, fmt.Errorf("read quarantined pack: %w", err)
		}
		h, err := parseEntryHeader(hb[:m], e.off)
		if err != nil {
			return nil, h, fmt.Errorf("%w: %v", errUnpack, err)
		}
		sec := io.NewSectionReader(ix.file, e.off+int64(h.hdrLen), end-e.off-int64(h.hdrLen))
		if w.bufR == nil {
			w.bufR = bufio.NewReaderSize(sec, 64<<10)
		} else {
			w.bufR.Reset(sec)
		}
		return w.bufR, h, nil
	}
	if int64(cap(w.raw)) < n {
		w.raw = make([]byte, n)
	}
	raw := w.raw[:n]
	if _, err := ix.file.ReadAt(raw, e.off); err != nil {
		return nil, entryHeader{}, fmt.Errorf("read quarantined pack: %w", err)
	}
	h, err := parseEntryHeader(raw, e.off)
	if err != nil {
		return nil, h, fmt.Errorf("%w: %v", errUnpack, err)
	}
	w.rawR.Reset(raw[h.hdrLen:])
	return &w.rawR, h, nil
}

func (w *resolver) resetZlib(r io.Reader, off int64) error {
	var err error
	if w.zr == nil {
		w.zr, err = zlib.NewReader(r)
	} else {
		err = w.zr.(zlib.Resetter).Reset(r, nil)
	}
	if err != nil {
		return unpackErr("entry at %d: %v", off, err)
	}
	return nil
}

// readWhole inflates entry i, a whole object.
func (w *resolver) readWhole(i int32) ([]byte, error) {
	off := w.ix.entries.at(i).off
	r, h, err := w.open(i)
	if err != nil {
		return nil, err
	}
	if err := w.resetZlib(r, off); err != nil {
		return nil, err
	}
	if h.size > maxObjectSize {
		return nil, unpackErr("entry at %d: object of %d bytes", off, h.size)
	}
	data := w.buffer(int(h.size))[:h.size]
	if _, err := io.ReadFull(w.zr, data); err != nil {
		return nil, unpackErr("inflate entry at %d: %v", off, err)
	}
	return data, nil
}

// applyDelta rebuilds delta entry i on base, of type typ. The delta is applied as it
// inflates, never held whole, and the result is allocated once its declared size is known
// to be within the limit for typ.
func (w *resolver) applyDelta(i int32, typ plumbing.ObjectType, base []byte) ([]byte, error) {
	off := w.ix.entries.at(i).off
	r, _, err := w.open(i)
	if err != nil {
		return nil, err
	}
	if err := w.resetZlib(r, off); err != nil {
		return nil, err
	}
	w.deltas.reset(w.zr)
	delta, err := w.deltas.more(nil)
	if err != nil {
		return nil, unpackErr("delta at offset %d: %v", off, err)
	}
	srcSize, delta, ok1 := deltaVarint(delta)
	dstSize, delta, ok2 := deltaVarint(delta)
	if !ok1 || !ok2 || srcSize != uint64(len(base)) {
		return nil, unpackErr("delta at offset %d: %v", off, errBadDelta)
	}
	if dstSize > uint64(maxInflatedSize(typ)) {
		return nil, fmt.Errorf("%w: %w", errUnpack, &objectTooLargeError{typ: typ, size: dstSize, off: off})
	}
	data, err := applyDeltaTo(w.buffer(int(dstSize)), base, dstSize, delta, w.deltas)
	if err != nil {
		return nil, unpackErr("delta at offset %d: %v", off, err)
	}
	return data, nil
}

// refKids returns the REF_DELTA entries built on the object h, as a range of ix.refDeltas.
func (ix *packIndexer) refKids(h plumbing.Hash) (int, int) {
	lo, _ := slices.BinarySearchFunc(ix.refDeltas, h, func(d refDelta, h plumbing.Hash) int {
		return bytes.Compare(d.base[:], h[:])
	})
	hi := lo
	for hi < len(ix.refDeltas) && ix.refDeltas[hi].base == h {
		hi++
	}
	return lo, hi
}

// claim takes REF_DELTA k of ix.refDeltas for the calling worker: an object stored twice in
// a pack could otherwise have its REF_DELTA children resolved twice, at once.
func (ix *packIndexer) claim(k int) bool {
	return atomic.CompareAndSwapUint32(&ix.refClaimed[k], 0, 1)
}

// hasKids reports whether deltas remain to be resolved on entry i (or, for i < 0, on h).
func (ix *packIndexer) hasKids(i int32, h plumbing.Hash) bool {
	if i >= 0 && ix.kidStart[i+1] > ix.kidStart[i] {
		return true
	}
	lo, hi := ix.refKids(h)
	for k := lo; k < hi; k++ {
		if atomic.LoadUint32(&ix.refClaimed[k]) == 0 {
			return true
		}
	}
	return false
}

// resolve computes the ids of the delta entries: first the trees of deltas whose base is in
// the pack, on every core, then those whose base the client assumed the repository has (a
// thin pack).
func (ix *packIndexer) resolve() error {
	n := ix.entries.len()
	// The OFS_DELTA children of each entry, as ranges of one array.
	ix.kidStart = make([]int32, n+1)
	for i := int32(0); i < int32(n); i++ {
		if e := ix.entries.at(i); e.base >= 0 {
			ix.kidStart[e.base+1]++
		}
	}
	for i := 1; i <= n; i++ {
		ix.kidStart[i] += ix.kidStart[i-1]
	}
	ix.kids = make([]int32, ix.kidStart[n])
	fill := slices.Clone(ix.kidStart[:n])
	for i := int32(0); i < int32(n); i++ {
		if e := ix.entries.at(i); e.base >= 0 {
			ix.kids[fill[e.base]] = i
			fill[e.base]++
		}
	}
	fill = nil
	slices.SortFunc(ix.refDeltas, func(a, b refDelta) int {
		if c := bytes.Compare(a.base[:], b.base[:]); c != 0 {
			return c
		}
		return int(a.entry - b.entry)
	})
	ix.refClaimed = make([]uint32, len(ix.refDeltas))

	// A delta has its base's type, so the trees of deltas are resolved by type, blobs
	// first, then trees, then commits and tags: the objects a tree or commit names are then
	// mostly known when it is read, and the connectivity check has little left to hold.
	var roots [plumbing.TagObject + 1][]int32
	for i := int32(0); i < int32(n); i++ {
		if e := ix.entries.at(i); !e.delta && ix.hasKids(i, e.hash) {
			roots[e.typ] = append(roots[e.typ], i)
		}
	}
	most := max(len(roots[plumbing.BlobObject]), len(roots[plumbing.TreeObject]), len(roots[plumbing.CommitObject]))
	workers := min(resolveWorkers(), max(1, most))
	ix.workers = make([]*resolver, workers)
	for k := range ix.workers {
		ix.workers[k] = ix.newResolver(maxHeldBases / workers)
	}
	// Trees last in the pack are mostly the subdirectories of those before them (git writes
	// a tree before its subtrees): taken from the end, a tree mostly names known trees.
	slices.Reverse(roots[plumbing.TreeObject])
	for _, t := range []plumbing.ObjectType{plumbing.BlobObject, plumbing.TreeObject, plumbing.CommitObject,
		plumbing.TagObject} {
		if err := ix.resolveRoots(roots[t]); err != nil {
			return err
		}
		ix.scanRefs.filter(ix.known)
	}

	// What is left are deltas against objects the client assumed we have: a thin pack.
	// The repository's object database serves one goroutine, so these go one by one.
	w := ix.workers[0]
	w.budget = maxHeldBases
	for k := 0; k < len(ix.refDeltas); {
		base := ix.refDeltas[k].base
		for k < len(ix.refDeltas) && ix.refDeltas[k].base == base {
			k++
		}
		if !ix.hasKids(-1, base) || !ix.db.has(base) {
			continue
		}
		typ, data, err := ix.db.read(base)
		if err != nil {
			return fmt.Errorf("read thin-pack base %s: %w", base, err)
		}
		ix.rp.thinBases++
		ix.thin = append(ix.thin, base)
		if err := w.resolveFrom(baseFrame{entry: -1, hash: base, typ: typ, data: data}); err != nil {
			return err
		}
	}
	for i := int32(0); i < int32(n); i++ {
		if e := ix.entries.at(i); !e.done {
			if e.base < 0 {
				k := slices.IndexFunc(ix.refDeltas, func(d refDelta) bool { return d.entry == i })
				return unpackErr("delta base %s is missing", ix.refDeltas[k].base)
			}
			return unpackErr("unresolved delta at offset %d", e.off)
		}
	}
	return nil
}

// resolveRoots has the workers resolve the deltas built on the given whole entries.
func (ix *packIndexer) resolveRoots(roots []int32) error {
	var next atomic.Int64
	var failed atomic.Bool
	errs := make([]error, len(ix.workers))
	var wg sync.WaitGroup
	for k, w := range ix.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !failed.Load() {
				j := next.Add(1) - 1
				if j >= int64(len(roots)) {
					return
				}
				if err := w.resolveRoot(roots[j]); err != nil {
					errs[k] = err
					failed.Store(true)
					return
				}
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// resolveRoot resolves the deltas built on whole entry i, and on those, and so on.
func (w *resolver) resolveRoot(i int32) error {
	data, err := w.readWhole(i)
	if err != nil {
		return err
	}
	e := w.ix.entries.at(i)
	return w.resolveFrom(baseFrame{entry: i, hash: e.hash, typ: e.typ, data: data})
}

func (w *resolver) resolveFrom(f baseFrame) error {
	w.push(f)
	defer w.pop()
	return w.resolveChildren(0)
}

// push adds f to the path. Frames are values, reached by position: a pointer into the path
// does not survive a push.
func (w *resolver) push(f baseFrame) {
	w.path = append(w.path, f)
	w.held += len(f.data)
	w.trim()
}

func (w *resolver) pop() {
	last := len(w.path) - 1
	f := w.path[last]
	w.held -= len(f.data)
	if f.entry >= 0 {
		w.release(f.data)
	}
	w.path[last] = baseFrame{} // the slice's array must not keep the object
	w.path = w.path[:last]
}

// trim drops the outermost bases while more than the budget is held, sparing the last
// two: the base whose deltas are being resolved and the one just made from it.
func (w *resolver) trim() {
	for i := 0; w.held > w.budget && i < len(w.path)-2; i++ {
		// Not given back for reuse: a caller of baseData may still be reading it.
		if f := &w.path[i]; f.data != nil {
			w.held -= len(f.data)
			f.data = nil
		}
	}
}

// baseData returns the object at position i of the path. One that was dropped is made
// again, as are those before it back to the nearest still held, or to the whole object
// the path starts at; they are kept while the budget allows, for the next ones.
func (w *resolver) baseData(i int) ([]byte, error) {
	f := w.path[i] // a copy: the path may grow below
	if f.data != nil {
		return f.data, nil
	}
	var data []byte
	var err error
	switch {
	case i > 0:
		var base []byte
		if base, err = w.baseData(i - 1); err == nil {
			data, err = w.applyDelta(f.entry, f.typ, base)
		}
	case f.entry < 0:
		if _, data, err = w.ix.db.read(f.hash); err != nil {
			err = fmt.Errorf("read thin-pack base %s: %w", f.hash, err)
		}
	default:
		data, err = w.readWhole(f.entry)
	}
	if err != nil {
		return nil, err
	}
	w.path[i].data = data
	w.held += len(data)
	w.trim()
	return data, nil
}

// resolveChildren resolves the deltas built on the last object of the path, depth first.
func (w *resolver) resolveChildren(depth int) error {
	ix := w.ix
	if depth > maxDeltaDepth {
		return unpackErr("delta chain too deep")
	}
	if err := ix.ctx.Err(); err != nil {
		return err
	}
	if w.resolved++; w.resolved&255 == 0 {
		ix.gc.check()
	}
	top := len(w.path) - 1
	// Not the frame: it may be dropped below, and a copy would keep its data.
	entry, h := w.path[top].entry, w.path[top].hash
	lo, hi := ix.refKids(h)
	if entry >= 0 {
		kids := ix.kids[ix.kidStart[entry]:ix.kidStart[entry+1]]
		for j, k := range kids {
			if err := w.resolveChild(k, top, depth, j == len(kids)-1 && lo == hi); err != nil {
				return err
			}
		}
	}
	for k := lo; k < hi; k++ {
		if !ix.claim(k) {
			continue
		}
		if err := w.resolveChild(ix.refDeltas[k].entry, top, depth, false); err != nil {
			return err
		}
	}
	return nil
}

// resolveChild resolves delta entry k on the object at position top of the path, then
// what is built on it. When k is the last delta on that object, the object is let go before
// descending: a chain of deltas, the usual shape, then holds two objects at a time.
func (w *resolver) resolveChild(k int32, top, depth int, last bool) error {
	ix := w.ix
	typ := w.path[top].typ
	base, err := w.baseData(top)
	if err != nil {
		return err
	}
	data, err := w.applyDelta(k, typ, base)
	if err != nil {
		return err
	}
	e := ix.entries.at(k)
	e.typ = typ
	e.hash = w.hasher.of(e.typ, data)
	e.done = true
	ix.known.add(k)
	if e.typ != plumbing.BlobObject {
		var baseTree []byte
		if typ == plumbing.TreeObject {
			baseTree = base
		}
		if err := noteReferences(e.hash, e.typ, data, baseTree, &w.refs, ix.known, &w.dotGit); err != nil {
			return err
		}
	}
	if f := &w.path[top]; last && f.entry >= 0 {
		w.held -= len(f.data)
		w.release(f.data)
		f.data = nil
	}
	if !ix.hasKids(k, e.hash) {
		w.release(data)
		return nil
	}
	w.push(baseFrame{entry: k, hash: e.hash, typ: e.typ, data: data})
	err = w.resolveChildren(depth + 1)
	w.pop()
	return err
}

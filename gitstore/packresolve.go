package gitstore

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"crypto"
	"errors"
	"fmt"
	"hash"
	"hash/maphash"
	"io"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/go-git/go-git/v5/plumbing"
	gghash "github.com/go-git/go-git/v5/plumbing/hash"
)

// Delta resolution of a pushed pack, on every core, as C git's index-pack --threads: each
// whole object some delta is built on starts a tree of deltas (its OFS_DELTA children, its
// REF_DELTA children by id, theirs, and so on) that one worker resolves depth first. The
// trees are independent, so workers take them one at a time from a shared counter.

// idxEntry is one object of a received pack: 40 bytes, so that a push of a million objects
// is indexed in 40 MB plus what the objects in flight take.
type idxEntry struct {
	off    int64
	hash   plumbing.Hash
	crc    uint32
	base   int32 // OFS_DELTA: the entry of its base; -1 otherwise
	hdrLen uint8
	typ    plumbing.ObjectType // as stored; once a delta is resolved, the object's own type
	delta  bool                // stored as a delta
	done   bool                // hash known
}

// entryChunk is how many entries one block of an entryList holds.
const entryChunk = 1 << 14

// entryList holds the entries of a pack in blocks, in pack order: it grows without copying
// what it holds, and never by more than a block, whatever the pack header claims.
type entryList struct {
	blocks [][]idxEntry
	n      int
}

func (l *entryList) len() int { return l.n }

func (l *entryList) at(i int32) *idxEntry { return &l.blocks[i/entryChunk][i%entryChunk] }

func (l *entryList) add(e idxEntry) int32 {
	if l.n%entryChunk == 0 {
		l.blocks = append(l.blocks, make([]idxEntry, 0, entryChunk))
	}
	b := &l.blocks[len(l.blocks)-1]
	*b = append(*b, e)
	l.n++
	return int32(l.n - 1)
}

// find returns the entry starting at off.
func (l *entryList) find(off int64) (int32, bool) {
	lo, hi := 0, l.n
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if l.at(int32(m)).off < off {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < l.n && l.at(int32(lo)).off == off {
		return int32(lo), true
	}
	return 0, false
}

// end returns where entry i ends: at the next entry, or at the trailer of a pack of size
// packSize.
func (l *entryList) end(i int32, packSize int64) int64 {
	if int(i)+1 < l.n {
		return l.at(i + 1).off
	}
	return packSize - 20
}

// refDelta is a REF_DELTA entry and the id of its base.
type refDelta struct {
	base  plumbing.Hash
	entry int32
}

// idTable finds objects by id among n numbered ones (the entries of a pack being indexed, the
// positions of an idx): open addressing over their numbers, 4 bytes a slot, two slots an
// object. Indexing workers add entries as they resolve them, with compare-and-swap, and look
// ids up at the same time. The probe sequence starts from a seeded hash of the id, so ids
// chosen to collide cannot make lookups slow.
type idTable struct {
	slots []int32 // number+1; 0 is empty
	mask  uint64
	seed  maphash.Seed
	id    func(i int32) plumbing.Hash
}

func newIDTable(n int, id func(i int32) plumbing.Hash) *idTable {
	size := 1
	for size < 2*n {
		size <<= 1
	}
	return &idTable{slots: make([]int32, size), mask: uint64(size - 1), seed: maphash.MakeSeed(), id: id}
}

// add records object i, whose id must be known. A second object with the same id is not added.
func (t *idTable) add(i int32) {
	h := t.id(i)
	for s := maphash.Bytes(t.seed, h[:]) & t.mask; ; s = (s + 1) & t.mask {
		cur := atomic.LoadInt32(&t.slots[s])
		if cur == 0 {
			if atomic.CompareAndSwapInt32(&t.slots[s], 0, i+1) {
				return
			}
			cur = atomic.LoadInt32(&t.slots[s])
		}
		if t.id(cur-1) == h {
			return
		}
	}
}

// lookup returns the object with id h.
func (t *idTable) lookup(h plumbing.Hash) (int32, bool) {
	for s := maphash.Bytes(t.seed, h[:]) & t.mask; ; s = (s + 1) & t.mask {
		cur := atomic.LoadInt32(&t.slots[s])
		if cur == 0 {
			return 0, false
		}
		if t.id(cur-1) == h {
			return cur - 1, true
		}
	}
}

// refSet collects the ids objects of the pack refer to that were not known to be in it when
// they were read, for the connectivity check once every id is known. It is compacted (ids
// since found in the pack dropped, the rest sorted and made unique) whenever it doubles.
type refSet struct {
	ids  []plumbing.Hash
	next int // length at which to compact
}

func (s *refSet) add(h plumbing.Hash, known *idTable) {
	s.ids = append(s.ids, h)
	if len(s.ids) >= s.next {
		// Most ids are found once the objects being resolved elsewhere are done: sorting
		// is left for when dropping those is not enough.
		s.filter(known)
		if len(s.ids) > s.next/2 {
			s.compact(nil)
		}
		s.next = max(1<<14, 2*len(s.ids))
	}
}

// filter drops the ids known holds.
func (s *refSet) filter(known *idTable) {
	if known == nil {
		return
	}
	s.ids = slices.DeleteFunc(s.ids, func(h plumbing.Hash) bool {
		_, ok := known.lookup(h)
		return ok
	})
}

// compact drops the ids known holds (when not nil) and duplicates, and sorts the rest.
func (s *refSet) compact(known *idTable) {
	s.filter(known)
	slices.SortFunc(s.ids, func(a, b plumbing.Hash) int { return bytes.Compare(a[:], b[:]) })
	s.ids = slices.Compact(s.ids)
}

// objectHasher computes object ids, reusing one SHA-1 (with collision detection, as git's)
// for every object.
type objectHasher struct {
	h   hash.Hash
	hdr []byte
	sum []byte
	tee io.Writer // when set, also gets the content written
}

func newObjectHasher() *objectHasher {
	return &objectHasher{h: gghash.New(crypto.SHA1), hdr: make([]byte, 0, 32), sum: make([]byte, 0, 20)}
}

// start begins the id of an object of type typ and size bytes, whose content is then
// written to the hasher.
func (o *objectHasher) start(typ plumbing.ObjectType, size int64) {
	o.h.Reset()
	o.hdr = append(o.hdr[:0], typeName(typ)...)
	o.hdr = append(o.hdr, ' ')
	o.hdr = strconv.AppendInt(o.hdr, size, 10)
	o.hdr = append(o.hdr, 0)
	o.h.Write(o.hdr)
}

func (o *objectHasher) Write(p []byte) (int, error) {
	if o.tee != nil {
		o.tee.Write(p)
	}
	return o.h.Write(p)
}

func (o *objectHasher) id() (h plumbing.Hash) {
	o.sum = o.h.Sum(o.sum[:0])
	copy(h[:], o.sum)
	return h
}

// of returns the id of an object held whole.
func (o *objectHasher) of(typ plumbing.ObjectType, data []byte) plumbing.Hash {
	o.start(typ, int64(len(data)))
	o.h.Write(data)
	return o.id()
}

func typeName(t plumbing.ObjectType) string {
	switch t {
	case plumbing.CommitObject:
		return "commit"
	case plumbing.TreeObject:
		return "tree"
	case plumbing.BlobObject:
		return "blob"
	case plumbing.TagObject:
		return "tag"
	}
	return t.String()
}

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

// noteReferences records what object h points at, unless it is known to be in the pack,
// and notes a tree with an entry named like .git. Gitlinks name commits of other
// repositories and are not followed. base, when not nil, is the tree h was made from by a
// delta: its entries have been looked at already, so only those h changes are.
func noteReferences(h plumbing.Hash, typ plumbing.ObjectType, data, base []byte, refs *refSet, known *idTable, dotGit **dotGitError) error {
	note := func(r plumbing.Hash) {
		if known != nil {
			if _, ok := known.lookup(r); ok {
				return
			}
		}
		refs.add(r, known)
	}
	switch typ {
	case plumbing.CommitObject:
		if err := commitRefs(data, note); err != nil {
			return fmt.Errorf("%w: %v", errUnpack, err)
		}
	case plumbing.TreeObject:
		old := treeCursor{data: base}
		err := forEachTreeEntry(data, func(e treeEntry) error {
			if old.has(e) {
				return nil
			}
			if !e.isLink {
				note(e.hash)
			}
			if *dotGit == nil && isDotGit(e.name) {
				*dotGit = &dotGitError{tree: h}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("%w: %v", errUnpack, err)
		}
	case plumbing.TagObject:
		target, _, err := parseTag(data)
		if err != nil {
			return fmt.Errorf("%w: %v", errUnpack, err)
		}
		note(target)
	}
	return nil
}

// treeCursor walks a tree's entries in step with those of another tree, both in git's
// order, to tell which entries the other has unchanged. Entries out of order are merely
// not found.
type treeCursor struct {
	data    []byte
	cur     treeEntry
	started bool
	ok      bool // cur is an entry
}

func (c *treeCursor) next() {
	c.ok = false
	sp := bytes.IndexByte(c.data, ' ')
	if sp <= 0 {
		return
	}
	nul := bytes.IndexByte(c.data[sp:], 0)
	if nul < 0 || len(c.data) < sp+nul+21 {
		return
	}
	n := sp + nul + 21
	raw := c.data[:n]
	c.data = c.data[n:]
	mode := raw[:sp]
	c.cur = treeEntry{name: raw[sp+1 : sp+nul], isTree: bytes.Equal(mode, []byte("40000")),
		isLink: bytes.Equal(mode, []byte("160000"))}
	copy(c.cur.hash[:], raw[sp+nul+1:])
	c.ok = true
}

// has reports whether the tree holds e: the same name and id, a gitlink or not.
func (c *treeCursor) has(e treeEntry) bool {
	if !c.started {
		c.started = true
		c.next()
	}
	for c.ok && compareTreeNames(c.cur, e) < 0 {
		c.next()
	}
	return c.ok && c.cur.hash == e.hash && c.cur.isLink == e.isLink && bytes.Equal(c.cur.name, e.name)
}

// compareTreeNames orders entries as git sorts a tree: a tree's name as if it ended in "/".
func compareTreeNames(a, b treeEntry) int {
	n := min(len(a.name), len(b.name))
	if c := bytes.Compare(a.name[:n], b.name[:n]); c != 0 {
		return c
	}
	ca, cb := nameEnd(a, n), nameEnd(b, n)
	return int(ca) - int(cb)
}

func nameEnd(e treeEntry, n int) byte {
	if n < len(e.name) {
		return e.name[n]
	}
	if e.isTree {
		return '/'
	}
	return 0
}

// commitRefs calls fn with the tree and the parents a commit object names. It reads only
// those header lines and allocates nothing: a push holds as many commits as it holds.
func commitRefs(data []byte, fn func(plumbing.Hash)) error {
	var h plumbing.Hash
	tree := false
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			i = len(data)
		}
		if i == 0 {
			break // the end of the header
		}
		line := data[:i]
		data = data[min(i+1, len(data)):]
		var ok bool
		switch {
		case bytes.HasPrefix(line, []byte("tree ")):
			ok, tree = parseHex(line[5:], &h), true
		case bytes.HasPrefix(line, []byte("parent ")):
			ok = parseHex(line[7:], &h)
		default:
			continue
		}
		if !ok {
			return fmt.Errorf("%w: commit has a bad %s line", errCorrupt, bytes.Fields(line)[0])
		}
		fn(h)
	}
	if !tree {
		return fmt.Errorf("%w: commit has no tree", errCorrupt)
	}
	return nil
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
	for _, t := range []plumbing.ObjectType{plumbing.BlobObject, plumbing.TreeObject, plumbing.CommitObject, plumbing.TagObject} {
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

// external returns, sorted and once each, the objects the pack refers to and does not hold.
func (ix *packIndexer) external() []plumbing.Hash {
	all := refSet{ids: ix.scanRefs.ids}
	for _, w := range ix.workers {
		all.ids = append(all.ids, w.refs.ids...)
		w.refs = refSet{}
	}
	ix.scanRefs = refSet{}
	all.compact(ix.known)
	return slices.Clip(all.ids)
}

// firstDotGit returns a tree with an entry git takes for .git, if any.
func (ix *packIndexer) firstDotGit() *dotGitError {
	if ix.dotGit != nil {
		return ix.dotGit
	}
	for _, w := range ix.workers {
		if w.dotGit != nil {
			return w.dotGit
		}
	}
	return nil
}

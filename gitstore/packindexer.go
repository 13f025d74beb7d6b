package gitstore

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"context"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/idxfile"
)

// packStream reads a pack from the request body one entry at a time, copying every byte it
// consumes to the quarantine file and to the pack checksum, and keeping a CRC per entry. It
// is its own buffered reader with ReadByte, so zlib reads exactly up to the end of each
// entry and the copies are made in chunks, not per byte.
type packStream struct {
	src     io.Reader
	buf     []byte
	r, w    int   // unread data is buf[r:w]
	synced  int   // buf[:synced] has gone to sink and crc
	base    int64 // stream offset of buf[0]
	sink    io.Writer
	crc     uint32
	srcErr  error
	maxSize int64
}

func newPackStream(src io.Reader, sink io.Writer, maxSize int64) *packStream {
	return &packStream{src: src, buf: make([]byte, 128<<10), sink: sink, maxSize: maxSize}
}

// sync hands what was consumed since the last sync to the sink and the CRC.
func (s *packStream) sync() error {
	if s.r > s.synced {
		chunk := s.buf[s.synced:s.r]
		s.crc = crc32.Update(s.crc, crc32.IEEETable, chunk)
		if _, err := s.sink.Write(chunk); err != nil {
			return fmt.Errorf("write quarantined pack: %w", err)
		}
		s.synced = s.r
	}
	return nil
}

func (s *packStream) fill() error {
	if s.srcErr != nil {
		return s.srcErr
	}
	if err := s.sync(); err != nil {
		s.srcErr = err
		return err
	}
	n := copy(s.buf, s.buf[s.r:s.w])
	s.base += int64(s.r)
	s.r, s.w, s.synced = 0, n, 0
	if s.maxSize > 0 && s.base > s.maxSize {
		s.srcErr = errPackTooLarge
		return s.srcErr
	}
	m, err := s.src.Read(s.buf[s.w:])
	s.w += m
	if m == 0 && err == nil {
		return nil
	}
	if err == io.EOF && m > 0 {
		err = nil
	}
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		s.srcErr = err
		return err
	}
	return nil
}

func (s *packStream) ReadByte() (byte, error) {
	for s.r == s.w {
		if err := s.fill(); err != nil {
			return 0, err
		}
	}
	b := s.buf[s.r]
	s.r++
	return b, nil
}

func (s *packStream) Read(p []byte) (int, error) {
	for s.r == s.w {
		if err := s.fill(); err != nil {
			return 0, err
		}
	}
	n := copy(p, s.buf[s.r:s.w])
	s.r += n
	return n, nil
}

func (s *packStream) offset() int64 { return s.base + int64(s.r) }

// startEntry syncs and resets the CRC, so it covers exactly the next entry.
func (s *packStream) startEntry() error {
	err := s.sync()
	s.crc = 0
	return err
}

// idxEntry is one object of a received pack.
type idxEntry struct {
	off     int64
	hdrLen  int
	typ     plumbing.ObjectType // stored type; the object's own type once resolved
	size    int64
	baseOff int64
	baseRef plumbing.Hash
	crc     uint32
	hash    plumbing.Hash
	delta   bool // stored as a delta
	done    bool // hash known
}

// receivedPack is a pushed pack, indexed in quarantine and ready to be published.
type receivedPack struct {
	dir       string // quarantine directory, removed by cleanup
	packPath  string
	idxPath   string
	checksum  plumbing.Hash
	count     int
	deltas    int
	thinBases int
	// referenced lists objects the pack's commits, trees and tags point at, for the
	// connectivity check.
	referenced map[plumbing.Hash]struct{}
	pack       *packFile
}

func (rp *receivedPack) cleanup() {
	if rp.pack != nil {
		rp.pack.close()
	}
	os.RemoveAll(rp.dir)
}

// errUnpack marks a pack the client sent that cannot be taken: it becomes "unpack <reason>".
var errUnpack = errors.New("unpack failed")

// errPackTooLarge reports a pack over ReceivePackOptions.MaxPackSize, in C git's words for
// receive.maxInputSize.
var errPackTooLarge = errors.New("pack exceeds maximum allowed size")

// Commits, trees and tags are held whole while the indexer reads what they refer to, and
// delta bases and results while deltas are applied; zlib turns a megabyte into a gigabyte
// of zeros, so without a bound a small push could claim any amount of memory. C git's
// index-pack has none; these are far above real objects. A tree entry takes 28 bytes and
// its name: 100 MiB holds a million entries with names of 70 bytes. A commit or tag is a
// few hundred bytes of headers, a signature of a few kilobytes and the message: 10 MiB
// leaves room for a message of ten million characters, or for 200,000 parents.
const (
	maxTreeSize   = 100 << 20
	maxCommitSize = 10 << 20 // also for tags
)

// maxInflatedSize is the largest object of type typ a push may hold. Blobs are hashed as
// they stream unless a delta is built on them or is one; then up to maxObjectSize.
func maxInflatedSize(typ plumbing.ObjectType) int64 {
	switch typ {
	case plumbing.TreeObject:
		return maxTreeSize
	case plumbing.CommitObject, plumbing.TagObject:
		return maxCommitSize
	}
	return maxObjectSize
}

// objectTooLargeError reports an object of a push over maxInflatedSize, found from its
// entry's header or, for a delta, from the result size the delta declares.
type objectTooLargeError struct {
	typ  plumbing.ObjectType
	size uint64
	off  int64 // of the entry
}

func (e *objectTooLargeError) Error() string {
	return fmt.Sprintf("object too large: %s of %d bytes at offset %d (at most %s)",
		e.typ, e.size, e.off, byteSize(maxInflatedSize(e.typ)))
}

// byteSize writes n in the largest binary unit that divides it ("2 GiB", "1500 KiB").
func byteSize(n int64) string {
	for _, u := range []struct {
		shift uint
		name  string
	}{{30, "GiB"}, {20, "MiB"}, {10, "KiB"}} {
		if n >= 1<<u.shift && n&(1<<u.shift-1) == 0 {
			return fmt.Sprintf("%d %s", n>>u.shift, u.name)
		}
	}
	return fmt.Sprintf("%d bytes", n)
}

// packIndexer turns a pushed pack into a self-contained pack and idx in quarantine, with
// memory bounded by the objects in flight, never the pack: entries stream to disk while
// non-delta objects are hashed, then deltas are resolved base by base from the file.
type packIndexer struct {
	ctx     context.Context
	db      *objectDB // the repository, for thin-pack bases
	rp      *receivedPack
	entries []idxEntry
	byOff   map[int64]int32
	ofsKids map[int64][]int32
	refKids map[plumbing.Hash][]int32
	zr      io.ReadCloser
	deltas  *deltaStream    // the delta being applied
	path    []*baseFrame    // the objects whose deltas are being resolved, outermost first
	held    int             // bytes of their data held
	reader  *objectDB       // reads the quarantined pack itself
	thin    []plumbing.Hash // bases taken from the repository
	dotGit  *dotGitError    // the first tree with an entry git takes for .git
}

// dotGitError reports a pushed tree with an entry git takes for ".git" (see isDotGit), in
// the words of C git's fsck, which receive.fsckObjects runs on pushes. Such a tree would
// make every clone fail.
type dotGitError struct{ tree plumbing.Hash }

func (e *dotGitError) Error() string {
	return fmt.Sprintf("object %s: hasDotgit: contains '.git'", e.tree)
}

// indexPack reads a pack from r into a new directory under tmpRoot and indexes it. Thin
// bases come from db. Errors the client caused wrap errUnpack.
func indexPack(ctx context.Context, r io.Reader, tmpRoot string, db *objectDB, maxSize int64) (*receivedPack, error) {
	dir, err := os.MkdirTemp(tmpRoot, "push-")
	if err != nil {
		return nil, fmt.Errorf("make quarantine: %w", err)
	}
	rp := &receivedPack{dir: dir, packPath: filepath.Join(dir, "incoming.pack"), referenced: map[plumbing.Hash]struct{}{}}
	ix := &packIndexer{ctx: ctx, db: db, rp: rp, byOff: map[int64]int32{},
		ofsKids: map[int64][]int32{}, refKids: map[plumbing.Hash][]int32{}}
	if err := ix.run(r, maxSize); err != nil {
		rp.cleanup()
		return nil, err
	}
	return rp, nil
}

func unpackErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errUnpack}, args...)...)
}

func (ix *packIndexer) run(r io.Reader, maxSize int64) error {
	f, err := os.OpenFile(ix.rp.packPath, os.O_CREATE|os.O_EXCL|os.O_RDWR, 0o444)
	if err != nil {
		return fmt.Errorf("create quarantined pack: %w", err)
	}
	defer f.Close()
	sum := sha1.New()
	// Entries are handed on one by one; the buffer turns them into large writes.
	bw := bufio.NewWriterSize(f, 256<<10)
	st := newPackStream(r, io.MultiWriter(bw, sum), maxSize)
	if err := ix.scan(st, sum); err != nil {
		if errors.Is(st.srcErr, errPackTooLarge) {
			return fmt.Errorf("%w: %w (%s)", errUnpack, errPackTooLarge, byteSize(maxSize))
		}
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write quarantined pack: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync quarantined pack: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("stat quarantined pack: %w", err)
	}
	ix.rp.pack = &packFile{path: ix.rp.packPath, size: fi.Size(), f: nil}
	ix.reader = &objectDB{packs: []*packFile{ix.rp.pack}, cache: newDeltaCache(16 << 20)}
	if err := ix.resolve(); err != nil {
		return err
	}
	// Checked once every tree is known, so that the whole pack has been read and the
	// client, done sending, reads the report.
	if ix.dotGit != nil {
		return fmt.Errorf("%w: %w", errUnpack, ix.dotGit)
	}
	if ix.rp.thinBases > 0 {
		if err := ix.completeThin(f); err != nil {
			return err
		}
	}
	return ix.writeIndex()
}

// scan is the streaming pass: every entry's header, CRC and span; the ids of non-delta
// objects, hashed as they inflate; the references of commits, trees and tags.
func (ix *packIndexer) scan(st *packStream, sum hash.Hash) error {
	var head [12]byte
	if _, err := io.ReadFull(st, head[:]); err != nil {
		return unpackErr("pack header: %v", err)
	}
	if string(head[:4]) != "PACK" || binary.BigEndian.Uint32(head[4:]) != 2 {
		return unpackErr("not a version 2 pack")
	}
	count := binary.BigEndian.Uint32(head[8:])
	ix.entries = make([]idxEntry, 0, min(count, 1<<16))
	var hb [64]byte
	for i := uint32(0); i < count; i++ {
		if i&255 == 0 && ix.ctx.Err() != nil {
			return ix.ctx.Err()
		}
		if err := st.startEntry(); err != nil {
			return err
		}
		e := idxEntry{off: st.offset()}
		n := 0
		for {
			c, err := st.ReadByte()
			if err != nil {
				return unpackErr("entry %d: %v", i, err)
			}
			hb[n] = c
			n++
			if c&0x80 == 0 || n == 10 {
				break
			}
		}
		typ := plumbing.ObjectType(hb[0] >> 4 & 7)
		extra := 0
		switch typ {
		case plumbing.OFSDeltaObject:
			for {
				c, err := st.ReadByte()
				if err != nil {
					return unpackErr("entry %d: %v", i, err)
				}
				hb[n] = c
				n++
				if c&0x80 == 0 || n == len(hb) {
					break
				}
			}
		case plumbing.REFDeltaObject:
			extra = 20
		}
		if extra > 0 {
			if _, err := io.ReadFull(st, hb[n:n+extra]); err != nil {
				return unpackErr("entry %d: %v", i, err)
			}
			n += extra
		}
		h, err := parseEntryHeader(hb[:n], e.off)
		if err != nil {
			return fmt.Errorf("%w: %v", errUnpack, err)
		}
		e.typ, e.size, e.hdrLen, e.baseOff, e.baseRef = h.typ, h.size, h.hdrLen, h.baseOff, h.baseRef
		switch e.typ {
		case plumbing.CommitObject, plumbing.TreeObject, plumbing.TagObject:
			if e.size > maxInflatedSize(e.typ) {
				return fmt.Errorf("%w: %w", errUnpack, &objectTooLargeError{typ: e.typ, size: uint64(e.size), off: e.off})
			}
		}
		if err := ix.inflateEntry(st, &e); err != nil {
			return err
		}
		if err := st.sync(); err != nil {
			return err
		}
		e.crc = st.crc
		idx := int32(len(ix.entries))
		ix.byOff[e.off] = idx
		switch e.typ {
		case plumbing.OFSDeltaObject:
			ix.ofsKids[e.baseOff] = append(ix.ofsKids[e.baseOff], idx)
			ix.rp.deltas++
			e.delta = true
		case plumbing.REFDeltaObject:
			ix.refKids[e.baseRef] = append(ix.refKids[e.baseRef], idx)
			ix.rp.deltas++
			e.delta = true
		}
		ix.entries = append(ix.entries, e)
	}
	if err := st.sync(); err != nil {
		return err
	}
	want := sum.Sum(nil)
	var trailer [20]byte
	if _, err := io.ReadFull(st, trailer[:]); err != nil {
		return unpackErr("pack trailer: %v", err)
	}
	if err := st.sync(); err != nil {
		return err
	}
	if !bytes.Equal(want, trailer[:]) {
		return unpackErr("pack checksum mismatch")
	}
	copy(ix.rp.checksum[:], trailer[:])
	ix.rp.count = len(ix.entries)
	return nil
}

// inflateEntry consumes one entry's zlib stream. Non-delta objects are hashed on the fly;
// only commits, trees and tags are held, to read what they reference.
func (ix *packIndexer) inflateEntry(st *packStream, e *idxEntry) error {
	if ix.zr == nil {
		zr, err := zlib.NewReader(st)
		if err != nil {
			return unpackErr("entry at %d: %v", e.off, err)
		}
		ix.zr = zr
	} else if err := ix.zr.(zlib.Resetter).Reset(st, nil); err != nil {
		return unpackErr("entry at %d: %v", e.off, err)
	}
	var sink io.Writer = io.Discard
	var hasher plumbing.Hasher
	var content *bytes.Buffer
	isDelta := e.typ == plumbing.OFSDeltaObject || e.typ == plumbing.REFDeltaObject
	if !isDelta {
		hasher = plumbing.NewHasher(e.typ, e.size)
		sink = hasher
		if e.typ != plumbing.BlobObject {
			content = bytes.NewBuffer(make([]byte, 0, min(e.size, 1<<20)))
			sink = io.MultiWriter(hasher, content)
		}
	}
	n, err := io.Copy(sink, io.LimitReader(ix.zr, e.size))
	if err != nil {
		return unpackErr("inflate entry at %d: %v", e.off, err)
	}
	if n != e.size {
		return unpackErr("entry at %d is %d bytes, header says %d", e.off, n, e.size)
	}
	// Reading to the end checks the zlib trailer and consumes exactly the entry.
	var one [1]byte
	if m, err := ix.zr.Read(one[:]); m != 0 || err != io.EOF {
		return unpackErr("entry at %d is longer than its header says", e.off)
	}
	if !isDelta {
		e.hash = hasher.Sum()
		e.done = true
		if content != nil {
			if err := ix.noteReferences(e.hash, e.typ, content.Bytes()); err != nil {
				return err
			}
		}
	}
	return nil
}

// noteReferences records what object h points at, and notes a tree with an entry named
// like .git. Gitlinks name commits of other repositories and are not followed.
func (ix *packIndexer) noteReferences(h plumbing.Hash, typ plumbing.ObjectType, data []byte) error {
	ref := ix.rp.referenced
	switch typ {
	case plumbing.CommitObject:
		c, err := parseCommit(plumbing.ZeroHash, data)
		if err != nil {
			return fmt.Errorf("%w: %v", errUnpack, err)
		}
		ref[c.tree] = struct{}{}
		for _, p := range c.parents {
			ref[p] = struct{}{}
		}
	case plumbing.TreeObject:
		err := forEachTreeEntry(data, func(e treeEntry) error {
			if !e.isLink {
				ref[e.hash] = struct{}{}
			}
			if ix.dotGit == nil && isDotGit(e.name) {
				ix.dotGit = &dotGitError{tree: h}
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
		ref[target] = struct{}{}
	}
	return nil
}

// resolve computes the ids of delta entries, depth first from each base, so that only one
// chain of objects is in memory at a time, and of that no more than maxHeldBases beside the
// last two links; every base is inflated once unless the chain outgrows that.
func (ix *packIndexer) resolve() error {
	for i := range ix.entries {
		e := &ix.entries[i]
		if e.delta || !ix.hasPendingKids(e.off, e.hash) {
			continue
		}
		typ, data, err := ix.reader.readPacked(0, e.off, 0)
		if err != nil {
			return fmt.Errorf("%w: %v", errUnpack, err)
		}
		if err := ix.resolveFrom(&baseFrame{entry: int32(i), hash: e.hash, typ: typ, data: data}); err != nil {
			return err
		}
	}
	// What is left are deltas against objects the client assumed we have: a thin pack.
	for base, kids := range ix.refKids {
		if ix.entries[kids[0]].done {
			continue
		}
		if !ix.db.has(base) {
			continue
		}
		typ, data, err := ix.db.read(base)
		if err != nil {
			return fmt.Errorf("read thin-pack base %s: %w", base, err)
		}
		ix.rp.thinBases++
		ix.thin = append(ix.thin, base)
		if err := ix.resolveFrom(&baseFrame{entry: -1, hash: base, typ: typ, data: data}); err != nil {
			return err
		}
	}
	for i := range ix.entries {
		if !ix.entries[i].done {
			e := ix.entries[i]
			if e.typ == plumbing.REFDeltaObject {
				return unpackErr("delta base %s is missing", e.baseRef)
			}
			return unpackErr("unresolved delta at offset %d", e.off)
		}
	}
	return nil
}

func (ix *packIndexer) hasPendingKids(off int64, h plumbing.Hash) bool {
	for _, k := range ix.ofsKids[off] {
		if !ix.entries[k].done {
			return true
		}
	}
	for _, k := range ix.refKids[h] {
		if !ix.entries[k].done {
			return true
		}
	}
	return false
}

// maxHeldBases bounds the bytes of delta bases held while deltas are resolved, as
// core.deltaBaseCacheLimit (96 MiB by default, per thread) bounds C git index-pack's base
// cache. Resolution goes depth first, and every object on the path from a whole object
// down to the delta being applied is the base of a delta still to come at its level: a
// chain of small deltas each copying a large base would otherwise hold the base's size
// times the chain's length, whatever the limit on one object. Past the budget the
// outermost bases are dropped, to be rebuilt from the pack if they are needed again.
const maxHeldBases = 96 << 20

// baseFrame is an object on the resolution path.
type baseFrame struct {
	entry int32 // its entry, or -1 for a thin-pack base from the repository
	hash  plumbing.Hash
	typ   plumbing.ObjectType
	data  []byte // nil once dropped
}

// resolveFrom resolves the deltas built on the whole object f, and on those, and so on.
func (ix *packIndexer) resolveFrom(f *baseFrame) error {
	ix.push(f)
	defer ix.pop()
	return ix.resolveChildren(0)
}

func (ix *packIndexer) push(f *baseFrame) {
	ix.path = append(ix.path, f)
	ix.held += len(f.data)
	ix.trim()
}

func (ix *packIndexer) pop() {
	last := len(ix.path) - 1
	ix.held -= len(ix.path[last].data)
	ix.path[last] = nil // the slice's array must not keep the object
	ix.path = ix.path[:last]
}

// trim drops the outermost bases while more than maxHeldBases are held, sparing the last
// two: the base whose deltas are being resolved and the one just made from it.
func (ix *packIndexer) trim() {
	for i := 0; ix.held > maxHeldBases && i < len(ix.path)-2; i++ {
		if f := ix.path[i]; f.data != nil {
			ix.held -= len(f.data)
			f.data = nil
		}
	}
}

// baseData returns the object at position i of the path. One that was dropped is made
// again, as are those before it back to the nearest still held, or to the whole object
// the path starts at; they are kept while the budget allows, for the next ones.
func (ix *packIndexer) baseData(i int) ([]byte, error) {
	f := ix.path[i]
	if f.data != nil {
		return f.data, nil
	}
	var data []byte
	var err error
	switch {
	case i > 0:
		var base []byte
		if base, err = ix.baseData(i - 1); err == nil {
			data, err = ix.applyDelta(&ix.entries[f.entry], f.typ, base)
		}
	case f.entry < 0:
		if _, data, err = ix.db.read(f.hash); err != nil {
			err = fmt.Errorf("read thin-pack base %s: %w", f.hash, err)
		}
	default:
		if _, data, err = ix.reader.readPacked(0, ix.entries[f.entry].off, 0); err != nil {
			err = fmt.Errorf("%w: %v", errUnpack, err)
		}
	}
	if err != nil {
		return nil, err
	}
	f.data = data
	ix.held += len(data)
	ix.trim()
	return data, nil
}

// resolveChildren resolves the deltas built on the last object of the path, depth first.
func (ix *packIndexer) resolveChildren(depth int) error {
	if depth > maxDeltaDepth {
		return unpackErr("delta chain too deep")
	}
	if ix.ctx.Err() != nil {
		return ix.ctx.Err()
	}
	top := len(ix.path) - 1
	f := ix.path[top]
	var kids []int32
	if f.entry >= 0 {
		kids = append(kids, ix.ofsKids[ix.entries[f.entry].off]...)
	}
	kids = append(kids, ix.refKids[f.hash]...)
	for _, k := range kids {
		e := &ix.entries[k]
		if e.done {
			continue
		}
		base, err := ix.baseData(top)
		if err != nil {
			return err
		}
		data, err := ix.applyDelta(e, f.typ, base)
		if err != nil {
			return err
		}
		e.typ = f.typ
		e.hash = plumbing.ComputeHash(e.typ, data)
		e.done = true
		if e.typ != plumbing.BlobObject {
			if err := ix.noteReferences(e.hash, e.typ, data); err != nil {
				return err
			}
		}
		if !ix.hasPendingKids(e.off, e.hash) {
			continue
		}
		ix.push(&baseFrame{entry: k, hash: e.hash, typ: e.typ, data: data})
		err = ix.resolveChildren(depth + 1)
		ix.pop()
		if err != nil {
			return err
		}
	}
	return nil
}

// applyDelta rebuilds delta entry e on base, of type typ. The delta is applied as it
// inflates, never held whole, and the result is allocated once its declared size is known
// to be within the limit for typ.
func (ix *packIndexer) applyDelta(e *idxEntry, typ plumbing.ObjectType, base []byte) ([]byte, error) {
	sec, err := ix.rp.pack.section(e.off + int64(e.hdrLen))
	if err != nil {
		return nil, err
	}
	if ix.zr == nil {
		ix.zr, err = zlib.NewReader(sec)
	} else {
		err = ix.zr.(zlib.Resetter).Reset(sec, nil)
	}
	if err != nil {
		return nil, unpackErr("delta at offset %d: %v", e.off, err)
	}
	if ix.deltas == nil {
		ix.deltas = newDeltaStream(64 << 10)
	}
	ix.deltas.reset(ix.zr)
	delta, err := ix.deltas.more(nil)
	if err != nil {
		return nil, unpackErr("delta at offset %d: %v", e.off, err)
	}
	srcSize, delta, ok1 := deltaVarint(delta)
	dstSize, delta, ok2 := deltaVarint(delta)
	if !ok1 || !ok2 || srcSize != uint64(len(base)) {
		return nil, unpackErr("delta at offset %d: %v", e.off, errBadDelta)
	}
	if dstSize > uint64(maxInflatedSize(typ)) {
		return nil, fmt.Errorf("%w: %w", errUnpack, &objectTooLargeError{typ: typ, size: dstSize, off: e.off})
	}
	data, err := applyDelta(base, dstSize, delta, ix.deltas)
	if err != nil {
		return nil, unpackErr("delta at offset %d: %v", e.off, err)
	}
	return data, nil
}

// completeThin appends the thin-pack bases as whole objects, so the stored pack is
// self-contained (go-git, like C git, resolves a REF_DELTA only within its pack), then
// rewrites the object count and the trailing checksum.
func (ix *packIndexer) completeThin(f *os.File) error {
	// The reader's mapping covers the old size; it is made again when next needed.
	ix.rp.pack.close()
	end := ix.rp.pack.size - 20
	if err := f.Truncate(end); err != nil {
		return fmt.Errorf("complete thin pack: %w", err)
	}
	if _, err := f.Seek(end, io.SeekStart); err != nil {
		return fmt.Errorf("complete thin pack: %w", err)
	}
	off := end
	var hdr []byte
	for _, base := range ix.thin {
		typ, data, err := ix.db.read(base)
		if err != nil {
			return fmt.Errorf("read thin-pack base %s: %w", base, err)
		}
		var buf bytes.Buffer
		buf.Write(appendEntryHeader(hdr[:0], typ, int64(len(data))))
		zw := zlib.NewWriter(&buf)
		zw.Write(data)
		if err := zw.Close(); err != nil {
			return fmt.Errorf("complete thin pack: %w", err)
		}
		if _, err := f.Write(buf.Bytes()); err != nil {
			return fmt.Errorf("complete thin pack: %w", err)
		}
		ix.entries = append(ix.entries, idxEntry{off: off, typ: typ, hash: base, done: true,
			crc: crc32.ChecksumIEEE(buf.Bytes())})
		off += int64(buf.Len())
	}
	var count [4]byte
	binary.BigEndian.PutUint32(count[:], uint32(len(ix.entries)))
	if _, err := f.WriteAt(count[:], 8); err != nil {
		return fmt.Errorf("complete thin pack: %w", err)
	}
	sum := sha1.New()
	if _, err := io.Copy(sum, io.NewSectionReader(f, 0, off)); err != nil {
		return fmt.Errorf("complete thin pack: %w", err)
	}
	checksum := sum.Sum(nil)
	if _, err := f.WriteAt(checksum, off); err != nil {
		return fmt.Errorf("complete thin pack: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("complete thin pack: %w", err)
	}
	copy(ix.rp.checksum[:], checksum)
	ix.rp.count = len(ix.entries)
	ix.rp.pack.size = off + 20
	return nil
}

// writeIndex writes the idx beside the quarantined pack and loads it for lookups.
func (ix *packIndexer) writeIndex() error {
	w := new(idxfile.Writer)
	for _, e := range ix.entries {
		w.Add(e.hash, uint64(e.off), e.crc)
	}
	if err := w.OnFooter(ix.rp.checksum); err != nil {
		return fmt.Errorf("build pack index: %w", err)
	}
	idx, err := w.Index()
	if err != nil {
		return fmt.Errorf("build pack index: %w", err)
	}
	var buf bytes.Buffer
	if _, err := idxfile.NewEncoder(&buf).Encode(idx); err != nil {
		return fmt.Errorf("encode pack index: %w", err)
	}
	ix.rp.idxPath = filepath.Join(ix.rp.dir, "incoming.idx")
	if err := writeSynced(ix.rp.idxPath, buf.Bytes()); err != nil {
		return err
	}
	parsed, err := parseIndex(buf.Bytes())
	if err != nil {
		return fmt.Errorf("read back pack index: %w", err)
	}
	ix.rp.pack.idx = parsed
	return nil
}

func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o444)
	if err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync %s: %w", filepath.Base(path), err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	return nil
}

// publish moves the pack into the repository: the idx first, the pack last, because go-git
// lists packs by their .pack file and fails on one without an idx (C git lists by .idx and
// skips one whose pack is missing). The name is the pack's checksum, as git names packs.
func (rp *receivedPack) publish(objectsDir string) error {
	dir := filepath.Join(objectsDir, "pack")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("publish pack: %w", err)
	}
	base := filepath.Join(dir, "pack-"+rp.checksum.String())
	if _, err := os.Stat(base + ".pack"); err == nil {
		return nil // the same pack was pushed before
	}
	if err := os.Rename(rp.idxPath, base+".idx"); err != nil {
		return fmt.Errorf("publish pack index: %w", err)
	}
	rp.pack.close()
	if err := os.Rename(rp.packPath, base+".pack"); err != nil {
		os.Remove(base + ".idx")
		return fmt.Errorf("publish pack: %w", err)
	}
	return nil
}

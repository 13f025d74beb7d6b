package gitstore

import (
	"bufio"
	"bytes"
	"cmp"
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
	"slices"

	"github.com/go-git/go-git/v5/plumbing"
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

// receivedPack is a pushed pack, indexed in quarantine and ready to be published.
type receivedPack struct {
	dir       string // quarantine directory, removed by cleanup
	packPath  string
	idxPath   string
	checksum  plumbing.Hash
	count     int
	deltas    int
	thinBases int
	// external lists, sorted, the objects the pack's commits, trees and tags point at and
	// the pack does not hold: the repository must have them (the connectivity check).
	external []plumbing.Hash
	pack     *packFile
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
// memory bounded by the objects in flight and 60-odd bytes an object, never the pack:
// entries stream to disk while non-delta objects are hashed (one pass over the body, as it
// arrives), then deltas are resolved base by base from the file on every core.
type packIndexer struct {
	ctx       context.Context
	db        *objectDB // the repository, for thin-pack bases
	rp        *receivedPack
	file      *os.File // the quarantined pack
	entries   entryList
	refDeltas []refDelta // sorted by base once the pack is read
	kidStart  []int32    // OFS_DELTA children of entry i: kids[kidStart[i]:kidStart[i+1]]
	kids      []int32
	// refClaimed marks the REF_DELTAs a worker has taken, by position in refDeltas.
	refClaimed []uint32
	known      *idTable // entries by id, as ids become known
	zr         io.ReadCloser
	hasher     *objectHasher
	copyBuf    []byte
	limited    io.LimitedReader
	content    bytes.Buffer // a commit, tree or tag being read
	scanRefs   refSet       // references read before resolution
	workers    []*resolver
	gc         gcBudget
	thin       []plumbing.Hash // bases taken from the repository
	dotGit     *dotGitError    // a tree with an entry git takes for .git, found while reading
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
	rp := &receivedPack{dir: dir, packPath: filepath.Join(dir, "incoming.pack")}
	ix := &packIndexer{
		ctx:     ctx,
		db:      db,
		rp:      rp,
		hasher:  newObjectHasher(),
		copyBuf: make([]byte, 32<<10),
		gc:      gcBudget{least: pushGarbage},
	}
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
	ix.file = f
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
	ix.known = newIDTable(ix.entries.len(), func(i int32) plumbing.Hash { return ix.entries.at(i).hash })
	for i := int32(0); i < int32(ix.entries.len()); i++ {
		if ix.entries.at(i).done {
			ix.known.add(i)
		}
	}
	ix.scanRefs.compact(ix.known)
	if err := ix.resolve(); err != nil {
		return err
	}
	// Checked once every tree is known, so that the whole pack has been read and the
	// client, done sending, reads the report.
	if dg := ix.firstDotGit(); dg != nil {
		return fmt.Errorf("%w: %w", errUnpack, dg)
	}
	ix.rp.external = ix.external()
	ix.known, ix.kids, ix.kidStart, ix.refDeltas, ix.refClaimed, ix.workers = nil, nil, nil, nil, nil, nil
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
	var hb [64]byte
	for i := uint32(0); i < count; i++ {
		if i&255 == 0 {
			if ix.ctx.Err() != nil {
				return ix.ctx.Err()
			}
			ix.gc.check()
		}
		if err := st.startEntry(); err != nil {
			return err
		}
		off := st.offset()
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
		h, err := parseEntryHeader(hb[:n], off)
		if err != nil {
			return fmt.Errorf("%w: %v", errUnpack, err)
		}
		e := idxEntry{off: off, typ: h.typ, hdrLen: uint8(h.hdrLen), base: -1}
		switch e.typ {
		case plumbing.CommitObject, plumbing.TreeObject, plumbing.TagObject:
			if h.size > maxInflatedSize(e.typ) {
				return fmt.Errorf("%w: %w", errUnpack, &objectTooLargeError{typ: e.typ, size: uint64(h.size), off: off})
			}
		case plumbing.OFSDeltaObject:
			b, ok := ix.entries.find(h.baseOff)
			if !ok {
				return unpackErr("unresolved delta at offset %d", off)
			}
			e.base, e.delta = b, true
			ix.rp.deltas++
		case plumbing.REFDeltaObject:
			e.delta = true
			ix.rp.deltas++
		}
		if err := ix.inflateEntry(st, &e, h.size); err != nil {
			return err
		}
		if err := st.sync(); err != nil {
			return err
		}
		e.crc = st.crc
		k := ix.entries.add(e)
		if e.typ == plumbing.REFDeltaObject {
			ix.refDeltas = append(ix.refDeltas, refDelta{base: h.baseRef, entry: k})
		}
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
	ix.rp.count = ix.entries.len()
	return nil
}

// inflateEntry consumes one entry's zlib stream of size bytes. Non-delta objects are hashed
// on the fly; only commits, trees and tags are held, to read what they reference.
func (ix *packIndexer) inflateEntry(st *packStream, e *idxEntry, size int64) error {
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
	if !e.delta {
		ix.hasher.start(e.typ, size)
		sink = ix.hasher
		if e.typ != plumbing.BlobObject {
			ix.content.Reset()
			ix.hasher.tee = &ix.content
		}
	}
	// Fields of ix, not new values: a push of a million objects makes no garbage here.
	ix.limited = io.LimitedReader{R: ix.zr, N: size}
	n, err := io.CopyBuffer(sink, &ix.limited, ix.copyBuf)
	ix.hasher.tee = nil
	if err != nil {
		return unpackErr("inflate entry at %d: %v", e.off, err)
	}
	if n != size {
		return unpackErr("entry at %d is %d bytes, header says %d", e.off, n, size)
	}
	// Reading to the end checks the zlib trailer and consumes exactly the entry.
	var one [1]byte
	if m, err := ix.zr.Read(one[:]); m != 0 || err != io.EOF {
		return unpackErr("entry at %d is longer than its header says", e.off)
	}
	if !e.delta {
		e.hash = ix.hasher.id()
		e.done = true
		if e.typ != plumbing.BlobObject {
			if err := noteReferences(e.hash, e.typ, ix.content.Bytes(), nil, &ix.scanRefs, nil,
				&ix.dotGit); err != nil {
				return err
			}
			if ix.content.Cap() > 1<<20 {
				ix.content = bytes.Buffer{} // a large tree or commit is not kept for the rest
			}
		}
	}
	return nil
}

// pushGarbage is the least garbage indexing a push lets pile up before it collects.
const pushGarbage = 8 << 20

// maxHeldBases bounds the bytes of delta bases held while deltas are resolved, as
// core.deltaBaseCacheLimit (96 MiB by default) bounds C git index-pack's base cache;
// the workers share it. Resolution goes depth first, and every object on the path from a
// whole object down to the delta being applied is the base of a delta still to come at its
// level: a chain of small deltas each copying a large base would otherwise hold the base's
// size times the chain's length, whatever the limit on one object. Past the budget the
// outermost bases are dropped, to be rebuilt from the pack if they are needed again.
const maxHeldBases = 96 << 20

// completeThin appends the thin-pack bases as whole objects, so the stored pack is
// self-contained (go-git, like C git, resolves a REF_DELTA only within its pack), then
// rewrites the object count and the trailing checksum.
func (ix *packIndexer) completeThin(f *os.File) error {
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
		ix.entries.add(idxEntry{
			off:  off,
			typ:  typ,
			hash: base,
			done: true,
			base: -1,
			crc:  crc32.ChecksumIEEE(buf.Bytes()),
		})
		off += int64(buf.Len())
	}
	var count [4]byte
	binary.BigEndian.PutUint32(count[:], uint32(ix.entries.len()))
	if _, err := f.WriteAt(count[:], 8); err != nil {
		return fmt.Errorf("complete thin pack: %w", err)
	}
	sum := sha1.New()
	if _, err := io.CopyBuffer(sum, io.NewSectionReader(f, 0, off), ix.copyBuf); err != nil {
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
	ix.rp.count = ix.entries.len()
	ix.rp.pack.size = off + 20
	return nil
}

// writeIndex writes the idx (version 2) beside the quarantined pack straight from the
// entries, then maps it for lookups. An object stored twice is indexed twice, as C git's
// index-pack does: git takes an idx listing fewer objects than its pack for a broken one.
func (ix *packIndexer) writeIndex() error {
	n := ix.entries.len()
	order := make([]int32, n)
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int {
		ea, eb := ix.entries.at(a), ix.entries.at(b)
		if c := bytes.Compare(ea.hash[:], eb.hash[:]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})

	ix.rp.idxPath = filepath.Join(ix.rp.dir, "incoming.idx")
	f, err := os.OpenFile(ix.rp.idxPath, os.O_CREATE|os.O_EXCL|os.O_RDWR, 0o444)
	if err != nil {
		return fmt.Errorf("write pack index: %w", err)
	}
	defer f.Close()
	sum := sha1.New()
	bw := bufio.NewWriterSize(io.MultiWriter(f, sum), 256<<10)
	var b [8]byte
	put32 := func(v uint32) {
		binary.BigEndian.PutUint32(b[:4], v)
		bw.Write(b[:4])
	}
	bw.Write(idxMagic)
	put32(2)
	var fanout [256]uint32
	for _, i := range order {
		fanout[ix.entries.at(i).hash[0]]++
	}
	total := uint32(0)
	for _, c := range fanout {
		total += c
		put32(total)
	}
	for _, i := range order {
		bw.Write(ix.entries.at(i).hash[:])
	}
	for _, i := range order {
		put32(ix.entries.at(i).crc)
	}
	var large []int64
	for _, i := range order {
		off := ix.entries.at(i).off
		if off < 1<<31 {
			put32(uint32(off))
			continue
		}
		put32(1<<31 | uint32(len(large)))
		large = append(large, off)
	}
	for _, off := range large {
		binary.BigEndian.PutUint64(b[:], uint64(off))
		bw.Write(b[:])
	}
	bw.Write(ix.rp.checksum[:])
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write pack index: %w", err)
	}
	if _, err := f.Write(sum.Sum(nil)); err != nil {
		return fmt.Errorf("write pack index: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync pack index: %w", err)
	}
	ix.entries = entryList{}
	idx, mapping, err := loadIndex(ix.rp.idxPath)
	if err != nil {
		return fmt.Errorf("read back pack index: %w", err)
	}
	ix.rp.pack.idx, ix.rp.pack.idxMap = idx, mapping
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
	rp.pack.closeFile() // its index stays: a repack consults it after publishing
	if err := os.Rename(rp.packPath, base+".pack"); err != nil {
		os.Remove(base + ".idx")
		return fmt.Errorf("publish pack: %w", err)
	}
	return nil
}

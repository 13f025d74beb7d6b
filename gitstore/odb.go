package gitstore

import (
	"bufio"
	"bytes"
	"cmp"
	"compress/zlib"
	"container/list"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
)

// errCorrupt reports damaged pack, index or object data.
var errCorrupt = errors.New("corrupt object data")

// errObjectMissing reports an object that is in no pack and not loose.
var errObjectMissing = errors.New("object not found")

// packIndex is a v2 pack index held as the file's own bytes, searched in place. cairn does
// not use idxfile.MemoryIndex for serving: its FindOffset writes into a shared map on every
// lookup and FindHash first builds a map of every offset, while a request only needs binary
// search and a reverse (offset-ordered) index.
type packIndex struct {
	count   int
	fanout  [256]uint32
	names   []byte // count × 20, sorted
	crcs    []byte // count × 4
	off32   []byte // count × 4; top bit set: index into off64
	off64   []byte // 8 bytes each
	packSum plumbing.Hash

	// byOffset lists positions in pack order and ranks is its inverse; built on first use.
	byOffset []int32
	ranks    []int32
}

var idxMagic = []byte{0xff, 't', 'O', 'c'}

// parseIndex checks the layout of a v2 idx file (not its checksum: like C git, cairn trusts
// its own files and checks every object's CRC when copying it).
func parseIndex(b []byte) (*packIndex, error) {
	if len(b) < 8+256*4+40 || !bytes.Equal(b[:4], idxMagic) || binary.BigEndian.Uint32(b[4:8]) != 2 {
		return nil, fmt.Errorf("%w: not a version 2 pack index", errCorrupt)
	}
	x := &packIndex{}
	prev := uint32(0)
	for i := range x.fanout {
		x.fanout[i] = binary.BigEndian.Uint32(b[8+4*i:])
		if x.fanout[i] < prev {
			return nil, fmt.Errorf("%w: pack index fan-out is not monotonic", errCorrupt)
		}
		prev = x.fanout[i]
	}
	n := int(x.fanout[255])
	x.count = n
	pos := 8 + 256*4
	need := pos + n*(20+4+4) + 40
	if n < 0 || len(b) < need {
		return nil, fmt.Errorf("%w: pack index is truncated", errCorrupt)
	}
	x.names = b[pos : pos+20*n]
	pos += 20 * n
	x.crcs = b[pos : pos+4*n]
	pos += 4 * n
	x.off32 = b[pos : pos+4*n]
	pos += 4 * n
	x.off64 = b[pos : len(b)-40]
	copy(x.packSum[:], b[len(b)-40:len(b)-20])
	return x, nil
}

// find returns the position of h in the index.
func (x *packIndex) find(h plumbing.Hash) (int, bool) {
	lo := 0
	if h[0] > 0 {
		lo = int(x.fanout[h[0]-1])
	}
	return searchNames(x.names, lo, int(x.fanout[h[0]]), h)
}

// searchNames finds h among the sorted 20-byte names between positions lo and hi, as the
// fan-out of an index or a commit-graph narrows them.
func searchNames(names []byte, lo, hi int, h plumbing.Hash) (int, bool) {
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		switch c := bytes.Compare(names[20*m:20*m+20], h[:]); {
		case c == 0:
			return m, true
		case c < 0:
			lo = m + 1
		default:
			hi = m
		}
	}
	return 0, false
}

func (x *packIndex) hashAt(pos int) (h plumbing.Hash) {
	copy(h[:], x.names[20*pos:])
	return h
}

func (x *packIndex) crcAt(pos int) uint32 { return binary.BigEndian.Uint32(x.crcs[4*pos:]) }

func (x *packIndex) offsetAt(pos int) int64 {
	o := binary.BigEndian.Uint32(x.off32[4*pos:])
	if o&0x80000000 == 0 {
		return int64(o)
	}
	i := int(o&0x7fffffff) * 8
	if i+8 > len(x.off64) {
		return -1
	}
	return int64(binary.BigEndian.Uint64(x.off64[i:]))
}

// reverse builds the offset-ordered list of positions (C git's .rev) and its inverse on
// first use.
func (x *packIndex) reverse() []int32 {
	if x.byOffset == nil {
		type posOff struct {
			off int64
			pos int32
		}
		order := make([]posOff, x.count)
		for i := range order {
			order[i] = posOff{x.offsetAt(i), int32(i)}
		}
		slices.SortFunc(order, func(a, b posOff) int { return cmp.Compare(a.off, b.off) })
		x.byOffset = make([]int32, x.count)
		x.ranks = make([]int32, x.count)
		for rank, o := range order {
			x.byOffset[rank] = o.pos
			x.ranks[o.pos] = int32(rank)
		}
	}
	return x.byOffset
}

// rankAt returns the pack-order rank of the entry at position pos.
func (x *packIndex) rankAt(pos int) int {
	x.reverse()
	return int(x.ranks[pos])
}

// rankOf returns the pack-order rank of the entry starting at off.
func (x *packIndex) rankOf(off int64) (int, bool) {
	r := x.reverse()
	i := sort.Search(len(r), func(i int) bool { return x.offsetAt(int(r[i])) >= off })
	if i < len(r) && x.offsetAt(int(r[i])) == off {
		return i, true
	}
	return 0, false
}

// packFile is one pack of the repository with its index. The data file is opened on first
// read; ReadAt on an *os.File is safe for concurrent use.
type packFile struct {
	path string
	size int64
	idx  *packIndex
	f    *os.File
	data []byte // the mapped file, when mapping works
	// idxMap is the mapped idx file behind idx, when mapping works: opening a repository
	// then reads only the pages of its idx that lookups touch, not the whole file (50 MB
	// for 1.75 million objects) as a copy, and packs shared by requests (readshare.go)
	// keep their index in the page cache, not on the heap. Released by close.
	idxMap []byte

	bm         *packBitmap
	bitmapRead bool
}

func (p *packFile) file() (*os.File, error) {
	if p.f == nil {
		f, err := os.Open(p.path)
		if err != nil {
			return nil, fmt.Errorf("open pack: %w", err)
		}
		p.f = f
		p.data, _ = mapFile(f, p.size)
	}
	return p.f, nil
}

// readAt reads the pack at off into b, from the mapping when there is one.
func (p *packFile) readAt(b []byte, off int64) (int, error) {
	if _, err := p.file(); err != nil {
		return 0, err
	}
	if p.data != nil {
		if off < 0 || off >= int64(len(p.data)) {
			return 0, io.EOF
		}
		n := copy(b, p.data[off:])
		if n < len(b) {
			return n, io.EOF
		}
		return n, nil
	}
	return p.f.ReadAt(b, off)
}

// section returns a reader of the pack from off to its end.
func (p *packFile) section(off int64) (io.Reader, error) {
	if _, err := p.file(); err != nil {
		return nil, err
	}
	if off < 0 || off > p.size {
		return nil, fmt.Errorf("%w: offset %d outside the pack", errCorrupt, off)
	}
	if p.data != nil {
		return bytes.NewReader(p.data[off:]), nil
	}
	return bufio.NewReaderSize(io.NewSectionReader(p.f, off, p.size-off), 16<<10), nil
}

// close releases the pack: its file, its mapping and its index.
func (p *packFile) close() {
	p.closeFile()
	if p.idxMap != nil {
		unmapFile(p.idxMap)
		p.idxMap = nil
	}
}

// closeFile releases the pack file and its mapping but keeps the index readable: for a pack
// about to be renamed into the repository, whose index its writer still consults.
func (p *packFile) closeFile() {
	if p.data != nil {
		unmapFile(p.data)
		p.data = nil
	}
	if p.f != nil {
		p.f.Close()
		p.f = nil
	}
}

// entryEnd is where the entry of the given rank ends: at the next entry, or at the trailer.
func (p *packFile) entryEnd(rank int) int64 {
	r := p.idx.reverse()
	if rank+1 < len(r) {
		return p.idx.offsetAt(int(r[rank+1]))
	}
	return p.size - 20
}

// entryHeader is the decoded start of a pack entry.
type entryHeader struct {
	typ     plumbing.ObjectType
	size    int64 // inflated size (of the delta, for deltas)
	sizeLen int   // bytes of the type-and-size header
	hdrLen  int   // bytes before the zlib data: size header plus base offset or id
	baseOff int64 // OFS_DELTA: absolute offset of the base entry
	baseRef plumbing.Hash
}

// parseEntryHeader decodes an entry header from b, which holds the bytes starting at the
// entry's offset off (at least 32 of them unless the file ends sooner).
func parseEntryHeader(b []byte, off int64) (entryHeader, error) {
	var h entryHeader
	if len(b) == 0 {
		return h, fmt.Errorf("%w: entry at %d is truncated", errCorrupt, off)
	}
	c := b[0]
	h.typ = plumbing.ObjectType(c >> 4 & 7)
	h.size = int64(c & 0x0f)
	shift := 4
	i := 1
	for c&0x80 != 0 {
		if i >= len(b) || shift > 56 {
			return h, fmt.Errorf("%w: bad entry header at %d", errCorrupt, off)
		}
		c = b[i]
		h.size |= int64(c&0x7f) << shift
		shift += 7
		i++
	}
	h.sizeLen = i
	switch h.typ {
	case plumbing.CommitObject, plumbing.TreeObject, plumbing.BlobObject, plumbing.TagObject:
	case plumbing.OFSDeltaObject:
		if i >= len(b) {
			return h, fmt.Errorf("%w: bad delta offset at %d", errCorrupt, off)
		}
		c = b[i]
		i++
		dist := int64(c & 0x7f)
		for c&0x80 != 0 {
			if i >= len(b) || dist > 1<<49 {
				return h, fmt.Errorf("%w: bad delta offset at %d", errCorrupt, off)
			}
			c = b[i]
			i++
			dist = (dist+1)<<7 | int64(c&0x7f)
		}
		if dist <= 0 || dist > off {
			return h, fmt.Errorf("%w: delta base offset out of range at %d", errCorrupt, off)
		}
		h.baseOff = off - dist
	case plumbing.REFDeltaObject:
		if i+20 > len(b) {
			return h, fmt.Errorf("%w: bad delta base at %d", errCorrupt, off)
		}
		copy(h.baseRef[:], b[i:i+20])
		i += 20
	default:
		return h, fmt.Errorf("%w: unknown entry type %d at %d", errCorrupt, h.typ, off)
	}
	h.hdrLen = i
	return h, nil
}

// appendEntryHeader encodes a type-and-size header.
func appendEntryHeader(b []byte, typ plumbing.ObjectType, size int64) []byte {
	c := byte(typ)<<4 | byte(size&0x0f)
	size >>= 4
	for size > 0 {
		b = append(b, c|0x80)
		c = byte(size & 0x7f)
		size >>= 7
	}
	return append(b, c)
}

// appendOfsDistance encodes an OFS_DELTA distance, most significant group first.
func appendOfsDistance(b []byte, dist int64) []byte {
	var tmp [10]byte
	i := len(tmp) - 1
	tmp[i] = byte(dist & 0x7f)
	for dist >>= 7; dist > 0; dist >>= 7 {
		dist--
		i--
		tmp[i] = 0x80 | byte(dist&0x7f)
	}
	return append(b, tmp[i:]...)
}

// objectDB reads one repository's objects straight from its pack and loose files. It is
// made per request and is not safe for concurrent use.
type objectDB struct {
	dir   string // the objects directory
	packs []*packFile
	known map[string]bool // pack paths already loaded

	cache deltaCache
	zr    io.ReadCloser
	hdr   [64]byte

	// share, when set, holds the packs (opened once for every request on the repository);
	// this db only borrows them.
	share *repoShare
}

// openObjectDB lists the packs of a repository's objects directory.
func openObjectDB(objectsDir string) (*objectDB, error) {
	db := &objectDB{dir: objectsDir, known: map[string]bool{}, cache: newDeltaCache(walkCacheSize)}
	if _, err := db.refresh(); err != nil {
		return nil, err
	}
	return db, nil
}

// refresh loads packs that appeared since the last look (a concurrent push) and reports
// whether there were any.
func (db *objectDB) refresh() (bool, error) {
	dir := filepath.Join(db.dir, "pack")
	var added []*packFile
	// A pack listed but gone by the time it is opened was superseded by a repack, which
	// publishes its pack before removing the old ones: list again to find that pack.
	for attempt := 0; attempt < 3; attempt++ {
		entries, err := os.ReadDir(dir)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return false, fmt.Errorf("list packs: %w", err)
		}
		vanished := false
		seen := map[string]bool{}
		for _, e := range entries {
			name := e.Name()
			if !strings.HasPrefix(name, "pack-") || !strings.HasSuffix(name, ".pack") {
				continue
			}
			path := filepath.Join(dir, name)
			seen[path] = true
			if db.known[path] {
				continue
			}
			p, err := db.loadPack(path)
			if errors.Is(err, fs.ErrNotExist) {
				vanished = true // idx not there yet, or the pack went away
				continue
			}
			if err != nil {
				for _, p := range added {
					db.closePack(p)
				}
				return false, err
			}
			db.known[path] = true
			added = append(added, p)
		}
		if !vanished {
			if db.share != nil {
				db.share.listed(seen)
			}
			break
		}
	}
	// Largest first: a repository's bulk sits in one big pack, and objects are taken from
	// the first pack that has them, so clones copy long runs from that one. Packs found later
	// go after the others: positions already handed out (and cache keys) must stay valid.
	sort.SliceStable(added, func(i, j int) bool {
		if added[i].idx.count != added[j].idx.count {
			return added[i].idx.count > added[j].idx.count
		}
		return added[i].path < added[j].path
	})
	db.packs = append(db.packs, added...)
	return len(added) > 0, nil
}

// loadPack opens a pack and maps its index (reads it where mapping does not work): the one
// way packs are opened, for a request's own view and for the packs requests share. The pack
// file is opened at once, not on first read: a repack may remove it meanwhile, and an open
// file stays readable after that.
func loadPack(path string) (*packFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	idx, idxMap, err := loadIndex(strings.TrimSuffix(path, ".pack") + ".idx")
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	p := &packFile{path: path, size: fi.Size(), idx: idx, idxMap: idxMap, f: f}
	p.data, _ = mapFile(f, p.size)
	return p, nil
}

// loadIndex reads the idx file at path, mapped when mapping works (mapping is then the
// mapped file, for the pack that holds idx to release), read otherwise.
func loadIndex(path string) (idx *packIndex, mapping []byte, err error) {
	b, mapped, err := readMapped(path)
	if err != nil {
		return nil, nil, err
	}
	if idx, err = parseIndex(b); err != nil {
		if mapped {
			unmapFile(b)
		}
		return nil, nil, err
	}
	if mapped {
		mapping = b
	}
	return idx, mapping, nil
}

// readMapped returns the contents of a file, mapped when mapping works (mapped is then true
// and the caller unmaps it), read otherwise.
func readMapped(path string) (data []byte, mapped bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, false, err
	}
	if data, ok := mapFile(f, fi.Size()); ok {
		return data, true, nil
	}
	data, err = io.ReadAll(f)
	return data, false, err
}

// addPack makes a pack that is not (yet) in the objects directory readable, for checking a
// push in quarantine. It goes last, like any pack found later.
func (db *objectDB) addPack(p *packFile) {
	db.packs = append(db.packs, p)
}

// close releases open pack files.
func (db *objectDB) close() {
	for _, p := range db.packs {
		db.closePack(p)
	}
}

// loadPack opens the pack at path for this db, through the share when there is one.
func (db *objectDB) loadPack(path string) (*packFile, error) {
	if db.share != nil {
		return db.share.openPack(path)
	}
	return loadPack(path)
}

// closePack releases a pack this db opened.
func (db *objectDB) closePack(p *packFile) {
	if db.share != nil {
		db.share.closePack(p)
		return
	}
	p.close()
}

// objLoc says where an object is stored: pack index and position in its idx, or loose
// when pack is -1.
type objLoc struct {
	pack int32
	pos  int32
}

const loosePack = -1

// locate finds an object in the packs, then among loose objects.
func (db *objectDB) locate(h plumbing.Hash) (objLoc, bool) {
	for i, p := range db.packs {
		if pos, ok := p.idx.find(h); ok {
			return objLoc{pack: int32(i), pos: int32(pos)}, true
		}
	}
	if _, err := os.Stat(db.loosePath(h)); err == nil {
		return objLoc{pack: loosePack}, true
	}
	return objLoc{}, false
}

// locateFresh is locate for an object known to exist (named by a ref or by an object
// already read): when it is not found, a repack may have moved it from a loose file into a
// pack this db has not listed yet, so the packs are listed again.
func (db *objectDB) locateFresh(h plumbing.Hash) (objLoc, bool) {
	if loc, ok := db.locate(h); ok {
		return loc, true
	}
	if added, err := db.refresh(); err != nil || !added {
		return objLoc{}, false
	}
	return db.locate(h)
}

func (db *objectDB) has(h plumbing.Hash) bool {
	_, ok := db.locate(h)
	return ok
}

func (db *objectDB) loosePath(h plumbing.Hash) string {
	s := h.String()
	return filepath.Join(db.dir, s[:2], s[2:])
}

// read returns an object's type and content, resolving deltas.
func (db *objectDB) read(h plumbing.Hash) (plumbing.ObjectType, []byte, error) {
	loc, ok := db.locateFresh(h)
	if !ok {
		return 0, nil, fmt.Errorf("%w: %s", errObjectMissing, h)
	}
	if loc.pack == loosePack {
		return db.readLoose(h)
	}
	p := db.packs[loc.pack]
	return db.readPacked(int(loc.pack), p.idx.offsetAt(int(loc.pos)), 0)
}

// readHeader returns the header of the entry at off in pack pi.
func (db *objectDB) readHeader(pi int, off int64) (entryHeader, error) {
	p := db.packs[pi]
	n, err := p.readAt(db.hdr[:], off)
	if n == 0 && err != nil {
		return entryHeader{}, fmt.Errorf("%w: read entry at %d: %v", errCorrupt, off, err)
	}
	return parseEntryHeader(db.hdr[:n], off)
}

// maxDeltaDepth bounds delta chains, so a crafted cycle of REF_DELTAs across packs cannot
// recurse forever. C git's own limit when writing is 4095.
const maxDeltaDepth = 10000

// readPacked returns the type and content of the entry at off in pack pi.
func (db *objectDB) readPacked(pi int, off int64, depth int) (plumbing.ObjectType, []byte, error) {
	if depth > maxDeltaDepth {
		return 0, nil, fmt.Errorf("%w: delta chain too deep", errCorrupt)
	}
	if typ, data, ok := db.cache.get(pi, off); ok {
		return typ, data, nil
	}
	h, err := db.readHeader(pi, off)
	if err != nil {
		return 0, nil, err
	}
	var typ plumbing.ObjectType
	var data []byte
	switch h.typ {
	case plumbing.OFSDeltaObject, plumbing.REFDeltaObject:
		var baseTyp plumbing.ObjectType
		var base []byte
		if h.typ == plumbing.OFSDeltaObject {
			baseTyp, base, err = db.readPacked(pi, h.baseOff, depth+1)
		} else {
			baseTyp, base, err = db.readRef(h.baseRef, pi, depth+1)
		}
		if err != nil {
			return 0, nil, err
		}
		delta, err := db.inflate(pi, off+int64(h.hdrLen), h.size)
		if err != nil {
			return 0, nil, err
		}
		data, err = patchDelta(base, delta)
		if err != nil {
			return 0, nil, fmt.Errorf("delta at %d: %w", off, err)
		}
		typ = baseTyp
	default:
		typ = h.typ
		data, err = db.inflate(pi, off+int64(h.hdrLen), h.size)
		if err != nil {
			return 0, nil, err
		}
	}
	db.cache.put(pi, off, typ, data)
	return typ, data, nil
}

// readRef reads a REF_DELTA base, preferring the delta's own pack.
func (db *objectDB) readRef(h plumbing.Hash, pi int, depth int) (plumbing.ObjectType, []byte, error) {
	if pos, ok := db.packs[pi].idx.find(h); ok {
		return db.readPacked(pi, db.packs[pi].idx.offsetAt(pos), depth)
	}
	loc, ok := db.locate(h)
	if !ok {
		return 0, nil, fmt.Errorf("%w: delta base %s", errObjectMissing, h)
	}
	if loc.pack == loosePack {
		return db.readLoose(h)
	}
	return db.readPacked(int(loc.pack), db.packs[loc.pack].idx.offsetAt(int(loc.pos)), depth)
}

// inflate decompresses size bytes of zlib data starting at off in pack pi.
func (db *objectDB) inflate(pi int, off int64, size int64) ([]byte, error) {
	r, err := db.packs[pi].section(off)
	if err != nil {
		return nil, err
	}
	return db.inflateFrom(r, size)
}

// maxObjectSize bounds what is inflated into memory at once; larger objects are refused
// rather than risking the process.
const maxObjectSize = 1 << 34

func (db *objectDB) inflateFrom(r io.Reader, size int64) ([]byte, error) {
	if size < 0 || size > maxObjectSize {
		return nil, fmt.Errorf("%w: object of %d bytes", errCorrupt, size)
	}
	// r is a byte reader (a mapped pack, or a buffered section), so zlib reads from it
	// directly without another buffer.
	if db.zr == nil {
		zr, err := zlib.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", errCorrupt, err)
		}
		db.zr = zr
	} else if err := db.zr.(zlib.Resetter).Reset(r, nil); err != nil {
		return nil, fmt.Errorf("%w: %v", errCorrupt, err)
	}
	out := make([]byte, size)
	if _, err := io.ReadFull(db.zr, out); err != nil {
		return nil, fmt.Errorf("%w: inflate: %v", errCorrupt, err)
	}
	return out, nil
}

// readLoose reads a loose object: zlib("<type> <size>\0" + content).
func (db *objectDB) readLoose(h plumbing.Hash) (plumbing.ObjectType, []byte, error) {
	typ, size, r, err := db.openLoose(h)
	if err != nil {
		return 0, nil, err
	}
	defer r.Close()
	if size > maxObjectSize {
		return 0, nil, fmt.Errorf("%w: loose object %s of %d bytes", errCorrupt, h, size)
	}
	data := make([]byte, size)
	if _, err := io.ReadFull(r, data); err != nil {
		return 0, nil, fmt.Errorf("%w: loose object %s: %v", errCorrupt, h, err)
	}
	return typ, data, nil
}

type looseReader struct {
	io.Reader
	f  *os.File
	zr io.ReadCloser
}

func (l *looseReader) Close() error {
	l.zr.Close()
	return l.f.Close()
}

// openLoose opens a loose object for streaming and returns its type and size.
func (db *objectDB) openLoose(h plumbing.Hash) (plumbing.ObjectType, int64, io.ReadCloser, error) {
	f, err := os.Open(db.loosePath(h))
	if errors.Is(err, fs.ErrNotExist) {
		// Located as loose, then gone: a repack moved it into a pack published before
		// the loose file was removed.
		if _, err := db.refresh(); err == nil {
			for pi, p := range db.packs {
				if pos, ok := p.idx.find(h); ok {
					typ, data, err := db.readPacked(pi, p.idx.offsetAt(pos), 0)
					if err != nil {
						return 0, 0, nil, err
					}
					return typ, int64(len(data)), io.NopCloser(bytes.NewReader(data)), nil
				}
			}
		}
		return 0, 0, nil, fmt.Errorf("%w: %s", errObjectMissing, h)
	}
	if err != nil {
		return 0, 0, nil, fmt.Errorf("open loose object: %w", err)
	}
	zr, err := zlib.NewReader(bufio.NewReader(f))
	if err != nil {
		f.Close()
		return 0, 0, nil, fmt.Errorf("%w: loose object %s: %v", errCorrupt, h, err)
	}
	br := bufio.NewReader(zr)
	head, err := br.ReadString(0)
	if err != nil || len(head) > 32 {
		zr.Close()
		f.Close()
		return 0, 0, nil, fmt.Errorf("%w: loose object %s header", errCorrupt, h)
	}
	t, s, ok := strings.Cut(strings.TrimSuffix(head, "\x00"), " ")
	typ, err := plumbing.ParseObjectType(t)
	size, err2 := strconv.ParseInt(s, 10, 64)
	if !ok || err != nil || err2 != nil || size < 0 || !typ.Valid() || typ >= plumbing.OFSDeltaObject {
		zr.Close()
		f.Close()
		return 0, 0, nil, fmt.Errorf("%w: loose object %s header %q", errCorrupt, h, head)
	}
	return typ, size, &looseReader{Reader: io.LimitReader(br, size), f: f, zr: zr}, nil
}

// errBadDelta reports delta data that does not apply to its base.
var errBadDelta = errors.New("invalid delta")

// patchDelta applies a git delta to base. Unlike packfile.PatchDelta it accepts an empty base
// (git can delta against an empty blob) and allocates the result once, at its declared size.
func patchDelta(base, delta []byte) ([]byte, error) {
	srcSize, delta, ok := deltaVarint(delta)
	if !ok || srcSize != uint64(len(base)) {
		return nil, errBadDelta
	}
	dstSize, delta, ok := deltaVarint(delta)
	if !ok || dstSize > maxObjectSize {
		return nil, errBadDelta
	}
	return applyDelta(base, dstSize, delta, nil)
}

// maxDeltaInstruction is the longest delta instruction: an insert of 127 bytes.
const maxDeltaInstruction = 128

// deltaStream feeds the instructions of a delta being inflated to applyDelta a buffer at a
// time, so that the delta is never held whole.
type deltaStream struct {
	r   io.Reader
	buf []byte
	end bool
}

func newDeltaStream(size int) *deltaStream { return &deltaStream{buf: make([]byte, size)} }

func (s *deltaStream) reset(r io.Reader) { s.r, s.end = r, false }

// more returns rest, the unread end of the buffer, followed by as much of the delta as
// fits.
func (s *deltaStream) more(rest []byte) ([]byte, error) {
	n := copy(s.buf, rest)
	for n < len(s.buf) && !s.end {
		m, err := s.r.Read(s.buf[n:])
		n += m
		if err == io.EOF {
			s.end = true
		} else if err != nil {
			return nil, err
		}
	}
	return s.buf[:n], nil
}

// applyDelta runs the instructions of a delta against base, into a result allocated once at
// dstSize, which the caller has bounded. The instructions are delta, followed, when stream
// is not nil, by the rest of the stream.
func applyDelta(base []byte, dstSize uint64, delta []byte, stream *deltaStream) ([]byte, error) {
	return applyDeltaTo(make([]byte, 0, dstSize), base, dstSize, delta, stream)
}

// applyDeltaTo is applyDelta writing the result into out, whose capacity is at least dstSize.
func applyDeltaTo(out, base []byte, dstSize uint64, delta []byte, stream *deltaStream) ([]byte, error) {
	out = out[:0]
	for {
		if stream != nil && !stream.end && len(delta) < maxDeltaInstruction {
			var err error
			if delta, err = stream.more(delta); err != nil {
				return nil, err
			}
		}
		if len(delta) == 0 {
			break
		}
		cmd := delta[0]
		delta = delta[1:]
		switch {
		case cmd&0x80 != 0:
			var off, n uint64
			for i := uint(0); i < 4; i++ {
				if cmd&(1<<i) != 0 {
					if len(delta) == 0 {
						return nil, errBadDelta
					}
					off |= uint64(delta[0]) << (8 * i)
					delta = delta[1:]
				}
			}
			for i := uint(0); i < 3; i++ {
				if cmd&(0x10<<i) != 0 {
					if len(delta) == 0 {
						return nil, errBadDelta
					}
					n |= uint64(delta[0]) << (8 * i)
					delta = delta[1:]
				}
			}
			if n == 0 {
				n = 0x10000
			}
			if off+n > uint64(len(base)) || uint64(len(out))+n > dstSize {
				return nil, errBadDelta
			}
			out = append(out, base[off:off+n]...)
		case cmd != 0:
			n := uint64(cmd)
			if n > uint64(len(delta)) || uint64(len(out))+n > dstSize {
				return nil, errBadDelta
			}
			out = append(out, delta[:n]...)
			delta = delta[n:]
		default:
			return nil, errBadDelta
		}
	}
	if uint64(len(out)) != dstSize {
		return nil, errBadDelta
	}
	return out, nil
}

func deltaVarint(b []byte) (uint64, []byte, bool) {
	var v uint64
	for i, shift := 0, uint(0); i < len(b) && shift < 64; i, shift = i+1, shift+7 {
		v |= uint64(b[i]&0x7f) << shift
		if b[i]&0x80 == 0 {
			return v, b[i+1:], true
		}
	}
	return 0, nil, false
}

// deltaCache keeps recently resolved objects by (pack, offset), so walking a delta chain
// for each of many related objects does not inflate the chain's bases again each time.
// Its budget counts each entry's bookkeeping (list element, entry, map slot) as well as
// the data: walks cache mostly small trees, where the bookkeeping is a third of the total.
// The zero value caches nothing.
type deltaCache struct {
	max, size int
	lru       *list.List
	items     map[cacheKey]*list.Element
}

type cacheKey struct {
	pack int
	off  int64
}

type cacheEntry struct {
	key  cacheKey
	typ  plumbing.ObjectType
	data []byte
}

// cacheEntryOverhead approximates the bytes one cached entry costs besides its data: a
// list.Element (48), a cacheEntry (56) and its map slot (~48 with load factor).
const cacheEntryOverhead = 152

// walkCacheSize is the delta cache budget of a request's object database while it walks
// trees. Trees of neighbouring commits share delta bases; what matters is holding the
// recent chains, not the history.
const walkCacheSize = 8 << 20

func newDeltaCache(max int) deltaCache {
	return deltaCache{max: max, lru: list.New(), items: map[cacheKey]*list.Element{}}
}

func (c *deltaCache) get(pack int, off int64) (plumbing.ObjectType, []byte, bool) {
	e, ok := c.items[cacheKey{pack, off}]
	if !ok {
		return 0, nil, false
	}
	c.lru.MoveToFront(e)
	ce := e.Value.(*cacheEntry)
	return ce.typ, ce.data, true
}

func (c *deltaCache) put(pack int, off int64, typ plumbing.ObjectType, data []byte) {
	if c.items == nil || len(data) > c.max/8 {
		return
	}
	k := cacheKey{pack, off}
	if _, ok := c.items[k]; ok {
		return
	}
	c.items[k] = c.lru.PushFront(&cacheEntry{key: k, typ: typ, data: data})
	c.size += len(data) + cacheEntryOverhead
	for c.size > c.max {
		e := c.lru.Back()
		ce := e.Value.(*cacheEntry)
		c.lru.Remove(e)
		delete(c.items, ce.key)
		c.size -= len(ce.data) + cacheEntryOverhead
	}
}

// drop empties the cache and stops caching: once the objects to send are known, the pack
// is copied entry by entry and resolved objects are of no more use.
func (c *deltaCache) drop() { *c = deltaCache{} }

package gitstore

import (
	"bytes"
	"compress/zlib"
	"context"
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"math/bits"

	"github.com/go-git/go-git/v5/plumbing"
)

// sendObject is one object a pack will carry.
type sendObject struct {
	hash plumbing.Hash
	typ  plumbing.ObjectType
}

// packOptions are the client's pack capabilities.
type packOptions struct {
	// ofsDelta: the client reads OFS_DELTA entries; without it deltas go out as REF_DELTA.
	ofsDelta bool
	// thin: REF_DELTA entries may name a base the client has instead of one in the pack.
	thin bool
}

// packStats describe a written pack, for the progress line and for tests.
type packStats struct {
	objects      int
	deltas       int // entries written as deltas
	reused       int // entries copied from disk without inflating them
	reusedDeltas int
	packReused   int // objects sent by copying a whole pack file
}

// pwEntry is one object of the pack being written.
type pwEntry struct {
	hash   plumbing.Hash
	pack   int32 // loosePack for a loose object
	rank   int32 // pack-order position in its pack
	off    int64 // entry offset in its pack
	end    int64 // where the entry's bytes end
	crc    uint32
	state  uint8
	outOff int64 // offset in the output, once written
}

const (
	pwPending uint8 = iota
	pwInProgress
	pwWritten
)

// verifyLimit is the largest entry read whole to check its CRC before sending it, so a
// damaged entry can still be replaced by a freshly compressed copy. Larger entries are
// checked while they stream, and a mismatch aborts the pack.
const verifyLimit = 1 << 20

// packWriter streams a pack made of stored entries copied as they are: compressed data and
// deltas are never inflated or recomputed, only delta headers rewritten (C git's pack reuse).
// Memory is one copy buffer plus a few words per object.
type packWriter struct {
	ctx       context.Context
	db        *objectDB
	w         io.Writer
	sum       hash.Hash
	off       int64
	opts      packOptions
	clientHas func(plumbing.Hash) bool

	entries []pwEntry
	// slots maps, per pack used, a pack-order position to its entry index + 1 (0: not
	// sent); loose maps loose objects to their entry index. They replace a map keyed by
	// hash over every object: a clone's 90,000 entries cost 4 bytes each here.
	slots [][]int32
	loose map[plumbing.Hash]int32

	buf   []byte
	hdr   []byte
	zw    *zlib.Writer
	stats packStats
}

// packSet is a set of objects of one pack as pack-order positions: what a reachability
// bitmap answers, kept as it is rather than turned into hashes.
type packSet struct {
	pack  int
	bits  bitset
	count int // bits set
}

// has reports whether object h is in the set.
func (s *packSet) has(db *objectDB, h plumbing.Hash) bool {
	x := db.packs[s.pack].idx
	pos, ok := x.find(h)
	if !ok {
		return false
	}
	r := x.rankAt(pos)
	return r>>6 < len(s.bits) && s.bits.has(r)
}

// writePack writes a pack holding objs and the objects of set (which may be nil; objs and
// set do not overlap) to w. clientHas says which objects the client surely has, for thin
// packs.
func writePack(ctx context.Context, db *objectDB, objs []sendObject, set *packSet,
	clientHas func(plumbing.Hash) bool, w io.Writer, opts packOptions) (packStats, error) {
	pw := &packWriter{
		ctx:       ctx,
		db:        db,
		w:         w,
		sum:       sha1.New(),
		opts:      opts,
		clientHas: clientHas,
		buf:       make([]byte, 64<<10),
	}
	// A clone of a repository held in one pack sends that file as it is: check for it
	// before locating anything.
	if ok, err := pw.wholePackFor(objs, set); ok || err != nil {
		return pw.stats, err
	}
	n := len(objs)
	if set != nil {
		n += set.count
	}
	pw.entries = make([]pwEntry, 0, n)
	if err := pw.plan(objs, set); err != nil {
		return pw.stats, err
	}
	var head [12]byte
	copy(head[:], "PACK")
	binary.BigEndian.PutUint32(head[4:], 2)
	binary.BigEndian.PutUint32(head[8:], uint32(len(pw.entries)))
	if err := pw.write(head[:]); err != nil {
		return pw.stats, err
	}
	for i := range pw.entries {
		if i&255 == 0 && ctx.Err() != nil {
			return pw.stats, ctx.Err()
		}
		if err := pw.emit(i); err != nil {
			return pw.stats, err
		}
	}
	if _, err := pw.w.Write(pw.sum.Sum(nil)); err != nil {
		return pw.stats, err
	}
	pw.stats.objects = len(pw.entries)
	return pw.stats, nil
}

// plan locates every object and orders them as they lie on disk, pack by pack, so reads
// are sequential and OFS_DELTA bases (always earlier in their pack) come before their
// deltas. Ordering is a pass over each used pack's positions, not a sort. The objects of
// set are taken from their positions directly.
func (pw *packWriter) plan(objs []sendObject, set *packSet) error {
	pw.slots = make([][]int32, len(pw.db.packs))
	pw.loose = map[plumbing.Hash]int32{}
	var loose []pwEntry
	add := func(pi int, pos, rank int, h plumbing.Hash) error {
		p := pw.db.packs[pi]
		e := pwEntry{
			hash: h,
			pack: int32(pi),
			rank: int32(rank),
			off:  p.idx.offsetAt(pos),
			crc:  p.idx.crcAt(pos),
			end:  p.entryEnd(rank),
		}
		if e.off < 12 || e.end <= e.off {
			return fmt.Errorf("%w: bad entry span for %s", errCorrupt, h)
		}
		if pw.slots[pi] == nil {
			pw.slots[pi] = make([]int32, p.idx.count)
		}
		pw.entries = append(pw.entries, e)
		pw.slots[pi][rank] = int32(len(pw.entries))
		return nil
	}
	if set != nil {
		x := pw.db.packs[set.pack].idx
		order := x.reverse()
		for k, w := range set.bits {
			for w != 0 {
				r := k*64 + bits.TrailingZeros64(w)
				w &= w - 1
				if r >= len(order) {
					return fmt.Errorf("%w: bitmap names object %d of %d", errCorrupt, r, len(order))
				}
				pos := int(order[r])
				if err := add(set.pack, pos, r, x.hashAt(pos)); err != nil {
					return err
				}
			}
		}
	}
	for _, o := range objs {
		var loc objLoc
		ok := false
		if set != nil {
			// The set's pack first, so that an object stored twice is named by one place.
			if pos, found := pw.db.packs[set.pack].idx.find(o.hash); found {
				loc, ok = objLoc{pack: int32(set.pack), pos: int32(pos)}, true
			}
		}
		if !ok {
			if loc, ok = pw.db.locateFresh(o.hash); !ok {
				return fmt.Errorf("%w: %s", errObjectMissing, o.hash)
			}
			for len(pw.slots) < len(pw.db.packs) { // packs listed again by locateFresh
				pw.slots = append(pw.slots, nil)
			}
		}
		if loc.pack == loosePack {
			if _, dup := pw.loose[o.hash]; !dup {
				pw.loose[o.hash] = 0
				loose = append(loose, pwEntry{hash: o.hash, pack: loosePack})
			}
			continue
		}
		rank := pw.db.packs[loc.pack].idx.rankAt(int(loc.pos))
		if s := pw.slots[loc.pack]; s != nil && s[rank] != 0 {
			continue
		}
		if err := add(int(loc.pack), int(loc.pos), rank, o.hash); err != nil {
			return err
		}
	}
	ordered := make([]pwEntry, 0, len(pw.entries)+len(loose))
	for _, s := range pw.slots {
		for _, i := range s {
			if i > 0 {
				ordered = append(ordered, pw.entries[i-1])
			}
		}
	}
	pw.entries = append(ordered, loose...)
	for i, e := range pw.entries {
		if e.pack == loosePack {
			pw.loose[e.hash] = int32(i)
		} else {
			pw.slots[e.pack][e.rank] = int32(i + 1)
		}
	}
	return nil
}

// entryOf returns the index of the entry of object h, if it is being sent.
func (pw *packWriter) entryOf(h plumbing.Hash) (int, bool) {
	for pi, s := range pw.slots {
		if s == nil {
			continue
		}
		x := pw.db.packs[pi].idx
		if pos, ok := x.find(h); ok {
			if j := s[x.rankAt(pos)]; j > 0 {
				return int(j - 1), true
			}
		}
	}
	j, ok := pw.loose[h]
	return int(j), ok
}

// wholePackFor sends a pack file unchanged when the objects to send are exactly its
// contents: a full clone of a repository in one pack is then a file copy. The candidate
// is the set's pack, or else the largest; counting comes before any lookup.
func (pw *packWriter) wholePackFor(objs []sendObject, set *packSet) (bool, error) {
	if !pw.opts.ofsDelta || len(pw.db.packs) == 0 {
		return false, nil
	}
	pi, n := 0, len(objs)
	if set != nil {
		pi, n = set.pack, n+set.count
	}
	p := pw.db.packs[pi]
	if n != p.idx.count || n == 0 {
		return false, nil
	}
	for _, o := range objs {
		if _, ok := p.idx.find(o.hash); !ok {
			return false, nil
		}
	}
	// objs holds distinct objects, none of them in set, so this is the whole pack.
	f, err := p.file()
	if err != nil {
		return false, err
	}
	var head [12]byte
	if _, err := p.readAt(head[:], 0); err != nil {
		return false, fmt.Errorf("%w: read pack header: %v", errCorrupt, err)
	}
	// A pack with duplicate entries has more entries than its index names.
	if string(head[:4]) != "PACK" || binary.BigEndian.Uint32(head[8:]) != uint32(p.idx.count) {
		return false, nil
	}
	if _, err := io.Copy(pw.w, io.NewSectionReader(f, 0, p.size)); err != nil {
		return true, err
	}
	pw.stats.objects = n
	pw.stats.packReused = n
	return true, nil
}

func (pw *packWriter) write(b []byte) error {
	pw.sum.Write(b)
	pw.off += int64(len(b))
	_, err := pw.w.Write(b)
	return err
}

// emit writes entry i, writing its delta base first when the base is in the pack too.
func (pw *packWriter) emit(i int) error {
	e := &pw.entries[i]
	if e.state == pwWritten {
		return nil
	}
	if e.pack == loosePack {
		return pw.writeLoose(e)
	}
	hdr, err := pw.db.readHeader(int(e.pack), e.off)
	if err != nil {
		return err
	}
	if hdr.typ != plumbing.OFSDeltaObject && hdr.typ != plumbing.REFDeltaObject {
		ok, err := pw.copyEntry(e, nil, 0)
		if err != nil || ok {
			return err
		}
		return pw.writeFull(e)
	}
	base := hdr.baseRef
	j, ok := -1, false
	if hdr.typ == plumbing.OFSDeltaObject {
		p := pw.db.packs[e.pack]
		rank, found := p.idx.rankOf(hdr.baseOff)
		if !found {
			return fmt.Errorf("%w: delta base of %s is not an entry", errCorrupt, e.hash)
		}
		base = p.idx.hashAt(int(p.idx.reverse()[rank]))
		if k := pw.slots[e.pack][rank]; k > 0 {
			j, ok = int(k-1), true
		}
	}
	if !ok {
		j, ok = pw.entryOf(base)
	}
	if ok {
		b := &pw.entries[j]
		if b.state == pwPending {
			e.state = pwInProgress
			if err := pw.emit(j); err != nil {
				return err
			}
			e = &pw.entries[i]
			b = &pw.entries[j]
		}
		// A base still in progress means the stored deltas form a cycle across packs; the
		// object then goes out whole, which breaks the cycle.
		if b.state == pwWritten {
			var h []byte
			if pw.opts.ofsDelta {
				h = appendEntryHeader(pw.hdr[:0], plumbing.OFSDeltaObject, hdr.size)
				h = appendOfsDistance(h, pw.off-b.outOff)
			} else {
				h = appendEntryHeader(pw.hdr[:0], plumbing.REFDeltaObject, hdr.size)
				h = append(h, base[:]...)
			}
			pw.hdr = h
			ok, err := pw.copyEntry(e, h, hdr.hdrLen)
			if err != nil || ok {
				return err
			}
		}
	} else if pw.opts.thin && pw.clientHas(base) {
		h := appendEntryHeader(pw.hdr[:0], plumbing.REFDeltaObject, hdr.size)
		h = append(h, base[:]...)
		pw.hdr = h
		ok, err := pw.copyEntry(e, h, hdr.hdrLen)
		if err != nil || ok {
			return err
		}
	}
	return pw.writeFull(e)
}

// copyEntry copies a stored entry, replacing its first hdrLen bytes by header when header
// is not nil. It checks the stored CRC over the original bytes; ok is false, with nothing
// written, when a small entry fails the check, so the caller can send a fresh copy.
func (pw *packWriter) copyEntry(e *pwEntry, header []byte, hdrLen int) (ok bool, err error) {
	p := pw.db.packs[e.pack]
	if _, err := p.file(); err != nil {
		return false, err
	}
	n := e.end - e.off
	start := pw.off
	isDelta := header != nil
	if n <= verifyLimit {
		if int64(cap(pw.buf)) < n {
			pw.buf = make([]byte, n)
		}
		span := pw.buf[:n]
		if p.data != nil && e.end <= int64(len(p.data)) {
			span = p.data[e.off:e.end]
		} else if _, err := p.f.ReadAt(span, e.off); err != nil {
			return false, fmt.Errorf("%w: read entry of %s: %v", errCorrupt, e.hash, err)
		}
		if crc32.ChecksumIEEE(span) != e.crc {
			return false, nil
		}
		if header != nil {
			if err := pw.write(header); err != nil {
				return false, err
			}
			span = span[hdrLen:]
		}
		if err := pw.write(span); err != nil {
			return false, err
		}
	} else {
		crc := crc32.NewIEEE()
		r := io.NewSectionReader(p.f, e.off, n)
		first := true
		for {
			m, rerr := r.Read(pw.buf[:cap(pw.buf)])
			chunk := pw.buf[:m]
			crc.Write(chunk)
			if first && m > 0 && header != nil {
				if m < hdrLen {
					return false, fmt.Errorf("%w: short read of %s", errCorrupt, e.hash)
				}
				if err := pw.write(header); err != nil {
					return false, err
				}
				chunk = chunk[hdrLen:]
			}
			if m > 0 {
				first = false
			}
			if err := pw.write(chunk); err != nil {
				return false, err
			}
			if rerr == io.EOF {
				break
			}
			if rerr != nil {
				return false, fmt.Errorf("read entry of %s: %w", e.hash, rerr)
			}
		}
		if crc.Sum32() != e.crc {
			return false, fmt.Errorf("%w: CRC mismatch in the entry of %s", errCorrupt, e.hash)
		}
	}
	if isDelta {
		pw.stats.deltas++
		pw.stats.reusedDeltas++
	}
	pw.stats.reused++
	e.state, e.outOff = pwWritten, start
	return true, nil
}

// writeFull writes a packed object whole: its delta chain resolved, compressed afresh.
func (pw *packWriter) writeFull(e *pwEntry) error {
	typ, data, err := pw.db.readPacked(int(e.pack), e.off, 0)
	if err != nil {
		return fmt.Errorf("read %s: %w", e.hash, err)
	}
	if plumbing.ComputeHash(typ, data) != e.hash {
		return fmt.Errorf("%w: %s does not hash to its name", errCorrupt, e.hash)
	}
	start := pw.off
	if err := pw.deflate(typ, int64(len(data)), bytes.NewReader(data)); err != nil {
		return err
	}
	e.state, e.outOff = pwWritten, start
	return nil
}

// writeLoose streams a loose object into the pack: inflated and compressed once more,
// since a loose file is not a pack entry.
func (pw *packWriter) writeLoose(e *pwEntry) error {
	typ, size, r, err := pw.db.openLoose(e.hash)
	if err != nil {
		return err
	}
	defer r.Close()
	start := pw.off
	if err := pw.deflate(typ, size, r); err != nil {
		return err
	}
	e.state, e.outOff = pwWritten, start
	return nil
}

func (pw *packWriter) deflate(typ plumbing.ObjectType, size int64, r io.Reader) error {
	pw.hdr = appendEntryHeader(pw.hdr[:0], typ, size)
	if err := pw.write(pw.hdr); err != nil {
		return err
	}
	out := writerFunc(pw.write)
	if pw.zw == nil {
		pw.zw = zlib.NewWriter(out)
	} else {
		pw.zw.Reset(out)
	}
	n, err := io.CopyBuffer(pw.zw, r, pw.buf[:cap(pw.buf)])
	if err != nil {
		return fmt.Errorf("compress object: %w", err)
	}
	if n != size {
		return fmt.Errorf("%w: object is %d bytes, header says %d", errCorrupt, n, size)
	}
	return pw.zw.Close()
}

type writerFunc func([]byte) error

func (f writerFunc) Write(b []byte) (int, error) {
	if err := f(b); err != nil {
		return 0, err
	}
	return len(b), nil
}

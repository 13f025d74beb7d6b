package gitstore

import (
	"crypto"
	"hash"
	"hash/maphash"
	"io"
	"strconv"
	"sync/atomic"

	"github.com/go-git/go-git/v5/plumbing"
	gghash "github.com/go-git/go-git/v5/plumbing/hash"
)

// What the indexer keeps of a pushed pack: an entry per object, ids to find them by, and
// the hasher that computes them.

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
	o.hdr = append(o.hdr[:0], typ.String()...)
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

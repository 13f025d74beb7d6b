package gitstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math/bits"
	"os"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
)

// packBitmap is a pack's reachability bitmap index (C git's .bitmap, version 1, written by
// "git repack -b" and by default in bare repositories). For selected commits it stores the
// set of objects they reach as a bit per object in pack order, so a clone of a repacked
// repository need not walk the history. go-git reads no bitmaps; cairn reads them itself.
type packBitmap struct {
	pack    *packFile
	types   [4][]uint64 // commits, trees, blobs, tags
	entries []bitmapEntry
	byHash  map[plumbing.Hash]int
}

type bitmapEntry struct {
	pos     uint32 // the commit's position in the idx (name order)
	xor     int    // index of the entry this one is XORed with, or -1
	ewah    []uint64
	decoded []uint64
}

var bitmapMagic = []byte("BITM")

// loadBitmap reads the .bitmap beside pack p; nil, nil when there is none.
func loadBitmap(p *packFile, path string) (*packBitmap, error) {
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read bitmap: %w", err)
	}
	if len(b) < 32 || !bytes.Equal(b[:4], bitmapMagic) || binary.BigEndian.Uint16(b[4:]) != 1 {
		return nil, fmt.Errorf("%w: not a version 1 bitmap", errCorrupt)
	}
	if !bytes.Equal(b[12:32], p.idx.packSum[:]) {
		return nil, nil // written for another pack of the same name: ignore it
	}
	count := int(binary.BigEndian.Uint32(b[8:]))
	bm := &packBitmap{pack: p, byHash: make(map[plumbing.Hash]int, count)}
	rest := b[32:]
	for i := range bm.types {
		words, tail, err := readEWAH(rest)
		if err != nil {
			return nil, err
		}
		if bm.types[i], err = inflateEWAH(words); err != nil {
			return nil, err
		}
		rest = tail
	}
	for i := 0; i < count; i++ {
		if len(rest) < 6 {
			return nil, fmt.Errorf("%w: bitmap entry %d truncated", errCorrupt, i)
		}
		e := bitmapEntry{pos: binary.BigEndian.Uint32(rest), xor: -1}
		if x := int(rest[4]); x > 0 {
			if x > i {
				return nil, fmt.Errorf("%w: bitmap entry %d XORs with a later one", errCorrupt, i)
			}
			e.xor = i - x
		}
		if int(e.pos) >= p.idx.count {
			return nil, fmt.Errorf("%w: bitmap entry %d names no object", errCorrupt, i)
		}
		words, tail, err := readEWAH(rest[6:])
		if err != nil {
			return nil, err
		}
		e.ewah = words
		rest = tail
		bm.byHash[p.idx.hashAt(int(e.pos))] = i
		bm.entries = append(bm.entries, e)
	}
	return bm, nil
}

// readEWAH slices one serialised EWAH bitmap: bit count, word count, the words, and the
// position of the last run-length word.
func readEWAH(b []byte) (words []uint64, rest []byte, err error) {
	if len(b) < 8 {
		return nil, nil, fmt.Errorf("%w: truncated EWAH bitmap", errCorrupt)
	}
	n := int(binary.BigEndian.Uint32(b[4:]))
	end := 8 + 8*n + 4
	if n < 0 || end > len(b) || end < 8 {
		return nil, nil, fmt.Errorf("%w: truncated EWAH bitmap", errCorrupt)
	}
	words = make([]uint64, n)
	for i := range words {
		words[i] = binary.BigEndian.Uint64(b[8+8*i:])
	}
	return words, b[end:], nil
}

// inflateEWAH expands EWAH words (run-length words, each followed by literal words) into a
// plain bitset.
func inflateEWAH(words []uint64) ([]uint64, error) {
	var out []uint64
	for i := 0; i < len(words); {
		rlw := words[i]
		i++
		run := rlw >> 1 & (1<<32 - 1)
		literals := int(rlw >> 33)
		if run > 1<<26 || i+literals > len(words) {
			return nil, fmt.Errorf("%w: bad EWAH run", errCorrupt)
		}
		fill := uint64(0)
		if rlw&1 != 0 {
			fill = ^uint64(0)
		}
		for k := uint64(0); k < run; k++ {
			out = append(out, fill)
		}
		out = append(out, words[i:i+literals]...)
		i += literals
	}
	return out, nil
}

// reachable returns the bitset of objects reachable from commit h, if h has a bitmap.
func (bm *packBitmap) reachable(h plumbing.Hash) ([]uint64, bool, error) {
	i, ok := bm.byHash[h]
	if !ok {
		return nil, false, nil
	}
	set, err := bm.decode(i, 0)
	return set, err == nil, err
}

func (bm *packBitmap) decode(i, depth int) ([]uint64, error) {
	e := &bm.entries[i]
	if e.decoded != nil {
		return e.decoded, nil
	}
	if depth > len(bm.entries) {
		return nil, fmt.Errorf("%w: bitmap XOR chain loops", errCorrupt)
	}
	set, err := inflateEWAH(e.ewah)
	if err != nil {
		return nil, err
	}
	if e.xor >= 0 {
		base, err := bm.decode(e.xor, depth+1)
		if err != nil {
			return nil, err
		}
		if len(base) > len(set) {
			set = append(set, make([]uint64, len(base)-len(set))...)
		}
		for k, w := range base {
			set[k] ^= w
		}
	}
	e.decoded = set
	return set, nil
}

// collectByBitmap fills oc with everything reachable from commits using a pack's bitmap
// index, as C git does: commits with a bitmap contribute it whole, the others are walked
// until they reach objects a bitmap already covers. ok is false, with oc untouched, when no
// pack has a bitmap; the caller then walks the history.
func collectByBitmap(ctx context.Context, db *objectDB, g *graph, commits []plumbing.Hash,
	oc *objectCollector) (ok bool, err error) {
	if len(commits) == 0 {
		return false, nil
	}
	for pi, p := range db.packs {
		bm, err := p.bitmap()
		if err != nil || bm == nil {
			continue
		}
		var union []uint64
		or := func(set []uint64) {
			if len(set) > len(union) {
				union = append(union, make([]uint64, len(set)-len(union))...)
			}
			for k, w := range set {
				union[k] |= w
			}
		}
		covered := func(h plumbing.Hash) bool {
			pos, ok := p.idx.find(h)
			if !ok {
				return false
			}
			bit := p.idx.rankAt(pos)
			return bit/64 < len(union) && union[bit/64]>>(bit%64)&1 != 0
		}
		var pending []plumbing.Hash
		for _, c := range commits {
			set, found, err := bm.reachable(c)
			if err != nil {
				return false, err
			}
			if found {
				or(set)
			} else {
				pending = append(pending, c)
			}
		}
		// Commits without a bitmap: walk back to what the bitmaps cover.
		var uncovered []*commitNode
		seen := map[plumbing.Hash]bool{}
		for len(pending) > 0 {
			if len(seen)&1023 == 0 && ctx.Err() != nil {
				return false, ctx.Err()
			}
			h := pending[len(pending)-1]
			pending = pending[:len(pending)-1]
			if seen[h] || covered(h) {
				continue
			}
			seen[h] = true
			if set, found, err := bm.reachable(h); err != nil {
				return false, err
			} else if found {
				or(set)
				continue
			}
			c, err := g.commit(h)
			if err != nil {
				return false, err
			}
			uncovered = append(uncovered, c)
			pending = append(pending, c.parents...)
		}
		// Every bit must name an object of a known type; the set then goes to the pack
		// writer as it is, positions rather than hashes.
		count := 0
		for k, w := range union {
			known := uint64(0)
			for _, t := range bm.types {
				if k < len(t) {
					known |= t[k]
				}
			}
			if w&^known != 0 {
				return false, fmt.Errorf("%w: bitmap object %d has no type", errCorrupt,
					k*64+bits.TrailingZeros64(w&^known))
			}
			count += bits.OnesCount64(w)
		}
		if len(union)*64 > p.idx.count {
			for bit := p.idx.count; bit < len(union)*64; bit++ {
				if union[bit/64]>>(bit%64)&1 != 0 {
					return false, fmt.Errorf("%w: bitmap names object %d of %d", errCorrupt, bit, p.idx.count)
				}
			}
		}
		oc.fromBitmap = &packSet{pack: pi, bits: union, count: count}
		for _, c := range uncovered {
			oc.add(c.hash, plumbing.CommitObject)
		}
		for _, c := range uncovered {
			if err := oc.walkTree(ctx, c.tree, nil); err != nil {
				return false, err
			}
		}
		return true, nil
	}
	return false, nil
}

// bitmap returns the pack's bitmap index, read on first use; nil when it has none or it
// cannot be read (the caller then walks the history, as without one).
func (p *packFile) bitmap() (*packBitmap, error) {
	if !p.bitmapRead {
		p.bitmapRead = true
		bm, err := loadBitmap(p, strings.TrimSuffix(p.path, ".pack")+".bitmap")
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p.path, err)
		}
		p.bm = bm
	}
	return p.bm, nil
}

package gitstore

import (
	"cmp"
	"context"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/go-git/go-git/v5/plumbing"
)

// Reachability bitmaps for pushed packs. A clone of a repository without a bitmap walks
// every commit and tree of its history, rebuilding trees from delta chains, before a byte
// of the pack goes out; with one it ORs the bitmaps of the wanted commits (bitmap.go). C git
// writes bitmaps when it repacks; cairn stores pushed packs as received, so after a push
// settles it writes one itself, in C git's .bitmap format (version 1), in the background.

// bitmapStride is how many commits (in topological order) at most lie between two
// commits that get a bitmap of their own besides the ref tips: each bitmap is computed
// from the nearest ones below it, so the work stays one pass over the history. Longer
// histories get a longer stride, so that there are at most maxStrideBitmaps of these.
const bitmapStride = 128

// maxStrideBitmaps and maxTipBitmaps bound the bitmaps held while writing (each one bit
// per object of the pack: 11 KB for 90,000 objects) and written. Tips beyond the limit
// (the ones with the oldest commits) get none; a clone wanting one walks from it down to
// the nearest commit with a bitmap.
const (
	maxStrideBitmaps = 256
	maxTipBitmaps    = 256
)

// bitmapCacheSize is the delta cache budget of the background bitmap writer.
const bitmapCacheSize = 8 << 20

// bitmapGarbage is the least garbage the bitmap writer lets pile up before it collects.
const bitmapGarbage = 8 << 20

// rankMemo remembers, by the first two bytes of an id, the last id looked up and its rank+1.
type rankMemo [1 << 16]struct {
	id   plumbing.Hash
	rank int32
}

// bitmapJobs runs the Store's background bitmap writes, one repository at a time, each
// repository queued at most once (a push during its job queues it once more).
type bitmapJobs struct {
	mu      sync.Mutex
	queued  map[int64]bool // waiting or running
	again   map[int64]bool // pushed to while running
	running chan struct{}  // one token: at most one job at a time
	wg      sync.WaitGroup
	// done, when set (tests), is called after each job with its outcome.
	done func(id int64, wrote int, err error)
	// repack says when a job also repacks (repack.go); zero fields take the defaults.
	repack repackPolicy
}

// scheduleBitmap queues a bitmap write for the repository of project id.
func (s *Store) scheduleBitmap(id int64) {
	j := &s.bitmaps
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.queued == nil {
		j.queued, j.again = map[int64]bool{}, map[int64]bool{}
		j.running = make(chan struct{}, 1)
	}
	if j.queued[id] {
		j.again[id] = true
		return
	}
	j.queued[id] = true
	j.wg.Add(1)
	go func() {
		defer j.wg.Done()
		j.running <- struct{}{}
		defer func() { <-j.running }()
		for {
			j.mu.Lock()
			pol := j.repack
			j.mu.Unlock()
			n, err := s.settle(context.Background(), id, pol)
			j.mu.Lock()
			done := j.done
			if !j.again[id] {
				delete(j.queued, id)
				j.mu.Unlock()
				if done != nil {
					done(id, n, err)
				}
				return
			}
			delete(j.again, id)
			j.mu.Unlock()
			if done != nil {
				done(id, n, err)
			}
		}
	}()
}

// WaitBackground waits until the background work queued so far (bitmap writes and
// repacks after pushes) has finished.
func (s *Store) WaitBackground() { s.bitmaps.wg.Wait() }

// writeBitmaps writes a .bitmap beside each pack of the repository at dir that has none
// and whose ref tips' history lies wholly inside it (typically the pack of a first push,
// or of a push that sent everything), and returns how many it wrote.
func writeBitmaps(ctx context.Context, dir string) (int, error) {
	refs, err := refStore{dir: dir}.list()
	if err != nil {
		return 0, err
	}
	db, err := openObjectDB(filepath.Join(dir, "objects"))
	if err != nil {
		return 0, err
	}
	defer db.close()
	db.cache = newDeltaCache(bitmapCacheSize)
	wrote := 0
	for pi, p := range db.packs {
		path := strings.TrimSuffix(p.path, ".pack") + ".bitmap"
		if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
			continue // C git's, or ours: a pack never changes
		}
		var tips []plumbing.Hash
		seen := map[plumbing.Hash]bool{}
		for _, r := range refs.refs {
			target, typ, _, err := db.peel(r.hash)
			if err != nil || typ != plumbing.CommitObject || seen[target] {
				continue
			}
			seen[target] = true
			if _, ok := p.idx.find(target); ok {
				tips = append(tips, target)
			}
		}
		if len(tips) == 0 {
			continue
		}
		b, err := buildBitmap(ctx, db, pi, tips)
		if errors.Is(err, errNotSelfContained) {
			continue
		}
		if err != nil {
			return wrote, fmt.Errorf("bitmap for %s: %w", filepath.Base(p.path), err)
		}
		if err := publishBitmap(p.path, path, b); err != nil {
			return wrote, err
		}
		wrote++
	}
	return wrote, nil
}

// publishBitmap writes b under a temporary name and renames it into place, unless a bitmap
// appeared meanwhile or the pack went away (a repack).
func publishBitmap(packPath, path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "tmp_bitmap_")
	if err != nil {
		return fmt.Errorf("write bitmap: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("write bitmap: %w", err)
	}
	if err := f.Chmod(0o444); err != nil {
		f.Close()
		return fmt.Errorf("write bitmap: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write bitmap: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write bitmap: %w", err)
	}
	if _, err := os.Stat(packPath); err != nil {
		return nil
	}
	// A hard link fails when the name exists: never replace C git's bitmap.
	if err := os.Link(tmp, path); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("write bitmap: %w", err)
	}
	return nil
}

// errNotSelfContained: some object reachable from the tips is not in the pack, which a
// single-pack bitmap cannot describe.
var errNotSelfContained = errors.New("history not wholly in the pack")

// bitset is a plain bitset over pack-order positions.
type bitset []uint64

func (b bitset) has(i int) bool { return b[i>>6]>>(i&63)&1 != 0 }
func (b bitset) set(i int)      { b[i>>6] |= 1 << (i & 63) }

// orEWAH ORs in a bitmap appendEWAH wrote.
func (b bitset) orEWAH(enc []byte) {
	n := int(binary.BigEndian.Uint32(enc[4:]))
	word := func(i int) uint64 { return binary.BigEndian.Uint64(enc[8+8*i:]) }
	pos := 0
	for i := 0; i < n; {
		rlw := word(i)
		i++
		run, literals := int(rlw>>1&(1<<32-1)), int(rlw>>33)
		if rlw&1 != 0 {
			for k := pos; k < pos+run; k++ {
				b[k] = ^uint64(0)
			}
		}
		pos += run
		for k := 0; k < literals; k++ {
			b[pos] |= word(i)
			pos++
			i++
		}
	}
}

// buildBitmap computes the .bitmap file for pack pi of db with a bitmap for each tip and
// for every stride-th commit of the history in topological order (see bitmapStride).
func buildBitmap(ctx context.Context, db *objectDB, pi int, tips []plumbing.Hash) ([]byte, error) {
	p := db.packs[pi]
	x := p.idx
	n := x.count
	words := (n + 63) / 64
	// Every entry of every tree walked is looked up: a hash table, not the idx's binary
	// search, which costs a cache miss a step.
	positions := newIDTable(n, func(i int32) plumbing.Hash { return x.hashAt(int(i)) })
	for i := 0; i < n; i++ {
		positions.add(int32(i))
	}
	// Trees of neighbouring commits name mostly the same objects: the last rank found for
	// each of 64Ki slots answers most lookups from the processor's cache.
	memo := new(rankMemo)
	rankOf := func(h plumbing.Hash) (int, bool) {
		slot := &memo[binary.LittleEndian.Uint16(h[:2])]
		if slot.id == h && slot.rank > 0 {
			return int(slot.rank - 1), true
		}
		pos, ok := positions.lookup(h)
		if !ok {
			return 0, false
		}
		r := x.rankAt(int(pos))
		slot.id, slot.rank = h, int32(r+1)
		return r, true
	}

	// Every commit, parents before children (iterative depth-first post-order).
	g := newGraph(db)
	index := map[plumbing.Hash]int32{}
	var order []*commitNode
	isTip := map[plumbing.Hash]bool{}
	type frame struct {
		c    *commitNode
		next int
	}
	for _, t := range tips {
		if _, ok := index[t]; ok {
			continue
		}
		c, err := g.commit(t)
		if err != nil {
			return nil, err
		}
		index[t] = -1 // on the stack
		stack := []frame{{c, 0}}
		for len(stack) > 0 {
			f := &stack[len(stack)-1]
			if f.next < len(f.c.parents) {
				ph := f.c.parents[f.next]
				f.next++
				if _, ok := index[ph]; ok {
					continue
				}
				if _, ok := x.find(ph); !ok {
					return nil, errNotSelfContained
				}
				pc, err := g.commit(ph)
				if err != nil {
					return nil, err
				}
				index[ph] = -1
				stack = append(stack, frame{pc, 0})
				continue
			}
			index[f.c.hash] = int32(len(order))
			order = append(order, f.c)
			stack = stack[:len(stack)-1]
		}
		if len(order)&1023 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}

	byTime := append([]plumbing.Hash(nil), tips...)
	slices.SortStableFunc(byTime, func(a, b plumbing.Hash) int {
		return cmp.Compare(g.commits[b].time, g.commits[a].time)
	})
	for _, t := range byTime[:min(len(byTime), maxTipBitmaps)] {
		isTip[t] = true
	}
	stride := max(bitmapStride, (len(order)+maxStrideBitmaps-1)/maxStrideBitmaps)
	// The bitmaps computed, by topological index (nil: not selected), held as they are
	// written, in EWAH: a plain one is a bit per object of the pack, 512 of them 110 MB on
	// a history of 200,000 commits; most compress to a few kilobytes.
	selected := make([][]byte, len(order))
	var selOrder []int32
	for i, c := range order {
		if isTip[c.hash] || i%stride == stride-1 {
			selOrder = append(selOrder, int32(i))
		}
	}
	// stamp marks commits met in the current region walk.
	stamp := make([]int32, len(order))
	treeBuf := 0
	gc := &gcBudget{least: bitmapGarbage}
	var walkTree func(h plumbing.Hash, bm bitset) error
	walkTree = func(h plumbing.Hash, bm bitset) error {
		r, ok := rankOf(h)
		if !ok {
			return errNotSelfContained
		}
		if bm.has(r) {
			return nil
		}
		bm.set(r)
		if treeBuf++; treeBuf&1023 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		typ, data, err := db.readPacked(pi, x.offsetAt(int(x.byOffset[r])), 0)
		if err != nil {
			return err
		}
		// Every tree of the history is read once, and dropped: on a large history that is
		// gigabytes, which the server's lax collector setting (serve.go's tuneGC) would let
		// pile up to its memory limit before collecting. The job collects its own.
		if treeBuf&255 == 0 {
			gc.check()
		}
		if typ != plumbing.TreeObject {
			return fmt.Errorf("%w: %s is a %s, not a tree", errCorrupt, h, typ)
		}
		return forEachTreeEntry(data, func(e treeEntry) error {
			switch {
			case e.isLink:
				return nil
			case e.isTree:
				return walkTree(e.hash, bm)
			}
			r, ok := rankOf(e.hash)
			if !ok {
				return errNotSelfContained
			}
			bm.set(r)
			return nil
		})
	}
	bm := make(bitset, words)
	for k, si := range selOrder {
		clear(bm)
		// The region: ancestors reached without passing another selected commit, whose
		// bitmaps (computed earlier: they come first in topological order) are ORed in.
		var region []*commitNode
		stack := []int32{si}
		stamp[si] = int32(k + 1)
		for len(stack) > 0 {
			ci := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if ci != si && selected[ci] != nil {
				bm.orEWAH(selected[ci])
				continue
			}
			c := order[ci]
			region = append(region, c)
			for _, ph := range c.parents {
				pj := index[ph]
				if stamp[pj] != int32(k+1) {
					stamp[pj] = int32(k + 1)
					stack = append(stack, pj)
				}
			}
		}
		for _, c := range region {
			r, _ := rankOf(c.hash)
			bm.set(r)
		}
		for _, c := range region {
			if err := walkTree(c.tree, bm); err != nil {
				return nil, err
			}
		}
		selected[si] = appendEWAH(nil, bm)
	}
	db.cache.drop()

	types, err := packTypeBitmaps(db, pi)
	if err != nil {
		return nil, err
	}
	// The file: header, the four type bitmaps, the entries, the trailing checksum.
	out := make([]byte, 0, 1<<16)
	out = append(out, bitmapMagic...)
	out = binary.BigEndian.AppendUint16(out, 1)
	out = binary.BigEndian.AppendUint16(out, 1) // BITMAP_OPT_FULL_DAG
	out = binary.BigEndian.AppendUint32(out, uint32(len(selOrder)))
	out = append(out, x.packSum[:]...)
	for _, t := range types {
		out = appendEWAH(out, t)
	}
	for _, si := range selOrder {
		pos, _ := x.find(order[si].hash)
		out = binary.BigEndian.AppendUint32(out, uint32(pos))
		out = append(out, 0, 0) // no XOR base, no flags
		out = append(out, selected[si]...)
	}
	sum := sha1.Sum(out)
	return append(out, sum[:]...), nil
}

// packTypeBitmaps returns the bitsets of commits, trees, blobs and tags of pack pi by pack-order
// position, reading entry headers only (a delta has its base's type).
func packTypeBitmaps(db *objectDB, pi int) ([4]bitset, error) {
	p := db.packs[pi]
	x := p.idx
	order := x.reverse()
	typ := make([]plumbing.ObjectType, x.count)
	var typeAt func(r, depth int) (plumbing.ObjectType, error)
	typeAt = func(r, depth int) (plumbing.ObjectType, error) {
		if typ[r] != 0 {
			return typ[r], nil
		}
		if depth > maxDeltaDepth {
			return 0, fmt.Errorf("%w: delta chain too deep", errCorrupt)
		}
		off := x.offsetAt(int(order[r]))
		h, err := db.readHeader(pi, off)
		if err != nil {
			return 0, err
		}
		t := h.typ
		switch h.typ {
		case plumbing.OFSDeltaObject:
			br, ok := x.rankOf(h.baseOff)
			if !ok {
				return 0, fmt.Errorf("%w: delta base at %d is not an entry", errCorrupt, h.baseOff)
			}
			if t, err = typeAt(br, depth+1); err != nil {
				return 0, err
			}
		case plumbing.REFDeltaObject:
			pos, ok := x.find(h.baseRef)
			if !ok {
				return 0, errNotSelfContained
			}
			if t, err = typeAt(x.rankAt(pos), depth+1); err != nil {
				return 0, err
			}
		}
		typ[r] = t
		return t, nil
	}
	var out [4]bitset
	words := (x.count + 63) / 64
	for i := range out {
		out[i] = make(bitset, words)
	}
	for r := 0; r < x.count; r++ {
		t, err := typeAt(r, 0)
		if err != nil {
			return out, err
		}
		switch t {
		case plumbing.CommitObject:
			out[0].set(r)
		case plumbing.TreeObject:
			out[1].set(r)
		case plumbing.BlobObject:
			out[2].set(r)
		case plumbing.TagObject:
			out[3].set(r)
		}
	}
	return out, nil
}

// appendEWAH serialises a bitset as C git's EWAH: bit count, word count, words (each
// run-length word followed by its literal words), position of the last run-length word.
// Trailing zero words are left out, as C git's bitmap_to_ewah does.
func appendEWAH(out []byte, b bitset) []byte {
	for len(b) > 0 && b[len(b)-1] == 0 {
		b = b[:len(b)-1]
	}
	const maxRun, maxLiterals = 1<<32 - 1, 1<<31 - 1
	var words []uint64
	last := 0
	for i := 0; i < len(b) || len(words) == 0; {
		last = len(words)
		words = append(words, 0)
		var fill uint64
		if i < len(b) && b[i] == ^uint64(0) {
			fill = ^uint64(0)
		}
		run := uint64(0)
		for i < len(b) && b[i] == fill && run < maxRun {
			run++
			i++
		}
		lit := uint64(0)
		for i < len(b) && b[i] != 0 && b[i] != ^uint64(0) && lit < maxLiterals {
			words = append(words, b[i])
			lit++
			i++
		}
		rlw := run << 1 & (1<<33 - 2)
		if fill != 0 {
			rlw |= 1
		}
		words[last] = rlw | lit<<33
	}
	out = binary.BigEndian.AppendUint32(out, uint32(64*len(b)))
	out = binary.BigEndian.AppendUint32(out, uint32(len(words)))
	for _, w := range words {
		out = binary.BigEndian.AppendUint64(out, w)
	}
	return binary.BigEndian.AppendUint32(out, uint32(last))
}

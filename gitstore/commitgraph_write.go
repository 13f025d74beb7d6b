package gitstore

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/go-git/go-git/v5/plumbing"
)

// Writing the commit-graph as `git commit-graph write --reachable --changed-paths` does,
// byte for byte: the commits reachable from the refs (HEAD included), generation data v2
// (corrected commit dates) beside the topological levels, and version 1 changed-path Bloom
// filters. What a previous graph already holds (parents, trees, filters) is taken from it,
// so a run after a push reads and diffs only the pushed commits.

// graphWriteCacheSize is the delta cache budget while trees are diffed for filters.
const graphWriteCacheSize = 32 << 20

// graphEntry is one commit being written.
type graphEntry struct {
	hash    plumbing.Hash
	tree    plumbing.Hash
	parents []plumbing.Hash
	pos     []uint32 // parents' positions, once sorted
	time    int64
	level   uint32
	gen     uint64
	filter  []byte
	hasBits bool // filter known (taken from the old graph or computed)
}

// commitGraphStats describe one write, for tests and logs.
type commitGraphStats struct {
	commits    int
	reused     int // commits taken from the previous graph
	newFilters int // Bloom filters computed
	unchanged  bool
	bytes      int
}

// writeCommitGraph writes objects/info/commit-graph of the repository at dir for the
// commits its references reach. When the graph on disk already holds exactly those
// commits with filters, nothing is written.
func writeCommitGraph(ctx context.Context, dir string) (commitGraphStats, error) {
	var st commitGraphStats
	refs, err := refStore{dir: dir}.list()
	if err != nil {
		return st, err
	}
	db, err := openObjectDB(filepath.Join(dir, "objects"))
	if err != nil {
		return st, err
	}
	defer db.close()
	db.cache = newDeltaCache(graphWriteCacheSize)
	old, err := readCommitGraph(commitGraphPath(dir))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		old = nil // a damaged graph is replaced, not trusted
	}
	if old != nil && old.hasBloom() && old.bloom == defaultBloom && graphHoldsTips(db, old, refs) {
		// A graph holds the ancestors of all it holds: nothing is missing.
		st.commits, st.reused, st.unchanged = int(old.n), int(old.n), true
		return st, nil
	}
	gc := &gcBudget{least: commitGraphGarbage}
	entries, order, err := collectGraphCommits(ctx, db, old, refs, &st, gc)
	if err != nil {
		return st, err
	}
	st.commits = len(entries)
	if len(entries) == 0 {
		return st, nil // no commit yet: nothing for a graph to hold
	}
	if old != nil && old.hasBloom() && old.bloom == defaultBloom && int(old.n) == len(entries) &&
		st.reused == len(entries) {
		st.unchanged = true
		return st, nil
	}
	if err := computeBloomFilters(ctx, db, order, &st, gc); err != nil {
		return st, err
	}
	gc.check()
	b, err := encodeCommitGraph(entries)
	if err != nil {
		return st, err
	}
	st.bytes = len(b)
	return st, publishCommitGraph(dir, b)
}

// refCommits returns the commits the refs and HEAD name, tags peeled; refs to trees and
// blobs are left out.
func refCommits(db *objectDB, refs *refList) ([]plumbing.Hash, error) {
	tips := refWants(refs)
	if !refs.head.IsZero() {
		tips = append(tips, refs.head)
	}
	var out []plumbing.Hash
	for _, h := range tips {
		target, typ, _, err := db.peel(h)
		if err != nil {
			return nil, fmt.Errorf("commit-graph: ref target %s: %w", h, err)
		}
		if typ == plumbing.CommitObject {
			out = append(out, target)
		}
	}
	return out, nil
}

// graphHoldsTips reports whether every commit the refs name is in cg.
func graphHoldsTips(db *objectDB, cg *commitGraph, refs *refList) bool {
	tips, err := refCommits(db, refs)
	if err != nil {
		return false
	}
	for _, h := range tips {
		if _, ok := cg.find(h); !ok {
			return false
		}
	}
	return true
}

// collectGraphCommits lists the commits reachable from the refs, sorted by name, with
// positions, levels and generations filled in.
// order is the same entries in discovery order, children before parents.
func collectGraphCommits(ctx context.Context, db *objectDB, old *commitGraph, refs *refList,
	st *commitGraphStats, gc *gcBudget) (sorted, order []*graphEntry, err error) {
	stack, err := refCommits(db, refs)
	if err != nil {
		return nil, nil, err
	}
	byHash := map[plumbing.Hash]*graphEntry{}
	var pbuf []uint32
	for n := 0; len(stack) > 0; n++ {
		if n&4095 == 0 && ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		if n&255 == 0 {
			gc.check()
		}
		h := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if byHash[h] != nil {
			continue
		}
		e := &graphEntry{hash: h}
		found := false
		if old != nil {
			if pos, ok := old.find(h); ok {
				var err error
				if pbuf, err = old.parentsAt(pos, pbuf[:0]); err == nil {
					found = true
					st.reused++
					e.tree, e.time = old.treeAt(pos), old.timeAt(pos)
					for _, p := range pbuf {
						e.parents = append(e.parents, old.hashAt(p))
					}
					if f, ok := old.bloomAt(pos); ok && len(f) > 0 && old.bloom == defaultBloom {
						e.filter, e.hasBits = append([]byte(nil), f...), true
					}
				}
			}
		}
		if !found {
			typ, data, err := db.read(h)
			if err != nil {
				return nil, nil, fmt.Errorf("commit-graph: read commit %s: %w", h, err)
			}
			if typ != plumbing.CommitObject {
				return nil, nil, fmt.Errorf("commit-graph: %s is a %s, not a commit", h, typ)
			}
			c, err := parseCommit(h, data)
			if err != nil {
				return nil, nil, err
			}
			e.tree, e.parents, e.time = c.tree, c.parents, commitDate(data)
		}
		byHash[h] = e
		order = append(order, e)
		for i := len(e.parents) - 1; i >= 0; i-- {
			if byHash[e.parents[i]] == nil {
				stack = append(stack, e.parents[i])
			}
		}
	}
	sorted = slices.Clone(order)
	slices.SortFunc(sorted, func(a, b *graphEntry) int { return bytes.Compare(a.hash[:], b.hash[:]) })
	index := make(map[plumbing.Hash]uint32, len(sorted))
	for i, e := range sorted {
		index[e.hash] = uint32(i)
	}
	for _, e := range sorted {
		e.pos = make([]uint32, len(e.parents))
		for i, p := range e.parents {
			e.pos[i] = index[p]
		}
	}
	computeGenerations(sorted)
	return sorted, order, nil
}

// computeGenerations fills in the topological level and the corrected commit date of every
// entry, as git does: a level is one more than the highest of the parents' (capped at git's
// limit), a corrected date the commit's own date or one more than the parents' highest,
// whichever is larger.
func computeGenerations(sorted []*graphEntry) {
	var stack []*graphEntry
	for _, start := range sorted {
		if start.level != 0 {
			continue
		}
		stack = append(stack[:0], start)
		for len(stack) > 0 {
			e := stack[len(stack)-1]
			if e.level != 0 {
				stack = stack[:len(stack)-1]
				continue
			}
			ready := true
			maxLevel, maxGen := uint32(0), uint64(0)
			for _, p := range e.pos {
				pe := sorted[p]
				if pe.level == 0 {
					stack = append(stack, pe)
					ready = false
					break
				}
				maxLevel = max(maxLevel, pe.level)
				maxGen = max(maxGen, pe.gen)
			}
			if !ready {
				continue
			}
			stack = stack[:len(stack)-1]
			e.level = min(maxLevel, graphGenV1Max-1) + 1
			if e.time > 0 && uint64(e.time) > maxGen {
				maxGen = uint64(e.time) - 1
			}
			e.gen = maxGen + 1
		}
	}
}

// commitDate is the committer time of a commit as git reads it (parse_commit_date): the
// number after the last '>' of a committer line that directly follows the author line
// after the tree and parents; 0 when the commit is not laid out so.
func commitDate(data []byte) int64 {
	for {
		line, rest, ok := bytes.Cut(data, []byte("\n"))
		if !ok {
			return 0
		}
		if !bytes.HasPrefix(line, []byte("tree ")) && !bytes.HasPrefix(line, []byte("parent ")) {
			break
		}
		data = rest
	}
	if !bytes.HasPrefix(data, []byte("author")) {
		return 0
	}
	_, data, ok := bytes.Cut(data, []byte("\n"))
	if !ok || !bytes.HasPrefix(data, []byte("committer")) {
		return 0
	}
	line, _, ok := bytes.Cut(data, []byte("\n"))
	if !ok {
		return 0
	}
	gt := bytes.LastIndexByte(line, '>')
	if gt < 0 {
		return 0
	}
	digits := bytes.TrimLeft(line[gt+1:], " \t")
	end := 0
	for end < len(digits) && digits[end] >= '0' && digits[end] <= '9' {
		end++
	}
	t, err := strconv.ParseInt(string(digits[:end]), 10, 64)
	if err != nil || t < 0 {
		return 0
	}
	return t
}

// commitGraphGarbage is the least garbage the commit-graph writer lets pile up before it
// collects (gcbudget.go).
const commitGraphGarbage = 8 << 20

// computeBloomFilters computes the changed-path filter of every entry that has none yet,
// walking entries children first so that the trees of neighbours stay in the delta cache.
func computeBloomFilters(ctx context.Context, db *objectDB, order []*graphEntry, st *commitGraphStats,
	gc *gcBudget) error {
	read := func(h plumbing.Hash) ([]byte, error) {
		typ, data, err := db.read(h)
		if err != nil {
			return nil, err
		}
		if typ != plumbing.TreeObject {
			return nil, fmt.Errorf("%w: %s is a %s, not a tree", errCorrupt, h, typ)
		}
		return data, nil
	}
	treeOf := map[plumbing.Hash]plumbing.Hash{}
	for _, e := range order {
		treeOf[e.hash] = e.tree
	}
	for i, e := range order {
		if i&255 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		if e.hasBits {
			continue
		}
		// Every tree of the history is read and dropped, like the bitmap writer's: the job
		// collects its own garbage rather than leave it to the server's lax setting.
		if i&15 == 15 {
			gc.check()
		}
		var parentTree plumbing.Hash
		if len(e.parents) > 0 {
			parentTree = treeOf[e.parents[0]]
		}
		f, err := changedPathFilter(read, parentTree, e.tree)
		if err != nil {
			return fmt.Errorf("commit-graph: filter of %s: %w", e.hash, err)
		}
		e.filter, e.hasBits = f, true
		st.newFilters++
	}
	return nil
}

// changedPathFilter is the Bloom filter of the paths that differ between trees from and to
// (zero: the empty tree), leading directories included, as bloom.c computes it.
func changedPathFilter(read treeReader, from, to plumbing.Hash) ([]byte, error) {
	paths := map[string]struct{}{}
	changes := 0
	tooMany := false
	err := diffTreesRecursive(read, from, to, func(p []byte, _, _ treeItem) error {
		changes++
		if changes > bloomMaxChangedPaths {
			tooMany = true
			return errStopDiff
		}
		for {
			paths[string(p)] = struct{}{}
			i := bytes.LastIndexByte(p, '/')
			if i < 0 {
				return nil
			}
			p = p[:i]
		}
	})
	if err != nil {
		return nil, err
	}
	if tooMany || len(paths) > bloomMaxChangedPaths {
		return []byte{0xff}, nil
	}
	n := (len(paths)*int(defaultBloom.bitsPerEntry) + 7) / 8
	if n == 0 {
		n = 1
	}
	filter := make([]byte, n)
	for p := range paths {
		bloomAdd(filter, newBloomKey([]byte(p), defaultBloom))
	}
	return filter, nil
}

// encodeCommitGraph lays out the file: header, chunk table, OIDF, OIDL, CDAT, GDA2,
// GDO2 and EDGE when needed, BIDX, BDAT, and the SHA-1 of it all, in the order git writes.
func encodeCommitGraph(entries []*graphEntry) ([]byte, error) {
	n := len(entries)
	if n >= graphParentNone {
		return nil, errors.New("commit-graph: too many commits")
	}
	var fanout, oids, cdat, gda2, gdo2, edges, bidx, bdat bytes.Buffer
	be32 := func(w *bytes.Buffer, v uint32) { w.Write(binary.BigEndian.AppendUint32(nil, v)) }
	count := 0
	for b := 0; b < 256; b++ {
		for count < n && int(entries[count].hash[0]) == b {
			count++
		}
		be32(&fanout, uint32(count))
	}
	be32(&bdat, defaultBloom.hashVersion)
	be32(&bdat, defaultBloom.numHashes)
	be32(&bdat, defaultBloom.bitsPerEntry)
	filterEnd := uint32(0)
	overflows := uint32(0)
	for _, e := range entries {
		oids.Write(e.hash[:])
		cdat.Write(e.tree[:])
		switch len(e.pos) {
		case 0:
			be32(&cdat, graphParentNone)
			be32(&cdat, graphParentNone)
		case 1:
			be32(&cdat, e.pos[0])
			be32(&cdat, graphParentNone)
		case 2:
			be32(&cdat, e.pos[0])
			be32(&cdat, e.pos[1])
		default:
			be32(&cdat, e.pos[0])
			be32(&cdat, graphExtraEdges|uint32(edges.Len()/4))
			for i, p := range e.pos[1:] {
				if i == len(e.pos)-2 {
					p |= graphLastEdge
				}
				be32(&edges, p)
			}
		}
		t := uint64(e.time)
		be32(&cdat, e.level<<2|uint32(t>>32)&3)
		be32(&cdat, uint32(t))
		off := e.gen - t
		if off > graphGenOffsetMax {
			be32(&gda2, graphOffsetOverflw|overflows)
			overflows++
			gdo2.Write(binary.BigEndian.AppendUint64(nil, off))
		} else {
			be32(&gda2, uint32(off))
		}
		filterEnd += uint32(len(e.filter))
		be32(&bidx, filterEnd)
		bdat.Write(e.filter)
	}
	type chunk struct {
		id   uint32
		data []byte
	}
	chunks := []chunk{{chunkOIDFanout, fanout.Bytes()}, {chunkOIDLookup, oids.Bytes()},
		{chunkCommitData, cdat.Bytes()}, {chunkGenData, gda2.Bytes()}}
	if gdo2.Len() > 0 {
		chunks = append(chunks, chunk{chunkGenOverflow, gdo2.Bytes()})
	}
	if edges.Len() > 0 {
		chunks = append(chunks, chunk{chunkExtraEdges, edges.Bytes()})
	}
	chunks = append(chunks, chunk{chunkBloomIndexes, bidx.Bytes()}, chunk{chunkBloomData, bdat.Bytes()})
	var out bytes.Buffer
	be32(&out, graphSignature)
	out.Write([]byte{1, 1, byte(len(chunks)), 0})
	off := uint64(graphHeaderSize + 12*(len(chunks)+1))
	for _, c := range chunks {
		be32(&out, c.id)
		out.Write(binary.BigEndian.AppendUint64(nil, off))
		off += uint64(len(c.data))
	}
	be32(&out, 0)
	out.Write(binary.BigEndian.AppendUint64(nil, off))
	for _, c := range chunks {
		out.Write(c.data)
	}
	sum := sha1.Sum(out.Bytes())
	out.Write(sum[:])
	return out.Bytes(), nil
}

// publishCommitGraph writes b to a temporary file beside the commit-graph and renames it
// into place, so that readers (cairn's and C git's) see the old file or the new one.
func publishCommitGraph(dir string, b []byte) error {
	info := filepath.Dir(commitGraphPath(dir))
	if err := os.MkdirAll(info, 0o755); err != nil {
		return fmt.Errorf("commit-graph: %w", err)
	}
	f, err := os.CreateTemp(info, "tmp_graph_")
	if err != nil {
		return fmt.Errorf("commit-graph: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("commit-graph: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("commit-graph: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("commit-graph: %w", err)
	}
	if err := os.Chmod(tmp, 0o444); err != nil {
		return fmt.Errorf("commit-graph: %w", err)
	}
	if err := os.Rename(tmp, commitGraphPath(dir)); err != nil {
		return fmt.Errorf("commit-graph: %w", err)
	}
	return nil
}

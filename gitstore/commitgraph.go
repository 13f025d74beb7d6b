package gitstore

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"

	"github.com/go-git/go-git/v5/plumbing"
)

// git's commit-graph file (gitformat-commit-graph(5)), objects/info/commit-graph: every
// commit reachable from the refs with its tree, parents, commit time and generation, in
// object-name order, and optionally a changed-path Bloom filter for each. cairn writes it
// in the background after pushes (commitgraph_write.go) and reads it to walk history without
// inflating commits: C git reads the same file, and `git commit-graph verify` checks it.
//
// The graph is closed under ancestry: a commit in it has all its ancestors in it. Commits
// newer than the file (pushed since it was written) are read from the object store.

// Chunk ids of the commit-graph format.
const (
	chunkOIDFanout    = 0x4f494446 // OIDF
	chunkOIDLookup    = 0x4f49444c // OIDL
	chunkCommitData   = 0x43444154 // CDAT
	chunkGenData      = 0x47444132 // GDA2
	chunkGenOverflow  = 0x47444f32 // GDO2
	chunkExtraEdges   = 0x45444745 // EDGE
	chunkBloomIndexes = 0x42494458 // BIDX
	chunkBloomData    = 0x42444154 // BDAT
	chunkBaseGraphs   = 0x42415345 // BASE
)

const (
	graphSignature     = 0x43475048 // CGPH
	graphParentNone    = 0x70000000
	graphExtraEdges    = 0x80000000
	graphLastEdge      = 0x80000000
	graphGenV1Max      = 0x3fffffff
	graphGenOffsetMax  = 1<<31 - 1
	graphOffsetOverflw = 0x80000000
	graphHeaderSize    = 8
	graphCommitData    = 20 + 16
	// generationInfinity is the generation of a commit that is not in the graph: above
	// every generation in it, so walks that cut on generations never cut it off.
	generationInfinity = ^uint64(0)
)

// errGraphParent reports a parent position a commit-graph cannot hold.
var errGraphParent = fmt.Errorf("%w: commit-graph parent out of range", errCorrupt)

// commitGraph is a commit-graph file held in memory. It is immutable once read and is
// shared by every request on its repository.
type commitGraph struct {
	n        uint32
	fanout   []byte
	oids     []byte
	cdat     []byte
	gda2     []byte // nil without generation data (generation v1: topological levels)
	gdo2     []byte
	edges    []byte
	bidx     []byte // nil without Bloom filters
	bdat     []byte // filters, after the 12-byte header
	bloom    bloomSettings
	fileSize int64
}

// commitGraphPath is where a repository's commit-graph lives.
func commitGraphPath(dir string) string {
	return filepath.Join(dir, "objects", "info", "commit-graph")
}

// readCommitGraph reads and checks the layout of the commit-graph at path. A file written by
// git with a chain of base graphs (--split) is refused: cairn writes and reads single files.
func readCommitGraph(path string) (*commitGraph, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseCommitGraph(b)
}

// parseCommitGraph checks the header and chunk table of a commit-graph and slices its
// chunks. Like C git it trusts the content itself and does not hash the whole file.
func parseCommitGraph(b []byte) (*commitGraph, error) {
	bad := func(what string) error { return fmt.Errorf("%w: commit-graph: %s", errCorrupt, what) }
	if len(b) < graphHeaderSize+12+20 {
		return nil, bad("too short")
	}
	if binary.BigEndian.Uint32(b) != graphSignature || b[4] != 1 {
		return nil, bad("not a version 1 commit-graph")
	}
	if b[5] != 1 {
		return nil, bad("not a SHA-1 commit-graph")
	}
	if b[7] != 0 {
		return nil, bad("a graph with base graphs")
	}
	nchunks := int(b[6])
	table := graphHeaderSize
	if len(b) < table+(nchunks+1)*12+20 {
		return nil, bad("truncated chunk table")
	}
	end := uint64(len(b) - 20)
	g := &commitGraph{fileSize: int64(len(b))}
	chunks := map[uint32][]byte{}
	for i := 0; i < nchunks; i++ {
		e := b[table+12*i:]
		id := binary.BigEndian.Uint32(e)
		start := binary.BigEndian.Uint64(e[4:])
		stop := binary.BigEndian.Uint64(e[16:])
		if id == 0 || start > stop || stop > end || start < uint64(table+(nchunks+1)*12) {
			return nil, bad("chunk out of bounds")
		}
		if _, dup := chunks[id]; dup {
			return nil, bad("chunk listed twice")
		}
		chunks[id] = b[start:stop]
	}
	if binary.BigEndian.Uint32(b[table+12*nchunks:]) != 0 {
		return nil, bad("chunk table not terminated")
	}
	g.fanout = chunks[chunkOIDFanout]
	if len(g.fanout) != 256*4 {
		return nil, bad("bad fan-out")
	}
	prev := uint32(0)
	for i := 0; i < 256; i++ {
		v := binary.BigEndian.Uint32(g.fanout[4*i:])
		if v < prev {
			return nil, bad("fan-out not monotonic")
		}
		prev = v
	}
	g.n = prev
	if g.n >= graphParentNone {
		return nil, bad("too many commits")
	}
	n := uint64(g.n)
	g.oids = chunks[chunkOIDLookup]
	g.cdat = chunks[chunkCommitData]
	if uint64(len(g.oids)) != 20*n || uint64(len(g.cdat)) != graphCommitData*n {
		return nil, bad("lookup or data chunk of the wrong size")
	}
	if _, ok := chunks[chunkBaseGraphs]; ok {
		return nil, bad("a graph with base graphs")
	}
	if gd, ok := chunks[chunkGenData]; ok {
		if uint64(len(gd)) != 4*n {
			return nil, bad("generation data of the wrong size")
		}
		g.gda2 = gd
		g.gdo2 = chunks[chunkGenOverflow]
	}
	g.edges = chunks[chunkExtraEdges]
	bidx, hasIdx := chunks[chunkBloomIndexes]
	bdat, hasDat := chunks[chunkBloomData]
	if hasIdx && hasDat && uint64(len(bidx)) == 4*n && len(bdat) >= 12 {
		s := bloomSettings{
			hashVersion:  binary.BigEndian.Uint32(bdat),
			numHashes:    binary.BigEndian.Uint32(bdat[4:]),
			bitsPerEntry: binary.BigEndian.Uint32(bdat[8:]),
		}
		// Filters of an unknown hash version are of no use; C git ignores them too.
		if (s.hashVersion == 1 || s.hashVersion == 2) && s.numHashes > 0 && s.numHashes <= 32 {
			g.bidx, g.bdat, g.bloom = bidx, bdat[12:], s
		}
	}
	return g, nil
}

// find returns the position of commit h in the graph.
func (g *commitGraph) find(h plumbing.Hash) (uint32, bool) {
	lo := uint32(0)
	if h[0] > 0 {
		lo = binary.BigEndian.Uint32(g.fanout[4*(int(h[0])-1):])
	}
	pos, ok := searchNames(g.oids, int(lo), int(binary.BigEndian.Uint32(g.fanout[4*int(h[0]):])), h)
	return uint32(pos), ok
}

// hashAt is the name of the commit at pos.
func (g *commitGraph) hashAt(pos uint32) (h plumbing.Hash) {
	copy(h[:], g.oids[20*pos:])
	return h
}

// treeAt is the root tree of the commit at pos.
func (g *commitGraph) treeAt(pos uint32) (h plumbing.Hash) {
	copy(h[:], g.cdat[graphCommitData*pos:])
	return h
}

// timeAt is the commit time of the commit at pos (34 bits, as git stores it).
func (g *commitGraph) timeAt(pos uint32) int64 {
	d := g.cdat[graphCommitData*pos+28:]
	return int64(binary.BigEndian.Uint32(d)&3)<<32 | int64(binary.BigEndian.Uint32(d[4:]))
}

// levelAt is the topological level (generation number v1) of the commit at pos.
func (g *commitGraph) levelAt(pos uint32) uint32 {
	return binary.BigEndian.Uint32(g.cdat[graphCommitData*pos+28:]) >> 2
}

// generationAt is the generation of the commit at pos that walks compare: the corrected
// commit date when the graph has generation data (v2), else the topological level. Either
// is larger than the generation of every ancestor.
func (g *commitGraph) generationAt(pos uint32) (uint64, error) {
	if g.gda2 == nil {
		return uint64(g.levelAt(pos)), nil
	}
	off := binary.BigEndian.Uint32(g.gda2[4*pos:])
	if off&graphOffsetOverflw != 0 {
		i := uint64(off&^graphOffsetOverflw) * 8
		if i+8 > uint64(len(g.gdo2)) {
			return 0, fmt.Errorf("%w: commit-graph generation overflow out of range", errCorrupt)
		}
		return uint64(g.timeAt(pos)) + binary.BigEndian.Uint64(g.gdo2[i:]), nil
	}
	return uint64(g.timeAt(pos)) + uint64(off), nil
}

// parentsAt appends the positions of the parents of the commit at pos to buf.
func (g *commitGraph) parentsAt(pos uint32, buf []uint32) ([]uint32, error) {
	d := g.cdat[graphCommitData*pos+20:]
	p1, p2 := binary.BigEndian.Uint32(d), binary.BigEndian.Uint32(d[4:])
	bad := errGraphParent
	if p1 == graphParentNone {
		return buf, nil
	}
	if p1 >= g.n {
		return buf, bad
	}
	buf = append(buf, p1)
	if p2 == graphParentNone {
		return buf, nil
	}
	if p2&graphExtraEdges == 0 {
		if p2 >= g.n {
			return buf, bad
		}
		return append(buf, p2), nil
	}
	for i := uint64(p2 &^ graphExtraEdges); ; i++ {
		if 4*i+4 > uint64(len(g.edges)) || len(buf) > 1<<16 {
			return buf, bad
		}
		e := binary.BigEndian.Uint32(g.edges[4*i:])
		if e&^graphLastEdge >= g.n {
			return buf, bad
		}
		buf = append(buf, e&^graphLastEdge)
		if e&graphLastEdge != 0 {
			return buf, nil
		}
	}
}

// bloomAt is the changed-path filter of the commit at pos; ok is false when the graph has
// none for it.
func (g *commitGraph) bloomAt(pos uint32) (filter []byte, ok bool) {
	if g.bidx == nil {
		return nil, false
	}
	end := binary.BigEndian.Uint32(g.bidx[4*pos:])
	start := uint32(0)
	if pos > 0 {
		start = binary.BigEndian.Uint32(g.bidx[4*(pos-1):])
	}
	if start > end || uint64(end) > uint64(len(g.bdat)) {
		return nil, false
	}
	return g.bdat[start:end], true
}

// hasBloom reports whether the graph carries changed-path filters.
func (g *commitGraph) hasBloom() bool { return g.bidx != nil }

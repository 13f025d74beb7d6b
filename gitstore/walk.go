package gitstore

import (
	"bytes"
	"container/heap"
	"context"
	"fmt"
	"strconv"

	"github.com/go-git/go-git/v5/plumbing"
)

// commitNode is the part of a commit the protocol needs: its tree, parents and committer time.
type commitNode struct {
	hash    plumbing.Hash
	tree    plumbing.Hash
	parents []plumbing.Hash
	time    int64
	// gen is the commit's generation from the commit-graph, generationInfinity when the
	// commit is not in it; graphPos its position there.
	gen      uint64
	graphPos uint32

	// Flags are valid only while walk equals the graph's current walk, so every walk
	// starts clean without clearing anything.
	walk  uint32
	flags uint8
	seq   uint32 // queue insertion order, to break time ties deterministically
}

const (
	fSeen          uint8 = 1 << iota // queued at some point in this walk
	fQueued                          // in the queue now
	fPopped                          // processed; its parents were looked at
	fUninteresting                   // reachable from an excluded commit
)

// graph parses and caches commits for one request.
type graph struct {
	db      *objectDB
	commits map[plumbing.Hash]*commitNode
	walkID  uint32
	seq     uint32
	// load, when set, reads a commit not met yet instead of parsing it from db: from the
	// repository's commit-graph cg first (repo_objects.go).
	load func(h plumbing.Hash) (*commitNode, error)
	cg   *commitGraph
}

func newGraph(db *objectDB) *graph {
	return &graph{db: db, commits: map[plumbing.Hash]*commitNode{}}
}

// commit returns the parsed commit h.
func (g *graph) commit(h plumbing.Hash) (*commitNode, error) {
	if c, ok := g.commits[h]; ok {
		return c, nil
	}
	if g.load != nil {
		c, err := g.load(h)
		if err != nil {
			return nil, err
		}
		g.commits[h] = c
		return c, nil
	}
	typ, data, err := g.db.read(h)
	if err != nil {
		return nil, err
	}
	if typ != plumbing.CommitObject {
		return nil, fmt.Errorf("%s is a %s, not a commit", h, typ)
	}
	c, err := parseCommit(h, data)
	if err != nil {
		return nil, err
	}
	g.commits[h] = c
	return c, nil
}

// parseCommit reads the header lines of a commit object.
func parseCommit(h plumbing.Hash, data []byte) (*commitNode, error) {
	c := &commitNode{hash: h, gen: generationInfinity}
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			i = len(data)
		}
		line := data[:i]
		if i < len(data) {
			data = data[i+1:]
		} else {
			data = nil
		}
		if len(line) == 0 {
			break
		}
		switch {
		case bytes.HasPrefix(line, []byte("tree ")):
			if !parseHex(line[5:], &c.tree) {
				return nil, fmt.Errorf("%w: commit %s has a bad tree line", errCorrupt, h)
			}
		case bytes.HasPrefix(line, []byte("parent ")):
			var p plumbing.Hash
			if !parseHex(line[7:], &p) {
				return nil, fmt.Errorf("%w: commit %s has a bad parent line", errCorrupt, h)
			}
			c.parents = append(c.parents, p)
		case bytes.HasPrefix(line, []byte("committer ")):
			c.time = signatureTime(line)
		}
	}
	if c.tree.IsZero() {
		return nil, fmt.Errorf("%w: commit %s has no tree", errCorrupt, h)
	}
	return c, nil
}

// signatureTime extracts the epoch seconds of "name <email> 1234567890 +0000".
func signatureTime(line []byte) int64 {
	gt := bytes.LastIndexByte(line, '>')
	if gt < 0 {
		return 0
	}
	fields := bytes.Fields(line[gt+1:])
	if len(fields) == 0 {
		return 0
	}
	t, _ := strconv.ParseInt(string(fields[0]), 10, 64)
	return t
}

func parseHex(b []byte, h *plumbing.Hash) bool {
	if len(b) < 40 {
		return false
	}
	for i := 0; i < 20; i++ {
		hi, ok1 := unhex(b[2*i])
		lo, ok2 := unhex(b[2*i+1])
		if !ok1 || !ok2 {
			return false
		}
		h[i] = hi<<4 | lo
	}
	return len(b) == 40 || b[40] == ' ' || b[40] == '\n'
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// parseTag returns what an annotated tag points at.
func parseTag(data []byte) (plumbing.Hash, plumbing.ObjectType, error) {
	var target plumbing.Hash
	var typ plumbing.ObjectType
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i <= 0 {
			break
		}
		line := data[:i]
		data = data[i+1:]
		switch {
		case bytes.HasPrefix(line, []byte("object ")):
			if !parseHex(line[7:], &target) {
				return target, 0, fmt.Errorf("%w: tag has a bad object line", errCorrupt)
			}
		case bytes.HasPrefix(line, []byte("type ")):
			t, err := plumbing.ParseObjectType(string(line[5:]))
			if err != nil {
				return target, 0, fmt.Errorf("%w: tag has a bad type line", errCorrupt)
			}
			typ = t
		}
	}
	if target.IsZero() || typ == 0 {
		return target, 0, fmt.Errorf("%w: tag without object or type", errCorrupt)
	}
	return target, typ, nil
}

// treeEntry is one entry of a tree object; gitlinks (submodule commits) are reported with
// isLink and never followed.
type treeEntry struct {
	name   []byte
	hash   plumbing.Hash
	isTree bool
	isLink bool
}

// forEachTreeEntry calls fn for every entry of a tree object without allocating per entry;
// the name slice aliases data.
func forEachTreeEntry(data []byte, fn func(e treeEntry) error) error {
	for len(data) > 0 {
		sp := bytes.IndexByte(data, ' ')
		if sp <= 0 {
			return fmt.Errorf("%w: bad tree entry mode", errCorrupt)
		}
		mode := data[:sp]
		data = data[sp+1:]
		nul := bytes.IndexByte(data, 0)
		if nul < 0 || len(data) < nul+21 {
			return fmt.Errorf("%w: truncated tree entry", errCorrupt)
		}
		e := treeEntry{name: data[:nul]}
		copy(e.hash[:], data[nul+1:nul+21])
		data = data[nul+21:]
		switch {
		case bytes.Equal(mode, []byte("40000")) || bytes.Equal(mode, []byte("040000")):
			e.isTree = true
		case bytes.Equal(mode, []byte("160000")):
			e.isLink = true
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}

// typeOf returns an object's type, following delta chains through their headers only.
func (db *objectDB) typeOf(h plumbing.Hash) (plumbing.ObjectType, error) {
	loc, ok := db.locateFresh(h)
	if !ok {
		return 0, fmt.Errorf("%w: %s", errObjectMissing, h)
	}
	if loc.pack == loosePack {
		typ, _, r, err := db.openLoose(h)
		if err != nil {
			return 0, err
		}
		r.Close()
		return typ, nil
	}
	pi, off := int(loc.pack), db.packs[loc.pack].idx.offsetAt(int(loc.pos))
	for depth := 0; depth < maxDeltaDepth; depth++ {
		hdr, err := db.readHeader(pi, off)
		if err != nil {
			return 0, err
		}
		switch hdr.typ {
		case plumbing.OFSDeltaObject:
			off = hdr.baseOff
		case plumbing.REFDeltaObject:
			if pos, ok := db.packs[pi].idx.find(hdr.baseRef); ok {
				off = db.packs[pi].idx.offsetAt(pos)
				continue
			}
			return db.typeOf(hdr.baseRef)
		default:
			return hdr.typ, nil
		}
	}
	return 0, fmt.Errorf("%w: delta chain too deep", errCorrupt)
}

// peel follows annotated tags to the object they finally name. tags lists the tag objects
// passed through, outermost first.
func (db *objectDB) peel(h plumbing.Hash) (target plumbing.Hash, typ plumbing.ObjectType,
	tags []plumbing.Hash, err error) {
	typ, err = db.typeOf(h)
	if err != nil {
		return h, 0, nil, err
	}
	for typ == plumbing.TagObject {
		if len(tags) > 100 {
			return h, 0, nil, fmt.Errorf("%w: tag chain too long", errCorrupt)
		}
		tags = append(tags, h)
		_, data, err := db.read(h)
		if err != nil {
			return h, 0, nil, err
		}
		if h, typ, err = parseTag(data); err != nil {
			return h, 0, nil, err
		}
	}
	return h, typ, tags, nil
}

// commitQueue orders commits newest first, like C git's date-ordered walks.
type commitQueue []*commitNode

func (q commitQueue) Len() int { return len(q) }
func (q commitQueue) Less(i, j int) bool {
	if q[i].time != q[j].time {
		return q[i].time > q[j].time
	}
	return q[i].seq < q[j].seq
}
func (q commitQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *commitQueue) Push(x any)   { *q = append(*q, x.(*commitNode)) }
func (q *commitQueue) Pop() any {
	old := *q
	c := old[len(old)-1]
	*q = old[:len(old)-1]
	return c
}

// walkState is one limited revision walk (C git's limit_list): the commits reachable from
// the included ones and not from the excluded ones.
type walkState struct {
	g           *graph
	queue       commitQueue
	interesting int // queued commits not (yet) known to be uninteresting
	parentless  func(plumbing.Hash) bool
	limit       int // when not zero, run stops once it has found this many commits
}

func (g *graph) newWalk(parentless func(plumbing.Hash) bool) *walkState {
	g.walkID++
	if parentless == nil {
		parentless = func(plumbing.Hash) bool { return false }
	}
	return &walkState{g: g, parentless: parentless}
}

func (w *walkState) flags(c *commitNode) uint8 {
	if c.walk != w.g.walkID {
		return 0
	}
	return c.flags
}

func (w *walkState) setFlags(c *commitNode, f uint8) {
	if c.walk != w.g.walkID {
		c.walk, c.flags = w.g.walkID, 0
	}
	c.flags |= f
}

func (w *walkState) push(c *commitNode, uninteresting bool) {
	if uninteresting {
		w.markUninteresting(c)
	}
	if w.flags(c)&fSeen != 0 {
		return
	}
	w.setFlags(c, fSeen|fQueued)
	if w.flags(c)&fUninteresting == 0 {
		w.interesting++
	}
	w.g.seq++
	c.seq = w.g.seq
	heap.Push(&w.queue, c)
}

// markUninteresting flags c and, through commits already processed in this walk, its
// ancestors (mark_parents_uninteresting); unprocessed ones pass the flag on when popped.
func (w *walkState) markUninteresting(c *commitNode) {
	stack := []*commitNode{c}
	for len(stack) > 0 {
		c := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		f := w.flags(c)
		if f&fUninteresting != 0 {
			continue
		}
		w.setFlags(c, fUninteresting)
		if f&fQueued != 0 {
			w.interesting--
		}
		if f&fPopped == 0 || w.parentless(c.hash) {
			continue
		}
		for _, p := range c.parents {
			if pc, ok := w.g.commits[p]; ok {
				stack = append(stack, pc)
			}
		}
	}
}

// walkSlop is how many extra commits a walk looks at once only excluded ones are left,
// so a commit with a skewed clock does not end it early (C git's SLOP).
const walkSlop = 5

// run walks until nothing interesting can be found any more. Commits older than since
// (when not zero) are treated as excluded, with their ancestors. It returns the interesting
// commits, newest first, and the edges: excluded parents of interesting commits.
func (w *walkState) run(ctx context.Context, since int64) (list, edges []*commitNode, err error) {
	lastDate := int64(1<<63 - 1)
	slop := walkSlop
	steps := 0
	for w.queue.Len() > 0 {
		if steps++; steps&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, nil, err
			}
		}
		c := heap.Pop(&w.queue).(*commitNode)
		f := w.flags(c)
		c.flags &^= fQueued
		if f&fUninteresting == 0 {
			w.interesting--
		}
		if since != 0 && c.time < since && f&fUninteresting == 0 {
			w.setFlags(c, fUninteresting)
			f |= fUninteresting
		}
		w.setFlags(c, fPopped)
		uninteresting := f&fUninteresting != 0
		if !w.parentless(c.hash) {
			for _, ph := range c.parents {
				p, err := w.g.commit(ph)
				if err != nil {
					return nil, nil, fmt.Errorf("parent of %s: %w", c.hash, err)
				}
				w.push(p, uninteresting)
			}
		}
		if uninteresting {
			if w.queue.Len() == 0 {
				break
			}
			if lastDate <= w.queue[0].time || w.interesting > 0 {
				slop = walkSlop
				continue
			}
			if slop--; slop == 0 {
				break
			}
			continue
		}
		lastDate = c.time
		list = append(list, c)
		if w.limit > 0 && len(list) >= w.limit {
			break
		}
	}
	kept := list[:0]
	for _, c := range list {
		if w.flags(c)&fUninteresting == 0 {
			kept = append(kept, c)
		}
	}
	seenEdge := map[plumbing.Hash]bool{}
	for _, c := range kept {
		if w.parentless(c.hash) {
			continue
		}
		for _, ph := range c.parents {
			p := w.g.commits[ph]
			if p != nil && w.flags(p)&fUninteresting != 0 && !seenEdge[ph] {
				seenEdge[ph] = true
				edges = append(edges, p)
			}
		}
	}
	return kept, edges, nil
}

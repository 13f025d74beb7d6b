package gitstore

import (
	"context"
	"fmt"

	"github.com/go-git/go-git/v5/plumbing"
)

// logWalk is the date-ordered commit walk behind Log. Commits the commit-graph holds are
// known by their position in it: a step reads a few words of the mapped graph, with no
// allocation and no hash lookup, as C git's walk does, so that a deep page or one file's
// history across a long history costs what git log costs. Commits newer than the graph are
// read from the objects and numbered after it.
type logWalk struct {
	g      *graph
	cg     *commitGraph // nil without a commit-graph
	extras []*commitNode
	extra  map[*commitNode]logID
	seen   []uint64 // graph positions queued, a bit each
	xseen  []bool   // extras queued
	queue  []logEntry
	seq    int
	pbuf   []uint32
}

// logID names a commit of a walk: a commit-graph position when at least zero, else the
// extra commit -1-id.
type logID int64

type logEntry struct {
	id   logID
	time int64
	seq  int
}

func newLogWalk(g *graph, cg *commitGraph) *logWalk {
	w := &logWalk{g: g, cg: cg, extra: map[*commitNode]logID{}}
	if cg != nil {
		w.seen = make([]uint64, cg.n/64+1)
	}
	return w
}

// id names commit h.
func (w *logWalk) id(h plumbing.Hash) (logID, error) {
	if w.cg != nil {
		if pos, ok := w.cg.find(h); ok {
			return logID(pos), nil
		}
	}
	c, err := w.g.commit(h)
	if err != nil {
		return 0, fmt.Errorf("read commit %s: %w", h, err)
	}
	return w.nodeID(c), nil
}

// nodeID names a commit already read.
func (w *logWalk) nodeID(c *commitNode) logID {
	if w.cg != nil && c.gen != generationInfinity {
		return logID(c.graphPos)
	}
	if id, ok := w.extra[c]; ok {
		return id
	}
	id := logID(-1 - len(w.extras))
	w.extras = append(w.extras, c)
	w.xseen = append(w.xseen, false)
	w.extra[c] = id
	return id
}

func (w *logWalk) node(id logID) *commitNode { return w.extras[-1-id] }

func (w *logWalk) hash(id logID) plumbing.Hash {
	if id >= 0 {
		return w.cg.hashAt(uint32(id))
	}
	return w.node(id).hash
}

func (w *logWalk) tree(id logID) plumbing.Hash {
	if id >= 0 {
		return w.cg.treeAt(uint32(id))
	}
	return w.node(id).tree
}

func (w *logWalk) time(id logID) int64 {
	if id >= 0 {
		return w.cg.timeAt(uint32(id))
	}
	return w.node(id).time
}

// generation is the commit's generation in the commit-graph: above every ancestor's;
// generationInfinity for a commit newer than the graph.
func (w *logWalk) generation(id logID) (uint64, error) {
	if id < 0 {
		return generationInfinity, nil
	}
	return w.cg.generationAt(uint32(id))
}

// bloom is the commit's changed-path filter, when the graph has one for it.
func (w *logWalk) bloom(id logID) ([]byte, bool) {
	if id < 0 || w.cg == nil {
		return nil, false
	}
	return w.cg.bloomAt(uint32(id))
}

// parents appends the commit's parents to buf.
func (w *logWalk) parents(id logID, buf []logID) ([]logID, error) {
	if id >= 0 {
		var err error
		if w.pbuf, err = w.cg.parentsAt(uint32(id), w.pbuf[:0]); err != nil {
			return buf, err
		}
		for _, p := range w.pbuf {
			buf = append(buf, logID(p))
		}
		return buf, nil
	}
	for _, h := range w.node(id).parents {
		p, err := w.id(h)
		if err != nil {
			return buf, err
		}
		buf = append(buf, p)
	}
	return buf, nil
}

// push queues the commit unless it was queued before.
func (w *logWalk) push(id logID) {
	if id >= 0 {
		word, bit := id/64, uint64(1)<<(id%64)
		if w.seen[word]&bit != 0 {
			return
		}
		w.seen[word] |= bit
	} else {
		if w.xseen[-1-id] {
			return
		}
		w.xseen[-1-id] = true
	}
	w.seq++
	w.pushEntry(logEntry{id: id, time: w.time(id), seq: w.seq})
}

// pushEntry adds e to the queue.
func (w *logWalk) pushEntry(e logEntry) {
	w.queue = append(w.queue, e)
	for i := len(w.queue) - 1; i > 0; {
		up := (i - 1) / 2
		if !w.before(w.queue[i], w.queue[up]) {
			break
		}
		w.queue[i], w.queue[up] = w.queue[up], w.queue[i]
		i = up
	}
}

// before orders the queue: newest commit first, then the one queued first.
func (w *logWalk) before(a, b logEntry) bool {
	if a.time != b.time {
		return a.time > b.time
	}
	return a.seq < b.seq
}

// pop takes the newest queued commit.
func (w *logWalk) pop() logEntry {
	q := w.queue
	top := q[0]
	last := len(q) - 1
	q[0] = q[last]
	q = q[:last]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(q) && w.before(q[l], q[m]) {
			m = l
		}
		if r < len(q) && w.before(q[r], q[m]) {
			m = r
		}
		if m == i {
			break
		}
		q[i], q[m] = q[m], q[i]
		i = m
	}
	w.queue = q
	return top
}

// Flags of the range walk.
const (
	rangeSeen uint8 = 1 << iota
	rangeQueued
	rangePopped
	rangeExcluded
)

// rangeWalk finds the commits reachable from include and not from exclude ("a..b") with the
// limited walk C git makes (limit_list, as walkState does for fetches): newest first, passing
// exclusion down, and stopping a few commits after only excluded ones are left, instead of
// listing everything the excluded commits reach. It reuses w's numbering of commits.
type rangeWalk struct {
	w           *logWalk
	flags       []uint8 // by graph position
	xflags      []uint8 // by extra
	queue       logWalk // its queue only
	interesting int
	pbuf        []logID
}

func (w *logWalk) newRangeWalk() *rangeWalk {
	rw := &rangeWalk{w: w}
	if w.cg != nil {
		rw.flags = make([]uint8, w.cg.n)
	}
	return rw
}

func (rw *rangeWalk) flag(id logID) *uint8 {
	if id >= 0 {
		return &rw.flags[id]
	}
	for len(rw.xflags) <= int(-1-id) {
		rw.xflags = append(rw.xflags, 0)
	}
	return &rw.xflags[-1-id]
}

// contains reports whether the walk found commit id in the range.
func (rw *rangeWalk) contains(id logID) bool {
	if id < 0 && int(-1-id) >= len(rw.xflags) {
		return false
	}
	return *rw.flag(id)&(rangePopped|rangeExcluded) == rangePopped
}

func (rw *rangeWalk) push(id logID, excluded bool) error {
	if excluded {
		if err := rw.exclude(id); err != nil {
			return err
		}
	}
	f := rw.flag(id)
	if *f&rangeSeen != 0 {
		return nil
	}
	*f |= rangeSeen | rangeQueued
	if *f&rangeExcluded == 0 {
		rw.interesting++
	}
	rw.queue.seq++
	rw.queue.pushEntry(logEntry{id: id, time: rw.w.time(id), seq: rw.queue.seq})
	return nil
}

// exclude flags id and, through the commits already walked, its ancestors.
func (rw *rangeWalk) exclude(id logID) error {
	stack := []logID{id}
	for len(stack) > 0 {
		c := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		f := rw.flag(c)
		if *f&rangeExcluded != 0 {
			continue
		}
		*f |= rangeExcluded
		if *f&rangeQueued != 0 {
			rw.interesting--
		}
		if *f&rangePopped == 0 {
			continue
		}
		var err error
		if rw.pbuf, err = rw.w.parents(c, rw.pbuf[:0]); err != nil {
			return err
		}
		stack = append(stack, rw.pbuf...)
	}
	return nil
}

// run walks until nothing in the range can be found any more.
func (rw *rangeWalk) run(ctx context.Context) error {
	lastDate := int64(1<<63 - 1)
	slop := walkSlop
	var pbuf []logID
	for steps := 0; len(rw.queue.queue) > 0; steps++ {
		if steps&1023 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		e := rw.queue.pop()
		f := rw.flag(e.id)
		*f &^= rangeQueued
		if *f&rangeExcluded == 0 {
			rw.interesting--
		}
		*f |= rangePopped
		excluded := *f&rangeExcluded != 0
		var err error
		if pbuf, err = rw.w.parents(e.id, pbuf[:0]); err != nil {
			return err
		}
		for _, p := range pbuf {
			if err := rw.push(p, excluded); err != nil {
				return err
			}
		}
		if excluded {
			if len(rw.queue.queue) == 0 {
				break
			}
			if lastDate <= rw.queue.queue[0].time || rw.interesting > 0 {
				slop = walkSlop
				continue
			}
			if slop--; slop == 0 {
				break
			}
			continue
		}
		lastDate = e.time
	}
	return nil
}

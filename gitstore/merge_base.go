package gitstore

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/go-git/go-git/v5/plumbing"
)

// Merge bases, as git merge-base --all finds them: paint the commits reachable from each
// side, newest first, until every commit still queued is known to lie below a common
// ancestor already found; then drop the common ancestors that are ancestors of others.
// The cost follows the commits since the histories forked, not the length of the history.
// Committer dates only order the walk; a skewed clock costs time, never correctness,
// because redundant candidates are filtered out afterwards.

// Paint flags of the merge-base walk.
const (
	paintOurs   uint8 = 1 << iota // reachable from the first side
	paintTheirs                   // reachable from the second side
	paintStale                    // below a common ancestor already found
	paintResult                   // a common ancestor found
)

// paintQueue orders commits newest first, ties in insertion order.
type paintQueue []*commitNode

func (q paintQueue) Len() int { return len(q) }
func (q paintQueue) Less(i, j int) bool {
	if q[i].time != q[j].time {
		return q[i].time > q[j].time
	}
	return q[i].seq < q[j].seq
}
func (q paintQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *paintQueue) Push(x any)   { *q = append(*q, x.(*commitNode)) }
func (q *paintQueue) Pop() any {
	old := *q
	c := old[len(old)-1]
	*q = old[:len(old)-1]
	return c
}

// painter is one paint walk; flags live in a map so that the walk leaves the graph's own
// walk flags alone.
type painter struct {
	g        *graph
	flags    map[*commitNode]uint8
	queued   map[*commitNode]int // copies of each commit in the queue
	q        paintQueue
	nonStale int // queued copies of commits not painted stale
}

func (p *painter) push(c *commitNode) {
	p.g.seq++
	c.seq = p.g.seq
	heap.Push(&p.q, c)
	p.queued[c]++
	if p.flags[c]&paintStale == 0 {
		p.nonStale++
	}
}

// paint adds flags f to c, keeping the count of non-stale queued commits right.
func (p *painter) paint(c *commitNode, f uint8) {
	old := p.flags[c]
	if old&paintStale == 0 && f&paintStale != 0 {
		p.nonStale -= p.queued[c]
	}
	p.flags[c] = old | f
}

// paintDownToCommon paints from ours (paintOurs) and theirs (paintTheirs) and returns the
// common ancestors found, in the order found; later ones may be redundant.
func paintDownToCommon(ctx context.Context, g *graph, ours *commitNode, theirs []*commitNode) (*painter, []*commitNode, error) {
	p := &painter{g: g, flags: map[*commitNode]uint8{}, queued: map[*commitNode]int{}}
	p.paint(ours, paintOurs)
	p.push(ours)
	for _, c := range theirs {
		p.paint(c, paintTheirs)
		p.push(c)
	}
	var found []*commitNode
	for steps := 0; p.nonStale > 0; steps++ {
		if steps&1023 == 1023 {
			if err := ctx.Err(); err != nil {
				return nil, nil, err
			}
		}
		c := heap.Pop(&p.q).(*commitNode)
		p.queued[c]--
		if p.flags[c]&paintStale == 0 {
			p.nonStale--
		}
		f := p.flags[c] & (paintOurs | paintTheirs | paintStale)
		if f == paintOurs|paintTheirs {
			if p.flags[c]&paintResult == 0 {
				p.paint(c, paintResult)
				found = append(found, c)
			}
			f |= paintStale
		}
		for _, ph := range c.parents {
			parent, err := g.commit(ph)
			if err != nil {
				return nil, nil, fmt.Errorf("parent of %s: %w", c.hash, err)
			}
			if p.flags[parent]&f == f {
				continue
			}
			p.paint(parent, f)
			p.push(parent)
		}
	}
	return p, found, nil
}

// mergeBases returns the best common ancestors of commits a and b, newest first.
func mergeBases(ctx context.Context, g *graph, a, b plumbing.Hash) ([]plumbing.Hash, error) {
	ca, err := mergeCommitNode(g, a)
	if err != nil {
		return nil, err
	}
	if a == b {
		return []plumbing.Hash{a}, nil
	}
	cb, err := mergeCommitNode(g, b)
	if err != nil {
		return nil, err
	}
	p, found, err := paintDownToCommon(ctx, g, ca, []*commitNode{cb})
	if err != nil {
		return nil, err
	}
	var candidates []*commitNode
	for _, c := range found {
		if p.flags[c]&paintStale == 0 {
			candidates = append(candidates, c)
		}
	}
	if len(candidates) > 1 {
		if candidates, err = removeRedundant(ctx, g, candidates); err != nil {
			return nil, err
		}
	}
	sort.SliceStable(candidates, func(i, j int) bool { return candidates[i].time > candidates[j].time })
	out := make([]plumbing.Hash, len(candidates))
	for i, c := range candidates {
		out[i] = c.hash
	}
	return out, nil
}

// removeRedundant drops the candidates that are ancestors of other candidates: painting
// from one candidate against the others, a candidate reached from both sides is below
// another one.
func removeRedundant(ctx context.Context, g *graph, candidates []*commitNode) ([]*commitNode, error) {
	redundant := make([]bool, len(candidates))
	for i, c := range candidates {
		if redundant[i] {
			continue
		}
		var others []*commitNode
		var index []int
		for j, o := range candidates {
			if j != i && !redundant[j] {
				others = append(others, o)
				index = append(index, j)
			}
		}
		p, _, err := paintDownToCommon(ctx, g, c, others)
		if err != nil {
			return nil, err
		}
		if p.flags[c]&paintTheirs != 0 {
			redundant[i] = true
		}
		for k, o := range others {
			if p.flags[o]&paintOurs != 0 {
				redundant[index[k]] = true
			}
		}
	}
	var out []*commitNode
	for i, c := range candidates {
		if !redundant[i] {
			out = append(out, c)
		}
	}
	return out, nil
}

// mergeCommitNode reads commit h for a merge; ErrRefNotFound when there is no such commit.
func mergeCommitNode(g *graph, h plumbing.Hash) (*commitNode, error) {
	c, err := g.commit(h)
	if errors.Is(err, errObjectMissing) {
		return nil, fmt.Errorf("commit %s: %w", h, ErrRefNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read commit %s: %w", h, err)
	}
	return c, nil
}

// MergeBases returns the best common ancestors of commits a and b, newest first, as
// git merge-base --all does: one for most histories, several after criss-cross merges,
// none when the histories are unrelated. The walk visits the commits since the histories
// forked, not the whole history.
func (r *Repo) MergeBases(ctx context.Context, a, b plumbing.Hash) ([]plumbing.Hash, error) {
	g, err := r.commitGraph()
	if err != nil {
		return nil, err
	}
	bases, err := mergeBases(ctx, g, a, b)
	if err != nil {
		return nil, fmt.Errorf("merge base of %s and %s: %w", a, b, err)
	}
	return bases, nil
}

// CanFastForward reports whether target can be fast-forwarded to source: target is source
// or one of its ancestors.
func (r *Repo) CanFastForward(ctx context.Context, target, source plumbing.Hash) (bool, error) {
	bases, err := r.MergeBases(ctx, target, source)
	if err != nil {
		return false, err
	}
	return len(bases) == 1 && bases[0] == target, nil
}

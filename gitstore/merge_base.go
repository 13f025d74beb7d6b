package gitstore

import (
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

// painter is one paint walk, on the commit numbering of a logWalk (commit-graph positions
// for the commits the graph holds), its flags and queue counts in maps, so that the cost
// follows the commits painted, not the length of the history.
type painter struct {
	w        *logWalk
	flags    map[logID]uint8
	queued   map[logID]int // copies of each commit in the queue
	q        logWalk       // its queue only
	nonStale int           // queued copies of commits not painted stale
	pbuf     []logID
}

func newPainter(w *logWalk) *painter {
	return &painter{w: w, flags: map[logID]uint8{}, queued: map[logID]int{}}
}

func (p *painter) push(c logID) {
	p.q.seq++
	p.q.pushEntry(logEntry{id: c, time: p.w.time(c), seq: p.q.seq})
	p.queued[c]++
	if p.flags[c]&paintStale == 0 {
		p.nonStale++
	}
}

// paint adds flags f to c, keeping the count of non-stale queued commits right.
func (p *painter) paint(c logID, f uint8) {
	old := p.flags[c]
	if old&paintStale == 0 && f&paintStale != 0 {
		p.nonStale -= p.queued[c]
	}
	p.flags[c] = old | f
}

// paintDownToCommon paints from ours (paintOurs) and theirs (paintTheirs) and returns the
// common ancestors found, in the order found; later ones may be redundant.
func paintDownToCommon(ctx context.Context, w *logWalk, ours logID, theirs []logID) (*painter, []logID, error) {
	p := newPainter(w)
	p.paint(ours, paintOurs)
	p.push(ours)
	for _, c := range theirs {
		p.paint(c, paintTheirs)
		p.push(c)
	}
	var found []logID
	for steps := 0; p.nonStale > 0; steps++ {
		if steps&1023 == 1023 {
			if err := ctx.Err(); err != nil {
				return nil, nil, err
			}
		}
		c := p.q.pop().id
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
		parents, err := w.parents(c, p.pbuf[:0])
		if err != nil {
			return nil, nil, fmt.Errorf("parents of %s: %w", w.hash(c), err)
		}
		p.pbuf = parents
		for _, parent := range parents {
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
	if _, err := mergeCommitNode(g, a); err != nil {
		return nil, err
	}
	if a == b {
		return []plumbing.Hash{a}, nil
	}
	if _, err := mergeCommitNode(g, b); err != nil {
		return nil, err
	}
	w := newLogWalk(g, g.cg)
	ia, err := w.id(a)
	if err != nil {
		return nil, err
	}
	ib, err := w.id(b)
	if err != nil {
		return nil, err
	}
	p, found, err := paintDownToCommon(ctx, w, ia, []logID{ib})
	if err != nil {
		return nil, err
	}
	var candidates []logID
	for _, c := range found {
		if p.flags[c]&paintStale == 0 {
			candidates = append(candidates, c)
		}
	}
	if len(candidates) > 1 {
		if candidates, err = removeRedundant(ctx, w, candidates); err != nil {
			return nil, err
		}
	}
	sort.SliceStable(candidates, func(i, j int) bool { return w.time(candidates[i]) > w.time(candidates[j]) })
	out := make([]plumbing.Hash, len(candidates))
	for i, c := range candidates {
		out[i] = w.hash(c)
	}
	return out, nil
}

// removeRedundant drops the candidates that are ancestors of other candidates: painting
// from one candidate against the others, a candidate reached from both sides is below
// another one.
func removeRedundant(ctx context.Context, w *logWalk, candidates []logID) ([]logID, error) {
	redundant := make([]bool, len(candidates))
	for i, c := range candidates {
		if redundant[i] {
			continue
		}
		var others []logID
		var index []int
		for j, o := range candidates {
			if j != i && !redundant[j] {
				others = append(others, o)
				index = append(index, j)
			}
		}
		p, _, err := paintDownToCommon(ctx, w, c, others)
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
	var out []logID
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

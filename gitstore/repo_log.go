package gitstore

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
)

// LogOptions select the commits of a history walk, as git log's arguments do.
type LogOptions struct {
	// Include are the commits to start from; Exclude hides them and their ancestors ("a..b").
	Include []plumbing.Hash
	Exclude []plumbing.Hash
	// Path keeps only the commits that changed it, with git's history simplification.
	Path string
	// Since and Until bound the committer time; zero means no bound.
	Since, Until time.Time
	// Author keeps commits whose author name or email contains it.
	Author string
	// FirstParent follows only the first parent of merges.
	FirstParent bool
	// Skip commits first, then return at most Limit (0: all).
	Skip, Limit int
}

// logItem is a commit waiting in the walk's queue.
type logItem struct {
	c   *commitNode
	seq int
}

type logQueue []logItem

func (q logQueue) Len() int { return len(q) }
func (q logQueue) Less(i, j int) bool {
	if q[i].c.time != q[j].c.time {
		return q[i].c.time > q[j].c.time
	}
	return q[i].seq < q[j].seq
}
func (q logQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *logQueue) Push(x any)   { *q = append(*q, x.(logItem)) }
func (q *logQueue) Pop() any {
	old := *q
	it := old[len(old)-1]
	*q = old[:len(old)-1]
	return it
}

// Log walks history newest first (by committer time, as git log does) and returns the
// commits opts selects. Commits come from the commit-graph where it has them, and only the
// ones returned are read whole. With a path, a commit the graph's Bloom filter clears of
// touching it is followed to its first parent without reading a tree.
func (r *Repo) Log(ctx context.Context, opts LogOptions) ([]*Commit, error) {
	g, err := r.commitGraph()
	if err != nil {
		return nil, err
	}
	var inRange map[*commitNode]bool // nil: every commit reachable from Include
	if len(opts.Exclude) > 0 {
		if inRange, err = r.rangeCommits(ctx, g, opts.Include, opts.Exclude); err != nil {
			return nil, err
		}
	}
	pw := r.newPathWalk(opts.Path)
	var q logQueue
	seen := map[*commitNode]bool{}
	seq := 0
	push := func(h plumbing.Hash) error {
		c, err := g.commit(h)
		if err != nil {
			return fmt.Errorf("read commit %s: %w", h, err)
		}
		if seen[c] || inRange != nil && !inRange[c] {
			return nil
		}
		seen[c] = true
		seq++
		heap.Push(&q, logItem{c, seq})
		return nil
	}
	for _, h := range opts.Include {
		if err := push(h); err != nil {
			return nil, err
		}
	}
	since, until := int64(0), int64(0)
	if !opts.Since.IsZero() {
		since = opts.Since.Unix()
	}
	if !opts.Until.IsZero() {
		until = opts.Until.Unix()
	}
	var out []*Commit
	skip := opts.Skip
	for steps := 0; q.Len() > 0; steps++ {
		if steps&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		c := heap.Pop(&q).(logItem).c
		if !opts.Since.IsZero() && c.time < since {
			// Everything left is older still (clock skew aside): git log stops here too.
			break
		}
		parents := c.parents
		if opts.FirstParent && len(parents) > 1 {
			parents = parents[:1]
		}
		show := true
		if pw != nil {
			var follow []plumbing.Hash
			show, follow, err = pw.touches(g, c, parents)
			if err != nil {
				return nil, err
			}
			parents = follow
		}
		for _, p := range parents {
			if err := push(p); err != nil {
				return nil, err
			}
		}
		if !show || !opts.Until.IsZero() && c.time > until {
			continue
		}
		if opts.Author != "" {
			full, err := r.commitObject(c.hash)
			if err != nil {
				return nil, err
			}
			if !authorMatches(full, opts.Author) {
				continue
			}
		}
		if skip > 0 {
			skip--
			continue
		}
		full, err := r.commitObject(c.hash)
		if err != nil {
			return nil, err
		}
		out = append(out, full)
		if opts.Limit > 0 && len(out) >= opts.Limit {
			break
		}
	}
	return out, nil
}

// rangeCommits returns the commits reachable from include and not from exclude, with the
// limited walk C git makes for "a..b": it stops soon after only excluded commits are left,
// instead of listing everything the excluded commits reach.
func (r *Repo) rangeCommits(ctx context.Context, g *graph, include, exclude []plumbing.Hash) (map[*commitNode]bool, error) {
	w := g.newWalk(nil)
	for _, h := range exclude {
		c, err := g.commit(h)
		if err != nil {
			return nil, fmt.Errorf("read commit %s: %w", h, err)
		}
		w.push(c, true)
	}
	for _, h := range include {
		c, err := g.commit(h)
		if err != nil {
			return nil, fmt.Errorf("read commit %s: %w", h, err)
		}
		w.push(c, false)
	}
	list, _, err := w.run(ctx, 0)
	if err != nil {
		return nil, err
	}
	set := make(map[*commitNode]bool, len(list))
	for _, c := range list {
		set[c] = true
	}
	return set, nil
}

func authorMatches(c *Commit, s string) bool {
	return containsFold(c.Author.Name, s) || containsFold(c.Author.Email, s)
}

func containsFold(s, sub string) bool {
	return len(sub) == 0 || indexFold(s, sub) >= 0
}

func indexFold(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if equalFoldASCII(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}

func equalFoldASCII(a, b string) bool {
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// pathWalk follows one path through history for Log.
type pathWalk struct {
	r    *Repo
	path string
	keys []bloomKey // nil without a commit-graph with Bloom filters
	at   map[*commitNode]plumbing.Hash
}

func (r *Repo) newPathWalk(p string) *pathWalk {
	if p == "" {
		return nil
	}
	pw := &pathWalk{r: r, path: p, at: map[*commitNode]plumbing.Hash{}}
	if r.cg != nil && r.cg.hasBloom() {
		pw.keys = pathBloomKeys(p, r.cg.bloom)
	}
	return pw
}

// objectAt returns the object at the path in commit c, zero when absent.
func (pw *pathWalk) objectAt(c *commitNode) (plumbing.Hash, error) {
	if h, ok := pw.at[c]; ok {
		return h, nil
	}
	e, ok, err := pw.r.pathItem(c.tree, pw.path)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	h := plumbing.ZeroHash
	if ok {
		h = e.hash
	}
	pw.at[c] = h
	return h, nil
}

// touches applies git's default history simplification for one path: a commit whose path is
// the same as in one of its parents (TREESAME) is hidden and only that parent is followed;
// otherwise it is shown and every parent followed. A root commit is shown when it has the
// path. A Bloom filter that clears a commit of the path makes it TREESAME to its first
// parent without a look at either tree.
func (pw *pathWalk) touches(g *graph, c *commitNode, parents []plumbing.Hash) (bool, []plumbing.Hash, error) {
	if len(parents) == 0 {
		mine, err := pw.objectAt(c)
		return !mine.IsZero(), nil, err
	}
	if pw.keys != nil && c.gen != generationInfinity {
		if f, ok := pw.r.cg.bloomAt(c.graphPos); ok && len(f) > 0 && !bloomMaybeChanged(f, pw.keys) {
			return false, parents[:1], nil
		}
	}
	mine, err := pw.objectAt(c)
	if err != nil {
		return false, nil, err
	}
	for _, ph := range parents {
		pc, err := g.commit(ph)
		if err != nil {
			return false, nil, fmt.Errorf("read commit %s: %w", ph, err)
		}
		theirs, err := pw.objectAt(pc)
		if err != nil {
			return false, nil, err
		}
		if theirs == mine {
			return false, []plumbing.Hash{ph}, nil
		}
	}
	return true, parents, nil
}

// IsAncestor reports whether commit a is reachable from commit b (a == b counts). With a
// commit-graph the walk from b stops at commits whose generation is below a's: none of
// their ancestors can be a.
func (r *Repo) IsAncestor(ctx context.Context, a, b plumbing.Hash) (bool, error) {
	if a == b {
		return true, nil
	}
	g, err := r.commitGraph()
	if err != nil {
		return false, err
	}
	minGen := uint64(0)
	if ca, err := g.commit(a); err == nil {
		minGen = ca.gen
		if minGen == generationInfinity && r.cg == nil {
			minGen = 0
		}
	} else if errors.Is(err, errObjectMissing) {
		return false, nil
	} else {
		return false, err
	}
	start, err := g.commit(b)
	if err != nil {
		return false, err
	}
	seen := map[*commitNode]bool{start: true}
	stack := []*commitNode{start}
	for n := 0; len(stack) > 0; n++ {
		if n&1023 == 0 && ctx.Err() != nil {
			return false, ctx.Err()
		}
		c := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, ph := range c.parents {
			if ph == a {
				return true, nil
			}
			p, err := g.commit(ph)
			if err != nil {
				return false, err
			}
			if seen[p] || p.gen < minGen {
				continue
			}
			seen[p] = true
			stack = append(stack, p)
		}
	}
	return false, nil
}

// LastCommitFor returns the newest commit reachable from h that changed path p, or nil when
// none did.
func (r *Repo) LastCommitFor(ctx context.Context, h plumbing.Hash, p string) (*Commit, error) {
	list, err := r.Log(ctx, LogOptions{Include: []plumbing.Hash{h}, Path: p, Limit: 1})
	if err != nil || len(list) == 0 {
		return nil, err
	}
	return list[0], nil
}

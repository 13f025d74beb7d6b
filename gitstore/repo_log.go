package gitstore

import (
	"context"
	"errors"
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

// Log walks history newest first (by committer time, as git log does) and returns the
// commits opts selects. Commits come from the commit-graph where it has them (logwalk.go),
// and only the ones returned are read whole. With a path, a commit the graph's Bloom filter
// clears of touching it is followed to its first parent without reading a tree.
func (r *Repo) Log(ctx context.Context, opts LogOptions) ([]*Commit, error) {
	g, err := r.commitGraph()
	if err != nil {
		return nil, err
	}
	w := newLogWalk(g, r.cg)
	var inRange *rangeWalk // nil: every commit reachable from Include
	if len(opts.Exclude) > 0 {
		inRange = w.newRangeWalk()
		for i, hs := range [][]plumbing.Hash{opts.Exclude, opts.Include} {
			for _, h := range hs {
				id, err := w.id(h)
				if err != nil {
					return nil, err
				}
				if err := inRange.push(id, i == 0); err != nil {
					return nil, err
				}
			}
		}
		if err := inRange.run(ctx); err != nil {
			return nil, err
		}
	}
	pw := r.newPathWalk(opts.Path, w)
	push := func(id logID) {
		if inRange == nil || inRange.contains(id) {
			w.push(id)
		}
	}
	for _, h := range opts.Include {
		id, err := w.id(h)
		if err != nil {
			return nil, err
		}
		push(id)
	}
	since, until := int64(0), int64(0)
	if !opts.Since.IsZero() {
		since = opts.Since.Unix()
	}
	if !opts.Until.IsZero() {
		until = opts.Until.Unix()
	}
	var out []*Commit
	var pbuf []logID
	skip := opts.Skip
	for steps := 0; len(w.queue) > 0; steps++ {
		if steps&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		e := w.pop()
		if !opts.Since.IsZero() && e.time < since {
			// Everything left is older still (clock skew aside): git log stops here too.
			break
		}
		parents, err := w.parents(e.id, pbuf[:0])
		if err != nil {
			return nil, err
		}
		pbuf = parents
		if opts.FirstParent && len(parents) > 1 {
			parents = parents[:1]
		}
		show := true
		if pw != nil {
			if show, parents, err = pw.touches(e.id, parents); err != nil {
				return nil, err
			}
		}
		for _, p := range parents {
			push(p)
		}
		if !show || !opts.Until.IsZero() && e.time > until {
			continue
		}
		if opts.Author != "" {
			full, err := r.commitObject(w.hash(e.id))
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
		full, err := r.commitObject(w.hash(e.id))
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
	w    *logWalk
	path string
	keys []bloomKey // nil without a commit-graph with Bloom filters
	at   map[logID]plumbing.Hash
}

func (r *Repo) newPathWalk(p string, w *logWalk) *pathWalk {
	if p == "" {
		return nil
	}
	pw := &pathWalk{r: r, w: w, path: p, at: map[logID]plumbing.Hash{}}
	if r.cg != nil && r.cg.hasBloom() {
		pw.keys = pathBloomKeys(p, r.cg.bloom)
	}
	return pw
}

// objectAt returns the object at the path in commit id, zero when absent.
func (pw *pathWalk) objectAt(id logID) (plumbing.Hash, error) {
	if h, ok := pw.at[id]; ok {
		return h, nil
	}
	e, ok, err := pw.r.pathItem(pw.w.tree(id), pw.path)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	h := plumbing.ZeroHash
	if ok {
		h = e.hash
	}
	pw.at[id] = h
	return h, nil
}

// touches applies git's default history simplification for one path: a commit whose path is
// the same as in one of its parents (TREESAME) is hidden and only that parent is followed;
// otherwise it is shown and every parent followed. A root commit is shown when it has the
// path. A Bloom filter that clears a commit of the path makes it TREESAME to its first
// parent without a look at either tree.
func (pw *pathWalk) touches(id logID, parents []logID) (bool, []logID, error) {
	if len(parents) == 0 {
		mine, err := pw.objectAt(id)
		return !mine.IsZero(), nil, err
	}
	if pw.keys != nil {
		if f, ok := pw.w.bloom(id); ok && len(f) > 0 && !bloomMaybeChanged(f, pw.keys) {
			return false, parents[:1], nil
		}
	}
	mine, err := pw.objectAt(id)
	if err != nil {
		return false, nil, err
	}
	for i, p := range parents {
		theirs, err := pw.objectAt(p)
		if err != nil {
			return false, nil, err
		}
		if theirs == mine {
			return false, parents[i : i+1], nil
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
	w := newLogWalk(g, r.cg)
	ia, err := w.id(a)
	if errors.Is(err, errObjectMissing) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	minGen, err := w.generation(ia)
	if err != nil {
		return false, err
	}
	ib, err := w.id(b)
	if err != nil {
		return false, err
	}
	visited := map[logID]bool{ib: true}
	stack := []logID{ib}
	var pbuf []logID
	for n := 0; len(stack) > 0; n++ {
		if n&1023 == 0 && ctx.Err() != nil {
			return false, ctx.Err()
		}
		c := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if pbuf, err = w.parents(c, pbuf[:0]); err != nil {
			return false, err
		}
		for _, p := range pbuf {
			if p == ia {
				return true, nil
			}
			if visited[p] {
				continue
			}
			visited[p] = true
			if gen, err := w.generation(p); err != nil {
				return false, err
			} else if gen < minGen {
				continue
			}
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

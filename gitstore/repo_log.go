package gitstore

import (
	"context"
	"crypto/sha1"
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

// Log walks history newest first (by committer time, as git log does) and returns the
// commits opts selects. Commits come from the commit-graph where it has them (logwalk.go),
// and only the ones returned are read whole. With a path, a commit the graph's Bloom filter
// clears of touching it is followed to its first parent without reading a tree.
//
// A page (a limit) is served from the walk a previous page made, when it reached that deep:
// the walk for a page goes on to twice its depth and is kept in the Store's shared cache, so
// that paging through a history walks it about once, not once per page.
func (r *Repo) Log(ctx context.Context, opts LogOptions) ([]*Commit, error) {
	var hashes []plumbing.Hash
	if opts.Limit <= 0 {
		var err error
		if hashes, _, err = r.walkLog(ctx, opts, opts.Skip, 0); err != nil {
			return nil, err
		}
	} else {
		if _, err := r.objects(); err != nil {
			return nil, err
		}
		need := opts.Skip + opts.Limit
		key := r.cacheKey(logCacheKey(opts))
		cw := (*cachedWalk)(nil)
		if o, ok := r.store.reads.cache.get(key); ok && o.walk != nil && (len(o.walk.hashes) >= need ||
			o.walk.complete) {
			cw = o.walk
		} else {
			depth := need
			if opts.Skip > 0 {
				depth = 2 * need
			}
			hs, complete, err := r.walkLog(ctx, opts, 0, depth)
			if err != nil {
				return nil, err
			}
			cw = &cachedWalk{hashes: hs, complete: complete}
			r.store.reads.cache.put(&cachedObject{key: key, walk: cw, cost: cachedObjectOverhead + 20*int64(cap(hs))})
		}
		from := min(opts.Skip, len(cw.hashes))
		hashes = cw.hashes[from:min(need, len(cw.hashes))]
	}
	out := make([]*Commit, 0, len(hashes))
	keep := int64(len(hashes))*commitCostEstimate <= r.store.reads.cache.budget()/4
	for _, h := range hashes {
		c, err := r.readCommit(h, keep)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// commitCostEstimate is what a parsed commit costs the shared cache, about. The commits of
// a list join the cache when the list takes at most a quarter of it (pages do, and a
// compare across 10,000 commits with the default budget; a whole long history does not,
// which would push everything else out).
const commitCostEstimate = 600

// cachedWalk is the start of a Log walk: the commits it selected, in order, and whether it
// ended there.
type cachedWalk struct {
	hashes   []plumbing.Hash
	complete bool
}

// logCacheKey names a walk by everything that decides what it selects but skip and limit.
func logCacheKey(opts LogOptions) plumbing.Hash {
	h := sha1.New()
	fmt.Fprintf(h, "log\x00%q\x00%v\x00%d\x00%d\x00%q\x00", opts.Path, opts.FirstParent,
		opts.Since.Unix(), opts.Until.Unix(), opts.Author)
	for _, list := range [][]plumbing.Hash{opts.Include, opts.Exclude} {
		for _, c := range list {
			h.Write(c[:])
		}
		h.Write([]byte{0})
	}
	var key plumbing.Hash
	copy(key[:], h.Sum(nil))
	return key
}

// walkLog walks as Log describes and returns the commits it selects after the first skip,
// at most limit of them (0: all); complete reports that the walk ran out.
func (r *Repo) walkLog(ctx context.Context, opts LogOptions, skip, limit int) (out []plumbing.Hash,
	complete bool, err error) {
	g, err := r.commitGraph()
	if err != nil {
		return nil, false, err
	}
	w := newLogWalk(g, r.cg)
	var inRange *rangeWalk // nil: every commit reachable from Include
	if len(opts.Exclude) > 0 {
		inRange = w.newRangeWalk()
		for i, hs := range [][]plumbing.Hash{opts.Exclude, opts.Include} {
			for _, h := range hs {
				id, err := w.id(h)
				if err != nil {
					return nil, false, err
				}
				if err := inRange.push(id, i == 0); err != nil {
					return nil, false, err
				}
			}
		}
		if err := inRange.run(ctx); err != nil {
			return nil, false, err
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
			return nil, false, err
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
	var pbuf []logID
	for steps := 0; ; steps++ {
		if len(w.queue) == 0 {
			return out, true, nil
		}
		if steps&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, false, err
			}
		}
		e := w.pop()
		if !opts.Since.IsZero() && e.time < since {
			// Everything left is older still (clock skew aside): git log stops here too.
			return out, true, nil
		}
		parents, err := w.parents(e.id, pbuf[:0])
		if err != nil {
			return nil, false, err
		}
		pbuf = parents
		if opts.FirstParent && len(parents) > 1 {
			parents = parents[:1]
		}
		show := true
		if pw != nil {
			if show, parents, err = pw.touches(e.id, parents); err != nil {
				return nil, false, err
			}
		}
		for _, p := range parents {
			push(p)
		}
		if !show || !opts.Until.IsZero() && e.time > until {
			continue
		}
		if opts.Author != "" {
			full, err := r.readCommit(w.hash(e.id), false)
			if err != nil {
				return nil, false, err
			}
			if !authorMatches(full, opts.Author) {
				continue
			}
		}
		if skip > 0 {
			skip--
			continue
		}
		out = append(out, w.hash(e.id))
		if limit > 0 && len(out) >= limit {
			return out, len(w.queue) == 0, nil
		}
	}
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
	return reachable(ctx, g, a, b)
}

// reachable is IsAncestor on g; a missing a is reachable from nothing.
func reachable(ctx context.Context, g *graph, a, b plumbing.Hash) (bool, error) {
	if a == b {
		return true, nil
	}
	w := newLogWalk(g, g.cg)
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

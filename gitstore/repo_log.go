package gitstore

import (
	"container/heap"
	"context"
	"fmt"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
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
	c   *object.Commit
	seq int
}

type logQueue []logItem

func (q logQueue) Len() int { return len(q) }
func (q logQueue) Less(i, j int) bool {
	ti, tj := q[i].c.Committer.When, q[j].c.Committer.When
	if !ti.Equal(tj) {
		return ti.After(tj)
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
// commits opts selects.
func (r *Repo) Log(ctx context.Context, opts LogOptions) ([]*Commit, error) {
	hidden, err := r.ancestors(ctx, opts.Exclude)
	if err != nil {
		return nil, err
	}
	var q logQueue
	seen := map[plumbing.Hash]bool{}
	seq := 0
	push := func(h plumbing.Hash) error {
		if seen[h] || hidden[h] {
			return nil
		}
		seen[h] = true
		c, err := r.git.CommitObject(h)
		if err != nil {
			return fmt.Errorf("read commit %s: %w", h, err)
		}
		seq++
		heap.Push(&q, logItem{c, seq})
		return nil
	}
	for _, h := range opts.Include {
		if err := push(h); err != nil {
			return nil, err
		}
	}
	var out []*Commit
	skip := opts.Skip
	for steps := 0; q.Len() > 0; steps++ {
		if steps&255 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		c := heap.Pop(&q).(logItem).c
		if !opts.Since.IsZero() && c.Committer.When.Before(opts.Since) {
			// Everything left is older still (clock skew aside): git log stops here too.
			break
		}
		parents := c.ParentHashes
		if opts.FirstParent && len(parents) > 1 {
			parents = parents[:1]
		}
		show := true
		if opts.Path != "" {
			var follow []plumbing.Hash
			show, follow, err = r.touches(c, parents, opts.Path)
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
		if !show || !opts.Until.IsZero() && c.Committer.When.After(opts.Until) ||
			opts.Author != "" && !authorMatches(c, opts.Author) {
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		out = append(out, commitOf(c))
		if opts.Limit > 0 && len(out) >= opts.Limit {
			break
		}
	}
	return out, nil
}

func authorMatches(c *object.Commit, s string) bool {
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

// touches applies git's default history simplification for one path: a commit whose path is
// the same as in one of its parents (TREESAME) is hidden and only that parent is followed;
// otherwise it is shown and every parent followed. A root commit is shown when it has the path.
func (r *Repo) touches(c *object.Commit, parents []plumbing.Hash, p string) (bool, []plumbing.Hash, error) {
	mine, err := r.pathHash(c, p)
	if err != nil {
		return false, nil, err
	}
	if len(parents) == 0 {
		return !mine.IsZero(), nil, nil
	}
	for _, ph := range parents {
		pc, err := r.git.CommitObject(ph)
		if err != nil {
			return false, nil, fmt.Errorf("read commit %s: %w", ph, err)
		}
		theirs, err := r.pathHash(pc, p)
		if err != nil {
			return false, nil, err
		}
		if theirs == mine {
			return false, []plumbing.Hash{ph}, nil
		}
	}
	return true, parents, nil
}

// ancestors returns every commit reachable from starts (themselves included).
func (r *Repo) ancestors(ctx context.Context, starts []plumbing.Hash) (map[plumbing.Hash]bool, error) {
	set := map[plumbing.Hash]bool{}
	if len(starts) == 0 {
		return set, nil
	}
	g, err := r.commitGraph()
	if err != nil {
		return nil, err
	}
	stack := append([]plumbing.Hash(nil), starts...)
	for n := 0; len(stack) > 0; n++ {
		if n&1023 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		h := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if set[h] {
			continue
		}
		set[h] = true
		c, err := g.commit(h)
		if err != nil {
			return nil, fmt.Errorf("read commit %s: %w", h, err)
		}
		stack = append(stack, c.parents...)
	}
	return set, nil
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

package gitstore

import (
	"context"
	"fmt"

	"github.com/go-git/go-git/v5/plumbing"
)

// maxRebaseCommits bounds how many commits one rebase replays.
const maxRebaseCommits = 1000

// ErrRebaseTooLong is returned for a rebase of more commits than cairn replays at once.
var ErrRebaseTooLong = fmt.Errorf("more than %d commits to rebase", maxRebaseCommits)

// RebaseConflictError is a rebase stopped by a commit whose changes do not apply.
type RebaseConflictError struct {
	// Commit is the commit that did not apply.
	Commit plumbing.Hash
	*MergeConflictError
}

func (e *RebaseConflictError) Error() string {
	return fmt.Sprintf("could not apply %s: %s", e.Commit.String()[:7], e.MergeConflictError.Error())
}

// Rebase replays the commits of source that onto lacks (onto..source) on top of onto, as
// git rebase does without --rebase-merges: oldest first, merge commits left out, a commit
// whose changes onto already has dropped. Each new commit keeps its author and message and
// gets committer. It returns the new tip, which is source itself when onto is already in
// its history; it moves no reference. A commit that does not apply stops the rebase with a
// *RebaseConflictError (errors.Is ErrMergeConflict), and nothing is written.
func (r *Repo) Rebase(ctx context.Context, onto, source plumbing.Hash, committer Signature) (plumbing.Hash, error) {
	if ff, err := r.CanFastForward(ctx, onto, source); err != nil || ff {
		return source, err
	}
	picks, err := r.rebasePicks(ctx, onto, source)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	s, err := newMergeStore(r)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	tip, err := mergeCommitNode(r.graph, onto)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	type replayed struct {
		id   plumbing.Hash
		tree plumbing.Hash
	}
	var out []replayed
	cur := tip.tree
	for _, c := range picks {
		base := emptyTree
		if len(c.parents) > 0 {
			p, err := mergeCommitNode(r.graph, c.parents[0])
			if err != nil {
				return plumbing.ZeroHash, err
			}
			base = p.tree
		}
		tm := newTreeMerger(ctx, s, false)
		tree, err := tm.merge(base, cur, c.tree)
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("rebase %s: %w", c.hash, err)
		}
		if len(tm.conflicts) > 0 {
			return plumbing.ZeroHash, &RebaseConflictError{Commit: c.hash,
				MergeConflictError: &MergeConflictError{Conflicts: tm.conflicts}}
		}
		if tree == cur {
			continue // its changes are in onto already
		}
		out = append(out, replayed{c.hash, tree})
		cur = tree
	}
	// Every commit applied: only now is anything written.
	head := onto
	for _, p := range out {
		if err := s.flush(p.tree); err != nil {
			return plumbing.ZeroHash, fmt.Errorf("write rebased tree: %w", err)
		}
		c, err := r.Commit(p.id) // its author and message
		if err != nil {
			return plumbing.ZeroHash, err
		}
		if head, err = r.writeCommit(p.tree, []plumbing.Hash{head}, c.Author, committer, c.Message); err != nil {
			return plumbing.ZeroHash, err
		}
	}
	return head, nil
}

// rebasePicks lists the commits of onto..source to replay, parents before children, merge
// commits left out. The walk stops where the histories meet, as git's does, not at the root.
func (r *Repo) rebasePicks(ctx context.Context, onto, source plumbing.Hash) ([]*commitNode, error) {
	g, err := r.commitGraph()
	if err != nil {
		return nil, err
	}
	src, err := mergeCommitNode(g, source)
	if err != nil {
		return nil, err
	}
	base, err := mergeCommitNode(g, onto)
	if err != nil {
		return nil, err
	}
	w := g.newWalk(nil)
	w.push(src, false)
	w.push(base, true)
	commits, _, err := w.run(ctx, 0)
	if err != nil {
		return nil, err
	}
	if len(commits) > maxRebaseCommits {
		return nil, ErrRebaseTooLong
	}
	byID := make(map[plumbing.Hash]*commitNode, len(commits))
	for _, c := range commits {
		byID[c.hash] = c
	}
	// Depth-first from the tip, parents in order, each commit after its parents: git's
	// topological order, which keeps a branch's own commits in the order they were made.
	seen := make(map[plumbing.Hash]bool, len(commits))
	var order []*commitNode
	var visit func(h plumbing.Hash)
	visit = func(h plumbing.Hash) {
		c, ok := byID[h]
		if !ok || seen[h] {
			return
		}
		seen[h] = true
		for _, p := range c.parents {
			visit(p)
		}
		if len(c.parents) <= 1 {
			order = append(order, c)
		}
	}
	visit(source)
	return order, nil
}

package gitstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-git/go-git/v5/plumbing"
)

// ErrEmptyPick is returned by Pick when the change it would apply is already there: the
// commit it would write changes nothing (git cherry-pick's "the previous cherry-pick is now
// empty", or a revert of what is already undone).
var ErrEmptyPick = errors.New("the change is already applied")

// PickSpec describes a cherry-pick or a revert.
type PickSpec struct {
	// Onto is the commit the change goes on top of (the tip of the target branch).
	Onto plumbing.Hash
	// Commit is the commit whose change is applied.
	Commit plumbing.Hash
	// Revert applies the inverse of the change, as git revert does.
	Revert  bool
	Message string
	Author  Signature
	// Committer defaults to Author when it has neither name nor email.
	Committer Signature
	// DryRun checks that the change applies and writes nothing; Pick then returns the zero
	// hash.
	DryRun bool
}

// Pick applies the change commit made to its parent on top of onto, as git cherry-pick
// does, or with Revert its inverse, as git revert does: a three-way merge of trees whose
// base is the parent (for a revert, the commit itself), the same merge as MergeCommit's,
// with its line-level merging and rename handling. A merge commit's change is taken against
// its first parent (git's -m 1). It writes one commit whose only parent is onto and returns
// its id; it moves no reference. Conflicts are a *MergeConflictError (errors.Is
// ErrMergeConflict) and ErrEmptyPick is returned when the result changes nothing; in both
// cases nothing is written.
func (r *Repo) Pick(ctx context.Context, spec PickSpec) (plumbing.Hash, error) {
	s, err := newMergeStore(r)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	c, err := mergeCommitNode(r.graph, spec.Commit)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	head, err := mergeCommitNode(r.graph, spec.Onto)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	parent := emptyTree
	if len(c.parents) > 0 {
		p, err := mergeCommitNode(r.graph, c.parents[0])
		if err != nil {
			return plumbing.ZeroHash, err
		}
		parent = p.tree
	}
	base, theirs := parent, c.tree
	if spec.Revert {
		base, theirs = c.tree, parent
	}
	tm := newTreeMerger(ctx, s, false)
	tree, err := tm.merge(base, head.tree, theirs)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("apply %s onto %s: %w", spec.Commit, spec.Onto, err)
	}
	if len(tm.conflicts) > 0 {
		return plumbing.ZeroHash, &MergeConflictError{Conflicts: tm.conflicts}
	}
	if tree == head.tree {
		return plumbing.ZeroHash, fmt.Errorf("apply %s onto %s: %w", spec.Commit, spec.Onto, ErrEmptyPick)
	}
	if spec.DryRun {
		return plumbing.ZeroHash, nil
	}
	if err := s.flush(tree); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("write picked tree: %w", err)
	}
	return r.writeCommit(tree, []plumbing.Hash{spec.Onto}, spec.Author, spec.Committer, spec.Message)
}

package gitstore

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
)

// Merges without a git binary. A merge combines the changes of two commits since their
// merge base: a three-way merge of trees (merge_tree.go), text files merged line by line
// (diff3.go), renames handled as merge_rename.go says. Results are held against git's
// merge-ort (git merge-tree --write-tree) in the tests: when git merges cleanly, cairn
// either merges to the same tree or reports a conflict; when git reports a conflict,
// cairn does too. Conflicts are reported, never committed.
//
// The operations here write objects but move no reference: the caller moves the target
// branch with UpdateRefs, giving the target commit it merged into as the old value, so
// that a push racing the merge makes the update fail with ErrStaleRef instead of being
// lost.

// Errors of merges.
var (
	// ErrMergeConflict is wrapped by a *MergeConflictError.
	ErrMergeConflict = errors.New("merge has conflicts")
	// ErrUnrelatedHistories is returned for commits without a common ancestor.
	ErrUnrelatedHistories = errors.New("refusing to merge unrelated histories")
	// ErrAlreadyMerged is returned when the source is already part of the target's history.
	ErrAlreadyMerged = errors.New("source is already merged into target")
	// ErrNotTextConflict is returned when a conflict has no marker text to show.
	ErrNotTextConflict = errors.New("not a conflict between two texts")
)

// ConflictKind says why a path could not be merged. The names are git's (merge-ort's
// short descriptions) where git has one.
type ConflictKind string

// Kinds of conflicts.
const (
	ConflictContent         ConflictKind = "content"              // both sides changed the same lines
	ConflictAddAdd          ConflictKind = "add/add"              // both sides added the path differently
	ConflictBinary          ConflictKind = "binary"               // both sides changed a binary file
	ConflictTooLarge        ConflictKind = "too large"            // both sides changed a file too large to merge
	ConflictModifyDelete    ConflictKind = "modify/delete"        // one side deleted what the other changed
	ConflictFileDirectory   ConflictKind = "file/directory"       // a file on one side, a directory on the other
	ConflictDistinctTypes   ConflictKind = "distinct types"       // file, symlink and submodule do not merge
	ConflictSubmodule       ConflictKind = "submodule"            // both sides moved a submodule differently
	ConflictRenameRename    ConflictKind = "rename/rename"        // both sides may have renamed a file
	ConflictRenameDelete    ConflictKind = "rename/delete"        // one side may have renamed what the other deleted
	ConflictDirectoryRename ConflictKind = "directory rename"     // a file added in a directory the other side moved
	ConflictMultipleBases   ConflictKind = "multiple merge bases" // the merge bases disagree about the path
)

// ConflictSide is one version of a conflicted path; Hash is zero when that version has no
// such path.
type ConflictSide struct {
	Path string
	Mode filemode.FileMode
	Hash plumbing.Hash
}

// Present reports whether this version has the path.
func (s ConflictSide) Present() bool { return !s.Hash.IsZero() }

// Conflict is one path that could not be merged, with its base, ours (target) and theirs
// (source) versions.
type Conflict struct {
	Kind   ConflictKind
	Path   string
	Base   ConflictSide
	Ours   ConflictSide
	Theirs ConflictSide
}

// MergeConflictError lists the conflicts that stopped a merge.
type MergeConflictError struct {
	Conflicts []Conflict
}

func (e *MergeConflictError) Error() string {
	var b strings.Builder
	b.WriteString(ErrMergeConflict.Error())
	for i, c := range e.Conflicts {
		if i == 5 {
			fmt.Fprintf(&b, ", and %d more", len(e.Conflicts)-i)
			break
		}
		sep := ", "
		if i == 0 {
			sep = ": "
		}
		fmt.Fprintf(&b, "%s%s in %q", sep, c.Kind, c.Path)
	}
	return b.String()
}

func (e *MergeConflictError) Unwrap() error { return ErrMergeConflict }

// MergeResult is the outcome of a three-way merge of two commits.
type MergeResult struct {
	// Tree is the merged tree; zero when there are conflicts.
	Tree plumbing.Hash
	// Bases are the merge bases of the two commits, newest first.
	Bases []plumbing.Hash
	// Conflicts are what could not be merged, by path; empty when the merge is clean.
	Conflicts []Conflict
}

// Clean reports whether the merge has no conflict.
func (m *MergeResult) Clean() bool { return len(m.Conflicts) == 0 }

// maxVirtualDepth bounds the recursion that merges several merge bases into one.
const maxVirtualDepth = 8

// merge merges commits ours and theirs in an overlay store, writing nothing.
func (r *Repo) merge(ctx context.Context, ours, theirs plumbing.Hash) (*MergeResult, *mergeStore, error) {
	s, err := newMergeStore(r)
	if err != nil {
		return nil, nil, err
	}
	co, err := mergeCommitNode(r.graph, ours)
	if err != nil {
		return nil, nil, err
	}
	ct, err := mergeCommitNode(r.graph, theirs)
	if err != nil {
		return nil, nil, err
	}
	bases, err := mergeBases(ctx, r.graph, ours, theirs)
	if err != nil {
		return nil, nil, fmt.Errorf("merge base of %s and %s: %w", ours, theirs, err)
	}
	if len(bases) == 0 {
		return nil, nil, fmt.Errorf("merge %s into %s: %w", theirs, ours, ErrUnrelatedHistories)
	}
	res := &MergeResult{Bases: bases}
	base, refused, err := r.mergeBaseTree(ctx, s, bases, 0)
	if err != nil {
		return nil, nil, err
	}
	if len(refused) > 0 {
		res.Conflicts = refused
		return res, s, nil
	}
	tm := newTreeMerger(ctx, s, false)
	tree, err := tm.merge(base, co.tree, ct.tree)
	if err != nil {
		return nil, nil, fmt.Errorf("merge %s into %s: %w", theirs, ours, err)
	}
	res.Conflicts = tm.conflicts
	if res.Clean() {
		res.Tree = tree
	}
	return res, s, nil
}

// mergeBaseTree returns the tree to use as the base of a merge with these merge bases. With
// several, as after criss-cross merges, they are merged with each other first, as git
// does, into a virtual base; paths that do not merge there get a base that equals nothing,
// so the final merge takes them only when both sides agree. A virtual merge git would
// settle in ways cairn does not reproduce (renames, file/directory, distinct types, more
// than two bases that differ) is refused: the conflicts returned have kind
// ConflictMultipleBases.
func (r *Repo) mergeBaseTree(ctx context.Context, s *mergeStore, bases []plumbing.Hash,
	depth int) (plumbing.Hash, []Conflict, error) {
	trees := make([]plumbing.Hash, len(bases))
	for i, b := range bases {
		c, err := mergeCommitNode(r.graph, b)
		if err != nil {
			return plumbing.ZeroHash, nil, err
		}
		trees[i] = c.tree
	}
	same := true
	for _, t := range trees[1:] {
		same = same && t == trees[0]
	}
	if same {
		return trees[0], nil, nil
	}
	refuse := []Conflict{{Kind: ConflictMultipleBases}}
	if len(bases) > 2 || depth >= maxVirtualDepth {
		return plumbing.ZeroHash, refuse, nil
	}
	inner, err := mergeBases(ctx, r.graph, bases[0], bases[1])
	if err != nil {
		return plumbing.ZeroHash, nil, err
	}
	base := emptyTree
	if len(inner) > 0 {
		var refused []Conflict
		if base, refused, err = r.mergeBaseTree(ctx, s, inner, depth+1); err != nil || len(refused) > 0 {
			return plumbing.ZeroHash, refused, err
		}
	}
	tm := newTreeMerger(ctx, s, true)
	tree, err := tm.merge(base, trees[0], trees[1])
	if err != nil {
		return plumbing.ZeroHash, nil, fmt.Errorf("merge the merge bases: %w", err)
	}
	var unsettled []Conflict
	for _, c := range tm.conflicts {
		switch c.Kind {
		case ConflictContent, ConflictAddAdd, ConflictBinary, ConflictTooLarge, ConflictModifyDelete,
			ConflictSubmodule, ConflictMultipleBases:
		default:
			unsettled = append(unsettled, Conflict{Kind: ConflictMultipleBases, Path: c.Path})
		}
	}
	if len(unsettled) > 0 {
		return plumbing.ZeroHash, unsettled, nil
	}
	return tree, nil, nil
}

// CheckMerge merges commits ours and theirs without writing anything: the result's Tree is
// the id the merged tree would have. It answers whether a merge request can be merged.
// ErrUnrelatedHistories when the commits have no common ancestor; ErrRefNotFound when
// one of them does not exist.
func (r *Repo) CheckMerge(ctx context.Context, ours, theirs plumbing.Hash) (*MergeResult, error) {
	res, _, err := r.merge(ctx, ours, theirs)
	return res, err
}

// CanMerge reports whether source merges into target without conflicts, and the conflicts
// when it does not. It writes nothing.
func (r *Repo) CanMerge(ctx context.Context, target, source plumbing.Hash) (bool, []Conflict, error) {
	res, err := r.CheckMerge(ctx, target, source)
	if err != nil {
		return false, nil, err
	}
	return res.Clean(), res.Conflicts, nil
}

// MergeTree merges commits ours and theirs and, when the merge is clean, writes the merged
// tree's new objects to the repository. A conflicted merge writes nothing.
func (r *Repo) MergeTree(ctx context.Context, ours, theirs plumbing.Hash) (*MergeResult, error) {
	res, s, err := r.merge(ctx, ours, theirs)
	if err != nil || !res.Clean() {
		return res, err
	}
	if err := s.flush(res.Tree); err != nil {
		return nil, fmt.Errorf("write merged tree: %w", err)
	}
	return res, nil
}

// MergeSpec describes the commit a merge makes.
type MergeSpec struct {
	Message string
	Author  Signature
	// Committer defaults to Author when it has neither name nor email.
	Committer Signature
}

// mergedTree merges source into target for a commit: conflicts are a *MergeConflictError,
// and a source already in the target's history is ErrAlreadyMerged.
func (r *Repo) mergedTree(ctx context.Context, target, source plumbing.Hash) (plumbing.Hash, error) {
	res, s, err := r.merge(ctx, target, source)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if !res.Clean() {
		return plumbing.ZeroHash, &MergeConflictError{Conflicts: res.Conflicts}
	}
	if len(res.Bases) == 1 && res.Bases[0] == source {
		return plumbing.ZeroHash, fmt.Errorf("merge %s into %s: %w", source, target, ErrAlreadyMerged)
	}
	if err := s.flush(res.Tree); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("write merged tree: %w", err)
	}
	return res.Tree, nil
}

// MergeCommit merges source into target and writes a merge commit whose parents are target
// and source (git merge --no-ff), even when a fast-forward would be possible. It returns
// the commit's id and moves no reference. Conflicts are returned as a *MergeConflictError
// (errors.Is ErrMergeConflict) and nothing is written; ErrAlreadyMerged when source is
// already in target's history; ErrUnrelatedHistories when they share no ancestor.
func (r *Repo) MergeCommit(ctx context.Context, target, source plumbing.Hash, spec MergeSpec) (plumbing.Hash, error) {
	tree, err := r.mergedTree(ctx, target, source)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	return r.writeCommit(tree, []plumbing.Hash{target, source}, spec.Author, spec.Committer, spec.Message)
}

// Squash merges source into target and writes one commit with target as its only parent
// and the merged tree: the changes of source since the merge base, squashed. It returns
// the commit's id and moves no reference; errors as for MergeCommit.
func (r *Repo) Squash(ctx context.Context, target, source plumbing.Hash, spec MergeSpec) (plumbing.Hash, error) {
	tree, err := r.mergedTree(ctx, target, source)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	return r.writeCommit(tree, []plumbing.Hash{target}, spec.Author, spec.Committer, spec.Message)
}

// ConflictText renders a content or add/add conflict as git leaves it in a conflicted
// tree: the merged text with conflict markers labelled oursLabel and theirsLabel (git
// merge-tree labels them with the branch names it was given). ErrNotTextConflict for other
// conflicts and for binary or too large files.
func (r *Repo) ConflictText(c Conflict, oursLabel, theirsLabel string) ([]byte, error) {
	if (c.Kind != ConflictContent && c.Kind != ConflictAddAdd) ||
		entryKind(c.Ours.Mode) != kindRegular || entryKind(c.Theirs.Mode) != kindRegular {
		return nil, fmt.Errorf("%s conflict in %s: %w", c.Kind, c.Path, ErrNotTextConflict)
	}
	s, err := newMergeStore(r)
	if err != nil {
		return nil, err
	}
	var texts [3][]byte
	for i, side := range []ConflictSide{c.Base, c.Ours, c.Theirs} {
		if !side.Present() {
			continue
		}
		data, big, err := s.blob(side.Hash)
		if err != nil {
			return nil, err
		}
		if big || isBinary(data) {
			return nil, fmt.Errorf("%s: %w", c.Path, ErrNotTextConflict)
		}
		texts[i] = data
	}
	return merge3(texts[0], texts[1], texts[2]).render(oursLabel, theirsLabel), nil
}

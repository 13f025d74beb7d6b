package gitstore

import (
	"context"
	"fmt"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// ChangedFiles counts the files that differ between the trees of two commits, without
// reading any file's content: a rename counts once.
func (r *Repo) ChangedFiles(ctx context.Context, from, to plumbing.Hash) (int, error) {
	a, err := r.treeOrNil(from)
	if err != nil {
		return 0, err
	}
	b, err := r.treeOrNil(to)
	if err != nil {
		return 0, err
	}
	changes, err := object.DiffTreeWithOptions(ctx, a, b, &object.DiffTreeOptions{DetectRenames: true, OnlyExactRenames: true})
	if err != nil {
		return 0, fmt.Errorf("diff %s..%s: %w", from, to, err)
	}
	return len(changes), nil
}

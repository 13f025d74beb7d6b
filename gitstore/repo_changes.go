package gitstore

import (
	"context"

	"github.com/go-git/go-git/v5/plumbing"
)

// ChangedFiles counts the files that differ between the trees of two commits, without
// reading any file's content: a rename counts once.
func (r *Repo) ChangedFiles(ctx context.Context, from, to plumbing.Hash) (int, error) {
	changes, err := r.treeChanges(ctx, from, to)
	if err != nil {
		return 0, err
	}
	return len(changes), nil
}

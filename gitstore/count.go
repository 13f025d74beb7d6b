package gitstore

import (
	"errors"
	"fmt"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// PushSummary describes what a reference update brought: how many commits are reachable from
// the new value and not from the old (at most limit), and the newest commit's title.
type PushSummary struct {
	Commits int
	Title   string
}

var errLimit = errors.New("limit reached")

// SummarizeUpdate summarizes the commits an update from old to new brought to the repository
// of project id. For a new reference every commit reachable from new counts, up to limit.
func (s *Store) SummarizeUpdate(id int64, old, new plumbing.Hash, limit int) (PushSummary, error) {
	var sum PushSummary
	if new.IsZero() {
		return sum, nil
	}
	repo, err := s.Open(id)
	if err != nil {
		return sum, err
	}
	tip, err := object.GetCommit(repo.Storer, new)
	if err != nil {
		// A tag may point at something other than a commit; there is nothing to count.
		return sum, nil
	}
	sum.Title = firstLine(tip.Message)
	seen := map[plumbing.Hash]bool{}
	if !old.IsZero() {
		if base, err := object.GetCommit(repo.Storer, old); err == nil {
			// Commits reachable from old are known already; mark a bounded number of them.
			iter := object.NewCommitPreorderIter(base, nil, nil)
			n := 0
			_ = iter.ForEach(func(c *object.Commit) error {
				seen[c.Hash] = true
				if n++; n > 10*limit {
					return storer.ErrStop
				}
				return nil
			})
		}
	}
	err = object.NewCommitPreorderIter(tip, seen, nil).ForEach(func(c *object.Commit) error {
		if sum.Commits >= limit {
			return errLimit
		}
		sum.Commits++
		return nil
	})
	if err != nil && !errors.Is(err, errLimit) {
		return sum, fmt.Errorf("count commits in repository %d: %w", id, err)
	}
	return sum, nil
}

func firstLine(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			return s[:i]
		}
	}
	return s
}

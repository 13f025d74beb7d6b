package forge

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"slices"

	"github.com/cairn-forge/cairn/db"
	"github.com/cairn-forge/cairn/gitstore"
	"github.com/go-git/go-git/v5/plumbing"
)

// What a release shipped: the commits reachable from its commit and not from the commit of the
// release before it (in release order: release time, then id), each counted for the first
// release that shipped it. DORA's lead time for changes is read from these. Releases are not
// always recorded in order (GitClear takes them late, with their past times; GitLab's release
// time can be changed), so recording, moving or deleting one works out anew what its
// neighbours ship. The walks read the repository outside the write transaction; inside it,
// db.SetReleaseCommits keeps each commit with the first release, so that a release recorded
// concurrently can at worst leave a commit with a later release, never count it twice.

// noReleaseID stands for the id of a release not recorded yet: it comes after every release
// of its time.
const noReleaseID = 1 << 62

// shippedWalk is what one release ships, as worked out from the repository.
type shippedWalk struct {
	release Release
	commits []ShippedCommit
}

// walkShipped works out what release r ships after release prev (zero: none before it).
func walkShipped(ctx context.Context, repo *gitstore.Repo, r, prev Release) (shippedWalk, error) {
	var from plumbing.Hash
	if prev.SHA != "" {
		from = plumbing.NewHash(prev.SHA)
	}
	commits, err := shippedCommits(ctx, repo, plumbing.NewHash(r.SHA), from)
	return shippedWalk{release: r, commits: commits}, err
}

// releaseNeighbours returns the releases with a commit right before and right after the place
// of r (its release time and id; r itself is passed over); a zero Release where there is none.
func (s *Service) releaseNeighbours(ctx context.Context, r Release) (prev, next Release, err error) {
	prev, err = db.PreviousRelease(ctx, s.db.Read, r.ProjectID, r.ReleasedAt, r.ID)
	if err != nil && !errors.Is(err, db.ErrNotFound) {
		return Release{}, Release{}, err
	}
	next, err = db.NextRelease(ctx, s.db.Read, r.ProjectID, r.ReleasedAt, r.ID)
	if err != nil && !errors.Is(err, db.ErrNotFound) {
		return Release{}, Release{}, err
	}
	return prev, next, nil
}

// walksForPlacing works out what changes when release r (noReleaseID as id when it is new)
// takes its place: what r ships, and what the release after it ships from then on. old, when
// r is moved, is r at its former place: the release that followed it there follows the one
// before it now.
func (s *Service) walksForPlacing(ctx context.Context, repo *gitstore.Repo, r Release,
	old *Release) ([]shippedWalk, error) {
	if r.SHA == "" {
		return nil, nil // a release by its time alone ships nothing and bounds nothing
	}
	prev, next, err := s.releaseNeighbours(ctx, r)
	if err != nil {
		return nil, err
	}
	own, err := walkShipped(ctx, repo, r, prev)
	if err != nil {
		return nil, err
	}
	walks := []shippedWalk{own}
	if next.ID != 0 {
		w, err := walkShipped(ctx, repo, next, r)
		if err != nil {
			return nil, err
		}
		walks = append(walks, w)
	}
	if old != nil {
		oldWalks, err := s.walksForRemoving(ctx, repo, *old)
		if err != nil {
			return nil, err
		}
		for _, w := range oldWalks {
			if w.release.ID != next.ID {
				walks = append(walks, w)
			}
		}
	}
	return walks, nil
}

// walksForNew is walksForPlacing for release r, not recorded yet.
func (s *Service) walksForNew(ctx context.Context, repo *gitstore.Repo, r Release) ([]shippedWalk, error) {
	r.ID = noReleaseID
	return s.walksForPlacing(ctx, repo, r, nil)
}

// walksForRemoving works out what changes when release r leaves its place: the release after
// it ships what it shipped, since the one before it.
func (s *Service) walksForRemoving(ctx context.Context, repo *gitstore.Repo, r Release) ([]shippedWalk, error) {
	if r.SHA == "" {
		return nil, nil
	}
	prev, next, err := s.releaseNeighbours(ctx, r)
	if err != nil || next.ID == 0 {
		return nil, err
	}
	w, err := walkShipped(ctx, repo, next, prev)
	if err != nil {
		return nil, err
	}
	return []shippedWalk{w}, nil
}

// applyShipped records walks in tx, in release order, once every release they name holds its
// place (newID is the id of the release walks name as noReleaseID, once it is recorded).
func applyShipped(ctx context.Context, tx *sql.Tx, walks []shippedWalk, newID int64) error {
	for i := range walks {
		if walks[i].release.ID == noReleaseID {
			walks[i].release.ID = newID
		}
	}
	slices.SortFunc(walks, func(a, b shippedWalk) int {
		return cmp.Or(a.release.ReleasedAt.Compare(b.release.ReleasedAt), cmp.Compare(a.release.ID, b.release.ID))
	})
	for _, w := range walks {
		if err := db.SetReleaseCommits(ctx, tx, w.release, w.commits); err != nil {
			return err
		}
	}
	return nil
}

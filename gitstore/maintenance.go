package gitstore

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
)

// GCStats describe what GC did to one repository.
type GCStats struct {
	// PacksBefore and PacksAfter count the pack files; LooseRemoved the loose objects
	// folded into the new pack.
	PacksBefore, PacksAfter int
	LooseRemoved            int
	// Repacked is set when the objects the refs reach were written into one new pack
	// (with a reachability bitmap); Objects counts them.
	Repacked bool
	Objects  int
	// Commits is how many commits the commit-graph holds.
	Commits int
}

// GC tidies the repository of project id as the background job after a push does, without
// waiting for the repository to need it: everything its refs reach goes into one pack with a
// reachability bitmap unless one pack with a bitmap holds it already, and its commit-graph is
// brought up to date. Objects no ref reaches are kept. Reads and pushes go on meanwhile: the
// old packs are removed only once the new one holds all they had.
func (s *Store) GC(ctx context.Context, id int64) (GCStats, error) {
	var st GCStats
	if !s.Exists(id) {
		return st, fmt.Errorf("gc repository %d: %w", id, ErrNotExist)
	}
	dir := s.Path(id)
	before, err := snapshotObjects(filepath.Join(dir, "objects"))
	if err != nil {
		return st, fmt.Errorf("gc repository %d: %w", id, err)
	}
	st.PacksBefore = len(before.packs)
	if _, err := writeBitmaps(ctx, dir); err != nil {
		return st, fmt.Errorf("gc repository %d: %w", id, err)
	}
	// Any object outside a pack with a bitmap is reason enough, and no grace: C git's gc
	// removes old packs at once too, and cairn's readers keep theirs open.
	force := repackPolicy{minObjects: 1, outsideShare: math.MaxInt32, maxPacks: 2, grace: -1}
	rs, ok, err := maybeRepack(ctx, dir, filepath.Join(s.Root(), ".tmp"), force)
	if err != nil {
		return st, fmt.Errorf("gc repository %d: %w", id, err)
	}
	if ok {
		st.Repacked, st.Objects, st.LooseRemoved = true, rs.objects, rs.looseRemoved
	}
	gs, err := writeCommitGraph(ctx, dir)
	if err != nil {
		return st, fmt.Errorf("gc repository %d: %w", id, err)
	}
	st.Commits = gs.commits
	after, err := snapshotObjects(filepath.Join(dir, "objects"))
	if err != nil {
		return st, fmt.Errorf("gc repository %d: %w", id, err)
	}
	st.PacksAfter = len(after.packs)
	return st, nil
}

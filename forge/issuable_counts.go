package forge

import (
	"context"

	"github.com/cairn-forge/cairn/db"
)

// StateCounts are the counts of a list's state tabs: by state, and under "all" their sum.
type StateCounts map[string]int

// withAll adds the "all" count to counts by state.
func withAll(byState map[string]int) StateCounts {
	out := StateCounts{"all": 0}
	for state, n := range byState {
		out[state] = n
		out["all"] += n
	}
	return out
}

// ProjectIssueCounts counts the issues of a project that the actor may see and that o
// matches, by state whatever o.State, in one query.
func (s *Issuables) ProjectIssueCounts(ctx context.Context, a *Actor, projectRef Ref,
	o IssueListOptions) (StateCounts, error) {
	f, ok, err := issueList.filterFor(ctx, s.Service, a, &projectRef, o, Page{})
	if !ok || err != nil {
		return withAll(nil), err
	}
	counts, err := db.IssueCountsByState(ctx, s.db.Read, f)
	return withAll(counts), err
}

// ProjectMergeRequestCounts counts the merge requests of a project that o matches, by state
// whatever o.State, in one query.
func (s *Issuables) ProjectMergeRequestCounts(ctx context.Context, a *Actor, projectRef Ref,
	o MergeRequestListOptions) (StateCounts, error) {
	f, ok, err := mergeRequestList.filterFor(ctx, s.Service, a, &projectRef, o, Page{})
	if !ok || err != nil {
		return withAll(nil), err
	}
	counts, err := db.MergeRequestCountsByState(ctx, s.db.Read, f)
	return withAll(counts), err
}

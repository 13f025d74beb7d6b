package forge

import (
	"context"

	"github.com/cairn-forge/cairn/db"
	"github.com/cairn-forge/cairn/gitstore"
	"github.com/go-git/go-git/v5/plumbing"
)

// CommitMergeRequests lists the merge requests of a project that hold the commit rev names,
// newest first: those whose changes (base..head) include it, and those it merged or squashed.
// state keeps one state's ("" or "all": every state). The actor must see both the code and
// the merge requests.
func (s *Repositories) CommitMergeRequests(ctx context.Context, a *Actor, projectRef Ref, rev string,
	state string, pg Page) ([]MergeRequest, int, error) {
	v, err := s.mergeRequestProject(ctx, a, projectRef)
	if err != nil {
		return nil, 0, err
	}
	_, repo, err := s.readRepo(ctx, a, projectRef)
	if err != nil {
		return nil, 0, err
	}
	defer repo.Close()
	c, err := commitNamed(repo, rev)
	if err != nil {
		return nil, 0, err
	}
	f, err := mergeRequestFilter(MergeRequestListOptions{State: state, Desc: true}, Page{Page: 1})
	if err != nil {
		return nil, 0, err
	}
	f.ProjectID, f.Limit, f.Offset = v.ID, 0, 0
	all, _, err := db.ListMergeRequests(ctx, s.db.Read, f)
	if err != nil {
		return nil, 0, err
	}
	var held []MergeRequest
	for _, m := range all {
		ok, err := mergeRequestHolds(ctx, repo, m, c.ID)
		if err != nil {
			return nil, 0, err
		}
		if ok {
			held = append(held, m)
		}
	}
	return pageOf(held, pg), len(held), nil
}

// mergeRequestHolds reports whether commit h is one of m's: merged or squashed by it, or in
// its changes, base..head.
func mergeRequestHolds(ctx context.Context, repo *gitstore.Repo, m MergeRequest, h plumbing.Hash) (bool, error) {
	id := h.String()
	if m.MergeCommitSHA == id || m.SquashCommitSHA == id || m.HeadSHA == id {
		return true, nil
	}
	if m.HeadSHA == "" {
		return false, nil
	}
	inHead, err := repo.IsAncestor(ctx, h, plumbing.NewHash(m.HeadSHA))
	if err != nil || !inHead {
		return false, err
	}
	// The merge base is known once the merge request was checked; until then the
	// target's tip excludes the same commits.
	base := m.BaseSHA
	if base == "" {
		base = m.TargetSHA
	}
	if base == "" {
		return true, nil
	}
	inBase, err := repo.IsAncestor(ctx, h, plumbing.NewHash(base))
	return !inBase, err
}

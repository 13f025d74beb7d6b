package forge

import (
	"context"

	"github.com/go-git/go-git/v5/plumbing"
)

// MergeConflict is a path at which a merge request's source and target cannot be merged,
// and why, in git's words ("content", "modify/delete", "add/add", ...).
type MergeConflict struct {
	Path string
	Kind string
	// InSource says whether the source branch has the path (it may have deleted it).
	InSource bool
}

// maxListedConflicts bounds the conflicts a merge request lists; a merge of two unrelated
// rewrites may conflict in every file.
const maxListedConflicts = 500

// MergeRequestConflicts lists the paths at which an open merge request's source and target
// conflict, as a merge of their recorded tips finds them, and how many there are in all (the
// list stops at 500); none when they merge cleanly or were not found to conflict. Those who
// may not read the code see none.
func (s *Issuables) MergeRequestConflicts(ctx context.Context, a *Actor, projectRef Ref,
	ref MergeRequestRef) ([]MergeConflict, int, error) {
	m, err := s.GetMergeRequest(ctx, a, projectRef, ref)
	if err != nil {
		return nil, 0, err
	}
	if err := a.Require(NeedReadCode); err != nil {
		return nil, 0, err
	}
	if m.State != StateOpened || !m.HasConflicts || m.HeadSHA == "" || m.TargetSHA == "" {
		return nil, 0, nil
	}
	repo, err := s.repos.OpenRepo(m.ProjectID)
	if err != nil {
		return nil, 0, err
	}
	defer repo.Close()
	res, err := repo.CheckMerge(ctx, plumbing.NewHash(m.TargetSHA), plumbing.NewHash(m.HeadSHA))
	if err != nil {
		return nil, 0, err
	}
	out := make([]MergeConflict, 0, min(len(res.Conflicts), maxListedConflicts))
	for _, c := range res.Conflicts[:min(len(res.Conflicts), maxListedConflicts)] {
		out = append(out, MergeConflict{Path: c.Path, Kind: string(c.Kind), InSource: c.Theirs.Present()})
	}
	return out, len(res.Conflicts), nil
}

package forge

import (
	"context"
	"errors"

	"github.com/cairn-forge/cairn/db"
	"github.com/cairn-forge/cairn/gitstore"
	"github.com/go-git/go-git/v5/plumbing"
)

// RebaseFailed is a merge request's merge_error after a rebase whose commits did not apply,
// in GitLab's words.
const RebaseFailed = "Rebase failed: Rebase locally, resolve all conflicts, then push the branch."

// RebaseMergeRequest replays the commits of a merge request's source branch onto its
// target branch and moves the source branch there, as GitLab's rebase button does; those
// who may push to the source branch may, drafts included. cairn rebases at once: on return
// the branch has moved, or the merge request's merge error says why not (commits that
// conflict with the target). A source already on its target stays as it is. The rebase
// holds the merge request's lock, as a merge does, so that a merge never records a head the
// rebase is replacing; the branch moves by compare-and-swap: a push made meanwhile wins,
// and the rebase answers a conflict.
func (s *Issuables) RebaseMergeRequest(ctx context.Context, a *Actor, projectRef Ref, ref MergeRequestRef) error {
	if err := a.Require(NeedWriteCode); err != nil {
		return err
	}
	v, m, err := s.lockMergeRequest(ctx, a, projectRef, ref, true,
		func(v ProjectView, m MergeRequest, protection func(string) BranchProtection) error {
			if !canRebase(v, m, protection) {
				return Forbidden()
			}
			return nil
		})
	if err != nil {
		return err
	}
	defer s.unlockMergeRequest(context.WithoutCancel(ctx), a, v, m)
	if err := s.readBranchTips(v, &m); err != nil {
		return err
	}
	repo, err := s.repos.OpenRepo(v.ID)
	if err != nil {
		return err
	}
	defer repo.Close()
	head := plumbing.NewHash(m.HeadSHA)
	tip, err := repo.Rebase(ctx, plumbing.NewHash(m.TargetSHA), head, s.actorSignature(a))
	switch {
	case errors.Is(err, gitstore.ErrInvalidIdentity), errors.Is(err, gitstore.ErrInvalidMessage):
		// A pushed commit holds what git cannot write again (see gitstore.IdentityWritable).
		return db.SetMergeError(ctx, s.db.Writer(), m.ID,
			"Rebase failed: a commit of the branch has an author or message git cannot write again; rebase locally, then push the branch.")
	case errors.Is(err, gitstore.ErrRebaseTooLong):
		return db.SetMergeError(ctx, s.db.Writer(), m.ID, "Rebase failed: "+err.Error()+
			"; rebase locally, then push the branch.")
	case errors.Is(err, gitstore.ErrMergeConflict), errors.Is(err, gitstore.ErrUnrelatedHistories):
		return db.SetMergeError(ctx, s.db.Writer(), m.ID, RebaseFailed)
	case err != nil:
		return err
	}
	if tip != head {
		update := gitstore.RefUpdate{Name: "refs/heads/" + m.SourceBranch, Old: head, New: tip}
		if err := s.repos.UpdateRefs(v.ID, []gitstore.RefUpdate{update}); errors.Is(err, gitstore.ErrStaleRef) {
			return Conflictf("The source branch moved during the rebase; try again")
		} else if err != nil {
			return err
		}
		// The merge request catches up with its branch when it is unlocked.
		if err := s.Projects.RecordPush(ctx, a, v.ID, []gitstore.RefUpdate{update}); err != nil {
			return err
		}
	}
	return db.SetMergeError(ctx, s.db.Writer(), m.ID, "")
}

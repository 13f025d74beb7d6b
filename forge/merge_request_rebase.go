package forge

import (
	"context"
	"database/sql"
	"errors"

	"github.com/cairn-forge/cairn/db"
	"github.com/cairn-forge/cairn/gitstore"
)

// RebaseFailed is a merge request's merge_error after a rebase whose commits did not apply,
// in GitLab's words.
const RebaseFailed = "Rebase failed: Rebase locally, resolve all conflicts, then push the branch."

// RebaseMergeRequest replays the commits of a merge request's source branch onto its
// target branch and moves the source branch there, as GitLab's rebase button does; those
// who may push to the source branch may. cairn rebases at once: on return the branch has
// moved, or the merge request's merge error says why not (commits that conflict with the
// target). A source already on its target stays as it is. The branch moves by
// compare-and-swap: a push made meanwhile wins, and the rebase answers a conflict.
func (s *Service) RebaseMergeRequest(ctx context.Context, a *Actor, projectRef string, ref MergeRequestRef) (MergeRequest, error) {
	if err := a.requireUser(NeedPulls); err != nil {
		return MergeRequest{}, err
	}
	if err := a.Require(NeedWriteCode); err != nil {
		return MergeRequest{}, err
	}
	v, m, err := s.visibleMergeRequest(ctx, a, projectRef, ref)
	if err != nil {
		return MergeRequest{}, err
	}
	protection, err := s.BranchProtections(ctx, v.ID)
	if err != nil {
		return MergeRequest{}, err
	}
	if v.Access < Developer || v.Archived || !protection(m.SourceBranch).AllowsPush(v.Access) {
		return MergeRequest{}, Forbiddenf("")
	}
	if m.State != StateOpened {
		return MergeRequest{}, NotAllowedf("405 Method Not Allowed")
	}
	// The rebase holds the merge request's lock, as a merge does: neither starts while the
	// other runs, so a merge never records a head the rebase is replacing.
	if _, err := s.lockForMerge(ctx, v, m.ID); err != nil {
		return MergeRequest{}, err
	}
	locked := true
	unlock := func() {
		if locked {
			locked = false
			if err := db.UnlockMergeRequest(context.WithoutCancel(ctx), s.db.Writer(), m.ID); err != nil {
				s.log.Error("unlock merge request after a rebase", "merge_request_id", m.ID, "err", err)
			}
		}
	}
	defer unlock()
	repo, err := s.repos.OpenRepo(v.ID)
	if err != nil {
		return MergeRequest{}, err
	}
	defer repo.Close()
	head, ok, err := repo.Reference("refs/heads/" + m.SourceBranch)
	if err != nil {
		return MergeRequest{}, err
	}
	target, ok2, err := repo.Reference("refs/heads/" + m.TargetBranch)
	if err != nil {
		return MergeRequest{}, err
	}
	if !ok || !ok2 {
		return MergeRequest{}, NotAllowedf("405 Method Not Allowed")
	}
	tip, err := repo.Rebase(ctx, target, head, s.actorSignature(a, "", ""))
	tooLong := errors.Is(err, gitstore.ErrRebaseTooLong)
	switch {
	case errors.Is(err, gitstore.ErrMergeConflict), tooLong, errors.Is(err, gitstore.ErrUnrelatedHistories):
		msg := RebaseFailed
		if tooLong {
			msg = "Rebase failed: " + err.Error() + "; rebase locally, then push the branch."
		}
		unlock()
		return s.setMergeError(ctx, v, m, msg)
	case err != nil:
		return MergeRequest{}, err
	}
	if tip != head {
		update := gitstore.RefUpdate{Name: "refs/heads/" + m.SourceBranch, Old: head, New: tip}
		if err := s.repos.UpdateRefs(v.ID, []gitstore.RefUpdate{update}); errors.Is(err, gitstore.ErrStaleRef) {
			return MergeRequest{}, Conflictf("The source branch moved during the rebase; try again")
		} else if err != nil {
			return MergeRequest{}, err
		}
		unlock()
		// The push brings the merge request's head and mergeability up to date.
		if err := s.RecordPush(ctx, a, v.ID, []gitstore.RefUpdate{update}); err != nil {
			return MergeRequest{}, err
		}
	}
	unlock()
	return s.setMergeError(ctx, v, m, "")
}

// setMergeError records (or, with "", clears) the error of a merge request's last rebase
// and returns the merge request as it is now.
func (s *Service) setMergeError(ctx context.Context, v ProjectView, m MergeRequest, msg string) (MergeRequest, error) {
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		cur, err := s.findMergeRequest(ctx, tx, v, MergeRequestRef{N: m.ID, ByID: true})
		if err != nil {
			return err
		}
		if cur.MergeError == msg {
			m = cur
			return nil
		}
		cur.MergeError = msg
		m = cur
		return db.UpdateMergeRequest(ctx, tx, cur)
	})
	return m, err
}

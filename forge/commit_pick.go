package forge

import (
	"context"
	"errors"
	"strings"

	"github.com/cairn-forge/cairn/gitstore"
)

// PickInput asks for a commit's change (or, with Revert, its undoing) on a branch.
type PickInput struct {
	Branch string
	// Message replaces the default message of a cherry-pick.
	Message string
	Revert  bool
	// DryRun checks that the change applies, and changes nothing.
	DryRun bool
}

// PickCommit cherry-picks the commit rev names onto a branch, or reverts it there, as one
// new commit on the branch's tip, and moves the branch. Whoever may push to the branch may.
// A cherry-pick keeps the commit's author and message (with "(cherry picked from commit
// …)" after it); a revert is the actor's, 'Revert "<title>"'. A merge commit's change is
// taken against its first parent. A change that conflicts with the branch, or is there
// already, is refused (ReasonPickConflict, ReasonPickEmpty and their revert twins) and
// nothing is written. With DryRun, only the check is made and the zero CommitView returned.
func (s *Repositories) PickCommit(ctx context.Context, a *Actor, projectRef Ref, rev string,
	in PickInput) (ProjectView, CommitView, error) {
	if strings.TrimSpace(in.Branch) == "" {
		return ProjectView{}, CommitView{}, Missing("branch")
	}
	if in.Message != "" {
		if err := checkMessage("message", in.Message); err != nil {
			return ProjectView{}, CommitView{}, err
		}
	}
	v, repo, err := s.writeRepo(ctx, a, projectRef)
	if err != nil {
		return ProjectView{}, CommitView{}, err
	}
	defer repo.Close()
	if err := s.AuthorizeBranchWrite(ctx, a, v, in.Branch, false); err != nil {
		return v, CommitView{}, err
	}
	c, err := commitNamed(repo, rev)
	if err != nil {
		return v, CommitView{}, err
	}
	tip, ok, err := repo.Reference("refs/heads/" + in.Branch)
	if err != nil {
		return v, CommitView{}, err
	}
	if !ok {
		return v, CommitView{}, NotFound(ResourceBranch)
	}
	spec := gitstore.PickSpec{Onto: tip, Commit: c.ID, Revert: in.Revert, Committer: s.actorSignature(a),
		DryRun: in.DryRun}
	if in.Revert {
		spec.Author = spec.Committer
		spec.Message = revertMessage(c)
	} else {
		spec.Author = c.Author
		spec.Message = in.Message
		if spec.Message == "" {
			spec.Message = cherryPickMessage(c)
		}
	}
	h, err := repo.Pick(ctx, spec)
	if err != nil {
		return v, CommitView{}, pickError(err, in.Revert)
	}
	if in.DryRun {
		return v, CommitView{}, nil
	}
	if err := s.moveRefs(ctx, a, v,
		[]gitstore.RefUpdate{{Name: "refs/heads/" + in.Branch, Old: tip, New: h}}); err != nil {
		return v, CommitView{}, err
	}
	picked, err := repo.Commit(h)
	if err != nil {
		return v, CommitView{}, err
	}
	return v, CommitView{Commit: picked}, nil
}

// cherryPickMessage is the message of a cherry-pick of c: c's, and the commit it came from.
func cherryPickMessage(c *Commit) string {
	return strings.TrimRight(c.Message, "\n ") + "\n\n(cherry picked from commit " + c.ID.String() + ")"
}

// revertMessage is the message of a revert of c, as GitLab writes it.
func revertMessage(c *Commit) string {
	return `Revert "` + strings.TrimSpace(c.Title()) + `"` + "\n\nThis reverts commit " + c.ID.String()
}

// pickError turns the refusals of a pick into forge errors.
func pickError(err error, revert bool) error {
	conflict, empty := ReasonPickConflict, ReasonPickEmpty
	what := "cherry-pick"
	if revert {
		conflict, empty, what = ReasonRevertConflict, ReasonRevertEmpty, "revert"
	}
	switch {
	case errors.Is(err, gitstore.ErrMergeConflict):
		return &Error{Code: EConflict, Reason: conflict, Err: err,
			Message: "the " + what + " conflicts with the branch"}
	case errors.Is(err, gitstore.ErrEmptyPick):
		return &Error{Code: EConflict, Reason: empty, Err: err,
			Message: "the branch already has what the " + what + " would change"}
	case errors.Is(err, gitstore.ErrInvalidIdentity):
		return gitRefused("The commit's author cannot be written again")
	}
	return err
}

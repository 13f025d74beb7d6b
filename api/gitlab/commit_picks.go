package gitlab

import (
	"net/http"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

// pickRefusal is GitLab's 400 of a cherry-pick or revert that does not apply: its message,
// why (error_code "conflict" or "empty"), and for a dry run "dry_run": "error".
type pickRefusal struct {
	Message   string `json:"message"`
	ErrorCode string `json:"error_code"`
	DryRun    string `json:"dry_run,omitempty"`
}

// pickRefusals are GitLab's answers to the refusals of cherry-picks and reverts, by reason.
var pickRefusals = map[string]pickRefusal{
	forge.ReasonPickConflict:   {Message: pickMessage, ErrorCode: "conflict"},
	forge.ReasonPickEmpty:      {Message: pickMessage, ErrorCode: "empty"},
	forge.ReasonRevertConflict: {Message: revertMessage, ErrorCode: "conflict"},
	forge.ReasonRevertEmpty:    {Message: revertMessage, ErrorCode: "empty"},
}

const (
	pickMessage = "Sorry, we cannot cherry-pick this commit automatically. This commit may already have " +
		"been cherry-picked, or a more recent commit may have updated some of its content."
	revertMessage = "Sorry, we cannot revert this commit automatically. This commit may already have " +
		"been reverted, or a more recent commit may have updated some of its content."
)

func (h *Handler) cherryPickCommit(w http.ResponseWriter, r *http.Request, p api.Params) error {
	return h.pickCommit(w, r, p, false)
}

func (h *Handler) revertCommit(w http.ResponseWriter, r *http.Request, p api.Params) error {
	return h.pickCommit(w, r, p, true)
}

// pickCommit is POST .../commits/:sha/cherry_pick and .../revert: 201 with the new commit,
// 200 {"dry_run":"success"} for a dry run that would apply, 400 with GitLab's error_code
// when it does not.
func (h *Handler) pickCommit(w http.ResponseWriter, r *http.Request, p api.Params, revert bool) error {
	in, err := api.ReadInput(r)
	if err != nil {
		return err
	}
	if err := require(in, "branch"); err != nil {
		return err
	}
	pi := forge.PickInput{Revert: revert}
	pi.Branch, _ = in.String("branch")
	if !revert {
		pi.Message, _ = in.String("message")
	}
	if pi.DryRun, _, err = in.Bool("dry_run"); err != nil {
		return err
	}
	a := api.Actor(r)
	v, cv, err := h.forge.Repositories.PickCommit(r.Context(), a, forge.ParseRef(p.Get("id")), p.Get("sha"), pi)
	if fe := forge.ErrorOf(err); err != nil {
		refusal, ok := pickRefusals[fe.Reason]
		if !ok {
			return err
		}
		if pi.DryRun {
			refusal.DryRun = "error"
		}
		return api.JSON(w, r, http.StatusBadRequest, refusal)
	}
	if pi.DryRun {
		return api.JSON(w, r, http.StatusOK, map[string]string{"dry_run": "success"})
	}
	return api.JSON(w, r, http.StatusCreated, h.commit(v, cv.Commit))
}

func (h *Handler) listCommitMergeRequests(w http.ResponseWriter, r *http.Request, p api.Params) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	list, total, err := h.forge.Repositories.CommitMergeRequests(r.Context(), api.Actor(r),
		forge.ParseRef(p.Get("id")), p.Get("sha"),
		r.URL.Query().Get("state"), pg)
	if err != nil {
		return err
	}
	return h.list(w, r, pg, total, h.mergeRequests(list))
}

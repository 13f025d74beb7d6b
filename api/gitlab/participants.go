package gitlab

import (
	"net/http"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

// participantRoutes serves the participants of issues and merge requests (GitLab 11, so on
// /api/v4 only). GitLab lists them whole, unpaginated.
func (h *Handler) participantRoutes(rt *api.Router) {
	rt.Handle("GET", "/projects/:id/issues/:issue_iid/participants",
		func(w http.ResponseWriter, r *http.Request, p api.Params) error {
			ref, err := h.issuableRef(p, "issue_iid")
			if err != nil {
				return err
			}
			users, err := h.forge.Issuables.IssueParticipants(r.Context(), api.Actor(r),
				forge.ParseRef(p.Get("id")), ref)
			if err != nil {
				return err
			}
			return api.JSON(w, r, http.StatusOK, h.basicUsers(users))
		})
	rt.Handle("GET", "/projects/:id/merge_requests/:merge_request_iid/participants",
		func(w http.ResponseWriter, r *http.Request, p api.Params) error {
			ref, err := h.mergeRequestRef(p)
			if err != nil {
				return err
			}
			users, err := h.forge.Issuables.MergeRequestParticipants(r.Context(), api.Actor(r),
				forge.ParseRef(p.Get("id")), ref)
			if err != nil {
				return err
			}
			return api.JSON(w, r, http.StatusOK, h.basicUsers(users))
		})
}

package gitlab

import (
	"net/http"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

// AwardEmoji is an awarded emoji as GitLab renders it.
type AwardEmoji struct {
	ID            int64     `json:"id"`
	Name          string    `json:"name"`
	User          BasicUser `json:"user"`
	CreatedAt     Time      `json:"created_at"`
	UpdatedAt     Time      `json:"updated_at"`
	AwardableID   int64     `json:"awardable_id"`
	AwardableType string    `json:"awardable_type"`
	// URL is a custom emoji's image; cairn has none.
	URL *string `json:"url"`
}

func (h *Handler) awardEmoji(e forge.AwardEmoji) AwardEmoji {
	return AwardEmoji{
		ID:            e.ID,
		Name:          e.Name,
		User:          h.basicUser(e.User),
		CreatedAt:     Time(e.CreatedAt),
		UpdatedAt:     Time(e.UpdatedAt),
		AwardableID:   e.AwardableID,
		AwardableType: e.AwardableType,
	}
}

// awardable resolves what the award emoji of a route are awarded to, from its path parameters.
type awardable func(r *http.Request, p api.Params) (forge.Awardable, error)

// awardEmojiRoutes serves GitLab's award emoji API on issues, merge requests and their notes
// (GitLab 8.9, so on /api/v3 too, where the issue or merge request is named by its global id).
func (h *Handler) awardEmojiRoutes(rt *api.Router) {
	for _, c := range []struct {
		base   string
		target noteTarget
	}{
		{"/projects/:id/issues/:issue_iid", h.issueNoteTarget},
		{"/projects/:id/merge_requests/:merge_request_iid", h.mergeRequestNoteTarget},
	} {
		target := c.target
		h.awardEmojiRoutesOf(rt, c.base, func(r *http.Request, p api.Params) (forge.Awardable, error) {
			t, err := target(r, p)
			if err != nil {
				return forge.Awardable{}, err
			}
			return t.Awardable(), nil
		})
		h.awardEmojiRoutesOf(rt, c.base+"/notes/:note_id",
			func(r *http.Request, p api.Params) (forge.Awardable, error) {
				id, err := noteID(p)
				if err != nil {
					return forge.Awardable{}, err
				}
				t, err := target(r, p)
				if err != nil {
					return forge.Awardable{}, err
				}
				return h.forge.Issuables.NoteAwardable(r.Context(), api.Actor(r), t, id)
			})
	}
}

// issueNoteTarget resolves the issue of a route as the target of notes.
func (h *Handler) issueNoteTarget(r *http.Request, p api.Params) (forge.NoteTarget, error) {
	ref, err := h.issuableRef(p, "issue_iid")
	if err != nil {
		return forge.NoteTarget{}, err
	}
	return h.forge.Issuables.IssueNoteTarget(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")), ref)
}

// mergeRequestNoteTarget resolves the merge request of a route as the target of notes.
func (h *Handler) mergeRequestNoteTarget(r *http.Request, p api.Params) (forge.NoteTarget, error) {
	ref, err := h.mergeRequestRef(p)
	if err != nil {
		return forge.NoteTarget{}, err
	}
	return h.forge.Issuables.MergeRequestNoteTarget(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")), ref)
}

// awardEmojiRoutesOf registers the award emoji of one kind of awardable under base.
func (h *Handler) awardEmojiRoutesOf(rt *api.Router, base string, target awardable) {
	// GitLab authenticates every request for one award, reads included, before it looks at
	// the awardable (signedIn); only the list answers anonymous callers.
	rt.Handle("GET", base+"/award_emoji", func(w http.ResponseWriter, r *http.Request, p api.Params) error {
		return h.listAwardEmoji(w, r, p, target)
	})
	rt.Handle("POST", base+"/award_emoji", signedIn(func(w http.ResponseWriter, r *http.Request, p api.Params) error {
		return h.createAwardEmoji(w, r, p, target)
	}))
	rt.Handle("GET", base+"/award_emoji/:award_id",
		signedIn(func(w http.ResponseWriter, r *http.Request, p api.Params) error {
			return h.getAwardEmoji(w, r, p, target)
		}))
	rt.Handle("DELETE", base+"/award_emoji/:award_id",
		signedIn(func(w http.ResponseWriter, r *http.Request, p api.Params) error {
			return h.deleteAwardEmoji(w, r, p, target)
		}))
}

func (h *Handler) listAwardEmoji(w http.ResponseWriter, r *http.Request, p api.Params, target awardable) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	aw, err := target(r, p)
	if err != nil {
		return err
	}
	list, total, err := h.forge.Issuables.ListAwardEmoji(r.Context(), api.Actor(r), aw, pg)
	if err != nil {
		return err
	}
	out := make([]AwardEmoji, len(list))
	for i, e := range list {
		out[i] = h.awardEmoji(e)
	}
	return h.list(w, r, pg, total, out)
}

// award resolves the awardable and the :award_id of a route for one award.
func award(r *http.Request, p api.Params, target awardable) (forge.Awardable, int64, error) {
	id, ok := parseID(p.Get("award_id"))
	if !ok {
		// Grape's answer to a segment that is no number.
		return forge.Awardable{}, 0, api.InvalidParam("award_id")
	}
	aw, err := target(r, p)
	return aw, id, err
}

func (h *Handler) getAwardEmoji(w http.ResponseWriter, r *http.Request, p api.Params, target awardable) error {
	aw, id, err := award(r, p, target)
	if err != nil {
		return err
	}
	e, err := h.forge.Issuables.GetAwardEmoji(r.Context(), api.Actor(r), aw, id)
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusOK, h.awardEmoji(e))
}

func (h *Handler) createAwardEmoji(w http.ResponseWriter, r *http.Request, p api.Params, target awardable) error {
	in, err := api.ReadInput(r)
	if err != nil {
		return err
	}
	if !in.Has("name") {
		return h.missingParams("name")
	}
	aw, err := target(r, p)
	if err != nil {
		return err
	}
	name, _ := in.String("name")
	e, err := h.forge.Issuables.AwardEmoji(r.Context(), api.Actor(r), aw, name)
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusCreated, h.awardEmoji(e))
}

func (h *Handler) deleteAwardEmoji(w http.ResponseWriter, r *http.Request, p api.Params, target awardable) error {
	aw, id, err := award(r, p, target)
	if err != nil {
		return err
	}
	if err := h.forge.Issuables.DeleteAwardEmoji(r.Context(), api.Actor(r), aw, id); err != nil {
		return err
	}
	return api.NoContent(w)
}

package gitlab

import (
	"net/http"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

// PushData is the push part of a push event.
type PushData struct {
	CommitCount int     `json:"commit_count"`
	Action      string  `json:"action"`
	RefType     string  `json:"ref_type"`
	CommitFrom  *string `json:"commit_from"`
	CommitTo    *string `json:"commit_to"`
	Ref         string  `json:"ref"`
	CommitTitle *string `json:"commit_title"`
	RefCount    *int    `json:"ref_count"`
}

// Event is an entry of GET /projects/:id/events.
type Event struct {
	ID             int64      `json:"id"`
	ProjectID      int64      `json:"project_id"`
	ActionName     string     `json:"action_name"`
	TargetID       *int64     `json:"target_id"`
	TargetIID      *int64     `json:"target_iid"`
	TargetType     *string    `json:"target_type"`
	AuthorID       int64      `json:"author_id"`
	TargetTitle    *string    `json:"target_title"`
	CreatedAt      Time       `json:"created_at"`
	Author         *BasicUser `json:"author"`
	AuthorUsername string     `json:"author_username"`
	Imported       bool       `json:"imported"`
	ImportedFrom   string     `json:"imported_from"`
	PushData       *PushData  `json:"push_data,omitempty"`
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (h *Handler) listProjectEvents(w http.ResponseWriter, r *http.Request, p api.Params) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	desc, err := sortDesc(r, true)
	if err != nil {
		return err
	}
	a := api.Actor(r)
	events, total, err := h.forge.Projects.ListProjectEvents(r.Context(), a, forge.ParseRef(p.Get("id")),
		r.URL.Query().Get("action"), !desc, pg)
	if err != nil {
		return err
	}
	authors := map[int64]*BasicUser{}
	out := make([]Event, len(events))
	for i, e := range events {
		author, ok := authors[e.AuthorID]
		if !ok && e.AuthorID != 0 {
			if u, err := h.forge.Accounts.UserByRef(r.Context(), forge.System(), forge.ID(e.AuthorID)); err == nil {
				b := h.basicUser(u)
				author = &b
			}
			authors[e.AuthorID] = author
		}
		pushAction := map[string]string{forge.ActionPushedNew: "created", forge.ActionDeleted: "removed"}[e.Action]
		if pushAction == "" {
			pushAction = "pushed"
		}
		out[i] = Event{
			ID:           e.ID,
			ProjectID:    e.ProjectID,
			ActionName:   e.Action,
			AuthorID:     e.AuthorID,
			CreatedAt:    Time(e.CreatedAt),
			Author:       author,
			ImportedFrom: "none",
		}
		if e.TargetType != "" {
			out[i].TargetType, out[i].TargetTitle = &e.TargetType, &e.TargetTitle
			id, iid := e.TargetID, e.TargetIID
			if e.TargetType == "Note" {
				// A note has no iid of its own: GitLab shows its id.
				iid = id
			}
			out[i].TargetID, out[i].TargetIID = &id, &iid
		} else {
			out[i].PushData = &PushData{
				CommitCount: e.CommitCount,
				Action:      pushAction,
				RefType:     e.RefType,
				CommitFrom:  nonEmpty(e.CommitFrom),
				CommitTo:    nonEmpty(e.CommitTo),
				Ref:         e.Ref,
				CommitTitle: nonEmpty(e.CommitTitle),
			}
		}
		if author != nil {
			out[i].AuthorUsername = author.Username
		}
	}
	return h.list(w, r, pg, total, out)
}

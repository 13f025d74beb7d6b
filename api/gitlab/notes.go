package gitlab

import (
	"net/http"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

// Note is a note as GitLab renders it, on an issue or a merge request.
type Note struct {
	ID              int64          `json:"id"`
	Type            *string        `json:"type"`
	Body            string         `json:"body"`
	Attachment      *string        `json:"attachment"`
	Author          BasicUser      `json:"author"`
	CreatedAt       Time           `json:"created_at"`
	UpdatedAt       Time           `json:"updated_at"`
	System          bool           `json:"system"`
	NoteableID      int64          `json:"noteable_id"`
	NoteableType    string         `json:"noteable_type"`
	ProjectID       int64          `json:"project_id"`
	Resolvable      bool           `json:"resolvable"`
	Confidential    bool           `json:"confidential"`
	Internal        bool           `json:"internal"`
	Imported        bool           `json:"imported"`
	ImportedFrom    string         `json:"imported_from"`
	NoteableIID     int64          `json:"noteable_iid"`
	CommandsChanges map[string]any `json:"commands_changes"`
}

func (h *Handler) note(n forge.Note) Note {
	return Note{
		ID:              n.ID,
		Body:            n.Body,
		Author:          h.basicUser(n.Author),
		CreatedAt:       Time(n.CreatedAt),
		UpdatedAt:       Time(n.UpdatedAt),
		System:          n.System,
		NoteableID:      n.NoteableID,
		NoteableType:    n.NoteableType,
		ProjectID:       n.ProjectID,
		Confidential:    n.Internal,
		Internal:        n.Internal,
		ImportedFrom:    "none",
		NoteableIID:     n.NoteableIID,
		CommandsChanges: map[string]any{},
	}
}

// noteTarget resolves what the notes of a route hang on, from its path parameters.
type noteTarget func(r *http.Request, p api.Params) (forge.NoteTarget, error)

// noteRoutes registers the notes API under base (".../issues/:issue_iid"); merge requests
// register theirs the same way with their own target.
func (h *Handler) noteRoutes(rt *api.Router, base string, target noteTarget) {
	write := h.gitHandler
	rt.Handle("GET", base+"/notes", func(w http.ResponseWriter, r *http.Request, p api.Params) error {
		return h.listNotes(w, r, p, target)
	})
	rt.Handle("POST", base+"/notes", write(func(w http.ResponseWriter, r *http.Request, p api.Params) error {
		return h.createNote(w, r, p, target)
	}))
	rt.Handle("GET", base+"/notes/:note_id", func(w http.ResponseWriter, r *http.Request, p api.Params) error {
		return h.getNote(w, r, p, target)
	})
	rt.Handle("PUT", base+"/notes/:note_id", write(func(w http.ResponseWriter, r *http.Request, p api.Params) error {
		return h.updateNote(w, r, p, target)
	}))
	rt.Handle("DELETE", base+"/notes/:note_id", write(func(w http.ResponseWriter, r *http.Request, p api.Params) error {
		return h.deleteNote(w, r, p, target)
	}))
}

func (h *Handler) listNotes(w http.ResponseWriter, r *http.Request, p api.Params, target noteTarget) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	o := forge.NoteListOptions{OrderBy: r.URL.Query().Get("order_by")}
	if o.Desc, err = sortDesc(r, true); err != nil {
		return err
	}
	t, err := target(r, p)
	if err != nil {
		return err
	}
	notes, total, err := h.forge.Issuables.ListNotes(r.Context(), api.Actor(r), t, o, pg)
	if err != nil {
		return err
	}
	out := make([]Note, len(notes))
	for i, n := range notes {
		out[i] = h.note(n)
	}
	return h.list(w, r, pg, total, out)
}

// noteID reads the :note_id segment.
func noteID(p api.Params) (int64, error) {
	id, ok := parseID(p.Get("note_id"))
	if !ok {
		return 0, forge.NotFound("")
	}
	return id, nil
}

func (h *Handler) getNote(w http.ResponseWriter, r *http.Request, p api.Params, target noteTarget) error {
	id, err := noteID(p)
	if err != nil {
		return err
	}
	t, err := target(r, p)
	if err != nil {
		return err
	}
	n, err := h.forge.Issuables.GetNote(r.Context(), api.Actor(r), t, id)
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusOK, h.note(n))
}

func (h *Handler) createNote(w http.ResponseWriter, r *http.Request, p api.Params, target noteTarget) error {
	in, err := api.ReadInput(r)
	if err != nil {
		return err
	}
	if !in.Has("body") {
		return h.missingParams("body")
	}
	ni := forge.NoteInput{Body: in.StringPtr("body")}
	for _, key := range []string{"internal", "confidential"} {
		if v, ok, err := in.Bool(key); err != nil {
			return err
		} else if ok {
			ni.Internal = v
			break
		}
	}
	if ni.CreatedAt, err = in.Date("created_at"); err != nil {
		return err
	}
	t, err := target(r, p)
	if err != nil {
		return err
	}
	n, err := h.forge.Issuables.CreateNote(r.Context(), api.Actor(r), t, ni)
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusCreated, h.note(n))
}

func (h *Handler) updateNote(w http.ResponseWriter, r *http.Request, p api.Params, target noteTarget) error {
	id, err := noteID(p)
	if err != nil {
		return err
	}
	in, err := api.ReadInput(r)
	if err != nil {
		return err
	}
	if !in.Has("body") {
		return h.missingParams("body")
	}
	t, err := target(r, p)
	if err != nil {
		return err
	}
	n, err := h.forge.Issuables.UpdateNote(r.Context(), api.Actor(r), t, id, in.StringPtr("body"))
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusOK, h.note(n))
}

func (h *Handler) deleteNote(w http.ResponseWriter, r *http.Request, p api.Params, target noteTarget) error {
	id, err := noteID(p)
	if err != nil {
		return err
	}
	t, err := target(r, p)
	if err != nil {
		return err
	}
	if err := h.forge.Issuables.DeleteNote(r.Context(), api.Actor(r), t, id); err != nil {
		return err
	}
	return api.NoContent(w)
}

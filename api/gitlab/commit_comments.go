package gitlab

import (
	"net/http"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

// CommitNote is a comment on a commit as GitLab renders it (Entities::CommitNote).
type CommitNote struct {
	Note      string    `json:"note"`
	Path      *string   `json:"path"`
	Line      *int      `json:"line"`
	LineType  *string   `json:"line_type"`
	Author    BasicUser `json:"author"`
	CreatedAt Time      `json:"created_at"`
}

func (h *Handler) commitNote(c forge.CommitComment) CommitNote {
	return CommitNote{
		Note:      c.Note,
		Path:      c.Path,
		Line:      c.Line,
		LineType:  c.LineType,
		Author:    h.basicUser(c.Author),
		CreatedAt: Time(c.CreatedAt),
	}
}

func (h *Handler) listCommitComments(w http.ResponseWriter, r *http.Request, p api.Params) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	list, total, err := h.forge.Repositories.ListCommitComments(r.Context(), api.Actor(r),
		forge.ParseRef(p.Get("id")), p.Get("sha"), pg)
	if err != nil {
		return err
	}
	out := make([]CommitNote, len(list))
	for i, c := range list {
		out[i] = h.commitNote(c)
	}
	return h.list(w, r, pg, total, out)
}

func (h *Handler) createCommitComment(w http.ResponseWriter, r *http.Request, p api.Params) error {
	in, err := api.ReadInput(r)
	if err != nil {
		return err
	}
	if err := require(in, "note"); err != nil {
		return err
	}
	ci := forge.CommitCommentInput{Note: in.StringPtr("note")}
	ci.Path, _ = in.String("path")
	ci.LineType, _ = in.String("line_type")
	if ci.LineType != "" && ci.LineType != "new" && ci.LineType != "old" {
		return api.InvalidValue("line_type")
	}
	line, _, err := in.Int("line")
	if err != nil {
		return err
	}
	ci.Line = int(line)
	c, err := h.forge.Repositories.CreateCommitComment(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")),
		p.Get("sha"), ci)
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusCreated, h.commitNote(c))
}

package gitlab

import (
	"net/http"
	"strings"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

// Tag is a tag as GitLab renders it.
type Tag struct {
	Name      string  `json:"name"`
	Message   *string `json:"message"`
	Target    string  `json:"target"`
	Commit    *Commit `json:"commit"`
	Release   any     `json:"release"`
	Protected bool    `json:"protected"`
	CreatedAt *Time   `json:"created_at"`
}

func (h *Handler) tag(v forge.ProjectView, t forge.Tag) Tag {
	out := Tag{Name: t.Name, Target: t.Target.String()}
	if t.Commit != nil {
		c := h.commit(v, t.Commit)
		out.Commit = &c
	}
	if t.Annotated {
		m := strings.TrimSuffix(t.Message, "\n")
		out.Message = &m
		when := Time(t.Tagger.When)
		out.CreatedAt = &when
	}
	return out
}

func (h *Handler) tagRoutes(handle func(string, string, api.HandlerFunc), repo string) {
	handle("GET", repo+"/tags", h.listTags)
	handle("POST", repo+"/tags", h.createTag)
	handle("GET", repo+"/tags/:tag_name", h.getTag)
	handle("DELETE", repo+"/tags/:tag_name", h.deleteTag)
}

func (h *Handler) listTags(w http.ResponseWriter, r *http.Request, p api.Params) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	desc, err := sortDesc(r, true)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	o := forge.TagListOptions{OrderBy: q.Get("order_by"), Asc: !desc, Search: q.Get("search")}
	switch o.OrderBy {
	case "", "updated", "name", "version":
	default:
		return &forge.Error{Code: forge.EInvalid, Reason: forge.ReasonInvalidParam,
			Message: "order_by does not have a valid value"}
	}
	a := api.Actor(r)
	v, err := h.forge.Projects.ProjectByRef(r.Context(), a, forge.ParseRef(p.Get("id")))
	if err != nil {
		return err
	}
	tags, total, err := h.forge.Repositories.ListTags(r.Context(), a, forge.ParseRef(p.Get("id")), o, pg)
	if err != nil {
		return err
	}
	out := make([]Tag, len(tags))
	for i, t := range tags {
		out[i] = h.tag(v, t)
	}
	return h.list(w, r, pg, total, out)
}

func (h *Handler) getTag(w http.ResponseWriter, r *http.Request, p api.Params) error {
	a := api.Actor(r)
	v, err := h.forge.Projects.ProjectByRef(r.Context(), a, forge.ParseRef(p.Get("id")))
	if err != nil {
		return err
	}
	t, err := h.forge.Repositories.GetTag(r.Context(), a, forge.ParseRef(p.Get("id")), p.Get("tag_name"))
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusOK, h.tag(v, t))
}

func (h *Handler) createTag(w http.ResponseWriter, r *http.Request, p api.Params) error {
	in, err := api.ReadInput(r)
	if err != nil {
		return err
	}
	if err := require(in, "tag_name", "ref"); err != nil {
		return err
	}
	name, _ := in.String("tag_name")
	rev, _ := in.String("ref")
	message, _ := in.String("message")
	a := api.Actor(r)
	v, err := h.forge.Projects.ProjectByRef(r.Context(), a, forge.ParseRef(p.Get("id")))
	if err != nil {
		return err
	}
	t, err := h.forge.Repositories.CreateTag(r.Context(), a, forge.ParseRef(p.Get("id")), name, rev, message)
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusCreated, h.tag(v, t))
}

func (h *Handler) deleteTag(w http.ResponseWriter, r *http.Request, p api.Params) error {
	a := api.Actor(r)
	if _, err := h.forge.Projects.ProjectByRef(r.Context(), a, forge.ParseRef(p.Get("id"))); err != nil {
		return err
	}
	if err := h.forge.Repositories.DeleteTag(r.Context(), a, forge.ParseRef(p.Get("id")),
		p.Get("tag_name")); err != nil {
		return err
	}
	return api.NoContent(w)
}

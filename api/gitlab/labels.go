package gitlab

import (
	"html"
	"net/http"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

// Label is a project label as GitLab renders it; the counts are there when asked for.
type Label struct {
	ID                     int64   `json:"id"`
	Name                   string  `json:"name"`
	Color                  string  `json:"color"`
	TextColor              string  `json:"text_color"`
	Description            *string `json:"description"`
	DescriptionHTML        string  `json:"description_html"`
	OpenIssuesCount        *int    `json:"open_issues_count,omitempty"`
	ClosedIssuesCount      *int    `json:"closed_issues_count,omitempty"`
	OpenMergeRequestsCount *int    `json:"open_merge_requests_count,omitempty"`
	Subscribed             bool    `json:"subscribed"`
	Priority               *int    `json:"priority"`
	IsProjectLabel         bool    `json:"is_project_label"`
	Archived               bool    `json:"archived"`
}

func label(l forge.Label, counts bool) Label {
	out := Label{
		ID:              l.ID,
		Name:            l.Name,
		Color:           l.Color,
		TextColor:       forge.TextColor(l.Color),
		Description:     optional(l.Description),
		DescriptionHTML: html.EscapeString(l.Description),
		Priority:        l.Priority,
		IsProjectLabel:  true,
	}
	if counts {
		// Merge requests do not carry labels yet.
		open, closed, mrs := l.OpenIssues, l.ClosedIssues, 0
		out.OpenIssuesCount, out.ClosedIssuesCount, out.OpenMergeRequestsCount = &open, &closed, &mrs
	}
	return out
}

func (h *Handler) labelRoutes(rt *api.Router) {
	write := h.gitHandler
	rt.Handle("GET", "/projects/:id/labels", h.listLabels)
	rt.Handle("POST", "/projects/:id/labels", write(h.createLabel))
	rt.Handle("GET", "/projects/:id/labels/:label_id", h.getLabel)
	rt.Handle("PUT", "/projects/:id/labels/:label_id",
		write(func(w http.ResponseWriter, r *http.Request, p api.Params) error {
			return h.updateLabel(w, r, p, p.Get("label_id"))
		}))
	rt.Handle("DELETE", "/projects/:id/labels/:label_id",
		write(func(w http.ResponseWriter, r *http.Request, p api.Params) error {
			return h.deleteLabel(w, r, p, p.Get("label_id"))
		}))
	// The older forms name the label in a name parameter (python-gitlab's label.save(), and
	// client-go's delete without an id).
	rt.Handle("PUT", "/projects/:id/labels", write(func(w http.ResponseWriter, r *http.Request, p api.Params) error {
		return h.updateLabel(w, r, p, "")
	}))
	rt.Handle("DELETE", "/projects/:id/labels", write(func(w http.ResponseWriter, r *http.Request, p api.Params) error {
		return h.deleteLabel(w, r, p, "")
	}))
}

func (h *Handler) listLabels(w http.ResponseWriter, r *http.Request, p api.Params) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	o := forge.LabelListOptions{Search: r.URL.Query().Get("search")}
	if o.WithCounts, err = queryBool(r, "with_counts"); err != nil {
		return err
	}
	labels, total, err := h.forge.Issuables.ListLabels(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")), o, pg)
	if err != nil {
		return err
	}
	out := make([]Label, len(labels))
	for i, l := range labels {
		out[i] = label(l, o.WithCounts)
	}
	return h.list(w, r, pg, total, out)
}

func (h *Handler) getLabel(w http.ResponseWriter, r *http.Request, p api.Params) error {
	l, err := h.forge.Issuables.GetLabel(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")),
		forge.ParseRef(p.Get("label_id")))
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusOK, label(l, true))
}

// labelInput reads a label's fields; nameKey is "name" on create and "new_name" on update.
func labelInput(in *api.Input, nulls map[string]bool, nameKey string) (forge.LabelInput, error) {
	li := forge.LabelInput{Name: in.StringPtr(nameKey), Color: in.StringPtr("color"),
		Description: in.StringPtr("description")}
	prio, err := in.IntPtr("priority")
	if err != nil {
		return li, err
	}
	li.Priority, li.SetPriority = prio, prio != nil || nulls["priority"]
	if s, ok := in.String("priority"); ok && s == "" {
		li.Priority, li.SetPriority = nil, true
	}
	return li, nil
}

func (h *Handler) createLabel(w http.ResponseWriter, r *http.Request, p api.Params) error {
	in, nulls, err := readInput(r)
	if err != nil {
		return err
	}
	var absent []string
	for _, k := range []string{"name", "color"} {
		if !in.Has(k) {
			absent = append(absent, k)
		}
	}
	if len(absent) > 0 {
		return h.missingParams(absent...)
	}
	li, err := labelInput(in, nulls, "name")
	if err != nil {
		return err
	}
	l, err := h.forge.Issuables.CreateLabel(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")), li)
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusCreated, label(l, true))
}

// updateLabel changes the label ref names, or on the older route the one in the name parameter.
func (h *Handler) updateLabel(w http.ResponseWriter, r *http.Request, p api.Params, ref string) error {
	in, nulls, err := readInput(r)
	if err != nil {
		return err
	}
	if ref == "" {
		if ref, _ = in.String("name"); ref == "" {
			if id, _ := in.String("label_id"); id != "" {
				ref = id
			} else {
				return h.missingParams("name")
			}
		}
	}
	given := false
	for _, k := range []string{"new_name", "color", "description", "priority"} {
		given = given || in.Has(k) || nulls[k]
	}
	if !given {
		return atLeastOne("new_name", "color", "description", "priority")
	}
	li, err := labelInput(in, nulls, "new_name")
	if err != nil {
		return err
	}
	l, err := h.forge.Issuables.UpdateLabel(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")),
		forge.ParseRef(ref), li)
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusOK, label(l, true))
}

// deleteLabel removes the label ref names, or on the older route the one in the name parameter.
func (h *Handler) deleteLabel(w http.ResponseWriter, r *http.Request, p api.Params, ref string) error {
	if ref == "" {
		in, err := api.ReadInput(r)
		if err != nil {
			return err
		}
		if ref, _ = in.String("name"); ref == "" {
			if ref, _ = in.String("label_id"); ref == "" {
				return h.missingParams("name")
			}
		}
	}
	if err := h.forge.Issuables.DeleteLabel(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")),
		forge.ParseRef(ref)); err != nil {
		return err
	}
	return api.NoContent(w)
}

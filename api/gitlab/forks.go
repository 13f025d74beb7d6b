package gitlab

import (
	"net/http"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

// forkProject is POST /projects/:id/fork: 201 with the fork; names taken in the namespace
// are GitLab's 409 with the fields.
func (h *Handler) forkProject(w http.ResponseWriter, r *http.Request, p api.Params) error {
	in, err := api.ReadInput(r)
	if err != nil {
		return err
	}
	fi := forge.ForkInput{Name: in.StringPtr("name"), Path: in.StringPtr("path"),
		Description: in.StringPtr("description"), Visibility: in.StringPtr("visibility")}
	for _, key := range []string{"namespace_id", "namespace_path", "namespace"} {
		if fi.NamespaceRef, _ = in.String(key); fi.NamespaceRef != "" {
			break
		}
	}
	if b, ok := in.String("branches"); ok && b != "" {
		fi.Branches = []string{b}
	}
	if fi.Visibility != nil && !forge.ValidVisibility(*fi.Visibility) {
		return api.InvalidValue("visibility")
	}
	a := api.Actor(r)
	v, err := h.forge.Projects.ForkProject(r.Context(), a, forge.ParseRef(p.Get("id")), fi)
	if err != nil {
		if fe := forge.ErrorOf(err); fe.Code == forge.EConflict || len(fe.Fields) > 0 && fe.Code == forge.EInvalid {
			// GitLab answers every refused fork with 409 and the model's errors.
			return &forge.Error{Code: forge.EConflict, Fields: fe.Fields, Message: fe.Message, Err: err}
		}
		return err
	}
	out, err := h.projectWithSource(r.Context(), a, v)
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusCreated, out)
}

func (h *Handler) listForks(w http.ResponseWriter, r *http.Request, p api.Params) error {
	o, err := projectListOptions(r)
	if err != nil {
		return err
	}
	pg, err := page(r)
	if err != nil {
		return err
	}
	a := api.Actor(r)
	views, total, err := h.forge.Projects.ListForks(r.Context(), a, forge.ParseRef(p.Get("id")), o, pg)
	if err != nil {
		return err
	}
	return h.writeProjectList(w, r, a, pg, views, total)
}

// starProject is POST /projects/:id/star: 201 with the project, 304 when already starred.
func (h *Handler) starProject(w http.ResponseWriter, r *http.Request, p api.Params) error {
	return h.setStar(w, r, p, true)
}

// unstarProject is POST /projects/:id/unstar: 201 with the project, 304 when not starred.
func (h *Handler) unstarProject(w http.ResponseWriter, r *http.Request, p api.Params) error {
	return h.setStar(w, r, p, false)
}

func (h *Handler) setStar(w http.ResponseWriter, r *http.Request, p api.Params, star bool) error {
	a := api.Actor(r)
	set := h.forge.Projects.UnstarProject
	if star {
		set = h.forge.Projects.StarProject
	}
	v, changed, err := set(r.Context(), a, forge.ParseRef(p.Get("id")))
	if err != nil {
		return err
	}
	if !changed {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	return api.JSON(w, r, http.StatusCreated, h.project(a, v))
}

// Starrer is a user who starred a project, as /starrers lists them.
type Starrer struct {
	StarredSince Time      `json:"starred_since"`
	User         BasicUser `json:"user"`
}

func (h *Handler) listStarrers(w http.ResponseWriter, r *http.Request, p api.Params) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	list, total, err := h.forge.Projects.ListStarrers(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")),
		r.URL.Query().Get("search"), pg)
	if err != nil {
		return err
	}
	out := make([]Starrer, len(list))
	for i, s := range list {
		out[i] = Starrer{StarredSince: Time(s.StarredAt), User: h.basicUser(s.User)}
	}
	return h.list(w, r, pg, total, out)
}

func (h *Handler) listStarredProjects(w http.ResponseWriter, r *http.Request, p api.Params) error {
	o, err := projectListOptions(r)
	if err != nil {
		return err
	}
	o.StarredBy = p.Get("id")
	return h.writeProjects(w, r, o)
}

// transferProject is PUT /projects/:id/transfer.
func (h *Handler) transferProject(w http.ResponseWriter, r *http.Request, p api.Params) error {
	in, err := api.ReadInput(r)
	if err != nil {
		return err
	}
	if err := require(in, "namespace"); err != nil {
		return err
	}
	ns, _ := in.String("namespace")
	a := api.Actor(r)
	v, err := h.forge.Projects.TransferProject(r.Context(), a, forge.ParseRef(p.Get("id")), forge.ParseRef(ns))
	if err != nil {
		return err
	}
	out, err := h.projectWithSource(r.Context(), a, v)
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusOK, out)
}

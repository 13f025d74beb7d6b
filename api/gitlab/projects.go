package gitlab

import (
	"context"
	"net/http"
	"strings"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

// projectInput reads the project fields GitLab's create and update take.
func projectInput(in *api.Input) (forge.ProjectInput, error) {
	p := forge.ProjectInput{
		Name:          in.StringPtr("name"),
		Path:          in.StringPtr("path"),
		Description:   in.StringPtr("description"),
		Visibility:    in.StringPtr("visibility"),
		DefaultBranch: in.StringPtr("default_branch"),
		MergeMethod:   in.StringPtr("merge_method"),
		SquashOption:  in.StringPtr("squash_option"),
	}
	p.NamespaceRef, _ = in.String("namespace_id")
	if p.NamespaceRef == "" {
		p.NamespaceRef, _ = in.String("namespace_path")
	}
	for _, key := range []string{"topics", "tag_list"} {
		if topics, ok := in.Strings(key); ok {
			p.Topics = &topics
			break
		}
	}
	var err error
	if p.InitializeWithReadme, _, err = in.Bool("initialize_with_readme"); err != nil {
		return p, err
	}
	if p.Archived, err = in.BoolPtr("archived"); err != nil {
		return p, err
	}
	return p, nil
}

func (h *Handler) createProject(w http.ResponseWriter, r *http.Request, _ api.Params) error {
	return h.writeCreatedProject(w, r, 0)
}

func (h *Handler) createProjectForUser(w http.ResponseWriter, r *http.Request, p api.Params) error {
	id, ok := parseID(p.Get("id"))
	if !ok {
		return forge.NotFound(forge.ResourceUser)
	}
	return h.writeCreatedProject(w, r, id)
}

func (h *Handler) writeCreatedProject(w http.ResponseWriter, r *http.Request, forUser int64) error {
	in, err := api.ReadInput(r)
	if err != nil {
		return err
	}
	pi, err := projectInput(in)
	if err != nil {
		return err
	}
	avatar, err := h.readAvatar(r, in)
	if err != nil {
		return err
	}
	a := api.Actor(r)
	v, err := h.forge.Projects.CreateProject(r.Context(), a, pi, forUser)
	if err != nil {
		return err
	}
	if v, err = h.projectWithAvatar(r, avatar, v); err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusCreated, h.project(a, v))
}

func (h *Handler) getProject(w http.ResponseWriter, r *http.Request, p api.Params) error {
	a := api.Actor(r)
	v, err := h.forge.Projects.ProjectByRef(r.Context(), a, forge.ParseRef(p.Get("id")))
	if err != nil {
		return err
	}
	out, err := h.projectWithSource(r.Context(), a, v)
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusOK, out)
}

// projectWithSource renders a project with the project it was forked from, when the
// caller may see that one.
func (h *Handler) projectWithSource(ctx context.Context, a *forge.Actor, v forge.ProjectView) (Project, error) {
	out := h.project(a, v)
	src, err := h.forge.Projects.ForkedFrom(ctx, a, v)
	if err != nil || src == nil {
		return out, err
	}
	parent := h.project(a, *src)
	out.ForkedFromProject = &parent
	return out, nil
}

func (h *Handler) updateProject(w http.ResponseWriter, r *http.Request, p api.Params) error {
	in, err := api.ReadInput(r)
	if err != nil {
		return err
	}
	pi, err := projectInput(in)
	if err != nil {
		return err
	}
	avatar, err := h.readAvatar(r, in)
	if err != nil {
		return err
	}
	a := api.Actor(r)
	v, err := h.forge.Projects.UpdateProject(r.Context(), a, forge.ParseRef(p.Get("id")), pi)
	if err != nil {
		return err
	}
	if v, err = h.projectWithAvatar(r, avatar, v); err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusOK, h.project(a, v))
}

// projectWithAvatar gives v the avatar a request carried, and returns v as it then is.
func (h *Handler) projectWithAvatar(r *http.Request, avatar *pendingAvatar,
	v forge.ProjectView) (forge.ProjectView, error) {
	if avatar == nil {
		return v, nil
	}
	ref := formatID(v.ID)
	if err := avatar.apply(r, h, forge.UploadProject, ref); err != nil {
		return v, err
	}
	return h.forge.Projects.ProjectByRef(r.Context(), api.Actor(r), forge.ParseRef(ref))
}

func (h *Handler) deleteProject(w http.ResponseWriter, r *http.Request, p api.Params) error {
	if err := h.forge.Projects.DeleteProject(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id"))); err != nil {
		return err
	}
	return h.accepted(w, r)
}

// projectListOptions reads GitLab's project list filters.
func projectListOptions(r *http.Request) (forge.ProjectListOptions, error) {
	q := r.URL.Query()
	o := forge.ProjectListOptions{Visibility: q.Get("visibility"), Search: q.Get("search")}
	if o.Visibility != "" && !forge.ValidVisibility(o.Visibility) {
		return o, &forge.Error{Code: forge.EInvalid, Reason: forge.ReasonInvalidParam,
			Params: []string{"visibility"}, Message: "visibility does not have a valid value"}
	}
	var err error
	if o.Owned, err = queryBool(r, "owned"); err != nil {
		return o, err
	}
	if o.Membership, err = queryBool(r, "membership"); err != nil {
		return o, err
	}
	if o.Starred, err = queryBool(r, "starred"); err != nil {
		return o, err
	}
	if t := q.Get("topic"); t != "" {
		o.Topics = strings.Split(t, ",")
	}
	if v := q.Get("archived"); v != "" {
		b, err := queryBool(r, "archived")
		if err != nil {
			return o, err
		}
		o.Archived = &b
	}
	if v := q.Get("min_access_level"); v != "" {
		level, ok := parseID(v)
		if !ok || !forge.ValidAccessLevel(int(level)) {
			return o, api.InvalidParam("min_access_level")
		}
		o.MinAccessLevel = int(level)
	}
	switch ob := q.Get("order_by"); ob {
	case "", "id", "name", "path", "created_at", "updated_at", "last_activity_at", "star_count":
		o.OrderBy = ob
	case "similarity":
		o.OrderBy = "id"
	default:
		return o, &forge.Error{Code: forge.EInvalid, Reason: forge.ReasonInvalidParam,
			Params: []string{"order_by"}, Message: "order_by does not have a valid value"}
	}
	if o.Desc, err = sortDesc(r, true); err != nil {
		return o, err
	}
	return o, nil
}

func (h *Handler) listProjects(w http.ResponseWriter, r *http.Request, _ api.Params) error {
	o, err := projectListOptions(r)
	if err != nil {
		return err
	}
	return h.writeProjects(w, r, o)
}

func (h *Handler) listUserProjects(w http.ResponseWriter, r *http.Request, p api.Params) error {
	o, err := projectListOptions(r)
	if err != nil {
		return err
	}
	o.UserRef = forge.ParseRef(p.Get("id"))
	return h.writeProjects(w, r, o)
}

func (h *Handler) writeProjects(w http.ResponseWriter, r *http.Request, o forge.ProjectListOptions) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	a := api.Actor(r)
	views, total, err := h.forge.Projects.ListProjects(r.Context(), a, o, pg)
	if err != nil {
		return err
	}
	return h.writeProjectList(w, r, a, pg, views, total)
}

// writeProjectList writes one page of projects with the pagination headers.
func (h *Handler) writeProjectList(w http.ResponseWriter, r *http.Request, a *forge.Actor, pg forge.Page,
	views []forge.ProjectView, total int) error {
	var err error
	out := make([]Project, len(views))
	for i, v := range views {
		if out[i], err = h.projectWithSource(r.Context(), a, v); err != nil {
			return err
		}
	}
	return h.list(w, r, pg, total, out)
}

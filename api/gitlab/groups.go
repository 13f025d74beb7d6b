package gitlab

import (
	"net/http"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

func groupInput(in *api.Input) (forge.GroupInput, error) {
	g := forge.GroupInput{Name: in.StringPtr("name"), Path: in.StringPtr("path"),
		Visibility: in.StringPtr("visibility"), Description: in.StringPtr("description")}
	if id, ok, err := in.Int("parent_id"); err != nil {
		return g, err
	} else if ok {
		g.ParentID = &id
	}
	return g, nil
}

func (h *Handler) groupListOptions(r *http.Request) (forge.GroupListOptions, error) {
	q := r.URL.Query()
	o := forge.GroupListOptions{Search: q.Get("search"), OrderBy: q.Get("order_by")}
	var err error
	if o.Owned, err = queryBool(r, "owned"); err != nil {
		return o, err
	}
	if o.TopLevelOnly, err = queryBool(r, "top_level_only"); err != nil {
		return o, err
	}
	if q.Get("all_available") != "" {
		all, err := queryBool(r, "all_available")
		if err != nil {
			return o, err
		}
		o.AllAvailable = &all
	}
	if v := q.Get("min_access_level"); v != "" {
		level, ok := parseID(v)
		if !ok || !forge.ValidAccessLevel(int(level)) {
			return o, api.InvalidParam("min_access_level")
		}
		o.MinAccessLevel = int(level)
	}
	if o.Desc, err = sortDesc(r, false); err != nil {
		return o, err
	}
	return o, nil
}

func (h *Handler) listGroups(w http.ResponseWriter, r *http.Request, _ api.Params) error {
	o, err := h.groupListOptions(r)
	if err != nil {
		return err
	}
	return h.writeGroups(w, r, o)
}

func (h *Handler) listSubgroups(w http.ResponseWriter, r *http.Request, p api.Params) error {
	o, err := h.groupListOptions(r)
	if err != nil {
		return err
	}
	parent, err := h.forge.Projects.GroupByRef(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")))
	if err != nil {
		return err
	}
	o.ParentID = &parent.ID
	return h.writeGroups(w, r, o)
}

func (h *Handler) listDescendantGroups(w http.ResponseWriter, r *http.Request, p api.Params) error {
	o, err := h.groupListOptions(r)
	if err != nil {
		return err
	}
	parent, err := h.forge.Projects.GroupByRef(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")))
	if err != nil {
		return err
	}
	o.DescendantsOf = &parent.ID
	return h.writeGroups(w, r, o)
}

// transferGroup is POST /groups/:id/transfer: under group_id, or to the top level without it.
func (h *Handler) transferGroup(w http.ResponseWriter, r *http.Request, p api.Params) error {
	in, err := api.ReadInput(r)
	if err != nil {
		return err
	}
	parent, _ := in.String("group_id")
	g, err := h.forge.Projects.TransferGroup(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")),
		forge.ParseRef(parent))
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusCreated, h.group(g))
}

func (h *Handler) writeGroups(w http.ResponseWriter, r *http.Request, o forge.GroupListOptions) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	groups, total, err := h.forge.Projects.ListGroups(r.Context(), api.Actor(r), o, pg)
	if err != nil {
		return err
	}
	out := make([]Group, len(groups))
	for i, g := range groups {
		out[i] = h.group(g)
	}
	return h.list(w, r, pg, total, out)
}

func (h *Handler) getGroup(w http.ResponseWriter, r *http.Request, p api.Params) error {
	a := api.Actor(r)
	g, err := h.forge.Projects.GroupByRef(r.Context(), a, forge.ParseRef(p.Get("id")))
	if err != nil {
		return err
	}
	out := GroupDetail{Group: h.group(g), Projects: []Project{}, SharedProjects: []Project{}}
	withProjects := true
	if r.URL.Query().Get("with_projects") != "" {
		if withProjects, err = queryBool(r, "with_projects"); err != nil {
			return err
		}
	}
	if withProjects {
		projects, _, err := h.forge.Projects.ListProjects(r.Context(), a,
			forge.ProjectListOptions{GroupRef: forge.ID(g.ID)},
			forge.Page{Page: 1, PerPage: api.MaxPerPage})
		if err != nil {
			return err
		}
		for _, v := range projects {
			out.Projects = append(out.Projects, h.project(a, v))
		}
	}
	return api.JSON(w, r, http.StatusOK, out)
}

func (h *Handler) createGroup(w http.ResponseWriter, r *http.Request, _ api.Params) error {
	in, err := api.ReadInput(r)
	if err != nil {
		return err
	}
	gi, err := groupInput(in)
	if err != nil {
		return err
	}
	avatar, err := h.readAvatar(r, in)
	if err != nil {
		return err
	}
	g, err := h.forge.Projects.CreateGroup(r.Context(), api.Actor(r), gi)
	if err != nil {
		return err
	}
	if g, err = h.groupWithAvatar(r, avatar, g); err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusCreated,
		GroupDetail{Group: h.group(g), Projects: []Project{}, SharedProjects: []Project{}})
}

func (h *Handler) updateGroup(w http.ResponseWriter, r *http.Request, p api.Params) error {
	in, err := api.ReadInput(r)
	if err != nil {
		return err
	}
	gi, err := groupInput(in)
	if err != nil {
		return err
	}
	avatar, err := h.readAvatar(r, in)
	if err != nil {
		return err
	}
	g, err := h.forge.Projects.UpdateGroup(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")), gi)
	if err != nil {
		return err
	}
	if g, err = h.groupWithAvatar(r, avatar, g); err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusOK, h.group(g))
}

// groupWithAvatar gives g the avatar a request carried, and returns g as it then is.
func (h *Handler) groupWithAvatar(r *http.Request, avatar *pendingAvatar, g forge.Namespace) (forge.Namespace, error) {
	if avatar == nil {
		return g, nil
	}
	ref := formatID(g.ID)
	if err := avatar.apply(r, h, forge.UploadGroup, ref); err != nil {
		return g, err
	}
	return h.forge.Projects.GroupByRef(r.Context(), api.Actor(r), forge.ParseRef(ref))
}

func (h *Handler) deleteGroup(w http.ResponseWriter, r *http.Request, p api.Params) error {
	if err := h.forge.Projects.DeleteGroup(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id"))); err != nil {
		return err
	}
	return h.accepted(w, r)
}

// accepted answers a deletion as GitLab v4 does: 202 (the v3 API answers for itself, see
// v3_delete.go).
func (h *Handler) accepted(w http.ResponseWriter, r *http.Request) error {
	return api.JSON(w, r, http.StatusAccepted, msg{"202 Accepted"})
}

func (h *Handler) listGroupProjects(w http.ResponseWriter, r *http.Request, p api.Params) error {
	o, err := projectListOptions(r)
	if err != nil {
		return err
	}
	o.GroupRef = forge.ParseRef(p.Get("id"))
	if o.IncludeSubgroups, err = queryBool(r, "include_subgroups"); err != nil {
		return err
	}
	return h.writeProjects(w, r, o)
}

package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
	"github.com/cairn-forge/cairn/markup"
)

// groupHandler handles a page of a group already resolved for the actor.
type groupHandler func(w http.ResponseWriter, r *http.Request, g forge.Namespace) error

// inGroup resolves the group of a page; one the actor may not see is not found.
func (h *Handler) inGroup(path string, fn groupHandler) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		g, err := h.forge.Projects.GroupByRef(r.Context(), api.Actor(r), forge.Path(path))
		if err != nil {
			return err
		}
		return fn(w, r, g)
	}
}

// lookupGroup routes "/groups/<group>/-/...": its settings ("edit", GitLab's address) and
// its members.
func (h *Handler) lookupGroup(method func(g, p handlerFunc) handlerFunc, group, rest string) handlerFunc {
	if group == "" {
		return nil
	}
	in := func(fn groupHandler) handlerFunc { return h.inGroup(group, fn) }
	section, tail, _ := strings.Cut(strings.TrimSuffix(rest, "/"), "/")
	switch section {
	case "edit":
		switch tail {
		case "":
			return method(in(h.groupSettings), in(h.updateGroupSettings))
		case "delete":
			return method(nil, in(h.deleteGroup))
		}
	case "group_members":
		return h.lookupMembers(method, tail, func(fn membersHandler) handlerFunc {
			return in(func(w http.ResponseWriter, r *http.Request, g forge.Namespace) error {
				return fn(w, r, h.groupMembersScope(r, g))
			})
		})
	}
	return nil
}

// groupPage starts the page data of a group's page.
func (h *Handler) groupPage(r *http.Request, g forge.Namespace, title string, data any) *Page {
	p := h.newPage(r, title+" · "+g.FullName, data)
	p.Nav = "groups"
	p.Crumbs = namespaceCrumbs(g)
	return p
}

// groupMembersScope is the members page of group g.
func (h *Handler) groupMembersScope(r *http.Request, g forge.Namespace) *membersScope {
	return &membersScope{Src: forge.MemberSource{Kind: "group", Ref: strconv.FormatInt(g.ID, 10)},
		URL: "/groups/" + markup.EscapePath(g.FullPath) + "/-/group_members", Name: g.FullName,
		page: func(title string, data any) *Page { return h.groupPage(r, g, title, data) }}
}

type groupSettingsData struct {
	Group                               forge.Namespace
	URL                                 string
	Name, Path, Description, Visibility string
	Confirm                             string
	Error, DangerError                  string
}

func groupSettingsOf(g forge.Namespace) *groupSettingsData {
	return &groupSettingsData{
		Group:       g,
		URL:         "/groups/" + markup.EscapePath(g.FullPath),
		Name:        g.Name,
		Path:        g.Path,
		Description: g.Description,
		Visibility:  g.Visibility,
	}
}

// groupSettingsAllowed refuses a group's settings to those who may not change them.
func (h *Handler) groupSettingsAllowed(r *http.Request, g forge.Namespace) error {
	return h.forge.Access.RequireGroupSettings(r.Context(), api.Actor(r), g)
}

// groupSettings shows a group's settings to its owners.
func (h *Handler) groupSettings(w http.ResponseWriter, r *http.Request, g forge.Namespace) error {
	if err := h.groupSettingsAllowed(r, g); err != nil {
		return err
	}
	return h.render(w, r, http.StatusOK, "group_settings", h.groupPage(r, g, "Settings", groupSettingsOf(g)))
}

// updateGroupSettings saves a group's name, path, description and visibility.
func (h *Handler) updateGroupSettings(w http.ResponseWriter, r *http.Request, g forge.Namespace) error {
	if err := readForm(r); err != nil {
		return err
	}
	if err := h.groupSettingsAllowed(r, g); err != nil {
		return err
	}
	in := forge.GroupInput{Name: formField(r, "name"), Path: formField(r, "path"),
		Description: formField(r, "description")}
	if v := formField(r, "visibility"); v != nil && *v != g.Visibility {
		in.Visibility = v
	}
	d := groupSettingsOf(g)
	for field, value := range map[*string]*string{&d.Name: in.Name, &d.Path: in.Path, &d.Description: in.Description,
		&d.Visibility: in.Visibility} {
		if value != nil {
			*field = *value
		}
	}
	updated, err := h.forge.Projects.UpdateGroup(r.Context(), api.Actor(r), forge.ID(g.ID), in)
	if msg, status, ok := formError(err); ok {
		d.Error = msg
		return h.render(w, r, status, "group_settings", h.groupPage(r, g, "Settings", d))
	}
	if err != nil {
		return err
	}
	h.setFlash(w, "The group's settings were saved.")
	return redirect(w, r, "/groups/"+markup.EscapePath(updated.FullPath)+"/-/edit")
}

// deleteGroup deletes a group, its subgroups and projects once its full path is typed.
func (h *Handler) deleteGroup(w http.ResponseWriter, r *http.Request, g forge.Namespace) error {
	if err := readForm(r); err != nil {
		return err
	}
	if err := h.groupSettingsAllowed(r, g); err != nil {
		return err
	}
	d := groupSettingsOf(g)
	if d.Confirm = strings.TrimSpace(r.PostForm.Get("confirm")); d.Confirm != g.FullPath {
		d.DangerError = "Type " + g.FullPath + " to confirm the deletion."
		return h.render(w, r, http.StatusBadRequest, "group_settings", h.groupPage(r, g, "Settings", d))
	}
	err := h.forge.Projects.DeleteGroup(r.Context(), api.Actor(r), forge.ID(g.ID))
	if msg, status, ok := formError(err); ok {
		d.DangerError = msg
		return h.render(w, r, status, "group_settings", h.groupPage(r, g, "Settings", d))
	}
	if err != nil {
		return err
	}
	h.setFlash(w, "Group "+g.FullPath+" was deleted, with its subgroups and projects.")
	return redirect(w, r, "/dashboard/groups")
}

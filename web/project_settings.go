package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
	"github.com/cairn-forge/cairn/markup"
)

// lookupProjectSettings routes "/<project>/-/settings/...": the general settings, and the
// forms that archive, move or delete the project.
func (h *Handler) lookupProjectSettings(method func(g, p handlerFunc) handlerFunc,
	in func(projectHandler) handlerFunc, tail string) handlerFunc {
	switch tail {
	case "", "general":
		return method(in(h.projectSettings), in(h.updateProjectSettings))
	case "archive":
		return method(nil, in(h.archiveProject(true)))
	case "unarchive":
		return method(nil, in(h.archiveProject(false)))
	case "path":
		return method(nil, in(h.moveProject))
	case "transfer":
		return method(nil, in(h.transferProject))
	case "delete":
		return method(nil, in(h.deleteProject))
	}
	return nil
}

type projectSettingsData struct {
	Name, Description, Visibility, DefaultBranch, MergeMethod, SquashOption string
	Branches                                                                []string
	// Path is the rename form's value; Confirm the deletion form's.
	Path, Confirm string
	// Namespaces are where the project may be transferred; NamespaceID the one chosen.
	Namespaces  []forge.Namespace
	NamespaceID int64
	// Error is the general form's refusal; DangerError that of the forms below it.
	Error, DangerError string
}

// settingsOf fills the forms with the project's current settings.
func settingsOf(v forge.ProjectView) *projectSettingsData {
	return &projectSettingsData{
		Name:          v.Name,
		Description:   v.Description,
		Visibility:    v.Visibility,
		DefaultBranch: v.DefaultBranch,
		MergeMethod:   v.MergeMethod,
		SquashOption:  v.SquashOption,
		Path:          v.Path,
	}
}

// settingsAllowed refuses the settings of a project to those who may not change them.
func settingsAllowed(r *http.Request, pn *projectNav) error {
	return pn.View.RequireSettings(api.Actor(r))
}

// settingsForm reads a settings form of a project, which only those who may change the
// settings may send.
func settingsForm(r *http.Request, pn *projectNav) error {
	if err := readForm(r); err != nil {
		return err
	}
	return settingsAllowed(r, pn)
}

// moved shows a moved or transferred project's settings at its new address, with notice and
// how to follow it with git.
func (h *Handler) moved(w http.ResponseWriter, r *http.Request, v forge.ProjectView, notice string) error {
	h.setFlash(w, notice+" Update your remotes: git remote set-url origin "+h.core.URL("/"+v.FullPath()+".git"))
	return redirect(w, r, "/"+markup.EscapePath(v.FullPath())+"/-/settings/general")
}

// editOrNamespace serves "/<path>/edit": the settings of the project at path, or else
// whatever the whole path names (a project or group may be called "edit").
func (h *Handler) editOrNamespace(project, whole string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if strings.Contains(project, "/") {
			v, err := h.forge.Projects.ProjectByRef(r.Context(), api.Actor(r), forge.ParseRef(project))
			if err == nil {
				return h.editProject(w, r, h.projectNav(r, v))
			}
			if forge.ErrorCode(err) != forge.ENotFound {
				return err
			}
		}
		return h.namespacePage(whole)(w, r)
	}
}

// editProject answers GitLab's address of a project's settings, "/<project>/edit", with the
// settings page's.
func (h *Handler) editProject(w http.ResponseWriter, r *http.Request, pn *projectNav) error {
	if err := settingsAllowed(r, pn); err != nil {
		return err
	}
	return redirect(w, r, pn.URL+"/-/settings/general")
}

// projectSettings shows a project's settings to its maintainers and owners.
func (h *Handler) projectSettings(w http.ResponseWriter, r *http.Request, pn *projectNav) error {
	if err := settingsAllowed(r, pn); err != nil {
		return err
	}
	return h.renderProjectSettings(w, r, pn, http.StatusOK, settingsOf(pn.View))
}

func (h *Handler) renderProjectSettings(w http.ResponseWriter, r *http.Request, pn *projectNav, status int,
	d *projectSettingsData) error {
	if pn.Can.ReadCode && !pn.View.EmptyRepo {
		var err error
		if d.Branches, err = h.branchNames(r, strconv.FormatInt(pn.View.ID, 10), ""); err != nil {
			return err
		}
		if !slices.Contains(d.Branches, d.DefaultBranch) {
			d.Branches = append(d.Branches, d.DefaultBranch)
		}
	}
	if pn.Can.TransferProject {
		all, err := h.creatableNamespaces(r)
		if err != nil {
			return err
		}
		for _, ns := range all {
			if ns.ID != pn.View.NamespaceID {
				d.Namespaces = append(d.Namespaces, ns)
			}
		}
	}
	return h.render(w, r, status, "project_settings", h.projectPage(r, pn, "settings", "Settings", d))
}

// updateProjectSettings saves the general settings form.
func (h *Handler) updateProjectSettings(w http.ResponseWriter, r *http.Request, pn *projectNav) error {
	if err := settingsForm(r, pn); err != nil {
		return err
	}
	// What the form leaves out stays as it is.
	in := forge.ProjectInput{Name: formField(r, "name"), Description: formField(r, "description"),
		DefaultBranch: formField(r, "default_branch"), MergeMethod: formField(r, "merge_method"),
		SquashOption: formField(r, "squash_option")}
	if v := formField(r, "visibility"); v != nil && *v != pn.View.Visibility {
		// Only a change is sent, so that maintainers, who may not change it, may save the rest.
		in.Visibility = v
	}
	d := settingsOf(pn.View)
	for field, value := range map[*string]*string{
		&d.Name:          in.Name,
		&d.Description:   in.Description,
		&d.DefaultBranch: in.DefaultBranch,
		&d.MergeMethod:   in.MergeMethod,
		&d.SquashOption:  in.SquashOption,
		&d.Visibility:    in.Visibility,
	} {
		if value != nil {
			*field = *value
		}
	}
	_, err := h.forge.Projects.UpdateProject(r.Context(), api.Actor(r), forge.ID(pn.View.ID), in)
	if msg, status, ok := formError(err); ok {
		d.Error = msg
		return h.renderProjectSettings(w, r, pn, status, d)
	}
	if err != nil {
		return err
	}
	h.setFlash(w, "The project's settings were saved.")
	return redirect(w, r, pn.URL+"/-/settings/general")
}

// archiveProject archives a project (read only: no pushes, issues or merge requests change)
// or makes it active again.
func (h *Handler) archiveProject(archived bool) projectHandler {
	return func(w http.ResponseWriter, r *http.Request, pn *projectNav) error {
		if err := settingsAllowed(r, pn); err != nil {
			return err
		}
		_, err := h.forge.Projects.UpdateProject(r.Context(), api.Actor(r), forge.ID(pn.View.ID),
			forge.ProjectInput{Archived: &archived})
		if msg, status, ok := formError(err); ok {
			d := settingsOf(pn.View)
			d.DangerError = msg
			return h.renderProjectSettings(w, r, pn, status, d)
		}
		if err != nil {
			return err
		}
		if archived {
			h.setFlash(w, "The project was archived.")
		} else {
			h.setFlash(w, "The project was unarchived.")
		}
		return redirect(w, r, pn.URL+"/-/settings/general")
	}
}

// moveProject changes a project's path, and so its address and its clone URL.
func (h *Handler) moveProject(w http.ResponseWriter, r *http.Request, pn *projectNav) error {
	if err := settingsForm(r, pn); err != nil {
		return err
	}
	path := strings.TrimSpace(r.PostForm.Get("path"))
	v, err := h.forge.Projects.UpdateProject(r.Context(), api.Actor(r), forge.ID(pn.View.ID),
		forge.ProjectInput{Path: &path})
	if msg, status, ok := formError(err); ok {
		d := settingsOf(pn.View)
		d.Path, d.DangerError = path, msg
		return h.renderProjectSettings(w, r, pn, status, d)
	}
	if err != nil {
		return err
	}
	return h.moved(w, r, v, "The project is now at "+v.FullPath()+".")
}

// deleteProject deletes a project once its full path is typed to confirm.
func (h *Handler) deleteProject(w http.ResponseWriter, r *http.Request, pn *projectNav) error {
	if err := settingsForm(r, pn); err != nil {
		return err
	}
	d := settingsOf(pn.View)
	if d.Confirm = strings.TrimSpace(r.PostForm.Get("confirm")); d.Confirm != pn.View.FullPath() {
		d.DangerError = "Type " + pn.View.FullPath() + " to confirm the deletion."
		return h.renderProjectSettings(w, r, pn, http.StatusBadRequest, d)
	}
	err := h.forge.Projects.DeleteProject(r.Context(), api.Actor(r), forge.ID(pn.View.ID))
	if msg, status, ok := formError(err); ok {
		d.DangerError = msg
		return h.renderProjectSettings(w, r, pn, status, d)
	}
	if err != nil {
		return err
	}
	h.setFlash(w, "Project "+pn.View.FullPath()+" was deleted.")
	return redirect(w, r, "/dashboard/projects")
}

// transferProject moves a project into another namespace, and so changes its address.
func (h *Handler) transferProject(w http.ResponseWriter, r *http.Request, pn *projectNav) error {
	if err := settingsForm(r, pn); err != nil {
		return err
	}
	d := settingsOf(pn.View)
	d.NamespaceID, _ = strconv.ParseInt(r.PostForm.Get("namespace_id"), 10, 64)
	if d.NamespaceID <= 0 {
		d.DangerError = "Choose the namespace to transfer the project to."
		return h.renderProjectSettings(w, r, pn, http.StatusBadRequest, d)
	}
	v, err := h.forge.Projects.TransferProject(r.Context(), api.Actor(r), forge.ID(pn.View.ID),
		forge.ID(d.NamespaceID))
	if forge.ErrorCode(err) == forge.ENotFound {
		err = forge.Invalidf("that namespace does not exist or you may not see it")
	}
	if msg, status, ok := formError(err); ok {
		d.DangerError = msg
		return h.renderProjectSettings(w, r, pn, status, d)
	}
	if err != nil {
		return err
	}
	return h.moved(w, r, v, "The project was transferred to "+v.FullPath()+".")
}

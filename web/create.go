package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
	"github.com/cairn-forge/cairn/markup"
)

// formError is the message a form shows for err, when err is the user's to fix (invalid
// input, a name taken, an action refused); ok is false for any other error.
func formError(err error) (msg string, status int, ok bool) {
	e := forge.ErrorOf(err)
	switch e.Code {
	case forge.EInvalid, forge.EConflict, forge.EForbidden:
	default:
		return "", 0, false
	}
	msg = e.Message
	if msg == "" && e.Reason != "" {
		_, d := errorTable.Answer(e)
		msg = d.Message
	}
	if len(e.Fields) > 0 {
		msg = strings.TrimSpace(strings.TrimSuffix(msg, ".") + " " + e.FieldSummary())
	}
	if msg == "" || msg == "403 Forbidden" {
		msg = "You may not do this here."
	}
	msg = strings.ToUpper(msg[:1]) + msg[1:]
	return msg, statusOf[e.Code], true
}

// formField is a trimmed form value, nil when the form does not have it.
func formField(r *http.Request, name string) *string {
	if _, ok := r.PostForm[name]; !ok {
		return nil
	}
	v := strings.TrimSpace(r.PostForm.Get(name))
	return &v
}

type newProjectData struct {
	Namespaces []forge.Namespace
	Name       string
	Path       string
	// NamespaceID is the namespace chosen.
	NamespaceID int64
	Description string
	Visibility  string
	Readme      bool
	Error       string
}

// creatableNamespaces lists the namespaces the user may create projects in: theirs first.
func (h *Handler) creatableNamespaces(r *http.Request) ([]forge.Namespace, error) {
	a := api.Actor(r)
	list, _, err := h.forge.Projects.ListNamespaces(r.Context(), a, forge.NamespaceListOptions{},
		forge.Page{Page: 1, PerPage: 500})
	if err != nil {
		return nil, err
	}
	var out []forge.Namespace
	for _, ns := range list {
		ok, err := h.forge.Access.CanCreateIn(r.Context(), a, ns)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		if ns.ID == a.User.NamespaceID {
			out = append([]forge.Namespace{ns}, out...)
		} else {
			out = append(out, ns)
		}
	}
	return out, nil
}

func (h *Handler) newProjectPage(w http.ResponseWriter, r *http.Request) error {
	a := api.Actor(r)
	if !a.SignedIn() {
		return forge.Unauthorized("")
	}
	nsID, _ := strconv.ParseInt(r.URL.Query().Get("namespace_id"), 10, 64)
	return h.renderNewProject(w, r, http.StatusOK, newProjectData{NamespaceID: nsID,
		Visibility: h.forge.Instance.DefaultVisibility(r.Context(), "project"), Readme: true})
}

func (h *Handler) renderNewProject(w http.ResponseWriter, r *http.Request, status int, d newProjectData) error {
	var err error
	if d.Namespaces, err = h.creatableNamespaces(r); err != nil {
		return err
	}
	if d.NamespaceID == 0 {
		d.NamespaceID = api.Actor(r).User.NamespaceID
	}
	return h.show(w, r, status, "project_new", "projects", "New project", d)
}

func (h *Handler) createProject(w http.ResponseWriter, r *http.Request) error {
	a, err := userForm(r)
	if err != nil {
		return err
	}
	d := newProjectData{Name: r.PostForm.Get("name"), Path: r.PostForm.Get("path"),
		Description: r.PostForm.Get("description"),
		Visibility:  r.PostForm.Get("visibility"), Readme: r.PostForm.Get("initialize_with_readme") != ""}
	d.NamespaceID, _ = strconv.ParseInt(r.PostForm.Get("namespace_id"), 10, 64)
	in := forge.ProjectInput{Name: formField(r, "name"), Path: formField(r, "path"),
		Description: formField(r, "description"),
		Visibility:  formField(r, "visibility"), InitializeWithReadme: d.Readme}
	if in.Path != nil && *in.Path == "" {
		in.Path = nil // made from the name
	}
	if d.NamespaceID != 0 {
		in.NamespaceRef = strconv.FormatInt(d.NamespaceID, 10)
	}
	v, err := h.forge.Projects.CreateProject(r.Context(), a, in, 0)
	if msg, status, ok := formError(err); ok {
		d.Error = msg
		return h.renderNewProject(w, r, status, d)
	}
	if err != nil {
		return err
	}
	h.setFlash(w, "Project "+v.Name+" was created.")
	return redirect(w, r, "/"+markup.EscapePath(v.FullPath()))
}

type newGroupData struct {
	Parent      *forge.Namespace
	Name        string
	Path        string
	Description string
	Visibility  string
	Error       string
}

func (h *Handler) newGroupPage(w http.ResponseWriter, r *http.Request) error {
	a := api.Actor(r)
	if !a.SignedIn() {
		return forge.Unauthorized("")
	}
	d := newGroupData{Visibility: h.forge.Instance.DefaultVisibility(r.Context(), "group")}
	if id := r.URL.Query().Get("parent_id"); id != "" {
		g, err := h.forge.Projects.GroupByRef(r.Context(), a, forge.ParseRef(id))
		if err != nil {
			return err
		}
		d.Parent = &g
	}
	return h.renderNewGroup(w, r, http.StatusOK, d)
}

func (h *Handler) renderNewGroup(w http.ResponseWriter, r *http.Request, status int, d newGroupData) error {
	return h.show(w, r, status, "group_new", "groups", "New group", d)
}

func (h *Handler) createGroup(w http.ResponseWriter, r *http.Request) error {
	a, err := userForm(r)
	if err != nil {
		return err
	}
	d := newGroupData{Name: r.PostForm.Get("name"), Path: r.PostForm.Get("path"),
		Description: r.PostForm.Get("description"),
		Visibility:  r.PostForm.Get("visibility")}
	in := forge.GroupInput{Name: formField(r, "name"), Path: formField(r, "path"),
		Description: formField(r, "description"),
		Visibility:  formField(r, "visibility")}
	if in.Path == nil || *in.Path == "" {
		if in.Name != nil {
			slug := forge.Slug(*in.Name)
			in.Path = &slug
		}
	}
	if id, err := strconv.ParseInt(r.PostForm.Get("parent_id"), 10, 64); err == nil && id > 0 {
		in.ParentID = &id
		g, err := h.forge.Projects.GroupByRef(r.Context(), a, forge.ID(id))
		if err != nil {
			return err
		}
		d.Parent = &g
	}
	g, err := h.forge.Projects.CreateGroup(r.Context(), a, in)
	if msg, status, ok := formError(err); ok {
		d.Error = msg
		return h.renderNewGroup(w, r, status, d)
	}
	if err != nil {
		return err
	}
	h.setFlash(w, "Group "+g.Name+" was created.")
	return redirect(w, r, "/groups/"+markup.EscapePath(g.FullPath))
}

package opencodehub

import (
	"net/http"
	"strconv"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

// Owner is the user or group a repository belongs to.
type Owner struct {
	ID       string `json:"id"`
	Username string `json:"username"`
	// Type is "user" or "group".
	Type string `json:"type"`
}

// Repo is a repository as the seed shows it, with the fields clients commonly need beside.
type Repo struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	FullName      string `json:"full_name"`
	Description   string `json:"description"`
	Owner         Owner  `json:"owner"`
	Visibility    string `json:"visibility"`
	Private       bool   `json:"private"`
	DefaultBranch string `json:"default_branch"`
	Empty         bool   `json:"empty"`
	Archived      bool   `json:"archived"`
	CloneURL      string `json:"clone_url"`
	WebURL        string `json:"web_url"`
	URL           string `json:"url"`
	CreatedAt     Time   `json:"created_at"`
	UpdatedAt     Time   `json:"updated_at"`
}

func (h *Handler) repo(v forge.ProjectView) Repo {
	ns := v.Namespace
	owner := Owner{ID: formatID(groupIDPrefix, ns.ID), Username: ns.FullPath, Type: "group"}
	if ns.Kind == "user" {
		owner = Owner{ID: formatID(userIDPrefix, ns.OwnerID), Username: ns.Path, Type: "user"}
	}
	web := h.core.URL("/" + v.FullPath())
	return Repo{
		ID:            formatID(repoIDPrefix, v.ID),
		Name:          v.Name,
		FullName:      v.FullPath(),
		Description:   v.Description,
		Owner:         owner,
		Visibility:    v.Visibility,
		Private:       v.Visibility == forge.Private,
		DefaultBranch: v.DefaultBranch,
		Empty:         v.EmptyRepo,
		Archived:      v.Archived,
		CloneURL:      web + ".git",
		WebURL:        web,
		URL:           h.core.URL(Prefix + "/repos/" + v.FullPath()),
		CreatedAt:     Time(v.CreatedAt),
		UpdatedAt:     Time(v.UpdatedAt),
	}
}

// createRepo is POST /repos: name (required), description, visibility, and optionally owner
// (a group path, a username, "user-456" or "group-7"; the caller's own namespace by default),
// default_branch and auto_init (commit a README).
func (h *Handler) createRepo(w http.ResponseWriter, r *http.Request, _ api.Params) error {
	in, err := readInput(r)
	if err != nil {
		return err
	}
	var pi forge.ProjectInput
	for _, f := range []struct {
		key string
		dst **string
	}{{"name", &pi.Name}, {"description", &pi.Description}, {"visibility", &pi.Visibility},
		{"default_branch", &pi.DefaultBranch}} {
		if *f.dst, err = stringParam(in, f.key); err != nil {
			return err
		}
	}
	autoInit, err := boolParam(in, "auto_init")
	if err != nil {
		return err
	}
	pi.InitializeWithReadme = autoInit != nil && *autoInit
	a := api.Actor(r)
	owner, err := stringParam(in, "owner")
	if err != nil {
		return err
	}
	if owner != nil && *owner != "" {
		if pi.NamespaceRef, err = h.namespaceRef(r, *owner); err != nil {
			return err
		}
	}
	v, err := h.forge.Projects.CreateProject(r.Context(), a, pi, 0)
	if err != nil {
		return err
	}
	out := h.repo(v)
	w.Header().Set("Location", out.URL)
	return h.write(w, r, http.StatusCreated, out, meta{})
}

// namespaceRef turns an owner as this dialect writes it into forge's namespace reference.
func (h *Handler) namespaceRef(r *http.Request, owner string) (string, error) {
	if id, ok := parseID(groupIDPrefix, owner); ok && owner != strconv.FormatInt(id, 10) {
		return strconv.FormatInt(id, 10), nil
	}
	if id, ok := parseID(userIDPrefix, owner); ok && owner != strconv.FormatInt(id, 10) {
		u, err := h.forge.Accounts.UserByRef(r.Context(), api.Actor(r), forge.ID(id))
		if forge.ErrorCode(err) == forge.ENotFound {
			return "", forge.NotFound(forge.ResourceNamespace)
		}
		if err != nil {
			return "", err
		}
		return strconv.FormatInt(u.NamespaceID, 10), nil
	}
	return owner, nil
}

// listRepos is GET /repos: the repositories the caller may see (public ones when anonymous),
// newest first; visibility filters them, and owned=true keeps the caller's own.
func (h *Handler) listRepos(w http.ResponseWriter, r *http.Request, _ api.Params) error {
	pg, err := api.ParsePageStrictly(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	o := forge.ProjectListOptions{Visibility: q.Get("visibility"), Search: q.Get("search"),
		OrderBy: "created_at", Desc: true}
	if o.Visibility != "" && !forge.ValidVisibility(o.Visibility) {
		return &forge.Error{Code: forge.EInvalid, Params: []string{"visibility"},
			Message: "visibility does not have a valid value"}
	}
	switch q.Get("owned") {
	case "", "false":
	case "true":
		o.Owned = true
	default:
		return api.InvalidParam("owned")
	}
	a := api.Actor(r)
	views, total, err := h.forge.Projects.ListProjects(r.Context(), a, o, pg)
	if err != nil {
		return err
	}
	out := make([]Repo, len(views))
	for i, v := range views {
		out[i] = h.repo(v)
	}
	return h.list(w, r, pg, total, out)
}

// getRepo is GET /repos/:owner/:repo.
func (h *Handler) getRepo(w http.ResponseWriter, r *http.Request, t target) error {
	v, err := h.forge.Projects.ProjectByRef(r.Context(), api.Actor(r), forge.ParseRef(t.repo))
	if err != nil {
		return err
	}
	return h.write(w, r, http.StatusOK, h.repo(v), meta{})
}

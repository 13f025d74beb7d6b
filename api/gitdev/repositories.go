package gitdev

import (
	"net/http"
	"strings"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

// Repository is a repository (a cairn project) as the .git API shows it.
type Repository struct {
	ID          string  `json:"id"`
	Name        string  `json:"name"`
	FullName    string  `json:"full_name"`
	Description *string `json:"description"`
	Visibility  string  `json:"visibility"`
	// DefaultBranch is the branch deployments and clones start from.
	DefaultBranch  string    `json:"default_branch"`
	Archived       bool      `json:"archived"`
	Empty          bool      `json:"empty"`
	Owner          Owner     `json:"owner"`
	URL            string    `json:"url"`
	WebURL         string    `json:"web_url"`
	CloneURL       string    `json:"clone_url"`
	DeploymentsURL string    `json:"deployments_url"`
	CreatedAt      timestamp `json:"created_at"`
	// UpdatedAt moves when the repository's settings change; LastActivityAt when anything
	// happens in it (pushes, issues).
	UpdatedAt      timestamp `json:"updated_at"`
	LastActivityAt timestamp `json:"last_activity_at"`
}

// Owner is the namespace a repository lives in: a team (group) or a user.
type Owner struct {
	Type string `json:"type"`
	ID   string `json:"id"`
	Slug string `json:"slug"`
}

func (h *Handler) repository(r *http.Request, v forge.ProjectView) Repository {
	id := EncodeID(prefixRepo, v.ID)
	self := h.core.URL(api.Prefix(r) + "/repositories/" + id)
	web := h.core.URL("/" + v.FullPath())
	out := Repository{
		ID:             id,
		Name:           v.Name,
		FullName:       v.FullPath(),
		Visibility:     v.Visibility,
		DefaultBranch:  v.DefaultBranch,
		Archived:       v.Archived,
		Empty:          v.EmptyRepo,
		URL:            self,
		WebURL:         web,
		CloneURL:       web + ".git",
		DeploymentsURL: self + "/deployments",
		CreatedAt:      timestamp(v.CreatedAt),
		UpdatedAt:      timestamp(v.UpdatedAt),
		LastActivityAt: timestamp(v.LastActivityAt),
	}
	if v.Description != "" {
		d := v.Description
		out.Description = &d
	}
	ns := v.Namespace
	if ns.Kind == "group" {
		out.Owner = Owner{Type: "team", ID: EncodeID(prefixTeam, ns.ID), Slug: ns.FullPath}
	} else {
		out.Owner = Owner{Type: "user", ID: EncodeID(prefixUser, ns.OwnerID), Slug: ns.Path}
	}
	return out
}

// repositorySorts maps the document's sort values to the forge's orders. As GitHub's
// repository lists do, names sort ascending and times newest first unless direction says
// otherwise; without sort, repositories are listed by name.
var repositorySorts = map[string]struct {
	orderBy string
	desc    bool
}{
	"name":    {"name", false},
	"created": {"created_at", true},
	"updated": {"updated_at", true},
}

// repositoryListOptions reads sort and direction.
func repositoryListOptions(r *http.Request) (forge.ProjectListOptions, error) {
	q := r.URL.Query()
	sort := q.Get("sort")
	if sort == "" {
		sort = "name"
	}
	s, ok := repositorySorts[sort]
	if !ok {
		return forge.ProjectListOptions{}, invalidParam("sort", "sort must be one of created, updated, name")
	}
	o := forge.ProjectListOptions{OrderBy: s.orderBy, Desc: s.desc}
	switch q.Get("direction") {
	case "":
	case "asc":
		o.Desc = false
	case "desc":
		o.Desc = true
	default:
		return o, invalidParam("direction", "direction must be asc or desc")
	}
	return o, nil
}

// listRepositories is GET /v1/repositories: the repositories the caller may see.
func (h *Handler) listRepositories(w http.ResponseWriter, r *http.Request, _ api.Params) error {
	o, err := repositoryListOptions(r)
	if err != nil {
		return err
	}
	pg, err := parsePage(r)
	if err != nil {
		return err
	}
	views, total, err := h.forge.Projects.ListProjects(r.Context(), api.Actor(r), o, pg)
	if err != nil {
		return err
	}
	out := make([]Repository, len(views))
	for i, v := range views {
		out[i] = h.repository(r, v)
	}
	return writeList(h, w, r, pg, total, out)
}

// isRepoRef reports whether ref can name a repository: a repo_ id or a slug, which always
// holds a slash (namespace/name).
func isRepoRef(ref string) bool {
	if _, ok := DecodeID(prefixRepo, ref); ok {
		return true
	}
	return strings.Contains(ref, "/")
}

// projectRef turns a repository reference into the forge's: the number of a repo_ id, or
// the slug itself. Anything else names no repository.
func projectRef(ref string) (string, error) {
	if n, ok := DecodeID(prefixRepo, ref); ok {
		return forgeRef(n), nil
	}
	if !strings.Contains(ref, "/") || strings.HasPrefix(ref, "/") || strings.HasSuffix(ref, "/") {
		return "", forge.NotFound(forge.ResourceProject)
	}
	return ref, nil
}

// repositorySubtree dispatches everything below /repositories/: GET {repo_id},
// GET and POST {repo_id}/deployments. A slug's slashes may be literal or escaped;
// a nested project whose own name is "deployments" is reached by escaping its slug.
func (h *Handler) repositorySubtree(w http.ResponseWriter, r *http.Request, _ api.Params) error {
	ref, deployments, ok := subpath(strings.TrimPrefix(r.URL.Path, "/repositories/"), "deployments", isRepoRef)
	if !ok {
		return &forge.Error{Code: forge.ENotFound, Reason: forge.ReasonNoRoute, Message: "Not Found"}
	}
	pref, err := projectRef(ref)
	if err != nil {
		return err
	}
	switch {
	case deployments && r.Method == http.MethodPost:
		return h.createDeployment(w, r, pref)
	case deployments:
		return h.listDeployments(w, r, pref)
	case r.Method == http.MethodGet || r.Method == http.MethodHead:
		return h.getRepository(w, r, pref)
	}
	w.Header().Set("Allow", "GET, HEAD")
	return &forge.Error{Code: forge.ENotAllowed, Reason: forge.ReasonNoRoute, Message: "Method Not Allowed"}
}

// getRepository is GET /v1/repositories/{repo_id}.
func (h *Handler) getRepository(w http.ResponseWriter, r *http.Request, ref string) error {
	v, err := h.forge.Projects.ProjectByRef(r.Context(), api.Actor(r), forge.ParseRef(ref))
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusOK, h.repository(r, v))
}

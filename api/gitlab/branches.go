package gitlab

import (
	"net/http"
	"strings"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

// repositoryRoutes serves GitLab's repository API: branches, tags, commits, files, tree,
// compare, archives, contributors and languages.
func (h *Handler) repositoryRoutes(rt *api.Router) {
	handle := func(method, path string, fn api.HandlerFunc) { rt.Handle(method, path, h.gitHandler(fn)) }
	const repo = "/projects/:id/repository"
	handle("GET", repo+"/branches", h.listBranches)
	handle("POST", repo+"/branches", h.createBranch)
	handle("GET", repo+"/branches/:branch", h.getBranch)
	handle("DELETE", repo+"/branches/:branch", h.deleteBranch)
	handle("DELETE", repo+"/merged_branches", h.deleteMergedBranches)
	h.tagRoutes(handle, repo)
	h.commitRoutes(handle, repo)
	h.fileRoutes(handle, repo)
	h.treeRoutes(handle, repo)
	h.archiveRoutes(handle, repo)
	handle("GET", repo+"/compare", h.compare)
	handle("GET", repo+"/merge_base", h.mergeBase)
	handle("GET", repo+"/contributors", h.listContributors)
	handle("GET", "/projects/:id/languages", h.languages)
	handle("GET", "/projects/:id/snapshot", h.snapshot)
	handle("GET", "/projects/:id/groups", h.listProjectGroups)
}

// gitHandler answers anonymous changes with 401 before anything else, as GitLab
// authenticates every change before it validates parameters.
func (h *Handler) gitHandler(fn api.HandlerFunc) api.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p api.Params) error {
		if r.Method != http.MethodGet && r.Method != http.MethodHead && !api.Actor(r).SignedIn() {
			// GitLab authenticates every change before it validates parameters.
			return forge.Unauthorized("")
		}
		return fn(w, r, p)
	}
}

// missing is Grape's error for required parameters that were not given.
func missing(names ...string) error {
	msgs := make([]string, len(names))
	for i, n := range names {
		msgs[i] = n + " is missing"
	}
	return &forge.Error{Code: forge.EInvalid, Reason: forge.ReasonInvalidParam, Params: names,
		Message: strings.Join(msgs, ", ")}
}

// require returns Grape's error for the parameters of names that in lacks or has empty.
func require(in *api.Input, names ...string) error {
	var absent []string
	for _, n := range names {
		if v, ok := in.String(n); !ok || strings.TrimSpace(v) == "" {
			absent = append(absent, n)
		}
	}
	if len(absent) > 0 {
		return missing(absent...)
	}
	return nil
}

// Branch is a branch as GitLab renders it.
type Branch struct {
	Name               string `json:"name"`
	Commit             Commit `json:"commit"`
	Merged             bool   `json:"merged"`
	Protected          bool   `json:"protected"`
	DevelopersCanPush  bool   `json:"developers_can_push"`
	DevelopersCanMerge bool   `json:"developers_can_merge"`
	CanPush            bool   `json:"can_push"`
	Default            bool   `json:"default"`
	WebURL             string `json:"web_url"`
}

func (h *Handler) branch(v forge.ProjectView, b forge.Branch) Branch {
	return Branch{
		Name:               b.Name,
		Commit:             h.commit(v, b.Commit),
		Merged:             b.Merged,
		Protected:          b.Protected,
		DevelopersCanPush:  b.DevelopersCanPush,
		DevelopersCanMerge: b.DevelopersCanMerge,
		CanPush:            b.CanPush,
		Default:            b.Default,
		WebURL:             h.projectWebURL(v) + "/-/tree/" + b.Name,
	}
}

// projectWebURL is the project's page, the base of its web links.
func (h *Handler) projectWebURL(v forge.ProjectView) string { return h.core.URL("/" + v.FullPath()) }

func (h *Handler) listBranches(w http.ResponseWriter, r *http.Request, p api.Params) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	a := api.Actor(r)
	v, err := h.forge.Projects.ProjectByRef(r.Context(), a, forge.ParseRef(p.Get("id")))
	if err != nil {
		return err
	}
	o := forge.BranchListOptions{Search: q.Get("search"), Regex: q.Get("regex"), Sort: q.Get("sort")}
	branches, total, err := h.forge.Repositories.ListBranches(r.Context(), a, forge.ParseRef(p.Get("id")), o, pg)
	if err != nil {
		return err
	}
	out := make([]Branch, len(branches))
	for i, b := range branches {
		out[i] = h.branch(v, b)
	}
	return h.list(w, r, pg, total, out)
}

func (h *Handler) getBranch(w http.ResponseWriter, r *http.Request, p api.Params) error {
	a := api.Actor(r)
	v, err := h.forge.Projects.ProjectByRef(r.Context(), a, forge.ParseRef(p.Get("id")))
	if err != nil {
		return err
	}
	b, err := h.forge.Repositories.GetBranch(r.Context(), a, forge.ParseRef(p.Get("id")), p.Get("branch"))
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusOK, h.branch(v, b))
}

func (h *Handler) createBranch(w http.ResponseWriter, r *http.Request, p api.Params) error {
	in, err := api.ReadInput(r)
	if err != nil {
		return err
	}
	if err := require(in, "branch", "ref"); err != nil {
		return err
	}
	name, _ := in.String("branch")
	rev, _ := in.String("ref")
	a := api.Actor(r)
	v, err := h.forge.Projects.ProjectByRef(r.Context(), a, forge.ParseRef(p.Get("id")))
	if err != nil {
		return err
	}
	b, err := h.forge.Repositories.CreateBranch(r.Context(), a, forge.ParseRef(p.Get("id")), name, rev)
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusCreated, h.branch(v, b))
}

func (h *Handler) deleteBranch(w http.ResponseWriter, r *http.Request, p api.Params) error {
	if err := h.forge.Repositories.DeleteBranch(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")),
		p.Get("branch")); err != nil {
		return err
	}
	return api.NoContent(w)
}

func (h *Handler) deleteMergedBranches(w http.ResponseWriter, r *http.Request, p api.Params) error {
	if err := h.forge.Repositories.DeleteMergedBranches(r.Context(), api.Actor(r),
		forge.ParseRef(p.Get("id"))); err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusAccepted, msg{"202 Accepted"})
}

package gitlab

import (
	"net/http"
	"net/url"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

// Compare is the answer of GET .../repository/compare.
type Compare struct {
	Commit         *Commit  `json:"commit"`
	Commits        []Commit `json:"commits"`
	Diffs          []Diff   `json:"diffs"`
	CompareTimeout bool     `json:"compare_timeout"`
	CompareSameRef bool     `json:"compare_same_ref"`
	WebURL         string   `json:"web_url"`
}

func (h *Handler) compare(w http.ResponseWriter, r *http.Request, p api.Params) error {
	q := r.URL.Query()
	from, to := q.Get("from"), q.Get("to")
	var absent []string
	if from == "" {
		absent = append(absent, "from")
	}
	if to == "" {
		absent = append(absent, "to")
	}
	if len(absent) > 0 {
		return missing(absent...)
	}
	straight, err := queryBool(r, "straight")
	if err != nil {
		return err
	}
	unidiff, err := queryBool(r, "unidiff")
	if err != nil {
		return err
	}
	a := api.Actor(r)
	v, err := h.forge.Projects.ProjectByRef(r.Context(), a, forge.ParseRef(p.Get("id")))
	if err != nil {
		return err
	}
	cmp, err := h.forge.Repositories.Compare(r.Context(), a, forge.ParseRef(p.Get("id")), from, to, straight)
	if err != nil {
		return err
	}
	out := Compare{Commits: make([]Commit, len(cmp.Commits)), Diffs: diffs(cmp.Diffs, unidiff),
		CompareSameRef: cmp.SameRef, WebURL: h.projectWebURL(v) + "/-/compare/" + url.PathEscape(from) +
			"..." + url.PathEscape(to)}
	for i, c := range cmp.Commits {
		out.Commits[i] = h.commit(v, c)
	}
	if cmp.Commit != nil {
		c := h.commit(v, cmp.Commit)
		out.Commit = &c
	}
	return api.JSON(w, r, http.StatusOK, out)
}

func (h *Handler) mergeBase(w http.ResponseWriter, r *http.Request, p api.Params) error {
	q := r.URL.Query()
	refs := q["refs[]"]
	if len(refs) == 0 {
		refs = q["refs"]
	}
	if len(refs) == 0 {
		return missing("refs")
	}
	a := api.Actor(r)
	v, err := h.forge.Projects.ProjectByRef(r.Context(), a, forge.ParseRef(p.Get("id")))
	if err != nil {
		return err
	}
	c, err := h.forge.Repositories.MergeBase(r.Context(), a, forge.ParseRef(p.Get("id")), refs)
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusOK, h.commit(v, c))
}

package gitlab

import (
	"net/http"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

// TreeEntry is an entry of GET .../repository/tree.
type TreeEntry struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Type string `json:"type"`
	Path string `json:"path"`
	Mode string `json:"mode"`
}

func (h *Handler) treeRoutes(handle func(string, string, api.HandlerFunc), repo string) {
	handle("GET", repo+"/tree", h.listTree)
}

func (h *Handler) listTree(w http.ResponseWriter, r *http.Request, p api.Params) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	recursive, err := queryBool(r, "recursive")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	rev := q.Get("ref")
	if rev == "" {
		rev = q.Get("ref_name")
	}
	a := api.Actor(r)
	if _, err := h.forge.ProjectByRef(r.Context(), a, p.Get("id")); err != nil {
		return err
	}
	entries, total, err := h.forge.ListTree(r.Context(), a, p.Get("id"), q.Get("path"), rev, recursive, pg)
	if err != nil {
		return err
	}
	return h.list(w, r, pg, total, treeEntries(entries))
}

func treeEntries(list []forge.TreeEntry) []TreeEntry {
	out := make([]TreeEntry, len(list))
	for i, e := range list {
		out[i] = TreeEntry{ID: e.Hash.String(), Name: e.Name, Type: e.Kind(), Path: e.Path, Mode: e.ModeString()}
	}
	return out
}

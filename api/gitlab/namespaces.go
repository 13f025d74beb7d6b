package gitlab

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

func (h *Handler) listNamespaces(w http.ResponseWriter, r *http.Request, _ api.Params) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	o := forge.NamespaceListOptions{Search: r.URL.Query().Get("search")}
	if o.OwnedOnly, err = queryBool(r, "owned_only"); err != nil {
		return err
	}
	if o.TopLevelOnly, err = queryBool(r, "top_level_only"); err != nil {
		return err
	}
	nss, total, err := h.forge.Projects.ListNamespaces(r.Context(), api.Actor(r), o, pg)
	if err != nil {
		return err
	}
	out := make([]Namespace, len(nss))
	for i, n := range nss {
		out[i] = h.namespace(n)
	}
	return h.list(w, r, pg, total, out)
}

func (h *Handler) getNamespace(w http.ResponseWriter, r *http.Request, p api.Params) error {
	n, err := h.forge.Projects.NamespaceByRef(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")))
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusOK, h.namespace(n))
}

func (h *Handler) namespaceExists(w http.ResponseWriter, r *http.Request, p api.Params) error {
	var parent int64
	if v := r.URL.Query().Get("parent_id"); v != "" {
		id, ok := parseID(v)
		if !ok {
			return api.InvalidParam("parent_id")
		}
		parent = id
	}
	exists, suggests, err := h.forge.Projects.NamespaceExists(r.Context(), api.Actor(r), p.Get("id"), parent)
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusOK, map[string]any{"exists": exists, "suggests": suggests})
}

// parseID reads a positive decimal id.
func parseID(s string) (int64, bool) {
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil && id > 0
}

func formatID(id int64) string { return strconv.FormatInt(id, 10) }

// containsFold reports whether s contains sub, ignoring case.
func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

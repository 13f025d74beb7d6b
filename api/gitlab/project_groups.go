package gitlab

import (
	"net/http"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

// PublicGroupDetails is a group as a project's group list shows it.
type PublicGroupDetails struct {
	ID        int64   `json:"id"`
	Name      string  `json:"name"`
	WebURL    string  `json:"web_url"`
	AvatarURL *string `json:"avatar_url"`
	FullName  string  `json:"full_name"`
	FullPath  string  `json:"full_path"`
}

// listProjectGroups is GET /projects/:id/groups: the project's group and its ancestors.
// cairn shares no projects with other groups, so with_shared adds none.
func (h *Handler) listProjectGroups(w http.ResponseWriter, r *http.Request, p api.Params) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	in, err := api.ReadInput(r)
	if err != nil {
		return err
	}
	o := forge.ProjectGroupsOptions{Search: r.URL.Query().Get("search")}
	if o.SkipGroups, err = intList(in, "skip_groups"); err != nil {
		return err
	}
	groups, total, err := h.forge.Projects.ProjectGroups(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")), o, pg)
	if err != nil {
		return err
	}
	out := make([]PublicGroupDetails, len(groups))
	for i, g := range groups {
		out[i] = PublicGroupDetails{
			ID:        g.ID,
			Name:      g.Name,
			WebURL:    h.namespaceWebURL(g),
			AvatarURL: h.avatarURL(forge.UploadGroup, g.ID, g.Avatar),
			FullName:  g.FullName,
			FullPath:  g.FullPath,
		}
	}
	return h.list(w, r, pg, total, out)
}

// intList reads key as a list of ids (skip_groups[]=1&skip_groups[]=2, or "1,2").
func intList(in *api.Input, key string) ([]int64, error) {
	vals, _ := in.Strings(key)
	out := make([]int64, 0, len(vals))
	for _, v := range vals {
		id, ok := parseID(v)
		if !ok {
			return nil, api.InvalidParam(key)
		}
		out = append(out, id)
	}
	return out, nil
}

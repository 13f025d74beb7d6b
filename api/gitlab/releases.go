package gitlab

import (
	"net/http"
	"strconv"
	"time"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

// releaseRoutes serves GitLab's releases API. Tag names with "/" arrive encoded ("v1%2F0")
// and stay one segment.
func (h *Handler) releaseRoutes(rt *api.Router) {
	write := h.gitHandler
	rt.Handle("GET", "/projects/:id/releases", h.listReleases)
	rt.Handle("POST", "/projects/:id/releases", write(h.createRelease))
	rt.Handle("GET", "/projects/:id/releases/:tag_name", h.getRelease)
	rt.Handle("PUT", "/projects/:id/releases/:tag_name", write(h.updateRelease))
	rt.Handle("DELETE", "/projects/:id/releases/:tag_name", write(h.deleteRelease))
}

// ReleaseSource is a link to an archive of the release's tag.
type ReleaseSource struct {
	Format string `json:"format"`
	URL    string `json:"url"`
}

// ReleaseAssets are what a release offers to download; cairn has no asset links.
type ReleaseAssets struct {
	Count   int             `json:"count"`
	Sources []ReleaseSource `json:"sources"`
	Links   []any           `json:"links"`
}

// ReleaseLinks are a release's web URLs.
type ReleaseLinks struct {
	Self    string `json:"self,omitempty"`
	EditURL string `json:"edit_url,omitempty"`
}

// Release is a release as GitLab renders it.
type Release struct {
	Name            string        `json:"name"`
	TagName         string        `json:"tag_name"`
	Description     string        `json:"description"`
	CreatedAt       Time          `json:"created_at"`
	ReleasedAt      Time          `json:"released_at"`
	Author          *BasicUser    `json:"author,omitempty"`
	Commit          *Commit       `json:"commit,omitempty"`
	UpcomingRelease bool          `json:"upcoming_release"`
	CommitPath      string        `json:"commit_path,omitempty"`
	TagPath         string        `json:"tag_path,omitempty"`
	Assets          ReleaseAssets `json:"assets"`
	Evidences       []any         `json:"evidences"`
	Links           ReleaseLinks  `json:"_links"`
}

func (h *Handler) release(v forge.ProjectView, r forge.Release, commits map[string]*forge.Commit,
	now time.Time) Release {
	web := h.projectWebURL(v)
	out := Release{
		Name:            r.Name,
		TagName:         r.TagName,
		Description:     r.Description,
		CreatedAt:       Time(r.CreatedAt),
		ReleasedAt:      Time(r.ReleasedAt),
		UpcomingRelease: r.ReleasedAt.After(now),
		Assets:          ReleaseAssets{Sources: []ReleaseSource{}, Links: []any{}},
		Evidences:       []any{},
	}
	if r.AuthorID != 0 {
		u := h.basicUser(r.Author)
		out.Author = &u
	}
	if c := commits[r.SHA]; c != nil {
		cc := h.commit(v, c)
		out.Commit = &cc
		out.CommitPath = "/" + v.FullPath() + "/-/commit/" + r.SHA
	}
	if r.TagName != "" {
		out.TagPath = "/" + v.FullPath() + "/-/tags/" + r.TagName
		archive := h.core.URL(h.prefix() + "/projects/" + strconv.FormatInt(v.ID, 10) + "/repository/archive.")
		for _, f := range []string{"zip", "tar.gz", "tar"} {
			out.Assets.Sources = append(out.Assets.Sources,
				ReleaseSource{Format: f, URL: archive + f + "?sha=" + api.PathEscape(r.TagName)})
		}
		out.Assets.Count = len(out.Assets.Sources)
		out.Links.Self = web + "/-/releases/" + api.PathEscape(r.TagName)
		if v.CanEditReleases {
			out.Links.EditURL = out.Links.Self + "/edit"
		}
	}
	return out
}

// releases renders a project's releases with their commits.
func (h *Handler) releases(r *http.Request, v forge.ProjectView, list []forge.Release) ([]Release, error) {
	commits, err := h.forge.Delivery.ReleaseCommits(r.Context(), api.Actor(r), forge.ID(v.ID), list)
	if err != nil {
		return nil, err
	}
	now := h.forge.Now()
	out := make([]Release, len(list))
	for i, rel := range list {
		out[i] = h.release(v, rel, commits, now)
	}
	return out, nil
}

// writeRelease renders one release with status.
func (h *Handler) writeRelease(w http.ResponseWriter, r *http.Request, status int, v forge.ProjectView,
	rel forge.Release) error {
	out, err := h.releases(r, v, []forge.Release{rel})
	if err != nil {
		return err
	}
	return api.JSON(w, r, status, out[0])
}

func (h *Handler) listReleases(w http.ResponseWriter, r *http.Request, p api.Params) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	desc, err := sortDesc(r, true)
	if err != nil {
		return err
	}
	o := forge.ReleaseListOptions{OrderBy: r.URL.Query().Get("order_by"), Desc: desc}
	if o.UpdatedAfter, err = queryTime(r, "updated_after"); err != nil {
		return err
	}
	if o.UpdatedBefore, err = queryTime(r, "updated_before"); err != nil {
		return err
	}
	a := api.Actor(r)
	v, err := h.forge.Projects.ProjectByRef(r.Context(), a, forge.ParseRef(p.Get("id")))
	if err != nil {
		return err
	}
	list, total, err := h.forge.Delivery.ListReleases(r.Context(), a, forge.ParseRef(p.Get("id")), o, pg)
	if err != nil {
		return err
	}
	out, err := h.releases(r, v, list)
	if err != nil {
		return err
	}
	return h.list(w, r, pg, total, out)
}

func (h *Handler) getRelease(w http.ResponseWriter, r *http.Request, p api.Params) error {
	a := api.Actor(r)
	v, err := h.forge.Projects.ProjectByRef(r.Context(), a, forge.ParseRef(p.Get("id")))
	if err != nil {
		return err
	}
	rel, err := h.forge.Delivery.GetRelease(r.Context(), a, forge.ParseRef(p.Get("id")), p.Get("tag_name"))
	if err != nil {
		return err
	}
	return h.writeRelease(w, r, http.StatusOK, v, rel)
}

// releaseInput reads the release fields GitLab's create and update take.
func releaseInput(in *api.Input) (forge.ReleaseInput, error) {
	ri := forge.ReleaseInput{
		TagName:     in.StringPtr("tag_name"),
		TagMessage:  in.StringPtr("tag_message"),
		Name:        in.StringPtr("name"),
		Description: in.StringPtr("description"),
		Ref:         in.StringPtr("ref"),
		SHA:         in.StringPtr("sha"),
	}
	var err error
	ri.ReleasedAt, err = in.Date("released_at")
	return ri, err
}

func (h *Handler) createRelease(w http.ResponseWriter, r *http.Request, p api.Params) error {
	in, err := api.ReadInput(r)
	if err != nil {
		return err
	}
	if err := require(in, "tag_name"); err != nil {
		return err
	}
	ri, err := releaseInput(in)
	if err != nil {
		return err
	}
	a := api.Actor(r)
	v, err := h.forge.Projects.ProjectByRef(r.Context(), a, forge.ParseRef(p.Get("id")))
	if err != nil {
		return err
	}
	rel, err := h.forge.Delivery.CreateRelease(r.Context(), a, forge.ParseRef(p.Get("id")), ri)
	if err != nil {
		return err
	}
	return h.writeRelease(w, r, http.StatusCreated, v, rel)
}

func (h *Handler) updateRelease(w http.ResponseWriter, r *http.Request, p api.Params) error {
	in, err := api.ReadInput(r)
	if err != nil {
		return err
	}
	ri, err := releaseInput(in)
	if err != nil {
		return err
	}
	ri.TagName, ri.TagMessage, ri.Ref, ri.SHA = nil, nil, nil, nil
	a := api.Actor(r)
	v, err := h.forge.Projects.ProjectByRef(r.Context(), a, forge.ParseRef(p.Get("id")))
	if err != nil {
		return err
	}
	rel, err := h.forge.Delivery.UpdateRelease(r.Context(), a, forge.ParseRef(p.Get("id")), p.Get("tag_name"), ri)
	if err != nil {
		return err
	}
	return h.writeRelease(w, r, http.StatusOK, v, rel)
}

// deleteRelease answers with the deleted release, as GitLab does; deleting one that is gone
// answers 204.
func (h *Handler) deleteRelease(w http.ResponseWriter, r *http.Request, p api.Params) error {
	a := api.Actor(r)
	v, err := h.forge.Projects.ProjectByRef(r.Context(), a, forge.ParseRef(p.Get("id")))
	if err != nil {
		return err
	}
	rel, err := h.forge.Delivery.DeleteRelease(r.Context(), a, forge.ParseRef(p.Get("id")), p.Get("tag_name"))
	if err != nil {
		return err
	}
	if rel.ID == 0 {
		return api.NoContent(w)
	}
	return h.writeRelease(w, r, http.StatusOK, v, rel)
}

package web

import (
	"html/template"
	"net/http"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

// releaseView is a release with its notes rendered.
type releaseView struct {
	forge.Release
	Notes template.HTML
}

type releasesData struct {
	Releases []releaseView
	Pager    pager
}

// releases lists a project's releases, newest first, with their notes: "/-/releases".
func (h *Handler) releases(w http.ResponseWriter, r *http.Request, pn *projectNav) error {
	if !pn.Can.ReadReleases {
		return notFound()
	}
	pg := pageOf(r, 20)
	list, total, err := h.forge.Delivery.ListReleases(r.Context(), api.Actor(r), forge.ID(pn.View.ID),
		forge.ReleaseListOptions{Desc: true}, pg)
	if err != nil {
		return err
	}
	d := &releasesData{Pager: newPager(r, pg, total)}
	for _, rel := range list {
		d.Releases = append(d.Releases, h.releaseView(r, pn, rel))
	}
	return h.render(w, r, http.StatusOK, "releases", h.projectPage(r, pn, "releases", "Releases", d))
}

// releaseView renders a release's notes, their relative links pointing at its tag.
func (h *Handler) releaseView(r *http.Request, pn *projectNav, rel forge.Release) releaseView {
	at := rel.TagName
	if at == "" {
		at = pn.View.DefaultBranch
	}
	return releaseView{Release: rel, Notes: h.markdownIn(r, pn, at, "", rel.Description)}
}

type releaseData struct {
	Release releaseView
	// Shipped counts the commits this release shipped first.
	Shipped int
}

// release shows the release of a tag: "/-/releases/<tag>".
func (h *Handler) release(tag string) projectHandler {
	return func(w http.ResponseWriter, r *http.Request, pn *projectNav) error {
		if !pn.Can.ReadReleases {
			return notFound()
		}
		a := api.Actor(r)
		ref := forge.ID(pn.View.ID)
		rel, err := h.forge.Delivery.GetRelease(r.Context(), a, ref, tag)
		if err != nil {
			return err
		}
		shipped, err := h.forge.Delivery.ReleaseShippedCommits(r.Context(), a, ref, rel.ID)
		if err != nil {
			return err
		}
		d := &releaseData{Release: h.releaseView(r, pn, rel), Shipped: len(shipped)}
		title := rel.Name
		if title == "" {
			title = rel.TagName
		}
		return h.render(w, r, http.StatusOK, "release", h.projectPage(r, pn, "releases", title, d))
	}
}

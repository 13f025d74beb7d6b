package gitlab

import (
	"net/http"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

// Badge is a badge as GitLab renders it.
type Badge struct {
	ID               int64  `json:"id"`
	Name             string `json:"name"`
	LinkURL          string `json:"link_url"`
	ImageURL         string `json:"image_url"`
	RenderedLinkURL  string `json:"rendered_link_url"`
	RenderedImageURL string `json:"rendered_image_url"`
	Kind             string `json:"kind"`
}

// RenderedBadge is the answer of .../badges/render: the URLs as given and as rendered.
type RenderedBadge struct {
	LinkURL          string `json:"link_url"`
	ImageURL         string `json:"image_url"`
	RenderedLinkURL  string `json:"rendered_link_url"`
	RenderedImageURL string `json:"rendered_image_url"`
}

func badge(b forge.Badge) Badge {
	return Badge{
		ID:               b.ID,
		Name:             b.Name,
		LinkURL:          b.LinkURL,
		ImageURL:         b.ImageURL,
		RenderedLinkURL:  b.RenderedLinkURL,
		RenderedImageURL: b.RenderedImageURL,
		Kind:             b.Kind,
	}
}

// badgeRoutes serves the badges of projects or groups (plural "projects" or "groups").
func (h *Handler) badgeRoutes(rt *api.Router, plural, kind string) {
	base := "/" + plural + "/:id/badges"
	src := func(p api.Params) forge.BadgeSource {
		return forge.BadgeSource{Kind: kind, Ref: p.Get("id"), ServerHost: hostOf(h.core.BaseURL)}
	}
	rt.Handle("GET", base, func(w http.ResponseWriter, r *http.Request, p api.Params) error {
		pg, err := page(r)
		if err != nil {
			return err
		}
		list, total, err := h.forge.Projects.ListBadges(r.Context(), api.Actor(r), src(p),
			r.URL.Query().Get("name"), pg)
		if err != nil {
			return err
		}
		out := make([]Badge, len(list))
		for i, b := range list {
			out[i] = badge(b)
		}
		return h.list(w, r, pg, total, out)
	})
	rt.Handle("GET", base+"/:badge_id", func(w http.ResponseWriter, r *http.Request, p api.Params) error {
		if p.Get("badge_id") == "render" {
			return h.renderBadge(w, r, src(p))
		}
		id, ok := parseID(p.Get("badge_id"))
		if !ok {
			return forge.NotFound(forge.ResourceBadge)
		}
		b, err := h.forge.Projects.GetBadge(r.Context(), api.Actor(r), src(p), id)
		if err != nil {
			return err
		}
		return api.JSON(w, r, http.StatusOK, badge(b))
	})
	rt.Handle("POST", base, func(w http.ResponseWriter, r *http.Request, p api.Params) error {
		return h.saveBadge(w, r, src(p), "")
	})
	rt.Handle("PUT", base+"/:badge_id", func(w http.ResponseWriter, r *http.Request, p api.Params) error {
		return h.saveBadge(w, r, src(p), p.Get("badge_id"))
	})
	rt.Handle("DELETE", base+"/:badge_id", func(w http.ResponseWriter, r *http.Request, p api.Params) error {
		id, ok := parseID(p.Get("badge_id"))
		if !ok {
			return forge.NotFound(forge.ResourceBadge)
		}
		if err := h.forge.Projects.DeleteBadge(r.Context(), api.Actor(r), src(p), id); err != nil {
			return err
		}
		return api.NoContent(w)
	})
}

func (h *Handler) renderBadge(w http.ResponseWriter, r *http.Request, src forge.BadgeSource) error {
	in, err := api.ReadInput(r)
	if err != nil {
		return err
	}
	if err := require(in, "link_url", "image_url"); err != nil {
		return err
	}
	link, _ := in.String("link_url")
	image, _ := in.String("image_url")
	b, err := h.forge.Projects.RenderBadge(r.Context(), api.Actor(r), src, link, image)
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusOK, RenderedBadge{LinkURL: b.LinkURL, ImageURL: b.ImageURL,
		RenderedLinkURL: b.RenderedLinkURL, RenderedImageURL: b.RenderedImageURL})
}

// saveBadge is POST .../badges (rawID "") and PUT .../badges/:badge_id.
func (h *Handler) saveBadge(w http.ResponseWriter, r *http.Request, src forge.BadgeSource, rawID string) error {
	var id int64
	if rawID != "" {
		var ok bool
		if id, ok = parseID(rawID); !ok {
			return forge.NotFound(forge.ResourceBadge)
		}
	}
	in, err := api.ReadInput(r)
	if err != nil {
		return err
	}
	if id == 0 {
		if err := require(in, "link_url", "image_url"); err != nil {
			return err
		}
	}
	b, err := h.forge.Projects.SaveBadge(r.Context(), api.Actor(r), src, id,
		forge.BadgeInput{Name: in.StringPtr("name"),
			LinkURL: in.StringPtr("link_url"), ImageURL: in.StringPtr("image_url")})
	if err != nil {
		return err
	}
	status := http.StatusOK
	if id == 0 {
		status = http.StatusCreated
	}
	return api.JSON(w, r, status, badge(b))
}

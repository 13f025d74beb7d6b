package gitlab

import (
	"net/http"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

// memberRoutes registers the members API under /<plural>/:id, which GitLab shares between
// groups and projects. "all" stands where a user id would, so one route takes both.
func (h *Handler) memberRoutes(rt *api.Router, plural, kind string) {
	base := "/" + plural + "/:id/members"
	src := func(p api.Params) forge.MemberSource { return forge.MemberSource{Kind: kind, Ref: p.Get("id")} }
	rt.Handle("GET", base, func(w http.ResponseWriter, r *http.Request, p api.Params) error {
		return h.listMembers(w, r, src(p), false)
	})
	rt.Handle("GET", base+"/:user_id", func(w http.ResponseWriter, r *http.Request, p api.Params) error {
		if p.Get("user_id") == "all" {
			return h.listMembers(w, r, src(p), true)
		}
		return h.getMember(w, r, src(p), p.Get("user_id"), false)
	})
	rt.Handle("GET", base+"/:user_id/:all_user_id", func(w http.ResponseWriter, r *http.Request, p api.Params) error {
		if p.Get("user_id") != "all" {
			return forge.NotFound("")
		}
		return h.getMember(w, r, src(p), p.Get("all_user_id"), true)
	})
	rt.Handle("POST", base, func(w http.ResponseWriter, r *http.Request, p api.Params) error {
		return h.saveMember(w, r, src(p), "", true)
	})
	rt.Handle("PUT", base+"/:user_id", func(w http.ResponseWriter, r *http.Request, p api.Params) error {
		return h.saveMember(w, r, src(p), p.Get("user_id"), false)
	})
	rt.Handle("DELETE", base+"/:user_id", func(w http.ResponseWriter, r *http.Request, p api.Params) error {
		id, ok := parseID(p.Get("user_id"))
		if !ok {
			return forge.NotFound("")
		}
		if err := h.forge.Projects.RemoveMember(r.Context(), api.Actor(r), src(p), id); err != nil {
			return err
		}
		return api.NoContent(w)
	})
}

func (h *Handler) listMembers(w http.ResponseWriter, r *http.Request, src forge.MemberSource, all bool) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	a := api.Actor(r)
	members, total, err := h.forge.Projects.ListMembers(r.Context(), a, src, all, r.URL.Query().Get("query"), pg)
	if err != nil {
		return err
	}
	out := make([]Member, len(members))
	for i, m := range members {
		out[i] = h.member(m, nil)
	}
	return h.list(w, r, pg, total, out)
}

func (h *Handler) getMember(w http.ResponseWriter, r *http.Request, src forge.MemberSource, userRef string,
	all bool) error {
	id, ok := parseID(userRef)
	if !ok {
		return forge.NotFound("")
	}
	a := api.Actor(r)
	m, err := h.forge.Projects.GetMember(r.Context(), a, src, id, all)
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusOK, h.member(m, nil))
}

func (h *Handler) saveMember(w http.ResponseWriter, r *http.Request, src forge.MemberSource, userRef string,
	create bool) error {
	in, err := api.ReadInput(r)
	if err != nil {
		return err
	}
	mi := forge.MemberInput{UserRef: forge.ParseRef(userRef)}
	if create {
		if id, _ := in.String("user_id"); id != "" {
			mi.UserRef = forge.ParseRef(id)
		} else if name, _ := in.String("username"); name != "" {
			mi.UserRef = forge.Path(name)
		} else {
			return forge.Missing("user_id")
		}
	}
	level, ok, err := in.Int("access_level")
	if err != nil {
		return err
	}
	if !ok {
		return forge.Missing("access_level")
	}
	mi.AccessLevel = int(level)
	if mi.ExpiresAt, err = in.Date("expires_at"); err != nil {
		return err
	}
	a := api.Actor(r)
	m, err := h.forge.Projects.AddOrUpdateMember(r.Context(), a, src, mi, create)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if create {
		status = http.StatusCreated
	}
	return api.JSON(w, r, status, h.member(m, nil))
}

package gitlab

import (
	"net/http"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

func (h *Handler) impersonationTokenRoutes(rt *api.Router) {
	const base = "/users/:id/impersonation_tokens"
	rt.Handle("GET", base, h.listImpersonationTokens)
	rt.Handle("POST", base, h.createImpersonationToken)
	rt.Handle("GET", base+"/:token_id", h.getImpersonationToken)
	rt.Handle("DELETE", base+"/:token_id", h.revokeImpersonationToken)
}

// impersonationIDs reads a route's user and token ids.
func impersonationIDs(p api.Params, withToken bool) (user, token int64, err error) {
	user, ok := parseID(p.Get("id"))
	if !ok {
		return 0, 0, forge.NotFound(forge.ResourceUser)
	}
	if withToken {
		if token, ok = parseID(p.Get("token_id")); !ok {
			return 0, 0, forge.NotFound(forge.ResourceImpersonationToken)
		}
	}
	return user, token, nil
}

func (h *Handler) listImpersonationTokens(w http.ResponseWriter, r *http.Request, p api.Params) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	user, _, err := impersonationIDs(p, false)
	if err != nil {
		return err
	}
	state := r.URL.Query().Get("state")
	switch state {
	case "", "all":
		state = ""
	case "active", "inactive":
	default:
		return api.InvalidValue("state")
	}
	list, total, err := h.forge.Access.ListImpersonationTokens(r.Context(), api.Actor(r), user, state, pg)
	if err != nil {
		return err
	}
	out := make([]Token, len(list))
	for i, t := range list {
		out[i] = h.token(t, "")
	}
	return h.list(w, r, pg, total, out)
}

func (h *Handler) createImpersonationToken(w http.ResponseWriter, r *http.Request, p api.Params) error {
	user, _, err := impersonationIDs(p, false)
	if err != nil {
		return err
	}
	in, err := api.ReadInput(r)
	if err != nil {
		return err
	}
	var absent []string
	if v, _ := in.String("name"); v == "" {
		absent = append(absent, "name")
	}
	if scopes, _ := in.Strings("scopes"); len(scopes) == 0 {
		absent = append(absent, "scopes")
	}
	if len(absent) > 0 {
		return missing(absent...)
	}
	ti, err := tokenInput(in)
	if err != nil {
		return err
	}
	tok, secret, err := h.forge.Access.CreateImpersonationToken(r.Context(), api.Actor(r), user, ti)
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusCreated, h.token(tok, secret))
}

func (h *Handler) getImpersonationToken(w http.ResponseWriter, r *http.Request, p api.Params) error {
	user, id, err := impersonationIDs(p, true)
	if err != nil {
		return err
	}
	tok, err := h.forge.Access.GetImpersonationToken(r.Context(), api.Actor(r), user, id)
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusOK, h.token(tok, ""))
}

func (h *Handler) revokeImpersonationToken(w http.ResponseWriter, r *http.Request, p api.Params) error {
	user, id, err := impersonationIDs(p, true)
	if err != nil {
		return err
	}
	if err := h.forge.Access.RevokeImpersonationToken(r.Context(), api.Actor(r), user, id); err != nil {
		return err
	}
	return api.NoContent(w)
}

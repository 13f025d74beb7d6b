package gitlab

import (
	"net/http"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

// tokenInput reads name, description, scopes and expires_at; only scopes are required.
func tokenInput(in *api.Input) (forge.TokenInput, error) {
	t := forge.TokenInput{}
	t.Name, _ = in.String("name")
	t.Description, _ = in.String("description")
	t.Scopes, _ = in.Strings("scopes")
	exp, err := in.Date("expires_at")
	if err != nil {
		return t, err
	}
	t.ExpiresAt = exp
	// Without expires_at GitLab applies its default lifetime; cairn makes the token
	// permanent where the instance allows it (--allow-permanent-tokens), and applies its
	// own default (30 days) elsewhere.
	t.PermanentIfAllowed = exp == nil
	return t, nil
}

func (h *Handler) createUserToken(w http.ResponseWriter, r *http.Request, p api.Params) error {
	id, ok := parseID(p.Get("id"))
	if !ok {
		return forge.NotFound(forge.ResourceUser)
	}
	return h.createToken(w, r, id)
}

func (h *Handler) createOwnToken(w http.ResponseWriter, r *http.Request, _ api.Params) error {
	return h.createToken(w, r, api.Actor(r).UserID())
}

func (h *Handler) createToken(w http.ResponseWriter, r *http.Request, userID int64) error {
	in, err := api.ReadInput(r)
	if err != nil {
		return err
	}
	ti, err := tokenInput(in)
	if err != nil {
		return err
	}
	tok, secret, err := h.forge.Access.CreateToken(r.Context(), api.Actor(r), userID, ti)
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusCreated, h.token(tok, secret))
}

func (h *Handler) listTokens(w http.ResponseWriter, r *http.Request, _ api.Params) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	o := forge.TokenListOptions{State: q.Get("state"), Search: q.Get("search")}
	if o.State != "" && o.State != "active" && o.State != "inactive" {
		return &forge.Error{Code: forge.EInvalid, Reason: forge.ReasonInvalidParam, Params: []string{"state"},
			Message: "state does not have a valid value"}
	}
	if v := q.Get("user_id"); v != "" {
		id, ok := parseID(v)
		if !ok {
			return api.InvalidParam("user_id")
		}
		o.UserID = id
	}
	if revoked := q.Get("revoked"); revoked != "" {
		b, err := queryBool(r, "revoked")
		if err != nil {
			return err
		}
		o.State = map[bool]string{true: "inactive", false: "active"}[b]
	}
	tokens, total, err := h.forge.Access.ListTokens(r.Context(), api.Actor(r), o, pg)
	if err != nil {
		return err
	}
	out := make([]Token, len(tokens))
	for i, t := range tokens {
		out[i] = h.token(t, "")
	}
	return h.list(w, r, pg, total, out)
}

func (h *Handler) getToken(w http.ResponseWriter, r *http.Request, p api.Params) error {
	tok, err := h.forge.Access.GetToken(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")))
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusOK, h.token(tok, ""))
}

func (h *Handler) revokeToken(w http.ResponseWriter, r *http.Request, p api.Params) error {
	if err := h.forge.Access.RevokeToken(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id"))); err != nil {
		return err
	}
	return api.NoContent(w)
}

func (h *Handler) rotateToken(w http.ResponseWriter, r *http.Request, p api.Params) error {
	in, err := api.ReadInput(r)
	if err != nil {
		return err
	}
	exp, err := in.Date("expires_at")
	if err != nil {
		return err
	}
	tok, secret, err := h.forge.Access.RotateToken(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")), exp)
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusOK, h.token(tok, secret))
}

package gitlab

import (
	"net/http"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

// DeployKey is a deploy key as GitLab renders it.
type DeployKey struct {
	ID                int64  `json:"id"`
	Title             string `json:"title"`
	Key               string `json:"key"`
	Fingerprint       string `json:"fingerprint"`
	FingerprintSHA256 string `json:"fingerprint_sha256"`
	CreatedAt         Time   `json:"created_at"`
	ExpiresAt         *Time  `json:"expires_at"`
	CanPush           *bool  `json:"can_push,omitempty"`
}

// DeployToken is a deploy token as GitLab renders it; Token only on creation.
type DeployToken struct {
	ID        int64    `json:"id"`
	Name      string   `json:"name"`
	Username  string   `json:"username"`
	ExpiresAt *Time    `json:"expires_at"`
	Scopes    []string `json:"scopes"`
	Revoked   bool     `json:"revoked"`
	Expired   bool     `json:"expired"`
	Token     string   `json:"token,omitempty"`
}

func deployKey(k forge.DeployKey, withPush bool) DeployKey {
	out := DeployKey{
		ID:                k.ID,
		Title:             k.Title,
		Key:               k.Key,
		Fingerprint:       k.FingerprintMD5,
		FingerprintSHA256: k.FingerprintSHA256,
		CreatedAt:         Time(k.CreatedAt),
		ExpiresAt:         timePtr(k.ExpiresAt),
	}
	if withPush {
		canPush := k.CanPush
		out.CanPush = &canPush
	}
	return out
}

func (h *Handler) deployToken(t forge.DeployToken, secret string) DeployToken {
	return DeployToken{
		ID:        t.ID,
		Name:      t.Name,
		Username:  t.Username,
		ExpiresAt: timePtr(t.ExpiresAt),
		Scopes:    t.Scopes,
		Revoked:   t.RevokedAt != nil,
		Expired:   t.Expired(h.forge.Now()),
		Token:     secret,
	}
}

func (h *Handler) deployRoutes(rt *api.Router) {
	rt.Handle("GET", "/deploy_keys", h.listAllDeployKeys)
	const keys = "/projects/:id/deploy_keys"
	rt.Handle("GET", keys, h.listDeployKeys)
	rt.Handle("POST", keys, h.addDeployKey)
	rt.Handle("GET", keys+"/:key_id", h.getDeployKey)
	rt.Handle("PUT", keys+"/:key_id", h.updateDeployKey)
	rt.Handle("DELETE", keys+"/:key_id", h.deleteDeployKey)
	rt.Handle("POST", keys+"/:key_id/enable", h.enableDeployKey)

	rt.Handle("GET", "/deploy_tokens", func(w http.ResponseWriter, r *http.Request, _ api.Params) error {
		return h.listDeployTokens(w, r, forge.DeployTokenSource{})
	})
	for _, k := range []struct{ plural, kind string }{{"projects", "project"}, {"groups", "group"}} {
		base := "/" + k.plural + "/:id/deploy_tokens"
		kind := k.kind
		src := func(p api.Params) forge.DeployTokenSource {
			return forge.DeployTokenSource{Kind: kind, Ref: p.Get("id")}
		}
		rt.Handle("GET", base, func(w http.ResponseWriter, r *http.Request, p api.Params) error {
			return h.listDeployTokens(w, r, src(p))
		})
		rt.Handle("POST", base, func(w http.ResponseWriter, r *http.Request, p api.Params) error {
			return h.createDeployToken(w, r, src(p))
		})
		rt.Handle("GET", base+"/:token_id", func(w http.ResponseWriter, r *http.Request, p api.Params) error {
			id, ok := parseID(p.Get("token_id"))
			if !ok {
				return forge.NotFound(forge.ResourceDeployToken)
			}
			t, err := h.forge.Access.GetDeployToken(r.Context(), api.Actor(r), src(p), id)
			if err != nil {
				return err
			}
			return api.JSON(w, r, http.StatusOK, h.deployToken(t, ""))
		})
		rt.Handle("DELETE", base+"/:token_id", func(w http.ResponseWriter, r *http.Request, p api.Params) error {
			id, ok := parseID(p.Get("token_id"))
			if !ok {
				return forge.NotFound(forge.ResourceDeployToken)
			}
			if err := h.forge.Access.RevokeDeployToken(r.Context(), api.Actor(r), src(p), id); err != nil {
				return err
			}
			return api.NoContent(w)
		})
	}
}

func (h *Handler) writeDeployKeys(w http.ResponseWriter, r *http.Request, pg forge.Page, total int,
	list []forge.DeployKey, withPush bool) error {
	out := make([]DeployKey, len(list))
	for i, k := range list {
		out[i] = deployKey(k, withPush)
	}
	return h.list(w, r, pg, total, out)
}

func (h *Handler) listAllDeployKeys(w http.ResponseWriter, r *http.Request, _ api.Params) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	list, total, err := h.forge.Access.ListAllDeployKeys(r.Context(), api.Actor(r), pg)
	if err != nil {
		return err
	}
	return h.writeDeployKeys(w, r, pg, total, list, false)
}

func (h *Handler) listDeployKeys(w http.ResponseWriter, r *http.Request, p api.Params) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	list, total, err := h.forge.Access.ListDeployKeys(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")), pg)
	if err != nil {
		return err
	}
	return h.writeDeployKeys(w, r, pg, total, list, true)
}

func deployKeyID(p api.Params) (int64, error) {
	id, ok := parseID(p.Get("key_id"))
	if !ok {
		return 0, forge.NotFound(forge.ResourceDeployKey)
	}
	return id, nil
}

func (h *Handler) getDeployKey(w http.ResponseWriter, r *http.Request, p api.Params) error {
	id, err := deployKeyID(p)
	if err != nil {
		return err
	}
	k, err := h.forge.Access.GetDeployKey(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")), id)
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusOK, deployKey(k, true))
}

func deployKeyInput(in *api.Input) (forge.DeployKeyInput, error) {
	ki := forge.DeployKeyInput{Title: in.StringPtr("title")}
	ki.Key, _ = in.String("key")
	var err error
	if ki.CanPush, err = in.BoolPtr("can_push"); err != nil {
		return ki, err
	}
	ki.ExpiresAt, err = in.Date("expires_at")
	return ki, err
}

func (h *Handler) addDeployKey(w http.ResponseWriter, r *http.Request, p api.Params) error {
	in, err := api.ReadInput(r)
	if err != nil {
		return err
	}
	if err := require(in, "key", "title"); err != nil {
		return err
	}
	ki, err := deployKeyInput(in)
	if err != nil {
		return err
	}
	k, err := h.forge.Access.AddDeployKey(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")), ki)
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusCreated, deployKey(k, true))
}

func (h *Handler) updateDeployKey(w http.ResponseWriter, r *http.Request, p api.Params) error {
	id, err := deployKeyID(p)
	if err != nil {
		return err
	}
	in, err := api.ReadInput(r)
	if err != nil {
		return err
	}
	ki, err := deployKeyInput(in)
	if err != nil {
		return err
	}
	k, err := h.forge.Access.UpdateDeployKey(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")), id, ki)
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusOK, deployKey(k, true))
}

func (h *Handler) enableDeployKey(w http.ResponseWriter, r *http.Request, p api.Params) error {
	id, err := deployKeyID(p)
	if err != nil {
		return err
	}
	k, err := h.forge.Access.EnableDeployKey(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")), id)
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusCreated, deployKey(k, true))
}

func (h *Handler) deleteDeployKey(w http.ResponseWriter, r *http.Request, p api.Params) error {
	id, err := deployKeyID(p)
	if err != nil {
		return err
	}
	if err := h.forge.Access.DeleteDeployKey(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")), id); err != nil {
		return err
	}
	return api.NoContent(w)
}

func (h *Handler) listDeployTokens(w http.ResponseWriter, r *http.Request, src forge.DeployTokenSource) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	active, err := queryBool(r, "active")
	if err != nil {
		return err
	}
	list, total, err := h.forge.Access.ListDeployTokens(r.Context(), api.Actor(r), src, active, pg)
	if err != nil {
		return err
	}
	out := make([]DeployToken, len(list))
	for i, t := range list {
		out[i] = h.deployToken(t, "")
	}
	return h.list(w, r, pg, total, out)
}

func (h *Handler) createDeployToken(w http.ResponseWriter, r *http.Request, src forge.DeployTokenSource) error {
	in, err := api.ReadInput(r)
	if err != nil {
		return err
	}
	var absent []string
	if v, _ := in.String("name"); v == "" {
		absent = append(absent, "name")
	}
	scopes, _ := in.Strings("scopes")
	if len(scopes) == 0 {
		absent = append(absent, "scopes")
	}
	if len(absent) > 0 {
		return missing(absent...)
	}
	ti := forge.DeployTokenInput{Scopes: scopes}
	ti.Name, _ = in.String("name")
	ti.Username, _ = in.String("username")
	if ti.ExpiresAt, err = in.Date("expires_at"); err != nil {
		return err
	}
	t, secret, err := h.forge.Access.CreateDeployToken(r.Context(), api.Actor(r), src, ti)
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusCreated, h.deployToken(t, secret))
}

package gitlab

import (
	"net/http"
	"strconv"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

// requireReadUser admits what GitLab's /version and /metadata admit: a signed-in caller
// whose token may at least read users (authenticate! with allow_access_with_scope :read_user).
func requireReadUser(r *http.Request) error {
	a := api.Actor(r)
	if !a.SignedIn() {
		return forge.Unauthorized("")
	}
	return a.Require(forge.NeedReadUser)
}

func (h *Handler) getVersion(w http.ResponseWriter, r *http.Request, _ api.Params) error {
	if err := requireReadUser(r); err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusOK, map[string]any{"version": Version, "revision": "cairn-" + h.cairnVersion})
}

func (h *Handler) getMetadata(w http.ResponseWriter, r *http.Request, _ api.Params) error {
	if err := requireReadUser(r); err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusOK, map[string]any{"version": Version, "revision": "cairn-" + h.cairnVersion,
		"kas":        map[string]any{"enabled": false, "externalUrl": nil, "externalK8sProxyUrl": nil, "version": nil},
		"enterprise": false})
}

func (h *Handler) getCurrentUser(w http.ResponseWriter, r *http.Request, _ api.Params) error {
	a := api.Actor(r)
	u, err := h.forge.Accounts.CurrentUser(r.Context(), a)
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusOK, h.user(u))
}

func (h *Handler) listUsers(w http.ResponseWriter, r *http.Request, _ api.Params) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	o := forge.UserListOptions{Username: q.Get("username"), Search: q.Get("search"), OrderBy: q.Get("order_by")}
	if o.Active, err = queryBool(r, "active"); err != nil {
		return err
	}
	if o.Blocked, err = queryBool(r, "blocked"); err != nil {
		return err
	}
	if o.Desc, err = sortDesc(r, true); err != nil {
		return err
	}
	a := api.Actor(r)
	users, total, err := h.forge.Accounts.ListUsers(r.Context(), a, o, pg)
	if err != nil {
		return err
	}
	out := make([]User, len(users))
	for i, u := range users {
		out[i] = h.user(u)
	}
	return h.list(w, r, pg, total, out)
}

func (h *Handler) getUser(w http.ResponseWriter, r *http.Request, p api.Params) error {
	a := api.Actor(r)
	id, ok := parseID(p.Get("id"))
	if !ok {
		return forge.NotFound(forge.ResourceUser)
	}
	u, err := h.forge.Accounts.GetUser(r.Context(), a, id)
	if err != nil {
		return err
	}
	out, err := h.userDetail(r, u)
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusOK, out)
}

// Identity is a user's account at another provider, as administrators see it.
type Identity struct {
	Provider       string `json:"provider"`
	ExternUID      string `json:"extern_uid"`
	SAMLProviderID *int64 `json:"saml_provider_id"`
}

// userDetail renders u with its identities, which only administrators see.
func (h *Handler) userDetail(r *http.Request, u forge.UserView) (User, error) {
	out := h.user(u)
	ids, err := h.forge.Accounts.Identities(r.Context(), api.Actor(r), u.ID)
	if err != nil {
		return out, err
	}
	out.Identities = make([]any, len(ids))
	for i, id := range ids {
		out.Identities[i] = Identity{Provider: id.Provider, ExternUID: id.ExternUID}
	}
	return out, nil
}

// setIdentity records the identity a create or update request gives as provider and
// extern_uid, if any.
func (h *Handler) setIdentity(r *http.Request, in *api.Input, userID int64) error {
	provider, hasProvider := in.String("provider")
	uid, hasUID := in.String("extern_uid")
	if !hasProvider && !hasUID {
		return nil
	}
	return h.forge.Accounts.SetIdentity(r.Context(), api.Actor(r), userID, provider, uid)
}

// finishUser applies the avatar a create or update request carries and renders the user as
// it then is.
func (h *Handler) finishUser(r *http.Request, avatar *pendingAvatar, u forge.UserView) (User, error) {
	u, err := h.userWithAvatar(r, avatar, u)
	if err != nil {
		return User{}, err
	}
	return h.userDetail(r, u)
}

// userInput reads the user fields GitLab's create and update take.
func userInput(in *api.Input) (forge.UserInput, error) {
	u := forge.UserInput{
		Username: in.StringPtr("username"),
		Email:    in.StringPtr("email"),
		Name:     in.StringPtr("name"),
		Password: in.StringPtr("password"),
		Bio:      in.StringPtr("bio"),
		Plan:     in.StringPtr("plan"),
	}
	var err error
	for _, f := range []struct {
		key string
		dst **bool
	}{{"admin", &u.Admin}, {"external", &u.External}, {"can_create_group", &u.CanCreateGroup}} {
		if *f.dst, err = in.BoolPtr(f.key); err != nil {
			return u, err
		}
	}
	for _, f := range []struct {
		key string
		dst **int
	}{{"projects_limit", &u.ProjectsLimit}, {"rate_limit_per_minute", &u.RatePerMinute},
		{"rate_limit_burst", &u.RateBurst}} {
		if *f.dst, err = in.IntPtr(f.key); err != nil {
			return u, err
		}
	}
	return u, nil
}

func (h *Handler) createUser(w http.ResponseWriter, r *http.Request, _ api.Params) error {
	in, err := api.ReadInput(r)
	if err != nil {
		return err
	}
	ui, err := userInput(in)
	if err != nil {
		return err
	}
	random, _, err := in.Bool("force_random_password")
	if err != nil {
		return err
	}
	reset, _, err := in.Bool("reset_password")
	if err != nil {
		return err
	}
	ui.PasswordRequired = !random && !reset
	avatar, err := h.readAvatar(r, in)
	if err != nil {
		return err
	}
	u, err := h.forge.Accounts.CreateUser(r.Context(), api.Actor(r), ui)
	if err != nil {
		return err
	}
	if err := h.setIdentity(r, in, u.ID); err != nil {
		return err
	}
	out, err := h.finishUser(r, avatar, u)
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusCreated, out)
}

// userWithAvatar gives u the avatar a request carried, and returns u as it then is.
func (h *Handler) userWithAvatar(r *http.Request, avatar *pendingAvatar, u forge.UserView) (forge.UserView, error) {
	if avatar == nil {
		return u, nil
	}
	if err := avatar.apply(r, h, forge.UploadUser, strconv.FormatInt(u.ID, 10)); err != nil {
		return u, err
	}
	return h.forge.Accounts.GetUser(r.Context(), api.Actor(r), u.ID)
}

func (h *Handler) updateUser(w http.ResponseWriter, r *http.Request, p api.Params) error {
	id, ok := parseID(p.Get("id"))
	if !ok {
		return forge.NotFound(forge.ResourceUser)
	}
	in, err := api.ReadInput(r)
	if err != nil {
		return err
	}
	ui, err := userInput(in)
	if err != nil {
		return err
	}
	avatar, err := h.readAvatar(r, in)
	if err != nil {
		return err
	}
	a := api.Actor(r)
	if err := h.setIdentity(r, in, id); err != nil {
		return err
	}
	u, err := h.forge.Accounts.UpdateUser(r.Context(), a, id, ui)
	if err != nil {
		return err
	}
	out, err := h.finishUser(r, avatar, u)
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusOK, out)
}

func (h *Handler) blockUser(w http.ResponseWriter, r *http.Request, p api.Params) error {
	return h.setBlocked(w, r, p, true)
}

func (h *Handler) unblockUser(w http.ResponseWriter, r *http.Request, p api.Params) error {
	return h.setBlocked(w, r, p, false)
}

// setBlocked answers 201 with true when the state changed, as GitLab's clients expect, and
// 201 with false when it already was so.
func (h *Handler) setBlocked(w http.ResponseWriter, r *http.Request, p api.Params, blocked bool) error {
	id, ok := parseID(p.Get("id"))
	if !ok {
		return forge.NotFound(forge.ResourceUser)
	}
	changed, err := h.forge.Accounts.SetUserBlocked(r.Context(), api.Actor(r), id, blocked)
	if err != nil {
		return err
	}
	if blocked && !changed {
		// GitLab's block stops early for a user already blocked ("break"): null.
		return api.JSON(w, r, http.StatusCreated, nil)
	}
	return api.JSON(w, r, http.StatusCreated, changed)
}

func (h *Handler) banUser(w http.ResponseWriter, r *http.Request, p api.Params) error {
	return h.setBanned(w, r, p, true)
}

func (h *Handler) unbanUser(w http.ResponseWriter, r *http.Request, p api.Params) error {
	return h.setBanned(w, r, p, false)
}

// setBanned is POST /users/:id/ban and /unban: 201 true, or 403 naming the state that
// refuses it.
func (h *Handler) setBanned(w http.ResponseWriter, r *http.Request, p api.Params, ban bool) error {
	id, ok := parseID(p.Get("id"))
	if !ok {
		return forge.NotFound(forge.ResourceUser)
	}
	if err := h.forge.Accounts.SetUserBanned(r.Context(), api.Actor(r), id, ban); err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusCreated, true)
}

// deleteUser answers 204 once the user is gone; hard_delete removes their contributions
// instead of crediting them to the Ghost User.
func (h *Handler) deleteUser(w http.ResponseWriter, r *http.Request, p api.Params) error {
	id, ok := parseID(p.Get("id"))
	if !ok {
		return forge.NotFound(forge.ResourceUser)
	}
	in, err := api.ReadInput(r)
	if err != nil {
		return err
	}
	hard, _, err := in.Bool("hard_delete")
	if err != nil {
		return err
	}
	if err := h.forge.Accounts.DeleteUser(r.Context(), api.Actor(r), id, hard); err != nil {
		return err
	}
	return api.NoContent(w)
}

// revokeSessions signs a user out of every browser (cairn's own route; GitLab has none):
// administrators may do it to anyone, users to themselves. Their tokens keep working.
func (h *Handler) revokeSessions(w http.ResponseWriter, r *http.Request, p api.Params) error {
	id, ok := parseID(p.Get("id"))
	if !ok {
		return forge.NotFound(forge.ResourceUser)
	}
	if err := h.forge.Access.RevokeSessions(r.Context(), api.Actor(r), id); err != nil {
		return err
	}
	return api.NoContent(w)
}

// revokeOwnSessions signs the caller out of every browser.
func (h *Handler) revokeOwnSessions(w http.ResponseWriter, r *http.Request, _ api.Params) error {
	if err := h.forge.Access.RevokeSessions(r.Context(), api.Actor(r), api.Actor(r).UserID()); err != nil {
		return err
	}
	return api.NoContent(w)
}

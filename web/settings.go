package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

// tokenPreset is a named set of scopes the token form offers, as the seeds name them.
type tokenPreset struct {
	// Value is what the form sends: a scope or one of forge.ParseScope's aliases.
	Value       string
	Label       string
	Description string
}

var tokenPresets = []tokenPreset{
	{"Administrator", "Administrator", "Everything you may do, administration included (scope admin)."},
	{"Read Only", "Read only", "Read the API and repositories, change nothing (scope read_api)."},
	{forge.ScopeTracksWrite, "Run agents", "Start and follow agent runs (scope tracks_write)."},
}

// scopeDescriptions say what each scope allows, for the token form.
var scopeDescriptions = map[string]string{
	forge.ScopeAPI:             "Full read and write access to the API, as you.",
	forge.ScopeReadAPI:         "Read access to the API.",
	forge.ScopeReadUser:        "Read your profile and other users.",
	forge.ScopeReadRepository:  "Clone and fetch repositories.",
	forge.ScopeWriteRepository: "Clone, fetch and push to repositories.",
	forge.ScopeRepo:            "Repositories and git (OpenCodeHub).",
	forge.ScopePR:              "Pull requests (OpenCodeHub).",
	forge.ScopeTracksWrite:     "Run agents (Gitar).",
	forge.ScopeSudo:            "Act as another user (administrators).",
	forge.ScopeAdminMode:       "Administrator actions through the API.",
	forge.ScopeAdmin:           "Everything, administration included.",
}

type scopeChoice struct {
	Name, Description string
	Checked           bool
}

type tokensData struct {
	Active   []forge.Token
	Inactive []forge.Token
	Presets  []tokenPreset
	Scopes   []scopeChoice
	// Expiries are the lifetimes offered, in days; Permanent adds "never".
	Expiries  []int
	Permanent bool
	// Form values, and the new token's secret (shown once).
	Name    string
	Preset  string
	Expiry  string
	Created *forge.Token
	Secret  string
	Error   string
}

// tokensPage lists the user's personal access tokens, with the form to make one.
func (h *Handler) tokensPage(w http.ResponseWriter, r *http.Request) error {
	if !api.Actor(r).SignedIn() {
		return forge.Unauthorized("")
	}
	return h.renderTokens(w, r, http.StatusOK, &tokensData{Expiry: "30"})
}

func (h *Handler) renderTokens(w http.ResponseWriter, r *http.Request, status int, d *tokensData) error {
	a := api.Actor(r)
	list, _, err := h.forge.Access.ListTokens(r.Context(), a, forge.TokenListOptions{UserID: a.User.ID},
		forge.Page{Page: 1, PerPage: 1000})
	if err != nil {
		return err
	}
	for i := len(list) - 1; i >= 0; i-- { // newest first
		if h.forge.Access.TokenActive(list[i]) {
			d.Active = append(d.Active, list[i])
		} else {
			d.Inactive = append(d.Inactive, list[i])
		}
	}
	grantable := a.GrantableScopes()
	for _, p := range tokenPresets {
		if sc, _ := forge.ParseScope(p.Value); slices.Contains(grantable, sc) {
			d.Presets = append(d.Presets, p)
		}
	}
	checked := r.PostForm["scopes"]
	for _, sc := range grantable {
		d.Scopes = append(d.Scopes,
			scopeChoice{Name: sc, Description: scopeDescriptions[sc], Checked: slices.Contains(checked, sc)})
	}
	d.Expiries = []int{7, 30, 90, 365}
	d.Permanent = h.forge.Config().AllowPermanentTokens
	return h.show(w, r, status, "tokens", "settings", "Personal access tokens", d)
}

// createToken makes a token and shows its secret, this once.
func (h *Handler) createToken(w http.ResponseWriter, r *http.Request) error {
	a, err := userForm(r)
	if err != nil {
		return err
	}
	d := &tokensData{Name: r.PostForm.Get("name"), Preset: r.PostForm.Get("preset"),
		Expiry: r.PostForm.Get("expires_in")}
	in := forge.TokenInput{Name: strings.TrimSpace(d.Name), Scopes: r.PostForm["scopes"]}
	if d.Preset != "" {
		in.Scopes = []string{d.Preset}
	}
	switch d.Expiry {
	case "never":
		in.Permanent = true
	case "7", "30", "90", "365":
		days, _ := strconv.Atoi(d.Expiry)
		t := h.forge.Now().Add(time.Duration(days) * 24 * time.Hour)
		in.ExpiresAt = &t
	}
	tok, secret, err := h.forge.Access.CreateToken(r.Context(), a, a.User.ID, in)
	if msg, status, ok := formError(err); ok {
		if e := forge.ErrorOf(err); e.Reason == forge.ReasonMissingParam && slices.Contains(e.Params, "scopes") {
			msg = "Choose a preset or at least one scope."
		}
		d.Error = msg
		return h.renderTokens(w, r, status, d)
	}
	if err != nil {
		return err
	}
	d = &tokensData{Created: &tok, Secret: secret, Expiry: "30"}
	r.PostForm = nil
	return h.renderTokens(w, r, http.StatusCreated, d)
}

// revokeToken revokes one of the user's tokens.
func (h *Handler) revokeToken(id string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		a := api.Actor(r)
		if !a.SignedIn() {
			return forge.Unauthorized("")
		}
		if _, err := strconv.ParseInt(id, 10, 64); err != nil {
			return notFound()
		}
		tok, err := h.forge.Access.GetToken(r.Context(), a, forge.ParseRef(id))
		if err != nil {
			return err
		}
		if tok.UserID != a.User.ID {
			return notFound() // the settings pages manage one's own tokens
		}
		if err := h.forge.Access.RevokeToken(r.Context(), a, forge.ParseRef(id)); err != nil {
			return err
		}
		h.setFlash(w, "The token "+tok.Name+" was revoked.")
		return redirect(w, r, "/-/user_settings/personal_access_tokens")
	}
}

type accountData struct {
	// PrivateToken is the token made by a reset, with its secret shown this once.
	PrivateToken *forge.Token
	Secret       string
	// Current is the user's active private token, if any (without its secret).
	Current *forge.Token
}

// accountPage is GitSwarm's /profile/account: the user's private token, which can be reset.
func (h *Handler) accountPage(w http.ResponseWriter, r *http.Request) error {
	if !api.Actor(r).SignedIn() {
		return forge.Unauthorized("")
	}
	return h.renderAccount(w, r, http.StatusOK, &accountData{})
}

func (h *Handler) renderAccount(w http.ResponseWriter, r *http.Request, status int, d *accountData) error {
	var err error
	if d.Current, err = h.forge.Access.PrivateToken(r.Context(), api.Actor(r)); err != nil {
		return err
	}
	return h.show(w, r, status, "account", "settings", "Account", d)
}

func (h *Handler) resetPrivateToken(w http.ResponseWriter, r *http.Request) error {
	a := api.Actor(r)
	if !a.SignedIn() {
		return forge.Unauthorized("")
	}
	tok, secret, err := h.forge.Access.ResetPrivateToken(r.Context(), a)
	if err != nil {
		return err
	}
	return h.renderAccount(w, r, http.StatusOK, &accountData{PrivateToken: &tok, Secret: secret})
}

// redirectProfile sends GitLab's older settings paths to their pages.
func (h *Handler) redirectProfile(w http.ResponseWriter, r *http.Request) error {
	to := map[string]string{
		"/profile":                        "/-/user_settings/profile",
		"/profile/personal_access_tokens": "/-/user_settings/personal_access_tokens",
		"/profile/password/edit":          "/-/user_settings/password/edit",
	}[r.URL.Path]
	http.Redirect(w, r, to, http.StatusMovedPermanently)
	return nil
}

type profileData struct {
	Name, Email, Bio string
	Error            string
	Saved            bool
}

func (h *Handler) profilePage(w http.ResponseWriter, r *http.Request) error {
	a := api.Actor(r)
	if !a.SignedIn() {
		return forge.Unauthorized("")
	}
	u, err := h.forge.Accounts.CurrentUser(r.Context(), a)
	if err != nil {
		return err
	}
	return h.renderProfile(w, r, http.StatusOK, &profileData{Name: u.Name, Email: u.Email, Bio: u.Bio})
}

func (h *Handler) renderProfile(w http.ResponseWriter, r *http.Request, status int, d *profileData) error {
	return h.show(w, r, status, "profile", "settings", "Profile", d)
}

func (h *Handler) updateProfile(w http.ResponseWriter, r *http.Request) error {
	a, err := userForm(r)
	if err != nil {
		return err
	}
	d := &profileData{Name: r.PostForm.Get("name"), Email: r.PostForm.Get("email"), Bio: r.PostForm.Get("bio")}
	_, err = h.forge.Accounts.UpdateUser(r.Context(), a, a.User.ID, forge.UserInput{Name: formField(r, "name"),
		Email: formField(r, "email"), Bio: formField(r, "bio")})
	if msg, status, ok := formError(err); ok {
		d.Error = msg
		return h.renderProfile(w, r, status, d)
	}
	if err != nil {
		return err
	}
	h.setFlash(w, "Your profile was saved.")
	return redirect(w, r, "/-/user_settings/profile")
}

type passwordData struct{ Error string }

func (h *Handler) passwordPage(w http.ResponseWriter, r *http.Request) error {
	if !api.Actor(r).SignedIn() {
		return forge.Unauthorized("")
	}
	return h.renderPassword(w, r, http.StatusOK, &passwordData{})
}

func (h *Handler) renderPassword(w http.ResponseWriter, r *http.Request, status int, d *passwordData) error {
	return h.show(w, r, status, "password", "settings", "Password", d)
}

// updatePassword changes the user's password, given the current one; guessing the current
// one through this form is limited as sign-in attempts are.
func (h *Handler) updatePassword(w http.ResponseWriter, r *http.Request) error {
	a, err := userForm(r)
	if err != nil {
		return err
	}
	current, next := r.PostForm.Get("current_password"), r.PostForm.Get("password")
	if next != r.PostForm.Get("password_confirmation") {
		return h.renderPassword(w, r, http.StatusBadRequest,
			&passwordData{Error: "The new password and its confirmation differ."})
	}
	err = h.core.GuardAuthentication(r.Context(), w, a.IP, false, func(bool) error {
		return h.forge.Accounts.ChangePassword(r.Context(), a, current, next, a.IP)
	})
	if forge.ErrorCode(err) == forge.EUnauthorized {
		return h.renderPassword(w, r, http.StatusBadRequest, &passwordData{Error: "The current password is not right."})
	}
	if msg, status, ok := formError(err); ok {
		return h.renderPassword(w, r, status, &passwordData{Error: msg})
	}
	if err != nil {
		return err
	}
	h.setFlash(w, "Your password was changed.")
	return redirect(w, r, "/-/user_settings/password/edit")
}

package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

type signInData struct {
	Login    string
	Error    string
	Redirect string
	// FirstStart: root has never signed in; the page says how.
	FirstStart bool
	// FormToken is the token the form echoes, from its hidden field and the CSRF cookie.
	FormToken string
}

func (h *Handler) signInPage(w http.ResponseWriter, r *http.Request) error {
	target := localRedirect(r.URL.Query().Get("redirect"))
	if api.Actor(r).SignedIn() {
		return redirect(w, r, target)
	}
	return h.renderSignIn(w, r, http.StatusOK, signInData{Redirect: target})
}

// renderSignIn shows the sign-in form with a token in its hidden field and in the CSRF
// cookie (a new one unless the browser holds one), which the POST must echo both.
func (h *Handler) renderSignIn(w http.ResponseWriter, r *http.Request, status int, d signInData) error {
	first, err := h.forge.Accounts.AwaitingFirstSignIn(r.Context())
	if err != nil {
		return err
	}
	d.FirstStart = first
	if c, err := r.Cookie(api.CSRFCookie); err == nil && len(c.Value) >= 32 && len(c.Value) <= 128 {
		d.FormToken = c.Value
	} else {
		d.FormToken = h.forge.Access.NewFormToken()
		http.SetCookie(w, &http.Cookie{Name: api.CSRFCookie, Value: d.FormToken, Path: "/",
			Secure: h.secure, SameSite: http.SameSiteStrictMode})
	}
	return h.render(w, r, status, "sign_in", h.newPage(r, "Sign in", d))
}

// signIn checks the form's login and password, opens a session and goes back to the page
// that asked for it, which must be a page of this site.
func (h *Handler) signIn(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return h.renderSignIn(w, r, http.StatusBadRequest, signInData{Error: "The form could not be read."})
	}
	login, password := r.PostForm.Get("user[login]"), r.PostForm.Get("user[password]")
	if login == "" {
		login, password = r.PostForm.Get("login"), r.PostForm.Get("password")
	}
	target := localRedirect(r.Form.Get("redirect"))
	// Login CSRF: the form's token must be the one in the browser's cookie, which another
	// site can neither read nor set.
	formCookie := ""
	if c, err := r.Cookie(api.CSRFCookie); err == nil {
		formCookie = c.Value
	}
	if !forge.FormTokenMatches(r.PostForm.Get(csrfField), formCookie) {
		return h.renderSignIn(w, r, http.StatusForbidden, signInData{Login: login, Redirect: target,
			Error: "The sign-in form expired or did not come from this site. Please sign in again."})
	}
	// Whatever session the browser held before (perhaps one planted by someone else) ends
	// with the sign-in: the new one has a new secret.
	previous := ""
	if c, err := r.Cookie(api.SessionCookie); err == nil {
		previous = c.Value
	}
	var sess forge.Session
	ip := api.Actor(r).IP
	err := h.core.GuardAuthentication(r.Context(), w, ip, false, func(bool) (err error) {
		_, sess, err = h.forge.Access.SignIn(r.Context(), login, password, ip, previous)
		return err
	})
	if forge.ErrorCode(err) == forge.EUnauthorized {
		return h.renderSignIn(w, r, http.StatusUnauthorized,
			signInData{Login: login, Error: "Invalid login or password.", Redirect: target})
	}
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{
		Name:     api.SessionCookie,
		Value:    sess.Secret,
		Path:     "/",
		Expires:  sess.ExpiresAt,
		HttpOnly: true,
		Secure:   h.secure,
		SameSite: http.SameSiteLaxMode,
	})
	// Scripts that call the API with the session read the CSRF token from here and send it
	// back in X-CSRF-Token; the pages' forms carry it in a hidden field.
	http.SetCookie(w, &http.Cookie{
		Name:     api.CSRFCookie,
		Value:    sess.CSRF,
		Path:     "/",
		Expires:  sess.ExpiresAt,
		Secure:   h.secure,
		SameSite: http.SameSiteStrictMode,
	})
	w.Header().Set(api.CSRFHeader, sess.CSRF)
	return redirect(w, r, target)
}

// signOut ends the browser's session; the form (or X-CSRF-Token) carries the session's CSRF
// token, so that another site cannot sign the browser out.
func (h *Handler) signOut(w http.ResponseWriter, r *http.Request) error {
	if c, err := r.Cookie(api.SessionCookie); err == nil {
		token := r.PostFormValue(csrfField)
		if token == "" {
			token = r.Header.Get(api.CSRFHeader)
		}
		if err := h.forge.Access.SignOut(r.Context(), c.Value, token); err != nil {
			return err
		}
	}
	for _, name := range []string{api.SessionCookie, api.CSRFCookie} {
		http.SetCookie(w, &http.Cookie{
			Name:     name,
			Value:    "",
			Path:     "/",
			MaxAge:   -1,
			HttpOnly: name == api.SessionCookie,
			Secure:   h.secure,
			SameSite: http.SameSiteLaxMode,
		})
	}
	return redirect(w, r, "/users/sign_in")
}

// localRedirect returns target if it is a path of this site, else "/": a link that signs
// someone in must not send them to another site (an open redirect).
func localRedirect(target string) string {
	if target == "" || target[0] != '/' || strings.HasPrefix(target, "//") ||
		strings.ContainsAny(target, "\\\r\n\t\x00") || strings.HasPrefix(target, "/users/sign_") {
		return "/"
	}
	u, err := url.Parse(target)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return "/"
	}
	return target
}

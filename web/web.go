// Package web serves cairn's HTML pages over the forge. For now: signing in and out, which
// gives browsers (and the API, through the session cookie) a session.
package web

import (
	"embed"
	"html/template"
	"net/http"
	"strings"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

//go:embed templates/*.html
var templates embed.FS

// Handler serves the pages.
type Handler struct {
	core   *api.Core
	forge  *forge.Service
	pages  *template.Template
	secure bool
}

// New returns the pages' handler; cookies are marked Secure when the external URL is https.
func New(core *api.Core) http.Handler {
	h := &Handler{core: core, forge: core.Forge, secure: strings.HasPrefix(core.BaseURL, "https://"),
		pages: template.Must(template.ParseFS(templates, "templates/*.html"))}
	rt := core.NewRouter()
	rt.Handle("GET", "/users/sign_in", h.signInPage)
	rt.Handle("POST", "/users/sign_in", h.signIn)
	rt.Handle("POST", "/users/sign_out", h.signOut)
	return core.Wrap(h, rt, api.Options{Bucket: api.BucketWeb})
}

// IsWebPath reports whether a path is one of the pages.
func IsWebPath(p string) bool { return strings.HasPrefix(p, "/users/sign_") }

type signInData struct {
	User  string
	Error string
	// CSRF is the token the page's form echoes in authenticity_token.
	CSRF string
}

// formTokenField is the hidden field of the token a form echoes, as in GitLab's forms.
const formTokenField = "authenticity_token"

func (h *Handler) render(w http.ResponseWriter, status int, data signInData) error {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	return h.pages.ExecuteTemplate(w, "sign_in.html", data)
}

// renderSignIn shows the sign-in form with a token in its hidden field and in the CSRF
// cookie (a new one unless the browser holds one), which the POST must echo both.
func (h *Handler) renderSignIn(w http.ResponseWriter, r *http.Request, status int, message string) error {
	token := ""
	if c, err := r.Cookie(api.CSRFCookie); err == nil && len(c.Value) >= 32 && len(c.Value) <= 128 {
		token = c.Value
	} else {
		token = h.forge.NewFormToken()
		http.SetCookie(w, &http.Cookie{Name: api.CSRFCookie, Value: token, Path: "/",
			Secure: h.secure, SameSite: http.SameSiteStrictMode})
	}
	return h.render(w, status, signInData{Error: message, CSRF: token})
}

func (h *Handler) signInPage(w http.ResponseWriter, r *http.Request, _ api.Params) error {
	a := api.Actor(r)
	if a.SignedIn() && a.CSRFToken() != "" {
		return h.render(w, http.StatusOK, signInData{User: a.User.Username, CSRF: a.CSRFToken()})
	}
	return h.renderSignIn(w, r, http.StatusOK, "")
}

func (h *Handler) signIn(w http.ResponseWriter, r *http.Request, _ api.Params) error {
	if err := r.ParseForm(); err != nil {
		return h.renderSignIn(w, r, http.StatusBadRequest, "The form could not be read.")
	}
	// Login CSRF: the form's token must be the one in the browser's cookie, which another
	// site can neither read nor set.
	cookie := ""
	if c, err := r.Cookie(api.CSRFCookie); err == nil {
		cookie = c.Value
	}
	if !forge.FormTokenMatches(r.PostForm.Get(formTokenField), cookie) {
		return h.renderSignIn(w, r, http.StatusForbidden,
			"The sign-in form expired or did not come from this site. Please sign in again.")
	}
	login, password := r.PostForm.Get("user[login]"), r.PostForm.Get("user[password]")
	if login == "" {
		login, password = r.PostForm.Get("login"), r.PostForm.Get("password")
	}
	previous := ""
	if c, err := r.Cookie(api.SessionCookie); err == nil {
		previous = c.Value
	}
	var u forge.User
	var sess forge.Session
	ip := api.Actor(r).IP
	err := h.core.GuardAuthentication(r.Context(), w, ip, false, func(bool) (err error) {
		u, sess, err = h.forge.SignIn(r.Context(), login, password, ip, previous)
		return err
	})
	if forge.ErrorCode(err) == forge.EUnauthorized {
		return h.renderSignIn(w, r, http.StatusUnauthorized, "Invalid login or password.")
	}
	if err != nil {
		return err
	}
	// A new session, whatever cookie came in (session fixation); its CSRF token replaces the
	// form's. The page's scripts read it from the cookie and send it back in X-CSRF-Token.
	http.SetCookie(w, &http.Cookie{Name: api.SessionCookie, Value: sess.Secret, Path: "/", Expires: sess.ExpiresAt,
		HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode})
	http.SetCookie(w, &http.Cookie{Name: api.CSRFCookie, Value: sess.CSRF, Path: "/", Expires: sess.ExpiresAt,
		Secure: h.secure, SameSite: http.SameSiteStrictMode})
	w.Header().Set(api.CSRFHeader, sess.CSRF)
	return h.render(w, http.StatusOK, signInData{User: u.Username, CSRF: sess.CSRF})
}

// signOut ends the browser's session; the form (or X-CSRF-Token) must carry the session's
// CSRF token, so that another site cannot sign the browser out.
func (h *Handler) signOut(w http.ResponseWriter, r *http.Request, _ api.Params) error {
	if c, err := r.Cookie(api.SessionCookie); err == nil {
		if err := r.ParseForm(); err != nil {
			return forge.Invalidf("The form could not be read.")
		}
		token := r.PostForm.Get(formTokenField)
		if token == "" {
			token = r.Header.Get(api.CSRFHeader)
		}
		if err := h.forge.SignOut(r.Context(), c.Value, token); err != nil {
			return err
		}
	}
	for _, name := range []string{api.SessionCookie, api.CSRFCookie} {
		http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1})
	}
	http.Redirect(w, r, "/users/sign_in", http.StatusSeeOther)
	return nil
}

// WriteError answers errors of the pages as plain text.
func (h *Handler) WriteError(w http.ResponseWriter, r *http.Request, e *forge.Error) {
	status := map[forge.Code]int{forge.ENotFound: 404, forge.EInvalid: 400, forge.EUnauthorized: 401,
		forge.EForbidden: 403, forge.ENotAllowed: 405, forge.ERateLimited: 429, forge.ETooLarge: 413}[e.Code]
	if status == 0 {
		status = http.StatusInternalServerError
	}
	text := e.Message
	if status == http.StatusInternalServerError || text == "" {
		text = http.StatusText(status)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(text + "\n"))
}

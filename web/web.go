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
}

func (h *Handler) render(w http.ResponseWriter, status int, data signInData) error {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	return h.pages.ExecuteTemplate(w, "sign_in.html", data)
}

func (h *Handler) signInPage(w http.ResponseWriter, r *http.Request, _ api.Params) error {
	a := api.Actor(r)
	if a.SignedIn() {
		return h.render(w, http.StatusOK, signInData{User: a.User.Username})
	}
	return h.render(w, http.StatusOK, signInData{})
}

func (h *Handler) signIn(w http.ResponseWriter, r *http.Request, _ api.Params) error {
	if err := r.ParseForm(); err != nil {
		return h.render(w, http.StatusBadRequest, signInData{Error: "The form could not be read."})
	}
	login, password := r.PostForm.Get("user[login]"), r.PostForm.Get("user[password]")
	if login == "" {
		login, password = r.PostForm.Get("login"), r.PostForm.Get("password")
	}
	var u forge.User
	var sess forge.Session
	err := h.core.GuardAuthentication(r.Context(), w, api.Actor(r).IP, false, func(bool) (err error) {
		u, sess, err = h.forge.SignIn(r.Context(), login, password, api.Actor(r).IP)
		return err
	})
	if forge.ErrorCode(err) == forge.EUnauthorized {
		return h.render(w, http.StatusUnauthorized, signInData{Error: "Invalid login or password."})
	}
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: api.SessionCookie, Value: sess.Secret, Path: "/", Expires: sess.ExpiresAt,
		HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode})
	// The page's scripts read the CSRF token from here and send it back in X-CSRF-Token.
	http.SetCookie(w, &http.Cookie{Name: api.CSRFCookie, Value: sess.CSRF, Path: "/", Expires: sess.ExpiresAt,
		Secure: h.secure, SameSite: http.SameSiteStrictMode})
	w.Header().Set(api.CSRFHeader, sess.CSRF)
	return h.render(w, http.StatusOK, signInData{User: u.Username})
}

func (h *Handler) signOut(w http.ResponseWriter, r *http.Request, _ api.Params) error {
	if c, err := r.Cookie(api.SessionCookie); err == nil {
		if err := h.forge.SignOut(r.Context(), c.Value); err != nil {
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

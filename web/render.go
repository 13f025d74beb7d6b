package web

import (
	"bytes"
	"compress/gzip"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

//go:embed templates/*.html
var templateFiles embed.FS

// contentSecurityPolicy lets the pages load only their own scripts, styles and fonts, and
// images from anywhere over https (READMEs show badges): no inline script or style, no
// frames, no plugins, forms posted only here.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; " +
	"font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// setPageHeaders sets the headers every page carries, errors included.
func setPageHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
	h.Set("Cache-Control", "no-store")
}

// templateSet parses each page's template (the layout and the page) when it is first shown.
type templateSet struct {
	mu    sync.Mutex
	base  *template.Template
	pages map[string]*template.Template
}

// page returns the template of page name, parsed on first use.
func (h *Handler) page(name string) (*template.Template, error) {
	ts := &h.templates
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if t := ts.pages[name]; t != nil {
		return t, nil
	}
	if ts.base == nil {
		base, err := template.New("").Funcs(h.funcs()).ParseFS(templateFiles, "templates/layout.html")
		if err != nil {
			return nil, err
		}
		ts.base, ts.pages = base, map[string]*template.Template{}
	}
	t, err := template.Must(ts.base.Clone()).ParseFS(templateFiles, "templates/"+name+".html")
	if err != nil {
		return nil, err
	}
	ts.pages[name] = t
	return t, nil
}

// Page is what every page's template receives: the signed-in user, the CSRF token its forms
// send, where it is, and its own data.
type Page struct {
	Title     string
	Instance  string
	User      *forge.User
	CSRF      string
	RequestID string
	// Nav names the header's current section: "projects", "groups", "explore".
	Nav string
	// Project, inside a project, gives the header its breadcrumbs and tabs.
	Project *projectNav
	// Crumbs lead to the page outside projects (groups).
	Crumbs []crumb
	Flash  string
	// Broadcasts are the administrators' messages shown on this page.
	Broadcasts []broadcast
	// Here is the page's own address, where dismissing a message returns to.
	Here string
	// Data is the page's own content.
	Data any
}

// broadcast is a broadcast message as a page shows it: its text rendered, its theme a class,
// and whether it has a button that hides it.
type broadcast struct {
	ID          int64
	HTML        template.HTML
	Type, Theme string
	Dismissable bool
}

// broadcasts returns the broadcast messages page p at path shows to its viewer: those aimed
// at a project access level show on that project's pages to members of that level, and
// those the viewer dismissed are left out. Forge keeps the messages and the pages their
// rendered text, so that a page neither queries nor renders them.
func (h *Handler) broadcasts(r *http.Request, p *Page) []broadcast {
	access := 0
	if p.Project != nil {
		access = p.Project.View.Access
	}
	list, err := h.forge.Instance.BroadcastsFor(r.Context(), r.URL.Path, access)
	if err != nil {
		h.core.Log.Error("read broadcast messages", "err", err, "request_id", p.RequestID)
		return nil
	}
	var out []broadcast
	for _, b := range list {
		if b.Dismissable {
			if _, err := r.Cookie(dismissedCookie(b.ID)); err == nil {
				continue
			}
		}
		html, ok := h.broadcastHTML.get(b.Message)
		if !ok {
			html = h.markdown.Render(b.Message, nil)
			h.broadcastHTML.put(b.Message, html)
		}
		out = append(out,
			broadcast{ID: b.ID, HTML: html, Type: b.BroadcastType, Theme: b.Theme, Dismissable: b.Dismissable})
	}
	return out
}

// dismissedCookie names the cookie that hides broadcast message id, GitLab's name.
func dismissedCookie(id int64) string { return "hide_broadcast_message_" + strconv.FormatInt(id, 10) }

// dismissBroadcast hides a dismissable broadcast message from this browser until it ends,
// and returns to the page it was dismissed on.
func (h *Handler) dismissBroadcast(w http.ResponseWriter, r *http.Request) error {
	if err := readForm(r); err != nil {
		return err
	}
	id, err := strconv.ParseInt(r.PostForm.Get("broadcast_message_id"), 10, 64)
	if err != nil || id <= 0 {
		return forge.Invalidf("broadcast_message_id is invalid")
	}
	b, err := h.forge.Instance.GetBroadcastMessage(r.Context(), id)
	if err != nil {
		return err
	}
	if !b.Dismissable {
		return forge.Invalidf("this broadcast message cannot be dismissed")
	}
	http.SetCookie(w, &http.Cookie{
		Name:     dismissedCookie(b.ID),
		Value:    "true",
		Path:     "/",
		Expires:  b.EndsAt,
		HttpOnly: true,
		Secure:   h.secure,
		SameSite: http.SameSiteLaxMode,
	})
	return redirect(w, r, localRedirect(r.PostForm.Get("redirect")))
}

// hereOf is the address a page's forms return to: the page itself, or for the answer to a
// form, the page the form was on.
func hereOf(r *http.Request) string {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return r.URL.RequestURI()
	}
	if u, err := url.Parse(r.Referer()); err == nil && u.Host == r.Host {
		return localRedirect(u.RequestURI())
	}
	return "/"
}

type crumb struct{ Name, URL string }

// newPage starts the page data of a request.
func (h *Handler) newPage(r *http.Request, title string, data any) *Page {
	a := api.Actor(r)
	return &Page{
		Title:     title,
		Instance:  h.instance,
		User:      a.User,
		CSRF:      a.CSRFToken(),
		RequestID: api.RequestID(r),
		Flash:     flashOf(r),
		Here:      hereOf(r),
		Data:      data,
	}
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

var gzipPool = sync.Pool{New: func() any { w, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed); return w }}

// render writes page name with status: rendered whole first, so that a template error is an
// error page and not half a page, then compressed when the client accepts gzip.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, p *Page) error {
	t, err := h.page(name)
	if err != nil {
		return fmt.Errorf("parse template %s: %w", name, err)
	}
	p.Broadcasts = h.broadcasts(r, p)
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufPool.Put(buf)
	if err := t.ExecuteTemplate(buf, "layout", p); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	clearFlash(w, r, p)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	writeCompressed(w, r, status, buf.Bytes())
	return nil
}

// writeCompressed writes body with status, gzip-compressed when the client accepts it and
// the body is worth it.
func writeCompressed(w http.ResponseWriter, r *http.Request, status int, body []byte) {
	hdr := w.Header()
	hdr.Add("Vary", "Accept-Encoding")
	if len(body) < 1024 || !acceptsGzip(r) {
		hdr.Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(status)
		if r.Method != http.MethodHead {
			_, _ = w.Write(body)
		}
		return
	}
	hdr.Set("Content-Encoding", "gzip")
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return
	}
	zw := gzipPool.Get().(*gzip.Writer)
	zw.Reset(w)
	_, _ = zw.Write(body)
	_ = zw.Close()
	gzipPool.Put(zw)
}

// acceptsGzip reports whether the request's Accept-Encoding allows gzip.
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.TrimSpace(name) != "gzip" {
			continue
		}
		q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}

// flashCookie carries a one-line notice from a form's answer to the page it redirects to.
const flashCookie = "_cairn_flash"

// setFlash makes the next page show notice.
func (h *Handler) setFlash(w http.ResponseWriter, notice string) {
	http.SetCookie(w, &http.Cookie{
		Name:     flashCookie,
		Value:    url.QueryEscape(notice),
		Path:     "/",
		MaxAge:   60,
		HttpOnly: true,
		Secure:   h.secure,
		SameSite: http.SameSiteLaxMode,
	})
}

func flashOf(r *http.Request) string {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	v, err := url.QueryUnescape(c.Value)
	if err != nil || len(v) > 300 {
		return ""
	}
	return v
}

// clearFlash drops the notice a page has shown.
func clearFlash(w http.ResponseWriter, r *http.Request, p *Page) {
	if p.Flash == "" {
		return
	}
	if _, err := r.Cookie(flashCookie); err == nil {
		http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", Path: "/", MaxAge: -1})
	}
}

// show renders page name with the page data of a request: its title, the header's section
// (nav) and its own data.
func (h *Handler) show(w http.ResponseWriter, r *http.Request, status int, name, nav, title string, data any) error {
	p := h.newPage(r, title, data)
	p.Nav = nav
	return h.render(w, r, status, name, p)
}

// readForm parses a form; one that cannot be read is invalid.
func readForm(r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return forge.Invalidf("the form could not be read")
	}
	return nil
}

// userForm is readForm for the forms of a signed-in user, whom it returns.
func userForm(r *http.Request) (*forge.Actor, error) {
	a := api.Actor(r)
	if !a.SignedIn() {
		return nil, forge.Unauthorized("")
	}
	return a, readForm(r)
}

// redirect answers a form with a redirect to a page (303: the browser GETs it).
func redirect(w http.ResponseWriter, r *http.Request, to string) error {
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

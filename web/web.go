// Package web serves cairn's HTML pages: server-rendered templates over the same forge calls
// the API makes, with embedded, content-hashed assets. Every page works without JavaScript;
// the little script there is adds copy buttons and line-range selection.
package web

import (
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
	"github.com/cairn-forge/cairn/markup"
)

// Handler serves the pages.
type Handler struct {
	core   *api.Core
	forge  *forge.Service
	secure bool
	// instance is the name shown in the header.
	instance string

	assets    assetSet
	templates templateSet
	markdown  markup.Renderer
	highlight *markup.Highlighter
	blobs     *lru[[]template.HTML]
	languages *lru[[]forge.LanguageShare]
	// conflicts are the conflicting files of merge requests, by their target and source tips.
	conflicts *lru[conflictList]
	// broadcastHTML are broadcast messages rendered, by their text.
	broadcastHTML *lru[template.HTML]
}

// csrfField is the form field that carries a session's CSRF token, under GitLab's name.
const csrfField = "authenticity_token"

// New returns the pages' handler; cookies are marked Secure when the external URL is https.
// Nothing is parsed until the first page is asked for.
func New(core *api.Core) http.Handler {
	hl := &markup.Highlighter{}
	h := &Handler{
		core:      core,
		forge:     core.Forge,
		secure:    strings.HasPrefix(core.BaseURL, "https://"),
		instance:  "cairn",
		highlight: hl,
		blobs: newLRU(32<<20, func(lines []template.HTML) int {
			n := 0
			for _, l := range lines {
				n += len(l) + 16
			}
			return n
		}),
		languages:     newLRU(1<<20, func(l []forge.LanguageShare) int { return 64 * (len(l) + 1) }),
		broadcastHTML: newLRU(256<<10, func(s template.HTML) int { return len(s) + 16 }),
		conflicts: newLRU(4<<20, func(c conflictList) int {
			n := 64
			for _, f := range c.Files {
				n += len(f.Path) + len(f.Kind) + 48
			}
			return n
		}),
	}
	h.markdown.Highlighter = hl
	pages := core.Wrap(h, http.HandlerFunc(h.route), api.Options{Bucket: api.BucketWeb, CSRFField: csrfField})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, assetPrefix) {
			// Assets need no session, no rate limit and no request id: they are the same for all.
			h.serveAsset(w, r)
			return
		}
		pages.ServeHTTP(w, r)
	})
}

// handlerFunc handles one page; a returned error is shown as an error page.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// route dispatches a request by its path. Paths follow GitLab's, so that links people paste
// keep working: "/group/sub/project/-/tree/main/src" names a project, then what of it to show.
func (h *Handler) route(w http.ResponseWriter, r *http.Request) {
	setPageHeaders(w)
	if err := h.checkForm(r); err != nil {
		h.core.Error(w, r, err)
		return
	}
	fn := h.lookup(w, r)
	if fn == nil {
		h.core.Error(w, r, notFound())
		return
	}
	if err := fn(w, r); err != nil {
		h.core.Error(w, r, err)
	}
}

// checkForm refuses a write made with a session cookie but without the session's CSRF
// token: the core has then left the request anonymous, and a page must not act for nobody
// on a form that came from elsewhere. Signing in is the exception: it makes a new session.
func (h *Handler) checkForm(r *http.Request) error {
	if r.Method == http.MethodGet || r.Method == http.MethodHead || r.URL.Path == "/users/sign_in" {
		return nil
	}
	if api.Actor(r).SignedIn() {
		return nil
	}
	if c, err := r.Cookie(api.SessionCookie); err == nil && c.Value != "" {
		return &forge.Error{Code: forge.EForbidden, Reason: forge.ReasonCSRF}
	}
	return nil
}

// lookup finds the handler of a request, nil when there is none.
func (h *Handler) lookup(w http.ResponseWriter, r *http.Request) handlerFunc {
	p := r.URL.Path // escaped: "%2F" inside a segment stays one segment
	get, post := r.Method == http.MethodGet || r.Method == http.MethodHead, r.Method == http.MethodPost
	method := func(g, p handlerFunc) handlerFunc {
		switch {
		case get && g != nil:
			return g
		case post && p != nil:
			return p
		}
		allow := []string{}
		if g != nil {
			allow = append(allow, "GET", "HEAD")
		}
		if p != nil {
			allow = append(allow, "POST")
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		return func(http.ResponseWriter, *http.Request) error {
			return &forge.Error{Code: forge.ENotAllowed, Message: "Method Not Allowed"}
		}
	}
	if before, after, ok := strings.Cut(p, "/-/"); ok {
		if before == "" {
			return h.lookupInstance(method, after)
		}
		if group, ok := strings.CutPrefix(before, "/groups/"); ok {
			return h.lookupGroup(method, unescape(strings.Trim(group, "/")), after)
		}
		return h.lookupProject(method, unescape(strings.Trim(before, "/")), after)
	}
	switch p {
	case "/":
		return method(h.home, nil)
	case "/users/sign_in":
		return method(h.signInPage, h.signIn)
	case "/users/sign_out":
		return method(nil, h.signOut)
	case "/dashboard", "/dashboard/projects":
		return method(h.dashboard, nil)
	case "/dashboard/groups":
		return method(h.dashboardGroups, nil)
	case "/dashboard/issues":
		return method(h.dashboardIssues, nil)
	case "/dashboard/merge_requests":
		return method(h.dashboardMergeRequests, nil)
	case "/explore", "/explore/projects":
		return method(h.explore, nil)
	case "/explore/groups":
		return method(h.exploreGroups, nil)
	case "/projects/new":
		return method(h.newProjectPage, nil)
	case "/projects":
		return method(nil, h.createProject)
	case "/groups/new":
		return method(h.newGroupPage, nil)
	case "/groups":
		return method(nil, h.createGroup)
	case "/profile/account":
		return method(h.accountPage, nil)
	case "/profile/account/reset_private_token":
		return method(nil, h.resetPrivateToken)
	case "/profile", "/profile/personal_access_tokens", "/profile/password/edit":
		return method(h.redirectProfile, nil)
	}
	if rest, ok := strings.CutPrefix(p, "/groups/"); ok {
		return method(h.namespacePage(unescape(strings.Trim(rest, "/"))), nil)
	}
	if strings.HasSuffix(p, ".git") {
		return nil // a repository that githttp did not serve does not exist
	}
	if project, ok := strings.CutSuffix(strings.TrimSuffix(p, "/"), "/edit"); ok {
		return method(h.editOrNamespace(unescape(strings.Trim(project, "/")), unescape(strings.Trim(p, "/"))), nil)
	}
	return method(h.namespacePage(unescape(strings.Trim(p, "/"))), nil)
}

// lookupInstance routes the pages under "/-/" that belong to no project.
func (h *Handler) lookupInstance(method func(g, p handlerFunc) handlerFunc, rest string) handlerFunc {
	switch strings.TrimSuffix(rest, "/") {
	case "user_settings/personal_access_tokens":
		return method(h.tokensPage, h.createToken)
	case "user_settings/profile":
		return method(h.profilePage, h.updateProfile)
	case "user_settings/password/edit":
		return method(h.passwordPage, nil)
	case "user_settings/password":
		return method(h.passwordPage, h.updatePassword)
	case "users/broadcast_message_dismissals":
		return method(nil, h.dismissBroadcast)
	}
	if id, ok := strings.CutPrefix(rest, "user_settings/personal_access_tokens/"); ok {
		if id, ok := strings.CutSuffix(id, "/revoke"); ok {
			return method(nil, h.revokeToken(id))
		}
	}
	return nil
}

// unescape decodes an escaped path; an undecodable one is kept as it is (and names nothing).
func unescape(p string) string {
	if v, err := url.PathUnescape(p); err == nil {
		return v
	}
	return p
}

// notFound is the error of a page that does not exist.
func notFound() error { return &forge.Error{Code: forge.ENotFound, Message: "Page Not Found"} }

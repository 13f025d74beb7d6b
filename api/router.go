package api

import (
	"net/http"
	"net/url"

	"github.com/cairn-forge/cairn/forge"
	"github.com/julienschmidt/httprouter"
)

// HandlerFunc handles one route; a returned error is rendered in the dialect's shape.
type HandlerFunc func(w http.ResponseWriter, r *http.Request, p Params) error

// Params are a route's path parameters, unescaped on access.
type Params struct{ ps httprouter.Params }

// Get returns the unescaped value of parameter name ("" when absent).
func (p Params) Get(name string) string {
	raw := p.ps.ByName(name)
	if v, err := url.PathUnescape(raw); err == nil {
		return v
	}
	return raw
}

// Router routes a dialect's requests. It matches on the escaped path (the core puts it in
// URL.Path), so that "group%2Fproject" stays one segment; GET routes answer HEAD too.
type Router struct {
	hr   *httprouter.Router
	core *Core
	// Around, when set, wraps each handler as it is registered: a dialect's version may
	// answer some routes differently (GitLab's v3 DELETE) without writing them twice.
	Around func(method, path string, h HandlerFunc) HandlerFunc
}

// NewRouter returns a router whose unknown routes and wrong methods are answered as errors
// of the request's dialect (404, and 405 with Allow).
func (c *Core) NewRouter() *Router {
	hr := httprouter.New()
	hr.RedirectTrailingSlash = false
	hr.RedirectFixedPath = false
	hr.HandleMethodNotAllowed = true
	hr.HandleOPTIONS = true
	hr.NotFound = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.Error(w, r, &forge.Error{Code: forge.ENotFound, Reason: forge.ReasonNoRoute, Message: "Not Found"})
	})
	hr.MethodNotAllowed = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.Error(w, r, &forge.Error{Code: forge.ENotAllowed, Reason: forge.ReasonNoRoute, Message: "Method Not Allowed"})
	})
	return &Router{hr: hr, core: c}
}

// Handle registers h for method and path.
func (rt *Router) Handle(method, path string, h HandlerFunc) {
	if rt.Around != nil {
		h = rt.Around(method, path, h)
	}
	fn := func(w http.ResponseWriter, r *http.Request, ps httprouter.Params) {
		if err := h(w, r, Params{ps}); err != nil {
			rt.core.Error(w, r, err)
		}
	}
	rt.hr.Handle(method, path, fn)
	if method == http.MethodGet {
		rt.hr.Handle(http.MethodHead, path, fn)
	}
}

// ServeHTTP dispatches the request.
func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) { rt.hr.ServeHTTP(w, r) }

// Route returns the handler of method at path (escaped, as the router matches it), with its
// errors rendered; ok is false when no route matches.
func (rt *Router) Route(method, path string) (h http.HandlerFunc, ok bool) {
	handle, ps, _ := rt.hr.Lookup(method, path)
	if handle == nil {
		return nil, false
	}
	return func(w http.ResponseWriter, r *http.Request) { handle(w, r, ps) }, true
}

// Raw returns the value of parameter name as it is in the path, escaped.
func (p Params) Raw(name string) string { return p.ps.ByName(name) }

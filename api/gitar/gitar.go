// Package gitar is cairn's Gitar dialect, the external API of Gitar's automated agents,
// mounted at /v1/external: the agents that may be run on repositories (cairn's built-in ones
// and the commands an administrator registers), and their runs. A repository is named as
// its users write it: owner/repo, group/subgroup/project, a URL of this instance, or a bare
// name when one visible project has it. Every endpoint takes a Bearer token
// (Authorization: Bearer T) and nothing else; starting or canceling a run needs the
// tracks_write scope (api and admin include it), reading needs any scope that reads.
// Answers use the document's status codes only: 200, 201, 400, 401, 403, 404 and 500, and
// 429 for the rate limit every dialect shares. Errors are one JSON shape:
//
//	{"error": {"status": 404, "code": "not_found", "message": "...", "request_id": "...",
//	           "details": {...}}}
//
// The routes are one table (routes.go) that both the router and the OpenAPI 3.1 description
// at /v1/external/openapi.json are made from.
package gitar

import (
	"net/http"
	"strings"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

// Prefix is where the dialect is mounted.
const Prefix = "/v1/external"

// Handler serves the Gitar API.
type Handler struct {
	core   *api.Core
	forge  *forge.Service
	routes []route
	spec   []byte
}

// New returns the Gitar API, mounted at /v1/external.
func New(core *api.Core, version string) http.Handler {
	h := &Handler{core: core, forge: core.Forge}
	h.routes = h.table()
	h.spec = h.openAPI(version)
	rt := core.NewRouter()
	for _, r := range h.routes {
		rt.Handle(r.method, r.path, h.guard(r))
	}
	return core.Wrap(h, rt, api.Options{Prefix: Prefix, Bucket: api.BucketAPI})
}

// guard applies what every route of the table declares: a Bearer token (unless public).
func (h *Handler) guard(r route) api.HandlerFunc {
	if r.public {
		return r.handle
	}
	return func(w http.ResponseWriter, req *http.Request, p api.Params) error {
		if !bearerOnly(req) || !api.Actor(req).SignedIn() {
			return forge.Unauthorized("")
		}
		return r.handle(w, req, p)
	}
}

// bearerOnly reports whether the request's credentials are an Authorization: Bearer token
// and nothing else: the document knows no other carrier, and a token in a query string or
// a cookie is refused rather than quietly used.
func bearerOnly(r *http.Request) bool {
	scheme, token, _ := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	if !strings.EqualFold(scheme, "bearer") || strings.TrimSpace(token) == "" {
		return false
	}
	return r.Header.Get("Private-Token") == ""
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

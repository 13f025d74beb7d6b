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
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

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

// errorBody is the dialect's one error shape.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Status    int            `json:"status"`
	Code      string         `json:"code"`
	Message   string         `json:"message"`
	RequestID string         `json:"request_id"`
	Details   map[string]any `json:"details,omitempty"`
}

// The dialect's error codes.
const (
	codeBadRequest       = "bad_request"
	codeUnauthorized     = "unauthorized"
	codeForbidden        = "forbidden"
	codeNotFound         = "not_found"
	codeNoSuchEndpoint   = "no_such_endpoint"
	codeRateLimited      = "rate_limited"
	codeInternal         = "internal_error"
	codeAmbiguous        = "ambiguous_repository"
	codeInvalidParams    = "invalid_parameters"
	codeConflict         = "conflict"
	codeRunNotCancelable = "run_not_cancelable"
)

// WriteError renders e in the dialect's shape, with one of the document's status codes.
func (h *Handler) WriteError(w http.ResponseWriter, r *http.Request, e *forge.Error) {
	d := errorFor(e)
	d.RequestID = api.RequestID(r)
	switch d.Status {
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="cairn"`)
	case http.StatusTooManyRequests:
		if w.Header().Get("Retry-After") == "" {
			w.Header().Set("Retry-After", strconv.Itoa(max(1, int(e.RetryAfter.Round(time.Second)/time.Second))))
		}
	}
	buf, _ := json.Marshal(errorBody{d})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("Content-Length", strconv.Itoa(len(buf)))
	w.WriteHeader(d.Status)
	_, _ = w.Write(buf)
}

// errorFor maps a forge error to the dialect's status, code, message and details.
func errorFor(e *forge.Error) errorDetail {
	msg := e.Message
	if len(e.Fields) > 0 {
		msg = e.FieldSummary()
	}
	d := errorDetail{Message: msg}
	if len(e.Fields) > 0 {
		d.Details = map[string]any{"fields": e.Fields}
	}
	switch e.Code {
	case forge.EInvalid:
		d.Status, d.Code = http.StatusBadRequest, codeBadRequest
		switch {
		case e.Reason == forge.ReasonAmbiguous:
			d.Code, d.Details = codeAmbiguous, map[string]any{"candidates": e.Candidates}
		case len(e.Fields) > 0:
			d.Code = codeInvalidParams
		case len(e.Params) > 0:
			d.Details = map[string]any{"parameters": e.Params}
		}
		d.Message = orDefault(d.Message, "The request is invalid")
	case forge.ETooLarge:
		d.Status, d.Code, d.Message = http.StatusBadRequest, codeBadRequest, "The request body is too large"
	case forge.EConflict:
		d.Status, d.Code = http.StatusBadRequest, codeConflict
	case forge.ENotAllowed:
		if e.Reason == forge.ReasonNoRoute {
			d.Status, d.Code, d.Message = http.StatusNotFound, codeNoSuchEndpoint, "No such endpoint (see /v1/external/openapi.json)"
		} else {
			d.Status, d.Code = http.StatusBadRequest, codeRunNotCancelable
		}
	case forge.EUnauthorized:
		d.Status, d.Code = http.StatusUnauthorized, codeUnauthorized
		switch e.Reason {
		case forge.ReasonTokenExpired:
			d.Message = "The token has expired"
		case forge.ReasonTokenRevoked:
			d.Message = "The token has been revoked"
		default:
			d.Message = "Authentication failed: send a valid API token as Authorization: Bearer <token>"
		}
	case forge.EForbidden:
		d.Status, d.Code = http.StatusForbidden, codeForbidden
		if e.Reason == forge.ReasonInsufficientScope {
			d.Message = "The token lacks the " + e.Scope + " scope this needs"
			d.Details = map[string]any{"required_scope": e.Scope}
		}
		d.Message = orDefault(d.Message, "You don't have permission to access this resource")
	case forge.ENotFound:
		d.Status, d.Code = http.StatusNotFound, codeNotFound
		if e.Reason == forge.ReasonNoRoute {
			d.Code, d.Message = codeNoSuchEndpoint, "No such endpoint (see /v1/external/openapi.json)"
		} else {
			d.Message = notFoundMessage(e)
		}
	case forge.ERateLimited:
		d.Status, d.Code, d.Message = http.StatusTooManyRequests, codeRateLimited,
			"Rate limit exceeded; retry after the number of seconds in Retry-After"
	default:
		d.Status, d.Code, d.Message = http.StatusInternalServerError, codeInternal, "An error occurred on the server"
		d.Details = nil
	}
	return d
}

func notFoundMessage(e *forge.Error) string {
	switch {
	case e.Resource == "":
		return orDefault(e.Message, "Not found")
	case e.Message != "" && e.Message != "Not found":
		return e.Message
	}
	if n, ok := nouns[e.Resource]; ok {
		return n + " not found"
	}
	return api.Noun(e.Resource) + " not found"
}

// nouns names the resources of this dialect that it calls otherwise than forge does.
var nouns = map[forge.Resource]string{
	forge.ResourceProject:             "Repository",
	forge.ResourcePersonalAccessToken: "Personal Access Token",
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

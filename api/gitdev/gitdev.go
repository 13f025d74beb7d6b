// Package gitdev is cairn's .git dialect, the API of git.dev, mounted at /v1: repositories,
// deployments and teams (which are groups) over the forge, in {data, meta} envelopes, with
// errors shaped {"error":{"code","message","request_id"}} and the plan rate limits of the
// shared core (starter and pro users get their plan's budget).
//
// Every endpoint requires a token: a request without one is 401.
//
// Ids are a kind prefix and the forge's numeric id in lowercase base 36, without leading
// zeros: project 1234567 is "repo_qglj", deployment 42 is "deploy_16", group 7 is "team_7",
// user 35 is "user_z". Each id has exactly one spelling; anything else (upper case, leading
// zeros, other characters, overflow, zero) names nothing and is answered 404.
package gitdev

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

// Handler serves the .git API.
type Handler struct {
	core  *api.Core
	forge *forge.Service
}

// Prefix is where the dialect is mounted.
const Prefix = "/v1"

// New returns the .git API, mounted at /v1. It routes only its own resources; every other
// path below /v1 is its 404.
func New(core *api.Core) http.Handler {
	h := &Handler{core: core, forge: core.Forge}
	rt := core.NewRouter()
	h.routes(rt)
	return core.Wrap(h, h.requireToken(rt), api.Options{Prefix: Prefix, Bucket: api.BucketAPI})
}

func (h *Handler) routes(rt *api.Router) {
	rt.Handle("GET", "/repositories", h.listRepositories)
	// A repository is named by its id or its slug, and slugs hold slashes (nested groups
	// too), so everything below /repositories is dispatched by repositoryPath.
	rt.Handle("GET", "/repositories/*rest", h.repositorySubtree)
	rt.Handle("POST", "/repositories/*rest", h.repositorySubtree)
	rt.Handle("GET", "/deployments/:id", h.getDeployment)
	rt.Handle("GET", "/teams", h.listTeams)
	rt.Handle("GET", "/teams/*rest", h.teamSubtree)
}

// requireToken refuses anonymous requests: every .git endpoint needs authentication.
func (h *Handler) requireToken(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !api.Actor(r).SignedIn() {
			h.core.Error(w, r, forge.Unauthorized(""))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// invalidParam is the 400 of a query or body parameter whose value is refused.
func invalidParam(name, message string) *forge.Error {
	return &forge.Error{Code: forge.EInvalid, Reason: forge.ReasonInvalidParam, Params: []string{name},
		Message: message}
}

// Id prefixes of each kind of resource.
const (
	prefixRepo   = "repo_"
	prefixDeploy = "deploy_"
	prefixTeam   = "team_"
	prefixUser   = "user_"
)

// EncodeID returns the public id of the resource numbered n: prefix and n in base 36.
func EncodeID(prefix string, n int64) string {
	return prefix + strconv.FormatInt(n, 36)
}

// DecodeID returns the number a public id of kind prefix stands for; ok is false for
// anything that is not exactly what EncodeID makes for a positive number.
func DecodeID(prefix, id string) (n int64, ok bool) {
	rest, found := strings.CutPrefix(id, prefix)
	// 13 base-36 digits hold every int64; more would overflow anyway.
	if !found || rest == "" || len(rest) > 13 || rest[0] == '0' {
		return 0, false
	}
	for i := 0; i < len(rest); i++ {
		if c := rest[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'z') {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(rest, 36, 64)
	if err != nil || n <= 0 {
		return 0, false
	}
	return n, true
}

// forgeRef is the forge's numeric reference to a resource.
func forgeRef(n int64) string { return strconv.FormatInt(n, 10) }

// timestamp is an RFC 3339 time in UTC, to the second, as the document shows them.
type timestamp time.Time

// MarshalText writes the time (encoding/json quotes it).
func (t timestamp) MarshalText() ([]byte, error) {
	return time.Time(t).UTC().AppendFormat(nil, time.RFC3339), nil
}

func timePtr(t *time.Time) *timestamp {
	if t == nil || t.IsZero() {
		return nil
	}
	v := timestamp(*t)
	return &v
}

// meta is the pagination part of a list envelope.
type meta struct {
	Total   int `json:"total"`
	Page    int `json:"page"`
	PerPage int `json:"per_page"`
}

// listBody is the envelope of every list.
type listBody[T any] struct {
	Data []T  `json:"data"`
	Meta meta `json:"meta"`
}

// writeList answers one page of items in the {data, meta} envelope, with the core's
// pagination headers.
func writeList[T any](h *Handler, w http.ResponseWriter, r *http.Request, pg forge.Page, total int, items []T) error {
	h.core.SetPageHeaders(w, r, pg, total)
	if items == nil {
		items = []T{}
	}
	return api.JSON(w, r, http.StatusOK,
		listBody[T]{Data: items, Meta: meta{Total: total, Page: pg.Page, PerPage: pg.PerPage}})
}

// parsePage reads page (default 1) and per_page (default 20, at most 100). Unlike the
// GitLab dialect, which caps quietly, the .git document states the maximum, so values
// outside it are refused.
func parsePage(r *http.Request) (forge.Page, error) { return api.ParsePageStrictly(r) }

// subpath reads the escaped path below a collection: "REF" or "REF/<tail>", where REF may
// hold slashes, literal or escaped (%2F). It is the second form when the last segment is
// tail and what precedes it is a reference by isRef's measure; then sub is true. ref is
// REF unescaped; ok is false for a path with an empty or badly escaped segment.
func subpath(escaped, tail string, isRef func(string) bool) (ref string, sub, ok bool) {
	if escaped == "" {
		return "", false, false
	}
	segs := strings.Split(escaped, "/")
	for i, seg := range segs {
		v, err := url.PathUnescape(seg)
		if err != nil || v == "" {
			return "", false, false
		}
		segs[i] = v
	}
	if n := len(segs); n >= 2 && segs[n-1] == tail {
		if head := strings.Join(segs[:n-1], "/"); isRef(head) {
			return head, true, true
		}
	}
	return strings.Join(segs, "/"), false, true
}

// Package opencodehub is cairn's OpenCodeHub dialect, the REST API of a self-hosted
// OpenCodeHub instance: repositories and pull requests under /api, answered in {data, meta} envelopes, with errors that carry a code, the
// field at fault and the constraint it broke, and ids written as "repo-123" and "user-456".
//
// Status codes follow GitHub's REST conventions where OpenCodeHub's documentation is silent: a request that
// cannot be read (malformed JSON, a parameter of the wrong type) is 400 VALIDATION_ERROR; a
// well-formed request whose fields break a rule (a missing name, an unknown branch) is 422
// VALIDATION_ERROR; a refusal because of a resource's state (a merged pull request, a stale
// sha, conflicts, a name already taken) is 409 CONFLICT.
package opencodehub

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

// Prefix is where the dialect is mounted.
const Prefix = "/api"

// Handler serves the OpenCodeHub API.
type Handler struct {
	core  *api.Core
	forge *forge.Service
}

// New returns the OpenCodeHub API, mounted at /api.
func New(core *api.Core) http.Handler {
	h := &Handler{core: core, forge: core.Forge}
	rt := core.NewRouter()
	rt.Handle("GET", "/repos", h.listRepos)
	rt.Handle("POST", "/repos", h.createRepo)
	// Everything below a repository is dispatched by one handler: an owner may be a nested
	// group, written with its slashes, and httprouter cannot match a path of unknown depth
	// followed by fixed segments.
	for _, m := range []string{"GET", "POST", "PUT"} {
		rt.Handle(m, "/repos/*path", h.underRepo)
	}
	return core.Wrap(h, rt, api.Options{Prefix: Prefix, Bucket: api.BucketAPI})
}

// underRepo serves /repos/:owner/:repo and the pull requests below it.
func (h *Handler) underRepo(w http.ResponseWriter, r *http.Request, _ api.Params) error {
	t, ok := parseRepoPath(strings.TrimPrefix(r.URL.Path, "/repos/"))
	if !ok {
		return notRoute()
	}
	allow := map[targetKind]string{targetRepo: "GET", targetPulls: "GET, POST", targetPull: "GET",
		targetMerge: "PUT"}[t.kind]
	switch {
	case t.kind == targetRepo && isGet(r):
		return h.getRepo(w, r, t)
	case t.kind == targetPulls && isGet(r):
		return h.listPulls(w, r, t)
	case t.kind == targetPulls && r.Method == http.MethodPost:
		return h.createPull(w, r, t)
	case t.kind == targetPull && isGet(r):
		return h.getPull(w, r, t)
	case t.kind == targetMerge && r.Method == http.MethodPut:
		return h.mergePull(w, r, t)
	}
	if strings.HasPrefix(allow, "GET") {
		allow = strings.Replace(allow, "GET", "GET, HEAD", 1)
	}
	w.Header().Set("Allow", allow+", OPTIONS")
	return &forge.Error{Code: forge.ENotAllowed, Reason: forge.ReasonNoRoute, Message: "Method Not Allowed"}
}

func isGet(r *http.Request) bool { return r.Method == http.MethodGet || r.Method == http.MethodHead }

func notRoute() error {
	return &forge.Error{Code: forge.ENotFound, Reason: forge.ReasonNoRoute, Message: "Not Found"}
}

// Time renders as the seed shows it: RFC 3339, UTC, whole seconds.
type Time time.Time

// MarshalText writes the time (encoding/json quotes it).
func (t Time) MarshalText() ([]byte, error) {
	return time.Time(t).UTC().AppendFormat(nil, time.RFC3339), nil
}

func timePtr(t *time.Time) *Time {
	if t == nil {
		return nil
	}
	v := Time(*t)
	return &v
}

// meta is the envelope's meta object; the pagination fields are only on lists.
type meta struct {
	Timestamp  Time `json:"timestamp"`
	Page       int  `json:"page,omitempty"`
	PerPage    int  `json:"per_page,omitempty"`
	Total      *int `json:"total,omitempty"`
	TotalPages int  `json:"total_pages,omitempty"`
}

type envelope struct {
	Data json.RawMessage `json:"data"`
	Meta meta            `json:"meta"`
}

// write sends data in the success envelope. The ETag covers the data and the pagination,
// not the timestamp, so that an unchanged resource still answers If-None-Match with 304.
func (h *Handler) write(w http.ResponseWriter, r *http.Request, status int, data any, m meta) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(data); err != nil {
		return err
	}
	raw := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	hd := w.Header()
	hd.Set("Cache-Control", "no-cache")
	hd.Set("X-Content-Type-Options", "nosniff")
	if status == http.StatusOK && isGet(r) {
		// The full slice expression makes append copy: raw is still to be sent.
		etag := api.ETag(
			append(raw[:len(raw):len(raw)], strconv.Itoa(m.Page)+"/"+strconv.Itoa(m.PerPage)+
				"/"+strconv.Itoa(m.TotalPages)...))
		hd.Set("ETag", etag)
		if api.ETagMatches(r.Header.Get("If-None-Match"), etag) {
			w.WriteHeader(http.StatusNotModified)
			return nil
		}
	}
	m.Timestamp = Time(h.forge.Now())
	out, err := marshal(envelope{Data: raw, Meta: m})
	if err != nil {
		return err
	}
	hd.Set("Content-Type", "application/json")
	hd.Set("Content-Length", strconv.Itoa(len(out)))
	w.WriteHeader(status)
	_, err = w.Write(out)
	return err
}

// list sends one page of items, with the pagination in meta and in the core's headers.
func (h *Handler) list(w http.ResponseWriter, r *http.Request, pg forge.Page, total int, items any) error {
	h.core.SetPageHeaders(w, r, pg, total)
	pages := max(1, (total+pg.PerPage-1)/pg.PerPage)
	return h.write(w, r, http.StatusOK, items,
		meta{Page: pg.Page, PerPage: pg.PerPage, Total: &total, TotalPages: pages})
}

func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// readInput reads the request's parameters; a body that cannot be read is a malformed request
// (text that cannot be stored keeps the error naming its field).
func readInput(r *http.Request) (*api.Input, error) {
	in, err := api.ReadInput(r)
	if fe, ok := err.(*forge.Error); ok && fe.Code == forge.EInvalid && len(fe.Params) == 0 {
		return nil, &forge.Error{Code: forge.EInvalid, Reason: forge.ReasonMalformedBody, Message: fe.Message}
	}
	return in, err
}

// stringParam reads an optional text parameter; a value of another type (a number, a
// boolean, an object, a list) is invalid rather than silently converted or absent.
func stringParam(in *api.Input, key string) (*string, error) { return in.StrictString(key) }

// boolParam reads an optional boolean parameter; a JSON value that is not true or false is
// invalid.
func boolParam(in *api.Input, key string) (*bool, error) { return in.StrictBool(key) }

// The ids of the seed ("repo-123", "user-456"): a kind prefix and the number. Plain numbers
// are accepted wherever an id is taken.
const (
	repoIDPrefix  = "repo-"
	userIDPrefix  = "user-"
	groupIDPrefix = "group-"
	pullIDPrefix  = "pr-"
)

func formatID(prefix string, id int64) string { return prefix + strconv.FormatInt(id, 10) }

// parseID reads an id written with prefix, or as a plain positive number.
func parseID(prefix, s string) (int64, bool) {
	s = strings.TrimPrefix(s, prefix)
	if s == "" || s[0] < '0' || s[0] > '9' {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, false
	}
	return n, true
}

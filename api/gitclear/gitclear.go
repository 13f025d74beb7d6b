// Package gitclear is cairn's GitClear dialect, the public API GitClear's customers report
// releases and critical defects through, mounted at /api/v1: the token check, critical
// defects and releases, with parameters from a form (curl -d) or a JSON body, and dates in
// any form forge/datetime reads.
//
// Every answer, success or error, is {"action_em", "response_em", "response_detail"}:
//
//	action_em      what was done: action_get_resource, action_defect_created,
//	               action_defect_updated, action_release_created, action_release_exists;
//	               action_none when nothing was done (every error).
//	response_em    response_success, or the error:
//	                 response_invalid_param    400  a parameter is missing, unreadable or refused
//	                 response_unauthorized     401  no token, or an unknown, expired or revoked one
//	                 response_forbidden        403  the token or its user may not do this
//	                 response_not_found        404  no such endpoint, or a resource path that names
//	                                                nothing the caller can see
//	                 response_method_not_allowed 405 (with Allow)
//	                 response_conflict         409
//	                 response_too_large        413
//	                 response_rate_limited     429  (with Retry-After)
//	                 response_error            500
//	response_detail a sentence for people; for an unreadable date it lists the accepted formats.
//
// Times in response_detail are shown on the wall clock of the zone the caller gave them in
// (UTC when it gave none, or when the time came from "now" or a commit), without the zone's
// name, as GitClear writes them: "Jan 1, 2021 5:40pm". They are stored in UTC.
package gitclear

import (
	"net/http"
	"time"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

// Prefix is where the dialect is mounted.
const Prefix = "/api/v1"

// The action_em values.
const (
	actionGetResource    = "action_get_resource"
	actionDefectCreated  = "action_defect_created"
	actionDefectUpdated  = "action_defect_updated"
	actionReleaseCreated = "action_release_created"
	actionReleaseExists  = "action_release_exists"
	actionNone           = "action_none"
)

type Handler struct {
	core  *api.Core
	forge *forge.Service
}

// New returns the GitClear API, mounted at /api/v1. Every endpoint needs a token.
func New(core *api.Core) http.Handler {
	h := &Handler{core: core, forge: core.Forge}
	rt := core.NewRouter()
	rt.Handle("GET", "/api_tokens", h.checkToken)
	rt.Handle("POST", "/critical_defects", h.recordDefect)
	rt.Handle("POST", "/releases", h.recordRelease)
	return core.Wrap(h, h.requireToken(rt), api.Options{Prefix: Prefix, Bucket: api.BucketAPI})
}

// requireToken refuses anonymous requests: the document has every call carry a Bearer token.
func (h *Handler) requireToken(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !api.Actor(r).SignedIn() {
			h.core.Error(w, r, forge.Unauthorized(""))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// answer is the document's one response shape.
type answer struct {
	ActionEm       string `json:"action_em"`
	ResponseEm     string `json:"response_em"`
	ResponseDetail string `json:"response_detail"`
}

// success writes a successful answer.
func success(w http.ResponseWriter, r *http.Request, status int, action, detail string) error {
	return api.JSON(w, r, status, answer{ActionEm: action, ResponseEm: responseSuccess, ResponseDetail: detail})
}

// params reads the request's parameters in the dialect's types, keeping the first error.
type params struct {
	in  *api.Input
	err error
}

// text returns key's value and whether it was given.
func (p *params) text(key string) (string, bool) {
	return p.in.String(key)
}

// flag reads a Boolean: "true"/"false", true/false, "1"/"0" (and yes/no, on/off, t/f).
func (p *params) flag(key string) bool {
	if s, ok := p.in.String(key); ok && s == "" {
		return false // "-d release_now=" gives nothing
	}
	v, _, err := p.in.Bool(key)
	if err != nil {
		p.fail(&forge.Error{Code: forge.EInvalid, Reason: forge.ReasonInvalidParam, Params: []string{key},
			Message: key + " must be a Boolean: true or false"})
	}
	return v
}

// integer reads a whole number, nil when not given.
func (p *params) integer(key string) *int64 {
	v, ok, err := p.in.Int(key)
	if err != nil {
		p.fail(&forge.Error{Code: forge.EInvalid, Reason: forge.ReasonInvalidParam, Params: []string{key},
			Message: key + " must be a whole number"})
	}
	if !ok || err != nil {
		return nil
	}
	return &v
}

// dateTime reads a DateTime in any of the forms forge.ParseDateTime takes; an empty value is
// not given. The time keeps the zone it was given in, for echoing it.
func (p *params) dateTime(key string) *time.Time {
	s, ok := p.in.String(key)
	if !ok {
		if p.in.Has(key) {
			p.fail(&forge.Error{Code: forge.EInvalid, Reason: forge.ReasonInvalidDateTime, Params: []string{key},
				Message: key + " must be a DateTime string; accepted formats: " + forge.DateTimeFormats})
		}
		return nil
	}
	if s == "" {
		return nil
	}
	t, err := forge.ParseDateTime(s)
	if err != nil {
		fe := forge.ErrorOf(err)
		p.fail(&forge.Error{Code: forge.EInvalid, Reason: fe.Reason, Params: []string{key}, Message: key +
			": " + fe.Message})
		return nil
	}
	return &t
}

func (p *params) fail(err error) {
	if p.err == nil {
		p.err = err
	}
}

// readParams parses the request's form or JSON body (and query string).
func readParams(r *http.Request) (*params, error) {
	in, err := api.ReadInput(r)
	if err != nil {
		return nil, err
	}
	return &params{in: in}, nil
}

// showTime renders t as the seed does ("Jan 1, 2021 5:40pm"), on the wall clock of the zone
// the caller gave (given), or UTC.
func showTime(t time.Time, given *time.Time, layout string) string {
	loc := time.UTC
	if given != nil {
		loc = given.Location()
	}
	return t.In(loc).Format(layout)
}

package gitclear

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

// The response_em values.
const (
	responseSuccess          = "response_success"
	responseInvalidParam     = "response_invalid_param"
	responseUnauthorized     = "response_unauthorized"
	responseForbidden        = "response_forbidden"
	responseNotFound         = "response_not_found"
	responseMethodNotAllowed = "response_method_not_allowed"
	responseConflict         = "response_conflict"
	responseTooLarge         = "response_too_large"
	responseRateLimited      = "response_rate_limited"
	responseError            = "response_error"
)

// Handler serves the GitClear API.
// WriteError renders e as an answer with action_none and the response_em of its code.
func (h *Handler) WriteError(w http.ResponseWriter, r *http.Request, e *forge.Error) {
	status, a := errorTable.Answer(e)
	hd := w.Header()
	switch status {
	case http.StatusUnauthorized:
		hd.Set("WWW-Authenticate", `Bearer realm="cairn"`)
	case http.StatusTooManyRequests:
		if hd.Get("Retry-After") == "" {
			hd.Set("Retry-After", strconv.Itoa(int(max(1, e.RetryAfter.Seconds()))))
		}
	}
	body, _ := json.Marshal(answer{ActionEm: actionNone, ResponseEm: a.em, ResponseDetail: a.detail})
	hd.Set("Content-Type", "application/json")
	hd.Set("Cache-Control", "no-cache")
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// refusal is an error's response_em and response_detail.
type refusal struct{ em, detail string }

type rule = api.ErrorRule[refusal]

// errorTable is how this dialect answers each kind of error: by code, then by reason.
var errorTable = api.NewErrorTable(rule{Status: 500, Body: fixed(responseError, "Internal server error")},
	rule{Code: forge.EInvalid, Status: 400, Body: detailed(responseInvalidParam, "")},
	rule{Code: forge.EUnauthorized, Status: 401,
		Body: fixed(responseUnauthorized,
			"A valid API token is required: send it as the header Authorization: Bearer {your_token}")},
	rule{Code: forge.EUnauthorized, Reason: forge.ReasonTokenExpired, Status: 401,
		Body: fixed(responseUnauthorized, "Your API token has expired")},
	rule{Code: forge.EUnauthorized, Reason: forge.ReasonTokenRevoked, Status: 401,
		Body: fixed(responseUnauthorized, "Your API token has been revoked")},
	rule{Code: forge.EForbidden, Status: 403, Body: detailed(responseForbidden, "You may not make this request")},
	rule{Code: forge.EForbidden, Reason: forge.ReasonInsufficientScope, Status: 403,
		Body: func(e *forge.Error) refusal {
			return refusal{responseForbidden, "Your API token may not make this request: it needs the " +
				e.Scope + " scope"}
		}},
	rule{Code: forge.ENotFound, Status: 404, Body: func(e *forge.Error) refusal {
		return refusal{responseNotFound, notFoundDetail(e)}
	}},
	rule{Code: forge.ENotFound, Reason: forge.ReasonNoRoute, Status: 404,
		Body: fixed(responseNotFound, "No such endpoint")},
	rule{Code: forge.ENotAllowed, Status: 405, Body: detailed(responseMethodNotAllowed, "")},
	rule{Code: forge.ENotAllowed, Reason: forge.ReasonNoRoute, Status: 405,
		Body: fixed(responseMethodNotAllowed, "This endpoint does not take that method")},
	rule{Code: forge.EConflict, Status: 409, Body: detailed(responseConflict, "")},
	rule{Code: forge.EConflict, Reason: forge.ReasonExists, Status: 409, Body: func(e *forge.Error) refusal {
		return refusal{responseConflict, api.Noun(e.Resource) + " already exists"}
	}},
	rule{Code: forge.ETooLarge, Status: 413, Body: fixed(responseTooLarge, "The request body is too large")},
	rule{Code: forge.ERateLimited, Status: 429,
		Body: fixed(responseRateLimited, "Too many requests: retry after the time in Retry-After")},
)

// detailed answers with em and e's own detail (its message, or its field messages), or
// with def when e has none.
func detailed(em, def string) func(*forge.Error) refusal {
	return func(e *forge.Error) refusal {
		detail := e.Message
		if len(e.Fields) > 0 {
			detail = e.FieldSummary()
		}
		if detail == "" {
			detail = def
		}
		return refusal{em, detail}
	}
}

// fixed answers with em and detail whatever the error's own detail.
func fixed(em, detail string) func(*forge.Error) refusal {
	return func(*forge.Error) refusal { return refusal{em, detail} }
}

// notFoundDetail is e's own detail (the resource path that names nothing), or the missing
// resource named in this dialect's words.
func notFoundDetail(e *forge.Error) string {
	switch {
	case e.Message != "":
		return e.Message
	case e.Resource == "":
		return "Not found"
	case e.Resource == forge.ResourceProject:
		return "Repository not found"
	}
	return api.Noun(e.Resource) + " not found"
}

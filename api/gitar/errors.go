package gitar

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

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
	status, d := errorTable.Answer(e)
	d.Status = status
	return d
}

type rule = api.ErrorRule[errorDetail]

// errorTable is how this dialect answers each kind of error: by code, then by reason.
var errorTable = api.NewErrorTable(rule{Status: 500, Body: fixed(codeInternal, "An error occurred on the server")},
	rule{Code: forge.EInvalid, Status: 400, Body: func(e *forge.Error) errorDetail {
		d := detailed(codeBadRequest, e)
		switch {
		case len(e.Fields) > 0:
			d.Code = codeInvalidParams
		case len(e.Params) > 0:
			d.Details = map[string]any{"parameters": e.Params}
		}
		d.Message = orDefault(d.Message, "The request is invalid")
		return d
	}},
	rule{Code: forge.EInvalid, Reason: forge.ReasonAmbiguous, Status: 400, Body: func(e *forge.Error) errorDetail {
		d := detailed(codeAmbiguous, e)
		d.Details = map[string]any{"candidates": e.Candidates}
		d.Message = orDefault(d.Message, "The request is invalid")
		return d
	}},
	rule{Code: forge.ETooLarge, Status: 400, Body: fixed(codeBadRequest, "The request body is too large")},
	rule{Code: forge.EConflict, Status: 400,
		Body: func(e *forge.Error) errorDetail { return detailed(codeConflict, e) }},
	// The one state refusal of this dialect's operations: a run that has ended.
	rule{Code: forge.ENotAllowed, Status: 400, Body: func(e *forge.Error) errorDetail {
		return detailed(codeRunNotCancelable, e)
	}},
	rule{Code: forge.ENotAllowed, Reason: forge.ReasonNoRoute, Status: 404, Body: noSuchEndpoint},
	rule{Code: forge.EUnauthorized, Status: 401,
		Body: fixed(codeUnauthorized,
			"Authentication failed: send a valid API token as Authorization: Bearer <token>")},
	rule{Code: forge.EUnauthorized, Reason: forge.ReasonTokenExpired, Status: 401,
		Body: fixed(codeUnauthorized, "The token has expired")},
	rule{Code: forge.EUnauthorized, Reason: forge.ReasonTokenRevoked, Status: 401,
		Body: fixed(codeUnauthorized, "The token has been revoked")},
	rule{Code: forge.EForbidden, Status: 403, Body: func(e *forge.Error) errorDetail {
		d := detailed(codeForbidden, e)
		d.Message = orDefault(d.Message, "You don't have permission to access this resource")
		return d
	}},
	rule{Code: forge.EForbidden, Reason: forge.ReasonInsufficientScope, Status: 403,
		Body: func(e *forge.Error) errorDetail {
			return errorDetail{Code: codeForbidden, Message: "The token lacks the " + e.Scope + " scope this needs",
				Details: map[string]any{"required_scope": e.Scope}}
		}},
	rule{Code: forge.ENotFound, Status: 404, Body: func(e *forge.Error) errorDetail {
		d := detailed(codeNotFound, e)
		d.Message = notFoundMessage(e)
		return d
	}},
	rule{Code: forge.ENotFound, Reason: forge.ReasonNoRoute, Status: 404, Body: noSuchEndpoint},
	rule{Code: forge.ERateLimited, Status: 429,
		Body: fixed(codeRateLimited, "Rate limit exceeded; retry after the number of seconds in Retry-After")},
)

// detailed is e's own detail under code: its message, or its field messages with the fields
// in details.
func detailed(code string, e *forge.Error) errorDetail {
	d := errorDetail{Code: code, Message: e.Message}
	if len(e.Fields) > 0 {
		d.Message = e.FieldSummary()
		d.Details = map[string]any{"fields": e.Fields}
	}
	return d
}

// fixed answers with code and message whatever the error's detail.
func fixed(code, message string) func(*forge.Error) errorDetail {
	return func(*forge.Error) errorDetail { return errorDetail{Code: code, Message: message} }
}

func noSuchEndpoint(e *forge.Error) errorDetail {
	return errorDetail{Code: codeNoSuchEndpoint, Message: "No such endpoint (see /v1/external/openapi.json)"}
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

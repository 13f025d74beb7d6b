package gitdev

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

// errorBody is the document's error envelope.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	RequestID string `json:"request_id"`
}

// The dialect's error codes.
const (
	codeInvalidParameter = "invalid_parameter"
	codeInvalidRef       = "invalid_ref"
	codeUnauthorized     = "unauthorized"
	codeForbidden        = "forbidden"
	codeNotFound         = "not_found"
	codeMethodNotAllowed = "method_not_allowed"
	codeConflict         = "conflict"
	codeTooLarge         = "payload_too_large"
	codeRateLimited      = "rate_limited"
	codeInternal         = "internal_error"
)

// WriteError renders e as {"error":{"code","message","request_id"}}.
func (h *Handler) WriteError(w http.ResponseWriter, r *http.Request, e *forge.Error) {
	status, d := errorTable.Answer(e)
	switch status {
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="cairn"`)
	case http.StatusTooManyRequests:
		if w.Header().Get("Retry-After") == "" {
			w.Header().Set("Retry-After", strconv.Itoa(max(1, int(e.RetryAfter.Round(time.Second)/time.Second))))
		}
	}
	d.RequestID = api.RequestID(r)
	buf, _ := json.Marshal(errorBody{d})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("Content-Length", strconv.Itoa(len(buf)))
	w.WriteHeader(status)
	_, _ = w.Write(buf)
}

type rule = api.ErrorRule[errorDetail]

// errorTable is how this dialect answers each kind of error: by code, then by reason.
var errorTable = api.NewErrorTable(
	rule{Status: 500, Body: fixed(codeInternal, "Internal server error; try again later")},
	rule{Code: forge.ENotFound, Status: 404, Body: func(e *forge.Error) errorDetail {
		return errorDetail{Code: codeNotFound, Message: notFoundMessage(e)}
	}},
	rule{Code: forge.ENotFound, Reason: forge.ReasonNoRoute, Status: 404,
		Body: fixed(codeNotFound, "No such endpoint")},
	rule{Code: forge.EInvalid, Status: 400, Body: detailed(codeInvalidParameter, "Invalid parameters")},
	rule{Code: forge.EInvalid, Reason: forge.ReasonInvalidRef, Status: 400, Body: detailed(codeInvalidRef, "")},
	rule{Code: forge.EConflict, Status: 409,
		Body: detailed(codeConflict, "The request conflicts with the current state")},
	rule{Code: forge.EUnauthorized, Status: 401, Body: fixed(codeUnauthorized, "Missing or invalid token")},
	rule{Code: forge.EUnauthorized, Reason: forge.ReasonTokenExpired, Status: 401,
		Body: fixed(codeUnauthorized, "Token has expired")},
	rule{Code: forge.EUnauthorized, Reason: forge.ReasonTokenRevoked, Status: 401,
		Body: fixed(codeUnauthorized, "Token has been revoked")},
	rule{Code: forge.EForbidden, Status: 403, Body: detailed(codeForbidden, "Insufficient permissions")},
	// A state the resource cannot leave this way: a conflict with what exists.
	rule{Code: forge.ENotAllowed, Status: 409, Body: detailed(codeConflict, "The resource does not allow this")},
	rule{Code: forge.ENotAllowed, Reason: forge.ReasonNoRoute, Status: 405,
		Body: fixed(codeMethodNotAllowed, "Method not allowed")},
	rule{Code: forge.ERateLimited, Status: 429,
		Body: fixed(codeRateLimited, "Rate limit exceeded; retry after the number of seconds in Retry-After")},
	rule{Code: forge.ETooLarge, Status: 413, Body: fixed(codeTooLarge, "Request body too large")},
)

// detailed answers with code and e's own detail (its message, or its field messages), or
// with def when e has none.
func detailed(code, def string) func(*forge.Error) errorDetail {
	return func(e *forge.Error) errorDetail {
		msg := e.Message
		if len(e.Fields) > 0 {
			msg = e.FieldSummary()
		}
		return errorDetail{Code: code, Message: orDefault(msg, def)}
	}
}

// fixed answers with code and message whatever the error's detail.
func fixed(code, message string) func(*forge.Error) errorDetail {
	return func(*forge.Error) errorDetail { return errorDetail{Code: code, Message: message} }
}

// notFoundMessage names the missing resource in this dialect's words.
func notFoundMessage(e *forge.Error) string {
	if e.Resource == "" {
		return orDefault(e.Message, "Not found")
	}
	if n, ok := nouns[e.Resource]; ok {
		return n + " not found"
	}
	return api.Noun(e.Resource) + " not found"
}

// nouns names the resources of this dialect that it calls otherwise than forge does.
var nouns = map[forge.Resource]string{
	forge.ResourceProject: "Repository",
	forge.ResourceGroup:   "Team",
}

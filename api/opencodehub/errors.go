package opencodehub

import (
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

// The error codes of the seed, plus METHOD_NOT_ALLOWED for a method a path does not take.
const (
	codeValidation       = "VALIDATION_ERROR"
	codeNotFound         = "NOT_FOUND"
	codeUnauthorized     = "UNAUTHORIZED"
	codeForbidden        = "FORBIDDEN"
	codeConflict         = "CONFLICT"
	codeRateLimited      = "RATE_LIMITED"
	codeInternal         = "INTERNAL_ERROR"
	codeMethodNotAllowed = "METHOD_NOT_ALLOWED"
)

// errorBody is the seed's error response.
type errorBody struct {
	Error errorDetail `json:"error"`
	Meta  errorMeta   `json:"meta"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// Details is always an object, so that clients may read details.field without a guard.
	Details details `json:"details"`
}

type details struct {
	Field      string `json:"field,omitempty"`
	Constraint string `json:"constraint,omitempty"`
}

type errorMeta struct {
	Timestamp Time   `json:"timestamp"`
	RequestID string `json:"request_id"`
}

// WriteError renders e in the seed's error shape, with the request id in meta.
func (h *Handler) WriteError(w http.ResponseWriter, r *http.Request, e *forge.Error) {
	status, body := describe(r, e)
	if status == http.StatusTooManyRequests && w.Header().Get("Retry-After") == "" && e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(max(1, e.RetryAfter.Seconds()))))
	}
	if status == http.StatusUnauthorized {
		challenge := `Bearer realm="cairn"`
		if body.Details.Constraint != "required" {
			challenge += `, error="invalid_token"`
		}
		w.Header().Set("WWW-Authenticate", challenge)
	}
	out, _ := marshal(
		errorBody{Error: body, Meta: errorMeta{Timestamp: Time(h.forge.Now()), RequestID: api.RequestID(r)}})
	hd := w.Header()
	hd.Set("Content-Type", "application/json")
	hd.Set("Cache-Control", "no-cache")
	hd.Set("Content-Length", strconv.Itoa(len(out)))
	w.WriteHeader(status)
	_, _ = w.Write(out)
}

// describe maps a forge error to this dialect's status, code, message and details.
func describe(r *http.Request, e *forge.Error) (int, errorDetail) {
	status, words := errorTable.Answer(e)
	return status, words(r)
}

// words puts an error in this dialect's words for the request it answers, whose path tells
// what it is about.
type words func(r *http.Request) errorDetail

type rule = api.ErrorRule[words]

// errorTable is how this dialect answers each kind of error: by code, then by reason.
var errorTable = api.NewErrorTable(rule{Status: 500, Body: fixed(codeInternal, "Internal server error")},
	rule{Code: forge.EInvalid, Status: 422, Body: validation(codeValidation)},
	// A body or a value that cannot be read at all, rather than a refused one.
	rule{Code: forge.EInvalid, Reason: forge.ReasonInvalidParam, Status: 400, Body: validation(codeValidation)},
	rule{Code: forge.EInvalid, Reason: forge.ReasonMalformedBody, Status: 400, Body: validation(codeValidation)},
	rule{Code: forge.EInvalid, Reason: forge.ReasonInvalidUTF8, Status: 400, Body: validation(codeValidation)},
	rule{Code: forge.EInvalid, Reason: forge.ReasonNullByte, Status: 400, Body: validation(codeValidation)},
	rule{Code: forge.ENotFound, Status: 404, Body: func(e *forge.Error) words {
		return func(*http.Request) errorDetail {
			return errorDetail{Code: codeNotFound, Message: resourceName(e.Resource) + " not found"}
		}
	}},
	rule{Code: forge.ENotFound, Reason: forge.ReasonNoRoute, Status: 404, Body: fixed(codeNotFound, "Not found")},
	rule{Code: forge.EUnauthorized, Status: 401, Body: func(e *forge.Error) words {
		return func(r *http.Request) errorDetail { return unauthorized(r, e) }
	}},
	rule{Code: forge.EForbidden, Status: 403, Body: func(e *forge.Error) words {
		return func(r *http.Request) errorDetail {
			msg := e.Message
			if w := reasonWords[e.Reason]; w != nil {
				msg = w(e)
			}
			if msg == "" {
				msg = "You are not allowed to do this"
			}
			return errorDetail{Code: codeForbidden, Message: msg}
		}
	}},
	rule{Code: forge.EForbidden, Reason: forge.ReasonInsufficientScope, Status: 403, Body: func(e *forge.Error) words {
		return func(r *http.Request) errorDetail {
			return errorDetail{codeForbidden, "This request needs a token with the " +
				strconv.Quote(resourceOf(r).scope) + " scope",
				details{Field: "scope", Constraint: "insufficient_scope"}}
		}
	}},
	rule{Code: forge.EConflict, Status: 409, Body: validation(codeConflict)},
	// A refusal because of the resource's state: the request conflicts with it.
	rule{Code: forge.ENotAllowed, Status: 409, Body: validation(codeConflict)},
	rule{Code: forge.ENotAllowed, Reason: forge.ReasonNoRoute, Status: 405,
		Body: fixed(codeMethodNotAllowed, "Method not allowed")},
	rule{Code: forge.ERateLimited, Status: 429, Body: fixed(codeRateLimited, "Rate limit exceeded; retry later")},
	rule{Code: forge.ETooLarge, Status: 413, Body: func(*forge.Error) words {
		return func(*http.Request) errorDetail {
			return errorDetail{codeValidation, "Request body too large", details{Constraint: "too_large"}}
		}
	}},
)

// fixed answers with code and message whatever the error and the request.
func fixed(code, message string) func(*forge.Error) words {
	return func(*forge.Error) words {
		return func(*http.Request) errorDetail { return errorDetail{Code: code, Message: message} }
	}
}

// validation answers with code, the field at fault and the rule it broke.
func validation(code string) func(*forge.Error) words {
	return func(e *forge.Error) words {
		return func(r *http.Request) errorDetail {
			res := resourceOf(r)
			d := validationDetails(res, e)
			return errorDetail{code, validationMessage(res, e, d), d}
		}
	}
}

// resource is what a request is about, for the words of its errors.
type resource struct {
	noun string
	// fields renames forge's parameter names to this dialect's.
	fields map[string]string
	// scope is the token scope the resource's operations need.
	scope string
	// order ranks parameters, so that the most telling of several missing ones is reported.
	order []string
}

var (
	// A repository's path is made from its name here, so a problem of the path is one of the name.
	repoResource = resource{noun: "Repository", scope: forge.ScopeRepo,
		fields: map[string]string{"visibility_level": "visibility", "namespace_id": "owner",
			"namespace": "owner", "path": "name"}}
	pullResource = resource{noun: "Pull request", scope: forge.ScopePR,
		fields: map[string]string{"source_branch": "head", "target_branch": "base", "description": "body",
			"merge_commit_message": "commit_message", "squash_commit_message": "commit_message"},
		order: []string{"title", "source_branch", "target_branch"}}
)

// resourceOf tells repository requests from pull request ones by their path.
func resourceOf(r *http.Request) resource {
	for _, seg := range strings.Split(r.URL.Path, "/") {
		if seg == "pulls" {
			return pullResource
		}
	}
	return repoResource
}

// first is the parameter of params that comes first in the resource's order.
func (res resource) first(params []string) string {
	for _, p := range res.order {
		for _, q := range params {
			if p == q {
				return p
			}
		}
	}
	return params[0]
}

func (res resource) field(name string) string {
	if f, ok := res.fields[name]; ok {
		return f
	}
	return name
}

// resourceName is a forge resource as this dialect names it.
func resourceName(r forge.Resource) string {
	if n, ok := nouns[r]; ok {
		return n
	}
	return api.Noun(r)
}

// nouns names the resources of this dialect that it calls otherwise than forge does.
var nouns = map[forge.Resource]string{
	"":                         "Resource",
	forge.ResourceProject:      "Repository",
	forge.ResourceNamespace:    "Owner",
	forge.ResourceMergeRequest: "Pull request",
}

// validationDetails finds the field at fault and the constraint it broke: the first missing
// or refused parameter, else the first field (in name order) with a message.
func validationDetails(res resource, e *forge.Error) details {
	switch {
	case e.Reason == forge.ReasonMissingParam || e.Reason == forge.ReasonMissingOneOf:
		if len(e.Params) > 0 {
			return details{Field: res.field(res.first(e.Params)), Constraint: "required"}
		}
	case len(e.Fields) > 0:
		key := firstKey(e.Fields)
		msg := ""
		if len(e.Fields[key]) > 0 {
			msg = e.Fields[key][0]
		}
		d := details{Field: res.field(key), Constraint: constraintOf(msg)}
		if d.Field != key && d.Constraint == "required" {
			// A blank path made from a given name: the name has nothing a path can keep.
			d.Constraint = "invalid"
		}
		return d
	case e.Reason == forge.ReasonSHAMismatch:
		return details{Field: "sha", Constraint: "stale"}
	case e.Reason == forge.ReasonMergeConflict:
		return details{Field: "head", Constraint: "merge_conflict"}
	case e.Reason == forge.ReasonNeedRebase:
		return details{Field: "head", Constraint: "need_rebase"}
	case e.Reason == forge.ReasonDuplicateOpen:
		// The seed names no constraint for a second open pull request.
		return details{}
	case e.Reason == forge.ReasonMalformedBody:
		return details{Field: "body", Constraint: "malformed"}
	case len(e.Params) > 0:
		c, ok := paramConstraints[e.Reason]
		if !ok {
			c = e.Reason
		}
		return details{Field: res.field(e.Params[0]), Constraint: c}
	}
	return details{Constraint: e.Reason}
}

// paramConstraints names, in this dialect's words, the rule a refused parameter broke, by
// forge's reason; other reasons are their own names.
var paramConstraints = map[string]string{
	"":                         "invalid",
	forge.ReasonInvalidParam:   "invalid",
	forge.ReasonUnprocessable:  "invalid",
	forge.ReasonBlankBranch:    "required",
	forge.ReasonMissingBranch:  "not_found",
	forge.ReasonSameBranch:     "same_as_head",
	forge.ReasonMergedRetarget: "invalid",
}

// reasonWords are this dialect's sentences for the refusals forge states as data alone.
var reasonWords = map[string]func(e *forge.Error) string{
	forge.ReasonMergedRetarget: func(*forge.Error) string {
		return "Target branch of a merged pull request can't be changed"
	},
	forge.ReasonMergeInProgress: func(e *forge.Error) string {
		return "The pull request is being merged and can't be " + api.Done(e.Value) + " now"
	},
	forge.ReasonDuplicateOpen: func(e *forge.Error) string {
		return "Another open pull request already exists for this source branch: !" + e.Value
	},
	forge.ReasonChangedMeanwhile: func(*forge.Error) string {
		return "The pull request changed meanwhile; try again"
	},
	forge.ReasonCannotMerge: func(*forge.Error) string { return "You are not allowed to merge this pull request" },
}

func firstKey(fields map[string][]string) string {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys[0]
}

// constraintOf names the rule a forge field message describes.
func constraintOf(msg string) string {
	switch {
	case msg == "can't be blank":
		return "required"
	case strings.HasPrefix(msg, "is too long"):
		return "too_long"
	case strings.HasPrefix(msg, "is too short"):
		return "too_short"
	case msg == "has already been taken":
		return "taken"
	case msg == "must be valid UTF-8":
		return forge.ReasonInvalidUTF8
	case msg == "cannot contain null bytes":
		return forge.ReasonNullByte
	}
	return "invalid"
}

// validationMessage is the sentence of a field error ("Repository name is required"), or
// forge's own message when it names no field.
func validationMessage(res resource, e *forge.Error, d details) string {
	switch {
	case len(e.Fields) > 0:
		msg := "is invalid"
		if list := e.Fields[firstKey(e.Fields)]; len(list) > 0 {
			msg = list[0]
		}
		switch {
		case msg == "can't be blank" && d.Constraint == "invalid":
			msg = "must contain a letter or digit"
		case msg == "can't be blank":
			msg = "is required"
		}
		return res.noun + " " + d.Field + " " + msg
	case d.Constraint == "required" && d.Field != "" && (e.Reason == forge.ReasonMissingParam ||
		e.Reason == forge.ReasonMissingOneOf):
		return res.noun + " " + d.Field + " is required"
	case reasonWords[e.Reason] != nil:
		return reasonWords[e.Reason](e)
	case e.Message != "":
		return e.Message
	case d.Field != "":
		return res.noun + " " + d.Field + " is invalid"
	}
	return "The request is invalid"
}

// unauthorized tells a missing token from a bad one.
func unauthorized(r *http.Request, e *forge.Error) errorDetail {
	d := errorDetail{Code: codeUnauthorized, Details: details{Field: "token"}}
	_, present, _ := api.Credentials(r)
	switch {
	case e.Reason == forge.ReasonTokenExpired:
		d.Message, d.Details.Constraint = "The token has expired", "expired"
	case e.Reason == forge.ReasonTokenRevoked:
		d.Message, d.Details.Constraint = "The token has been revoked", "revoked"
	case present:
		d.Message, d.Details.Constraint = "The token is invalid", "invalid"
	default:
		d.Message, d.Details.Constraint = "Authentication required", "required"
	}
	return d
}

package forge

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Code classifies an error; each dialect maps codes to its own statuses and bodies.
type Code string

// The error codes. Anything that is not a *Error is internal.
const (
	ENotFound     Code = "not_found"
	EInvalid      Code = "invalid"
	EConflict     Code = "conflict"
	EUnauthorized Code = "unauthorized"
	EForbidden    Code = "forbidden"
	ENotAllowed   Code = "not_allowed"
	ERateLimited  Code = "rate_limited"
	ETooLarge     Code = "too_large"
	EInternal     Code = "internal"
)

// Reasons refine a code where clients tell cases apart.
const (
	ReasonTokenExpired      = "token_expired"
	ReasonTokenRevoked      = "token_revoked"
	ReasonInsufficientScope = "insufficient_scope"
	ReasonSudoNotAdmin      = "sudo_not_admin"
	// ReasonSudoNeedsToken refuses sudo to a caller signed in with a session cookie.
	ReasonSudoNeedsToken   = "sudo_needs_token"
	ReasonSudoUserNotFound = "sudo_user_not_found"
	ReasonMissingParam     = "missing_param"
	ReasonMissingOneOf     = "missing_one_of"
	// ReasonStateRefused marks an operation the present state of its subject refuses ("Cannot
	// destroy running deployment"); GitLab shows the message as it is.
	ReasonStateRefused = "state_refused"
	// ReasonNothingToDelete marks the not-found of a deletion whose caller could have deleted
	// what they named: where DELETE is idempotent (GitSwarm's v3 API) it is a success.
	ReasonNothingToDelete = "nothing_to_delete"
	// ReasonStatusTransition marks a report a commit status's state cannot take from where
	// it is (a pending status reported pending again); Params holds the event and the state.
	ReasonStatusTransition = "status_transition"
	// ReasonPickConflict and ReasonPickEmpty refuse a cherry-pick whose change conflicts
	// with the branch, or is already there; ReasonRevertConflict and ReasonRevertEmpty
	// refuse a revert likewise.
	ReasonPickConflict   = "cherry_pick_conflict"
	ReasonPickEmpty      = "cherry_pick_empty"
	ReasonRevertConflict = "revert_conflict"
	ReasonRevertEmpty    = "revert_empty"
	// ReasonTransferRefused refuses the transfer of a project or a group; Fields say why.
	ReasonTransferRefused = "transfer_refused"
)

// Error is cairn's one error type: a code, a message for people, and details for machines.
type Error struct {
	Code Code
	// Message is the human-readable text, without any status prefix.
	Message string
	// Resource names the kind of thing not found ("Project"), for dialects that say it.
	Resource string
	// Reason refines the code (ReasonTokenExpired, ...).
	Reason string
	// Fields holds validation messages per parameter.
	Fields map[string][]string
	// Params names the request parameters the error is about (missing ones, for example).
	Params []string
	// Candidates lists what an ambiguous reference could mean (ReasonAmbiguous).
	Candidates []string
	// Scope is the scope a token lacked (ReasonInsufficientScope).
	Scope string
	// RetryAfter is how long to wait before trying again (ERateLimited).
	RetryAfter time.Duration
	// Err is the underlying cause, for logs only.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(string(e.Code))
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if len(e.Fields) > 0 {
		b.WriteString(": ")
		b.WriteString(e.FieldSummary())
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// FieldSummary renders the field messages as one sentence ("name has already been taken, ...").
func (e *Error) FieldSummary() string {
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		for _, m := range e.Fields[k] {
			parts = append(parts, k+" "+m)
		}
	}
	return strings.Join(parts, ", ")
}

// ErrorOf returns err as a *Error; anything else becomes an internal error wrapping it.
func ErrorOf(err error) *Error {
	var fe *Error
	if errors.As(err, &fe) {
		return fe
	}
	return &Error{Code: EInternal, Message: "Internal server error", Err: err}
}

// ErrorCode returns the code of err, EInternal for anything that is not a *Error.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	return ErrorOf(err).Code
}

// NotFound says a resource does not exist or may not be seen.
// With no resource named, the message is GitLab's "Not found" for rows looked up by id.
func NotFound(resource string) *Error {
	if resource == "" {
		return &Error{Code: ENotFound, Message: "Not found"}
	}
	return &Error{Code: ENotFound, Resource: resource, Message: resource + " Not Found"}
}

// nothingToDelete is the not-found of a deletion by a caller who could have deleted
// resource (ReasonNothingToDelete).
func nothingToDelete(resource string) *Error {
	e := NotFound(resource)
	e.Reason = ReasonNothingToDelete
	return e
}

// Invalidf says the request is invalid.
func Invalidf(format string, args ...any) *Error {
	return &Error{Code: EInvalid, Message: fmt.Sprintf(format, args...)}
}

// Missing says required parameters were not given: every one of params is required.
func Missing(params ...string) *Error {
	return &Error{Code: EInvalid, Reason: ReasonMissingParam, Params: params,
		Message: strings.Join(params, ", ") + " not given"}
}

// MissingOneOf says none of params was given where at least one is required.
func MissingOneOf(params ...string) *Error {
	return &Error{Code: EInvalid, Reason: ReasonMissingOneOf, Params: params,
		Message: strings.Join(params, " or ") + " not given"}
}

// FieldErrors collects validation messages per field; its Err method returns nil when empty.
type FieldErrors map[string][]string

// Add records a message for field.
func (f FieldErrors) Add(field, msg string) { f[field] = append(f[field], msg) }

// Err returns the collected messages as an EInvalid error, or nil when there are none.
func (f FieldErrors) Err() error {
	if len(f) == 0 {
		return nil
	}
	return &Error{Code: EInvalid, Fields: f}
}

// Conflictf says the request conflicts with what exists.
func Conflictf(format string, args ...any) *Error {
	return &Error{Code: EConflict, Message: fmt.Sprintf(format, args...)}
}

// Taken says the fields name something that already exists.
func Taken(fields ...string) *Error {
	f := map[string][]string{}
	for _, k := range fields {
		f[k] = []string{"has already been taken"}
	}
	return &Error{Code: EConflict, Fields: f}
}

// Forbiddenf says the caller is known but may not do this.
func Forbiddenf(format string, args ...any) *Error {
	return &Error{Code: EForbidden, Message: fmt.Sprintf(format, args...)}
}

// Unauthorized says credentials are missing or invalid.
func Unauthorized(reason string) *Error {
	return &Error{Code: EUnauthorized, Reason: reason, Message: "Unauthorized"}
}

// NotAllowedf says the operation is not possible on this resource in its state.
func NotAllowedf(format string, args ...any) *Error {
	return &Error{Code: ENotAllowed, Message: fmt.Sprintf(format, args...)}
}

// InsufficientScope says the token lacks a scope the operation needs.
func InsufficientScope(scope string) *Error {
	return &Error{Code: EForbidden, Reason: ReasonInsufficientScope, Scope: scope,
		Message: "The request requires higher privileges than provided by the access token."}
}

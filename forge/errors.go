package forge

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Error is cairn's one error type: what happened, as data (a code, a reason, the resource and
// the parameters it is about), for each dialect to put in its own words. Message is a detail
// in plain words where the data alone cannot say it (which ref a deployment could not find);
// a dialect's table decides whether to show it.
type Error struct {
	Code Code
	// Message is the detail for people, without any status prefix; often empty.
	Message string
	// Resource is the kind of thing the error is about (what was not found, for one).
	Resource Resource
	// Reason refines the code (ReasonTokenExpired, ...).
	Reason string
	// Fields holds validation messages per parameter.
	Fields map[string][]string
	// Value is the value at fault: the name that exists already (ReasonExists).
	Value string
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
	if d := e.Detail(); d != "" {
		b.WriteString(": ")
		b.WriteString(d)
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

// Detail is the error in plain words, for logs and the command line: Message, or for a
// resource not found, its name ("Project Not Found"), or the reason with what it is about
// ("merge request: merge in progress (delete)").
func (e *Error) Detail() string {
	switch {
	case e.Message != "":
		return e.Message
	case e.Code == ENotFound && e.Resource != "":
		return title(e.Resource.String()) + " Not Found"
	case e.Code == ENotFound:
		return "Not found"
	case e.Reason == "":
		return ""
	}
	d := strings.ReplaceAll(e.Reason, "_", " ")
	if e.Resource != "" {
		d = e.Resource.String() + ": " + d
	}
	if e.Value != "" {
		d += " (" + e.Value + ")"
	}
	return d
}

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

// NotFound says a resource does not exist or may not be seen; resource is empty for a row
// looked up by id whose kind the dialect knows from its route.
func NotFound(resource Resource) *Error {
	return &Error{Code: ENotFound, Resource: resource}
}

// title capitalizes each word of s.
func title(s string) string {
	words := strings.Fields(s)
	for i, w := range words {
		words[i] = strings.ToUpper(w[:1]) + w[1:]
	}
	return strings.Join(words, " ")
}

// nothingToDelete is the not-found of a deletion by a caller who could have deleted
// resource (ReasonNothingToDelete).
func nothingToDelete(resource Resource) *Error {
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

// exists says that resource named name exists already (ReasonExists).
func exists(resource Resource, name string) *Error {
	return &Error{Code: EConflict, Reason: ReasonExists, Resource: resource, Value: name}
}

// Taken says the fields name something that already exists.
func Taken(fields ...string) *Error {
	f := map[string][]string{}
	for _, k := range fields {
		f[k] = []string{"has already been taken"}
	}
	return &Error{Code: EConflict, Fields: f}
}

// Forbidden says the caller is known but may not do this.
func Forbidden() *Error { return &Error{Code: EForbidden} }

// Forbiddenf says the caller is known but may not do this, and why in words.
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

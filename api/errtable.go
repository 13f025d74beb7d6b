package api

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/cairn-forge/cairn/forge"
)

// ErrorRule is how a dialect answers one kind of forge error: its status, and the body (in
// the dialect's type B) that puts the error in the dialect's words.
type ErrorRule[B any] struct {
	Code forge.Code
	// Reason selects the errors of Code with this reason; a rule without one answers the
	// errors of Code whose reason has no rule of its own.
	Reason string
	Status int
	Body   func(e *forge.Error) B
}

type errorKey struct {
	code   forge.Code
	reason string
}

// ErrorTable is a dialect's answers to forge's errors, looked up by code and reason.
type ErrorTable[B any] struct {
	rules    map[errorKey]ErrorRule[B]
	internal ErrorRule[B]
}

// NewErrorTable builds a table of rules; internal answers the errors no rule does (EInternal,
// and any code the dialect leaves out). Two rules for the same code and reason are a mistake
// in the table, and panic.
func NewErrorTable[B any](internal ErrorRule[B], rules ...ErrorRule[B]) *ErrorTable[B] {
	t := &ErrorTable[B]{rules: make(map[errorKey]ErrorRule[B], len(rules)), internal: internal}
	for _, r := range rules {
		k := errorKey{r.Code, r.Reason}
		if _, dup := t.rules[k]; dup {
			panic(fmt.Sprintf("api: two error rules for %s/%s", r.Code, r.Reason))
		}
		t.rules[k] = r
	}
	return t
}

// Rule returns the rule that answers e: the one for its code and reason, else the one for
// its code, else the internal one.
func (t *ErrorTable[B]) Rule(e *forge.Error) ErrorRule[B] {
	if r, ok := t.rules[errorKey{e.Code, e.Reason}]; ok {
		return r
	}
	if r, ok := t.rules[errorKey{e.Code, ""}]; ok {
		return r
	}
	return t.internal
}

// Answer returns the status and the body of e.
func (t *ErrorTable[B]) Answer(e *forge.Error) (int, B) {
	r := t.Rule(e)
	if r.Status == 0 {
		r.Status = http.StatusInternalServerError
	}
	var body B
	if r.Body != nil {
		body = r.Body(e)
	}
	return r.Status, body
}

// Done is the past participle of an action an error names ("closed" for forge.ActionClose),
// for the dialects that speak English.
func Done(action string) string {
	switch action {
	case forge.ActionClose:
		return "closed"
	case forge.ActionRetarget:
		return "retargeted"
	case forge.ActionDelete:
		return "deleted"
	}
	return "changed"
}

// Noun is the plain name of a kind of resource with a capital ("Deploy key"), for a dialect
// that has no word of its own for it; "" for none.
func Noun(r forge.Resource) string {
	s := r.String()
	if s == "" {
		return ""
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// Statuses maps each code the table has a rule for (without a reason) to its status.
func (t *ErrorTable[B]) Statuses() map[forge.Code]int {
	out := map[forge.Code]int{}
	for k, r := range t.rules {
		if k.reason == "" {
			out[k.code] = r.Status
		}
	}
	return out
}

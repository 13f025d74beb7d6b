package api

import (
	"testing"

	"github.com/cairn-forge/cairn/forge"
)

func TestErrorTableAnswersByReasonThenCodeThenAsInternal(t *testing.T) {
	says := func(s string) func(*forge.Error) string { return func(*forge.Error) string { return s } }
	table := NewErrorTable(ErrorRule[string]{Status: 500, Body: says("internal")},
		ErrorRule[string]{Code: forge.ENotFound, Status: 404, Body: says("not found")},
		ErrorRule[string]{Code: forge.ENotFound, Reason: forge.ReasonNoRoute, Status: 404, Body: says("no route")},
		ErrorRule[string]{Code: forge.EForbidden, Reason: forge.ReasonInsufficientScope, Status: 403,
			Body: says("scope")},
	)
	tests := []struct {
		name   string
		err    *forge.Error
		status int
		body   string
	}{
		{"code and reason", &forge.Error{Code: forge.ENotFound, Reason: forge.ReasonNoRoute}, 404, "no route"},
		{"a reason without a rule falls to its code's",
			&forge.Error{Code: forge.ENotFound, Reason: forge.ReasonNothingToDelete}, 404, "not found"},
		{"code alone", forge.NotFound(forge.ResourceProject), 404, "not found"},
		{"a code with no rule is internal", forge.Forbidden(), 500, "internal"},
		{"internal", forge.ErrorOf(nil), 500, "internal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if status, body := table.Answer(tt.err); status != tt.status || body != tt.body {
				t.Errorf("Answer = %d %q, want %d %q", status, body, tt.status, tt.body)
			}
		})
	}
}

func TestErrorTableRefusesTwoRulesForOneCase(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("two rules for not_found/no_route: no panic")
		}
	}()
	NewErrorTable(ErrorRule[int]{},
		ErrorRule[int]{Code: forge.ENotFound, Reason: forge.ReasonNoRoute},
		ErrorRule[int]{Code: forge.ENotFound, Reason: forge.ReasonNoRoute})
}

package web

import (
	"net/http"
	"testing"

	"github.com/cairn-forge/cairn/forge"
)

// A form refused for a reason forge gives without words shows the pages' own sentence.
func TestFormErrorWordsARefusalByItsReason(t *testing.T) {
	tests := []struct {
		name string
		err  *forge.Error
		want string
	}{
		{"a protected branch",
			&forge.Error{Code: forge.EForbidden, Reason: forge.ReasonPushDenied, Resource: forge.ResourceBranch},
			"You may not change this branch."},
		{"a project's code",
			&forge.Error{Code: forge.EForbidden, Reason: forge.ReasonPushDenied, Resource: forge.ResourceProject},
			"You may not change this project's code."},
		{"an archived project", &forge.Error{Code: forge.EForbidden, Reason: forge.ReasonArchived},
			"This project is archived: its code is read-only."},
		{"forge's own words", forge.Forbiddenf("A group must have at least one owner"),
			"A group must have at least one owner"},
		{"no words at all", forge.Forbidden(), "You may not do this here."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg, status, ok := formError(tt.err)
			if !ok || status != http.StatusForbidden || msg != tt.want {
				t.Errorf("formError = %q %d %v, want %q 403", msg, status, ok, tt.want)
			}
		})
	}
}

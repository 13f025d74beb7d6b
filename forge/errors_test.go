package forge

import "testing"

// An error that dialects word from its data alone still reads in plain words on the command
// line and in logs.
func TestErrorDetailSaysWhatTheDataSays(t *testing.T) {
	tests := []struct {
		name string
		err  *Error
		want string
	}{
		{"message", Invalidf("bad %s", "ref"), "bad ref"},
		{"resource not found", NotFound(ResourceMergeRequest), "Merge Request Not Found"},
		{"bare not found", NotFound(""), "Not found"},
		{"merge in progress", mergeInProgress(ActionDelete), "merge request: merge in progress (delete)"},
		{"duplicate", duplicateMergeRequest(3).(*Error), "merge request: duplicate open (3)"},
		{"reason alone", &Error{Code: EConflict, Reason: ReasonChangedMeanwhile}, "changed meanwhile"},
		{"nothing to say", Forbidden(), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Detail(); got != tt.want {
				t.Fatalf("Detail() = %q, want %q", got, tt.want)
			}
		})
	}
}

package forge

import "testing"

// TestPipelineStatusIsGitLabsComposite: a pipeline's status from its statuses, as
// Gitlab::Ci::Status::Composite orders its rules.
func TestPipelineStatusIsGitLabsComposite(t *testing.T) {
	for _, c := range []struct {
		statuses []string
		want     string
	}{
		{nil, ""},
		{[]string{"skipped"}, "skipped"},
		{[]string{"success", "skipped"}, "success"},
		{[]string{"created"}, "created"},
		{[]string{"canceled", "success"}, "canceled"},
		{[]string{"pending", "created", "skipped"}, "pending"},
		{[]string{"pending", "success"}, "running"},
		{[]string{"running", "failed"}, "running"},
		{[]string{"created", "failed"}, "running"},
		{[]string{"failed", "success"}, "failed"},
		{[]string{"failed", "canceled"}, "failed"},
	} {
		if got := PipelineStatus(c.statuses); got != c.want {
			t.Errorf("PipelineStatus(%v) = %q, want %q", c.statuses, got, c.want)
		}
	}
}

// TestCommitStatusTransitions: each report fires GitLab's job event, from the states it
// leaves.
func TestCommitStatusTransitions(t *testing.T) {
	for _, c := range []struct {
		from, report, want string // want "" means refused
	}{
		{"created", "pending", "pending"},
		{"created", "running", "running"},
		{"pending", "running", "running"},
		{"pending", "pending", ""},
		{"running", "running", ""},
		{"running", "pending", ""},
		{"running", "success", "success"},
		{"created", "failed", "failed"},
		{"pending", "canceled", "canceled"},
		{"pending", "skipped", "skipped"},
		{"running", "skipped", ""},
	} {
		st := CommitStatus{Status: c.from}
		err := st.transition(c.report, st.CreatedAt)
		switch {
		case c.want == "" && (err == nil || ErrorOf(err).Reason != ReasonStatusTransition):
			t.Errorf("%s reported %s: %v, want refused", c.from, c.report, err)
		case c.want != "" && (err != nil || st.Status != c.want):
			t.Errorf("%s reported %s: %s, %v; want %s", c.from, c.report, st.Status, err, c.want)
		}
	}
}

package gitlab_test

import (
	"regexp"
	"strings"
	"testing"
)

var noteIIDs = regexp.MustCompile(`commented on Note \d+`)

type eventJSON struct {
	ActionName  string  `json:"action_name"`
	TargetType  *string `json:"target_type"`
	TargetIID   *int64  `json:"target_iid"`
	TargetTitle *string `json:"target_title"`
	PushData    *struct {
		Ref string `json:"ref"`
	} `json:"push_data"`
}

// summary is "action type iid title" of each event, or "action ref" of a push.
func summary(events []eventJSON) string {
	var out []string
	for _, e := range events {
		if e.TargetType == nil {
			out = append(out, e.ActionName+" "+e.PushData.Ref)
			continue
		}
		out = append(out, e.ActionName+" "+*e.TargetType+" "+itoa(*e.TargetIID)+" "+*e.TargetTitle)
	}
	return strings.Join(out, "; ")
}

func TestIssueMergeRequestAndNoteEvents(t *testing.T) {
	f := newRepoFixture(t, map[string]any{"name": "demo", "initialize_with_readme": true, "visibility": "public"})
	stranger := f.member("sam", 0)
	f.commit("main", "Start", create("a.txt", "a"))
	mustDo(t, f.s, 201, "POST", f.url("/repository/branches"), f.token, map[string]any{"branch": "fix", "ref": "main"})
	f.commit("fix", "Fix", create("b.txt", "b"))
	mustDo(t, f.s, 201, "POST", f.url("/issues"), f.token, map[string]any{"title": "Bug"})
	mustDo(t, f.s, 201, "POST", f.url("/issues"), f.token, map[string]any{"title": "Leak", "confidential": true})
	mustDo(t, f.s, 201, "POST", f.url("/issues/2/notes"), f.token, map[string]any{"body": "secret detail"})
	mustDo(t, f.s, 201, "POST", f.url("/issues/1/notes"), f.token, map[string]any{"body": "seen"})
	mustDo(t, f.s, 200, "PUT", f.url("/issues/1"), f.token, map[string]any{"state_event": "close"})
	mustDo(t, f.s, 200, "PUT", f.url("/issues/1"), f.token, map[string]any{"state_event": "reopen"})
	mustDo(t, f.s, 201, "POST", f.url("/merge_requests"), f.token,
		map[string]any{"title": "Fix it", "source_branch": "fix", "target_branch": "main"})
	mustDo(t, f.s, 200, "PUT", f.url("/merge_requests/1/merge"), f.token, nil)

	owner := summary(
		decode[[]eventJSON](t, mustDo(t, f.s, 200, "GET", f.url("/events?sort=asc&per_page=100"), f.token, nil)))
	want := "opened Issue 1 Bug; opened Issue 2 Leak; commented on Note 0 Leak; commented on Note 0 Bug; " +
		"closed Issue 1 Bug; reopened Issue 1 Bug; opened MergeRequest 1 Fix it; accepted MergeRequest 1 Fix it; pushed to main"
	// Note events show the note's id as their iid; compare without it.
	if got := noteIIDs.ReplaceAllString(owner, "commented on Note 0"); !strings.HasSuffix(got, want) {
		t.Errorf("the owner's events:\n%s\nwant them to end with\n%s", got, want)
	}
	// A stranger of the public project sees no event of the confidential issue.
	seen := summary(
		decode[[]eventJSON](t, mustDo(t, f.s, 200, "GET", f.url("/events?sort=asc&per_page=100"), stranger, nil)))
	if strings.Contains(seen, "Leak") || !strings.Contains(seen, "opened Issue 1 Bug") {
		t.Errorf("a stranger's events: %s", seen)
	}
	// GitLab's action filter.
	for action, want := range map[string]string{"merged": "accepted MergeRequest 1 Fix it",
		"closed":  "closed Issue 1 Bug",
		"created": "opened Issue 1 Bug; opened Issue 2 Leak; opened MergeRequest 1 Fix it", "approved": ""} {
		got := summary(
			decode[[]eventJSON](t, mustDo(t, f.s, 200, "GET", f.url("/events?sort=asc&action="+action), f.token, nil)))
		if got != want {
			t.Errorf("action=%s: %s, want %s", action, got, want)
		}
	}
	// A deleted issue takes its events, and those of its notes, with it.
	mustDo(t, f.s, 204, "DELETE", f.url("/issues/2"), f.token, nil)
	if got := summary(
		decode[[]eventJSON](t,
			mustDo(t, f.s, 200, "GET", f.url("/events?per_page=100"), f.token, nil))); strings.Contains(got, "Leak") {
		t.Errorf("events after the issue's deletion: %s", got)
	}
}

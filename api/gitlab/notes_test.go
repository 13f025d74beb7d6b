package gitlab_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Notes on issues: who may write, change and remove them, and what a bad one gets.
func TestIssueNotes(t *testing.T) {
	t.Parallel()
	f := newIssueFixture(t)
	s := f.s
	is := createIssue(t, s, f.alice, f.publicIs, map[string]any{"title": "discuss"})
	notes := f.publicIs + "/" + itoa(is.IID) + "/notes"
	byBob := decode[noteJSON](t,
		mustDo(t, s, http.StatusCreated, "POST", notes, f.bob, map[string]any{"body": "first!"}))
	if byBob.Author.Username != "bob" || byBob.System || byBob.NoteableType != "Issue" ||
		byBob.NoteableIID != is.IID || byBob.NoteableID != is.ID {
		t.Fatalf("note %+v", byBob)
	}
	byDave := decode[noteJSON](t, mustDo(t, s, http.StatusCreated, "POST", notes, f.dave, "body=from+a+form"))
	mustDo(t, s, 200, "PUT", f.publicIs+"/"+itoa(is.IID), f.alice, map[string]any{"state_event": "close"})
	var all []noteJSON
	mustDo(t, s, 200, "GET", notes, f.alice, nil).JSON(t, &all)
	system := all[0]
	if !system.System || system.Body != "closed" {
		t.Fatalf("newest note %+v, want the system note", system)
	}
	one := func(n noteJSON) string { return notes + "/" + itoa(n.ID) }

	tests := []struct {
		name   string
		method string
		path   string
		token  string
		body   any
		status int
		want   string
	}{
		{"anyone reads a public issue's note", "GET", one(byBob), "", nil, 200, ""},
		{"a note of another issue is not found", "GET", f.publicIs + "/999/notes/" + itoa(byBob.ID), f.alice,
			nil, 404, `{"message":"404 Not found"}`},
		{"an unknown note", "GET", notes + "/9999", f.alice, nil, 404, `{"message":"404 Not found"}`},
		{"no body", "POST", notes, f.bob, map[string]any{"internal": false}, 400, `{"error":"body is missing"}`},
		{"no body on v3", "POST", strings.Replace(notes, "v4", "v3", 1), f.bob, map[string]any{}, 400,
			`{"message":"400 (Bad request) \"body\" not given"}`},
		{"a blank body", "POST", notes, f.bob, map[string]any{"body": " \n"}, 400,
			`{"message":{"note":["can't be blank"]}}`},
		{"anonymous callers may not comment", "POST", notes, "", map[string]any{"body": "x"}, 401, bodyUnauthorized},
		{"only reporters write internal notes", "POST", notes, f.bob,
			map[string]any{"body": "psst", "internal": true}, 403, bodyForbidden},
		{"someone else may not edit a note", "PUT", one(byBob), f.dave, map[string]any{"body": "edited"}, 403,
			bodyForbidden},
		{"nor may a maintainer", "PUT", one(byBob), f.alice, map[string]any{"body": "edited"}, 403, bodyForbidden},
		{"its author edits it", "PUT", one(byBob), f.bob, map[string]any{"body": "first, edited"}, 200, ""},
		{"an edit needs a body", "PUT", one(byBob), f.bob, map[string]any{}, 400, `{"error":"body is missing"}`},
		{"an administrator edits it", "PUT", one(byBob), s.AdminToken, map[string]any{"body": "moderated"}, 200, ""},
		{"system notes stay as they are", "PUT", one(system), f.alice, map[string]any{"body": "reopened"},
			403, bodyForbidden},
		{"nor are they deleted", "DELETE", one(system), f.alice, nil, 403, bodyForbidden},
		{"a reporter may not delete someone's note", "DELETE", one(byBob), f.carol, nil, 403, bodyForbidden},
		{"its author deletes it", "DELETE", one(byDave), f.dave, nil, 204, ""},
		{"a maintainer deletes anyone's", "DELETE", one(byBob), f.alice, nil, 204, ""},
		{"and again", "DELETE", one(byBob), f.alice, nil, 204, ""},
		{"others learn it is gone", "DELETE", one(byBob), f.bob, nil, 404, `{"message":"404 Not found"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.Do(t, tt.method, tt.path, tt.token, tt.body)
			if tt.want != "" {
				wantJSON(t, r, tt.status, tt.want)
				return
			}
			wantStatus(t, r, tt.status)
		})
	}
}

// Internal notes are seen by reporters and above only; notes list newest first unless asked,
// by creation or update time.
func TestIssueNoteVisibilityAndOrder(t *testing.T) {
	t.Parallel()
	f := newIssueFixture(t)
	s := f.s
	is := createIssue(t, s, f.alice, f.publicIs, map[string]any{"title": "t"})
	notes := f.publicIs + "/" + itoa(is.IID) + "/notes"
	var ids []int64
	for i, token := range []string{f.alice, f.carol, f.bob} {
		n := decode[noteJSON](t, mustDo(t, s, 201, "POST", notes, token, map[string]any{"body": fmt.Sprintf("n%d", i)}))
		ids = append(ids, n.ID)
	}
	internal := decode[noteJSON](t,
		mustDo(t, s, 201, "POST", notes, f.carol, map[string]any{"body": "between us", "internal": true}))
	time.Sleep(3 * time.Millisecond) // times are kept in milliseconds: make the edit the newest
	mustDo(t, s, 200, "PUT", notes+"/"+itoa(ids[0]), f.alice, map[string]any{"body": "n0, edited"})

	bodies := func(query, token string) string {
		return strings.Join(names(t, mustDo(t, s, 200, "GET", notes+query, token, nil), "body"), "|")
	}
	tests := []struct{ name, query, token, want string }{
		{"newest first", "", f.carol, "between us|n2|n1|n0, edited"},
		{"oldest first", "?sort=asc", f.carol, "n0, edited|n1|n2|between us"},
		{"by update", "?order_by=updated_at&sort=desc", f.carol, "n0, edited|between us|n2|n1"},
		{"internal notes hidden from guests", "", f.dave, "n2|n1|n0, edited"},
		{"and from anonymous callers", "", "", "n2|n1|n0, edited"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := bodies(tt.query, tt.token); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
	wantJSON(t, s.Do(t, "GET", notes+"/"+itoa(internal.ID), f.dave, nil), 404, `{"message":"404 Not found"}`)
	wantJSON(t, s.Do(t, "GET", notes+"?order_by=body", f.dave, nil), 400,
		`{"error":"order_by does not have a valid value"}`)
	// An internal note still counts as a comment.
	if got := decode[issueJSON](t,
		mustDo(t, s, 200, "GET", f.publicIs+"/"+itoa(is.IID), f.alice, nil)); got.UserNotesCount != 4 {
		t.Errorf("user_notes_count %d, want 4", got.UserNotesCount)
	}
}

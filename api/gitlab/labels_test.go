package gitlab_test

import (
	"net/http"
	"strings"
	"testing"
)

// labelJSON is a label as a client decodes it; only the fields tests read.
type labelJSON struct {
	ID                int64   `json:"id"`
	Name              string  `json:"name"`
	Color             string  `json:"color"`
	TextColor         string  `json:"text_color"`
	Description       *string `json:"description"`
	Priority          *int    `json:"priority"`
	OpenIssuesCount   *int    `json:"open_issues_count"`
	ClosedIssuesCount *int    `json:"closed_issues_count"`
}

// Labels: create, read by id or name, change (also by the older name form), delete.
func TestLabelsCRUD(t *testing.T) {
	t.Parallel()
	f := newIssueFixture(t)
	s := f.s
	labels := f.privAPI + "/labels"
	bug := decode[labelJSON](t, mustDo(t, s, http.StatusCreated, "POST", labels, f.carol,
		map[string]any{"name": "bug", "color": "#d9534f", "description": "Something is broken", "priority": 1}))
	if bug.Color != "#d9534f" || bug.TextColor != "#FFFFFF" || *bug.Description != "Something is broken" ||
		*bug.Priority != 1 {
		t.Errorf("bug: %+v", bug)
	}
	named := decode[labelJSON](t,
		mustDo(t, s, http.StatusCreated, "POST", labels, f.carol, "name=scope/needs+review&color=lightyellow"))
	if named.Color != "#ffffe0" || named.TextColor != "#333333" || named.Description != nil || named.Priority != nil {
		t.Errorf("a label with a CSS colour name: %+v", named)
	}
	mustDo(t, s, http.StatusCreated, "POST", labels, f.alice, map[string]any{"name": "short", "color": "#ABC"})

	if got := decode[labelJSON](t, mustDo(t, s, 200, "GET", labels+"/"+itoa(bug.ID), f.dave, nil)); got.Name != "bug" {
		t.Errorf("by id: %+v", got)
	}
	if got := decode[labelJSON](t,
		mustDo(t, s, 200, "GET", labels+"/"+pathEscape("scope/needs review"), f.dave, nil)); got.ID != named.ID {
		t.Errorf("by name: %+v", got)
	}
	if got := strings.Join(names(t, mustDo(t, s, 200, "GET", labels, f.dave, nil), "name"),
		","); got != "bug,scope/needs review,short" {
		t.Errorf("list: %s", got)
	}
	if got := strings.Join(names(t, mustDo(t, s, 200, "GET", labels+"?search=review", f.dave, nil), "name"),
		","); got != "scope/needs review" {
		t.Errorf("search: %s", got)
	}

	updated := decode[labelJSON](t, mustDo(t, s, 200, "PUT", labels+"/"+itoa(bug.ID), f.carol,
		map[string]any{"new_name": "defect", "color": "red", "priority": nil}))
	if updated.Name != "defect" || updated.Color != "#ff0000" || updated.Priority != nil ||
		*updated.Description != "Something is broken" {
		t.Errorf("updated: %+v", updated)
	}
	legacy := decode[labelJSON](t,
		mustDo(t, s, 200, "PUT", labels, f.carol, map[string]any{"name": "defect", "description": "", "priority": 3}))
	if legacy.ID != bug.ID || legacy.Description != nil || *legacy.Priority != 3 {
		t.Errorf("updated by name: %+v", legacy)
	}

	mustDo(t, s, 204, "DELETE", labels+"?name=short", f.carol, nil)
	mustDo(t, s, 204, "DELETE", labels+"/"+itoa(bug.ID), f.carol, nil)
	// A label that is gone is not found, as on GitLab (the v3 API answers 200).
	wantJSON(t, s.Do(t, "DELETE", labels+"/"+itoa(bug.ID), f.carol, nil), 404, `{"message":"404 Label Not Found"}`)
	wantJSON(t, s.Do(t, "DELETE", labels+"/999999", f.carol, nil), 404, `{"message":"404 Label Not Found"}`)
	if got := strings.Join(names(t, mustDo(t, s, 200, "GET", labels, f.dave, nil), "name"),
		","); got != "scope/needs review" {
		t.Errorf("after deletes: %s", got)
	}
}

func TestLabelBadInputAndPermissions(t *testing.T) {
	t.Parallel()
	f := newIssueFixture(t)
	s := f.s
	labels := f.privAPI + "/labels"
	mustDo(t, s, http.StatusCreated, "POST", labels, f.alice, map[string]any{"name": "bug", "color": "#000000"})
	mustDo(t, s, http.StatusCreated, "POST", labels, f.alice, map[string]any{"name": "ui", "color": "#000000"})
	invalidColor := `{"message":{"color":["must be a valid color code"]}}`
	tests := []struct {
		name   string
		method string
		path   string
		token  string
		body   any
		status int
		want   string
	}{
		{"no name and no colour", "POST", labels, f.alice, map[string]any{}, 400,
			`{"error":"name is missing, color is missing"}`},
		{"no colour", "POST", labels, f.alice, map[string]any{"name": "x"}, 400, `{"error":"color is missing"}`},
		{"a colour of five digits", "POST", labels, f.alice, map[string]any{"name": "x", "color": "#12345"},
			400, invalidColor},
		{"a colour without its hash", "POST", labels, f.alice, map[string]any{"name": "x", "color": "123456"},
			400, invalidColor},
		{"a colour that is no CSS name", "POST", labels, f.alice,
			map[string]any{"name": "x", "color": "blurple"}, 400, invalidColor},
		{"an empty colour", "POST", labels, f.alice, map[string]any{"name": "x", "color": ""}, 400, invalidColor},
		{"a blank name", "POST", labels, f.alice, map[string]any{"name": " ", "color": "red"}, 400,
			`{"message":{"title":["can't be blank"]}}`},
		{"a name with a comma", "POST", labels, f.alice, map[string]any{"name": "a,b", "color": "red"}, 400,
			`{"message":{"title":["is invalid"]}}`},
		{"a negative priority", "POST", labels, f.alice,
			map[string]any{"name": "x", "color": "red", "priority": -1}, 400,
			`{"message":{"priority":["must be greater than or equal to 0"]}}`},
		{"a name the project has", "POST", labels, f.alice, map[string]any{"name": "bug", "color": "red"},
			409, `{"message":"Label already exists"}`},
		{"a rename onto another label", "PUT", labels + "/bug", f.alice, map[string]any{"new_name": "ui"},
			400, `{"message":{"title":["has already been taken"]}}`},
		{"an invalid colour on update", "PUT", labels + "/bug", f.alice, map[string]any{"color": "#GGGGGG"},
			400, invalidColor},
		{"an update with nothing", "PUT", labels + "/bug", f.alice, map[string]any{}, 400,
			`{"error":"new_name, color, description, priority are missing, at least one parameter must be provided"}`},
		{"the older update form without a name", "PUT", labels, f.alice, map[string]any{"color": "red"}, 400,
			`{"error":"name is missing"}`},
		{"an unknown label", "GET", labels + "/nope", f.alice, nil, 404, `{"message":"404 Label Not Found"}`},
		{"an unknown label to change", "PUT", labels + "/nope", f.alice, map[string]any{"color": "red"}, 404,
			`{"message":"404 Label Not Found"}`},
		{"a guest may not create labels", "POST", labels, f.dave, map[string]any{"name": "x", "color": "red"},
			403, bodyForbidden},
		{"nor delete them", "DELETE", labels + "/bug", f.dave, nil, 403, bodyForbidden},
		{"a stranger sees no labels of a private project", "GET", labels, f.bob, nil, 404,
			`{"message":"404 Project Not Found"}`},
		{"anonymous callers may not create labels", "POST", labels, "",
			map[string]any{"name": "x", "color": "red"}, 401, bodyUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantJSON(t, s.Do(t, tt.method, tt.path, tt.token, tt.body), tt.status, tt.want)
		})
	}
}

// Issues name labels: missing ones are made on the fly with the default colour, counts follow
// the issues' states, and a deleted label comes off its issues.
func TestLabelsOnIssues(t *testing.T) {
	t.Parallel()
	f := newIssueFixture(t)
	s := f.s
	a := createIssue(t, s, f.alice, f.publicIs, map[string]any{"title": "a", "labels": "bug,new one"})
	createIssue(t, s, f.alice, f.publicIs, map[string]any{"title": "b", "labels": []string{"bug"}})
	mustDo(t, s, 200, "PUT", f.publicIs+"/"+itoa(a.IID), f.alice, map[string]any{"state_event": "close"})

	var list []labelJSON
	mustDo(t, s, 200, "GET", f.publicAPI+"/labels?with_counts=true", "", nil).JSON(t, &list)
	if len(list) != 2 {
		t.Fatalf("labels %+v", list)
	}
	bug, fresh := list[0], list[1]
	if bug.Name != "bug" || *bug.OpenIssuesCount != 1 || *bug.ClosedIssuesCount != 1 {
		t.Errorf("bug: %+v", bug)
	}
	if fresh.Name != "new one" || fresh.Color != "#6699cc" || *fresh.OpenIssuesCount != 0 ||
		*fresh.ClosedIssuesCount != 1 {
		t.Errorf("made on the fly: %+v", fresh)
	}
	var plain []map[string]any
	mustDo(t, s, 200, "GET", f.publicAPI+"/labels", "", nil).JSON(t, &plain)
	if _, ok := plain[0]["open_issues_count"]; ok {
		t.Errorf("counts without with_counts: %v", plain[0])
	}
	mustDo(t, s, 204, "DELETE", f.publicAPI+"/labels/bug", f.alice, nil)
	if got := decode[issueJSON](t,
		mustDo(t, s, 200, "GET", f.publicIs+"/"+itoa(a.IID), f.alice, nil)); strings.Join(got.Labels,
		",") != "new one" {
		t.Errorf("labels after deleting bug: %v", got.Labels)
	}
}

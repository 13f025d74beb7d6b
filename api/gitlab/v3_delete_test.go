package gitlab_test

import (
	"encoding/json"
	"testing"
)

// The v3 API's DELETE answers as the GitSwarm document says: 200 with the resource as it
// was, and 200 again for a repeat (by a caller who could have deleted it), with what the
// request names of the resource that is gone. The v4 API keeps GitLab's answers.
func TestV3DeleteAnswersWithTheResourceAndIsIdempotent(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	admin := s.AdminToken
	bobID, _ := s.CreateUser(t, "bob")
	strangerID, stranger := s.CreateUser(t, "stranger")
	p := createProject(t, s, admin, map[string]any{"name": "demo", "initialize_with_readme": true})
	v4 := "/api/v4/projects/" + itoa(p.ID)
	v3 := "/api/v3/projects/" + itoa(p.ID)
	create := func(path string, body any) map[string]any {
		t.Helper()
		var out map[string]any
		r := s.Do(t, "POST", path, admin, body)
		if r.StatusCode/100 != 2 {
			t.Fatalf("POST %s: %d %s", path, r.StatusCode, r.Body)
		}
		if err := json.Unmarshal(r.Body, &out); err != nil {
			t.Fatalf("POST %s: %s", path, r.Body)
		}
		return out
	}
	id := func(m map[string]any) string { return itoa(int64(m["id"].(float64))) }

	create(v4+"/repository/branches", map[string]any{"branch": "feature", "ref": "main"})
	create(v4+"/repository/branches", map[string]any{"branch": "topic", "ref": "main"})
	create(v4+"/repository/tags", map[string]any{"tag_name": "v1", "ref": "main"})
	create(v4+"/repository/tags", map[string]any{"tag_name": "v2", "ref": "main"})
	create(v4+"/repository/files/notes.txt", map[string]any{"branch": "main", "content": "x", "commit_message": "add"})
	label := create(v4+"/labels", map[string]any{"name": "bug", "color": "red"})
	create(v4+"/labels", map[string]any{"name": "by-name", "color": "blue"})
	issue := create(v4+"/issues", map[string]any{"title": "Broken"})
	note := create(v4+"/issues/"+itoa(int64(issue["iid"].(float64)))+"/notes", map[string]any{"body": "seen"})
	mr := create(v4+"/merge_requests",
		map[string]any{"source_branch": "topic", "target_branch": "main", "title": "Topic"})
	create(v4+"/releases", map[string]any{"tag_name": "v2", "name": "Two"})
	env := create(v4+"/environments", map[string]any{"name": "staging"})
	create(v4+"/environments/"+id(env)+"/stop", nil)
	head := decode[map[string]any](t,
		mustDo(t, s, 200, "GET", v4+"/repository/branches/main", admin, nil))["commit"].(map[string]any)["id"].(string)
	dep := create(v4+"/deployments",
		map[string]any{"environment": "production", "sha": head, "ref": "main", "tag": false, "status": "failed"})
	create(v4+"/protected_branches", map[string]any{"name": "release-*"})
	addMember(t, s, admin, "projects", p.ID, bobID, 30)
	group := createGroup(t, s, admin, map[string]any{"name": "Team", "path": "team"})
	addMember(t, s, admin, "groups", group.ID, bobID, 30)
	token := decode[tokenJSON](t,
		mustDo(t, s, 201, "POST", "/api/v4/users/"+itoa(bobID)+"/personal_access_tokens", admin,
			map[string]any{"name": "ci", "scopes": []string{"api"}}))

	// A file's deletion is a commit: it answers with the file as it was, and a second one,
	// with no file left to remove, with the path it names; v4 refuses the repeat as GitLab.
	r := mustDo(t, s, 200, "DELETE", v3+"/repository/files/notes.txt?branch=main&commit_message=rm", admin, nil)
	if f := decode[map[string]any](t, r); f["file_path"] != "notes.txt" || f["content"] == nil {
		t.Errorf("a file's deletion answers %s", r.Body)
	}
	wantJSON(t, s.Do(t, "DELETE", v3+"/repository/files/notes.txt?branch=main&commit_message=rm", admin, nil), 200,
		`{"file_path":"notes.txt"}`)
	wantJSON(t, s.Do(t, "DELETE", v4+"/repository/files/notes.txt?branch=main&commit_message=rm", admin, nil), 400,
		`{"message":"A file with this name doesn't exist"}`)

	tests := []struct {
		name, path string
		// first holds fields of the first answer: the resource as it was.
		first map[string]any
		// again is the whole answer to the repeat.
		again string
	}{
		{"a branch", v3 + "/repository/branches/feature", map[string]any{"name": "feature"}, `{"name":"feature"}`},
		{"a tag", v3 + "/repository/tags/v1", map[string]any{"name": "v1"}, `{"name":"v1"}`},
		{"a label by id", v3 + "/labels/" + id(label), map[string]any{"name": "bug"}, `{"id":` + id(label) + `}`},
		{"a label by name", v3 + "/labels?name=by-name", map[string]any{"name": "by-name"}, `{"name":"by-name"}`},
		{"a note", v3 + "/issues/" + id(issue) + "/notes/" + id(note), map[string]any{"body": "seen"},
			`{"id":` + id(note) + `}`},
		{"an issue, by id", v3 + "/issues/" + id(issue), map[string]any{"title": "Broken"}, `{"id":` + id(issue) + `}`},
		{"a merge request, by id", v3 + "/merge_requests/" + id(mr), map[string]any{"title": "Topic"},
			`{"id":` + id(mr) + `}`},
		{"a release", v3 + "/releases/v2", map[string]any{"tag_name": "v2", "name": "Two"}, `{"tag_name":"v2"}`},
		{"an environment", v3 + "/environments/" + id(env), map[string]any{"name": "staging"}, `{"id":` +
			id(env) + `}`},
		{"a deployment", v3 + "/deployments/" + id(dep), map[string]any{"status": "failed"}, `{"id":` + id(dep) + `}`},
		{"a protection", v3 + "/protected_branches/release-%2A", map[string]any{"name": "release-*"},
			`{"name":"release-*"}`},
		{"a project member", v3 + "/members/" + itoa(bobID), map[string]any{"username": "bob"}, `{"id":` +
			itoa(bobID) + `}`},
		{"a group member", "/api/v3/groups/" + itoa(group.ID) + "/members/" + itoa(bobID),
			map[string]any{"username": "bob"}, `{"id":` + itoa(bobID) + `}`},
		{"a group", "/api/v3/groups/" + itoa(group.ID), map[string]any{"path": "team"}, `{"id":` +
			itoa(group.ID) + `}`},
		// A revoked token is still there to read.
		{"a token", "/api/v3/personal_access_tokens/" + itoa(token.ID),
			map[string]any{"name": "ci", "revoked": false}, ""},
		{"a user's sessions", "/api/v3/users/" + itoa(bobID) + "/sessions",
			map[string]any{"user_id": float64(bobID)}, `{"user_id":` + itoa(bobID) + `}`},
		{"merged branches", v3 + "/repository/merged_branches", map[string]any{"message": "202 Accepted"},
			`{"message":"202 Accepted"}`},
		{"a project", v3, map[string]any{"name": "demo"}, `{"id":` + itoa(p.ID) + `}`},
		{"a user", "/api/v3/users/" + itoa(bobID), map[string]any{"username": "bob"}, `{"id":` + itoa(bobID) + `}`},
	}
	for _, tt := range tests {
		r := mustDo(t, s, 200, "DELETE", tt.path, admin, nil)
		var got map[string]any
		if err := json.Unmarshal(r.Body, &got); err != nil {
			t.Fatalf("%s: not JSON: %s", tt.name, r.Body)
		}
		for k, want := range tt.first {
			if got[k] != want {
				t.Errorf("%s: the first DELETE answers %s = %v, want %v; body %s", tt.name, k, got[k], want, r.Body)
			}
		}
		again := mustDo(t, s, 200, "DELETE", tt.path, admin, nil)
		if tt.again != "" && string(again.Body) != tt.again {
			t.Errorf("%s: the repeat answers %s, want %s", tt.name, again.Body, tt.again)
		}
	}
	if u := decode[map[string]any](t,
		mustDo(t, s, 200, "DELETE", "/api/v3/user/sessions", stranger, nil)); u["user_id"] != float64(strangerID) {
		t.Errorf("DELETE /user/sessions: %v", u)
	}

}

// Only a caller who could have deleted a resource learns of it or gets the idempotent 200:
// others get the same refusals as on v4, and nothing of the resource.
func TestV3DeleteRefusesAsV4Does(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	_, owner := s.CreateUser(t, "owner")
	devID, dev := s.CreateUser(t, "dev")
	_, stranger := s.CreateUser(t, "stranger")
	p := createProject(t, s, owner, map[string]any{"name": "secret", "initialize_with_readme": true})
	addMember(t, s, owner, "projects", p.ID, devID, 30)
	reporterID, reporter := s.CreateUser(t, "reporter")
	addMember(t, s, owner, "projects", p.ID, reporterID, 20)
	v3 := "/api/v3/projects/" + itoa(p.ID)
	wantJSON(t, s.Do(t, "DELETE", v3, stranger, nil), 404, `{"message":"404 Project Not Found"}`)
	wantJSON(t, s.Do(t, "DELETE", v3, dev, nil), 403, `{"message":"403 Forbidden"}`)
	wantJSON(t, s.Do(t, "DELETE", v3+"/labels/12345", stranger, nil), 404, `{"message":"404 Project Not Found"}`)
	// A reporter may not write to the branch: no file there is theirs to delete, gone or not.
	missing := "/repository/files/gone.txt?branch=main&commit_message=rm"
	v4 := s.Do(t, "DELETE", "/api/v4/projects/"+itoa(p.ID)+missing, reporter, nil)
	wantStatus(t, v4, 403)
	wantJSON(t, s.Do(t, "DELETE", v3+missing, reporter, nil), 403, string(v4.Body))
	wantJSON(t, s.Do(t, "DELETE", v3+missing, stranger, nil), 404, `{"message":"404 Project Not Found"}`)
	wantJSON(t, s.Do(t, "DELETE", v3+missing, dev, nil), 200, `{"file_path":"gone.txt"}`)
	mustDo(t, s, 200, "DELETE", v3+"/labels/12345", owner, nil)
	mustDo(t, s, 200, "DELETE", v3, owner, nil)
	wantJSON(t, s.Do(t, "DELETE", v3, stranger, nil), 404, `{"message":"404 Project Not Found"}`)
}

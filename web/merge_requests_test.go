package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func TestAConflictingMergeRequestListsItsConflicts(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	commits := fmt.Sprintf("/api/v4/projects/%d/repository/commits", f.siteID)
	// The source deletes web/app.js and changes main.go's greeting; main changes both.
	api(t, f.s, "POST", commits, map[string]any{"branch": "feature/login", "commit_message": "Drop the script",
		"actions": []map[string]any{{"action": "delete", "file_path": "web/app.js"}}}, http.StatusCreated)
	api(t, f.s, "POST", commits, map[string]any{"branch": "main", "commit_message": "Greet the world",
		"actions": []map[string]any{
			{"action": "update", "file_path": "main.go",
				"content": "package main\n\nimport \"fmt\"\n\n// main greets.\nfunc main() {\n\tfmt.Println(\"hello, world\")\n}\n"},
			{"action": "update", "file_path": "web/app.js", "content": "export const add = (a, b) => a + b;\n"},
		}}, http.StatusCreated)
	api(t, f.s, "POST", fmt.Sprintf("/api/v4/projects/%d/merge_requests", f.siteID), map[string]any{
		"title": "Log in", "source_branch": "feature/login", "target_branch": "main"}, http.StatusCreated)

	c := newClient(t, f.s)
	p := c.get("/acme/site/-/merge_requests/1").want(t, http.StatusOK, "Merge conflicts", "2 files conflict",
		`<a class="mono" href="/acme/site/-/blob/feature/login/main.go">main.go</a> <span class="muted small">content</span>`,
		`<span class="mono">web/app.js</span> <span class="muted small">modify/delete</span>`)
	if strings.Contains(p.Body, `/merge"`) {
		t.Fatal("an anonymous reader is offered the merge button")
	}
	// Once the target takes the source's side, nothing conflicts and nothing is listed.
	api(t, f.s, "POST", commits, map[string]any{"branch": "main", "commit_message": "Take theirs",
		"actions": []map[string]any{
			{"action": "update", "file_path": "main.go",
				"content": "package main\n\nimport \"fmt\"\n\n// main greets.\nfunc main() {\n\tfmt.Println(\"hello, login\")\n}\n"},
			{"action": "delete", "file_path": "web/app.js"},
		}}, http.StatusCreated)
	p = c.get("/acme/site/-/merge_requests/1").want(t, http.StatusOK, "Ready to merge")
	if strings.Contains(p.Body, "conflict") {
		t.Fatalf("a clean merge request lists conflicts:\n%s", excerpt(p.Body))
	}
	// A private project's merge request is not found by outsiders.
	api(t, f.s, "POST", fmt.Sprintf("/api/v4/projects/%d/repository/branches", f.vaultID),
		map[string]any{"branch": "b", "ref": "main"}, http.StatusCreated)
	api(t, f.s, "POST", fmt.Sprintf("/api/v4/projects/%d/merge_requests", f.vaultID), map[string]any{
		"title": "Secret", "source_branch": "b", "target_branch": "main"}, http.StatusCreated)
	c.signIn("bob", "password-bob")
	c.get("/acme/vault/-/merge_requests/1").want(t, http.StatusNotFound)
}

// The branch pickers list the first hundred branches, but a merge request may be opened from
// and to any: compare offers it, and the form takes the branches it is given.
func TestMergeRequestsFromBranchesBeyondThePickers(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for i := range 100 {
		api(t, f.s, "POST", fmt.Sprintf("/api/v4/projects/%d/repository/branches", f.siteID),
			map[string]any{"branch": fmt.Sprintf("b%03d", i), "ref": "main"}, http.StatusCreated)
	}
	ann := userClient(t, f.s, "ann")
	// By name, "feature/login" and "main" come after b000…b099.
	p := ann.get("/acme/site/-/compare/main...feature/login").want(t, http.StatusOK, "Log in with a form",
		`href="/acme/site/-/merge_requests/new?source_branch=feature%2flogin&amp;target_branch=main"`)
	if strings.Contains(p.Body, `<option value="main">`) {
		t.Error("the picker lists more than a hundred branches")
	}
	ann.get("/acme/site/-/merge_requests/new?source_branch=feature%2Flogin&target_branch=main").want(t, http.StatusOK,
		"<option selected>feature/login</option>", "<option selected>main</option>", "Log in with a form", "login.go")
	newClient(t, f.s).get("/acme/site/-/compare/main...feature/login").want(t, http.StatusOK, "Log in with a form")
	ann.get("/acme/site/-/branches?search=feature").want(t, http.StatusOK,
		`href="/acme/site/-/merge_requests/new?source_branch=feature%2flogin"`)
}

package gitlab_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/cairn-forge/cairn/server/servertest"
)

// What each token scope reaches of a project's repository, as GitLab has it: api everything;
// read_api every read; read_repository git fetches and the repository files API (a file, its
// raw bytes, its blame), nothing else of the API; write_repository git fetches and pushes,
// nothing of the API; read_user none of it. The tokens are a maintainer's, on a private project.
func TestTokenScopesReachRepositoryEndpoints(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	p := createProject(t, s, s.AdminToken, map[string]any{"name": "code", "initialize_with_readme": true})
	id := itoa(p.ID)
	repo := "/api/v4/projects/" + id + "/repository"
	mustDo(t, s, 201, "POST", repo+"/tags", s.AdminToken, map[string]any{"tag_name": "v1", "ref": "main"})
	var readme struct {
		BlobID   string `json:"blob_id"`
		CommitID string `json:"commit_id"`
	}
	mustDo(t, s, 200, "GET", repo+"/files/README.md?ref=main", s.AdminToken, nil).JSON(t, &readme)

	scopes := []string{"api", "read_api", "read_repository", "write_repository", "read_user"}
	tokens := map[string]string{}
	for _, scope := range scopes {
		uid, token := s.CreateUser(t, "dev-"+strings.ReplaceAll(scope, "_", "-"), scope)
		mustDo(t, s, 201, "POST", "/api/v4/projects/"+id+"/members", s.AdminToken,
			map[string]any{"user_id": uid, "access_level": 40})
		tokens[scope] = token
		// What the writes below delete.
		mustDo(t, s, 201, "POST", repo+"/branches", s.AdminToken,
			map[string]any{"branch": "gone-" + scope, "ref": "main"})
		mustDo(t, s, 201, "POST", repo+"/tags", s.AdminToken,
			map[string]any{"tag_name": "gone-" + scope, "ref": "main"})
	}

	// The families of endpoints, and the status each scope gets (the index of scopes).
	type want [5]int
	const no = 403
	var (
		reads = want{200, 200, no, no, no}
		files = want{200, 200, 200, no, no}
		fetch = want{200, 200, 200, 200, no}
		push  = want{200, no, no, 200, no}
	)
	writes := func(ok int) want { return want{ok, no, no, no, no} }
	commit := func(branch string) map[string]any {
		return map[string]any{"branch": branch, "start_branch": "main", "commit_message": "change",
			"actions": []map[string]any{{"action": "create", "file_path": branch + ".txt", "content": "x"}}}
	}
	file := func(branch string, content bool) map[string]any {
		body := map[string]any{"branch": branch, "start_branch": "main", "commit_message": "change"}
		if content {
			body["content"] = "changed"
		}
		return body
	}
	tests := []struct {
		method, path string
		body         func(scope string) any
		want         want
	}{
		{"GET", repo + "/tree", nil, reads},
		{"GET", repo + "/blobs/" + readme.BlobID, nil, reads},
		{"GET", repo + "/blobs/" + readme.BlobID + "/raw", nil, reads},
		{"GET", repo + "/archive.tar.gz", nil, reads},
		{"GET", repo + "/compare?from=main&to=v1", nil, reads},
		{"GET", repo + "/merge_base?refs[]=main&refs[]=v1", nil, reads},
		{"GET", repo + "/contributors", nil, reads},
		{"GET", "/api/v4/projects/" + id + "/languages", nil, reads},
		{"GET", repo + "/commits", nil, reads},
		{"GET", repo + "/commits/" + readme.CommitID, nil, reads},
		{"GET", repo + "/commits/" + readme.CommitID + "/diff", nil, reads},
		{"GET", repo + "/commits/" + readme.CommitID + "/refs", nil, reads},
		{"GET", repo + "/branches", nil, reads},
		{"GET", repo + "/branches/main", nil, reads},
		{"GET", repo + "/tags", nil, reads},
		{"GET", repo + "/tags/v1", nil, reads},

		{"GET", repo + "/files/README.md?ref=main", nil, files},
		{"HEAD", repo + "/files/README.md?ref=main", nil, files},
		{"GET", repo + "/files/README.md/raw?ref=main", nil, files},
		{"GET", repo + "/files/README.md/blame?ref=main", nil, files},

		{"POST", repo + "/branches",
			func(sc string) any { return map[string]any{"branch": "new-" + sc, "ref": "main"} }, writes(201)},
		{"DELETE", repo + "/branches/gone-{scope}", nil, writes(204)},
		{"POST", repo + "/tags",
			func(sc string) any { return map[string]any{"tag_name": "new-" + sc, "ref": "main"} }, writes(201)},
		{"DELETE", repo + "/tags/gone-{scope}", nil, writes(204)},
		{"POST", repo + "/commits", func(sc string) any { return commit("commit-" + sc) }, writes(201)},
		{"POST", repo + "/files/new-{scope}.txt", func(sc string) any { return file("create-"+sc, true) }, writes(201)},
		{"PUT", repo + "/files/README.md", func(sc string) any { return file("update-"+sc, true) }, writes(200)},
		{"DELETE", repo + "/files/README.md", func(sc string) any { return file("delete-"+sc, false) }, writes(204)},
		{"DELETE", repo + "/merged_branches", nil, writes(202)},

		{"GET", "/root/code.git/info/refs?service=git-upload-pack", nil, fetch},
		{"GET", "/root/code.git/info/refs?service=git-receive-pack", nil, push},
	}
	for _, tt := range tests {
		for i, scope := range scopes {
			path := strings.ReplaceAll(tt.path, "{scope}", scope)
			var body any
			if tt.body != nil {
				body = tt.body(scope)
			}
			var r *servertest.Response
			if strings.HasPrefix(path, "/api/") {
				r = s.Do(t, tt.method, path, tokens[scope], body)
			} else {
				basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("oauth2:"+tokens[scope]))
				r = s.Do(t, tt.method, path, "", body, "Authorization", basic)
			}
			if r.StatusCode != tt.want[i] {
				t.Errorf("%s %s with a %s token: %d, want %d; %.120q", tt.method, path, scope, r.StatusCode,
					tt.want[i], r.Body)
				continue
			}
			if r.StatusCode == no && strings.HasPrefix(path, "/api/") &&
				!strings.Contains(r.Header.Get("WWW-Authenticate"), "insufficient_scope") {
				t.Errorf("%s %s with a %s token: 403 without insufficient_scope: %s", tt.method, path, scope, r.Body)
			}
		}
	}
}

package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/cairn-forge/cairn/server/servertest"
)

func TestCreatingAGroupAndAProjectWithAReadme(t *testing.T) {
	t.Parallel()
	s := servertest.New(t, logErrors(t))
	c := newClient(t, s)
	c.signIn("root", rootPassword(t, s))
	c.post("/groups", url.Values{"name": {"Web Team"}, "visibility": {"public"}}).redirectsTo(t, "/groups/web-team")
	c.get("/groups/web-team").want(t, http.StatusOK, "Web Team", "Group Web Team was created", "New project")
	c.post("/groups", url.Values{"name": {"Web Team"}, "path": {"web-team"}}).want(t, http.StatusConflict,
		"has already been taken")

	// The form offers the group, and the project lands there.
	p := c.get("/projects/new").want(t, http.StatusOK, "web-team")
	nsID := regexp.MustCompile(`<option value="(\d+)"[^>]*>web-team<`).FindStringSubmatch(p.Body)
	if nsID == nil {
		t.Fatalf("no web-team option: %s", p.Body)
	}
	c.post("/projects", url.Values{"name": {"Landing Page"}, "namespace_id": {nsID[1]}, "visibility": {"internal"},
		"description": {"Where it starts"}, "initialize_with_readme": {"1"}}).redirectsTo(t, "/web-team/landing-page")
	c.get("/web-team/landing-page").want(t, http.StatusOK, "Landing Page", "Where it starts",
		`<h2 id="landing-page">Landing Page</h2>`,
		"Internal", "/web-team/landing-page.git")
	c.post("/projects", url.Values{"name": {"Landing Page"}, "namespace_id": {nsID[1]}}).want(t,
		http.StatusConflict, "has already been taken")
	c.post("/projects", url.Values{"name": {""}}).want(t, http.StatusBadRequest)

	// An empty project says how to push to it.
	c.post("/projects", url.Values{"name": {"empty"}}).redirectsTo(t, "/root/empty")
	c.get("/root/empty").want(t, http.StatusOK, "The repository is empty", "git remote add origin")
}

func TestBrowsingCode(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := newClient(t, f.s)
	// Anonymous visitors browse a public project.
	c.get("/acme/site").want(t, http.StatusOK, "The Acme web site", `href="/acme/site/-/blob/main/docs/guide.md"`,
		"main.go", "Add the site", "Go", "2 branches")
	c.get("/acme/site/-/tree/main/docs").want(t, http.StatusOK, "guide.md", `href="/acme/site/-/tree/main"`)
	p := c.get("/acme/site/-/blob/main/main.go").want(t, http.StatusOK,
		`<tr id="L6"><td class="num"><a href="#L6">6</a></td><td class="line"><span class="k">func</span>`,
		"hello, &lt;world&gt;", "/acme/site/-/raw/main/main.go", "/acme/site/-/blame/main/main.go")
	if strings.Contains(p.Body, "<world>") {
		t.Fatal("file text is not escaped")
	}
	// The guide, rendered, with its task list; and its source on demand.
	c.get("/acme/site/-/blob/main/docs/guide.md").want(t, http.StatusOK, `type="checkbox"`, "?plain=1")
	c.get("/acme/site/-/blob/main/docs/guide.md?plain=1").want(t, http.StatusOK, `id="L1"`, "- [x] done")
	// Branch names with slashes, and paths under them.
	c.get("/acme/site/-/blob/feature/login/login.go").want(t, http.StatusOK, "login")
	c.get("/acme/site/-/tree/feature/login").want(t, http.StatusOK, "login.go")
	// Raw files are text/plain and sandboxed.
	raw := c.get("/acme/site/-/raw/main/main.go")
	raw.want(t, http.StatusOK, "package main")
	if raw.Header.Get("Content-Type") != "text/plain; charset=utf-8" ||
		!strings.Contains(raw.Header.Get("Content-Security-Policy"), "sandbox") ||
		raw.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("raw headers: %v", raw.Header)
	}
	c.get("/acme/site/-/raw/main/main.go", "If-None-Match", raw.Header.Get("ETag")).want(t, http.StatusNotModified)
	c.get("/acme/site/-/blame/main/main.go").want(t, http.StatusOK, "Add the site", `id="L7"`)
	// History: of the branch, of one file, and a commit with its diff.
	c.get("/acme/site/-/commits/feature/login").want(t, http.StatusOK, "Log in with a form", "Add the site")
	c.get("/acme/site/-/commits/main/login.go").want(t, http.StatusOK, "No commits")
	c.get("/acme/site/-/commit/feature/login").want(t, http.StatusOK, "Log in with a form", "login.go",
		`<tr class="add">`, `<tr class="del">`, "added", "+4")
	c.get("/acme/site/-/branches").want(t, http.StatusOK, "feature/login", "default")
	c.get("/acme/site/-/compare/main...feature/login").want(t, http.StatusOK, "Log in with a form", "login.go")
	c.get("/acme/site/-/compare?from=main&to=feature%2Flogin").redirectsTo(t,
		"/acme/site/-/compare/main...feature/login")
	c.get("/acme/site/-/compare/main...nope").want(t, http.StatusNotFound, "does not exist")
}

func TestBinaryLargeAndImageFilesAreNotInlined(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	big := strings.Repeat("x", 1<<20+10)
	api(t, f.s, "POST", fmt.Sprintf("/api/v4/projects/%d/repository/commits", f.siteID), map[string]any{
		"branch": "main", "commit_message": "Add files",
		"actions": []map[string]any{
			{"action": "create", "file_path": "big.txt", "content": big},
			{"action": "create", "file_path": "blob.bin", "content": "AAECAwQ=", "encoding": "base64"},
			{"action": "create", "file_path": "logo.png", "content": "iVBORw0KGgo=", "encoding": "base64"},
		}}, http.StatusCreated)
	c := newClient(t, f.s)
	if p := c.get("/acme/site/-/blob/main/big.txt").want(t, http.StatusOK, "larger than 1 MiB"); len(p.Body) > 200<<10 {
		t.Fatalf("a large file was inlined: %d bytes", len(p.Body))
	}
	c.get("/acme/site/-/blob/main/blob.bin").want(t, http.StatusOK, "Binary file")
	c.get("/acme/site/-/blob/main/logo.png").want(t, http.StatusOK,
		`<img src="/acme/site/-/raw/main/logo.png" alt="logo.png">`)
	raw := c.get("/acme/site/-/raw/main/logo.png")
	if raw.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("raw image: %v", raw.Header)
	}
	if raw := c.get("/acme/site/-/raw/main/blob.bin"); raw.Header.Get("Content-Type") != "application/octet-stream" ||
		!strings.HasPrefix(raw.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("raw binary: %v", raw.Header)
	}
}

func TestIssues(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := newClient(t, f.s)
	c.signIn("ann", "password-ann")
	// The preview renders the text without saving anything.
	c.post("/acme/site/-/issues", url.Values{"title": {"Broken link"}, "description": {"The **guide** link is broken"},
		"preview": {"1"}}).want(t, http.StatusOK, "<strong>guide</strong>", "The **guide** link is broken")
	c.get("/acme/site/-/issues").want(t, http.StatusOK, "No issues to show")
	c.post("/acme/site/-/issues", url.Values{"title": {"Broken link"}, "description": {"The **guide** link is broken"},
		"labels": {"bug"}}).redirectsTo(t, "/acme/site/-/issues/1")
	c.get("/acme/site/-/issues/1").want(t, http.StatusOK, "Broken link", "<strong>guide</strong>", "bug", "Open")
	c.post("/acme/site/-/issues", url.Values{"title": {""}}).want(t, http.StatusBadRequest)
	c.post("/acme/site/-/issues", url.Values{"title": {"Slow page"}}).redirectsTo(t, "/acme/site/-/issues/2")

	// Comment, with a preview first.
	c.post("/acme/site/-/issues/1/notes", url.Values{"note": {"Fixed in `main`"}, "preview": {"1"}}).
		want(t, http.StatusOK, "<code>main</code>")
	p := c.post("/acme/site/-/issues/1/notes", url.Values{"note": {"Fixed in `main`"}})
	if !strings.HasPrefix(p.Header.Get("Location"), "/acme/site/-/issues/1#note_") {
		t.Fatalf("comment: %d %v", p.StatusCode, p.Header)
	}
	c.post("/acme/site/-/issues/1/notes", url.Values{"note": {"  "}}).want(t, http.StatusBadRequest)

	// Labels and the assignee.
	var ann struct{ ID int64 }
	json.Unmarshal(f.s.Do(t, "GET", "/api/v4/user", f.annToken, nil).Body, &ann)
	c.post("/acme/site/-/issues/1/update", url.Values{"label": {"bug"}, "new_labels": {"docs"},
		"assignee_id": {strconv.FormatInt(ann.ID, 10)}}).redirectsTo(t, "/acme/site/-/issues/1")
	c.get("/acme/site/-/issues/1").want(t, http.StatusOK, "docs", `<h2>Assignee</h2>
    <p><span class="avatar sm`, `<a href="/ann">ann</a></p>`, "Fixed in <code>main</code>")

	// Filters: by label, assignee, author, text, state.
	c.get("/acme/site/-/issues?label_name=docs").want(t, http.StatusOK, "Broken link")
	if p := c.get("/acme/site/-/issues?label_name=docs"); strings.Contains(p.Body, "Slow page") {
		t.Fatal("the label filter let another issue through")
	}
	c.get("/acme/site/-/issues?assignee_username=ann").want(t, http.StatusOK, "Broken link")
	if p := c.get("/acme/site/-/issues?search=slow"); strings.Contains(p.Body, "Broken link") ||
		!strings.Contains(p.Body, "Slow page") {
		t.Fatal("the search filter")
	}
	c.get("/dashboard/issues").want(t, http.StatusOK, "Broken link")

	// Close, then find it among the closed; reopen.
	c.post("/acme/site/-/issues/1/close", nil).redirectsTo(t, "/acme/site/-/issues/1")
	c.get("/acme/site/-/issues/1").want(t, http.StatusOK, "Closed", "Reopen issue")
	c.get("/acme/site/-/issues?state=closed").want(t, http.StatusOK, "Broken link")
	if p := c.get("/acme/site/-/issues"); strings.Contains(p.Body, "Broken link") {
		t.Fatal("a closed issue in the open list")
	}
	c.post("/acme/site/-/issues/1/reopen", nil).redirectsTo(t, "/acme/site/-/issues/1")
	c.post("/acme/site/-/issues/2/notes", url.Values{"note": {"Done"}, "close": {"1"}})
	c.get("/acme/site/-/issues/2").want(t, http.StatusOK, "Closed", "Done")

	// Pagination.
	for i := 0; i < 21; i++ {
		api(t, f.s, "POST", fmt.Sprintf("/api/v4/projects/%d/issues", f.siteID),
			map[string]any{"title": fmt.Sprintf("bulk %02d", i)}, http.StatusCreated)
	}
	c.get("/acme/site/-/issues").want(t, http.StatusOK, "bulk 20", `rel="next"`)
	c.get("/acme/site/-/issues?page=2").want(t, http.StatusOK, "Broken link", `rel="prev"`)

	// Bob, no member, comments on a public project's issue but may not close it.
	bob := newClient(t, f.s)
	bob.signIn("bob", "password-bob")
	if p := bob.get("/acme/site/-/issues/1"); strings.Contains(p.Body, "Close issue") ||
		!strings.Contains(p.Body, `name="note"`) {
		t.Fatal("bob's view of the issue")
	}
	bob.post("/acme/site/-/issues/1/close", nil).want(t, http.StatusForbidden)
	// Anonymous visitors read, and are asked to sign in to comment.
	newClient(t, f.s).get("/acme/site/-/issues/1").want(t, http.StatusOK, "Sign in</a> to comment")
}

func TestMergeRequests(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := newClient(t, f.s)
	c.signIn("ann", "password-ann")
	c.get("/acme/site/-/merge_requests/new?source_branch=feature%2Flogin&target_branch=main").
		want(t, http.StatusOK, `value="Log in with a form"`, "login.go")
	c.post("/acme/site/-/merge_requests", url.Values{"source_branch": {"feature/login"}, "target_branch": {"main"},
		"title": {"Log in with a form"}, "description": {"Adds `login`"}, "remove_source_branch": {"1"}}).
		redirectsTo(t, "/acme/site/-/merge_requests/1")
	c.post("/acme/site/-/merge_requests", url.Values{"source_branch": {"feature/login"}, "target_branch": {"main"},
		"title": {"Again"}}).want(t, http.StatusConflict, "Another open merge request already exists")
	c.get("/acme/site/-/merge_requests/1").want(t, http.StatusOK, "<code>login</code>", "feature/login",
		"Merge", "Delete source branch")
	c.get("/acme/site/-/merge_requests/1/commits").want(t, http.StatusOK, "Log in with a form")
	c.get("/acme/site/-/merge_requests/1/diffs").want(t, http.StatusOK, "login.go", `<tr class="add">`)
	c.get("/acme/site/-/merge_requests").want(t, http.StatusOK, "Log in with a form")
	c.post("/acme/site/-/merge_requests/1/notes", url.Values{"note": {"Looks good"}})
	c.get("/acme/site/-/merge_requests/1").want(t, http.StatusOK, "Looks good")

	// Bob may not merge; his form is refused.
	bob := newClient(t, f.s)
	bob.signIn("bob", "password-bob")
	if p := bob.get("/acme/site/-/merge_requests/1"); strings.Contains(p.Body, `/merge"`) {
		t.Fatal("bob is offered the merge button")
	}
	bob.post("/acme/site/-/merge_requests/1/merge", nil).want(t, http.StatusForbidden)

	// A merge with the tip Ann saw, deleting the source branch.
	p := c.get("/acme/site/-/merge_requests/1")
	sha := regexp.MustCompile(`name="sha" value="([0-9a-f]{40})"`).FindStringSubmatch(p.Body)
	if sha == nil {
		t.Fatal("no sha in the merge form")
	}
	c.post("/acme/site/-/merge_requests/1/merge", url.Values{"sha": {sha[1]}, "remove_source_branch": {"1"}}).
		redirectsTo(t, "/acme/site/-/merge_requests/1")
	c.get("/acme/site/-/merge_requests/1").want(t, http.StatusOK, "Merged", "The merge request was merged")
	c.get("/acme/site/-/blob/main/login.go").want(t, http.StatusOK, "login")
	c.get("/acme/site/-/tree/feature/login").want(t, http.StatusNotFound)
	c.get("/acme/site/-/merge_requests?state=merged").want(t, http.StatusOK, "Log in with a form")
}

func TestMergeRequestsCloseReopenAndRebase(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	id := strconv.FormatInt(f.siteID, 10)
	// The project merges by fast-forward only, and main moves on after the branch.
	api(t, f.s, "PUT", "/api/v4/projects/"+id, map[string]any{"merge_method": "ff"}, http.StatusOK)
	api(t, f.s, "POST", "/api/v4/projects/"+id+"/repository/commits",
		map[string]any{"branch": "main", "commit_message": "Docs",
			"actions": []map[string]any{{"action": "create", "file_path": "CHANGES.md",
				"content": "- started\n"}}}, http.StatusCreated)
	c := newClient(t, f.s)
	c.signIn("ann", "password-ann")
	c.post("/acme/site/-/merge_requests", url.Values{"source_branch": {"feature/login"}, "target_branch": {"main"},
		"title": {"Login"}}).redirectsTo(t, "/acme/site/-/merge_requests/1")
	c.get("/acme/site/-/merge_requests/1").want(t, http.StatusOK, "rebase the source branch first",
		"Rebase source branch")
	c.post("/acme/site/-/merge_requests/1/merge", nil).want(t, http.StatusConflict, "rebase")
	c.post("/acme/site/-/merge_requests/1/rebase", nil).redirectsTo(t, "/acme/site/-/merge_requests/1")
	c.get("/acme/site/-/merge_requests/1").want(t, http.StatusOK, "Ready to merge", "Fast-forward merge")
	c.post("/acme/site/-/merge_requests/1/close", nil).redirectsTo(t, "/acme/site/-/merge_requests/1")
	c.get("/acme/site/-/merge_requests/1").want(t, http.StatusOK, "Closed", "Reopen")
	c.post("/acme/site/-/merge_requests/1/reopen", nil).redirectsTo(t, "/acme/site/-/merge_requests/1")
	c.get("/acme/site/-/merge_requests/1").want(t, http.StatusOK, "Ready to merge")
}

func TestPersonalAccessTokens(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := newClient(t, f.s)
	c.signIn("ann", "password-ann")
	p := c.get("/-/user_settings/personal_access_tokens").want(t, http.StatusOK, "Read only", "Run agents",
		"in 30 days", "read_api")
	// Administrators' presets and scopes are not offered to others, nor permanent tokens.
	for _, s := range []string{`value="Administrator"`, `value="sudo"`, `value="never"`} {
		if strings.Contains(p.Body, s) {
			t.Fatalf("ann is offered %s", s)
		}
	}
	c.post("/-/user_settings/personal_access_tokens", url.Values{"name": {"ci"}}).want(t,
		http.StatusBadRequest, "Choose a preset or at least one scope")
	c.post("/-/user_settings/personal_access_tokens", url.Values{"scopes": {"admin"}}).want(t,
		http.StatusBadRequest, "administrators")

	// The secret is shown once; it works; the list shows the token, not the secret.
	p = c.post("/-/user_settings/personal_access_tokens",
		url.Values{"name": {"laptop"}, "preset": {"Read Only"}, "expires_in": {"7"}})
	p.want(t, http.StatusCreated, "Your new token “laptop”", "read_api")
	secret := regexp.MustCompile(`id="new-token" value="(cairn_pat_[a-z0-9]+)"`).FindStringSubmatch(p.Body)
	if secret == nil {
		t.Fatalf("no secret on the page")
	}
	if r := f.s.Do(t, "GET", "/api/v4/user", secret[1], nil); r.StatusCode != http.StatusOK {
		t.Fatalf("the new token: %d %s", r.StatusCode, r.Body)
	}
	if r := f.s.Do(t, "POST", "/api/v4/projects", secret[1],
		map[string]any{"name": "nope"}); r.StatusCode != http.StatusForbidden {
		t.Fatalf("a read-only token wrote: %d", r.StatusCode)
	}
	list := c.get("/-/user_settings/personal_access_tokens").want(t, http.StatusOK, "laptop")
	if strings.Contains(list.Body, secret[1]) {
		t.Fatal("the secret is shown again")
	}
	// A token without a name gets one; fine scopes work.
	c.post("/-/user_settings/personal_access_tokens", url.Values{"scopes": {"read_repository", "write_repository"}}).
		want(t, http.StatusCreated, "Your new token “token-")

	// Revoke: the next request with it is refused.
	id := regexp.MustCompile(
		`/-/user_settings/personal_access_tokens/(\d+)/revoke" [^<]*<button [^>]*aria-label="Revoke the token laptop"`).
		FindStringSubmatch(list.Body)
	if id == nil {
		id = regexp.MustCompile(
			`<td>laptop</td>(?s:.*?)personal_access_tokens/(\d+)/revoke`).FindStringSubmatch(list.Body)
	}
	if id == nil {
		t.Fatalf("no revoke form for laptop")
	}
	c.post("/-/user_settings/personal_access_tokens/"+id[1]+"/revoke", nil).redirectsTo(t,
		"/-/user_settings/personal_access_tokens")
	if r := f.s.Do(t, "GET", "/api/v4/user", secret[1], nil); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("the revoked token: %d", r.StatusCode)
	}
	c.get("/-/user_settings/personal_access_tokens").want(t, http.StatusOK, "was revoked", "Revoked and expired tokens")
	// Another user's token cannot be revoked from here.
	bob := newClient(t, f.s)
	bob.signIn("bob", "password-bob")
	bob.post("/-/user_settings/personal_access_tokens/"+id[1]+"/revoke", nil).want(t, http.StatusNotFound)

	// The old settings path leads here.
	c.get("/profile/personal_access_tokens").redirectsTo(t, "/-/user_settings/personal_access_tokens")
}

func TestTheAccountPageResetsThePrivateToken(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := newClient(t, f.s)
	c.signIn("ann", "password-ann")
	c.get("/profile/account").want(t, http.StatusOK, "You have no private token yet", "Create private token")
	p := c.post("/profile/account/reset_private_token", nil).want(t, http.StatusOK, "Your new private token")
	first := regexp.MustCompile(`id="private-token" value="(cairn_pat_[a-z0-9]+)"`).FindStringSubmatch(p.Body)
	if first == nil {
		t.Fatal("no private token shown")
	}
	if r := f.s.Do(t, "GET", "/api/v3/projects?private_token="+first[1], "", nil); r.StatusCode != http.StatusOK {
		t.Fatalf("the private token: %d", r.StatusCode)
	}
	p = c.get("/profile/account").want(t, http.StatusOK, "You have a private token", "Reset private token")
	if strings.Contains(p.Body, first[1]) {
		t.Fatal("the private token is shown again")
	}
	c.post("/profile/account/reset_private_token", nil).want(t, http.StatusOK, "Your new private token")
	if r := f.s.Do(t, "GET", "/api/v3/projects?private_token="+first[1], "",
		nil); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("the reset private token: %d", r.StatusCode)
	}
}

func TestProfileAndPassword(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := newClient(t, f.s)
	c.signIn("ann", "password-ann")
	c.post("/-/user_settings/profile",
		url.Values{"name": {"Ann Smith"}, "email": {"ann@acme.example"}, "bio": {"Front end"}}).
		redirectsTo(t, "/-/user_settings/profile")
	c.get("/-/user_settings/profile").want(t, http.StatusOK, "Your profile was saved", `value="Ann Smith"`, "Front end")
	c.get("/ann").want(t, http.StatusOK, "Ann Smith", "Front end")
	c.post("/-/user_settings/profile", url.Values{"name": {"Ann"}, "email": {"not-an-email"}}).want(t,
		http.StatusBadRequest)

	c.post("/-/user_settings/password", url.Values{"current_password": {"wrong"}, "password": {"new-password-1"},
		"password_confirmation": {"new-password-1"}}).want(t, http.StatusBadRequest,
		"The current password is not right")
	c.post("/-/user_settings/password", url.Values{"current_password": {"password-ann"}, "password": {"new-password-1"},
		"password_confirmation": {"other"}}).want(t, http.StatusBadRequest, "differ")
	c.post("/-/user_settings/password", url.Values{"current_password": {"password-ann"}, "password": {"new-password-1"},
		"password_confirmation": {"new-password-1"}}).redirectsTo(t, "/-/user_settings/password/edit")
	newClient(t, f.s).signIn("ann", "new-password-1")
}

// TestHostileContentRendersInert puts script payloads in a README, an issue and a comment and
// checks that none survives as markup: no script element, handler, javascript: URL or SVG.
func TestHostileContentRendersInert(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	payload := "# Hi\n\n<script>alert('readme')</script>\n\n<img src=x onerror=\"alert('img')\">\n\n" +
		"[click](javascript:alert('link'))\n\n<a href=\"javascript:alert('a')\">a</a>\n\n" +
		"<svg onload=\"alert('svg')\"><circle r=\"4\"/></svg>\n\n<iframe src=\"javascript:alert('frame')\"></iframe>\n\n" +
		"<details open ontoggle=\"alert('toggle')\">x</details>\n\n<p style=\"position:fixed\">styled</p>\n"
	api(t, f.s, "POST", fmt.Sprintf("/api/v4/projects/%d/repository/commits", f.siteID), map[string]any{
		"branch": "main", "commit_message": "<script>alert('commit')</script>",
		"actions": []map[string]any{{"action": "update", "file_path": "README.md", "content": payload}}},
		http.StatusCreated)
	api(t, f.s, "POST", fmt.Sprintf("/api/v4/projects/%d/issues", f.siteID),
		map[string]any{"title": "<script>alert('title')</script>",
			"description": payload}, http.StatusCreated)
	api(t, f.s, "POST", fmt.Sprintf("/api/v4/projects/%d/issues/1/notes", f.siteID),
		map[string]any{"body": payload}, http.StatusCreated)
	c := newClient(t, f.s)
	for _, path := range []string{"/acme/site", "/acme/site/-/blob/main/README.md", "/acme/site/-/issues/1",
		"/acme/site/-/issues",
		"/acme/site/-/commits/main", "/acme/site/-/commit/main"} {
		p := c.get(path).want(t, http.StatusOK)
		body := strings.ToLower(p.Body)
		// The diff and the source view show the payload as text: escaped, it is harmless.
		for _, bad := range []string{"<script>alert", "<img src=x onerror", `<img src="x" onerror`,
			"<svg onload", "<details open ontoggle",
			`href="javascript:`, "<iframe", `style="position`} {
			if strings.Contains(body, bad) {
				t.Errorf("%s contains %q", path, bad)
			}
		}
		if strings.Count(body, "<script") != 1 { // cairn.js, and nothing else
			t.Errorf("%s has %d script elements", path, strings.Count(body, "<script"))
		}
	}
}

// TestWebURLsOfTheAPIAnswer checks that every web_url (and the like) the dialects return
// names a page that answers 200.
func TestWebURLsOfTheAPIAnswer(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	s := f.s
	id := strconv.FormatInt(f.siteID, 10)
	api(t, s, "POST", "/api/v4/projects/"+id+"/issues", map[string]any{"title": "An issue"}, http.StatusCreated)
	api(t, s, "POST", "/api/v4/projects/"+id+"/merge_requests",
		map[string]any{"title": "An MR", "source_branch": "feature/login",
			"target_branch": "main"}, http.StatusCreated)
	api(t, s, "POST", "/api/v4/projects/"+id+"/repository/tags",
		map[string]any{"tag_name": "v1.0", "ref": "main"}, http.StatusCreated)
	api(t, s, "POST", "/api/v4/projects/"+id+"/releases", map[string]any{"tag_name": "v1.0", "name": "One"},
		http.StatusCreated)
	sources := []string{
		"/api/v4/projects/" + id, "/api/v4/projects", "/api/v4/groups", "/api/v4/groups/acme", "/api/v4/namespaces",
		"/api/v4/users", "/api/v4/user", "/api/v4/projects/" + id + "/issues", "/api/v4/projects/" + id +
			"/merge_requests",
		"/api/v4/projects/" + id + "/repository/commits", "/api/v4/projects/" + id + "/repository/commits/main",
		"/api/v4/projects/" + id + "/repository/branches", "/api/v4/projects/" + id + "/releases",
		"/api/v4/projects/" + id + "/repository/compare?from=main&to=feature%2Flogin",
		"/api/v3/projects/" + id, "/api/repos/acme/site", "/api/repos/acme/site/pulls",
		"/v1/repositories/acme/site", "/v1/teams",
	}
	seen := map[string]bool{}
	for _, src := range sources {
		r := s.Do(t, "GET", src, s.AdminToken, nil)
		if r.StatusCode != http.StatusOK {
			t.Errorf("%s: %d %s", src, r.StatusCode, r.Body)
			continue
		}
		var v any
		if err := json.Unmarshal(r.Body, &v); err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		for _, u := range webURLs(v, "") {
			seen[u] = true
		}
	}
	if len(seen) < 15 {
		t.Fatalf("only %d web URLs found: %v", len(seen), seen)
	}
	c := newClient(t, s)
	c.signIn("root", rootPassword(t, s))
	for u := range seen {
		path := strings.TrimPrefix(u, s.URL)
		if path == u {
			t.Errorf("web URL %s is not on this server", u)
			continue
		}
		if p := c.get(path); p.StatusCode != http.StatusOK {
			t.Errorf("%s: %d", u, p.StatusCode)
		}
	}
}

// webURLs collects the values of the fields that name pages: web_url, html_url, and the
// release links' self, commit_path and tag_path.
func webURLs(v any, key string) []string {
	var out []string
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			out = append(out, webURLs(e, k)...)
		}
	case []any:
		for _, e := range x {
			out = append(out, webURLs(e, key)...)
		}
	case string:
		switch key {
		case "web_url", "html_url", "self":
			if strings.HasPrefix(x, "http") && !strings.Contains(x, "/api/") &&
				!strings.HasPrefix(strings.TrimPrefix(x, "http://"), "v1") {
				out = append(out, x)
			}
		}
	}
	return out
}

// A branch whose name would be a folder of an existing branch's (or the reverse) cannot be
// made in git: the form says so, with the name kept, and makes nothing.
func TestTheBranchFormRefusesANameThatClashesWithABranch(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := newClient(t, f.s)
	c.signIn("root", rootPassword(t, f.s))
	for _, tt := range []struct{ name, want string }{
		{"feature/login/v2", "Cannot create branch &#39;feature/login/v2&#39;: branch &#39;feature/login&#39; exists"},
		{"feature", "Cannot create branch &#39;feature&#39;: branch &#39;feature/login&#39; exists"},
	} {
		c.post("/acme/site/-/branches", url.Values{"branch_name": {tt.name}, "ref": {"main"}}).
			want(t, http.StatusBadRequest, tt.want, `value="`+tt.name+`"`)
		c.get("/acme/site/-/tree/"+tt.name).want(t, http.StatusNotFound)
	}
}

package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func TestReferencesLinkOnlyWhatTheReaderMaySee(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	s := f.s
	var sha struct {
		ID string `json:"id"`
	}
	api(t, s, "GET", fmt.Sprintf("/api/v4/projects/%d/repository/commits/main", f.siteID), nil,
		http.StatusOK).JSON(t, &sha)
	api(t, s, "POST", fmt.Sprintf("/api/v4/projects/%d/issues", f.vaultID),
		map[string]any{"title": "Rotate the keys"}, http.StatusCreated)
	api(t, s, "POST", fmt.Sprintf("/api/v4/projects/%d/issues", f.siteID),
		map[string]any{"title": "Broken <b> tag"}, http.StatusCreated)
	api(t, s, "PUT", fmt.Sprintf("/api/v4/projects/%d/issues/1", f.siteID),
		map[string]any{"state_event": "close"}, http.StatusOK)
	api(t, s, "POST", fmt.Sprintf("/api/v4/projects/%d/merge_requests", f.siteID), map[string]any{
		"title": "Log in", "source_branch": "feature/login", "target_branch": "main"}, http.StatusCreated)
	api(t, s, "POST", fmt.Sprintf("/api/v4/projects/%d/issues", f.siteID),
		map[string]any{"title": "Leaked key", "confidential": true}, http.StatusCreated)
	body := fmt.Sprintf(
		"Fixes #1 in !1, cc @ann and @acme, see %s; also vault#1, acme/vault#1, #77 and `#1`; hush #2.", sha.ID[:8])
	api(t, s, "POST", fmt.Sprintf("/api/v4/projects/%d/issues", f.siteID),
		map[string]any{"title": "Follow-up", "description": body}, http.StatusCreated)
	api(t, s, "POST", fmt.Sprintf("/api/v4/projects/%d/issues/3/notes", f.siteID),
		map[string]any{"body": "Same as #1"}, http.StatusCreated)

	public := []string{
		`<a href="/acme/site/-/issues/1" class="gfm gfm-issue" title="Broken &lt;b&gt; tag" rel="nofollow noreferrer">#1 (closed)</a>`,
		`<a href="/acme/site/-/merge_requests/1" class="gfm gfm-merge_request" title="Log in" rel="nofollow noreferrer">!1</a>`,
		`<a href="/acme" class="gfm gfm-project_member" title="Acme"`,
		`<a href="/acme/site/-/commit/` + sha.ID +
			`" class="gfm gfm-commit" title="Add the site" rel="nofollow noreferrer">` + sha.ID[:8] + `</a>`,
		"#77 and <code>#1</code>",
		`Same as <a href="/acme/site/-/issues/1"`,
	}
	vaultLinks := []string{
		`<a href="/acme/vault/-/issues/1" class="gfm gfm-issue" title="Rotate the keys" rel="nofollow noreferrer">vault#1</a>`,
		`<a href="/acme/vault/-/issues/1" class="gfm gfm-issue" title="Rotate the keys" rel="nofollow noreferrer">acme/vault#1</a>`,
	}
	for _, reader := range []struct {
		name      string
		login     string
		seesVault bool
	}{{"anonymous", "", false}, {"outsider", "bob", false}, {"maintainer", "ann", true}} {
		c := newClient(t, s)
		if reader.login != "" {
			c.signIn(reader.login, "password-"+reader.login)
		}
		p := c.get("/acme/site/-/issues/3").want(t, http.StatusOK, public...)
		// Users are seen by those signed in, as forge shows them.
		if user := strings.Contains(p.Body,
			`<a href="/ann" class="gfm gfm-project_member"`); user != (reader.login != "") {
			t.Errorf("%s: @ann linked: %v", reader.name, user)
		}
		if reader.seesVault {
			p.want(t, http.StatusOK, vaultLinks...)
			p.want(t, http.StatusOK, `hush <a href="/acme/site/-/issues/2" class="gfm gfm-issue" title="Leaked key"`)
			continue
		}
		p.want(t, http.StatusOK, "also vault#1, acme/vault#1, #77", "hush #2.")
		if strings.Contains(p.Body, "/acme/vault") || strings.Contains(p.Body, "Rotate the keys") ||
			strings.Contains(p.Body, "Leaked key") {
			t.Errorf("%s: a private project's or a confidential issue is linked or named:\n%s", reader.name,
				excerpt(p.Body))
		}
	}
}

func TestReferencesInAPreviewAndAReadmeAreLinked(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	s := f.s
	api(t, s, "POST", fmt.Sprintf("/api/v4/projects/%d/issues", f.siteID), map[string]any{"title": "First"},
		http.StatusCreated)
	api(t, s, "POST", fmt.Sprintf("/api/v4/projects/%d/repository/commits", f.siteID), map[string]any{
		"branch": "main", "commit_message": "Name the tracker",
		"actions": []map[string]any{{"action": "update", "file_path": "README.md",
			"content": "# Acme site\n\nTracked in #1.\n"}}},
		http.StatusCreated)
	c := newClient(t, s)
	c.get("/acme/site").want(t, http.StatusOK,
		`Tracked in <a href="/acme/site/-/issues/1" class="gfm gfm-issue" title="First"`)
	c.signIn("ann", "password-ann")
	c.get("/acme/site/-/issues/1")
	c.post("/acme/site/-/issues/1/notes", map[string][]string{"note": {"dup of #1"}, "preview": {"1"}}).
		want(t, http.StatusOK, `dup of <a href="/acme/site/-/issues/1" class="gfm gfm-issue"`)
}

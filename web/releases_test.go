package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func TestReleasesListAndPage(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	s := f.s
	for _, id := range []int64{f.siteID, f.vaultID} {
		api(t, s, "POST", fmt.Sprintf("/api/v4/projects/%d/issues", id), map[string]any{"title": "Ship it"},
			http.StatusCreated)
		api(t, s, "POST", fmt.Sprintf("/api/v4/projects/%d/releases", id),
			map[string]any{"tag_name": "v1.0", "ref": "main",
				"name":        "First light",
				"description": "Closes #1; see [the guide](docs/guide.md).\n\n<script>alert(1)</script>"},
			http.StatusCreated)
	}
	api(t, s, "POST", fmt.Sprintf("/api/v4/projects/%d/releases", f.siteID),
		map[string]any{"tag_name": "v1.1", "ref": "feature/login"}, http.StatusCreated)

	c := newClient(t, s)
	p := c.get("/acme/site/-/releases").want(t, http.StatusOK, "<h1>Releases</h1>",
		`<a href="/acme/site/-/releases/v1.0">First light</a>`, `<a href="/acme/site/-/releases/v1.1">v1.1</a>`,
		`<a class="mono" href="/acme/site/-/tags/v1.0">v1.0</a>`,
		`Closes <a href="/acme/site/-/issues/1" class="gfm gfm-issue" title="Ship it"`,
		`href="/acme/site/-/blob/v1.0/docs/guide.md"`, `aria-current="page">Releases</a>`)
	if strings.Contains(p.Body, "<script>alert") {
		t.Fatal("a release's notes run script")
	}
	if strings.Index(p.Body, "v1.1") > strings.Index(p.Body, "First light") {
		t.Error("the newest release is not listed first")
	}
	c.get("/acme/site/-/releases/v1.0").want(t, http.StatusOK, "<h1>First light</h1>", "released",
		"All releases", "1 commit shipped first by this release")
	c.get("/acme/site/-/releases/v9").want(t, http.StatusNotFound)
	c.get("/acme/site/-/tags/v1.0").want(t, http.StatusOK, `<a href="/acme/site/-/releases/v1.0">First light</a>`)
	c.get("/acme/site").want(t, http.StatusOK, `href="/acme/site/-/releases"`)

	// A private project's releases are not found by outsiders, and shown to its members.
	c.get("/acme/vault/-/releases").want(t, http.StatusNotFound)
	c.get("/acme/vault/-/releases/v1.0").want(t, http.StatusNotFound)
	bob := newClient(t, s)
	bob.signIn("bob", "password-bob")
	bob.get("/acme/vault/-/releases").want(t, http.StatusNotFound)
	ann := newClient(t, s)
	ann.signIn("ann", "password-ann")
	ann.get("/acme/vault/-/releases").want(t, http.StatusOK, "First light", `href="/acme/vault/-/issues/1"`)
	ann.get("/acme/vault/-/releases/v1.0").want(t, http.StatusOK, "First light")
}

func TestAProjectWithoutReleasesSaysHowToMakeOne(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	newClient(t, f.s).get("/acme/site/-/releases").want(t, http.StatusOK, "No releases", "POST /projects/:id/releases")
}

package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestDashboardActivityShowsIssuesMergeRequestsAndComments(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	guest := addMember(t, f, f.siteID, "gus", 10)
	ann := userClient(t, f.s, "ann")
	ann.post("/acme/site/-/issues", url.Values{"title": {"Broken link"}}).redirectsTo(t, "/acme/site/-/issues/1")
	ann.get("/acme/site/-/issues/1")
	ann.post("/acme/site/-/issues/1/notes", url.Values{"note": {"Found it"}})
	api(t, f.s, "POST", fmt.Sprintf("/api/v4/projects/%d/issues", f.siteID), map[string]any{"title": "Password in logs", "confidential": true}, http.StatusCreated)
	ann.post("/acme/site/-/merge_requests", url.Values{"source_branch": {"feature/login"}, "target_branch": {"main"},
		"title": {"Login form"}}).redirectsTo(t, "/acme/site/-/merge_requests/1")

	p := ann.get("/dashboard/projects").want(t, http.StatusOK, "Recent activity",
		`opened issue <a href="/acme/site/-/issues/1">#1</a> in <a href="/acme/site">site</a>`,
		`commented on issue <a href="/acme/site/-/issues/1#note_`,
		`opened merge request <a href="/acme/site/-/merge_requests/1">!1</a>`,
		`opened issue <a href="/acme/site/-/issues/2">#2</a>`, "Password in logs", "Login form", ">ann<")
	if !strings.Contains(p.Body, "Broken link") {
		t.Error("the issue's title is not shown")
	}
	// A guest sees the project's activity but not the confidential issue's.
	p = guest.get("/dashboard/projects").want(t, http.StatusOK, "Recent activity", "Broken link", "Login form")
	if strings.Contains(p.Body, "Password in logs") || strings.Contains(p.Body, "/acme/site/-/issues/2") {
		t.Errorf("a guest sees the confidential issue's activity:\n%s", excerpt(p.Body))
	}
}

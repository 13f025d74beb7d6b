package web_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestEveryPageRenders reads each kind of page as a signed-in developer and checks what
// every page shares: status 200, HTML, one h1, the security headers.
func TestEveryPageRenders(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := newClient(t, f.s)
	c.signIn("ann", "password-ann")
	pages := []struct{ path, want string }{
		{"/", "Your projects"},
		{"/dashboard/projects", "Acme / site"},
		{"/dashboard/groups", "Your groups"},
		{"/dashboard/issues", "Issues"},
		{"/dashboard/merge_requests", "Merge requests"},
		{"/explore", "Explore projects"},
		{"/explore/groups", "Explore groups"},
		{"/projects/new", "New project"},
		{"/groups/new", "New group"},
		{"/groups/acme", "site"},
		{"/acme", "site"},
		{"/ann", "ann"},
		{"/acme/site", "Acme site"},
		{"/acme/site/-/tree/main", "main.go"},
		{"/acme/site/-/tree/main/docs", "guide.md"},
		{"/acme/site/-/tree/feature/login", "login.go"},
		{"/acme/site/-/blob/main/main.go", `id="L6"`},
		{"/acme/site/-/blob/main/README.md", "<table>"},
		{"/acme/site/-/blob/main/README.md?plain=1", `id="L1"`},
		{"/acme/site/-/blame/main/main.go", "Add the site"},
		{"/acme/site/-/commits/main", "Add the site"},
		{"/acme/site/-/commits/main/main.go", "Add the site"},
		{"/acme/site/-/branches", "feature/login"},
		{"/acme/site/-/tags", "Tags"},
		{"/acme/site/-/compare", "Compare"},
		{"/acme/site/-/compare/main...feature/login", "Log in with a form"},
		{"/acme/site/-/issues", "Issues"},
		{"/acme/site/-/issues/new", "New issue"},
		{"/acme/site/-/merge_requests", "Merge requests"},
		{"/acme/site/-/merge_requests/new?source_branch=feature/login", "Log in with a form"},
		{"/acme/vault", "vault"},
		{"/-/user_settings/personal_access_tokens", "Personal access tokens"},
		{"/-/user_settings/profile", "Profile"},
		{"/-/user_settings/password/edit", "Password"},
		{"/profile/account", "Private token"},
	}
	for _, p := range pages {
		got := c.get(p.path, "Accept-Encoding", "gzip")
		if !got.check(t, http.StatusOK, p.want) {
			continue
		}
		if n := strings.Count(got.Body, "<h1"); n != 1 {
			t.Errorf("%s: %d h1 elements, want 1", p.path, n)
		}
		if ct := got.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("%s: Content-Type %q", p.path, ct)
		}
		if csp := got.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("%s: Content-Security-Policy %q", p.path, csp)
		}
		if strings.Contains(got.Body, "<script>") || strings.Contains(got.Body, " style=") {
			t.Errorf("%s: inline script or style", p.path)
		}
	}
}

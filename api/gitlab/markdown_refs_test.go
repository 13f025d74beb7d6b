package gitlab_test

import (
	"strings"
	"testing"
)

// POST /markdown links references as the pages do: with a project, "#1" is its issue, by the
// instance's address; a private project's issue stays text to those who may not see it.
func TestMarkdownLinksReferences(t *testing.T) {
	t.Parallel()
	f := newRepoFixture(t, nil)
	alice := f.member("alice", 0)
	mustDo(t, f.s, 201, "POST", f.url("/issues"), f.token, map[string]any{"title": "First"})
	var out struct{ HTML string }
	mustDo(t, f.s, 201, "POST", "/api/v4/markdown", f.token,
		map[string]any{"text": "See #1 and " + f.path + "#1.", "project": f.path}).JSON(t, &out)
	want := `<a href="` + f.s.URL + "/" + f.path + `/-/issues/1" class="gfm gfm-issue" title="First"`
	if strings.Count(out.HTML, want) != 2 {
		t.Errorf("html lacks two links %s:\n%s", want, out.HTML)
	}
	// Without a project, full paths still resolve, for those who see them.
	mustDo(t, f.s, 201, "POST", "/api/v4/markdown", f.token,
		map[string]any{"text": "See " + f.path + "#1."}).JSON(t, &out)
	if !strings.Contains(out.HTML, want) {
		t.Errorf("html lacks %s:\n%s", want, out.HTML)
	}
	mustDo(t, f.s, 201, "POST", "/api/v4/markdown", alice,
		map[string]any{"text": "See " + f.path + "#1."}).JSON(t, &out)
	if strings.Contains(out.HTML, "<a") || strings.Contains(out.HTML, "First") {
		t.Errorf("a private project's issue is linked for a stranger:\n%s", out.HTML)
	}
}

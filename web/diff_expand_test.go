package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func TestHiddenDiffLinesShowWithoutJavaScript(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var before, after []string
	for i := 1; i <= 100; i++ {
		before = append(before, fmt.Sprintf("line %d", i))
	}
	after = append(after, before[:10]...)
	after = append(after, "new a", "new b")
	after = append(after, before[10:49]...)
	after = append(after, "line 50 changed")
	after = append(after, before[50:]...)
	commits := fmt.Sprintf("/api/v4/projects/%d/repository/commits", f.siteID)
	api(t, f.s, "POST", commits, map[string]any{"branch": "main", "commit_message": "Add numbers",
		"actions": []map[string]any{{"action": "create", "file_path": "numbers.txt",
			"content": strings.Join(before, "\n") + "\n"}}}, http.StatusCreated)
	var c struct{ ID string }
	api(t, f.s, "POST", commits, map[string]any{"branch": "main", "commit_message": "Change numbers",
		"actions": []map[string]any{{"action": "update", "file_path": "numbers.txt",
			"content": strings.Join(after, "\n") + "\n"}}}, http.StatusCreated).JSON(t, &c)
	page := "/acme/site/-/commit/" + c.ID
	row := func(old, new int) string {
		return fmt.Sprintf(
			`<tr><td class="num">%d</td><td class="num">%d</td><td class="sign"> </td><td class="line">line %d</td></tr>`, old, new, old)
	}
	link := func(expand ...string) string {
		return `href="` + page + "?expand=" + strings.Join(expand, "&amp;expand=") + `#diff-0"`
	}

	// Hunks at new lines 8-15 and 49-55: 7 lines hidden above, 33 between, 45 after.
	cl := newClient(t, f.s)
	p := cl.get(page).want(t, http.StatusOK, link("0.0.20"), "Show 7 hidden lines", link("0.1.20"),
		"Show 20 more lines", link("0.2.20"))
	if strings.Contains(p.Body, row(30, 32)) {
		t.Fatal("a hidden line is shown")
	}
	// The 20 lines above the second hunk, numbered on both sides; its link asks for 20 more.
	cl.get(page+"?expand=0.1.20").want(t, http.StatusOK, row(27, 29), row(46, 48), link("0.1.40"),
		"Show 13 hidden lines")
	if p = cl.get(page + "?expand=0.1.20"); strings.Contains(p.Body, row(26, 28)) {
		t.Fatal("more than 20 lines shown")
	}
	// All of them, with the gap above the first hunk too: no link is left for either.
	p = cl.get(page+"?expand=0.1.40&expand=0.0.20").want(t, http.StatusOK, row(14, 16), row(1, 1), row(7, 7))
	if n := strings.Count(p.Body, `class="expand"`); n != 1 ||
		!strings.Contains(p.Body, link("0.0.20", "0.1.40", "0.2.20")) {
		t.Fatalf("%d links, want the one below the last change only:\n%s", n, excerpt(p.Body))
	}
	// After the last change: 20 lines, then the rest, then no link below.
	cl.get(page+"?expand=0.2.20").want(t, http.StatusOK, row(54, 56), row(73, 75), link("0.2.40"))
	p = cl.get(page+"?expand=0.2.60").want(t, http.StatusOK, row(98, 100))
	if strings.Contains(p.Body, "expand=0.2.80") {
		t.Fatal("a link below the file's end")
	}
	// Nonsense is ignored, and left out of the links.
	cl.get(page+"?expand=x&expand=0.1.-3&expand=0..1").want(t, http.StatusOK, link("0.1.20"))

	// The merge request's changes expand alike.
	api(t, f.s, "POST", fmt.Sprintf("/api/v4/projects/%d/merge_requests", f.siteID), map[string]any{
		"title": "Login", "source_branch": "feature/login", "target_branch": "main"}, http.StatusCreated)
	mr := cl.get("/acme/site/-/merge_requests/1/diffs").want(t, http.StatusOK, "main.go")
	if !strings.Contains(mr.Body, "expand=") {
		t.Fatalf("no expand link on the merge request's changes:\n%s", excerpt(mr.Body))
	}
}

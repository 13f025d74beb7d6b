package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserSettingsMembersReleasesAndDiffs drives the pages of the second part in a real
// browser: a project's settings and members, references followed from an issue, a release,
// hidden diff lines shown by their link, and a project deleted once its path is typed.
func TestBrowserSettingsMembersReleasesAndDiffs(t *testing.T) {
	b := newBrowser(t)
	f := newFixture(t)
	base := f.s.URL
	commits := fmt.Sprintf("/api/v4/projects/%d/repository/commits", f.siteID)
	var lines []string
	for i := 1; i <= 60; i++ {
		lines = append(lines, fmt.Sprintf("line %d", i))
	}
	api(t, f.s, "POST", commits, map[string]any{"branch": "main", "commit_message": "Numbers",
		"actions": []map[string]any{{"action": "create", "file_path": "numbers.txt",
			"content": strings.Join(lines, "\n") + "\n"}}}, http.StatusCreated)
	lines[39] = "line forty"
	var c struct{ ID string }
	api(t, f.s, "POST", commits, map[string]any{"branch": "main", "commit_message": "Spell forty",
		"actions": []map[string]any{{"action": "update", "file_path": "numbers.txt",
			"content": strings.Join(lines, "\n") + "\n"}}}, http.StatusCreated).JSON(t, &c)
	api(t, f.s, "POST", fmt.Sprintf("/api/v4/projects/%d/issues", f.siteID),
		map[string]any{"title": "Count to sixty"}, http.StatusCreated)
	api(t, f.s, "POST", fmt.Sprintf("/api/v4/projects/%d/issues", f.siteID), map[string]any{"title": "Follow-up",
		"description": "After #1, in " + c.ID[:8] + "."}, http.StatusCreated)
	api(t, f.s, "POST", fmt.Sprintf("/api/v4/projects/%d/releases", f.siteID),
		map[string]any{"tag_name": "v1.0", "ref": "main",
			"name": "Sixty", "description": "Closes #1."}, http.StatusCreated)

	b.open(base + "/users/sign_in")
	b.fill("#login", "ann")
	b.fill("#password", "password-ann")
	b.submit("sign in as ann", "button[type=submit]")

	// A dismissable broadcast message goes away with its button, and stays away.
	api(t, f.s, "POST", "/api/v4/broadcast_messages",
		map[string]any{"message": "Maintenance tonight", "dismissable": true}, http.StatusCreated)
	b.open(base + "/")
	b.see("the broadcast message", "Maintenance tonight")
	b.audit("broadcast message")
	b.submit("dismiss the message", `form.broadcast-dismiss button`)
	b.see("back on the page", "Your projects")
	b.open(base + "/acme/site")
	if strings.Contains(b.text("body"), "Maintenance tonight") {
		t.Fatal("the dismissed message is shown again")
	}
	b.clean("broadcast")

	// References lead to what they name.
	b.open(base + "/acme/site/-/issues/2")
	b.submit("follow #1", `.markdown a.gfm-issue`)
	b.see("the issue named", "Count to sixty")
	b.open(base + "/acme/site/-/issues/2")
	b.submit("follow the commit", `.markdown a.gfm-commit`)
	b.see("the commit named", "Spell forty")
	b.clean("references")

	// Hidden lines of the diff, shown by their link.
	b.see("the commit's diff", "line forty")
	if strings.Contains(b.text("body"), "line 20") {
		t.Fatal("a hidden line is shown")
	}
	b.submit("show more lines", `a.expand`)
	b.see("lines above the change", "line 20", "line 36")
	b.audit("expanded diff")
	b.clean("diff expansion")

	// Releases.
	b.open(base + "/acme/site/-/releases")
	b.audit("releases")
	b.submit("open the release", `a[href="/acme/site/-/releases/v1.0"]`)
	b.see("release", "Sixty", "v1.0", "Closes #1")
	b.audit("release")
	b.clean("releases")

	// Settings.
	b.open(base + "/acme/site")
	b.submit("settings tab", `ul.tabs a[href="/acme/site/-/settings/general"]`)
	b.audit("settings")
	b.fill("#description", "Counting made easy")
	b.submit("save the settings", `form[action="/acme/site/-/settings/general"] button[type=submit]`)
	b.see("settings saved", "The project's settings were saved")
	b.open(base + "/acme/site")
	b.see("the new description", "Counting made easy")
	b.clean("settings")

	// Members: add bob, make him a developer, remove him.
	b.open(base + "/acme/site/-/project_members")
	b.audit("members")
	b.fill("#username", "bob")
	b.do("choose Reporter", chromedp.SetValue(chromedp.CSS("#access_level"), "20"))
	b.submit("add bob", `form[action="/acme/site/-/project_members"] button[type=submit]`)
	b.see("bob added", "bob was added as Reporter")
	b.audit("members with bob")
	var bob []struct{ ID int64 }
	api(t, f.s, "GET", "/api/v4/users?username=bob", nil, http.StatusOK).JSON(t, &bob)
	b.do("choose Developer", chromedp.SetValue(chromedp.CSS(fmt.Sprintf("#level-%d", bob[0].ID)), "30"))
	b.submit("change bob's role", fmt.Sprintf(`form[action="/acme/site/-/project_members/%d"] button`, bob[0].ID))
	b.see("bob changed", "bob is now Developer")
	b.submit("remove bob", `button[aria-label="Remove bob"]`)
	b.see("bob removed", "The member was removed")
	b.clean("members")

	// Deleting needs the owner, and the project's path typed.
	b.do("open the account menu", chromedp.Click(chromedp.CSS(`summary[aria-label="Your account"]`)))
	b.submit("sign out", `form[action="/users/sign_out"] button`)
	b.open(base + "/users/sign_in")
	b.fill("#login", "root")
	b.fill("#password", rootPassword(t, f.s))
	b.submit("sign in as root", "button[type=submit]")
	// GitLab's settings address, and a transfer to root's own namespace.
	var root []struct{ ID int64 }
	api(t, f.s, "GET", "/api/v4/namespaces?search=root", nil, http.StatusOK).JSON(t, &root)
	b.open(base + "/acme/vault/edit")
	b.see("the settings by GitLab's address", "Transfer the project")
	b.do("choose root's namespace", chromedp.SetValue(chromedp.CSS("#namespace_id"), fmt.Sprint(root[0].ID)))
	b.submit("transfer", `form[action="/acme/vault/-/settings/transfer"] button[type=submit]`)
	b.see("transferred", "The project was transferred to root/vault")
	b.clean("transfer")

	b.open(base + "/acme/site/-/settings/general")
	b.fill("#confirm", "acme/nope")
	b.submit("delete, mistyped", `form[action="/acme/site/-/settings/delete"] button[type=submit]`)
	b.see("refused", "Type acme/site to confirm the deletion.")
	time.Sleep(50 * time.Millisecond)
	for _, p := range b.takeProblems() {
		if !strings.Contains(p, "400 (Bad Request)") { // the refusal's own status
			t.Errorf("refused deletion: %s", p)
		}
	}
	b.fill("#confirm", "acme/site")
	b.submit("delete", `form[action="/acme/site/-/settings/delete"] button[type=submit]`)
	b.see("deleted", "Project acme/site was deleted")
	b.clean("deletion")
}

package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"regexp"
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
	ann.post("/acme/site/-/issues/1/notes",
		url.Values{"note": {"\nFound it: the guide's link lacks the **docs/** prefix, which every page that links the guide copies, so all of them break\n\nSecond paragraph"}})
	api(t, f.s, "POST", fmt.Sprintf("/api/v4/projects/%d/issues", f.siteID),
		map[string]any{"title": "Password in logs", "confidential": true}, http.StatusCreated)
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
	// A comment shows its first line, cut, and links to the note.
	link := regexp.MustCompile(`href="/acme/site/-/issues/1#(note_\d+)"`).FindStringSubmatch(p.Body)
	if link == nil {
		t.Fatal("no link to the comment")
	}
	ann.get("/acme/site/-/issues/1").want(t, http.StatusOK, `id="`+link[1]+`"`)
	if !strings.Contains(p.Body,
		"Found it: the guide&#39;s link lacks the **docs/** prefix, which every page that links the guide copies, so all of them…") ||
		strings.Contains(p.Body, "Second paragraph") {
		t.Errorf("the comment's excerpt is wrong:\n%s", excerpt(p.Body))
	}
	// A guest sees the project's activity but not the confidential issue's.
	p = guest.get("/dashboard/projects").want(t, http.StatusOK, "Recent activity", "Broken link", "Login form")
	if strings.Contains(p.Body, "Password in logs") || strings.Contains(p.Body, "/acme/site/-/issues/2") {
		t.Errorf("a guest sees the confidential issue's activity:\n%s", excerpt(p.Body))
	}
}

// A merge request merged by a push (its source pushed into its target) is "merged" in the
// activity, as one merged on its page is.
func TestDashboardActivityShowsAMergeByPush(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git CLI")
	}
	t.Parallel()
	f := newFixture(t)
	ann := userClient(t, f.s, "ann")
	ann.post("/acme/site/-/merge_requests", url.Values{"source_branch": {"feature/login"}, "target_branch": {"main"},
		"title": {"Login form"}}).redirectsTo(t, "/acme/site/-/merge_requests/1")

	dir := t.TempDir()
	remote := strings.Replace(f.s.URL, "http://", "http://ann:"+f.annToken+"@", 1) + "/acme/site.git"
	git(t, dir, "clone", "--quiet", remote, "site")
	git(t, filepath.Join(dir, "site"), "push", "--quiet", "origin", "origin/feature/login:refs/heads/main")

	ann.get("/acme/site/-/merge_requests/1").want(t, http.StatusOK, "Merged")
	ann.get("/dashboard/projects").want(t, http.StatusOK,
		`merged merge request <a href="/acme/site/-/merge_requests/1">!1</a>`, "pushed to branch")
	var events []struct {
		ActionName string `json:"action_name"`
		TargetIID  int64  `json:"target_iid"`
		AuthorID   int64  `json:"author_id"`
	}
	api(t, f.s, "GET", fmt.Sprintf("/api/v4/projects/%d/events?action=merged", f.siteID), nil,
		http.StatusOK).JSON(t, &events)
	if len(events) != 1 || events[0].ActionName != "accepted" || events[0].TargetIID != 1 || events[0].AuthorID == 0 {
		t.Errorf("merged events: %+v", events)
	}
}

// Pushes name commits, so they are in the activity of those who may read the code only: as
// GitLab's, guests of a private project see its issues' events but not its pushes, guests of
// a public project see both.
func TestPushEventsAreForThoseWhoReadTheCode(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, id := range []int64{f.siteID, f.vaultID} {
		api(t, f.s, "POST", fmt.Sprintf("/api/v4/projects/%d/repository/commits", id), map[string]any{
			"branch": "main", "commit_message": "Rotate the secret key",
			"actions": []map[string]any{{"action": "create", "file_path": "key.txt", "content": "k"}}},
			http.StatusCreated)
		api(t, f.s, "POST", fmt.Sprintf("/api/v4/projects/%d/issues", id),
			map[string]any{"title": "Rotate keys yearly"}, http.StatusCreated)
	}
	for _, tc := range []struct {
		project    string
		id         int64
		level      int
		seesPushes bool
	}{
		{"vault", f.vaultID, 10, false},
		{"vault", f.vaultID, 20, true},
		{"vault", f.vaultID, 30, true},
		{"site", f.siteID, 10, true},
	} {
		t.Run(fmt.Sprintf("%s/%d", tc.project, tc.level), func(t *testing.T) {
			name := fmt.Sprintf("%s%d", tc.project, tc.level)
			uid, token := f.s.CreateUser(t, name)
			api(t, f.s, "POST", fmt.Sprintf("/api/v4/projects/%d/members", tc.id), map[string]any{"user_id": uid,
				"access_level": tc.level}, http.StatusCreated)
			c := userClient(t, f.s, name)
			r := f.s.Do(t, "GET", fmt.Sprintf("/api/v4/projects/%d/events", tc.id), token, nil)
			var events []struct {
				ActionName string          `json:"action_name"`
				PushData   json.RawMessage `json:"push_data"`
			}
			if err := json.Unmarshal(r.Body, &events); err != nil || r.StatusCode != http.StatusOK {
				t.Fatalf("events: %d %s", r.StatusCode, r.Body)
			}
			pushes, others := 0, 0
			for _, e := range events {
				if e.PushData != nil {
					pushes++
				} else {
					others++
				}
			}
			if (pushes > 0) != tc.seesPushes || others == 0 {
				t.Errorf("the API lists %d pushes and %d other events", pushes, others)
			}
			p := c.get("/dashboard/projects").want(t, http.StatusOK, "Rotate keys yearly")
			if strings.Contains(p.Body, "Rotate the secret key") != tc.seesPushes {
				t.Errorf("the dashboard shows the pushed commit: %v, want %v", !tc.seesPushes, tc.seesPushes)
			}
		})
	}
}

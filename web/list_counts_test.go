package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"testing"
)

// The state tabs of the issue and merge request lists count what each state's list holds,
// for every reader and filter: confidential issues for those who may see them, labels and
// searches applied.
func TestListTabsCountWhatEachStateLists(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	project := fmt.Sprintf("/api/v4/projects/%d", f.siteID)
	guestID, guestToken := f.s.CreateUser(t, "gus")
	api(t, f.s, "POST", project+"/members", map[string]any{"user_id": guestID, "access_level": 10}, http.StatusCreated)
	reporterID, reporterToken := f.s.CreateUser(t, "rita")
	api(t, f.s, "POST", project+"/members", map[string]any{"user_id": reporterID, "access_level": 20},
		http.StatusCreated)

	issue := func(token string, body map[string]any, close bool) {
		r := f.s.Do(t, "POST", project+"/issues", token, body)
		if r.StatusCode != http.StatusCreated {
			t.Fatalf("create issue: %d %s", r.StatusCode, r.Body)
		}
		if close {
			var is struct{ IID int64 }
			r.JSON(t, &is)
			api(t, f.s, "PUT", fmt.Sprintf("%s/issues/%d", project, is.IID),
				map[string]any{"state_event": "close"}, http.StatusOK)
		}
	}
	issue(f.s.AdminToken, map[string]any{"title": "Broken link", "labels": "bug"}, false)
	issue(f.s.AdminToken, map[string]any{"title": "Old bug", "labels": "bug"}, true)
	issue(f.s.AdminToken, map[string]any{"title": "Slow page"}, false)
	issue(f.s.AdminToken, map[string]any{"title": "Leaked key", "confidential": true}, false)
	issue(f.s.AdminToken, map[string]any{"title": "Leaked password", "confidential": true, "labels": "bug"}, true)
	issue(guestToken, map[string]any{"title": "My own secret bug", "confidential": true, "labels": "bug"}, false)

	mr := func(source, title string, event string) {
		api(t, f.s, "POST", project+"/repository/branches",
			map[string]any{"branch": source, "ref": "feature/login"}, http.StatusCreated)
		var m struct{ IID int64 }
		api(t, f.s, "POST", project+"/merge_requests", map[string]any{"source_branch": source, "target_branch": "main",
			"title": title, "labels": "bug"}, http.StatusCreated).JSON(t, &m)
		switch event {
		case "close":
			api(t, f.s, "PUT", fmt.Sprintf("%s/merge_requests/%d", project, m.IID),
				map[string]any{"state_event": "close"}, http.StatusOK)
		case "merge":
			api(t, f.s, "PUT", fmt.Sprintf("%s/merge_requests/%d/merge", project, m.IID), nil, http.StatusOK)
		}
	}
	mr("one", "Login form", "")
	mr("two", "Login page", "close")
	mr("three", "Login bug", "merge")
	api(t, f.s, "POST", project+"/merge_requests",
		map[string]any{"source_branch": "feature/login", "target_branch": "main",
			"title": "Login, again"}, http.StatusCreated)

	// What the tabs say, as a reader counts them (a guest's labels are dropped, as GitLab's).
	userClient(t, f.s, "gus").get("/acme/site/-/issues").want(t, http.StatusOK,
		`>Open <span class="count">3</span>`, `>Closed <span class="count">1</span>`,
		`>All <span class="count">4</span>`)
	userClient(t, f.s, "rita").get("/acme/site/-/issues?label_name=bug").want(t, http.StatusOK,
		`>Open <span class="count">1</span>`, `>Closed <span class="count">2</span>`,
		`>All <span class="count">3</span>`)
	// Merging "three" merged "one" too: its source is in main.
	newClient(t, f.s).get("/acme/site/-/merge_requests").want(t, http.StatusOK, `>Open <span class="count">1</span>`,
		`>Merged <span class="count">2</span>`, `>Closed <span class="count">1</span>`,
		`>All <span class="count">4</span>`)

	tab := regexp.MustCompile(`>(Open|Merged|Closed|All) <span class="count">(\d+)</span>`)
	readers := []struct {
		name   string
		client *client
		token  string
	}{
		{"anonymous", newClient(t, f.s), ""},
		{"guest", userClient(t, f.s, "gus"), guestToken},
		{"reporter", userClient(t, f.s, "rita"), reporterToken},
		{"admin", nil, f.s.AdminToken},
	}
	readers[3].client = newClient(t, f.s)
	readers[3].client.signIn("root", rootPassword(t, f.s))
	for _, rd := range readers {
		for _, list := range []struct {
			page, api string
			states    map[string]string
		}{
			{"issues", "issues", map[string]string{"Open": "opened", "Closed": "closed", "All": "all"}},
			{"merge_requests", "merge_requests",
				map[string]string{"Open": "opened", "Merged": "merged", "Closed": "closed", "All": "all"}},
		} {
			for _, filter := range []url.Values{{}, {"label_name": {"bug"}}, {"search": {"Login"}},
				{"search": {"secret"}}} {
				t.Run(rd.name+"/"+list.page+"?"+filter.Encode(), func(t *testing.T) {
					p := rd.client.get("/acme/site/-/"+list.page+"?"+filter.Encode()).want(t, http.StatusOK)
					tabs := tab.FindAllStringSubmatch(p.Body, -1)
					if len(tabs) != len(list.states) {
						t.Fatalf("tabs: %q", tabs)
					}
					for _, tb := range tabs {
						q := url.Values{"state": {list.states[tb[1]]}, "per_page": {"1"}}
						if l := filter.Get("label_name"); l != "" {
							q.Set("labels", l)
						}
						if s := filter.Get("search"); s != "" {
							q.Set("search", s)
						}
						r := f.s.Do(t, "GET", project+"/"+list.api+"?"+q.Encode(), rd.token, nil)
						total, err := strconv.Atoi(r.Header.Get("X-Total"))
						if r.StatusCode != http.StatusOK || err != nil {
							t.Fatalf("the API's list: %d %q", r.StatusCode, r.Header.Get("X-Total"))
						}
						if tb[2] != strconv.Itoa(total) {
							t.Errorf("the %s tab counts %s, its list holds %d", tb[1], tb[2], total)
						}
					}
				})
			}
		}
	}
}

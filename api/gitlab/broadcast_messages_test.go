package gitlab_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cairn-forge/cairn/server/servertest"
)

type broadcastJSON struct {
	ID                 int64  `json:"id"`
	Message            string `json:"message"`
	StartsAt           string `json:"starts_at"`
	EndsAt             string `json:"ends_at"`
	Color              string `json:"color"`
	Font               string `json:"font"`
	Active             bool   `json:"active"`
	TargetAccessLevels []int  `json:"target_access_levels"`
	TargetPath         string `json:"target_path"`
	BroadcastType      string `json:"broadcast_type"`
	Dismissable        bool   `json:"dismissable"`
	Theme              string `json:"theme"`
}

// Administrators create, change and delete broadcast messages; anyone lists and reads them.
func TestBroadcastMessages(t *testing.T) {
	t.Parallel()
	s := servertest.New(t, servertest.WithoutRateLimit())
	_, user := s.CreateUser(t, "alice")
	const base = "/api/v4/broadcast_messages"
	before := time.Now().UTC().Add(-time.Second)
	b := decode[broadcastJSON](t,
		mustDo(t, s, 201, "POST", base, s.AdminToken, map[string]any{"message": "Deploy in progress"}))
	starts, err1 := time.Parse(time.RFC3339, b.StartsAt)
	ends, err2 := time.Parse(time.RFC3339, b.EndsAt)
	if err1 != nil || err2 != nil || starts.Before(before) || ends.Sub(starts) != time.Hour || !b.Active ||
		b.BroadcastType != "banner" || b.Theme != "indigo" || b.TargetAccessLevels == nil ||
		len(b.TargetAccessLevels) != 0 {
		t.Fatalf("created: %+v", b)
	}
	later := decode[broadcastJSON](t, mustDo(t, s, 201, "POST", base, s.AdminToken, map[string]any{
		"message": "Maintenance tomorrow", "starts_at": time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339),
		"ends_at": time.Now().Add(25 * time.Hour).UTC().Format(time.RFC3339), "broadcast_type": "notification",
		"theme": "light-red", "color": "#E75E40", "font": "#FFFFFF", "target_access_levels": []int{30, 10},
		"target_path": "*/welcome", "dismissable": true}))
	if later.Active || later.BroadcastType != "notification" || later.Theme != "light-red" ||
		later.Color != "#E75E40" ||
		len(later.TargetAccessLevels) != 2 || later.TargetAccessLevels[0] != 10 ||
		later.TargetPath != "*/welcome" || !later.Dismissable {
		t.Fatalf("created with every field: %+v", later)
	}
	mustDo(t, s, 201, "POST", base, s.AdminToken, "message=third")

	// Anyone reads them, a page at a time, newest first.
	for _, token := range []string{"", user} {
		r := mustDo(t, s, 200, "GET", base+"?per_page=2", token, nil)
		if r.Header.Get("X-Total") != "3" || r.Header.Get("X-Total-Pages") != "2" ||
			r.Header.Get("X-Next-Page") != "2" {
			t.Errorf("pagination headers: %v", r.Header)
		}
		if got := names(t, r, "message"); strings.Join(got, ",") != "third,Maintenance tomorrow" {
			t.Errorf("page 1: %v", got)
		}
		mustDo(t, s, 200, "GET", base+"/"+itoa(b.ID), token, nil)
	}
	wantJSON(t, s.Do(t, "GET", base+"/999", "", nil), 404, `{"message":"404 Broadcast Message Not Found"}`)

	// Changes, by administrators only.
	for token, code := range map[string]int{"": 401, user: 403} {
		wantStatus(t, s.Do(t, "PUT", base+"/"+itoa(b.ID), token, map[string]any{"message": "x"}), code)
		wantStatus(t, s.Do(t, "DELETE", base+"/"+itoa(b.ID), token, nil), code)
	}
	upd := decode[broadcastJSON](t,
		mustDo(t, s, 200, "PUT", base+"/"+itoa(b.ID), s.AdminToken, map[string]any{"theme": "dark", "message": "Done"}))
	if upd.Theme != "dark" || upd.Message != "Done" || upd.StartsAt != b.StartsAt {
		t.Errorf("updated: %+v", upd)
	}
	wantRefused(t, s, s.AdminToken, base, []refusal{
		{"no message", "POST", "", map[string]any{"theme": "dark"}, `{"error":"message is missing"}`},
		{"theme", "POST", "", map[string]any{"message": "x", "theme": "pink"},
			`{"error":"theme does not have a valid value"}`},
		{"type", "POST", "", map[string]any{"message": "x", "broadcast_type": "popup"},
			`{"error":"broadcast_type does not have a valid value"}`},
		{"levels", "POST", "", map[string]any{"message": "x", "target_access_levels": []int{15}},
			`{"error":"target_access_levels does not have a valid value"}`},
		{"ends first", "POST", "",
			map[string]any{"message": "x", "starts_at": "2030-01-02T00:00:00Z", "ends_at": "2030-01-01T00:00:00Z"},
			`{"message":{"ends_at":["must be after start"]}}`},
		{"color", "POST", "", map[string]any{"message": "x", "color": "red"},
			`{"message":{"color":["must be a valid color code"]}}`},
		{"blank", "PUT", "/" + itoa(b.ID), map[string]any{"message": " "},
			`{"message":{"message":["can't be blank"]}}`},
	})
	mustDo(t, s, 204, "DELETE", base+"/"+itoa(b.ID), s.AdminToken, nil)
	wantStatus(t, s.Do(t, "GET", base+"/"+itoa(b.ID), "", nil), 404)
	wantStatus(t, s.Do(t, "DELETE", base+"/"+itoa(b.ID), s.AdminToken, nil), 404)
	// The v3 API answers GitSwarm's way: 200 with the message.
	third := names(t, mustDo(t, s, 200, "GET", base, "", nil), "id")[0]
	if r := mustDo(t, s, 200, "DELETE", "/api/v3/broadcast_messages/"+third, s.AdminToken,
		nil); !strings.Contains(string(r.Body), `"third"`) {
		t.Errorf("v3 delete: %s", r.Body)
	}
}

// The pages show the active broadcast messages as banners, where their target path and
// access levels say.
func TestBroadcastMessagesAreBannersOnThePages(t *testing.T) {
	t.Parallel()
	f := newRepoFixture(t, map[string]any{"name": "demo", "visibility": "public", "initialize_with_readme": true})
	post := func(body map[string]any) {
		mustDo(t, f.s, 201, "POST", "/api/v4/broadcast_messages", f.token, body)
	}
	post(map[string]any{"message": "Upgrade at **noon**", "theme": "light-blue"})
	post(map[string]any{"message": "Only on projects", "target_path": "*/demo*"})
	post(map[string]any{"message": "For developers", "target_access_levels": []int{30}})
	post(map[string]any{"message": "Not yet", "starts_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
		"ends_at": time.Now().Add(2 * time.Hour).UTC().Format(time.RFC3339)})

	page := func(path, cookie string) string {
		t.Helper()
		var headers []string
		if cookie != "" {
			headers = []string{"Cookie", cookie}
		}
		r := f.s.Do(t, "GET", path, "", nil, headers...)
		wantStatus(t, r, http.StatusOK)
		return string(r.Body)
	}
	explore := page("/explore", "")
	if !strings.Contains(explore, `class="broadcast banner theme-light-blue"`) ||
		!strings.Contains(explore, "Upgrade at <strong>noon</strong>") {
		t.Errorf("the explore page lacks the banner")
	}
	for _, absent := range []string{"Only on projects", "For developers", "Not yet"} {
		if strings.Contains(explore, absent) {
			t.Errorf("the explore page shows %q", absent)
		}
	}
	project := page("/"+f.path, "")
	if !strings.Contains(project, "Only on projects") || strings.Contains(project, "For developers") {
		t.Errorf("the project page's banners are wrong")
	}
	dev := signInCookie(t, f.s, "dev")
	addMember(t, f.s, f.token, "projects", f.id, userID(t, f, "dev"), 30)
	if !strings.Contains(page("/"+f.path, dev), "For developers") {
		t.Errorf("a developer does not see the developers' banner")
	}
}

// userID looks a user up by username.
func userID(t *testing.T, f *repoFixture, username string) int64 {
	t.Helper()
	var users []userJSON
	mustDo(t, f.s, 200, "GET", "/api/v4/users?username="+username, f.token, nil).JSON(t, &users)
	if len(users) != 1 {
		t.Fatalf("user %s: %v", username, users)
	}
	return users[0].ID
}

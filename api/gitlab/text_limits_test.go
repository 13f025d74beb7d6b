package gitlab_test

import (
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/cairn-forge/cairn/server/servertest"
)

func TestStoredTextIsRefusedPastGitLabsLimits(t *testing.T) {
	f := newRepoFixture(t, nil)
	g := createGroup(t, f.s, f.token, map[string]any{"name": "Acme", "path": "acme", "description": "short"})
	f.branch("topic", create("topic.txt", "x\n"))
	mustDo(t, f.s, http.StatusCreated, "POST", f.url("/environments"), f.token, map[string]any{"name": "production"})
	long := func(n int) string { return strings.Repeat("x", n) }
	wantRefused(t, f.s, f.token, "", []refusal{
		{"a group description of 256 characters", "PUT", "/api/v4/groups/" + itoa(g.ID),
			map[string]any{"description": long(256)},
			`{"message":{"description":["is too long (maximum is 255 characters)"]}}`},
		{"a new group's description of 10 MB", "POST", "/api/v4/groups",
			map[string]any{"name": "Big", "path": "big", "description": long(10 << 20)},
			`{"message":{"description":["is too long (maximum is 255 characters)"]}}`},
		{"a protected branch name of 256 bytes", "POST", f.url("/protected_branches"),
			map[string]any{"name": long(256)},
			`{"message":{"name":["is too long (maximum is 255 bytes)"]}}`},
		{"a protected branch name of 10 MB", "POST", f.url("/protected_branches"),
			map[string]any{"name": long(10 << 20)},
			`{"message":{"name":["is too long (maximum is 255 bytes)"]}}`},
		{"a deployment ref of 256 bytes", "POST", f.url("/deployments"),
			map[string]any{"environment": "production", "ref": long(256), "sha": "main", "status": "success"},
			`{"error":"ref is too long (maximum is 255 bytes)"}`},
		{"a deployment ref of 10 MB", "POST", f.url("/deployments"),
			map[string]any{"environment": "production", "ref": long(10 << 20), "sha": "main", "status": "success"},
			`{"error":"ref is too long (maximum is 255 bytes)"}`},
		{"a deployment ref git would refuse", "POST", f.url("/deployments"),
			map[string]any{"environment": "production", "ref": "a..b", "sha": "main", "status": "success"},
			`{"error":"ref is not a valid git reference name"}`},
		{"a topic of 256 characters", "PUT", f.url(""), map[string]any{"topics": []string{"ok", long(256)}},
			`{"message":{"topics":["is too long (maximum is 255 characters)"]}}`},
		{"a token description of 256 characters", "POST", "/api/v4/users/1/personal_access_tokens",
			map[string]any{"name": "t", "scopes": []string{"api"}, "description": long(256)},
			`{"message":{"description":["is too long (maximum is 255 characters)"]}}`},
		{"a merge request source branch of 10 MB", "POST", f.url("/merge_requests"),
			map[string]any{"source_branch": long(10 << 20), "target_branch": "main", "title": "t"},
			`{"message":{"source_branch":["is invalid"]}}`},
		{"a merge request target branch git would refuse", "POST", f.url("/merge_requests"),
			map[string]any{"source_branch": "topic", "target_branch": "a\x01b", "title": "t"},
			`{"message":{"target_branch":["is invalid"]}}`},
		{"an issue description over 1 MB", "POST", f.url("/issues"),
			map[string]any{"title": "t", "description": long(1<<20 + 1)},
			`{"message":{"description":["is too long (maximum is 1048576 characters)"]}}`},
		{"an environment's external URL of 256 characters", "PUT", f.url("/environments/1"),
			map[string]any{"external_url": "https://example.com/" + long(236)},
			`{"message":{"external_url":["is too long (maximum is 255 characters)"]}}`},
	})
	// Nothing was written.
	if got := decode[map[string]any](t,
		mustDo(t, f.s, 200, "GET", "/api/v4/groups/"+itoa(g.ID), f.token, nil)); got["description"] != "short" {
		t.Errorf("group description now %.40q", got["description"])
	}
	for path, want := range map[string]string{"/protected_branches": "1", "/deployments": "0",
		"/merge_requests": "0", "/issues": "0"} {
		if got := f.do("GET", path, f.token, nil).Header.Get("X-Total"); got != want {
			t.Errorf("%s: X-Total %q, want %q", path, got, want)
		}
	}
	mustDo(t, f.s, 404, "GET", "/api/v4/groups/big", f.token, nil)
}

func TestPushEventTitleIsTheFirstLineCutAt70Characters(t *testing.T) {
	f := newRepoFixture(t, nil)
	f.commit("main", strings.Repeat("a", 10<<20)+"\n\nbody", create("big.txt", "x"))
	f.commit("main", "  A short title  \n\n"+strings.Repeat("b", 1<<20), create("small.txt", "x"))
	events := decode[[]struct {
		PushData struct {
			CommitTitle string `json:"commit_title"`
		} `json:"push_data"`
	}](t, mustDo(t, f.s, 200, "GET", f.url("/events?sort=asc"), f.token, nil))
	var titles []string
	for _, e := range events {
		titles = append(titles, e.PushData.CommitTitle)
	}
	want := []string{strings.Repeat("a", 67) + "...", "A short title"}
	if strings.Join(titles, "|") != strings.Join(want, "|") {
		t.Fatalf("push event titles %.300q, want %q", titles, want)
	}
}

func TestAFailedSignInAuditsAtMost1024CharactersOfItsLogin(t *testing.T) {
	s := newServer(t, servertest.WithoutRateLimit())
	login := strings.Repeat("é", 100_000) + "\x00\xff"
	r := s.PostSignIn(t, login, "wrong")
	if r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("sign-in: %d", r.StatusCode)
	}
	events := decode[[]struct {
		EventName string `json:"event_name"`
		Details   struct {
			CustomMessage string `json:"custom_message"`
		} `json:"details"`
	}](t, mustDo(t, s, 200, "GET", "/api/v4/audit_events", s.AdminToken, nil))
	if len(events) == 0 || events[0].EventName != "sign_in_failed" {
		t.Fatalf("audit events: %+v", events)
	}
	if got := events[0].Details.CustomMessage; got != strings.Repeat("é", 1021)+"..." {
		t.Fatalf("audited login of %d characters: %.40q…", utf8.RuneCountInString(got), got)
	}
}

package gitlab_test

import (
	"net/http"
	"testing"

	"github.com/cairn-forge/cairn/server/servertest"
)

// Banning: an active user becomes banned and can no longer use their tokens; the ban is
// lifted by unban; other states refuse both with GitLab's 403.
func TestBanAndUnbanUser(t *testing.T) {
	s := servertest.New(t, servertest.WithoutRateLimit())
	aliceID, alice := s.CreateUser(t, "alice")
	ban, unban := "/api/v4/users/"+itoa(aliceID)+"/ban", "/api/v4/users/"+itoa(aliceID)+"/unban"
	wantJSON(t, s.Do(t, "POST", ban, alice, nil), 403, bodyForbidden)
	wantJSON(t, s.Do(t, "POST", unban, s.AdminToken, nil), 403,
		`{"message":"403 Forbidden - You cannot unban active users."}`)
	wantJSON(t, s.Do(t, "POST", ban, s.AdminToken, nil), http.StatusCreated, `true`)
	if u := decode[userJSON](t,
		mustDo(t, s, 200, "GET", "/api/v4/users/"+itoa(aliceID), s.AdminToken, nil)); u.State != "banned" {
		t.Fatalf("state %q after the ban", u.State)
	}
	wantStatus(t, s.Do(t, "GET", "/api/v4/user", alice, nil), 401)
	wantJSON(t, s.Do(t, "POST", ban, s.AdminToken, nil), 403,
		`{"message":"403 Forbidden - You cannot ban banned users."}`)
	wantJSON(t, s.Do(t, "POST", unban, s.AdminToken, nil), http.StatusCreated, `true`)
	mustDo(t, s, 200, "GET", "/api/v4/user", alice, nil)
	mustDo(t, s, 201, "POST", "/api/v4/users/"+itoa(aliceID)+"/block", s.AdminToken, nil)
	wantJSON(t, s.Do(t, "POST", ban, s.AdminToken, nil), 403,
		`{"message":"403 Forbidden - You cannot ban blocked users."}`)
	wantJSON(t, s.Do(t, "POST", "/api/v4/users/999/ban", s.AdminToken, nil), 404, `{"message":"404 User Not Found"}`)
}

// "user" is a username GitLab allows, and so does cairn.
func TestUsernameUser(t *testing.T) {
	s := servertest.New(t, servertest.WithoutRateLimit())
	_, tok := s.CreateUser(t, "user")
	p := createProject(t, s, tok, map[string]any{"name": "app"})
	if p.PathWithNamespace != "user/app" {
		t.Fatalf("project of user: %+v", p)
	}
	mustDo(t, s, 200, "GET", "/api/v4/projects/user%2Fapp", tok, nil)
	mustDo(t, s, 200, "GET", "/api/v4/users/user/projects", tok, nil)
}

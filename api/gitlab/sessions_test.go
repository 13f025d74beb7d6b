package gitlab_test

import (
	"net/http"
	"testing"
)

// browser is a signed-in browser's session: its cookie and CSRF token.
type browser struct{ session, csrf string }

func (b browser) read() []string { return []string{"Cookie", "_gitlab_session=" + b.session} }

func (b browser) write() []string {
	return []string{"Cookie", "_gitlab_session=" + b.session, "X-CSRF-Token", b.csrf}
}

// Sessions end when the password changes (but the browser that changed it keeps its own),
// when the user is blocked or deleted, and when an administrator or the user signs them out
// everywhere. Tokens are not sessions and keep working.
func TestSessionsEndWithThePasswordAndEverywhere(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	annID, annToken := s.CreateUser(t, "ann")
	_, bobToken := s.CreateUser(t, "bob")
	signIn := func(login, password string) browser {
		session, csrf := s.SignIn(t, login, password)
		return browser{session, csrf}
	}
	alive := func(b browser) bool {
		return s.Do(t, "GET", "/api/v4/user", "", nil, b.read()...).StatusCode == http.StatusOK
	}
	annPath := "/api/v4/users/" + itoa(annID)

	// Ann changes her password from browser a: browser b is signed out, a is not.
	a, b := signIn("ann", "password-ann"), signIn("ann", "password-ann")
	mustDo(t, s, 200, "PUT", annPath, "", map[string]any{"password": "new-password-ann"}, a.write()...)
	if !alive(a) || alive(b) {
		t.Fatalf("after a password change from browser a: a alive %v, b alive %v; want true, false", alive(a), alive(b))
	}
	// An administrator sets her password: every session of hers ends.
	mustDo(t, s, 200, "PUT", annPath, s.AdminToken, map[string]any{"password": "third-password"})
	if alive(a) {
		t.Fatal("a session outlived a password set by an administrator")
	}
	mustDo(t, s, 200, "GET", "/api/v4/user", annToken, nil)

	// Signing out everywhere: bob may not do it to ann; an administrator and ann may.
	a, b = signIn("ann", "third-password"), signIn("ann", "third-password")
	wantStatus(t, s.Do(t, "DELETE", annPath+"/sessions", bobToken, nil), 403)
	wantStatus(t, s.Do(t, "DELETE", "/api/v4/users/99999/sessions", s.AdminToken, nil), 404)
	if !alive(a) || !alive(b) {
		t.Fatal("a refused sign-out ended a session")
	}
	wantStatus(t, s.Do(t, "DELETE", annPath+"/sessions", s.AdminToken, nil), 204)
	if alive(a) || alive(b) {
		t.Fatal("sessions outlived an administrator's sign-out everywhere")
	}
	a = signIn("ann", "third-password")
	wantStatus(t, s.Do(t, "DELETE", "/api/v4/user/sessions", "", nil, a.write()...), 204)
	if alive(a) {
		t.Fatal("a session outlived its user's sign-out everywhere")
	}
	mustDo(t, s, 200, "GET", "/api/v4/user", annToken, nil)

	// Blocking and deleting end sessions too.
	a = signIn("ann", "third-password")
	mustDo(t, s, 201, "POST", annPath+"/block", s.AdminToken, nil)
	mustDo(t, s, 201, "POST", annPath+"/unblock", s.AdminToken, nil)
	if alive(a) {
		t.Fatal("a session outlived its user's block")
	}
	a = signIn("ann", "third-password")
	wantStatus(t, s.Do(t, "DELETE", annPath, s.AdminToken, nil), 204)
	if alive(a) {
		t.Fatal("a session outlived its user")
	}
}

// Sudo is for tokens with the sudo scope: an administrator's browser session may not use it,
// as on GitLab, so that a page riding the cookie cannot act as anyone.
func TestSudoIsRefusedToSessions(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	mustDo(t, s, 201, "POST", "/api/v4/users", s.AdminToken, map[string]any{"username": "boss", "name": "Boss",
		"email": "boss@example.com", "password": "password-boss", "admin": true})
	s.CreateUser(t, "ann")
	session, csrf := s.SignIn(t, "boss", "password-boss")
	b := browser{session, csrf}
	want := `{"message":"403 Forbidden: Must be authenticated using an OAuth or Personal Access Token to use sudo"}`
	wantJSON(t, s.Do(t, "GET", "/api/v4/user?sudo=ann", "", nil, b.read()...), 403, want)
	wantJSON(t,
		s.Do(t, "POST", "/api/v4/projects", "", map[string]any{"name": "as-ann"},
			append(b.write(), "Sudo", "ann")...), 403, want)
	// Without sudo the session works, and a token with the scope may sudo.
	if u := decode[userJSON](t, mustDo(t, s, 200, "GET", "/api/v4/user", "", nil, b.read()...)); u.Username != "boss" {
		t.Fatalf("the session is %s", u.Username)
	}
	if u := decode[userJSON](t,
		mustDo(t, s, 200, "GET", "/api/v4/user?sudo=ann", s.AdminToken, nil)); u.Username != "ann" {
		t.Fatalf("sudo with a token is %s", u.Username)
	}
}

package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/server/servertest"
)

// signIn posts the sign-in form and returns the response.
func signIn(t *testing.T, s *servertest.Server, login, password string) *servertest.Response {
	t.Helper()
	return s.PostSignIn(t, login, password)
}

func cookie(r *servertest.Response, name string) string {
	for _, c := range r.Cookies() {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

func TestSessionCookieAuthenticatesTheAPI(t *testing.T) {
	t.Parallel()
	s := servertest.New(t)
	s.CreateUser(t, "ann") // password "password-ann"

	r := signIn(t, s, "ann", "password-ann")
	session, csrf := cookie(r, "_gitlab_session"), cookie(r, "_cairn_csrf")
	if r.StatusCode != http.StatusOK || session == "" || csrf == "" {
		t.Fatalf("sign in: %d, cookies %v", r.StatusCode, r.Cookies())
	}
	withSession := []string{"Cookie", "_gitlab_session=" + session}

	// Reads work with the cookie alone.
	r = s.Do(t, "GET", "/api/v4/user", "", nil, withSession...)
	if r.StatusCode != http.StatusOK || !strings.Contains(string(r.Body), `"username":"ann"`) {
		t.Fatalf("GET /user with session: %d %s", r.StatusCode, r.Body)
	}
	// Writes need the CSRF token too; without it the request is anonymous.
	body := map[string]any{"name": "from-browser"}
	if r = s.Do(t, "POST", "/api/v4/projects", "", body, withSession...); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("write without CSRF token: %d %s", r.StatusCode, r.Body)
	}
	if r = s.Do(t, "POST", "/api/v4/projects", "", body, append(withSession, "X-CSRF-Token", "wrong")...); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("write with a wrong CSRF token: %d %s", r.StatusCode, r.Body)
	}
	if r = s.Do(t, "POST", "/api/v4/projects", "", body, append(withSession, "X-CSRF-Token", csrf)...); r.StatusCode != http.StatusCreated {
		t.Fatalf("write with CSRF token: %d %s", r.StatusCode, r.Body)
	}

	// Signing out ends the session.
	s.Do(t, "POST", "/users/sign_out", "", nil, append(withSession, "X-CSRF-Token", csrf)...)
	if r = s.Do(t, "GET", "/api/v4/user", "", nil, withSession...); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("GET /user after sign-out: %d %s", r.StatusCode, r.Body)
	}
}

func TestFailedSignInsAreAuditedAndLimited(t *testing.T) {
	t.Parallel()
	// The budget refills over an hour, not a minute, so that a slow machine does not get an
	// attempt back while the test runs.
	limits := api.DefaultPolicies()
	limits.AuthFailures = api.Policy{Limit: 30, Window: time.Hour, Burst: 30}
	s := servertest.New(t, servertest.WithRateLimits(limits))
	s.CreateUser(t, "ben")
	if r := signIn(t, s, "ben", "not-the-password"); r.StatusCode != http.StatusUnauthorized ||
		!strings.Contains(string(r.Body), "Invalid login or password") {
		t.Fatalf("wrong password: %d %s", r.StatusCode, r.Body)
	}
	r := s.Do(t, "GET", "/api/v4/audit_events", s.AdminToken, nil)
	if !strings.Contains(string(r.Body), `"event_name":"sign_in_failed"`) {
		t.Fatalf("audit log lacks the failed sign-in: %s", r.Body)
	}
	// Guessing is bounded per address: 30 failures a minute.
	var last int
	for i := 0; i < 31; i++ {
		last = signIn(t, s, "ben", "guess").StatusCode
	}
	if last != http.StatusTooManyRequests {
		t.Fatalf("after 32 failed sign-ins: %d, want 429", last)
	}
}

func TestSignInPage(t *testing.T) {
	t.Parallel()
	s := servertest.New(t)
	r := s.Do(t, "GET", "/users/sign_in", "", nil)
	if r.StatusCode != http.StatusOK || !strings.Contains(string(r.Body), `name="user[password]"`) ||
		r.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("sign-in page: %d %v %s", r.StatusCode, r.Header, r.Body)
	}
}

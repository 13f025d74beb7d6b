package web_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/cairn-forge/cairn/server/servertest"
)

var formToken = regexp.MustCompile(`name="authenticity_token" value="([^"]+)"`)

// The sign-in form carries a token, in a hidden field and in a cookie, that the POST must
// echo (login CSRF): a page on another site, which can send neither, cannot sign the browser
// in to an account of its choosing.
func TestSignInNeedsTheFormsToken(t *testing.T) {
	t.Parallel()
	s := servertest.New(t)
	s.CreateUser(t, "ann")

	page := s.Do(t, "GET", "/users/sign_in", "", nil)
	field := formToken.FindStringSubmatch(string(page.Body))
	token := cookie(page, "_cairn_csrf")
	if field == nil || token == "" || field[1] != token {
		t.Fatalf("the sign-in page's token: field %v, cookie %q", field, token)
	}
	post := func(fieldToken, cookieToken string) *servertest.Response {
		form := url.Values{"user[login]": {"ann"}, "user[password]": {"password-ann"}}
		if fieldToken != "" {
			form.Set("authenticity_token", fieldToken)
		}
		req, err := http.NewRequest("POST", s.URL+"/users/sign_in", strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if cookieToken != "" {
			req.Header.Set("Cookie", "_cairn_csrf="+cookieToken)
		}
		// A sign-in answers with its cookies and a redirect, which is not followed.
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return &servertest.Response{Response: resp, Body: body}
	}
	tests := []struct {
		name          string
		field, cookie string
		want          int
	}{
		{"no token", "", "", 403},
		{"the field without the cookie", token, "", 403},
		{"the cookie without the field", "", token, 403},
		{"a field that is not the cookie's", strings.Repeat("x", len(token)), token, 403},
		{"the page's token in both", token, token, 303},
	}
	for _, tt := range tests {
		r := post(tt.field, tt.cookie)
		if r.StatusCode != tt.want || (cookie(r, "_gitlab_session") != "") != (tt.want == 303) {
			t.Errorf("%s: %d, session cookie %q; want %d", tt.name, r.StatusCode, cookie(r, "_gitlab_session"), tt.want)
		}
		if tt.want == 403 && !formToken.Match(r.Body) {
			t.Errorf("%s: the refusal shows no form to try again with: %s", tt.name, r.Body)
		}
	}
}

// Signing out needs the session's CSRF token, so that another site cannot sign the browser
// out; the signed-in page's form carries it.
func TestSignOutNeedsTheCSRFToken(t *testing.T) {
	t.Parallel()
	s := servertest.New(t)
	s.CreateUser(t, "ann")
	session, csrf := s.SignIn(t, "ann", "password-ann")
	withSession := []string{"Cookie", "_gitlab_session=" + session}
	alive := func() bool {
		return s.Do(t, "GET", "/api/v4/user", "", nil, withSession...).StatusCode == http.StatusOK
	}

	for _, bad := range []string{"", "wrong"} {
		r := s.Do(t, "POST", "/users/sign_out", "", url.Values{"authenticity_token": {bad}}.Encode(), withSession...)
		if r.StatusCode != http.StatusForbidden || !alive() {
			t.Fatalf("sign-out with token %q: %d, session alive %v; want 403 and alive", bad, r.StatusCode, alive())
		}
	}
	page := s.Do(t, "GET", "/users/sign_in", "", nil, withSession...)
	field := formToken.FindStringSubmatch(string(page.Body))
	if field == nil || field[1] != csrf {
		t.Fatalf("the signed-in page's sign-out form carries %v, want the session's CSRF token", field)
	}
	r := s.Do(t, "POST", "/users/sign_out", "", url.Values{"authenticity_token": {field[1]}}.Encode(), withSession...)
	// The client follows the redirect back to the sign-in page.
	if r.StatusCode != http.StatusOK || r.Request.URL.Path != "/users/sign_in" || alive() {
		t.Fatalf("sign-out from the page: %d at %s, session alive %v", r.StatusCode, r.Request.URL.Path, alive())
	}
}

// A session cookie the browser held before signing in (planted by someone else, or another
// user's) is replaced, and ends: it is worth nothing after the sign-in (session fixation).
func TestSignInReplacesTheSessionCookieItCameWith(t *testing.T) {
	t.Parallel()
	s := servertest.New(t)
	s.CreateUser(t, "ann")
	s.CreateUser(t, "mallory")
	planted, _ := s.SignIn(t, "mallory", "password-mallory")

	r := s.PostSignIn(t, "ann", "password-ann", "Cookie", "_gitlab_session="+planted)
	fresh := cookie(r, "_gitlab_session")
	if r.StatusCode != http.StatusSeeOther || fresh == "" || fresh == planted {
		t.Fatalf("sign-in with a planted cookie: %d, new cookie %q", r.StatusCode, fresh)
	}
	if code := s.Do(t, "GET", "/api/v4/user", "", nil, "Cookie", "_gitlab_session="+
		planted).StatusCode; code != http.StatusUnauthorized {
		t.Fatalf("the planted session after the sign-in: %d, want 401", code)
	}
	var u struct{ Username string }
	s.Do(t, "GET", "/api/v4/user", "", nil, "Cookie", "_gitlab_session="+fresh).JSON(t, &u)
	if u.Username != "ann" {
		t.Fatalf("the new session is %q's", u.Username)
	}
}

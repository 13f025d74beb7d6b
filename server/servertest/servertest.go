// Package servertest starts cairn in-process for Go tests, as net/http/httptest starts a
// handler: on a free loopback port, over a temporary data directory, with a known admin
// token, and stopped by t.Cleanup. Many instances run side by side in one test process.
package servertest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
	"github.com/cairn-forge/cairn/server"
	"golang.org/x/crypto/bcrypt"
)

// Server is a running cairn instance.
type Server struct {
	// URL is the instance's base URL ("http://127.0.0.1:PORT").
	URL string
	// AdminToken is a token of the administrator root with every admin scope.
	AdminToken string
	// DataDir holds the instance's database and repositories.
	DataDir string
	// Forge is the instance's domain service, for tests that set up state directly.
	Forge *forge.Service

	srv *server.Server
}

// Option changes the configuration of the instance to start.
type Option func(*server.Config)

// WithFixture loads a fixture file at start.
func WithFixture(path string) Option { return func(c *server.Config) { c.Fixture = path } }

// WithSeed is WithFixture by its former name.
//
// Deprecated: use WithFixture.
func WithSeed(path string) Option { return WithFixture(path) }

// WithoutRateLimit turns rate limits off (they are on by default, as in production).
func WithoutRateLimit() Option { return func(c *server.Config) { c.NoRateLimit = true } }

// WithRateLimits replaces the rate-limit policies.
func WithRateLimits(p api.Policies) Option { return func(c *server.Config) { c.RateLimits = &p } }

// WithConfig lets a test change any setting.
func WithConfig(fn func(*server.Config)) Option { return Option(fn) }

// New starts an instance and registers its shutdown with t.Cleanup.
func New(t testing.TB, opts ...Option) *Server {
	t.Helper()
	var b [16]byte
	_, _ = rand.Read(b[:])
	cfg := server.Config{
		Addr:       "127.0.0.1:0",
		DataDir:    t.TempDir(),
		Throwaway:  true,
		AdminToken: forge.TokenPrefix + "test" + hex.EncodeToString(b[:]),
		Version:    "test",
		Forge:      forge.Config{PasswordCost: bcrypt.MinCost},
	}
	for _, o := range opts {
		o(&cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := server.Open(ctx, cfg)
	if err != nil {
		cancel()
		t.Fatalf("servertest: start cairn: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil && err != http.ErrServerClosed {
				t.Errorf("servertest: stop cairn: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Errorf("servertest: cairn did not stop")
		}
	})
	return &Server{URL: srv.URL(), AdminToken: cfg.AdminToken, DataDir: srv.DataDir(), Forge: srv.Forge(), srv: srv}
}

// Response is a finished response with its body read.
type Response struct {
	*http.Response
	Body []byte
}

// JSON decodes the body into v, failing the test if it is not JSON.
func (r *Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("%s %s: response is not JSON (%v): %s", r.Request.Method, r.Request.URL, err, r.Body)
	}
}

// Do sends a request with token (in PRIVATE-TOKEN; none when empty) and body (JSON-encoded
// unless it is a string, sent as a form, or nil) to path, and reads the response.
func (s *Server) Do(t testing.TB, method, path, token string, body any, headers ...string) *Response {
	t.Helper()
	return s.do(t, http.DefaultClient, method, path, token, body, headers...)
}

// noRedirects is a client that answers a redirect instead of following it.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request,
	[]*http.Request) error {
	return http.ErrUseLastResponse
}}

func (s *Server) do(t testing.TB, client *http.Client, method, path, token string, body any,
	headers ...string) *Response {
	t.Helper()
	var rd io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case string:
		rd, ctype = strings.NewReader(b), "application/x-www-form-urlencoded"
	case []byte:
		rd, ctype = bytes.NewReader(b), "application/json"
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("encode body: %v", err)
		}
		rd, ctype = bytes.NewReader(data), "application/json"
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("PRIVATE-TOKEN", token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return &Response{Response: resp, Body: data}
}

// signInFormToken is the token PostSignIn sends in both the form and its cookie, as a browser
// that loaded the sign-in page does.
const signInFormToken = "servertest-sign-in-form-token-0123456789"

// PostSignIn posts the sign-in form with login and password, as a browser that loaded the
// page does (with the form's token in the hidden field and in the _cairn_csrf cookie), plus
// any extra headers, and reads the response: a sign-in that succeeds answers 303 See Other
// with the session's cookies, which is not followed.
func (s *Server) PostSignIn(t testing.TB, login, password string, headers ...string) *Response {
	t.Helper()
	form := url.Values{"user[login]": {login}, "user[password]": {password}, "authenticity_token": {signInFormToken}}
	cookie := api.CSRFCookie + "=" + signInFormToken
	for i := 0; i+1 < len(headers); i += 2 {
		if strings.EqualFold(headers[i], "Cookie") {
			cookie += "; " + headers[i+1]
		}
	}
	return s.do(t, noRedirects, "POST", "/users/sign_in", "", form.Encode(), append(headers, "Cookie", cookie)...)
}

// SignIn signs login in through the sign-in form and returns the session cookie's secret and
// the session's CSRF token; the test fails unless the sign-in succeeds.
func (s *Server) SignIn(t testing.TB, login, password string) (session, csrf string) {
	t.Helper()
	r := s.PostSignIn(t, login, password)
	for _, c := range r.Cookies() {
		switch c.Name {
		case api.SessionCookie:
			session = c.Value
		case api.CSRFCookie:
			csrf = c.Value
		}
	}
	if r.StatusCode != http.StatusSeeOther || session == "" || csrf == "" {
		t.Fatalf("sign in as %s: %d %s", login, r.StatusCode, r.Body)
	}
	return session, csrf
}

// CreateUser makes a user through the API and returns its id and an api-scoped token.
func (s *Server) CreateUser(t testing.TB, username string, scopes ...string) (int64, string) {
	t.Helper()
	resp := s.Do(t, "POST", "/api/v4/users", s.AdminToken, map[string]any{
		"username": username, "name": username, "email": username + "@example.com", "password": "password-" + username})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create user %s: %d %s", username, resp.StatusCode, resp.Body)
	}
	var u struct{ ID int64 }
	resp.JSON(t, &u)
	if len(scopes) == 0 {
		scopes = []string{forge.ScopeAPI}
	}
	resp = s.Do(t, "POST", "/api/v4/users/"+itoa(u.ID)+"/personal_access_tokens", s.AdminToken,
		map[string]any{"name": "test", "scopes": scopes})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create token for %s: %d %s", username, resp.StatusCode, resp.Body)
	}
	var tok struct{ Token string }
	resp.JSON(t, &tok)
	return u.ID, tok.Token
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

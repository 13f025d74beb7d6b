package gitclear_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/server"
	"github.com/cairn-forge/cairn/server/servertest"
)

// The token check answers every kind of credential the way the document's clients read it.
func TestTokenCheck(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	expect(t, f.call(t, "GET", "/api_tokens", "reader", nil), 200, "action_get_resource", "response_success",
		"ready for use")
	r := f.s.Do(t, "GET", "/api/v1/api_tokens", "", nil, "Authorization", "Bearer cairn_pat_not-a-real-token")
	expect(t, r, 401, "action_none", "response_unauthorized", "A valid API token is required")
	if r.Header.Get("WWW-Authenticate") == "" {
		t.Error("401 without WWW-Authenticate")
	}
	expect(t, f.call(t, "GET", "/api_tokens", "", nil), 401, "action_none", "response_unauthorized", "")
	// Other carriers of the token work too.
	expect(t, f.s.Do(t, "GET", "/api/v1/api_tokens", f.tokens["dev"], nil), 200, "action_get_resource",
		"response_success", "")
}

// Routes the dialect does not have are its own 404 and 405, in its shape; the other dialects
// keep their prefixes.
func TestUnknownRoutesAndMethods(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	expect(t, f.call(t, "GET", "/nothing", "dev", nil), 404, "action_none", "response_not_found", "No such endpoint")
	r := f.call(t, "GET", "/critical_defects", "dev", nil)
	expect(t, r, 405, "action_none", "response_method_not_allowed", "")
	if allow := r.Header.Get("Allow"); !strings.Contains(allow, "POST") || strings.Contains(allow, "GET") {
		t.Errorf("Allow %q, want POST", allow)
	}
	if r := f.s.Do(t, "GET", "/api/v4/version", f.s.AdminToken, nil); r.StatusCode != http.StatusOK {
		t.Errorf("GitLab's /api/v4/version: %d", r.StatusCode)
	}
	if id := r.Header.Get("X-Request-Id"); id == "" {
		t.Error("no X-Request-Id")
	}
}

// Over the rate limit: 429 with Retry-After, in the dialect's shape; the limit headers are on
// every answer. Anonymous callers have the smallest bucket (the fixture's setup, made with
// the admin token, does not draw on it).
func TestRateLimited(t *testing.T) {
	t.Parallel()
	p := api.DefaultPolicies()
	p.Anonymous = api.Policy{Limit: 2, Window: time.Hour, Burst: 2}
	f := newFixture(t, servertest.WithRateLimits(p))
	var r *servertest.Response
	for i := 0; i < 3; i++ {
		if i > 0 {
			expect(t, r, 401, "action_none", "response_unauthorized", "")
		}
		r = f.call(t, "GET", "/api_tokens", "", nil)
		if r.Header.Get("X-RateLimit-Limit") != "2" {
			t.Fatalf("request %d: X-RateLimit-Limit %q", i+1, r.Header.Get("X-RateLimit-Limit"))
		}
	}
	expect(t, r, 429, "action_none", "response_rate_limited", "Retry-After")
	if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || s < 1 {
		t.Errorf("Retry-After %q", r.Header.Get("Retry-After"))
	}
}

// A body over the size limit is 413 in the dialect's shape.
func TestBodyTooLarge(t *testing.T) {
	t.Parallel()
	f := newFixture(t, servertest.WithConfig(func(c *server.Config) { c.MaxBody = 1024 }))
	big := make([]byte, 4096)
	for i := range big {
		big[i] = 'a'
	}
	r := f.call(t, "POST", "/critical_defects", "dev",
		form("defect_key=K", "resource_path=alloy", "description="+string(big)))
	expect(t, r, 413, "action_none", "response_too_large", "")
}

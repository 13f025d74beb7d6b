package opencodehub_test

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/cairn-forge/cairn/server/servertest"
)

// The seed's limits: 60 requests an hour without a token, 5,000 with one, and
// X-RateLimit-Remaining on every response. The 61st anonymous request is refused in this
// dialect's error shape, with Retry-After.
func TestRateLimits(t *testing.T) {
	t.Parallel()
	s := servertest.New(t)
	_, token := s.CreateUser(t, "alice")
	for i := 1; i <= 60; i++ {
		r := call(t, s, "GET", "/api/repos", "", "")
		wantStatus(t, r, http.StatusOK)
		if got := r.Header.Get("X-RateLimit-Remaining"); got != strconv.Itoa(60-i) {
			t.Fatalf("request %d: X-RateLimit-Remaining %q, want %d", i, got, 60-i)
		}
		if got := r.Header.Get("X-RateLimit-Limit"); got != "60" {
			t.Fatalf("X-RateLimit-Limit %q", got)
		}
	}
	r := call(t, s, "GET", "/api/repos", "", "")
	fails(t, r, http.StatusTooManyRequests, "RATE_LIMITED", "", "")
	if ra, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || ra < 1 || ra > 60 {
		t.Errorf("Retry-After %q", r.Header.Get("Retry-After"))
	}
	if got := r.Header.Get("X-RateLimit-Remaining"); got != "0" {
		t.Errorf("X-RateLimit-Remaining on the 429: %q", got)
	}
	// A token has its own, larger budget.
	r = call(t, s, "GET", "/api/repos", token, "")
	wantStatus(t, r, http.StatusOK)
	if r.Header.Get("X-RateLimit-Limit") != "5000" || r.Header.Get("X-RateLimit-Remaining") != "4999" {
		t.Errorf("authenticated limits: %q, %q", r.Header.Get("X-RateLimit-Limit"),
			r.Header.Get("X-RateLimit-Remaining"))
	}
}

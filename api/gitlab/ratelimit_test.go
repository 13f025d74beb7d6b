package gitlab_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cairn-forge/cairn/server/servertest"
)

// The seeds' anonymous budget is 60 requests an hour per address: the 61st is refused.
func TestAnonymousRequestsAreLimitedTo60AnHour(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	for i := 1; i <= 60; i++ {
		path := "/api/v4/projects"
		if i%2 == 0 {
			path = "/api/v3/projects" // both versions draw on one bucket
		}
		r := s.Do(t, "GET", path, "", nil)
		wantStatus(t, r, http.StatusOK)
		if got := r.Header.Get("X-RateLimit-Limit"); got != "60" {
			t.Fatalf("request %d: X-RateLimit-Limit %q, want 60", i, got)
		}
		if got := r.Header.Get("X-RateLimit-Remaining"); got != strconv.Itoa(60-i) {
			t.Fatalf("request %d: X-RateLimit-Remaining %q, want %d", i, got, 60-i)
		}
		reset, err := strconv.ParseInt(r.Header.Get("X-RateLimit-Reset"), 10, 64)
		if err != nil || reset < time.Now().Unix()-1 {
			t.Fatalf("request %d: X-RateLimit-Reset %q", i, r.Header.Get("X-RateLimit-Reset"))
		}
		for _, h := range []string{"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "Retry-After"} {
			if r.Header.Get(h) != "" {
				t.Fatalf("request %d: %s on an ordinary response", i, h)
			}
		}
	}

	r := s.Do(t, "GET", "/api/v4/projects", "", nil)
	wantStatus(t, r, http.StatusTooManyRequests)
	retry, err := strconv.Atoi(r.Header.Get("Retry-After"))
	if err != nil || retry < 1 || retry > 3600 {
		t.Errorf("Retry-After %q, want whole seconds", r.Header.Get("Retry-After"))
	}
	if got := r.Header.Get("X-RateLimit-Remaining"); got != "0" {
		t.Errorf("X-RateLimit-Remaining %q on the 429", got)
	}
	// GitLab's own names, as self-managed GitLab sends them on a 429.
	if got := r.Header.Get("RateLimit-Remaining"); got != "0" {
		t.Errorf("RateLimit-Remaining %q", got)
	}
	for _, h := range []string{"RateLimit-Name", "RateLimit-Limit", "RateLimit-Observed", "RateLimit-Reset",
		"RateLimit-ResetTime", "X-Request-Id", "X-Runtime"} {
		if r.Header.Get(h) == "" {
			t.Errorf("no %s on the 429", h)
		}
	}
	if reset, err := strconv.ParseInt(r.Header.Get("RateLimit-Reset"), 10, 64); err != nil ||
		reset <= time.Now().Unix()-1 {
		t.Errorf("RateLimit-Reset %q is not a future Unix time", r.Header.Get("RateLimit-Reset"))
	}
	if _, err := http.ParseTime(r.Header.Get("RateLimit-ResetTime")); err != nil {
		t.Errorf("RateLimit-ResetTime %q is not an HTTP date", r.Header.Get("RateLimit-ResetTime"))
	}
	if !strings.Contains(string(r.Body), "Retry later") {
		t.Errorf("429 body %q", r.Body)
	}

	// Others are not affected: the limit is the address's while anonymous, the user's when not.
	wantStatus(t, s.Do(t, "GET", "/api/v3/projects", "", nil), http.StatusTooManyRequests)
	r = s.Do(t, "GET", "/api/v4/projects", s.AdminToken, nil)
	wantStatus(t, r, http.StatusOK)
	if got := r.Header.Get("X-RateLimit-Limit"); got != "5000" {
		t.Errorf("authenticated X-RateLimit-Limit %q, want 5000", got)
	}
}

// Failed authentications have their own bucket per address, so guessing tokens is slow.
func TestGuessingTokensIsRateLimited(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	var last *http.Response
	for i := 0; i < 40; i++ {
		r := s.Do(t, "GET", "/api/v4/user", "cairn_pat_guess"+strconv.Itoa(i), nil)
		last = r.Response
		if r.StatusCode == http.StatusTooManyRequests {
			if i < 10 {
				t.Fatalf("refused after only %d guesses", i)
			}
			if last.Header.Get("Retry-After") == "" {
				t.Errorf("429 without Retry-After")
			}
			return
		}
		wantJSON(t, r, http.StatusUnauthorized, bodyUnauthorized)
	}
	t.Fatalf("40 wrong tokens in a row were all answered 401")
}

func TestNoRateLimitTurnsLimitsOff(t *testing.T) {
	t.Parallel()
	s := newServer(t, servertest.WithoutRateLimit())
	for i := 0; i < 70; i++ {
		wantStatus(t, s.Do(t, "GET", "/api/v4/projects", "", nil), http.StatusOK)
	}
}

package api

import (
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/cairn-forge/cairn/forge"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func TestAnonymousLimitIsSixtyAnHour(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	l := NewLimiter(DefaultPolicies(), clock.now)
	anon := forge.Anonymous("192.0.2.1")
	for i := 1; i <= 60; i++ {
		w := httptest.NewRecorder()
		if err := l.Charge(w, anon, "192.0.2.1", BucketAPI); err != nil {
			t.Fatalf("request %d refused: %v", i, err)
		}
		if got := w.Header().Get("X-RateLimit-Remaining"); got != strconv.Itoa(60-i) {
			t.Fatalf("request %d: X-RateLimit-Remaining = %s, want %d", i, got, 60-i)
		}
		if w.Header().Get("RateLimit-Limit") != "" {
			t.Fatalf("GitLab's RateLimit-Limit sent on an ordinary response")
		}
	}
	w := httptest.NewRecorder()
	err := l.Charge(w, anon, "192.0.2.1", BucketAPI)
	if forge.ErrorCode(err) != forge.ERateLimited {
		t.Fatalf("61st request: %v, want rate limited", err)
	}
	if got := w.Header().Get("Retry-After"); got != "60" {
		t.Fatalf("Retry-After = %q, want 60", got)
	}
	if w.Header().Get("RateLimit-Reset") == "" || w.Header().Get("RateLimit-ResetTime") == "" {
		t.Fatal("429 lacks GitLab's RateLimit-Reset headers")
	}
	// Another address has its own bucket; a minute later the first has one request again.
	if err := l.Charge(httptest.NewRecorder(), forge.Anonymous("192.0.2.2"), "192.0.2.2", BucketAPI); err != nil {
		t.Fatalf("second address refused: %v", err)
	}
	clock.t = clock.t.Add(time.Minute)
	if err := l.Charge(httptest.NewRecorder(), anon, "192.0.2.1", BucketAPI); err != nil {
		t.Fatalf("after a minute: %v", err)
	}
}

func TestPlansSetTheBucket(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	l := NewLimiter(DefaultPolicies(), clock.now)
	tests := []struct {
		user  forge.User
		limit string
		burst int
	}{
		{forge.User{ID: 1}, "5000", 5000},
		{forge.User{ID: 2, Plan: forge.PlanStarter}, "60", 20},
		{forge.User{ID: 3, Plan: forge.PlanPro}, "600", 100},
		{forge.User{ID: 4, Plan: forge.PlanEnterprise, RatePerMinute: 6000, RateBurst: 7}, "6000", 7},
	}
	for _, tt := range tests {
		a := &forge.Actor{User: &tt.user}
		var refused int
		var limit string
		for i := 0; i < tt.burst+1; i++ {
			w := httptest.NewRecorder()
			if l.Charge(w, a, "192.0.2.9", BucketAPI) != nil {
				refused = i + 1
			}
			limit = w.Header().Get("X-RateLimit-Limit")
		}
		if limit != tt.limit || refused != tt.burst+1 {
			t.Errorf("plan %q: limit %s, first refusal at %d; want %s and %d", tt.user.Plan, limit, refused, tt.limit, tt.burst+1)
		}
	}
}

func TestIdleBucketsAreEvicted(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	l := NewLimiter(DefaultPolicies(), clock.now)
	for i := 0; i < 100; i++ {
		ip := "198.51.100." + strconv.Itoa(i)
		_ = l.Charge(httptest.NewRecorder(), forge.Anonymous(ip), ip, BucketAPI)
	}
	if l.Len() != 100 {
		t.Fatalf("%d buckets, want 100", l.Len())
	}
	// An anonymous bucket refills one request a minute: after two, every one is full again.
	clock.t = clock.t.Add(2 * time.Minute)
	_ = l.Charge(httptest.NewRecorder(), forge.Anonymous("203.0.113.1"), "203.0.113.1", BucketAPI)
	if l.Len() != 1 {
		t.Fatalf("%d buckets after the idle ones refilled, want 1", l.Len())
	}
}

func TestFailedAuthenticationsAreLimitedPerAddress(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	l := NewLimiter(DefaultPolicies(), clock.now)
	for i := 0; i < 30; i++ {
		if !l.AuthAttemptAllowed("192.0.2.7") {
			t.Fatalf("attempt %d refused", i+1)
		}
		l.AuthFailed("192.0.2.7")
	}
	if l.AuthAttemptAllowed("192.0.2.7") {
		t.Fatal("31st failed attempt within a minute allowed")
	}
	if !l.AuthAttemptAllowed("192.0.2.8") {
		t.Fatal("another address refused")
	}
}

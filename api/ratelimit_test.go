package api

import (
	"context"
	"net/http/httptest"
	"strconv"
	"sync"
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
			t.Errorf("plan %q: limit %s, first refusal at %d; want %s and %d", tt.user.Plan, limit, refused,
				tt.limit, tt.burst+1)
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
		a, err := l.BeginAuth(context.Background(), httptest.NewRecorder(), "192.0.2.7")
		if err != nil {
			t.Fatalf("attempt %d refused: %v", i+1, err)
		}
		a.Done(true)
	}
	w := httptest.NewRecorder()
	if _, err := l.BeginAuth(context.Background(), w, "192.0.2.7"); forge.ErrorCode(err) != forge.ERateLimited {
		t.Fatalf("31st failed attempt within a minute: %v, want rate limited", err)
	}
	if w.Header().Get("Retry-After") != "2" || w.Header().Get("RateLimit-Name") != "throttle_authentication_failures" {
		t.Fatalf("refusal headers %v", w.Header())
	}
	if _, err := l.BeginAuth(context.Background(), httptest.NewRecorder(), "192.0.2.8"); err != nil {
		t.Fatalf("another address refused: %v", err)
	}
}

// An attempt in progress keeps its bucket: evicting it would forget the attempts it holds.
func TestHeldAuthBucketsAreNotEvicted(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	l := NewLimiter(DefaultPolicies(), clock.now)
	var held []*AuthAttempt
	for i := 0; i < 30; i++ {
		a, err := l.BeginAuth(context.Background(), httptest.NewRecorder(), "192.0.2.7")
		if err != nil {
			t.Fatalf("attempt %d refused: %v", i+1, err)
		}
		held = append(held, a)
	}
	clock.t = clock.t.Add(2 * time.Minute)
	_ = l.Charge(httptest.NewRecorder(), forge.Anonymous("203.0.113.1"), "203.0.113.1", BucketAPI)
	// An attempt beyond the 30 held waits for one of them; given up, it is refused.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := l.BeginAuth(ctx, httptest.NewRecorder(), "192.0.2.7"); forge.ErrorCode(err) != forge.ERateLimited {
		t.Fatalf("attempt beyond the 30 held: %v, want rate limited", err)
	}
	for _, a := range held {
		a.Done(false)
	}
	if _, err := l.BeginAuth(context.Background(), httptest.NewRecorder(), "192.0.2.7"); err != nil {
		t.Fatalf("attempt after the held ones succeeded: %v", err)
	}
}

// Parallel sign-ins must not all pass the check before the first failure is charged: every
// check in flight holds one of the address's attempts, so at most the limit reach the
// password comparison; the rest wait for them and, once they have failed, are refused.
func TestParallelFailedSignInsStopAtTheLimit(t *testing.T) {
	const n = 100
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	c := &Core{Limits: NewLimiter(DefaultPolicies(), clock.now)}
	arrived := make(chan struct{}, n) // one per caller in the check
	release := make(chan struct{})
	codes := make(chan forge.Code, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := c.GuardAuthentication(context.Background(), httptest.NewRecorder(), "192.0.2.7", false,
				func(bool) error {
					arrived <- struct{}{}
					<-release
					return forge.Unauthorized("")
				})
			codes <- forge.ErrorCode(err)
		}()
	}
	// The first 30 reach the check; the others wait for them.
	for i := 0; i < 30; i++ {
		<-arrived
	}
	select {
	case <-arrived:
		t.Fatal("a 31st sign-in reached the check while 30 were in it")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	wg.Wait()
	close(codes)
	count := map[forge.Code]int{}
	for code := range codes {
		count[code]++
	}
	if count[forge.EUnauthorized] != 30 || count[forge.ERateLimited] != n-30 {
		t.Fatalf("%d parallel failed sign-ins: %d unauthorized, %d rate limited; want 30 and %d",
			n, count[forge.EUnauthorized], count[forge.ERateLimited], n-30)
	}
	// One refilled attempt admits one sign-in, not another burst.
	clock.t = clock.t.Add(2 * time.Second)
	fail := func(bool) error { return forge.Unauthorized("") }
	if err := c.GuardAuthentication(context.Background(), httptest.NewRecorder(), "192.0.2.7", false,
		fail); forge.ErrorCode(err) != forge.EUnauthorized {
		t.Fatalf("after an attempt refilled: %v, want unauthorized", err)
	}
	w := httptest.NewRecorder()
	if err := c.GuardAuthentication(context.Background(), w, "192.0.2.7", false,
		fail); forge.ErrorCode(err) != forge.ERateLimited {
		t.Fatalf("second attempt on one refilled: %v, want rate limited", err)
	}
	if w.Header().Get("Retry-After") != "2" {
		t.Fatalf("Retry-After %q, want 2", w.Header().Get("Retry-After"))
	}
}

// Successful checks give their attempt back: an address full of people signing in, or a
// client making many requests with a good token, is not slowed by its own successes.
func TestSuccessfulSignInsSpendNoAttempt(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	c := &Core{Limits: NewLimiter(DefaultPolicies(), clock.now)}
	for i := 0; i < 100; i++ {
		if err := c.GuardAuthentication(context.Background(), httptest.NewRecorder(), "192.0.2.7", false,
			func(bool) error { return nil }); err != nil {
			t.Fatalf("sign-in %d: %v", i+1, err)
		}
	}
	for i := 0; i < 30; i++ {
		err := c.GuardAuthentication(context.Background(), httptest.NewRecorder(), "192.0.2.7", false,
			func(bool) error { return forge.Unauthorized("") })
		if forge.ErrorCode(err) != forge.EUnauthorized {
			t.Fatalf("failure %d after the successes: %v", i+1, err)
		}
	}
}

// Many checks in flight from one address that succeed are not refused for being many: past
// the 30 attempts, a check waits for one in progress to end and give its attempt back.
func TestManyConcurrentSuccessfulAuthenticationsPass(t *testing.T) {
	const n = 100
	c := &Core{Limits: NewLimiter(DefaultPolicies(), nil)}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- c.GuardAuthentication(context.Background(), httptest.NewRecorder(), "192.0.2.9", false,
				func(bool) error {
					time.Sleep(20 * time.Millisecond)
					return nil
				})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("a successful check was refused: %v", err)
		}
	}
}

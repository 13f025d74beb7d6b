package gitdev_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/cairn-forge/cairn/server/servertest"
)

// The document's plans: Starter 60/min with bursts of 20, Pro 600/min with bursts of 100,
// Enterprise what an administrator sets. Each user's bucket follows their plan.
func TestPlanRateLimits(t *testing.T) {
	t.Parallel()
	s := servertest.New(t)
	tests := []struct {
		plan         string
		fields       map[string]any
		limit, burst int
	}{
		{plan: "starter", limit: 60, burst: 20},
		{plan: "pro", limit: 600, burst: 100},
		{plan: "enterprise", fields: map[string]any{"rate_limit_per_minute": 30, "rate_limit_burst": 5},
			limit: 30, burst: 5},
	}
	for _, tt := range tests {
		t.Run(tt.plan, func(t *testing.T) {
			t.Parallel()
			uid, token := s.CreateUser(t, "user-"+tt.plan)
			body := map[string]any{"plan": tt.plan}
			for k, v := range tt.fields {
				body[k] = v
			}
			gitlab(t, s, 200, "PUT", "/users/"+itoa(uid), s.AdminToken, body)
			// Requests go until one is refused: at least the burst passes, and no more than
			// the burst and what the bucket refilled (limit/60 a second) meanwhile.
			start := time.Now()
			var r *servertest.Response
			passed := 0
			for ; passed <= 4*tt.burst; passed++ {
				path := "/v1/repositories"
				if passed%3 == 0 {
					path = "/v1/repositories/nobody/nothing" // errors draw on the bucket too
				}
				r = call(t, s, "GET", path, token, nil)
				if got := r.Header.Get("X-RateLimit-Limit"); got != strconv.Itoa(tt.limit) {
					t.Fatalf("request %d: X-RateLimit-Limit %q, want %d", passed+1, got, tt.limit)
				}
				if _, err := strconv.ParseInt(r.Header.Get("X-RateLimit-Reset"), 10, 64); err != nil {
					t.Fatalf("request %d: X-RateLimit-Reset %q", passed+1, r.Header.Get("X-RateLimit-Reset"))
				}
				rem, err := strconv.Atoi(r.Header.Get("X-RateLimit-Remaining"))
				if err != nil || rem < 0 || rem >= tt.burst {
					t.Fatalf("request %d: X-RateLimit-Remaining %q", passed+1, r.Header.Get("X-RateLimit-Remaining"))
				}
				if r.StatusCode == 429 {
					break
				}
			}
			refilled := int(time.Since(start).Seconds()*float64(tt.limit)/60) + 1
			if passed < tt.burst || passed > tt.burst+refilled {
				t.Fatalf("%d requests passed before a 429; want the burst of %d (+%d refilled)", passed,
					tt.burst, refilled)
			}
			wantError(t, r, 429, "rate_limited", "")
			retry, err := strconv.Atoi(r.Header.Get("Retry-After"))
			if err != nil || retry < 1 || retry > 60 {
				t.Errorf("Retry-After %q", r.Header.Get("Retry-After"))
			}
			if r.Header.Get("X-RateLimit-Remaining") != "0" ||
				r.Header.Get("X-RateLimit-Limit") != strconv.Itoa(tt.limit) {
				t.Errorf("429 headers %v", r.Header)
			}
		})
	}
}

// A user on no plan has the API's default budget, and anonymous callers are refused before
// anything else.
func TestDefaultBudgetWithoutAPlan(t *testing.T) {
	t.Parallel()
	s := servertest.New(t)
	_, token := s.CreateUser(t, "noplan")
	for i := 0; i < 25; i++ {
		r := call(t, s, "GET", "/v1/teams", token, nil)
		want(t, r, 200)
		if r.Header.Get("X-RateLimit-Limit") != "5000" {
			t.Fatalf("X-RateLimit-Limit %q", r.Header.Get("X-RateLimit-Limit"))
		}
	}
	r := call(t, s, "GET", "/v1/teams", "", nil)
	wantError(t, r, 401, "unauthorized", "")
	if r.Header.Get("X-RateLimit-Limit") == "" {
		t.Errorf("401 without X-RateLimit headers")
	}
}

package api_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
	"github.com/cairn-forge/cairn/server"
	"github.com/cairn-forge/cairn/server/servertest"
)

// formToken is the sign-in form's token, in its hidden field and cookie, as a browser that
// loaded the page sends it.
const formToken = "a-sign-in-form-token-of-thirty-two-or-more"

// parallelStatuses sends n requests at once, made by req(i), and counts the statuses.
func parallelStatuses(t *testing.T, n int, req func(i int) *http.Request) map[int]int {
	t.Helper()
	var mu sync.Mutex
	counts := map[int]int{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		r := req(i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			resp, err := http.DefaultClient.Do(r)
			if err != nil {
				t.Errorf("%s %s: %v", r.Method, r.URL, err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode == http.StatusTooManyRequests && resp.Header.Get("Retry-After") == "" {
				t.Errorf("429 without Retry-After")
			}
			mu.Lock()
			counts[resp.StatusCode]++
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	return counts
}

// Failed authentications are limited to 30 a minute per address even when they arrive all at
// once: parallel guesses are not all checked before the first failure is counted.
func TestParallelGuessesStopAtTheLimit(t *testing.T) {
	t.Parallel()
	const n = 200
	tests := []struct {
		name string
		req  func(base string, i int) *http.Request
	}{
		{"passwords", func(base string, i int) *http.Request {
			form := url.Values{"user[login]": {"ann"}, "user[password]": {"guess" + strconv.Itoa(i)},
				"authenticity_token": {formToken}}.Encode()
			r, _ := http.NewRequest("POST", base+"/users/sign_in", strings.NewReader(form))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.Header.Set("Cookie", "_cairn_csrf="+formToken)
			return r
		}},
		{"tokens", func(base string, i int) *http.Request {
			r, _ := http.NewRequest("GET", base+"/api/v4/user", nil)
			r.Header.Set("PRIVATE-TOKEN", "cairn_pat_guess"+strconv.Itoa(i))
			return r
		}},
		// Tokens in the issued shape are checked past the budget, and their failures still
		// answered 429.
		{"tokens in the issued shape", func(base string, i int) *http.Request {
			r, _ := http.NewRequest("GET", base+"/api/v4/user", nil)
			secret := []byte(strings.Repeat("a", 32))
			secret[30], secret[31] = byte('a'+i/26%26), byte('a'+i%26)
			r.Header.Set("PRIVATE-TOKEN", forge.TokenPrefix+string(secret))
			return r
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// An hour's window, so that no attempt refills while the test runs; a slower hash,
			// as in production, widens the window between check and charge.
			limits := api.DefaultPolicies()
			limits.AuthFailures = api.Policy{Limit: 30, Window: time.Hour, Burst: 30}
			s := servertest.New(t, servertest.WithRateLimits(limits),
				servertest.WithConfig(func(c *server.Config) { c.Forge.PasswordCost = 8 }))
			s.CreateUser(t, "ann")
			counts := parallelStatuses(t, n, func(i int) *http.Request { return tt.req(s.URL, i) })
			if counts[http.StatusUnauthorized] > 30 ||
				counts[http.StatusUnauthorized]+counts[http.StatusTooManyRequests] != n {
				t.Fatalf("%d parallel %s guesses answered %v; want at most 30 401s, the rest 429", n, tt.name, counts)
			}
		})
	}
}

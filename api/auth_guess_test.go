package api_test

import (
	"encoding/json"
	"net/http"
	"net/netip"
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

// hourlyFailures keeps the budget of 30 failures but refills it over an hour, so that no
// attempt comes back while a test on a slow machine runs.
func hourlyFailures() servertest.Option {
	limits := api.DefaultPolicies()
	limits.AuthFailures = api.Policy{Limit: 30, Window: time.Hour, Burst: 30}
	return servertest.WithRateLimits(limits)
}

// behindProxy starts an instance that believes X-Forwarded-For from loopback, where the
// test's requests come from, as a server behind a reverse proxy on the same machine does.
func behindProxy(t *testing.T) *servertest.Server {
	return servertest.New(t, hourlyFailures(), servertest.WithConfig(func(c *server.Config) {
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	}))
}

// auditEvents returns the audit events named name, newest first.
func auditEvents(t *testing.T, s *servertest.Server, name string) []forge.AuditEvent {
	t.Helper()
	all, _, err := s.Forge.Instance.ListAuditEvents(t.Context(), forge.System(), forge.Page{Page: 1, PerPage: 10000})
	if err != nil {
		t.Fatal(err)
	}
	var out []forge.AuditEvent
	for _, e := range all {
		if e.Action == name {
			out = append(out, e)
		}
	}
	return out
}

func TestForwardedForNamesTheClientOnlyBehindATrustedProxy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		trusted bool
		xff     string
		want    string
	}{
		{"behind a trusted proxy", true, "198.51.100.23", "198.51.100.23"},
		{"a client's own entry is skipped", true, "6.6.6.6, 198.51.100.24", "198.51.100.24"},
		{"without a trusted proxy the header is ignored", false, "198.51.100.23", "127.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := servertest.New(t)
			if tt.trusted {
				s = behindProxy(t)
			}
			if r := s.PostSignIn(t, "nobody", "guess", "X-Forwarded-For",
				tt.xff); r.StatusCode != http.StatusUnauthorized {
				t.Fatalf("sign-in: %d %s", r.StatusCode, r.Body)
			}
			events := auditEvents(t, s, "sign_in_failed")
			if len(events) != 1 || events[0].IP != tt.want {
				t.Fatalf("failed sign-ins audited %+v, want one from %s", events, tt.want)
			}
		})
	}

	// Each client behind the proxy has its own budget of failures; without the setting the
	// proxy's address is everyone's.
	for _, trusted := range []bool{true, false} {
		s := servertest.New(t, hourlyFailures())
		if trusted {
			s = behindProxy(t)
		}
		for i := 0; i < 31; i++ {
			s.PostSignIn(t, "nobody", "guess", "X-Forwarded-For", "198.51.100.1")
		}
		got := s.PostSignIn(t, "nobody", "guess", "X-Forwarded-For", "198.51.100.2").StatusCode
		if want := map[bool]int{true: 401, false: 429}[trusted]; got != want {
			t.Errorf("trusted proxy %v: another client after one spent its budget: %d, want %d", trusted, got, want)
		}
	}
}

// A client presenting bad tokens spends its address's budget of failures; a correct token
// that cairn issued still works from that address (a team behind one NAT or proxy is not
// locked out by one broken CI job), while every guess stays refused as rate limited.
func TestACorrectTokenWorksFromAnAddressPastItsFailureBudget(t *testing.T) {
	t.Parallel()
	s := servertest.New(t, hourlyFailures())
	_, token := s.CreateUser(t, "ann")
	if !forge.IssuedToken(token) {
		t.Fatalf("an issued token %q is not in the issued shape", token)
	}
	statuses := map[int]int{}
	for i := 0; i < 31; i++ {
		statuses[s.Do(t, "GET", "/api/v4/user", "cairn_pat_guess"+strconv.Itoa(i), nil).StatusCode]++
	}
	if statuses[401] != 30 || statuses[429] != 1 {
		t.Fatalf("31 bad tokens answered %v, want 30 401s and a 429", statuses)
	}
	wrongButIssuedShape := forge.TokenPrefix + strings.Repeat("a", len(token)-len(forge.TokenPrefix))
	tests := []struct {
		name  string
		token string
		want  int
	}{
		{"a correct issued token", token, 200},
		{"a wrong token in the issued shape", wrongButIssuedShape, 429},
		{"a secret the operator chose, which could be guessed", s.AdminToken, 429},
		{"a guess", "cairn_pat_guess", 429},
	}
	for _, tt := range tests {
		r := s.Do(t, "GET", "/api/v4/user", tt.token, nil)
		if r.StatusCode != tt.want {
			t.Errorf("%s: %d %s, want %d", tt.name, r.StatusCode, r.Body, tt.want)
		}
		if r.StatusCode == 429 && r.Header.Get("Retry-After") == "" {
			t.Errorf("%s: 429 without Retry-After", tt.name)
		}
	}
	// Only the failures within the budget were written to the audit log.
	if n := len(auditEvents(t, s, "token_auth_failed")); n != 30 {
		t.Errorf("%d failed token checks audited, want 30", n)
	}
}

// 300 wrong passwords for one account from 10 addresses (each within its own budget, as a
// botnet would send them) end in a lock after the 10th; the lock is audited, shown as GitLab
// shows it, refuses even the right password, and leaves tokens and sessions working.
func TestWrongPasswordsFromTenAddressesLockTheAccount(t *testing.T) {
	t.Parallel()
	s := behindProxy(t)
	id, token := s.CreateUser(t, "ann")
	session, _ := s.SignIn(t, "ann", "password-ann")

	var mu sync.Mutex
	statuses := map[int]int{}
	var wg sync.WaitGroup
	for a := 0; a < 10; a++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			addr := "203.0.113." + strconv.Itoa(10+a)
			for i := 0; i < 30; i++ {
				code := s.PostSignIn(t, "ann", "guess-"+strconv.Itoa(i), "X-Forwarded-For", addr).StatusCode
				mu.Lock()
				statuses[code]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if statuses[401] != 300 {
		t.Fatalf("300 wrong passwords from 10 addresses answered %v, want 300 401s", statuses)
	}

	var u struct {
		State  string `json:"state"`
		Locked bool   `json:"locked"`
	}
	s.Do(t, "GET", "/api/v4/users/"+strconv.FormatInt(id, 10), s.AdminToken, nil).JSON(t, &u)
	if !u.Locked || u.State != "active" {
		t.Fatalf("after 300 wrong passwords: %+v, want an active user who is locked", u)
	}
	if locks := auditEvents(t, s, "user_locked"); len(locks) != 1 || locks[0].TargetID != id {
		t.Fatalf("locks audited: %+v, want one of user %d", locks, id)
	}
	if r := s.PostSignIn(t, "ann", "password-ann", "X-Forwarded-For",
		"198.51.100.99"); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("the right password of a locked account: %d", r.StatusCode)
	}
	if r := s.Do(t, "GET", "/api/v4/user", token, nil); r.StatusCode != http.StatusOK {
		t.Fatalf("a locked user's token: %d", r.StatusCode)
	}
	if r := s.Do(t, "GET", "/api/v4/user", "", nil, "Cookie", "_gitlab_session="+
		session); r.StatusCode != http.StatusOK {
		t.Fatalf("a locked user's session: %d", r.StatusCode)
	}

	// An administrator lifts the lock.
	if was, err := s.Forge.Accounts.UnlockUser(t.Context(), forge.System(), id); err != nil || !was {
		t.Fatalf("unlock: %v, %v", was, err)
	}
	if r := s.PostSignIn(t, "ann", "password-ann", "X-Forwarded-For",
		"198.51.100.99"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("the right password after an unlock: %d", r.StatusCode)
	}
	if unlocks := auditEvents(t, s, "user_unlocked"); len(unlocks) != 1 {
		t.Fatalf("unlocks audited: %+v", unlocks)
	}
	var again struct{ Locked bool }
	if err := json.Unmarshal(
		s.Do(t, "GET", "/api/v4/users/"+strconv.FormatInt(id, 10), s.AdminToken, nil).Body,
		&again); err != nil || again.Locked {
		t.Fatalf("after the unlock: %+v %v", again, err)
	}
}

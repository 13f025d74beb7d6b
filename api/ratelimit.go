package api

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/cairn-forge/cairn/forge"
	"golang.org/x/time/rate"
)

// Policy is one token bucket's shape: Limit requests per Window, at most Burst at once.
type Policy struct {
	Limit  int
	Window time.Duration
	Burst  int
}

func (p Policy) rate() rate.Limit { return rate.Limit(float64(p.Limit) / p.Window.Seconds()) }

// Bucket is a family of limits: API calls, git transport, web pages.
type Bucket int

// The bucket families.
const (
	BucketAPI Bucket = iota
	BucketGit
	BucketWeb
)

// Policies are the limits in force.
type Policies struct {
	// Authenticated and Anonymous apply to API calls (seeds: 5,000/hour and 60/hour).
	Authenticated Policy
	Anonymous     Policy
	// Plans override Authenticated for users on a plan (seed .git: starter, pro).
	Plans map[string]Policy
	// Git and Web are the larger buckets of the git transport and pages, per user or address.
	Git Policy
	Web Policy
	// AuthFailures bounds how many bad credentials one address may present.
	AuthFailures Policy
}

// DefaultPolicies are the seeds' figures.
func DefaultPolicies() Policies {
	return Policies{
		Authenticated: Policy{Limit: 5000, Window: time.Hour, Burst: 5000},
		Anonymous:     Policy{Limit: 60, Window: time.Hour, Burst: 60},
		Plans: map[string]Policy{
			forge.PlanStarter: {Limit: 60, Window: time.Minute, Burst: 20},
			forge.PlanPro:     {Limit: 600, Window: time.Minute, Burst: 100},
		},
		Git:          Policy{Limit: 36000, Window: time.Hour, Burst: 600},
		Web:          Policy{Limit: 36000, Window: time.Hour, Burst: 600},
		AuthFailures: Policy{Limit: 30, Window: time.Minute, Burst: 30},
	}
}

// Limiter keeps one token bucket per key (user or address, per family). Buckets idle long
// enough to have refilled are dropped, so memory stays bounded by recent clients.
type Limiter struct {
	policies  Policies
	now       func() time.Time
	mu        sync.Mutex
	buckets   map[bucketKey]*bucket
	lastSweep time.Time
}

type bucketKey struct {
	family string
	id     string
}

type bucket struct {
	lim    *rate.Limiter
	policy Policy
	seen   time.Time
	// held counts authentication attempts in progress, each holding a token it may spend.
	held int
	// released, when not nil, is closed when an attempt in progress ends, waking those
	// waiting for one.
	released chan struct{}
}

// NewLimiter returns a limiter with policies p; now may be nil for the wall clock.
func NewLimiter(p Policies, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{policies: p, now: now, buckets: map[bucketKey]*bucket{}, lastSweep: now()}
}

// Len is the number of live buckets.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}

// get returns the bucket of k, made with p if new or if the policy changed. Callers hold mu.
func (l *Limiter) get(k bucketKey, p Policy, now time.Time) *bucket {
	if now.Sub(l.lastSweep) > time.Minute {
		l.sweep(now)
	}
	b := l.buckets[k]
	if b == nil || b.policy != p {
		b = &bucket{lim: rate.NewLimiter(p.rate(), p.Burst), policy: p}
		l.buckets[k] = b
	}
	b.seen = now
	return b
}

// sweep drops buckets that have refilled completely and are not held by an attempt in
// progress: they hold nothing a new one would not.
func (l *Limiter) sweep(now time.Time) {
	l.lastSweep = now
	for k, b := range l.buckets {
		if b.held == 0 && b.lim.TokensAt(now) >= float64(b.policy.Burst) {
			delete(l.buckets, k)
		}
	}
}

// policyFor picks the policy of an actor's requests in a family.
func (l *Limiter) policyFor(a *forge.Actor, family Bucket) (string, Policy) {
	switch family {
	case BucketGit:
		return "git", l.policies.Git
	case BucketWeb:
		return "web", l.policies.Web
	}
	if !a.SignedIn() {
		return "api", l.apiPolicies()[1]
	}
	if a.User.Plan == forge.PlanEnterprise && a.User.RatePerMinute > 0 {
		burst := a.User.RateBurst
		if burst <= 0 {
			burst = a.User.RatePerMinute
		}
		return "api", Policy{Limit: a.User.RatePerMinute, Window: time.Minute, Burst: burst}
	}
	if p, ok := l.policies.Plans[a.User.Plan]; ok {
		return "api", p
	}
	return "api", l.apiPolicies()[0]
}

// apiPolicies are the API's policies for users and for addresses, which administrators may
// change while the server runs (SetAPIRates).
func (l *Limiter) apiPolicies() [2]Policy {
	l.mu.Lock()
	defer l.mu.Unlock()
	return [2]Policy{l.policies.Authenticated, l.policies.Anonymous}
}

// SetAPIRates changes the API's limits per user and per address, as administrators set them
// while the server runs; buckets take a changed policy at their next request. A changed
// limit lets its whole period's requests come at once; an unchanged one keeps its burst.
func (l *Limiter) SetAPIRates(authenticated, anonymous forge.RateLimit) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.policies.Authenticated = policyOf(l.policies.Authenticated, authenticated)
	l.policies.Anonymous = policyOf(l.policies.Anonymous, anonymous)
}

// policyOf is the policy of rate-limit setting r, which was old.
func policyOf(old Policy, r forge.RateLimit) Policy {
	if old.Limit == r.Requests && old.Window == r.Period {
		return old
	}
	return Policy{Limit: r.Requests, Window: r.Period, Burst: r.Requests}
}

// Charge takes one request from the actor's bucket (the address's, when anonymous), sets the
// X-RateLimit headers, and returns a rate-limited error when the bucket is empty.
func (l *Limiter) Charge(w http.ResponseWriter, a *forge.Actor, ip string, family Bucket) error {
	name, p := l.policyFor(a, family)
	id := "ip:" + ip
	if a.SignedIn() {
		id = "user:" + strconv.FormatInt(a.User.ID, 10)
	}
	now := l.now()
	l.mu.Lock()
	b := l.get(bucketKey{name, id}, p, now)
	ok := b.lim.AllowN(now, 1)
	tokens := b.lim.TokensAt(now)
	l.mu.Unlock()
	return l.answer(w, p, tokens, ok, now, "throttle_"+name)
}

// answer sets the rate-limit headers for a bucket holding tokens, and the 429 when !ok.
func (l *Limiter) answer(w http.ResponseWriter, p Policy, tokens float64, ok bool, now time.Time, name string) error {
	remaining := max(0, int(math.Floor(tokens)))
	perSecond := float64(p.Limit) / p.Window.Seconds()
	full := now.Add(time.Duration((float64(p.Burst) - tokens) / perSecond * float64(time.Second)))
	h := w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(p.Limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(full.Unix(), 10))
	if ok {
		return nil
	}
	wait := time.Duration((1 - tokens) / perSecond * float64(time.Second))
	retry := int64(math.Ceil(wait.Seconds()))
	retry = max(retry, 1)
	reset := now.Add(time.Duration(retry) * time.Second)
	// GitLab's own names go only on a 429: GitLab's Go client reads RateLimit-Limit from any
	// response as a per-minute budget and throttles itself by it.
	perMinute := int(math.Round(perSecond * 60))
	h.Set("Retry-After", strconv.FormatInt(retry, 10))
	h.Set("RateLimit-Name", name)
	h.Set("RateLimit-Limit", strconv.Itoa(perMinute))
	h.Set("RateLimit-Observed", strconv.Itoa(perMinute-remaining))
	h.Set("RateLimit-Remaining", strconv.Itoa(remaining))
	h.Set("RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
	h.Set("RateLimit-ResetTime", reset.UTC().Format(http.TimeFormat))
	return &forge.Error{Code: forge.ERateLimited, Message: "Retry later",
		RetryAfter: time.Duration(retry) * time.Second}
}

// AuthAttempt is an authentication in progress at an address. It holds one of the address's
// attempts from before the credentials are checked until Done, so that parallel attempts
// cannot all pass a check made before the first of them is counted.
type AuthAttempt struct {
	l *Limiter
	b *bucket
	// over marks an attempt made past the address's budget, holding none: only credentials
	// that cannot be guessed are checked then (see BeginAuth).
	over bool
}

// maxAuthWait bounds how long an authentication waits for attempts in progress to end.
const maxAuthWait = 10 * time.Second

// BeginAuth holds one of ip's authentication attempts. When every attempt left is held by
// checks in progress it waits for them (most succeed and give theirs back: many clients
// behind one address are not refused for being many), until ctx ends or for maxAuthWait;
// when every attempt is spent, or the wait ends first, it sets the rate-limit headers on w
// and returns a rate-limited error.
func (l *Limiter) BeginAuth(ctx context.Context, w http.ResponseWriter, ip string) (*AuthAttempt, error) {
	return l.beginAuth(ctx, w, ip, false)
}

// BeginUnguessableAuth is BeginAuth for credentials no rate of guessing can find
// (forge.IssuedToken), which are never refused unchecked: with no attempt free, it returns an
// attempt that is Over and holds none, whose success passes and whose failure is refused as
// rate limited (Refusal). A client presenting a bad token so no longer locks out everyone
// behind its address.
func (l *Limiter) BeginUnguessableAuth(ctx context.Context, w http.ResponseWriter, ip string) (*AuthAttempt, error) {
	return l.beginAuth(ctx, w, ip, true)
}

func (l *Limiter) beginAuth(ctx context.Context, w http.ResponseWriter, ip string,
	unguessable bool) (*AuthAttempt, error) {
	timer := time.NewTimer(maxAuthWait)
	defer timer.Stop()
	expired := false
	l.mu.Lock()
	for {
		now := l.now()
		b := l.get(bucketKey{"auth", ip}, l.policies.AuthFailures, now)
		available := b.lim.TokensAt(now) - float64(b.held)
		if available >= 1 {
			b.held++
			l.mu.Unlock()
			return &AuthAttempt{l: l, b: b}, nil
		}
		if unguessable {
			l.mu.Unlock()
			return &AuthAttempt{l: l, b: b, over: true}, nil
		}
		if b.held == 0 || expired {
			l.mu.Unlock()
			return nil, l.answer(w, l.policies.AuthFailures, available, false, now, "throttle_authentication_failures")
		}
		if b.released == nil {
			b.released = make(chan struct{})
		}
		released := b.released
		l.mu.Unlock()
		select {
		case <-released:
		case <-ctx.Done():
			expired = true
		case <-timer.C:
			expired = true
		}
		l.mu.Lock()
	}
}

// Over reports whether the attempt was made past the address's budget.
func (a *AuthAttempt) Over() bool { return a.over }

// Done ends the attempt. A failed one is spent; a successful one is given back, because
// every request presenting a token is an attempt: charging successes would cap an address's
// authenticated traffic (a team behind one NAT, a CI runner) at the failure limit, while the
// bucket exists to bound guessing, which only failures are.
func (a *AuthAttempt) Done(failed bool) {
	now := a.l.now()
	a.l.mu.Lock()
	defer a.l.mu.Unlock()
	if !a.over {
		a.b.held--
		if a.b.released != nil {
			close(a.b.released)
			a.b.released = nil
		}
	}
	if failed {
		// Unlike AllowN, ReserveN takes the token even if less than one is left: a failure
		// is always counted.
		a.b.lim.ReserveN(now, 1)
	}
}

// Refusal sets the rate-limit headers of the address's failure budget on w and returns the
// rate-limited error that answers a failed attempt made Over the budget.
func (a *AuthAttempt) Refusal(w http.ResponseWriter) error {
	now := a.l.now()
	a.l.mu.Lock()
	available := a.b.lim.TokensAt(now) - float64(a.b.held)
	a.l.mu.Unlock()
	return a.l.answer(w, a.l.policies.AuthFailures, available, false, now, "throttle_authentication_failures")
}

package forge

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"

	"github.com/cairn-forge/cairn/db"
	"github.com/cairn-forge/cairn/forge/model"
)

// ApplicationSettings are the instance's settings administrators change at run time. They
// are kept in the database, so they outlive restarts; what the server was started with
// (--no-rate-limit) stays authoritative, and its settings are then read-only.
type ApplicationSettings struct {
	// SignupEnabled is false: accounts are made by administrators (cairn has no sign-up).
	SignupEnabled bool
	// DefaultProjectVisibility and DefaultGroupVisibility are what new projects and groups
	// get when their creator names none.
	DefaultProjectVisibility string
	DefaultGroupVisibility   string
	// DefaultBranchName is the first branch of new repositories.
	DefaultBranchName string
	// TokenLifetime is how long a token lives when its creator names no expiry.
	TokenLifetime time.Duration
	// AllowPermanentTokens is the startup flag's: tokens without expiry where asked for.
	AllowPermanentTokens bool
	// APIRateLimits are the API's limits per user (Authenticated) and per address
	// (Anonymous); RateLimitsFixed says the server was started without limits.
	Authenticated   RateLimit
	Anonymous       RateLimit
	RateLimitsFixed bool
}

// RateLimit is a number of requests per period.
type RateLimit struct {
	Requests int
	Period   time.Duration
}

// ApplicationSettingsInput carries the settings to change; nil means "not given".
type ApplicationSettingsInput struct {
	SignupEnabled            *bool
	DefaultProjectVisibility *string
	DefaultGroupVisibility   *string
	DefaultBranchName        *string
	TokenLifetimeDays        *int
	AuthenticatedRequests    *int
	AuthenticatedPeriod      *int
	AnonymousRequests        *int
	AnonymousPeriod          *int
	// AuthenticatedEnabled and AnonymousEnabled may only restate whether the server runs
	// with rate limits: that is chosen at start (--no-rate-limit).
	AuthenticatedEnabled *bool
	AnonymousEnabled     *bool
}

// The keys of the settings table, and the defaults of what is not set there.
const (
	settingProjectVisibility = "app.default_project_visibility"
	settingGroupVisibility   = "app.default_group_visibility"
	settingDefaultBranch     = "app.default_branch_name"
	settingTokenLifetime     = "app.token_lifetime_seconds"
	settingAuthRequests      = "app.throttle_authenticated_api_requests"
	settingAuthPeriod        = "app.throttle_authenticated_api_period_seconds"
	settingAnonRequests      = "app.throttle_unauthenticated_api_requests"
	settingAnonPeriod        = "app.throttle_unauthenticated_api_period_seconds"
)

// DefaultAPIRateLimits are the API's limits when no administrator changed them: 5,000
// requests an hour per user, 60 per address.
var DefaultAPIRateLimits = [2]RateLimit{{Requests: 5000, Period: time.Hour}, {Requests: 60, Period: time.Hour}}

// setting reads an instance setting; ok is false when it is not set.
func (s *Service) setting(ctx context.Context, key string) (string, bool, error) {
	v, err := db.Setting(ctx, s.db.Read, key)
	if errors.Is(err, db.ErrNotFound) {
		return "", false, nil
	}
	return v, err == nil, err
}

// settingInt reads an instance setting as a whole number, def when it is not set.
func (s *Service) settingInt(ctx context.Context, key string, def int) (int, error) {
	v, ok, err := s.setting(ctx, key)
	if err != nil || !ok {
		return def, err
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return def, nil
	}
	return n, nil
}

// settingString reads an instance setting, def when it is not set.
func (s *Service) settingString(ctx context.Context, key, def string) (string, error) {
	v, ok, err := s.setting(ctx, key)
	if err != nil || !ok {
		return def, err
	}
	return v, nil
}

// currentSettings reads every setting, with the instance's defaults for those not set.
func (s *Service) currentSettings(ctx context.Context) (ApplicationSettings, error) {
	st := ApplicationSettings{AllowPermanentTokens: s.cfg.AllowPermanentTokens, RateLimitsFixed: s.cfg.NoRateLimit}
	var err error
	if st.DefaultProjectVisibility, err = s.settingString(ctx, settingProjectVisibility, Private); err != nil {
		return st, err
	}
	if st.DefaultGroupVisibility, err = s.settingString(ctx, settingGroupVisibility, Private); err != nil {
		return st, err
	}
	if st.DefaultBranchName, err = s.settingString(ctx, settingDefaultBranch, s.cfg.DefaultBranch); err != nil {
		return st, err
	}
	lifetime, err := s.settingInt(ctx, settingTokenLifetime, int(s.cfg.TokenLifetime/time.Second))
	if err != nil {
		return st, err
	}
	st.TokenLifetime = time.Duration(lifetime) * time.Second
	for _, r := range []struct {
		key, periodKey string
		def            RateLimit
		dst            *RateLimit
	}{{settingAuthRequests, settingAuthPeriod, s.cfg.APIRateLimits[0], &st.Authenticated},
		{settingAnonRequests, settingAnonPeriod, s.cfg.APIRateLimits[1], &st.Anonymous}} {
		n, err := s.settingInt(ctx, r.key, r.def.Requests)
		if err != nil {
			return st, err
		}
		period, err := s.settingInt(ctx, r.periodKey, int(r.def.Period/time.Second))
		if err != nil {
			return st, err
		}
		*r.dst = RateLimit{Requests: n, Period: time.Duration(period) * time.Second}
	}
	return st, nil
}

// APIRateLimits returns the API's limits as administrators set them, for the server to
// apply at start; set is false while none was set (the server's own policies stand).
func (s *Instance) APIRateLimits(ctx context.Context) (authenticated, anonymous RateLimit, set bool, err error) {
	for _, k := range []string{settingAuthRequests, settingAuthPeriod, settingAnonRequests, settingAnonPeriod} {
		_, ok, err := s.setting(ctx, k)
		if err != nil {
			return RateLimit{}, RateLimit{}, false, err
		}
		set = set || ok
	}
	st, err := s.currentSettings(ctx)
	return st.Authenticated, st.Anonymous, set, err
}

// OnAPIRateLimitsChange makes f apply the API's limits whenever an administrator changes
// them, so that they take effect on the running server.
func (s *Instance) OnAPIRateLimitsChange(f func(authenticated, anonymous RateLimit)) {
	s.rateLimitsChanged.Store(&f)
}

// DefaultVisibility is the visibility a new project (kind "project") or group gets when its
// creator names none, for forms to offer first.
func (s *Instance) DefaultVisibility(ctx context.Context, kind string) string {
	key := settingProjectVisibility
	if kind == "group" {
		key = settingGroupVisibility
	}
	v, err := s.settingString(ctx, key, Private)
	if err != nil || !ValidVisibility(v) {
		return Private
	}
	return v
}

// GetApplicationSettings returns the instance's settings; only administrators may read them.
func (s *Instance) GetApplicationSettings(ctx context.Context, a *Actor) (ApplicationSettings, error) {
	if err := a.requireAdmin(NeedRead); err != nil {
		return ApplicationSettings{}, err
	}
	return s.currentSettings(ctx)
}

// UpdateApplicationSettings changes the instance's settings; only administrators may.
// Rate limits cannot change on an instance started without them, nor sign-up be turned on.
func (s *Instance) UpdateApplicationSettings(ctx context.Context, a *Actor,
	in ApplicationSettingsInput) (ApplicationSettings, error) {
	if err := a.requireAdmin(NeedWrite); err != nil {
		return ApplicationSettings{}, err
	}
	fe := FieldErrors{}
	values := map[string]string{}
	if in.SignupEnabled != nil && *in.SignupEnabled {
		fe.Add("signup_enabled", "cannot be enabled: accounts are made by administrators")
	}
	for _, v := range []struct {
		field, key string
		in         *string
	}{{"default_project_visibility", settingProjectVisibility, in.DefaultProjectVisibility},
		{"default_group_visibility", settingGroupVisibility, in.DefaultGroupVisibility}} {
		if v.in == nil {
			continue
		}
		if !ValidVisibility(*v.in) {
			return ApplicationSettings{}, invalidValue(v.field)
		}
		values[v.key] = *v.in
	}
	if in.DefaultBranchName != nil {
		if problem := ValidateBranchName(*in.DefaultBranchName); problem != "" {
			fe.Add("default_branch_name", problem)
		}
		values[settingDefaultBranch] = *in.DefaultBranchName
	}
	if in.TokenLifetimeDays != nil {
		if d := *in.TokenLifetimeDays; d < 1 || d > 365 {
			fe.Add("personal_access_token_default_lifetime_days", "must be between 1 and 365")
		}
		values[settingTokenLifetime] = strconv.Itoa(*in.TokenLifetimeDays * 24 * 3600)
	}
	for _, e := range []struct {
		field string
		in    *bool
	}{{"throttle_authenticated_api_enabled", in.AuthenticatedEnabled},
		{"throttle_unauthenticated_api_enabled", in.AnonymousEnabled}} {
		if e.in != nil && *e.in == s.cfg.NoRateLimit {
			fe.Add(e.field, "cannot change: rate limits are on or off from the server's start (--no-rate-limit)")
		}
	}
	for _, n := range []struct {
		field, key string
		in         *int
	}{{"throttle_authenticated_api_requests_per_period", settingAuthRequests, in.AuthenticatedRequests},
		{"throttle_authenticated_api_period_in_seconds", settingAuthPeriod, in.AuthenticatedPeriod},
		{"throttle_unauthenticated_api_requests_per_period", settingAnonRequests, in.AnonymousRequests},
		{"throttle_unauthenticated_api_period_in_seconds", settingAnonPeriod, in.AnonymousPeriod}} {
		if n.in == nil {
			continue
		}
		switch {
		case s.cfg.NoRateLimit:
			fe.Add(n.field, "cannot change: the server runs without rate limits (--no-rate-limit)")
		case *n.in < 1:
			fe.Add(n.field, "must be greater than 0")
		}
		values[n.key] = strconv.Itoa(*n.in)
	}
	if err := fe.Err(); err != nil {
		return ApplicationSettings{}, err
	}
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		for k, v := range values {
			if err := db.SetSetting(ctx, tx, k, v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return ApplicationSettings{}, err
	}
	s.audit(ctx, a, "application_settings_updated", "", 0, "")
	st, err := s.currentSettings(ctx)
	if err != nil {
		return st, err
	}
	if f := s.rateLimitsChanged.Load(); f != nil && in.changesRateLimits() {
		(*f)(st.Authenticated, st.Anonymous)
	}
	return st, nil
}

func (in ApplicationSettingsInput) changesRateLimits() bool {
	return in.AuthenticatedRequests != nil || in.AuthenticatedPeriod != nil || in.AnonymousRequests != nil ||
		in.AnonymousPeriod != nil
}

// Statistics are the instance's counts of what it holds.
type Statistics = model.Statistics

// ApplicationStatistics counts what the instance holds; only administrators may.
func (s *Instance) ApplicationStatistics(ctx context.Context, a *Actor) (Statistics, error) {
	if err := a.requireAdmin(NeedRead); err != nil {
		return Statistics{}, err
	}
	return db.CountStatistics(ctx, s.db.Read)
}

// ReadLicense checks that the actor may read the instance's license, as administrators may.
// cairn holds none, as a GitLab instance on the Free tier.
func (s *Instance) ReadLicense(a *Actor) error {
	return a.requireAdmin(NeedRead)
}

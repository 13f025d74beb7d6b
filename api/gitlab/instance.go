package gitlab

import (
	"net/http"
	"strconv"
	"time"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

// ApplicationSettings are the settings cairn has, under GitLab's names (lib/api/entities/
// application_setting.rb); personal_access_token_default_lifetime_days is cairn's own.
type ApplicationSettings struct {
	ID                                 int64  `json:"id"`
	SignupEnabled                      bool   `json:"signup_enabled"`
	DefaultProjectVisibility           string `json:"default_project_visibility"`
	DefaultGroupVisibility             string `json:"default_group_visibility"`
	DefaultBranchName                  string `json:"default_branch_name"`
	RequirePersonalAccessTokenExpiry   bool   `json:"require_personal_access_token_expiry"`
	PersonalAccessTokenDefaultLifetime int    `json:"personal_access_token_default_lifetime_days"`
	ThrottleAuthenticatedAPIEnabled    bool   `json:"throttle_authenticated_api_enabled"`
	ThrottleAuthenticatedAPIRequests   int    `json:"throttle_authenticated_api_requests_per_period"`
	ThrottleAuthenticatedAPIPeriod     int    `json:"throttle_authenticated_api_period_in_seconds"`
	ThrottleUnauthenticatedAPIEnabled  bool   `json:"throttle_unauthenticated_api_enabled"`
	ThrottleUnauthenticatedAPIRequests int    `json:"throttle_unauthenticated_api_requests_per_period"`
	ThrottleUnauthenticatedAPIPeriod   int    `json:"throttle_unauthenticated_api_period_in_seconds"`
}

func applicationSettings(st forge.ApplicationSettings) ApplicationSettings {
	limited := !st.RateLimitsFixed
	return ApplicationSettings{
		ID:                                 1,
		SignupEnabled:                      st.SignupEnabled,
		DefaultProjectVisibility:           st.DefaultProjectVisibility,
		DefaultGroupVisibility:             st.DefaultGroupVisibility,
		DefaultBranchName:                  st.DefaultBranchName,
		RequirePersonalAccessTokenExpiry:   !st.AllowPermanentTokens,
		PersonalAccessTokenDefaultLifetime: int(st.TokenLifetime / (24 * time.Hour)),
		ThrottleAuthenticatedAPIEnabled:    limited,
		ThrottleAuthenticatedAPIRequests:   st.Authenticated.Requests,
		ThrottleAuthenticatedAPIPeriod:     int(st.Authenticated.Period / time.Second),
		ThrottleUnauthenticatedAPIEnabled:  limited,
		ThrottleUnauthenticatedAPIRequests: st.Anonymous.Requests,
		ThrottleUnauthenticatedAPIPeriod:   int(st.Anonymous.Period / time.Second),
	}
}

func (h *Handler) instanceRoutes(rt *api.Router) {
	rt.Handle("GET", "/application/settings", h.getApplicationSettings)
	rt.Handle("PUT", "/application/settings", h.updateApplicationSettings)
	rt.Handle("GET", "/license", h.getLicense)
	rt.Handle("GET", "/licenses", h.listLicenses)
	if h.version == 4 {
		rt.Handle("GET", "/application/statistics", h.getApplicationStatistics)
		rt.Handle("POST", "/markdown", h.gitHandler(h.renderMarkdown))
	}
}

func (h *Handler) getApplicationSettings(w http.ResponseWriter, r *http.Request, _ api.Params) error {
	st, err := h.forge.Instance.GetApplicationSettings(r.Context(), api.Actor(r))
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusOK, applicationSettings(st))
}

func (h *Handler) updateApplicationSettings(w http.ResponseWriter, r *http.Request, _ api.Params) error {
	in, err := api.ReadInput(r)
	if err != nil {
		return err
	}
	si := forge.ApplicationSettingsInput{
		DefaultProjectVisibility: in.StringPtr("default_project_visibility"),
		DefaultGroupVisibility:   in.StringPtr("default_group_visibility"),
		DefaultBranchName:        in.StringPtr("default_branch_name"),
	}
	for key, dst := range map[string]**bool{
		"signup_enabled":                       &si.SignupEnabled,
		"throttle_authenticated_api_enabled":   &si.AuthenticatedEnabled,
		"throttle_unauthenticated_api_enabled": &si.AnonymousEnabled,
	} {
		if *dst, err = in.BoolPtr(key); err != nil {
			return err
		}
	}
	for key, dst := range map[string]**int{
		"personal_access_token_default_lifetime_days":      &si.TokenLifetimeDays,
		"throttle_authenticated_api_requests_per_period":   &si.AuthenticatedRequests,
		"throttle_authenticated_api_period_in_seconds":     &si.AuthenticatedPeriod,
		"throttle_unauthenticated_api_requests_per_period": &si.AnonymousRequests,
		"throttle_unauthenticated_api_period_in_seconds":   &si.AnonymousPeriod,
	} {
		if *dst, err = in.IntPtr(key); err != nil {
			return err
		}
	}
	st, err := h.forge.Instance.UpdateApplicationSettings(r.Context(), api.Actor(r), si)
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusOK, applicationSettings(st))
}

// getApplicationStatistics answers GitLab's counts, as text with thousands separators.
func (h *Handler) getApplicationStatistics(w http.ResponseWriter, r *http.Request, _ api.Params) error {
	st, err := h.forge.Instance.ApplicationStatistics(r.Context(), api.Actor(r))
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusOK, map[string]string{
		"forks":          delimited(st.Forks),
		"issues":         delimited(st.Issues),
		"merge_requests": delimited(st.MergeRequests),
		"notes":          delimited(st.Notes),
		"snippets":       "0",
		"ssh_keys":       delimited(st.SSHKeys),
		"milestones":     "0",
		"users":          delimited(st.Users),
		"groups":         delimited(st.Groups),
		"projects":       delimited(st.Projects),
		"active_users":   delimited(st.ActiveUsers),
	})
}

// delimited writes n with commas between thousands, as Rails' number_with_delimiter.
func delimited(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// getLicense answers as a GitLab instance without a license (the Free tier): null, for
// administrators.
func (h *Handler) getLicense(w http.ResponseWriter, r *http.Request, _ api.Params) error {
	if err := h.forge.Instance.ReadLicense(api.Actor(r)); err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusOK, nil)
}

// listLicenses lists no license, for administrators.
func (h *Handler) listLicenses(w http.ResponseWriter, r *http.Request, _ api.Params) error {
	if err := h.forge.Instance.ReadLicense(api.Actor(r)); err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusOK, []struct{}{})
}

func (h *Handler) renderMarkdown(w http.ResponseWriter, r *http.Request, _ api.Params) error {
	in, err := api.ReadInput(r)
	if err != nil {
		return err
	}
	text, ok := in.String("text")
	if !ok {
		return missing("text")
	}
	// gfm is checked, not used: the one renderer is GitHub Flavored, and GitLab's plain
	// pipeline renders the same extensions.
	if _, err := in.BoolPtr("gfm"); err != nil {
		return err
	}
	project, _ := in.String("project")
	html, err := h.forge.Issuables.RenderMarkdown(r.Context(), api.Actor(r),
		forge.MarkdownInput{Text: text, Project: project})
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusCreated, map[string]string{"html": html})
}

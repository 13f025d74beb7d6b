package gitdev_test

import (
	"net/http"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
)

func fullNames(l repoList) []string {
	out := make([]string, len(l.Data))
	for i, r := range l.Data {
		out[i] = r.FullName
	}
	return out
}

func TestListRepositoriesShowsWhatTheCallerMaySee(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tests := []struct {
		who, token string
		want       []string
	}{
		{"owner of acme", f.alice, []string{"acme/docs", "acme/frontend-app", "acme/web/site"}},
		{"developer of acme sees the nested group's too", f.bob,
			[]string{"acme/docs", "acme/frontend-app", "acme/web/site"}},
		{"outsider sees public ones and their own", f.carol, []string{"acme/docs", "carol/notes"}},
		{"administrator sees all", f.s.AdminToken,
			[]string{"acme/docs", "acme/frontend-app", "acme/web/site", "carol/notes"}},
	}
	for _, tt := range tests {
		t.Run(tt.who, func(t *testing.T) {
			l := decode[repoList](t, call(t, f.s, "GET", "/v1/repositories?sort=name", tt.token, nil), 200)
			got := fullNames(l)
			sort.Strings(got)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("repositories %v, want %v", got, tt.want)
			}
			if l.Meta != (metaJSON{Total: len(tt.want), Page: 1, PerPage: 20}) {
				t.Errorf("meta %+v", l.Meta)
			}
		})
	}
}

// The document's example response, field by field.
func TestRepositoryShapeIsTheDocuments(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := call(t, f.s, "GET", "/v1/repositories?sort=name&per_page=10", f.alice, nil)
	var raw struct {
		Data []map[string]any `json:"data"`
		Meta map[string]any   `json:"meta"`
	}
	want(t, r, 200)
	r.JSON(t, &raw)
	if !reflect.DeepEqual(raw.Meta, map[string]any{"total": 3.0, "page": 1.0, "per_page": 10.0}) {
		t.Errorf("meta %v", raw.Meta)
	}
	var app map[string]any
	for _, d := range raw.Data {
		if d["full_name"] == "acme/frontend-app" {
			app = d
		}
	}
	if app == nil {
		t.Fatalf("no acme/frontend-app in %s", r.Body)
	}
	for k, v := range map[string]any{"id": f.frontendID, "name": "frontend-app", "full_name": "acme/frontend-app",
		"visibility": "private", "default_branch": "main"} {
		if app[k] != v {
			t.Errorf("%s = %v, want %v", k, app[k], v)
		}
	}
	if s, _ := app["created_at"].(string); !rfc3339Second.MatchString(s) {
		t.Errorf("created_at %q is not like 2024-11-15T08:22:00Z", s)
	}
	if !strings.HasPrefix(f.frontendID, "repo_") ||
		strings.Trim(f.frontendID[5:], "0123456789abcdefghijklmnopqrstuvwxyz") != "" {
		t.Errorf("id %q", f.frontendID)
	}
	if app["url"] != f.s.URL+"/v1/repositories/"+f.frontendID || app["clone_url"] != f.s.URL+"/acme/frontend-app.git" {
		t.Errorf("url %v clone_url %v", app["url"], app["clone_url"])
	}
}

func TestListRepositoriesPaginates(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var seen []string
	for page := 1; page <= 2; page++ {
		r := call(t, f.s, "GET", "/v1/repositories?sort=name&per_page=2&page="+strconv.Itoa(page), f.s.AdminToken, nil)
		l := decode[repoList](t, r, 200)
		if l.Meta != (metaJSON{Total: 4, Page: page, PerPage: 2}) || len(l.Data) != 2 {
			t.Fatalf("page %d: meta %+v, %d items", page, l.Meta, len(l.Data))
		}
		seen = append(seen, fullNames(l)...)
		h := r.Header
		if h.Get("X-Total") != "4" || h.Get("X-Total-Pages") != "2" || h.Get("X-Per-Page") != "2" ||
			h.Get("X-Page") != strconv.Itoa(page) {
			t.Errorf("page %d: pagination headers %v", page, h)
		}
		link := h.Get("Link")
		next := `/v1/repositories?page=3&per_page=2&sort=name>; rel="next"`
		if page == 1 {
			next = `/v1/repositories?page=2&per_page=2&sort=name>; rel="next"`
		}
		if strings.Contains(link, next) != (page == 1) || !strings.Contains(link, `rel="last"`) {
			t.Errorf("page %d: Link %q", page, link)
		}
	}
	if want := []string{"acme/docs", "acme/frontend-app", "carol/notes",
		"acme/web/site"}; !reflect.DeepEqual(seen, want) {
		t.Errorf("pages hold %v, want %v", seen, want)
	}
	l := decode[repoList](t, call(t, f.s, "GET", "/v1/repositories?per_page=2&page=9", f.s.AdminToken, nil), 200)
	if len(l.Data) != 0 || l.Meta.Total != 4 || l.Data == nil {
		t.Errorf("past the end: %+v", l)
	}
}

func TestListRepositoriesSorts(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	// Settings change the update time: docs was made public last but one, site never.
	gitlab(t, f.s, 200, "PUT", "/projects/"+itoa(f.frontend), f.alice, map[string]any{"description": "the app"})
	tests := []struct {
		query string
		want  []string
	}{
		// By the repository's own name (docs, frontend-app, notes, site), not its slug.
		{"", []string{"acme/docs", "acme/frontend-app", "carol/notes", "acme/web/site"}},
		{"sort=name", []string{"acme/docs", "acme/frontend-app", "carol/notes", "acme/web/site"}},
		{"sort=name&direction=desc", []string{"acme/web/site", "carol/notes", "acme/frontend-app", "acme/docs"}},
		{"sort=created", []string{"carol/notes", "acme/docs", "acme/web/site", "acme/frontend-app"}},
		{"sort=created&direction=asc", []string{"acme/frontend-app", "acme/web/site", "acme/docs", "carol/notes"}},
		{"sort=updated", []string{"acme/frontend-app", "carol/notes", "acme/docs", "acme/web/site"}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			got := fullNames(
				decode[repoList](t, call(t, f.s, "GET", "/v1/repositories?"+tt.query, f.s.AdminToken, nil), 200))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("order %v, want %v", got, tt.want)
			}
		})
	}
}

func TestListRepositoriesRefusesBadParameters(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, q := range []string{"per_page=1000", "per_page=101", "per_page=0", "per_page=-5", "per_page=ten",
		"page=0", "page=-1", "page=1.5", "page=99999999999999999999", "sort=stars", "sort=Name",
		"sort=created&direction=up"} {
		t.Run(q, func(t *testing.T) {
			wantError(t, call(t, f.s, "GET", "/v1/repositories?"+q, f.alice, nil), 400, "invalid_parameter", "")
		})
	}
	e := decode[errorJSON](t, call(t, f.s, "GET", "/v1/repositories?per_page=1000", f.alice, nil), 400)
	if !strings.Contains(e.Error.Message, "per_page") {
		t.Errorf("message %q does not name per_page", e.Error.Message)
	}
	want(t, call(t, f.s, "GET", "/v1/repositories?per_page=100", f.alice, nil), 200)
}

// A repository is named by its id or its slug, literal or escaped, nested or not.
func TestGetRepositoryByIDOrSlug(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tests := []struct{ path, want string }{
		{f.frontendID, "acme/frontend-app"},
		{"acme/frontend-app", "acme/frontend-app"},
		{"acme%2Ffrontend-app", "acme/frontend-app"},
		{"acme%2fFrontend-App", "acme/frontend-app"},
		{f.siteID, "acme/web/site"},
		{"acme/web/site", "acme/web/site"},
		{"acme%2Fweb%2Fsite", "acme/web/site"},
		{"acme/web%2Fsite", "acme/web/site"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got := decode[repoJSON](t, call(t, f.s, "GET", "/v1/repositories/"+tt.path, f.bob, nil), 200)
			if got.FullName != tt.want || !strings.HasPrefix(got.ID, "repo_") {
				t.Errorf("got %+v, want %s", got, tt.want)
			}
		})
	}
	r := call(t, f.s, "GET", "/v1/repositories/"+f.siteID, f.alice, nil)
	got := decode[repoJSON](t, r, 200)
	if got.Owner.Type != "team" || got.Owner.ID != "team_"+b36(f.web) || got.Owner.Slug != "acme/web" {
		t.Errorf("owner %+v", got.Owner)
	}
	// Conditional GETs, as everywhere in cairn.
	r = call(t, f.s, "GET", "/v1/repositories/"+f.siteID, f.alice, nil, "If-None-Match", r.Header.Get("ETag"))
	if r.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: status %d", r.StatusCode)
	}
}

// What names nothing, or nothing the caller may see, is 404 in the document's shape;
// never a 500.
func TestUnknownAndInvisibleRepositoriesAreNotFound(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, path := range []string{
		f.frontendID, "acme/frontend-app", "acme%2Fweb%2Fsite", "acme/web/site/deployments",
	} {
		t.Run("invisible "+path, func(t *testing.T) {
			wantError(t, call(t, f.s, "GET", "/v1/repositories/"+path, f.carol, nil), 404, "not_found", "")
		})
	}
	for _, path := range []string{
		"repo_8f3k29d", "repo_", "repo_0", "repo_01", "repo_ABC", "REPO_1", "repo_-1", "repo_1x!",
		"repo_zzzzzzzzzzzzzz", "repo_1y2p0ij32e8e8", "frontend-app", "42", "acme", "acme/nothing",
		"acme%2F", "%2Facme", "acme//frontend-app", "team_1", "deploy_1", url.PathEscape("acme/../carol/notes"),
	} {
		t.Run(path, func(t *testing.T) {
			wantError(t, call(t, f.s, "GET", "/v1/repositories/"+path, f.s.AdminToken, nil), 404, "not_found", "")
		})
	}
	wantError(t, call(t, f.s, "GET", "/v1/repositories/"+f.frontendID, f.carol, nil), 404, "not_found",
		"Repository not found")
}

func TestRequestsWithoutAValidTokenAreUnauthorized(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, path := range []string{"/v1/repositories", "/v1/repositories/acme/docs", "/v1/teams",
		"/v1/deployments/deploy_1", "/v1/nothing"} {
		t.Run(path, func(t *testing.T) {
			for name, headers := range map[string][]string{
				"no token":      nil,
				"unknown token": {"Authorization", "Bearer cairn_pat_nope"},
				"bad scheme":    {"Authorization", "Digest abc"},
			} {
				r := f.s.Do(t, "GET", path, "", nil, headers...)
				wantError(t, r, 401, "unauthorized", "")
				if r.Header.Get("WWW-Authenticate") == "" {
					t.Errorf("%s: 401 without WWW-Authenticate", name)
				}
			}
		})
	}
	gitlab(t, f.s, 204, "DELETE", "/personal_access_tokens/self", f.carol, nil)
	wantError(t, call(t, f.s, "GET", "/v1/repositories", f.carol, nil), 401, "unauthorized", "Token has been revoked")
}

func TestUnknownRoutesAndMethods(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	wantError(t, call(t, f.s, "GET", "/v1", f.alice, nil), 404, "not_found", "")
	wantError(t, call(t, f.s, "GET", "/v1/nothing", f.alice, nil), 404, "not_found", "")
	wantError(t, call(t, f.s, "GET", "/v1/repositories/", f.alice, nil), 404, "not_found", "")
	r := call(t, f.s, "DELETE", "/v1/repositories", f.alice, nil)
	wantError(t, r, 405, "method_not_allowed", "")
	if r.Header.Get("Allow") == "" {
		t.Errorf("405 without Allow")
	}
	r = call(t, f.s, "POST", "/v1/repositories/acme/docs", f.alice, map[string]any{})
	wantError(t, r, 405, "method_not_allowed", "")
	if !strings.Contains(r.Header.Get("Allow"), "GET") {
		t.Errorf("Allow %q", r.Header.Get("Allow"))
	}
}

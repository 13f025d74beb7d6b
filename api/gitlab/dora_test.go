package gitlab_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cairn-forge/cairn/server/servertest"
	"github.com/go-git/go-billy/v5/memfs"
	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing/object"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	"github.com/go-git/go-git/v5/storage/memory"
)

// pushHistory pushes a linear history to main of the (empty) project at path, one commit per
// time, authored and committed then, and returns the commits' ids in order.
func pushHistory(t *testing.T, s *servertest.Server, path, token string, times ...string) []string {
	t.Helper()
	fs := memfs.New()
	repo, err := gogit.Init(memory.NewStorage(), fs)
	if err != nil {
		t.Fatal(err)
	}
	wt, err := repo.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	var shas []string
	for i, at := range times {
		when, err := time.Parse(time.RFC3339, at)
		if err != nil {
			t.Fatal(err)
		}
		f, err := fs.Create("change-" + strconv.Itoa(i))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = f.Write([]byte(at + "\n"))
		f.Close()
		if _, err := wt.Add("change-" + strconv.Itoa(i)); err != nil {
			t.Fatal(err)
		}
		sig := &object.Signature{Name: "Ada", Email: "ada@example.com", When: when}
		h, err := wt.Commit("change at "+at, &gogit.CommitOptions{Author: sig, Committer: sig})
		if err != nil {
			t.Fatal(err)
		}
		shas = append(shas, h.String())
	}
	if _, err := repo.CreateRemote(
		&config.RemoteConfig{Name: "origin", URLs: []string{s.URL + "/" + path + ".git"}}); err != nil {
		t.Fatal(err)
	}
	err = repo.Push(
		&gogit.PushOptions{RemoteName: "origin", RefSpecs: []config.RefSpec{"refs/heads/master:refs/heads/main"},
			Auth: &githttp.BasicAuth{Username: "oauth2", Password: token}})
	if err != nil {
		t.Fatalf("push to %s: %v", path, err)
	}
	return shas
}

// doraPoint is one figure as a client decodes it.
type doraPoint struct {
	Date  *string  `json:"date"`
	Value *float64 `json:"value"`
}

// doraFixture is an instance with a public group "deliver" holding the private project
// "deliver/site", whose history has known times (pushed), released three times and with three
// critical defects, and the public project "deliver/app"; and a private group "vault". rep is
// a reporter of deliver, guest a guest of site, outsider a member of nothing.
type doraFixture struct {
	s                    *servertest.Server
	rep, guest, outsider string
}

// newDORAFixture writes this history (2024, UTC):
//
//	commits  A 03-01 08:00, B 03-01 20:00, C 03-10 00:00, D 04-02 12:00
//	v1 at B, released 03-02 00:00: ships B and A, 4 h and 16 h after they were made
//	v2 at C, released 03-10 06:00: ships C, 6 h
//	v3 at D, released 04-03 12:00: ships D, 24 h
//	E3, recorded at the group, detected 03-01 00:00 (before v1), fixed 03-01 02:00: 2 h
//	E1, recorded at site,      detected 03-05 00:00 (after v1),  fixed 03-05 10:00: 10 h
//	E2, recorded at site,      detected 04-10 00:00 (after v3),  fixed 04-12 00:00: 48 h
//
// site has no deployments, so its releases are its production deployments.
func newDORAFixture(t *testing.T) *doraFixture {
	t.Helper()
	s := newServer(t)
	f := &doraFixture{s: s}
	root := s.AdminToken
	g := createGroup(t, s, root, map[string]any{"name": "deliver", "path": "deliver", "visibility": "public"})
	createGroup(t, s, root, map[string]any{"name": "vault", "path": "vault", "visibility": "private"})
	site := createProject(t, s, root, map[string]any{"name": "site", "namespace_id": g.ID, "visibility": "private"})
	createProject(t, s, root, map[string]any{"name": "app", "namespace_id": g.ID, "visibility": "public",
		"initialize_with_readme": true})
	repID, rep := s.CreateUser(t, "rep")
	guestID, guest := s.CreateUser(t, "guest")
	_, f.outsider = s.CreateUser(t, "outsider")
	f.rep, f.guest = rep, guest
	addMember(t, s, root, "groups", g.ID, repID, 20)
	addMember(t, s, root, "projects", site.ID, guestID, 10)

	shas := pushHistory(t, s, "deliver/site", root,
		"2024-03-01T08:00:00Z", "2024-03-01T20:00:00Z", "2024-03-10T00:00:00Z", "2024-04-02T12:00:00Z")
	for _, r := range []struct{ tag, sha, at string }{
		{"v1", shas[1], "2024-03-02T00:00:00Z"}, {"v2", shas[2], "2024-03-10T06:00:00Z"},
		{"v3", shas[3], "2024-04-03T12:00:00Z"},
	} {
		mustDo(t, s, http.StatusCreated, "POST", "/api/v4/projects/deliver%2Fsite/releases", root,
			map[string]any{"tag_name": r.tag, "ref": r.sha, "released_at": r.at})
	}
	for _, d := range []struct{ key, path, detected, fixed string }{
		{"E3", "deliver", "2024-03-01T00:00:00Z", "2024-03-01T02:00:00Z"},
		{"E1", "deliver/site", "2024-03-05T00:00:00Z", "2024-03-05T10:00:00Z"},
		{"E2", "deliver/site", "2024-04-10T00:00:00Z", "2024-04-12T00:00:00Z"},
	} {
		// GitClear records a fix on a repository path only: a defect of the group is found
		// again by its key from the project.
		mustDo(t, s, http.StatusCreated, "POST", "/api/v1/critical_defects", root,
			map[string]any{"defect_key": d.key, "resource_path": d.path, "detected_at": d.detected})
		mustDo(t, s, http.StatusOK, "POST", "/api/v1/critical_defects", root,
			map[string]any{"defect_key": d.key, "resource_path": "deliver/site", "fix_released_at": d.fixed})
	}
	return f
}

// figures fetches a DORA series and checks it has n points (any number when n < 0).
func (f *doraFixture) figures(t *testing.T, path, token, query string, n int) []doraPoint {
	t.Helper()
	r := mustDo(t, f.s, http.StatusOK, "GET", path+"?"+query, token, nil)
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	var points []doraPoint
	r.JSON(t, &points)
	if n >= 0 && len(points) != n {
		t.Fatalf("%s?%s: %d points, want %d: %s", path, query, len(points), n, r.Body)
	}
	return points
}

// pointValue shows a value for messages.
func pointValue(v *float64) string {
	if v == nil {
		return "null"
	}
	return strconv.FormatFloat(*v, 'g', -1, 64)
}

// Hours in seconds, for the arithmetic below.
const hours = 3600.0

// Over 2024-03-01..04-30 (61 days: March's 31, April's 30), each of the four figures of site,
// daily, monthly and all, is the hand-computed value of the history; the group's are the same
// (app has no deliveries in 2024).
func TestDORAMetricsOfAKnownHistory(t *testing.T) {
	t.Parallel()
	f := newDORAFixture(t)
	const rng = "&start_date=2024-03-01&end_date=2024-04-30"
	cases := []struct {
		metric, interval string
		want             map[string]float64
		// zeroElsewhere: every other date is 0 (daily frequency), not null.
		zeroElsewhere bool
	}{
		// v1 on 03-02, v2 on 03-10, v3 on 04-03.
		{"deployment_frequency", "daily", map[string]float64{"2024-03-02": 1, "2024-03-10": 1, "2024-04-03": 1}, true},
		// Per day: March 2 / 31, April 1 / 30, the range 3 / 61.
		{"deployment_frequency", "monthly", map[string]float64{"2024-03-01": 2.0 / 31, "2024-04-01": 1.0 / 30}, false},
		{"deployment_frequency", "all", map[string]float64{"": 3.0 / 61}, false},
		// v1: median(4 h, 16 h) = 10 h; v2: 6 h; v3: 24 h.
		{"lead_time_for_changes", "daily", map[string]float64{"2024-03-02": 10 * hours, "2024-03-10": 6 * hours,
			"2024-04-03": 24 * hours}, false},
		// March: median(4, 6, 16 h) = 6 h; April 24 h; all: median(4, 6, 16, 24 h) = 11 h.
		{"lead_time_for_changes", "monthly",
			map[string]float64{"2024-03-01": 6 * hours, "2024-04-01": 24 * hours}, false},
		{"lead_time_for_changes", "all", map[string]float64{"": 11 * hours}, false},
		// v1 is followed by E1 before v2; v2 by nothing before v3; v3 by E2.
		{"change_failure_rate", "daily", map[string]float64{"2024-03-02": 1, "2024-03-10": 0, "2024-04-03": 1}, false},
		{"change_failure_rate", "monthly", map[string]float64{"2024-03-01": 1.0 / 2, "2024-04-01": 1}, false},
		{"change_failure_rate", "all", map[string]float64{"": 2.0 / 3}, false},
		// Resolved on 03-01 (E3, 2 h), 03-05 (E1, 10 h), 04-12 (E2, 48 h).
		{"time_to_restore_service", "daily", map[string]float64{"2024-03-01": 2 * hours, "2024-03-05": 10 * hours,
			"2024-04-12": 48 * hours}, false},
		// March: median(2 h, 10 h) = 6 h; all: median(2, 10, 48 h) = 10 h.
		{"time_to_restore_service", "monthly",
			map[string]float64{"2024-03-01": 6 * hours, "2024-04-01": 48 * hours}, false},
		{"time_to_restore_service", "all", map[string]float64{"": 10 * hours}, false},
	}
	for _, path := range []string{"/api/v4/projects/deliver%2Fsite/dora/metrics",
		"/api/v4/groups/deliver/dora/metrics"} {
		for _, c := range cases {
			n := map[string]int{"daily": 61, "monthly": 2, "all": 1}[c.interval]
			points := f.figures(t, path, f.rep, "metric="+c.metric+"&interval="+c.interval+rng, n)
			for i, p := range points {
				key := ""
				if p.Date != nil {
					key = *p.Date
				} else if c.interval != "all" {
					t.Errorf("%s %s %s: point %d has no date", path, c.metric, c.interval, i)
				}
				want, ok := c.want[key]
				switch {
				case ok && (p.Value == nil || *p.Value != want):
					t.Errorf("%s %s %s %s: %s, want %v", path, c.metric, c.interval, key, pointValue(p.Value), want)
				case !ok && c.zeroElsewhere && (p.Value == nil || *p.Value != 0):
					t.Errorf("%s %s %s %s: %s, want 0", path, c.metric, c.interval, key, pointValue(p.Value))
				case !ok && !c.zeroElsewhere && p.Value != nil:
					t.Errorf("%s %s %s %s: %v, want null", path, c.metric, c.interval, key, *p.Value)
				}
			}
			if c.interval == "daily" && (*points[0].Date != "2024-03-01" || *points[60].Date != "2024-04-30") {
				t.Errorf("%s %s: dates from %s to %s", path, c.metric, *points[0].Date, *points[60].Date)
			}
		}
	}
	// The body is GitLab's: a list of {date, value}; all has one point dated null.
	r := mustDo(t, f.s, http.StatusOK, "GET",
		"/api/v4/projects/deliver%2Fsite/dora/metrics?metric=change_failure_rate&interval=all"+rng, f.rep, nil)
	if string(r.Body) != `[{"date":null,"value":0.6666666666666666}]` {
		t.Errorf("body %s", r.Body)
	}
	// Tiers other than production leave releases out; the array form of the parameter works.
	for _, q := range []string{"environment_tiers[]=staging", "environment_tiers=staging,testing"} {
		p := f.figures(t, "/api/v4/projects/deliver%2Fsite/dora/metrics", f.rep,
			"metric=deployment_frequency&interval=all&"+q+rng, 1)
		if p[0].Value == nil || *p[0].Value != 0 {
			t.Errorf("%s: %s", q, pointValue(p[0].Value))
		}
	}
}

// Deployments made through the API count, and a project that deploys to production is no
// longer measured by its releases. Without dates the range is GitLab's: three months to today.
func TestDORAMetricsOfDeployments(t *testing.T) {
	t.Parallel()
	f := newDORAFixture(t)
	app := "/api/v4/projects/deliver%2Fapp"
	mustDo(t, f.s, http.StatusCreated, "POST", app+"/releases", f.s.AdminToken,
		map[string]any{"tag_name": "v1", "ref": "main"})
	for range 2 {
		mustDo(t, f.s, http.StatusCreated, "POST", app+"/deployments", f.s.AdminToken,
			map[string]any{"environment": "production", "ref": "main", "status": "success"})
	}
	mustDo(t, f.s, http.StatusCreated, "POST", app+"/deployments", f.s.AdminToken,
		map[string]any{"environment": "staging", "ref": "main", "status": "success"})
	// A defect after the second deployment: the first is followed by the second, clean.
	mustDo(t, f.s, http.StatusCreated, "POST", "/api/v1/critical_defects", f.s.AdminToken,
		map[string]any{"defect_key": "LIVE-1",
			"resource_path": "deliver/app", "detected_at": time.Now().UTC().Add(time.Minute).Format(time.RFC3339)})

	today := time.Now().UTC()
	sum := 0.0
	points := f.figures(t, app+"/dora/metrics", f.rep, "metric=deployment_frequency", -1)
	if len(points) < 90 || len(points) > 93 {
		t.Fatalf("default range has %d days", len(points))
	}
	for _, p := range points {
		sum += *p.Value
	}
	if last := *points[len(points)-1].Date; sum != 2 || (last != today.Format("2006-01-02") &&
		last != today.AddDate(0, 0, 1).Format("2006-01-02")) {
		t.Errorf("%v deployments up to %s", sum, last)
	}
	rng := "&interval=all&start_date=" + today.AddDate(0, 0, -1).Format("2006-01-02") +
		"&end_date=" + today.AddDate(0, 0, 1).Format("2006-01-02")
	if p := f.figures(t, app+"/dora/metrics", f.rep, "metric=change_failure_rate"+rng,
		1); p[0].Value == nil || *p[0].Value != 0.5 {
		t.Errorf("change failure rate %s, want 1 of 2", pointValue(p[0].Value))
	}
	if p := f.figures(t, app+"/dora/metrics", f.rep,
		"metric=deployment_frequency&environment_tiers[]=production&environment_tiers[]=staging"+rng,
		1); p[0].Value == nil || *p[0].Value != 1 {
		t.Errorf("production and staging: %s a day over 3 days, want 3 / 3", pointValue(p[0].Value))
	}
}

// Bad input gets GitLab's 400s: Grape's {"error"} for the parameters it declares, the service's
// {"message"} for values it refuses; who may not see the project or group gets 404, guests 403,
// anonymous callers 401.
func TestDORAMetricsRefusals(t *testing.T) {
	t.Parallel()
	f := newDORAFixture(t)
	site, group := "/api/v4/projects/deliver%2Fsite/dora/metrics", "/api/v4/groups/deliver/dora/metrics"
	metricsMessage := `{"message":"The metric must be one of deployment_frequency,lead_time_for_changes,time_to_restore_service,change_failure_rate."}`
	for _, c := range []struct {
		path, token, query string
		code               int
		body               string
	}{
		{site, f.rep, "", 400, `{"error":"metric is missing"}`},
		{site, f.rep, "metric=deploys", 400, metricsMessage},
		{group, f.rep, "metric=", 400, metricsMessage},
		{site, f.rep, "metric=lead_time_for_changes&interval=weekly", 400,
			`{"message":"The interval must be one of all,monthly,daily."}`},
		{site, f.rep, "metric=lead_time_for_changes&environment_tiers[]=prod", 400,
			`{"message":"The environment tiers must be from production, staging, testing, development, other."}`},
		{site, f.rep, "metric=lead_time_for_changes&start_date=2024-03-02&end_date=2024-03-01", 400,
			`{"message":"The start date must be earlier than the end date."}`},
		{group, f.rep, "metric=lead_time_for_changes&start_date=2024-01-01&end_date=2024-06-30", 400,
			`{"message":"Date range must be shorter than 180 days."}`},
		{site, f.rep, "metric=lead_time_for_changes&start_date=yesterday", 400, `{"error":"start_date is invalid"}`},
		{site, f.rep, "start_date=2024-13-45&end_date=" + url.QueryEscape("Feb 30, 2024"), 400,
			`{"error":"metric is missing, start_date is invalid, end_date is invalid"}`},
		{site, f.outsider, "metric=lead_time_for_changes", 404, `{"message":"404 Project Not Found"}`},
		{site, "", "metric=lead_time_for_changes", 404, `{"message":"404 Project Not Found"}`},
		{"/api/v4/groups/vault/dora/metrics", f.outsider, "metric=lead_time_for_changes", 404,
			`{"message":"404 Group Not Found"}`},
		{group, f.outsider, "metric=lead_time_for_changes", 403,
			`{"message":"403 Forbidden - You do not have permission to access dora metrics."}`},
		{group, "", "metric=lead_time_for_changes", 401, bodyUnauthorized},
		{site, f.guest, "metric=lead_time_for_changes", 403,
			`{"message":"403 Forbidden - You do not have permission to access dora metrics."}`},
		{"/api/v4/projects/deliver%2Fapp/dora/metrics", "", "metric=lead_time_for_changes", 401, bodyUnauthorized},
		{"/api/v4/projects/deliver%2Fapp/dora/metrics", f.outsider, "metric=lead_time_for_changes", 403,
			`{"message":"403 Forbidden - You do not have permission to access dora metrics."}`},
	} {
		r := f.s.Do(t, "GET", c.path+"?"+c.query, c.token, nil)
		wantJSON(t, r, c.code, c.body)
	}
	// The bounds are accepted: 180 days apart, a date in another written form, a time.
	for _, q := range []string{"start_date=2024-01-01&end_date=2024-06-29", "start_date=" +
		url.QueryEscape("March 1, 2024") +
		"&end_date=2024-03-03T23:30:00-05:00"} {
		r := mustDo(t, f.s, http.StatusOK, "GET", site+"?metric=deployment_frequency&"+q, f.rep, nil)
		var points []json.RawMessage
		r.JSON(t, &points)
		if strings.HasPrefix(q, "start_date=2024-01-01") && len(points) != 181 ||
			!strings.HasPrefix(q, "start_date=2024-01-01") && len(points) != 3 {
			t.Errorf("%s: %d points", q, len(points))
		}
	}
}

// Any query string gets figures or a GitLab 400, never a 5xx: the dates, metric, interval and
// tiers come from clients.
func FuzzDORAMetricsQuery(f *testing.F) {
	f.Add("metric=deployment_frequency&start_date=2024-03-01&end_date=2024-04-30")
	f.Add("metric=lead_time_for_changes&interval=monthly&start_date=March+1%2C+2024&end_date=1714521600")
	f.Add("metric=change_failure_rate&interval=all&environment_tiers[]=production&environment_tiers[]=staging")
	f.Add("metric=time_to_restore_service&start_date=20-12-1990&end_date=2024-02-30")
	f.Add("start_date=%00&end_date=9999-12-31&interval=%FF")
	s := servertest.New(f, servertest.WithoutRateLimit())
	if r := s.Do(f, "POST", "/api/v4/groups", s.AdminToken,
		map[string]any{"name": "team", "path": "team"}); r.StatusCode != http.StatusCreated {
		f.Fatalf("create group: %d %s", r.StatusCode, r.Body)
	}
	if r := s.Do(f, "POST", "/api/v4/projects", s.AdminToken, map[string]any{"name": "site", "namespace_id": "team",
		"initialize_with_readme": true}); r.StatusCode != http.StatusCreated {
		f.Fatalf("create project: %d %s", r.StatusCode, r.Body)
	}
	f.Fuzz(func(t *testing.T, query string) {
		for _, path := range []string{"/api/v4/projects/team%2Fsite/dora/metrics", "/api/v4/groups/team/dora/metrics"} {
			req, err := http.NewRequest("GET", s.URL+path, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.URL.RawQuery = query
			req.Header.Set("PRIVATE-TOKEN", s.AdminToken)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var body any
			err = json.NewDecoder(resp.Body).Decode(&body)
			resp.Body.Close()
			switch {
			case err != nil:
				t.Fatalf("%s?%s: %d, body is not JSON: %v", path, query, resp.StatusCode, err)
			case resp.StatusCode == http.StatusOK:
				if _, ok := body.([]any); !ok {
					t.Fatalf("%s?%s: 200 with %v", path, query, body)
				}
			case resp.StatusCode == http.StatusBadRequest:
			default:
				t.Fatalf("%s?%s: %d %v", path, query, resp.StatusCode, body)
			}
		}
	})
}

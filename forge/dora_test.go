package forge_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cairn-forge/cairn/db"
	"github.com/cairn-forge/cairn/forge"
	"golang.org/x/crypto/bcrypt"
)

// doraEnv is a forge whose clock stands where the test puts it, with a public group "acme",
// its private subgroup "acme/web", a private project "acme/web/shop" and a public project
// "acme/docs" (each with a README committed when created), and users: rep (reporter of shop),
// guest (guest of shop), lead (reporter of acme) and outsider (no membership).
type doraEnv struct {
	t      testing.TB
	ctx    context.Context
	forge  *forge.Service
	db     *db.DB
	now    time.Time
	root   *forge.Actor
	users  map[string]*forge.Actor
	acmeID int64
	shop   forge.ProjectView
	docs   forge.ProjectView
}

// doraDay is a time of 2025 in UTC: "03-01 12:00".
func doraDay(t testing.TB, s string) time.Time {
	t.Helper()
	at, err := time.Parse("2006-01-02 15:04", "2025-"+s)
	if err != nil {
		t.Fatal(err)
	}
	return at
}

func newDORAEnv(t testing.TB) *doraEnv {
	t.Helper()
	ctx := context.Background()
	d, store, _ := openData(t)
	var err error
	e := &doraEnv{t: t, ctx: ctx, db: d, now: doraDay(t, "02-20 00:00"), users: map[string]*forge.Actor{}}
	e.forge = forge.New(d, store, forge.Config{PasswordCost: bcrypt.MinCost},
		forge.Options{Now: func() time.Time { return e.now }})
	t.Cleanup(e.forge.Close)
	if _, err := e.forge.Accounts.EnsureRoot(ctx, "root-token"); err != nil {
		t.Fatal(err)
	}
	if e.root, err = e.forge.Access.Authenticate(ctx, "root-token", "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	acme, err := e.forge.Projects.CreateGroup(ctx, e.root,
		forge.GroupInput{Name: name("acme"), Path: name("acme"), Visibility: name("public")})
	if err != nil {
		t.Fatal(err)
	}
	e.acmeID = acme.ID
	web, err := e.forge.Projects.CreateGroup(ctx, e.root,
		forge.GroupInput{Name: name("web"), Path: name("web"), ParentID: &acme.ID,
			Visibility: name("private")})
	if err != nil {
		t.Fatal(err)
	}
	if e.shop, err = e.forge.Projects.CreateProject(ctx, e.root,
		forge.ProjectInput{Name: name("shop"), NamespaceRef: web.FullPath,
			Visibility: name("private"), InitializeWithReadme: true}, 0); err != nil {
		t.Fatal(err)
	}
	if e.docs, err = e.forge.Projects.CreateProject(ctx, e.root,
		forge.ProjectInput{Name: name("docs"), NamespaceRef: "acme",
			Visibility: name("public"), InitializeWithReadme: true}, 0); err != nil {
		t.Fatal(err)
	}
	e.user("rep", forge.MemberSource{Kind: "project", Ref: e.shop.FullPath()}, forge.Reporter)
	e.user("guest", forge.MemberSource{Kind: "project", Ref: e.shop.FullPath()}, forge.Guest)
	e.user("lead", forge.MemberSource{Kind: "group", Ref: "acme"}, forge.Reporter)
	e.user("outsider", forge.MemberSource{}, 0)
	return e
}

// user creates a user with a membership (none when src.Kind is empty) and an api token.
func (e *doraEnv) user(username string, src forge.MemberSource, level int) {
	e.t.Helper()
	u, err := e.forge.Accounts.CreateUser(e.ctx, e.root, forge.UserInput{Username: name(username), Name: name(username),
		Email: name(username + "@example.com"), Password: name("password-" + username)})
	if err != nil {
		e.t.Fatal(err)
	}
	if src.Kind != "" {
		if _, err := e.forge.Projects.AddOrUpdateMember(e.ctx, e.root, src,
			forge.MemberInput{UserRef: forge.Path(username), AccessLevel: level}, true); err != nil {
			e.t.Fatal(err)
		}
	}
	_, secret, err := e.forge.Access.CreateToken(e.ctx, e.root, u.ID,
		forge.TokenInput{Name: "t", Scopes: []string{forge.ScopeAPI}})
	if err != nil {
		e.t.Fatal(err)
	}
	if e.users[username], err = e.forge.Access.Authenticate(e.ctx, secret, "127.0.0.1"); err != nil {
		e.t.Fatal(err)
	}
}

// commit commits a file to main of project at time at (its author and commit time).
func (e *doraEnv) commit(project forge.ProjectView, at string) {
	e.t.Helper()
	e.now = doraDay(e.t, at)
	content := "at " + at
	_, err := e.forge.Repositories.CreateCommit(e.ctx, e.root, forge.ParseRef(project.FullPath()),
		forge.CommitInput{Branch: "main", Message: "change at " + at,
			Actions: []forge.CommitAction{{Action: "create", FilePath: "changes/" +
				strconv.FormatInt(e.now.Unix(), 10), Content: &content}}})
	if err != nil {
		e.t.Fatal(err)
	}
}

// deploy deploys main of shop to env, finishing in status at time at.
func (e *doraEnv) deploy(env, status, at string) {
	e.t.Helper()
	e.deployProject(e.shop, env, status, at)
}

// deployProject deploys main of project to env, finishing in status at time at.
func (e *doraEnv) deployProject(project forge.ProjectView, env, status, at string) {
	e.t.Helper()
	e.now = doraDay(e.t, at)
	if _, err := e.forge.Delivery.CreateDeployment(e.ctx, e.root, forge.ParseRef(project.FullPath()),
		forge.DeploymentInput{Environment: env, Ref: "main",
			Status: &status}); err != nil {
		e.t.Fatal(err)
	}
}

// release releases main of project as tag at time at.
func (e *doraEnv) release(project forge.ProjectView, tag, at string) {
	e.t.Helper()
	when := doraDay(e.t, at)
	if _, err := e.forge.Delivery.CreateRelease(e.ctx, e.root, forge.ParseRef(project.FullPath()),
		forge.ReleaseInput{TagName: &tag, Ref: name("main"),
			ReleasedAt: &when}); err != nil {
		e.t.Fatal(err)
	}
}

// defect records defect key at path, detected at detected and, when fixedAt is not "", fixed
// in project fixedIn at fixedAt.
func (e *doraEnv) defect(key, path, detected string, fixedIn forge.ProjectView, fixedAt string) {
	e.t.Helper()
	at := doraDay(e.t, detected)
	if _, _, err := e.forge.Delivery.RecordDefect(e.ctx, e.root,
		forge.DefectInput{Key: key, ResourcePath: path, DetectedAt: &at}); err != nil {
		e.t.Fatal(err)
	}
	if fixedAt == "" {
		return
	}
	fix := doraDay(e.t, fixedAt)
	if _, _, err := e.forge.Delivery.RecordDefect(e.ctx, e.root,
		forge.DefectInput{Key: key, ResourcePath: fixedIn.FullPath(),
			FixReleasedAt: &fix}); err != nil {
		e.t.Fatal(err)
	}
}

// history writes the fixture the figures below are computed from by hand. All in 2025, UTC.
//
// shop deploys to production (and once to staging), and records a release it must not be
// measured by:
//
//	02-25 00:00  D0 production success, ships the README (02-20 00:00)   before the range
//	03-01 12:00  D1 production success, ships C1 (03-01 08:00) and C2 (03-01 10:00)
//	03-03 00:00  D2 production success, ships C3 (03-02 00:00)
//	03-03 06:00  staging success (C3)
//	03-05 00:00  production failed
//	03-20        release v0.1 of shop (ignored: shop deploys to production)
//	04-10 06:00  D4 production success, ships C4 (04-10 00:00)
//	05-02 00:00  D5 production success, ships C5 (05-01 00:00)              after the range
//
// docs only releases:
//
//	03-06 12:00  v1 ships X2 (03-06 00:00), X1 (03-05 00:00), the README (02-20 00:00)
//	04-02 00:00  v2 ships X3 (04-01 00:00)
//
// Critical defects (detected → fixed):
//
//	K4 at shop      02-26 00:00 → 03-10 00:00   before D1: charged to D0, outside the range
//	K1 at shop      03-01 18:00 → 03-02 06:00   after D1: D1 failed
//	K2 at acme      03-02 12:00 → 03-04 12:00   after D1 (shop); before v1 (docs)
//	K6 at acme/web  03-07 00:00, not fixed      after D2: D2 failed; docs is not under acme/web
//	K3 at shop      04-08 00:00 → 05-03 00:00   after D2 again; before D4, so D4 did not fail
//	K5 at docs      04-05 00:00 → 04-06 00:00   after v2, the last release: v2 failed
//	K7 at shop      05-05 00:00, not fixed      after D5: D4 stays unfailed
func (e *doraEnv) history() {
	e.t.Helper()
	e.deploy("production", "success", "02-25 00:00")
	e.defect("K4", e.shop.FullPath(), "02-26 00:00", e.shop, "03-10 00:00")
	e.commit(e.shop, "03-01 08:00")
	e.commit(e.shop, "03-01 10:00")
	e.deploy("production", "success", "03-01 12:00")
	e.defect("K1", e.shop.FullPath(), "03-01 18:00", e.shop, "03-02 06:00")
	e.commit(e.shop, "03-02 00:00")
	e.defect("K2", "acme", "03-02 12:00", e.shop, "03-04 12:00")
	e.deploy("production", "success", "03-03 00:00")
	e.deploy("staging", "success", "03-03 06:00")
	e.deploy("production", "failed", "03-05 00:00")
	e.commit(e.docs, "03-05 00:00")
	e.commit(e.docs, "03-06 00:00")
	e.release(e.docs, "v1", "03-06 12:00")
	e.defect("K6", "acme/web", "03-07 00:00", forge.ProjectView{}, "")
	e.release(e.shop, "v0.1", "03-20 00:00")
	e.commit(e.docs, "04-01 00:00")
	e.release(e.docs, "v2", "04-02 00:00")
	e.defect("K5", e.docs.FullPath(), "04-05 00:00", e.docs, "04-06 00:00")
	e.defect("K3", e.shop.FullPath(), "04-08 00:00", e.shop, "05-03 00:00")
	e.commit(e.shop, "04-10 00:00")
	e.deploy("production", "success", "04-10 06:00")
	e.commit(e.shop, "05-01 00:00")
	e.deploy("production", "success", "05-02 00:00")
	e.defect("K7", e.shop.FullPath(), "05-05 00:00", forge.ProjectView{}, "")
	e.now = doraDay(e.t, "06-01 00:00")
}

// Hours and days in seconds, for the arithmetic below.
const (
	hour = 3600.0
	day  = 24 * hour
)

// figures is what a test expects of a series: values by date ("03-01"; "" for interval all),
// and what every other date holds (nil: null).
type figures struct {
	want  map[string]float64
	other *float64
}

func zero() *float64 { v := 0.0; return &v }

// check compares got, which must have n values from start on, with f.
func (f figures) check(t *testing.T, label string, got []forge.DORAValue, n int) {
	t.Helper()
	if len(got) != n {
		t.Fatalf("%s: %d values, want %d: %v", label, len(got), n, got)
	}
	for _, v := range got {
		key := ""
		if !v.Date.IsZero() {
			key = v.Date.Format("01-02")
		}
		want, ok := f.want[key]
		switch {
		case ok && (v.Value == nil || *v.Value != want):
			t.Errorf("%s %s: %v, want %v", label, key, show(v.Value), want)
		case !ok && f.other == nil && v.Value != nil:
			t.Errorf("%s %s: %v, want null", label, key, *v.Value)
		case !ok && f.other != nil && (v.Value == nil || *v.Value != *f.other):
			t.Errorf("%s %s: %v, want %v", label, key, show(v.Value), *f.other)
		}
	}
}

func show(v *float64) string {
	if v == nil {
		return "null"
	}
	return fmt.Sprint(*v)
}

// The four figures of a project and of groups over 2025-03-01..04-30 (61 days: March's 31 and
// April's 30), daily, monthly and all, equal the hand-computed values of the history.
func TestDORAFiguresOfTheHistory(t *testing.T) {
	e := newDORAEnv(t)
	e.history()
	start, end := doraDay(t, "03-01 00:00"), doraDay(t, "04-30 00:00")
	cases := []struct {
		scope, ref, metric, interval string
		f                            figures
	}{
		// shop deploys D1 (03-01), D2 (03-03) and D4 (04-10) to production in the range; the
		// failed one, the staging one and its release do not count.
		{"project", "acme/web/shop", forge.DORADeploymentFrequency, forge.DORADaily,
			figures{map[string]float64{"03-01": 1, "03-03": 1, "04-10": 1}, zero()}},
		// Per day: March 2 / 31 days, April 1 / 30 days, the range 3 / 61 days.
		{"project", "acme/web/shop", forge.DORADeploymentFrequency, forge.DORAMonthly,
			figures{map[string]float64{"03-01": 2.0 / 31, "04-01": 1.0 / 30}, nil}},
		{"project", "acme/web/shop", forge.DORADeploymentFrequency, forge.DORAAll,
			figures{map[string]float64{"": 3.0 / 61}, nil}},
		// D1 − C1 = 4 h, D1 − C2 = 2 h (median of two: 3 h); D2 − C3 = 24 h; D4 − C4 = 6 h.
		{"project", "acme/web/shop", forge.DORALeadTimeForChanges, forge.DORADaily,
			figures{map[string]float64{"03-01": 3 * hour, "03-03": 24 * hour, "04-10": 6 * hour}, nil}},
		// March: median(2 h, 4 h, 24 h) = 4 h; April: 6 h; all: median(2, 4, 6, 24 h) = 5 h.
		{"project", "acme/web/shop", forge.DORALeadTimeForChanges, forge.DORAMonthly,
			figures{map[string]float64{"03-01": 4 * hour, "04-01": 6 * hour}, nil}},
		{"project", "acme/web/shop", forge.DORALeadTimeForChanges, forge.DORAAll,
			figures{map[string]float64{"": 5 * hour}, nil}},
		// D1 failed (K1), D2 failed (K6, and K3), D4 did not (K7 follows D5).
		{"project", "acme/web/shop", forge.DORAChangeFailureRate, forge.DORADaily,
			figures{map[string]float64{"03-01": 1, "03-03": 1, "04-10": 0}, nil}},
		{"project", "acme/web/shop", forge.DORAChangeFailureRate, forge.DORAMonthly,
			figures{map[string]float64{"03-01": 1, "04-01": 0}, nil}},
		{"project", "acme/web/shop", forge.DORAChangeFailureRate, forge.DORAAll,
			figures{map[string]float64{"": 2.0 / 3}, nil}},
		// Resolved in the range: K1 on 03-02 after 12 h, K2 (at acme) on 03-04 after 48 h, K4 on
		// 03-10 after 12 days; K3 is resolved after the range.
		{"project", "acme/web/shop", forge.DORATimeToRestoreService, forge.DORADaily,
			figures{map[string]float64{"03-02": 12 * hour, "03-04": 48 * hour, "03-10": 12 * day}, nil}},
		{"project", "acme/web/shop", forge.DORATimeToRestoreService, forge.DORAMonthly,
			figures{map[string]float64{"03-01": 48 * hour}, nil}},
		{"project", "acme/web/shop", forge.DORATimeToRestoreService, forge.DORAAll,
			figures{map[string]float64{"": 48 * hour}, nil}},

		// docs is measured by its releases: v1 (03-06 12:00) and v2 (04-02).
		{"project", "acme/docs", forge.DORADeploymentFrequency, forge.DORADaily,
			figures{map[string]float64{"03-06": 1, "04-02": 1}, zero()}},
		{"project", "acme/docs", forge.DORADeploymentFrequency, forge.DORAAll,
			figures{map[string]float64{"": 2.0 / 61}, nil}},
		// v1 − X2 = 12 h, v1 − X1 = 36 h, v1 − README = 14 days 12 h (median 36 h); v2 − X3 = 24 h.
		{"project", "acme/docs", forge.DORALeadTimeForChanges, forge.DORADaily,
			figures{map[string]float64{"03-06": 36 * hour, "04-02": 24 * hour}, nil}},
		// median(12 h, 24 h, 36 h, 14.5 days) = 30 h.
		{"project", "acme/docs", forge.DORALeadTimeForChanges, forge.DORAAll,
			figures{map[string]float64{"": 30 * hour}, nil}},
		// v1 did not fail (K2 came before it, K6 is not docs'); v2 failed (K5, no release after).
		{"project", "acme/docs", forge.DORAChangeFailureRate, forge.DORAMonthly,
			figures{map[string]float64{"03-01": 0, "04-01": 1}, nil}},
		// K2 (48 h, on 03-04) and K5 (24 h, on 04-06): median 36 h.
		{"project", "acme/docs", forge.DORATimeToRestoreService, forge.DORAAll,
			figures{map[string]float64{"": 36 * hour}, nil}},

		// acme: shop's and docs' together.
		{"group", "acme", forge.DORADeploymentFrequency, forge.DORAMonthly,
			figures{map[string]float64{"03-01": 3.0 / 31, "04-01": 2.0 / 30}, nil}},
		// 2, 4, 6, 12, 24, 24, 36 h, 14.5 days: median (12 h + 24 h) / 2 = 18 h.
		{"group", "acme", forge.DORALeadTimeForChanges, forge.DORAAll,
			figures{map[string]float64{"": 18 * hour}, nil}},
		// shop 2 of 3, docs 1 of 2.
		{"group", "acme", forge.DORAChangeFailureRate, forge.DORAAll,
			figures{map[string]float64{"": 3.0 / 5}, nil}},
		{"group", "acme", forge.DORAChangeFailureRate, forge.DORADaily,
			figures{map[string]float64{"03-01": 1, "03-03": 1, "03-06": 0, "04-02": 1, "04-10": 0}, nil}},
		// K1 12 h, K5 24 h, K2 48 h, K4 12 days, each once: median 36 h.
		{"group", "acme", forge.DORATimeToRestoreService, forge.DORAAll,
			figures{map[string]float64{"": 36 * hour}, nil}},
		// acme/web holds shop only; K2, recorded above it at acme, still counts.
		{"group", "acme/web", forge.DORAChangeFailureRate, forge.DORAAll,
			figures{map[string]float64{"": 2.0 / 3}, nil}},
		{"group", "acme/web", forge.DORATimeToRestoreService, forge.DORAAll,
			figures{map[string]float64{"": 48 * hour}, nil}},
	}
	for _, c := range cases {
		label := c.scope + " " + c.ref + " " + c.metric + " " + c.interval
		q := forge.DORAQuery{Metric: c.metric, Interval: c.interval, Start: start, End: end}
		var got []forge.DORAValue
		var err error
		if c.scope == "project" {
			got, err = e.forge.Delivery.ProjectDORA(e.ctx, e.users["lead"], forge.ParseRef(c.ref), q)
		} else {
			got, err = e.forge.Delivery.GroupDORA(e.ctx, e.users["lead"], forge.ParseRef(c.ref), q)
		}
		if err != nil {
			t.Fatalf("%s: %v", label, err)
		}
		n := map[string]int{forge.DORADaily: 61, forge.DORAMonthly: 2, forge.DORAAll: 1}[c.interval]
		c.f.check(t, label, got, n)
		if c.interval != forge.DORAAll && (!got[0].Date.Equal(start) || got[n-1].Date.Month() != time.April) {
			t.Errorf("%s: dates run from %v to %v", label, got[0].Date, got[n-1].Date)
		}
	}
}

// Environment tiers choose the deployments; releases stand in only for production.
func TestDORAEnvironmentTiers(t *testing.T) {
	e := newDORAEnv(t)
	e.history()
	q := forge.DORAQuery{Metric: forge.DORADeploymentFrequency, Interval: forge.DORAAll,
		Start: doraDay(t, "03-01 00:00"), End: doraDay(t, "04-30 00:00")}
	for _, c := range []struct {
		ref   string
		tiers []string
		want  float64
	}{
		{"acme/web/shop", []string{"staging"}, 1.0 / 61},
		{"acme/web/shop", []string{"production", "staging", "production"}, 4.0 / 61},
		{"acme/web/shop", []string{"testing"}, 0},
		{"acme/docs", []string{"staging"}, 0},
		{"acme/docs", []string{"staging", "production"}, 2.0 / 61},
	} {
		q.EnvironmentTiers = c.tiers
		got, err := e.forge.Delivery.ProjectDORA(e.ctx, e.root, forge.ParseRef(c.ref), q)
		if err != nil || len(got) != 1 || got[0].Value == nil || *got[0].Value != c.want {
			t.Errorf("%s %v: %v, %v; want %v", c.ref, c.tiers, got, err, c.want)
		}
	}
}

// The lead time counts what each deployment of the tiers shipped: the staging deployment of
// shop shipped its whole history. With staging, shop's lead times are 2, 4, 6 and 24 h
// (production) and 30, 44, 46 h and 11 days 6 h (staging: C3, C2, C1, the README): median
// (24 h + 30 h) / 2 = 27 h.
func TestDORALeadTimeAcrossTiers(t *testing.T) {
	e := newDORAEnv(t)
	e.history()
	got, err := e.forge.Delivery.ProjectDORA(e.ctx, e.root, forge.ParseRef("acme/web/shop"),
		forge.DORAQuery{Metric: forge.DORALeadTimeForChanges,
			Interval: forge.DORAAll, Start: doraDay(t, "03-01 00:00"), End: doraDay(t, "04-30 00:00"),
			EnvironmentTiers: []string{"production", "staging"}})
	if err != nil || len(got) != 1 || got[0].Value == nil || *got[0].Value != 27*hour {
		t.Fatalf("%v, %v; want 27 h", got, err)
	}
}

// A project deploying to many environments (more than a query lists one by one): each of
// nine, first deployed 1 to 9 hours after the README, ships it. The eight production ones
// give a median of 4.5 h; with the ninth (staging), 5 h.
func TestDORALeadTimeOverManyEnvironments(t *testing.T) {
	e := newDORAEnv(t)
	e.now = doraDay(t, "03-01 00:00")
	fleet, err := e.forge.Projects.CreateProject(e.ctx, e.root,
		forge.ProjectInput{Name: name("fleet"), NamespaceRef: "acme",
			InitializeWithReadme: true}, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 9; i++ {
		env, tier := fmt.Sprintf("region-%d", i), "production"
		if i == 9 {
			tier = "staging"
		}
		if _, err := e.forge.Delivery.CreateEnvironment(e.ctx, e.root, forge.ParseRef(fleet.FullPath()),
			forge.EnvironmentInput{Name: &env,
				Tier: &tier}); err != nil {
			t.Fatal(err)
		}
		e.deployProject(fleet, env, "success", fmt.Sprintf("03-01 %02d:00", i))
	}
	for _, c := range []struct {
		tiers []string
		want  float64
	}{{nil, 4.5 * hour}, {[]string{"staging", "production"}, 5 * hour}} {
		q := forge.DORAQuery{Metric: forge.DORALeadTimeForChanges, Interval: forge.DORAAll,
			Start: doraDay(t, "03-01 00:00"),
			End:   doraDay(t, "03-01 00:00"), EnvironmentTiers: c.tiers}
		got, err := e.forge.Delivery.ProjectDORA(e.ctx, e.root, forge.ParseRef(fleet.FullPath()), q)
		if err != nil || got[0].Value == nil || *got[0].Value != c.want {
			t.Fatalf("tiers %v: %v, %v; want %v", c.tiers, got, err, c.want)
		}
		if got, err = e.forge.Delivery.GroupDORA(e.ctx, e.root, forge.ParseRef("acme"), q); err != nil ||
			got[0].Value == nil || *got[0].Value != c.want {
			t.Fatalf("acme, tiers %v: %v, %v; want %v", c.tiers, got, err, c.want)
		}
	}
}

// Without dates, the range is the three months up to today, as in GitLab: a range that starts
// on a month's 31st in May starts on February's last day.
func TestDORADefaultRange(t *testing.T) {
	e := newDORAEnv(t)
	e.now = doraDay(t, "05-31 15:00")
	got, err := e.forge.Delivery.ProjectDORA(e.ctx, e.root, forge.ParseRef(e.shop.FullPath()),
		forge.DORAQuery{Metric: forge.DORADeploymentFrequency})
	if err != nil {
		t.Fatal(err)
	}
	// February 28 to May 31: 1 + 31 + 30 + 31 days.
	if len(got) != 93 || got[0].Date.Format("2006-01-02") != "2025-02-28" ||
		got[92].Date.Format("2006-01-02") != "2025-05-31" {
		t.Fatalf("%d values from %v to %v", len(got), got[0].Date, got[len(got)-1].Date)
	}
	e.now = time.Date(2024, 5, 31, 23, 59, 0, 0, time.FixedZone("X", -5*3600)) // 2024-06-01 in UTC
	got, err = e.forge.Delivery.ProjectDORA(e.ctx, e.root, forge.ParseRef(e.shop.FullPath()),
		forge.DORAQuery{Metric: forge.DORADeploymentFrequency,
			Interval: forge.DORAMonthly})
	if err != nil || len(got) != 4 || got[0].Date.Format("2006-01-02") != "2024-03-01" || *got[0].Value != 0 {
		t.Fatalf("monthly from 2024-03-01: %v, %v", got, err)
	}
}

// A refused query is an invalid error with GitLab's message, naming the parameter.
func TestDORAQueryValidation(t *testing.T) {
	e := newDORAEnv(t)
	jan := func(d int) time.Time { return time.Date(2025, 1, d, 0, 0, 0, 0, time.UTC) }
	for _, c := range []struct {
		q     forge.DORAQuery
		param string
		msg   string
	}{
		{forge.DORAQuery{Metric: "lead_time"}, "metric",
			"The metric must be one of deployment_frequency,lead_time_for_changes,time_to_restore_service,change_failure_rate."},
		{forge.DORAQuery{}, "metric",
			"The metric must be one of deployment_frequency,lead_time_for_changes,time_to_restore_service,change_failure_rate."},
		{forge.DORAQuery{Metric: "change_failure_rate", Interval: "weekly"}, "interval",
			"The interval must be one of all,monthly,daily."},
		{forge.DORAQuery{Metric: "change_failure_rate", EnvironmentTiers: []string{"production", "prod"}},
			"environment_tiers",
			"The environment tiers must be from production, staging, testing, development, other."},
		{forge.DORAQuery{Metric: "change_failure_rate", Start: jan(2), End: jan(1)}, "start_date",
			"The start date must be earlier than the end date."},
		{forge.DORAQuery{Metric: "change_failure_rate", Start: jan(1), End: jan(1).AddDate(0, 0, 367)}, "start_date",
			"Date range must be shorter than 366 days."},
		{forge.DORAQuery{Metric: "change_failure_rate", Start: jan(1), End: jan(1).AddDate(0, 0, 181),
			MaxDays: 180}, "start_date",
			"Date range must be shorter than 180 days."},
		{forge.DORAQuery{Metric: "change_failure_rate", Start: time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
			End: time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)}, "start_date",
			"Date range must be shorter than 366 days."},
	} {
		_, err := e.forge.Delivery.ProjectDORA(e.ctx, e.root, forge.ParseRef(e.shop.FullPath()), c.q)
		fe := forge.ErrorOf(err)
		if err == nil || fe.Code != forge.EInvalid || fe.Reason != forge.ReasonInvalidDORAQuery ||
			fe.Message != c.msg ||
			len(fe.Params) != 1 || fe.Params[0] != c.param {
			t.Errorf("%+v: %v", c.q, err)
		}
	}
	// The bounds themselves are accepted: 180 days apart, and one day.
	for _, q := range []forge.DORAQuery{{Start: jan(1), End: jan(1).AddDate(0, 0, 180), MaxDays: 180},
		{Start: jan(1), End: jan(1).AddDate(0, 0, 366)}, {Start: jan(5), End: jan(5)}} {
		q.Metric = forge.DORAChangeFailureRate
		got, err := e.forge.Delivery.ProjectDORA(e.ctx, e.root, forge.ParseRef(e.shop.FullPath()), q)
		if days := int(q.End.Sub(q.Start).Hours()/24) + 1; err != nil || len(got) != days {
			t.Errorf("%v..%v: %d values, %v; want %d", q.Start, q.End, len(got), err, days)
		}
	}
}

// Reporters and above read the figures; guests are forbidden, anonymous callers must sign in,
// and who may not see the project or group finds nothing.
func TestDORAAccess(t *testing.T) {
	e := newDORAEnv(t)
	q := forge.DORAQuery{Metric: forge.DORADeploymentFrequency}
	anonymous := forge.Anonymous("127.0.0.1")
	for _, c := range []struct {
		who   *forge.Actor
		group bool
		ref   string
		want  forge.Code
	}{
		{e.users["rep"], false, "acme/web/shop", ""},
		{e.users["lead"], false, "acme/web/shop", ""},
		{e.root, false, "acme/web/shop", ""},
		{e.users["guest"], false, "acme/web/shop", forge.EForbidden},
		{e.users["outsider"], false, "acme/web/shop", forge.ENotFound},
		{anonymous, false, "acme/web/shop", forge.ENotFound},
		{anonymous, false, "acme/docs", forge.EUnauthorized},
		{e.users["outsider"], false, "acme/docs", forge.EForbidden},
		{e.users["lead"], true, "acme", ""},
		{e.users["lead"], true, "acme/web", ""},
		{e.users["rep"], true, "acme/web", forge.ENotFound},
		{e.users["outsider"], true, "acme", forge.EForbidden},
		{anonymous, true, "acme", forge.EUnauthorized},
		{e.users["lead"], true, "nowhere", forge.ENotFound},
	} {
		var err error
		if c.group {
			_, err = e.forge.Delivery.GroupDORA(e.ctx, c.who, forge.ParseRef(c.ref), q)
		} else {
			_, err = e.forge.Delivery.ProjectDORA(e.ctx, c.who, forge.ParseRef(c.ref), q)
		}
		if forge.ErrorCode(err) != c.want {
			t.Errorf("%v on %s (group %v): %v, want %q", c.who.User, c.ref, c.group, err, c.want)
		}
	}
	// A forbidden guest hears GitLab's words.
	_, err := e.forge.Delivery.ProjectDORA(e.ctx, e.users["guest"], forge.ParseRef("acme/web/shop"), q)
	if fe := forge.ErrorOf(err); fe.Message != "You do not have permission to access dora metrics." {
		t.Errorf("guest: %v", err)
	}
}

// Any query gets figures or a refusal that names a parameter, never a panic: figures cover
// each interval of the range once, in order, with values a figure can take.
func FuzzDORAQuery(f *testing.F) {
	f.Add("deployment_frequency", "daily", "production", int64(1740787200), int64(1746014400), 0)
	f.Add("lead_time_for_changes", "monthly", "production,staging", int64(1735689600), int64(1767139200), 0)
	f.Add("change_failure_rate", "all", "", int64(1740787200), int64(1740787200), 180)
	f.Add("time_to_restore_service", "weekly", "prod", int64(-62135596800), int64(253402300799), 366)
	e := newDORAEnv(f)
	e.history()
	f.Fuzz(func(t *testing.T, metric, interval, tiers string, start, end int64, maxDays int) {
		q := forge.DORAQuery{Metric: metric, Interval: interval, Start: time.Unix(start, 0), End: time.Unix(end, 0),
			MaxDays: max(-1, min(maxDays, 4000))}
		if tiers != "" {
			q.EnvironmentTiers = strings.Split(tiers, ",")
		}
		for _, group := range []bool{false, true} {
			var got []forge.DORAValue
			var err error
			if group {
				got, err = e.forge.Delivery.GroupDORA(e.ctx, e.root, forge.ParseRef("acme"), q)
			} else {
				got, err = e.forge.Delivery.ProjectDORA(e.ctx, e.root, forge.ParseRef("acme/web/shop"), q)
			}
			if err != nil {
				if fe := forge.ErrorOf(err); fe.Code != forge.EInvalid ||
					fe.Reason != forge.ReasonInvalidDORAQuery || len(fe.Params) != 1 {
					t.Fatalf("%+v: %v", q, err)
				}
				continue
			}
			from := time.Date(q.Start.Year(), q.Start.Month(), q.Start.Day(), 0, 0, 0, 0, time.UTC)
			to := time.Date(q.End.Year(), q.End.Month(), q.End.Day(), 0, 0, 0, 0, time.UTC)
			days := int(to.Sub(from).Hours()/24) + 1
			want := map[string]int{"": days, forge.DORADaily: days, forge.DORAAll: 1,
				forge.DORAMonthly: (to.Year()-from.Year())*12 + int(to.Month()) - int(from.Month()) + 1}[interval]
			if len(got) != want {
				t.Fatalf("%+v: %d figures, want %d", q, len(got), want)
			}
			for i, v := range got {
				if i > 0 && !v.Date.After(got[i-1].Date) || v.Value != nil && (*v.Value < 0 ||
					metric == forge.DORAChangeFailureRate && *v.Value > 1) {
					t.Fatalf("%+v: figure %d is %v %v", q, i, v.Date, show(v.Value))
				}
			}
		}
	})
}

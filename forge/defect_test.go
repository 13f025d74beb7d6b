package forge_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cairn-forge/cairn/db"
	"github.com/cairn-forge/cairn/forge"
	"golang.org/x/crypto/bcrypt"
)

// defectEnv is a forge whose clock stands still at defectNow unless a test moves it, with a
// group "acme", its subgroup "acme/web", a project "acme/web/shop" with one commit, a private
// project "acme/vault", and users: dev (developer of acme), rep (reporter of acme/web/shop)
// and outsider (no membership).
type defectEnv struct {
	t        testing.TB
	ctx      context.Context
	forge    *forge.Service
	db       *db.DB
	now      time.Time
	root     *forge.Actor
	users    map[string]*forge.Actor
	shop     forge.ProjectView
	shopHead string
	// shopHeadAt is the author time of shopHead.
	shopHeadAt time.Time
}

var defectNow = time.Date(2024, 6, 3, 12, 0, 0, 0, time.UTC)

func newDefectEnv(t testing.TB) *defectEnv {
	t.Helper()
	ctx := context.Background()
	d, store, _ := openData(t)
	var err error
	e := &defectEnv{t: t, ctx: ctx, db: d, now: defectNow, users: map[string]*forge.Actor{}}
	e.forge = forge.New(d, store, forge.Config{PasswordCost: bcrypt.MinCost},
		forge.Options{Now: func() time.Time { return e.now }})
	t.Cleanup(e.forge.Close)
	if _, err := e.forge.Accounts.EnsureRoot(ctx, "root-token"); err != nil {
		t.Fatal(err)
	}
	if e.root, err = e.forge.Access.Authenticate(ctx, "root-token", "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	acme, err := e.forge.Projects.CreateGroup(ctx, e.root, forge.GroupInput{Name: name("acme"), Path: name("acme")})
	if err != nil {
		t.Fatal(err)
	}
	web, err := e.forge.Projects.CreateGroup(ctx, e.root,
		forge.GroupInput{Name: name("web"), Path: name("web"), ParentID: &acme.ID})
	if err != nil {
		t.Fatal(err)
	}
	// The first commit is authored a day before "now".
	e.now = defectNow.Add(-24 * time.Hour)
	e.shop, err = e.forge.Projects.CreateProject(ctx, e.root,
		forge.ProjectInput{Name: name("shop"), NamespaceRef: web.FullPath,
			InitializeWithReadme: true}, 0)
	e.now = defectNow
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.forge.Projects.CreateProject(ctx, e.root,
		forge.ProjectInput{Name: name("vault"), NamespaceRef: "acme"}, 0); err != nil {
		t.Fatal(err)
	}
	b, err := e.forge.Repositories.GetBranch(ctx, e.root, forge.ParseRef(e.shop.FullPath()), "main")
	if err != nil {
		t.Fatal(err)
	}
	e.shopHead, e.shopHeadAt = b.Commit.ID.String(), b.Commit.Author.When.UTC()
	e.user("dev", forge.MemberSource{Kind: "group", Ref: "acme"}, forge.Developer, forge.ScopeAPI)
	e.user("rep", forge.MemberSource{Kind: "project", Ref: e.shop.FullPath()}, forge.Reporter, forge.ScopeAPI)
	e.user("outsider", forge.MemberSource{}, 0, forge.ScopeAPI)
	e.user("reader", forge.MemberSource{Kind: "group", Ref: "acme"}, forge.Maintainer, forge.ScopeReadAPI)
	return e
}

// user creates a user with a membership (none when src.Kind is empty) and a token of scope.
func (e *defectEnv) user(username string, src forge.MemberSource, level int, scope string) {
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
		forge.TokenInput{Name: "t", Scopes: []string{scope}})
	if err != nil {
		e.t.Fatal(err)
	}
	a, err := e.forge.Access.Authenticate(e.ctx, secret, "127.0.0.1")
	if err != nil {
		e.t.Fatal(err)
	}
	e.users[username] = a
}

func (e *defectEnv) record(a *forge.Actor, in forge.DefectInput) (forge.DefectRecord, bool, error) {
	return e.forge.Delivery.RecordDefect(e.ctx, a, in)
}

// count returns how many defects and fixes the database holds.
func (e *defectEnv) count() (defects, fixes int) {
	e.t.Helper()
	for table, n := range map[string]*int{"critical_defects": &defects, "critical_defect_fixes": &fixes} {
		if err := e.db.Read.QueryRowContext(e.ctx, "SELECT COUNT(*) FROM "+table).Scan(n); err != nil {
			e.t.Fatal(err)
		}
	}
	return defects, fixes
}

func at(s string) *time.Time {
	t, err := forge.ParseDateTime(s)
	if err != nil {
		panic(err)
	}
	return &t
}

func ptr[T any](v T) *T { return &v }

// A defect found at a group is created once, updated by its key, and fixed at a repository
// below the group: the call at the repository finds the group's defect, and the defect is
// resolved at its latest fix.
func TestRecordDefectCreatesUpdatesAndFixesByKey(t *testing.T) {
	e := newDefectEnv(t)
	dev := e.users["dev"]
	rec, created, err := e.record(dev, forge.DefectInput{Key: "JIRA-123", ResourcePath: "acme",
		DetectedAt: at("Jan 1, 2021 at 5:40pm PST"), Description: ptr("Site outage for 15 minutes"),
		Severity: ptr[int64](2)})
	if err != nil || !created {
		t.Fatalf("create: created=%v err=%v", created, err)
	}
	if rec.OwnerPath != "acme" || rec.NamespaceID == 0 || rec.ProjectID != 0 || rec.ResolvedAt != nil {
		t.Fatalf("created %+v; want owned by the group acme and unresolved", rec)
	}
	if want := time.Date(2021, 1, 2, 1, 40, 0, 0, time.UTC); !rec.DetectedAt.Equal(want) ||
		rec.DetectedAt.Location() != time.UTC {
		t.Fatalf("detected at %v, want %v in UTC", rec.DetectedAt, want)
	}

	rec, created, err = e.record(dev, forge.DefectInput{Key: "JIRA-123", ResourcePath: "acme/", Severity: ptr[int64](1),
		DetectedNow: true})
	if err != nil || created {
		t.Fatalf("update: created=%v err=%v", created, err)
	}
	if *rec.Severity != 1 || rec.Description != "Site outage for 15 minutes" ||
		!rec.DetectedAt.Equal(time.Date(2021, 1, 2, 1, 40, 0, 0, time.UTC)) {
		t.Fatalf(
			"updated %+v; want severity 1, the description and the detection (detected_now is for new defects) kept", rec)
	}
	rec, _, err = e.record(dev,
		forge.DefectInput{Key: "JIRA-123", ResourcePath: "acme", DetectedAt: at("2021-01-02T01:30:00Z")})
	if err != nil || !rec.DetectedAt.Equal(time.Date(2021, 1, 2, 1, 30, 0, 0, time.UTC)) {
		t.Fatalf("detected_at given again: %+v, %v; want it moved", rec, err)
	}

	first := at("Jan 2, 2021 8:35am EST")
	rec, created, err = e.record(dev,
		forge.DefectInput{Key: "JIRA-123", ResourcePath: e.shop.FullPath(), FixReleasedAt: first})
	if err != nil || created {
		t.Fatalf("fix at the repository: created=%v err=%v", created, err)
	}
	if rec.OwnerPath != "acme" || rec.Fix == nil || rec.Fix.ProjectID != e.shop.ID || rec.ResolvedAt == nil ||
		!rec.ResolvedAt.Equal(*first) {
		t.Fatalf("after the fix %+v (fix %+v); want the group's defect resolved at %v", rec, rec.Fix, first)
	}
	// A second, later fix by sha (time from its commit) ...
	e.now = defectNow.Add(time.Hour)
	rec, _, err = e.record(dev,
		forge.DefectInput{Key: "JIRA-123", ResourcePath: e.shop.FullPath(), FixSHA: e.shopHead[:10]})
	if err != nil {
		t.Fatal(err)
	}
	if rec.Fix.SHA != e.shopHead || !rec.Fix.ReleasedAt.Equal(e.shopHeadAt) || len(rec.Fixes) != 2 ||
		!rec.ResolvedAt.Equal(e.shopHeadAt) {
		t.Fatalf("fix by sha %+v, fixes %+v, resolved %v; want the commit's author time %v", rec.Fix,
			rec.Fixes, rec.ResolvedAt, e.shopHeadAt)
	}
	// ... given again is the same fix; given with fix_released_now it moves to now.
	rec, _, err = e.record(dev, forge.DefectInput{Key: "JIRA-123", ResourcePath: e.shop.FullPath(), FixSHA: e.shopHead})
	if err != nil || len(rec.Fixes) != 2 {
		t.Fatalf("the same fix again: %d fixes, err %v; want 2", len(rec.Fixes), err)
	}
	rec, _, err = e.record(dev,
		forge.DefectInput{Key: "JIRA-123", ResourcePath: e.shop.FullPath(), FixSHA: e.shopHead, FixReleasedNow: true})
	if err != nil || len(rec.Fixes) != 2 || !rec.ResolvedAt.Equal(e.now) {
		t.Fatalf("the same fix released now: %d fixes, resolved %v, err %v; want 2 and %v", len(rec.Fixes),
			rec.ResolvedAt, err, e.now)
	}
	if d, f := e.count(); d != 1 || f != 2 {
		t.Fatalf("database holds %d defects and %d fixes, want 1 and 2", d, f)
	}
}

// A key is unique within its owner: the same key names different defects at a project, a
// group and a user. A call finds the defect of the owner it names, else of the nearest
// namespace above it, never one below.
func TestDefectKeysAreScopedToTheirOwner(t *testing.T) {
	e := newDefectEnv(t)
	if _, err := e.forge.Projects.CreateGroup(e.ctx, e.root,
		forge.GroupInput{Name: name("other"), Path: name("other")}); err != nil {
		t.Fatal(err)
	}
	in := forge.DefectInput{Key: "OPS-1", DetectedNow: true}
	for _, path := range []string{e.shop.FullPath(), "other", "root", "acme"} {
		in.ResourcePath = path
		rec, created, err := e.record(e.root, in)
		if err != nil || !created {
			t.Fatalf("%s: created=%v err=%v", path, created, err)
		}
		if rec.OwnerPath != path || !rec.DetectedAt.Equal(defectNow) {
			t.Fatalf("%s: %+v; want owned there, detected now", path, rec)
		}
	}
	// At the project, the key names the project's own defect, not the group's above it.
	rec, created, err := e.record(e.root,
		forge.DefectInput{Key: "OPS-1", ResourcePath: e.shop.FullPath(), Description: ptr("x")})
	if err != nil || created || rec.OwnerPath != e.shop.FullPath() || rec.ProjectID != e.shop.ID {
		t.Fatalf("at the project: %+v created=%v err=%v; want the project's defect updated", rec, created, err)
	}
	// At a group, a key only a project below has is unknown: without a detection time it
	// cannot be created there, and the project's defect is not touched.
	if _, _, err := e.record(e.root,
		forge.DefectInput{Key: "SHOP-1", ResourcePath: e.shop.FullPath(), DetectedNow: true}); err != nil {
		t.Fatal(err)
	}
	_, _, err = e.record(e.root, forge.DefectInput{Key: "SHOP-1", ResourcePath: "acme/web", Description: ptr("y")})
	if fe := forge.ErrorOf(err); fe.Code != forge.EInvalid ||
		!strings.Contains(fe.Message, "detected_at or detected_now") {
		t.Fatalf("a project's key at the group above: %v; want it unknown there", err)
	}
	// A key recorded at a group is found from a project below it, through a subgroup.
	if _, _, err := e.record(e.root,
		forge.DefectInput{Key: "ACME-1", ResourcePath: "acme", DetectedNow: true}); err != nil {
		t.Fatal(err)
	}
	rec, created, err = e.record(e.root,
		forge.DefectInput{Key: "ACME-1", ResourcePath: e.shop.FullPath(), FixReleasedNow: true})
	if err != nil || created || rec.OwnerPath != "acme" || len(rec.Fixes) != 1 {
		t.Fatalf("the group's key from the project: %+v created=%v err=%v; want the group's defect fixed",
			rec, created, err)
	}
	if d, _ := e.count(); d != 6 {
		t.Fatalf("%d defects, want 6", d)
	}
}

// A developer of one project reaches no defect of a project or group it may not see: not by
// its path (not found), not by its key from its own project (the key is unknown there, as
// any unused key is). A defect of a group it sees but may not write is refused. None is
// changed.
func TestDefectsOfOthersStayOutOfReach(t *testing.T) {
	e := newDefectEnv(t)
	pub, err := e.forge.Projects.CreateGroup(e.ctx, e.root,
		forge.GroupInput{Name: name("pub"), Path: name("pub"), Visibility: name("public")})
	if err != nil {
		t.Fatal(err)
	}
	app, err := e.forge.Projects.CreateProject(e.ctx, e.root,
		forge.ProjectInput{Name: name("app"), NamespaceRef: pub.FullPath,
			Visibility: name("public")}, 0)
	if err != nil {
		t.Fatal(err)
	}
	e.user("shopdev", forge.MemberSource{Kind: "project", Ref: e.shop.FullPath()}, forge.Developer, forge.ScopeAPI)
	if _, err := e.forge.Projects.AddOrUpdateMember(e.ctx, e.root,
		forge.MemberSource{Kind: "project", Ref: app.FullPath()},
		forge.MemberInput{UserRef: forge.Path("shopdev"), AccessLevel: forge.Developer}, true); err != nil {
		t.Fatal(err)
	}
	for _, d := range []struct{ key, path string }{{"VAULT-1", "acme/vault"}, {"ACME-1", "acme"}, {"PUB-1", "pub"}} {
		if _, _, err := e.record(e.root,
			forge.DefectInput{Key: d.key, ResourcePath: d.path, DetectedAt: at("2024-01-01"),
				Description: ptr("theirs")}); err != nil {
			t.Fatal(err)
		}
	}
	dev := e.users["shopdev"]
	fix := func(key, path string) forge.DefectInput {
		return forge.DefectInput{Key: key, ResourcePath: path, Description: ptr("mine"), FixReleasedNow: true}
	}
	tests := []struct {
		name string
		in   forge.DefectInput
		code forge.Code
		says string
	}{
		{"the private sibling's path", fix("VAULT-1", "acme/vault"), forge.ENotFound, `"acme/vault"`},
		{"the private sibling's key", fix("VAULT-1", e.shop.FullPath()), forge.EInvalid,
			`detected_at or detected_now is required to create defect "VAULT-1"`},
		{"an unused key, for comparison", fix("NEVER-1", e.shop.FullPath()), forge.EInvalid,
			`detected_at or detected_now is required to create defect "NEVER-1"`},
		{"the key of a private group above", fix("ACME-1", e.shop.FullPath()), forge.EInvalid,
			"detected_at or detected_now"},
		{"the key of a public group above", fix("PUB-1", app.FullPath()), forge.EForbidden,
			`critical defect "PUB-1" is recorded at the group pub; changing it needs Developer access there`},
	}
	for _, tt := range tests {
		_, _, err := e.record(dev, tt.in)
		if fe := forge.ErrorOf(err); fe.Code != tt.code || !strings.Contains(fe.Message, tt.says) {
			t.Errorf("%s: %v; want %s saying %q", tt.name, err, tt.code, tt.says)
		}
	}
	if d, f := e.count(); d != 3 || f != 0 {
		t.Fatalf("%d defects and %d fixes; want the three, unfixed", d, f)
	}
	// With a detection time, the key records shopdev's own defect at its project.
	rec, created, err := e.record(dev,
		forge.DefectInput{Key: "VAULT-1", ResourcePath: e.shop.FullPath(), DetectedNow: true,
			Description: ptr("mine")})
	if err != nil || !created || rec.ProjectID != e.shop.ID {
		t.Fatalf("own defect: %+v created=%v err=%v", rec, created, err)
	}
	for _, ref := range []string{"acme/vault", app.FullPath()} {
		list, err := e.forge.Delivery.ProjectDefects(e.ctx, e.root, forge.ParseRef(ref), time.Time{}, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range list {
			if d.Description != "theirs" || d.ResolvedAt != nil {
				t.Errorf("%s: defect %s changed: %+v", ref, d.Key, d)
			}
		}
	}
}

// Refused requests write nothing, and say why.
func TestRecordDefectRefusals(t *testing.T) {
	e := newDefectEnv(t)
	tests := []struct {
		name  string
		actor string
		in    forge.DefectInput
		code  forge.Code
		says  string
	}{
		{"fix on a group path", "dev",
			forge.DefectInput{Key: "K", ResourcePath: "acme/web", DetectedNow: true, FixReleasedNow: true},
			forge.EInvalid, `"acme/web" is a group, not a repository`},
		{"fix sha on a user path", "root",
			forge.DefectInput{Key: "K", ResourcePath: "root", DetectedNow: true, FixSHA: "abc1234"},
			forge.EInvalid, "only be recorded on a repository path"},
		{"unknown fix sha", "dev", forge.DefectInput{Key: "K", ResourcePath: "acme/web/shop", DetectedNow: true,
			FixSHA: strings.Repeat("ab", 20)}, forge.EInvalid, "is not a commit of acme/web/shop"},
		{"a branch name as sha", "dev", forge.DefectInput{Key: "K", ResourcePath: "acme/web/shop", DetectedNow: true,
			FixSHA: "main"}, forge.EInvalid, "is not a commit sha"},
		{"no detection time", "dev", forge.DefectInput{Key: "K", ResourcePath: "acme"}, forge.EInvalid,
			"detected_at or detected_now"},
		{"no key", "dev", forge.DefectInput{ResourcePath: "acme", DetectedNow: true}, forge.EInvalid, "defect_key"},
		{"control characters in the key", "dev",
			forge.DefectInput{Key: "a\nb", ResourcePath: "acme", DetectedNow: true},
			forge.EInvalid, "printable"},
		{"no path", "dev", forge.DefectInput{Key: "K", DetectedNow: true}, forge.EInvalid, "resource_path"},
		{"unknown path", "dev", forge.DefectInput{Key: "K", ResourcePath: "acme/nope", DetectedNow: true},
			forge.ENotFound, ""},
		{"private project of others", "outsider",
			forge.DefectInput{Key: "K", ResourcePath: "acme/vault", DetectedNow: true},
			forge.ENotFound, ""},
		{"private group of others", "outsider", forge.DefectInput{Key: "K", ResourcePath: "acme", DetectedNow: true},
			forge.ENotFound, ""},
		{"reporter of the project", "rep",
			forge.DefectInput{Key: "K", ResourcePath: "acme/web/shop", DetectedNow: true},
			forge.EForbidden, "Developer"},
		{"another user's namespace", "dev", forge.DefectInput{Key: "K", ResourcePath: "outsider", DetectedNow: true},
			forge.EForbidden, "only outsider"},
		{"read-only token", "reader", forge.DefectInput{Key: "K", ResourcePath: "acme", DetectedNow: true},
			forge.EForbidden, "higher privileges"},
		{"anonymous", "", forge.DefectInput{Key: "K", ResourcePath: "acme", DetectedNow: true},
			forge.EUnauthorized, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := e.users[tt.actor]
			switch tt.actor {
			case "root":
				a = e.root
			case "":
				a = forge.Anonymous("127.0.0.1")
			}
			_, _, err := e.record(a, tt.in)
			fe := forge.ErrorOf(err)
			if err == nil || fe.Code != tt.code || !strings.Contains(fe.Message, tt.says) {
				t.Fatalf("error %v; want %s saying %q", err, tt.code, tt.says)
			}
			if d, f := e.count(); d != 0 || f != 0 {
				t.Fatalf("%d defects and %d fixes written, want none", d, f)
			}
		})
	}
}

// An unknown sha refused in an update leaves the existing defect as it was.
func TestRefusedFixLeavesTheDefectAsItWas(t *testing.T) {
	e := newDefectEnv(t)
	if _, _, err := e.record(e.root, forge.DefectInput{Key: "K", ResourcePath: e.shop.FullPath(), DetectedNow: true,
		Description: ptr("before")}); err != nil {
		t.Fatal(err)
	}
	_, _, err := e.record(e.root,
		forge.DefectInput{Key: "K", ResourcePath: e.shop.FullPath(), Description: ptr("after"),
			FixSHA: strings.Repeat("0", 40)})
	if forge.ErrorCode(err) != forge.EInvalid {
		t.Fatalf("error %v, want invalid", err)
	}
	list, err := e.forge.Delivery.ProjectDefects(e.ctx, e.root, forge.ParseRef(e.shop.FullPath()),
		time.Time{}, time.Time{})
	if err != nil || len(list) != 1 || list[0].Description != "before" {
		t.Fatalf("defects %+v, err %v; want the one defect unchanged", list, err)
	}
}

// DORA's lists: a project counts its own defects and those of the namespaces above it; a
// group counts those of its subtree and of the groups above it; both by detection time.
func TestDefectListsForProjectsAndGroups(t *testing.T) {
	e := newDefectEnv(t)
	vault := "acme/vault"
	for _, d := range []struct{ key, path, when string }{
		{"ACME", "acme", "2024-01-10"},
		{"WEB", "acme/web", "2024-02-10"},
		{"SHOP", e.shop.FullPath(), "2024-03-10"},
		{"VAULT", vault, "2024-03-11"},
		{"LATE", e.shop.FullPath(), "2025-01-01"},
	} {
		if _, _, err := e.record(e.root,
			forge.DefectInput{Key: d.key, ResourcePath: d.path, DetectedAt: at(d.when)}); err != nil {
			t.Fatal(err)
		}
	}
	keys := func(list []forge.Defect) string {
		var out []string
		for _, d := range list {
			out = append(out, d.Key)
		}
		return strings.Join(out, ",")
	}
	from, to := *at("2024-01-01"), *at("2024-12-31")
	tests := []struct {
		name string
		list func() ([]forge.Defect, error)
		want string
	}{
		{"shop", func() ([]forge.Defect, error) {
			return e.forge.Delivery.ProjectDefects(e.ctx, e.root, forge.ParseRef(e.shop.FullPath()), from, to)
		}, "ACME,WEB,SHOP"},
		{"vault", func() ([]forge.Defect, error) {
			return e.forge.Delivery.ProjectDefects(e.ctx, e.root, forge.ParseRef(vault), from, to)
		}, "ACME,VAULT"},
		{"acme", func() ([]forge.Defect, error) {
			return e.forge.Delivery.GroupDefects(e.ctx, e.root, forge.ParseRef("acme"), from, to)
		}, "ACME,WEB,SHOP,VAULT"},
		{"acme/web", func() ([]forge.Defect, error) {
			return e.forge.Delivery.GroupDefects(e.ctx, e.root, forge.ParseRef("acme/web"), from, to)
		}, "ACME,WEB,SHOP"},
		{"shop, open end", func() ([]forge.Defect, error) {
			return e.forge.Delivery.ProjectDefects(e.ctx, e.root, forge.ParseRef(e.shop.FullPath()),
				*at("2024-03-01"), time.Time{})
		}, "SHOP,LATE"},
	}
	for _, tt := range tests {
		list, err := tt.list()
		if err != nil || keys(list) != tt.want {
			t.Errorf("%s: %s, err %v; want %s", tt.name, keys(list), err, tt.want)
		}
	}
	if _, err := e.forge.Delivery.ProjectDefects(e.ctx, e.users["outsider"], forge.ParseRef(vault), from,
		to); forge.ErrorCode(err) != forge.ENotFound {
		t.Errorf("outsider listing a private project: %v, want not found", err)
	}
}

// Deleting the project of a defect's latest fix resolves it at the fixes that remain.
func TestDeletingAFixProjectMovesTheResolution(t *testing.T) {
	e := newDefectEnv(t)
	other, err := e.forge.Projects.CreateProject(e.ctx, e.root,
		forge.ProjectInput{Name: name("other"), NamespaceRef: "acme"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	in := forge.DefectInput{Key: "K", ResourcePath: "acme", DetectedAt: at("2024-01-01")}
	if _, _, err := e.record(e.root, in); err != nil {
		t.Fatal(err)
	}
	for path, when := range map[string]string{e.shop.FullPath(): "2024-01-02", other.FullPath(): "2024-01-03"} {
		if _, _, err := e.record(e.root,
			forge.DefectInput{Key: "K", ResourcePath: path, FixReleasedAt: at(when)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.forge.Projects.DeleteProject(e.ctx, e.root, forge.ParseRef(other.FullPath())); err != nil {
		t.Fatal(err)
	}
	list, err := e.forge.Delivery.GroupDefects(e.ctx, e.root, forge.ParseRef("acme"), time.Time{}, time.Time{})
	if err != nil || len(list) != 1 || list[0].ResolvedAt == nil || !list[0].ResolvedAt.Equal(*at("2024-01-02")) {
		t.Fatalf("defects %+v, err %v; want resolved at the remaining fix", list, err)
	}
}

// BenchmarkProjectDefects lists a year of a project's defects out of 10,000 (half recorded at
// the project, half at its group, every other one fixed), as DORA's time to restore reads
// them.
func BenchmarkProjectDefects(b *testing.B) {
	e := newDefectEnv(b)
	start := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	err := e.db.Write(e.ctx, func(tx *sql.Tx) error {
		for i := range 10000 {
			d := forge.Defect{Key: fmt.Sprintf("D-%d", i),
				DetectedAt: start.Add(time.Duration(i) * 105 * time.Minute), CreatedAt: start, UpdatedAt: start}
			if i%2 == 0 {
				d.ProjectID = e.shop.ID
			} else {
				d.NamespaceID = e.shop.NamespaceID
			}
			id, err := db.InsertDefect(e.ctx, tx, d)
			if err != nil {
				return err
			}
			if i%4 < 2 {
				f := forge.DefectFix{DefectID: id, ProjectID: e.shop.ID,
					ReleasedAt: d.DetectedAt.Add(time.Hour), CreatedAt: start}
				if _, err := db.InsertDefectFix(e.ctx, tx, f); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	from, to := time.Date(2023, 6, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	b.ResetTimer()
	for b.Loop() {
		list, err := e.forge.Delivery.ProjectDefects(e.ctx, e.root, forge.ParseRef(e.shop.FullPath()), from, to)
		if err != nil || len(list) < 4000 {
			b.Fatalf("%d defects, err %v", len(list), err)
		}
	}
}

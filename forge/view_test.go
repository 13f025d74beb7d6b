package forge_test

import (
	"reflect"
	"testing"

	"github.com/cairn-forge/cairn/forge"
)

// viewEnv is a public project "root/pub" with one open issue and one open confidential
// issue, both by root, and a user per project role.
type viewEnv struct {
	*defectEnv
	pub    forge.ProjectView
	secret forge.Issue
	// actors are the roles, plus "admin" (root) and "anonymous".
	actors map[string]*forge.Actor
}

var viewRoles = []string{"guest", "reporter", "developer", "maintainer", "owner", "admin", "anonymous"}

func newViewEnv(t *testing.T) *viewEnv {
	e := &viewEnv{defectEnv: newDefectEnv(t)}
	var err error
	e.pub, err = e.forge.Projects.CreateProject(e.ctx, e.root,
		forge.ProjectInput{Name: name("pub"), NamespaceRef: "root",
			Visibility: name(forge.Public), InitializeWithReadme: true}, 0)
	if err != nil {
		t.Fatal(err)
	}
	src := forge.MemberSource{Kind: "project", Ref: e.pub.FullPath()}
	for role, level := range map[string]int{"guest": forge.Guest, "reporter": forge.Reporter,
		"developer": forge.Developer, "maintainer": forge.Maintainer, "owner": forge.Owner} {
		e.user(role, src, level, forge.ScopeAPI)
	}
	if _, err := e.forge.Issuables.CreateIssue(e.ctx, e.root, forge.ParseRef(e.pub.FullPath()),
		forge.IssueInput{Title: name("open")}); err != nil {
		t.Fatal(err)
	}
	confidential := true
	e.secret, err = e.forge.Issuables.CreateIssue(e.ctx, e.root, forge.ParseRef(e.pub.FullPath()),
		forge.IssueInput{Title: name("secret"), Confidential: &confidential})
	if err != nil {
		t.Fatal(err)
	}
	e.actors = map[string]*forge.Actor{"admin": e.root, "anonymous": forge.Anonymous("127.0.0.1")}
	for _, role := range viewRoles[:5] {
		e.actors[role] = e.users[role]
	}
	return e
}

// TestProjectViewCarriesWhatEachRoleMaySee checks, for each role, the project's capability
// flags and its count of confidential issues, and that each flag says whether the operation
// it stands for succeeds.
func TestProjectViewCarriesWhatEachRoleMaySee(t *testing.T) {
	t.Parallel()
	e := newViewEnv(t)
	tests := []struct {
		role                  string
		confidential, release bool
	}{
		{"guest", false, false},
		{"reporter", true, false},
		{"developer", true, true},
		{"maintainer", true, true},
		{"owner", true, true},
		{"admin", true, true},
		{"anonymous", false, false},
	}
	for _, tt := range tests {
		a := e.actors[tt.role]
		v, err := e.forge.Projects.ProjectByRef(e.ctx, a, forge.ParseRef(e.pub.FullPath()))
		if err != nil {
			t.Fatalf("%s: %v", tt.role, err)
		}
		if v.CanSeeConfidential != tt.confidential || v.CanEditReleases != tt.release {
			t.Errorf("%s: CanSeeConfidential %v, CanEditReleases %v; want %v, %v",
				tt.role, v.CanSeeConfidential, v.CanEditReleases, tt.confidential, tt.release)
		}
		wantSecret := 0
		if tt.confidential {
			wantSecret = 1
		}
		if v.OpenIssues != 1 || v.OpenConfidentialIssues != wantSecret {
			t.Errorf("%s: open issues %d, confidential %d; want 1, %d", tt.role, v.OpenIssues,
				v.OpenConfidentialIssues, wantSecret)
		}
		_, err = e.forge.Issuables.GetIssue(e.ctx, a, forge.ParseRef(v.FullPath()), forge.IssueRef{N: e.secret.IID})
		if (err == nil) != tt.confidential {
			t.Errorf("%s: CanSeeConfidential %v, reading the confidential issue: %v", tt.role, tt.confidential, err)
		}
		_, err = e.forge.Delivery.CreateRelease(e.ctx, a, forge.ParseRef(v.FullPath()),
			forge.ReleaseInput{TagName: name("v-" + tt.role),
				Ref: name("main")})
		if (err == nil) != tt.release {
			t.Errorf("%s: CanEditReleases %v, creating a release: %v", tt.role, tt.release, err)
		}
	}
}

// TestUserViewShowsPrivateFieldsToTheUserAndAdministrators checks what each role sees of
// another user and of itself, and that CanEdit says whether UpdateUser succeeds.
func TestUserViewShowsPrivateFieldsToTheUserAndAdministrators(t *testing.T) {
	t.Parallel()
	e := newViewEnv(t)
	target := e.users["developer"].User
	for _, role := range viewRoles {
		a := e.actors[role]
		// The developer looks at itself; the others look at the developer.
		self := role == "developer"
		private := self || role == "admin"
		users, _, err := e.forge.Accounts.ListUsers(e.ctx, a, forge.UserListOptions{Username: target.Username},
			forge.Page{Page: 1, PerPage: 20})
		if err != nil || len(users) != 1 {
			t.Fatalf("%s: %d users, %v", role, len(users), err)
		}
		views := []forge.UserView{users[0]}
		if a.SignedIn() {
			v, err := e.forge.Accounts.GetUser(e.ctx, a, target.ID)
			if err != nil {
				t.Fatalf("%s: %v", role, err)
			}
			views = append(views, v)
		}
		if self {
			v, err := e.forge.Accounts.CurrentUser(e.ctx, a)
			if err != nil {
				t.Fatal(err)
			}
			views = append(views, v)
		}
		for _, v := range views {
			if v.SeesPrivate != private || v.CanEdit != private {
				t.Errorf("%s: SeesPrivate %v, CanEdit %v; want %v", role, v.SeesPrivate, v.CanEdit, private)
			}
			wantEmail := ""
			if private {
				wantEmail = target.Email
			}
			if v.Email != wantEmail || v.ID != target.ID || v.Username != target.Username {
				t.Errorf("%s: sees user %d %q with email %q; want %q", role, v.ID, v.Username, v.Email, wantEmail)
			}
			if f := secretFields(reflect.TypeOf(v)); len(f) > 0 {
				t.Errorf("%s: the password hash left forge in %v", role, f)
			}
		}
		_, err = e.forge.Accounts.UpdateUser(e.ctx, a, target.ID, forge.UserInput{Bio: name("by " + role)})
		if (err == nil) != views[0].CanEdit {
			t.Errorf("%s: CanEdit %v, UpdateUser: %v", role, views[0].CanEdit, err)
		}
	}
}

// TestUserViewHidesWhetherOthersAreAdministrators checks that the administrator flag and
// plan of a user are told only to the user and administrators.
func TestUserViewHidesWhetherOthersAreAdministrators(t *testing.T) {
	t.Parallel()
	e := newViewEnv(t)
	admin, plan := true, forge.PlanPro
	boss, err := e.forge.Accounts.CreateUser(e.ctx, e.root, forge.UserInput{Username: name("boss"), Name: name("Boss"),
		Email: name("boss@example.com"), Password: name("password-boss"), Admin: &admin, Plan: &plan})
	if err != nil {
		t.Fatal(err)
	}
	if !boss.SeesPrivate || !boss.IsAdmin || boss.Plan != plan {
		t.Fatalf("the creating administrator sees %+v", boss)
	}
	for _, role := range viewRoles {
		v, _, err := e.forge.Accounts.ListUsers(e.ctx, e.actors[role], forge.UserListOptions{Username: "boss"},
			forge.Page{Page: 1, PerPage: 20})
		if err != nil || len(v) != 1 {
			t.Fatalf("%s: %d users, %v", role, len(v), err)
		}
		private := role == "admin"
		if v[0].IsAdmin != private || (v[0].Plan == plan) != private {
			t.Errorf("%s: sees is_admin %v, plan %q", role, v[0].IsAdmin, v[0].Plan)
		}
	}
}

// TestMemberViewShowsEmailsToAdministratorsOnly checks each role's view of a project's
// members, as GitLab's member lists show them.
func TestMemberViewShowsEmailsToAdministratorsOnly(t *testing.T) {
	t.Parallel()
	e := newViewEnv(t)
	src := forge.MemberSource{Kind: "project", Ref: e.pub.FullPath()}
	for _, role := range viewRoles {
		a := e.actors[role]
		members, total, err := e.forge.Projects.ListMembers(e.ctx, a, src, true, "", forge.Page{Page: 1, PerPage: 100})
		if err != nil || total < 5 {
			t.Fatalf("%s: %d members, %v", role, total, err)
		}
		one, err := e.forge.Projects.GetMember(e.ctx, a, src, e.users["guest"].User.ID, false)
		if err != nil {
			t.Fatalf("%s: %v", role, err)
		}
		for _, m := range append(members, one) {
			if f := secretFields(reflect.TypeOf(m)); (m.User.Email != "") != (role == "admin") || len(f) > 0 {
				t.Errorf("%s: member %s shown with email %q, secret fields %v", role, m.User.Username,
					m.User.Email, f)
			}
		}
	}
}

package forge_test

import (
	"slices"
	"testing"

	"github.com/cairn-forge/cairn/forge"
)

// abilityEnv is a private project "acme/app" with a README, an issue by root, and a user per
// role (plus an outsider and a read-only token of a maintainer).
type abilityEnv struct {
	*defectEnv
	app forge.ProjectView
}

func newAbilityEnv(t *testing.T) *abilityEnv {
	e := &abilityEnv{defectEnv: newDefectEnv(t)}
	var err error
	e.app, err = e.forge.Projects.CreateProject(e.ctx, e.root,
		forge.ProjectInput{Name: name("app"), NamespaceRef: "acme",
			InitializeWithReadme: true}, 0)
	if err != nil {
		t.Fatal(err)
	}
	src := forge.MemberSource{Kind: "project", Ref: e.app.FullPath()}
	e.user("guest", src, forge.Guest, forge.ScopeAPI)
	e.user("reporter", src, forge.Reporter, forge.ScopeAPI)
	e.user("developer", src, forge.Developer, forge.ScopeAPI)
	return e
}

// TestAbilitiesAgreeWithTheOperations checks, for every role, that each ability a page reads
// says exactly whether the operation it stands for succeeds.
func TestAbilitiesAgreeWithTheOperations(t *testing.T) {
	t.Parallel()
	e := newAbilityEnv(t)
	ctx := e.ctx
	issue, err := e.forge.Issuables.CreateIssue(ctx, e.root, forge.ParseRef(e.app.FullPath()),
		forge.IssueInput{Title: name("by root")})
	if err != nil {
		t.Fatal(err)
	}
	actors := map[string]*forge.Actor{"anonymous": forge.Anonymous("127.0.0.1"), "root": e.root}
	for _, u := range []string{"guest", "reporter", "developer", "outsider", "reader", "dev"} {
		actors[u] = e.users[u]
	}
	for who, a := range actors {
		t.Run(who, func(t *testing.T) {
			v, err := e.forge.Projects.ProjectByRef(ctx, a, forge.ParseRef(e.app.FullPath()))
			if err != nil {
				// Those who cannot see the project have no abilities to show.
				if forge.ErrorCode(err) != forge.ENotFound {
					t.Fatal(err)
				}
				return
			}
			ab := v.Abilities(a)
			check := func(ability string, want bool, err error) {
				t.Helper()
				if got := err == nil; got != want {
					t.Errorf("%s: ability %v, operation error %v", ability, want, err)
				}
			}
			_, _, err = e.forge.Repositories.ListTree(ctx, a, forge.ParseRef(v.FullPath()), "", "", false,
				forge.Page{Page: 1, PerPage: 20})
			check("ReadCode", ab.ReadCode, err)
			_, _, err = e.forge.Issuables.ListProjectIssues(ctx, a, forge.ParseRef(v.FullPath()),
				forge.IssueListOptions{}, forge.Page{Page: 1, PerPage: 20})
			check("ReadIssues", ab.ReadIssues, err)
			_, _, err = e.forge.Issuables.ListProjectMergeRequests(ctx, a, forge.ParseRef(v.FullPath()),
				forge.MergeRequestListOptions{}, forge.Page{Page: 1, PerPage: 20})
			check("ReadMergeRequests", ab.ReadMergeRequests, err)
			_, err = e.forge.Issuables.CreateIssue(ctx, a, forge.ParseRef(v.FullPath()),
				forge.IssueInput{Title: name("by " + who)})
			check("CreateIssue", ab.CreateIssue, err)
			branch := "topic-" + who
			_, err = e.forge.Repositories.CreateBranch(ctx, a, forge.ParseRef(v.FullPath()), branch, "main")
			check("PushCode", ab.PushCode, err)
			if err != nil {
				if _, err := e.forge.Repositories.CreateBranch(ctx, e.root, forge.ParseRef(v.FullPath()),
					branch, "main"); err != nil {
					t.Fatal(err)
				}
			}
			_, err = e.forge.Issuables.CreateMergeRequest(ctx, a, forge.ParseRef(v.FullPath()), forge.MergeRequestInput{
				SourceBranch: name(branch), TargetBranch: name("main"), Title: name("from " + who)})
			check("CreateMergeRequest", ab.CreateMergeRequest, err)
			// Labels are ignored, not refused, from those who may not set them.
			is, err := e.forge.Issuables.UpdateIssue(ctx, a, forge.ParseRef(v.FullPath()), forge.IssueRef{N: issue.IID},
				forge.IssueInput{AddLabels: []string{"bug-" + who}})
			check("CanEditIssue", v.CanEditIssue(a, issue), err)
			if err == nil && slices.Contains(is.Labels, "bug-"+who) != ab.SetIssueMetadata {
				t.Errorf("SetIssueMetadata %v, labels after the update %v", ab.SetIssueMetadata, is.Labels)
			}
		})
	}
}

func TestRebaseAndGroupAbilitiesAgreeWithTheOperations(t *testing.T) {
	t.Parallel()
	e := newAbilityEnv(t)
	ctx := e.ctx
	if _, err := e.forge.Repositories.CreateBranch(ctx, e.root, forge.ParseRef(e.app.FullPath()), "topic",
		"main"); err != nil {
		t.Fatal(err)
	}
	m, err := e.forge.Issuables.CreateMergeRequest(ctx, e.root, forge.ParseRef(e.app.FullPath()),
		forge.MergeRequestInput{
			SourceBranch: name("topic"), TargetBranch: name("main"), Title: name("topic")})
	if err != nil {
		t.Fatal(err)
	}
	e.user("maintainer", forge.MemberSource{Kind: "group", Ref: "acme"}, forge.Maintainer, forge.ScopeAPI)
	for _, who := range []string{"reporter", "developer", "reader", "maintainer", "dev"} {
		a := e.users[who]
		can := e.forge.Access.CanRebase(ctx, a, m)
		err := e.forge.Issuables.RebaseMergeRequest(ctx, a, forge.ParseRef(e.app.FullPath()),
			forge.MergeRequestRef{N: m.IID})
		if can != (err == nil) {
			t.Errorf("%s: CanRebase %v, RebaseMergeRequest error %v", who, can, err)
		}
		for _, nsPath := range []string{"acme", who, "root"} {
			ns, err := e.forge.Delivery.ResolvePath(ctx, e.root, nsPath)
			if err != nil {
				t.Fatal(err)
			}
			can, err := e.forge.Access.CanCreateIn(ctx, a, ns.Namespace)
			if err != nil {
				t.Fatal(err)
			}
			_, err = e.forge.Projects.CreateProject(ctx, a,
				forge.ProjectInput{Name: name("p-" + who), NamespaceRef: nsPath}, 0)
			if can != (err == nil) {
				t.Errorf("%s in %s: CanCreateIn %v, CreateProject error %v", who, nsPath, can, err)
			}
		}
		canGroup := a.CanCreateGroup()
		_, err = e.forge.Projects.CreateGroup(ctx, a, forge.GroupInput{Name: name("g-" + who), Path: name("g-" + who)})
		if canGroup != (err == nil) {
			t.Errorf("%s: CanCreateGroup %v, CreateGroup error %v", who, canGroup, err)
		}
	}
}

func TestGrantableScopesLeaveAdministrativeScopesToAdministrators(t *testing.T) {
	t.Parallel()
	e := newDefectEnv(t)
	for who, a := range map[string]*forge.Actor{"root": e.root, "dev": e.users["dev"]} {
		for _, sc := range forge.AllScopes {
			_, _, err := e.forge.Access.CreateToken(e.ctx, a, a.User.ID,
				forge.TokenInput{Name: sc, Scopes: []string{sc}})
			if grantable := slices.Contains(a.GrantableScopes(), sc); grantable != (err == nil) {
				t.Errorf("%s, scope %s: grantable %v, CreateToken error %v", who, sc, grantable, err)
			}
		}
	}
}

func TestResettingThePrivateTokenRevokesThePreviousOne(t *testing.T) {
	t.Parallel()
	e := newDefectEnv(t)
	a := e.users["dev"]
	first, secret1, err := e.forge.Access.ResetPrivateToken(e.ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if first.Name != forge.PrivateTokenName || !slices.Equal(first.Scopes, []string{forge.ScopeAPI}) ||
		first.ExpiresAt == nil {
		t.Fatalf("private token: %+v", first)
	}
	if _, err := e.forge.Access.Authenticate(e.ctx, secret1, "127.0.0.1"); err != nil {
		t.Fatalf("the new private token does not work: %v", err)
	}
	_, secret2, err := e.forge.Access.ResetPrivateToken(e.ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.forge.Access.Authenticate(e.ctx, secret1, "127.0.0.1"); forge.ErrorCode(err) != forge.EUnauthorized {
		t.Fatalf("the reset private token still works: %v", err)
	}
	if _, err := e.forge.Access.Authenticate(e.ctx, secret2, "127.0.0.1"); err != nil {
		t.Fatalf("the second private token does not work: %v", err)
	}
	// The user's other tokens are left alone.
	if _, err := e.forge.Access.Authenticate(e.ctx, "root-token", "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	toks, _, err := e.forge.Access.ListTokens(e.ctx, a, forge.TokenListOptions{State: "active"},
		forge.Page{Page: 1, PerPage: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(toks) != 2 { // the test's own token and the second private token
		t.Fatalf("active tokens after two resets: %+v", toks)
	}
	if _, _, err := e.forge.Access.ResetPrivateToken(e.ctx,
		forge.Anonymous("127.0.0.1")); forge.ErrorCode(err) != forge.EUnauthorized {
		t.Fatalf("anonymous reset: %v", err)
	}
}

func TestSplitRefPathPrefersTheLongestBranchOrTag(t *testing.T) {
	t.Parallel()
	e := newDefectEnv(t)
	ctx := e.ctx
	p := forge.ParseRef(e.shop.FullPath())
	if _, err := e.forge.Repositories.CreateBranch(ctx, e.root, p, "feature/login", "main"); err != nil {
		t.Fatal(err)
	}
	for _, tag := range []string{"v1.0", "feature"} {
		if _, err := e.forge.Repositories.CreateTag(ctx, e.root, p, tag, "main", ""); err != nil {
			t.Fatal(err)
		}
	}
	head := e.shopHead
	tests := []struct{ tail, rev, path string }{
		{"main", "main", ""},
		{"main/", "main", ""},
		{"main/docs/a.md", "main", "docs/a.md"},
		{"feature/login/src/app.go", "feature/login", "src/app.go"},
		{"feature/logout/x", "feature", "logout/x"},
		{"v1.0/README.md", "v1.0", "README.md"},
		{head + "/README.md", head, "README.md"},
		{head[:8], head[:8], ""},
	}
	for _, tt := range tests {
		rev, path, err := e.forge.Repositories.SplitRefPath(ctx, e.root, p, tt.tail)
		if err != nil || rev != tt.rev || path != tt.path {
			t.Errorf("SplitRefPath(%q) = %q, %q, %v; want %q, %q", tt.tail, rev, path, err, tt.rev, tt.path)
		}
	}
	if _, _, err := e.forge.Repositories.SplitRefPath(ctx, e.root, p,
		"nope/README.md"); forge.ErrorCode(err) != forge.ENotFound {
		t.Errorf("unknown ref: %v, want not found", err)
	}
	if _, _, err := e.forge.Repositories.SplitRefPath(ctx, e.users["outsider"], forge.ParseRef("acme/vault"),
		"main"); forge.ErrorCode(err) != forge.ENotFound {
		t.Errorf("a private project's refs to an outsider: %v, want not found", err)
	}
}

func TestASessionActorCarriesItsCSRFToken(t *testing.T) {
	t.Parallel()
	e := newDefectEnv(t)
	_, sess, err := e.forge.Access.SignIn(e.ctx, "dev", "password-dev", "127.0.0.1", "")
	if err != nil {
		t.Fatal(err)
	}
	a, err := e.forge.Access.SessionActor(e.ctx, sess.Secret, "", false, "127.0.0.1")
	if err != nil || a.CSRFToken() != sess.CSRF || a.UserID() == 0 {
		t.Fatalf("session actor: %+v %v", a, err)
	}
	// A write with the token is the user's; without it, anonymous.
	if a, _ := e.forge.Access.SessionActor(e.ctx, sess.Secret, sess.CSRF, true, "127.0.0.1"); !a.SignedIn() {
		t.Fatal("a write with the CSRF token is anonymous")
	}
	if a, _ := e.forge.Access.SessionActor(e.ctx, sess.Secret, "", true, "127.0.0.1"); a.SignedIn() ||
		a.CSRFToken() != "" {
		t.Fatalf("a write without the CSRF token: %+v", a)
	}
}

func TestChangingAPasswordNeedsTheCurrentOne(t *testing.T) {
	t.Parallel()
	e := newDefectEnv(t)
	a := e.users["dev"]
	if err := e.forge.Accounts.ChangePassword(e.ctx, a, "wrong", "new-password-123",
		"127.0.0.1"); forge.ErrorCode(err) != forge.EUnauthorized {
		t.Fatalf("wrong current password: %v, want unauthorized", err)
	}
	if err := e.forge.Accounts.ChangePassword(e.ctx, a, "password-dev", "short",
		"127.0.0.1"); forge.ErrorCode(err) != forge.EInvalid {
		t.Fatalf("too short a password: %v, want invalid", err)
	}
	if err := e.forge.Accounts.ChangePassword(e.ctx, a, "password-dev", "new-password-123", "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.forge.Access.SignIn(e.ctx, "dev", "new-password-123", "127.0.0.1", ""); err != nil {
		t.Fatalf("sign in with the new password: %v", err)
	}
	if _, _, err := e.forge.Access.SignIn(e.ctx, "dev", "password-dev", "127.0.0.1",
		""); forge.ErrorCode(err) != forge.EUnauthorized {
		t.Fatalf("sign in with the old password: %v", err)
	}
}

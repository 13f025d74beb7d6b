package gitlab_test

import "testing"

// The roles a permission table names: members of the project at each level, an
// administrator, a signed-in user who is no member, and nobody.
var roleLevels = map[string]int{"guest": 10, "reporter": 20, "developer": 30, "maintainer": 40, "owner": 50}

// roles makes a user for each role on the fixture's project and returns every role's token:
// "admin" is the fixture's, "outsider" a user of no membership, "anonymous" the empty token.
func (f *repoFixture) roles() map[string]string {
	f.t.Helper()
	out := map[string]string{"admin": f.token, "anonymous": "", "outsider": f.member("outsider", 0)}
	for role, level := range roleLevels {
		out[role] = f.member(role, level)
	}
	return out
}

// wantStatuses sends one request per role and checks the status each gets.
func wantStatuses(t *testing.T, f *repoFixture, tokens map[string]string, method, rest string,
	body func(role string) any, want map[string]int) {
	t.Helper()
	for role, code := range want {
		var b any
		if body != nil {
			b = body(role)
		}
		r := f.do(method, rest, tokens[role], b)
		if r.StatusCode != code {
			t.Errorf("%s %s as %s: %d, want %d; %s", method, rest, role, r.StatusCode, code, r.Body)
		}
	}
}

// The project resources of GitLab's breadth answer each role of a private project as GitLab
// does: anonymous callers and outsiders see nothing (404; 401 for changes), guests no code
// (403), reporters read, developers change code, maintainers keep the deploy credentials.
func TestPrivateProjectResourcesByRole(t *testing.T) {
	t.Parallel()
	f := newRepoFixture(t, nil)
	tokens := f.roles()
	sha := f.mainTip().ID
	const (
		codeReaders = "reporter"
		codeWriters = "developer"
	)
	for _, c := range []struct {
		method, path string
		body         any
		want         map[string]int
	}{
		{"GET", "/starrers", nil,
			map[string]int{"anonymous": 404, "outsider": 404, "guest": 200, "owner": 200, "admin": 200}},
		{"GET", "/forks", nil, map[string]int{"anonymous": 404, "outsider": 404, "guest": 200, "admin": 200}},
		{"GET", "/groups", nil, map[string]int{"anonymous": 404, "outsider": 404, "guest": 200, "admin": 200}},
		{"POST", "/star", nil, map[string]int{"anonymous": 401, "outsider": 404, "guest": 201, "maintainer": 201}},
		{"GET", "/repository/commits/" + sha + "/refs", nil,
			map[string]int{"anonymous": 404, "outsider": 404, "guest": 403, codeReaders: 200, "admin": 200}},
		{"GET", "/repository/commits/" + sha + "/signature", nil,
			map[string]int{"anonymous": 404, "outsider": 404, "guest": 403, codeReaders: 404, "admin": 404}},
		{"GET", "/repository/archive.tar.bz2", nil,
			map[string]int{"anonymous": 404, "outsider": 404, "guest": 403, codeReaders: 200, "owner": 200}},
		{"POST", "/repository/commits/" + sha + "/revert", map[string]any{"branch": "main", "dry_run": true},
			map[string]int{"anonymous": 401, "outsider": 404, "guest": 403, "reporter": 403, codeWriters: 200,
				"admin": 200}},
		{"GET", "/deploy_tokens", nil,
			map[string]int{"anonymous": 401, "outsider": 404, "guest": 403, "developer": 403,
				"maintainer": 200, "owner": 200, "admin": 200}},
		{"POST", "/deploy_tokens", map[string]any{"name": "x", "scopes": []string{"read_repository"}},
			map[string]int{"anonymous": 401, "outsider": 404, "developer": 403, "maintainer": 201, "admin": 201}},
		{"GET", "/deploy_keys", nil,
			map[string]int{"anonymous": 401, "outsider": 404, "developer": 403, "maintainer": 200}},
		{"GET", "/custom_attributes", nil,
			map[string]int{"anonymous": 401, "outsider": 403, "owner": 403, "admin": 200}},
		{"POST", "/uploads", nil, map[string]int{"anonymous": 401, "outsider": 400, "guest": 400}},
		{"PUT", "/transfer", map[string]any{"namespace": "outsider"},
			map[string]int{"anonymous": 401, "outsider": 404, "guest": 403, "maintainer": 403, "owner": 400}},
	} {
		var body func(string) any
		if c.body != nil {
			body = func(string) any { return c.body }
		}
		wantStatuses(t, f, tokens, c.method, c.path, body, c.want)
	}
}

// The accounts' administrative endpoints answer anonymous callers 401, users 403 (404 for
// what is another's own), administrators as asked.
func TestAccountEndpointsByCaller(t *testing.T) {
	t.Parallel()
	f := newRepoFixture(t, nil)
	aliceID, alice := f.s.CreateUser(t, "alice")
	bobID, bob := f.s.CreateUser(t, "bob")
	u := "/api/v4/users/" + itoa(aliceID)
	for _, c := range []struct {
		method, path string
		body         any
		user, admin  int
	}{
		{"GET", u + "/impersonation_tokens", nil, 403, 200},
		{"POST", u + "/impersonation_tokens", map[string]any{"name": "x", "scopes": []string{"api"}}, 403, 201},
		{"GET", u + "/emails", nil, 403, 200},
		{"POST", u + "/emails", map[string]any{"email": "a2@example.org"}, 403, 201},
		{"GET", u + "/custom_attributes", nil, 403, 200},
		{"PUT", u + "/custom_attributes/team", map[string]any{"value": "x"}, 403, 200},
		{"GET", "/api/v4/deploy_keys", nil, 403, 200},
		{"GET", "/api/v4/deploy_tokens", nil, 403, 200},
		{"GET", "/api/v4/keys?fingerprint=SHA256:none", nil, 403, 404},
		{"POST", "/api/v4/users/" + itoa(bobID) + "/ban", nil, 403, 201},
		{"POST", "/api/v4/users/" + itoa(bobID) + "/unban", nil, 403, 201},
	} {
		wantStatus(t, f.s.Do(t, c.method, c.path, "", c.body), 401)
		if r := f.s.Do(t, c.method, c.path, alice, c.body); r.StatusCode != c.user {
			t.Errorf("%s %s as a user: %d, want %d", c.method, c.path, r.StatusCode, c.user)
		}
		if r := f.s.Do(t, c.method, c.path, f.token, c.body); r.StatusCode != c.admin {
			t.Errorf("%s %s as an administrator: %d, want %d; %s", c.method, c.path, r.StatusCode, c.admin, r.Body)
		}
	}
	// Anyone reads a user's keys and status; their own lists need a user.
	for _, p := range []string{u + "/keys", u + "/gpg_keys", u + "/status"} {
		wantStatus(t, f.s.Do(t, "GET", p, "", nil), 200)
	}
	for _, p := range []string{"/api/v4/user/keys", "/api/v4/user/gpg_keys", "/api/v4/user/emails",
		"/api/v4/user/status"} {
		wantStatus(t, f.s.Do(t, "GET", p, "", nil), 401)
		wantStatus(t, f.s.Do(t, "GET", p, bob, nil), 200)
	}
}

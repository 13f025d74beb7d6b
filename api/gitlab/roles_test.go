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
func wantStatuses(t *testing.T, f *repoFixture, tokens map[string]string, method, rest string, body func(role string) any, want map[string]int) {
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

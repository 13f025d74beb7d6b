package gitlab_test

import (
	"testing"

	"github.com/cairn-forge/cairn/server/servertest"
)

// The example fixture of the repository (testdata/fixture.json) loads into an in-process
// instance, and what it describes is there through the API.
func TestExampleSeedFixture(t *testing.T) {
	t.Parallel()
	s := newServer(t, servertest.WithFixture("../../testdata/fixture.json"))
	const alice, ops = "cairn_pat_example_alice_api_0000000000", "cairn_pat_example_ops_sudo_000000000000"

	u := decode[userJSON](t, mustDo(t, s, 200, "GET", "/api/v4/user", ops, nil))
	if u.Username != "ops" || u.IsAdmin == nil || !*u.IsAdmin {
		t.Errorf("ops: %+v", u)
	}
	var members []memberJSON
	mustDo(t, s, 200, "GET", "/api/v4/groups/acme/members", alice, nil).JSON(t, &members)
	levels := map[string]int{}
	for _, m := range members {
		levels[m.Username] = m.AccessLevel
	}
	if !mapsEqual(levels, map[string]int{"alice": 50, "bob": 30}) {
		t.Errorf("acme's members: %v", levels)
	}
	// alice's ownership of acme reaches the project in its subgroup.
	aliceID := decode[userJSON](t, mustDo(t, s, 200, "GET", "/api/v4/user", alice, nil)).ID
	m := decode[memberJSON](t,
		mustDo(t, s, 200, "GET", "/api/v4/projects/acme%2Fplatform%2Fapi/members/all/"+itoa(aliceID), ops, nil))
	if m.AccessLevel != 50 {
		t.Errorf("alice's inherited level on acme/platform/api: %d", m.AccessLevel)
	}
}

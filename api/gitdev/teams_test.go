package gitdev_test

import (
	"reflect"
	"testing"
)

func TestListTeamsShowsTheGroupsTheCallerMaySee(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tests := []struct {
		who, token string
		want       []string
	}{
		{"owner", f.alice, []string{"acme", "acme/web"}},
		{"member of the parent sees the nested one", f.bob, []string{"acme", "acme/web"}},
		{"outsider sees the public one only", f.carol, []string{"acme"}},
	}
	for _, tt := range tests {
		t.Run(tt.who, func(t *testing.T) {
			l := decode[teamList](t, call(t, f.s, "GET", "/v1/teams", tt.token, nil), 200)
			var got []string
			for _, team := range l.Data {
				got = append(got, team.Slug)
			}
			if !reflect.DeepEqual(got, tt.want) || l.Meta != (metaJSON{Total: len(tt.want), Page: 1, PerPage: 20}) {
				t.Errorf("teams %v meta %+v, want %v", got, l.Meta, tt.want)
			}
		})
	}
	l := decode[teamList](t, call(t, f.s, "GET", "/v1/teams?per_page=1&page=2", f.alice, nil), 200)
	if len(l.Data) != 1 || l.Data[0].Slug != "acme/web" || l.Meta != (metaJSON{Total: 2, Page: 2, PerPage: 1}) {
		t.Fatalf("second page %+v", l)
	}
	web := l.Data[0]
	if web.ID != "team_"+b36(f.web) || web.Name != "Web" || web.ParentID == nil || *web.ParentID != "team_"+
		b36(f.acme) ||
		web.Visibility != "private" || web.MembersURL != f.s.URL+"/v1/teams/"+web.ID+"/members" {
		t.Errorf("team %+v", web)
	}
	wantError(t, call(t, f.s, "GET", "/v1/teams?per_page=1000", f.alice, nil), 400, "invalid_parameter", "")
}

func TestTeamMembersCarryRolesFromAccessLevels(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	gitlab(t, f.s, 201, "POST", "/groups/"+itoa(f.web)+"/members", f.alice,
		map[string]any{"user_id": f.bobID, "access_level": 40})
	tests := []struct {
		ref  string
		want map[string]string
	}{
		{"acme", map[string]string{"alice": "owner", "bob": "developer"}},
		{"team_" + b36(f.acme), map[string]string{"alice": "owner", "bob": "developer"}},
		// Members of the parent are members of the nested team; bob's own grant there is higher.
		{"acme/web", map[string]string{"alice": "owner", "bob": "maintainer"}},
		{"acme%2Fweb", map[string]string{"alice": "owner", "bob": "maintainer"}},
		{"team_" + b36(f.web), map[string]string{"alice": "owner", "bob": "maintainer"}},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			l := decode[memberList](t, call(t, f.s, "GET", "/v1/teams/"+tt.ref+"/members", f.bob, nil), 200)
			got := map[string]string{}
			for _, m := range l.Data {
				got[m.Username] = m.Role
				if m.ID == "" || m.ID[:5] != "user_" || !rfc3339Second.MatchString(m.JoinedAt) {
					t.Errorf("member %+v", m)
				}
			}
			if !reflect.DeepEqual(got, tt.want) || l.Meta.Total != len(tt.want) {
				t.Errorf("members %v (meta %+v), want %v", got, l.Meta, tt.want)
			}
		})
	}
	l := decode[memberList](t, call(t, f.s, "GET", "/v1/teams/acme/members?per_page=1&page=2", f.alice, nil), 200)
	if len(l.Data) != 1 || l.Data[0].Username != "bob" || l.Data[0].AccessLevel != 30 ||
		l.Meta != (metaJSON{Total: 2, Page: 2, PerPage: 1}) {
		t.Errorf("second page %+v", l)
	}
}

func TestGetTeam(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, ref := range []string{"acme/web", "acme%2Fweb", "team_" + b36(f.web)} {
		got := decode[teamJSON](t, call(t, f.s, "GET", "/v1/teams/"+ref, f.bob, nil), 200)
		if got.Slug != "acme/web" || got.ID != "team_"+b36(f.web) {
			t.Errorf("%s: %+v", ref, got)
		}
	}
}

func TestInvisibleAndUnknownTeamsAreNotFound(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, path := range []string{"acme/web", "acme/web/members", "team_" + b36(f.web), "team_" + b36(f.web) +
		"/members"} {
		wantError(t, call(t, f.s, "GET", "/v1/teams/"+path, f.carol, nil), 404, "not_found", "Team not found")
	}
	for _, path := range []string{"nothing", "team_zzzzzz", "team_0", "team_", "team_%21", "acme//web",
		"acme/web/nothing/members", "members"} {
		wantError(t, call(t, f.s, "GET", "/v1/teams/"+path, f.s.AdminToken, nil), 404, "not_found", "")
	}
}

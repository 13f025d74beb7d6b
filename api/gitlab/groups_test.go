package gitlab_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"
)

const (
	bodyGroupNotFound = `{"message":"404 Group Not Found"}`
	bodyLastOwner     = `{"message":"403 Forbidden - A group must have at least one owner"}`
)

func TestCreateGroupsAndSubgroups(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	aliceID, alice := s.CreateUser(t, "alice")
	_, bob := s.CreateUser(t, "bob")
	top := createGroup(t, s, alice, map[string]any{"name": "Acme", "path": "acme", "visibility": "internal"})
	if top.FullPath != "acme" || top.FullName != "Acme" || top.ParentID != nil || top.Visibility != "internal" ||
		top.WebURL != s.URL+"/groups/acme" {
		t.Fatalf("top-level group: %+v", top)
	}
	// The creator owns it.
	owner := decode[memberJSON](t,
		mustDo(t, s, 200, "GET", "/api/v4/groups/"+itoa(top.ID)+"/members/"+itoa(aliceID), alice, nil))
	if owner.AccessLevel != 50 {
		t.Errorf("the creator's access level is %d, want 50", owner.AccessLevel)
	}
	sub := createGroup(t, s, alice, map[string]any{"name": "Platform", "path": "platform", "parent_id": top.ID})
	if sub.FullPath != "acme/platform" || sub.FullName != "Acme / Platform" || sub.ParentID == nil ||
		*sub.ParentID != top.ID ||
		sub.Visibility != "private" || sub.WebURL != s.URL+"/groups/acme/platform" {
		t.Fatalf("subgroup: %+v", sub)
	}
	deep := createGroup(t, s, alice, map[string]any{"name": "Tools", "path": "tools", "parent_id": sub.ID})
	if deep.FullPath != "acme/platform/tools" || deep.FullName != "Acme / Platform / Tools" {
		t.Fatalf("sub-subgroup: %+v", deep)
	}
	got := decode[groupJSON](t, mustDo(t, s, 200, "GET", "/api/v4/groups/acme%2Fplatform%2Ftools", alice, nil))
	if got.ID != deep.ID {
		t.Errorf("GET by encoded full path: id %d, want %d", got.ID, deep.ID)
	}

	tests := []struct {
		name   string
		token  string
		body   map[string]any
		status int
		want   string
	}{
		{"a subgroup more visible than its parent", alice,
			map[string]any{"name": "Open", "path": "open", "parent_id": sub.ID, "visibility": "internal"}, 400,
			`{"message":{"visibility_level":["internal is not allowed since the parent group has a private visibility."]}}`},
		{"a public subgroup of an internal group", alice,
			map[string]any{"name": "Open", "path": "open", "parent_id": top.ID, "visibility": "public"}, 400,
			`{"message":{"visibility_level":["public is not allowed since the parent group has a internal visibility."]}}`},
		{"a subgroup of a group the caller cannot see", bob,
			map[string]any{"name": "X", "path": "x", "parent_id": sub.ID}, 404, bodyGroupNotFound},
		{"a subgroup of a group the caller only sees", bob,
			map[string]any{"name": "X", "path": "x", "parent_id": top.ID}, 403, bodyForbidden},
		{"a path taken at the top", bob, map[string]any{"name": "Acme", "path": "acme"}, 409,
			`{"message":{"path":["has already been taken"]}}`},
		{"a path a user holds", bob, map[string]any{"name": "Alice", "path": "alice"}, 409,
			`{"message":{"path":["has already been taken"]}}`},
		{"a path taken below the parent", alice,
			map[string]any{"name": "P", "path": "platform", "parent_id": top.ID}, 409,
			`{"message":{"path":["has already been taken"]}}`},
		{"a reserved path at the top", alice, map[string]any{"name": "API", "path": "api"}, 400,
			`{"message":{"path":["api is a reserved name"]}}`},
		{"a reserved word below the top", alice,
			map[string]any{"name": "API", "path": "api", "parent_id": top.ID}, 201, ""},
		{"no path", alice, map[string]any{"name": "Nameless"}, 400,
			`{"message":"400 (Bad request) \"path\" not given"}`},
		{"a bad path", alice, map[string]any{"name": "Bad", "path": "a/b"}, 400,
			`{"message":{"path":["can contain only letters, digits, '_', '-' and '.'"]}}`},
		{"a bad visibility", alice, map[string]any{"name": "Vis", "path": "vis", "visibility": "hidden"}, 400,
			`{"message":{"visibility":["does not have a valid value"]}}`},
		{"a parent that does not exist", alice,
			map[string]any{"name": "Orphan", "path": "orphan", "parent_id": 99999}, 404, bodyGroupNotFound},
		{"anonymously", "", map[string]any{"name": "Anon", "path": "anon"}, 401, bodyUnauthorized},
		{"a public top-level group", bob,
			map[string]any{"name": "Bob (public)", "path": "bobs", "visibility": "public"}, 201, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.Do(t, "POST", "/api/v4/groups", tt.token, tt.body)
			if tt.want != "" {
				wantJSON(t, r, tt.status, tt.want)
				return
			}
			wantStatus(t, r, tt.status)
		})
	}

	t.Run("subgroups lists the direct children", func(t *testing.T) {
		got := names(t, mustDo(t, s, 200, "GET", "/api/v4/groups/"+itoa(top.ID)+"/subgroups", alice, nil), "full_path")
		slices.Sort(got)
		if !slices.Equal(got, []string{"acme/api", "acme/platform"}) {
			t.Errorf("subgroups of acme: %v", got)
		}
		got = names(t, mustDo(t, s, 200, "GET", "/api/v4/groups/acme/subgroups", alice, nil), "full_path")
		if len(got) != 2 {
			t.Errorf("subgroups of acme by path: %v", got)
		}
		wantJSON(t, s.Do(t, "GET", "/api/v4/groups/"+itoa(sub.ID)+"/subgroups", bob, nil), 404, bodyGroupNotFound)
	})
}

func TestGroupVisibility(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	aliceID, alice := s.CreateUser(t, "alice")
	_, bob := s.CreateUser(t, "bob")
	priv := createGroup(t, s, s.AdminToken, map[string]any{"name": "Priv", "path": "priv"})
	internal := createGroup(t, s, s.AdminToken,
		map[string]any{"name": "Inside", "path": "inside", "visibility": "internal"})
	public := createGroup(t, s, s.AdminToken, map[string]any{"name": "Open", "path": "open", "visibility": "public"})
	addMember(t, s, s.AdminToken, "groups", priv.ID, aliceID, 10)
	viewers := []struct {
		name  string
		token string
		sees  []string
	}{
		{"anonymous", "", []string{"open"}},
		{"a signed-in stranger", bob, []string{"open", "inside"}},
		{"a guest of the private group", alice, []string{"open", "inside", "priv"}},
		{"an admin", s.AdminToken, []string{"open", "inside", "priv"}},
	}
	for _, v := range viewers {
		t.Run(v.name, func(t *testing.T) {
			for _, g := range []groupJSON{priv, internal, public} {
				for _, ref := range []string{itoa(g.ID), g.FullPath} {
					r := s.Do(t, "GET", "/api/v4/groups/"+ref, v.token, nil)
					if contains(v.sees, g.Path) {
						wantStatus(t, r, 200)
					} else {
						wantJSON(t, r, 404, bodyGroupNotFound)
					}
				}
			}
		})
	}
	t.Run("anonymous lists public groups", func(t *testing.T) {
		got := names(t, mustDo(t, s, 200, "GET", "/api/v4/groups", "", nil), "path")
		if !slices.Equal(got, []string{"open"}) {
			t.Errorf("anonymous GET /groups: %v", got)
		}
	})
	t.Run("members list the groups they belong to; all_available adds the visible ones", func(t *testing.T) {
		got := names(t, mustDo(t, s, 200, "GET", "/api/v4/groups", alice, nil), "path")
		if !slices.Equal(got, []string{"priv"}) {
			t.Errorf("alice's GET /groups: %v", got)
		}
		got = names(t, mustDo(t, s, 200, "GET", "/api/v4/groups?all_available=true", alice, nil), "path")
		slices.Sort(got)
		if !slices.Equal(got, []string{"inside", "open", "priv"}) {
			t.Errorf("alice's GET /groups?all_available=true: %v", got)
		}
	})
}

func TestGroupDetailListsItsProjects(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	g := createGroup(t, s, s.AdminToken, map[string]any{"name": "Team", "path": "team", "visibility": "public"})
	createProject(t, s, s.AdminToken, map[string]any{"name": "shown", "namespace_id": g.ID, "visibility": "public"})
	createProject(t, s, s.AdminToken, map[string]any{"name": "hidden", "namespace_id": g.ID})
	var paths []string
	for _, p := range decode[groupJSON](t, mustDo(t, s, 200, "GET", "/api/v4/groups/team", "", nil)).Projects {
		paths = append(paths, p.PathWithNamespace)
	}
	if !slices.Equal(paths, []string{"team/shown"}) {
		t.Errorf("anonymous group detail lists %v, want only the public project", paths)
	}
	r := mustDo(t, s, 200, "GET", "/api/v4/groups/team?with_projects=false", "", nil)
	if got := decode[groupJSON](t, r); len(got.Projects) != 0 {
		t.Errorf("with_projects=false lists %d projects", len(got.Projects))
	}
	got := names(t,
		mustDo(t, s, 200, "GET", "/api/v4/groups/"+itoa(g.ID)+"/projects?order_by=name&sort=asc",
			s.AdminToken, nil), "path")
	if !slices.Equal(got, []string{"hidden", "shown"}) {
		t.Errorf("GET /groups/:id/projects: %v", got)
	}
}

func TestUpdateGroup(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	_, alice := s.CreateUser(t, "alice")
	maintID, maint := s.CreateUser(t, "maint")
	g := createGroup(t, s, alice, map[string]any{"name": "Team", "path": "team", "visibility": "public"})
	sub := createGroup(t, s, alice,
		map[string]any{"name": "Sub", "path": "sub", "parent_id": g.ID, "visibility": "public"})
	p := createProject(t, s, alice, map[string]any{"name": "app", "namespace_id": sub.ID})
	addMember(t, s, alice, "groups", g.ID, maintID, 40)
	path := "/api/v4/groups/" + itoa(g.ID)

	wantJSON(t, s.Do(t, "PUT", path, maint, map[string]any{"description": "x"}), 403, bodyForbidden)
	wantJSON(t, s.Do(t, "PUT", path, alice, map[string]any{"visibility": "private"}), 400,
		`{"message":{"visibility_level":["private is not allowed since there are sub-groups with higher visibility."]}}`)
	r := mustDo(t, s, 200, "PUT", path, alice, map[string]any{"path": "crew", "name": "Crew", "description": "renamed"})
	if got := decode[groupJSON](t, r); got.FullPath != "crew" || got.FullName != "Crew" {
		t.Errorf("renamed group: %s", r.Body)
	}
	// Everything below moves with it.
	if got := decode[groupJSON](t,
		mustDo(t, s, 200, "GET", "/api/v4/groups/"+itoa(sub.ID), alice, nil)); got.FullPath != "crew/sub" ||
		got.FullName != "Crew / Sub" {
		t.Errorf("subgroup after the rename: %+v", got)
	}
	if got := decode[projectJSON](t,
		mustDo(t, s, 200, "GET", "/api/v4/projects/crew%2Fsub%2Fapp", alice, nil)); got.ID != p.ID ||
		got.NameWithNamespace != "Crew / Sub / app" {
		t.Errorf("project after the rename: %+v", got)
	}
	wantJSON(t, s.Do(t, "GET", "/api/v4/groups/team", alice, nil), 404, bodyGroupNotFound)
}

func TestDeleteGroupRemovesItsSubgroupsAndProjects(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	_, alice := s.CreateUser(t, "alice")
	_, bob := s.CreateUser(t, "bob")
	g := createGroup(t, s, alice, map[string]any{"name": "Team", "path": "team"})
	sub := createGroup(t, s, alice, map[string]any{"name": "Sub", "path": "sub", "parent_id": g.ID})
	top := createProject(t, s, alice, map[string]any{"name": "app", "namespace_id": g.ID})
	nested := createProject(t, s, alice, map[string]any{"name": "lib", "namespace_id": sub.ID})
	keep := createProject(t, s, alice, map[string]any{"name": "keep"})

	wantJSON(t, s.Do(t, "DELETE", "/api/v4/groups/"+itoa(g.ID), bob, nil), 404, bodyGroupNotFound)
	wantJSON(t, s.Do(t, "DELETE", "/api/v4/groups/"+itoa(g.ID), alice, nil), 202, `{"message":"202 Accepted"}`)
	for _, p := range []projectJSON{top, nested} {
		wantJSON(t, s.Do(t, "GET", "/api/v4/projects/"+itoa(p.ID), alice, nil), 404, bodyProjectNotFound)
		wantJSON(t, s.Do(t, "GET", "/api/v4/projects/"+itoa(p.ID), s.AdminToken, nil), 404, bodyProjectNotFound)
	}
	for _, id := range []int64{g.ID, sub.ID} {
		wantJSON(t, s.Do(t, "GET", "/api/v4/groups/"+itoa(id), s.AdminToken, nil), 404, bodyGroupNotFound)
	}
	mustDo(t, s, 200, "GET", "/api/v4/projects/"+itoa(keep.ID), alice, nil)
	if got := names(t, mustDo(t, s, 200, "GET", "/api/v4/projects", alice, nil), "path"); !slices.Equal(got,
		[]string{"keep"}) {
		t.Errorf("alice's projects after the deletion: %v", got)
	}
	// The paths are free again.
	g2 := createGroup(t, s, alice, map[string]any{"name": "Team", "path": "team"})
	createProject(t, s, alice, map[string]any{"name": "app", "namespace_id": g2.ID})
}

func TestGroupMembers(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	aliceID, alice := s.CreateUser(t, "alice")
	bobID, bob := s.CreateUser(t, "bob")
	carolID, carol := s.CreateUser(t, "carol")
	daveID, dave := s.CreateUser(t, "dave")
	erinID, _ := s.CreateUser(t, "erin")
	g := createGroup(t, s, alice, map[string]any{"name": "Team", "path": "team"})
	members := "/api/v4/groups/" + itoa(g.ID) + "/members"
	member := func(id int64) string { return members + "/" + itoa(id) }
	level := func(t *testing.T, id int64) int {
		t.Helper()
		return decode[memberJSON](t, mustDo(t, s, 200, "GET", member(id), carol, nil)).AccessLevel
	}

	steps := []struct {
		name   string
		token  string
		method string
		path   string
		body   any
		status int
		want   string
	}{
		{"add a developer", alice, "POST", members, map[string]any{"user_id": bobID, "access_level": 30}, 201, ""},
		{"add by username", alice, "POST", members, map[string]any{"username": "carol", "access_level": 40}, 201, ""},
		{"add twice", alice, "POST", members, map[string]any{"user_id": bobID, "access_level": 30}, 409,
			`{"message":"Member already exists"}`},
		{"a level that does not exist", alice, "POST", members,
			map[string]any{"user_id": daveID, "access_level": 35}, 400,
			`{"error":"access_level does not have a valid value"}`},
		{"no level", alice, "POST", members, map[string]any{"user_id": daveID}, 400,
			`{"message":"400 (Bad request) \"access_level\" not given"}`},
		{"no user", alice, "POST", members, map[string]any{"access_level": 30}, 400,
			`{"message":"400 (Bad request) \"user_id\" not given"}`},
		{"a user who does not exist", alice, "POST", members,
			map[string]any{"user_id": 99999, "access_level": 30}, 404, `{"message":"404 User Not Found"}`},
		{"a developer may not add", bob, "POST", members,
			map[string]any{"user_id": daveID, "access_level": 10}, 403, bodyForbidden},
		{"a maintainer may not grant owner", carol, "POST", members,
			map[string]any{"user_id": daveID, "access_level": 50}, 403, bodyForbidden},
		{"a maintainer adds a reporter", carol, "POST", members,
			map[string]any{"user_id": daveID, "access_level": 20}, 201, ""},
		{"promote to maintainer", alice, "PUT", member(bobID), map[string]any{"access_level": 40}, 200, ""},
		{"update someone who is not a member", alice, "PUT", member(erinID),
			map[string]any{"access_level": 40}, 404, `{"message":"404 Not found"}`},
		{"an expiry in the past", alice, "PUT", member(daveID),
			map[string]any{"access_level": 20, "expires_at": "2020-01-01"}, 400,
			`{"message":{"expires_at":["cannot be a date in the past"]}}`},
		{"the last owner cannot be removed", alice, "DELETE", member(aliceID), nil, 403, bodyLastOwner},
		{"the last owner cannot be demoted", alice, "PUT", member(aliceID),
			map[string]any{"access_level": 40}, 403, bodyLastOwner},
		{"a reporter may not remove others", dave, "DELETE", member(bobID), nil, 403, bodyForbidden},
		{"a reporter leaves", dave, "DELETE", member(daveID), nil, 204, ""},
		{"removing a non-member succeeds", alice, "DELETE", member(daveID), nil, 204, ""},
		{"a maintainer may not remove an owner", carol, "DELETE", member(aliceID), nil, 403, bodyForbidden},
		{"a maintainer may not demote an owner", carol, "PUT", member(aliceID),
			map[string]any{"access_level": 10}, 403, bodyForbidden},
		{"a maintainer adds a developer", carol, "POST", members,
			map[string]any{"user_id": erinID, "access_level": 30}, 201, ""},
		{"and removes them", carol, "DELETE", member(erinID), nil, 204, ""},
		{"a second owner", alice, "PUT", member(carolID), map[string]any{"access_level": 50}, 200, ""},
		{"now the first owner may leave", alice, "DELETE", member(aliceID), nil, 204, ""},
	}
	for _, st := range steps {
		r := s.Do(t, st.method, st.path, st.token, st.body)
		switch {
		case st.want != "":
			wantJSON(t, r, st.status, st.want)
		default:
			if r.StatusCode != st.status {
				t.Fatalf("%s: %s %s: %d %s, want %d", st.name, st.method, st.path, r.StatusCode, r.Body, st.status)
			}
		}
	}
	if got := level(t, bobID); got != 40 {
		t.Errorf("bob's level %d, want 40", got)
	}
	got := names(t, mustDo(t, s, 200, "GET", members, carol, nil), "username")
	slices.Sort(got)
	if !slices.Equal(got, []string{"bob", "carol"}) {
		t.Errorf("members at the end: %v", got)
	}
	wantJSON(t, s.Do(t, "GET", member(aliceID), carol, nil), 404, `{"message":"404 Not found"}`)
}

func TestMembersAllIncludesInheritedMembers(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	aliceID, alice := s.CreateUser(t, "alice")
	bobID, _ := s.CreateUser(t, "bob")
	carolID, _ := s.CreateUser(t, "carol")
	daveID, _ := s.CreateUser(t, "dave")
	top := createGroup(t, s, alice, map[string]any{"name": "Top", "path": "top"})
	sub := createGroup(t, s, alice, map[string]any{"name": "Sub", "path": "sub", "parent_id": top.ID})
	p := createProject(t, s, alice, map[string]any{"name": "app", "namespace_id": sub.ID})
	addMember(t, s, alice, "groups", top.ID, bobID, 30)   // inherited by sub and app
	addMember(t, s, alice, "groups", sub.ID, carolID, 20) // inherited by app
	addMember(t, s, alice, "projects", p.ID, daveID, 10)  // direct on app
	addMember(t, s, alice, "groups", sub.ID, bobID, 40)   // bob is higher in sub

	levels := func(path string) map[string]int {
		var list []memberJSON
		mustDo(t, s, 200, "GET", path, alice, nil).JSON(t, &list)
		out := map[string]int{}
		for _, m := range list {
			out[m.Username] = m.AccessLevel
		}
		return out
	}
	tests := []struct {
		path string
		want map[string]int
	}{
		{"/api/v4/groups/" + itoa(top.ID) + "/members", map[string]int{"alice": 50, "bob": 30}},
		{"/api/v4/groups/" + itoa(sub.ID) + "/members", map[string]int{"alice": 50, "bob": 40, "carol": 20}},
		{"/api/v4/groups/" + itoa(sub.ID) + "/members/all", map[string]int{"alice": 50, "bob": 40, "carol": 20}},
		{"/api/v4/projects/" + itoa(p.ID) + "/members", map[string]int{"dave": 10}},
		{"/api/v4/projects/" + itoa(p.ID) + "/members/all",
			map[string]int{"alice": 50, "bob": 40, "carol": 20, "dave": 10}},
		{"/api/v4/projects/top%2Fsub%2Fapp/members/all",
			map[string]int{"alice": 50, "bob": 40, "carol": 20, "dave": 10}},
	}
	for _, tt := range tests {
		if got := levels(tt.path); !mapsEqual(got, tt.want) {
			t.Errorf("GET %s: %v, want %v", tt.path, got, tt.want)
		}
	}

	sub2 := createGroup(t, s, alice, map[string]any{"name": "Sub2", "path": "sub2", "parent_id": top.ID})
	if got := levels("/api/v4/groups/" + itoa(sub2.ID) + "/members/all"); !mapsEqual(got,
		map[string]int{"alice": 50, "bob": 30}) {
		t.Errorf("members/all of a new subgroup: %v", got)
	}
	// One inherited member by id.
	m := decode[memberJSON](t,
		mustDo(t, s, 200, "GET", "/api/v4/projects/"+itoa(p.ID)+"/members/all/"+itoa(bobID), alice, nil))
	if m.ID != bobID || m.AccessLevel != 40 {
		t.Errorf("members/all/:bob: %+v", m)
	}
	wantJSON(t, s.Do(t, "GET", "/api/v4/projects/"+itoa(p.ID)+"/members/"+itoa(bobID), alice, nil), 404,
		`{"message":"404 Not found"}`)
	wantJSON(t, s.Do(t, "GET", "/api/v4/projects/"+itoa(p.ID)+"/members/all/"+itoa(aliceID+1000), alice, nil),
		404, `{"message":"404 Not found"}`)
}

// A group's members get their level on its projects and subgroups.
func TestGroupAccessLevelsGrantProjectRights(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	_, alice := s.CreateUser(t, "alice")
	users := map[int]string{}
	g := createGroup(t, s, alice, map[string]any{"name": "Team", "path": "team"})
	p := createProject(t, s, alice, map[string]any{"name": "app", "namespace_id": g.ID})
	for _, lvl := range []int{10, 20, 30, 40} {
		id, tok := s.CreateUser(t, "user"+strconv.Itoa(lvl))
		addMember(t, s, alice, "groups", g.ID, id, lvl)
		users[lvl] = tok
	}
	_, stranger := s.CreateUser(t, "stranger")
	users[0] = stranger
	for lvl, tok := range users {
		t.Run("level "+strconv.Itoa(lvl), func(t *testing.T) {
			read := s.Do(t, "GET", "/api/v4/projects/"+itoa(p.ID), tok, nil)
			createIn := s.Do(t, "POST", "/api/v4/projects", tok,
				map[string]any{"name": "by" + strconv.Itoa(lvl), "namespace_id": g.ID})
			update := s.Do(t, "PUT", "/api/v4/projects/"+itoa(p.ID), tok,
				map[string]any{"description": "level " + strconv.Itoa(lvl)})
			wantRead, wantCreate, wantUpdate := 200, 403, 403
			switch {
			case lvl == 0:
				wantRead, wantCreate, wantUpdate = 404, 404, 404
			case lvl >= 40:
				wantCreate, wantUpdate = 201, 200
			}
			for _, c := range []struct {
				what string
				got  int
				want int
				body []byte
			}{{"read", read.StatusCode, wantRead, read.Body},
				{"create in group", createIn.StatusCode, wantCreate, createIn.Body},
				{"update", update.StatusCode, wantUpdate, update.Body}} {
				if c.got != c.want {
					t.Errorf("%s: %d %s, want %d", c.what, c.got, c.body, c.want)
				}
			}
			if lvl > 0 {
				got := decode[projectJSON](t, read)
				if got.Permissions == nil {
					t.Fatalf("no permissions: %s", read.Body)
				}
				if !strings.Contains(string(read.Body), `"access_level":`+strconv.Itoa(lvl)) {
					t.Errorf("permissions do not show level %d: %s", lvl, read.Body)
				}
			}
		})
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// A namespace is found by id or path among those the caller belongs to.
func TestNamespaces(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	_, alice := s.CreateUser(t, "alice")
	_, bob := s.CreateUser(t, "bob")
	g := createGroup(t, s, alice, map[string]any{"name": "Team", "path": "team"})
	createGroup(t, s, alice, map[string]any{"name": "Sub", "path": "sub", "parent_id": g.ID})

	var list []namespaceJSON
	mustDo(t, s, 200, "GET", "/api/v4/namespaces", alice, nil).JSON(t, &list)
	kinds := map[string]string{}
	for _, n := range list {
		kinds[n.FullPath] = n.Kind
	}
	if len(kinds) != 3 || kinds["alice"] != "user" || kinds["team"] != "group" || kinds["team/sub"] != "group" {
		t.Errorf("alice's namespaces: %v", kinds)
	}
	got := names(t, mustDo(t, s, 200, "GET", "/api/v4/namespaces?search=sub", alice, nil), "full_path")
	if !slices.Equal(got, []string{"team/sub"}) {
		t.Errorf("?search=sub: %v", got)
	}
	n := decode[namespaceJSON](t, mustDo(t, s, 200, "GET", "/api/v4/namespaces/team%2Fsub", alice, nil))
	if n.Kind != "group" || n.ParentID == nil || *n.ParentID != g.ID || n.WebURL != s.URL+"/groups/team/sub" {
		t.Errorf("GET /namespaces/team%%2Fsub: %+v", n)
	}
	n = decode[namespaceJSON](t, mustDo(t, s, 200, "GET", "/api/v4/namespaces/alice", alice, nil))
	if n.Kind != "user" || n.Path != "alice" || n.WebURL != s.URL+"/alice" {
		t.Errorf("GET /namespaces/alice: %+v", n)
	}
	wantJSON(t, s.Do(t, "GET", "/api/v4/namespaces/"+itoa(g.ID), bob, nil), 404,
		`{"message":"404 Namespace Not Found"}`)
	wantJSON(t, s.Do(t, "GET", "/api/v4/namespaces", "", nil), 401, bodyUnauthorized)
	wantJSON(t, s.Do(t, "GET", "/api/v4/namespaces/team/exists", alice, nil), 200,
		`{"exists":true,"suggests":["team1"]}`)
	wantJSON(t, s.Do(t, "GET", "/api/v4/namespaces/fresh/exists", alice, nil), 200, `{"exists":false,"suggests":[]}`)
	wantJSON(t, s.Do(t, "GET", "/api/v4/namespaces/sub/exists?parent_id="+itoa(g.ID), alice, nil), 200,
		`{"exists":true,"suggests":["sub1"]}`)
}

// Minimal access to a group shows the group and none of its projects; a project has no
// minimal members.
func TestMinimalAccessSeesTheGroupNotItsProjects(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	_, alice := s.CreateUser(t, "alice")
	minID, minimal := s.CreateUser(t, "minimal")
	g := createGroup(t, s, alice, map[string]any{"name": "Corp", "path": "corp"})
	mustDo(t, s, 201, "POST", "/api/v4/groups/"+itoa(g.ID)+"/members", alice,
		map[string]any{"user_id": minID, "access_level": 5})
	p := decode[projectJSON](t, mustDo(t, s, 201, "POST", "/api/v4/projects", alice,
		map[string]any{"name": "secret", "namespace_id": g.ID, "initialize_with_readme": true}))
	mustDo(t, s, 200, "GET", "/api/v4/groups/"+itoa(g.ID), minimal, nil)
	wantJSON(t, s.Do(t, "GET", "/api/v4/projects/"+itoa(p.ID), minimal, nil), 404,
		`{"message":"404 Project Not Found"}`)
	wantJSON(t, s.Do(t, "GET", "/api/v4/projects/"+itoa(p.ID)+"/events", minimal, nil), 404,
		`{"message":"404 Project Not Found"}`)
	if got := names(t, mustDo(t, s, 200, "GET", "/api/v4/projects?membership=true", minimal, nil),
		"path"); len(got) != 0 {
		t.Errorf("membership lists %v", got)
	}
	if got := names(t, mustDo(t, s, 200, "GET", "/api/v4/groups/"+itoa(g.ID)+"/projects", minimal, nil),
		"path"); len(got) != 0 {
		t.Errorf("the group's projects list %v", got)
	}
	wantJSON(t,
		s.Do(t, "POST", "/api/v4/projects/"+itoa(p.ID)+"/members", alice,
			map[string]any{"user_id": minID, "access_level": 5}),
		400, `{"error":"access_level does not have a valid value"}`)
}

// TestMemberByUsernameOfDigits: a member added by username is the user of that name, even
// when the name is all digits and another user has it for an id.
func TestMemberByUsernameOfDigits(t *testing.T) {
	s := newServer(t)
	aliceID, alice := s.CreateUser(t, "alice")
	digitsID, _ := s.CreateUser(t, itoa(aliceID))
	var g struct{ ID int64 }
	mustDo(t, s, 201, "POST", "/api/v4/groups", alice, map[string]any{"name": "Team", "path": "team"}).JSON(t, &g)
	var m struct {
		ID       int64  `json:"id"`
		Username string `json:"username"`
	}
	mustDo(t, s, 201, "POST", "/api/v4/groups/"+itoa(g.ID)+"/members", alice,
		map[string]any{"username": itoa(aliceID), "access_level": 30}).JSON(t, &m)
	if m.ID != digitsID || m.Username != itoa(aliceID) {
		t.Errorf("added %d (%s); want user %d named %q", m.ID, m.Username, digitsID, itoa(aliceID))
	}
}

package gitlab_test

import (
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
)

const bodyProjectNotFound = `{"message":"404 Project Not Found"}`

func TestProjectVisibility(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	_, alice := s.CreateUser(t, "alice")
	_, bob := s.CreateUser(t, "bob")
	carolID, carol := s.CreateUser(t, "carol")
	daveID, dave := s.CreateUser(t, "dave")
	mustDo(t, s, 200, "PUT", "/api/v4/users/"+itoa(daveID), s.AdminToken, map[string]any{"external": true})
	priv := createProject(t, s, alice, map[string]any{"name": "priv", "visibility": "private"})
	internal := createProject(t, s, alice, map[string]any{"name": "inside", "visibility": "internal"})
	public := createProject(t, s, alice, map[string]any{"name": "open", "visibility": "public"})
	addMember(t, s, alice, "projects", priv.ID, carolID, 20)

	viewers := []struct {
		name  string
		token string
		// sees lists the projects the viewer may see.
		sees []string
	}{
		{"anonymous", "", []string{"open"}},
		{"a signed-in stranger", bob, []string{"open", "inside"}},
		{"an external user", dave, []string{"open"}},
		{"a reporter of the private project", carol, []string{"open", "inside", "priv"}},
		{"the owner", alice, []string{"open", "inside", "priv"}},
		{"an admin", s.AdminToken, []string{"open", "inside", "priv"}},
	}
	for _, v := range viewers {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			for _, p := range []projectJSON{priv, internal, public} {
				for _, ref := range []string{itoa(p.ID), pathEscape(p.PathWithNamespace), "alice%2F" +
					strings.ToUpper(p.Path)} {
					r := s.Do(t, "GET", "/api/v4/projects/"+ref, v.token, nil)
					if contains(v.sees, p.Path) {
						wantStatus(t, r, 200)
						if got := decode[projectJSON](t, r); got.ID != p.ID {
							t.Errorf("GET /projects/%s answered project %d, want %d", ref, got.ID, p.ID)
						}
					} else {
						wantJSON(t, r, 404, bodyProjectNotFound)
					}
				}
			}
			listed := names(t, mustDo(t, s, 200, "GET", "/api/v4/projects", v.token, nil), "path")
			slices.Sort(listed)
			want := slices.Clone(v.sees)
			slices.Sort(want)
			if !slices.Equal(listed, want) {
				t.Errorf("GET /projects lists %v, want %v", listed, want)
			}
		})
	}
}

func TestCreateProject(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	aliceID, alice := s.CreateUser(t, "alice")
	bobID, bob := s.CreateUser(t, "bob")
	team := createGroup(t, s, s.AdminToken, map[string]any{"name": "Team", "path": "team"})
	closed := createGroup(t, s, s.AdminToken, map[string]any{"name": "Closed", "path": "closed"})
	addMember(t, s, s.AdminToken, "groups", team.ID, aliceID, 40)
	addMember(t, s, s.AdminToken, "groups", team.ID, bobID, 30)
	createProject(t, s, alice, map[string]any{"name": "taken"})
	tests := []struct {
		name   string
		token  string
		path   string
		body   any
		status int
		want   string // exact error body
		full   string // path_with_namespace of a created project
	}{
		{"with a name", alice, "/api/v4/projects", map[string]any{"name": "My Project"}, 201, "", "alice/my-project"},
		{"with a path only", alice, "/api/v4/projects", map[string]any{"path": "only-path"}, 201, "",
			"alice/only-path"},
		{"by form, as curl -d sends it", alice, "/api/v4/projects", "name=formed&visibility=public", 201, "",
			"alice/formed"},
		{"in a group the caller maintains", alice, "/api/v4/projects",
			map[string]any{"name": "tool", "namespace_id": team.ID}, 201, "", "team/tool"},
		{"in a group by its path", alice, "/api/v4/projects",
			map[string]any{"name": "tool2", "namespace_id": "team"}, 201, "", "team/tool2"},
		{"on v3", alice, "/api/v3/projects", map[string]any{"name": "old-style"}, 201, "", "alice/old-style"},
		{"by an admin for a user", s.AdminToken, "/api/v4/projects/user/" + itoa(bobID),
			map[string]any{"name": "given"}, 201, "", "bob/given"},
		{"for a user, by a non-admin", alice, "/api/v4/projects/user/" + itoa(bobID),
			map[string]any{"name": "given2"}, 403, bodyForbidden, ""},
		{"in a group where the caller is a developer", bob, "/api/v4/projects",
			map[string]any{"name": "nope", "namespace_id": team.ID}, 403, bodyForbidden, ""},
		{"in a private group the caller is not in", alice, "/api/v4/projects",
			map[string]any{"name": "nope", "namespace_id": closed.ID}, 404,
			`{"message":"404 Namespace Not Found"}`, ""},
		{"in another user's namespace", alice, "/api/v4/projects",
			map[string]any{"name": "nope", "namespace_id": "bob"}, 403, bodyForbidden, ""},
		{"a duplicate path", alice, "/api/v4/projects", map[string]any{"name": "taken"}, 409,
			`{"message":{"path":["has already been taken"]}}`, ""},
		{"a duplicate path on v3", alice, "/api/v3/projects", map[string]any{"name": "taken"}, 409,
			`{"message":{"path":["has already been taken"]}}`, ""},
		{"the same path in another namespace", bob, "/api/v4/projects", map[string]any{"name": "taken"}, 201,
			"", "bob/taken"},
		{"neither name nor path", alice, "/api/v4/projects", map[string]any{"description": "x"}, 400,
			`{"message":"400 (Bad request) \"name\" or \"path\" not given"}`, ""},
		{"a path ending in .git", alice, "/api/v4/projects", map[string]any{"name": "x", "path": "x.git"}, 400,
			`{"message":{"path":["cannot end in '.git' or '.atom'"]}}`, ""},
		{"a path with ..", alice, "/api/v4/projects", map[string]any{"name": "x", "path": "a..b"}, 400,
			`{"message":{"path":["cannot contain consecutive dots"]}}`, ""},
		{"a path starting with -", alice, "/api/v4/projects", map[string]any{"name": "x", "path": "-x"}, 400,
			`{"message":{"path":["must start with a letter, digit or '_'"]}}`, ""},
		{"a path over 255 characters", alice, "/api/v4/projects",
			map[string]any{"name": "x", "path": strings.Repeat("a", 256)}, 400,
			`{"message":{"path":["is too long (maximum is 255 characters)"]}}`, ""},
		{"a visibility that does not exist", alice, "/api/v4/projects",
			map[string]any{"name": "x", "visibility": "secret"}, 400,
			`{"message":{"visibility":["does not have a valid value"]}}`, ""},
		{"public in a private group", alice, "/api/v4/projects",
			map[string]any{"name": "x", "namespace_id": team.ID, "visibility": "public"}, 400,
			`{"message":{"visibility_level":["public is not allowed in a private group."]}}`, ""},
		{"anonymously", "", "/api/v4/projects", map[string]any{"name": "x"}, 401, bodyUnauthorized, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.Do(t, "POST", tt.path, tt.token, tt.body)
			if tt.want != "" {
				wantJSON(t, r, tt.status, tt.want)
				return
			}
			wantStatus(t, r, tt.status)
			p := decode[projectJSON](t, r)
			if p.PathWithNamespace != tt.full {
				t.Fatalf("created %q, want %q", p.PathWithNamespace, tt.full)
			}
			if p.WebURL != s.URL+"/"+tt.full || p.HTTPURLToRepo != s.URL+"/"+tt.full+".git" ||
				p.DefaultBranch != "main" || !p.EmptyRepo {
				t.Errorf("project JSON: %s", r.Body)
			}
			mustDo(t, s, 200, "GET", "/api/v4/projects/"+pathEscape(tt.full), s.AdminToken, nil)
		})
	}
	t.Run("private by default; the creator owns it", func(t *testing.T) {
		r := mustDo(t, s, 201, "POST", "/api/v4/projects", alice, map[string]any{"name": "defaults"})
		p := decode[projectJSON](t, r)
		if p.Visibility != "private" || p.Namespace.Kind != "user" || p.Namespace.FullPath != "alice" {
			t.Errorf("defaults: %s", r.Body)
		}
		if p.Permissions == nil || p.Permissions.ProjectAccess == nil || p.Permissions.ProjectAccess.AccessLevel != 50 {
			t.Errorf("permissions of the creator: %s", r.Body)
		}
	})
	t.Run("a duplicate name under a new path", func(t *testing.T) {
		r := s.Do(t, "POST", "/api/v4/projects", alice, map[string]any{"name": "taken", "path": "fresh-path"})
		wantStatus(t, r, http.StatusConflict)
		if !strings.Contains(string(r.Body), `"name":["has already been taken"]`) {
			t.Errorf("body %s does not say the name is taken", r.Body)
		}
	})
	t.Run("a path a subgroup holds", func(t *testing.T) {
		createGroup(t, s, s.AdminToken, map[string]any{"name": "Inner", "path": "inner", "parent_id": team.ID})
		r := s.Do(t, "POST", "/api/v4/projects", alice, map[string]any{"name": "inner", "namespace_id": team.ID})
		wantJSON(t, r, http.StatusConflict, `{"message":{"path":["has already been taken"]}}`)
	})
	t.Run("with a README", func(t *testing.T) {
		p := createProject(t, s, alice, map[string]any{"name": "readme", "initialize_with_readme": true})
		if p.EmptyRepo {
			t.Errorf("empty_repo is true after initialize_with_readme")
		}
	})
}

func TestProjectByNestedEncodedPath(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	team := createGroup(t, s, s.AdminToken, map[string]any{"name": "Team", "path": "team"})
	sub := createGroup(t, s, s.AdminToken, map[string]any{"name": "Sub", "path": "sub", "parent_id": team.ID})
	p := createProject(t, s, s.AdminToken, map[string]any{"name": "Deep", "path": "deep", "namespace_id": sub.ID})
	if p.PathWithNamespace != "team/sub/deep" || p.NameWithNamespace != "Team / Sub / Deep" {
		t.Fatalf("nested project: %+v", p)
	}
	for _, ref := range []string{"team%2Fsub%2Fdeep", "TEAM%2Fsub%2FDeep", itoa(p.ID)} {
		got := decode[projectJSON](t, mustDo(t, s, 200, "GET", "/api/v4/projects/"+ref, s.AdminToken, nil))
		if got.ID != p.ID {
			t.Errorf("GET /projects/%s: id %d, want %d", ref, got.ID, p.ID)
		}
	}
	for _, ref := range []string{"team%2Fsub", "team%2Fsub%2Fdeep%2F", "deep", "team%2Fnope%2Fdeep", "0", "-1"} {
		wantJSON(t, s.Do(t, "GET", "/api/v4/projects/"+ref, s.AdminToken, nil), 404, bodyProjectNotFound)
	}
	// Members of the project under its encoded path.
	mustDo(t, s, 200, "GET", "/api/v4/projects/team%2Fsub%2Fdeep/members", s.AdminToken, nil)
	// Private by default: hidden from strangers and anonymous callers under either name.
	_, stranger := s.CreateUser(t, "stranger")
	for _, token := range []string{"", stranger} {
		for _, ref := range []string{"team%2Fsub%2Fdeep", itoa(p.ID)} {
			wantJSON(t, s.Do(t, "GET", "/api/v4/projects/"+ref, token, nil), 404, bodyProjectNotFound)
			wantJSON(t, s.Do(t, "GET", "/api/v4/projects/"+ref+"/members", token, nil), 404, bodyProjectNotFound)
		}
	}
}

func TestUpdateProject(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	_, alice := s.CreateUser(t, "alice")
	maintID, maint := s.CreateUser(t, "maint")
	devID, dev := s.CreateUser(t, "dev")
	_, stranger := s.CreateUser(t, "stranger")
	p := createProject(t, s, alice, map[string]any{"name": "proj"})
	createProject(t, s, alice, map[string]any{"name": "other"})
	addMember(t, s, alice, "projects", p.ID, maintID, 40)
	addMember(t, s, alice, "projects", p.ID, devID, 30)
	path := "/api/v4/projects/" + itoa(p.ID)
	tests := []struct {
		name   string
		token  string
		body   map[string]any
		status int
		want   string
	}{
		{"a maintainer changes the description", maint, map[string]any{"description": "described"}, 200, ""},
		{"a developer may not", dev, map[string]any{"description": "x"}, 403, bodyForbidden},
		{"a stranger does not see it", stranger, map[string]any{"description": "x"}, 404, bodyProjectNotFound},
		{"a maintainer may not change visibility", maint, map[string]any{"visibility": "public"}, 403, bodyForbidden},
		{"the owner may", alice, map[string]any{"visibility": "internal"}, 200, ""},
		{"a path another project has", alice, map[string]any{"path": "other"}, 409,
			`{"message":{"path":["has already been taken"]}}`},
		{"an invalid name", alice, map[string]any{"name": "-bad"}, 400,
			`{"message":{"name":["must start with a letter, digit, emoji, or '_'"]}}`},
		{"a rename", alice, map[string]any{"path": "renamed", "name": "Renamed"}, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.Do(t, "PUT", path, tt.token, tt.body)
			if tt.want != "" {
				wantJSON(t, r, tt.status, tt.want)
				return
			}
			wantStatus(t, r, tt.status)
		})
	}
	got := decode[projectJSON](t, mustDo(t, s, 200, "GET", "/api/v4/projects/alice%2Frenamed", alice, nil))
	if got.ID != p.ID || got.Visibility != "internal" || got.Name != "Renamed" {
		t.Errorf("after the updates: %+v", got)
	}
	wantJSON(t, s.Do(t, "GET", "/api/v4/projects/alice%2Fproj", alice, nil), 404, bodyProjectNotFound)
}

func TestDeleteProjectIsIdempotentForThoseWhoCouldDeleteIt(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	_, alice := s.CreateUser(t, "alice")
	_, stranger := s.CreateUser(t, "stranger")
	devID, dev := s.CreateUser(t, "dev")
	p := createProject(t, s, alice, map[string]any{"name": "doomed"})
	addMember(t, s, alice, "projects", p.ID, devID, 30)
	path := "/api/v4/projects/" + itoa(p.ID)

	wantJSON(t, s.Do(t, "DELETE", path, stranger, nil), 404, bodyProjectNotFound)
	wantJSON(t, s.Do(t, "DELETE", path, dev, nil), 403, bodyForbidden)
	wantJSON(t, s.Do(t, "DELETE", path, "", nil), 401, bodyUnauthorized)
	wantJSON(t, s.Do(t, "DELETE", path, alice, nil), 202, `{"message":"202 Accepted"}`)
	wantJSON(t, s.Do(t, "GET", path, alice, nil), 404, bodyProjectNotFound)

	t.Run("again by the owner", func(t *testing.T) {
		wantJSON(t, s.Do(t, "DELETE", path, alice, nil), 202, `{"message":"202 Accepted"}`)
		wantJSON(t, s.Do(t, "DELETE", "/api/v4/projects/alice%2Fdoomed", alice, nil), 202, `{"message":"202 Accepted"}`)
	})
	t.Run("again by an admin", func(t *testing.T) {
		wantJSON(t, s.Do(t, "DELETE", path, s.AdminToken, nil), 202, `{"message":"202 Accepted"}`)
	})
	t.Run("again by a stranger or a developer", func(t *testing.T) {
		wantJSON(t, s.Do(t, "DELETE", path, stranger, nil), 404, bodyProjectNotFound)
		wantJSON(t, s.Do(t, "DELETE", path, dev, nil), 404, bodyProjectNotFound)
	})
	t.Run("a project that never existed", func(t *testing.T) {
		wantJSON(t, s.Do(t, "DELETE", "/api/v4/projects/99999", alice, nil), 404, bodyProjectNotFound)
	})
	t.Run("the path is free again", func(t *testing.T) {
		createProject(t, s, alice, map[string]any{"name": "doomed"})
	})
}

func TestListProjectsFilters(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	_, alice := s.CreateUser(t, "alice")
	bobID, bob := s.CreateUser(t, "bob")
	createProject(t, s, alice, map[string]any{"name": "beta", "visibility": "public"})
	mine := createProject(t, s, alice,
		map[string]any{"name": "alpha", "visibility": "private", "description": "the needle"})
	createProject(t, s, bob, map[string]any{"name": "gamma", "visibility": "public"})
	createProject(t, s, bob, map[string]any{"name": "delta", "visibility": "internal"})
	addMember(t, s, alice, "projects", mine.ID, bobID, 30)
	tests := []struct {
		query string
		token string
		want  []string // in order
	}{
		{"?order_by=name&sort=asc", bob, []string{"alpha", "beta", "delta", "gamma"}},
		{"?order_by=name&sort=desc", bob, []string{"gamma", "delta", "beta", "alpha"}},
		{"?owned=true&order_by=name&sort=asc", bob, []string{"delta", "gamma"}},
		{"?membership=true&order_by=name&sort=asc", bob, []string{"alpha", "delta", "gamma"}},
		{"?visibility=public&order_by=name&sort=asc", bob, []string{"beta", "gamma"}},
		{"?search=needle", bob, []string{"alpha"}},
		{"?search=alp", alice, []string{"alpha"}},
		{"?order_by=id&sort=asc", "", []string{"beta", "gamma"}},
		{"?owned=true", "", []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			got := names(t, mustDo(t, s, 200, "GET", "/api/v4/projects"+tt.query, tt.token, nil), "path")
			if !slices.Equal(got, tt.want) {
				t.Errorf("GET /projects%s: %v, want %v", tt.query, got, tt.want)
			}
		})
	}
	for bad, want := range map[string]string{
		"?order_by=colour":  `{"error":"order_by does not have a valid value"}`,
		"?sort=sideways":    `{"error":"sort does not have a valid value"}`,
		"?owned=maybe":      `{"error":"owned is invalid"}`,
		"?visibility=vague": `{"error":"visibility does not have a valid value"}`,
	} {
		wantJSON(t, s.Do(t, "GET", "/api/v4/projects"+bad, bob, nil), http.StatusBadRequest, want)
	}
	t.Run("user projects", func(t *testing.T) {
		got := names(t,
			mustDo(t, s, 200, "GET", "/api/v4/users/"+itoa(bobID)+"/projects?order_by=name&sort=asc", alice,
				nil), "path")
		if !slices.Equal(got, []string{"delta", "gamma"}) {
			t.Errorf("bob's projects seen by alice: %v", got)
		}
		got = names(t, mustDo(t, s, 200, "GET", "/api/v4/users/bob/projects", "", nil), "path")
		if !slices.Equal(got, []string{"gamma"}) {
			t.Errorf("bob's projects seen anonymously: %v", got)
		}
	})
}

// Anonymous callers get no permissions object; signed-in ones get their access.
func TestProjectPermissions(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	_, alice := s.CreateUser(t, "alice")
	p := createProject(t, s, alice, map[string]any{"name": "shown", "visibility": "public"})
	r := mustDo(t, s, 200, "GET", "/api/v4/projects/"+itoa(p.ID), "", nil)
	if strings.Contains(string(r.Body), `"permissions"`) {
		t.Errorf("anonymous answer has permissions: %s", r.Body)
	}
	got := decode[projectJSON](t, mustDo(t, s, 200, "GET", "/api/v4/projects/"+itoa(p.ID), alice, nil))
	if got.Permissions == nil || got.Permissions.ProjectAccess == nil ||
		got.Permissions.ProjectAccess.AccessLevel != 50 {
		t.Errorf("the owner's permissions: %+v", got.Permissions)
	}
}

// Racing requests for one path: exactly one wins, the others conflict, none fails with a 5xx.
func TestConcurrentCreationsOfOnePath(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	_, alice := s.CreateUser(t, "alice")
	bobID, _ := s.CreateUser(t, "bob")
	g := createGroup(t, s, alice, map[string]any{"name": "G", "path": "g"})
	races := []struct {
		name string
		path string
		body func(i int) map[string]any
	}{
		{"projects", "/api/v4/projects", func(int) map[string]any { return map[string]any{"name": "race"} }},
		{"groups", "/api/v4/groups",
			func(int) map[string]any { return map[string]any{"name": "Race", "path": "race"} }},
		{"members", "/api/v4/groups/" + itoa(g.ID) + "/members", func(int) map[string]any {
			return map[string]any{"user_id": bobID, "access_level": 30}
		}},
		{"users", "/api/v4/users", func(i int) map[string]any {
			return map[string]any{"username": "twin", "name": "Twin", "email": "twin" + itoa(int64(i)) +
				"@example.com", "password": "twin-password"}
		}},
	}
	for _, rc := range races {
		t.Run(rc.name, func(t *testing.T) {
			token := alice
			if rc.name == "users" {
				token = s.AdminToken
			}
			const n = 8
			codes := make([]int, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					codes[i] = s.Do(t, "POST", rc.path, token, rc.body(i)).StatusCode
				}()
			}
			wg.Wait()
			created, conflicts := 0, 0
			for _, c := range codes {
				switch c {
				case http.StatusCreated:
					created++
				case http.StatusConflict:
					conflicts++
				}
			}
			if created != 1 || conflicts != n-1 {
				t.Errorf("statuses %v, want one 201 and %d 409", codes, n-1)
			}
		})
	}
}

// Changing the default branch moves the repository's HEAD, so that clones check it out; a
// branch the repository lacks is refused.
func TestDefaultBranchMovesHEAD(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	_, alice := s.CreateUser(t, "alice")
	p := createProject(t, s, alice, map[string]any{"name": "site", "initialize_with_readme": true})
	api := "/api/v4/projects/" + itoa(p.ID)
	mustDo(t, s, 201, "POST", api+"/repository/branches?branch=other&ref=main", alice, nil)
	wantJSON(t, s.Do(t, "PUT", api, alice, map[string]any{"default_branch": "missing"}), 400,
		`{"message":"Could not set the default branch"}`)
	if got := decode[projectJSON](t, mustDo(t, s, 200, "GET", api, alice, nil)); got.DefaultBranch != "main" {
		t.Errorf("a refused change left default_branch %q", got.DefaultBranch)
	}
	if got := decode[projectJSON](t,
		mustDo(t, s, 200, "PUT", api, alice, map[string]any{"default_branch": "other"})); got.DefaultBranch != "other" {
		t.Errorf("default_branch %q after the change", got.DefaultBranch)
	}
	refs := mustDo(t, s, 200, "GET", "/alice/site.git/info/refs?service=git-upload-pack", alice, nil)
	if !strings.Contains(string(refs.Body), "symref=HEAD:refs/heads/other") {
		t.Errorf("the repository's HEAD did not move:\n%q", refs.Body)
	}
}

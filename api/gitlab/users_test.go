package gitlab_test

import (
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cairn-forge/cairn/server/servertest"
)

func TestCreateUser(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	_, alice := s.CreateUser(t, "alice")
	valid := func(username string) map[string]any {
		return map[string]any{"username": username, "name": "Some One", "email": username + "@example.com",
			"password": "long-enough-1"}
	}
	with := func(body map[string]any, key string, v any) map[string]any {
		out := map[string]any{}
		for k, x := range body {
			out[k] = x
		}
		if v == nil {
			delete(out, key)
		} else {
			out[key] = v
		}
		return out
	}
	tests := []struct {
		name   string
		token  string
		body   any
		status int
		want   string // exact body, when it is an error
	}{
		{"anonymous", "", valid("anon"), 401, bodyUnauthorized},
		{"a non-admin", alice, valid("byalice"), 403, bodyForbidden},
		{"a non-admin without a password", alice, with(valid("nopw"), "password", nil), 403, bodyForbidden},
		{"a duplicate username", s.AdminToken, with(valid("alice"), "email", "other@example.com"), 409,
			`{"message":"Username has already been taken"}`},
		{"a duplicate username in another case", s.AdminToken, with(valid("ALICE"), "email", "other2@example.com"), 409,
			`{"message":"Username has already been taken"}`},
		{"a duplicate email", s.AdminToken, with(valid("alice2"), "email", "alice@example.com"), 409,
			`{"message":"Email has already been taken"}`},
		// Only the status: the body is {"message":{"username":[...]}} (see the report on forge's checkUserUnique).
		{"a username a group holds", s.AdminToken, valid("crew"), 409, ""},
		{"no password", s.AdminToken, with(valid("nopw"), "password", nil), 400,
			`{"message":"400 (Bad request) \"password\" not given"}`},
		{"no email", s.AdminToken, with(valid("noemail"), "email", nil), 400,
			`{"message":"400 (Bad request) \"email\" not given"}`},
		{"a bio over 255 characters", s.AdminToken, with(valid("longbio"), "bio", strings.Repeat("x", 256)), 400,
			`{"message":{"bio":["is too long (maximum is 255 characters)"]}}`},
		{"a short password", s.AdminToken, with(valid("shortpw"), "password", "short"), 400,
			`{"message":{"password":["is too short (minimum is 8 characters)"]}}`},
		{"a reserved username", s.AdminToken, valid("admin"), 400,
			`{"message":{"username":["admin is a reserved name"]}}`},
		{"a bad email", s.AdminToken, with(valid("bademail"), "email", "not-an-email"), 400,
			`{"message":{"email":["is invalid"]}}`},
		{"an admin", s.AdminToken, valid("carol"), 201, ""},
		{"an admin, by form as curl -d sends it", s.AdminToken,
			"username=dave&name=Dave&email=dave%40example.com&password=long-enough-2", 201, ""},
		{"an admin, with a random password", s.AdminToken,
			with(with(valid("erin"), "password", nil), "force_random_password", true), 201, ""},
	}
	createGroup(t, s, s.AdminToken, map[string]any{"name": "Crew", "path": "crew"})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.Do(t, "POST", "/api/v4/users", tt.token, tt.body)
			if tt.want != "" {
				wantJSON(t, r, tt.status, tt.want)
				return
			}
			wantStatus(t, r, tt.status)
			if tt.status != http.StatusCreated {
				return
			}
			u := decode[userJSON](t, r)
			if u.ID == 0 || u.State != "active" || u.Email == nil || !strings.HasSuffix(u.WebURL, "/"+u.Username) {
				t.Errorf("created user: %s", r.Body)
			}
		})
	}
}

func TestGetUsers(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	aliceID, alice := s.CreateUser(t, "alice")
	_, bob := s.CreateUser(t, "bob")

	t.Run("anonymous callers only by username", func(t *testing.T) {
		wantJSON(t, s.Do(t, "GET", "/api/v4/users", "", nil), 403,
			`{"message":"403 Forbidden - Not authorized to access /api/v4/users"}`)
		r := mustDo(t, s, 200, "GET", "/api/v4/users?username=alice", "", nil)
		if got := names(t, r, "username"); len(got) != 1 || got[0] != "alice" {
			t.Errorf("?username=alice: %v", got)
		}
		r = mustDo(t, s, 200, "GET", "/api/v4/users?username=nobody", "", nil)
		if string(r.Body) != "[]" {
			t.Errorf("?username=nobody: %s", r.Body)
		}
	})

	t.Run("signed-in callers list everyone", func(t *testing.T) {
		got := names(t, mustDo(t, s, 200, "GET", "/api/v4/users", bob, nil), "username")
		for _, u := range []string{"root", "alice", "bob"} {
			if !contains(got, u) {
				t.Errorf("GET /users: %v lacks %s", got, u)
			}
		}
		got = names(t, mustDo(t, s, 200, "GET", "/api/v4/users?search=ali", bob, nil), "username")
		if len(got) != 1 || got[0] != "alice" {
			t.Errorf("?search=ali: %v", got)
		}
	})

	t.Run("a user by id", func(t *testing.T) {
		wantJSON(t, s.Do(t, "GET", "/api/v4/users/"+itoa(aliceID), "", nil), 403,
			`{"message":"403 Forbidden - Not authorized!"}`)
		u := decode[userJSON](t, mustDo(t, s, 200, "GET", "/api/v4/users/"+itoa(aliceID), bob, nil))
		if u.Username != "alice" || u.Email != nil || u.IsAdmin != nil {
			t.Errorf("alice seen by bob (no email, no is_admin): %+v", u)
		}
		u = decode[userJSON](t, mustDo(t, s, 200, "GET", "/api/v4/users/"+itoa(aliceID), s.AdminToken, nil))
		if u.Email == nil || *u.Email != "alice@example.com" || u.IsAdmin == nil || *u.IsAdmin {
			t.Errorf("alice seen by an admin (email, is_admin false): %+v", u)
		}
		wantJSON(t, s.Do(t, "GET", "/api/v4/users/99999", bob, nil), 404, `{"message":"404 User Not Found"}`)
		wantJSON(t, s.Do(t, "GET", "/api/v4/users/alice", bob, nil), 404, `{"message":"404 User Not Found"}`)
	})

	t.Run("the current user", func(t *testing.T) {
		u := decode[userJSON](t, mustDo(t, s, 200, "GET", "/api/v4/user", alice, nil))
		if u.Username != "alice" || u.Email == nil || u.IsAdmin == nil || *u.IsAdmin || u.WebURL != s.URL+"/alice" {
			t.Errorf("GET /user as alice: %+v", u)
		}
		u = decode[userJSON](t, mustDo(t, s, 200, "GET", "/api/v3/user", s.AdminToken, nil))
		if u.Username != "root" || u.IsAdmin == nil || !*u.IsAdmin {
			t.Errorf("GET /api/v3/user as root: %+v", u)
		}
	})
}

func TestUpdateUser(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	aliceID, alice := s.CreateUser(t, "alice")
	bobID, _ := s.CreateUser(t, "bob")
	tests := []struct {
		name   string
		token  string
		id     int64
		body   map[string]any
		status int
		want   string
	}{
		{"a user changes their own bio", alice, aliceID, map[string]any{"bio": "hello"}, 200, ""},
		{"a user may not make themselves admin", alice, aliceID, map[string]any{"admin": true}, 403, bodyForbidden},
		{"a user may not change another", alice, bobID, map[string]any{"bio": "x"}, 403, bodyForbidden},
		{"a bio over 255 characters", alice, aliceID, map[string]any{"bio": strings.Repeat("b", 256)}, 400,
			`{"message":{"bio":["is too long (maximum is 255 characters)"]}}`},
		{"an email another user has", s.AdminToken, aliceID, map[string]any{"email": "bob@example.com"}, 409,
			`{"message":"Email has already been taken"}`},
		{"a username another user has", s.AdminToken, aliceID, map[string]any{"username": "bob"}, 409,
			`{"message":"Username has already been taken"}`},
		{"an admin changes anyone", s.AdminToken, bobID, map[string]any{"name": "Robert"}, 200, ""},
		{"a user who does not exist", s.AdminToken, 99999, map[string]any{"name": "x"}, 404,
			`{"message":"404 User Not Found"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.Do(t, "PUT", "/api/v4/users/"+itoa(tt.id), tt.token, tt.body)
			if tt.want != "" {
				wantJSON(t, r, tt.status, tt.want)
				return
			}
			wantStatus(t, r, tt.status)
		})
	}
	u := decode[userJSON](t, mustDo(t, s, 200, "GET", "/api/v4/users/"+itoa(aliceID), alice, nil))
	if u.Bio != "hello" {
		t.Errorf("alice's bio is %q after the update", u.Bio)
	}
}

func TestBlockAndUnblockUser(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	aliceID, alice := s.CreateUser(t, "alice")
	rootID := decode[userJSON](t, mustDo(t, s, 200, "GET", "/api/v4/user", s.AdminToken, nil)).ID
	block, unblock := "/api/v4/users/"+itoa(aliceID)+"/block", "/api/v4/users/"+itoa(aliceID)+"/unblock"

	wantJSON(t, s.Do(t, "POST", block, alice, nil), 403, bodyForbidden)
	wantJSON(t, s.Do(t, "POST", "/api/v4/users/"+itoa(rootID)+"/block", s.AdminToken, nil), 403,
		`{"message":"403 Forbidden - The API initiating user cannot be blocked by the API"}`)
	wantJSON(t, s.Do(t, "POST", "/api/v4/users/99999/block", s.AdminToken, nil), 404,
		`{"message":"404 User Not Found"}`)

	wantJSON(t, s.Do(t, "POST", block, s.AdminToken, nil), http.StatusCreated, `true`)
	wantJSON(t, s.Do(t, "GET", "/api/v4/user", alice, nil), 401, bodyUnauthorized)
	if u := decode[userJSON](t,
		mustDo(t, s, 200, "GET", "/api/v4/users/"+itoa(aliceID), s.AdminToken, nil)); u.State != "blocked" {
		t.Errorf("state %q after block", u.State)
	}
	got := names(t, mustDo(t, s, 200, "GET", "/api/v4/users?blocked=true", s.AdminToken, nil), "username")
	if len(got) != 1 || got[0] != "alice" {
		t.Errorf("?blocked=true: %v", got)
	}
	// Blocking again changes nothing: GitLab's endpoint stops early, 201 with a null body.
	wantJSON(t, s.Do(t, "POST", block, s.AdminToken, nil), http.StatusCreated, `null`)

	wantJSON(t, s.Do(t, "POST", unblock, s.AdminToken, nil), http.StatusCreated, `true`)
	mustDo(t, s, 200, "GET", "/api/v4/user", alice, nil)
	wantJSON(t, s.Do(t, "POST", unblock, s.AdminToken, nil), http.StatusCreated, `false`)
}

// deletionFixture is an instance where alice, a developer of bob's public project shared,
// wrote an issue there, a note on bob's issue and a merge request, pushed a branch, made a
// release and a deployment; and has a project of her own, mine, with a repository.
type deletionFixture struct {
	s              *servertest.Server
	aliceID, bobID int64
	alice, bob     string
	shared, mine   projectJSON
	sharedAPI      string
	issue, bobs    issueJSON
	note           noteJSON
	mr             mrJSON
}

func newDeletionFixture(t *testing.T) *deletionFixture {
	t.Helper()
	s := newServer(t)
	f := &deletionFixture{s: s}
	f.aliceID, f.alice = s.CreateUser(t, "alice")
	f.bobID, f.bob = s.CreateUser(t, "bob")
	f.shared = createProject(t, s, f.bob,
		map[string]any{"name": "shared", "visibility": "public", "initialize_with_readme": true})
	f.sharedAPI = "/api/v4/projects/" + itoa(f.shared.ID)
	addMember(t, s, f.bob, "projects", f.shared.ID, f.aliceID, 30)
	f.bobs = createIssue(t, s, f.bob, f.sharedAPI+"/issues", map[string]any{"title": "bob's"})
	f.issue = createIssue(t, s, f.alice, f.sharedAPI+"/issues", map[string]any{"title": "alice's"})
	f.note = decode[noteJSON](t,
		mustDo(t, s, http.StatusCreated, "POST", f.sharedAPI+"/issues/"+itoa(f.bobs.IID)+"/notes",
			f.alice, map[string]any{"body": "from alice"}))
	mustDo(t, s, http.StatusCreated, "POST", f.sharedAPI+"/repository/commits", f.alice, map[string]any{
		"branch": "feature", "start_branch": "main", "commit_message": "work",
		"actions": []any{create("a.txt", "a\n")}})
	f.mr = decode[mrJSON](t, mustDo(t, s, http.StatusCreated, "POST", f.sharedAPI+"/merge_requests", f.alice,
		map[string]any{"source_branch": "feature", "target_branch": "main", "title": "alice's change"}))
	mustDo(t, s, http.StatusCreated, "POST", f.sharedAPI+"/releases", f.alice,
		map[string]any{"tag_name": "v1", "ref": "main"})
	mustDo(t, s, http.StatusCreated, "POST", f.sharedAPI+"/deployments", f.alice,
		map[string]any{"environment": "production", "ref": "main", "tag": false, "status": "success"})
	f.mine = createProject(t, s, f.alice, map[string]any{"name": "mine", "initialize_with_readme": true})
	return f
}

// repoDir is where project id's repository lives.
func repoDir(s *servertest.Server, id int64) string {
	return filepath.Join(s.DataDir, "repositories", itoa(id)+".git")
}

// wantGone fails unless path does not exist.
func wantGone(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%s still exists (%v)", path, err)
	}
}

func TestDeleteUserRefusals(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	aliceID, alice := s.CreateUser(t, "alice")
	daveID, _ := s.CreateUser(t, "dave")
	rootID := decode[userJSON](t, mustDo(t, s, 200, "GET", "/api/v4/user", s.AdminToken, nil)).ID
	readOnly := readOnlyToken(t, s, rootID)
	createGroup(t, s, s.AdminToken, map[string]any{"name": "Crew", "path": "crew"})
	crew := decode[groupJSON](t, mustDo(t, s, 200, "GET", "/api/v4/groups/crew", s.AdminToken, nil))
	addMember(t, s, s.AdminToken, "groups", crew.ID, daveID, 50)
	mustDo(t, s, http.StatusNoContent, "DELETE", "/api/v4/groups/"+itoa(crew.ID)+"/members/"+itoa(rootID),
		s.AdminToken, nil)
	tests := []struct {
		name  string
		token string
		path  string
		code  int
		want  string
	}{
		{"anonymous", "", "/api/v4/users/" + itoa(aliceID), 401, bodyUnauthorized},
		{"a non-admin", alice, "/api/v4/users/" + itoa(daveID), 403, bodyForbidden},
		{"a non-admin, themselves", alice, "/api/v4/users/" + itoa(aliceID), 403, bodyForbidden},
		{"an admin's read-only token", readOnly, "/api/v4/users/" + itoa(aliceID), 403, bodyInsufficientScope("api")},
		{"an unknown id", s.AdminToken, "/api/v4/users/99999", 404, `{"message":"404 User Not Found"}`},
		{"a username", s.AdminToken, "/api/v4/users/alice", 404, `{"message":"404 User Not Found"}`},
		{"the sole owner of a group", s.AdminToken, "/api/v4/users/" + itoa(daveID), 409,
			`{"message":"User cannot be removed while is the sole-owner of a group"}`},
		{"the sole owner of a group, through v3", s.AdminToken, "/api/v3/users/" + itoa(daveID) +
			"?hard_delete=false", 409,
			`{"message":"User cannot be removed while is the sole-owner of a group"}`},
		{"a hard_delete that is no boolean", s.AdminToken, "/api/v4/users/" + itoa(daveID) +
			"?hard_delete=perhaps", 400,
			`{"error":"hard_delete is invalid"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantJSON(t, s.Do(t, "DELETE", tt.path, tt.token, nil), tt.code, tt.want)
		})
	}
	for _, id := range []int64{aliceID, daveID} {
		mustDo(t, s, 200, "GET", "/api/v4/users/"+itoa(id), s.AdminToken, nil)
	}
	mustDo(t, s, 200, "GET", "/api/v4/user", alice, nil)
	got := names(t, mustDo(t, s, 200, "GET", "/api/v4/groups/crew/members", s.AdminToken, nil), "username")
	if len(got) != 1 || got[0] != "dave" {
		t.Errorf("crew's members after the refusals: %v", got)
	}
}

// A deleted user's personal projects and access go; what they did in others' projects stays,
// credited to one Ghost User, made the first time it is needed.
func TestDeleteUserCreditsTheGhostUser(t *testing.T) {
	t.Parallel()
	f := newDeletionFixture(t)
	s := f.s
	rootID := decode[userJSON](t, mustDo(t, s, 200, "GET", "/api/v4/user", s.AdminToken, nil)).ID
	if _, err := os.Stat(repoDir(s, f.mine.ID)); err != nil {
		t.Fatalf("alice's repository before the deletion: %v", err)
	}
	if got := decode[[]userJSON](t,
		mustDo(t, s, 200, "GET", "/api/v4/users?username=ghost", s.AdminToken, nil)); len(got) != 0 {
		t.Fatalf("a ghost before any deletion: %+v", got)
	}

	mustDo(t, s, http.StatusNoContent, "DELETE", "/api/v4/users/"+itoa(f.aliceID), s.AdminToken, nil)

	wantJSON(t, s.Do(t, "GET", "/api/v4/user", f.alice, nil), 401, bodyUnauthorized)
	wantJSON(t, s.Do(t, "GET", "/api/v4/users/"+itoa(f.aliceID), f.bob, nil), 404, `{"message":"404 User Not Found"}`)
	wantJSON(t, s.Do(t, "GET", "/api/v4/projects/"+itoa(f.mine.ID), s.AdminToken, nil), 404,
		`{"message":"404 Project Not Found"}`)
	wantJSON(t, s.Do(t, "GET", "/api/v4/projects/alice%2Fmine", s.AdminToken, nil), 404,
		`{"message":"404 Project Not Found"}`)
	wantGone(t, repoDir(s, f.mine.ID))
	if got := names(t, mustDo(t, s, 200, "GET", f.sharedAPI+"/members", f.bob, nil),
		"username"); contains(got, "alice") {
		t.Errorf("shared's members still hold alice: %v", got)
	}

	ghosts := decode[[]userJSON](t, mustDo(t, s, 200, "GET", "/api/v4/users?username=ghost", s.AdminToken, nil))
	if len(ghosts) != 1 {
		t.Fatalf("ghosts: %+v", ghosts)
	}
	ghost := ghosts[0]
	if ghost.Name != "Ghost User" || ghost.State != "blocked" || ghost.IsAdmin == nil || *ghost.IsAdmin {
		t.Errorf("the ghost: %+v", ghost)
	}
	credited := func(what string, u userJSON) {
		t.Helper()
		if u.ID != ghost.ID || u.Username != "ghost" || u.Name != "Ghost User" {
			t.Errorf("%s is credited to %+v, want the ghost %d", what, u, ghost.ID)
		}
	}
	credited("alice's issue",
		decode[issueJSON](t, mustDo(t, s, 200, "GET", f.sharedAPI+"/issues/"+itoa(f.issue.IID), f.bob, nil)).Author)
	credited("alice's merge request",
		decode[mrJSON](t, mustDo(t, s, 200, "GET", f.sharedAPI+"/merge_requests/"+itoa(f.mr.IID), f.bob, nil)).Author)
	credited("alice's note", decode[noteJSON](t, mustDo(t, s, 200, "GET",
		f.sharedAPI+"/issues/"+itoa(f.bobs.IID)+"/notes/"+itoa(f.note.ID), f.bob, nil)).Author)
	if r := decode[releaseJSON](t, mustDo(t, s, 200, "GET", f.sharedAPI+"/releases/v1", f.bob, nil)); r.Author == nil {
		t.Errorf("alice's release has no author")
	} else {
		credited("alice's release", *r.Author)
	}
	deps := decode[[]deploymentJSON](t, mustDo(t, s, 200, "GET", f.sharedAPI+"/deployments", f.bob, nil))
	if len(deps) != 1 {
		t.Fatalf("deployments: %+v", deps)
	}
	credited("alice's deployment", deps[0].User)
	pushers := names(t, mustDo(t, s, 200, "GET", f.sharedAPI+"/events", f.bob, nil), "author_username")
	if contains(pushers, "alice") || !contains(pushers, "ghost") {
		t.Errorf("the events' authors: %v", pushers)
	}

	// The ghost cannot be removed, nor act: it is blocked, and a token made for it is refused.
	wantJSON(t, s.Do(t, "DELETE", "/api/v4/users/"+itoa(ghost.ID), s.AdminToken, nil), 403,
		`{"message":"403 Forbidden - The Ghost User cannot be removed"}`)
	tok := decode[tokenJSON](t,
		mustDo(t, s, http.StatusCreated, "POST", "/api/v4/users/"+itoa(ghost.ID)+"/personal_access_tokens",
			s.AdminToken, map[string]any{"name": "haunt", "scopes": []string{"api"}}))
	wantJSON(t, s.Do(t, "GET", "/api/v4/user", *tok.Token, nil), 401, bodyUnauthorized)
	wantJSON(t, s.Do(t, "POST", "/api/v4/users/"+itoa(ghost.ID)+"/unblock", s.AdminToken, nil), 403,
		`{"message":"403 Forbidden - Could not unblock internal user"}`)
	wantJSON(t, s.Do(t, "GET", "/api/v4/user", *tok.Token, nil), 401, bodyUnauthorized)

	// Deleting alice again succeeds, as DELETE does; for an administrator only.
	mustDo(t, s, http.StatusNoContent, "DELETE", "/api/v4/users/"+itoa(f.aliceID), s.AdminToken, nil)
	wantJSON(t, s.Do(t, "DELETE", "/api/v4/users/"+itoa(f.aliceID), f.bob, nil), 403, bodyForbidden)

	// A second deletion, through v3, credits the same ghost.
	erinID, erin := s.CreateUser(t, "erin")
	addMember(t, s, f.bob, "projects", f.shared.ID, erinID, 30)
	is := createIssue(t, s, erin, f.sharedAPI+"/issues", map[string]any{"title": "erin's"})
	mustDo(t, s, http.StatusOK, "DELETE", "/api/v3/users/"+itoa(erinID), s.AdminToken, nil)
	credited("erin's issue",
		decode[issueJSON](t, mustDo(t, s, 200, "GET", f.sharedAPI+"/issues/"+itoa(is.IID), f.bob, nil)).Author)
	if got := names(t, mustDo(t, s, 200, "GET", "/api/v4/users?search=ghost", s.AdminToken, nil),
		"username"); len(got) != 1 {
		t.Errorf("ghosts after a second deletion: %v", got)
	}

	var events []struct {
		AuthorID   int64  `json:"author_id"`
		EntityID   int64  `json:"entity_id"`
		EntityType string `json:"entity_type"`
		EventName  string `json:"event_name"`
		Details    struct {
			CustomMessage string `json:"custom_message"`
		} `json:"details"`
	}
	mustDo(t, s, 200, "GET", "/api/v4/audit_events?per_page=100", s.AdminToken, nil).JSON(t, &events)
	deleted := map[int64]string{}
	for _, e := range events {
		if e.EventName == "user_deleted" && e.EntityType == "user" && e.AuthorID == rootID {
			deleted[e.EntityID] = e.Details.CustomMessage
		}
	}
	if len(deleted) != 2 || deleted[f.aliceID] != "alice" || deleted[erinID] != "erin" {
		t.Errorf("user_deleted audit events: %v", deleted)
	}
}

// A hard deletion removes what the user wrote instead, and the groups only they owned.
func TestHardDeleteUserRemovesContributionsAndSoleOwnedGroups(t *testing.T) {
	t.Parallel()
	f := newDeletionFixture(t)
	s := f.s
	crew := createGroup(t, s, f.alice, map[string]any{"name": "Crew", "path": "crew"})
	sub := createGroup(t, s, f.alice, map[string]any{"name": "Sub", "path": "sub", "parent_id": crew.ID})
	tool := createProject(t, s, f.alice,
		map[string]any{"name": "tool", "namespace_id": sub.ID, "initialize_with_readme": true})
	// A group alice owns beside bob stays, without her.
	both := createGroup(t, s, f.alice, map[string]any{"name": "Both", "path": "both"})
	addMember(t, s, f.alice, "groups", both.ID, f.bobID, 50)
	user := "/api/v4/users/" + itoa(f.aliceID)

	wantJSON(t, s.Do(t, "DELETE", user, s.AdminToken, nil), 409,
		`{"message":"User cannot be removed while is the sole-owner of a group"}`)
	mustDo(t, s, http.StatusNoContent, "DELETE", user+"?hard_delete=true", s.AdminToken, nil)

	wantJSON(t, s.Do(t, "GET", "/api/v4/user", f.alice, nil), 401, bodyUnauthorized)
	for _, path := range []string{"/api/v4/groups/crew", "/api/v4/groups/crew%2Fsub", "/api/v4/projects/" +
		itoa(tool.ID),
		"/api/v4/projects/" + itoa(f.mine.ID), f.sharedAPI + "/issues/" + itoa(f.issue.IID),
		f.sharedAPI + "/merge_requests/" + itoa(f.mr.IID), f.sharedAPI + "/issues/" + itoa(f.bobs.IID) +
			"/notes/" + itoa(f.note.ID)} {
		wantStatus(t, s.Do(t, "GET", path, s.AdminToken, nil), 404)
	}
	wantGone(t, repoDir(s, tool.ID))
	wantGone(t, repoDir(s, f.mine.ID))
	if got := names(t, mustDo(t, s, 200, "GET", "/api/v4/groups/both/members", f.bob, nil),
		"username"); len(got) != 1 || got[0] != "bob" {
		t.Errorf("both's members: %v", got)
	}
	mustDo(t, s, 200, "GET", f.sharedAPI+"/issues/"+itoa(f.bobs.IID), f.bob, nil)
	if got := names(t, mustDo(t, s, 200, "GET", f.sharedAPI+"/events", f.bob, nil),
		"author_username"); contains(got, "alice") || contains(got, "ghost") {
		t.Errorf("the events' authors: %v", got)
	}
	// The deleted issue's iid is not handed out again.
	if is := createIssue(t, s, f.bob, f.sharedAPI+"/issues", map[string]any{"title": "next"}); is.IID != f.issue.IID+1 {
		t.Errorf("the next issue's iid is %d, want %d", is.IID, f.issue.IID+1)
	}
	// Releases and deployments stay, credited to nobody; no Ghost User is made.
	mustDo(t, s, 200, "GET", f.sharedAPI+"/releases/v1", f.bob, nil)
	if deps := decode[[]deploymentJSON](t,
		mustDo(t, s, 200, "GET", f.sharedAPI+"/deployments", f.bob, nil)); len(deps) != 1 || deps[0].User.ID != 0 {
		t.Errorf("deployments: %+v", deps)
	}
	if got := names(t, mustDo(t, s, 200, "GET", "/api/v4/users?search=ghost", s.AdminToken, nil),
		"username"); len(got) != 0 {
		t.Errorf("users named ghost after a hard deletion: %v", got)
	}
}

// The Ghost User takes a name nobody has.
func TestGhostUserTakesAFreeName(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.CreateUser(t, "ghost")
	aliceID, _ := s.CreateUser(t, "alice")
	mustDo(t, s, http.StatusNoContent, "DELETE", "/api/v4/users/"+itoa(aliceID), s.AdminToken, nil)
	got := decode[[]userJSON](t,
		mustDo(t, s, 200, "GET", "/api/v4/users?search=ghost&order_by=id&sort=asc", s.AdminToken, nil))
	if len(got) != 2 || got[0].Username != "ghost" || got[0].State != "active" ||
		got[1].Username != "ghost1" || got[1].Name != "Ghost User" || got[1].State != "blocked" {
		t.Errorf("users named ghost: %+v", got)
	}
}

// An administrator may delete themselves, as in GitLab; their token stops working.
func TestAdminDeletesThemselves(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	opsID, _ := s.CreateUser(t, "ops")
	mustDo(t, s, 200, "PUT", "/api/v4/users/"+itoa(opsID), s.AdminToken, map[string]any{"admin": true})
	tok := decode[tokenJSON](t,
		mustDo(t, s, http.StatusCreated, "POST", "/api/v4/users/"+itoa(opsID)+"/personal_access_tokens",
			s.AdminToken, map[string]any{"name": "ops", "scopes": []string{"api"}}))
	mustDo(t, s, http.StatusNoContent, "DELETE", "/api/v4/users/"+itoa(opsID), *tok.Token, nil)
	wantJSON(t, s.Do(t, "GET", "/api/v4/user", *tok.Token, nil), 401, bodyUnauthorized)
	wantJSON(t, s.Do(t, "GET", "/api/v4/users/"+itoa(opsID), s.AdminToken, nil), 404,
		`{"message":"404 User Not Found"}`)
}

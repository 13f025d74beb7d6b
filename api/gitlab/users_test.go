package gitlab_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestCreateUser(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	_, alice := s.CreateUser(t, "alice")
	valid := func(username string) map[string]any {
		return map[string]any{"username": username, "name": "Some One", "email": username + "@example.com", "password": "long-enough-1"}
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
		{"a reserved username", s.AdminToken, valid("admin"), 400, `{"message":{"username":["admin is a reserved name"]}}`},
		{"a bad email", s.AdminToken, with(valid("bademail"), "email", "not-an-email"), 400, `{"message":{"email":["is invalid"]}}`},
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
		wantJSON(t, s.Do(t, "GET", "/api/v4/users/"+itoa(aliceID), "", nil), 403, `{"message":"403 Forbidden - Not authorized!"}`)
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
		{"a user who does not exist", s.AdminToken, 99999, map[string]any{"name": "x"}, 404, `{"message":"404 User Not Found"}`},
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
	wantJSON(t, s.Do(t, "POST", "/api/v4/users/99999/block", s.AdminToken, nil), 404, `{"message":"404 User Not Found"}`)

	wantJSON(t, s.Do(t, "POST", block, s.AdminToken, nil), http.StatusCreated, `true`)
	wantJSON(t, s.Do(t, "GET", "/api/v4/user", alice, nil), 401, bodyUnauthorized)
	if u := decode[userJSON](t, mustDo(t, s, 200, "GET", "/api/v4/users/"+itoa(aliceID), s.AdminToken, nil)); u.State != "blocked" {
		t.Errorf("state %q after block", u.State)
	}
	got := names(t, mustDo(t, s, 200, "GET", "/api/v4/users?blocked=true", s.AdminToken, nil), "username")
	if len(got) != 1 || got[0] != "alice" {
		t.Errorf("?blocked=true: %v", got)
	}
	// Blocking again changes nothing: 201, and the body is not true.
	wantJSON(t, s.Do(t, "POST", block, s.AdminToken, nil), http.StatusCreated, `false`)

	wantJSON(t, s.Do(t, "POST", unblock, s.AdminToken, nil), http.StatusCreated, `true`)
	mustDo(t, s, 200, "GET", "/api/v4/user", alice, nil)
	wantJSON(t, s.Do(t, "POST", unblock, s.AdminToken, nil), http.StatusCreated, `false`)
}

package gitlab_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cairn-forge/cairn/server"
	"github.com/cairn-forge/cairn/server/servertest"
)

func TestCreateToken(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	aliceID, alice := s.CreateUser(t, "alice")
	bobID, _ := s.CreateUser(t, "bob")
	rootID := decode[userJSON](t, mustDo(t, s, 200, "GET", "/api/v4/user", s.AdminToken, nil)).ID
	own, forUser := "/api/v4/user/personal_access_tokens", func(id int64) string {
		return "/api/v4/users/" + itoa(id) + "/personal_access_tokens"
	}
	tomorrow := time.Now().UTC().AddDate(0, 0, 2).Format("2006-01-02")
	tests := []struct {
		name   string
		token  string
		path   string
		body   any
		status int
		want   string // exact error body
		// owner and scopes of a created token
		owner  int64
		scopes []string
	}{
		{"for oneself", alice, own, map[string]any{"name": "laptop", "scopes": []string{"api"}}, 201, "",
			aliceID, []string{"api"}},
		{"for oneself, scopes as a form array", alice, own,
			"name=ci&scopes[]=read_api&scopes[]=read_repository", 201, "",
			aliceID, []string{"read_api", "read_repository"}},
		{"for oneself, scopes comma-separated", alice, own,
			map[string]any{"name": "ci2", "scopes": "read_user,read_api"}, 201, "",
			aliceID, []string{"read_user", "read_api"}},
		{"by an admin for another user", s.AdminToken, forUser(aliceID),
			map[string]any{"name": "issued", "scopes": []string{"read_api"}},
			201, "", aliceID, []string{"read_api"}},
		{"by an admin with sudo for itself", s.AdminToken, forUser(rootID),
			map[string]any{"name": "sudoer", "scopes": []string{"api", "sudo"}},
			201, "", rootID, []string{"api", "sudo"}},
		{"by a non-admin for another user", alice, forUser(bobID),
			map[string]any{"name": "x", "scopes": []string{"api"}}, 403, bodyForbidden, 0, nil},
		{"anonymously", "", own, map[string]any{"name": "x", "scopes": []string{"api"}}, 401, bodyUnauthorized, 0, nil},
		{"a non-admin asking for sudo", alice, own, map[string]any{"name": "x", "scopes": []string{"api", "sudo"}}, 400,
			`{"message":{"scopes":["sudo can only be granted to administrators"]}}`, 0, nil},
		{"a non-admin asking for admin", alice, own, map[string]any{"name": "x", "scopes": []string{"admin"}}, 400,
			`{"message":{"scopes":["admin can only be granted to administrators"]}}`, 0, nil},
		{"an admin giving a non-admin sudo", s.AdminToken, forUser(aliceID),
			map[string]any{"name": "x", "scopes": []string{"sudo"}}, 400,
			`{"message":{"scopes":["sudo can only be granted to administrators"]}}`, 0, nil},
		{"an unknown scope", alice, own, map[string]any{"name": "x", "scopes": []string{"everything"}}, 400,
			`{"message":{"scopes":["can only contain available scopes"]}}`, 0, nil},
		{"no name", alice, own, map[string]any{"scopes": []string{"api"}}, 201, "", aliceID, []string{"api"}},
		{"no scopes", alice, own, map[string]any{"name": "x"}, 400,
			`{"message":"400 (Bad request) \"scopes\" not given"}`, 0, nil},
		{"an expiry in the past", alice, own,
			map[string]any{"name": "x", "scopes": []string{"api"}, "expires_at": "2020-01-01"}, 400,
			`{"message":{"expires_at":["must be in the future"]}}`, 0, nil},
		{"an expiry that is no date", alice, own,
			map[string]any{"name": "x", "scopes": []string{"api"}, "expires_at": "soon"}, 400,
			`{"error":"expires_at is invalid"}`, 0, nil},
		{"for a user who does not exist", s.AdminToken, forUser(99999),
			map[string]any{"name": "x", "scopes": []string{"api"}}, 404,
			`{"message":"404 User Not Found"}`, 0, nil},
		{"with an expiry", alice, own,
			map[string]any{"name": "short", "scopes": []string{"api"}, "expires_at": tomorrow}, 201, "",
			aliceID, []string{"api"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.Do(t, "POST", tt.path, tt.token, tt.body)
			if tt.want != "" {
				wantJSON(t, r, tt.status, tt.want)
				return
			}
			wantStatus(t, r, tt.status)
			tok := decode[tokenJSON](t, r)
			if tok.Token == nil || !strings.HasPrefix(*tok.Token, "cairn_pat_") || len(*tok.Token) < 30 {
				t.Fatalf("secret %v, want cairn_pat_…", tok.Token)
			}
			if tok.UserID != tt.owner || !tok.Active || tok.Revoked ||
				strings.Join(tok.Scopes, ",") != strings.Join(tt.scopes, ",") {
				t.Errorf("token %s", r.Body)
			}
			// The new token works for its owner at once.
			u := decode[userJSON](t, mustDo(t, s, 200, "GET", "/api/v4/user", *tok.Token, nil))
			if u.ID != tt.owner {
				t.Errorf("the new token authenticates user %d, want %d", u.ID, tt.owner)
			}
		})
	}
}

func TestTokenExpiresIn30DaysByDefault(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	_, alice := s.CreateUser(t, "alice")
	before := time.Now().UTC()
	tok := decode[tokenJSON](t, mustDo(t, s, 201, "POST", "/api/v4/user/personal_access_tokens", alice,
		map[string]any{"name": "default", "scopes": []string{"api"}}))
	if tok.ExpiresAt == nil {
		t.Fatal("expires_at is null, want 30 days ahead")
	}
	got, err := time.Parse("2006-01-02", *tok.ExpiresAt)
	if err != nil {
		t.Fatalf("expires_at %q is not a date: %v", *tok.ExpiresAt, err)
	}
	days := got.Sub(before.Truncate(24*time.Hour)).Hours() / 24
	if days < 29 || days > 31 {
		t.Errorf("expires_at %s is %.1f days away, want about 30", *tok.ExpiresAt, days)
	}
}

// A token's name is optional, as Gitar's alias is: one is made from the date.
func TestATokenWithoutANameGetsADatedOne(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	_, alice := s.CreateUser(t, "alice")
	for _, body := range []any{map[string]any{"scopes": []string{"api"}},
		map[string]any{"name": "  ", "scopes": []string{"api"}}, "scopes[]=read_api"} {
		tok := decode[tokenJSON](t, mustDo(t, s, 201, "POST", "/api/v4/user/personal_access_tokens", alice, body))
		if want := "token-" + time.Now().UTC().Format("2006-01-02"); tok.Name != want {
			t.Errorf("%v: name %q, want %q", body, tok.Name, want)
		}
	}
}

// Where the instance allows permanent tokens, a token created without expires_at never
// expires (GitLab would give it its default lifetime; the operator chose otherwise); one with
// expires_at keeps it.
func TestATokenWithoutExpiryIsPermanentWhereAllowed(t *testing.T) {
	t.Parallel()
	s := newServer(t, servertest.WithConfig(func(c *server.Config) { c.Forge.AllowPermanentTokens = true }))
	_, alice := s.CreateUser(t, "alice")
	tok := decode[tokenJSON](t, mustDo(t, s, 201, "POST", "/api/v4/user/personal_access_tokens", alice,
		map[string]any{"name": "forever", "scopes": []string{"api"}}))
	if tok.ExpiresAt != nil || !tok.Active {
		t.Fatalf("a token without expires_at: expires_at %v, active %v; want null and active", tok.ExpiresAt,
			tok.Active)
	}
	self := decode[tokenJSON](t, mustDo(t, s, 200, "GET", "/api/v4/personal_access_tokens/self", *tok.Token, nil))
	if self.ExpiresAt != nil {
		t.Fatalf("the permanent token reads back with expires_at %v", self.ExpiresAt)
	}
	until := time.Now().UTC().AddDate(0, 0, 3).Format("2006-01-02")
	dated := decode[tokenJSON](t, mustDo(t, s, 201, "POST", "/api/v4/user/personal_access_tokens", alice,
		map[string]any{"name": "dated", "scopes": []string{"api"}, "expires_at": until}))
	if dated.ExpiresAt == nil || *dated.ExpiresAt != until {
		t.Fatalf("a token with expires_at %s: %v", until, dated.ExpiresAt)
	}
}

// The secret appears in the answers to create and rotate, never in reads or lists.
func TestTokenSecretIsShownOnlyOnce(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	_, alice := s.CreateUser(t, "alice")
	created := decode[tokenJSON](t, mustDo(t, s, 201, "POST", "/api/v4/user/personal_access_tokens", alice,
		map[string]any{"name": "once", "scopes": []string{"api"}}))
	reads := []struct{ path, token string }{
		{"/api/v4/personal_access_tokens", alice},
		{"/api/v4/personal_access_tokens", s.AdminToken},
		{"/api/v4/personal_access_tokens/" + itoa(created.ID), alice},
		{"/api/v4/personal_access_tokens/self", *created.Token},
	}
	for _, rd := range reads {
		r := mustDo(t, s, 200, "GET", rd.path, rd.token, nil)
		if strings.Contains(string(r.Body), `"token"`) || strings.Contains(string(r.Body), "cairn_pat_") {
			t.Errorf("GET %s shows a secret: %s", rd.path, r.Body)
		}
	}
}

func TestListAndGetTokens(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	aliceID, alice := s.CreateUser(t, "alice")
	bobID, bob := s.CreateUser(t, "bob")
	mustDo(t, s, 201, "POST", "/api/v4/user/personal_access_tokens", alice,
		map[string]any{"name": "second", "scopes": []string{"read_api"}})
	bobs := decode[tokenJSON](t, mustDo(t, s, 200, "GET", "/api/v4/personal_access_tokens/self", bob, nil))

	owners := func(r *servertest.Response) map[int64]int {
		var list []tokenJSON
		r.JSON(t, &list)
		out := map[int64]int{}
		for _, tk := range list {
			out[tk.UserID]++
		}
		return out
	}
	if got := owners(mustDo(t, s, 200, "GET", "/api/v4/personal_access_tokens", alice, nil)); len(got) != 1 ||
		got[aliceID] != 2 {
		t.Errorf("alice lists tokens of %v, want only her two", got)
	}
	if got := owners(
		mustDo(t, s, 200, "GET", "/api/v4/personal_access_tokens", s.AdminToken, nil)); got[aliceID] != 2 ||
		got[bobID] != 1 {
		t.Errorf("an admin lists tokens of %v, want everyone's", got)
	}
	if got := owners(
		mustDo(t, s, 200, "GET", "/api/v4/personal_access_tokens?user_id="+itoa(aliceID), s.AdminToken,
			nil)); len(got) != 1 || got[aliceID] != 2 {
		t.Errorf("?user_id=alice lists tokens of %v", got)
	}
	wantJSON(t, s.Do(t, "GET", "/api/v4/personal_access_tokens?user_id="+itoa(bobID), alice, nil), 401,
		bodyUnauthorized)
	if got := owners(
		mustDo(t, s, 200, "GET", "/api/v4/personal_access_tokens?state=active", alice, nil)); got[aliceID] != 2 {
		t.Errorf("?state=active lists tokens of %v", got)
	}
	if got := owners(
		mustDo(t, s, 200, "GET", "/api/v4/personal_access_tokens?state=inactive", alice, nil)); len(got) != 0 {
		t.Errorf("?state=inactive lists tokens of %v", got)
	}
	wantJSON(t, s.Do(t, "GET", "/api/v4/personal_access_tokens?state=bogus", alice, nil), 400,
		`{"error":"state does not have a valid value"}`)

	self := decode[tokenJSON](t, mustDo(t, s, 200, "GET", "/api/v4/personal_access_tokens/self", alice, nil))
	if self.UserID != aliceID || self.Name != "test" || !self.Active {
		t.Errorf("GET /personal_access_tokens/self: %+v", self)
	}
	byID := mustDo(t, s, 200, "GET", "/api/v4/personal_access_tokens/"+itoa(self.ID), alice, nil)
	var fields map[string]any
	byID.JSON(t, &fields)
	for _, k := range []string{"id", "name", "revoked", "active", "scopes", "user_id", "created_at",
		"last_used_at", "expires_at"} {
		if _, ok := fields[k]; !ok {
			t.Errorf("token JSON lacks %q: %s", k, byID.Body)
		}
	}
	if fields["last_used_at"] == nil {
		t.Errorf("last_used_at is null after the token was used")
	}
	// Someone else's token is not there for alice; an admin sees it.
	wantJSON(t, s.Do(t, "GET", "/api/v4/personal_access_tokens/"+itoa(bobs.ID), alice, nil), 404,
		`{"message":"404 Personal Access Token Not Found"}`)
	mustDo(t, s, 200, "GET", "/api/v4/personal_access_tokens/"+itoa(bobs.ID), s.AdminToken, nil)
	wantJSON(t, s.Do(t, "GET", "/api/v4/personal_access_tokens/99999", s.AdminToken, nil), 404,
		`{"message":"404 Personal Access Token Not Found"}`)
}

func TestRotateToken(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	_, alice := s.CreateUser(t, "alice")
	_, bob := s.CreateUser(t, "bob")
	rotate := func(t *testing.T, token, ref string, body any) tokenJSON {
		t.Helper()
		r := mustDo(t, s, 200, "POST", "/api/v4/personal_access_tokens/"+ref+"/rotate", token, body)
		tok := decode[tokenJSON](t, r)
		if tok.Token == nil || !strings.HasPrefix(*tok.Token, "cairn_pat_") {
			t.Fatalf("rotation answered no secret: %s", r.Body)
		}
		return tok
	}

	t.Run("by id: the old secret stops working, the new one works", func(t *testing.T) {
		old := decode[tokenJSON](t, mustDo(t, s, 200, "GET", "/api/v4/personal_access_tokens/self", alice, nil))
		next := rotate(t, alice, itoa(old.ID), nil)
		if next.ID == old.ID || next.Name != old.Name ||
			strings.Join(next.Scopes, ",") != strings.Join(old.Scopes, ",") {
			t.Errorf("successor %+v of %+v", next, old)
		}
		wantJSON(t, s.Do(t, "GET", "/api/v4/user", alice, nil), 401, bodyRevoked)
		mustDo(t, s, 200, "GET", "/api/v4/user", *next.Token, nil)
		if got := decode[tokenJSON](t,
			mustDo(t, s, 200, "GET", "/api/v4/personal_access_tokens/"+itoa(old.ID), *next.Token,
				nil)); !got.Revoked || got.Active {
			t.Errorf("the rotated token reads %+v, want revoked and inactive", got)
		}

		// Rotating the revoked predecessor again means its secret leaked: the family goes.
		r := s.Do(t, "POST", "/api/v4/personal_access_tokens/"+itoa(old.ID)+"/rotate", s.AdminToken, nil)
		wantJSON(t, r, 400, `{"message":"400 Bad request - Token already revoked"}`)
		wantJSON(t, s.Do(t, "GET", "/api/v4/user", *next.Token, nil), 401, bodyRevoked)
	})

	t.Run("self, with an expiry", func(t *testing.T) {
		exp := time.Now().UTC().AddDate(0, 0, 10).Format("2006-01-02")
		next := rotate(t, bob, "self", map[string]any{"expires_at": exp})
		if next.ExpiresAt == nil || *next.ExpiresAt != exp {
			t.Errorf("expires_at %v, want %s", next.ExpiresAt, exp)
		}
		wantJSON(t, s.Do(t, "GET", "/api/v4/user", bob, nil), 401, bodyRevoked)
		mustDo(t, s, 200, "GET", "/api/v4/user", *next.Token, nil)
	})

	t.Run("someone else's token is not found", func(t *testing.T) {
		_, carol := s.CreateUser(t, "carol")
		_, dave := s.CreateUser(t, "dave")
		carols := decode[tokenJSON](t, mustDo(t, s, 200, "GET", "/api/v4/personal_access_tokens/self", carol, nil))
		wantJSON(t, s.Do(t, "POST", "/api/v4/personal_access_tokens/"+itoa(carols.ID)+"/rotate", dave, nil), 404,
			`{"message":"404 Personal Access Token Not Found"}`)
		mustDo(t, s, 200, "GET", "/api/v4/user", carol, nil)
	})
}

func TestRevokeToken(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	_, alice := s.CreateUser(t, "alice")
	_, readUser := s.CreateUser(t, "viewer", "read_user")
	_, bob := s.CreateUser(t, "bob")

	t.Run("a token revokes itself, whatever its scopes", func(t *testing.T) {
		r := s.Do(t, "DELETE", "/api/v4/personal_access_tokens/self", readUser, nil)
		wantStatus(t, r, http.StatusNoContent)
		if len(r.Body) != 0 {
			t.Errorf("204 with a body: %s", r.Body)
		}
		wantJSON(t, s.Do(t, "GET", "/api/v4/user", readUser, nil), 401, bodyRevoked)
	})

	t.Run("by id, by its owner; again by an admin", func(t *testing.T) {
		extra := decode[tokenJSON](t, mustDo(t, s, 201, "POST", "/api/v4/user/personal_access_tokens", alice,
			map[string]any{"name": "spare", "scopes": []string{"api"}}))
		mustDo(t, s, http.StatusNoContent, "DELETE", "/api/v4/personal_access_tokens/"+itoa(extra.ID), alice, nil)
		wantJSON(t, s.Do(t, "GET", "/api/v4/user", *extra.Token, nil), 401, bodyRevoked)
		mustDo(t, s, 200, "GET", "/api/v4/user", alice, nil)
		mustDo(t, s, http.StatusNoContent, "DELETE", "/api/v4/personal_access_tokens/"+itoa(extra.ID),
			s.AdminToken, nil)
		listed := mustDo(t, s, 200, "GET", "/api/v4/personal_access_tokens?state=inactive", alice, nil)
		var inactive []tokenJSON
		listed.JSON(t, &inactive)
		if len(inactive) != 1 || inactive[0].ID != extra.ID || !inactive[0].Revoked {
			t.Errorf("?state=inactive: %s", listed.Body)
		}
	})

	t.Run("not someone else's", func(t *testing.T) {
		bobs := decode[tokenJSON](t, mustDo(t, s, 200, "GET", "/api/v4/personal_access_tokens/self", bob, nil))
		wantJSON(t, s.Do(t, "DELETE", "/api/v4/personal_access_tokens/"+itoa(bobs.ID), alice, nil), 404,
			`{"message":"404 Personal Access Token Not Found"}`)
		mustDo(t, s, 200, "GET", "/api/v4/user", bob, nil)
	})
}

// Scope names in the answer are GitLab's, as clients compare them.
func TestTokenJSONShape(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	_, alice := s.CreateUser(t, "alice")
	r := mustDo(t, s, 201, "POST", "/api/v4/user/personal_access_tokens", alice,
		map[string]any{"name": "shape", "description": "for a test", "scopes": []string{"api"},
			"expires_at": time.Now().AddDate(0, 1, 0).Format("2006-01-02")})
	var raw map[string]json.RawMessage
	r.JSON(t, &raw)
	for k, want := range map[string]string{"name": `"shape"`, "description": `"for a test"`, "revoked": "false",
		"active": "true", "scopes": `["api"]`, "impersonation": "false", "last_used_at": "null"} {
		if string(raw[k]) != want {
			t.Errorf("%s: %s, want %s", k, raw[k], want)
		}
	}
	var created time.Time
	if err := json.Unmarshal(raw["created_at"], &created); err != nil {
		t.Errorf("created_at %s is not RFC 3339: %v", raw["created_at"], err)
	}
}

package gitlab_test

import (
	"testing"

	"github.com/cairn-forge/cairn/server/servertest"
)

// An administrator's impersonation token acts as the user; only administrators handle them.
func TestImpersonationTokens(t *testing.T) {
	s := servertest.New(t, servertest.WithoutRateLimit())
	aliceID, alice := s.CreateUser(t, "alice")
	base := "/api/v4/users/" + itoa(aliceID) + "/impersonation_tokens"
	tok := decode[tokenJSON](t,
		mustDo(t, s, 201, "POST", base, s.AdminToken, map[string]any{"name": "support", "scopes": []string{"api"}}))
	if tok.Token == nil || tok.UserID != aliceID || tok.Name != "support" {
		t.Fatalf("token: %+v", tok)
	}
	var imp struct {
		Impersonation bool `json:"impersonation"`
	}
	mustDo(t, s, 200, "GET", base+"/"+itoa(tok.ID), s.AdminToken, nil).JSON(t, &imp)
	if !imp.Impersonation {
		t.Fatal("impersonation false")
	}
	if u := decode[userJSON](t, mustDo(t, s, 200, "GET", "/api/v4/user", *tok.Token, nil)); u.Username != "alice" {
		t.Fatalf("the token acts as %s", u.Username)
	}
	if got := names(t, mustDo(t, s, 200, "GET", base+"?state=active", s.AdminToken, nil), "name"); len(got) != 1 {
		t.Fatalf("active tokens: %v", got)
	}
	wantStatus(t, s.Do(t, "GET", base, alice, nil), 403)
	wantStatus(t, s.Do(t, "POST", base, alice, map[string]any{"name": "x", "scopes": []string{"api"}}), 403)
	wantJSON(t, s.Do(t, "POST", base, s.AdminToken, map[string]any{"scopes": []string{"api"}}), 400,
		`{"error":"name is missing"}`)
	wantJSON(t, s.Do(t, "GET", base+"/9999", s.AdminToken, nil), 404, `{"message":"404 Impersonation Token Not Found"}`)
	mustDo(t, s, 204, "DELETE", base+"/"+itoa(tok.ID), s.AdminToken, nil)
	wantStatus(t, s.Do(t, "GET", "/api/v4/user", *tok.Token, nil), 401)
	if got := names(t, mustDo(t, s, 200, "GET", base+"?state=inactive", s.AdminToken, nil), "name"); len(got) != 1 {
		t.Fatalf("inactive tokens: %v", got)
	}
}

package gitlab_test

import (
	"strings"
	"testing"

	"github.com/cairn-forge/cairn/server/servertest"
)

func TestUserEmails(t *testing.T) {
	s := servertest.New(t, servertest.WithoutRateLimit())
	aliceID, alice := s.CreateUser(t, "alice")
	_, bob := s.CreateUser(t, "bob")
	var e struct {
		ID          int64   `json:"id"`
		Email       string  `json:"email"`
		ConfirmedAt *string `json:"confirmed_at"`
	}
	mustDo(t, s, 201, "POST", "/api/v4/user/emails", alice, map[string]any{"email": "al@example.org"}).JSON(t, &e)
	if e.Email != "al@example.org" || e.ConfirmedAt == nil {
		t.Fatalf("email: %+v", e)
	}
	wantJSON(t, s.Do(t, "POST", "/api/v4/user/emails", bob, map[string]any{"email": "AL@example.org"}), 400,
		`{"message":{"email":["has already been taken"]}}`)
	wantJSON(t, s.Do(t, "POST", "/api/v4/user/emails", bob, map[string]any{"email": "bob@example.com"}), 400,
		`{"message":{"email":["has already been taken"]}}`)
	wantJSON(t, s.Do(t, "POST", "/api/v4/user/emails", bob, map[string]any{"email": "nope"}), 400,
		`{"message":{"email":["is invalid"]}}`)
	wantJSON(t, s.Do(t, "POST", "/api/v4/user/emails", bob, nil), 400, `{"error":"email is missing"}`)
	if got := names(t, mustDo(t, s, 200, "GET", "/api/v4/user/emails", alice, nil),
		"email"); strings.Join(got, ",") != "al@example.org" {
		t.Fatalf("alice's emails: %v", got)
	}
	if got := names(t, mustDo(t, s, 200, "GET", "/api/v4/users/"+itoa(aliceID)+"/emails", s.AdminToken, nil),
		"email"); len(got) != 1 {
		t.Fatalf("alice's emails to an administrator: %v", got)
	}
	wantStatus(t, s.Do(t, "GET", "/api/v4/users/"+itoa(aliceID)+"/emails", bob, nil), 403)
	wantStatus(t, s.Do(t, "DELETE", "/api/v4/user/emails/"+itoa(e.ID), bob, nil), 404)
	mustDo(t, s, 204, "DELETE", "/api/v4/user/emails/"+itoa(e.ID), alice, nil)
	wantJSON(t, mustDo(t, s, 200, "GET", "/api/v4/user/emails", alice, nil), 200, `[]`)
}

func TestUserStatus(t *testing.T) {
	s := servertest.New(t, servertest.WithoutRateLimit())
	_, alice := s.CreateUser(t, "alice")
	wantJSON(t, mustDo(t, s, 200, "GET", "/api/v4/user/status", alice, nil), 200,
		`{"emoji":null,"availability":null,"message":null,"message_html":null,"clear_status_at":null}`)
	var st struct {
		Emoji         string  `json:"emoji"`
		Message       string  `json:"message"`
		MessageHTML   string  `json:"message_html"`
		Availability  string  `json:"availability"`
		ClearStatusAt *string `json:"clear_status_at"`
	}
	mustDo(t, s, 200, "PUT", "/api/v4/user/status", alice,
		map[string]any{"message": "On <leave>", "availability": "busy",
			"clear_status_after": "1_day"}).JSON(t, &st)
	if st.Emoji != "speech_balloon" || st.Message != "On <leave>" || st.MessageHTML != "On &lt;leave&gt;" ||
		st.Availability != "busy" || st.ClearStatusAt == nil {
		t.Fatalf("status: %+v", st)
	}
	mustDo(t, s, 200, "GET", "/api/v4/users/alice/status", "", nil).JSON(t, &st)
	if st.Message != "On <leave>" {
		t.Fatalf("alice's status to others: %+v", st)
	}
	wantJSON(t, s.Do(t, "PUT", "/api/v4/user/status", alice, map[string]any{"clear_status_after": "1_year"}), 400,
		`{"error":"clear_status_after does not have a valid value"}`)
	wantStatus(t, s.Do(t, "PUT", "/api/v4/user/status", "", map[string]any{"message": "x"}), 401)
}

func TestIdentitiesAndCustomAttributes(t *testing.T) {
	s := servertest.New(t, servertest.WithoutRateLimit())
	aliceID, alice := s.CreateUser(t, "alice")
	user := "/api/v4/users/" + itoa(aliceID)
	var u struct {
		Identities []map[string]any `json:"identities"`
	}
	mustDo(t, s, 200, "PUT", user, s.AdminToken,
		map[string]any{"provider": "ldapmain", "extern_uid": "uid=alice,dc=example"}).JSON(t, &u)
	if len(u.Identities) != 1 || u.Identities[0]["provider"] != "ldapmain" ||
		u.Identities[0]["extern_uid"] != "uid=alice,dc=example" {
		t.Fatalf("identities: %v", u.Identities)
	}
	mustDo(t, s, 200, "GET", user, alice, nil).JSON(t, &u)
	if len(u.Identities) != 0 {
		t.Fatalf("identities shown to the user themselves: %v", u.Identities)
	}
	wantStatus(t,
		s.Do(t, "PUT", user, alice, map[string]any{"provider": "x", "extern_uid": "y", "bio": "changed"}), 403)
	if got := decode[userJSON](t, mustDo(t, s, 200, "GET", user, alice, nil)); got.Bio == "changed" {
		t.Fatal("a refused identity changed the profile")
	}
	mustDo(t, s, 204, "DELETE", user+"/identities/ldapmain", s.AdminToken, nil)
	wantStatus(t, s.Do(t, "DELETE", user+"/identities/ldapmain", s.AdminToken, nil), 404)

	for _, base := range []string{user, "/api/v4/groups/" +
		itoa(createGroup(t, s, s.AdminToken, map[string]any{"name": "G", "path": "g"}).ID),
		"/api/v4/projects/" + itoa(createProject(t, s, s.AdminToken, map[string]any{"name": "p"}).ID)} {
		wantJSON(t,
			mustDo(t, s, 200, "PUT", base+"/custom_attributes/team", s.AdminToken,
				map[string]any{"value": "blue"}), 200,
			`{"key":"team","value":"blue"}`)
		wantJSON(t, mustDo(t, s, 200, "GET", base+"/custom_attributes", s.AdminToken, nil), 200,
			`[{"key":"team","value":"blue"}]`)
		wantJSON(t, mustDo(t, s, 200, "GET", base+"/custom_attributes/team", s.AdminToken, nil), 200,
			`{"key":"team","value":"blue"}`)
		wantStatus(t, s.Do(t, "GET", base+"/custom_attributes", alice, nil), 403)
		mustDo(t, s, 204, "DELETE", base+"/custom_attributes/team", s.AdminToken, nil)
		wantStatus(t, s.Do(t, "GET", base+"/custom_attributes/team", s.AdminToken, nil), 404)
	}
}

package gitlab_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestReportedEdgeCases holds behaviours found wanting once, each as a client sees it.
func TestReportedEdgeCases(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	admin := s.AdminToken
	bobID, bobToken := s.CreateUser(t, "bob")

	t.Run("a username taken by a group says so in GitLab's words", func(t *testing.T) {
		createGroup(t, s, admin, map[string]any{"name": "Taken", "path": "taken"})
		r := s.Do(t, "POST", "/api/v4/users", admin, map[string]any{
			"username": "taken", "name": "T", "email": "t@example.com", "password": "password-t"})
		wantJSON(t, r, http.StatusConflict, `{"message":"Username has already been taken"}`)
	})

	t.Run("lengths count characters, not bytes", func(t *testing.T) {
		mustDo(t, s, http.StatusOK, "PUT", "/api/v4/users/"+itoa(bobID), admin,
			map[string]any{"bio": strings.Repeat("é", 200)})
		r := s.Do(t, "PUT", "/api/v4/users/"+itoa(bobID), admin, map[string]any{"bio": strings.Repeat("é", 256)})
		wantJSON(t, r, http.StatusBadRequest, `{"message":{"bio":["is too long (maximum is 255 characters)"]}}`)
	})

	t.Run("deleting a deleted group succeeds for its owner and no one else", func(t *testing.T) {
		g := createGroup(t, s, bobToken, map[string]any{"name": "Gone", "path": "gone"})
		mustDo(t, s, http.StatusAccepted, "DELETE", "/api/v4/groups/"+itoa(g.ID), bobToken, nil)
		mustDo(t, s, http.StatusAccepted, "DELETE", "/api/v4/groups/"+itoa(g.ID), bobToken, nil)
		mustDo(t, s, http.StatusAccepted, "DELETE", "/api/v4/groups/gone", admin, nil)
		_, other := s.CreateUser(t, "carol")
		mustDo(t, s, http.StatusNotFound, "DELETE", "/api/v4/groups/"+itoa(g.ID), other, nil)
	})

	t.Run("a personal project lists its owner as a member", func(t *testing.T) {
		p := createProject(t, s, bobToken, map[string]any{"name": "mine"})
		for _, path := range []string{"/members", "/members/all"} {
			got := names(t,
				mustDo(t, s, http.StatusOK, "GET", "/api/v4/projects/"+itoa(p.ID)+path, bobToken, nil), "username")
			if len(got) != 1 || got[0] != "bob" {
				t.Errorf("%s: %v, want [bob]", path, got)
			}
		}
	})

	t.Run("no acting as a blocked user", func(t *testing.T) {
		dID, _ := s.CreateUser(t, "dora")
		mustDo(t, s, http.StatusCreated, "POST", "/api/v4/users/"+itoa(dID)+"/block", admin, nil)
		mustDo(t, s, http.StatusForbidden, "GET", "/api/v4/user", admin, nil, "Sudo", "dora")
	})

	t.Run("a user's assigned merge requests filter by state", func(t *testing.T) {
		for _, scope := range []string{"assigned_to_me", "reviews_for_me"} {
			for _, state := range []string{"opened", "merged", "all"} {
				mustDo(t, s, http.StatusOK, "GET", "/api/v4/merge_requests?scope="+scope+"&state="+state, bobToken, nil)
			}
		}
	})

	t.Run("past the last page, prev points at the last page", func(t *testing.T) {
		r := mustDo(t, s, http.StatusOK, "GET", "/api/v4/users?per_page=1&page=50", admin, nil)
		links := splitLink(t, r.Header.Get("Link"))
		if links["prev"] != links["last"] || r.Header.Get("X-Prev-Page") != r.Header.Get("X-Total-Pages") {
			t.Fatalf("Link %q, X-Prev-Page %q", r.Header.Get("Link"), r.Header.Get("X-Prev-Page"))
		}
	})

	t.Run("required parameters are named all together", func(t *testing.T) {
		wantJSON(t, s.Do(t, "POST", "/api/v4/groups", admin, map[string]any{}), http.StatusBadRequest,
			`{"message":"400 (Bad request) \"name\", \"path\" not given"}`)
		wantJSON(t, s.Do(t, "POST", "/api/v4/projects", admin, map[string]any{}), http.StatusBadRequest,
			`{"message":"400 (Bad request) \"name\" or \"path\" not given"}`)
	})

	t.Run("DELETE takes its parameters from a form body", func(t *testing.T) {
		p := createProject(t, s, admin, map[string]any{"name": "formdel", "initialize_with_readme": true})
		mustDo(t, s, http.StatusNoContent, "DELETE", "/api/v4/projects/"+itoa(p.ID)+
			"/repository/files/README.md", admin,
			"branch=main&commit_message=remove+readme")
	})
}

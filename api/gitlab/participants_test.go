package gitlab_test

import (
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// participantNames reads a participants answer as the usernames it lists, in order.
func participantNames(t *testing.T, f *repoFixture, path, token string) string {
	t.Helper()
	var users []userJSON
	mustDo(t, f.s, 200, "GET", f.url(path+"/participants"), token, nil).JSON(t, &users)
	names := make([]string, len(users))
	for i, u := range users {
		names[i] = u.Username
	}
	return strings.Join(names, " ")
}

// userIDs reads the id of each role's user.
func userIDs(t *testing.T, f *repoFixture, tokens map[string]string) map[string]int64 {
	t.Helper()
	ids := map[string]int64{}
	for role, token := range tokens {
		if token != "" {
			ids[role] = decode[userJSON](t, mustDo(t, f.s, 200, "GET", "/api/v4/user", token, nil)).ID
		}
	}
	return ids
}

// An issue's participants are its author, its assignees and the authors of its comments, each
// once and in that order, as basic users; system notes name nobody, internal comments only to
// those who may read them, and a confidential issue lists only those who may see it.
func TestIssueParticipants(t *testing.T) {
	t.Parallel()
	f := newRepoFixture(t, map[string]any{"name": "demo", "visibility": "public"})
	tokens := f.roles()
	ids := userIDs(t, f, tokens)
	is := createIssue(t, f.s, tokens["reporter"], f.url("/issues"), map[string]any{"title": "Bug",
		"assignee_ids": []int64{ids["developer"]}})
	path := "/issues/" + itoa(is.IID)
	comment := func(role string, internal bool) {
		mustDo(t, f.s, 201, "POST", f.url(path+"/notes"), tokens[role],
			map[string]any{"body": "hi", "internal": internal})
	}
	comment("guest", false)
	comment("outsider", false)
	comment("developer", false)
	comment("maintainer", true)
	comment("guest", false)
	mustDo(t, f.s, 200, "PUT", f.url(path), f.token, map[string]any{"state_event": "close"})

	var users []map[string]json.RawMessage
	mustDo(t, f.s, 200, "GET", f.url(path+"/participants"), tokens["guest"], nil).JSON(t, &users)
	keys := []string{}
	for k := range users[0] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if want := []string{"avatar_url", "id", "locked", "name", "state", "username",
		"web_url"}; !reflect.DeepEqual(keys, want) {
		t.Errorf("a participant's fields: %v, want %v", keys, want)
	}

	for _, c := range []struct{ role, want string }{
		{"anonymous", "reporter developer guest outsider"},
		{"guest", "reporter developer guest outsider"},
		{"reporter", "reporter developer guest outsider maintainer"},
		{"admin", "reporter developer guest outsider maintainer"},
	} {
		if got := participantNames(t, f, path, tokens[c.role]); got != c.want {
			t.Errorf("participants as %s: %q, want %q", c.role, got, c.want)
		}
	}

	mustDo(t, f.s, 200, "PUT", f.url(path), f.token, map[string]any{"confidential": true})
	if got, want := participantNames(t, f, path, tokens["reporter"]), "reporter developer maintainer"; got != want {
		t.Errorf("participants of the confidential issue: %q, want %q", got, want)
	}
	for _, role := range []string{"anonymous", "outsider", "guest"} {
		wantJSON(t, f.do("GET", path+"/participants", tokens[role], nil), 404, `{"message":"404 Not found"}`)
	}
	wantJSON(t, f.do("GET", "/issues/99/participants", f.token, nil), 404, `{"message":"404 Not found"}`)
}

// A merge request's participants are its author, assignees and reviewers and the authors of
// its comments; on a private project, only those who may still read it.
func TestMergeRequestParticipants(t *testing.T) {
	t.Parallel()
	f := newRepoFixture(t, nil)
	tokens := f.roles()
	ids := userIDs(t, f, tokens)
	leaverID, leaver := f.s.CreateUser(t, "leaver")
	addMember(t, f.s, f.token, "projects", f.id, leaverID, 20)
	f.branch("feature", create("a.txt", "a\n"))
	m := f.openMR("feature", "Fix", map[string]any{"assignee_ids": []int64{ids["developer"]},
		"reviewer_ids": []int64{ids["maintainer"], ids["developer"]}})
	path := "/merge_requests/" + itoa(m.IID)
	for _, token := range []string{tokens["reporter"], leaver, tokens["developer"]} {
		mustDo(t, f.s, 201, "POST", f.url(path+"/notes"), token, map[string]any{"body": "looks good"})
	}
	if got, want := participantNames(t, f, path,
		tokens["reporter"]), "root developer maintainer reporter leaver"; got != want {
		t.Errorf("participants: %q, want %q", got, want)
	}
	mustDo(t, f.s, 201, "POST", "/api/v4/users/"+itoa(leaverID)+"/block", f.s.AdminToken, nil)
	if got, want := participantNames(t, f, path,
		tokens["reporter"]), "root developer maintainer reporter"; got != want {
		t.Errorf("participants once a commenter is blocked: %q, want %q", got, want)
	}
	mustDo(t, f.s, 201, "POST", "/api/v4/users/"+itoa(leaverID)+"/unblock", f.s.AdminToken, nil)
	mustDo(t, f.s, 204, "DELETE", f.url("/members/"+itoa(leaverID)), f.token, nil)
	if got, want := participantNames(t, f, path,
		tokens["reporter"]), "root developer maintainer reporter"; got != want {
		t.Errorf("participants once a commenter left the private project: %q, want %q", got, want)
	}
	wantStatuses(t, f, tokens, "GET", path+"/participants", nil, map[string]int{"anonymous": 404, "outsider": 404,
		"guest": 404, "reporter": 200, "developer": 200, "maintainer": 200, "owner": 200, "admin": 200})
	// Participants came with GitLab 11, after /api/v3.
	wantStatus(t,
		f.s.Do(t, "GET", "/api/v3/projects/"+itoa(f.id)+"/merge_requests/"+itoa(m.ID)+"/participants",
			f.token, nil), 404)
}

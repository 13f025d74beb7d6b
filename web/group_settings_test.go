package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// addGroupMember makes a new user a member of group at level, and returns a client signed in
// as them.
func addGroupMember(t *testing.T, f *fixture, group, username string, level int) *client {
	t.Helper()
	return newMember(t, f, "/api/v4/groups/"+group+"/members", username, level)
}

func TestGroupSettingsAreForOwners(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	owner := addGroupMember(t, f, "acme", "gina", 50)
	maintainer := addGroupMember(t, f, "acme", "max", 40)

	newClient(t, f.s).get("/groups/acme/-/edit").redirectsTo(t, "/users/sign_in?redirect=%2Fgroups%2Facme%2F-%2Fedit")
	if p := maintainer.get("/groups/acme").want(t, http.StatusOK,
		`href="/groups/acme/-/group_members"`); strings.Contains(p.Body, "/-/edit") {
		t.Error("a maintainer is offered the group's settings")
	}
	maintainer.get("/groups/acme/-/edit").want(t, http.StatusNotFound)
	maintainer.post("/groups/acme/-/edit/delete", url.Values{"confirm": {"acme"}}).want(t, http.StatusNotFound)

	owner.get("/groups/acme").want(t, http.StatusOK, `href="/groups/acme/-/edit"`)
	owner.get("/groups/acme/-/edit").want(t, http.StatusOK, "Group settings", `value="Acme"`)
	owner.post("/groups/acme/-/edit",
		url.Values{"name": {"Acme Inc"}, "description": {"We make things"}}).redirectsTo(t, "/groups/acme/-/edit")
	owner.get("/groups/acme").want(t, http.StatusOK, "Acme Inc", "We make things")
	// A group holding a public project cannot be made private.
	owner.post("/groups/acme/-/edit", url.Values{"visibility": {"private"}}).want(t, http.StatusBadRequest,
		"higher visibility")
	owner.post("/groups/acme/-/edit", url.Values{"path": {"acme-co"}}).redirectsTo(t, "/groups/acme-co/-/edit")
	owner.get("/acme-co/site").want(t, http.StatusOK, "The Acme web site")
	owner.get("/acme/site").want(t, http.StatusNotFound)

	owner.get("/groups/acme-co/-/edit")
	owner.post("/groups/acme-co/-/edit/delete", url.Values{"confirm": {"acme"}}).want(t,
		http.StatusBadRequest, "Type acme-co to confirm")
	owner.post("/groups/acme-co/-/edit/delete", url.Values{"confirm": {"acme-co"}}).redirectsTo(t, "/dashboard/groups")
	owner.get("/groups/acme-co").want(t, http.StatusNotFound)
	owner.get("/acme-co/site").want(t, http.StatusNotFound)
}

func TestGroupMembersFollowForgesRules(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	addGroupMember(t, f, "acme", "gina", 50)
	maintainer := addGroupMember(t, f, "acme", "max", 40)
	api(t, f.s, "POST", "/api/v4/groups",
		map[string]any{"name": "Secret", "path": "secret", "visibility": "private"}, http.StatusCreated)
	var users []struct{ ID int64 }
	api(t, f.s, "GET", "/api/v4/users?username=gina", nil, http.StatusOK).JSON(t, &users)
	gina := users[0].ID

	bob := userClient(t, f.s, "bob")
	bob.get("/groups/secret/-/group_members").want(t, http.StatusNotFound)
	bob.get("/groups/acme/-/group_members").want(t, http.StatusOK, "@gina", "@max")

	p := maintainer.get("/groups/acme/-/group_members").want(t, http.StatusOK, "Add a member",
		`<option value="5">Minimal access</option>`)
	if strings.Contains(p.Body, `<option value="50">`) ||
		strings.Contains(p.Body, fmt.Sprintf(`/-/group_members/%d/delete"`, gina)) {
		t.Error("a maintainer is offered to grant Owner or remove an owner")
	}
	maintainer.post("/groups/acme/-/group_members",
		url.Values{"username": {"bob"}, "access_level": {"20"}}).redirectsTo(t, "/groups/acme/-/group_members")
	maintainer.get("/groups/acme/-/group_members").want(t, http.StatusOK, "bob was added as Reporter")
	maintainer.post(fmt.Sprintf("/groups/acme/-/group_members/%d/delete", gina), nil).want(t, http.StatusForbidden)
	// Group members are inherited by its projects' member lists.
	bob.get("/acme/vault").want(t, http.StatusOK)
	bob.get("/acme/site/-/project_members").want(t, http.StatusOK, "@bob", "Inherited from a group")
}

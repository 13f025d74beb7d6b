package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// addMember makes a new user a member of a project at level, and returns a client signed in
// as them.
func addMember(t *testing.T, f *fixture, project int64, username string, level int) *client {
	t.Helper()
	return newMember(t, f, fmt.Sprintf("/api/v4/projects/%d/members", project), username, level)
}

// newMember makes a new user a member at level through the API's members path, and returns
// a client signed in as them.
func newMember(t *testing.T, f *fixture, members, username string, level int) *client {
	t.Helper()
	id, _ := f.s.CreateUser(t, username)
	api(t, f.s, "POST", members, map[string]any{"user_id": id, "access_level": level}, http.StatusCreated)
	return userClient(t, f.s, username)
}

func TestProjectSettingsAreForMaintainersAndOwners(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	guest := addMember(t, f, f.siteID, "gus", 10)
	owner := addMember(t, f, f.siteID, "olive", 50)
	ann := userClient(t, f.s, "ann")
	bob := userClient(t, f.s, "bob")

	newClient(t, f.s).get("/acme/site/-/settings/general").redirectsTo(t,
		"/users/sign_in?redirect=%2Facme%2Fsite%2F-%2Fsettings%2Fgeneral")
	bob.get("/acme/site/-/settings/general").want(t, http.StatusNotFound)
	bob.get("/acme/vault/-/settings/general").want(t, http.StatusNotFound)
	if p := guest.get("/acme/site").want(t, http.StatusOK); strings.Contains(p.Body, "/-/settings/general") {
		t.Error("a guest is offered the settings")
	}
	guest.get("/acme/site/-/settings/general").want(t, http.StatusNotFound)
	guest.post("/acme/site/-/settings/archive", nil).want(t, http.StatusNotFound)

	// A maintainer changes the settings but not the visibility, and may not delete.
	ann.get("/acme/site").want(t, http.StatusOK, `href="/acme/site/-/settings/general"`)
	p := ann.get("/acme/site/-/settings/general").want(t, http.StatusOK, "<h1>Settings</h1>",
		"Only owners change the visibility",
		`<option value="feature/login">feature/login</option>`)
	if strings.Contains(p.Body, "/-/settings/delete") {
		t.Error("a maintainer is offered the deletion")
	}
	ann.post("/acme/site/-/settings/general", url.Values{"name": {"Site"}, "description": {"The new site"},
		"default_branch": {"feature/login"}, "merge_method": {"ff"}, "squash_option": {"always"}}).
		redirectsTo(t, "/acme/site/-/settings/general")
	ann.get("/acme/site/-/settings/general").want(t, http.StatusOK, "settings were saved", `value="Site"`,
		`<option value="feature/login" selected>`, `value="ff" checked`, `<option value="always" selected>`)
	var v struct {
		Name, Description, DefaultBranch, MergeMethod, SquashOption, Visibility string
	}
	r := f.s.Do(t, "GET", fmt.Sprintf("/api/v4/projects/%d", f.siteID), f.s.AdminToken, nil)
	if err := json.Unmarshal(r.Body, &struct {
		Name          *string `json:"name"`
		Description   *string `json:"description"`
		DefaultBranch *string `json:"default_branch"`
		MergeMethod   *string `json:"merge_method"`
		SquashOption  *string `json:"squash_option"`
	}{&v.Name, &v.Description, &v.DefaultBranch, &v.MergeMethod, &v.SquashOption}); err != nil {
		t.Fatal(err)
	}
	if v.Name != "Site" || v.Description != "The new site" || v.DefaultBranch != "feature/login" ||
		v.MergeMethod != "ff" || v.SquashOption != "always" {
		t.Errorf("after saving: %+v", v)
	}
	ann.post("/acme/site/-/settings/general", url.Values{"name": {"Site"}, "visibility": {"private"}}).want(t,
		http.StatusForbidden)
	ann.post("/acme/site/-/settings/general", url.Values{"name": {""}}).want(t, http.StatusBadRequest, "name")
	ann.post("/acme/site/-/settings/delete", url.Values{"confirm": {"acme/site"}}).want(t, http.StatusForbidden)

	// The owner changes the visibility; a form without the CSRF token is refused.
	owner.get("/acme/site/-/settings/general").want(t, http.StatusOK, `name="visibility" value="internal"`,
		"/-/settings/delete")
	owner.post("/acme/site/-/settings/general",
		url.Values{"name": {"Site"}, "visibility": {"internal"}}).redirectsTo(t, "/acme/site/-/settings/general")
	newClient(t, f.s).get("/acme/site").want(t, http.StatusNotFound)
	owner.postRaw("/acme/site/-/settings/general", url.Values{"name": {"Hijacked"}}).want(t, http.StatusForbidden)
}

func TestArchivingMovingAndDeletingAProject(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	owner := addMember(t, f, f.siteID, "olive", 50)
	ann := userClient(t, f.s, "ann")

	ann.get("/acme/site/-/settings/general").want(t, http.StatusOK, "Archive project")
	ann.post("/acme/site/-/settings/archive", nil).redirectsTo(t, "/acme/site/-/settings/general")
	ann.get("/acme/site/-/settings/general").want(t, http.StatusOK, "The project was archived",
		`<span class="badge">Archived</span>`, "Unarchive project")
	ann.post("/acme/site/-/branches", url.Values{"branch_name": {"while-archived"}, "ref": {"main"}}).want(t,
		http.StatusForbidden)
	ann.post("/acme/site/-/settings/unarchive", nil).redirectsTo(t, "/acme/site/-/settings/general")
	ann.get("/acme/site").want(t, http.StatusOK)

	// A new path moves the pages; a taken one is refused.
	api(t, f.s, "POST", "/api/v4/projects", map[string]any{"name": "taken", "namespace_id": "acme"}, http.StatusCreated)
	ann.post("/acme/site/-/settings/path", url.Values{"path": {"taken"}}).want(t, http.StatusConflict,
		"has already been taken")
	ann.post("/acme/site/-/settings/path", url.Values{"path": {"web"}}).redirectsTo(t, "/acme/web/-/settings/general")
	ann.get("/acme/web/-/settings/general").want(t, http.StatusOK, "The project is now at acme/web",
		"git remote set-url origin")
	ann.get("/acme/site").want(t, http.StatusNotFound)

	// Deleting asks for the project's path.
	owner.get("/acme/web/-/settings/general")
	owner.post("/acme/web/-/settings/delete", url.Values{"confirm": {"acme/site"}}).want(t,
		http.StatusBadRequest, "Type acme/web to confirm")
	owner.post("/acme/web/-/settings/delete", url.Values{"confirm": {"acme/web"}}).redirectsTo(t, "/dashboard/projects")
	owner.get("/dashboard/projects").want(t, http.StatusOK, "Project acme/web was deleted")
	owner.get("/acme/web").want(t, http.StatusNotFound)
	f.s.Do(t, "GET", fmt.Sprintf("/api/v4/projects/%d", f.siteID), f.s.AdminToken, nil)
	if r := f.s.Do(t, "GET", fmt.Sprintf("/api/v4/projects/%d", f.siteID), f.s.AdminToken,
		nil); r.StatusCode != http.StatusNotFound {
		t.Fatalf("deleted project: %d", r.StatusCode)
	}
}

func TestProjectMembersFollowForgesRules(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	addMember(t, f, f.siteID, "olive", 50)
	f.s.CreateUser(t, "carl")
	ann := userClient(t, f.s, "ann")

	// Anyone who sees the project sees its members, and no form.
	p := newClient(t, f.s).get("/acme/site/-/project_members").want(t, http.StatusOK, "<h1>Members</h1>",
		"@ann", "@olive")
	if strings.Contains(p.Body, "Add a member") || strings.Contains(p.Body, "/delete") {
		t.Error("an anonymous reader is offered to change members")
	}
	bob := userClient(t, f.s, "bob")
	bob.get("/acme/vault/-/project_members").want(t, http.StatusNotFound)

	// A maintainer grants up to Maintainer, and does not touch owners.
	p = ann.get("/acme/site/-/project_members").want(t, http.StatusOK, "Add a member",
		`<option value="40">Maintainer</option>`)
	if strings.Contains(p.Body, `<option value="50">Owner</option>`) {
		t.Error("a maintainer is offered Owner")
	}
	var bobID, oliveID int64
	for _, u := range []struct {
		name string
		id   *int64
	}{{"bob", &bobID}, {"olive", &oliveID}} {
		var users []struct{ ID int64 }
		api(t, f.s, "GET", "/api/v4/users?username="+u.name, nil, http.StatusOK).JSON(t, &users)
		*u.id = users[0].ID
	}
	if strings.Contains(p.Body, fmt.Sprintf(`action="/acme/site/-/project_members/%d/delete"`, oliveID)) {
		t.Error("a maintainer is offered to remove an owner")
	}
	ann.post("/acme/site/-/project_members",
		url.Values{"username": {"bob"}, "access_level": {"30"}}).redirectsTo(t, "/acme/site/-/project_members")
	ann.get("/acme/site/-/project_members").want(t, http.StatusOK, "bob was added as Developer",
		fmt.Sprintf(`action="/acme/site/-/project_members/%d/delete"`, bobID))
	ann.post("/acme/site/-/project_members", url.Values{"username": {"bob"}, "access_level": {"30"}}).want(t,
		http.StatusConflict, "Member already exists")
	ann.post("/acme/site/-/project_members", url.Values{"username": {"carl"}, "access_level": {"50"}}).want(t,
		http.StatusForbidden)
	ann.post("/acme/site/-/project_members", url.Values{"username": {"nobody"}, "access_level": {"30"}}).want(
		t, http.StatusNotFound, "no such user")
	ann.post(fmt.Sprintf("/acme/site/-/project_members/%d", bobID),
		url.Values{"access_level": {"20"}}).redirectsTo(t, "/acme/site/-/project_members")
	ann.get("/acme/site/-/project_members").want(t, http.StatusOK, "bob is now Reporter")
	ann.post(fmt.Sprintf("/acme/site/-/project_members/%d", oliveID),
		url.Values{"access_level": {"10"}}).want(t, http.StatusForbidden)
	ann.post(fmt.Sprintf("/acme/site/-/project_members/%d/delete", oliveID), nil).want(t, http.StatusForbidden)

	// A member may leave; then the private parts are gone for them.
	bob.get("/acme/site/-/project_members").want(t, http.StatusOK, "Leave")
	bob.post(fmt.Sprintf("/acme/site/-/project_members/%d/delete", bobID), nil).redirectsTo(t, "/dashboard/projects")
	ann.get("/acme/site/-/project_members")
	ann.post(fmt.Sprintf("/acme/site/-/project_members/%d", bobID), url.Values{"access_level": {"20"}}).want(
		t, http.StatusNotFound)
}

func TestProjectEditAddressIsTheSettingsAndOwnersTransferThere(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	owner := addMember(t, f, f.siteID, "olive", 50)
	ann := userClient(t, f.s, "ann")
	bob := userClient(t, f.s, "bob")

	// GitLab's address of the settings answers as they do.
	newClient(t, f.s).get("/acme/site/edit").redirectsTo(t, "/users/sign_in?redirect=%2Facme%2Fsite%2Fedit")
	bob.get("/acme/site/edit").want(t, http.StatusNotFound)
	bob.get("/acme/vault/edit").want(t, http.StatusNotFound)
	ann.get("/acme/site/edit").redirectsTo(t, "/acme/site/-/settings/general")
	ann.get("/acme/vault/edit/").redirectsTo(t, "/acme/vault/-/settings/general")
	// A project called "edit" keeps its own page.
	api(t, f.s, "POST", "/api/v4/projects",
		map[string]any{"name": "edit", "namespace_id": "acme", "visibility": "public"}, http.StatusCreated)
	ann.get("/acme/edit").want(t, http.StatusOK, "<h1>edit</h1>")

	// Only owners are offered the transfer, to the namespaces where they may create projects.
	if p := ann.get("/acme/site/-/settings/general").want(t, http.StatusOK); strings.Contains(p.Body,
		"Transfer project") {
		t.Error("a maintainer is offered the transfer")
	}
	var namespaces []struct {
		ID       int64
		FullPath string `json:"full_path"`
	}
	api(t, f.s, "GET", "/api/v4/namespaces?search=olive", nil, http.StatusOK).JSON(t, &namespaces)
	if len(namespaces) != 1 {
		t.Fatalf("olive's namespace: %+v", namespaces)
	}
	olive := strconv.FormatInt(namespaces[0].ID, 10)
	ann.post("/acme/site/-/settings/transfer", url.Values{"namespace_id": {olive}}).want(t, http.StatusForbidden)
	owner.get("/acme/site/-/settings/general").want(t, http.StatusOK, "Transfer project", `<option value="`+
		olive+`">olive</option>`)
	owner.postRaw("/acme/site/-/settings/transfer", url.Values{"namespace_id": {olive}}).want(t, http.StatusForbidden)
	owner.post("/acme/site/-/settings/transfer", url.Values{"namespace_id": {""}}).want(t,
		http.StatusBadRequest, "Choose the namespace")
	owner.post("/acme/site/-/settings/transfer", url.Values{"namespace_id": {"999999"}}).want(t,
		http.StatusBadRequest, "does not exist")
	owner.post("/acme/site/-/settings/transfer", url.Values{"namespace_id": {olive}}).redirectsTo(t,
		"/olive/site/-/settings/general")
	owner.get("/olive/site/-/settings/general").want(t, http.StatusOK, "transferred to olive/site",
		"git remote set-url origin")
	owner.get("/acme/site").want(t, http.StatusNotFound)
	owner.get("/olive/site/-/blob/main/README.md").want(t, http.StatusOK, "Acme site")
	var v struct {
		PathWithNamespace string `json:"path_with_namespace"`
	}
	api(t, f.s, "GET", fmt.Sprintf("/api/v4/projects/%d", f.siteID), nil, http.StatusOK).JSON(t, &v)
	if v.PathWithNamespace != "olive/site" {
		t.Errorf("after the transfer the API says %q", v.PathWithNamespace)
	}
}

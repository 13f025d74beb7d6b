package gitlab_test

import (
	"strings"
	"testing"

	"github.com/cairn-forge/cairn/server/servertest"
)

// descendant_groups lists every group below one, those the caller may see.
func TestDescendantGroups(t *testing.T) {
	s := servertest.New(t, servertest.WithoutRateLimit())
	top := createGroup(t, s, s.AdminToken, map[string]any{"name": "Top", "path": "top", "visibility": "public"})
	a := createGroup(t, s, s.AdminToken,
		map[string]any{"name": "A", "path": "a", "parent_id": top.ID, "visibility": "public"})
	a1 := createGroup(t, s, s.AdminToken,
		map[string]any{"name": "A1", "path": "a1", "parent_id": a.ID, "visibility": "public"})
	createProject(t, s, s.AdminToken, map[string]any{"name": "p0", "namespace_id": top.ID, "visibility": "public"})
	createProject(t, s, s.AdminToken, map[string]any{"name": "p1", "namespace_id": a1.ID, "visibility": "public"})
	if got := names(t,
		mustDo(t, s, 200, "GET", "/api/v4/groups/top/projects?include_subgroups=true&order_by=name&sort=asc",
			"", nil), "path_with_namespace"); strings.Join(got, ",") != "top/p0,top/a/a1/p1" {
		t.Fatalf("projects with subgroups: %v", got)
	}
	if got := names(t, mustDo(t, s, 200, "GET", "/api/v4/groups/top/projects", "", nil),
		"path_with_namespace"); strings.Join(got, ",") != "top/p0" {
		t.Fatalf("projects of the group alone: %v", got)
	}
	createGroup(t, s, s.AdminToken,
		map[string]any{"name": "Hidden", "path": "hidden", "parent_id": a.ID, "visibility": "private"})
	createGroup(t, s, s.AdminToken, map[string]any{"name": "Other", "path": "other", "visibility": "public"})
	r := mustDo(t, s, 200, "GET", "/api/v4/groups/"+itoa(top.ID)+"/descendant_groups?order_by=path", s.AdminToken, nil)
	if got := names(t, r, "full_path"); strings.Join(got, ",") != "top/a,top/a/a1,top/a/hidden" ||
		r.Header.Get("X-Total") != "3" {
		t.Fatalf("descendants: %v", got)
	}
	if got := names(t,
		mustDo(t, s, 200, "GET", "/api/v4/groups/top/descendant_groups?order_by=path", "", nil),
		"full_path"); strings.Join(got, ",") != "top/a,top/a/a1" {
		t.Fatalf("descendants anonymous callers see: %v", got)
	}
	if got := names(t,
		mustDo(t, s, 200, "GET", "/api/v4/groups/top%2Fa/subgroups?order_by=path", s.AdminToken, nil),
		"full_path"); strings.Join(got, ",") != "top/a/a1,top/a/hidden" {
		t.Fatalf("subgroups: %v", got)
	}
}

// A group moves under another with its subgroups and projects; paths follow, visibility
// drops to the new parent's.
func TestTransferGroup(t *testing.T) {
	s := servertest.New(t, servertest.WithoutRateLimit())
	src := createGroup(t, s, s.AdminToken, map[string]any{"name": "Src", "path": "src", "visibility": "public"})
	sub := createGroup(t, s, s.AdminToken,
		map[string]any{"name": "Sub", "path": "sub", "parent_id": src.ID, "visibility": "public"})
	p := createProject(t, s, s.AdminToken,
		map[string]any{"name": "app", "namespace_id": sub.ID, "visibility": "public", "initialize_with_readme": true})
	dst := createGroup(t, s, s.AdminToken, map[string]any{"name": "Dst", "path": "dst", "visibility": "internal"})

	g := decode[groupJSON](t,
		mustDo(t, s, 201, "POST", "/api/v4/groups/"+itoa(sub.ID)+"/transfer", s.AdminToken,
			map[string]any{"group_id": dst.ID}))
	if g.FullPath != "dst/sub" || g.FullName != "Dst / Sub" || g.ParentID == nil || *g.ParentID != dst.ID ||
		g.Visibility != "internal" {
		t.Fatalf("transferred: %+v", g)
	}
	moved := decode[projectJSON](t, mustDo(t, s, 200, "GET", "/api/v4/projects/"+itoa(p.ID), s.AdminToken, nil))
	if moved.PathWithNamespace != "dst/sub/app" || moved.Visibility != "internal" {
		t.Fatalf("its project: %+v", moved)
	}
	mustDo(t, s, 200, "GET", "/api/v4/projects/dst%2Fsub%2Fapp/repository/files/README.md/raw?ref=main",
		s.AdminToken, nil)

	wantJSON(t,
		s.Do(t, "POST", "/api/v4/groups/"+itoa(sub.ID)+"/transfer", s.AdminToken,
			map[string]any{"group_id": dst.ID}), 400,
		`{"message":"Transfer failed: Group is already associated to the parent group."}`)
	wantJSON(t,
		s.Do(t, "POST", "/api/v4/groups/"+itoa(dst.ID)+"/transfer", s.AdminToken,
			map[string]any{"group_id": sub.ID}), 400,
		`{"message":"Transfer failed: Cannot transfer group to one of its subgroup."}`)
	wantJSON(t, s.Do(t, "POST", "/api/v4/groups/"+itoa(dst.ID)+"/transfer", s.AdminToken, nil), 400,
		`{"message":"Transfer failed: Group is already a root group."}`)
	createGroup(t, s, s.AdminToken, map[string]any{"name": "Sub", "path": "sub", "parent_id": src.ID})
	wantJSON(t,
		s.Do(t, "POST", "/api/v4/groups/"+itoa(sub.ID)+"/transfer", s.AdminToken,
			map[string]any{"group_id": src.ID}), 400,
		`{"message":"Transfer failed: The parent group already has a subgroup or a project with the same path."}`)

	// To the top level; an owner of the group who only reports in the target may not.
	top := decode[groupJSON](t,
		mustDo(t, s, 201, "POST", "/api/v4/groups/"+itoa(sub.ID)+"/transfer", s.AdminToken, nil))
	if top.FullPath != "sub" || top.ParentID != nil {
		t.Fatalf("to the top: %+v", top)
	}
	uid, tok := s.CreateUser(t, "alice")
	addMember(t, s, s.AdminToken, "groups", sub.ID, uid, 50)
	addMember(t, s, s.AdminToken, "groups", dst.ID, uid, 20)
	wantJSON(t,
		s.Do(t, "POST", "/api/v4/groups/"+itoa(sub.ID)+"/transfer", tok, map[string]any{"group_id": dst.ID}), 400,
		`{"message":"Transfer failed: You don't have enough permissions."}`)
	mustDo(t, s, 200, "PUT", "/api/v4/groups/"+itoa(dst.ID)+"/members/"+itoa(uid), s.AdminToken,
		map[string]any{"access_level": 40})
	mustDo(t, s, 201, "POST", "/api/v4/groups/"+itoa(sub.ID)+"/transfer", tok, map[string]any{"group_id": dst.ID})
	_, bob := s.CreateUser(t, "bob")
	wantStatus(t, s.Do(t, "POST", "/api/v4/groups/"+itoa(sub.ID)+"/transfer", bob, nil), 403)
	wantStatus(t, s.Do(t, "POST", "/api/v4/groups/"+itoa(sub.ID)+"/transfer", "", nil), 401)
}

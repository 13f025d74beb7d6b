package gitlab_test

import (
	"strings"
	"testing"
)

type badgeJSON struct {
	ID               int64  `json:"id"`
	Name             string `json:"name"`
	LinkURL          string `json:"link_url"`
	ImageURL         string `json:"image_url"`
	RenderedLinkURL  string `json:"rendered_link_url"`
	RenderedImageURL string `json:"rendered_image_url"`
	Kind             string `json:"kind"`
}

// Project and group badges: placeholders rendered for the project, group badges shown on
// the projects of the group, maintainers (projects) and owners (groups) managing them.
func TestBadges(t *testing.T) {
	f := newRepoFixture(t, nil)
	tip := f.commit("main", "c", create("a.txt", "a\n"))
	mustDo(t, f.s, 201, "POST", f.url("/repository/tags"), f.token, map[string]any{"tag_name": "v1.2", "ref": "main"})
	tokens := f.roles()

	b := decode[badgeJSON](t, mustDo(t, f.s, 201, "POST", f.url("/badges"), tokens["maintainer"], map[string]any{
		"name": "ci", "link_url": "https://ci.example.com/%{project_path}/%{default_branch}",
		"image_url": "https://ci.example.com/%{project_id}/%{commit_sha}/%{latest_tag}.svg?%{unknown}"}))
	host := strings.TrimPrefix(f.s.URL, "http://")
	host = host[:strings.IndexByte(host, ':')]
	if b.Kind != "project" || b.Name != "ci" || b.RenderedLinkURL != "https://ci.example.com/"+f.path+"/main" ||
		b.RenderedImageURL != "https://ci.example.com/"+itoa(f.id)+"/"+tip.ID+"/v1.2.svg?%{unknown}" {
		t.Fatalf("badge: %+v", b)
	}
	wantJSON(t,
		f.do("GET",
			"/badges/render?link_url=https://x/%25{project_name}&image_url=https://%25{gitlab_server}/b.svg",
			tokens["guest"], nil), 200,
		`{"link_url":"https://x/%{project_name}","image_url":"https://%{gitlab_server}/b.svg","rendered_link_url":"https://x/demo","rendered_image_url":"https://`+host+`/b.svg"}`)
	upd := decode[badgeJSON](t,
		mustDo(t, f.s, 200, "PUT", f.url("/badges/"+itoa(b.ID)), tokens["maintainer"], map[string]any{"name": "build"}))
	if upd.Name != "build" || upd.LinkURL != b.LinkURL {
		t.Fatalf("updated: %+v", upd)
	}
	wantRefused(t, f.s, f.token, f.url(""), []refusal{
		{"no image", "POST", "/badges", map[string]any{"link_url": "https://x"}, `{"error":"image_url is missing"}`},
		{"a link that is no URL", "POST", "/badges", map[string]any{"link_url": "x y", "image_url": "https://x/i.svg"},
			`{"message":{"link_url":["must be a valid URL"]}}`},
	})
	wantStatuses(t, f, tokens, "POST", "/badges", func(string) any {
		return map[string]any{"link_url": "https://a", "image_url": "https://b"}
	}, map[string]int{"anonymous": 401, "outsider": 404, "guest": 403, "reporter": 403, "developer": 403,
		"maintainer": 201, "admin": 201})
	wantStatuses(t, f, tokens, "GET", "/badges", nil,
		map[string]int{"anonymous": 404, "outsider": 404, "guest": 200, "reporter": 200})
	wantStatus(t, f.do("DELETE", "/badges/"+itoa(b.ID), tokens["developer"], nil), 403)
	mustDo(t, f.s, 204, "DELETE", f.url("/badges/"+itoa(b.ID)), tokens["maintainer"], nil)
	wantJSON(t, f.do("GET", "/badges/"+itoa(b.ID), tokens["maintainer"], nil), 404, `{"message":"404 Badge Not Found"}`)

	// A group's badges show on its projects, rendered for each.
	g := createGroup(t, f.s, f.token, map[string]any{"name": "Team", "path": "team"})
	sub := createGroup(t, f.s, f.token, map[string]any{"name": "Sub", "path": "sub", "parent_id": g.ID})
	p := createProject(t, f.s, f.token, map[string]any{"name": "app", "namespace_id": sub.ID})
	gb := decode[badgeJSON](t, mustDo(t, f.s, 201, "POST", "/api/v4/groups/"+itoa(g.ID)+"/badges", f.token,
		map[string]any{"link_url": "https://docs/%{project_path}", "image_url": "https://img/%{group_name}"}))
	if gb.Kind != "group" || gb.RenderedLinkURL != gb.LinkURL {
		t.Fatalf("group badge: %+v", gb)
	}
	var list []badgeJSON
	mustDo(t, f.s, 200, "GET", "/api/v4/projects/"+itoa(p.ID)+"/badges", f.token, nil).JSON(t, &list)
	if len(list) != 1 || list[0].Kind != "group" || list[0].RenderedLinkURL != "https://docs/team/sub/app" ||
		list[0].RenderedImageURL != "https://img/Sub" {
		t.Fatalf("the project's badges: %+v", list)
	}
	uid, member := f.s.CreateUser(t, "gm")
	addMember(t, f.s, f.token, "groups", g.ID, uid, 40)
	wantStatus(t,
		f.s.Do(t, "POST", "/api/v4/groups/"+itoa(g.ID)+"/badges", member,
			map[string]any{"link_url": "https://a", "image_url": "https://b"}), 403)
	addMember(t, f.s, f.token, "groups", sub.ID, uid, 50)
	mustDo(t, f.s, 201, "POST", "/api/v4/groups/"+itoa(sub.ID)+"/badges", member,
		map[string]any{"link_url": "https://a", "image_url": "https://b"})
}

package gitlab_test

import (
	"net/http"
	"slices"
	"strconv"
	"testing"

	"github.com/cairn-forge/cairn/server/servertest"
)

// listFixture gives every list endpoint at least three items.
type listFixture struct {
	s                 *servertest.Server
	aliceID           int64
	alice             string
	group, sub        groupJSON
	groupProject      projectJSON
	personalProjectID int64
	// repo is alice's project with a commit (tip), three statuses on it, three badges, three
	// deploy keys and tokens, three forks; each of her projects has its own topic.
	repo projectJSON
	tip  string
}

func newListFixture(t *testing.T) listFixture {
	t.Helper()
	s := newServer(t)
	f := listFixture{s: s}
	f.aliceID, f.alice = s.CreateUser(t, "alice")
	var others []int64
	for _, name := range []string{"bob", "carol", "dave"} {
		id, _ := s.CreateUser(t, name)
		others = append(others, id)
	}
	f.group = createGroup(t, s, f.alice, map[string]any{"name": "Team", "path": "team"})
	for i, name := range []string{"one", "two", "three"} {
		sub := createGroup(t, s, f.alice, map[string]any{"name": name, "path": name, "parent_id": f.group.ID})
		if i == 0 {
			f.sub = sub
		}
		p := createProject(t, s, f.alice, map[string]any{"name": "g" + name, "namespace_id": f.group.ID})
		if i == 0 {
			f.groupProject = p
		}
		f.personalProjectID = createProject(t, s, f.alice, map[string]any{"name": "mine-" + name}).ID
	}
	for _, id := range others {
		addMember(t, s, f.alice, "groups", f.group.ID, id, 30)
		addMember(t, s, f.alice, "projects", f.groupProject.ID, id, 20)
	}
	addMember(t, s, f.alice, "groups", f.sub.ID, others[0], 40)
	for _, name := range []string{"ci", "laptop", "deploy"} {
		mustDo(t, s, 201, "POST", "/api/v4/user/personal_access_tokens", f.alice,
			map[string]any{"name": name, "scopes": []string{"read_api"}})
	}
	f.addRepoLists(t)
	return f
}

// addRepoLists gives the lists of issue 14's resources three items each.
func (f *listFixture) addRepoLists(t *testing.T) {
	t.Helper()
	s, alice := f.s, f.alice
	f.repo = createProject(t, s, alice,
		map[string]any{"name": "repo", "initialize_with_readme": true, "topics": []string{"t0"}})
	repo := "/api/v4/projects/" + itoa(f.repo.ID)
	f.tip = decode[commitJSON](t, mustDo(t, s, 200, "GET", repo+"/repository/commits/main", alice, nil)).ID
	for i, name := range []string{"one", "two", "three"} {
		n := strconv.Itoa(i + 1)
		mustDo(t, s, 201, "POST", repo+"/statuses/"+f.tip, alice,
			map[string]any{"state": "success", "name": "ci/" + name})
		for _, owner := range []string{repo, "/api/v4/groups/" + itoa(f.group.ID)} {
			mustDo(t, s, 201, "POST", owner+"/badges", alice, map[string]any{
				"link_url": "https://ci.example.com/" + n, "image_url": "https://ci.example.com/" + n + ".svg"})
			mustDo(t, s, 201, "POST", owner+"/deploy_tokens", alice,
				map[string]any{"name": name, "scopes": []string{"read_repository"}})
		}
		_, line := newSSHKey(t, name)
		mustDo(t, s, 201, "POST", repo+"/deploy_keys", alice, map[string]any{"title": name, "key": line})
		_, line = newSSHKey(t, name)
		mustDo(t, s, 201, "POST", "/api/v4/user/keys", alice, map[string]any{"title": name, "key": line})
		mustDo(t, s, 201, "POST", "/api/v4/user/emails", alice, map[string]any{"email": name + "@alice.example.org"})
		mustDo(t, s, 201, "POST", "/api/v4/users/"+itoa(f.aliceID)+"/impersonation_tokens", s.AdminToken,
			map[string]any{"name": name, "scopes": []string{"api"}})
		mustDo(t, s, 201, "POST", repo+"/fork", alice, map[string]any{"name": "fork-" + name, "path": "fork-" + name})
		mustDo(t, s, 201, "POST", "/api/v4/broadcast_messages", s.AdminToken, map[string]any{"message": name})
		mustDo(t, s, 200, "PUT", "/api/v4/projects/"+itoa(f.personalProjectID-int64(i)), alice,
			map[string]any{"topics": []string{"t" + n}})
		mustDo(t, s, 201, "POST", "/api/v4/projects/"+itoa(f.personalProjectID-int64(i))+"/star", alice, nil)
	}
}

func TestEveryListIsPaginatedWithGitLabHeaders(t *testing.T) {
	t.Parallel()
	f := newListFixture(t)
	s := f.s
	lists := []struct {
		name  string
		path  string
		token string
	}{
		{"users", "/api/v4/users", s.AdminToken},
		{"projects", "/api/v4/projects", f.alice},
		{"projects on v3", "/api/v3/projects", f.alice},
		{"groups", "/api/v4/groups", f.alice},
		{"subgroups", "/api/v4/groups/" + itoa(f.group.ID) + "/subgroups", f.alice},
		{"namespaces", "/api/v4/namespaces", f.alice},
		{"group members", "/api/v4/groups/" + itoa(f.group.ID) + "/members", f.alice},
		{"group members with inherited", "/api/v4/groups/" + itoa(f.sub.ID) + "/members/all", f.alice},
		{"project members", "/api/v4/projects/" + itoa(f.groupProject.ID) + "/members", f.alice},
		{"project members with inherited", "/api/v4/projects/" + itoa(f.groupProject.ID) + "/members/all", f.alice},
		{"tokens", "/api/v4/personal_access_tokens", f.alice},
		{"group projects", "/api/v4/groups/" + itoa(f.group.ID) + "/projects", f.alice},
		{"user projects", "/api/v4/users/" + itoa(f.aliceID) + "/projects", f.alice},
		{"descendant groups", "/api/v4/groups/" + itoa(f.group.ID) + "/descendant_groups", f.alice},
		{"commit statuses", "/api/v4/projects/" + itoa(f.repo.ID) + "/repository/commits/" + f.tip +
			"/statuses", f.alice},
		{"project badges", "/api/v4/projects/" + itoa(f.repo.ID) + "/badges", f.alice},
		{"group badges", "/api/v4/groups/" + itoa(f.group.ID) + "/badges", f.alice},
		{"project deploy tokens", "/api/v4/projects/" + itoa(f.repo.ID) + "/deploy_tokens", f.alice},
		{"group deploy tokens", "/api/v4/groups/" + itoa(f.group.ID) + "/deploy_tokens", f.alice},
		{"all deploy tokens", "/api/v4/deploy_tokens", s.AdminToken},
		{"project deploy keys", "/api/v4/projects/" + itoa(f.repo.ID) + "/deploy_keys", f.alice},
		{"all deploy keys", "/api/v4/deploy_keys", s.AdminToken},
		{"ssh keys", "/api/v4/user/keys", f.alice},
		{"a user's ssh keys", "/api/v4/users/" + itoa(f.aliceID) + "/keys", ""},
		{"emails", "/api/v4/user/emails", f.alice},
		{"impersonation tokens", "/api/v4/users/" + itoa(f.aliceID) + "/impersonation_tokens", s.AdminToken},
		{"forks", "/api/v4/projects/" + itoa(f.repo.ID) + "/forks", f.alice},
		{"starred projects", "/api/v4/users/" + itoa(f.aliceID) + "/starred_projects", f.alice},
		{"topics", "/api/v4/topics", f.alice},
		{"broadcast messages", "/api/v4/broadcast_messages", f.alice},
	}
	for _, l := range lists {
		t.Run(l.name, func(t *testing.T) {
			t.Parallel()
			all := mustDo(t, s, 200, "GET", l.path+"?per_page=100", l.token, nil)
			ids := names(t, all, "id")
			n := len(ids)
			if n < 3 {
				t.Fatalf("the fixture gives %s only %d items", l.name, n)
			}
			if got := all.Header.Get("X-Total"); got != strconv.Itoa(n) {
				t.Errorf("X-Total %s, but the full page holds %d", got, n)
			}
			// A parameter cairn does not know is kept in every link, its comma escaped.
			link := func(page int) string {
				return s.URL + l.path + "?extra=a%2Cb&page=" + strconv.Itoa(page) + "&per_page=1"
			}

			t.Run("a middle page", func(t *testing.T) {
				r := mustDo(t, s, 200, "GET", l.path+"?extra=a,b&per_page=1&page=2", l.token, nil)
				want := map[string]string{"X-Total": strconv.Itoa(n), "X-Total-Pages": strconv.Itoa(n),
					"X-Per-Page": "1", "X-Page": "2", "X-Prev-Page": "1", "X-Next-Page": "3",
					"Link": "<" + link(1) + `>; rel="prev", <` + link(3) + `>; rel="next", <` + link(1) +
						`>; rel="first", <` + link(n) + `>; rel="last"`}
				for k, v := range want {
					if got := r.Header.Get(k); got != v {
						t.Errorf("%s: %q, want %q", k, got, v)
					}
				}
				if got := names(t, r, "id"); !slices.Equal(got, ids[1:2]) {
					t.Errorf("page 2 holds %v, want %v", got, ids[1:2])
				}
			})

			t.Run("the first page has no prev", func(t *testing.T) {
				r := mustDo(t, s, 200, "GET", l.path+"?extra=a,b&per_page=1", l.token, nil)
				if !hasHeader(r.Header, "X-Prev-Page") || r.Header.Get("X-Prev-Page") != "" {
					t.Errorf("X-Prev-Page %q present=%v, want present and empty", r.Header.Get("X-Prev-Page"),
						hasHeader(r.Header, "X-Prev-Page"))
				}
				links := splitLink(t, r.Header.Get("Link"))
				if _, ok := links["prev"]; ok {
					t.Errorf("Link on page 1 has prev: %v", links)
				}
				if links["next"] != link(2) || links["first"] != link(1) || links["last"] != link(n) {
					t.Errorf("Link on page 1: %v", links)
				}
			})

			t.Run("the last page has an empty next", func(t *testing.T) {
				r := mustDo(t, s, 200, "GET", l.path+"?extra=a,b&per_page=1&page="+strconv.Itoa(n), l.token, nil)
				if !hasHeader(r.Header, "X-Next-Page") || r.Header.Get("X-Next-Page") != "" {
					t.Errorf("X-Next-Page %q present=%v, want present and empty", r.Header.Get("X-Next-Page"),
						hasHeader(r.Header, "X-Next-Page"))
				}
				links := splitLink(t, r.Header.Get("Link"))
				if _, ok := links["next"]; ok {
					t.Errorf("Link on the last page has next: %v", links)
				}
				if links["prev"] != link(n-1) {
					t.Errorf("Link prev on the last page: %q, want %q", links["prev"], link(n-1))
				}
			})

			t.Run("following next visits every item once", func(t *testing.T) {
				var seen []string
				next := l.path + "?per_page=2"
				for pages := 0; next != ""; pages++ {
					if pages > n {
						t.Fatalf("rel=next never ends: %v", seen)
					}
					r := mustDo(t, s, 200, "GET", next, l.token, nil)
					seen = append(seen, names(t, r, "id")...)
					next = ""
					if u, ok := splitLink(t, r.Header.Get("Link"))["next"]; ok {
						next = u[len(s.URL):]
					}
				}
				if !slices.Equal(seen, ids) {
					t.Errorf("paging visited %v, want %v", seen, ids)
				}
			})

			t.Run("a page past the end is empty", func(t *testing.T) {
				r := mustDo(t, s, 200, "GET", l.path+"?per_page=1&page="+strconv.Itoa(n+5), l.token, nil)
				if string(r.Body) != "[]" {
					t.Errorf("body %s, want []", r.Body)
				}
				if got := r.Header.Get("X-Total"); got != strconv.Itoa(n) {
					t.Errorf("X-Total %q past the end", got)
				}
			})

			t.Run("per_page is capped at 100", func(t *testing.T) {
				r := mustDo(t, s, 200, "GET", l.path+"?per_page=1000", l.token, nil)
				if got := r.Header.Get("X-Per-Page"); got != "100" {
					t.Errorf("X-Per-Page %q, want 100", got)
				}
			})

			t.Run("the default page size is 20", func(t *testing.T) {
				r := mustDo(t, s, 200, "GET", l.path, l.token, nil)
				if r.Header.Get("X-Per-Page") != "20" || r.Header.Get("X-Page") != "1" {
					t.Errorf("X-Per-Page %q X-Page %q, want 20 and 1", r.Header.Get("X-Per-Page"),
						r.Header.Get("X-Page"))
				}
			})

			t.Run("a page that is not a number is 400", func(t *testing.T) {
				wantJSON(t, s.Do(t, "GET", l.path+"?page=abc", l.token, nil), http.StatusBadRequest,
					`{"error":"page is invalid"}`)
				wantJSON(t, s.Do(t, "GET", l.path+"?per_page=ten", l.token, nil), http.StatusBadRequest,
					`{"error":"per_page is invalid"}`)
			})
		})
	}
}

// An empty list still has one page.
func TestEmptyListHeaders(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	r := mustDo(t, s, 200, "GET", "/api/v4/groups", s.AdminToken, nil)
	if string(r.Body) != "[]" {
		t.Fatalf("groups of a new instance: %s", r.Body)
	}
	want := map[string]string{"X-Total": "0", "X-Total-Pages": "1", "X-Page": "1", "X-Per-Page": "20",
		"X-Next-Page": "", "X-Prev-Page": "",
		"Link": "<" + s.URL + `/api/v4/groups?page=1&per_page=20>; rel="first", <` + s.URL +
			`/api/v4/groups?page=1&per_page=20>; rel="last"`}
	for k, v := range want {
		if got := r.Header.Get(k); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
}

package gitlab_test

import (
	"net/http"
	"strings"
	"testing"
)

type releaseJSON struct {
	Name            string    `json:"name"`
	TagName         string    `json:"tag_name"`
	Description     string    `json:"description"`
	CreatedAt       string    `json:"created_at"`
	ReleasedAt      string    `json:"released_at"`
	UpcomingRelease bool      `json:"upcoming_release"`
	Author          *userJSON `json:"author"`
	Commit          *struct {
		ID           string `json:"id"`
		AuthoredDate string `json:"authored_date"`
	} `json:"commit"`
	CommitPath string `json:"commit_path"`
	TagPath    string `json:"tag_path"`
	Assets     struct {
		Count   int `json:"count"`
		Sources []struct {
			Format string `json:"format"`
			URL    string `json:"url"`
		} `json:"sources"`
		Links []any `json:"links"`
	} `json:"assets"`
	Links struct {
		Self    string `json:"self"`
		EditURL string `json:"edit_url"`
	} `json:"_links"`
}

func TestReleasesAPI(t *testing.T) {
	t.Parallel()
	f := newDeliveryFixture(t)
	s, rels := f.s, f.pubAPI+"/releases"
	sha := f.head(t, f.pubAPI)
	var commit struct {
		AuthoredDate string `json:"authored_date"`
	}
	mustDo(t, s, 200, "GET", f.pubAPI+"/repository/commits/"+sha, f.rep, nil).JSON(t, &commit)

	r := mustDo(t, s, http.StatusCreated, "POST", rels, f.dev, map[string]any{"tag_name": "v1.0", "ref": "main",
		"name": "First", "description": "The first release"})
	want := []string{"_links", "assets", "author", "commit", "commit_path", "created_at", "description", "evidences",
		"name", "released_at", "tag_name", "tag_path", "upcoming_release"}
	if got := keys(t, r.Body); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("release keys %v, want %v", got, want)
	}
	v1 := decode[releaseJSON](t, r)
	if v1.TagName != "v1.0" || v1.Name != "First" || v1.Description != "The first release" || v1.Author == nil ||
		v1.Author.Username != "dev" || v1.Commit == nil || v1.Commit.ID != sha || v1.UpcomingRelease {
		t.Errorf("created: %s", r.Body)
	}
	// Without released_at, the release commit's author time is the release's.
	if v1.ReleasedAt[:19] != commit.AuthoredDate[:19] {
		t.Errorf("released_at %s, want the commit's author time %s", v1.ReleasedAt, commit.AuthoredDate)
	}
	if v1.TagPath != "/alice/shop/-/tags/v1.0" || v1.CommitPath != "/alice/shop/-/commit/"+sha ||
		v1.Links.Self != s.URL+"/alice/shop/-/releases/v1.0" || v1.Links.EditURL != v1.Links.Self+"/edit" {
		t.Errorf("paths: %s", r.Body)
	}
	if v1.Assets.Count != 3 || len(v1.Assets.Sources) != 3 || v1.Assets.Links == nil {
		t.Errorf("assets: %+v", v1.Assets)
	}
	// The sources are archives cairn serves.
	for _, src := range v1.Assets.Sources {
		path := strings.TrimPrefix(src.URL, s.URL)
		if r := mustDo(t, s, 200, "GET", path, f.rep, nil); len(r.Body) == 0 {
			t.Errorf("%s: empty", src.URL)
		}
	}
	// The tag was created at ref.
	var tag struct {
		Name   string `json:"name"`
		Target string `json:"target"`
	}
	mustDo(t, s, 200, "GET", f.pubAPI+"/repository/tags/v1.0", f.rep, nil).JSON(t, &tag)
	if tag.Target != sha {
		t.Errorf("tag v1.0 targets %s, want %s", tag.Target, sha)
	}

	// A tag name with a slash arrives encoded and stays one segment; an existing tag needs
	// no ref.
	mustDo(t, s, http.StatusCreated, "POST", f.pubAPI+"/repository/tags", f.dev,
		map[string]any{"tag_name": "release/2", "ref": "main"})
	r2 := decode[releaseJSON](t, mustDo(t, s, http.StatusCreated, "POST", rels, f.dev,
		map[string]any{"tag_name": "release/2", "released_at": "2030-01-01T00:00:00Z"}))
	if r2.Name != "release/2" || !r2.UpcomingRelease || r2.ReleasedAt != "2030-01-01T00:00:00.000Z" {
		t.Errorf("release/2: %+v", r2)
	}
	if got := decode[releaseJSON](t,
		mustDo(t, s, 200, "GET", rels+"/release%2F2", f.rep, nil)); got.TagName != "release/2" {
		t.Errorf("get by encoded tag: %+v", got)
	}
	mustDo(t, s, http.StatusCreated, "POST", rels, f.dev,
		map[string]any{"tag_name": "v0.9", "ref": "main", "released_at": "2001-02-03"})

	// Newest release first by default; per page, with the pagination headers.
	if got := names(t, mustDo(t, s, 200, "GET", rels, "", nil), "tag_name"); strings.Join(got,
		",") != "release/2,v1.0,v0.9" {
		t.Errorf("list: %v", got)
	}
	if got := names(t, mustDo(t, s, 200, "GET", rels+"?sort=asc", f.rep, nil), "tag_name"); strings.Join(got,
		",") != "v0.9,v1.0,release/2" {
		t.Errorf("ascending: %v", got)
	}
	r = mustDo(t, s, 200, "GET", rels+"?per_page=1&page=2", f.rep, nil)
	if got := names(t, r, "tag_name"); strings.Join(got, ",") != "v1.0" {
		t.Errorf("page 2: %v", got)
	}
	for k, v := range map[string]string{"X-Total": "3", "X-Total-Pages": "3", "X-Next-Page": "3", "X-Prev-Page": "1"} {
		if got := r.Header.Get(k); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
	if got := mustDo(t, s, 200, "GET", rels+"?per_page=1000", f.rep, nil).Header.Get("X-Per-Page"); got != "100" {
		t.Errorf("per_page=1000 gave X-Per-Page %s", got)
	}

	upd := decode[releaseJSON](t,
		mustDo(t, s, 200, "PUT", rels+"/v1.0", f.dev, map[string]any{"name": "One", "description": "changed"}))
	if upd.Name != "One" || upd.Description != "changed" || upd.TagName != "v1.0" {
		t.Errorf("updated: %+v", upd)
	}
	// Deleting answers with the release; the tag stays; deleting again succeeds.
	wantJSON(t, s.Do(t, "DELETE", rels+"/v1.0", f.dev, nil), 403, bodyForbidden)
	del := decode[releaseJSON](t, mustDo(t, s, 200, "DELETE", rels+"/v1.0", f.maint, nil))
	if del.Name != "One" {
		t.Errorf("deleted: %+v", del)
	}
	mustDo(t, s, http.StatusNoContent, "DELETE", rels+"/v1.0", f.maint, nil)
	wantJSON(t, s.Do(t, "GET", rels+"/v1.0", f.rep, nil), 404, `{"message":"404 Not Found"}`)
	mustDo(t, s, 200, "GET", f.pubAPI+"/repository/tags/v1.0", f.rep, nil)
	mustDo(t, s, 200, "GET", "/api/v3/projects/"+itoa(f.public.ID)+"/releases", f.rep, nil)
}

func TestReleasesAPIRefusals(t *testing.T) {
	t.Parallel()
	f := newDeliveryFixture(t)
	s := f.s
	mustDo(t, s, http.StatusCreated, "POST", f.privAPI+"/repository/files/secret.txt", f.alice,
		map[string]any{"branch": "main", "content": "x", "commit_message": "secret"})
	foreign := f.head(t, f.privAPI)
	mustDo(t, s, http.StatusCreated, "POST", f.privAPI+"/releases", f.dev,
		map[string]any{"tag_name": "v1", "ref": "main"})
	pub, priv := f.pubAPI+"/releases", f.privAPI+"/releases"
	tests := []struct {
		name         string
		method, path string
		token        string
		body         any
		status       int
		want         string
	}{
		{"no tag name", "POST", pub, f.dev, map[string]any{"ref": "main"}, 400, `{"error":"tag_name is missing"}`},
		{"new tag without ref", "POST", pub, f.dev, map[string]any{"tag_name": "v2"}, 422,
			`{"message":"Ref is not specified"}`},
		{"unknown ref", "POST", pub, f.dev, map[string]any{"tag_name": "v2", "ref": "nope"}, 400,
			`{"message":"Commit nope is not in the repository"}`},
		{"sha of another repository", "POST", pub, f.dev, map[string]any{"tag_name": "v2", "sha": foreign}, 400,
			`{"message":"Commit ` + foreign + ` is not in the repository"}`},
		{"bad tag name", "POST", pub, f.dev, map[string]any{"tag_name": "a..b", "ref": "main"}, 400,
			`{"message":"Tag name invalid"}`},
		{"bad released_at", "POST", pub, f.dev,
			map[string]any{"tag_name": "v2", "ref": "main", "released_at": "soon"}, 400,
			`{"error":"released_at is invalid"}`},
		{"duplicate", "POST", priv, f.dev, map[string]any{"tag_name": "v1"}, 409,
			`{"message":"Release already exists"}`},
		{"anonymous creates", "POST", pub, "", map[string]any{"tag_name": "v2", "ref": "main"}, 401, bodyUnauthorized},
		{"reporter creates", "POST", priv, f.rep, map[string]any{"tag_name": "v2", "ref": "main"}, 403, bodyForbidden},
		{"outsider creates on a public project", "POST", pub, f.bob,
			map[string]any{"tag_name": "v2", "ref": "main"}, 403, bodyForbidden},
		{"outsider lists a private project's", "GET", priv, f.bob, nil, 404, `{"message":"404 Project Not Found"}`},
		{"anonymous reads a private project's", "GET", priv + "/v1", "", nil, 404,
			`{"message":"404 Project Not Found"}`},
		{"guest on a private project", "GET", priv, f.guest, nil, 403, bodyForbidden},
		{"unknown tag", "GET", priv + "/v9", f.rep, nil, 404, `{"message":"404 Not Found"}`},
		{"update of an unknown tag", "PUT", priv + "/v9", f.dev, map[string]any{"name": "x"}, 404,
			`{"message":"404 Not Found"}`},
		{"reporter updates", "PUT", priv + "/v1", f.rep, map[string]any{"name": "x"}, 403, bodyForbidden},
		{"bad order", "GET", priv + "?order_by=name", f.rep, nil, 400,
			`{"error":"order_by does not have a valid value"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantJSON(t, s.Do(t, tt.method, tt.path, tt.token, tt.body), tt.status, tt.want)
		})
	}
	// Nothing half-written: no release and no tag v2 on the public project.
	if r := mustDo(t, s, 200, "GET", pub, f.rep, nil); r.Header.Get("X-Total") != "0" {
		t.Errorf("releases after refusals: %s", r.Body)
	}
	wantStatus(t, s.Do(t, "GET", f.pubAPI+"/repository/tags/v2", f.rep, nil), 404)
	// Anonymous callers read a public project's releases.
	mustDo(t, s, 200, "GET", pub, "", nil)
}

package gitlab_test

import (
	"net/http"
	"strings"
	"testing"
)

type tagJSON struct {
	Name      string      `json:"name"`
	Message   *string     `json:"message"`
	Target    string      `json:"target"`
	Commit    *commitJSON `json:"commit"`
	Release   any         `json:"release"`
	Protected bool        `json:"protected"`
	CreatedAt *string     `json:"created_at"`
}

func TestCreateLightweightAndAnnotatedTags(t *testing.T) {
	f := newRepoFixture(t, nil)
	head := decode[branchJSON](t, mustDo(t, f.s, 200, "GET", f.url("/repository/branches/main"), f.token, nil)).Commit

	light := decode[tagJSON](t, mustDo(t, f.s, http.StatusCreated, "POST", f.url("/repository/tags"), f.token,
		map[string]any{"tag_name": "v1.0", "ref": "main"}))
	if light.Message != nil || light.CreatedAt != nil || light.Target != head.ID || light.Commit == nil ||
		light.Commit.ID != head.ID {
		t.Fatalf("lightweight tag: %+v", light)
	}
	annotated := decode[tagJSON](t, mustDo(t, f.s, http.StatusCreated, "POST", f.url("/repository/tags"), f.token,
		map[string]any{"tag_name": "release/2", "ref": head.ID, "message": "Second release"}))
	if annotated.Message == nil || *annotated.Message != "Second release" || annotated.CreatedAt == nil ||
		annotated.Target == head.ID || annotated.Commit.ID != head.ID {
		t.Fatalf("annotated tag: %+v", annotated)
	}
	got := decode[tagJSON](t, mustDo(t, f.s, 200, "GET", f.url("/repository/tags/"+esc("release/2")), f.token, nil))
	if got.Target != annotated.Target || got.Release != nil {
		t.Fatalf("get: %+v", got)
	}

	// The tagger is the caller, as git sees it.
	dir := t.TempDir()
	git(t, dir, "clone", "-q", f.repoDir(), "c")
	if out := git(t, dir+"/c", "cat-file", "-p", annotated.Target); !strings.Contains(out,
		"tagger Administrator <root@localhost>") ||
		!strings.Contains(out, "tag release/2") || !strings.Contains(out, "object "+head.ID) {
		t.Fatalf("tag object:\n%s", out)
	}

	tests := []struct {
		name string
		body map[string]any
		code int
		want string
	}{
		{"exists", map[string]any{"tag_name": "v1.0", "ref": "main"}, 409, `{"message":"Tag v1.0 already exists"}`},
		{"bad target", map[string]any{"tag_name": "v9", "ref": "nope"}, 400, `{"message":"Target nope is invalid"}`},
		{"bad name", map[string]any{"tag_name": "v 9", "ref": "main"}, 400, `{"message":"Tag name invalid"}`},
		{"missing", map[string]any{"ref": "main"}, 400, `{"error":"tag_name is missing"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantJSON(t, f.do("POST", "/repository/tags", f.token, tt.body), tt.code, tt.want)
		})
	}
}

func TestListTagsOrderAndDelete(t *testing.T) {
	f := newRepoFixture(t, nil)
	for i, name := range []string{"v1.9", "v1.10", "v1.2", "beta"} {
		if i > 0 {
			f.commit("main", "change "+name, create("f"+name, name))
		}
		mustDo(t, f.s, 201, "POST", f.url("/repository/tags"), f.token, map[string]any{"tag_name": name, "ref": "main"})
	}
	tests := []struct {
		query string
		want  string
	}{
		{"?order_by=name&sort=asc", "beta,v1.10,v1.2,v1.9"},
		{"?order_by=version&sort=asc", "beta,v1.2,v1.9,v1.10"},
		{"?order_by=version", "v1.10,v1.9,v1.2,beta"},
		{"?search=%5Ev1&order_by=name&sort=asc", "v1.10,v1.2,v1.9"},
		{"?order_by=name&sort=asc&per_page=3&page=2", "v1.9"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			got := names(t, mustDo(t, f.s, 200, "GET", f.url("/repository/tags"+tt.query), f.token, nil), "name")
			if strings.Join(got, ",") != tt.want {
				t.Fatalf("tags %v, want %s", got, tt.want)
			}
		})
	}
	// Commits are a second apart at most; updated order is by commit time, name breaking ties.
	if got := names(t, f.do("GET", "/repository/tags", f.token, nil), "name"); len(got) != 4 {
		t.Fatalf("default order: %v", got)
	}
	wantJSON(t, f.do("GET", "/repository/tags?order_by=size", f.token, nil), 400,
		`{"error":"order_by does not have a valid value"}`)

	mustDo(t, f.s, 204, "DELETE", f.url("/repository/tags/beta"), f.token, nil)
	wantJSON(t, f.do("DELETE", "/repository/tags/beta", f.token, nil), 404, `{"message":"404 Tag Not Found"}`)
	wantJSON(t, f.do("GET", "/repository/tags/beta", f.token, nil), 404, `{"message":"404 Tag Not Found"}`)
	reporter := f.member("rep", 20)
	wantJSON(t, f.do("DELETE", "/repository/tags/v1.2", reporter, nil), 403, bodyForbidden)
}

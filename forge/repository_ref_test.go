package forge_test

import (
	"context"
	"strings"
	"testing"

	"github.com/cairn-forge/cairn/forge"
)

func TestParseRepositoryRefReadsEveryFormat(t *testing.T) {
	const base = "https://git.example.com"
	tests := []struct {
		in   string
		path string
		bare bool
		err  string
	}{
		{"owner/repo", "owner/repo", false, ""},
		{"group/subgroup/project", "group/subgroup/project", false, ""},
		{"/owner/repo/", "owner/repo", false, ""},
		{"owner/repo.git", "owner/repo", false, ""},
		{"https://git.example.com/owner/repo", "owner/repo", false, ""},
		{"https://git.example.com/owner/repo.git", "owner/repo", false, ""},
		{"http://GIT.example.com/group/sub/project.git/", "group/sub/project", false, ""},
		{"https://git.example.com/acme/site/-/tree/main", "acme/site", false, ""},
		{"https://oauth2:secret@git.example.com/acme/site.git", "acme/site", false, ""},
		{"site", "site", true, ""},
		{" site.git ", "site", true, ""},
		{"", "", false, "repository not given"},
		{"https://github.com/owner/repo", "", false, "not a repository of this instance"},
		{"ftp://git.example.com/owner/repo", "", false, "not a URL of a repository"},
		{"https://git.example.com/", "", false, "names no repository"},
		{"owner//repo", "", false, "not a repository reference"},
		{"owner/re po", "", false, "can contain only"},
		{"../etc/passwd", "", false, "not a repository reference"},
		{strings.Repeat("a", 3000), "", false, "too long"},
	}
	for _, tt := range tests {
		r, err := forge.ParseRepositoryRef(tt.in, base)
		if tt.err != "" {
			if err == nil || forge.ErrorCode(err) != forge.EInvalid || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: err = %v, want invalid with %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || r.Path != tt.path || r.Bare != tt.bare {
			t.Errorf("%q = %+v, %v; want %s (bare %v)", tt.in, r, err, tt.path, tt.bare)
		}
	}
	// An instance served below a path takes URLs below it only.
	if r, err := forge.ParseRepositoryRef("https://x.org/cairn/acme/site",
		"https://x.org/cairn"); err != nil || r.Path != "acme/site" {
		t.Errorf("below a base path: %+v, %v", r, err)
	}
	if _, err := forge.ParseRepositoryRef("https://x.org/acme/site", "https://x.org/cairn"); err == nil {
		t.Error("a URL outside the base path was accepted")
	}
}

func FuzzParseRepositoryRef(f *testing.F) {
	for _, s := range []string{"owner/repo", "a/b/c.git", "https://h/o/r", "site", "https://h/o/r/-/blob/x",
		"", "/", "..", "a/.git"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := forge.ParseRepositoryRef(s, "https://h")
		if err != nil {
			if forge.ErrorCode(err) != forge.EInvalid {
				t.Fatalf("%q: %v is not invalid", s, err)
			}
			return
		}
		if r.Path == "" || strings.HasPrefix(r.Path, "/") || strings.HasSuffix(r.Path, "/") ||
			strings.HasSuffix(r.Path, ".git") || r.Bare != !strings.Contains(r.Path, "/") {
			t.Fatalf("%q = %+v", s, r)
		}
		// What was read reads the same again, alone or as a URL.
		for _, again := range []string{r.Path, "https://h/" + r.Path, "https://h/" + r.Path + ".git"} {
			if r2, err := forge.ParseRepositoryRef(again, "https://h"); err != nil || r2 != r {
				t.Fatalf("%q = %+v, but %q = %+v, %v", s, r, again, r2, err)
			}
		}
	})
}

func TestRepositoryByRefResolvesEveryFormat(t *testing.T) {
	f := newAgentFixture(t, forge.Config{})
	ctx := context.Background()
	f.forge.Repositories.SetExternalURL("http://cairn.test:3000")
	f.project("site", map[string]string{"README.md": "# site\n"})
	f.project("unique", map[string]string{"README.md": "# unique\n"})
	for _, g := range []string{"acme", "beta"} {
		g := g
		if _, err := f.forge.Projects.CreateGroup(ctx, f.root, forge.GroupInput{Name: &g, Path: &g}); err != nil {
			t.Fatal(err)
		}
		name, ns := "site", g
		if _, err := f.forge.Projects.CreateProject(ctx, f.root,
			forge.ProjectInput{Name: &name, NamespaceRef: ns}, 0); err != nil {
			t.Fatal(err)
		}
	}
	sub, parent := "web", "acme"
	gv, err := f.forge.Projects.GroupByRef(ctx, f.root, forge.ParseRef(parent))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.forge.Projects.CreateGroup(ctx, f.root,
		forge.GroupInput{Name: &sub, Path: &sub, ParentID: &gv.ID}); err != nil {
		t.Fatal(err)
	}
	deep := "portal"
	if _, err := f.forge.Projects.CreateProject(ctx, f.root,
		forge.ProjectInput{Name: &deep, NamespaceRef: "acme/web"}, 0); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		ref, want string
		code      forge.Code
	}{
		{"root/site", "root/site", ""},
		{"acme/web/portal", "acme/web/portal", ""},
		{"http://cairn.test:3000/acme/site", "acme/site", ""},
		{"http://cairn.test:3000/acme/web/portal.git", "acme/web/portal", ""},
		{"unique", "root/unique", ""},
		{"PORTAL", "acme/web/portal", ""},
		{"site", "", forge.EInvalid},
		{"nowhere", "", forge.ENotFound},
		{"acme/nowhere", "", forge.ENotFound},
		{"http://elsewhere/acme/site", "", forge.EInvalid},
	}
	for _, tt := range tests {
		v, err := f.forge.Repositories.RepositoryByRef(ctx, f.root, tt.ref)
		if tt.code != "" {
			if forge.ErrorCode(err) != tt.code {
				t.Errorf("%q: err = %v, want %s", tt.ref, err, tt.code)
			}
			continue
		}
		if err != nil || v.FullPath() != tt.want {
			t.Errorf("%q = %s, %v; want %s", tt.ref, v.FullPath(), err, tt.want)
		}
	}
	_, err = f.forge.Repositories.RepositoryByRef(ctx, f.root, "site")
	if e := forge.ErrorOf(err); strings.Join(e.Candidates, " ") != "acme/site beta/site root/site" ||
		!strings.Contains(e.Message, "acme/site, beta/site, root/site") {
		t.Errorf("ambiguous: %+v", e)
	}
}

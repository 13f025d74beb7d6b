package forge

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestValidatePath(t *testing.T) {
	tests := []struct {
		path string
		ok   bool
	}{
		{"gitlab-org", true},
		{"a", true},
		{"_x", true},
		{"my.project", true},
		{"v1.2-beta_3", true},
		{"", false},
		{"-x", false},
		{".x", false},
		{"x.", false},
		{"a..b", false},
		{"../etc", false},
		{"a/b", false},
		{"repo.git", false},
		{"feed.ATOM", false},
		{"ünïcode", false},
		{"sp ace", false},
		{strings.Repeat("a", 255), true},
		{strings.Repeat("a", 256), false},
	}
	for _, tt := range tests {
		if got := ValidatePath(tt.path) == ""; got != tt.ok {
			t.Errorf("ValidatePath(%q) ok = %v, want %v (%s)", tt.path, got, tt.ok, ValidatePath(tt.path))
		}
	}
	for _, reserved := range []string{"api", "API", "-", "users", "v1", "uploads", "snippets"} {
		if ValidateTopLevelPath(reserved) == "" {
			t.Errorf("ValidateTopLevelPath(%q) accepted a reserved name", reserved)
		}
	}
	// GitLab lets a user be called "user".
	for _, free := range []string{"user", "User", "user1"} {
		if problem := ValidateTopLevelPath(free); problem != "" {
			t.Errorf("ValidateTopLevelPath(%q): %s", free, problem)
		}
	}
}

func TestValidateName(t *testing.T) {
	tests := []struct {
		name  string
		group bool
		ok    bool
	}{
		{"My Project", false, true},
		{"Проект 2", false, true},
		{"café+co.", false, true},
		{"🚀 launch", false, true},
		{"Acme (EU)", true, true},
		{"Acme (EU)", false, false},
		{" lead", false, false},
		{"", false, false},
		{"-dash", false, false},
		{"a/b", false, false},
		{"\xff", false, false},
	}
	for _, tt := range tests {
		if got := ValidateName(tt.name, tt.group) == ""; got != tt.ok {
			t.Errorf("ValidateName(%q, %v) ok = %v, want %v", tt.name, tt.group, got, tt.ok)
		}
	}
}

func TestSlug(t *testing.T) {
	tests := map[string]string{
		"My Project":     "my-project",
		"  Hello, World": "hello-world",
		"a..b":           "a.b",
		"site.git":       "site",
		"Проект":         "",
		"Café Über":      "cafe-uber",
		"Łódź Straße":    "lodz-strasse",
		"ÆØÅ":            "aeoa",
		"İstanbul":       "istanbul",
		"x_y.z":          "x_y.z",
	}
	for in, want := range tests {
		if got := Slug(in); got != want {
			t.Errorf("Slug(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzPathRules checks that path and name validation never panic, that every accepted path
// is safe to use as a directory and URL segment, and that a slug is empty or a valid path.
func FuzzPathRules(f *testing.F) {
	for _, s := range []string{"gitlab-org", "..", "a/../b", "x.git", "ünï", "", "-", "a..b", "api",
		"My Project", "🚀"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if ValidatePath(s) == "" {
			if s == "" || strings.ContainsAny(s, "/\\\x00 %?#") || strings.Contains(s, "..") || s == "." ||
				!utf8.ValidString(s) {
				t.Fatalf("ValidatePath accepted unsafe %q", s)
			}
		}
		ValidateTopLevelPath(s)
		ValidateName(s, false)
		ValidateName(s, true)
		if slug := Slug(s); slug != "" && ValidatePath(slug) != "" {
			t.Fatalf("Slug(%q) = %q, which is not a valid path: %s", s, slug, ValidatePath(slug))
		}
	})
}

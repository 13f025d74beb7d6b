package forge_test

import (
	"sort"
	"strings"
	"testing"

	"github.com/cairn-forge/cairn/forge"
)

func TestNameMatchesGitLabSearch(t *testing.T) {
	tests := []struct {
		name, search string
		want         bool
	}{
		{"feature/login", "", true},
		{"feature/login", "LOGIN", true},
		{"feature/login", "^feat", true},
		{"feature/login", "^login", false},
		{"feature/login", "login$", true},
		{"feature/login", "feature$", false},
		{"main", "^main$", true},
		{"mainline", "^main$", false},
		{"a$b", "$", true},
	}
	for _, tt := range tests {
		if got := forge.NameMatches(tt.name, tt.search); got != tt.want {
			t.Errorf("NameMatches(%q, %q) = %v, want %v", tt.name, tt.search, got, tt.want)
		}
	}
}

func TestCompareVersionsSortsLikeGit(t *testing.T) {
	// git tag --sort=version:refname orders these so.
	want := []string{"1.0", "1.0.1", "1.2", "1.10", "beta", "v0.9", "v1.9", "v1.10", "v1.10.1", "v2", "v10"}
	got := append([]string(nil), want...)
	sort.Slice(got, func(i, j int) bool { return got[len(got)-1-i] < got[len(got)-1-j] }) // shuffle deterministically
	sort.SliceStable(got, func(i, j int) bool { return forge.CompareVersions(got[i], got[j]) < 0 })
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("order %v, want %v", got, want)
	}
}

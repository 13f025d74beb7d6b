package gitdev

import (
	"strings"
	"testing"
)

func TestSubpath(t *testing.T) {
	tests := []struct {
		escaped string
		ref     string
		sub, ok bool
	}{
		{"repo_1", "repo_1", false, true},
		{"repo_1/deployments", "repo_1", true, true},
		{"acme/app", "acme/app", false, true},
		{"acme%2Fapp", "acme/app", false, true},
		{"acme/app/deployments", "acme/app", true, true},
		{"acme%2Fapp/deployments", "acme/app", true, true},
		{"acme/web/app/deployments", "acme/web/app", true, true},
		// "acme" names no repository, so this is the project acme/deployments.
		{"acme/deployments", "acme/deployments", false, true},
		// An escaped slug is one segment: the project named deployments in acme/web.
		{"acme%2Fweb%2Fdeployments", "acme/web/deployments", false, true},
		{"acme/web/deployments", "acme/web", true, true},
		{"acme%2Fapp%2Fdeployments/deployments", "acme/app/deployments", true, true},
		{"deployments", "deployments", false, true},
		{"", "", false, false},
		{"acme//app", "", false, false},
		{"acme/app/", "", false, false},
		{"/acme", "", false, false},
		{"acme/%zz", "", false, false},
	}
	for _, tt := range tests {
		ref, sub, ok := subpath(tt.escaped, "deployments", isRepoRef)
		if ref != tt.ref || sub != tt.sub || ok != tt.ok {
			t.Errorf("subpath(%q) = %q, %v, %v; want %q, %v, %v", tt.escaped, ref, sub, ok, tt.ref, tt.sub, tt.ok)
		}
	}
}

// FuzzSubpath holds that reading a path below a collection never fails loudly and that an
// accepted reference is never empty and never begins or ends with a slash.
func FuzzSubpath(f *testing.F) {
	for _, s := range []string{"repo_1/deployments", "acme%2Fapp/deployments", "a/b/c", "%zz", "a//b",
		"%2F%2F/deployments"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, escaped string) {
		ref, sub, ok := subpath(escaped, "deployments", isRepoRef)
		if !ok {
			return
		}
		if ref == "" {
			t.Fatalf("subpath(%q) accepted an empty reference", escaped)
		}
		if sub && !isRepoRef(ref) {
			t.Fatalf("subpath(%q) = %q as a repository, which is no reference", escaped, ref)
		}
		if _, err := projectRef(ref); err == nil && (strings.HasPrefix(ref, "/") || strings.HasSuffix(ref, "/")) {
			t.Fatalf("projectRef(%q) accepted a slash at an end", ref)
		}
	})
}

package opencodehub

import (
	"strings"
	"testing"
)

func TestParseRepoPath(t *testing.T) {
	tests := []struct {
		path string
		ok   bool
		want target
	}{
		{"owner/repo", true, target{kind: targetRepo, repo: "owner/repo"}},
		{"owner/repo/pulls", true, target{kind: targetPulls, repo: "owner/repo"}},
		{"owner/repo/pulls/3", true, target{kind: targetPull, repo: "owner/repo", pull: pullRef{n: 3}}},
		{"owner/repo/pulls/pr-9", true, target{kind: targetPull, repo: "owner/repo", pull: pullRef{n: 9, byID: true}}},
		{"owner/repo/pulls/3/merge", true, target{kind: targetMerge, repo: "owner/repo", pull: pullRef{n: 3}}},
		// Nested groups, with plain or encoded slashes.
		{"acme/platform/api", true, target{kind: targetRepo, repo: "acme/platform/api"}},
		{"acme%2Fplatform/api/pulls", true, target{kind: targetPulls, repo: "acme/platform/api"}},
		{"acme/platform/api/pulls/2/merge", true,
			target{kind: targetMerge, repo: "acme/platform/api", pull: pullRef{n: 2}}},
		{"acme%2Fapi", true, target{kind: targetRepo, repo: "acme/api"}},
		// Ids, with or without their prefix.
		{"repo-12", true, target{kind: targetRepo, repo: "12"}},
		{"12", true, target{kind: targetRepo, repo: "12"}},
		{"repo-12/pulls", true, target{kind: targetPulls, repo: "12"}},
		{"repo-12/pulls/1/merge", true, target{kind: targetMerge, repo: "12", pull: pullRef{n: 1}}},
		// The longest action suffix wins; an encoded path reaches a project named pulls.
		{"a/b/pulls/pulls", true, target{kind: targetPulls, repo: "a/b/pulls"}},
		{"a%2Fb%2Fpulls", true, target{kind: targetRepo, repo: "a/b/pulls"}},
		// A segment that is not a number names no pull request of the repository.
		{"owner/repo/pulls/abc", true, target{kind: targetPull, repo: "owner/repo"}},
		{"owner/repo/pulls/-1", true, target{kind: targetPull, repo: "owner/repo"}},
		// A number that names no pull request (zero, too large) is still a pull request's path.
		{"owner/repo/pulls/0", true, target{kind: targetPull, repo: "owner/repo", pull: pullRef{}}},
		{"owner/repo/pulls/99999999999999999999", true, target{kind: targetPull, repo: "owner/repo", pull: pullRef{}}},
		{"owner/repo/pulls/pr-99999999999999999999/merge", true,
			target{kind: targetMerge, repo: "owner/repo", pull: pullRef{byID: true}}},
		{"owner", false, target{}},
		{"repo-0", false, target{}},
		{"owner/repo/", false, target{}},
		{"/owner/repo", false, target{}},
		{"owner//repo", false, target{}},
		{"%zz/repo", false, target{}},
		{"%2F/repo", false, target{}},
		{"", false, target{}},
		{strings.Repeat("a/", 40) + "b", false, target{}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got, ok := parseRepoPath(tt.path)
			if ok != tt.ok || ok && got != tt.want {
				t.Fatalf("parseRepoPath(%q) = %+v, %v; want %+v, %v", tt.path, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestParseIDs(t *testing.T) {
	tests := []struct {
		prefix, s string
		want      int64
		ok        bool
	}{
		{repoIDPrefix, "repo-123", 123, true},
		{repoIDPrefix, "123", 123, true},
		{userIDPrefix, "user-456", 456, true},
		{userIDPrefix, "repo-456", 0, false},
		{repoIDPrefix, "repo-", 0, false},
		{repoIDPrefix, "repo-0", 0, false},
		{repoIDPrefix, "repo--1", 0, false},
		{repoIDPrefix, "repo-1x", 0, false},
		{repoIDPrefix, "repo-99999999999999999999", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseID(tt.prefix, tt.s)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseID(%q, %q) = %d, %v; want %d, %v", tt.prefix, tt.s, got, ok, tt.want, tt.ok)
		}
	}
	if s := formatID(repoIDPrefix, 123); s != "repo-123" {
		t.Errorf("formatID = %q", s)
	}
}

// FuzzParseRepoPath holds the parser of request paths to what its callers rely on: no
// panic, and a repository reference that is an id or a path of non-empty segments.
func FuzzParseRepoPath(f *testing.F) {
	for _, s := range []string{"owner/repo", "owner/repo/pulls/3/merge", "acme%2Fplatform/api/pulls",
		"repo-12/pulls/pr-4",
		"a/b/pulls/pulls", "%zz", "a//b", "pulls/1/merge", "repo-1/pulls/1/merge/merge"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		got, ok := parseRepoPath(path)
		if !ok {
			return
		}
		if got.repo == "" || strings.HasPrefix(got.repo, "/") || strings.HasSuffix(got.repo, "/") ||
			strings.Contains(got.repo, "//") {
			t.Fatalf("parseRepoPath(%q): repository %q", path, got.repo)
		}
		if !strings.Contains(got.repo, "/") {
			if _, isID := parseID("", got.repo); !isID {
				t.Fatalf("parseRepoPath(%q): %q is neither a path nor an id", path, got.repo)
			}
		}
		// Only pull request paths name one; theirs may name none (zero, "abc"), to be not found.
		if got.kind != targetPull && got.kind != targetMerge && got.pull != (pullRef{}) {
			t.Fatalf("parseRepoPath(%q): kind %d with pull %+v", path, got.kind, got.pull)
		}
	})
}

package web

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzLocalRedirect checks that a sign-in's redirect target, whatever it is, leads to a page
// of this site: resolved against the site's address, it keeps the site's host.
func FuzzLocalRedirect(f *testing.F) {
	for _, s := range []string{"/", "/acme/site?x=1#L2", "//evil.example", "/\\evil.example", "https://evil.example",
		"/\t/evil.example", "javascript:alert(1)", "/%2F%2Fevil.example", "/..//evil.example", "\x00",
		"/users/sign_in"} {
		f.Add(s)
	}
	site, _ := url.Parse("https://cairn.example/dashboard")
	f.Fuzz(func(t *testing.T, target string) {
		got := localRedirect(target)
		if got != "/" && got != target {
			t.Fatalf("localRedirect(%q) = %q: neither the target nor /", target, got)
		}
		u, err := url.Parse(got)
		if err != nil {
			t.Fatalf("localRedirect(%q) = %q, which does not parse: %v", target, got, err)
		}
		// Browsers read a backslash as a slash and drop tabs and newlines: none may remain.
		if strings.ContainsAny(got, "\\\t\r\n") || site.ResolveReference(u).Host != site.Host {
			t.Fatalf("localRedirect(%q) = %q leaves the site", target, got)
		}
	})
}

// FuzzParsePatch checks that any patch text reads into lines without a panic, with line
// numbers that never go below zero, and no more lines than asked.
func FuzzParsePatch(f *testing.F) {
	f.Add("@@ -1,3 +1,4 @@\n a\n-b\n+c\n+d\n e\n\\ No newline at end of file\n")
	f.Add("@@ -0,0 +1 @@\n+x\n")
	f.Add("@@ -99999999999999999999,1 +1 @@\n-x\n")
	f.Add("@@ garbage\n+\n-\n \n")
	f.Fuzz(func(t *testing.T, patch string) {
		lines, truncated := parsePatch(patch, 50)
		if len(lines) > 50 || truncated && len(lines) != 50 {
			t.Fatalf("%d lines, truncated %v", len(lines), truncated)
		}
		for _, l := range lines {
			if l.Old < 0 || l.New < 0 {
				t.Fatalf("negative line number in %+v", l)
			}
		}
	})
}

// FuzzExpandGaps checks that the hidden lines of any patch, shown from a file of any length,
// come in order, numbered inside the file, each at most once, without a panic.
func FuzzExpandGaps(f *testing.F) {
	f.Add("@@ -8,6 +8,8 @@ x\n a\n b\n c\n+d\n+e\n f\n g\n h\n@@ -47,7 +49,7 @@\n a\n a\n a\n-b\n+c\n a\n a\n a\n", 100, 20)
	f.Add("@@ -1 +1 @@\n-a\n+b\n", 3, 5)
	f.Add("@@ -5,3 +0,0 @@\n a\n a\n a\n", 0, 1)
	f.Fuzz(func(t *testing.T, patch string, fileLen, n int) {
		if fileLen < 0 || fileLen > 10000 || n <= 0 {
			return
		}
		text := make([]string, fileLen)
		lines, _ := parsePatch(patch, 1000)
		gaps := gapsOf(lines)
		shown := map[int][]diffLine{}
		total := 0
		for g, gp := range gaps {
			shown[g] = gapLines(gp, n, text)
			total += len(shown[g])
			for i, l := range shown[g] {
				if l.New < 1 || l.New > fileLen || i > 0 && l.New != shown[g][i-1].New+1 {
					t.Fatalf("gap %+v: line %d of a file of %d", gp, l.New, fileLen)
				}
			}
		}
		if got := len(spliceGaps(lines, gaps, shown)); got != len(lines)+total {
			t.Fatalf("%d lines after splicing %d into %d", got, total, len(lines))
		}
	})
}

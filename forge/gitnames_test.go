package forge

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/cairn-forge/cairn/gitstore"
)

func TestRefNameRuleIsGitsWithGitLabsOnTop(t *testing.T) {
	hex40 := strings.Repeat("a1", 20)
	tests := []struct {
		name           string
		branch, tag    bool // valid as a branch, as a tag
		protectedRule  bool // valid as the name of a protection rule
		problemContain string
	}{
		{"main", true, true, true, ""},
		{"feature/new", true, true, true, ""},
		{"implement_@all", true, true, true, ""},
		{"#1", true, true, true, ""},
		{"v1.0.0", true, true, true, ""},
		{"feature/refs/heads/foo", true, true, true, ""},
		{"ünïcode", true, true, true, ""},
		{hex40 + "-suffix", true, false, true, ""},
		{"x" + hex40, true, true, true, ""},
		{"", false, false, false, "blank"},
		{" ", false, false, false, "blank"},
		{"HEAD", false, false, false, "HEAD"},
		{"-x", false, false, false, "'-'"},
		{"refs/heads/x", false, false, false, "refs/"},
		{"refs/tags/v0", false, false, false, "refs/"},
		{hex40, false, false, false, "hexadecimal"},
		{hex40 + "/x", false, false, false, "hexadecimal"},
		{"main ", false, false, false, "git reference"},
		{"a..b", false, false, false, "git reference"},
		{"a b", false, false, false, "git reference"},
		{"a\x01b", false, false, false, "git reference"},
		{"a\nb", false, false, false, "git reference"},
		{"a\x00b", false, false, false, "null bytes"},
		{"a\xffb", false, false, false, "UTF-8"},
		{"a~b", false, false, false, ""},
		{"a^b", false, false, false, ""},
		{"a:b", false, false, false, ""},
		{"a?b", false, false, false, ""},
		{"a[b", false, false, false, ""},
		{"a\\b", false, false, false, ""},
		{"a@{b", false, false, false, ""},
		{"@", false, false, false, "HEAD"},
		{"a/", false, false, false, ""},
		{"/a", false, false, false, ""},
		{"a//b", false, false, false, ""},
		{"a.", false, false, false, ""},
		{".a", false, false, false, ""},
		{"a/.b", false, false, false, ""},
		{"a.lock", false, false, false, ""},
		{"a.lock/b", false, false, false, ""},
		{strings.Repeat("n", 255), true, true, true, ""},
		{strings.Repeat("n", 256), false, false, false, "255 bytes"},
		{strings.Repeat("é", 128), false, false, false, "255 bytes"},
		{"release-*", false, false, true, ""},
		{"*", false, false, true, ""},
		{"*-\x01", false, false, false, ""},
	}
	for _, tt := range tests {
		got := map[string]string{"branch": ValidateBranchName(tt.name), "tag": ValidateTagName(tt.name),
			"protection rule": ValidateProtectedName(tt.name)}
		want := map[string]bool{"branch": tt.branch, "tag": tt.tag, "protection rule": tt.protectedRule}
		for kind, problem := range got {
			if (problem == "") != want[kind] {
				t.Errorf("%q as a %s: problem %q, want valid=%v", tt.name, kind, problem, want[kind])
			}
		}
		if tt.problemContain != "" && !strings.Contains(got["branch"], tt.problemContain) {
			t.Errorf("%q as a branch: problem %q, want it to say %q", tt.name, got["branch"], tt.problemContain)
		}
	}
}

func TestFilePathRuleRefusesWhatCannotBeCheckedOutOrRead(t *testing.T) {
	tests := []struct {
		path, clean, problem string
	}{
		{"README.md", "README.md", ""},
		{"/docs/a b.md/", "docs/a b.md", ""},
		{"ünï/cödé.go", "ünï/cödé.go", ""},
		{".gitlab-ci.yml", ".gitlab-ci.yml", ""},
		{strings.Repeat("n", 255), strings.Repeat("n", 255), ""},
		{strings.Repeat(strings.Repeat("d", 100)+"/", 40) + "f",
			strings.Repeat(strings.Repeat("d", 100)+"/", 40) + "f", ""},
		{"", "", "can't be blank"},
		{"/", "", "can't be blank"},
		{"a\nb", "", "control characters"},
		{"a\rb", "", "control characters"},
		{"a\tb", "", "control characters"},
		{"a\x1b[31mb", "", "control characters"},
		{"a\u0085b", "", "control characters"},
		{"a\x00b", "", "null bytes"},
		{"a\xffb", "", "UTF-8"},
		{"   ", "", "blanks only"},
		{"dir/ \t/x", "", "blanks only"},
		{"dir/  /x", "", "blanks only"},
		{strings.Repeat("n", 256), "", "255 bytes"},
		{strings.Repeat("x", 5000), "", "4096 bytes"},
		{strings.Repeat(strings.Repeat("d", 100)+"/", 41), "", "4096 bytes"},
		{"../x", "", "valid file path"},
		{"a/./b", "", "valid file path"},
		{"a//b", "", "valid file path"},
		{".git/config", "", "valid file path"},
		{"x/.GIT/hooks", "", "valid file path"},
		{"git~1/x", "", "valid file path"},
		{".git./x", "", "valid file path"},
	}
	for _, tt := range tests {
		clean, problem := ValidateFilePath(tt.path)
		if clean != tt.clean || !strings.Contains(problem, tt.problem) || (problem == "") != (tt.problem == "") {
			t.Errorf("ValidateFilePath(%.60q) = %.60q, %q; want %.60q, %q", tt.path, clean, problem, tt.clean,
				tt.problem)
		}
	}
}

func TestIdentityRuleRefusesWhatForgesACommitHeader(t *testing.T) {
	tests := []struct {
		value, problem string
	}{
		{"Ada Lovelace", ""},
		{"ada@example.com", ""},
		{"Zoë O'Brien-Ünal (ops)", ""},
		{"m@x.com> 1700000000 +0000\ncommitter Linus Torvalds <torvalds@linux-foundation.org", "'<', '>' or newlines"},
		{"Eve <eve@example.com>", "'<', '>' or newlines"},
		{"a>b", "'<', '>' or newlines"},
		{"line\nbreak", "'<', '>' or newlines"},
		{"tab\there", "control characters"},
		{"nul\x00", "null bytes"},
		{"bad\xff", "UTF-8"},
		{strings.Repeat("n", 256), "255 characters"},
	}
	for _, tt := range tests {
		if got := validateIdentity(tt.value); !strings.Contains(got, tt.problem) || (got == "") != (tt.problem == "") {
			t.Errorf("validateIdentity(%.40q) = %q, want %q", tt.value, got, tt.problem)
		}
	}
	// A profile's name is made fit rather than refused: its owner did not ask for this commit.
	for in, want := range map[string]string{
		"Eve <eve@example.com>": "Eve eve@example.com",
		" Ada\n":                "Ada",
		"<>":                    "",
		"bad\xffbyte":           "badbyte",
	} {
		if got := gitIdentity(in); got != want {
			t.Errorf("gitIdentity(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPushTitleIsTheFirstLineCutAsGitLabCutsIt(t *testing.T) {
	long := strings.Repeat("a", 100)
	tests := []struct{ message, want string }{
		{"Fix the build\n\nA body.\n", "Fix the build"},
		{"  padded  \nbody", "padded"},
		{strings.Repeat("x", 70), strings.Repeat("x", 70)},
		{strings.Repeat("x", 71), strings.Repeat("x", 67) + "..."},
		{long + "\n" + long, strings.Repeat("a", 67) + "..."},
		{strings.Repeat("é", 80), strings.Repeat("é", 67) + "..."},
		{strings.Repeat("y", 10<<20), strings.Repeat("y", 67) + "..."},
		{"", ""},
		{"bad\xffbyte", "bad\uFFFDbyte"},
	}
	for _, tt := range tests {
		if got := pushTitle(tt.message); got != tt.want {
			t.Errorf("pushTitle(%.40q) = %q, want %q", tt.message, got, tt.want)
		}
	}
}

func FuzzRefNameRules(f *testing.F) {
	for _, s := range []string{"main", "feature/x", "-x", "HEAD", "refs/heads/x", "a..b", "a.lock", "@", "a@{1}",
		"release-*", strings.Repeat("f", 40), "main ", "a\x00b", "é", "a/.b", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		for _, kind := range []struct {
			prefix string
			check  func(string) string
		}{{"refs/heads/", ValidateBranchName}, {"refs/tags/", ValidateTagName}} {
			if kind.check(name) != "" {
				continue
			}
			switch {
			case !gitstore.CheckRefFormat(kind.prefix + name):
				t.Fatalf("%q is valid but git refuses %s%s", name, kind.prefix, name)
			case !utf8.ValidString(name) || len(name) > 255 || name == "HEAD" || strings.HasPrefix(name, "-") ||
				strings.HasPrefix(name, "refs/") || strings.ContainsAny(name, "\x00\n*"):
				t.Fatalf("%q is valid as %s but breaks a rule", name, kind.prefix)
			}
		}
		if ValidateProtectedName(name) == "" &&
			!gitstore.CheckRefFormat("refs/heads/"+strings.ReplaceAll(name, "*", "x")) {
			t.Fatalf("protection rule %q is valid but no branch could match it", name)
		}
	})
}

func FuzzFilePathRule(f *testing.F) {
	for _, s := range []string{"README.md", "a/b/c.go", "../x", ".git/config", "a\nb", "   ", "/a/", "a//b",
		"git~1", ".GIT", "ü/ß", "a\x00", "\xff", strings.Repeat("x", 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		clean, problem := ValidateFilePath(p)
		if problem != "" {
			if clean != "" {
				t.Fatalf("ValidateFilePath(%q) refused it but returned %q", p, clean)
			}
			return
		}
		if clean == "" || len(clean) > 4096 || !utf8.ValidString(clean) || strings.HasPrefix(clean, "/") ||
			strings.HasSuffix(clean, "/") {
			t.Fatalf("ValidateFilePath(%q) = %q", p, clean)
		}
		if again, _ := gitstore.CleanPath(clean); again != clean {
			t.Fatalf("ValidateFilePath(%q) = %q, which gitstore cleans to %q", p, clean, again)
		}
		for _, name := range strings.Split(clean, "/") {
			if !gitstore.EntryNameAllowed(name) || len(name) > 255 || strings.TrimSpace(name) == "" ||
				strings.IndexFunc(name, unicode.IsControl) >= 0 {
				t.Fatalf("ValidateFilePath(%q) let %q through", p, name)
			}
		}
	})
}

package forge_test

import (
	"strings"
	"testing"

	"github.com/cairn-forge/cairn/forge"
)

// An environment's slug is safe in a URL and a DNS label whatever the name a client sends:
// lowercase letters, digits and single dashes, starting with a letter, at most 24
// characters, not ending with a dash; the tier guessed from the name is one of the five.
func FuzzEnvironmentSlug(f *testing.F) {
	for _, s := range []string{"production", "review/fix-123", "Prod", "", "1st", "--", "a-", "日本語",
		"review/a-very-long-branch-name-that-goes-on", "${CI_COMMIT_REF_NAME}", "staging 2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		slug := forge.EnvironmentSlug(name)
		if slug == "" || len(slug) > 24 || slug[0] < 'a' || slug[0] > 'z' || strings.HasSuffix(slug, "-") ||
			strings.Contains(slug, "--") {
			t.Fatalf("EnvironmentSlug(%q) = %q", name, slug)
		}
		for _, c := range slug {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				t.Fatalf("EnvironmentSlug(%q) = %q holds %q", name, slug, c)
			}
		}
		if again := forge.EnvironmentSlug(name); again != slug {
			t.Fatalf("EnvironmentSlug(%q) is %q, then %q", name, slug, again)
		}
		switch tier := forge.GuessTier(name); tier {
		case forge.TierProduction, forge.TierStaging, forge.TierTesting, forge.TierDevelopment, forge.TierOther:
		default:
			t.Fatalf("GuessTier(%q) = %q", name, tier)
		}
	})
}

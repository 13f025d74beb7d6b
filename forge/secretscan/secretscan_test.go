package secretscan

import (
	"strings"
	"testing"
)

// Planted secrets of the fixtures: made up, shaped like the real thing.
const (
	plantedAWSKey     = "AKIAQ3EGRTWPZ5LX7NMB"
	plantedCairnToken = "cairn_pat_k7q2m4x9v3b8n5c6z1a0s2d4f6g8h1j3"
	plantedPrivateKey = "-----BEGIN RSA PRIVATE KEY-----\n" +
		"MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n" +
		"VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\n" +
		"-----END RSA PRIVATE KEY-----\n"
)

func TestScanFindsPlantedSecrets(t *testing.T) {
	s := Default()
	tests := []struct {
		name    string
		path    string
		content string
		want    []Finding
	}{
		{"aws key in a config", "config/deploy.env",
			"REGION=eu-west-1\nAWS_ACCESS_KEY_ID=" + plantedAWSKey + "\n",
			[]Finding{{RuleID: "aws-access-token", Line: 2, Column: 19, Redacted: "AKIA… (20 characters)"}}},
		{"private key", "keys/id_rsa", "# deploy key\n" + plantedPrivateKey,
			[]Finding{{RuleID: "private-key", Line: 2, Column: 1}}},
		{"cairn token", "ci.sh", "curl -H 'PRIVATE-TOKEN: " + plantedCairnToken + "' http://x\n",
			[]Finding{{RuleID: "cairn-personal-access-token", Line: 1, Column: 25, Redacted: "cair… (42 characters)"}}},
		{"clean go file", "main.go", "package main\n\nfunc main() { println(\"token bucket\") }\n", nil},
		{"documented example key is allowed", "README.md", "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n", nil},
		{"images are not scanned", "logo.png", "AWS_ACCESS_KEY_ID=" + plantedAWSKey, nil},
		{"gitleaks:allow excuses a line", "a.env", "KEY=" + plantedAWSKey + " # gitleaks:allow\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := s.Scan(tt.path, []byte(tt.content))
			if len(got) != len(tt.want) {
				t.Fatalf("got %d findings %+v, want %d", len(got), got, len(tt.want))
			}
			for i, w := range tt.want {
				g := got[i]
				if g.RuleID != w.RuleID || g.Line != w.Line || g.Column != w.Column {
					t.Errorf("finding %d = %s at %d:%d, want %s at %d:%d", i, g.RuleID, g.Line, g.Column,
						w.RuleID, w.Line, w.Column)
				}
				g.secret = ""
				if w.Redacted != "" && g.Redacted != w.Redacted {
					t.Errorf("finding %d redacted as %q, want %q", i, g.Redacted, w.Redacted)
				}
				for _, secret := range []string{plantedAWSKey, plantedCairnToken,
					"MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun"} {
					if strings.Contains(g.Message(), secret) {
						t.Errorf("finding %d echoes the secret: %s", i, g.Message())
					}
				}
			}
		})
	}
}

func TestRedactNeverShowsMoreThanAQuarter(t *testing.T) {
	for _, s := range []string{"", "a", "abcd", "abcdefgh", strings.Repeat("x", 100)} {
		r := Redact(s)
		shown, _, _ := strings.Cut(r, "…")
		if len(shown) > len(s)/4 || len(shown) > 4 {
			t.Errorf("Redact(%q) = %q shows %d characters", s, r, len(shown))
		}
	}
}

func TestKeywordMatcherAgreesWithContains(t *testing.T) {
	kws := []string{"akia", "ghp_", "-----begin", "key", "ey", "api", "cairn_pat_", "a"}
	m := newKeywordMatcher(kws)
	for _, text := range []string{"", "no match here", "AKIA", "xxGHP_yy", "MonKEY", "-----BEGIN", "cAiRn_PaT_"} {
		found := map[int]bool{}
		m.each([]byte(text), func(k int) { found[k] = true })
		for i, k := range kws {
			if want := strings.Contains(strings.ToLower(text), k); found[i] != want {
				t.Errorf("%q: keyword %q found=%v, want %v", text, k, found[i], want)
			}
		}
	}
}

func FuzzScan(f *testing.F) {
	f.Add("a.env", "AWS_ACCESS_KEY_ID="+plantedAWSKey)
	f.Add("id_rsa", plantedPrivateKey)
	f.Add("x", "\n\n\x00key=\xff")
	s := Default()
	kws := []string{"akia", "key", "-----begin", "ey"}
	m := newKeywordMatcher(kws)
	f.Fuzz(func(t *testing.T, path, content string) {
		for _, fd := range s.Scan(path, []byte(content)) {
			if fd.Line < 1 || fd.Column < 1 {
				t.Fatalf("finding at %d:%d", fd.Line, fd.Column)
			}
		}
		found := map[int]bool{}
		m.each([]byte(content), func(k int) { found[k] = true })
		for i, k := range kws {
			if want := strings.Contains(asciiLower(content), k); found[i] != want {
				t.Fatalf("%q: keyword %q found=%v, want %v", content, k, found[i], want)
			}
		}
	})
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

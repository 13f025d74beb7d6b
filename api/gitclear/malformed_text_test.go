package gitclear_test

import "testing"

func TestMalformedTextIsRefusedNamingTheField(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name   string
		path   string
		body   any
		detail string
	}{
		{"a NUL in a defect's description", "/critical_defects",
			form("defect_key=K-1", "resource_path=alloy", "detected_now=true", "description=a%00b"),
			"description cannot contain null bytes"},
		{"a byte that is not UTF-8 in a defect key", "/critical_defects",
			[]byte("{\"defect_key\": \"K\xff\", \"resource_path\": \"alloy\", \"detected_now\": true}"),
			"defect_key must be valid UTF-8"},
		{"a NUL in a release name", "/releases",
			map[string]any{"resource_path": repoPath, "release_sha": f.head, "name": "v\x001"},
			"name cannot contain null bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expect(t, f.call(t, "POST", tt.path, "dev", tt.body), 400, "action_none",
				"response_invalid_param", tt.detail)
		})
	}
	if len(f.defects(t)) != 0 || f.countReleases(t) != 0 {
		t.Fatalf("refused records were written: %d defects, %d releases", len(f.defects(t)), f.countReleases(t))
	}
}

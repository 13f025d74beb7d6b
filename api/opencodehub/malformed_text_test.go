package opencodehub_test

import (
	"net/http"
	"testing"
)

func TestMalformedTextIsRefusedNamingTheField(t *testing.T) {
	t.Parallel()
	f := newPullFixture(t)
	tests := []struct {
		name, path, body, field, constraint, message string
	}{
		{"a NUL in a repository name", "/api/repos", `{"name": "a\u0000b"}`, "name", "null_byte",
			"name cannot contain null bytes"},
		{"a byte that is not UTF-8 in a description", "/api/repos", "{\"name\": \"ok\", \"description\": \"caf\xe9\"}",
			"description", "invalid_utf8", "description must be valid UTF-8"},
		{"a NUL in a pull request body", "/api/repos/owner/repo/pulls",
			`{"title": "t", "head": "feature-branch", "base": "main", "body": "a\u0000"}`, "body",
			"null_byte", "body cannot contain null bytes"},
		{"a lone surrogate in a pull request title", "/api/repos/owner/repo/pulls",
			`{"title": "\udbff", "head": "feature-branch", "base": "main"}`, "title", "invalid_utf8",
			"title must be valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := fails(t, call(t, f.s, "POST", tt.path, f.token, tt.body), http.StatusBadRequest,
				"VALIDATION_ERROR", tt.field, tt.constraint)
			if e.Error.Message != tt.message {
				t.Fatalf("message %q, want %q", e.Error.Message, tt.message)
			}
		})
	}
	// Nothing was written.
	if r := call(t, f.s, "GET", "/api/repos/owner/ok", f.token, ""); r.StatusCode != http.StatusNotFound {
		t.Fatalf("a refused repository exists: %d %s", r.StatusCode, r.Body)
	}
	if list := ok[[]pullJSON](t, call(t, f.s, "GET", "/api/repos/owner/repo/pulls?state=all", f.token, ""),
		200).Data; len(list) != 0 {
		t.Fatalf("refused pull requests were opened: %+v", list)
	}
}

package gitlab_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"testing"
)

// TestMalformedTextIsRefusedNamingTheField sends text that cannot be stored as given (bytes
// that are not UTF-8, which JSON decoding would turn into U+FFFD, and NUL bytes) in every
// way a client may: JSON, escaped JSON, forms, multipart forms and the query string.
func TestMalformedTextIsRefusedNamingTheField(t *testing.T) {
	f := newRepoFixture(t, nil)
	mustDo(t, f.s, http.StatusCreated, "POST", f.url("/issues"), f.token, map[string]any{"title": "the issue"})
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	_ = mw.WriteField("title", "ok")
	_ = mw.WriteField("description", "a\x00b")
	_ = mw.Close()
	wantRefused(t, f.s, f.token, f.url(""), []refusal{
		{"a byte that is not UTF-8 in JSON", "POST", "/issues", []byte("{\"title\":\"a\xffb\"}"),
			`{"error":"title must be valid UTF-8"}`},
		{"a truncated UTF-8 sequence in JSON", "POST", "/issues",
			[]byte("{\"title\":\"t\",\"description\":\"caf\xc3\"}"),
			`{"error":"description must be valid UTF-8"}`},
		{"an escaped NUL in JSON", "POST", "/issues", []byte(`{"title":"t","description":"a\u0000b"}`),
			`{"error":"description cannot contain null bytes"}`},
		{"a lone surrogate in JSON", "POST", "/issues", []byte(`{"title":"\ud800x"}`),
			`{"error":"title must be valid UTF-8"}`},
		{"a lone low surrogate in JSON", "POST", "/issues", []byte(`{"title":"\uDC00"}`),
			`{"error":"title must be valid UTF-8"}`},
		{"a NUL in a nested JSON field", "POST", "/repository/commits",
			[]byte(`{"branch":"main","commit_message":"m","actions":[{"action":"create","file_path":"a","content":"x"},` +
				`{"action":"create","file_path":"b","content":"a\u0000"}]}`),
			`{"error":"actions[1][content] cannot contain null bytes"}`},
		{"a NUL in a form", "POST", "/issues", "title=a%00b", `{"error":"title cannot contain null bytes"}`},
		{"a byte that is not UTF-8 in a form", "POST", "/issues", "title=%FF", `{"error":"title must be valid UTF-8"}`},
		{"a NUL in the query string of a write", "POST", "/issues?title=a%00b", nil,
			`{"error":"title cannot contain null bytes"}`},
		{"a NUL in a note", "POST", "/issues/1/notes", map[string]any{"body": "a\x00b"},
			`{"error":"body cannot contain null bytes"}`},
		{"a NUL in a project description", "PUT", "", map[string]any{"description": "a\x00b"},
			`{"error":"description cannot contain null bytes"}`},
		{"a NUL in a label", "POST", "/labels", map[string]any{"name": "a\x00b", "color": "red"},
			`{"error":"name cannot contain null bytes"}`},
		{"a NUL in a merge request title", "POST", "/merge_requests",
			map[string]any{"source_branch": "x", "target_branch": "main", "title": "a\x00b"},
			`{"error":"title cannot contain null bytes"}`},
		{"a NUL in a release description", "POST", "/releases",
			map[string]any{"tag_name": "v1", "ref": "main", "description": "a\x00b"},
			`{"error":"description cannot contain null bytes"}`},
		{"a NUL in an environment name", "POST", "/environments", map[string]any{"name": "a\x00b"},
			`{"error":"name cannot contain null bytes"}`},
		{"a NUL in a key", "POST", "/issues", []byte(`{"title":"t","x\u0000y":"z"}`),
			`{"error":"body cannot contain null bytes"}`},
	})
	wantJSON(t, f.do("POST", "/issues", f.token, mp.Bytes(), "Content-Type", mw.FormDataContentType()),
		http.StatusBadRequest,
		`{"error":"description cannot contain null bytes"}`)
	// Nothing was written; text in other scripts, and surrogate pairs, are fine.
	for path, want := range map[string]string{"/issues": "1", "/labels": "0", "/merge_requests": "0",
		"/releases": "0", "/environments": "0"} {
		if got := f.do("GET", path, f.token, nil).Header.Get("X-Total"); got != want {
			t.Errorf("%s: X-Total %q, want %q", path, got, want)
		}
	}
	is := decode[map[string]any](t, mustDo(t, f.s, http.StatusCreated, "POST", f.url("/issues"), f.token,
		[]byte(`{"title":"\ud83d\ude80 Zoë 日本 \u00e9"}`)))
	if is["title"] != "🚀 Zoë 日本 é" {
		t.Fatalf("title %q", is["title"])
	}
}

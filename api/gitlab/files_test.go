package gitlab_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type fileJSON struct {
	FileName        string `json:"file_name"`
	FilePath        string `json:"file_path"`
	Size            int64  `json:"size"`
	Encoding        string `json:"encoding"`
	Content         string `json:"content"`
	ContentSha256   string `json:"content_sha256"`
	Ref             string `json:"ref"`
	BlobID          string `json:"blob_id"`
	CommitID        string `json:"commit_id"`
	LastCommitID    string `json:"last_commit_id"`
	ExecuteFilemode bool   `json:"execute_filemode"`
}

func TestGetFileMetadataAndContent(t *testing.T) {
	f := newRepoFixture(t, nil)
	c1 := f.commit("main", "add", create("lib/a.go", "package lib\n"), create("raw", "named raw\n"),
		create("blame", "named blame\n"))
	c2 := f.commit("main", "other file", create("other.txt", "o"))
	sum := sha256.Sum256([]byte("package lib\n"))

	for _, path := range []string{"lib%2Fa.go", "lib%2Fa%2Ego"} { // python-gitlab and Go client escapes
		got := decode[fileJSON](t,
			mustDo(t, f.s, 200, "GET", f.url("/repository/files/"+path+"?ref=main"), f.token, nil))
		content, _ := base64.StdEncoding.DecodeString(got.Content)
		if got.FileName != "a.go" || got.FilePath != "lib/a.go" || got.Size != 12 || got.Encoding != "base64" ||
			string(content) != "package lib\n" || got.ContentSha256 != hex.EncodeToString(sum[:]) ||
			got.Ref != "main" ||
			got.CommitID != c2.ID || got.LastCommitID != c1.ID || got.ExecuteFilemode || len(got.BlobID) != 40 {
			t.Fatalf("%s: %+v", path, got)
		}
	}

	// HEAD answers the metadata in headers, with no body.
	r := mustDo(t, f.s, 200, "HEAD", f.url("/repository/files/lib%2Fa.go?ref="+c2.ID), f.token, nil)
	want := map[string]string{"X-Gitlab-File-Name": "a.go", "X-Gitlab-File-Path": "lib/a.go", "X-Gitlab-Size": "12",
		"X-Gitlab-Commit-Id": c2.ID, "X-Gitlab-Last-Commit-Id": c1.ID, "X-Gitlab-Ref": c2.ID,
		"X-Gitlab-Encoding":       "base64",
		"X-Gitlab-Content-Sha256": hex.EncodeToString(sum[:]), "X-Gitlab-Execute-Filemode": "false"}
	for k, v := range want {
		if got := r.Header.Get(k); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
	if len(r.Body) != 0 {
		t.Errorf("HEAD has a body: %q", r.Body)
	}

	// Files named like the suffixed routes are still files.
	for name, content := range map[string]string{"raw": "named raw\n", "blame": "named blame\n"} {
		got := decode[fileJSON](t,
			mustDo(t, f.s, 200, "GET", f.url("/repository/files/"+name+"?ref=main"), f.token, nil))
		if got.FilePath != name {
			t.Fatalf("file %s: %+v", name, got)
		}
		raw := mustDo(t, f.s, 200, "GET", f.url("/repository/files/"+name+"/raw"), f.token, nil)
		if string(raw.Body) != content {
			t.Fatalf("raw of %s: %q", name, raw.Body)
		}
	}

	tests := []struct {
		name, path string
		code       int
		want       string
	}{
		{"no ref", "/repository/files/lib%2Fa.go", 400, `{"error":"ref is missing"}`},
		{"unknown ref", "/repository/files/lib%2Fa.go?ref=nope", 404, `{"message":"404 Commit Not Found"}`},
		{"unknown file", "/repository/files/nope.go?ref=main", 404, `{"message":"404 File Not Found"}`},
		{"a directory", "/repository/files/lib?ref=main", 404, `{"message":"404 File Not Found"}`},
		{"dot-dot", "/repository/files/lib%2F..%2Fraw?ref=main", 400,
			`{"error":"file_path should be a valid file path"}`},
		{"file at an older commit", "/repository/files/other.txt?ref=" + c1.ID, 404,
			`{"message":"404 File Not Found"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantJSON(t, f.do("GET", tt.path, f.token, nil), tt.code, tt.want) })
	}
}

func TestRawFileStreamsWithETag(t *testing.T) {
	f := newRepoFixture(t, nil)
	// A 3 MB binary, pushed with git so it lands in a pack.
	big := bytes.Repeat([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 'x', 0xff}, 256<<10)
	dir := t.TempDir()
	git(t, dir, "clone", "-q", f.repoDir(), "c")
	wc := filepath.Join(dir, "c")
	if err := os.WriteFile(filepath.Join(wc, "big.bin"), big, 0o755); err != nil {
		t.Fatal(err)
	}
	git(t, wc, "add", "big.bin")
	git(t, wc, "-c", "user.name=T", "-c", "user.email=t@example.com", "commit", "-q", "-m", "big")
	git(t, wc, "push", "-q", "origin", "main")

	r := mustDo(t, f.s, 200, "GET", f.url("/repository/files/big.bin/raw?ref=main"), f.token, nil)
	if !bytes.Equal(r.Body, big) {
		t.Fatalf("raw body: %d bytes, want %d", len(r.Body), len(big))
	}
	sum := sha256.Sum256(big)
	if r.Header.Get("Content-Type") != "application/octet-stream" ||
		r.Header.Get("X-Gitlab-Execute-Filemode") != "true" ||
		r.Header.Get("X-Gitlab-Content-Sha256") != hex.EncodeToString(sum[:]) ||
		!strings.HasPrefix(r.Header.Get("Content-Disposition"), "inline") {
		t.Fatalf("headers: %v", r.Header)
	}
	etag := r.Header.Get("ETag")
	blob := git(t, wc, "rev-parse", "HEAD:big.bin")
	if etag != `"`+blob+`"` {
		t.Fatalf("ETag %q, want the blob id %s", etag, blob)
	}
	r = mustDo(t, f.s, http.StatusNotModified, "GET", f.url("/repository/files/big.bin/raw"), f.token, nil,
		"If-None-Match", etag)
	if len(r.Body) != 0 {
		t.Fatal("304 with a body")
	}
	text := mustDo(t, f.s, 200, "GET", f.url("/repository/files/README.md/raw?ref=main"), f.token, nil)
	if text.Header.Get("Content-Type") != "text/plain; charset=utf-8" || string(text.Body) != "# demo\n" {
		t.Fatalf("README raw: %q %q", text.Header.Get("Content-Type"), text.Body)
	}
}

func TestCreateUpdateDeleteFiles(t *testing.T) {
	f := newRepoFixture(t, nil)
	dev := f.member("dev", 30)
	file := f.url("/repository/files/" + esc("src/app.rb"))

	wantJSON(t, f.s.Do(t, "POST", file, dev, map[string]any{"branch": "main", "commit_message": "add app",
		"content": "puts 1\n", "author_name": "Dev One", "author_email": "one@example.com"}), 201,
		`{"file_path":"src/app.rb","branch":"main"}`)
	head := decode[branchJSON](t, f.do("GET", "/repository/branches/main", f.token, nil)).Commit
	if head.Title != "add app" || head.AuthorName != "Dev One" || head.CommitterName != "dev" {
		t.Fatalf("commit of the create: %+v", head)
	}

	tests := []struct {
		name, method, token string
		body                any
		code                int
		want                string
	}{
		{"create again", "POST", dev, map[string]any{"branch": "main", "commit_message": "m", "content": "x"},
			400, `{"message":"A file with this name already exists"}`},
		{"missing params", "POST", dev, map[string]any{"content": "x"}, 400,
			`{"error":"branch is missing, commit_message is missing"}`},
		{"missing content", "PUT", dev, map[string]any{"branch": "main", "commit_message": "m"}, 400,
			`{"error":"content is missing"}`},
		{"stale update", "PUT", dev,
			map[string]any{"branch": "main", "commit_message": "m", "content": "x",
				"last_commit_id": strings.Repeat("1", 40)}, 400,
			`{"message":"You are attempting to update a file that has changed since you started editing it."}`},
		{"unchanged content", "PUT", dev,
			map[string]any{"branch": "main", "commit_message": "m", "content": "puts 1\n"}, 400,
			`{"message":"No changes were made to the files"}`},
		{"update", "PUT", dev,
			map[string]any{"branch": "main", "commit_message": "update app", "content": "cHV0cyAyCg==",
				"encoding": "base64", "last_commit_id": head.ID}, 200,
			`{"file_path":"src/app.rb","branch":"main"}`},
		{"update on a new branch", "PUT", dev,
			map[string]any{"branch": "feature", "start_branch": "main", "commit_message": "feature",
				"content": "puts 3\n"}, 200,
			`{"file_path":"src/app.rb","branch":"feature"}`},
		{"reporter", "PUT", f.member("rep", 20),
			map[string]any{"branch": "main", "commit_message": "m", "content": "x"}, 403, bodyForbidden},
		{"anonymous", "DELETE", "", "branch=main&commit_message=m", 401, bodyUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name,
			func(t *testing.T) { wantJSON(t, f.s.Do(t, tt.method, file, tt.token, tt.body), tt.code, tt.want) })
	}
	if got := mustDo(t, f.s, 200, "GET", file+"/raw?ref=main", f.token, nil); string(got.Body) != "puts 2\n" {
		t.Fatalf("after update: %q", got.Body)
	}
	if got := mustDo(t, f.s, 200, "GET", file+"/raw?ref=feature", f.token, nil); string(got.Body) != "puts 3\n" {
		t.Fatalf("on feature: %q", got.Body)
	}
	// python-gitlab deletes with its parameters in the query string.
	mustDo(t, f.s, 204, "DELETE", file+"?branch=main&commit_message=remove", dev, nil)
	wantJSON(t, f.s.Do(t, "GET", file+"?ref=main", f.token, nil), 404, `{"message":"404 File Not Found"}`)
	wantJSON(t, f.s.Do(t, "DELETE", file+"?branch=main&commit_message=again", dev, nil), 400,
		`{"message":"A file with this name doesn't exist"}`)

	// An executable file keeps its mode through updates.
	script := f.url("/repository/files/run.sh")
	mustDo(t, f.s, 201, "POST", script, dev,
		map[string]any{"branch": "main", "commit_message": "s", "content": "#!/bin/sh\n", "execute_filemode": true})
	mustDo(t, f.s, 200, "PUT", script, dev,
		map[string]any{"branch": "main", "commit_message": "s2", "content": "#!/bin/sh\nexit 0\n"})
	if got := decode[fileJSON](t, mustDo(t, f.s, 200, "GET", script+"?ref=main", dev, nil)); !got.ExecuteFilemode {
		t.Fatal("run.sh lost its execute bit")
	}
}

type blameJSON struct {
	Commit commitJSON `json:"commit"`
	Lines  []string   `json:"lines"`
}

func TestBlame(t *testing.T) {
	f := newRepoFixture(t, nil)
	c1 := f.commit("main", "first", create("poem.txt", "one\ntwo\nthree\nfour\n"))
	c2 := f.commit("main", "second",
		map[string]any{"action": "update", "file_path": "poem.txt", "content": "one\nTWO\nthree\nfour\nfive\n"})
	var got []blameJSON
	mustDo(t, f.s, 200, "GET", f.url("/repository/files/poem.txt/blame?ref=main"), f.token, nil).JSON(t, &got)
	type run struct {
		id    string
		lines string
	}
	want := []run{{c1.ID, "one"}, {c2.ID, "TWO"}, {c1.ID, "three,four"}, {c2.ID, "five"}}
	if len(got) != len(want) {
		t.Fatalf("blame: %+v", got)
	}
	for i, w := range want {
		if got[i].Commit.ID != w.id || strings.Join(got[i].Lines, ",") != w.lines {
			t.Fatalf("range %d: %s %v, want %s %s", i, got[i].Commit.ID, got[i].Lines, w.id, w.lines)
		}
	}
	got = nil
	mustDo(t, f.s, 200, "GET", f.url("/repository/files/poem.txt/blame?ref=main&range[start]=2&range[end]=3"),
		f.token, nil).JSON(t, &got)
	if len(got) != 2 || got[0].Lines[0] != "TWO" || got[1].Lines[0] != "three" || len(got[1].Lines) != 1 {
		t.Fatalf("range 2-3: %+v", got)
	}
	wantJSON(t, f.do("GET", "/repository/files/poem.txt/blame", f.token, nil), 400, `{"error":"ref is missing"}`)
	wantJSON(t, f.do("GET", "/repository/files/nope/blame?ref=main", f.token, nil), 404,
		`{"message":"404 File Not Found"}`)
}

package gitlab_test

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"io"
	"os/exec"
	"sort"
	"strings"
	"testing"
)

func TestTree(t *testing.T) {
	f := newRepoFixture(t, nil)
	f.commit("main", "files",
		create("src/main.go", "package main\n"), create("src/util/u.go", "package util\n"),
		create("docs/index.md", "# docs\n"),
		map[string]any{"action": "create", "file_path": "bin/run", "content": "#!/bin/sh\n", "execute_filemode": true})
	mustDo(t, f.s, 201, "POST", f.url("/repository/branches"), f.token,
		map[string]any{"branch": "old", "ref": "main~1"})

	tests := []struct {
		query string
		want  string // path:type:mode, in order
	}{
		{"", "bin:tree:040000,docs:tree:040000,src:tree:040000,README.md:blob:100644"},
		{"?path=src", "src/util:tree:040000,src/main.go:blob:100644"},
		{"?path=bin", "bin/run:blob:100755"},
		{"?recursive=true",
			"bin:tree:040000,docs:tree:040000,src:tree:040000,src/util:tree:040000,README.md:blob:100644,bin/run:blob:100755,docs/index.md:blob:100644,src/main.go:blob:100644,src/util/u.go:blob:100644"},
		{"?ref=old", "README.md:blob:100644"},
		{"?path=nope", ""},
		{"?recursive=true&per_page=3&page=2", "src/util:tree:040000,README.md:blob:100644,bin/run:blob:100755"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			var entries []struct{ ID, Name, Type, Path, Mode string }
			mustDo(t, f.s, 200, "GET", f.url("/repository/tree"+tt.query), f.token, nil).JSON(t, &entries)
			var got []string
			for _, e := range entries {
				got = append(got, e.Path+":"+e.Type+":"+e.Mode)
				if len(e.ID) != 40 || !strings.HasSuffix(e.Path, e.Name) {
					t.Fatalf("entry %+v", e)
				}
			}
			if strings.Join(got, ",") != tt.want {
				t.Fatalf("tree\n  %s\nwant\n  %s", strings.Join(got, ","), tt.want)
			}
		})
	}
	r := mustDo(t, f.s, 200, "GET", f.url("/repository/tree?recursive=true&per_page=3"), f.token, nil)
	if r.Header.Get("X-Total") != "9" || r.Header.Get("X-Total-Pages") != "3" {
		t.Fatalf("X-Total %q X-Total-Pages %q", r.Header.Get("X-Total"), r.Header.Get("X-Total-Pages"))
	}
	wantJSON(t, f.do("GET", "/repository/tree?ref=nope", f.token, nil), 404, `{"message":"404 Tree Not Found"}`)
}

type compareJSON struct {
	Commit         *commitJSON  `json:"commit"`
	Commits        []commitJSON `json:"commits"`
	Diffs          []diffJSON   `json:"diffs"`
	CompareTimeout bool         `json:"compare_timeout"`
	CompareSameRef bool         `json:"compare_same_ref"`
	WebURL         string       `json:"web_url"`
}

func TestCompare(t *testing.T) {
	f := newRepoFixture(t, nil)
	base := f.commit("main", "base", create("shared.txt", "1\n"))
	mustDo(t, f.s, 201, "POST", f.url("/repository/branches"), f.token,
		map[string]any{"branch": "feature", "ref": "main"})
	f1 := f.commit("feature", "feature one", create("f.txt", "f\n"))
	f2 := f.commit("feature", "feature two",
		map[string]any{"action": "update", "file_path": "f.txt", "content": "f2\n"})
	f.commit("main", "main moves on", map[string]any{"action": "update", "file_path": "shared.txt", "content": "2\n"})

	cmp := decode[compareJSON](t,
		mustDo(t, f.s, 200, "GET", f.url("/repository/compare?from=main&to=feature"), f.token, nil))
	if len(cmp.Commits) != 2 || cmp.Commits[0].ID != f1.ID || cmp.Commits[1].ID != f2.ID ||
		cmp.Commit == nil || cmp.Commit.ID != f2.ID {
		t.Fatalf("commits: %+v", cmp)
	}
	// From the merge base, only the feature's own change shows.
	if len(cmp.Diffs) != 1 || cmp.Diffs[0].NewPath != "f.txt" || !cmp.Diffs[0].NewFile ||
		cmp.Diffs[0].Diff != "@@ -0,0 +1 @@\n+f2\n" {
		t.Fatalf("diffs: %+v", cmp.Diffs)
	}
	if cmp.CompareSameRef || cmp.CompareTimeout || cmp.WebURL != f.web+"/-/compare/main...feature" {
		t.Fatalf("flags: %+v", cmp)
	}
	straight := decode[compareJSON](t,
		mustDo(t, f.s, 200, "GET", f.url("/repository/compare?from=main&to=feature&straight=true"), f.token, nil))
	var paths []string
	for _, d := range straight.Diffs {
		paths = append(paths, d.NewPath)
	}
	if strings.Join(paths, ",") != "f.txt,shared.txt" {
		t.Fatalf("straight diffs: %v", paths)
	}
	same := decode[compareJSON](t,
		mustDo(t, f.s, 200, "GET", f.url("/repository/compare?from="+base.ID+"&to="+base.ID), f.token, nil))
	if !same.CompareSameRef || same.Commit != nil || len(same.Commits) != 0 || len(same.Diffs) != 0 {
		t.Fatalf("same ref: %+v", same)
	}
	wantJSON(t, f.do("GET", "/repository/compare?from=main&to=nope", f.token, nil), 404,
		`{"message":"404 Ref Not Found"}`)
	wantJSON(t, f.do("GET", "/repository/compare?from=main", f.token, nil), 400, `{"error":"to is missing"}`)
}

// archiveNames lists the entries of an archive in format.
func archiveNames(t *testing.T, format string, body []byte) map[string]string {
	t.Helper()
	out := map[string]string{}
	switch format {
	case "zip":
		zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range zr.File {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(rc)
			rc.Close()
			out[f.Name] = string(b)
		}
		return out
	case "tar.gz":
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		body, _ = io.ReadAll(zr)
	case "tar.bz2":
		var err error
		if body, err = io.ReadAll(bzip2.NewReader(bytes.NewReader(body))); err != nil {
			t.Fatal(err)
		}
	}
	tr := tar.NewReader(bytes.NewReader(body))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeXGlobalHeader {
			continue
		}
		b, _ := io.ReadAll(tr)
		out[h.Name] = string(b)
	}
}

func TestArchive(t *testing.T) {
	f := newRepoFixture(t, nil)
	c := f.commit("main", "files", create("src/a.go", "package a\n"), create("docs/d.md", "doc\n"))
	prefix := "demo-main-" + c.ID + "/"
	for _, tt := range []struct{ path, format string }{
		{"/repository/archive", "tar.gz"}, {"/repository/archive.tar.gz", "tar.gz"},
		{"/repository/archive.zip", "zip"}, {"/repository/archive.tar", "tar"},
		{"/repository/archive?format=zip", "zip"},
		{"/repository/archive.tar.bz2", "tar.bz2"}, {"/repository/archive.tbz", "tar.bz2"},
		{"/repository/archive.tbz2", "tar.bz2"}, {"/repository/archive.tb2", "tar.bz2"},
		{"/repository/archive.bz2", "tar.bz2"}, {"/repository/archive?format=tbz2", "tar.bz2"},
	} {
		t.Run(tt.path, func(t *testing.T) {
			r := mustDo(t, f.s, 200, "GET", f.url(tt.path), f.token, nil)
			if cd := r.Header.Get("Content-Disposition"); cd != `attachment; filename=demo-main-`+c.ID+`.`+tt.format {
				t.Fatalf("Content-Disposition %q", cd)
			}
			got := archiveNames(t, tt.format, r.Body)
			if got[prefix+"src/a.go"] != "package a\n" || got[prefix+"README.md"] != "# demo\n" {
				var names []string
				for n := range got {
					names = append(names, n)
				}
				sort.Strings(names)
				t.Fatalf("entries %v", names)
			}
		})
	}
	r := mustDo(t, f.s, 200, "GET", f.url("/repository/archive.zip?sha="+c.ShortID+"&path=src"), f.token, nil)
	got := archiveNames(t, "zip", r.Body)
	if _, ok := got["demo-"+c.ShortID+"-"+c.ID+"-src/src/a.go"]; !ok || len(got) != 2 {
		t.Fatalf("archive of src: %v", got)
	}
	wantJSON(t, f.do("GET", "/repository/archive?sha=nope", f.token, nil), 404, `{"message":"404 File Not Found"}`)
	wantJSON(t, f.do("GET", "/repository/archive?format=rar", f.token, nil), 400,
		`{"error":"format does not have a valid value"}`)
	if ct := mustDo(t, f.s, 200, "GET", f.url("/repository/archive.tbz"), f.token, nil).Header.Get(
		"Content-Type"); ct != "application/x-bzip2" {
		t.Errorf("Content-Type of a bzip2 archive: %q", ct)
	}

	// git reads the commit id in the tarball as in its own.
	tarball := mustDo(t, f.s, 200, "GET", f.url("/repository/archive.tar"), f.token, nil).Body
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	cmd := exec.Command("git", "get-tar-commit-id")
	cmd.Stdin = bytes.NewReader(tarball)
	out, err := cmd.Output()
	if err != nil || strings.TrimSpace(string(out)) != c.ID {
		t.Fatalf("git get-tar-commit-id: %q %v", out, err)
	}
}

func TestContributorsAndLanguages(t *testing.T) {
	f := newRepoFixture(t, nil)
	f.commit("main", "go", create("main.go", strings.Repeat("package main\n", 30)),
		create("vendor/lib/x.go", strings.Repeat("x", 5000)))
	body := map[string]any{"branch": "main", "commit_message": "py", "author_name": "Ada",
		"author_email": "ada@example.com",
		"actions": []any{create("tool.py", strings.Repeat("print(1)\n", 10)),
			create("docs/guide.md", "# guide\n")}}
	mustDo(t, f.s, 201, "POST", f.url("/repository/commits"), f.token, body)

	wantJSON(t, f.do("GET", "/repository/contributors", f.token, nil), 200, `[
		{"name":"Ada","email":"ada@example.com","commits":1,"additions":0,"deletions":0},
		{"name":"Administrator","email":"root@localhost","commits":2,"additions":0,"deletions":0}]`)
	if got := names(t, f.do("GET", "/repository/contributors?order_by=commits&sort=desc", f.token, nil),
		"name"); strings.Join(got, ",") != "Administrator,Ada" {
		t.Fatalf("desc: %v", got)
	}
	// Go 390 bytes, Python 90; the vendored file and the Markdown do not count.
	r := mustDo(t, f.s, 200, "GET", f.url("/languages"), f.token, nil)
	if string(r.Body) != `{"Go":81.25,"Python":18.75}` {
		t.Fatalf("languages: %s", r.Body)
	}
}

func TestBlobsAndMergeBase(t *testing.T) {
	f := newRepoFixture(t, nil)
	base := f.commit("main", "base", create("a.txt", "hello\n"))
	mustDo(t, f.s, 201, "POST", f.url("/repository/commits"), f.token, map[string]any{
		"branch": "side", "start_branch": "main", "commit_message": "side", "actions": []any{create("s.txt", "s")}})
	f.commit("main", "main", create("m.txt", "m"))

	var tree []struct{ ID, Path string }
	mustDo(t, f.s, 200, "GET", f.url("/repository/tree"), f.token, nil).JSON(t, &tree)
	var blobID string
	for _, e := range tree {
		if e.Path == "a.txt" {
			blobID = e.ID
		}
	}
	wantJSON(t, f.do("GET", "/repository/blobs/"+blobID, f.token, nil), 200,
		`{"size":6,"encoding":"base64","content":"aGVsbG8K","sha":"`+blobID+`"}`)
	raw := mustDo(t, f.s, 200, "GET", f.url("/repository/blobs/"+blobID+"/raw"), f.token, nil)
	if string(raw.Body) != "hello\n" || raw.Header.Get("ETag") != `"`+blobID+`"` {
		t.Fatalf("raw blob: %q %q", raw.Body, raw.Header.Get("ETag"))
	}
	wantJSON(t, f.do("GET", "/repository/blobs/"+strings.Repeat("0", 40), f.token, nil), 404,
		`{"message":"404 Blob Not Found"}`)

	got := decode[commitJSON](t,
		mustDo(t, f.s, 200, "GET", f.url("/repository/merge_base?refs[]=main&refs[]=side"), f.token, nil))
	if got.ID != base.ID {
		t.Fatalf("merge base %s, want %s", got.ID, base.ID)
	}
	wantJSON(t, f.do("GET", "/repository/merge_base?refs[]=main", f.token, nil), 400,
		`{"message":"Provide at least 2 refs"}`)
	wantJSON(t, f.do("GET", "/repository/merge_base?refs[]=main&refs[]=x&refs[]=y", f.token, nil), 400,
		`{"message":"Could not find refs: x, y"}`)
}

package gitlab_test

// Benchmarks of issue 4's speed targets for merge requests, in process over loopback HTTP:
//
//	go test ./api/gitlab -run '^$' -bench 'MergeRequest' -benchtime 5x -count 3
//
// Targets: a merge request changing 1,000 files renders its changes response in under 1 s
// and merges in under 2 s. Each file has 200 lines; a merge request changes one line in
// each (a different line for each merge request, so that merges are real line merges that
// do not conflict).

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/cairn-forge/cairn/server/servertest"
)

const (
	benchFiles = 1000
	benchLines = 200
)

// benchContent is a file's text with the lines in changed replaced by their marker.
func benchContent(file int, changed map[int]string) string {
	var b strings.Builder
	for l := range benchLines {
		if m, ok := changed[l]; ok {
			b.WriteString(m)
		} else {
			fmt.Fprintf(&b, "file %d line %d: some text that stays the same", file, l)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

type mrBench struct {
	s       *servertest.Server
	project string
	n       int
}

func newMRBench(b *testing.B) *mrBench {
	b.Helper()
	s := servertest.New(b, servertest.WithoutRateLimit())
	r := s.Do(b, "POST", "/api/v4/projects", s.AdminToken,
		map[string]any{"name": "big", "initialize_with_readme": true})
	if r.StatusCode != http.StatusCreated {
		b.Fatalf("create project: %d %s", r.StatusCode, r.Body)
	}
	var p struct{ ID int64 }
	r.JSON(b, &p)
	f := &mrBench{s: s, project: "/api/v4/projects/" + itoa(p.ID)}
	actions := make([]map[string]any, benchFiles)
	for i := range actions {
		actions[i] = map[string]any{"action": "create", "file_path": fmt.Sprintf("src/%03d/file.txt", i),
			"content": benchContent(i, nil)}
	}
	f.post(b, "/repository/commits", map[string]any{"branch": "main", "commit_message": "files", "actions": actions})
	return f
}

func (f *mrBench) post(b *testing.B, path string, body any) {
	b.Helper()
	r := f.s.Do(b, "POST", f.project+path, f.s.AdminToken, body)
	if r.StatusCode != http.StatusCreated {
		b.Fatalf("POST %s: %d %.300s", path, r.StatusCode, r.Body)
	}
}

// openBig makes a branch changing one line of every file and opens its merge request,
// returning its iid.
func (f *mrBench) openBig(b *testing.B) int64 {
	b.Helper()
	f.n++
	branch := fmt.Sprintf("big-%d", f.n)
	actions := make([]map[string]any, benchFiles)
	for i := range actions {
		content := benchContent(i, map[int]string{10 * f.n % benchLines: fmt.Sprintf("changed by %s", branch)})
		actions[i] = map[string]any{"action": "update", "file_path": fmt.Sprintf("src/%03d/file.txt", i),
			"content": content}
	}
	f.post(b, "/repository/commits", map[string]any{"branch": branch, "start_branch": "main",
		"commit_message": "change every file", "actions": actions})
	f.post(b, "/merge_requests", map[string]any{"source_branch": branch, "target_branch": "main", "title": branch})
	return int64(f.n)
}

func BenchmarkMergeRequestChanges1000Files(b *testing.B) {
	f := newMRBench(b)
	iid := f.openBig(b)
	path := f.project + "/merge_requests/" + itoa(iid) + "/changes"
	b.ResetTimer()
	for b.Loop() {
		r := f.s.Do(b, "GET", path, f.s.AdminToken, nil)
		if r.StatusCode != http.StatusOK || !strings.Contains(string(r.Body), "src/999/file.txt") {
			b.Fatalf("changes: %d %.200s", r.StatusCode, r.Body)
		}
	}
}

// BenchmarkMergeRequestMerge1000Files times the merge of a merge request whose target moved
// since it was opened: another merge request changing every file merged first, so each of
// the 1,000 files is merged line by line.
func BenchmarkMergeRequestMerge1000Files(b *testing.B) {
	f := newMRBench(b)
	for b.Loop() {
		b.StopTimer()
		first, iid := f.openBig(b), f.openBig(b)
		if r := f.s.Do(b, "PUT", f.project+"/merge_requests/"+itoa(first)+"/merge", f.s.AdminToken,
			nil); r.StatusCode != http.StatusOK {
			b.Fatalf("merge: %d %.300s", r.StatusCode, r.Body)
		}
		b.StartTimer()
		r := f.s.Do(b, "PUT", f.project+"/merge_requests/"+itoa(iid)+"/merge", f.s.AdminToken, nil)
		if r.StatusCode != http.StatusOK {
			b.Fatalf("merge: %d %.300s", r.StatusCode, r.Body)
		}
	}
}

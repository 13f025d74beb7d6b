package gitstore

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestPushesLeaveACommitGraphGitVerifies(t *testing.T) {
	hf := newHistoryFixture(t, 200, 31)
	ts := newTestServer(t)
	ts.createRepo(1)
	hf.g.run(hf.dir, "push", "-q", ts.url(1), "refs/heads/*:refs/heads/*", "refs/tags/*:refs/tags/*")
	ts.store.WaitBackground()
	repo := ts.store.Path(1)
	hf.g.run(repo, "commit-graph", "verify")
	hf.g.assertFsck(repo)
	mine, err := os.ReadFile(commitGraphPath(repo))
	if err != nil {
		t.Fatal(err)
	}
	if theirs := gitCommitGraph(t, hf.g, repo); !bytes.Equal(mine, theirs) {
		t.Fatalf("the commit-graph after a push differs from git's at byte %d", firstDiff(mine, theirs))
	}
	// A later push adds its commits to the graph.
	wt := t.TempDir()
	hf.g.run(wt, "clone", "-q", ts.url(1), ".")
	hf.g.commit(wt, "one more", map[string]string{"new.txt": "new\n"})
	hf.g.run(wt, "push", "-q", "origin", "HEAD:refs/heads/main")
	ts.store.WaitBackground()
	cg, err := readCommitGraph(commitGraphPath(repo))
	if err != nil {
		t.Fatal(err)
	}
	count := hf.g.run(repo, "rev-list", "--all", "--count")
	if strconv.Itoa(int(cg.n)) != count {
		t.Fatalf("graph of %d commits, the repository has %s", cg.n, count)
	}
	hf.g.run(repo, "commit-graph", "verify")
	hf.g.assertFsck(repo)
}

func TestGCFoldsEverythingIntoOnePackAndAGraph(t *testing.T) {
	hf := newHistoryFixture(t, 120, 32)
	ts := newTestServer(t)
	ts.createRepo(1)
	// Three pushes (three packs), then commits made through the API (loose objects).
	hf.g.run(hf.dir, "push", "-q", ts.url(1), "main~40:refs/heads/main")
	hf.g.run(hf.dir, "push", "-q", ts.url(1), "main~20:refs/heads/main")
	hf.g.run(hf.dir, "push", "-q", ts.url(1), "refs/heads/*:refs/heads/*", "refs/tags/*:refs/tags/*")
	ts.store.WaitBackground()
	r, err := ts.store.OpenRepo(1)
	if err != nil {
		t.Fatal(err)
	}
	head, _, _ := r.Reference("refs/heads/main")
	sig := Signature{Name: "B", Email: "b@example.com", When: time.Unix(1800000000, 0)}
	h, err := r.BuildCommit(CommitSpec{Parent: head, Message: "api", Author: sig, Committer: sig,
		Actions: []FileAction{{Action: ActionCreate, Path: "api.txt", Content: []byte("through the API\n"),
			HasContent: true}}})
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	if err := ts.store.UpdateRefs(1, []RefUpdate{{Name: "refs/heads/main", Old: head, New: h}}); err != nil {
		t.Fatal(err)
	}
	repo := ts.store.Path(1)
	before, _ := filepath.Glob(filepath.Join(repo, "objects", "pack", "*.pack"))

	st, err := ts.store.GC(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	after, _ := filepath.Glob(filepath.Join(repo, "objects", "pack", "*.pack"))
	if !st.Repacked || st.PacksAfter != 1 || len(after) != 1 || st.LooseRemoved == 0 || st.PacksBefore != len(before) {
		t.Fatalf("gc: %+v; packs before %d, after %d", st, len(before), len(after))
	}
	count := hf.g.run(repo, "rev-list", "--all", "--count")
	if strconv.Itoa(st.Commits) != count {
		t.Fatalf("graph of %d commits, the repository has %s", st.Commits, count)
	}
	hf.g.run(repo, "commit-graph", "verify")
	hf.g.assertFsck(repo)
	if out := hf.g.run(repo, "count-objects", "-v"); !strings.Contains(out, "count: 0") {
		t.Fatalf("loose objects left:\n%s", out)
	}
	// Nothing left to do the second time.
	again, err := ts.store.GC(context.Background(), 1)
	if err != nil || again.Repacked || again.PacksAfter != 1 {
		t.Fatalf("second gc: %+v %v", again, err)
	}
	if _, err := ts.store.GC(context.Background(), 9); err == nil {
		t.Fatal("gc of a repository that does not exist")
	}
}

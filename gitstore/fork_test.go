package gitstore

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestForkIsAWholeCopy: a fork has the source's branches (or the ones asked for) and tags,
// git finds it whole, its packs share the source's files, and it outlives its source.
func TestForkIsAWholeCopy(t *testing.T) {
	g := newGitCLI(t)
	st := emptyRepository(t)
	marks := importPickHistory(t, g, st.Path(1), []pickCommit{
		{mark: 1, ref: "refs/heads/main", files: map[string]string{"a.txt": "a\n"}},
		{mark: 2, ref: "refs/heads/side", parents: []string{":1"}, files: map[string]string{"b.txt": "b\n"}},
	})
	g.run(st.Path(1), "tag", "-a", "-m", "v1", "v1", marks[1])
	g.run(st.Path(1), "repack", "-a", "-d", "-q")
	g.run(st.Path(1), "update-ref", "refs/merge-requests/1/head", marks[2])

	if err := st.Fork(1, 2, "main", nil); err != nil {
		t.Fatal(err)
	}
	if got, want := g.run(st.Path(2), "show-ref"), g.run(st.Path(1), "show-ref", "--heads", "--tags"); got != want {
		t.Errorf("fork's refs:\n%s\nsource's:\n%s", got, want)
	}
	if head := g.run(st.Path(2), "symbolic-ref", "HEAD"); head != "refs/heads/main" {
		t.Errorf("HEAD %s", head)
	}
	packs, _ := filepath.Glob(filepath.Join(st.Path(1), "objects", "pack", "*.pack"))
	if len(packs) != 1 {
		t.Fatalf("packs %v", packs)
	}
	a, _ := os.Stat(packs[0])
	b, err := os.Stat(filepath.Join(st.Path(2), "objects", "pack", filepath.Base(packs[0])))
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(a, b) {
		t.Logf("the pack was copied, not linked (file system without hard links?)")
	} else if a.Sys().(*syscall.Stat_t).Nlink < 2 {
		t.Errorf("a linked pack with one link")
	}

	if err := st.Fork(1, 3, "side", []string{"side"}); err != nil {
		t.Fatal(err)
	}
	if got := g.run(st.Path(3), "for-each-ref", "--format=%(refname)"); got != "refs/heads/side\nrefs/tags/v1" {
		t.Errorf("fork of side only: %q", got)
	}
	if err := st.Fork(1, 2, "main", nil); err == nil {
		t.Error("a fork over an existing repository succeeded")
	}
	if err := st.Delete(1); err != nil {
		t.Fatal(err)
	}
	g.assertFsck(st.Path(2))
	if !strings.Contains(g.run(st.Path(2), "log", "--format=%s", "side"), "commit 2") {
		t.Error("the fork lost side's history")
	}
}

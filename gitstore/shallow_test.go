package gitstore

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// datedWorkTree makes n commits on main, commit i dated day i of 2020.
func datedWorkTree(g *gitCLI, n int) string {
	dir := g.t.TempDir()
	g.run(dir, "init", "-q")
	for i := 0; i < n; i++ {
		if err := os.WriteFile(filepath.Join(dir, "f.txt"), []byte(fmt.Sprintf("v%d\n", i)), 0o644); err != nil {
			g.t.Fatal(err)
		}
		date := fmt.Sprintf("2020-01-%02dT12:00:00Z", i+1)
		g.run(dir, "add", "f.txt")
		// Committer dates drive deepen-since.
		g.runEnv([]string{"GIT_COMMITTER_DATE=" + date, "GIT_AUTHOR_DATE=" + date}, dir, "commit", "-q", "-m",
			fmt.Sprint("c", i))
	}
	return dir
}

func TestShallowCloneAndDeepen(t *testing.T) {
	for i, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			ts := newTestServer(t)
			g := newGitCLI(t)
			id := int64(30 + i)
			seed := g.newWorkTree(10)
			g.run(seed, "tag", "-a", "-m", "old", "v0", "HEAD~8")
			seedRepo(t, ts, g, id, seed, "main", "v0")
			v := "protocol.version=" + p.version
			count := func(dir string) int {
				n, err := strconv.Atoi(g.run(dir, "rev-list", "--count", "HEAD"))
				if err != nil {
					t.Fatal(err)
				}
				return n
			}

			clone := filepath.Join(t.TempDir(), "c")
			g.run("", "-c", v, "clone", "-q", "--depth", "1", ts.url(id), clone)
			if n := count(clone); n != 1 {
				t.Fatalf("--depth 1 clone has %d commits", n)
			}
			g.assertFsck(clone)

			g.run(clone, "-c", v, "fetch", "-q", "--deepen=2")
			if n := count(clone); n != 3 {
				t.Errorf("after --deepen=2: %d commits, want 3", n)
			}
			g.run(clone, "-c", v, "fetch", "-q", "--depth=5")
			if n := count(clone); n != 5 {
				t.Errorf("after --depth=5: %d commits, want 5", n)
			}
			// New upstream commits arrive in a shallow clone too.
			g.commit(seed, "later", map[string]string{"later.txt": "x"})
			g.run(seed, "push", "-q", ts.url(id), "main")
			g.run(clone, "-c", v, "pull", "-q", "--ff-only")
			if a, b := g.run(clone, "rev-parse", "HEAD"), g.run(seed, "rev-parse", "HEAD"); a != b {
				t.Errorf("after pull HEAD is %s, want %s", a, b)
			}
			g.run(clone, "-c", v, "fetch", "-q", "--unshallow")
			if n := count(clone); n != 11 {
				t.Errorf("after --unshallow: %d commits, want 11", n)
			}
			if _, err := os.Stat(filepath.Join(clone, ".git", "shallow")); !os.IsNotExist(err) {
				t.Errorf("still shallow after --unshallow")
			}
			g.assertFsck(clone)
		})
	}
}

func TestShallowSinceAndExclude(t *testing.T) {
	for i, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			ts := newTestServer(t)
			g := newGitCLI(t)
			id := int64(40 + i)
			seed := datedWorkTree(g, 8)
			g.run(seed, "tag", "base", "HEAD~5")
			seedRepo(t, ts, g, id, seed, "main", "base")
			v := "protocol.version=" + p.version

			since := filepath.Join(t.TempDir(), "since")
			g.run("", "-c", v, "clone", "-q", "--shallow-since=2020-01-05T00:00:00Z", ts.url(id), since)
			if got := g.run(since, "log", "--format=%s"); got != "c7\nc6\nc5\nc4" {
				t.Errorf("--shallow-since clone has %q", got)
			}
			exclude := filepath.Join(t.TempDir(), "exclude")
			g.run("", "-c", v, "clone", "-q", "--shallow-exclude=base", ts.url(id), exclude)
			if got := g.run(exclude, "log", "--format=%s"); got != "c7\nc6\nc5\nc4\nc3" {
				t.Errorf("--shallow-exclude clone has %q", got)
			}
			out, err := g.try("", "-c", v, "clone", "-q", "--shallow-exclude=nonesuch", ts.url(id),
				filepath.Join(t.TempDir(), "x"))
			if err == nil || !strings.Contains(out, "deepen-not") {
				t.Errorf("--shallow-exclude of an unknown ref: %v\n%s", err, out)
			}
		})
	}
}

package gitstore

import (
	"path/filepath"
	"strings"
	"testing"
)

// protocols are the wire versions every client-facing scenario runs under.
var protocols = []struct {
	name    string
	version string
}{
	{"v0", "0"},
	{"v1", "1"},
	{"v2", "2"},
}

func TestCloneEmptyRepositoryThenPush(t *testing.T) {
	for i, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			ts := newTestServer(t)
			g := newGitCLI(t)
			id := int64(i + 1)
			ts.createRepo(id)
			dir := filepath.Join(t.TempDir(), "clone")
			out := g.run("", "-c", "protocol.version="+p.version, "clone", ts.url(id), dir)
			if !strings.Contains(out, "empty repository") {
				t.Errorf("clone of an empty repository said %q", out)
			}
			head := g.commit(dir, "first", map[string]string{"a.txt": "hello\n"})
			g.run(dir, "-c", "protocol.version="+p.version, "push", "origin", "main")

			again := filepath.Join(t.TempDir(), "again")
			g.run("", "-c", "protocol.version="+p.version, "clone", ts.url(id), again)
			if got := g.run(again, "rev-parse", "HEAD"); got != head {
				t.Errorf("fresh clone is at %s, pushed %s", got, head)
			}
			g.assertFsck(again)
			res := ts.lastPush()
			if res == nil || len(res.Applied) != 1 || res.Applied[0].Name != "refs/heads/main" || res.Applied[0].New.String() != head {
				t.Errorf("push result %+v", res)
			}
		})
	}
}

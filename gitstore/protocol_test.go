package gitstore

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
			if res == nil || len(res.Applied) != 1 || res.Applied[0].Name != "refs/heads/main" ||
				res.Applied[0].New.String() != head {
				t.Errorf("push result %+v", res)
			}
		})
	}
}

// seedRepo creates repository id and pushes main (and anything else in refspecs) from dir.
func seedRepo(t *testing.T, ts *testServer, g *gitCLI, id int64, dir string, refspecs ...string) {
	t.Helper()
	ts.createRepo(id)
	if len(refspecs) == 0 {
		refspecs = []string{"main"}
	}
	g.run(dir, append([]string{"push", "-q", ts.url(id)}, refspecs...)...)
}

func TestPushBranchesAndTagsThenClone(t *testing.T) {
	for i, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			ts := newTestServer(t)
			g := newGitCLI(t)
			id := int64(10 + i)
			dir := g.newWorkTree(3)
			g.run(dir, "branch", "feature", "HEAD~1")
			g.run(dir, "tag", "light", "HEAD~2")
			g.run(dir, "tag", "-a", "-m", "release", "v1.0", "HEAD")
			g.run(dir, "tag", "-a", "-m", "nested", "v1.0-signed", "v1.0")
			seedRepo(t, ts, g, id, dir, "main", "feature", "--tags")

			remote := g.run("", "-c", "protocol.version="+p.version, "ls-remote", ts.url(id))
			local := g.run(dir, "show-ref", "-d")
			for _, line := range strings.Split(local, "\n") {
				if !strings.Contains(remote, line[:40]+"\t"+line[41:]) {
					t.Errorf("ls-remote lacks %q:\n%s", line, remote)
				}
			}
			if !strings.Contains(remote, "\tHEAD") {
				t.Errorf("ls-remote lacks HEAD:\n%s", remote)
			}
			clone := filepath.Join(t.TempDir(), "c")
			g.run("", "-c", "protocol.version="+p.version, "clone", "-q", ts.url(id), clone)
			for _, ref := range []string{"origin/feature", "light", "v1.0", "v1.0-signed", "v1.0^{commit}"} {
				if a, b := g.run(clone, "rev-parse", ref), g.run(dir, "rev-parse",
					strings.TrimPrefix(ref, "origin/")); a != b {
					t.Errorf("%s: clone has %s, pushed %s", ref, a, b)
				}
			}
			g.assertFsck(clone)
		})
	}
}

func TestDeleteBranch(t *testing.T) {
	ts := newTestServer(t)
	g := newGitCLI(t)
	dir := g.newWorkTree(2)
	g.run(dir, "branch", "topic")
	g.run(dir, "branch", "nested/topic")
	seedRepo(t, ts, g, 1, dir, "main", "topic", "nested/topic")

	g.run(dir, "push", "-q", ts.url(1), "--delete", "topic", "nested/topic")
	remote := g.run("", "ls-remote", ts.url(1))
	if strings.Contains(remote, "topic") {
		t.Errorf("deleted branches still listed:\n%s", remote)
	}
	// The name is free again, as a branch or as a directory of branches.
	g.run(dir, "branch", "-D", "nested/topic")
	g.run(dir, "branch", "nested")
	g.run(dir, "push", "-q", ts.url(1), "nested", "topic")
	res := ts.lastPush()
	if len(res.Applied) != 2 {
		t.Errorf("recreating branches: %+v", res)
	}
}

// A pushed branch whose name is a folder of an existing branch's, or the reverse, is rejected
// with git's own words on a remote: line; the others of the push go in.
func TestPushOfABranchClashingWithAnotherIsRejectedNamingIt(t *testing.T) {
	ts := newTestServer(t)
	g := newGitCLI(t)
	dir := g.newWorkTree(2)
	g.run(dir, "branch", "topic/a")
	seedRepo(t, ts, g, 1, dir, "main", "topic/a")

	clone := filepath.Join(t.TempDir(), "c")
	g.run("", "clone", "-q", ts.url(1), clone)
	g.run(clone, "branch", "fine")
	out, err := g.try(clone, "push", ts.url(1), "HEAD:refs/heads/main/sub", "HEAD:refs/heads/topic", "fine")
	if err == nil {
		t.Fatalf("the push was accepted:\n%s", out)
	}
	for _, want := range []string{
		"remote: cairn: 'refs/heads/main' exists; cannot create 'refs/heads/main/sub'",
		"remote: cairn: 'refs/heads/topic/a' exists; cannot create 'refs/heads/topic'",
		"HEAD -> main/sub (failed to update ref)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the push says\n%s\nwithout %q", out, want)
		}
	}
	remote := g.run("", "ls-remote", ts.url(1))
	if !strings.Contains(remote, "refs/heads/fine") || strings.Contains(remote, "main/sub") ||
		strings.Contains(remote, "refs/heads/topic\n") {
		t.Errorf("after the push:\n%s", remote)
	}
}

func TestFetchAfterNewCommits(t *testing.T) {
	for i, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			ts := newTestServer(t)
			g := newGitCLI(t)
			id := int64(20 + i)
			seed := g.newWorkTree(5)
			seedRepo(t, ts, g, id, seed)

			mine := filepath.Join(t.TempDir(), "mine")
			g.run("", "-c", "protocol.version="+p.version, "clone", "-q", ts.url(id), mine)
			// Many local commits the server lacks make the client negotiate over several
			// rounds, with gzip-compressed have lists.
			// They are dated an hour ahead, one second apart: made within the second of the
			// server's commits, some would tie with origin/main, which the client's
			// date-ordered have list could then offer in its first batch of 16, and the
			// server's "ready" would end the negotiation before any gzipped round.
			g.run(mine, "checkout", "-q", "-b", "local")
			future := time.Now().Unix() + 3600
			for j := 0; j < 120; j++ {
				date := fmt.Sprintf("@%d +0000", future+int64(j))
				g.runEnv([]string{"GIT_AUTHOR_DATE=" + date, "GIT_COMMITTER_DATE=" + date},
					mine, "commit", "-q", "--allow-empty", "-m", "local "+string(rune('a'+j%26)))
			}
			for j := 0; j < 20; j++ {
				g.commit(seed, "upstream", map[string]string{"up.txt": strings.Repeat("x", j+1)})
			}
			g.run(seed, "tag", "-a", "-m", "annotated", "v2", "HEAD~3")
			g.run(seed, "push", "-q", ts.url(id), "main", "v2")

			g.run(mine, "-c", "protocol.version="+p.version, "fetch", "-q", "origin")
			if a, b := g.run(mine, "rev-parse", "origin/main"), g.run(seed, "rev-parse", "main"); a != b {
				t.Errorf("origin/main is %s, server has %s", a, b)
			}
			if a, b := g.run(mine, "rev-parse", "v2"), g.run(seed, "rev-parse", "v2"); a != b {
				t.Errorf("tag v2 is %s, server has %s", a, b)
			}
			g.assertFsck(mine)
			gzipped := false
			for _, r := range ts.requestLog() {
				gzipped = gzipped || strings.HasSuffix(r, "git-upload-pack gzip")
			}
			if !gzipped {
				t.Errorf("no gzip-encoded negotiation was exercised: %q", ts.requestLog())
			}
		})
	}
}

func TestCloneLooseObjects(t *testing.T) {
	// Repositories made or changed through go-git hold loose objects, which are compressed
	// once more into the pack.
	ts := newTestServer(t)
	g := newGitCLI(t)
	err := ts.store.Create(1, InitOptions{DefaultBranch: "trunk", Message: "init", Files: []File{
		{Path: "README.md", Content: []byte("# hello\n")},
		{Path: "bin/run.sh", Content: []byte("#!/bin/sh\necho hi\n"), Executable: true},
	}})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range protocols {
		clone := filepath.Join(t.TempDir(), p.name)
		g.run("", "-c", "protocol.version="+p.version, "clone", "-q", ts.url(1), clone)
		if got := g.run(clone, "rev-parse", "--abbrev-ref", "HEAD"); got != "trunk" {
			t.Errorf("%s: clone checked out %q", p.name, got)
		}
		if got := g.run(clone, "show", "HEAD:bin/run.sh"); got != "#!/bin/sh\necho hi" {
			t.Errorf("%s: run.sh is %q", p.name, got)
		}
		g.assertFsck(clone)
	}
}

func TestWantMustBeReachable(t *testing.T) {
	ts := newTestServer(t)
	g := newGitCLI(t)
	dir := g.newWorkTree(3)
	g.run(dir, "branch", "doomed")
	g.commit(dir, "only on doomed", nil)
	doomed := g.run(dir, "rev-parse", "HEAD")
	g.run(dir, "reset", "-q", "--hard", "HEAD~1")
	seedRepo(t, ts, g, 1, dir, "main", doomed+":refs/heads/doomed")
	g.run(dir, "push", "-q", ts.url(1), "--delete", "doomed")

	tests := []struct {
		name string
		want string
		ok   bool
	}{
		{"tip", g.run(dir, "rev-parse", "main"), true},
		{"ancestor of a tip, after the ref moved on", g.run(dir, "rev-parse", "main~2"), true},
		{"commit of a deleted branch", doomed, false},
		{"object we do not have", strings.Repeat("ab", 20), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var req, out strings.Builder
			pw := newPktWriter(&req)
			_ = pw.line("want " + tt.want + " side-band-64k ofs-delta")
			_ = pw.flush()
			_ = pw.line("done")
			err := ts.store.UploadPack(t.Context(), 1, strings.NewReader(req.String()), &out, UploadPackOptions{})
			if tt.ok && err != nil {
				t.Fatalf("UploadPack: %v", err)
			}
			if !tt.ok && (err == nil || !strings.Contains(out.String(), "ERR upload-pack: not our ref "+tt.want)) {
				t.Fatalf("want %s: err %v, reply %q", tt.want, err, out.String())
			}
		})
	}
}

func TestGeneratedHistory(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a 1,000-commit repository")
	}
	// fast-import stores each new blob as a delta of the previous version, the opposite of
	// a repack: clones and fetches must cope with both layouts.
	ts := newTestServerFor(t, benchRepo(t, 1000, false))
	g := newGitCLI(t)
	full := filepath.Join(t.TempDir(), "full")
	g.run("", "clone", "-q", "--mirror", ts.url(1), full)
	g.assertFsck(full)
	if a, b := g.run(full, "for-each-ref"), g.run(ts.store.Path(1), "for-each-ref"); a != b {
		t.Errorf("mirror refs differ:\n%s\n---\n%s", a, b)
	}
	// An old branch first, then the rest: negotiation over a long history.
	part := filepath.Join(t.TempDir(), "part")
	g.run("", "-c", "protocol.version=0", "clone", "-q", "--single-branch", "--branch", "branch-150", ts.url(1), part)
	g.run(part, "-c", "protocol.version=0", "fetch", "-q", "origin", "main:refs/remotes/origin/main")
	g.assertFsck(part)
	shallow := filepath.Join(t.TempDir(), "shallow")
	g.run("", "clone", "-q", "--depth", "1", ts.url(1), shallow)
	g.assertFsck(shallow)
}

func TestNegotiationReadyWithNoDone(t *testing.T) {
	// The exchange C git's upload-pack has with a stateless client that asked for
	// multi_ack_detailed and no-done: once every want reaches a common commit the server
	// says ready and sends the pack without waiting for "done".
	ts := newTestServerFor(t, benchRepo(t, 400, false))
	refs, err := refStore{dir: ts.store.Path(1)}.list()
	if err != nil {
		t.Fatal(err)
	}
	main, _ := refs.lookup("refs/heads/main")
	known, _ := refs.lookup("refs/heads/branch-150")
	k := known.String()
	unknown := func(i int) string { return strings.Repeat(fmt.Sprintf("%02x", i), 20) }
	tests := []struct {
		name  string
		haves []string
		reply string
	}{
		{"common only", []string{k},
			"ACK " + k + " common|ACK " + k + " ready|NAK|ACK " + k},
		{"unknown after common", []string{k, unknown(1), unknown(2)},
			"ACK " + k + " common|ACK " + unknown(1) + " ready|ACK " + unknown(2) + " ready|NAK|ACK " + k},
		{"unknown only", []string{unknown(1), unknown(2)}, "NAK"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var req, out strings.Builder
			pw := newPktWriter(&req)
			_ = pw.line("want " + main.String() + " multi_ack_detailed no-done side-band-64k ofs-delta thin-pack")
			_ = pw.flush()
			for _, h := range tt.haves {
				_ = pw.line("have " + h)
			}
			_ = pw.flush()
			if err := ts.store.UploadPack(t.Context(), 1, strings.NewReader(req.String()), &out,
				UploadPackOptions{}); err != nil {
				t.Fatal(err)
			}
			var lines []string
			pr := newPktReader(strings.NewReader(out.String()))
			for len(lines) < len(strings.Split(tt.reply, "|")) {
				kind, p, err := pr.next()
				if err != nil || kind != pktData {
					break
				}
				lines = append(lines, pktText(p))
			}
			if got := strings.Join(lines, "|"); got != tt.reply {
				t.Errorf("reply %q, want %q", got, tt.reply)
			}
			if hasPack := strings.Contains(out.String(), "PACK"); hasPack != strings.Contains(tt.reply, "ready") {
				t.Errorf("pack sent: %v", hasPack)
			}
		})
	}
}

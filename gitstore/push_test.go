package gitstore

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	mrand "math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"
)

func TestLargeBinaryRoundTrip(t *testing.T) {
	ts := newTestServer(t)
	g := newGitCLI(t)
	ts.createRepo(1)
	dir := g.newWorkTree(1)
	blob := make([]byte, 5<<20)
	if _, err := rand.Read(blob); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "random.bin"), blob, 0o644); err != nil {
		t.Fatal(err)
	}
	g.run(dir, "add", "random.bin")
	g.run(dir, "commit", "-q", "-m", "binary")
	// A small postBuffer makes git send the 4-byte probe, then a chunked body.
	g.run(dir, "-c", "http.postBuffer=65536", "push", "-q", ts.url(1), "main")

	for _, v := range []string{"0", "2"} {
		clone := filepath.Join(t.TempDir(), "c"+v)
		g.run("", "-c", "protocol.version="+v, "clone", "-q", ts.url(1), clone)
		got, err := os.ReadFile(filepath.Join(clone, "random.bin"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, blob) {
			t.Fatalf("protocol %s: the 5 MB blob came back different (%d bytes)", v, len(got))
		}
		g.assertFsck(clone)
	}
}

func TestConcurrentPushesToOneBranch(t *testing.T) {
	ts := newTestServer(t)
	g := newGitCLI(t)
	seed := g.newWorkTree(2)
	seedRepo(t, ts, g, 1, seed)

	const pushers = 4
	dirs := make([]string, pushers)
	heads := make([]string, pushers)
	for i := range dirs {
		dirs[i] = filepath.Join(t.TempDir(), fmt.Sprint("p", i))
		g.run("", "clone", "-q", ts.url(1), dirs[i])
		heads[i] = g.commit(dirs[i], fmt.Sprint("pusher ", i), map[string]string{"who.txt": fmt.Sprint(i)})
	}
	errs := make([]error, pushers)
	outs := make([]string, pushers)
	var wg sync.WaitGroup
	for i := range dirs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i], errs[i] = g.try(dirs[i], "push", "origin", "main")
		}()
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		if err == nil {
			if winner >= 0 {
				t.Fatalf("pushers %d and %d both succeeded", winner, i)
			}
			winner = i
			continue
		}
		if !strings.Contains(outs[i], "rejected") {
			t.Errorf("pusher %d failed without a rejection:\n%s", i, outs[i])
		}
	}
	if winner < 0 {
		t.Fatalf("no push succeeded:\n%s", strings.Join(outs, "\n"))
	}
	remote := g.run("", "ls-remote", ts.url(1), "refs/heads/main")
	if !strings.HasPrefix(remote, heads[winner]) {
		t.Errorf("main is %q, the winner pushed %s", remote, heads[winner])
	}
	clone := filepath.Join(t.TempDir(), "fresh")
	g.run("", "clone", "-q", ts.url(1), clone)
	g.assertFsck(clone)
}

func TestAtomicPushWithOneRejectedRef(t *testing.T) {
	ts := newTestServer(t)
	g := newGitCLI(t)
	dir := g.newWorkTree(2)
	g.run(dir, "branch", "protected")
	seedRepo(t, ts, g, 1, dir, "main", "protected")
	before := g.run("", "ls-remote", ts.url(1))

	ts.setAuthorize(func(_ context.Context, ups []PendingUpdate) []RefDecision {
		ds := make([]RefDecision, len(ups))
		for i, u := range ups {
			if u.Name == "refs/heads/protected" {
				ds[i] = RefDecision{Reject: true, Reason: "protected branch", Message: "cairn: protected is protected"}
			}
		}
		return ds
	})
	g.commit(dir, "more", map[string]string{"m.txt": "m"})
	g.run(dir, "branch", "-f", "protected", "main")
	out, err := g.try(dir, "push", "--atomic", ts.url(1), "main", "protected", "main:refs/heads/new")
	if err == nil {
		t.Fatalf("atomic push with a rejected ref succeeded:\n%s", out)
	}
	for _, want := range []string{"remote: cairn: protected is protected", "protected branch", "atomic push failure"} {
		if !strings.Contains(out, want) {
			t.Errorf("push output lacks %q:\n%s", want, out)
		}
	}
	if after := g.run("", "ls-remote", ts.url(1)); after != before {
		t.Errorf("refs moved:\nbefore %s\nafter %s", before, after)
	}
	// Without --atomic the innocent refs go through.
	out, err = g.try(dir, "push", ts.url(1), "main", "protected")
	if err == nil || !strings.Contains(out, "[remote rejected] protected -> protected (protected branch)") {
		t.Errorf("non-atomic push: %v\n%s", err, out)
	}
	if res := ts.lastPush(); len(res.Applied) != 1 || res.Applied[0].Name != "refs/heads/main" {
		t.Errorf("non-atomic push applied %+v", res.Applied)
	}
}

func TestForcePushSeenByAuthorize(t *testing.T) {
	ts := newTestServer(t)
	g := newGitCLI(t)
	dir := g.newWorkTree(3)
	seedRepo(t, ts, g, 1, dir)
	var mu sync.Mutex // the server's goroutine appends, the test reads after git exits
	var got []PendingUpdate
	ts.setAuthorize(func(_ context.Context, ups []PendingUpdate) []RefDecision {
		mu.Lock()
		got = append(got, ups...)
		mu.Unlock()
		ds := make([]RefDecision, len(ups))
		for i, u := range ups {
			if !u.IsCreate() && !u.IsDelete() && !u.FastForward {
				ds[i] = RefDecision{Reject: true, Reason: "force-push refused",
					Message: "cairn: main is protected; force-push refused"}
			}
		}
		return ds
	})
	g.commit(dir, "ff", map[string]string{"x": "1"})
	g.run(dir, "push", "-q", ts.url(1), "main")
	g.run(dir, "reset", "-q", "--hard", "HEAD~2")
	out, err := g.try(dir, "push", "--force", ts.url(1), "main")
	if err == nil || !strings.Contains(out, "remote: cairn: main is protected; force-push refused") ||
		!strings.Contains(out, "(force-push refused)") {
		t.Errorf("force push: %v\n%s", err, out)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 || !got[0].FastForward || got[1].FastForward {
		t.Errorf("authorize saw %+v", got)
	}
}

func TestThinPackPush(t *testing.T) {
	ts := newTestServer(t)
	g := newGitCLI(t)
	dir := g.newWorkTree(1)
	var big strings.Builder
	for i := 0; i < 4000; i++ {
		fmt.Fprintf(&big, "line %d of a file that is big enough to be worth a delta\n", i)
	}
	g.commit(dir, "big", map[string]string{"big.txt": big.String()})
	seedRepo(t, ts, g, 1, dir)

	g.commit(dir, "edit", map[string]string{"big.txt": big.String() + "one more line\n"})
	g.run(dir, "push", "-q", ts.url(1), "main")
	res := ts.lastPush()
	if res.ThinBases == 0 {
		t.Errorf("the push was not thin: %+v", res)
	}
	clone := filepath.Join(t.TempDir(), "c")
	g.run("", "clone", "-q", ts.url(1), clone)
	g.assertFsck(clone)
	if a, b := g.run(clone, "rev-parse", "HEAD:big.txt"), g.run(dir, "rev-parse", "HEAD:big.txt"); a != b {
		t.Errorf("big.txt is %s after the round trip, pushed %s", a, b)
	}
	// The repository itself stays readable by C git.
	g.run(ts.store.Path(1), "fsck", "--strict", "--no-dangling")
}

func TestPushDetails(t *testing.T) {
	ts := newTestServer(t)
	g := newGitCLI(t)
	dir := g.newWorkTree(4)
	seedRepo(t, ts, g, 1, dir)

	t.Run("push options reach the result", func(t *testing.T) {
		g.commit(dir, "opts", map[string]string{"o.txt": "o"})
		g.run(dir, "push", "-q", "-o", "ci.skip", "-o", "note=hello world", ts.url(1), "main")
		if got := ts.lastPush().Options; strings.Join(got, "|") != "ci.skip|note=hello world" {
			t.Errorf("options %q", got)
		}
	})
	t.Run("forced non-fast-forward push is applied when allowed", func(t *testing.T) {
		g.run(dir, "reset", "-q", "--hard", "HEAD~2")
		want := g.commit(dir, "rewritten", map[string]string{"r.txt": "r"})
		g.run(dir, "push", "-q", "--force", ts.url(1), "main")
		if got := g.run("", "ls-remote", ts.url(1), "refs/heads/main"); !strings.HasPrefix(got, want) {
			t.Errorf("main is %q, want %s", got, want)
		}
	})
	t.Run("new branch at an existing commit sends an empty pack", func(t *testing.T) {
		g.run(dir, "push", "-q", ts.url(1), "HEAD~1:refs/heads/old")
		if res := ts.lastPush(); len(res.Applied) != 1 || res.Objects != 0 {
			t.Errorf("result %+v", res)
		}
	})
	t.Run("push from a shallow clone", func(t *testing.T) {
		shallow := filepath.Join(t.TempDir(), "s")
		g.run("", "clone", "-q", "--depth", "1", ts.url(1), shallow)
		head := g.commit(shallow, "from shallow", map[string]string{"s.txt": "s"})
		g.run(shallow, "push", "-q", "origin", "main")
		if got := g.run("", "ls-remote", ts.url(1), "refs/heads/main"); !strings.HasPrefix(got, head) {
			t.Errorf("main is %q, want %s", got, head)
		}
	})
	t.Run("go-git reads what was pushed", func(t *testing.T) {
		repo, err := ts.store.Open(1)
		if err != nil {
			t.Fatal(err)
		}
		ref, err := repo.Reference("refs/heads/main", true)
		if err != nil {
			t.Fatal(err)
		}
		iter, err := repo.Log(&git.LogOptions{From: ref.Hash()})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		err = iter.ForEach(func(c *object.Commit) error {
			n++
			_, err := c.Files()
			return err
		})
		if err != nil || n < 4 {
			t.Errorf("go-git walked %d commits: %v", n, err)
		}
	})
	g.run(ts.store.Path(1), "fsck", "--strict", "--no-dangling")
}

func TestCloneWithHeadOnMissingBranch(t *testing.T) {
	ts := newTestServer(t)
	g := newGitCLI(t)
	dir := g.newWorkTree(2)
	ts.createRepo(1) // HEAD names main
	g.run(dir, "push", "-q", ts.url(1), "main:refs/heads/other")
	for _, p := range protocols {
		clone := filepath.Join(t.TempDir(), p.name)
		g.run("", "-c", "protocol.version="+p.version, "clone", "-q", ts.url(1), clone)
		if got := g.run(clone, "rev-parse", "origin/other"); got != g.run(dir, "rev-parse", "main") {
			t.Errorf("%s: origin/other is %s", p.name, got)
		}
	}
}

func TestPushOverTheSizeLimitIsRefused(t *testing.T) {
	ts := newTestServer(t)
	g := newGitCLI(t)
	dir := g.newWorkTree(2)
	seedRepo(t, ts, g, 1, dir)
	ts.setMaxPackSize(1 << 20)
	ts.store.WaitBackground() // the bitmap of the first push
	before := repoSnapshot(t, ts.store, 1)

	blob := make([]byte, 1536<<10)
	if _, err := rand.Read(blob); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "random.bin"), blob, 0o644); err != nil {
		t.Fatal(err)
	}
	g.run(dir, "add", "random.bin")
	g.run(dir, "commit", "-q", "-m", "too big")
	posts := len(ts.requestLog())
	out, err := g.try(dir, "push", ts.url(1), "main")
	for _, want := range []string{
		"remote: cairn: the pushed pack is larger than the 1 MiB this server accepts",
		"error: remote unpack failed: pack exceeds maximum allowed size (1 MiB)",
		"[remote rejected] main -> main (unpacker error)",
	} {
		if err == nil || !strings.Contains(out, want) {
			t.Errorf("push said (err %v):\n%s\nwant %q", err, out, want)
		}
	}
	// One probe and one body: the rest of the pack was read, not posted again.
	if log := ts.requestLog()[posts:]; len(log) != 3 {
		t.Errorf("requests of the push: %q", log)
	}
	if after := repoSnapshot(t, ts.store, 1); after != before {
		t.Errorf("the repository changed:\n%s\n---\n%s", before, after)
	}
	if tmp, _ := os.ReadDir(filepath.Join(ts.store.Root(), ".tmp")); len(tmp) != 0 {
		t.Errorf("left behind in .tmp: %v", tmp)
	}

	ts.setMaxPackSize(2 << 20)
	g.run(dir, "push", "-q", ts.url(1), "main")
}

// mktree writes a tree of entries ("<mode> <type> <id>\t<name>") with git mktree.
func mktree(t *testing.T, g *gitCLI, dir string, entries ...string) string {
	t.Helper()
	cmd := exec.Command("git", "mktree")
	cmd.Dir = dir
	cmd.Env = g.env
	cmd.Stdin = strings.NewReader(strings.Join(entries, "\n") + "\n")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("mktree: %v", err)
	}
	return strings.TrimSpace(string(out))
}

func TestPushOfDotGitPathIsRefused(t *testing.T) {
	ts := newTestServer(t)
	g := newGitCLI(t)
	dir := g.newWorkTree(2)
	seedRepo(t, ts, g, 1, dir)
	ts.store.WaitBackground() // the bitmap of the first push
	before := repoSnapshot(t, ts.store, 1)

	blob := g.run(dir, "rev-parse", "HEAD:README")
	hooks := mktree(t, g, dir, "100644 blob "+blob+"\tpost-checkout")
	tests := []struct {
		name string
		path string // where the bad tree goes: "" for the root
		bad  string // its entry
	}{
		{".git at the root", "", ".git"},
		{".GIT", "", ".GIT"},
		{".git in a directory", "a", ".git"},
		{".git with a trailing dot", "", ".git."},
		{"the NTFS short name", "a", "GIT~1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := mktree(t, g, dir, "040000 tree "+hooks+"\t"+tt.bad, "100644 blob "+blob+"\tREADME")
			root := bad
			if tt.path != "" {
				root = mktree(t, g, dir, "040000 tree "+bad+"\t"+tt.path, "100644 blob "+blob+"\tREADME")
			}
			commit := g.run(dir, "commit-tree", root, "-p", "HEAD", "-m", "hooks")
			out, err := g.try(dir, "push", ts.url(1), commit+":refs/heads/main")
			for _, want := range []string{
				"remote: error: object " + bad + ": hasDotgit: contains '.git'",
				"error: remote unpack failed: object " + bad + ": hasDotgit: contains '.git'",
			} {
				if err == nil || !strings.Contains(out, want) {
					t.Errorf("push said (err %v):\n%s\nwant %q", err, out, want)
				}
			}
			if after := repoSnapshot(t, ts.store, 1); after != before {
				t.Errorf("the repository changed:\n%s\n---\n%s", before, after)
			}
		})
	}
	// Everyone can still clone.
	clone := filepath.Join(t.TempDir(), "c")
	g.run("", "clone", "-q", ts.url(1), clone)
	g.assertFsck(clone)
}

func TestDeltifiedDotGitTreeIsRefused(t *testing.T) {
	// A tree stored as a delta is only seen whole once deltas are resolved.
	ts := newTestServer(t)
	g := newGitCLI(t)
	dir := g.newWorkTree(1)
	seedRepo(t, ts, g, 1, dir)
	ts.store.WaitBackground()
	blob := g.run(dir, "rev-parse", "HEAD:README")
	var entries []string
	for i := 0; i < 200; i++ {
		entries = append(entries, fmt.Sprintf("100644 blob %s\tfile%03d.txt", blob, i))
	}
	// pack-objects makes the larger of two similar trees the base.
	good := mktree(t, g, dir, append(entries, "100644 blob "+blob+"\tlonger-name-than-the-other-one.txt")...)
	bad := mktree(t, g, dir, append(entries, "040000 tree "+good+"\t.Git")...)
	parent := g.run(dir, "rev-parse", "HEAD")
	c1 := g.run(dir, "commit-tree", good, "-p", parent, "-m", "good")
	c2 := g.run(dir, "commit-tree", bad, "-p", c1, "-m", "bad")
	pack := packObjects(t, g, dir, c2+"\n^"+parent+"\n", "--revs", "--window=10")
	packFile := filepath.Join(t.TempDir(), "p.pack")
	if err := os.WriteFile(packFile, pack, 0o644); err != nil {
		t.Fatal(err)
	}
	g.run(dir, "index-pack", packFile)
	verify := g.run(dir, "verify-pack", "-v", packFile)
	if !regexp.MustCompile(`(?m)^` + bad + ` tree .* 1 ` + good + `$`).MatchString(verify) {
		t.Fatalf("the tree with .Git is not a delta of the other:\n%s", verify)
	}
	var out bytes.Buffer
	res, err := ts.store.ReceivePack(t.Context(), 1,
		bytes.NewReader(pushBody(parent, c2, "refs/heads/main", pack)), &out, ReceivePackOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := "object " + bad + ": hasDotgit: contains '.git'"; res.UnpackError != want {
		t.Errorf("unpack error %q, want %q", res.UnpackError, want)
	}
	if len(res.Applied) != 0 {
		t.Errorf("applied %+v", res.Applied)
	}
}

// TestPushFastForwardIsGitMergeBaseIsAncestor moves main of a repository with a commit-graph
// back and forth across its history (merges, side branches) and holds what Authorize is told
// against git merge-base --is-ancestor.
func TestPushFastForwardIsGitMergeBaseIsAncestor(t *testing.T) {
	hf := newHistoryFixture(t, 300, 33)
	ts := newTestServer(t)
	ts.createRepo(1)
	hf.g.run(hf.dir, "push", "-q", ts.url(1), "refs/heads/*:refs/heads/*")
	ts.store.WaitBackground()
	if _, err := os.Stat(commitGraphPath(ts.store.Path(1))); err != nil {
		t.Fatal(err)
	}
	// The server's goroutine appends and the test reads after git exits: nothing orders the two
	// for the race detector but the lock.
	var mu sync.Mutex
	var got []PendingUpdate
	ts.setAuthorize(func(_ context.Context, ups []PendingUpdate) []RefDecision {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, ups...)
		return make([]RefDecision, len(ups))
	})
	commits := strings.Fields(hf.g.run(hf.dir, "rev-list", "--all"))
	rng := mrand.New(mrand.NewSource(1))
	cur := hf.g.run(hf.dir, "rev-parse", "main")
	for i := 0; i < 16; i++ {
		next := commits[rng.Intn(len(commits))]
		if i%4 == 0 {
			next = hf.g.run(hf.dir, "rev-parse", cur+"~1") // backwards by one
		}
		if next == cur {
			continue
		}
		mu.Lock()
		got = nil
		mu.Unlock()
		hf.g.run(hf.dir, "push", "-q", "--force", ts.url(1), next+":refs/heads/main")
		_, err := hf.g.try(hf.dir, "merge-base", "--is-ancestor", cur, next)
		mu.Lock()
		saw := got
		mu.Unlock()
		if len(saw) != 1 || saw[0].FastForward != (err == nil) {
			t.Fatalf("main %s -> %s: authorize saw %+v; git merge-base --is-ancestor: %v", cur, next, saw, err == nil)
		}
		cur = next
	}
}

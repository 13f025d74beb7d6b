package gitstore

import (
	"bytes"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// wantFlood is an upload-pack request of n want lines for tip (v0, or a v2 fetch).
func wantFlood(tip string, n int, v2 bool) []byte {
	var req bytes.Buffer
	pw := newPktWriter(&req)
	if v2 {
		_ = pw.line("command=fetch")
		_ = pw.delim()
	}
	for i := 0; i < n; i++ {
		line := "want " + tip
		if i == 0 && !v2 {
			line += " side-band-64k ofs-delta"
		}
		_ = pw.line(line)
	}
	if !v2 {
		_ = pw.flush()
	}
	_ = pw.line("done")
	_ = pw.flush()
	return req.Bytes()
}

// firstPacket returns the text of the first packet of an upload-pack response.
func firstPacket(t *testing.T, out []byte) string {
	t.Helper()
	kind, p, err := newPktReader(bytes.NewReader(out)).next()
	if err != nil || kind != pktData {
		t.Fatalf("response starts with %v %q (%v)", kind, out[:min(len(out), 64)], err)
	}
	return pktText(p)
}

func TestUploadPackRefusesOversizedRequest(t *testing.T) {
	ts := newTestServer(t)
	g := newGitCLI(t)
	dir := g.newWorkTree(2)
	seedRepo(t, ts, g, 1, dir)
	tip := g.run(dir, "rev-parse", "HEAD")
	lines := maxUploadRequest/len("0032want "+tip+"\n") + 1000
	for _, v := range []int{0, 2} {
		body := wantFlood(tip, lines, v == 2)
		start := time.Now()
		var out bytes.Buffer
		err := ts.store.UploadPack(t.Context(), 1, bytes.NewReader(body), &out, UploadPackOptions{ProtocolVersion: v})
		if err == nil {
			t.Errorf("v%d: a %d-byte request was served", v, len(body))
		}
		if got, want := firstPacket(t,
			out.Bytes()), "ERR upload-pack: the request is larger than the 16 MiB limit"; got != want {
			t.Errorf("v%d: reply %q, want %q", v, got, want)
		}
		if bytes.Contains(out.Bytes(), []byte("PACK")) {
			t.Errorf("v%d: a pack was sent", v)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("v%d: refusing took %v", v, d)
		}
	}
	// Just under the limit is served.
	body := wantFlood(tip, lines-2000, false)
	var out bytes.Buffer
	if err := ts.store.UploadPack(t.Context(), 1, bytes.NewReader(body), &out, UploadPackOptions{}); err != nil {
		t.Fatalf("a %d-byte request: %v", len(body), err)
	}
	if got := firstPacket(t, out.Bytes()); got != "NAK" || !strings.Contains(out.String(), "PACK") {
		t.Errorf("a request under the limit got %q", got)
	}
}

func TestRepeatedWantsCountOnce(t *testing.T) {
	tip := strings.Repeat("ab", 20)
	for _, v2 := range []bool{false, true} {
		pr := newPktReader(bytes.NewReader(wantFlood(tip, 1000, v2)))
		var a *fetchArgs
		var err error
		if v2 {
			var req *v2Request
			if req, err = readV2Request(pr); err == nil {
				a, err = parseV2Fetch(req.args)
			}
		} else {
			a, err = parseV0Fetch(pr)
		}
		if err != nil {
			t.Fatalf("v2=%v: %v", v2, err)
		}
		if len(a.wants) != 1 || a.wants[0].String() != tip {
			t.Errorf("v2=%v: 1000 identical want lines became %d wants", v2, len(a.wants))
		}
	}
}

func TestTooManyDistinctWantsAreRefused(t *testing.T) {
	ts := newTestServer(t)
	g := newGitCLI(t)
	dir := g.newWorkTree(1)
	seedRepo(t, ts, g, 1, dir)
	tests := []struct {
		wants int
		reply string
	}{
		{maxWants, "ERR upload-pack: not our ref 0000000000000000000000000000000000000000"},
		{maxWants + 1,
			fmt.Sprintf("ERR upload-pack: too many wants: %d distinct objects, at most %d", maxWants+1, maxWants)},
	}
	for _, tt := range tests {
		var req bytes.Buffer
		pw := newPktWriter(&req)
		for i := 0; i < tt.wants; i++ {
			_ = pw.line(fmt.Sprintf("want %040x", i))
		}
		_ = pw.flush()
		_ = pw.line("done")
		var out bytes.Buffer
		if err := ts.store.UploadPack(t.Context(), 1, &req, &out, UploadPackOptions{}); err == nil {
			t.Errorf("%d wants: served", tt.wants)
		}
		if got := firstPacket(t, out.Bytes()); got != tt.reply {
			t.Errorf("%d wants: reply %q, want %q", tt.wants, got, tt.reply)
		}
	}
}

// twoHistories makes repository 1 with n commits on main, each changing one file, and an
// unrelated branch "old" of n older commits. It returns main's blobs and old's commits.
func twoHistories(t *testing.T, ts *testServer, g *gitCLI, n int) (blobs, oldCommits []string) {
	t.Helper()
	ts.createRepo(1)
	var stream strings.Builder
	for _, branch := range []string{"old", "main"} {
		for c := 1; c <= n; c++ {
			when := 1500000000 + c*60
			if branch == "main" {
				when += 2 * n * 60
			}
			fmt.Fprintf(&stream, "commit refs/heads/%s\nauthor A <a@example.com> %d +0000\n"+
				"committer A <a@example.com> %d +0000\ndata 2\n%d\n", branch, when, when, c%10)
			data := fmt.Sprintf("%s %d\n", branch, c)
			fmt.Fprintf(&stream, "M 100644 inline f\ndata %d\n%s\n", len(data), data)
		}
	}
	cmd := exec.Command("git", "fast-import", "--quiet")
	cmd.Dir = ts.store.Path(1)
	cmd.Env = g.env
	cmd.Stdin = strings.NewReader(stream.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("fast-import: %v\n%s", err, out)
	}
	blobs = strings.Fields(g.run(ts.store.Path(1), "log", "--format=", "--raw", "--no-abbrev", "main"))
	for i := 0; i+5 < len(blobs); i += 6 {
		blobs[i/6] = blobs[i+3]
	}
	blobs = blobs[:len(blobs)/6]
	oldCommits = strings.Fields(g.run(ts.store.Path(1), "rev-list", "old"))
	return blobs, oldCommits
}

func TestReadinessChecksAreBounded(t *testing.T) {
	// Every known have followed by an unknown one used to cost a walk of the history
	// from the wants: thousands of walks in a request of a megabyte.
	ts := newTestServer(t)
	g := newGitCLI(t)
	const n = 2000
	blobs, oldCommits := twoHistories(t, ts, g, n)
	if len(blobs) != n || len(oldCommits) != n {
		t.Fatalf("%d blobs, %d old commits", len(blobs), len(oldCommits))
	}
	main := g.run(ts.store.Path(1), "rev-parse", "main")
	tests := []struct {
		name      string
		known     []string
		maxVisits int
	}{
		{"objects other than commits", blobs, n},
		{"commits of an unrelated history", oldCommits, giveUpBudget},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var req bytes.Buffer
			pw := newPktWriter(&req)
			_ = pw.line("want " + main + " multi_ack_detailed side-band-64k ofs-delta")
			_ = pw.flush()
			for i, h := range tt.known {
				_ = pw.line("have " + h)
				_ = pw.line(fmt.Sprintf("have %040x", i+1))
			}
			_ = pw.flush()
			sess, err := ts.store.newUploadSession(1, UploadPackOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer sess.db.close()
			var out bytes.Buffer
			if err := sess.serveV0(t.Context(), newPktReader(&req), &out); err != nil {
				t.Fatal(err)
			}
			if sess.giveUpVisits > tt.maxVisits {
				t.Errorf("%d commits visited to decide readiness, want at most %d", sess.giveUpVisits, tt.maxVisits)
			}
			if got := strings.Count(out.String(), " common\n"); got != len(tt.known) {
				t.Errorf("%d haves acknowledged as common, want %d", got, len(tt.known))
			}
			if strings.Contains(out.String(), "ready") {
				t.Errorf("ready, though nothing the client has is in main's history")
			}
		})
	}
}

func TestLsRefsPrefixes(t *testing.T) {
	ts := newTestServer(t)
	g := newGitCLI(t)
	dir := g.newWorkTree(1)
	g.run(dir, "branch", "maint")
	g.run(dir, "tag", "v1")
	seedRepo(t, ts, g, 1, dir, "main", "maint", "v1")
	// Many prefixes that match nothing cost a lookup per beginning of each name, not a
	// comparison per prefix and name.
	var many []string
	for i := 0; i < 200_000; i++ {
		many = append(many, fmt.Sprintf("refs/heads/x%d", i))
	}
	tests := []struct {
		name     string
		prefixes []string
		refs     string
	}{
		{"none: everything", nil, "HEAD refs/heads/main refs/heads/maint refs/tags/v1"},
		{"empty prefix: everything", []string{""}, "HEAD refs/heads/main refs/heads/maint refs/tags/v1"},
		{"part of a name", []string{"refs/heads/mai"}, "refs/heads/main refs/heads/maint"},
		{"whole names", []string{"HEAD", "refs/tags/v1"}, "HEAD refs/tags/v1"},
		{"several", []string{"refs/tags/", "refs/heads/maint"}, "refs/heads/maint refs/tags/v1"},
		{"many", append(many, "refs/tags/v"), "refs/tags/v1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var req bytes.Buffer
			pw := newPktWriter(&req)
			_ = pw.line("command=ls-refs")
			_ = pw.delim()
			for _, p := range tt.prefixes {
				_ = pw.line("ref-prefix " + p)
			}
			_ = pw.flush()
			var out bytes.Buffer
			if err := ts.store.UploadPack(t.Context(), 1, &req, &out,
				UploadPackOptions{ProtocolVersion: 2}); err != nil {
				t.Fatal(err)
			}
			var names []string
			pr := newPktReader(&out)
			for {
				kind, p, err := pr.next()
				if err != nil || kind != pktData {
					break
				}
				names = append(names, strings.Fields(pktText(p))[1])
			}
			if got := strings.Join(names, " "); got != tt.refs {
				t.Errorf("listed %q, want %q", got, tt.refs)
			}
		})
	}
}

package gitstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

// gitCommitGraph has C git write the commit-graph of dir as cairn's maintenance does and
// returns it; the file cairn wrote, if any, is put back afterwards.
func gitCommitGraph(t *testing.T, g *gitCLI, dir string) []byte {
	t.Helper()
	path := commitGraphPath(dir)
	mine, mineErr := os.ReadFile(path)
	os.Remove(path)
	g.run(dir, "-c", "commitGraph.generationVersion=2", "commit-graph", "write", "--reachable", "--changed-paths")
	theirs, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(path)
	if mineErr == nil {
		if err := os.WriteFile(path, mine, 0o444); err != nil {
			t.Fatal(err)
		}
	}
	return theirs
}

func TestCommitGraphIsTheFileGitWrites(t *testing.T) {
	hf := newHistoryFixture(t, 300, 1)
	st, err := writeCommitGraph(context.Background(), hf.dir)
	if err != nil {
		t.Fatal(err)
	}
	if st.commits < 300 || st.newFilters != st.commits {
		t.Fatalf("stats %+v", st)
	}
	hf.g.run(hf.dir, "commit-graph", "verify")
	mine, err := os.ReadFile(commitGraphPath(hf.dir))
	if err != nil {
		t.Fatal(err)
	}
	theirs := gitCommitGraph(t, hf.g, hf.dir)
	if !bytes.Equal(mine, theirs) {
		t.Fatalf("cairn's commit-graph (%d bytes) differs from git's (%d bytes) at byte %d", len(mine),
			len(theirs), firstDiff(mine, theirs))
	}
	// git itself uses the file: a path-limited log consults its Bloom filters.
	out := hf.g.runEnv([]string{"GIT_TRACE2_PERF=1"}, hf.dir, "log", "--format=%H", "main", "--", "README")
	if !strings.Contains(out, `"definitely_not":`) || strings.Contains(out, `"definitely_not":0,`) {
		t.Errorf("git did not use the Bloom filters:\n%.3000s", out)
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func TestCommitGraphUpdateReusesWhatTheGraphHolds(t *testing.T) {
	hf := newHistoryFixture(t, 150, 2)
	first, err := writeCommitGraph(context.Background(), hf.dir)
	if err != nil {
		t.Fatal(err)
	}
	again, err := writeCommitGraph(context.Background(), hf.dir)
	if err != nil || !again.unchanged || again.newFilters != 0 {
		t.Fatalf("second write with nothing new: %+v, %v", again, err)
	}
	// New commits on main and a new branch: only they are read and diffed.
	wt := t.TempDir()
	hf.g.run(wt, "clone", "-q", hf.dir, ".")
	hf.g.commit(wt, "more", map[string]string{"src/new.txt": "new\n", "a.txt": "changed\n"})
	hf.g.commit(wt, "more again", map[string]string{"src/new.txt": "newer\n"})
	hf.g.run(wt, "push", "-q", "origin", "HEAD:refs/heads/main", "HEAD~1:refs/heads/other")
	next, err := writeCommitGraph(context.Background(), hf.dir)
	if err != nil {
		t.Fatal(err)
	}
	if next.commits != first.commits+2 || next.reused != first.commits || next.newFilters != 2 {
		t.Fatalf("after two new commits: %+v (before: %+v)", next, first)
	}
	hf.g.run(hf.dir, "commit-graph", "verify")
	mine, _ := os.ReadFile(commitGraphPath(hf.dir))
	if theirs := gitCommitGraph(t, hf.g, hf.dir); !bytes.Equal(mine, theirs) {
		t.Fatalf("updated commit-graph differs from git's at byte %d", firstDiff(mine, theirs))
	}
}

func TestCommitGraphReadsWhatGitWrote(t *testing.T) {
	hf := newHistoryFixture(t, 200, 3)
	gitCommitGraph(t, hf.g, hf.dir)
	hf.g.run(hf.dir, "commit-graph", "write", "--reachable", "--changed-paths")
	cg, err := readCommitGraph(commitGraphPath(hf.dir))
	if err != nil {
		t.Fatal(err)
	}
	if !cg.hasBloom() || cg.bloom != defaultBloom || cg.gda2 == nil {
		t.Fatalf("settings %+v, generation data %v", cg.bloom, cg.gda2 != nil)
	}
	// Every commit's tree, parents and time as git prints them; generations above parents'.
	out := hf.g.run(hf.dir, "log", "--all", "--format=%H %T %ct %P")
	lines := strings.Split(out, "\n")
	if int(cg.n) != len(lines) {
		t.Fatalf("graph has %d commits, git log %d", cg.n, len(lines))
	}
	for _, line := range lines {
		f := strings.Fields(line)
		pos, ok := cg.find(plumbing.NewHash(f[0]))
		if !ok {
			t.Fatalf("commit %s not found", f[0])
		}
		ct, _ := strconv.ParseInt(f[2], 10, 64)
		if cg.treeAt(pos).String() != f[1] || cg.timeAt(pos) != ct {
			t.Fatalf("commit %s: tree %s time %d", f[0], cg.treeAt(pos), cg.timeAt(pos))
		}
		parents, err := cg.parentsAt(pos, nil)
		if err != nil || len(parents) != len(f)-3 {
			t.Fatalf("commit %s: parents %v %v", f[0], parents, err)
		}
		gen, _ := cg.generationAt(pos)
		for i, p := range parents {
			if cg.hashAt(p).String() != f[3+i] {
				t.Fatalf("commit %s: parent %d is %s", f[0], i, cg.hashAt(p))
			}
			if pg, _ := cg.generationAt(p); pg >= gen {
				t.Fatalf("commit %s: generation %d not above its parent's %d", f[0], gen, pg)
			}
		}
	}
	if _, ok := cg.find(plumbing.NewHash(strings.Repeat("ab", 20))); ok {
		t.Fatal("found a commit that is not there")
	}
}

// TestBloomFiltersAdmitEveryChangedPath checks the filters of a graph against the paths
// git diff-tree lists for each commit, leading directories included.
func TestBloomFiltersAdmitEveryChangedPath(t *testing.T) {
	hf := newHistoryFixture(t, 120, 4)
	if _, err := writeCommitGraph(context.Background(), hf.dir); err != nil {
		t.Fatal(err)
	}
	cg, err := readCommitGraph(commitGraphPath(hf.dir))
	if err != nil {
		t.Fatal(err)
	}
	out := hf.g.run(hf.dir, "-c", "core.quotePath=false", "log", "--first-parent", "-m", "--root",
		"--name-only", "--format=@%H", "main")
	var filter []byte
	checked := 0
	for _, line := range strings.Split(out, "\n") {
		switch {
		case line == "":
		case strings.HasPrefix(line, "@"):
			pos, ok := cg.find(plumbing.NewHash(line[1:]))
			if !ok {
				t.Fatalf("%s not in the graph", line[1:])
			}
			filter, _ = cg.bloomAt(pos)
		default:
			for p := line; p != "."; p = filepath.Dir(p) {
				if !bloomMaybeChanged(filter, []bloomKey{newBloomKey([]byte(p), cg.bloom)}) {
					t.Fatalf("the filter misses %q", p)
				}
				checked++
			}
		}
	}
	if checked < 100 {
		t.Fatalf("only %d paths checked", checked)
	}
}

func TestMurmur3OfGitsFilters(t *testing.T) {
	// Values from git's t/helper/test-bloom.c runs (t0095-bloom.sh).
	tests := []struct {
		seed    uint32
		data    string
		version uint32
		want    uint32
	}{
		{0, "", 1, 0x00000000},
		{0, "Hello world!", 1, 0x627b0c2c},
		{0, "The quick brown fox jumps over the lazy dog", 1, 0x2e4ff723},
		{0, "\x99\xaa\xbb\xcc\xdd\xee\xff", 2, 0xa183ccfd},
	}
	for _, tc := range tests {
		if got := murmur3(tc.seed, []byte(tc.data), tc.version); got != tc.want {
			t.Errorf("murmur3(%d, %q, v%d) = %#x, want %#x", tc.seed, tc.data, tc.version, got, tc.want)
		}
	}
	// A key and a one-path filter, as `test-tool bloom generate_filter` prints them.
	key := newBloomKey([]byte("Hello world!"), defaultBloom)
	want := bloomKey{0xb270de9b, 0x1bb6f26e, 0x84fd0641, 0xee431a14, 0x57892de7, 0xc0cf41ba, 0x2a15558d}
	if !slices.Equal(key, want) {
		t.Errorf("key %x, want %x", key, want)
	}
	filter := make([]byte, 2)
	bloomAdd(filter, key)
	if !bytes.Equal(filter, []byte{0x92, 0x6c}) || !bloomContains(filter, key) {
		t.Errorf("filter %x, want 926c", filter)
	}
}

func TestDamagedCommitGraphsAreRefused(t *testing.T) {
	hf := newHistoryFixture(t, 40, 5)
	if _, err := writeCommitGraph(context.Background(), hf.dir); err != nil {
		t.Fatal(err)
	}
	good, _ := os.ReadFile(commitGraphPath(hf.dir))
	damage := map[string]func(b []byte) []byte{
		"truncated":          func(b []byte) []byte { return b[:len(b)/2] },
		"bad signature":      func(b []byte) []byte { b[0] = 'X'; return b },
		"chunk past the end": func(b []byte) []byte { binary.BigEndian.PutUint64(b[8+4:], uint64(len(b)*2)); return b },
		"base graphs":        func(b []byte) []byte { b[7] = 1; return b },
		"non-monotonic fan-out": func(b []byte) []byte {
			off := binary.BigEndian.Uint64(b[8+4:])
			binary.BigEndian.PutUint32(b[off:], 0xffffff)
			return b
		},
	}
	for name, f := range damage {
		t.Run(name, func(t *testing.T) {
			if _, err := parseCommitGraph(f(append([]byte(nil), good...))); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

// syntheticCommitGraph encodes a small graph: a root, a child, an octopus merge, and a
// commit whose generation offset overflows into GDO2.
func syntheticCommitGraph() []byte {
	h := func(b byte) plumbing.Hash { var x plumbing.Hash; x[0], x[19] = b, b; return x }
	entries := []*graphEntry{
		{hash: h(0x10), tree: h(1), time: 1000, filter: []byte{0}},
		{hash: h(0x20), tree: h(2), time: 2000, pos: []uint32{0}, filter: []byte{0xff}},
		{hash: h(0x30), tree: h(3), time: 500, pos: []uint32{0, 1, 3}, filter: []byte{1, 2, 3}},
		{hash: h(0x40), tree: h(4), time: 0, pos: []uint32{1}, filter: []byte{7}},
	}
	computeGenerations(entries)
	entries[3].gen = 1 << 40 // as if the clock had jumped far back: an offset beyond 31 bits
	b, _ := encodeCommitGraph(entries)
	return b
}

// FuzzParseCommitGraph feeds damaged commit-graphs to the reader: it must refuse them or
// answer every lookup without panicking.
func FuzzParseCommitGraph(f *testing.F) {
	f.Add(syntheticCommitGraph())
	f.Fuzz(func(t *testing.T, data []byte) {
		cg, err := parseCommitGraph(data)
		if err != nil {
			return
		}
		for pos := uint32(0); pos < cg.n && pos < 64; pos++ {
			cg.find(cg.hashAt(pos))
			cg.treeAt(pos)
			cg.generationAt(pos)
			cg.parentsAt(pos, nil)
			cg.bloomAt(pos)
		}
	})
}

func TestSyntheticCommitGraphReadsBack(t *testing.T) {
	cg, err := parseCommitGraph(syntheticCommitGraph())
	if err != nil {
		t.Fatal(err)
	}
	pos, ok := cg.find(plumbing.Hash{0x30, 19: 0x30})
	if !ok {
		t.Fatal("octopus not found")
	}
	if ps, err := cg.parentsAt(pos, nil); err != nil || !slices.Equal(ps, []uint32{0, 1, 3}) {
		t.Fatalf("octopus parents %v %v", ps, err)
	}
	if g, err := cg.generationAt(3); err != nil || g != 1<<40 {
		t.Fatalf("overflowed generation %d %v", g, err)
	}
	if f, ok := cg.bloomAt(2); !ok || !bytes.Equal(f, []byte{1, 2, 3}) {
		t.Fatalf("filter %x", f)
	}
}

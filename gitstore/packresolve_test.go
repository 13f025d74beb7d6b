package gitstore

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

// seededStore is a test server whose repository 1 holds the main branch of a work tree of
// n commits, pushed and settled; it returns them with the work tree and its tip.
func seededStore(t *testing.T, n int) (*testServer, *gitCLI, string, string) {
	t.Helper()
	ts := newTestServer(t)
	g := newGitCLI(t)
	dir := g.newWorkTree(n)
	seedRepo(t, ts, g, 1, dir)
	ts.store.WaitBackground()
	return ts, g, dir, g.run(dir, "rev-parse", "HEAD")
}

// appendDelta is a delta turning base into base+add.
func appendDelta(base, add []byte) []byte {
	d := append(deltaHeader(uint64(len(base)), uint64(len(base)+len(add))), copyAll(len(base))...)
	return append(append(d, byte(len(add))), add...)
}

// prefixDelta is a delta making target from base, whose first keep bytes it shares.
func prefixDelta(base, target []byte, keep int) []byte {
	d := append(deltaHeader(uint64(len(base)), uint64(len(target))), copyAll(keep)...)
	for rest := target[keep:]; len(rest) > 0; {
		n := min(len(rest), 127)
		d = append(append(d, byte(n)), rest[:n]...)
		rest = rest[n:]
	}
	return d
}

// packBuilder lays out hand-made pack entries, remembering where each starts.
type packBuilder struct {
	entries [][]byte
	offsets []int64
	next    int64
}

func (b *packBuilder) add(e []byte) int {
	if b.next == 0 {
		b.next = 12
	}
	b.entries = append(b.entries, e)
	b.offsets = append(b.offsets, b.next)
	b.next += int64(len(e))
	return len(b.entries) - 1
}

func (b *packBuilder) whole(typ plumbing.ObjectType, data []byte) int {
	return b.add(rawEntry(typ, int64(len(data)), nil, zlibBytes(data)))
}

// ofs adds a delta on entry base.
func (b *packBuilder) ofs(base int, delta []byte) int {
	next := b.next
	if next == 0 {
		next = 12
	}
	return b.add(rawEntry(plumbing.OFSDeltaObject, int64(len(delta)), next-b.offsets[base], zlibBytes(delta)))
}

func (b *packBuilder) ref(base plumbing.Hash, delta []byte) int {
	return b.add(rawEntry(plumbing.REFDeltaObject, int64(len(delta)), base, zlibBytes(delta)))
}

func TestPackOfDuplicatesAndMixedDeltaChainsIsIndexed(t *testing.T) {
	ts, g, _, tip := seededStore(t, 1)

	// x is stored whole twice; y is a REF_DELTA on x; z an OFS_DELTA on y; w a REF_DELTA on
	// z placed before z's base chain is known; v a REF_DELTA on w, stored before w. Many
	// more chains of blobs, so that every worker has some.
	x := []byte(strings.Repeat("the base blob\n", 40))
	y := append(append([]byte(nil), x...), "y\n"...)
	z := append(append([]byte(nil), y...), "z\n"...)
	w := append(append([]byte(nil), z...), "w\n"...)
	v := append(append([]byte(nil), w...), "v\n"...)
	id := func(data []byte) plumbing.Hash { return plumbing.ComputeHash(plumbing.BlobObject, data) }
	var pb packBuilder
	pb.ref(id(w), appendDelta(w, []byte("v\n")))
	pb.ref(id(z), appendDelta(z, []byte("w\n")))
	pb.whole(plumbing.BlobObject, x)
	pb.whole(plumbing.BlobObject, x)
	yi := pb.ref(id(x), appendDelta(x, []byte("y\n")))
	pb.ofs(yi, appendDelta(y, []byte("z\n")))
	names := map[string]plumbing.Hash{}
	for _, b := range [][]byte{x, y, z, w, v} {
		names["f"+id(b).String()] = id(b)
	}
	for i := 0; i < 64; i++ {
		base := []byte(fmt.Sprintf("chain %d\n%s", i, x))
		bi := pb.whole(plumbing.BlobObject, base)
		prev := base
		for k := 0; k < 5; k++ {
			add := []byte(fmt.Sprintf("link %d\n", k))
			bi = pb.ofs(bi, appendDelta(prev, add))
			prev = append(append([]byte(nil), prev...), add...)
		}
		names[fmt.Sprintf("chain%02d", i)] = id(prev)
	}
	var tree []byte
	for _, n := range slices.Sorted(maps.Keys(names)) {
		tree = append(tree, blobEntry(n, names[n])...)
	}
	treeID := plumbing.ComputeHash(plumbing.TreeObject, tree)
	pb.whole(plumbing.TreeObject, tree)
	commit := []byte(fmt.Sprintf("tree %s\nparent %s\nauthor A <a@example.com> 1500000000 +0000\n"+
		"committer A <a@example.com> 1500000000 +0000\n\nmixed\n", treeID, tip))
	pb.whole(plumbing.CommitObject, commit)
	commitID := plumbing.ComputeHash(plumbing.CommitObject, commit)

	var out bytes.Buffer
	res, err := ts.store.ReceivePack(t.Context(), 1,
		bytes.NewReader(pushBody(tip, commitID.String(), "refs/heads/main", handPack(pb.entries...))),
		&out, ReceivePackOptions{})
	if err != nil || res.UnpackError != "" || len(res.Applied) != 1 {
		t.Fatalf("push: %v %+v\n%q", err, res, out.String())
	}
	if res.ThinBases != 0 {
		t.Errorf("%d thin bases taken from the repository", res.ThinBases)
	}
	repo := ts.store.Path(1)
	g.run(repo, "fsck", "--strict", "--no-dangling")
	for _, b := range [][]byte{x, y, z, w, v} {
		if got := g.run(repo, "cat-file", "blob", id(b).String()); got != strings.TrimSpace(string(b)) {
			t.Errorf("blob %s reads %q", id(b), got)
		}
	}
	// The object stored twice is indexed twice, as git's index-pack does it.
	idx, _ := filepath.Glob(filepath.Join(repo, "objects", "pack", "*.idx"))
	found := 0
	for _, path := range idx {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		pi, err := parseIndex(data)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < pi.count; i++ {
			if pi.hashAt(i) == id(x) {
				found++
			}
		}
	}
	if found != 2 {
		t.Errorf("%s is indexed %d times", id(x), found)
	}
}

func TestPushedObjectsMayReferToTheRepositoryButNotToMissingObjects(t *testing.T) {
	ts, g, dir, tip := seededStore(t, 2)
	readme := plumbing.NewHash(g.run(dir, "rev-parse", "HEAD:README"))
	subtree := plumbing.NewHash(g.run(dir, "rev-parse", "HEAD:dir"))
	missing := plumbing.ComputeHash(plumbing.BlobObject, []byte("never pushed\n"))
	fresh := []byte("a new file\n")

	link := append([]byte("160000 sub\x00"), missing[:]...)
	tests := []struct {
		name    string
		entries [][]byte // of the root tree, sorted
		base    [][]byte // when set, the root tree is a delta on a tree of these, kept as its first entry
		want    string   // in the report
	}{
		{"a blob and a tree of the repository", [][]byte{
			blobEntry("README", readme), append([]byte("40000 dir\x00"), subtree[:]...),
			blobEntry("new.txt", plumbing.ComputeHash(plumbing.BlobObject, fresh))}, nil, "ok refs/heads/main"},
		{"a blob nobody has", [][]byte{
			blobEntry("README", readme), blobEntry("gone.txt", missing)}, nil,
			"ng refs/heads/main missing necessary objects"},
		{"a blob nobody has, added by a delta", [][]byte{
			blobEntry("README", readme), blobEntry("gone.txt", missing)},
			[][]byte{blobEntry("README", readme)}, "ng refs/heads/main missing necessary objects"},
		{"a gitlink's commit made a blob by a delta", [][]byte{
			blobEntry("README", readme), blobEntry("sub", missing)},
			[][]byte{blobEntry("README", readme), link}, "ng refs/heads/main missing necessary objects"},
		{"a gitlink kept by a delta", [][]byte{
			blobEntry("README", readme), link, blobEntry("z.txt", plumbing.ComputeHash(plumbing.BlobObject, fresh))},
			[][]byte{blobEntry("README", readme), link}, "ok refs/heads/main"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cur := g.run(ts.store.Path(1), "rev-parse", "main")
			tree := bytes.Join(tt.entries, nil)
			commit := []byte(fmt.Sprintf("tree %s\nparent %s\nauthor A <a@example.com> 1500000000 +0000\n"+
				"committer A <a@example.com> 1500000000 +0000\n\n%s\n",
				plumbing.ComputeHash(plumbing.TreeObject, tree), cur, tt.name))
			var pb packBuilder
			pb.whole(plumbing.CommitObject, commit)
			if tt.base == nil {
				pb.whole(plumbing.TreeObject, tree)
			} else {
				base := bytes.Join(tt.base, nil)
				bi := pb.whole(plumbing.TreeObject, base)
				pb.ofs(bi, prefixDelta(base, tree, len(tt.base[0])))
			}
			pb.whole(plumbing.BlobObject, fresh)
			var out bytes.Buffer
			body := pushBody(cur, plumbing.ComputeHash(plumbing.CommitObject, commit).String(),
				"refs/heads/main", handPack(pb.entries...))
			if _, err := ts.store.ReceivePack(t.Context(), 1, bytes.NewReader(body), &out,
				ReceivePackOptions{}); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out.String(), tt.want) {
				t.Errorf("report %q lacks %q", out.String(), tt.want)
			}
			g.run(ts.store.Path(1), "fsck", "--strict", "--no-dangling")
		})
	}
	accepted := 0
	for _, tt := range tests {
		if strings.HasPrefix(tt.want, "ok ") {
			accepted++
		}
	}
	if got := g.run(ts.store.Path(1), "rev-list", "--count", tip+"..main"); got != fmt.Sprint(accepted) {
		t.Errorf("main moved by %s commits, want %d", got, accepted)
	}
}

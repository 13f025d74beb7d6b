package gitstore

import (
	"bytes"
	"compress/zlib"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
)

// commandList is the start of a push body: commands, the first with caps (and
// push-options when options is not nil), a flush, then the push options and a flush.
func commandList(commands []string, caps string, options []string) []byte {
	if options != nil {
		caps += " push-options"
	}
	var b bytes.Buffer
	pw := newPktWriter(&b)
	for i, c := range commands {
		if i == 0 {
			c += "\x00" + caps
		}
		_ = pw.line(c)
	}
	_ = pw.flush()
	if options != nil {
		for _, o := range options {
			_ = pw.line(o)
		}
		_ = pw.flush()
	}
	return b.Bytes()
}

// createCommands makes n commands creating refs/heads/<prefix><i> at tip.
func createCommands(tip, prefix string, n int) []string {
	cmds := make([]string, n)
	for i := range cmds {
		cmds[i] = fmt.Sprintf("%040d %s refs/heads/%s%d", 0, tip, prefix, i)
	}
	return cmds
}

// exactCommandList makes commands whose packets, the caps included, take exactly size bytes.
func exactCommandList(tip, caps string, size int) []string {
	var cmds []string
	for size > 0 {
		n := min(size, pktMaxLen)
		if rest := size - n; rest > 0 && rest < 200 {
			n -= 200 // leave the last packet room for a command
		}
		// A packet is 4 bytes of length, the command and a line feed.
		name := "refs/heads/" + strings.Repeat("x", n-4-82-len("refs/heads/")-1)
		if len(cmds) == 0 {
			name = name[:len(name)-1-len(caps)]
		}
		name = fmt.Sprintf("%s%05d", name[:len(name)-5], len(cmds))
		cmds = append(cmds, fmt.Sprintf("%040d %s %s", 0, tip, name))
		size -= n
	}
	return cmds
}

func TestPushCommandListLimits(t *testing.T) {
	tip := strings.Repeat("ab", 20)
	const caps = "report-status side-band-64k"
	options := func(n, size int) []string {
		o := make([]string, n)
		for i := range o {
			o[i] = fmt.Sprintf("%0*d", size, i)
		}
		return o
	}
	tests := []struct {
		name    string
		body    []byte
		limited string // the unpack reason; "" when accepted
	}{
		{"as many commands as allowed", commandList(createCommands(tip, "b", maxPushCommands), caps, nil), ""},
		{"one command more", commandList(createCommands(tip, "b", maxPushCommands+1), caps, nil),
			"too many ref updates (more than 100000)"},
		{"commands of the largest size allowed",
			commandList(exactCommandList(tip, caps, maxCommandListSize), caps, nil), ""},
		{"one byte more", commandList(exactCommandList(tip, caps, maxCommandListSize+1), caps, nil),
			"ref update commands exceed maximum allowed size (32 MiB)"},
		{"as many push options as allowed, each as long as allowed",
			commandList(createCommands(tip, "b", 1), caps, options(maxPushOptions, maxPushOptionSize)), ""},
		{"one push option more", commandList(createCommands(tip, "b", 1), caps, options(maxPushOptions+1, 1)),
			"too many push options (more than 1000)"},
		{"a push option one byte too long",
			commandList(createCommands(tip, "b", 1), caps, options(1, maxPushOptionSize+1)),
			"push option exceeds maximum allowed size (4 KiB)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rr, err := parseReceiveRequest(newPktReader(bytes.NewReader(tt.body)))
			if tt.limited == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var limit *requestLimitError
			if !errors.As(err, &limit) || limit.reason != tt.limited {
				t.Fatalf("error %v, want %q", err, tt.limited)
			}
			if len(rr.commands) == 0 || !rr.caps["side-band-64k"] {
				t.Errorf("the request read so far is lost: %d commands, caps %v", len(rr.commands), rr.caps)
			}
		})
	}
}

func TestPushPastTheCommandLimitsIsRefused(t *testing.T) {
	ts := newTestServer(t)
	g := newGitCLI(t)
	dir := g.newWorkTree(2)
	seedRepo(t, ts, g, 1, dir)
	ts.store.WaitBackground() // the bitmap of the first push
	tip := g.run(dir, "rev-parse", "HEAD")
	before := repoSnapshot(t, ts.store, 1)
	emptyPack := packObjects(t, g, dir, "")
	const caps = "report-status side-band-64k"
	tests := []struct {
		name  string
		body  []byte
		reply []string
	}{
		{"too many commands", commandList(createCommands(tip, "b", maxPushCommands+1), caps, nil), []string{
			"cairn: a push may update at most 100000 references; push fewer at a time",
			"unpack too many ref updates (more than 100000)",
			"ng refs/heads/b0 unpacker error",
		}},
		{"too many push options",
			commandList(createCommands(tip, "b", 1), caps, make([]string, maxPushOptions+1)), []string{
				"cairn: a push may carry at most 1000 push options",
				"unpack too many push options (more than 1000)",
				"ng refs/heads/b0 unpacker error",
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			body := append(tt.body, emptyPack...)
			res, err := ts.store.ReceivePack(t.Context(), 1, bytes.NewReader(body), &out, ReceivePackOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Applied) != 0 {
				t.Errorf("applied %d updates", len(res.Applied))
			}
			for _, want := range tt.reply {
				if !strings.Contains(out.String(), want) {
					t.Errorf("reply lacks %q:\n%.500q", want, out.String())
				}
			}
			if after := repoSnapshot(t, ts.store, 1); after != before {
				t.Errorf("the repository changed:\n%s\n---\n%s", before, after)
			}
		})
	}

	// What git shows the pusher.
	g.commit(dir, "opts", map[string]string{"o.txt": "o"})
	for _, tt := range []struct {
		name    string
		options []string
		want    []string
	}{
		{"too many push options", make([]string, maxPushOptions+1), []string{
			"remote: cairn: a push may carry at most 1000 push options",
			"error: remote unpack failed: too many push options (more than 1000)",
			"! [remote rejected] main -> main (unpacker error)",
		}},
		{"a push option too long", []string{"ci.variable=" + strings.Repeat("v", maxPushOptionSize)}, []string{
			"remote: cairn: a push option may be at most 4 KiB long",
			"error: remote unpack failed: push option exceeds maximum allowed size (4 KiB)",
			"! [remote rejected] main -> main (unpacker error)",
		}},
	} {
		t.Run("git: "+tt.name, func(t *testing.T) {
			args := []string{"push"}
			for i, o := range tt.options {
				if o == "" {
					o = fmt.Sprintf("o%d", i)
				}
				args = append(args, "-o", o)
			}
			out, err := g.try(dir, append(args, ts.url(1), "main")...)
			for _, want := range tt.want {
				if err == nil || !strings.Contains(out, want) {
					t.Errorf("push said (err %v):\n%s\nwant %q", err, out, want)
				}
			}
			if after := repoSnapshot(t, ts.store, 1); after != before {
				t.Errorf("the repository changed:\n%s\n---\n%s", before, after)
			}
		})
	}
	// Within the limits, the same push goes through.
	g.run(dir, "push", "-q", "-o", strings.Repeat("v", maxPushOptionSize), ts.url(1), "main")
}

// zlibBytes compresses data.
func zlibBytes(data []byte) []byte {
	var b bytes.Buffer
	zw := zlib.NewWriter(&b)
	_, _ = zw.Write(data)
	_ = zw.Close()
	return b.Bytes()
}

// zlibZeros compresses n zero bytes, a thousandth of that in size.
func zlibZeros(n int) []byte {
	var b bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&b, zlib.BestSpeed)
	zeros := make([]byte, 1<<20)
	for n > 0 {
		m := min(n, len(zeros))
		_, _ = zw.Write(zeros[:m])
		n -= m
	}
	_ = zw.Close()
	return b.Bytes()
}

// rawEntry is a pack entry declaring size, with compressed data after its header: an
// object of type typ, or, with base set (an offset distance or an id), a delta.
func rawEntry(typ plumbing.ObjectType, size int64, base any, compressed []byte) []byte {
	b := appendEntryHeader(nil, typ, size)
	switch base := base.(type) {
	case int64:
		b = appendOfsDistance(b, base)
	case plumbing.Hash:
		b = append(b, base[:]...)
	}
	return append(b, compressed...)
}

// handPack puts entries together into a version 2 pack.
func handPack(entries ...[]byte) []byte {
	b := []byte("PACK\x00\x00\x00\x02")
	b = binary.BigEndian.AppendUint32(b, uint32(len(entries)))
	for _, e := range entries {
		b = append(b, e...)
	}
	return append(b, sha1Sum(b)...)
}

// deltaHeader begins a delta from a base of srcSize bytes to a result of dstSize.
func deltaHeader(srcSize, dstSize uint64) []byte {
	var b []byte
	for _, v := range []uint64{srcSize, dstSize} {
		for v >= 0x80 {
			b = append(b, byte(v)|0x80)
			v >>= 7
		}
		b = append(b, byte(v))
	}
	return b
}

// copyAll is a delta instruction copying the first n bytes (at most 16 MiB) of the base.
func copyAll(n int) []byte {
	return []byte{0x80 | 0x10 | 0x20 | 0x40, byte(n), byte(n >> 8), byte(n >> 16)}
}

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestPushOfOversizedObjectsIsRefused(t *testing.T) {
	ts := newTestServer(t)
	g := newGitCLI(t)
	dir := g.newWorkTree(2)
	seedRepo(t, ts, g, 1, dir)
	ts.store.WaitBackground() // the bitmap of the first push
	tip := g.run(dir, "rev-parse", "HEAD")
	treeID := plumbing.NewHash(g.run(dir, "rev-parse", "HEAD^{tree}"))
	db, err := openObjectDB(filepath.Join(ts.store.Path(1), "objects"))
	if err != nil {
		t.Fatal(err)
	}
	_, tree, err := db.read(treeID)
	db.close()
	if err != nil {
		t.Fatal(err)
	}
	before := repoSnapshot(t, ts.store, 1)

	rootTree := rawEntry(plumbing.TreeObject, int64(len(tree)), nil, zlibBytes(tree))
	deltaAt := int64(12 + len(rootTree))
	delta := func(typ plumbing.ObjectType, base any, d []byte) []byte {
		return rawEntry(typ, int64(len(d)), base, zlibBytes(d))
	}
	commit := []byte(fmt.Sprintf("tree %s\nparent %s\nauthor A <a@example.com> 1500000000 +0000\n"+
		"committer A <a@example.com> 1500000000 +0000\n\n", treeID, tip))
	commit = append(commit, bytes.Repeat([]byte("x"), maxCommitSize+1-len(commit))...)
	commitID := plumbing.ComputeHash(plumbing.CommitObject, commit)
	// A delta of zeros declaring a result of its base's size: the first zero is a reserved
	// instruction.
	zeroDelta := append(deltaHeader(uint64(len(tree)), uint64(len(tree))), make([]byte, 64<<20)...)

	tests := []struct {
		name   string
		new    string // the commit the push asks main to point at
		pack   []byte
		unpack string
	}{
		{"a tree declaring a terabyte, 64 MiB of zeros inflating", tip,
			handPack(rawEntry(plumbing.TreeObject, 1<<40, nil, zlibZeros(64<<20))),
			"object too large: tree of 1099511627776 bytes at offset 12 (at most 100 MiB)"},
		{"a tag declaring a gigabyte", tip,
			handPack(rawEntry(plumbing.TagObject, 1<<30, nil, zlibZeros(1<<20))),
			"object too large: tag of 1073741824 bytes at offset 12 (at most 10 MiB)"},
		{"a commit one byte over the limit", commitID.String(),
			handPack(rawEntry(plumbing.CommitObject, int64(len(commit)), nil, zlibBytes(commit))),
			"object too large: commit of 10485761 bytes at offset 12 (at most 10 MiB)"},
		{"a delta declaring a tree of 2 GiB", tip,
			handPack(rootTree,
				delta(plumbing.OFSDeltaObject, deltaAt-12,
					append(deltaHeader(uint64(len(tree)), 2<<30), copyAll(len(tree))...))),
			fmt.Sprintf("object too large: tree of 2147483648 bytes at offset %d (at most 100 MiB)", deltaAt)},
		{"a thin delta declaring a tree of 2 GiB", tip,
			handPack(
				delta(plumbing.REFDeltaObject, treeID,
					append(deltaHeader(uint64(len(tree)), 2<<30), copyAll(len(tree))...))),
			"object too large: tree of 2147483648 bytes at offset 12 (at most 100 MiB)"},
		{"a delta of 64 MiB of zeros", tip,
			handPack(rootTree,
				rawEntry(plumbing.OFSDeltaObject, int64(len(zeroDelta)), deltaAt-12, zlibBytes(zeroDelta))),
			fmt.Sprintf("delta at offset %d: invalid delta", deltaAt)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := pushBody(tip, tt.new, "refs/heads/main", tt.pack)
			var out bytes.Buffer
			var res *PushResult
			var err error
			n := allocated(func() {
				res, err = ts.store.ReceivePack(t.Context(), 1, bytes.NewReader(body), &out, ReceivePackOptions{})
			})
			if err != nil {
				t.Fatal(err)
			}
			if res.UnpackError != tt.unpack {
				t.Errorf("unpack error %q, want %q", res.UnpackError, tt.unpack)
			}
			if len(res.Applied) != 0 {
				t.Errorf("applied %+v", res.Applied)
			}
			if n > 16<<20 {
				t.Errorf("refusing the push allocated %d MiB", n>>20)
			}
			if after := repoSnapshot(t, ts.store, 1); after != before {
				t.Errorf("the repository changed:\n%s\n---\n%s", before, after)
			}
			if left, _ := os.ReadDir(filepath.Join(ts.store.Root(), ".tmp")); len(left) != 0 {
				t.Errorf("quarantine left behind: %v", left)
			}
		})
	}

	t.Run("what git shows", func(t *testing.T) {
		msg := make([]byte, maxCommitSize/2+1)
		if _, err := rand.Read(msg); err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(t.TempDir(), "msg")
		if err := os.WriteFile(file, []byte(hex.EncodeToString(msg)), 0o644); err != nil {
			t.Fatal(err)
		}
		c := g.run(dir, "commit-tree", "HEAD^{tree}", "-p", "HEAD", "-F", file)
		out, err := g.try(dir, "push", ts.url(1), c+":refs/heads/main")
		for _, want := range []string{
			"remote: cairn: the push holds a commit larger than the 10 MiB this server accepts",
			"error: remote unpack failed: object too large: commit of ",
			"! [remote rejected] " + c + " -> main (unpacker error)",
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

// sampleWhile runs f, calling sample every 100µs or so while it runs and once at its end.
func sampleWhile(f func(), sample func()) {
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		for {
			sample()
			select {
			case <-done:
				return
			case <-time.After(100 * time.Microsecond):
			}
		}
	}()
	f()
	close(done)
	<-finished
}

// peakHeap runs f and returns the most heap memory in use seen while it ran, beyond what
// was in use before.
func peakHeap(f func()) uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	before := s[0].Value.Uint64()
	var most uint64
	sampleWhile(f, func() {
		metrics.Read(s)
		most = max(most, s[0].Value.Uint64())
	})
	if most < before {
		return 0
	}
	return most - before
}

// blobEntry is a raw tree entry for a blob.
func blobEntry(name string, blob plumbing.Hash) []byte {
	return append([]byte("100644 "+name+"\x00"), blob[:]...)
}

func TestDeltaChainOfLargeTreesIsIndexedInBoundedMemory(t *testing.T) {
	// A chain of 8 MiB trees, each a delta copying the one before whole and adding an
	// entry: a few bytes of pack per tree. Each tree but the last also has a second
	// delta, resolved after the rest of the chain, which needs it again.
	ts, g, dir, tip := seededStore(t, 1)
	blob := plumbing.NewHash(g.run(dir, "rev-parse", "HEAD:README"))
	const links = 48
	var tree []byte
	for i := 0; len(tree) < 8<<20; i++ {
		tree = append(tree, blobEntry(fmt.Sprintf("a%07d", i), blob)...)
	}
	entries := [][]byte{rawEntry(plumbing.TreeObject, int64(len(tree)), nil, zlibBytes(tree))}
	offsets := []int64{12}
	next := offsets[0] + int64(len(entries[0]))
	base := 0 // the entry holding the current end of the chain
	for i := 0; i < links; i++ {
		for _, name := range []string{fmt.Sprintf("c%05d", i), fmt.Sprintf("l%05d", i)} {
			add := blobEntry(name, blob)
			d := append(deltaHeader(uint64(len(tree)), uint64(len(tree)+len(add))), copyAll(len(tree))...)
			d = append(append(d, byte(len(add))), add...)
			entries = append(entries,
				rawEntry(plumbing.OFSDeltaObject, int64(len(d)), next-offsets[base], zlibBytes(d)))
			offsets = append(offsets, next)
			next += int64(len(entries[len(entries)-1]))
		}
		tree = append(tree, blobEntry(fmt.Sprintf("c%05d", i), blob)...)
		base = len(entries) - 2
	}
	commit := []byte(fmt.Sprintf("tree %s\nparent %s\nauthor A <a@example.com> 1500000000 +0000\n"+
		"committer A <a@example.com> 1500000000 +0000\n\nchain\n",
		plumbing.ComputeHash(plumbing.TreeObject, tree), tip))
	entries = append(entries, rawEntry(plumbing.CommitObject, int64(len(commit)), nil, zlibBytes(commit)))
	pack := handPack(entries...)
	if len(pack) > 1<<20 {
		t.Fatalf("the pack is %d bytes", len(pack))
	}
	body := pushBody(tip, plumbing.ComputeHash(plumbing.CommitObject, commit).String(), "refs/heads/main", pack)

	var res *PushResult
	var err error
	var out bytes.Buffer
	peak := peakHeap(func() {
		res, err = ts.store.ReceivePack(t.Context(), 1, bytes.NewReader(body), &out, ReceivePackOptions{})
	})
	if err != nil || res.UnpackError != "" || len(res.Applied) != 1 {
		t.Fatalf("push: %v %+v\n%q", err, res, out.String())
	}
	if res.Objects != 2*links+2 {
		t.Errorf("%d objects indexed", res.Objects)
	}
	// The chain is 48 trees of 8 MiB: 384 MiB if every link were held.
	t.Logf("peak heap %d MiB", peak>>20)
	if peak > 256<<20 {
		t.Errorf("indexing held up to %d MiB", peak>>20)
	}
	g.run(ts.store.Path(1), "cat-file", "-e", res.Applied[0].New.String()+"^{tree}")
}

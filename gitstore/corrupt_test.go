package gitstore

import (
	"bytes"
	"compress/zlib"
	"context"
	"crypto/sha1"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// packObjects runs git pack-objects in dir with the given stdin and flags.
func packObjects(t *testing.T, g *gitCLI, dir, stdin string, flags ...string) []byte {
	t.Helper()
	cmd := exec.Command("git", append([]string{"pack-objects", "--stdout", "-q"}, flags...)...)
	cmd.Dir = dir
	cmd.Env = g.env
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pack-objects: %v", err)
	}
	return out
}

// pushBody builds a receive-pack request body: one command, then the pack.
func pushBody(old, new, ref string, pack []byte) []byte {
	var b bytes.Buffer
	pw := newPktWriter(&b)
	_ = pw.line(old + " " + new + " " + ref + "\x00report-status side-band-64k object-format=sha1")
	_ = pw.flush()
	b.Write(pack)
	return b.Bytes()
}

// repoSnapshot lists a repository's refs and every file under objects/, with sizes.
func repoSnapshot(t *testing.T, s *Store, id int64) string {
	t.Helper()
	refs, err := refStore{dir: s.Path(id)}.list()
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, r := range refs.refs {
		lines = append(lines, r.hash.String()+" "+r.name)
	}
	root := filepath.Join(s.Path(id), "objects")
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		lines = append(lines, rel+" "+strconv.FormatInt(fi.Size(), 10))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func TestBadPackLeavesRepositoryAsItWas(t *testing.T) {
	ts := newTestServer(t)
	g := newGitCLI(t)
	dir := g.newWorkTree(3)
	seedRepo(t, ts, g, 1, dir)
	old := g.run(dir, "rev-parse", "HEAD")
	newHead := g.commit(dir, "new", map[string]string{
		"new.txt":    strings.Repeat("new content\n", 100),
		"dir/f0.txt": strings.Repeat("line 0\n", 50) + "appended\n",
	})
	good := packObjects(t, g, dir, newHead+"\n^"+old+"\n", "--revs")
	thin := packObjects(t, g, dir, newHead+"\n^"+old+"\n", "--revs", "--thin")
	commitOnly := packObjects(t, g, dir, newHead+"\n")

	flip := func(p []byte, at int) []byte {
		c := append([]byte(nil), p...)
		c[at] ^= 0x55
		return c
	}
	tests := []struct {
		name        string
		pack        []byte
		wantInReply string
	}{
		{"empty body after commands", nil, "unpack "},
		{"truncated header", good[:8], "unpack "},
		{"truncated after header", good[:12], "unpack "},
		{"truncated in the middle", good[:len(good)/2], "unpack "},
		{"truncated trailer", good[:len(good)-7], "unpack "},
		{"no trailer", good[:len(good)-20], "unpack "},
		{"corrupt compressed data", flip(good, len(good)/2), "unpack "},
		{"corrupt checksum", flip(good, len(good)-1), "unpack "},
		{"object count too high", flip(good, 11), "unpack "},
		{"not a pack", []byte(strings.Repeat("garbage!", 10)), "unpack "},
		{"missing objects", commitOnly, "ng refs/heads/main missing necessary objects"},
		{"thin base missing", thinWithoutBase(t, g, thin), "unpack "},
	}
	before := repoSnapshot(t, ts.store, 1)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			body := pushBody(old, newHead, "refs/heads/main", tt.pack)
			res, err := ts.store.ReceivePack(context.Background(), 1, bytes.NewReader(body), &out, ReceivePackOptions{})
			if err != nil {
				t.Fatalf("ReceivePack: %v", err)
			}
			if len(res.Applied) != 0 {
				t.Errorf("applied %+v", res.Applied)
			}
			if !strings.Contains(out.String(), tt.wantInReply) {
				t.Errorf("reply %q lacks %q", out.String(), tt.wantInReply)
			}
			if after := repoSnapshot(t, ts.store, 1); after != before {
				t.Errorf("repository changed:\nbefore:\n%s\nafter:\n%s", before, after)
			}
			if left, _ := os.ReadDir(filepath.Join(ts.store.Root(), ".tmp")); len(left) != 0 {
				t.Errorf("quarantine left behind: %v", left)
			}
		})
	}
	// And the good pack still goes in afterwards.
	var out bytes.Buffer
	res, err := ts.store.ReceivePack(context.Background(), 1,
		bytes.NewReader(pushBody(old, newHead, "refs/heads/main", good)), &out, ReceivePackOptions{})
	if err != nil || len(res.Applied) != 1 {
		t.Fatalf("good push: %v %+v\n%q", err, res, out.String())
	}
	g.run(ts.store.Path(1), "fsck", "--strict", "--no-dangling")
}

// thinWithoutBase rewrites a thin pack's first REF_DELTA base id to one nobody has.
func thinWithoutBase(t *testing.T, g *gitCLI, pack []byte) []byte {
	t.Helper()
	c := append([]byte(nil), pack...)
	off := int64(12)
	for i := 0; i < int(c[11]); i++ {
		h, err := parseEntryHeader(c[off:min(int(off)+64, len(c))], off)
		if err != nil {
			t.Fatal(err)
		}
		if h.typ == 7 {
			c[off+int64(h.sizeLen)] ^= 0xff
			// Fix the trailer so only the missing base is wrong.
			sum := sha1Sum(c[:len(c)-20])
			copy(c[len(c)-20:], sum)
			return c
		}
		// Skip this entry by inflating it.
		db := &objectDB{}
		if _, err := db.inflateFrom(bytes.NewReader(c[off+int64(h.hdrLen):]), h.size); err != nil {
			t.Fatal(err)
		}
		n, err := zlibLength(c[off+int64(h.hdrLen):])
		if err != nil {
			t.Fatal(err)
		}
		off += int64(h.hdrLen) + n
	}
	t.Fatal("the thin pack has no REF_DELTA")
	return nil
}

func sha1Sum(b []byte) []byte {
	h := sha1.Sum(b)
	return h[:]
}

// zlibLength returns how many bytes the zlib stream at the start of b takes.
func zlibLength(b []byte) (int64, error) {
	st := &countingByteReader{r: bytes.NewReader(b)}
	zr, err := zlib.NewReader(st)
	if err != nil {
		return 0, err
	}
	if _, err := io.Copy(io.Discard, zr); err != nil {
		return 0, err
	}
	return st.n, nil
}

type countingByteReader struct {
	r *bytes.Reader
	n int64
}

func (c *countingByteReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p[:1])
	c.n += int64(n)
	return n, err
}

func (c *countingByteReader) ReadByte() (byte, error) {
	b, err := c.r.ReadByte()
	if err == nil {
		c.n++
	}
	return b, err
}

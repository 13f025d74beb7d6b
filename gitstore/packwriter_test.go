package gitstore

import (
	"bytes"
	"context"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
)

// repackedRepo makes repository id from a work tree with deltas, repacked by C git into one
// pack, as an imported or garbage-collected repository looks.
func repackedRepo(t *testing.T, ts *testServer, g *gitCLI, id int64, commits int) string {
	t.Helper()
	dir := g.newWorkTree(commits)
	g.run("", "clone", "-q", "--bare", "--no-local", dir, ts.store.Path(id))
	g.run(ts.store.Path(id), "repack", "-adf", "-q", "--depth=50", "--window=50")
	return dir
}

// fetchPack sends a v0 upload-pack request and returns the pack and the progress text.
func fetchPack(t *testing.T, s *Store, id int64, caps string, wants, haves []string) (pack []byte, progress string) {
	t.Helper()
	var req bytes.Buffer
	pw := newPktWriter(&req)
	for i, w := range wants {
		if i == 0 {
			_ = pw.line("want " + w + " " + caps)
		} else {
			_ = pw.line("want " + w)
		}
	}
	_ = pw.flush()
	for _, h := range haves {
		_ = pw.line("have " + h)
	}
	_ = pw.line("done")
	var out bytes.Buffer
	if err := s.UploadPack(context.Background(), id, &req, &out, UploadPackOptions{}); err != nil {
		t.Fatalf("UploadPack: %v", err)
	}
	pr := newPktReader(&out)
	for {
		kind, p, err := pr.next()
		if err != nil {
			t.Fatalf("reading the response: %v", err)
		}
		if kind == pktData && (strings.HasPrefix(string(p), "NAK") || strings.HasPrefix(string(p), "ACK ")) {
			if strings.HasPrefix(string(p), "ACK ") || len(haves) == 0 {
				break
			}
			continue
		}
		t.Fatalf("unexpected packet %q", p)
	}
	if !strings.Contains(caps, "side-band") {
		rest, _ := io.ReadAll(pr.r)
		return rest, ""
	}
	var packBuf, prog bytes.Buffer
	for {
		kind, p, err := pr.next()
		if err != nil {
			t.Fatalf("reading the side-band: %v", err)
		}
		if kind == pktFlush {
			break
		}
		switch p[0] {
		case 1:
			packBuf.Write(p[1:])
		case 2:
			prog.Write(p[1:])
		default:
			t.Fatalf("band %d: %s", p[0], p[1:])
		}
	}
	return packBuf.Bytes(), prog.String()
}

// packTypes counts a pack's entries by stored type.
func packTypes(t *testing.T, pack []byte) map[plumbing.ObjectType]int {
	t.Helper()
	sc := packfile.NewScanner(bytes.NewReader(pack))
	_, n, err := sc.Header()
	if err != nil {
		t.Fatal(err)
	}
	types := map[plumbing.ObjectType]int{}
	for i := uint32(0); i < n; i++ {
		h, err := sc.NextObjectHeader()
		if err != nil {
			t.Fatal(err)
		}
		types[h.Type]++
		if _, _, err := sc.NextObject(io.Discard); err != nil {
			t.Fatal(err)
		}
	}
	return types
}

// indexPack feeds a pack to git index-pack in repository dir, which checks every object.
func indexPackWithGit(t *testing.T, g *gitCLI, dir string, pack []byte, fixThin bool) {
	t.Helper()
	args := []string{"index-pack", "--stdin", "--strict"}
	if fixThin {
		args = append(args, "--fix-thin")
	}
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = g.env
	cmd.Stdin = bytes.NewReader(pack)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git index-pack: %v\n%s", err, out)
	}
}

func TestPackReuse(t *testing.T) {
	ts := newTestServer(t)
	g := newGitCLI(t)
	dir := repackedRepo(t, ts, g, 1, 40)
	head := g.run(dir, "rev-parse", "HEAD")
	mid := g.run(dir, "rev-parse", "HEAD~20")
	total := len(strings.Split(g.run(dir, "rev-list", "--objects", "--all"), "\n"))

	// Repository 2 got its history in two pushes: the second pack's big blob is a delta
	// against the first one's, as clients send them.
	thinDir := g.newWorkTree(1)
	big := strings.Repeat("a line of a big file that is worth a delta\n", 3000)
	thinBase := g.commit(thinDir, "big", map[string]string{"big.txt": big})
	seedRepo(t, ts, g, 2, thinDir)
	thinHead := g.commit(thinDir, "bigger", map[string]string{"big.txt": big + "more\n"})
	g.run(thinDir, "push", "-q", ts.url(2), "main")

	t.Run("full clone copies the pack file", func(t *testing.T) {
		pack, progress := fetchPack(t, ts.store, 1, "side-band-64k ofs-delta", []string{head}, nil)
		if !strings.Contains(progress, "pack-reused ") || strings.Contains(progress, "pack-reused 0") {
			t.Errorf("progress %q", progress)
		}
		packs, _ := filepath.Glob(filepath.Join(ts.store.Path(1), "objects", "pack", "*.pack"))
		onDisk := readFile(t, packs[0])
		if !bytes.Equal(pack, onDisk) {
			t.Errorf("clone pack (%d bytes) differs from the stored pack (%d bytes)", len(pack), len(onDisk))
		}
	})
	tests := []struct {
		name    string
		repo    int64
		caps    string
		wants   []string
		haves   []string
		fixThin bool
		check   func(t *testing.T, types map[plumbing.ObjectType]int)
	}{
		{"partial with ofs-delta keeps deltas as OFS", 1, "side-band-64k ofs-delta", []string{mid}, nil, false,
			func(t *testing.T, types map[plumbing.ObjectType]int) {
				if types[plumbing.OFSDeltaObject] == 0 || types[plumbing.REFDeltaObject] != 0 {
					t.Errorf("types %v", types)
				}
			}},
		{"without ofs-delta deltas become REF_DELTA", 1, "side-band-64k", []string{head}, nil, false,
			func(t *testing.T, types map[plumbing.ObjectType]int) {
				if types[plumbing.OFSDeltaObject] != 0 || types[plumbing.REFDeltaObject] == 0 {
					t.Errorf("types %v", types)
				}
			}},
		{"no side-band streams the raw pack", 1, "ofs-delta", []string{head}, nil, false, nil},
		{"plain side-band", 1, "side-band ofs-delta", []string{head}, nil, false, nil},
		{"thin fetch refers to bases the client has", 2, "side-band-64k ofs-delta thin-pack",
			[]string{thinHead}, []string{thinBase}, true,
			func(t *testing.T, types map[plumbing.ObjectType]int) {
				if types[plumbing.REFDeltaObject] == 0 {
					t.Errorf("types %v: no REF_DELTA against the client's objects", types)
				}
			}},
		{"fetch without thin-pack is self-contained", 2, "side-band-64k ofs-delta", []string{thinHead},
			[]string{thinBase}, false, nil},
		{"fetch with haves", 1, "side-band-64k ofs-delta thin-pack", []string{head}, []string{mid}, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pack, progress := fetchPack(t, ts.store, tt.repo, tt.caps, tt.wants, tt.haves)
			types := packTypes(t, pack)
			if tt.check != nil {
				tt.check(t, types)
			}
			if strings.Contains(tt.caps, "side-band") && !strings.Contains(progress, "reused") {
				t.Errorf("progress %q", progress)
			}
			// The client side: a repository holding what the haves reach.
			client := t.TempDir()
			g.run(client, "init", "-q", "--bare")
			if len(tt.haves) > 0 {
				g.run(client, "fetch", "-q", ts.store.Path(tt.repo), tt.haves[0]+":refs/heads/base")
			}
			indexPackWithGit(t, g, client, pack, tt.fixThin)
			if len(tt.haves) == 0 && len(tt.wants) == 1 && tt.wants[0] == head {
				n := 0
				for _, c := range types {
					n += c
				}
				if n != total {
					t.Errorf("%d objects sent, the history has %d", n, total)
				}
			}
		})
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	cmd := exec.Command("cat", path)
	b, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

package gitstore

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// benchRepo generates a repository with git fast-import: commits touching a few of many
// files with small edits, now and then a large blob, and some branches and tags. It returns
// the store holding it as project 1.
func benchRepo(b testing.TB, commits int, repack bool) *Store {
	b.Helper()
	g := newGitCLI(b)
	st, err := New(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	if err := st.Create(1, InitOptions{}); err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewSource(1))
	const files, lines = 300, 80
	content := make([][]string, files)
	for f := range content {
		content[f] = make([]string, lines)
		for l := range content[f] {
			content[f][l] = fmt.Sprintf("file %d line %d: %x", f, l, rng.Int63())
		}
	}
	var stream bytes.Buffer
	w := bufio.NewWriter(&stream)
	for c := 1; c <= commits; c++ {
		msg := fmt.Sprintf("commit %d\n", c)
		when := 1500000000 + int64(c)*600
		fmt.Fprintf(w, "commit refs/heads/main\nmark :%d\nauthor A U Thor <a@example.com> %d +0000\n"+
			"committer A U Thor <a@example.com> %d +0000\ndata %d\n%s", c, when, when, len(msg), msg)
		if c > 1 {
			fmt.Fprintf(w, "from :%d\n", c-1)
		}
		touched := 3
		if c == 1 {
			touched = files
		}
		for k := 0; k < touched; k++ {
			f := rng.Intn(files)
			if c == 1 {
				f = k
			}
			content[f][rng.Intn(lines)] = fmt.Sprintf("file %d edited in %d: %x", f, c, rng.Int63())
			data := strings.Join(content[f], "\n") + "\n"
			fmt.Fprintf(w, "M 100644 inline dir%02d/file%03d.txt\ndata %d\n%s\n", f%20, f, len(data), data)
		}
		if c%500 == 0 {
			big := make([]byte, 256<<10)
			rng.Read(big)
			fmt.Fprintf(w, "M 100644 inline assets/blob%d.bin\ndata %d\n", c, len(big))
			w.Write(big)
			w.WriteString("\n")
		}
		if c%150 == 0 {
			fmt.Fprintf(w, "reset refs/heads/branch-%d\nfrom :%d\n\n", c, c)
			fmt.Fprintf(w, "tag v%d\nfrom :%d\ntagger A U Thor <a@example.com> %d +0000\ndata 4\nrel\n\n", c, c, when)
		}
	}
	w.Flush()
	cmd := exec.Command("git", "fast-import", "--quiet")
	cmd.Dir = st.Path(1)
	cmd.Env = g.env
	cmd.Stdin = &stream
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("fast-import: %v\n%s", err, out)
	}
	if repack {
		g.run(st.Path(1), "repack", "-adf", "-q")
	}
	return st
}

// cloneRequest is what git clone sends: every advertised ref wanted, then done.
func cloneRequest(b *testing.B, st *Store) []byte {
	b.Helper()
	refs, err := refStore{dir: st.Path(1)}.list()
	if err != nil {
		b.Fatal(err)
	}
	var req bytes.Buffer
	pw := newPktWriter(&req)
	for i, r := range refs.refs {
		line := "want " + r.hash.String()
		if i == 0 {
			line += " multi_ack_detailed no-done side-band-64k thin-pack no-progress ofs-delta agent=git/2.39.5"
		}
		_ = pw.line(line)
	}
	_ = pw.flush()
	_ = pw.line("done")
	return req.Bytes()
}

type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// BenchmarkUploadPackClone measures a full clone of a generated 3,000-commit repository
// through the engine, as stored by fast-import and after a C git repack, beside C git's own
// "git upload-pack --stateless-rpc" answering the same request on the same repository (the
// engine half of git http-backend, without HTTP).
func BenchmarkUploadPackClone(b *testing.B) {
	for _, layout := range []struct {
		name   string
		repack bool
	}{{"fast-import", false}, {"repacked", true}} {
		b.Run(layout.name, func(b *testing.B) {
			st := benchRepo(b, 3000, layout.repack)
			req := cloneRequest(b, st)
			b.Run("cairn", func(b *testing.B) {
				b.ReportAllocs()
				var out countingWriter
				for i := 0; i < b.N; i++ {
					out.n = 0
					if err := st.UploadPack(context.Background(), 1, bytes.NewReader(req), &out,
						UploadPackOptions{}); err != nil {
						b.Fatal(err)
					}
				}
				b.SetBytes(out.n)
			})
			b.Run("git-upload-pack", func(b *testing.B) {
				g := newGitCLI(b)
				var out countingWriter
				for i := 0; i < b.N; i++ {
					out.n = 0
					cmd := exec.Command("git", "upload-pack", "--stateless-rpc", st.Path(1))
					cmd.Env = g.env
					cmd.Stdin = bytes.NewReader(req)
					cmd.Stdout = &out
					if err := cmd.Run(); err != nil {
						b.Fatal(err)
					}
				}
				b.SetBytes(out.n)
			})
		})
	}
}

// mirrorPush is the request of a push of every ref of the repository of project 1 of src into
// an empty repository, with its pack as stored; it returns it with the number of refs.
func mirrorPush(tb testing.TB, src *Store) ([]byte, int) {
	tb.Helper()
	packs, _ := filepath.Glob(filepath.Join(src.Path(1), "objects", "pack", "*.pack"))
	pack, err := os.ReadFile(packs[0])
	if err != nil {
		tb.Fatal(err)
	}
	refs, err := refStore{dir: src.Path(1)}.list()
	if err != nil {
		tb.Fatal(err)
	}
	var req bytes.Buffer
	pw := newPktWriter(&req)
	for i, r := range refs.refs {
		line := "0000000000000000000000000000000000000000 " + r.hash.String() + " " + r.name
		if i == 0 {
			line += "\x00report-status-v2 side-band-64k quiet object-format=sha1 agent=git/2.39.5"
		}
		_ = pw.line(line)
	}
	_ = pw.flush()
	req.Write(pack)
	return req.Bytes(), len(refs.refs)
}

// BenchmarkReceivePackPush measures indexing a full push of the same repository into an
// empty one: receive, hash, resolve deltas, check connectivity, publish, move the refs;
// beside C git's "git receive-pack --stateless-rpc" taking the same request.
func BenchmarkReceivePackPush(b *testing.B) {
	req, _ := mirrorPush(b, benchRepo(b, 3000, true))
	st, err := New(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	next := int64(0)
	fresh := func(b *testing.B) int64 {
		b.StopTimer()
		defer b.StartTimer()
		st.WaitBackground() // the previous push's bitmap, written after it: not push time
		next++
		if err := st.Create(next, InitOptions{}); err != nil {
			b.Fatal(err)
		}
		return next
	}
	b.Run("cairn", func(b *testing.B) {
		b.SetBytes(int64(len(req)))
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			id := fresh(b)
			res, err := st.ReceivePack(context.Background(), id, bytes.NewReader(req), io.Discard, ReceivePackOptions{})
			if err != nil || res.UnpackError != "" || len(res.Rejected) > 0 {
				b.Fatalf("push: %v %+v", err, res)
			}
		}
	})
	b.Run("git-receive-pack", func(b *testing.B) {
		g := newGitCLI(b)
		b.SetBytes(int64(len(req)))
		for i := 0; i < b.N; i++ {
			id := fresh(b)
			cmd := exec.Command("git", "receive-pack", "--stateless-rpc", st.Path(id))
			cmd.Env = g.env
			cmd.Stdin = bytes.NewReader(req)
			if out, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("git receive-pack: %v\n%s", err, out)
			}
		}
	})
}

// BenchmarkSummarizeUpdates measures what recording a push reads of the repository: the
// summaries of one update, and of every ref of a 3,000-commit repository at once (a mirror
// push into an empty project: each ref counts up to 1,000 commits).
func BenchmarkSummarizeUpdates(b *testing.B) {
	st := benchRepo(b, 3000, true)
	refs, err := refStore{dir: st.Path(1)}.list()
	if err != nil {
		b.Fatal(err)
	}
	var all []RefUpdate
	for _, r := range refs.refs {
		all = append(all, RefUpdate{Name: r.name, New: r.hash})
	}
	main, _ := refs.lookup("refs/heads/main")
	for _, bc := range []struct {
		name    string
		updates []RefUpdate
	}{{"one ref", []RefUpdate{{Name: "refs/heads/main", New: main}}}, {fmt.Sprintf("%d refs", len(all)), all}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := st.SummarizeUpdates(context.Background(), 1, bc.updates, 1000); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

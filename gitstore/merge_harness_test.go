package gitstore

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Helpers that hold cairn's merges against git's: git merge-tree --write-tree (git 2.38 and
// later) merges two commits with merge-ort, as git merge would, without a work tree.

// gitMerge is what git merge-tree reported for one merge.
type gitMerge struct {
	clean bool
	tree  string
	// conflicted maps each conflicted path (as git names it in its stage lines) to the
	// stages present (1 base, 2 ours, 3 theirs).
	conflicted map[string][]int
	// kinds are the conflict types of git's messages ("CONFLICT (contents)"), by path.
	kinds map[string][]string
	// refused is set when git refused the merge (exit 128: unrelated histories).
	refused bool
}

// conflictedPaths lists git's conflicted paths, sorted.
func (m *gitMerge) conflictedPaths() []string {
	var out []string
	for p := range m.conflicted {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// parseMergeTree parses one merge of `git merge-tree --write-tree -z` output (fields split
// on NUL) starting at fields[i], as --stdin prints it when withStatus is set. It returns
// the index after the merge.
func parseMergeTree(fields []string, i int, withStatus bool) (*gitMerge, int, error) {
	m := &gitMerge{conflicted: map[string][]int{}, kinds: map[string][]string{}}
	if withStatus {
		m.clean = fields[i] == "1"
		i++
	}
	m.tree = fields[i]
	i++
	// Conflicted file info: "<mode> <oid> <stage>\t<path>", up to an empty field.
	for i < len(fields) && fields[i] != "" {
		info, path, ok := strings.Cut(fields[i], "\t")
		parts := strings.Fields(info)
		if !ok || len(parts) != 3 {
			return nil, 0, fmt.Errorf("bad conflict line %q", fields[i])
		}
		stage, _ := strconv.Atoi(parts[2])
		m.conflicted[path] = append(m.conflicted[path], stage)
		i++
	}
	if !withStatus {
		m.clean = len(m.conflicted) == 0
	}
	if i >= len(fields) {
		return m, i, nil
	}
	i++ // the empty field after the conflicted file info (or ending a clean merge)
	if m.clean && withStatus {
		return m, i, nil
	}
	// Messages: "<n>", n paths, "<type>", "<message>", up to an empty field.
	for i < len(fields) && fields[i] != "" {
		n, err := strconv.Atoi(fields[i])
		if err != nil && !withStatus {
			break // free-form advice git prints after the messages
		}
		if err != nil || i+n+2 >= len(fields) {
			return nil, 0, fmt.Errorf("bad message header %q", fields[i])
		}
		paths := fields[i+1 : i+1+n]
		typ := fields[i+1+n]
		for _, p := range paths {
			m.kinds[p] = append(m.kinds[p], typ)
		}
		i += n + 3
	}
	return m, i + 1, nil
}

// mergeTree runs git merge-tree on two revisions in dir.
func (g *gitCLI) mergeTree(dir, ours, theirs string) *gitMerge {
	g.t.Helper()
	cmd := exec.Command("git", "merge-tree", "--write-tree", "-z", "--messages", ours, theirs)
	cmd.Dir = dir
	cmd.Env = g.env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 128 {
		return &gitMerge{refused: true}
	}
	if err != nil && !(isConflictExit(err) && len(out) > 0) {
		g.t.Fatalf("git merge-tree %s %s: %v\n%s", ours, theirs, err, stderr.String())
	}
	m, _, perr := parseMergeTree(strings.Split(string(out), "\x00"), 0, false)
	if perr != nil {
		g.t.Fatalf("parse merge-tree output: %v\n%q", perr, out)
	}
	return m
}

// isConflictExit reports whether err is git's "merge has conflicts" exit status.
func isConflictExit(err error) bool {
	ee, is := err.(*exec.ExitError)
	return is && ee.ExitCode() == 1
}

// mergeTreeBatch runs git merge-tree --stdin on pairs of revisions in dir.
func (g *gitCLI) mergeTreeBatch(dir string, pairs [][2]string) []*gitMerge {
	g.t.Helper()
	var in bytes.Buffer
	for _, p := range pairs {
		fmt.Fprintf(&in, "%s %s\n", p[0], p[1])
	}
	cmd := exec.Command("git", "merge-tree", "--stdin", "--write-tree")
	cmd.Dir = dir
	cmd.Env = g.env
	cmd.Stdin = &in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		g.t.Fatalf("git merge-tree --stdin: %v\n%s", err, stderr.String())
	}
	fields := strings.Split(string(out), "\x00")
	var res []*gitMerge
	i := 0
	for range pairs {
		m, next, err := parseMergeTree(fields, i, true)
		if err != nil {
			g.t.Fatalf("parse merge-tree --stdin output at field %d: %v", i, err)
		}
		res = append(res, m)
		i = next
	}
	return res
}

// catBlobs reads objects named by revision expressions ("<tree>:<path>") with one
// git cat-file --batch.
func (g *gitCLI) catBlobs(dir string, revs []string) [][]byte {
	g.t.Helper()
	cmd := exec.Command("git", "cat-file", "--batch")
	cmd.Dir = dir
	cmd.Env = g.env
	cmd.Stdin = strings.NewReader(strings.Join(revs, "\n") + "\n")
	out, err := cmd.Output()
	if err != nil {
		g.t.Fatalf("git cat-file --batch: %v", err)
	}
	rd := bufio.NewReader(bytes.NewReader(out))
	res := make([][]byte, len(revs))
	for i := range revs {
		header, err := rd.ReadString('\n')
		if err != nil {
			g.t.Fatalf("cat-file header: %v", err)
		}
		f := strings.Fields(header)
		if len(f) != 3 {
			g.t.Fatalf("cat-file %s: %q", revs[i], header)
		}
		n, _ := strconv.Atoi(f[2])
		buf := make([]byte, n+1)
		if _, err := ioReadFull(rd, buf); err != nil {
			g.t.Fatalf("cat-file body: %v", err)
		}
		res[i] = buf[:n]
	}
	return res
}

func ioReadFull(rd *bufio.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := rd.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// fastImport feeds a git fast-import stream to the repository at dir and returns the
// commit each mark names.
func (g *gitCLI) fastImport(dir string, stream []byte) map[int]string {
	g.t.Helper()
	marks := filepath.Join(g.t.TempDir(), "marks")
	cmd := exec.Command("git", "fast-import", "--quiet", "--export-marks="+marks)
	cmd.Dir = dir
	cmd.Env = g.env
	cmd.Stdin = bytes.NewReader(stream)
	if out, err := cmd.CombinedOutput(); err != nil {
		g.t.Fatalf("git fast-import: %v\n%s", err, out)
	}
	b, err := os.ReadFile(marks)
	if err != nil {
		g.t.Fatal(err)
	}
	out := map[int]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		mark, hash, _ := strings.Cut(line, " ")
		n, _ := strconv.Atoi(strings.TrimPrefix(mark, ":"))
		out[n] = hash
	}
	return out
}

// importFile is one file of a fast-import commit.
type importFile struct {
	path, mode string // mode "100644" when empty
	data       []byte
}

// writeImportCommit writes a fast-import commit of files (a full snapshot: the tree is
// cleared first) on ref, with parent from (a mark or revision, none when empty).
func writeImportCommit(w *bytes.Buffer, ref string, mark int, from string, when int64, files []importFile) {
	fmt.Fprintf(w, "commit %s\nmark :%d\n", ref, mark)
	fmt.Fprintf(w, "author A <a@example.com> %d +0000\ncommitter A <a@example.com> %d +0000\ndata 2\nc\n", when, when)
	if from != "" {
		fmt.Fprintf(w, "from %s\n", from)
	}
	w.WriteString("deleteall\n")
	for _, f := range files {
		mode := f.mode
		if mode == "" {
			mode = "100644"
		}
		fmt.Fprintf(w, "M %s inline %s\ndata %d\n", mode, f.path, len(f.data))
		w.Write(f.data)
		w.WriteByte('\n')
	}
	w.WriteByte('\n')
}

// sameStrings reports whether two sorted string lists are equal.
func sameStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

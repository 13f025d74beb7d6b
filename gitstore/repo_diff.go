package gitstore

import (
	"bytes"
	"context"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/utils/diff"
	"github.com/sergi/go-diff/diffmatchpatch"
)

// Limits on what a diff shows in full.
const (
	// maxDiffBlob is the size above which a file's change is reported without its text.
	maxDiffBlob = 1 << 20
	// maxPatch is the length above which a file's patch is dropped as too large.
	maxPatch = 200 << 10
	// binarySniff is how much of a file is looked at for a NUL byte, as git does.
	binarySniff = 8000
	// diffContext is the number of unchanged lines around each change.
	diffContext = 3
)

// FileDiff is the change of one file between two trees.
type FileDiff struct {
	OldPath, NewPath string
	OldMode, NewMode filemode.FileMode
	OldHash, NewHash plumbing.Hash
	NewFile          bool
	DeletedFile      bool
	RenamedFile      bool
	Binary           bool
	// TooLarge changes are reported without their text.
	TooLarge bool
	// Patch holds the hunks, each starting at "@@", without the "diff --git" header.
	Patch     string
	Additions int
	Deletions int
}

// Header is the part of a unified diff that precedes the hunks ("diff --git", modes, "---", "+++").
func (d FileDiff) Header() string {
	var b strings.Builder
	fmt.Fprintf(&b, "diff --git a/%s b/%s\n", d.OldPath, d.NewPath)
	switch {
	case d.NewFile:
		fmt.Fprintf(&b, "new file mode %s\n", ModeString(d.NewMode))
	case d.DeletedFile:
		fmt.Fprintf(&b, "deleted file mode %s\n", ModeString(d.OldMode))
	case d.OldMode != d.NewMode:
		fmt.Fprintf(&b, "old mode %s\nnew mode %s\n", ModeString(d.OldMode), ModeString(d.NewMode))
	}
	if d.RenamedFile {
		fmt.Fprintf(&b, "rename from %s\nrename to %s\n", d.OldPath, d.NewPath)
	}
	if d.Patch == "" || d.Binary {
		return b.String()
	}
	from, to := "a/"+d.OldPath, "b/"+d.NewPath
	if d.NewFile {
		from = "/dev/null"
	}
	if d.DeletedFile {
		to = "/dev/null"
	}
	fmt.Fprintf(&b, "--- %s\n+++ %s\n", from, to)
	return b.String()
}

// Stats are the added and deleted lines of a change.
type Stats struct {
	Additions int
	Deletions int
}

// Total is additions plus deletions.
func (s Stats) Total() int { return s.Additions + s.Deletions }

// StatsOf sums the line counts of diffs.
func StatsOf(diffs []FileDiff) Stats {
	var s Stats
	for _, d := range diffs {
		s.Additions += d.Additions
		s.Deletions += d.Deletions
	}
	return s
}

// treeChanges lists the files that differ between the trees of commits from and to (zero:
// the empty tree), read from the raw tree objects, with renames of unchanged content paired
// by go-git's exact rename detection, as the diffs always were.
func (r *Repo) treeChanges(ctx context.Context, from, to plumbing.Hash) (object.Changes, error) {
	var a, b plumbing.Hash
	var err error
	if !from.IsZero() {
		if a, err = r.commitTree(from); err != nil {
			return nil, err
		}
	}
	if !to.IsZero() {
		if b, err = r.commitTree(to); err != nil {
			return nil, err
		}
	}
	var changes object.Changes
	n := 0
	err = diffTreesRecursive(r.treeData, a, b, func(p []byte, old, new treeItem) error {
		if n++; n&255 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		c := &object.Change{}
		name := string(p)
		if old.mode != 0 {
			c.From = object.ChangeEntry{Name: name, TreeEntry: object.TreeEntry{Name: path.Base(name),
				Mode: filemode.FileMode(old.mode), Hash: old.hash}}
		}
		if new.mode != 0 {
			c.To = object.ChangeEntry{Name: name, TreeEntry: object.TreeEntry{Name: path.Base(name),
				Mode: filemode.FileMode(new.mode), Hash: new.hash}}
		}
		changes = append(changes, c)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("diff %s..%s: %w", from, to, err)
	}
	return object.DetectRenames(changes, &object.DiffTreeOptions{DetectRenames: true, OnlyExactRenames: true})
}

// Diff compares the trees of two commits; a zero from is the empty tree. Renames are
// detected when a file's content moved unchanged. Files are in path order.
func (r *Repo) Diff(ctx context.Context, from, to plumbing.Hash) ([]FileDiff, error) {
	changes, err := r.treeChanges(ctx, from, to)
	if err != nil {
		return nil, err
	}
	out := make([]FileDiff, 0, len(changes))
	for _, c := range changes {
		d := FileDiff{OldPath: c.From.Name, NewPath: c.To.Name, OldMode: c.From.TreeEntry.Mode,
			NewMode: c.To.TreeEntry.Mode, OldHash: c.From.TreeEntry.Hash, NewHash: c.To.TreeEntry.Hash}
		switch {
		case c.From.Name == "":
			d.NewFile, d.OldPath = true, d.NewPath
		case c.To.Name == "":
			d.DeletedFile, d.NewPath = true, d.OldPath
		case c.From.Name != c.To.Name:
			d.RenamedFile = true
		}
		if err := r.fillPatch(&d); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].NewPath < out[j].NewPath })
	return out, nil
}

// fillPatch computes the hunks and line counts of one change.
func (r *Repo) fillPatch(d *FileDiff) error {
	if d.OldHash == d.NewHash {
		return nil // a rename or mode change only
	}
	if d.OldMode == filemode.Submodule || d.NewMode == filemode.Submodule {
		var before, after string
		if !d.OldHash.IsZero() {
			before = "Subproject commit " + d.OldHash.String() + "\n"
		}
		if !d.NewHash.IsZero() {
			after = "Subproject commit " + d.NewHash.String() + "\n"
		}
		d.Patch, d.Additions, d.Deletions = Unified(before, after)
		return nil
	}
	before, oldBig, err := r.diffSide(d.OldHash)
	if err != nil {
		return err
	}
	after, newBig, err := r.diffSide(d.NewHash)
	if err != nil {
		return err
	}
	if oldBig || newBig {
		d.TooLarge = true
		return nil
	}
	if isBinary(before) || isBinary(after) {
		d.Binary = true
		from, to := "a/"+d.OldPath, "b/"+d.NewPath
		if d.NewFile {
			from = "/dev/null"
		}
		if d.DeletedFile {
			to = "/dev/null"
		}
		d.Patch = "Binary files " + from + " and " + to + " differ\n"
		return nil
	}
	d.Patch, d.Additions, d.Deletions = Unified(string(before), string(after))
	if len(d.Patch) > maxPatch {
		d.Patch, d.TooLarge = "", true
	}
	return nil
}

// diffSide reads one side of a change; big is set, with no content, above maxDiffBlob.
func (r *Repo) diffSide(h plumbing.Hash) (content []byte, big bool, err error) {
	if h.IsZero() {
		return nil, false, nil
	}
	br, err := r.OpenBlob(h)
	if err != nil {
		return nil, false, err
	}
	size := br.Size
	br.Close()
	if size > maxDiffBlob {
		return nil, true, nil
	}
	content, err = r.ReadBlob(h, 0)
	return content, false, err
}

// isBinary applies git's test: a NUL byte in the first 8000 bytes.
func isBinary(b []byte) bool {
	return bytes.IndexByte(b[:min(len(b), binarySniff)], 0) >= 0
}

// IsBinary reports whether content looks binary to git.
func IsBinary(content []byte) bool { return isBinary(content) }

// diffLine is one line of a line diff: ' ' kept, '-' removed, '+' added.
type diffLine struct {
	op   byte
	text string
}

// splitLines splits s into lines, each keeping its "\n" (the last may have none).
func splitLines(s string) []string {
	var out []string
	for s != "" {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			out = append(out, s)
			break
		}
		out = append(out, s[:i+1])
		s = s[i+1:]
	}
	return out
}

// Unified returns the hunks of a unified diff from before to after with three lines of context,
// and the numbers of added and deleted lines.
func Unified(before, after string) (patch string, additions, deletions int) {
	if before == after {
		return "", 0, 0
	}
	var lines []diffLine
	for _, d := range diff.Do(before, after) {
		op := byte(' ')
		switch d.Type {
		case diffmatchpatch.DiffDelete:
			op = '-'
		case diffmatchpatch.DiffInsert:
			op = '+'
		}
		for _, l := range splitLines(d.Text) {
			lines = append(lines, diffLine{op, l})
			switch op {
			case '-':
				deletions++
			case '+':
				additions++
			}
		}
	}
	var oldLines []string
	for _, l := range lines {
		if l.op != '+' {
			oldLines = append(oldLines, l.text)
		}
	}
	// oldAt[i] and newAt[i] count the old and new lines before lines[i].
	oldAt := make([]int, len(lines)+1)
	newAt := make([]int, len(lines)+1)
	for i, l := range lines {
		oldAt[i+1], newAt[i+1] = oldAt[i], newAt[i]
		if l.op != '+' {
			oldAt[i+1]++
		}
		if l.op != '-' {
			newAt[i+1]++
		}
	}
	var b strings.Builder
	n := len(lines)
	for i := 0; i < n; {
		for i < n && lines[i].op == ' ' {
			i++
		}
		if i == n {
			break
		}
		start := max(0, i-diffContext)
		end := i + 1
		// Extend the hunk over changes whose context would touch or overlap.
		for j := end; j < n && j-end <= 2*diffContext; j++ {
			if lines[j].op != ' ' {
				end = j + 1
			}
		}
		stop := min(n, end+diffContext)
		b.WriteString(hunkHeader(oldAt[start], oldAt[stop]-oldAt[start], newAt[start], newAt[stop]-newAt[start],
			funcLine(oldLines, oldAt[start])))
		for _, l := range lines[start:stop] {
			b.WriteByte(l.op)
			b.WriteString(l.text)
			if !strings.HasSuffix(l.text, "\n") {
				b.WriteString("\n\\ No newline at end of file\n")
			}
		}
		i = stop
	}
	return b.String(), additions, deletions
}

// hunkHeader writes "@@ -a,b +c,d @@" as git does: a count of one is left out, an empty side
// starts at the line before it, and the function line, if any, follows.
func hunkHeader(oldBefore, oldCount, newBefore, newCount int, fn string) string {
	side := func(before, count int) string {
		start := before + 1
		if count == 0 {
			start = before
		}
		if count == 1 {
			return strconv.Itoa(start)
		}
		return strconv.Itoa(start) + "," + strconv.Itoa(count)
	}
	h := "@@ -" + side(oldBefore, oldCount) + " +" + side(newBefore, newCount) + " @@"
	if fn != "" {
		h += " " + fn
	}
	return h + "\n"
}

// funcLine finds, as git's default funcname rule does, the nearest line before the first
// `before` old lines that starts with a letter, '_' or '$', cut to 80 bytes and trimmed.
func funcLine(old []string, before int) string {
	for i := before - 1; i >= 0; i-- {
		l := old[i]
		if l == "" {
			continue
		}
		c := l[0]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '$' {
			if len(l) > 80 {
				l = l[:80]
			}
			return strings.TrimRight(l, " \t\r\n\v\f")
		}
	}
	return ""
}

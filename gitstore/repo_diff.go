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
		d := FileDiff{
			OldPath: c.From.Name,
			NewPath: c.To.Name,
			OldMode: c.From.TreeEntry.Mode,
			NewMode: c.To.TreeEntry.Mode,
			OldHash: c.From.TreeEntry.Hash,
			NewHash: c.To.TreeEntry.Hash,
		}
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
	if bytes.Equal(before, after) {
		return nil
	}
	d.Patch, d.Additions, d.Deletions = unified(before, after)
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
	size, err := r.BlobSize(h)
	if err != nil {
		return nil, false, err
	}
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

// Unified returns the hunks of a unified diff from before to after with three lines of
// context, as git diff writes them (its own line diff, xdiff.go; changes less than seven
// lines apart share a hunk), and the numbers of added and deleted lines.
func Unified(before, after string) (patch string, additions, deletions int) {
	if before == after {
		return "", 0, 0
	}
	return unified([]byte(before), []byte(after))
}

func unified(before, after []byte) (patch string, additions, deletions int) {
	old, new := splitLinesBytes(before), splitLinesBytes(after)
	changes := xdiffLines(old, new)
	var b strings.Builder
	line := func(op byte, text []byte) {
		b.WriteByte(op)
		b.Write(text)
		if len(text) == 0 || text[len(text)-1] != '\n' {
			b.WriteString("\n\\ No newline at end of file\n")
		}
	}
	for i := 0; i < len(changes); {
		j := i // the last change of this hunk
		for j+1 < len(changes) && changes[j+1].i1-(changes[j].i1+changes[j].chg1) <= 2*diffContext {
			j++
		}
		first, last := changes[i], changes[j]
		s1, s2 := max(first.i1-diffContext, 0), max(first.i2-diffContext, 0)
		ctx := min(diffContext, len(old)-(last.i1+last.chg1), len(new)-(last.i2+last.chg2))
		e1, e2 := last.i1+last.chg1+ctx, last.i2+last.chg2+ctx
		b.WriteString(hunkHeader(s1, e1-s1, s2, e2-s2, funcLine(old, s1)))
		at := s1
		for _, c := range changes[i : j+1] {
			for ; at < c.i1; at++ {
				line(' ', old[at])
			}
			for k := c.i1; k < c.i1+c.chg1; k++ {
				line('-', old[k])
			}
			for k := c.i2; k < c.i2+c.chg2; k++ {
				line('+', new[k])
			}
			at = c.i1 + c.chg1
			deletions += c.chg1
			additions += c.chg2
		}
		for ; at < e1; at++ {
			line(' ', old[at])
		}
		i = j + 1
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
func funcLine(old [][]byte, before int) string {
	for i := before - 1; i >= 0; i-- {
		l := old[i]
		if len(l) == 0 {
			continue
		}
		c := l[0]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '$' {
			if len(l) > 80 {
				l = l[:80]
			}
			return string(bytes.TrimRight(l, " \t\r\n\v\f"))
		}
	}
	return ""
}

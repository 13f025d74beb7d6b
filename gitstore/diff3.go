package gitstore

import (
	"bytes"
)

// Three-way merge of text, with the semantics git gives a content merge (merge-ort with
// the default "merge" conflict style and zealous refinement):
//
//   - Diff base→ours and base→theirs by lines (diffLines) and walk both lists of changes
//     in base coordinates. A change that ends strictly before the other side's next change
//     begins is taken as it is. Changes that overlap or merely touch are a conflict, unless
//     they replace the same base lines with the same lines, which are taken once.
//   - Chunks that overlap or touch in ours' or theirs' coordinates are joined; a joined
//     chunk whose parts come from different sides is a conflict.
//   - Zealous refinement: the two sides of each conflict are diffed against each other;
//     lines common to both leave the conflict, which may split or, when the sides are the
//     same, disappear. This decides cleanliness, it is not cosmetic.
//   - Conflicts separated by three lines or fewer are joined (cosmetic: the marker text).
//   - The merged text is assembled in ours' coordinates: ours' lines, with theirs' changes
//     put in place.

// Kinds of merged chunks.
const (
	chunkConflict  = 0
	chunkOurs      = 1 // a change made only in ours
	chunkTheirs    = 2 // a change made only in theirs
	chunkIdentical = 4 // a conflict whose two sides turned out equal
)

// mergeChunk is one change of a three-way merge: base lines [i0, i0+n0), ours lines
// [i1, i1+n1), theirs lines [i2, i2+n2). After refinement i0/n0 of conflicts are stale;
// only the marker text of the diff3 style would need them.
type mergeChunk struct {
	kind   int
	i0, n0 int
	i1, n1 int
	i2, n2 int
}

// lineMerge is the outcome of a three-way merge of text.
type lineMerge struct {
	base, ours, theirs [][]byte
	chunks             []mergeChunk
	conflicts          int
	// uncertain is set when part of a diff came from the Myers fallback, whose choices may
	// differ from git's: the caller must not call the merge clean.
	uncertain bool
}

// clean reports whether the merge has no conflict and can be trusted to match git's.
func (m *lineMerge) clean() bool { return m.conflicts == 0 && !m.uncertain }

// merge3 merges the changes from base to ours and from base to theirs.
func merge3(base, ours, theirs []byte) *lineMerge {
	m := &lineMerge{base: splitLinesBytes(base), ours: splitLinesBytes(ours), theirs: splitLinesBytes(theirs)}
	t := newLineTable()
	ib, io, it := t.intern(m.base), t.intern(m.ours), t.intern(m.theirs)
	d1 := diffLines(ib, io, len(t.ids))
	d2 := diffLines(ib, it, len(t.ids))
	m.uncertain = d1.uncertain || d2.uncertain
	h1, h2 := d1.hunks(), d2.hunks()
	switch {
	case len(h1) == 0:
		// Ours is the base: the result is theirs.
		m.chunks = []mergeChunk{{
			kind: chunkTheirs,
			i0:   0,
			n0:   len(m.base),
			i1:   0,
			n1:   len(m.ours),
			i2:   0,
			n2:   len(m.theirs),
		}}
		return m
	case len(h2) == 0:
		return m
	}
	m.chunks = joinChanges(h1, h2, io, it, len(m.base), len(m.ours), len(m.theirs))
	m.refine(io, it, len(t.ids))
	m.joinNearConflicts()
	for _, c := range m.chunks {
		if c.kind == chunkConflict {
			m.conflicts++
		}
	}
	return m
}

// joinChanges walks the changes of both sides (h1: base→ours, h2: base→theirs) in base
// coordinates and produces the merge's chunks.
func joinChanges(h1, h2 []hunk, ours, theirs []int32, nBase, nOurs, nTheirs int) []mergeChunk {
	var out []mergeChunk
	add := func(c mergeChunk) {
		if n := len(out); n > 0 {
			last := &out[n-1]
			if c.i1 <= last.i1+last.n1 || c.i2 <= last.i2+last.n2 {
				if c.kind != last.kind {
					last.kind = chunkConflict
				}
				last.n0 = c.i0 + c.n0 - last.i0
				last.n1 = c.i1 + c.n1 - last.i1
				last.n2 = c.i2 + c.n2 - last.i2
				return
			}
		}
		out = append(out, c)
	}
	i, j := 0, 0
	for i < len(h1) && j < len(h2) {
		x, y := h1[i], h2[j]
		xEnd, yEnd := x.a+x.aLen, y.a+y.aLen
		switch {
		case xEnd < y.a:
			// Only ours changed here; theirs is the base shifted by its earlier changes.
			add(mergeChunk{
				kind: chunkOurs,
				i0:   x.a,
				n0:   x.aLen,
				i1:   x.b,
				n1:   x.bLen,
				i2:   y.b - y.a + x.a,
				n2:   x.aLen,
			})
			i++
			continue
		case yEnd < x.a:
			add(mergeChunk{
				kind: chunkTheirs,
				i0:   y.a,
				n0:   y.aLen,
				i1:   x.b - x.a + y.a,
				n1:   y.aLen,
				i2:   y.b,
				n2:   y.bLen,
			})
			j++
			continue
		}
		same := x.a == y.a && x.aLen == y.aLen && x.bLen == y.bLen &&
			equalIDs(ours[x.b:x.b+x.bLen], theirs[y.b:y.b+y.bLen])
		if !same {
			// The conflict covers both changes' base lines; each side's range grows by the
			// base lines the other change covers beyond its own.
			lo, hi := min(x.a, y.a), max(xEnd, yEnd)
			c := mergeChunk{kind: chunkConflict, i0: lo, n0: hi - lo}
			c.i1 = x.b - (x.a - lo)
			c.n1 = x.b + x.bLen + (hi - xEnd) - c.i1
			c.i2 = y.b - (y.a - lo)
			c.n2 = y.b + y.bLen + (hi - yEnd) - c.i2
			add(c)
		}
		if xEnd >= yEnd {
			j++
		}
		if yEnd >= xEnd {
			i++
		}
	}
	for ; i < len(h1); i++ {
		x := h1[i]
		add(mergeChunk{
			kind: chunkOurs,
			i0:   x.a,
			n0:   x.aLen,
			i1:   x.b,
			n1:   x.bLen,
			i2:   x.a + nTheirs - nBase,
			n2:   x.aLen,
		})
	}
	for ; j < len(h2); j++ {
		y := h2[j]
		add(mergeChunk{
			kind: chunkTheirs,
			i0:   y.a,
			n0:   y.aLen,
			i1:   y.a + nOurs - nBase,
			n1:   y.aLen,
			i2:   y.b,
			n2:   y.bLen,
		})
	}
	return out
}

func equalIDs(a, b []int32) bool {
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

// refine diffs the two sides of every conflict against each other: common lines leave the
// conflict, which may split into several or disappear.
func (m *lineMerge) refine(ours, theirs []int32, nids int) {
	var out []mergeChunk
	for _, c := range m.chunks {
		if c.kind != chunkConflict || c.n1 == 0 || c.n2 == 0 {
			out = append(out, c)
			continue
		}
		d := diffLines(ours[c.i1:c.i1+c.n1], theirs[c.i2:c.i2+c.n2], nids)
		m.uncertain = m.uncertain || d.uncertain
		hs := d.hunks()
		if len(hs) == 0 {
			c.kind = chunkIdentical
			out = append(out, c)
			continue
		}
		for _, h := range hs {
			out = append(out, mergeChunk{
				kind: chunkConflict,
				i0:   c.i0,
				n0:   c.n0,
				i1:   c.i1 + h.a,
				n1:   h.aLen,
				i2:   c.i2 + h.b,
				n2:   h.bLen,
			})
		}
	}
	m.chunks = out
}

// joinNearConflicts joins conflicts separated by three unchanged lines or fewer, so that
// the marker text shows one conflict instead of several close ones.
func (m *lineMerge) joinNearConflicts() {
	if len(m.chunks) == 0 {
		return
	}
	out := m.chunks[:1]
	for _, next := range m.chunks[1:] {
		last := &out[len(out)-1]
		if last.kind == chunkConflict && next.kind == chunkConflict && next.i1-(last.i1+last.n1) <= 3 {
			last.n0 = next.i0 + next.n0 - last.i0
			last.n1 = next.i1 + next.n1 - last.i1
			last.n2 = next.i2 + next.n2 - last.i2
			continue
		}
		out = append(out, next)
	}
	m.chunks = out
}

// conflictMarkerSize is the length of git's conflict markers.
const conflictMarkerSize = 7

// render writes the merged text; conflicts appear between markers labelled with the names
// of the two sides, as git writes them with merge.conflictStyle=merge.
func (m *lineMerge) render(oursName, theirsName string) []byte {
	var out bytes.Buffer
	copyLines := func(lines [][]byte) {
		for _, l := range lines {
			out.Write(l)
		}
	}
	pos := 0 // the next line of ours to copy
	for _, c := range m.chunks {
		switch c.kind {
		case chunkIdentical:
			continue
		case chunkOurs:
			copyLines(m.ours[pos : c.i1+c.n1])
		case chunkTheirs:
			copyLines(m.ours[pos:c.i1])
			copyLines(m.theirs[c.i2 : c.i2+c.n2])
		case chunkConflict:
			copyLines(m.ours[pos:c.i1])
			eol := []byte("\n")
			if m.needsCR(c) {
				eol = []byte("\r\n")
			}
			marker := func(ch byte, name string) {
				out.Write(bytes.Repeat([]byte{ch}, conflictMarkerSize))
				if name != "" {
					out.WriteByte(' ')
					out.WriteString(name)
				}
				out.Write(eol)
			}
			side := func(lines [][]byte) {
				copyLines(lines)
				if n := len(lines); n > 0 && !bytes.HasSuffix(lines[n-1], []byte("\n")) {
					out.Write(eol)
				}
			}
			marker('<', oursName)
			side(m.ours[c.i1 : c.i1+c.n1])
			marker('=', "")
			side(m.theirs[c.i2 : c.i2+c.n2])
			marker('>', theirsName)
		}
		pos = c.i1 + c.n1
	}
	copyLines(m.ours[pos:])
	return out.Bytes()
}

// lineEndsCRLF tells whether line i of lines ends in CRLF: 1 yes, 0 no, -1 unknown (an
// empty file, or a single line without terminator). The last line, when it has no
// terminator, takes the style of the line before it.
func lineEndsCRLF(lines [][]byte, i int) int {
	crlf := func(l []byte) int {
		if len(l) > 1 && l[len(l)-2] == '\r' {
			return 1
		}
		return 0
	}
	switch {
	case len(lines) == 0:
		return -1
	case i < len(lines)-1:
		return crlf(lines[i])
	case bytes.HasSuffix(lines[i], []byte("\n")):
		return crlf(lines[i])
	case i == 0:
		return -1
	}
	return crlf(lines[i-1])
}

// needsCR decides whether the markers of conflict c end in CRLF: when the lines before the
// conflict on both sides do, and the base's first line does too (unknown counts as yes,
// and all unknown as no).
func (m *lineMerge) needsCR(c mergeChunk) bool {
	at := func(i int) int {
		if i > 0 {
			return i - 1
		}
		return 0
	}
	v := lineEndsCRLF(m.ours, at(c.i1))
	if v != 0 {
		v = lineEndsCRLF(m.theirs, at(c.i2))
	}
	if v != 0 {
		v = lineEndsCRLF(m.base, 0)
	}
	return v > 0
}

// result returns the merged text of a clean merge (with markers if it was not clean).
func (m *lineMerge) result() []byte {
	return m.render("ours", "theirs")
}

package gitstore

import (
	"bytes"
	"hash/maphash"
)

// git's own line diff (xdiff: xprepare.c, xdiffi.c, as of git 2.39), ported so that blame
// pairs lines exactly as `git blame` does: which lines of a parent a commit's lines come from
// decides whom a line is blamed on, and where a diff has several minimal answers, git's
// heuristics pick one. It is Myers' O(ND) algorithm with xdiff's preparation (lines that
// occur only on one side discarded first, common ends trimmed), its cost cut-offs, and the
// compaction of change groups with the indent heuristic (git's default since 2.14), fed the
// texts with their common tail trimmed as xdi_diff does when no context is asked for.

const (
	xdlMaxCostMin        = 256
	xdlHeurMinCost       = 256
	xdlLineMax           = int(^uint(0) >> 1)
	xdlSnakeCnt          = 20
	xdlKHeur             = 4
	xdlKpdisRun          = 4
	xdlMaxEqLimit        = 1024
	xdlSimscanWindow     = 100
	xdlMaxIndent         = 200
	xdlMaxBlanks         = 20
	indentHeuristicSlide = 100
)

// xdiffChange is one change of a diff: chg1 lines of the old side from i1 replaced by chg2
// lines of the new side from i2 (0-based).
type xdiffChange struct {
	i1, chg1 int
	i2, chg2 int
}

// xdfile is one side of a diff (xdfile_t).
type xdfile struct {
	lines  [][]byte // every line, its newline included
	class  []int    // equivalence class of every line
	rchg   []byte   // changed marks, rchg[i+1] for line i; rchg[0] and rchg[n+1] stay 0
	rindex []int    // lines taken into the Myers pass
	ha     []int    // their classes
	dstart int
	dend   int
}

func (x *xdfile) nrec() int { return len(x.lines) }

// changed reports whether line i is marked; the lines just outside the file never are.
func (x *xdfile) changed(i int) bool { return i >= -1 && i <= len(x.lines) && x.rchg[i+1] != 0 }

func (x *xdfile) mark(i int, c byte) { x.rchg[i+1] = c }

// gitDiff diffs old against new as git blame does and returns the changes in order.
func gitDiff(old, new []byte) []xdiffChange { return xdiffChanges(old, new, true) }

// xdiffChanges diffs old against new as git does; trimTail drops the common tail first, as
// git does when no context lines are asked for (blame), and not otherwise (diff -U3).
func xdiffChanges(old, new []byte, trimTail bool) []xdiffChange {
	if trimTail {
		old, new = trimCommonTail(old, new)
	}
	return xdiffLines(splitLinesBytes(old), splitLinesBytes(new))
}

// xdiffLines diffs two texts split into lines, each with its newline.
func xdiffLines(oldLines, newLines [][]byte) []xdiffChange {
	a, b := &xdfile{lines: oldLines}, &xdfile{lines: newLines}
	lc := newLineClasses(len(oldLines) + len(newLines))
	var len1, len2 []int
	classify := func(x *xdfile, counts, other *[]int) {
		x.class = make([]int, len(x.lines))
		for i, l := range x.lines {
			id := lc.id(l)
			for len(*counts) <= id {
				*counts = append(*counts, 0)
				*other = append(*other, 0)
			}
			(*counts)[id]++
			x.class[i] = id
		}
		x.rchg = make([]byte, len(x.lines)+2)
		x.dstart, x.dend = 0, len(x.lines)-1
	}
	classify(a, &len1, &len2)
	classify(b, &len2, &len1)
	xdlTrimEnds(a, b)
	xdlCleanupRecords(a, b, len1, len2)

	ndiags := len(a.ha) + len(b.ha) + 3
	kv := make([]int, 2*ndiags+2)
	env := &xdlEnv{
		kvdf:     kv[:ndiags],
		kvdb:     kv[ndiags:],
		off:      len(b.ha) + 1,
		mxcost:   max(xdlBogosqrt(ndiags), xdlMaxCostMin),
		snakeCnt: xdlSnakeCnt,
		heurMin:  xdlHeurMinCost,
	}
	env.recsCmp(a, 0, len(a.ha), b, 0, len(b.ha), false)
	xdlChangeCompact(a, b)
	xdlChangeCompact(b, a)
	return xdlBuildScript(a, b)
}

// lineClasses numbers distinct lines (xdl_classify_record): lines are hashed, and lines
// whose hashes collide compared whole.
type lineClasses struct {
	seed  maphash.Seed
	first map[uint64]int // the first class of each hash
	lines [][]byte       // a line of each class
	next  []int          // the next class of the same hash, -1 for none
}

func newLineClasses(n int) *lineClasses {
	return &lineClasses{seed: maphash.MakeSeed(), first: make(map[uint64]int, n)}
}

func (lc *lineClasses) id(l []byte) int {
	h := maphash.Bytes(lc.seed, l)
	first, ok := lc.first[h]
	if ok {
		for c := first; c >= 0; c = lc.next[c] {
			if bytes.Equal(lc.lines[c], l) {
				return c
			}
		}
	}
	id := len(lc.lines)
	lc.lines = append(lc.lines, l)
	if ok {
		lc.next = append(lc.next, lc.next[first])
		lc.next[first] = id
	} else {
		lc.next = append(lc.next, -1)
		lc.first[h] = id
	}
	return id
}

// trimCommonTail drops the blocks of 1 KiB both texts end with, keeping the line the cut
// falls in (xdiff-interface.c).
func trimCommonTail(a, b []byte) ([]byte, []byte) {
	const blk = 1024
	trimmed := 0
	smaller := min(len(a), len(b))
	for blk+trimmed <= smaller &&
		string(a[len(a)-trimmed-blk:len(a)-trimmed]) == string(b[len(b)-trimmed-blk:len(b)-trimmed]) {
		trimmed += blk
	}
	recovered := 0
	ap := len(a) - trimmed
	for recovered < trimmed {
		c := a[ap+recovered]
		recovered++
		if c == '\n' {
			break
		}
	}
	return a[:len(a)-(trimmed-recovered)], b[:len(b)-(trimmed-recovered)]
}

func xdlBogosqrt(n int) int {
	i := 1
	for ; n > 0; n >>= 2 {
		i <<= 1
	}
	return i
}

// xdlTrimEnds marks the common first and last lines out of the diff.
func xdlTrimEnds(a, b *xdfile) {
	lim := min(a.nrec(), b.nrec())
	i := 0
	for ; i < lim && a.class[i] == b.class[i]; i++ {
	}
	a.dstart, b.dstart = i, i
	lim -= i
	j := 0
	for ; j < lim && a.class[a.nrec()-1-j] == b.class[b.nrec()-1-j]; j++ {
	}
	a.dend, b.dend = a.nrec()-j-1, b.nrec()-j-1
}

// xdlCleanupRecords keeps for the Myers pass the lines that occur on the other side, leaving
// out (as changed) those that do not and, in runs of those, lines too common to anchor.
func xdlCleanupRecords(a, b *xdfile, len1, len2 []int) {
	dis := func(x *xdfile, otherCount []int) []byte {
		d := make([]byte, x.nrec()+1)
		mlim := min(xdlBogosqrt(x.nrec()), xdlMaxEqLimit)
		for i := x.dstart; i <= x.dend; i++ {
			switch nm := otherCount[x.class[i]]; {
			case nm == 0:
				d[i] = 0
			case nm >= mlim:
				d[i] = 2
			default:
				d[i] = 1
			}
		}
		return d
	}
	keep := func(x *xdfile, d []byte) {
		for i := x.dstart; i <= x.dend; i++ {
			if d[i] == 1 || d[i] == 2 && !xdlCleanMmatch(d, i, x.dstart, x.dend) {
				x.rindex = append(x.rindex, i)
				x.ha = append(x.ha, x.class[i])
			} else {
				x.mark(i, 1)
			}
		}
	}
	d1, d2 := dis(a, len2), dis(b, len1)
	keep(a, d1)
	keep(b, d2)
}

func xdlCleanMmatch(dis []byte, i, s, e int) bool {
	if i-s > xdlSimscanWindow {
		s = i - xdlSimscanWindow
	}
	if e-i > xdlSimscanWindow {
		e = i + xdlSimscanWindow
	}
	rdis0, rpdis0 := 0, 1
	for r := 1; i-r >= s; r++ {
		if dis[i-r] == 0 {
			rdis0++
		} else if dis[i-r] == 2 {
			rpdis0++
		} else {
			break
		}
	}
	if rdis0 == 0 {
		return false
	}
	rdis1, rpdis1 := 0, 1
	for r := 1; i+r <= e; r++ {
		if dis[i+r] == 0 {
			rdis1++
		} else if dis[i+r] == 2 {
			rpdis1++
		} else {
			break
		}
	}
	if rdis1 == 0 {
		return false
	}
	rdis1 += rdis0
	rpdis1 += rpdis0
	return rpdis1*xdlKpdisRun < rpdis1+rdis1
}

// xdlEnv is the Myers pass's state: the diagonal vectors, indexed from -off.
type xdlEnv struct {
	kvdf, kvdb []int
	off        int
	mxcost     int
	snakeCnt   int
	heurMin    int
}

func (e *xdlEnv) f(d int) *int { return &e.kvdf[d+e.off] }
func (e *xdlEnv) b(d int) *int { return &e.kvdb[d+e.off] }

type xdlSplit struct {
	i1, i2       int
	minLo, minHi bool
}

// split finds where the box (off1, off2)-(lim1, lim2) splits (xdl_split).
func (e *xdlEnv) split(ha1 []int, off1, lim1 int, ha2 []int, off2, lim2 int, needMin bool) xdlSplit {
	var spl xdlSplit
	dmin, dmax := off1-lim2, lim1-off2
	fmid, bmid := off1-off2, lim1-lim2
	odd := (fmid-bmid)&1 != 0
	fmin, fmax := fmid, fmid
	bmin, bmax := bmid, bmid
	*e.f(fmid) = off1
	*e.b(bmid) = lim1
	for ec := 1; ; ec++ {
		gotSnake := false
		if fmin > dmin {
			fmin--
			*e.f(fmin - 1) = -1
		} else {
			fmin++
		}
		if fmax < dmax {
			fmax++
			*e.f(fmax + 1) = -1
		} else {
			fmax--
		}
		for d := fmax; d >= fmin; d -= 2 {
			var i1 int
			if *e.f(d - 1) >= *e.f(d + 1) {
				i1 = *e.f(d - 1) + 1
			} else {
				i1 = *e.f(d + 1)
			}
			prev1 := i1
			i2 := i1 - d
			for i1 < lim1 && i2 < lim2 && ha1[i1] == ha2[i2] {
				i1++
				i2++
			}
			if i1-prev1 > e.snakeCnt {
				gotSnake = true
			}
			*e.f(d) = i1
			if odd && bmin <= d && d <= bmax && *e.b(d) <= i1 {
				return xdlSplit{i1: i1, i2: i2, minLo: true, minHi: true}
			}
		}
		if bmin > dmin {
			bmin--
			*e.b(bmin - 1) = xdlLineMax
		} else {
			bmin++
		}
		if bmax < dmax {
			bmax++
			*e.b(bmax + 1) = xdlLineMax
		} else {
			bmax--
		}
		for d := bmax; d >= bmin; d -= 2 {
			var i1 int
			if *e.b(d - 1) < *e.b(d + 1) {
				i1 = *e.b(d - 1)
			} else {
				i1 = *e.b(d + 1) - 1
			}
			prev1 := i1
			i2 := i1 - d
			for i1 > off1 && i2 > off2 && ha1[i1-1] == ha2[i2-1] {
				i1--
				i2--
			}
			if prev1-i1 > e.snakeCnt {
				gotSnake = true
			}
			*e.b(d) = i1
			if !odd && fmin <= d && d <= fmax && i1 <= *e.f(d) {
				return xdlSplit{i1: i1, i2: i2, minLo: true, minHi: true}
			}
		}
		if needMin {
			continue
		}
		if gotSnake && ec > e.heurMin {
			best := 0
			for d := fmax; d >= fmin; d -= 2 {
				dd := d - fmid
				if d <= fmid {
					dd = fmid - d
				}
				i1 := *e.f(d)
				i2 := i1 - d
				v := (i1 - off1) + (i2 - off2) - dd
				if v > xdlKHeur*ec && v > best && off1+e.snakeCnt <= i1 && i1 < lim1 &&
					off2+e.snakeCnt <= i2 && i2 < lim2 {
					for k := 1; ha1[i1-k] == ha2[i2-k]; k++ {
						if k == e.snakeCnt {
							best = v
							spl.i1, spl.i2 = i1, i2
							break
						}
					}
				}
			}
			if best > 0 {
				spl.minLo, spl.minHi = true, false
				return spl
			}
			for d := bmax; d >= bmin; d -= 2 {
				dd := d - bmid
				if d <= bmid {
					dd = bmid - d
				}
				i1 := *e.b(d)
				i2 := i1 - d
				v := (lim1 - i1) + (lim2 - i2) - dd
				if v > xdlKHeur*ec && v > best && off1 < i1 && i1 <= lim1-e.snakeCnt && off2 < i2 &&
					i2 <= lim2-e.snakeCnt {
					for k := 0; ha1[i1+k] == ha2[i2+k]; k++ {
						if k == e.snakeCnt-1 {
							best = v
							spl.i1, spl.i2 = i1, i2
							break
						}
					}
				}
			}
			if best > 0 {
				spl.minLo, spl.minHi = false, true
				return spl
			}
		}
		if ec >= e.mxcost {
			fbest, fbest1 := -1, -1
			for d := fmax; d >= fmin; d -= 2 {
				i1 := min(*e.f(d), lim1)
				i2 := i1 - d
				if lim2 < i2 {
					i1, i2 = lim2+d, lim2
				}
				if fbest < i1+i2 {
					fbest, fbest1 = i1+i2, i1
				}
			}
			bbest, bbest1 := xdlLineMax, xdlLineMax
			for d := bmax; d >= bmin; d -= 2 {
				i1 := max(off1, *e.b(d))
				i2 := i1 - d
				if i2 < off2 {
					i1, i2 = off2+d, off2
				}
				if i1+i2 < bbest {
					bbest, bbest1 = i1+i2, i1
				}
			}
			if (lim1+lim2)-bbest < fbest-(off1+off2) {
				return xdlSplit{i1: fbest1, i2: fbest - fbest1, minLo: true, minHi: false}
			}
			return xdlSplit{i1: bbest1, i2: bbest - bbest1, minLo: false, minHi: true}
		}
	}
}

// recsCmp marks the changed lines of the box (xdl_recs_cmp), divide and conquer.
func (e *xdlEnv) recsCmp(a *xdfile, off1, lim1 int, b *xdfile, off2, lim2 int, needMin bool) {
	ha1, ha2 := a.ha, b.ha
	for off1 < lim1 && off2 < lim2 && ha1[off1] == ha2[off2] {
		off1++
		off2++
	}
	for off1 < lim1 && off2 < lim2 && ha1[lim1-1] == ha2[lim2-1] {
		lim1--
		lim2--
	}
	switch {
	case off1 == lim1:
		for ; off2 < lim2; off2++ {
			b.mark(b.rindex[off2], 1)
		}
	case off2 == lim2:
		for ; off1 < lim1; off1++ {
			a.mark(a.rindex[off1], 1)
		}
	default:
		spl := e.split(ha1, off1, lim1, ha2, off2, lim2, needMin)
		e.recsCmp(a, off1, spl.i1, b, off2, spl.i2, spl.minLo)
		e.recsCmp(a, spl.i1, lim1, b, spl.i2, lim2, spl.minHi)
	}
}

// xdlGroup is a run of changed lines [start, end) (xdlgroup).
type xdlGroup struct{ start, end int }

func groupInit(x *xdfile) xdlGroup {
	g := xdlGroup{}
	for x.changed(g.end) {
		g.end++
	}
	return g
}

func groupNext(x *xdfile, g *xdlGroup) bool {
	if g.end == x.nrec() {
		return false
	}
	g.start = g.end + 1
	for g.end = g.start; x.changed(g.end); g.end++ {
	}
	return true
}

func groupPrevious(x *xdfile, g *xdlGroup) bool {
	if g.start == 0 {
		return false
	}
	g.end = g.start - 1
	for g.start = g.end; x.changed(g.start - 1); g.start-- {
	}
	return true
}

func groupSlideDown(x *xdfile, g *xdlGroup) bool {
	if g.end < x.nrec() && x.class[g.start] == x.class[g.end] {
		x.mark(g.start, 0)
		g.start++
		x.mark(g.end, 1)
		g.end++
		for x.changed(g.end) {
			g.end++
		}
		return true
	}
	return false
}

func groupSlideUp(x *xdfile, g *xdlGroup) bool {
	if g.start > 0 && x.class[g.start-1] == x.class[g.end-1] {
		g.start--
		x.mark(g.start, 1)
		g.end--
		x.mark(g.end, 0)
		for x.changed(g.start - 1) {
			g.start--
		}
		return true
	}
	return false
}

// xdlChangeCompact slides each group of changes of x as git does (xdl_change_compact): up
// and down as far as it goes, merging what it meets, then back to line up with a change on
// the other side, or else where the indent heuristic scores it best.
func xdlChangeCompact(x, o *xdfile) {
	g, go_ := groupInit(x), groupInit(o)
	for {
		if g.end != g.start {
			var groupsize, earliestEnd, endMatchingOther int
			for {
				groupsize = g.end - g.start
				endMatchingOther = -1
				for groupSlideUp(x, &g) {
					groupPrevious(o, &go_)
				}
				earliestEnd = g.end
				if go_.end > go_.start {
					endMatchingOther = g.end
				}
				for groupSlideDown(x, &g) {
					groupNext(o, &go_)
					if go_.end > go_.start {
						endMatchingOther = g.end
					}
				}
				if groupsize == g.end-g.start {
					break
				}
			}
			switch {
			case g.end == earliestEnd:
			case endMatchingOther != -1:
				for go_.end == go_.start {
					groupSlideUp(x, &g)
					groupPrevious(o, &go_)
				}
			default:
				shift := earliestEnd
				if g.end-groupsize-1 > shift {
					shift = g.end - groupsize - 1
				}
				if g.end-indentHeuristicSlide > shift {
					shift = g.end - indentHeuristicSlide
				}
				bestShift := -1
				var best splitScore
				for ; shift <= g.end; shift++ {
					var score splitScore
					score.add(x.measureSplit(shift))
					score.add(x.measureSplit(shift - groupsize))
					if bestShift == -1 || score.cmp(best) <= 0 {
						best, bestShift = score, shift
					}
				}
				for g.end > bestShift {
					groupSlideUp(x, &g)
					groupPrevious(o, &go_)
				}
			}
		}
		if !groupNext(x, &g) {
			break
		}
		groupNext(o, &go_)
	}
}

// getIndent is a line's indentation, a tab counting up to the next multiple of 8; -1 for
// a line of whitespace only.
func getIndent(line []byte) int {
	ret := 0
	for _, c := range line {
		switch c {
		case ' ':
			ret++
		case '\t':
			ret += 8 - ret%8
		case '\n', '\r':
		default:
			return ret
		}
		if ret >= xdlMaxIndent {
			return xdlMaxIndent
		}
	}
	return -1
}

type splitMeasurement struct {
	endOfFile                   bool
	indent, preBlank, preIndent int
	postBlank, postIndent       int
}

func (x *xdfile) measureSplit(split int) splitMeasurement {
	var m splitMeasurement
	if split >= x.nrec() {
		m.endOfFile, m.indent = true, -1
	} else {
		m.indent = getIndent(x.lines[split])
	}
	m.preIndent = -1
	for i := split - 1; i >= 0; i-- {
		if m.preIndent = getIndent(x.lines[i]); m.preIndent != -1 {
			break
		}
		if m.preBlank++; m.preBlank == xdlMaxBlanks {
			m.preIndent = 0
			break
		}
	}
	m.postIndent = -1
	for i := split + 1; i < x.nrec(); i++ {
		if m.postIndent = getIndent(x.lines[i]); m.postIndent != -1 {
			break
		}
		if m.postBlank++; m.postBlank == xdlMaxBlanks {
			m.postIndent = 0
			break
		}
	}
	return m
}

type splitScore struct{ effectiveIndent, penalty int }

func (s *splitScore) add(m splitMeasurement) {
	if m.preIndent == -1 && m.preBlank == 0 {
		s.penalty += 1 // start of file
	}
	if m.endOfFile {
		s.penalty += 21
	}
	postBlank := 0
	if m.indent == -1 {
		postBlank = 1 + m.postBlank
	}
	totalBlank := m.preBlank + postBlank
	s.penalty += -30 * totalBlank
	s.penalty += 6 * postBlank
	indent := m.indent
	if indent == -1 {
		indent = m.postIndent
	}
	anyBlanks := totalBlank != 0
	s.effectiveIndent += indent
	switch {
	case indent == -1, m.preIndent == -1:
	case indent > m.preIndent:
		if anyBlanks {
			s.penalty += 10
		} else {
			s.penalty += -4
		}
	case indent == m.preIndent:
	case m.postIndent != -1 && m.postIndent > indent:
		if anyBlanks {
			s.penalty += 17
		} else {
			s.penalty += 24
		}
	default:
		if anyBlanks {
			s.penalty += 17
		} else {
			s.penalty += 23
		}
	}
}

func (s splitScore) cmp(o splitScore) int {
	c := 0
	switch {
	case s.effectiveIndent > o.effectiveIndent:
		c = 1
	case s.effectiveIndent < o.effectiveIndent:
		c = -1
	}
	return 60*c + (s.penalty - o.penalty)
}

// xdlBuildScript collects the changed runs of both sides into changes, in order.
func xdlBuildScript(a, b *xdfile) []xdiffChange {
	var rev []xdiffChange
	for i1, i2 := a.nrec(), b.nrec(); i1 >= 0 || i2 >= 0; i1, i2 = i1-1, i2-1 {
		if a.changed(i1-1) || b.changed(i2-1) {
			l1 := i1
			for a.changed(i1 - 1) {
				i1--
			}
			l2 := i2
			for b.changed(i2 - 1) {
				i2--
			}
			rev = append(rev, xdiffChange{i1: i1, chg1: l1 - i1, i2: i2, chg2: l2 - i2})
		}
	}
	out := make([]xdiffChange, len(rev))
	for i, c := range rev {
		out[len(rev)-1-i] = c
	}
	return out
}

package gitstore

import "bytes"

// The line diff under cairn's three-way merge. git's merge machinery (merge-ort) always
// diffs with the histogram algorithm, and which lines a diff calls changed decides whether
// a merge is clean, so this diff follows the same algorithm and the same tie-breaking:
//
//   - Lines are compared whole, terminator included: "g" at the end of a file without a
//     newline differs from "g\n". Nothing is normalised (CR is part of the line).
//   - histogram: in a region, index the lines of the old side by content; walk the new side
//     and, for every line that also occurs in the old region, grow the common run around
//     each of its occurrences. The run whose rarest line is rarest wins, a longer one wins
//     among equally rare ones, and the first found wins ties. Split the region around that
//     run and go on with both halves. A region with no common line is all changed.
//   - When every common line of a region occurs more than maxChain times, git falls back to
//     its Myers implementation, whose heuristics cairn does not reproduce; cairn then uses
//     a plain minimal Myers diff and marks the result uncertain, so the merge treats the file
//     as conflicted rather than risk a clean result git would not give.
//   - Then each group of changed lines is slid as git slides it without the indent heuristic
//     (merge-ort does not enable it): as far down as it can go, or back up to the last
//     position where it lines up with a change on the other side.

// maxChain is how often a line may occur in a region and still anchor a histogram split.
const maxChain = 64

// lineTable gives every distinct line a small integer, so that lines compare as integers.
type lineTable struct {
	ids map[string]int32
}

func newLineTable() *lineTable { return &lineTable{ids: map[string]int32{}} }

// intern returns the ids of lines, adding new lines to the table.
func (t *lineTable) intern(lines [][]byte) []int32 {
	out := make([]int32, len(lines))
	for i, l := range lines {
		id, ok := t.ids[string(l)]
		if !ok {
			id = int32(len(t.ids))
			t.ids[string(l)] = id
		}
		out[i] = id
	}
	return out
}

// splitLinesBytes splits b into lines, each keeping its "\n"; the last may have none.
func splitLinesBytes(b []byte) [][]byte {
	out := make([][]byte, 0, bytes.Count(b, []byte{'\n'})+1)
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			out = append(out, b[:len(b):len(b)])
			break
		}
		out = append(out, b[:i+1:i+1])
		b = b[i+1:]
	}
	return out
}

// lineDiff is the result of diffing two sequences of line ids: which lines of each side
// are changed. uncertain is set when the Myers fallback decided part of it.
type lineDiff struct {
	changedA, changedB []bool
	uncertain          bool
}

// hunk is one change: aLen lines of A from a replaced by bLen lines of B from b.
type hunk struct {
	a, aLen int
	b, bLen int
}

// diffLines diffs a against b (ids from one lineTable of size nids) and slides the changes
// as git does.
func diffLines(a, b []int32, nids int) *lineDiff {
	d := &histogramDiff{
		a:        a,
		b:        b,
		changedA: make([]bool, len(a)),
		changedB: make([]bool, len(b)),
		count:    make([]int32, nids),
		first:    make([]int32, nids),
		stamp:    make([]int32, nids),
		next:     make([]int32, len(a)),
	}
	d.diff(0, len(a), 0, len(b))
	slideGroups(a, d.changedA, d.changedB)
	slideGroups(b, d.changedB, d.changedA)
	return &lineDiff{changedA: d.changedA, changedB: d.changedB, uncertain: d.fellBack}
}

// hunks lists the changes of a diff in order.
func (d *lineDiff) hunks() []hunk {
	var out []hunk
	i, j := 0, 0
	na, nb := len(d.changedA), len(d.changedB)
	for i < na || j < nb {
		if (i < na && d.changedA[i]) || (j < nb && d.changedB[j]) {
			h := hunk{a: i, b: j}
			for i < na && d.changedA[i] {
				i++
			}
			for j < nb && d.changedB[j] {
				j++
			}
			h.aLen, h.bLen = i-h.a, j-h.b
			out = append(out, h)
			continue
		}
		i++
		j++
	}
	return out
}

// histogramDiff holds the state of one histogram diff. count, first and stamp are indexed
// by line id and describe the old-side region being split; stamp tells which split filled
// an id's slot, so nothing is cleared between splits.
type histogramDiff struct {
	a, b               []int32
	changedA, changedB []bool
	fellBack           bool

	count []int32 // occurrences of the id in the region
	first []int32 // its first position in the region
	stamp []int32
	next  []int32 // by position in a: the next position of the same line in the region, -1 none
	split int32
}

func (d *histogramDiff) markA(from, to int) {
	for i := from; i < to; i++ {
		d.changedA[i] = true
	}
}

func (d *histogramDiff) markB(from, to int) {
	for i := from; i < to; i++ {
		d.changedB[i] = true
	}
}

// diff marks the changed lines between a[a0:a1] and b[b0:b1].
func (d *histogramDiff) diff(a0, a1, b0, b1 int) {
	for {
		switch {
		case a0 == a1 && b0 == b1:
			return
		case a0 == a1:
			d.markB(b0, b1)
			return
		case b0 == b1:
			d.markA(a0, a1)
			return
		}
		run, found, tooCommon := d.commonRun(a0, a1, b0, b1)
		if tooCommon {
			d.fallBack(a0, a1, b0, b1)
			return
		}
		if !found {
			d.markA(a0, a1)
			d.markB(b0, b1)
			return
		}
		d.diff(a0, run.as, b0, run.bs)
		a0, b0 = run.ae+1, run.be+1
	}
}

// fallBack diffs a region whose shared lines are all too common with Myers' algorithm.
// After the common start and end are set aside, what is left has only one possible diff
// when one side is empty or the two sides share no line (everything changed); otherwise
// the result may differ from git's and is flagged.
func (d *histogramDiff) fallBack(a0, a1, b0, b1 int) {
	for a0 < a1 && b0 < b1 && d.a[a0] == d.b[b0] {
		a0++
		b0++
	}
	for a0 < a1 && b0 < b1 && d.a[a1-1] == d.b[b1-1] {
		a1--
		b1--
	}
	if a0 < a1 && b0 < b1 && d.shareLine(a0, a1, b0, b1) {
		d.fellBack = true
	}
	myersDiff(d.a, d.b, d.changedA, d.changedB, a0, a1, b0, b1)
}

// shareLine reports whether a[a0:a1] and b[b0:b1] have a line in common.
func (d *histogramDiff) shareLine(a0, a1, b0, b1 int) bool {
	d.split++
	for _, id := range d.b[b0:b1] {
		d.stamp[id] = d.split
	}
	for _, id := range d.a[a0:a1] {
		if d.stamp[id] == d.split {
			return true
		}
	}
	return false
}

// commonRun is a run of equal lines: a[as..ae] equals b[bs..be], both ends included.
type commonRun struct {
	as, ae, bs, be int
}

// commonRun finds the run to split a region around. tooCommon reports that lines are
// shared but all of them too often to anchor a split.
func (d *histogramDiff) commonRun(a0, a1, b0, b1 int) (best commonRun, found, tooCommon bool) {
	d.split++
	stamp := d.split
	// Index the region from its end, so that each line's chain lists positions in order.
	for p := a1 - 1; p >= a0; p-- {
		id := d.a[p]
		if d.stamp[id] != stamp {
			d.stamp[id], d.count[id], d.first[id] = stamp, 0, -1
		}
		d.next[p] = d.first[id]
		d.first[id] = int32(p)
		d.count[id]++
	}
	inRegion := func(id int32) bool { return d.stamp[id] == stamp && d.count[id] > 0 }
	bestCount := int32(maxChain + 1)
	shared := false
	for bp := b0; bp < b1; {
		nextB := bp + 1
		id := d.b[bp]
		if !inRegion(id) {
			bp = nextB
			continue
		}
		shared = true
		if d.count[id] > bestCount {
			bp = nextB
			continue
		}
		for as := int(d.first[id]); ; {
			np := int(d.next[as])
			s, e, bs, be := as, as, bp, bp
			rarest := d.count[id]
			for s > a0 && bs > b0 && d.a[s-1] == d.b[bs-1] {
				s--
				bs--
				if rarest > 1 {
					rarest = min(rarest, d.count[d.a[s]])
				}
			}
			for e+1 < a1 && be+1 < b1 && d.a[e+1] == d.b[be+1] {
				e++
				be++
				if rarest > 1 {
					rarest = min(rarest, d.count[d.a[e]])
				}
			}
			if nextB <= be {
				nextB = be + 1
			}
			if best.ae-best.as < e-s || rarest < bestCount {
				best, found, bestCount = commonRun{s, e, bs, be}, true, rarest
			}
			for np >= 0 && np <= e {
				np = int(d.next[np])
			}
			if np < 0 {
				break
			}
			as = np
		}
		bp = nextB
	}
	if shared && bestCount > maxChain {
		return commonRun{}, false, true
	}
	return best, found, false
}

// myersDiff marks a minimal set of changed lines between a[a0:a1] and b[b0:b1] with
// Myers' linear-space algorithm: find the middle snake of an optimal edit path, then solve
// the parts before and after it.
func myersDiff(a, b []int32, changedA, changedB []bool, a0, a1, b0, b1 int) {
	for a0 < a1 && b0 < b1 && a[a0] == b[b0] {
		a0++
		b0++
	}
	for a0 < a1 && b0 < b1 && a[a1-1] == b[b1-1] {
		a1--
		b1--
	}
	switch {
	case a0 == a1:
		for i := b0; i < b1; i++ {
			changedB[i] = true
		}
		return
	case b0 == b1:
		for i := a0; i < a1; i++ {
			changedA[i] = true
		}
		return
	}
	xs, ys, xe, ye := middleSnake(a[a0:a1], b[b0:b1])
	myersDiff(a, b, changedA, changedB, a0, a0+xs, b0, b0+ys)
	myersDiff(a, b, changedA, changedB, a0+xe, a1, b0+ye, b1)
}

// middleSnake returns the middle snake (xs, ys)-(xe, ye) of an optimal edit path from a to
// b, both non-empty. The forward search runs on diagonals k = x-y from the start; the
// reverse search runs on the reversed sequences, where its diagonal k' is the forward
// diagonal delta-k'. The searches meet when, on one diagonal, the forward x reaches the
// reverse one.
func middleSnake(a, b []int32) (xs, ys, xe, ye int) {
	n, m := len(a), len(b)
	delta := n - m
	odd := delta&1 != 0
	maxD := (n+m+1)/2 + 1
	off := maxD + 1
	vf := make([]int, 2*off+2)
	vb := make([]int, 2*off+2)
	for d := 0; d <= maxD; d++ {
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && vf[off+k-1] < vf[off+k+1]) {
				x = vf[off+k+1]
			} else {
				x = vf[off+k-1] + 1
			}
			y := x - k
			sx, sy := x, y
			for x < n && y < m && a[x] == b[y] {
				x++
				y++
			}
			vf[off+k] = x
			if kr := delta - k; odd && kr >= -(d-1) && kr <= d-1 && x+vb[off+kr] >= n {
				return sx, sy, x, y
			}
		}
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && vb[off+k-1] < vb[off+k+1]) {
				x = vb[off+k+1]
			} else {
				x = vb[off+k-1] + 1
			}
			y := x - k
			sx, sy := x, y
			for x < n && y < m && a[n-1-x] == b[m-1-y] {
				x++
				y++
			}
			vb[off+k] = x
			if kf := delta - k; !odd && kf >= -d && kf <= d && vf[off+kf]+x >= n {
				return n - x, m - y, n - sx, m - sy
			}
		}
	}
	// Unreachable: the searches always meet by d = (n+m+1)/2.
	return 0, 0, 0, 0
}

// changeGroup is a run [start, end) of changed lines of one side, possibly empty. The
// k-th group of one side sits after the same number of unchanged lines as the k-th group
// of the other side, so groups of the two sides correspond one to one.
type changeGroup struct{ start, end int }

func firstGroup(changed []bool) changeGroup {
	g := changeGroup{}
	for g.end < len(changed) && changed[g.end] {
		g.end++
	}
	return g
}

// nextGroup moves g past the unchanged line that ends it; false at the end of the file.
func nextGroup(changed []bool, g *changeGroup) bool {
	if g.end == len(changed) {
		return false
	}
	g.start = g.end + 1
	g.end = g.start
	for g.end < len(changed) && changed[g.end] {
		g.end++
	}
	return true
}

// prevGroup moves g before the unchanged line that starts it; false at the start.
func prevGroup(changed []bool, g *changeGroup) bool {
	if g.start == 0 {
		return false
	}
	g.end = g.start - 1
	g.start = g.end
	for g.start > 0 && changed[g.start-1] {
		g.start--
	}
	return true
}

// slideDown moves a non-empty group one line down when the line after it equals its first
// line, absorbing a group it then touches.
func slideDown(ids []int32, changed []bool, g *changeGroup) bool {
	if g.end >= len(changed) || ids[g.start] != ids[g.end] {
		return false
	}
	changed[g.start] = false
	changed[g.end] = true
	g.start++
	g.end++
	for g.end < len(changed) && changed[g.end] {
		g.end++
	}
	return true
}

// slideUp moves a non-empty group one line up when the line before it equals its last line.
func slideUp(ids []int32, changed []bool, g *changeGroup) bool {
	if g.start == 0 || ids[g.start-1] != ids[g.end-1] {
		return false
	}
	g.start--
	g.end--
	changed[g.start] = true
	changed[g.end] = false
	for g.start > 0 && changed[g.start-1] {
		g.start--
	}
	return true
}

// slideGroups gives every ambiguous group of changed lines of one side (ids, changed) the
// position git gives it, keeping the other side's groups (otherChanged) in step.
func slideGroups(ids []int32, changed, otherChanged []bool) {
	g := firstGroup(changed)
	og := firstGroup(otherChanged)
	for {
		if g.end != g.start {
			var earliestEnd, alignedEnd int
			for {
				size := g.end - g.start
				alignedEnd = -1
				for slideUp(ids, changed, &g) {
					prevGroup(otherChanged, &og)
				}
				earliestEnd = g.end
				if og.end > og.start {
					alignedEnd = g.end
				}
				for slideDown(ids, changed, &g) {
					nextGroup(otherChanged, &og)
					if og.end > og.start {
						alignedEnd = g.end
					}
				}
				if size == g.end-g.start {
					break
				}
			}
			if g.end != earliestEnd && alignedEnd != -1 {
				for og.end == og.start {
					slideUp(ids, changed, &g)
					prevGroup(otherChanged, &og)
				}
			}
		}
		if !nextGroup(changed, &g) {
			return
		}
		nextGroup(otherChanged, &og)
	}
}

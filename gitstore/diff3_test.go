package gitstore

import (
	"bytes"
	"math/rand"
	"strings"
	"testing"
)

// TestMerge3Examples covers the behaviours observed with git that decide cleanliness.
func TestMerge3Examples(t *testing.T) {
	tests := []struct {
		name               string
		base, ours, theirs string
		want               string // merged text; "" with conflict set
		conflict           bool
	}{
		{"changes one line apart", "a\nb\nc\nd\n", "a\nB\nc\nd\n", "a\nb\nc\nD\n", "a\nB\nc\nD\n", false},
		{"adjacent changes conflict", "a\nb\nc\nd\n", "a\nB\nc\nd\n", "a\nb\nC\nd\n", "", true},
		{"identical changes", "a\nb\nc\n", "a\nX\nc\n", "a\nX\nc\n", "a\nX\nc\n", false},
		{"different insertions at one point", "a\nb\n", "a\nx\nb\n", "a\ny\nb\n", "", true},
		{"identical insertions", "a\nb\n", "a\nx\nb\n", "a\nx\nb\n", "a\nx\nb\n", false},
		{"final newline added against an edit", "a\nb\nc\nd\ng", "a\nb\nc\nd\ng\n", "A\nb\nc\nd\ng",
			"A\nb\nc\nd\ng\n", false},
		{"final newline added against a change of that line", "a\ng", "a\ng\n", "a\nG", "", true},
		{"one side unchanged", "a\nb\n", "a\nb\n", "x\n", "x\n", false},
		{"both sides delete everything", "a\nb\n", "", "", "", false},
		{"overlap with common lines resolves", "a\nb\nc\n", "a\nX\nY\nc\n", "a\nX\nY\nc\n", "a\nX\nY\nc\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := merge3([]byte(tt.base), []byte(tt.ours), []byte(tt.theirs))
			if m.clean() == tt.conflict {
				t.Fatalf("clean = %v, want %v; chunks %+v", m.clean(), !tt.conflict, m.chunks)
			}
			if !tt.conflict {
				if got := string(m.result()); got != tt.want {
					t.Fatalf("merged %q, want %q", got, tt.want)
				}
			}
		})
	}
}

// TestConflictMarkersUseCRLFLikeTheFile checks the end of line of the markers.
func TestConflictMarkersUseCRLFLikeTheFile(t *testing.T) {
	m := merge3([]byte("a\r\nb\r\n"), []byte("a\r\nX\r\n"), []byte("a\r\nY\r\n"))
	want := "a\r\n<<<<<<< ours\r\nX\r\n=======\r\nY\r\n>>>>>>> theirs\r\n"
	if got := string(m.render("ours", "theirs")); got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	m = merge3([]byte("a\nb"), []byte("a\nX"), []byte("a\nY"))
	want = "a\n<<<<<<< ours\nX\n=======\nY\n>>>>>>> theirs\n"
	if got := string(m.render("ours", "theirs")); got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// lcsLength is the length of a longest common subsequence, by dynamic programming.
func lcsLength(a, b []int32) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			switch {
			case a[i-1] == b[j-1]:
				cur[j] = prev[j-1] + 1
			case prev[j] >= cur[j-1]:
				cur[j] = prev[j]
			default:
				cur[j] = cur[j-1]
			}
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// checkDiff verifies that a diff is an edit script: the unchanged lines of both sides are
// equal, in order. It returns the number of unchanged lines.
func checkDiff(t *testing.T, a, b []int32, changedA, changedB []bool) int {
	t.Helper()
	var keptA, keptB []int32
	for i, c := range changedA {
		if !c {
			keptA = append(keptA, a[i])
		}
	}
	for i, c := range changedB {
		if !c {
			keptB = append(keptB, b[i])
		}
	}
	if !equalIDs(keptA, keptB) {
		t.Fatalf("unchanged lines differ: %v vs %v (a %v, b %v)", keptA, keptB, a, b)
	}
	return len(keptA)
}

func TestMyersIsMinimal(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	for i := 0; i < 3000; i++ {
		a := make([]int32, rng.Intn(30))
		b := make([]int32, rng.Intn(30))
		for j := range a {
			a[j] = int32(rng.Intn(4))
		}
		for j := range b {
			b[j] = int32(rng.Intn(4))
		}
		ca, cb := make([]bool, len(a)), make([]bool, len(b))
		myersDiff(a, b, ca, cb, 0, len(a), 0, len(b))
		if kept := checkDiff(t, a, b, ca, cb); kept != lcsLength(a, b) {
			t.Fatalf("a %v b %v: kept %d lines, the LCS has %d", a, b, kept, lcsLength(a, b))
		}
	}
}

func TestHistogramDiffIsAnEditScript(t *testing.T) {
	rng := rand.New(rand.NewSource(8))
	for i := 0; i < 3000; i++ {
		a := make([]int32, rng.Intn(40))
		b := make([]int32, rng.Intn(40))
		alpha := 2 + rng.Intn(10)
		for j := range a {
			a[j] = int32(rng.Intn(alpha))
		}
		for j := range b {
			b[j] = int32(rng.Intn(alpha))
		}
		d := diffLines(a, b, alpha)
		checkDiff(t, a, b, d.changedA, d.changedB)
	}
}

// TestHistogramFallsBackOnCommonLines: with every shared line repeated more than 64 times,
// the result comes from the Myers fallback, flagged uncertain unless, once the common start
// and end are set aside, only one diff is possible.
func TestHistogramFallsBackOnCommonLines(t *testing.T) {
	zeros := func(n int) []int32 { return make([]int32, n) }
	cat := func(parts ...[]int32) []int32 {
		var out []int32
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	tests := []struct {
		name      string
		a, b      []int32
		uncertain bool
	}{
		{"a shared line left in the middle", cat(zeros(70), []int32{1, 0, 5}, zeros(70)),
			cat(zeros(70), []int32{2, 0, 6}, zeros(70)), true},
		{"nothing shared once the ends are set aside", cat(zeros(100), []int32{1}, zeros(1)),
			cat(zeros(100), []int32{2}, zeros(1)), false},
		{"a pure insertion", zeros(100), zeros(101), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := diffLines(tt.a, tt.b, 7)
			checkDiff(t, tt.a, tt.b, d.changedA, d.changedB)
			if d.uncertain != tt.uncertain {
				t.Fatalf("uncertain = %v, want %v", d.uncertain, tt.uncertain)
			}
		})
	}
	if m := merge3([]byte(strings.Repeat("x\n", 100)), []byte(strings.Repeat("x\n", 101)),
		[]byte("y\n"+strings.Repeat("x\n", 100))); m.uncertain {
		t.Fatal("insertions among repeated lines are certain")
	}
}

// FuzzMerge3 merges arbitrary texts: no panic; a side that did not change yields the
// other side; merging identical changes yields them.
func FuzzMerge3(f *testing.F) {
	f.Add([]byte("a\nb\nc\n"), []byte("a\nB\nc\n"), []byte("a\nb\nC\n"))
	f.Add([]byte(""), []byte("x"), []byte("y\n"))
	f.Add([]byte("a\r\nb"), []byte("a\r\nb\r\n"), []byte("\x00"))
	f.Fuzz(func(t *testing.T, base, x, y []byte) {
		if m := merge3(base, x, x); m.conflicts != 0 || !bytes.Equal(m.result(), x) {
			t.Fatalf("merge of identical sides: %q, want %q", m.result(), x)
		}
		if m := merge3(base, base, y); !m.clean() || !bytes.Equal(m.result(), y) {
			t.Fatalf("ours unchanged: %q, want %q", m.result(), y)
		}
		if m := merge3(base, x, base); !m.clean() || !bytes.Equal(m.result(), x) {
			t.Fatalf("theirs unchanged: %q, want %q", m.result(), x)
		}
		m := merge3(base, x, y)
		out := m.render("ours", "theirs")
		if m.clean() && bytes.Contains(out, []byte("<<<<<<< ours")) && !bytes.Contains(base, []byte("<<<<<<<")) &&
			!bytes.Contains(x, []byte("<<<<<<<")) && !bytes.Contains(y, []byte("<<<<<<<")) {
			t.Fatalf("clean merge with markers: %q", out)
		}
	})
}

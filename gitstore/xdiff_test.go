package gitstore

import (
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// gitDiffChanges runs git diff -U0 (Myers, indent heuristic: git's defaults) on two texts
// and returns its hunks as changes.
func gitDiffChanges(t *testing.T, g *gitCLI, dir string, old, new []byte) []xdiffChange {
	t.Helper()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	if err := os.WriteFile(a, old, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(b, new, 0o644); err != nil {
		t.Fatal(err)
	}
	out, _ := g.try(dir, "-c", "diff.algorithm=myers", "diff", "--no-index", "--no-color", "-U0", "a", "b")
	var changes []xdiffChange
	hunk := regexp.MustCompile(`^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@`)
	num := func(s string, def int) int {
		if s == "" {
			return def
		}
		n, _ := strconv.Atoi(s)
		return n
	}
	for _, line := range strings.Split(out, "\n") {
		m := hunk.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		c := xdiffChange{i1: num(m[1], 0), chg1: num(m[2], 1), i2: num(m[3], 0), chg2: num(m[4], 1)}
		// Hunk headers count from 1, and name the line before an empty side.
		if c.chg1 > 0 {
			c.i1--
		}
		if c.chg2 > 0 {
			c.i2--
		}
		changes = append(changes, c)
	}
	return changes
}

// indentedText is source-like text: nested blocks, blank lines and repeated lines, where
// diffs have many equally short answers and git's heuristics choose.
func indentedText(rng *rand.Rand, n int) []byte {
	var b bytes.Buffer
	depth := 0
	for i := 0; i < n; i++ {
		switch r := rng.Intn(10); {
		case r == 0:
			b.WriteString("\n")
		case r == 1 && depth < 4:
			b.WriteString(strings.Repeat("\t", depth) + "if x {\n")
			depth++
		case r == 2 && depth > 0:
			depth--
			b.WriteString(strings.Repeat("\t", depth) + "}\n")
		case r == 3:
			b.WriteString(strings.Repeat("    ", depth) + "return nil\n")
		default:
			fmt.Fprintf(&b, "%sline %d\n", strings.Repeat("\t", depth), rng.Intn(6))
		}
	}
	return b.Bytes()
}

func mutateLines(rng *rand.Rand, text []byte, gen func(*rand.Rand, int) []byte) []byte {
	lines := splitLinesBytes(text)
	for k := rng.Intn(6); k >= 0; k-- {
		at := 0
		if len(lines) > 0 {
			at = rng.Intn(len(lines))
		}
		switch rng.Intn(3) {
		case 0:
			ins := splitLinesBytes(gen(rng, 1+rng.Intn(4)))
			lines = append(lines[:at], append(ins, lines[at:]...)...)
		case 1:
			if len(lines) > 0 {
				end := min(len(lines), at+1+rng.Intn(3))
				lines = append(lines[:at], lines[end:]...)
			}
		default:
			if len(lines) > 0 {
				lines[at] = gen(rng, 1)
			}
		}
	}
	return bytes.Join(lines, nil)
}

func TestDiffIsGitDiff(t *testing.T) {
	g := newGitCLI(t)
	dir := t.TempDir()
	rng := rand.New(rand.NewSource(7))
	bigLine := func(rng *rand.Rand, n int) []byte { return randomText(rng, n) }
	cases := 0
	check := func(old, new []byte) {
		t.Helper()
		cases++
		want := gitDiffChanges(t, g, dir, old, new)
		got := gitDiff(old, new)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("diff of\n%q\nand\n%q:\ngot  %v\ngit  %v", old, new, got, want)
		}
	}
	for _, tc := range [][2]string{
		{"", ""}, {"", "a\n"}, {"a\n", ""}, {"a\nb\nc\n", "a\nc\n"}, {"a", "a\n"}, {"a\nb", "a\nc"},
		{"x\n\nif a {\n\tb\n}\n\nif a {\n\tb\n}\n", "x\n\nif a {\n\tb\n}\n\nif a {\n\tb\n}\n\nif a {\n\tb\n}\n"},
	} {
		check([]byte(tc[0]), []byte(tc[1]))
	}
	for i := 0; i < 150; i++ {
		old := indentedText(rng, 5+rng.Intn(80))
		check(old, mutateLines(rng, old, indentedText))
		old = randomText(rng, 5+rng.Intn(60))
		check(old, mutateLines(rng, old, bigLine))
	}
	// Long files: the cost cut-offs and heuristics of big diffs, and the common tail trim.
	for i := 0; i < 6; i++ {
		old := indentedText(rng, 3000+rng.Intn(3000))
		new := old
		for k := 0; k < 40; k++ {
			new = mutateLines(rng, new, indentedText)
		}
		check(old, new)
		check(randomText(rng, 2000), randomText(rng, 2500))
	}
	// Many changes between long runs of equal lines: edit costs past the points where
	// xdiff stops looking for the shortest answer and takes a good snake or the furthest
	// reaching path instead.
	for i := 0; i < 4; i++ {
		var old, new bytes.Buffer
		for l := 0; l < 12000+i*10000; l++ {
			fmt.Fprintf(&old, "line %d\n", l)
			switch r := rng.Intn(30); {
			case r == 0:
				fmt.Fprintf(&new, "changed %d\n", rng.Intn(1000))
			case r == 1:
			case r == 2:
				fmt.Fprintf(&new, "line %d\nextra %d\n", l, rng.Intn(50))
			case r == 3:
				fmt.Fprintf(&new, "line %d\n", rng.Intn(l+1))
			default:
				fmt.Fprintf(&new, "line %d\n", l)
			}
		}
		check(old.Bytes(), new.Bytes())
	}
	// Blocks swapped all along a long file: long snakes among many changes.
	var old, new bytes.Buffer
	for l := 0; l < 40000; l++ {
		fmt.Fprintf(&old, "line %d\n", l)
		m := l
		if l%300 < 60 {
			m = l - l%300 + (l%300+30)%60
		}
		fmt.Fprintf(&new, "line %d\n", m)
	}
	check(old.Bytes(), new.Bytes())
	if cases < 300 {
		t.Fatalf("only %d cases", cases)
	}
}

// FuzzGitDiff checks that the diff of any two texts is an edit script that turns the first
// into the second, with changes in order and within both texts.
func FuzzGitDiff(f *testing.F) {
	f.Add([]byte("a\nb\nc\n"), []byte("a\nc\nd\n"))
	f.Add([]byte("\tif x {\n\t\ty\n\t}\n\n\tif x {\n\t\ty\n\t}\n"), []byte("\tif x {\n\t\ty\n\t}\n"))
	f.Add([]byte("no newline"), []byte("no newline\n"))
	f.Fuzz(func(t *testing.T, old, new []byte) {
		a, b := splitLinesBytes(old), splitLinesBytes(new)
		var out [][]byte
		prev1, prev2 := 0, 0
		for _, c := range gitDiff(old, new) {
			if c.i1 < prev1 || c.i2 < prev2 || c.i1+c.chg1 > len(a) || c.i2+c.chg2 > len(b) ||
				c.i1-prev1 != c.i2-prev2 || c.chg1+c.chg2 == 0 {
				t.Fatalf("change %+v after (%d, %d) of %d and %d lines", c, prev1, prev2, len(a), len(b))
			}
			for k := 0; k < c.i1-prev1; k++ {
				if !bytes.Equal(a[prev1+k], b[prev2+k]) {
					t.Fatalf("lines %d and %d called equal differ", prev1+k, prev2+k)
				}
			}
			out = append(out, a[prev1:c.i1]...)
			out = append(out, b[c.i2:c.i2+c.chg2]...)
			prev1, prev2 = c.i1+c.chg1, c.i2+c.chg2
		}
		out = append(out, a[prev1:]...)
		if !bytes.Equal(bytes.Join(out, nil), new) {
			t.Fatal("the changes do not turn the old text into the new")
		}
	})
}

// TestUnifiedIsGitDiffOnRandomTexts holds whole patches, hunk headers and function lines
// included, against git diff on texts where the choice between equal diffs matters.
func TestUnifiedIsGitDiffOnRandomTexts(t *testing.T) {
	g := newGitCLI(t)
	dir := t.TempDir()
	rng := rand.New(rand.NewSource(9))
	for i := 0; i < 120; i++ {
		old := indentedText(rng, 10+rng.Intn(120))
		if i%3 == 0 {
			old = randomText(rng, 10+rng.Intn(80))
		}
		new := mutateLines(rng, old, indentedText)
		if err := os.WriteFile(filepath.Join(dir, "a"), old, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "b"), new, 0o644); err != nil {
			t.Fatal(err)
		}
		want, _ := g.try(dir, "diff", "--no-index", "--no-color", "a", "b")
		if k := strings.Index(want, "@@"); k >= 0 {
			want = want[k:]
		} else {
			want = ""
		}
		if got, _, _ := Unified(string(old), string(new)); got != want {
			t.Fatalf("patch of\n%q\nto\n%q:\n%s\ngit:\n%s", old, new, got, want)
		}
	}
}

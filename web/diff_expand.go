package web

import (
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

// A diff's hidden lines are shown without JavaScript: each gap between hunks (and after the
// last) links to the same page with an "expand" parameter that shows 20 more of its lines,
// "expand=<file>.<gap>.<lines>": file is the file's index on the page, gap the index of the
// hunk the gap lies above (the number of hunks for the gap after the last), lines how many
// of the gap's lines to show, nearest the hunk above a hunk and nearest the change after the
// last.

// expandStep is how many more lines a link shows.
const expandStep = 20

// maxExpansions bounds the gaps one request expands, and so the blobs it reads.
const maxExpansions = 50

// gapKey names a gap of a file on the page.
type gapKey struct{ file, gap int }

// readExpansions reads the page's expand parameters; malformed ones are ignored.
func readExpansions(q url.Values) map[gapKey]int {
	out := map[gapKey]int{}
	for _, v := range q["expand"] {
		if len(out) == maxExpansions {
			break
		}
		parts := strings.Split(v, ".")
		if len(parts) != 3 {
			continue
		}
		f, err1 := strconv.Atoi(parts[0])
		g, err2 := strconv.Atoi(parts[1])
		n, err3 := strconv.Atoi(parts[2])
		if err1 != nil || err2 != nil || err3 != nil || f < 0 || g < 0 || n <= 0 {
			continue
		}
		out[gapKey{f, g}] = min(n, 1<<20)
	}
	return out
}

// gap is the lines of the new file between two hunks that the diff does not show:
// new-side lines lo..hi, with old = new + shift; the gap after the last hunk (last) runs to
// the file's end, which is not known until the file is read.
type gap struct {
	lo, hi, shift int
	last          bool
	// at is the index in the file's lines where the gap's shown lines go.
	at int
}

// gapsOf finds the gaps of a file's diff lines: one above each hunk, and one after the last
// when the last hunk ends on full context (git shows 3 lines; fewer means the file ended).
func gapsOf(lines []diffLine) []gap {
	var gaps []gap
	lastNew, lastOld, trailing := 0, 0, 0
	for i, l := range lines {
		switch l.Kind {
		case "hunk":
			o, n, ok := parseHunkHeader(l.raw)
			if !ok {
				return nil
			}
			gaps = append(gaps, gap{lo: lastNew + 1, hi: n - 1, shift: o - n, at: i + 1})
			trailing = 0
		case "ctx":
			lastNew, lastOld, trailing = l.New, l.Old, trailing+1
		case "add":
			lastNew, trailing = l.New, 0
		case "del":
			lastOld, trailing = l.Old, 0
		case "note":
			trailing = -1 << 20 // "\ No newline at end of file": nothing follows
		}
	}
	if len(gaps) > 0 && trailing >= 3 {
		gaps = append(gaps, gap{lo: lastNew + 1, shift: lastOld - lastNew, last: true, at: len(lines)})
	}
	return gaps
}

// expandDiffs shows the hidden lines the request asks for, and links every gap to the page
// that shows more of it. ref is the project whose blobs the files' new sides are.
func (h *Handler) expandDiffs(r *http.Request, ref string, files []diffFile) error {
	want := readExpansions(r.URL.Query())
	for i := range files {
		f := &files[i]
		if f.Binary || f.TooLarge || f.Truncated || f.DeletedFile || f.NewFile || len(f.Lines) == 0 {
			continue
		}
		gaps := gapsOf(f.Lines)
		var text []string // the new file's lines, read when a gap of it is expanded
		shown := map[int][]diffLine{}
		for g, gp := range gaps {
			n := want[gapKey{i, g}]
			if n == 0 || !gp.last && gp.hi < gp.lo {
				continue
			}
			if text == nil {
				var err error
				if text, err = h.blobLines(r, ref, f.NewHash.String()); err != nil {
					return err
				}
			}
			shown[g] = gapLines(gp, n, text)
		}
		linkGaps(r, want, f, i, gaps, shown, len(text))
		if len(shown) > 0 {
			f.Lines = spliceGaps(f.Lines, gaps, shown)
			h.highlightDiff(diffName(f), f.Lines)
		}
	}
	return nil
}

// gapLines are the n lines of gap gp to show, of the new file's lines text: those nearest
// the hunk below, or after the last hunk those nearest the change.
func gapLines(gp gap, n int, text []string) []diffLine {
	hi := gp.hi
	if gp.last || hi > len(text) {
		hi = len(text)
	}
	lo := max(gp.lo, 1)
	if gp.last {
		hi = min(hi, lo+n-1)
	} else {
		lo = max(lo, hi-n+1)
	}
	var out []diffLine
	for num := lo; num <= hi; num++ {
		out = append(out, diffLine{Kind: "ctx", Old: num + gp.shift, New: num, raw: text[num-1]})
	}
	return out
}

// linkGaps gives each gap still hiding lines its "show more" link: the hunk header above a
// hunk, or the file's last row. The link keeps the other gaps' expansions (want).
func linkGaps(r *http.Request, want map[gapKey]int, f *diffFile, file int, gaps []gap,
	shown map[int][]diffLine, fileLen int) {
	for g, gp := range gaps {
		n := len(shown[g])
		hidden := gp.hi - gp.lo + 1 - n
		if gp.last {
			hidden = 1 // the file's end is not known until it is read
			if fileLen > 0 {
				hidden = fileLen - gp.lo + 1 - n
			}
		}
		if hidden <= 0 {
			continue
		}
		q := r.URL.Query()
		var keep []string
		for k, lines := range want {
			if k != (gapKey{file, g}) {
				keep = append(keep, expandParam(k, lines))
			}
		}
		slices.Sort(keep)
		q["expand"] = append(keep, expandParam(gapKey{file, g}, n+expandStep))
		link := r.URL.Path + "?" + q.Encode() + "#" + f.Anchor
		if gp.last {
			f.ExpandBelow = link
			continue
		}
		f.Lines[gp.at-1].Expand = link
		f.Lines[gp.at-1].Hidden = hidden
	}
}

// expandParam is the expand parameter that shows lines of gap k.
func expandParam(k gapKey, lines int) string {
	return strconv.Itoa(k.file) + "." + strconv.Itoa(k.gap) + "." + strconv.Itoa(lines)
}

// spliceGaps inserts each gap's shown lines at its place: after the hunk header above a
// hunk, at the end after the last.
func spliceGaps(lines []diffLine, gaps []gap, shown map[int][]diffLine) []diffLine {
	out := make([]diffLine, 0, len(lines)+len(shown)*expandStep)
	next := 0
	for g, gp := range gaps {
		out = append(out, lines[next:gp.at]...)
		next = gp.at
		// Above a hunk, the lines come between its header and its own lines: the header row,
		// with its link, stays on top for the lines still hidden above.
		out = append(out, shown[g]...)
	}
	return append(out, lines[next:]...)
}

// diffName is the name a file's diff is highlighted by.
func diffName(f *diffFile) string {
	if f.DeletedFile {
		return f.OldPath
	}
	return f.NewPath
}

// blobLines reads a blob of a project as lines, for the context of its diff; one above the
// size the pages show is refused as not found.
func (h *Handler) blobLines(r *http.Request, ref, sha string) ([]string, error) {
	b, err := h.forge.Repositories.OpenBlob(r.Context(), api.Actor(r), forge.ParseRef(ref), sha)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	if b.Size > maxInline {
		return []string{}, nil
	}
	body, err := io.ReadAll(b)
	if err != nil {
		return nil, err
	}
	return strings.Split(strings.TrimSuffix(string(body), "\n"), "\n"), nil
}

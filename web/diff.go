package web

import (
	"html/template"
	"strconv"
	"strings"

	"github.com/cairn-forge/cairn/forge"
	"github.com/go-git/go-git/v5/plumbing/filemode"
)

// diffFile is one file of a diff, ready to show.
type diffFile struct {
	forge.FileDiff
	// Anchor is the file's id on the page.
	Anchor string
	// Status says what happened to the file: added, deleted, renamed, modified.
	Status string
	Lines  []diffLine
	// Collapsed files are shown closed: large changes, and what only a machine reads.
	Collapsed bool
	// Truncated: the page shows only the first maxDiffLines lines of the file.
	Truncated bool
	// ExpandBelow links to the page showing more lines after the last change.
	ExpandBelow string
}

// diffLine is one line of a unified diff: a hunk header, context, an addition or a deletion.
type diffLine struct {
	// Kind is "hunk", "ctx", "add", "del" or "note" ("\ No newline at end of file").
	Kind     string
	Old, New int // line numbers, 0 where the side has none
	Text     template.HTML
	raw      string
	// Expand, on a hunk header, links to the page showing more of the Hidden lines above it.
	Expand string
	Hidden int
}

// Diff limits: beyond them a file is collapsed, or its lines are cut.
const (
	collapseDiffLines = 500
	maxDiffLines      = 5000
)

// newDiffFiles prepares a diff's files for the page, highlighting their code lines.
func (h *Handler) newDiffFiles(diffs []forge.FileDiff) []diffFile {
	out := make([]diffFile, len(diffs))
	for i, d := range diffs {
		f := diffFile{FileDiff: d, Anchor: "diff-" + strconv.Itoa(i), Status: "modified"}
		switch {
		case d.NewFile:
			f.Status = "added"
		case d.DeletedFile:
			f.Status = "deleted"
		case d.RenamedFile:
			f.Status = "renamed"
		}
		if d.NewMode == filemode.Submodule || d.OldMode == filemode.Submodule {
			f.Status += " (submodule)"
		}
		f.Lines, f.Truncated = parsePatch(d.Patch, maxDiffLines)
		f.Collapsed = d.Additions+d.Deletions > collapseDiffLines || forge.IsGeneratedPath(d.NewPath)
		name := d.NewPath
		if d.DeletedFile {
			name = d.OldPath
		}
		// The change between two blobs is always the same: its highlighted lines are kept.
		key := "diff:" + d.OldHash.String() + ".." + d.NewHash.String() + "\x00" + name
		if texts, ok := h.blobs.get(key); ok && len(texts) == len(f.Lines) {
			for j := range f.Lines {
				f.Lines[j].Text = texts[j]
			}
		} else {
			h.highlightDiff(name, f.Lines)
			texts := make([]template.HTML, len(f.Lines))
			for j, l := range f.Lines {
				texts[j] = l.Text
			}
			h.blobs.put(key, texts)
		}
		out[i] = f
	}
	return out
}

// parsePatch reads the hunks of a unified diff (each starting at "@@") into lines with their
// numbers, at most limit of them; their Text is made by highlightDiff.
func parsePatch(patch string, limit int) (lines []diffLine, truncated bool) {
	oldN, newN := 0, 0
	for len(patch) > 0 {
		line, rest, _ := strings.Cut(patch, "\n")
		patch = rest
		if len(lines) == limit {
			return lines, true
		}
		if line == "" && patch == "" {
			break
		}
		switch {
		case strings.HasPrefix(line, "@@"):
			o, n, ok := parseHunkHeader(line)
			if ok {
				oldN, newN = o, n
			}
			lines = append(lines, diffLine{Kind: "hunk", raw: line})
		case strings.HasPrefix(line, "+"):
			lines = append(lines, diffLine{Kind: "add", New: newN, raw: line[1:]})
			newN++
		case strings.HasPrefix(line, "-"):
			lines = append(lines, diffLine{Kind: "del", Old: oldN, raw: line[1:]})
			oldN++
		case strings.HasPrefix(line, `\`):
			lines = append(lines, diffLine{Kind: "note", raw: line})
		default:
			lines = append(lines, diffLine{Kind: "ctx", Old: oldN, New: newN, raw: strings.TrimPrefix(line, " ")})
			oldN++
			newN++
		}
	}
	return lines, false
}

func escapeLine(s string) template.HTML { return template.HTML(template.HTMLEscapeString(s)) }

// parseHunkHeader reads the starting line numbers of "@@ -a,b +c,d @@ ...".
func parseHunkHeader(line string) (oldStart, newStart int, ok bool) {
	f := strings.Fields(line)
	if len(f) < 3 || !strings.HasPrefix(f[1], "-") || !strings.HasPrefix(f[2], "+") {
		return 0, 0, false
	}
	num := func(s string) (int, bool) {
		s, _, _ = strings.Cut(s[1:], ",")
		n, err := strconv.Atoi(s)
		return n, err == nil && n >= 0
	}
	o, ok1 := num(f[1])
	n, ok2 := num(f[2])
	return o, n, ok1 && ok2
}

// highlightDiff gives a diff's lines their HTML, highlighted as the language of file name:
// each side is highlighted as one text, so that tokens spanning lines (comments, strings)
// keep their colour; context lines take the new side's.
func (h *Handler) highlightDiff(name string, lines []diffLine) {
	lexer := h.highlight.Lexer(name, "")
	for i := range lines {
		lines[i].Text = escapeLine(lines[i].raw)
	}
	if lexer == nil {
		return
	}
	for _, side := range []string{"del", "add"} {
		var idx []int
		var src strings.Builder
		for i, l := range lines {
			if l.Kind == "ctx" || l.Kind == side {
				idx = append(idx, i)
				src.WriteString(l.raw)
				src.WriteByte('\n')
			}
		}
		if len(idx) == 0 {
			continue
		}
		hl := h.highlight.Lines(lexer, src.String())
		if len(hl) != len(idx) {
			continue // a line the lexer split or joined: keep them plain
		}
		for j, i := range idx {
			if lines[i].Kind == side || side == "add" {
				lines[i].Text = hl[j]
			}
		}
	}
}

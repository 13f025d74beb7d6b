package forge

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/cairn-forge/cairn/db"
	"github.com/cairn-forge/cairn/forge/secretscan"
	"github.com/cairn-forge/cairn/gitstore"
	"github.com/go-git/go-git/v5/plumbing"
)

// defaultReviewMaxFile is the size above which review reports a file, in bytes.
const defaultReviewMaxFile = 1 << 20

// maxReviewNotes bounds the notes one review posts; what is past it is summed up in one.
const maxReviewNotes = 50

// reviewMarker ends every note review posts, with the fingerprint of its finding, so that
// a later review finds what it posted before and does not post it again.
const reviewMarker = "<!-- cairn-review "

// reviewResult is the result of a review run.
type reviewResult struct {
	MergeRequest int64  `json:"merge_request"`
	BaseSHA      string `json:"base_sha"`
	HeadSHA      string `json:"head_sha"`
	FilesChanged int    `json:"files_changed"`
	Findings     int    `json:"findings"`
	NotesPosted  int    `json:"notes_posted"`
}

// addedLine is a line a change adds, with its number in the new file.
type addedLine struct {
	n    int
	text string
}

// hunkHeader reads the new side's start of a hunk: "@@ -a,b +c,d @@".
var hunkHeader = regexp.MustCompile(`^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@`)

// addedLines reads the lines a unified patch adds, and whether the new file ends without a
// newline.
func addedLines(patch string) (lines []addedLine, noFinalNewline bool) {
	n := 0
	lastAdded := false
	for _, l := range strings.Split(patch, "\n") {
		switch {
		case strings.HasPrefix(l, "@@"):
			if m := hunkHeader.FindStringSubmatch(l); m != nil {
				n, _ = strconv.Atoi(m[1])
			}
			lastAdded = false
		case strings.HasPrefix(l, "+"):
			lines = append(lines, addedLine{n, l[1:]})
			n++
			lastAdded = true
		case strings.HasPrefix(l, " "):
			n++
			lastAdded = false
		case strings.HasPrefix(l, "-"):
			lastAdded = false
		case strings.HasPrefix(l, `\ No newline at end of file`):
			if lastAdded {
				noFinalNewline = true
			}
		}
	}
	return lines, noFinalNewline
}

// debugLeftovers are statements left from debugging, by the extensions of the languages
// they belong to.
var debugLeftovers = []struct {
	exts []string
	re   *regexp.Regexp
	what string
}{
	{[]string{".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx", ".vue", ".svelte"},
		regexp.MustCompile(`^\s*(console\.(log|debug|trace)\(|debugger\s*;?\s*$)`),
		"a console.log or debugger statement"},
	{[]string{".py"},
		regexp.MustCompile(`^\s*(import pdb|import ipdb|(i?pdb)\.set_trace\(\)|breakpoint\(\))`),
		"a debugger breakpoint"},
	{[]string{".rb", ".erb"}, regexp.MustCompile(`^\s*(binding\.(pry|irb)|byebug|debugger)\b`),
		"a debugger breakpoint"},
	{[]string{".php"}, regexp.MustCompile(`^\s*(var_dump|print_r|dd|dump)\(`), "a var_dump or dd call"},
	{[]string{".go"}, regexp.MustCompile(`^\s*(spew\.Dump|pp\.Println)\(|^\s*runtime\.Breakpoint\(\)`),
		"a debugging dump"},
	{[]string{".java", ".kt"}, regexp.MustCompile(`\.printStackTrace\(\)\s*;?\s*$`), "a printStackTrace call"},
}

// conflictMarker matches the lines git writes around a conflict.
var conflictMarker = regexp.MustCompile(`^(<{7}|>{7})(\s|$)|^={7}$|^\|{7}(\s|$)`)

// reviewFile finds the problems one change adds.
func reviewFile(d gitstore.FileDiff, size int64, maxSize int64, scanner *secretscan.Scanner) []AgentFinding {
	p := d.NewPath
	var out []AgentFinding
	add := func(line int, sev, rule, format string, args ...any) {
		out = append(out,
			AgentFinding{Path: p, Line: line, Severity: sev, Rule: rule, Message: fmt.Sprintf(format, args...)})
	}
	if size > maxSize {
		add(0, SeverityWarning, "large-file",
			"%s is %s, over the %s limit: large files belong in releases or an artifact store, not in git",
			p, byteSize(size), byteSize(maxSize))
	}
	if d.Binary || d.TooLarge || d.Patch == "" {
		return out
	}
	lines, noNewline := addedLines(d.Patch)
	var text strings.Builder
	for _, l := range lines {
		text.WriteString(l.text)
		text.WriteByte('\n')
	}
	for _, f := range scanner.Scan(p, []byte(text.String())) {
		if f.Line >= 1 && f.Line <= len(lines) {
			add(lines[f.Line-1].n, SeverityCritical, f.RuleID,
				"Likely secret: %s. Remove it, and revoke it: it is in the history now.", f.Message())
		}
	}
	ext := strings.ToLower(path.Ext(p))
	markdown := ext == ".md" || ext == ".markdown"
	for _, l := range lines {
		if conflictMarker.MatchString(l.text) && !(markdown && l.text == "=======") {
			add(l.n, SeverityError, "conflict-marker",
				"Conflict marker %q: a merge conflict was committed unresolved", clip(l.text, 20))
		}
		for _, dl := range debugLeftovers {
			if containsString(dl.exts, ext) && dl.re.MatchString(l.text) {
				add(l.n, SeverityWarning, "debug-leftover", "Debug leftover: %s", dl.what)
			}
		}
		trimmed := strings.TrimRight(l.text, " \t\r")
		switch {
		case trimmed != l.text && !(markdown && strings.HasSuffix(l.text, "  ") && len(l.text)-len(trimmed) == 2):
			add(l.n, SeverityInfo, "trailing-whitespace", "Trailing whitespace")
		case strings.Contains(leadingSpace(l.text), " \t"):
			add(l.n, SeverityInfo, "space-before-tab", "Space before tab in indentation")
		}
	}
	if noNewline && len(lines) > 0 {
		add(lines[len(lines)-1].n, SeverityInfo, "missing-final-newline", "No newline at the end of the file")
	}
	return out
}

func leadingSpace(s string) string { return s[:len(s)-len(strings.TrimLeft(s, " \t"))] }

// byteSize writes a size for people: "1.5 MiB".
func byteSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// runReview reviews the run's merge request at the commit it was asked for: the changes
// from the merge base with the target branch to that commit.
func (s *Service) runReview(ctx context.Context, j *agentJob) error {
	m, err := db.MergeRequestByIID(ctx, s.db.Read, j.project.ID, j.run.MergeRequestIID)
	if err != nil {
		return notFoundAs(err, ResourceMergeRequest)
	}
	repo, err := s.openJobRepo(j)
	if err != nil {
		return err
	}
	defer repo.Close()
	head := j.commit()
	base, err := reviewBase(repo, m, head)
	if err != nil {
		return err
	}
	diffs, err := repo.Diff(ctx, base, head)
	if err != nil {
		return err
	}
	res := reviewResult{MergeRequest: m.IID, BaseSHA: base.String(), HeadSHA: head.String(), FilesChanged: len(diffs)}
	limit := j.intParam("max_file_size", defaultReviewMaxFile)
	scanner := secretscan.Default()
	var found []AgentFinding
	for _, d := range diffs {
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.DeletedFile {
			continue
		}
		var size int64
		if !d.NewHash.IsZero() {
			br, err := repo.OpenBlob(d.NewHash)
			if err != nil {
				return err
			}
			size = br.Size
			br.Close()
		}
		found = append(found, reviewFile(d, size, limit, scanner)...)
	}
	for _, f := range found {
		j.find(f)
	}
	res.Findings = len(found)
	j.logf("reviewed %d changed files of !%d (%s..%s): %d findings", len(diffs), m.IID, base.String()[:8],
		head.String()[:8], len(found))
	if j.boolParam("post_notes", true) && len(found) > 0 {
		if res.NotesPosted, err = s.postReviewNotes(ctx, j, m, found); err != nil {
			return err
		}
		j.logf("posted %d notes on !%d (%d were posted before)", res.NotesPosted, m.IID, len(found)-res.NotesPosted)
	}
	j.setResult(res)
	return nil
}

// reviewBase is where a merge request's changes start: the merge base of its target branch
// and head, or the merge request's recorded base when the target branch is gone.
func reviewBase(repo *gitstore.Repo, m MergeRequest, head plumbing.Hash) (plumbing.Hash, error) {
	target, ok, err := repo.Reference("refs/heads/" + m.TargetBranch)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if !ok {
		if m.BaseSHA == "" {
			return plumbing.ZeroHash, Invalidf("The target branch %s of !%d is gone", m.TargetBranch, m.IID)
		}
		return plumbing.NewHash(m.BaseSHA), nil
	}
	base, ok, err := repo.MergeBase(target, head)
	if err != nil || !ok {
		return plumbing.ZeroHash, err
	}
	return base, nil
}

// fingerprint names a finding for the review marker: what and where, not when.
func (f AgentFinding) fingerprint() string {
	sum := sha256.Sum256([]byte(f.Path + "\x00" + strconv.Itoa(f.Line) + "\x00" + f.Rule + "\x00" + f.Message))
	return hex.EncodeToString(sum[:8])
}

// postReviewNotes posts the findings not posted before as notes on the merge request, as
// who asked for the run; it returns how many it posted.
func (s *Service) postReviewNotes(ctx context.Context, j *agentJob, m MergeRequest, found []AgentFinding) (int, error) {
	a := j.requester
	v, err := s.projectAccess(ctx, a, j.project)
	if err != nil {
		return 0, err
	}
	if !canSee(a, v.Visibility, v.Access) || !mergeRequestsVisible(v) {
		return 0, Forbiddenf("%s may no longer see !%d to comment on it", a.User.Username, m.IID)
	}
	posted := 0
	now := s.Now()
	err = s.db.Write(ctx, func(tx *sql.Tx) error {
		bodies, err := db.NoteBodiesContaining(ctx, tx, NoteableMergeRequest, m.ID, reviewMarker)
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, b := range bodies {
			if i := strings.LastIndex(b, reviewMarker); i >= 0 {
				seen[strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(b[i+len(reviewMarker):]), "-->"))] = true
			}
		}
		var rest []AgentFinding
		for _, f := range found {
			fp := f.fingerprint()
			if seen[fp] {
				continue
			}
			seen[fp] = true
			if posted == maxReviewNotes {
				rest = append(rest, f)
				continue
			}
			if err := s.insertReviewNote(ctx, tx, a, m, reviewNoteBody(f, fp), now); err != nil {
				return err
			}
			posted++
		}
		if len(rest) > 0 {
			body := fmt.Sprintf("**cairn review** found %d more problems; agent run %d lists them all.",
				len(rest), j.run.ID)
			if err := s.insertReviewNote(ctx, tx, a, m, body, now); err != nil {
				return err
			}
		}
		if posted > 0 || len(rest) > 0 {
			return db.TouchNoteable(ctx, tx, NoteableMergeRequest, m.ID, now)
		}
		return nil
	})
	return posted, err
}

func reviewNoteBody(f AgentFinding, fp string) string {
	where := "`" + f.Path + "`"
	if f.Line > 0 {
		where = fmt.Sprintf("`%s:%d`", f.Path, f.Line)
	}
	return fmt.Sprintf("**cairn review** · %s · %s\n\n%s\n\n%s%s -->", f.Severity, where, f.Message, reviewMarker, fp)
}

func (s *Service) insertReviewNote(ctx context.Context, tx *sql.Tx, a *Actor, m MergeRequest, body string,
	at time.Time) error {
	_, err := db.InsertNote(ctx, tx, Note{
		ProjectID:    m.ProjectID,
		NoteableType: NoteableMergeRequest,
		NoteableID:   m.ID,
		NoteableIID:  m.IID,
		Author:       User{ID: a.User.ID},
		Body:         body,
		CreatedAt:    at,
		UpdatedAt:    at,
	})
	return err
}

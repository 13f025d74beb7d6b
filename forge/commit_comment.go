package forge

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"

	"github.com/cairn-forge/cairn/db"
)

// CommitComment is a comment on a commit, on a line of its diff when Path is set.
type CommitComment struct {
	ID     int64
	SHA    string
	Author User
	Note   string
	// Path, Line and LineType ("new" for an added line, "old" for a removed one) place the
	// comment on a line the commit changed; nil for a comment on the whole commit.
	Path      *string
	Line      *int
	LineType  *string
	CreatedAt time.Time
}

// CommitCommentInput is a comment to write on a commit. Path and Line place it on a line
// of the commit's diff: an added line (LineType "new", the default) or a removed one
// ("old"), numbered as in the new file. A place the diff does not have leaves the comment
// on the whole commit, as GitLab does.
type CommitCommentInput struct {
	Note     *string
	Path     string
	Line     int
	LineType string
}

func commitCommentOf(r db.CommitComment) CommitComment {
	return CommitComment{
		ID:        r.ID,
		SHA:       r.SHA,
		Author:    r.Author,
		Note:      r.Note,
		Path:      r.Path,
		Line:      r.Line,
		LineType:  r.LineType,
		CreatedAt: r.CreatedAt,
	}
}

// ListCommitComments lists the comments on the commit rev names, oldest first; whoever may
// read the code may read them.
func (s *Repositories) ListCommitComments(ctx context.Context, a *Actor, projectRef Ref, rev string,
	pg Page) ([]CommitComment, int, error) {
	if err := a.Require(NeedRead); err != nil {
		return nil, 0, err
	}
	v, repo, err := s.readRepo(ctx, a, projectRef)
	if err != nil {
		return nil, 0, err
	}
	c, err := commitNamed(repo, rev)
	repo.Close()
	if err != nil {
		return nil, 0, err
	}
	rows, total, err := db.ListCommitComments(ctx, s.db.Read, v.ID, c.ID.String(), pg.limit(), pg.offset())
	if err != nil {
		return nil, 0, err
	}
	out := make([]CommitComment, len(rows))
	for i, r := range rows {
		out[i] = commitCommentOf(r)
	}
	return out, total, nil
}

// CreateCommitComment writes a comment on the commit rev names: anyone signed in who may
// read the code may.
func (s *Repositories) CreateCommitComment(ctx context.Context, a *Actor, projectRef Ref, rev string,
	in CommitCommentInput) (CommitComment, error) {
	if err := a.requireUser(NeedWrite); err != nil {
		return CommitComment{}, err
	}
	if in.Note == nil {
		return CommitComment{}, Missing("note")
	}
	if msg := validateNoteBody(*in.Note); msg != "" {
		return CommitComment{}, FieldErrors{"note": {msg}}.Err()
	}
	switch in.LineType {
	case "":
		in.LineType = "new"
	case "new", "old":
	default:
		return CommitComment{}, invalidValue("line_type")
	}
	v, repo, err := s.readRepo(ctx, a, projectRef)
	if err != nil {
		return CommitComment{}, err
	}
	defer repo.Close()
	c, err := commitNamed(repo, rev)
	if err != nil {
		return CommitComment{}, err
	}
	row := db.CommitComment{ProjectID: v.ID, SHA: c.ID.String(), Author: *a.User, Note: *in.Note, CreatedAt: s.Now()}
	if in.Path != "" && in.Line > 0 {
		diffs, err := repo.Diff(ctx, firstParent(c), c.ID)
		if err != nil {
			return CommitComment{}, err
		}
		for _, d := range diffs {
			if d.NewPath == in.Path && patchHasLine(d.Patch, in.Line, in.LineType) {
				path, line, typ := in.Path, in.Line, in.LineType
				row.Path, row.Line, row.LineType = &path, &line, &typ
				break
			}
		}
	}
	var id int64
	err = s.db.Write(ctx, func(tx *sql.Tx) error {
		id, err = db.InsertCommitComment(ctx, tx, row)
		return err
	})
	if err != nil {
		return CommitComment{}, err
	}
	row, err = db.CommitCommentByID(ctx, s.db.Read, id)
	if err != nil {
		return CommitComment{}, err
	}
	return commitCommentOf(row), nil
}

// patchHasLine reports whether a unified diff's hunks add (typ "new") or remove (typ "old")
// a line at position line of the new file; a removed line's position is that of the new
// line it stands before, as GitLab's diff parser numbers it.
func patchHasLine(patch string, line int, typ string) bool {
	newPos := 0
	inHunk := false
	for _, l := range strings.Split(patch, "\n") {
		if strings.HasPrefix(l, "@@") {
			// @@ -a,b +c,d @@
			fields := strings.Fields(l)
			if len(fields) < 3 || !strings.HasPrefix(fields[2], "+") {
				inHunk = false
				continue
			}
			start, _, _ := strings.Cut(fields[2][1:], ",")
			n, err := strconv.Atoi(start)
			if err != nil {
				inHunk = false
				continue
			}
			newPos, inHunk = n, true
			continue
		}
		if !inHunk || l == "" {
			continue
		}
		switch l[0] {
		case '+':
			if typ == "new" && newPos == line {
				return true
			}
			newPos++
		case '-':
			if typ == "old" && newPos == line {
				return true
			}
		case ' ':
			newPos++
		}
	}
	return false
}

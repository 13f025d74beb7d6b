package db

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/cairn-forge/cairn/forge/model"
)

// noteableTable maps a noteable type to the table of its targets, whose updated_at a new
// note touches.
func noteableTable(typ string) (string, error) {
	switch typ {
	case NoteableIssue:
		return "issues", nil
	case NoteableMergeRequest:
		return "merge_requests", nil
	}
	return "", fmt.Errorf("db: unknown noteable type %q", typ)
}

// NoteableMergeRequest is the type merge requests have as the target of notes and label links.
const NoteableMergeRequest = "MergeRequest"

const noteColumns = `nt.id, nt.project_id, nt.noteable_type, nt.noteable_id, nt.noteable_iid, ` + authorColumns + `,
	nt.body, nt.system, nt.internal, nt.created_at, nt.updated_at`

const noteFrom = ` FROM notes nt LEFT JOIN users au ON au.id = nt.author_id`

func scanNote(row interface{ Scan(...any) error }) (model.Note, error) {
	var n model.Note
	var created, updated int64
	a := &n.Author
	err := row.Scan(&n.ID, &n.ProjectID, &n.NoteableType, &n.NoteableID, &n.NoteableIID,
		&a.ID, &a.Username, &a.Name, &a.State, &n.Body, &n.System, &n.Internal, &created, &updated)
	if err != nil {
		return model.Note{}, wrap(err)
	}
	n.CreatedAt, n.UpdatedAt = fromMS(created), fromMS(updated)
	return n, nil
}

// NoteByID returns note id if it hangs on the given target.
func NoteByID(ctx context.Context, q Querier, typ string, noteableID, id int64) (model.Note, error) {
	return scanNote(q.QueryRowContext(ctx, "SELECT "+noteColumns+noteFrom+
		" WHERE nt.id = ? AND nt.noteable_type = ? AND nt.noteable_id = ?", id, typ, noteableID))
}

// NoteFilter selects and orders the notes of one target.
type NoteFilter struct {
	NoteableType string
	NoteableID   int64
	// WithInternal keeps internal notes, which only reporters and above may read.
	WithInternal bool
	// OrderBy is created_at or updated_at.
	OrderBy string
	Desc    bool
	Limit   int
	Offset  int
}

// ListNotes returns one page of a target's notes and how many there are.
func ListNotes(ctx context.Context, q Querier, f NoteFilter) ([]model.Note, int, error) {
	cond := " WHERE nt.noteable_type = ? AND nt.noteable_id = ?"
	if !f.WithInternal {
		cond += " AND nt.internal = 0"
	}
	col := "nt.created_at"
	if f.OrderBy == "updated_at" {
		col = "nt.updated_at"
	}
	return listPage(ctx, q, "SELECT COUNT(*) FROM notes nt"+cond, "SELECT "+
		noteColumns+noteFrom+cond+orderBy(col, "nt.id", f.Desc),
		[]any{f.NoteableType, f.NoteableID}, f.Limit, f.Offset, scanNote)
}

// InsertNote adds n and returns its id.
func InsertNote(ctx context.Context, tx *sql.Tx, n model.Note) (int64, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO notes (project_id, noteable_type, noteable_id, noteable_iid,
		author_id, body, system, internal, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		n.ProjectID, n.NoteableType, n.NoteableID, n.NoteableIID, nullID(n.Author.ID), n.Body,
		boolInt(n.System), boolInt(n.Internal), ms(n.CreatedAt), ms(n.UpdatedAt))
	if err != nil {
		return 0, fmt.Errorf("insert note: %w", wrap(err))
	}
	return res.LastInsertId()
}

// UpdateNoteBody changes the body of note id.
func UpdateNoteBody(ctx context.Context, tx *sql.Tx, id int64, body string, at time.Time) error {
	if _, err := tx.ExecContext(ctx, "UPDATE notes SET body = ?, updated_at = ? WHERE id = ?", body, ms(at),
		id); err != nil {
		return fmt.Errorf("update note %d: %w", id, wrap(err))
	}
	return nil
}

// DeleteNote removes note id.
func DeleteNote(ctx context.Context, tx *sql.Tx, id int64) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM notes WHERE id = ?", id); err != nil {
		return fmt.Errorf("delete note %d: %w", id, wrap(err))
	}
	return nil
}

// TouchNoteable sets the update time of a note's target, as a new note changes it.
func TouchNoteable(ctx context.Context, tx *sql.Tx, typ string, id int64, at time.Time) error {
	table, err := noteableTable(typ)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "UPDATE "+table+" SET updated_at = ? WHERE id = ?", ms(at), id); err != nil {
		return fmt.Errorf("touch %s %d: %w", table, id, wrap(err))
	}
	return nil
}

// NoteBodiesContaining returns the bodies of a target's notes that contain text.
func NoteBodiesContaining(ctx context.Context, q Querier, typ string, noteableID int64, text string) ([]string, error) {
	return queryAll(ctx, q, `SELECT body FROM notes WHERE noteable_type = ? AND noteable_id = ? AND instr(body, ?) > 0
		ORDER BY id`, []any{typ, noteableID, text}, func(row interface{ Scan(...any) error }) (string, error) {
		var b string
		err := row.Scan(&b)
		return b, err
	})
}

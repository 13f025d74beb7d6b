package db

import (
	"context"
	"fmt"
	"strings"

	"github.com/cairn-forge/cairn/forge/model"
)

// InsertEvent records e.
func InsertEvent(ctx context.Context, q Querier, e model.Event) error {
	_, err := q.ExecContext(ctx, `INSERT INTO events (project_id, author_id, action, ref, ref_type,
		commit_from, commit_to, commit_count, commit_title, target_type, target_id, target_iid, target_title,
		noteable_type, noteable_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ProjectID, nullID(e.AuthorID), e.Action, e.Ref, e.RefType, e.CommitFrom, e.CommitTo,
		e.CommitCount, e.CommitTitle, e.TargetType, e.TargetID, e.TargetIID, e.TargetTitle,
		e.NoteableType, e.NoteableID, ms(e.CreatedAt))
	if err != nil {
		return fmt.Errorf("insert event: %w", wrap(err))
	}
	return nil
}

// EventScope is what of one project's events a reader may see.
type EventScope struct {
	ProjectID int64
	// HideTypes leaves out the events of these targets (Issue, MergeRequest), notes on them
	// included.
	HideTypes []string
	// HideConfidential leaves out the events of confidential issues and of notes on them.
	HideConfidential bool
	// HidePushes leaves out pushes (the events without a target), which name commits.
	HidePushes bool
}

// where is the condition selecting the scope's events of table alias e, and its arguments.
func (sc EventScope) where() (string, []any) {
	cond := "e.project_id = ?"
	args := []any{sc.ProjectID}
	for _, t := range sc.HideTypes {
		cond += " AND e.target_type <> ? AND e.noteable_type <> ?"
		args = append(args, t, t)
	}
	if sc.HideConfidential {
		cond += ` AND NOT (e.target_type = 'Issue' AND EXISTS (SELECT 1 FROM issues i WHERE i.id = e.target_id AND i.confidential))
			AND NOT (e.noteable_type = 'Issue' AND EXISTS (SELECT 1 FROM issues i WHERE i.id = e.noteable_id AND i.confidential))`
	}
	if sc.HidePushes {
		cond += " AND e.target_type <> ''"
	}
	return cond, args
}

// EventFilter selects events of one project.
type EventFilter struct {
	EventScope
	// Actions, when not empty, are the actions to list.
	Actions []string
	Desc    bool
	Limit   int
	Offset  int
}

const eventColumns = `e.id, e.project_id, COALESCE(e.author_id, 0), e.action, e.ref, e.ref_type, e.commit_from,
	e.commit_to, e.commit_count, e.commit_title, e.target_type, e.target_id, e.target_iid, e.target_title,
	e.noteable_type, e.noteable_id, e.created_at`

func scanEvent(row interface{ Scan(...any) error }, extra ...any) (model.Event, error) {
	var e model.Event
	var created int64
	err := row.Scan(append([]any{&e.ID, &e.ProjectID, &e.AuthorID, &e.Action, &e.Ref, &e.RefType, &e.CommitFrom,
		&e.CommitTo, &e.CommitCount, &e.CommitTitle, &e.TargetType, &e.TargetID, &e.TargetIID, &e.TargetTitle,
		&e.NoteableType, &e.NoteableID, &created}, extra...)...)
	e.CreatedAt = fromMS(created)
	return e, wrap(err)
}

// ListEvents returns one page of a project's events and the total.
func ListEvents(ctx context.Context, q Querier, f EventFilter) ([]model.Event, int, error) {
	cond, args := f.where()
	cond = " WHERE " + cond
	if len(f.Actions) > 0 {
		cond += " AND e.action IN (" + placeholders(len(f.Actions)) + ")"
		for _, a := range f.Actions {
			args = append(args, a)
		}
	}
	return listPage(ctx, q, "SELECT COUNT(*) FROM events e"+cond,
		"SELECT "+eventColumns+" FROM events e"+cond+orderBy("e.id", "e.id", f.Desc), args, f.Limit, f.Offset,
		func(row interface{ Scan(...any) error }) (model.Event, error) { return scanEvent(row) })
}

// RecentEvents returns the latest limit events of several projects, newest first, each
// project's as its scope says, a comment's with its note's text (NoteBody): in one query,
// which reads at most limit events of each project by its index.
func RecentEvents(ctx context.Context, q Querier, scopes []EventScope, limit int) ([]model.Event, error) {
	if len(scopes) == 0 || limit <= 0 {
		return []model.Event{}, nil
	}
	parts := make([]string, len(scopes))
	var args []any
	for i, sc := range scopes {
		cond, a := sc.where()
		parts[i] = "SELECT * FROM (SELECT " + eventColumns + " FROM events e WHERE " + cond +
			" ORDER BY e.id DESC LIMIT ?)"
		args = append(append(args, a...), limit)
	}
	query := `SELECT r.*, COALESCE(n.body, '') FROM (` + strings.Join(parts, " UNION ALL ") + `) r
		LEFT JOIN notes n ON r.target_type = 'Note' AND n.id = r.target_id ORDER BY r.id DESC LIMIT ?`
	return queryAll(ctx, q, query, append(args, limit), func(row interface{ Scan(...any) error }) (model.Event, error) {
		var body string
		e, err := scanEvent(row, &body)
		e.NoteBody = body
		return e, err
	})
}

// DeleteTargetEvents removes the events of an issue or merge request, and of the notes on it,
// when it is deleted.
func DeleteTargetEvents(ctx context.Context, q Querier, targetType string, id int64) error {
	_, err := q.ExecContext(ctx, `DELETE FROM events WHERE target_type = ? AND target_id = ?
		OR noteable_type = ? AND noteable_id = ?`, targetType, id, targetType, id)
	if err != nil {
		return fmt.Errorf("delete events: %w", wrap(err))
	}
	return nil
}

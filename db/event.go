package db

import (
	"context"
	"fmt"

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

// EventFilter selects events.
type EventFilter struct {
	ProjectID int64
	// Actions, when not empty, are the actions to list.
	Actions []string
	// HideTypes leaves out the events of these targets (Issue, MergeRequest), notes on them
	// included.
	HideTypes []string
	// HideConfidential leaves out the events of confidential issues and of notes on them.
	HideConfidential bool
	Desc             bool
	Limit            int
	Offset           int
}

// ListEvents returns one page of a project's events and the total.
func ListEvents(ctx context.Context, q Querier, f EventFilter) ([]model.Event, int, error) {
	cond := " WHERE project_id = ?"
	args := []any{f.ProjectID}
	if len(f.Actions) > 0 {
		cond += " AND action IN (" + placeholders(len(f.Actions)) + ")"
		for _, a := range f.Actions {
			args = append(args, a)
		}
	}
	for _, t := range f.HideTypes {
		cond += " AND target_type <> ? AND noteable_type <> ?"
		args = append(args, t, t)
	}
	if f.HideConfidential {
		cond += ` AND NOT (target_type = 'Issue' AND EXISTS (SELECT 1 FROM issues i WHERE i.id = target_id AND i.confidential))
			AND NOT (noteable_type = 'Issue' AND EXISTS (SELECT 1 FROM issues i WHERE i.id = noteable_id AND i.confidential))`
	}
	return listPage(ctx, q, "SELECT COUNT(*) FROM events"+cond,
		`SELECT id, project_id, COALESCE(author_id, 0), action, ref, ref_type, commit_from, commit_to,
		commit_count, commit_title, target_type, target_id, target_iid, target_title, noteable_type, noteable_id,
		created_at FROM events`+cond+orderBy("id", "id", f.Desc), args, f.Limit, f.Offset,
		func(row interface{ Scan(...any) error }) (model.Event, error) {
			var e model.Event
			var created int64
			err := row.Scan(&e.ID, &e.ProjectID, &e.AuthorID, &e.Action, &e.Ref, &e.RefType, &e.CommitFrom,
				&e.CommitTo, &e.CommitCount, &e.CommitTitle, &e.TargetType, &e.TargetID, &e.TargetIID, &e.TargetTitle,
				&e.NoteableType, &e.NoteableID, &created)
			e.CreatedAt = fromMS(created)
			return e, wrap(err)
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

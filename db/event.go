package db

import (
	"context"
	"fmt"
	"time"
)

// Event is one entry of a project's activity: for now, pushes.
type Event struct {
	ID          int64
	ProjectID   int64
	AuthorID    int64
	Action      string
	Ref         string
	RefType     string
	CommitFrom  string
	CommitTo    string
	CommitCount int
	CommitTitle string
	CreatedAt   time.Time
}

// InsertEvent records e.
func InsertEvent(ctx context.Context, q Querier, e Event) error {
	_, err := q.ExecContext(ctx, `INSERT INTO events (project_id, author_id, action, ref, ref_type,
		commit_from, commit_to, commit_count, commit_title, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ProjectID, nullID(e.AuthorID), e.Action, e.Ref, e.RefType, e.CommitFrom, e.CommitTo,
		e.CommitCount, e.CommitTitle, ms(e.CreatedAt))
	if err != nil {
		return fmt.Errorf("insert event: %w", wrap(err))
	}
	return nil
}

// EventFilter selects events.
type EventFilter struct {
	ProjectID int64
	Action    string
	Desc      bool
	Limit     int
	Offset    int
}

// ListEvents returns one page of a project's events and the total.
func ListEvents(ctx context.Context, q Querier, f EventFilter) ([]Event, int, error) {
	cond := " WHERE project_id = ?"
	args := []any{f.ProjectID}
	if f.Action != "" {
		cond += " AND action = ?"
		args = append(args, f.Action)
	}
	return listPage(ctx, q, "SELECT COUNT(*) FROM events"+cond,
		`SELECT id, project_id, COALESCE(author_id, 0), action, ref, ref_type, commit_from, commit_to,
		commit_count, commit_title, created_at FROM events`+cond+orderBy("id", "id", f.Desc), args, f.Limit, f.Offset,
		func(row interface{ Scan(...any) error }) (Event, error) {
			var e Event
			var created int64
			err := row.Scan(&e.ID, &e.ProjectID, &e.AuthorID, &e.Action, &e.Ref, &e.RefType, &e.CommitFrom,
				&e.CommitTo, &e.CommitCount, &e.CommitTitle, &created)
			e.CreatedAt = fromMS(created)
			return e, wrap(err)
		})
}

package forge

import (
	"context"
	"database/sql"
	"strings"

	"github.com/cairn-forge/cairn/db"
	"github.com/cairn-forge/cairn/gitstore"
)

// Event is one entry of a project's activity.
type Event = db.Event

// Event actions, as GitLab names them.
const (
	ActionPushedNew = "pushed new"
	ActionPushedTo  = "pushed to"
	ActionDeleted   = "deleted"
)

// maxCountedCommits bounds how many commits a push event counts.
const maxCountedCommits = 1000

// RecordPush records that the actor moved references of a project (by git push or through
// the API): the project's activity (RecordRefUpdates), the tips of the open merge requests
// of the moved branches, and one push event per reference. The commits of all the updates
// are counted in one pass over the repository and the events written in one transaction, so
// a push of hundreds of references is recorded in about the time of one.
func (s *Service) RecordPush(ctx context.Context, a *Actor, projectID int64, updates []gitstore.RefUpdate) error {
	if err := s.RecordRefUpdates(ctx, projectID, updates); err != nil {
		return err
	}
	if err := s.refreshMergeRequests(ctx, a, projectID, updates); err != nil {
		// The push stands; the merge requests catch up when their branches next move.
		s.log.Error("refresh merge requests after push", "project_id", projectID, "err", err)
	}
	sums, err := s.repos.SummarizeUpdates(ctx, projectID, updates, maxCountedCommits)
	if err != nil {
		// The events are still recorded, with the counts found before the failure.
		s.log.Warn("summarize push", "project_id", projectID, "err", err)
	}
	now := s.Now()
	return s.db.Write(ctx, func(tx *sql.Tx) error {
		for i, u := range updates {
			e := Event{ProjectID: projectID, AuthorID: a.UserID(), CreatedAt: now, Action: ActionPushedTo}
			switch {
			case strings.HasPrefix(u.Name, "refs/heads/"):
				e.Ref, e.RefType = strings.TrimPrefix(u.Name, "refs/heads/"), "branch"
			case strings.HasPrefix(u.Name, "refs/tags/"):
				e.Ref, e.RefType = strings.TrimPrefix(u.Name, "refs/tags/"), "tag"
			default:
				continue
			}
			switch {
			case u.IsCreate():
				e.Action = ActionPushedNew
			case u.IsDelete():
				e.Action = ActionDeleted
			}
			if !u.Old.IsZero() {
				e.CommitFrom = u.Old.String()
			}
			if !u.New.IsZero() {
				e.CommitTo = u.New.String()
			}
			if i < len(sums) {
				e.CommitCount, e.CommitTitle = sums[i].Commits, pushTitle(sums[i].Title)
			}
			if err := db.InsertEvent(ctx, tx, e); err != nil {
				return err
			}
		}
		return nil
	})
}

// ListProjectEvents lists a project's events, newest first unless asc.
func (s *Service) ListProjectEvents(ctx context.Context, a *Actor, ref, action string, asc bool, pg Page) ([]Event, int, error) {
	v, err := s.ProjectByRef(ctx, a, ref)
	if err != nil {
		return nil, 0, err
	}
	switch action {
	case "", "pushed":
	default:
		// cairn records pushes only for now; other actions have no events yet.
		return []Event{}, 0, nil
	}
	return db.ListEvents(ctx, s.db.Read, db.EventFilter{ProjectID: v.ID, Desc: !asc, Limit: pg.limit(), Offset: pg.offset()})
}

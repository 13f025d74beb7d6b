package forge

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"time"

	"github.com/cairn-forge/cairn/db"
	"github.com/cairn-forge/cairn/forge/model"
	"github.com/cairn-forge/cairn/gitstore"
)

// Event is one entry of a project's activity.
type Event = model.Event

// Event actions, as GitLab names them.
const (
	ActionPushedNew = "pushed new"
	ActionPushedTo  = "pushed to"
	ActionDeleted   = "deleted"
	// ActionOpened, ActionClosed and ActionReopened are those of issues and merge requests;
	// ActionAccepted is a merge request's merge, ActionCommented a note's.
	ActionOpened    = "opened"
	ActionClosed    = "closed"
	ActionReopened  = "reopened"
	ActionAccepted  = "accepted"
	ActionCommented = "commented on"
)

// eventActions are the actions GitLab's events API filters by (its action parameter), and
// the recorded actions each stands for.
var eventActions = map[string][]string{
	"pushed":    {ActionPushedTo, ActionPushedNew, ActionDeleted},
	"created":   {ActionOpened},
	"closed":    {ActionClosed},
	"reopened":  {ActionReopened},
	"merged":    {ActionAccepted},
	"commented": {ActionCommented},
}

// targetEvent is the event of an actor's action on an issue or merge request.
func targetEvent(authorID, projectID int64, action, targetType string, id, iid int64, title string,
	at time.Time) Event {
	return Event{
		ProjectID:   projectID,
		AuthorID:    authorID,
		Action:      action,
		CreatedAt:   at,
		TargetType:  targetType,
		TargetID:    id,
		TargetIID:   iid,
		TargetTitle: title,
	}
}

// stateAction is the event action of an issue's or merge request's change of state, "" for
// none.
func stateAction(before, after string) string {
	switch {
	case before == after:
		return ""
	case after == StateClosed:
		return ActionClosed
	case after == StateOpened && before == StateClosed:
		return ActionReopened
	}
	return ""
}

// maxCountedCommits bounds how many commits a push event counts.
const maxCountedCommits = 1000

// RecordPush records that the actor moved references of a project (by git push or through
// the API): the project's activity (RecordRefUpdates), the tips of the open merge requests
// of the moved branches, and one push event per reference. The commits of all the updates
// are counted in one pass over the repository and the events written in one transaction, so
// a push of hundreds of references is recorded in about the time of one.
func (s *Projects) RecordPush(ctx context.Context, a *Actor, projectID int64, updates []gitstore.RefUpdate) error {
	if err := s.Repositories.RecordRefUpdates(ctx, projectID, updates); err != nil {
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

// ListProjectEvents lists a project's events, newest first unless asc: pushes, and the
// issues, merge requests and comments the actor may see. Events of confidential issues (and
// comments on them) are listed to reporters and above only; action filters by GitLab's names
// (pushed, created, closed, reopened, merged, commented), and one cairn does not record
// lists nothing.
func (s *Projects) ListProjectEvents(ctx context.Context, a *Actor, ref Ref, action string, asc bool,
	pg Page) ([]Event, int, error) {
	v, err := s.ProjectByRef(ctx, a, ref)
	if err != nil {
		return nil, 0, err
	}
	f := db.EventFilter{EventScope: eventScope(a, v), Desc: !asc, Limit: pg.limit(), Offset: pg.offset()}
	if action != "" {
		if f.Actions = eventActions[action]; f.Actions == nil {
			return []Event{}, 0, nil
		}
	}
	return db.ListEvents(ctx, s.db.Read, f)
}

// eventScope is what of project v's events actor a may see, as GitLab's events are visible:
// pushes name commits, so only those who may read the code see them (not the guests of a
// private project); the events of issues and merge requests (and comments on them) go to
// those who may read those, and those of confidential issues to reporters and above.
func eventScope(a *Actor, v ProjectView) db.EventScope {
	sc := db.EventScope{ProjectID: v.ID, HideConfidential: v.Access < Reporter,
		HidePushes: a.Require(NeedReadCode) != nil || !canReadCode(v)}
	if a.Require(NeedRead) != nil || !issuesVisible(v) {
		sc.HideTypes = append(sc.HideTypes, NoteableIssue)
	}
	if a.Require(NeedReadPulls) != nil || !mergeRequestsVisible(v) {
		sc.HideTypes = append(sc.HideTypes, NoteableMergeRequest)
	}
	return sc
}

// Activity is an event as a dashboard shows it: with its project, its author (nil for a
// deleted user) and, for a comment, the note's text.
type Activity struct {
	Event
	Project ProjectView
	Author  *User
}

// RecentActivity returns the latest limit events of projects (as ListProjects or
// ProjectByRef returned them to a) that a may see, newest first, with their authors and
// notes: two queries, however many the projects.
func (s *Projects) RecentActivity(ctx context.Context, a *Actor, projects []ProjectView,
	limit int) ([]Activity, error) {
	if err := a.Require(NeedRead); err != nil {
		return nil, err
	}
	scopes := make([]db.EventScope, len(projects))
	byID := make(map[int64]ProjectView, len(projects))
	for i, v := range projects {
		scopes[i], byID[v.ID] = eventScope(a, v), v
	}
	events, err := db.RecentEvents(ctx, s.db.Read, scopes, limit)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for _, e := range events {
		if e.AuthorID != 0 && !slices.Contains(ids, e.AuthorID) {
			ids = append(ids, e.AuthorID)
		}
	}
	users, err := db.UsersByID(ctx, s.db.Read, ids)
	if err != nil {
		return nil, err
	}
	out := make([]Activity, len(events))
	for i, e := range events {
		out[i] = Activity{Event: e, Project: byID[e.ProjectID]}
		if u, ok := users[e.AuthorID]; ok {
			out[i].Author = &u
		}
	}
	return out, nil
}

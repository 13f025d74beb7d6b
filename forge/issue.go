package forge

import (
	"context"
	"database/sql"
	"errors"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/cairn-forge/cairn/db"
	"github.com/cairn-forge/cairn/forge/model"
)

// Issue is an issue of a project, with its labels and assignees.
type Issue = model.Issue

// Issue states.
const (
	StateOpened = "opened"
	StateClosed = "closed"
)

// Noteable types: what notes and labels hang on.
const (
	NoteableIssue        = db.NoteableIssue
	NoteableMergeRequest = db.NoteableMergeRequest
)

// activityInterval bounds how often opening issues marks a project as active: a busy tracker
// would otherwise write the project's row with every issue (GitLab waits an hour).
const activityInterval = time.Minute

// IssueRef names an issue: by its iid within the project (GitLab v4) or, when ByID, by its
// global id (GitLab v3), which must then belong to the project.
type IssueRef struct {
	N    int64
	ByID bool
}

// invalidValue is the error of a parameter whose value is not one of those allowed.
func invalidValue(param string) *Error {
	return &Error{Code: EInvalid, Params: []string{param}, Message: param + " does not have a valid value"}
}

// issuesVisible reports whether the actor may read a visible project's issues: anyone on
// public and internal projects, guests and above on private ones.
func issuesVisible(v ProjectView) bool { return issueKind.visible(v) }

// canSeeIssue reports whether the actor may see an issue of project v: confidential issues
// only to their author, their assignees, and reporters and above.
func canSeeIssue(a *Actor, v ProjectView, is Issue) bool {
	if !is.Confidential || seesConfidential(v.Access) {
		return true
	}
	if !a.SignedIn() {
		return false
	}
	if is.Author.ID == a.User.ID {
		return true
	}
	for _, u := range is.Assignees {
		if u.ID == a.User.ID {
			return true
		}
	}
	return false
}

// canSetIssueMetadata reports whether the actor of v may set the labels, assignees and due
// date of its issues: reporters and above (from others they are ignored, as in GitLab).
func canSetIssueMetadata(v ProjectView) bool { return v.Access >= Reporter }

// canEditIssue reports whether the actor may change an issue it can see: its author, or
// reporters and above, unless the project is archived (read-only).
func canEditIssue(a *Actor, v ProjectView, is Issue) bool {
	return issueKind.canEdit(a, v, is.Issuable)
}

// issueProject resolves a project whose issues the actor may read.
func (s *Service) issueProject(ctx context.Context, a *Actor, projectRef Ref) (ProjectView, error) {
	return s.issuableProject(ctx, a, projectRef, issueKind)
}

var issueRows = issuableRows[Issue]{byID: db.IssueByID, byIID: db.IssueByIID, fill: db.FillIssues,
	core: func(is *Issue) *Issuable { return &is.Issuable }}

// findIssue reads an issue of project v with its labels and assignees.
func (s *Service) findIssue(ctx context.Context, q db.Querier, v ProjectView, ref IssueRef) (Issue, error) {
	return issueRows.find(ctx, q, v, ref, func() error { return NotFound("") })
}

// visibleIssue resolves an issue the actor may see, with its project.
func (s *Service) visibleIssue(ctx context.Context, a *Actor, projectRef Ref, ref IssueRef) (ProjectView,
	Issue, error) {
	v, err := s.issueProject(ctx, a, projectRef)
	if err != nil {
		return ProjectView{}, Issue{}, err
	}
	is, err := s.findIssue(ctx, s.db.Read, v, ref)
	if err != nil {
		return ProjectView{}, Issue{}, err
	}
	if !canSeeIssue(a, v, is) {
		return ProjectView{}, Issue{}, NotFound("")
	}
	return v, is, nil
}

// GetIssue returns an issue of a project if the actor may see it.
func (s *Issuables) GetIssue(ctx context.Context, a *Actor, projectRef Ref, ref IssueRef) (Issue, error) {
	_, is, err := s.visibleIssue(ctx, a, projectRef, ref)
	return is, err
}

// IssueByID returns any issue by its global id; only administrators may.
func (s *Issuables) IssueByID(ctx context.Context, a *Actor, id int64) (Issue, error) {
	if err := a.requireAdmin(NeedRead); err != nil {
		return Issue{}, err
	}
	is, err := db.IssueByID(ctx, s.db.Read, id)
	if err != nil {
		return Issue{}, notFoundAs(err, "")
	}
	list := []Issue{is}
	err = db.FillIssues(ctx, s.db.Read, list)
	return list[0], err
}

// applyIssueFields validates the title, description and confidentiality of in onto is.
func applyIssueFields(is *Issue, in IssueInput) error {
	fe := FieldErrors{}
	if in.Title != nil {
		is.Title = strings.TrimSpace(*in.Title)
		if is.Title == "" {
			fe.Add("title", "can't be blank")
		} else {
			checkText(fe, "title", is.Title, limitTitle)
		}
	}
	setDescription(fe, &is.Issuable, in.Description)
	if in.Confidential != nil {
		is.Confidential = *in.Confidential
	}
	return fe.Err()
}

// assignableUsers returns the users of ids who may be assigned an issue of project v: its
// members (guests and above). Others, and unknown ids, are left out, as GitLab does.
func (s *Service) assignableUsers(ctx context.Context, v ProjectView, ids []int64) ([]User, error) {
	out := []User{}
	seen := map[int64]bool{}
	for _, id := range ids {
		if id <= 0 || seen[id] {
			continue
		}
		seen[id] = true
		u, err := db.UserByID(ctx, s.db.Read, id)
		if errors.Is(err, db.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		level, err := db.ProjectAccessLevel(ctx, s.db.Read, v.ID, v.NamespaceID, id, s.Now())
		if err != nil {
			return nil, err
		}
		if level >= Guest {
			out = append(out, User{ID: u.ID, Username: u.Username, Name: u.Name, State: u.State})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func userIDs(users []User) []int64 {
	ids := make([]int64, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	return ids
}

// CreateIssue opens an issue in a project. Signed-in users who can see a public or internal
// project may, and guests and above of a private one. Labels, assignees and the due date are
// set only by reporters and above (from others they are ignored, as in GitLab).
func (s *Issuables) CreateIssue(ctx context.Context, a *Actor, projectRef Ref, in IssueInput) (Issue, error) {
	if err := a.requireUser(NeedWrite); err != nil {
		return Issue{}, err
	}
	v, err := s.issueProject(ctx, a, projectRef)
	if err != nil {
		return Issue{}, err
	}
	if v.Archived {
		return Issue{}, Forbidden()
	}
	if in.Title == nil {
		return Issue{}, Missing("title")
	}
	now := s.Now()
	is := Issue{Issuable: Issuable{
		ProjectID:   v.ID,
		State:       StateOpened,
		CreatedAt:   now,
		UpdatedAt:   now,
		ProjectPath: v.FullPath(),
		Author:      actorUser(a),
		Labels:      []string{},
		Assignees:   []User{},
	}}
	if err := applyIssueFields(&is, in); err != nil {
		return Issue{}, err
	}
	var labels []string
	if canSetIssueMetadata(v) {
		if in.Labels != nil {
			if labels, err = normalizeLabelNames(*in.Labels); err != nil {
				return Issue{}, err
			}
		}
		if in.AssigneeIDs != nil {
			if is.Assignees, err = s.assignableUsers(ctx, v, *in.AssigneeIDs); err != nil {
				return Issue{}, err
			}
		}
		if in.SetDueDate {
			is.DueDate = in.DueDate
		}
	}
	if in.CreatedAt != nil && v.Access >= Owner {
		is.CreatedAt, is.UpdatedAt = in.CreatedAt.UTC(), in.CreatedAt.UTC()
	}
	if err := s.insertIssue(ctx, v, &is, labels, now); err != nil {
		return Issue{}, err
	}
	return is, nil
}

// insertIssue stores a new issue of project v with its labels and assignees, and gives it its
// id and iid.
func (s *Service) insertIssue(ctx context.Context, v ProjectView, is *Issue, labels []string, now time.Time) error {
	touch := now.Sub(v.LastActivityAt) >= activityInterval
	// The issue's "opened" event is written by the insert itself (db.InsertIssue).
	if len(labels) == 0 && len(is.Assignees) == 0 && !touch {
		// A lone INSERT is atomic, and on the writer it runs as a statement prepared once.
		var err error
		is.ID, is.IID, err = db.InsertIssue(ctx, s.db.Writer(), *is)
		return err
	}
	return s.db.Write(ctx, func(tx *sql.Tx) error {
		var err error
		if is.ID, is.IID, err = db.InsertIssue(ctx, tx, *is); err != nil {
			return err
		}
		if len(labels) > 0 {
			if is.Labels, err = s.setTargetLabels(ctx, tx, v.ID, NoteableIssue, is.ID, labels, true, now); err != nil {
				return err
			}
		}
		if len(is.Assignees) > 0 {
			if err := db.AddIssueAssignees(ctx, tx, is.ID, userIDs(is.Assignees)); err != nil {
				return err
			}
		}
		if !touch {
			return nil
		}
		return db.RecordProjectActivity(ctx, tx, v.ID, now, false)
	})
}

// UpdateIssue changes an issue: its author or reporters and above may. Closing and reopening,
// and changes of labels, assignees and confidentiality, leave system notes.
func (s *Issuables) UpdateIssue(ctx context.Context, a *Actor, projectRef Ref, ref IssueRef,
	in IssueInput) (Issue, error) {
	var metadata bool
	var c issuableChange
	prepare := func(v ProjectView, _ Issue) (err error) {
		// Metadata (labels, assignees, due date) is applied only for reporters and above.
		if metadata = canSetIssueMetadata(v); metadata {
			c, err = s.resolveIssuableChange(ctx, v, in.Labels, in.AddLabels, in.RemoveLabels, in.AssigneeIDs)
		}
		return err
	}
	change := func(tx *sql.Tx, v ProjectView, is *Issue, now time.Time) ([]string, error) {
		notes, err := s.changeIssue(a, is, in, metadata, now)
		if err != nil {
			return nil, err
		}
		setAssignees := func(ids []int64) error { return db.SetIssueAssignees(ctx, tx, is.ID, ids) }
		more, err := s.applyIssuableChange(ctx, tx, v, issueKind, &is.Issuable, c, setAssignees, now)
		return append(notes, more...), err
	}
	is, _, err := updateIssuable(ctx, s.Service, a, issueUpdate, projectRef, ref, in.StateEvent, prepare, change)
	return is, err
}

var issueUpdate = issuableUpdate[Issue]{
	kind:    issueKind,
	core:    issueRows.core,
	visible: (*Service).visibleIssue,
	find:    (*Service).findIssue,
	changed: issueFieldsChanged,
	save:    db.UpdateIssue,
}

// changeIssue applies the fields and state event of in to is, and its due date when metadata,
// and returns the system notes they call for.
func (s *Service) changeIssue(a *Actor, is *Issue, in IssueInput, metadata bool, now time.Time) ([]string, error) {
	wasConfidential := is.Confidential
	if err := applyIssueFields(is, in); err != nil {
		return nil, err
	}
	notes := appendNote(nil, flagNote(wasConfidential, is.Confidential,
		"made the issue confidential", "made the issue visible to everyone"))
	notes = appendNote(notes, closeOrReopen(a, &is.Issuable, in.StateEvent, now))
	if metadata && in.SetDueDate {
		is.DueDate = in.DueDate
	}
	return notes, nil
}

// issueFieldsChanged reports whether the columns UpdateIssue writes differ between a and b.
func issueFieldsChanged(a, b Issue) bool {
	sameDate := a.DueDate == nil && b.DueDate == nil || a.DueDate != nil && b.DueDate != nil &&
		a.DueDate.Equal(*b.DueDate)
	return a.Title != b.Title || a.Description != b.Description || a.State != b.State ||
		a.Confidential != b.Confidential || !sameDate
}

// DeleteIssue removes an issue with its notes: project owners and administrators may.
// Deleting an issue that is gone succeeds for them.
func (s *Issuables) DeleteIssue(ctx context.Context, a *Actor, projectRef Ref, ref IssueRef) error {
	find := func(v ProjectView) (Issuable, error) {
		is, err := s.findIssue(ctx, s.db.Read, v, ref)
		if err == nil && !canSeeIssue(a, v, is) {
			err = NotFound("")
		}
		return is.Issuable, err
	}
	return s.deleteIssuable(ctx, a, projectRef, issueKind, find, func(tx *sql.Tx, c Issuable) error {
		if err := db.DeleteTargetEvents(ctx, tx, NoteableIssue, c.ID); err != nil {
			return err
		}
		return db.DeleteIssue(ctx, tx, Issue{Issuable: c})
	})
}

// issueFilter turns list options into a database filter, checking their values.
func issueFilter(o IssueListOptions, pg Page) (db.IssueFilter, error) {
	f, err := issueKind.filter(o.issuable(), pg)
	return db.IssueFilter{IssuableFilter: f, Confidential: o.Confidential}, err
}

// ListProjectIssues lists the issues of a project the actor may see.
func (s *Issuables) ListProjectIssues(ctx context.Context, a *Actor, projectRef Ref, o IssueListOptions,
	pg Page) ([]Issue, int, error) {
	return issueList.run(ctx, s.Service, a, &projectRef, o, pg)
}

var issueList = issuableList[Issue, db.IssueFilter, IssueListOptions]{
	kind:    issueKind,
	options: IssueListOptions.issuable,
	filter:  issueFilter,
	core:    func(f *db.IssueFilter) *db.IssuableFilter { return &f.IssuableFilter },
	inProject: func(f *db.IssueFilter, a *Actor, v ProjectView) {
		if v.Access < AdminAccess {
			f.Viewer = &db.IssueViewer{UserID: a.UserID(), ProjectReporter: seesConfidential(v.Access)}
		}
	},
	list: db.ListIssues,
}

// ListIssues lists issues across the projects the actor may see: by default those it
// created (scope created_by_me), or assigned_to_me, or all. Anonymous callers may list all
// only.
func (s *Issuables) ListIssues(ctx context.Context, a *Actor, o IssueListOptions, pg Page) ([]Issue, int, error) {
	return issueList.run(ctx, s.Service, a, nil, o, pg)
}

// taskItem matches a Markdown task list item; group 1 is the box's content.
var taskItem = regexp.MustCompile(`(?m)^[ \t]*(?:[-*+]|\d+[.)])[ \t]+\[([ xX])\]`)

// TaskCompletion counts the task list items of a description and how many are checked.
func TaskCompletion(description string) (count, completed int) {
	for _, m := range taskItem.FindAllStringSubmatch(description, -1) {
		count++
		if m[1] != " " {
			completed++
		}
	}
	return count, completed
}

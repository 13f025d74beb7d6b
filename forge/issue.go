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
)

// Issue is an issue of a project, with its labels and assignees.
type Issue = db.Issue

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

// IssueInput carries the fields of an issue to create or change; nil means "not given".
type IssueInput struct {
	Title       *string
	Description *string
	// Labels replaces the issue's labels; AddLabels and RemoveLabels change them. Labels the
	// project lacks are created.
	Labels       *[]string
	AddLabels    []string
	RemoveLabels []string
	// AssigneeIDs replaces the assignees; users who are not members are left out.
	AssigneeIDs  *[]int64
	Confidential *bool
	// DueDate is set when SetDueDate; nil then clears it.
	SetDueDate bool
	DueDate    *time.Time
	// StateEvent is "close" or "reopen" (updates only).
	StateEvent string
	// CreatedAt backdates a new issue; only administrators and project owners may.
	CreatedAt *time.Time
}

// IssueListOptions filter and order a list of issues.
type IssueListOptions struct {
	// Scope, for the list across projects: created_by_me (default), assigned_to_me or all.
	Scope string
	// State is opened, closed or all (default).
	State string
	// Labels keeps issues carrying every one; the single names None and Any select issues
	// with no label and with some.
	Labels []string
	Search string
	// AuthorID and AssigneeID keep one user's issues; AssigneeID also takes "None" and "Any".
	AuthorID       int64
	AuthorUsername string
	AssigneeID     string
	AssigneeName   string
	IIDs           []int64
	Confidential   *bool

	CreatedAfter, CreatedBefore, UpdatedAfter, UpdatedBefore *time.Time

	// OrderBy is created_at (default), updated_at, title or due_date; GitLab's other orders
	// (priority, label_priority, popularity, ...) fall back to created_at.
	OrderBy string
	Desc    bool
}

// invalidValue is the error of a parameter whose value is not one of those allowed.
func invalidValue(param string) *Error {
	return &Error{Code: EInvalid, Params: []string{param}, Message: param + " does not have a valid value"}
}

// issuesVisible reports whether the actor may read a visible project's issues: anyone on
// public and internal projects, guests and above on private ones.
func issuesVisible(v ProjectView) bool { return v.Visibility != Private || v.Access >= Guest }

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
	if v.Archived {
		return false
	}
	return v.Access >= Reporter || a.SignedIn() && is.Author.ID == a.User.ID
}

// issueProject resolves a project whose issues the actor may read.
func (s *Service) issueProject(ctx context.Context, a *Actor, projectRef string) (ProjectView, error) {
	v, err := s.ProjectByRef(ctx, a, projectRef)
	if err != nil {
		return ProjectView{}, err
	}
	if !issuesVisible(v) {
		return ProjectView{}, NotFound("Project")
	}
	return v, nil
}

// findIssue reads an issue of project v with its labels and assignees.
func (s *Service) findIssue(ctx context.Context, q db.Querier, v ProjectView, ref IssueRef) (Issue, error) {
	var is Issue
	var err error
	if ref.ByID {
		is, err = db.IssueByID(ctx, q, ref.N)
		if err == nil && is.ProjectID != v.ID {
			err = db.ErrNotFound
		}
	} else {
		is, err = db.IssueByIID(ctx, q, v.ID, ref.N)
	}
	if err != nil {
		return Issue{}, notFoundAs(err, "")
	}
	list := []Issue{is}
	if err := db.FillIssues(ctx, q, list); err != nil {
		return Issue{}, err
	}
	return list[0], nil
}

// visibleIssue resolves an issue the actor may see, with its project.
func (s *Service) visibleIssue(ctx context.Context, a *Actor, projectRef string, ref IssueRef) (ProjectView, Issue, error) {
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
func (s *Service) GetIssue(ctx context.Context, a *Actor, projectRef string, ref IssueRef) (Issue, error) {
	_, is, err := s.visibleIssue(ctx, a, projectRef, ref)
	return is, err
}

// IssueByID returns any issue by its global id; only administrators may.
func (s *Service) IssueByID(ctx context.Context, a *Actor, id int64) (Issue, error) {
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
	if in.Description != nil {
		is.Description = *in.Description
		checkText(fe, "description", is.Description, limitDescription)
	}
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
func (s *Service) CreateIssue(ctx context.Context, a *Actor, projectRef string, in IssueInput) (Issue, error) {
	if err := a.requireUser(NeedWrite); err != nil {
		return Issue{}, err
	}
	v, err := s.issueProject(ctx, a, projectRef)
	if err != nil {
		return Issue{}, err
	}
	if v.Archived {
		return Issue{}, Forbiddenf("")
	}
	if in.Title == nil {
		return Issue{}, Missing("title")
	}
	now := s.Now()
	is := Issue{ProjectID: v.ID, State: StateOpened, CreatedAt: now, UpdatedAt: now, ProjectPath: v.FullPath(),
		Author: User{ID: a.User.ID, Username: a.User.Username, Name: a.User.Name, State: a.User.State},
		Labels: []string{}, Assignees: []User{}}
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
func (s *Service) UpdateIssue(ctx context.Context, a *Actor, projectRef string, ref IssueRef, in IssueInput) (Issue, error) {
	if err := a.requireUser(NeedWrite); err != nil {
		return Issue{}, err
	}
	switch in.StateEvent {
	case "", "close", "reopen":
	default:
		return Issue{}, invalidValue("state_event")
	}
	v, is, err := s.visibleIssue(ctx, a, projectRef, ref)
	if err != nil {
		return Issue{}, err
	}
	if !canEditIssue(a, v, is) {
		return Issue{}, Forbiddenf("")
	}
	c, err := s.resolveIssueChange(ctx, v, in)
	if err != nil {
		return Issue{}, err
	}
	now := s.Now()
	err = s.db.Write(ctx, func(tx *sql.Tx) error {
		// Read again under the write lock, so that concurrent updates apply one after another.
		before, err := s.findIssue(ctx, tx, v, IssueRef{N: is.ID, ByID: true})
		if err != nil {
			return err
		}
		is = before
		notes, err := s.applyIssueChange(ctx, tx, a, v, &is, c, now)
		if err != nil || len(notes) == 0 && !issueFieldsChanged(before, is) {
			return err
		}
		is.UpdatedAt = now
		if err := db.UpdateIssue(ctx, tx, is); err != nil {
			return err
		}
		if action := stateAction(before.State, is.State); action != "" {
			if err := db.InsertEvent(ctx, tx, targetEvent(a.User.ID, v.ID, action, NoteableIssue, is.ID, is.IID, is.Title, now)); err != nil {
				return err
			}
		}
		for _, body := range notes {
			if err := s.addSystemNote(ctx, tx, a, issueNoteTarget(v, is), body, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Issue{}, err
	}
	return is, nil
}

// issueChange is an update with its labels checked and its assignees looked up, ready to
// apply inside the write transaction. Metadata (labels, assignees, due date) is applied only
// for reporters and above.
type issueChange struct {
	in                  IssueInput
	metadata            bool
	labels, add, remove []string
	assignees           []User
}

func (s *Service) resolveIssueChange(ctx context.Context, v ProjectView, in IssueInput) (issueChange, error) {
	c := issueChange{in: in, metadata: canSetIssueMetadata(v)}
	if !c.metadata {
		return c, nil
	}
	var err error
	if in.AssigneeIDs != nil {
		if c.assignees, err = s.assignableUsers(ctx, v, *in.AssigneeIDs); err != nil {
			return c, err
		}
	}
	if in.Labels != nil {
		if c.labels, err = normalizeLabelNames(*in.Labels); err != nil {
			return c, err
		}
	}
	if c.add, err = normalizeLabelNames(in.AddLabels); err != nil {
		return c, err
	}
	c.remove, err = normalizeLabelNames(in.RemoveLabels)
	return c, err
}

// applyIssueChange applies c to is, writing its labels and assignees, and returns the system
// notes the change calls for.
func (s *Service) applyIssueChange(ctx context.Context, tx *sql.Tx, a *Actor, v ProjectView, is *Issue, c issueChange, now time.Time) ([]string, error) {
	var notes []string
	wasConfidential := is.Confidential
	if err := applyIssueFields(is, c.in); err != nil {
		return nil, err
	}
	switch {
	case is.Confidential && !wasConfidential:
		notes = append(notes, "made the issue confidential")
	case !is.Confidential && wasConfidential:
		notes = append(notes, "made the issue visible to everyone")
	}
	switch {
	case c.in.StateEvent == "close" && is.State == StateOpened:
		is.State, is.ClosedAt = StateClosed, &now
		is.ClosedBy = &User{ID: a.User.ID, Username: a.User.Username, Name: a.User.Name, State: a.User.State}
		notes = append(notes, "closed")
	case c.in.StateEvent == "reopen" && is.State == StateClosed:
		is.State, is.ClosedAt, is.ClosedBy = StateOpened, nil, nil
		notes = append(notes, "reopened")
	}
	if !c.metadata {
		return notes, nil
	}
	if c.in.SetDueDate {
		is.DueDate = c.in.DueDate
	}
	if c.in.Labels != nil || len(c.add) > 0 || len(c.remove) > 0 {
		next := is.Labels
		if c.in.Labels != nil {
			next = c.labels
		}
		next = changeSet(next, c.add, c.remove)
		if added, removed := diffNames(is.Labels, next); len(added)+len(removed) > 0 {
			var err error
			if is.Labels, err = s.setTargetLabels(ctx, tx, v.ID, NoteableIssue, is.ID, next, false, now); err != nil {
				return nil, err
			}
			notes = append(notes, labelChangeNote(added, removed))
		}
	}
	if c.in.AssigneeIDs != nil {
		if note := assigneeChangeNote(is.Assignees, c.assignees); note != "" {
			if err := db.SetIssueAssignees(ctx, tx, is.ID, userIDs(c.assignees)); err != nil {
				return nil, err
			}
			is.Assignees = c.assignees
			notes = append(notes, note)
		}
	}
	return notes, nil
}

// issueFieldsChanged reports whether the columns UpdateIssue writes differ between a and b.
func issueFieldsChanged(a, b Issue) bool {
	sameDate := a.DueDate == nil && b.DueDate == nil || a.DueDate != nil && b.DueDate != nil && a.DueDate.Equal(*b.DueDate)
	return a.Title != b.Title || a.Description != b.Description || a.State != b.State ||
		a.Confidential != b.Confidential || !sameDate
}

// DeleteIssue removes an issue with its notes: project owners and administrators may.
// Deleting an issue that is gone succeeds for them.
func (s *Service) DeleteIssue(ctx context.Context, a *Actor, projectRef string, ref IssueRef) error {
	if err := a.requireUser(NeedWrite); err != nil {
		return err
	}
	v, err := s.issueProject(ctx, a, projectRef)
	if err != nil {
		return err
	}
	if v.Archived {
		return Forbiddenf("")
	}
	is, err := s.findIssue(ctx, s.db.Read, v, ref)
	switch {
	case ErrorCode(err) == ENotFound && v.Access >= Owner:
		return nil
	case err != nil:
		return err
	case !canSeeIssue(a, v, is):
		return NotFound("")
	case v.Access < Owner:
		return Forbiddenf("")
	}
	return s.db.Write(ctx, func(tx *sql.Tx) error {
		if err := db.DeleteTargetEvents(ctx, tx, NoteableIssue, is.ID); err != nil {
			return err
		}
		return db.DeleteIssue(ctx, tx, is)
	})
}

// issueFilter turns list options into a database filter, checking their values.
func issueFilter(o IssueListOptions, pg Page) (db.IssueFilter, error) {
	f := db.IssueFilter{Search: o.Search, AuthorID: o.AuthorID, IIDs: o.IIDs, Confidential: o.Confidential,
		CreatedAfter: o.CreatedAfter, CreatedBefore: o.CreatedBefore, UpdatedAfter: o.UpdatedAfter,
		UpdatedBefore: o.UpdatedBefore, Desc: o.Desc, Limit: pg.limit(), Offset: pg.offset()}
	switch o.State {
	case "", "all":
	case StateOpened, StateClosed:
		f.State = o.State
	default:
		return f, invalidValue("state")
	}
	switch o.OrderBy {
	case "", "created_at", "updated_at", "title", "due_date":
		f.OrderBy = o.OrderBy
	case "priority", "label_priority", "milestone_due", "popularity", "relative_position", "weight",
		"closed_at", "severity", "escalation_status":
	default:
		return f, invalidValue("order_by")
	}
	switch {
	case len(o.Labels) == 1 && strings.EqualFold(o.Labels[0], "None"):
		f.NoLabels = true
	case len(o.Labels) == 1 && strings.EqualFold(o.Labels[0], "Any"):
		f.AnyLabel = true
	default:
		f.Labels = o.Labels
	}
	switch a := o.AssigneeID; {
	case a == "":
	case strings.EqualFold(a, "None") || a == "0":
		f.AssigneeID = db.NoAssignee
	case strings.EqualFold(a, "Any"):
		f.AssigneeID = db.AnyAssignee
	default:
		id, ok := parseID(a)
		if !ok {
			return f, &Error{Code: EInvalid, Params: []string{"assignee_id"}, Message: "assignee_id is invalid"}
		}
		f.AssigneeID = id
	}
	return f, nil
}

// resolveUserFilters turns the author and assignee usernames of o into ids; ok is false
// when a named user does not exist (nothing can match).
func (s *Service) resolveUserFilters(ctx context.Context, o IssueListOptions, f *db.IssueFilter) (bool, error) {
	for _, c := range []struct {
		name string
		dst  *int64
	}{{o.AuthorUsername, &f.AuthorID}, {o.AssigneeName, &f.AssigneeID}} {
		if c.name == "" {
			continue
		}
		u, err := db.UserByUsername(ctx, s.db.Read, c.name)
		if errors.Is(err, db.ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		*c.dst = u.ID
	}
	return true, nil
}

// ListProjectIssues lists the issues of a project the actor may see.
func (s *Service) ListProjectIssues(ctx context.Context, a *Actor, projectRef string, o IssueListOptions, pg Page) ([]Issue, int, error) {
	f, ok, err := s.projectIssueFilter(ctx, a, projectRef, o, pg)
	if !ok || err != nil {
		return []Issue{}, 0, err
	}
	return db.ListIssues(ctx, s.db.Read, f)
}

// projectIssueFilter selects the issues of a project that o names and the actor may see; ok
// is false when none can match.
func (s *Service) projectIssueFilter(ctx context.Context, a *Actor, projectRef string, o IssueListOptions, pg Page) (db.IssueFilter, bool, error) {
	f, err := issueFilter(o, pg)
	if err != nil {
		return f, false, err
	}
	v, err := s.issueProject(ctx, a, projectRef)
	if err != nil {
		return f, false, err
	}
	f.ProjectID = v.ID
	if v.Access < AdminAccess {
		f.Viewer = &db.IssueViewer{UserID: a.UserID(), ProjectReporter: seesConfidential(v.Access)}
	}
	ok, err := s.resolveUserFilters(ctx, o, &f)
	return f, ok, err
}

// ListIssues lists issues across the projects the actor may see: by default those it
// created (scope created_by_me), or assigned_to_me, or all. Anonymous callers may list all
// only.
func (s *Service) ListIssues(ctx context.Context, a *Actor, o IssueListOptions, pg Page) ([]Issue, int, error) {
	if err := a.Require(NeedRead); err != nil {
		return nil, 0, err
	}
	f, err := issueFilter(o, pg)
	if err != nil {
		return nil, 0, err
	}
	scope := strings.ReplaceAll(o.Scope, "-", "_")
	switch scope {
	case "", "created_by_me", "assigned_to_me":
		if !a.SignedIn() {
			return nil, 0, Unauthorized("")
		}
		if scope == "assigned_to_me" {
			f.AssigneeID = a.User.ID
		} else {
			f.AuthorID = a.User.ID
		}
	case "all":
	default:
		return nil, 0, invalidValue("scope")
	}
	if !a.IsAdmin() {
		f.Viewer = &db.IssueViewer{UserID: a.UserID(), Visibilities: []string{Public}, Now: s.Now()}
		if a.SignedIn() && !a.User.External {
			f.Viewer.Visibilities = append(f.Viewer.Visibilities, Internal)
		}
	}
	if ok, err := s.resolveUserFilters(ctx, o, &f); !ok || err != nil {
		return []Issue{}, 0, err
	}
	return db.ListIssues(ctx, s.db.Read, f)
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

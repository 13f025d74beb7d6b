package forge

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/cairn-forge/cairn/db"
	"github.com/cairn-forge/cairn/forge/model"
)

// Issuable is what issues and merge requests share: identity, text, state, author and closer,
// labels, assignees.
type Issuable = model.Issuable

// issuableKind holds the rules in which issues and merge requests differ.
type issuableKind struct {
	// noteable is their type as the target of notes, label links and events.
	noteable string
	// read and write are what a token needs to read and to change them.
	read, write Need
	// readLevel is the access a member of a private project needs to see them.
	readLevel int
	// editLevel is the access from which one may change any of them; authorLevel is the access
	// from which their author may change theirs.
	editLevel, authorLevel int
	// states are those a list may keep; orders those it may be ordered by, and ignored those
	// GitLab knows that order by creation here.
	states, orders, ignored []string
	// reviewers tells whether they have reviewers (the scope reviews_for_me).
	reviewers bool
}

var (
	issueKind = issuableKind{
		noteable:  NoteableIssue,
		read:      NeedRead,
		write:     NeedWrite,
		readLevel: Guest,
		editLevel: Reporter,
		states:    []string{StateOpened, StateClosed},
		orders:    []string{"", "created_at", "updated_at", "title", "due_date"},
		ignored: []string{"priority", "label_priority", "milestone_due", "popularity", "relative_position", "weight",
			"closed_at", "severity", "escalation_status"},
	}
	mergeRequestKind = issuableKind{
		noteable:    NoteableMergeRequest,
		read:        NeedReadPulls,
		write:       NeedPulls,
		readLevel:   Reporter,
		editLevel:   Developer,
		authorLevel: Guest,
		states:      []string{StateOpened, StateClosed, StateMerged, StateLocked},
		orders:      []string{"", "created_at", "updated_at", "merged_at", "title"},
		ignored:     []string{"label_priority", "milestone_due", "popularity", "priority"},
		reviewers:   true,
	}
)

// visible reports whether the actor may read the issuables of kind k of a visible project:
// anyone on public and internal projects, members at readLevel and above on private ones.
func (k issuableKind) visible(v ProjectView) bool {
	return v.Visibility != Private || v.Access >= k.readLevel
}

// canEdit reports whether the actor may change c, which it can see: members at editLevel
// and above, or its author, unless the project is archived (read-only).
func (k issuableKind) canEdit(a *Actor, v ProjectView, c Issuable) bool {
	if v.Archived {
		return false
	}
	return v.Access >= k.editLevel || a.SignedIn() && c.Author.ID == a.User.ID && v.Access >= k.authorLevel
}

// issuableProject resolves a project whose issuables of kind k the actor may read.
func (s *Service) issuableProject(ctx context.Context, a *Actor, projectRef Ref,
	k issuableKind) (ProjectView, error) {
	if err := a.Require(k.read); err != nil {
		return ProjectView{}, err
	}
	v, err := s.Projects.ProjectByRef(ctx, a, projectRef)
	if err != nil {
		return ProjectView{}, err
	}
	if !k.visible(v) {
		return ProjectView{}, NotFound(ResourceProject)
	}
	return v, nil
}

// issuableRows are the reads of one kind's rows from the database.
type issuableRows[T any] struct {
	byID  func(context.Context, db.Querier, int64) (T, error)
	byIID func(context.Context, db.Querier, int64, int64) (T, error)
	fill  func(context.Context, db.Querier, []T) error
	core  func(*T) *Issuable
}

// find reads the row of project v that ref names, with its labels and users; a row of
// another project is not found, which notFound says.
func (r issuableRows[T]) find(ctx context.Context, q db.Querier, v ProjectView, ref IssueRef,
	notFound func() error) (T, error) {
	var zero, c T
	var err error
	if ref.ByID {
		c, err = r.byID(ctx, q, ref.N)
		if err == nil && r.core(&c).ProjectID != v.ID {
			err = db.ErrNotFound
		}
	} else {
		c, err = r.byIID(ctx, q, v.ID, ref.N)
	}
	if errors.Is(err, db.ErrNotFound) {
		return zero, notFound()
	}
	if err != nil {
		return zero, err
	}
	list := []T{c}
	if err := r.fill(ctx, q, list); err != nil {
		return zero, err
	}
	return list[0], nil
}

// checkStateEvent refuses a state event that is neither close nor reopen.
func checkStateEvent(event string) error {
	switch event {
	case "", "close", "reopen":
		return nil
	}
	return invalidValue("state_event")
}

// closeOrReopen applies a state event to c, and returns the system note it calls for ("" when
// it changes nothing).
func closeOrReopen(a *Actor, c *Issuable, event string, now time.Time) string {
	switch {
	case event == "close" && c.State == StateOpened:
		c.State, c.ClosedAt = StateClosed, &now
		closer := actorUser(a)
		c.ClosedBy = &closer
		return "closed"
	case event == "reopen" && c.State == StateClosed:
		c.State, c.ClosedAt, c.ClosedBy = StateOpened, nil, nil
		return "reopened"
	}
	return ""
}

// setDescription validates a description given onto c.
func setDescription(fe FieldErrors, c *Issuable, description *string) {
	if description != nil {
		c.Description = *description
		checkText(fe, "description", c.Description, limitDescription)
	}
}

// actorUser is the actor as an issuable records it (author, closer): id, username, name, state.
func actorUser(a *Actor) User {
	return User{ID: a.User.ID, Username: a.User.Username, Name: a.User.Name, State: a.User.State}
}

// issuableChange is the change of labels and assignees of an update, checked and looked up
// outside the write transaction.
type issuableChange struct {
	// labels replaces the labels when given; add and remove change them.
	labels         *[]string
	add, remove    []string
	assigneesGiven bool
	assignees      []User
}

// resolveIssuableChange checks the label names of a change and looks up its assignees.
func (s *Service) resolveIssuableChange(ctx context.Context, v ProjectView, labels *[]string, add, remove []string,
	assigneeIDs *[]int64) (issuableChange, error) {
	c := issuableChange{assigneesGiven: assigneeIDs != nil}
	var err error
	if assigneeIDs != nil {
		if c.assignees, err = s.assignableUsers(ctx, v, *assigneeIDs); err != nil {
			return c, err
		}
	}
	if labels != nil {
		names, err := normalizeLabelNames(*labels)
		if err != nil {
			return c, err
		}
		c.labels = &names
	}
	if c.add, err = normalizeLabelNames(add); err != nil {
		return c, err
	}
	c.remove, err = normalizeLabelNames(remove)
	return c, err
}

// applyIssuableChange writes the labels and assignees of ch onto c of kind k, and returns the
// system notes the change calls for. setAssignees replaces the assignees in the database.
func (s *Service) applyIssuableChange(ctx context.Context, tx *sql.Tx, v ProjectView, k issuableKind, c *Issuable,
	ch issuableChange, setAssignees func(ids []int64) error, now time.Time) ([]string, error) {
	var notes []string
	if ch.labels != nil || len(ch.add) > 0 || len(ch.remove) > 0 {
		next := c.Labels
		if ch.labels != nil {
			next = *ch.labels
		}
		next = changeSet(next, ch.add, ch.remove)
		if added, removed := diffNames(c.Labels, next); len(added)+len(removed) > 0 {
			var err error
			if c.Labels, err = s.setTargetLabels(ctx, tx, v.ID, k.noteable, c.ID, next, false, now); err != nil {
				return nil, err
			}
			notes = append(notes, labelChangeNote(added, removed))
		}
	}
	if ch.assigneesGiven {
		if note := assigneeChangeNote(c.Assignees, ch.assignees); note != "" {
			if err := setAssignees(userIDs(ch.assignees)); err != nil {
				return nil, err
			}
			c.Assignees = ch.assignees
			notes = append(notes, note)
		}
	}
	return notes, nil
}

// recordIssuableUpdate stamps c of kind k updated at now, writes it (save), and records what
// the update did: the event of a change of state from before, and the system notes.
func (s *Service) recordIssuableUpdate(ctx context.Context, tx *sql.Tx, a *Actor, v ProjectView, k issuableKind,
	c *Issuable, before string, notes []string, now time.Time, save func() error) error {
	c.UpdatedAt = now
	if err := save(); err != nil {
		return err
	}
	if action := stateAction(before, c.State); action != "" {
		e := targetEvent(a.User.ID, v.ID, action, k.noteable, c.ID, c.IID, c.Title, now)
		if err := db.InsertEvent(ctx, tx, e); err != nil {
			return err
		}
	}
	t := NoteTarget{typ: k.noteable, id: c.ID, iid: c.IID, title: c.Title, project: v}
	for _, body := range notes {
		if err := s.addSystemNote(ctx, tx, a, t, body, now); err != nil {
			return err
		}
	}
	return nil
}

// deleteIssuable removes an issuable of kind k with its notes and events: project owners and
// administrators may, unless the project is archived. find reads it as the actor may see it;
// remove deletes it inside the write. Deleting one that is gone succeeds for them.
func (s *Service) deleteIssuable(ctx context.Context, a *Actor, projectRef Ref, k issuableKind,
	find func(v ProjectView) (Issuable, error), remove func(tx *sql.Tx, c Issuable) error) error {
	if err := a.requireUser(k.write); err != nil {
		return err
	}
	v, err := s.issuableProject(ctx, a, projectRef, k)
	if err != nil {
		return err
	}
	if v.Archived {
		return Forbidden()
	}
	c, err := find(v)
	switch {
	case ErrorCode(err) == ENotFound && v.Access >= Owner:
		return nil
	case err != nil:
		return err
	case v.Access < Owner:
		return Forbidden()
	}
	return s.db.Write(ctx, func(tx *sql.Tx) error { return remove(tx, c) })
}

// filter turns list options into a database filter for kind k, checking their values.
func (k issuableKind) filter(o IssuableListOptions, pg Page) (db.IssuableFilter, error) {
	f := db.IssuableFilter{
		Search:        o.Search,
		AuthorID:      o.AuthorID,
		IIDs:          o.IIDs,
		CreatedAfter:  o.CreatedAfter,
		CreatedBefore: o.CreatedBefore,
		UpdatedAfter:  o.UpdatedAfter,
		UpdatedBefore: o.UpdatedBefore,
		Desc:          o.Desc,
		Limit:         pg.limit(),
		Offset:        pg.offset(),
	}
	switch {
	case o.State == "" || o.State == "all":
	case slices.Contains(k.states, o.State):
		f.State = o.State
	default:
		return f, invalidValue("state")
	}
	switch {
	case slices.Contains(k.orders, o.OrderBy):
		f.OrderBy = o.OrderBy
	case slices.Contains(k.ignored, o.OrderBy):
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
	var err error
	f.AssigneeID, err = userFilter("assignee_id", ParseRef(o.AssigneeID))
	return f, err
}

// userFilter reads the value of a filter by user (param): a user id, or None and Any for
// those with no user and with some.
func userFilter(param string, value Ref) (int64, error) {
	switch {
	case value.String() == "":
		return 0, nil
	case strings.EqualFold(value.String(), "None") || value.String() == "0":
		return db.NoAssignee, nil
	case strings.EqualFold(value.String(), "Any"):
		return db.AnyAssignee, nil
	}
	id, ok := value.ID()
	if !ok {
		return 0, &Error{Code: EInvalid, Params: []string{param}, Message: param + " is invalid"}
	}
	return id, nil
}

// resolveUserFilters turns the author and assignee usernames of o into ids; ok is false
// when a named user does not exist (nothing can match).
func (s *Service) resolveUserFilters(ctx context.Context, o IssuableListOptions, f *db.IssuableFilter) (bool, error) {
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

// scopeIssuables narrows f, a list of kind k across projects, to its scope: what the actor
// created (created_by_me, the default), is assigned (assigned_to_me), is asked to review
// (reviews_for_me, where k has reviewers: reviewer) or all; and to the projects it may see.
// Anonymous callers may list all only.
func (s *Service) scopeIssuables(a *Actor, k issuableKind, scope string, f *db.IssuableFilter, reviewer *int64) error {
	switch scope = strings.ReplaceAll(scope, "-", "_"); scope {
	case "", "created_by_me", "assigned_to_me", "reviews_for_me":
		if scope == "reviews_for_me" && !k.reviewers {
			return invalidValue("scope")
		}
		if !a.SignedIn() {
			return Unauthorized("")
		}
		switch scope {
		case "assigned_to_me":
			f.AssigneeID = a.User.ID
		case "reviews_for_me":
			*reviewer = a.User.ID
		default:
			f.AuthorID = a.User.ID
		}
	case "all":
	default:
		return invalidValue("scope")
	}
	if !a.IsAdmin() {
		f.Viewer = &db.IssueViewer{UserID: a.UserID(), Visibilities: []string{Public}, Now: s.Now()}
		if a.SignedIn() && !a.User.External {
			f.Viewer.Visibilities = append(f.Viewer.Visibilities, Internal)
		}
	}
	return nil
}

// issuableList is how lists of issuables of a kind run, with options O, filtered as F and
// listed as T.
type issuableList[T, F, O any] struct {
	kind issuableKind
	// options are the shared options of O; filter reads O into a database filter, checking
	// its values; core is the filter's shared part and reviewer, for a kind with reviewers,
	// its reviewer filter.
	options  func(O) IssuableListOptions
	filter   func(O, Page) (F, error)
	core     func(*F) *db.IssuableFilter
	reviewer func(*F) *int64
	// inProject narrows the filter of a list in project v to what the actor may see there.
	inProject func(*F, *Actor, ProjectView)
	list      func(context.Context, db.Querier, F) ([]T, int, error)
}

// run lists the issuables of the project projectRef names or, when nil, of the projects the
// actor may see, narrowed to the scope of o.
func (l issuableList[T, F, O]) run(ctx context.Context, s *Service, a *Actor, projectRef *Ref, opts O,
	pg Page) ([]T, int, error) {
	f, ok, err := l.filterFor(ctx, s, a, projectRef, opts, pg)
	if err != nil {
		return nil, 0, err
	}
	if !ok {
		return []T{}, 0, nil
	}
	return l.list(ctx, s.db.Read, f)
}

// filterFor is the database filter of the list run would run; ok is false when nothing can
// match.
func (l issuableList[T, F, O]) filterFor(ctx context.Context, s *Service, a *Actor, projectRef *Ref, opts O,
	pg Page) (F, bool, error) {
	if projectRef == nil {
		if err := a.Require(l.kind.read); err != nil {
			var zero F
			return zero, false, err
		}
	}
	f, err := l.filter(opts, pg)
	if err != nil {
		return f, false, err
	}
	o := l.options(opts)
	if projectRef == nil {
		var reviewer *int64
		if l.reviewer != nil {
			reviewer = l.reviewer(&f)
		}
		err = s.scopeIssuables(a, l.kind, o.Scope, l.core(&f), reviewer)
	} else {
		var v ProjectView
		v, err = s.issuableProject(ctx, a, *projectRef, l.kind)
		l.core(&f).ProjectID = v.ID
		if err == nil && l.inProject != nil {
			l.inProject(&f, a, v)
		}
	}
	if err != nil {
		return f, false, err
	}
	ok, err := s.resolveUserFilters(ctx, o, l.core(&f))
	return f, ok, err
}

// flagNote is the system note of a change of a flag: on when it is set, off when it is
// cleared, "" when it stays.
func flagNote(before, after bool, on, off string) string {
	switch {
	case after && !before:
		return on
	case before && !after:
		return off
	}
	return ""
}

// appendNote appends a system note to notes, unless it is "".
func appendNote(notes []string, note string) []string {
	if note == "" {
		return notes
	}
	return append(notes, note)
}

// issuableUpdate is what an update of issuables typed T needs of their kind.
type issuableUpdate[T any] struct {
	kind issuableKind
	core func(*T) *Issuable
	// visible resolves one the actor may see, with its project; find reads one again.
	visible func(s *Service, ctx context.Context, a *Actor, projectRef Ref, ref IssueRef) (ProjectView, T, error)
	find    func(s *Service, ctx context.Context, q db.Querier, v ProjectView, ref IssueRef) (T, error)
	// changed reports whether the columns save writes differ between two versions.
	changed func(before, after T) bool
	save    func(ctx context.Context, tx *sql.Tx, c T) error
}

// updateIssuable changes the issuable that ref names in a project: the actor must be signed
// in, see it and may change it. prepare looks up what the change needs outside the write;
// change applies it, inside the write, to the issuable read again under the write lock (so
// that concurrent updates apply one after another), and returns the system notes it calls
// for. It returns the issuable changed and its project.
func updateIssuable[T any](ctx context.Context, s *Service, a *Actor, u issuableUpdate[T], projectRef Ref,
	ref IssueRef, stateEvent string, prepare func(ProjectView, T) error,
	change func(*sql.Tx, ProjectView, *T, time.Time) ([]string, error)) (T, ProjectView, error) {
	var zero T
	if err := a.requireUser(u.kind.write); err != nil {
		return zero, ProjectView{}, err
	}
	if err := checkStateEvent(stateEvent); err != nil {
		return zero, ProjectView{}, err
	}
	v, c, err := u.visible(s, ctx, a, projectRef, ref)
	if err != nil {
		return zero, ProjectView{}, err
	}
	if !u.kind.canEdit(a, v, *u.core(&c)) {
		return zero, ProjectView{}, Forbidden()
	}
	if err := prepare(v, c); err != nil {
		return zero, ProjectView{}, err
	}
	now := s.Now()
	err = s.db.Write(ctx, func(tx *sql.Tx) error {
		before, err := u.find(s, ctx, tx, v, IssueRef{N: u.core(&c).ID, ByID: true})
		if err != nil {
			return err
		}
		c = before
		notes, err := change(tx, v, &c, now)
		if err != nil {
			return err
		}
		if len(notes) == 0 && !u.changed(before, c) {
			return nil
		}
		return s.recordIssuableUpdate(ctx, tx, a, v, u.kind, u.core(&c), u.core(&before).State, notes, now,
			func() error { return u.save(ctx, tx, c) })
	})
	if err != nil {
		return zero, ProjectView{}, err
	}
	return c, v, nil
}

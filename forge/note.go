package forge

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/cairn-forge/cairn/db"
	"github.com/cairn-forge/cairn/forge/model"
)

// Note is a comment on an issue or a merge request, or a system note recording a change.
type Note = model.Note

// NoteTarget is an issue or a merge request that notes hang on, resolved for an actor who may
// see it. Only forge makes them (IssueNoteTarget; merge requests add theirs), so a dialect
// holding one has passed the visibility checks; the note methods apply the rest.
type NoteTarget struct {
	typ     string
	id, iid int64
	// title is the issue's or merge request's, for the events of notes on it.
	title   string
	project ProjectView
}

// Type is NoteableIssue or NoteableMergeRequest.
func (t NoteTarget) Type() string { return t.typ }

// ID is the target's global id.
func (t NoteTarget) ID() int64 { return t.id }

// IID is the target's id within its project.
func (t NoteTarget) IID() int64 { return t.iid }

// Project is the target's project, with the actor's access to it.
func (t NoteTarget) Project() ProjectView { return t.project }

func issueNoteTarget(v ProjectView, is Issue) NoteTarget {
	return NoteTarget{typ: NoteableIssue, id: is.ID, iid: is.IID, title: is.Title, project: v}
}

// IssueNoteTarget resolves an issue the actor may see, as the target of notes.
func (s *Issuables) IssueNoteTarget(ctx context.Context, a *Actor, projectRef Ref, ref IssueRef) (NoteTarget, error) {
	v, is, err := s.visibleIssue(ctx, a, projectRef, ref)
	if err != nil {
		return NoteTarget{}, err
	}
	return issueNoteTarget(v, is), nil
}

// NoteListOptions order a target's notes: by created_at (default) or updated_at.
type NoteListOptions struct {
	OrderBy string
	Desc    bool
}

// NoteInput carries a note to write.
type NoteInput struct {
	Body *string
	// Internal notes are seen by reporters and above only; only they may write them.
	Internal bool
	// CreatedAt backdates the note; only administrators and project owners may.
	CreatedAt *time.Time
}

// seesInternalNotes reports whether the actor may read internal notes of the target's project.
func (t NoteTarget) seesInternalNotes() bool { return t.project.Access >= Reporter }

// ListNotes lists a target's notes, system notes included.
func (s *Issuables) ListNotes(ctx context.Context, a *Actor, t NoteTarget, o NoteListOptions,
	pg Page) ([]Note, int, error) {
	switch o.OrderBy {
	case "", "created_at", "updated_at":
	default:
		return nil, 0, invalidValue("order_by")
	}
	return db.ListNotes(ctx, s.db.Read, db.NoteFilter{
		NoteableType: t.typ,
		NoteableID:   t.id,
		WithInternal: t.seesInternalNotes(),
		OrderBy:      o.OrderBy,
		Desc:         o.Desc,
		Limit:        pg.limit(),
		Offset:       pg.offset(),
	})
}

// findNote reads one note of the target that the actor may see.
func (s *Service) findNote(ctx context.Context, q db.Querier, t NoteTarget, id int64) (Note, error) {
	n, err := db.NoteByID(ctx, q, t.typ, t.id, id)
	if err != nil {
		return Note{}, notFoundAs(err, "")
	}
	if n.Internal && !t.seesInternalNotes() {
		return Note{}, NotFound("")
	}
	return n, nil
}

// GetNote returns one note of a target.
func (s *Issuables) GetNote(ctx context.Context, a *Actor, t NoteTarget, id int64) (Note, error) {
	return s.findNote(ctx, s.db.Read, t, id)
}

// validateNoteBody checks a note's body, returning the problem or "".
func validateNoteBody(body string) string {
	switch {
	case strings.TrimSpace(body) == "":
		return "can't be blank"
	}
	return textProblem(body, limitNote)
}

// CreateNote writes a note on a target; anyone signed in who may see it may.
func (s *Issuables) CreateNote(ctx context.Context, a *Actor, t NoteTarget, in NoteInput) (Note, error) {
	if err := a.requireUser(NeedWrite); err != nil {
		return Note{}, err
	}
	if in.Body == nil {
		return Note{}, Missing("body")
	}
	if msg := validateNoteBody(*in.Body); msg != "" {
		return Note{}, FieldErrors{"note": {msg}}.Err()
	}
	if in.Internal && !t.seesInternalNotes() {
		return Note{}, Forbidden()
	}
	if t.project.Archived {
		return Note{}, Forbidden()
	}
	now := s.Now()
	n := Note{
		ProjectID:    t.project.ID,
		NoteableType: t.typ,
		NoteableID:   t.id,
		NoteableIID:  t.iid,
		Author:       User{ID: a.User.ID, Username: a.User.Username, Name: a.User.Name, State: a.User.State},
		Body:         *in.Body,
		Internal:     in.Internal,
		CreatedAt:    now,
		UpdatedAt:    now,
	}
	if in.CreatedAt != nil && t.project.Access >= Owner {
		n.CreatedAt, n.UpdatedAt = in.CreatedAt.UTC(), in.CreatedAt.UTC()
	}
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		var err error
		if n.ID, err = db.InsertNote(ctx, tx, n); err != nil {
			return err
		}
		if !n.Internal {
			// Internal notes are for reporters and above: the activity others read names none.
			e := Event{
				ProjectID:    t.project.ID,
				AuthorID:     a.User.ID,
				Action:       ActionCommented,
				CreatedAt:    now,
				TargetType:   "Note",
				TargetID:     n.ID,
				TargetIID:    t.iid,
				TargetTitle:  t.title,
				NoteableType: t.typ,
				NoteableID:   t.id,
			}
			if err := db.InsertEvent(ctx, tx, e); err != nil {
				return err
			}
		}
		return db.TouchNoteable(ctx, tx, t.typ, t.id, now)
	})
	if err != nil {
		return Note{}, err
	}
	return n, nil
}

// UpdateNote changes the body of a note; only its author (or an administrator) may, system
// notes stay as they are, and notes of archived projects too.
func (s *Issuables) UpdateNote(ctx context.Context, a *Actor, t NoteTarget, id int64, body *string) (Note, error) {
	if err := a.requireUser(NeedWrite); err != nil {
		return Note{}, err
	}
	if t.project.Archived {
		return Note{}, Forbidden()
	}
	if body == nil {
		return Note{}, Missing("body")
	}
	if msg := validateNoteBody(*body); msg != "" {
		return Note{}, FieldErrors{"note": {msg}}.Err()
	}
	var n Note
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		var err error
		if n, err = s.findNote(ctx, tx, t, id); err != nil {
			return err
		}
		if n.System || n.Author.ID != a.User.ID && !a.IsAdmin() {
			return Forbidden()
		}
		n.Body, n.UpdatedAt = *body, s.Now()
		return db.UpdateNoteBody(ctx, tx, n.ID, n.Body, n.UpdatedAt)
	})
	if err != nil {
		return Note{}, err
	}
	return n, nil
}

// DeleteNote removes a note: its author, or maintainers and above, may; system notes stay.
// Deleting a note that is gone succeeds for maintainers and above.
func (s *Issuables) DeleteNote(ctx context.Context, a *Actor, t NoteTarget, id int64) error {
	if err := a.requireUser(NeedWrite); err != nil {
		return err
	}
	if t.project.Archived {
		return Forbidden()
	}
	return s.db.Write(ctx, func(tx *sql.Tx) error {
		n, err := s.findNote(ctx, tx, t, id)
		switch {
		case ErrorCode(err) == ENotFound && t.project.Access >= Maintainer:
			return nil
		case err != nil:
			return err
		case n.System && !a.IsAdmin():
			return Forbidden()
		case n.Author.ID != a.User.ID && t.project.Access < Maintainer:
			return Forbidden()
		}
		return db.DeleteNote(ctx, tx, n.ID)
	})
}

// addSystemNote records, inside the transaction making it, a change the actor made to the
// target ("closed", "added ~bug label"). Merge requests use it for their own changes.
func (s *Service) addSystemNote(ctx context.Context, tx *sql.Tx, a *Actor, t NoteTarget, body string,
	at time.Time) error {
	n := Note{
		ProjectID:    t.project.ID,
		NoteableType: t.typ,
		NoteableID:   t.id,
		NoteableIID:  t.iid,
		Author:       User{ID: a.UserID()},
		Body:         body,
		System:       true,
		CreatedAt:    at,
		UpdatedAt:    at,
	}
	_, err := db.InsertNote(ctx, tx, n)
	return err
}

// diffNames returns what next has that prev lacks, and the reverse.
func diffNames(prev, next []string) (added, removed []string) {
	had := map[string]bool{}
	for _, n := range prev {
		had[n] = true
	}
	has := map[string]bool{}
	for _, n := range next {
		has[n] = true
		if !had[n] {
			added = append(added, n)
		}
	}
	for _, n := range prev {
		if !has[n] {
			removed = append(removed, n)
		}
	}
	return added, removed
}

// assigneeChangeNote is the system note of a change of assignees ("assigned to @a and
// unassigned @b"), or "" when nothing changes.
func assigneeChangeNote(prev, next []User) string {
	names := func(us []User) []string {
		out := make([]string, len(us))
		for i, u := range us {
			out[i] = u.Username
		}
		return out
	}
	added, removed := diffNames(names(prev), names(next))
	mentions := func(list []string) string {
		for i, n := range list {
			list[i] = "@" + n
		}
		return sentence(list)
	}
	var parts []string
	if len(added) > 0 {
		parts = append(parts, "assigned to "+mentions(added))
	}
	if len(removed) > 0 {
		parts = append(parts, "unassigned "+mentions(removed))
	}
	return strings.Join(parts, " and ")
}

// sentence joins items as English does: "a", "a and b", "a, b, and c".
func sentence(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	case 2:
		return items[0] + " and " + items[1]
	}
	return strings.Join(items[:len(items)-1], ", ") + ", and " + items[len(items)-1]
}

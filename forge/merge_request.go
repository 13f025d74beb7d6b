package forge

import (
	"context"
	"database/sql"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/cairn-forge/cairn/db"
	"github.com/cairn-forge/cairn/forge/model"
	"github.com/cairn-forge/cairn/gitstore"
)

// MergeRequest is a proposal to merge a source branch into a target branch of one project,
// with its labels, assignees and reviewers.
type MergeRequest = model.MergeRequest

// Merge request states beyond issues' opened and closed.
const (
	StateMerged = "merged"
	StateLocked = "locked"
)

// Merge statuses, as GitLab names them.
const (
	MergeUnchecked      = "unchecked"
	MergeCanBeMerged    = "can_be_merged"
	MergeCannotBeMerged = "cannot_be_merged"
)

// MergeRequestRef names a merge request: by iid within its project (GitLab v4) or, when
// ByID, by global id (GitLab v3), which must then belong to the project.
type MergeRequestRef = IssueRef

// draftPrefix matches the title prefixes that make a merge request a draft, as GitLab
// recognises them.
var draftPrefix = regexp.MustCompile(`(?i)^\s*(?:\[draft\]|\(draft\)|draft:|draft\s+-\s+|\[wip\]|wip:)\s*`)

// IsDraftTitle reports whether a title marks its merge request a draft.
func IsDraftTitle(title string) bool { return draftPrefix.MatchString(title) }

// mergeRequestsVisible reports whether the actor may read the merge requests of a visible
// project: anyone on public and internal projects, reporters and above on private ones
// (merge requests show code).
func mergeRequestsVisible(v ProjectView) bool { return mergeRequestKind.visible(v) }

// canEditMergeRequest reports whether the actor may change a merge request: its author, or
// developers and above, unless the project is archived (read-only).
func canEditMergeRequest(a *Actor, v ProjectView, m MergeRequest) bool {
	return mergeRequestKind.canEdit(a, v, m.Issuable)
}

// mergeRequestProject resolves a project whose merge requests the actor may read: its token
// must have a scope for merge requests.
func (s *Service) mergeRequestProject(ctx context.Context, a *Actor, projectRef Ref) (ProjectView, error) {
	return s.issuableProject(ctx, a, projectRef, mergeRequestKind)
}

var mergeRequestRows = issuableRows[MergeRequest]{byID: db.MergeRequestByID, byIID: db.MergeRequestByIID,
	fill: db.FillMergeRequests, core: func(m *MergeRequest) *Issuable { return &m.Issuable }}

// findMergeRequest reads a merge request of project v with its labels and users.
func (s *Service) findMergeRequest(ctx context.Context, q db.Querier, v ProjectView,
	ref MergeRequestRef) (MergeRequest, error) {
	return mergeRequestRows.find(ctx, q, v, ref, func() error {
		return NotFound(ResourceMergeRequest)
	})
}

// visibleMergeRequest resolves a merge request the actor may see, with its project.
func (s *Service) visibleMergeRequest(ctx context.Context, a *Actor, projectRef Ref,
	ref MergeRequestRef) (ProjectView, MergeRequest, error) {
	v, err := s.mergeRequestProject(ctx, a, projectRef)
	if err != nil {
		return ProjectView{}, MergeRequest{}, err
	}
	m, err := s.findMergeRequest(ctx, s.db.Read, v, ref)
	return v, m, err
}

// GetMergeRequest returns a merge request the actor may see. An open one whose mergeability
// is not known since its branches last moved is checked first.
func (s *Issuables) GetMergeRequest(ctx context.Context, a *Actor, projectRef Ref,
	ref MergeRequestRef) (MergeRequest, error) {
	v, m, err := s.visibleMergeRequest(ctx, a, projectRef, ref)
	if err != nil || m.State != StateOpened || m.MergeStatus != MergeUnchecked {
		return m, err
	}
	if err := s.checkMergeability(ctx, v, &m); err != nil {
		return MergeRequest{}, err
	}
	return m, nil
}

// MergeRequestNoteTarget resolves a merge request the actor may see, as the target of notes.
func (s *Issuables) MergeRequestNoteTarget(ctx context.Context, a *Actor, projectRef Ref,
	ref MergeRequestRef) (NoteTarget, error) {
	v, m, err := s.visibleMergeRequest(ctx, a, projectRef, ref)
	if err != nil {
		return NoteTarget{}, err
	}
	return mergeRequestNoteTarget(v, m), nil
}

func mergeRequestNoteTarget(v ProjectView, m MergeRequest) NoteTarget {
	return NoteTarget{typ: NoteableMergeRequest, id: m.ID, iid: m.IID, title: m.Title, project: v}
}

// applyMergeRequestFields validates the title and description of in onto m, and the draft
// flag, which follows the title.
func applyMergeRequestFields(m *MergeRequest, in MergeRequestInput) error {
	fe := FieldErrors{}
	if in.Title != nil {
		m.Title = strings.TrimSpace(*in.Title)
	}
	if in.Draft != nil {
		bare := strings.TrimSpace(draftPrefix.ReplaceAllString(m.Title, ""))
		if *in.Draft {
			m.Title = "Draft: " + bare
		} else if bare != "" {
			m.Title = bare
		}
	}
	if in.Title != nil && m.Title == "" {
		fe.Add("title", "can't be blank")
	} else {
		checkText(fe, "title", m.Title, limitTitle)
	}
	setDescription(fe, &m.Issuable, in.Description)
	m.Draft = IsDraftTitle(m.Title)
	if in.Squash != nil {
		m.Squash = *in.Squash
	}
	if in.RemoveSourceBranch != nil {
		m.RemoveSourceBranch = *in.RemoveSourceBranch
	}
	return fe.Err()
}

// CreateMergeRequest proposes merging a source branch into a target branch of the same
// project: developers and above may (others would propose from a fork).
func (s *Issuables) CreateMergeRequest(ctx context.Context, a *Actor, projectRef Ref,
	in MergeRequestInput) (MergeRequest, error) {
	if err := a.requireUser(NeedPulls); err != nil {
		return MergeRequest{}, err
	}
	var missing []string
	for _, f := range []struct {
		name string
		v    *string
	}{{"source_branch", in.SourceBranch}, {"target_branch", in.TargetBranch}, {"title", in.Title}} {
		if f.v == nil {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return MergeRequest{}, Missing(missing...)
	}
	v, err := s.mergeRequestProject(ctx, a, projectRef)
	if err != nil {
		return MergeRequest{}, err
	}
	if !canWriteCode(v) {
		return MergeRequest{}, Forbidden()
	}
	now := s.Now()
	m := MergeRequest{
		Issuable: Issuable{
			ProjectID:   v.ID,
			State:       StateOpened,
			CreatedAt:   now,
			UpdatedAt:   now,
			ProjectPath: v.FullPath(),
			Author:      actorUser(a),
			Labels:      []string{},
			Assignees:   []User{},
		},
		SourceBranch:       *in.SourceBranch,
		TargetBranch:       *in.TargetBranch,
		MergeStatus:        MergeUnchecked,
		ProjectMergeMethod: v.MergeMethod,
		Reviewers:          []User{},
	}
	m.Squash = v.SquashOption == "always" || v.SquashOption == "default_on"
	if err := applyMergeRequestFields(&m, in); err != nil {
		return MergeRequest{}, err
	}
	if err := validateBranchPair(m.SourceBranch, m.TargetBranch); err != nil {
		return MergeRequest{}, err
	}
	if err := s.readBranchTips(v, &m); err != nil {
		return MergeRequest{}, err
	}
	c, err := s.resolveMergeRequestChange(ctx, v, in)
	if err != nil {
		return MergeRequest{}, err
	}
	err = s.db.Write(ctx, func(tx *sql.Tx) error {
		if iid, err := db.OpenMergeRequestFor(ctx, tx, v.ID, m.SourceBranch, m.TargetBranch); err == nil {
			return duplicateMergeRequest(iid)
		}
		var err error
		if m.ID, m.IID, err = db.InsertMergeRequest(ctx, tx, m); err != nil {
			return err
		}
		if err := db.InsertEvent(ctx, tx,
			targetEvent(a.User.ID, v.ID, ActionOpened, NoteableMergeRequest, m.ID, m.IID, m.Title, now)); err != nil {
			return err
		}
		if _, err := s.applyMergeRequestChange(ctx, tx, v, &m, c, now); err != nil {
			return err
		}
		return db.RecordProjectActivity(ctx, tx, v.ID, now, false)
	})
	if err != nil {
		return MergeRequest{}, err
	}
	return m, nil
}

// validateBranchPair refuses a merge request of a branch into itself, with a blank branch,
// or with a name no branch can have.
func validateBranchPair(source, target string) error {
	fe := FieldErrors{}
	for _, b := range []struct{ field, name string }{{"source_branch", source}, {"target_branch", target}} {
		if strings.TrimSpace(b.name) != "" && validateRefText(b.name) != "" {
			fe.Add(b.field, "is invalid")
		}
	}
	if err := fe.Err(); err != nil {
		return err
	}
	switch {
	case strings.TrimSpace(source) == "":
		return branchRefused(ReasonBlankBranch, "source_branch", "Source branch can't be blank")
	case strings.TrimSpace(target) == "":
		return branchRefused(ReasonBlankBranch, "target_branch", "Target branch can't be blank")
	case source == target:
		return branchRefused(ReasonSameBranch, "target_branch",
			"You can't use same project/branch for source and target")
	}
	return nil
}

// duplicateMergeRequest is the error of a second open merge request for one pair of branches.
func duplicateMergeRequest(iid int64) error {
	return &Error{Code: EConflict, Reason: ReasonDuplicateOpen, Resource: ResourceMergeRequest,
		Value: strconv.FormatInt(iid, 10)}
}

// branchRefused is the refusal of the branch that param names, for reason.
func branchRefused(reason, param, format string, args ...any) *Error {
	e := Invalidf(format, args...)
	e.Reason, e.Params = reason, []string{param}
	return e
}

// mergeRequestChange is the metadata of a create or update, looked up and checked outside
// the write transaction: labels, assignees and reviewers.
type mergeRequestChange struct {
	issuableChange
	reviewers *[]User
}

func (s *Service) resolveMergeRequestChange(ctx context.Context, v ProjectView,
	in MergeRequestInput) (mergeRequestChange, error) {
	ic, err := s.resolveIssuableChange(ctx, v, in.Labels, in.AddLabels, in.RemoveLabels, in.AssigneeIDs)
	c := mergeRequestChange{issuableChange: ic}
	if err != nil || in.ReviewerIDs == nil {
		return c, err
	}
	reviewers, err := s.assignableUsers(ctx, v, *in.ReviewerIDs)
	c.reviewers = &reviewers
	return c, err
}

// applyMergeRequestChange writes the labels and users of c onto m, and returns the system
// notes the change calls for.
func (s *Service) applyMergeRequestChange(ctx context.Context, tx *sql.Tx, v ProjectView, m *MergeRequest,
	c mergeRequestChange, now time.Time) ([]string, error) {
	notes, err := s.applyIssuableChange(ctx, tx, v, mergeRequestKind, &m.Issuable, c.issuableChange,
		func(ids []int64) error { return db.SetMergeRequestUsers(ctx, tx, m.ID, db.RoleAssignee, ids) }, now)
	if err != nil || c.reviewers == nil {
		return notes, err
	}
	note := assigneeChangeNote(m.Reviewers, *c.reviewers)
	if note == "" {
		return notes, nil
	}
	if err := db.SetMergeRequestUsers(ctx, tx, m.ID, db.RoleReviewer, userIDs(*c.reviewers)); err != nil {
		return nil, err
	}
	m.Reviewers = *c.reviewers
	note = strings.NewReplacer("unassigned", "removed review request for", "assigned to",
		"requested review from").Replace(note)
	return append(notes, note), nil
}

// UpdateMergeRequest changes a merge request: its author or developers and above may, unless
// the project is archived.
// Closing, reopening, retargeting and changes of labels and users leave system notes. A
// merged merge request keeps its branches and state; one being merged (locked) cannot be
// closed or retargeted until the merge ends.
func (s *Issuables) UpdateMergeRequest(ctx context.Context, a *Actor, projectRef Ref, ref MergeRequestRef,
	in MergeRequestInput) (MergeRequest, error) {
	var c mergeRequestChange
	var tips *branchTips
	prepare := func(v ProjectView, m MergeRequest) (err error) {
		if c, err = s.resolveMergeRequestChange(ctx, v, in); err != nil {
			return err
		}
		// A new target or a reopening takes the branches' tips, read now: git is not read
		// inside the write.
		if in.TargetBranch != nil && *in.TargetBranch != m.TargetBranch || in.StateEvent == "reopen" {
			target := m.TargetBranch
			if in.TargetBranch != nil {
				target = *in.TargetBranch
			}
			t, err := s.branchTipsOf(v, m.SourceBranch, target)
			if err != nil {
				return err
			}
			tips = &t
		}
		return nil
	}
	change := func(tx *sql.Tx, v ProjectView, m *MergeRequest, now time.Time) ([]string, error) {
		notes, err := s.changeMergeRequest(ctx, tx, a, v, m, in, tips, now)
		if err != nil {
			return nil, err
		}
		more, err := s.applyMergeRequestChange(ctx, tx, v, m, c, now)
		return append(notes, more...), err
	}
	m, v, err := updateIssuable(ctx, s.Service, a, mergeRequestUpdate, projectRef, ref, in.StateEvent, prepare, change)
	if err != nil {
		return MergeRequest{}, err
	}
	if tips != nil && m.State == StateOpened {
		// The tips were read before the write: a push in between, whose refresh passed this
		// merge request by, is taken up now.
		branches := []gitstore.RefUpdate{{Name: "refs/heads/" + m.SourceBranch}, {Name: "refs/heads/" + m.TargetBranch}}
		if err := s.refreshMergeRequests(ctx, a, v.ID, branches); err != nil {
			s.log.Warn("refresh merge request after its update", "merge_request_id", m.ID, "err", err)
		}
	}
	return m, nil
}

var mergeRequestUpdate = issuableUpdate[MergeRequest]{
	kind:    mergeRequestKind,
	core:    mergeRequestRows.core,
	visible: (*Service).visibleMergeRequest,
	find:    (*Service).findMergeRequest,
	changed: mergeRequestFieldsChanged,
	save:    db.UpdateMergeRequest,
}

// changeMergeRequest applies the fields, target branch and state event of in to m inside
// the write transaction, and returns the system notes they call for. tips are the branches'
// tips read before the transaction, for a new target or a reopening.
func (s *Service) changeMergeRequest(ctx context.Context, tx *sql.Tx, a *Actor, v ProjectView,
	m *MergeRequest, in MergeRequestInput, tips *branchTips, now time.Time) ([]string, error) {
	wasDraft := m.Draft
	if err := applyMergeRequestFields(m, in); err != nil {
		return nil, err
	}
	notes := appendNote(nil, flagNote(wasDraft, m.Draft,
		"marked this merge request as **draft**", "marked this merge request as **ready**"))
	if in.TargetBranch != nil && *in.TargetBranch != m.TargetBranch {
		switch m.State {
		case StateMerged:
			return nil, &Error{Code: EInvalid, Reason: ReasonMergedRetarget, Resource: ResourceMergeRequest,
				Params: []string{"target_branch"}}
		case StateLocked:
			return nil, mergeInProgress(ActionRetarget)
		}
		if err := validateBranchPair(m.SourceBranch, *in.TargetBranch); err != nil {
			return nil, err
		}
		notes = append(notes, "changed target branch from `"+m.TargetBranch+"` to `"+*in.TargetBranch+"`")
		m.TargetBranch = *in.TargetBranch
		if err := tips.applyTo(m); err != nil {
			return nil, err
		}
	}
	switch {
	case in.StateEvent == "close" && m.State == StateLocked:
		return nil, mergeInProgress(ActionClose)
	case in.StateEvent == "reopen" && m.State == StateClosed:
		if err := tips.applyTo(m); err != nil {
			return nil, err
		}
	}
	notes = appendNote(notes, closeOrReopen(a, &m.Issuable, in.StateEvent, now))
	if m.State == StateOpened && (in.TargetBranch != nil || in.StateEvent == "reopen") {
		if iid, err := db.OpenMergeRequestFor(ctx, tx, v.ID, m.SourceBranch, m.TargetBranch); err == nil &&
			iid != m.IID {
			return nil, duplicateMergeRequest(iid)
		}
	}
	return notes, nil
}

// mergeInProgress refuses a change that a running merge forbids: a locked merge request is
// merged or opened again shortly, and cannot be closed, retargeted or deleted meanwhile
// (action: ActionClose, ActionRetarget, ActionDelete).
func mergeInProgress(action string) *Error {
	return &Error{Code: EConflict, Reason: ReasonMergeInProgress, Resource: ResourceMergeRequest, Value: action}
}

// mergeRequestFieldsChanged reports whether the columns UpdateMergeRequest writes from an
// update's fields differ between a and b.
func mergeRequestFieldsChanged(a, b MergeRequest) bool {
	return a.Title != b.Title || a.Description != b.Description || a.State != b.State ||
		a.TargetBranch != b.TargetBranch || a.Squash != b.Squash || a.RemoveSourceBranch != b.RemoveSourceBranch ||
		a.HeadSHA != b.HeadSHA || a.TargetSHA != b.TargetSHA
}

// DeleteMergeRequest removes a merge request with its notes: project owners and
// administrators may, except while it is being merged or when the project is archived.
// Deleting one that is gone succeeds for them.
func (s *Issuables) DeleteMergeRequest(ctx context.Context, a *Actor, projectRef Ref, ref MergeRequestRef) error {
	find := func(v ProjectView) (Issuable, error) {
		m, err := s.findMergeRequest(ctx, s.db.Read, v, ref)
		return m.Issuable, err
	}
	return s.deleteIssuable(ctx, a, projectRef, mergeRequestKind, find, func(tx *sql.Tx, m Issuable) error {
		// Read again under the write lock: a merge may have locked it meanwhile.
		cur, err := db.MergeRequestByID(ctx, tx, m.ID)
		switch {
		case errors.Is(err, db.ErrNotFound):
			return nil
		case err != nil:
			return err
		case cur.State == StateLocked:
			return mergeInProgress(ActionDelete)
		}
		if err := db.DeleteTargetEvents(ctx, tx, NoteableMergeRequest, cur.ID); err != nil {
			return err
		}
		return db.DeleteMergeRequest(ctx, tx, cur)
	})
}

// mergeRequestFilter turns list options into a database filter, checking their values.
func mergeRequestFilter(o MergeRequestListOptions, pg Page) (db.MergeRequestFilter, error) {
	base, err := mergeRequestKind.filter(o.issuable(), pg)
	if err != nil {
		return db.MergeRequestFilter{}, err
	}
	f := db.MergeRequestFilter{IssuableFilter: base, SourceBranch: o.SourceBranch, TargetBranch: o.TargetBranch,
		Draft: o.Draft}
	f.ReviewerID, err = userFilter("reviewer_id", ParseRef(o.ReviewerID))
	return f, err
}

var mergeRequestList = issuableList[MergeRequest, db.MergeRequestFilter, MergeRequestListOptions]{
	kind:     mergeRequestKind,
	options:  MergeRequestListOptions.issuable,
	filter:   mergeRequestFilter,
	core:     func(f *db.MergeRequestFilter) *db.IssuableFilter { return &f.IssuableFilter },
	reviewer: func(f *db.MergeRequestFilter) *int64 { return &f.ReviewerID },
	list:     db.ListMergeRequests,
}

// ListProjectMergeRequests lists the merge requests of a project the actor may see.
func (s *Issuables) ListProjectMergeRequests(ctx context.Context, a *Actor, projectRef Ref,
	o MergeRequestListOptions, pg Page) ([]MergeRequest, int, error) {
	return mergeRequestList.run(ctx, s.Service, a, &projectRef, o, pg)
}

// ListMergeRequests lists merge requests across the projects the actor may see: by default
// those it created (scope created_by_me), or assigned_to_me, reviews_for_me, or all.
func (s *Issuables) ListMergeRequests(ctx context.Context, a *Actor, o MergeRequestListOptions,
	pg Page) ([]MergeRequest, int, error) {
	return mergeRequestList.run(ctx, s.Service, a, nil, o, pg)
}

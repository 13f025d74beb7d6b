package forge

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/cairn-forge/cairn/db"
	"github.com/cairn-forge/cairn/gitstore"
	"github.com/go-git/go-git/v5/plumbing"
)

// fastForwardOnly reports whether a project's merge method merges only a source branch that
// is a fast-forward of its target (GitLab's ff, and rebase_merge, its semi-linear history).
func fastForwardOnly(mergeMethod string) bool {
	return mergeMethod == "ff" || mergeMethod == "rebase_merge"
}

// maxMergeAttempts bounds how often a merge is redone when the target branch moves
// between the merge and the update of the branch (each attempt merges the new tip).
const maxMergeAttempts = 10

// MergeOptions are the choices of a merge.
type MergeOptions struct {
	// SHA, when given, must be the source branch's tip: the caller merges what it reviewed.
	SHA string
	// Squash overrides the merge request's own choice.
	Squash *bool
	// MergeCommitMessage and SquashCommitMessage replace the default messages.
	MergeCommitMessage  string
	SquashCommitMessage string
	// RemoveSourceBranch overrides the merge request's own choice.
	RemoveSourceBranch *bool
}

// readBranchTips reads the tips of m's source and target branches into m; the merge base
// and status wait for the check. A missing branch is refused.
func (s *Service) readBranchTips(v ProjectView, m *MergeRequest) error {
	tips, err := s.branchTipsOf(v, m.SourceBranch, m.TargetBranch)
	if err != nil {
		return err
	}
	return tips.applyTo(m)
}

// branchTips are the tips of a source and a target branch as read from the repository, for
// a merge request to take up later (inside a write transaction, where git is not read).
type branchTips struct {
	source, target         string
	headSHA, targetSHA     string
	missingSource, missing bool
}

// branchTipsOf reads the tips of branches source and target of the project's repository.
func (s *Service) branchTipsOf(v ProjectView, source, target string) (branchTips, error) {
	repo, err := s.repos.OpenRepo(v.ID)
	if err != nil {
		return branchTips{}, err
	}
	defer repo.Close()
	t := branchTips{source: source, target: target}
	head, ok, err := repo.Reference("refs/heads/" + source)
	if err != nil {
		return branchTips{}, err
	}
	t.headSHA, t.missingSource = head.String(), !ok
	tip, ok, err := repo.Reference("refs/heads/" + target)
	if err != nil {
		return branchTips{}, err
	}
	t.targetSHA, t.missing = tip.String(), !ok || t.missingSource
	return t, nil
}

// applyTo sets m's tips from t, which must have been read for m's branches (one that changed
// since is a conflict); the merge base and status wait for the check. A missing branch is
// refused.
func (t *branchTips) applyTo(m *MergeRequest) error {
	switch {
	case t == nil || t.source != m.SourceBranch || t.target != m.TargetBranch:
		return &Error{Code: EConflict, Reason: ReasonChangedMeanwhile, Resource: ResourceMergeRequest}
	case t.missingSource:
		return branchRefused(ReasonMissingBranch, "source_branch", "Source branch %q does not exist", m.SourceBranch)
	case t.missing:
		return branchRefused(ReasonMissingBranch, "target_branch", "Target branch %q does not exist", m.TargetBranch)
	}
	if t.headSHA != m.HeadSHA || t.targetSHA != m.TargetSHA {
		m.HeadSHA, m.TargetSHA = t.headSHA, t.targetSHA
		m.BaseSHA, m.MergeStatus, m.HasConflicts, m.ChangesCount = "", MergeUnchecked, false, nil
	}
	return nil
}

// checkMergeability merges m's branch tips in memory and records whether they merge, their
// merge base and how many files the merge request changes. The outcome is kept only if
// neither branch moved meanwhile (a newer check, or the refresh of a push, wins).
func (s *Service) checkMergeability(ctx context.Context, v ProjectView, m *MergeRequest) error {
	status, conflicts, base := MergeCannotBeMerged, false, ""
	var changes *int
	if m.HeadSHA != "" && m.TargetSHA != "" {
		repo, err := s.repos.OpenRepo(v.ID)
		if err != nil {
			return err
		}
		defer repo.Close()
		head, target := plumbing.NewHash(m.HeadSHA), plumbing.NewHash(m.TargetSHA)
		res, err := repo.CheckMerge(ctx, target, head)
		switch {
		case errors.Is(err, gitstore.ErrUnrelatedHistories):
		case err != nil:
			return err
		default:
			base = res.Bases[0].String()
			conflicts = !res.Clean()
			if res.Clean() {
				status = MergeCanBeMerged
			}
			n, err := repo.ChangedFiles(ctx, res.Bases[0], head)
			if err != nil {
				return err
			}
			changes = &n
		}
	}
	if _, err := db.SaveMergeCheck(ctx, s.db.Writer(), m.ID, m.HeadSHA, m.TargetSHA, base, status, conflicts,
		changes); err != nil {
		return err
	}
	m.BaseSHA, m.MergeStatus, m.HasConflicts, m.ChangesCount = base, status, conflicts, changes
	return nil
}

// DetailedMergeStatus says, as GitLab's detailed_merge_status does, what stands between an
// open merge request and its merge.
func DetailedMergeStatus(m MergeRequest) string {
	switch {
	case m.State != StateOpened:
		return "not_open"
	case m.Draft:
		return "draft_status"
	case m.HeadSHA == "" || m.TargetSHA == "":
		return "broken_status"
	case m.MergeStatus == MergeUnchecked:
		return "unchecked"
	case m.HasConflicts:
		return "conflict"
	case m.MergeStatus == MergeCannotBeMerged:
		return "broken_status"
	case fastForwardOnly(m.ProjectMergeMethod) && m.BaseSHA != m.TargetSHA:
		// The target is an ancestor of the source exactly when it is their merge base.
		return "need_rebase"
	}
	return "mergeable"
}

// refreshBatch bounds how many merge requests one write transaction of a refresh updates: a
// push to a branch with many open merge requests takes the database's write lock in short
// turns (a millisecond or two), and other writes go between them.
const refreshBatch = 16

// maxRefreshRounds bounds how often a refresh takes up again the merge requests that changed
// while it computed theirs (another refresh or a merge got there first).
const maxRefreshRounds = 5

// refreshMergeRequests brings the open merge requests of the branches a push moved up to
// date: their tips, and a status to check again. One whose source tip the target now
// contains was merged by the push (outside cairn), and is marked merged by the pusher.
//
// The repository is read with no transaction open; each merge request is then written only if
// it is still open with the tips it was read with. Those that changed meanwhile are read and
// computed again: a refresh may run beside another one or beside a merge, and the last to
// write has read the newest tips.
func (s *Service) refreshMergeRequests(ctx context.Context, a *Actor, projectID int64,
	updates []gitstore.RefUpdate) error {
	var branches []string
	for _, u := range updates {
		if b, ok := strings.CutPrefix(u.Name, "refs/heads/"); ok {
			branches = append(branches, b)
		}
	}
	if len(branches) == 0 {
		return nil
	}
	list, err := db.OpenMergeRequestsOfBranches(ctx, s.db.Read, projectID, branches)
	if err != nil || len(list) == 0 {
		return err
	}
	repo, err := s.repos.OpenRepo(projectID)
	if err != nil {
		return err
	}
	defer repo.Close()
	for round := 1; ; round++ {
		refreshes, err := s.refreshedTips(ctx, a, repo, list)
		if err != nil {
			return err
		}
		moved, err := s.saveRefreshes(ctx, a, projectID, refreshes)
		if err != nil || len(moved) == 0 {
			return err
		}
		if round == maxRefreshRounds {
			return fmt.Errorf("%d merge requests kept changing while they were refreshed", len(moved))
		}
		list = list[:0]
		for _, id := range moved {
			m, err := db.MergeRequestByID(ctx, s.db.Read, id)
			if errors.Is(err, db.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if m.State == StateOpened {
				list = append(list, m)
			}
		}
		if len(list) == 0 {
			return nil
		}
	}
}

// tipRefresh is a merge request as a refresh read it and as the refresh would leave it.
type tipRefresh struct {
	was, next MergeRequest
}

// refreshedTips computes, from the repository's branches, the merge requests of list that a
// refresh changes. It reads git only.
func (s *Service) refreshedTips(ctx context.Context, a *Actor, repo *gitstore.Repo,
	list []MergeRequest) ([]tipRefresh, error) {
	branches, err := repo.Branches()
	if err != nil {
		return nil, err
	}
	tips := make(map[string]plumbing.Hash, len(branches))
	for _, b := range branches {
		tips[b.Name] = b.Target
	}
	now := s.Now()
	var out []tipRefresh
	for _, m := range list {
		head, hok := tips[m.SourceBranch]
		target, tok := tips[m.TargetBranch]
		headSHA, targetSHA := head.String(), target.String()
		if !hok {
			headSHA = m.HeadSHA // a deleted source keeps what it proposed
		}
		if !tok {
			targetSHA = ""
		}
		if headSHA == m.HeadSHA && targetSHA == m.TargetSHA && (hok || m.MergeStatus == MergeCannotBeMerged) {
			continue
		}
		next := m
		next.HeadSHA, next.TargetSHA, next.UpdatedAt = headSHA, targetSHA, now
		next.BaseSHA, next.MergeStatus, next.HasConflicts, next.ChangesCount = "", MergeUnchecked, false, nil
		if !hok {
			next.MergeStatus = MergeCannotBeMerged
		}
		if tok && next.HeadSHA != "" {
			in, err := repo.IsAncestor(ctx, plumbing.NewHash(next.HeadSHA), target)
			if err != nil && !errors.Is(err, gitstore.ErrRefNotFound) {
				return nil, err
			}
			if in {
				next.State, next.MergedAt, next.MergeStatus = StateMerged, &now, MergeCanBeMerged
				if a.SignedIn() {
					next.MergedBy = &User{ID: a.User.ID, Username: a.User.Username, Name: a.User.Name,
						State: a.User.State}
				}
			}
		}
		out = append(out, tipRefresh{was: m, next: next})
	}
	return out, nil
}

// saveRefreshes writes refreshes, refreshBatch to a transaction, each only if its merge
// request still has the tips it was read with, and returns the ids of those that had not.
func (s *Service) saveRefreshes(ctx context.Context, a *Actor, projectID int64,
	refreshes []tipRefresh) ([]int64, error) {
	var moved []int64
	for len(refreshes) > 0 {
		batch := refreshes[:min(refreshBatch, len(refreshes))]
		refreshes = refreshes[len(batch):]
		rows := make([]db.TipsRefresh, len(batch))
		for i, r := range batch {
			rows[i] = db.TipsRefresh{Next: r.next, Head: r.was.HeadSHA, Target: r.was.TargetSHA}
		}
		var skipped []int64
		err := s.db.Write(ctx, func(tx *sql.Tx) error {
			skipped = skipped[:0]
			written, err := db.RefreshMergeRequests(ctx, tx, rows)
			if err != nil {
				return err
			}
			for i, r := range batch {
				switch {
				case !written[i]:
					skipped = append(skipped, r.next.ID)
				case r.next.State == StateMerged:
					t := NoteTarget{typ: NoteableMergeRequest, id: r.next.ID, iid: r.next.IID,
						project: ProjectView{Project: Project{ID: projectID}}}
					if err := s.addSystemNote(ctx, tx, a, t, "merged manually", r.next.UpdatedAt); err != nil {
						return err
					}
					// A merge by a push is in the activity as one through the API is.
					if err := db.InsertEvent(ctx, tx,
						targetEvent(a.UserID(), projectID, ActionAccepted, NoteableMergeRequest,
							r.next.ID, r.next.IID, r.next.Title, r.next.UpdatedAt)); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		moved = append(moved, skipped...)
	}
	return moved, nil
}

// MergeMergeRequest merges an open merge request's source branch into its target, as the
// project's merge method says (merge: a merge commit; rebase_merge: a merge commit of a
// source that is a fast-forward; ff: a fast-forward only), squashing first when asked. The
// merge request is locked while the merge runs: a second merge, or a close, is refused
// until it ends, and a merge that does not happen leaves it open again. The target moves by
// compare-and-swap: a push racing the merge is never lost; the merge is redone on the new
// target instead. Failures: not open (or being merged), a draft or a missing source
// branch (not allowed), conflicts (ReasonMergeConflict), a source that a fast-forward-only
// project needs rebased (ReasonNeedRebase), a source that moved past opts.SHA
// (ReasonSHAMismatch), an actor who may not merge into the target (ReasonCannotMerge).
func (s *Issuables) MergeMergeRequest(ctx context.Context, a *Actor, projectRef Ref, ref MergeRequestRef,
	opts MergeOptions) (MergeRequest, error) {
	if err := checkMessage("merge_commit_message", opts.MergeCommitMessage); err != nil {
		return MergeRequest{}, err
	}
	if err := checkMessage("squash_commit_message", opts.SquashCommitMessage); err != nil {
		return MergeRequest{}, err
	}
	v, m, err := s.lockMergeRequest(ctx, a, projectRef, ref, false,
		func(v ProjectView, m MergeRequest, protection func(string) BranchProtection) error {
			if !protection(m.TargetBranch).AllowsMerge(v.Access) || v.Archived {
				return &Error{Code: EForbidden, Reason: ReasonCannotMerge, Resource: ResourceMergeRequest}
			}
			return nil
		})
	if err != nil {
		return MergeRequest{}, err
	}
	// Whatever stops the merge from here on (an error, a panic, a canceled request) opens
	// the merge request again; only the write that records the merge releases the lock.
	merged := false
	defer func() {
		if !merged {
			s.unlockMergeRequest(context.WithoutCancel(ctx), a, v, m)
		}
	}()
	repo, err := s.repos.OpenRepo(v.ID)
	if err != nil {
		return MergeRequest{}, err
	}
	defer repo.Close()
	squash := m.Squash
	if opts.Squash != nil {
		squash = *opts.Squash
	}
	if offered, forced := v.SquashChoice(); !offered {
		squash = forced
	}
	var done mergeOutcome
	for attempt := 0; ; attempt++ {
		done, err = s.mergeOnce(ctx, a, v, repo, m, opts, squash)
		if !errors.Is(err, gitstore.ErrStaleRef) || attempt+1 == maxMergeAttempts {
			break
		}
	}
	if errors.Is(err, gitstore.ErrStaleRef) {
		return MergeRequest{}, Conflictf("The target branch kept moving; try again")
	}
	if err != nil {
		return MergeRequest{}, err
	}
	// The target has moved: record the merge even if the caller has gone meanwhile.
	ctx = context.WithoutCancel(ctx)
	now := s.Now()
	err = s.db.Write(ctx, func(tx *sql.Tx) error {
		cur, err := s.findMergeRequest(ctx, tx, v, MergeRequestRef{N: m.ID, ByID: true})
		if err != nil {
			return err
		}
		if cur.State != StateLocked {
			// Only this merge releases its lock, so this is a lost lock, not a race.
			return fmt.Errorf("merge request %d is %s, not locked, after its merge", m.ID, cur.State)
		}
		m = cur
		m.State, m.MergedAt, m.UpdatedAt = StateMerged, &now, now
		m.MergedBy = &User{ID: a.User.ID, Username: a.User.Username, Name: a.User.Name, State: a.User.State}
		m.HeadSHA, m.TargetSHA, m.MergeStatus, m.HasConflicts = done.head.String(), done.target.String(), MergeCanBeMerged, false
		if !done.base.IsZero() {
			m.BaseSHA = done.base.String()
		}
		m.MergeCommitSHA, m.SquashCommitSHA, m.Squash = done.mergeCommit, done.squashCommit, squash
		if err := db.UpdateMergeRequest(ctx, tx, m); err != nil {
			return err
		}
		if err := db.InsertEvent(ctx, tx,
			targetEvent(a.User.ID, v.ID, ActionAccepted, NoteableMergeRequest, m.ID, m.IID, m.Title, now)); err != nil {
			return err
		}
		t := NoteTarget{typ: NoteableMergeRequest, id: m.ID, iid: m.IID, project: v}
		return s.addSystemNote(ctx, tx, a, t, "merged", now)
	})
	if err != nil {
		return MergeRequest{}, err
	}
	merged = true
	update := gitstore.RefUpdate{Name: "refs/heads/" + m.TargetBranch, Old: done.target, New: done.newTarget}
	if err := s.Projects.RecordPush(ctx, a, v.ID, []gitstore.RefUpdate{update}); err != nil {
		return MergeRequest{}, err
	}
	remove := m.RemoveSourceBranch
	if opts.RemoveSourceBranch != nil {
		remove = *opts.RemoveSourceBranch
	}
	if remove {
		s.removeMergedSource(ctx, a, v, m.SourceBranch, done.head)
	}
	return m, nil
}

// lockMergeRequest reads merge request ref for a merge or a rebase, checks with allowed
// what the actor may do there, and moves it from opened to locked, so that one merge or
// rebase runs on it at a time. One that is not open, is locked already, or (unless drafts)
// is a draft cannot be merged or rebased now (GitLab: 405). The caller unlocks it with
// unlockMergeRequest, unless its merge is recorded.
func (s *Service) lockMergeRequest(ctx context.Context, a *Actor, projectRef Ref, ref MergeRequestRef, drafts bool,
	allowed func(v ProjectView, m MergeRequest, protection func(string) BranchProtection) error) (ProjectView,
	MergeRequest, error) {
	if err := a.requireUser(NeedPulls); err != nil {
		return ProjectView{}, MergeRequest{}, err
	}
	v, m, err := s.visibleMergeRequest(ctx, a, projectRef, ref)
	if err != nil {
		return ProjectView{}, MergeRequest{}, err
	}
	protection, err := s.Repositories.BranchProtections(ctx, v.ID)
	if err != nil {
		return ProjectView{}, MergeRequest{}, err
	}
	if err := allowed(v, m, protection); err != nil {
		return ProjectView{}, MergeRequest{}, err
	}
	err = s.db.Write(ctx, func(tx *sql.Tx) error {
		ok, err := db.LockMergeRequest(ctx, tx, m.ID, drafts)
		if err != nil {
			return err
		}
		if !ok {
			return NotAllowedf("405 Method Not Allowed")
		}
		m, err = s.findMergeRequest(ctx, tx, v, MergeRequestRef{N: m.ID, ByID: true})
		return err
	})
	return v, m, err
}

// unlockMergeRequest opens a merge request again after a merge that did not happen, or a
// rebase, and brings its tips up to date: pushes made while it was locked passed it by.
func (s *Service) unlockMergeRequest(ctx context.Context, a *Actor, v ProjectView, m MergeRequest) {
	if err := db.UnlockMergeRequest(ctx, s.db.Writer(), m.ID); err != nil {
		s.log.Error("unlock merge request", "merge_request_id", m.ID, "err", err)
		return
	}
	branches := []gitstore.RefUpdate{{Name: "refs/heads/" + m.SourceBranch}, {Name: "refs/heads/" + m.TargetBranch}}
	if err := s.refreshMergeRequests(ctx, a, v.ID, branches); err != nil {
		s.log.Warn("refresh merge request after it was locked", "merge_request_id", m.ID, "err", err)
	}
}

// releaseMergeLocks opens again the merge requests whose merges a stopped process left
// locked, with their tips brought up to date (one whose source the target now contains is
// marked merged). A refresh that fails leaves the tips to catch up at the next push.
func (s *Service) releaseMergeLocks(ctx context.Context) error {
	ids, err := db.UnlockAllMergeRequests(ctx, s.db.Writer())
	if err != nil {
		return err
	}
	for _, id := range ids {
		s.log.Warn("reopening a merge request left locked by an interrupted merge", "merge_request_id", id)
		m, err := db.MergeRequestByID(ctx, s.db.Read, id)
		if err != nil {
			return fmt.Errorf("merge request %d: %w", id, err)
		}
		branches := []gitstore.RefUpdate{{Name: "refs/heads/" + m.SourceBranch}, {Name: "refs/heads/" + m.TargetBranch}}
		if err := s.refreshMergeRequests(ctx, Anonymous(""), m.ProjectID, branches); err != nil {
			s.log.Warn("refresh merge request left locked", "merge_request_id", id, "err", err)
		}
	}
	return nil
}

// CanMergeInto reports whether the actor may merge an open merge request now: it may merge
// into the target branch, and nothing known of the merge request (its state, draft, branches,
// conflicts, a source to rebase) stops the merge.
func (s *Issuables) CanMergeInto(ctx context.Context, a *Actor, m MergeRequest) bool {
	if !a.SignedIn() || a.Require(NeedPulls) != nil {
		return false
	}
	if status := DetailedMergeStatus(m); status != "mergeable" && status != "unchecked" {
		return false
	}
	v, err := s.Projects.ProjectByRef(ctx, a, ID(m.ProjectID))
	if err != nil || v.Archived {
		return false
	}
	protection, err := s.Repositories.BranchProtections(ctx, v.ID)
	return err == nil && protection(m.TargetBranch).AllowsMerge(v.Access)
}

// mergeOutcome is what one merge attempt did: the tips it merged and the commits it wrote.
type mergeOutcome struct {
	head, target, base, newTarget plumbing.Hash
	mergeCommit, squashCommit     string
}

// mergeOnce merges the current tips of m's branches and moves the target by
// compare-and-swap; gitstore.ErrStaleRef means the target moved meanwhile.
func (s *Service) mergeOnce(ctx context.Context, a *Actor, v ProjectView, repo *gitstore.Repo, m MergeRequest,
	opts MergeOptions, squash bool) (mergeOutcome, error) {
	var out mergeOutcome
	head, ok, err := repo.Reference("refs/heads/" + m.SourceBranch)
	if err != nil {
		return out, err
	}
	if !ok {
		return out, NotAllowedf("405 Method Not Allowed")
	}
	if opts.SHA != "" && opts.SHA != head.String() {
		return out, &Error{Code: EConflict, Reason: ReasonSHAMismatch,
			Message: "SHA does not match HEAD of source branch: " + head.String()}
	}
	target, ok, err := repo.Reference("refs/heads/" + m.TargetBranch)
	if err != nil {
		return out, err
	}
	if !ok {
		return out, NotAllowedf("405 Method Not Allowed")
	}
	out.head, out.target = head, target
	if fastForwardOnly(v.MergeMethod) {
		// Checked on the source itself, squashed or not, as DetailedMergeStatus does.
		ff, err := repo.CanFastForward(ctx, target, head)
		if err != nil {
			return out, err
		}
		if !ff {
			return out, &Error{Code: EConflict, Reason: ReasonNeedRebase,
				Message: "The source branch is not a fast-forward of the target branch; rebase it first"}
		}
	}
	bases, err := repo.MergeBases(ctx, target, head)
	if err != nil {
		return out, err
	}
	if len(bases) > 0 {
		out.base = bases[0]
	}
	now := s.Now()
	sig := s.actorSignature(a)
	sig.When = now
	spec := gitstore.MergeSpec{Author: sig}
	source := head
	if squash {
		spec.Message = opts.SquashCommitMessage
		if spec.Message == "" {
			spec.Message = m.Title // GitLab's default squash template
		}
		sq, err := repo.Squash(ctx, target, head, spec)
		if err != nil {
			return out, mergeError(err)
		}
		source, out.squashCommit = sq, sq.String()
	}
	switch v.MergeMethod {
	case "ff":
		out.newTarget = source // the source, or its squash on the target, is a fast-forward
	default:
		// merge, and rebase_merge: a merge commit even where a fast-forward would do.
		spec.Message = opts.MergeCommitMessage
		if spec.Message == "" {
			spec.Message = fmt.Sprintf("Merge branch '%s' into '%s'\n\n%s\n\nSee merge request %s!%d",
				m.SourceBranch, m.TargetBranch, m.Title, v.FullPath(), m.IID)
		}
		mc, err := repo.MergeCommit(ctx, target, source, spec)
		if err != nil {
			return out, mergeError(err)
		}
		out.newTarget = mc
		out.mergeCommit = mc.String()
	}
	err = s.repos.UpdateRefs(v.ID,
		[]gitstore.RefUpdate{{Name: "refs/heads/" + m.TargetBranch, Old: target, New: out.newTarget}})
	return out, err
}

// mergeError turns the merge engine's refusals into forge errors.
func mergeError(err error) error {
	switch {
	case errors.Is(err, gitstore.ErrMergeConflict):
		return &Error{Code: EConflict, Reason: ReasonMergeConflict, Message: "Branch cannot be merged", Err: err}
	case errors.Is(err, gitstore.ErrUnrelatedHistories), errors.Is(err, gitstore.ErrAlreadyMerged):
		return NotAllowedf("405 Method Not Allowed")
	}
	return err
}

// removeMergedSource deletes a merged source branch if it still points where it was merged
// and the actor may delete it; a failure leaves the branch, as GitLab does.
func (s *Service) removeMergedSource(ctx context.Context, a *Actor, v ProjectView, branch string, tip plumbing.Hash) {
	if branch == v.DefaultBranch || v.Access < Developer {
		return
	}
	protection, err := s.Repositories.BranchProtections(ctx, v.ID)
	if err != nil || protection(branch).Protected && v.Access < Maintainer {
		return
	}
	update := []gitstore.RefUpdate{{Name: "refs/heads/" + branch, Old: tip}}
	if err := s.repos.UpdateRefs(v.ID, update); err != nil {
		s.log.Info("source branch not removed after merge", "project_id", v.ID, "branch", branch, "err", err)
		return
	}
	if err := s.Projects.RecordPush(ctx, a, v.ID, update); err != nil {
		s.log.Warn("record removal of merged source branch", "project_id", v.ID, "err", err)
	}
}

// MergeRequestChanges returns the diff of a merge request: from the merge base of its
// branches (as last refreshed) to its source tip, with renames.
func (s *Issuables) MergeRequestChanges(ctx context.Context, a *Actor, projectRef Ref,
	ref MergeRequestRef) (MergeRequest, []FileDiff, error) {
	m, err := s.GetMergeRequest(ctx, a, projectRef, ref)
	if err != nil {
		return MergeRequest{}, nil, err
	}
	if err := a.Require(NeedReadCode); err != nil {
		return MergeRequest{}, nil, err
	}
	if m.HeadSHA == "" || m.BaseSHA == "" {
		return m, []FileDiff{}, nil
	}
	repo, err := s.repos.OpenRepo(m.ProjectID)
	if err != nil {
		return MergeRequest{}, nil, err
	}
	defer repo.Close()
	diffs, err := repo.Diff(ctx, plumbing.NewHash(m.BaseSHA), plumbing.NewHash(m.HeadSHA))
	if err != nil {
		return MergeRequest{}, nil, err
	}
	return m, diffs, nil
}

// MergeRequestCommits lists the commits a merge request brings, newest first: those of its
// source tip that its target (as last refreshed) lacks.
func (s *Issuables) MergeRequestCommits(ctx context.Context, a *Actor, projectRef Ref, ref MergeRequestRef,
	pg Page) ([]*Commit, int, error) {
	m, err := s.GetMergeRequest(ctx, a, projectRef, ref)
	if err != nil {
		return nil, 0, err
	}
	if err := a.Require(NeedReadCode); err != nil {
		return nil, 0, err
	}
	if m.HeadSHA == "" {
		return []*Commit{}, 0, nil
	}
	repo, err := s.repos.OpenRepo(m.ProjectID)
	if err != nil {
		return nil, 0, err
	}
	defer repo.Close()
	opts := gitstore.LogOptions{Include: []plumbing.Hash{plumbing.NewHash(m.HeadSHA)}}
	switch {
	case m.BaseSHA != "":
		opts.Exclude = []plumbing.Hash{plumbing.NewHash(m.BaseSHA)}
	case m.TargetSHA != "":
		opts.Exclude = []plumbing.Hash{plumbing.NewHash(m.TargetSHA)}
	}
	all, err := repo.Log(ctx, opts)
	if err != nil {
		return nil, 0, err
	}
	total := len(all)
	from := min(pg.offset(), total)
	to := total
	if l := pg.limit(); l > 0 {
		to = min(from+l, total)
	}
	return all[from:to], total, nil
}

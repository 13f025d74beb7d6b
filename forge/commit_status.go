package forge

import (
	"context"
	"database/sql"
	"errors"
	"sort"
	"strings"
	"time"

	"github.com/cairn-forge/cairn/db"
	"github.com/cairn-forge/cairn/gitstore"
	"github.com/go-git/go-git/v5/plumbing"
)

// The states of a commit status. A status is created, then reported pending, running and
// finally success, failed, canceled or skipped; a pipeline's status is the summary of its
// statuses' (PipelineStatus).
const (
	StatusCreated  = "created"
	StatusPending  = "pending"
	StatusRunning  = "running"
	StatusSuccess  = "success"
	StatusFailed   = "failed"
	StatusCanceled = "canceled"
	StatusSkipped  = "skipped"
)

// CommitStatus is what an external system (a CI server, a bot) reported about a commit under
// a name, on a ref.
type CommitStatus struct {
	ID         int64
	ProjectID  int64
	PipelineID int64
	SHA        string
	Ref        string
	Name       string
	Status     string
	// TargetURL, Description and Coverage are nil when never given.
	TargetURL   *string
	Description *string
	Coverage    *float64
	Author      User
	CreatedAt   time.Time
	StartedAt   *time.Time
	FinishedAt  *time.Time
}

// Pipeline groups the statuses of one commit on one ref; its Status summarises theirs.
type Pipeline struct {
	ID        int64
	IID       int64
	ProjectID int64
	SHA       string
	Ref       string
	Status    string
	// Source is "external": cairn runs no CI of its own; its pipelines are made by reports.
	Source    string
	User      User
	CreatedAt time.Time
	UpdatedAt time.Time
}

// CommitStatusInput is a report of a commit's status.
type CommitStatusInput struct {
	// SHA names the commit: an id, or any revision.
	SHA   string
	State string
	// Ref defaults to the ref of the commit's newest pipeline, else its first branch.
	Ref string
	// Name defaults to "default".
	Name        string
	TargetURL   *string
	Description *string
	Coverage    *float64
	// PipelineID attaches the status to that pipeline of the commit.
	PipelineID int64
}

// statusEvents are the events of GitLab's job state machine that each reported state fires,
// and the states each event leaves from. Reporting "running" first enqueues a new status,
// silently where it cannot be.
var statusEvents = map[string]struct {
	event string
	from  []string
	to    string
}{
	StatusPending:  {"enqueue", []string{StatusCreated}, StatusPending},
	StatusRunning:  {"run", []string{StatusPending}, StatusRunning},
	StatusSuccess:  {"success", []string{StatusCreated, StatusPending, StatusRunning}, StatusSuccess},
	StatusFailed:   {"drop", []string{StatusCreated, StatusPending, StatusRunning}, StatusFailed},
	StatusCanceled: {"cancel", []string{StatusCreated, StatusPending, StatusRunning}, StatusCanceled},
	StatusSkipped:  {"skip", []string{StatusCreated, StatusPending}, StatusSkipped},
}

// ValidStatusState reports whether state may be reported for a commit.
func ValidStatusState(state string) bool {
	_, ok := statusEvents[state]
	return ok
}

// transition moves c to state at now, or says why it cannot.
func (c *CommitStatus) transition(state string, now time.Time) error {
	ev := statusEvents[state]
	if state == StatusRunning && c.Status == StatusCreated {
		c.Status = StatusPending
	}
	if !containsString(ev.from, c.Status) {
		return &Error{Code: EInvalid, Reason: ReasonStatusTransition, Params: []string{ev.event, c.Status},
			Message: "a " + c.Status + " status cannot become " + state}
	}
	c.Status = ev.to
	switch ev.to {
	case StatusRunning:
		c.StartedAt = &now
	case StatusSuccess, StatusFailed, StatusCanceled, StatusSkipped:
		c.FinishedAt = &now
	}
	return nil
}

// PipelineStatus summarises the statuses of a pipeline's latest statuses as GitLab does
// (Gitlab::Ci::Status::Composite); "" when there are none.
func PipelineStatus(statuses []string) string {
	set := map[string]bool{}
	for _, s := range statuses {
		set[s] = true
	}
	only := func(names ...string) bool {
		n := 0
		for _, name := range names {
			if set[name] {
				n++
			}
		}
		return n > 0 && n == len(set)
	}
	switch {
	case len(set) == 0:
		return ""
	case only(StatusSkipped):
		return StatusSkipped
	case only(StatusSuccess, StatusSkipped):
		return StatusSuccess
	case only(StatusCreated):
		return StatusCreated
	case only(StatusCanceled, StatusSuccess, StatusSkipped):
		return StatusCanceled
	case only(StatusPending, StatusCreated, StatusSkipped):
		return StatusPending
	case set[StatusRunning] || set[StatusPending] || set[StatusCreated]:
		return StatusRunning
	}
	return StatusFailed
}

func commitStatusOf(r db.CommitStatus) CommitStatus {
	return CommitStatus{
		ID:          r.ID,
		ProjectID:   r.ProjectID,
		PipelineID:  r.PipelineID,
		SHA:         r.SHA,
		Ref:         r.Ref,
		Name:        r.Name,
		Status:      r.Status,
		TargetURL:   r.TargetURL,
		Description: r.Description,
		Coverage:    r.Coverage,
		Author:      r.Author,
		CreatedAt:   r.CreatedAt,
		StartedAt:   r.StartedAt,
		FinishedAt:  r.FinishedAt,
	}
}

func (c CommitStatus) row() db.CommitStatus {
	return db.CommitStatus{
		ID:          c.ID,
		ProjectID:   c.ProjectID,
		PipelineID:  c.PipelineID,
		SHA:         c.SHA,
		Ref:         c.Ref,
		Name:        c.Name,
		Status:      c.Status,
		TargetURL:   c.TargetURL,
		Description: c.Description,
		Coverage:    c.Coverage,
		Author:      c.Author,
		CreatedAt:   c.CreatedAt,
		UpdatedAt:   c.CreatedAt,
		StartedAt:   c.StartedAt,
		FinishedAt:  c.FinishedAt,
	}
}

func pipelineOf(r db.Pipeline) Pipeline {
	return Pipeline{
		ID:        r.ID,
		IID:       r.IID,
		ProjectID: r.ProjectID,
		SHA:       r.SHA,
		Ref:       r.Ref,
		Status:    r.Status,
		Source:    r.Source,
		User:      r.User,
		CreatedAt: r.CreatedAt,
		UpdatedAt: r.UpdatedAt,
	}
}

// statusProject returns the project of a commit status request: signed-in callers only, as
// GitLab's statuses API authenticates every request.
func (s *Service) statusProject(ctx context.Context, a *Actor, ref Ref, need Need) (ProjectView, error) {
	if err := a.requireUser(need); err != nil {
		return ProjectView{}, err
	}
	return s.visibleProject(ctx, a, ref)
}

// SetCommitStatus records a report of a commit's status. Developers may report, on refs
// they may push or merge to; a report moves the pending or running status the same user
// reported under the same name and ref, or starts a new one that replaces the older.
func (s *Repositories) SetCommitStatus(ctx context.Context, a *Actor, projectRef Ref,
	in CommitStatusInput) (CommitStatus, error) {
	v, err := s.statusProject(ctx, a, projectRef, NeedWrite)
	if err != nil {
		return CommitStatus{}, err
	}
	if v.Access < Developer || v.Archived {
		return CommitStatus{}, Forbidden()
	}
	if !ValidStatusState(in.State) {
		return CommitStatus{}, invalidValue("state")
	}
	if in.Name == "" {
		in.Name = "default"
	}
	fe := FieldErrors{}
	checkText(fe, "name", in.Name, limitName)
	if in.TargetURL != nil {
		checkWebURL(fe, "target_url", *in.TargetURL)
	}
	if in.Description != nil {
		checkText(fe, "description", *in.Description, limitName)
	}
	if err := fe.Err(); err != nil {
		return CommitStatus{}, err
	}
	sha, ref, err := s.statusTarget(ctx, v, in)
	if err != nil {
		return CommitStatus{}, err
	}
	if err := s.authorizeRefUpdate(ctx, v, ref); err != nil {
		return CommitStatus{}, err
	}
	now := s.Now()
	var id int64
	err = s.db.Write(ctx, func(tx *sql.Tx) error {
		pl, err := s.statusPipeline(ctx, tx, a, v, sha, ref, in.PipelineID, now)
		if err != nil {
			return err
		}
		c := CommitStatus{
			ProjectID:  v.ID,
			PipelineID: pl.ID,
			SHA:        sha,
			Ref:        pl.Ref,
			Name:       in.Name,
			Status:     StatusCreated,
			Author:     *a.User,
			CreatedAt:  now,
		}
		live, err := db.LiveCommitStatus(ctx, tx, pl.ID, in.Name, pl.Ref, a.User.ID)
		switch {
		case err == nil:
			c = commitStatusOf(live)
		case !errors.Is(err, db.ErrNotFound):
			return err
		}
		if in.TargetURL != nil {
			c.TargetURL = in.TargetURL
		}
		if in.Description != nil {
			c.Description = in.Description
		}
		if in.Coverage != nil {
			c.Coverage = in.Coverage
		}
		if err := c.transition(in.State, now); err != nil {
			return err
		}
		row := c.row()
		row.UpdatedAt = now
		if id, err = db.SaveCommitStatus(ctx, tx, row); err != nil {
			return err
		}
		latest, err := db.LatestStatusesOf(ctx, tx, pl.ID)
		if err != nil {
			return err
		}
		return db.SetPipelineStatus(ctx, tx, pl.ID, PipelineStatus(latest), now)
	})
	if err != nil {
		return CommitStatus{}, err
	}
	row, err := db.CommitStatusByID(ctx, s.db.Read, id)
	if err != nil {
		return CommitStatus{}, err
	}
	return commitStatusOf(row), nil
}

// statusTarget resolves the commit a report names and the ref it is about: the one given,
// else that of the commit's newest pipeline (of PipelineID, when given), else the first
// branch holding the commit.
func (s *Service) statusTarget(ctx context.Context, v ProjectView, in CommitStatusInput) (sha, ref string, err error) {
	repo, err := s.repos.OpenRepo(v.ID)
	if err != nil {
		return "", "", err
	}
	defer repo.Close()
	c, err := commitNamed(repo, in.SHA)
	if err != nil {
		return "", "", err
	}
	sha = c.ID.String()
	if in.Ref != "" {
		return sha, in.Ref, nil
	}
	pl, err := db.NewestPipeline(ctx, s.db.Read, v.ID, sha, "", in.PipelineID)
	switch {
	case err == nil:
		return sha, pl.Ref, nil
	case !errors.Is(err, db.ErrNotFound):
		return "", "", err
	}
	branches, err := branchesHolding(ctx, repo, c.ID)
	if err != nil {
		return "", "", err
	}
	if len(branches) == 0 {
		return "", "", NotFound(ResourceCommitRefs)
	}
	return sha, branches[0], nil
}

// branchesHolding lists, by name, the branches whose history holds commit h.
func branchesHolding(ctx context.Context, repo *gitstore.Repo, h plumbing.Hash) ([]string, error) {
	refs, err := repo.Branches()
	if err != nil {
		return nil, err
	}
	sort.Slice(refs, func(i, j int) bool { return refs[i].Name < refs[j].Name })
	var out []string
	for _, r := range refs {
		ok, err := repo.IsAncestor(ctx, h, r.Target)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, r.Name)
		}
	}
	return out, nil
}

// authorizeRefUpdate refuses reports on a protected branch to whoever may neither push nor
// merge to it, as GitLab refuses them the pipeline of that ref.
func (s *Service) authorizeRefUpdate(ctx context.Context, v ProjectView, ref string) error {
	protection, err := s.Repositories.BranchProtections(ctx, v.ID)
	if err != nil {
		return err
	}
	name := strings.TrimPrefix(ref, "refs/heads/")
	if p := protection(name); p.Protected && !p.AllowsPush(v.Access) && !p.AllowsMerge(v.Access) {
		return Forbidden()
	}
	return nil
}

// statusPipeline returns the pipeline a report goes to: the one named, else the commit's
// newest on ref, else a new one.
func (s *Service) statusPipeline(ctx context.Context, tx *sql.Tx, a *Actor, v ProjectView, sha, ref string,
	id int64, now time.Time) (db.Pipeline, error) {
	pl, err := db.NewestPipeline(ctx, tx, v.ID, sha, ref, id)
	switch {
	case err == nil:
		return pl, nil
	case !errors.Is(err, db.ErrNotFound):
		return db.Pipeline{}, err
	case id != 0:
		return db.Pipeline{}, NotFound(ResourcePipeline)
	}
	pl = db.Pipeline{
		ProjectID: v.ID,
		SHA:       sha,
		Ref:       ref,
		Status:    StatusCreated,
		Source:    "external",
		User:      *a.User,
		CreatedAt: now,
		UpdatedAt: now,
	}
	pl.ID, pl.IID, err = db.InsertPipeline(ctx, tx, pl)
	return pl, err
}

// CommitStatusListOptions filter a commit's statuses.
type CommitStatusListOptions struct {
	Ref  string
	Name string
	// All lists the statuses newer ones of their name replaced, too.
	All bool
}

// ListCommitStatuses lists the statuses reported for the commit rev names, oldest first:
// the latest of each name unless o.All. Those who may read the code may read them.
func (s *Repositories) ListCommitStatuses(ctx context.Context, a *Actor, projectRef Ref, rev string,
	o CommitStatusListOptions, pg Page) ([]CommitStatus, int, error) {
	if err := a.requireUser(NeedRead); err != nil {
		return nil, 0, err
	}
	v, repo, err := s.readRepo(ctx, a, projectRef)
	if err != nil {
		return nil, 0, err
	}
	c, err := commitNamed(repo, rev)
	repo.Close()
	if err != nil {
		return nil, 0, err
	}
	rows, total, err := db.ListCommitStatuses(ctx, s.db.Read, db.CommitStatusFilter{
		ProjectID: v.ID,
		SHA:       c.ID.String(),
		Ref:       o.Ref,
		Name:      o.Name,
		All:       o.All,
		Limit:     pg.limit(),
		Offset:    pg.offset(),
	})
	if err != nil {
		return nil, 0, err
	}
	out := make([]CommitStatus, len(rows))
	for i, r := range rows {
		out[i] = commitStatusOf(r)
	}
	return out, total, nil
}

// lastPipeline returns the newest pipeline of a project's commit, nil when it has none.
func (s *Service) lastPipeline(ctx context.Context, projectID int64, sha plumbing.Hash) (*Pipeline, error) {
	row, err := db.NewestPipeline(ctx, s.db.Read, projectID, sha.String(), "", 0)
	if errors.Is(err, db.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	p := pipelineOf(row)
	return &p, nil
}

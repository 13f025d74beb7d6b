package forge

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/cairn-forge/cairn/db"
	"github.com/cairn-forge/cairn/forge/model"
	"github.com/cairn-forge/cairn/gitstore"
	"github.com/go-git/go-git/v5/plumbing"
)

// Deployment is a deployment of a project's commit to one of its environments.
type Deployment = model.Deployment

// Deployment statuses. A deployment moves forward only: created → queued → running → one
// of the final three.
const (
	DeploymentCreated  = "created"
	DeploymentQueued   = "queued"
	DeploymentRunning  = "running"
	DeploymentSuccess  = "success"
	DeploymentFailed   = "failed"
	DeploymentCanceled = "canceled"
)

// DeploymentInput carries a deployment to create.
type DeploymentInput struct {
	// Environment names the environment; one that does not exist is created.
	Environment string
	// Ref is the branch, tag or sha deployed; it is resolved to a commit unless SHA is given.
	Ref string
	// SHA, when given, must be a commit of the project's repository.
	SHA *string
	// Tag says Ref is a tag; when nil, it is a tag if a tag of that name exists and no
	// branch does.
	Tag *bool
	// Status defaults to created, or queued where the server runs a deploy command.
	Status *string
	// Variables are handed to the deploy command as environment variables, each NAME as
	// CAIRN_VAR_NAME.
	Variables map[string]string
}

// DeploymentListOptions filter and order a project's deployments.
type DeploymentListOptions struct {
	// Environment keeps the deployments to the environment of that name.
	Environment string
	Status      string
	// OrderBy is id (default), iid, created_at, updated_at, finished_at or ref.
	OrderBy                                                    string
	Desc                                                       bool
	UpdatedAfter, UpdatedBefore, FinishedAfter, FinishedBefore *time.Time
}

// Limits of deployment variables.
const (
	maxDeploymentVariables = 100
	maxVariableValue       = 10 << 10
)

// variableName is what a variable's name may be: a POSIX shell name.
var variableName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,127}$`)

// checkVariables refuses variables that cannot be environment variables. They reach the
// deploy command under cairn's prefix (see deployEnv), so no name can change how the
// command, its shell or the tools it starts behave.
func checkVariables(vars map[string]string) error {
	if len(vars) > maxDeploymentVariables {
		return &Error{Code: EInvalid, Params: []string{"variables"}, Message: "variables has more than 100 entries"}
	}
	for k, v := range vars {
		switch {
		case !variableName.MatchString(k):
			return &Error{Code: EInvalid, Params: []string{"variables"},
				Message: fmt.Sprintf("variables: %q is not a valid variable name", k)}
		case len(v) > maxVariableValue || strings.IndexByte(v, 0) >= 0:
			return &Error{Code: EInvalid, Params: []string{"variables"},
				Message: fmt.Sprintf("variables: the value of %q is too long or holds a NUL byte", k)}
		}
	}
	return nil
}

// canMove reports whether a deployment may move from status from to status to.
func canMove(from, to string) bool {
	rank := map[string]int{
		DeploymentCreated:  0,
		DeploymentQueued:   1,
		DeploymentRunning:  2,
		DeploymentSuccess:  3,
		DeploymentFailed:   3,
		DeploymentCanceled: 3,
	}
	rf, okf := rank[from]
	rt, okt := rank[to]
	return okf && okt && rf < 3 && rt > rf
}

// validStatus reports whether s is a deployment status.
func validStatus(s string) bool {
	switch s {
	case DeploymentCreated, DeploymentQueued, DeploymentRunning, DeploymentSuccess, DeploymentFailed, DeploymentCanceled:
		return true
	}
	return false
}

// stamp sets d's status to status at now, with the time of the move.
func stamp(d *Deployment, status string, now time.Time) {
	d.Status, d.UpdatedAt = status, now
	switch status {
	case DeploymentQueued:
		d.QueuedAt = &now
	case DeploymentRunning:
		d.StartedAt = &now
	case DeploymentSuccess, DeploymentFailed, DeploymentCanceled:
		d.FinishedAt = &now
	}
}

// invalidRef is the error of a ref that names nothing in the repository, worded as the .git
// document words it ("Branch 'feature-x' not found").
func invalidRef(ref string, tag bool) *Error {
	kind := "Branch"
	switch {
	case tag:
		kind = "Tag"
	case len(ref) >= 7 && len(ref) <= 40 && strings.Trim(strings.ToLower(ref), "0123456789abcdef") == "":
		kind = "Commit"
	}
	return &Error{Code: EInvalid, Reason: ReasonInvalidRef, Params: []string{"ref"},
		Message: fmt.Sprintf("%s '%s' not found", kind, ref)}
}

// resolveDeployment finds the commit a new deployment names, and whether its ref is a tag.
func resolveDeployment(repo *gitstore.Repo, in DeploymentInput) (plumbing.Hash, bool, error) {
	ref := strings.TrimSpace(in.Ref)
	_, isBranch, err := repo.Reference("refs/heads/" + ref)
	if err != nil {
		return plumbing.ZeroHash, false, err
	}
	_, isTag, err := repo.Reference("refs/tags/" + ref)
	if err != nil {
		return plumbing.ZeroHash, false, err
	}
	tag := isTag && !isBranch
	if in.Tag != nil {
		tag = *in.Tag
	}
	if in.SHA != nil && strings.TrimSpace(*in.SHA) != "" {
		sha := strings.TrimSpace(*in.SHA)
		h, err := repo.Resolve(sha)
		if errors.Is(err, gitstore.ErrRefNotFound) {
			return plumbing.ZeroHash, false, &Error{Code: EInvalid, Reason: ReasonInvalidRef, Params: []string{"sha"},
				Message: fmt.Sprintf("Commit '%s' not found", sha)}
		}
		return h, tag, err
	}
	rev := ref
	if tag && isTag {
		rev = "refs/tags/" + ref
	}
	h, err := repo.Resolve(rev)
	if errors.Is(err, gitstore.ErrRefNotFound) {
		return plumbing.ZeroHash, false, invalidRef(ref, in.Tag != nil && *in.Tag)
	}
	return h, tag, err
}

// keyedMutex serializes work per key (an environment), so that two deployments of one
// environment finishing together each see the other as the one before.
type keyedMutex struct {
	mu   sync.Mutex
	keys map[int64]*keyedEntry
}

type keyedEntry struct {
	mu   sync.Mutex
	refs int
}

func (k *keyedMutex) lock(key int64) (unlock func()) {
	k.mu.Lock()
	if k.keys == nil {
		k.keys = map[int64]*keyedEntry{}
	}
	e := k.keys[key]
	if e == nil {
		e = &keyedEntry{}
		k.keys[key] = e
	}
	e.refs++
	k.mu.Unlock()
	e.mu.Lock()
	return func() {
		e.mu.Unlock()
		k.mu.Lock()
		if e.refs--; e.refs == 0 {
			delete(k.keys, key)
		}
		k.mu.Unlock()
	}
}

// deploymentShipped lists what a successful deployment d of its environment shipped since
// the environment's previous successful one.
func (s *Service) deploymentShipped(ctx context.Context, q db.Querier, d Deployment) ([]ShippedCommit, error) {
	prev, err := db.LastSuccessfulDeployment(ctx, q, d.EnvironmentID, d.ID)
	return s.shippedSince(ctx, d, prev, err)
}

// shippedSince lists the commits of deployment d that deployment prev had not shipped; err
// is what reading prev answered, where db.ErrNotFound means d is the first.
func (s *Service) shippedSince(ctx context.Context, d, prev Deployment, err error) ([]ShippedCommit, error) {
	var from plumbing.Hash
	switch {
	case err == nil:
		from = plumbing.NewHash(prev.SHA)
	case !errors.Is(err, db.ErrNotFound):
		return nil, err
	}
	repo, err := s.repos.OpenRepo(d.ProjectID)
	if err != nil {
		return nil, err
	}
	defer repo.Close()
	return shippedCommits(ctx, repo, plumbing.NewHash(d.SHA), from)
}

// CreateDeployment records a deployment of a project's commit to an environment, created
// with it when the project has none of that name; developers may. Where the server has a
// deploy command for the environment, the deployment is queued and the command moves it.
func (s *Delivery) CreateDeployment(ctx context.Context, a *Actor, projectRef Ref,
	in DeploymentInput) (Deployment, error) {
	v, err := s.deliveryProject(ctx, a, projectRef, Developer)
	if err != nil {
		return Deployment{}, err
	}
	envName := strings.TrimSpace(in.Environment)
	if envName == "" {
		return Deployment{}, Missing("environment")
	}
	if strings.TrimSpace(in.Ref) == "" {
		return Deployment{}, Missing("ref")
	}
	if problem := validateRefText(strings.TrimSpace(in.Ref)); problem != "" {
		e := invalidField("ref", problem)
		e.Reason = ReasonInvalidRef
		return Deployment{}, e
	}
	if err := checkVariables(in.Variables); err != nil {
		return Deployment{}, err
	}
	_, runner := s.deployCommand(v.FullPath(), envName)
	status := DeploymentCreated
	if runner {
		status = DeploymentQueued
	}
	if in.Status != nil {
		given := strings.TrimSpace(*in.Status)
		switch {
		case !validStatus(given):
			return Deployment{}, invalidValue("status")
		case runner && given != DeploymentCreated && given != DeploymentQueued && given != DeploymentRunning:
			return Deployment{}, &Error{Code: EInvalid, Params: []string{"status"},
				Message: fmt.Sprintf("status is set by the server's deploy command for environment %s", envName)}
		case !runner:
			status = given
		}
		// Where the command runs it, the deployment waits in the queue until a worker
		// starts it, whatever of created, queued or running the client said.
	}
	repo, err := s.repos.OpenRepo(v.ID)
	if err != nil {
		return Deployment{}, err
	}
	h, tag, err := resolveDeployment(repo, in)
	repo.Close()
	if err != nil {
		return Deployment{}, err
	}
	env, err := s.deploymentEnvironment(ctx, v, envName)
	if err != nil {
		return Deployment{}, err
	}
	now := s.Now()
	vars := map[string]string{}
	for k, val := range in.Variables {
		vars[k] = val
	}
	d := Deployment{
		ProjectID:     v.ID,
		EnvironmentID: env.ID,
		Environment:   env,
		Ref:           strings.TrimSpace(in.Ref),
		SHA:           h.String(),
		Tag:           tag,
		UserID:        a.UserID(),
		Variables:     vars,
		Runner:        runner,
		CreatedAt:     now,
		User:          User{ID: a.User.ID, Username: a.User.Username, Name: a.User.Name, State: a.User.State},
	}
	stamp(&d, status, now)
	var shipped []ShippedCommit
	if d.Status == DeploymentSuccess {
		unlock := s.delivery.envLocks.lock(env.ID)
		defer unlock()
		if shipped, err = s.deploymentShipped(ctx, s.db.Read, d); err != nil {
			return Deployment{}, err
		}
	}
	err = s.db.Write(ctx, func(tx *sql.Tx) error {
		e, err := db.EnvironmentByID(ctx, tx, env.ID)
		if err != nil {
			// Deleted since it was read: the deployment goes with it.
			return notFoundAs(err, ResourceEnvironment)
		}
		if d.Environment = e; e.State == EnvironmentStopped {
			// A deployment makes its environment available again, as in GitLab.
			d.Environment.State, d.Environment.UpdatedAt = EnvironmentAvailable, now
			if err := db.UpdateEnvironment(ctx, tx, d.Environment); err != nil {
				return err
			}
		}
		if d.ID, d.IID, err = db.InsertDeployment(ctx, tx, d); err != nil {
			return err
		}
		return db.InsertDeploymentCommits(ctx, tx, d, shipped)
	})
	if err != nil {
		return Deployment{}, err
	}
	if runner {
		s.delivery.pool.wake()
	}
	return d, nil
}

// deploymentEnvironment returns project v's environment of name, created when it has none,
// so that a deployment to a new environment knows its id (what serialises the successful
// deployments of one environment) before it is written.
func (s *Service) deploymentEnvironment(ctx context.Context, v ProjectView, name string) (Environment, error) {
	env, err := db.EnvironmentByName(ctx, s.db.Read, v.ID, name)
	if !errors.Is(err, db.ErrNotFound) {
		return env, err
	}
	if env, err = s.newEnvironment(v, name, EnvironmentInput{}); err != nil {
		return Environment{}, err
	}
	err = s.db.Write(ctx, func(tx *sql.Tx) error {
		// Another request may have made it meanwhile; under the write lock, look again.
		e, err := db.EnvironmentByName(ctx, tx, v.ID, name)
		switch {
		case err == nil:
			env = e
			return nil
		case errors.Is(err, db.ErrNotFound):
			return insertEnvironment(ctx, tx, &env)
		}
		return err
	})
	return env, err
}

// visibleDeployment reads deployment id of project v; another project's is not found.
func visibleDeployment(ctx context.Context, q db.Querier, v ProjectView, id int64) (Deployment, error) {
	d, err := db.DeploymentByID(ctx, q, id)
	if errors.Is(err, db.ErrNotFound) || err == nil && d.ProjectID != v.ID {
		return Deployment{}, NotFound("")
	}
	return d, err
}

// GetDeployment returns a deployment of a project by its (global) id.
func (s *Delivery) GetDeployment(ctx context.Context, a *Actor, projectRef Ref, id int64) (Deployment, error) {
	v, err := s.deliveryProject(ctx, a, projectRef, 0)
	if err != nil {
		return Deployment{}, err
	}
	return visibleDeployment(ctx, s.db.Read, v, id)
}

// DeploymentByID returns any deployment by its id, if the actor may read its project's
// deployments; otherwise it is not found.
func (s *Delivery) DeploymentByID(ctx context.Context, a *Actor, id int64) (Deployment, error) {
	if err := a.Require(NeedRead); err != nil {
		return Deployment{}, err
	}
	d, err := db.DeploymentByID(ctx, s.db.Read, id)
	if errors.Is(err, db.ErrNotFound) {
		return Deployment{}, NotFound("")
	}
	if err != nil {
		return Deployment{}, err
	}
	if _, err := s.deliveryProject(ctx, a, ID(d.ProjectID), 0); err != nil {
		if c := ErrorCode(err); c == ENotFound || c == EForbidden {
			return Deployment{}, NotFound("")
		}
		return Deployment{}, err
	}
	return d, nil
}

// ListDeployments lists one page of a project's deployments, oldest first by default.
func (s *Delivery) ListDeployments(ctx context.Context, a *Actor, projectRef Ref, o DeploymentListOptions,
	pg Page) ([]Deployment, int, error) {
	switch o.OrderBy {
	case "", "id", "iid", "created_at", "updated_at", "finished_at", "ref":
	default:
		return nil, 0, invalidValue("order_by")
	}
	if o.Status != "" && !validStatus(o.Status) && o.Status != "blocked" {
		return nil, 0, invalidValue("status")
	}
	v, err := s.deliveryProject(ctx, a, projectRef, 0)
	if err != nil {
		return nil, 0, err
	}
	f := db.DeploymentFilter{
		ProjectID:      v.ID,
		Status:         o.Status,
		OrderBy:        o.OrderBy,
		Desc:           o.Desc,
		UpdatedAfter:   o.UpdatedAfter,
		UpdatedBefore:  o.UpdatedBefore,
		FinishedAfter:  o.FinishedAfter,
		FinishedBefore: o.FinishedBefore,
		Limit:          pg.limit(),
		Offset:         pg.offset(),
	}
	if o.Status == "blocked" {
		// cairn has no approvals: nothing is ever blocked.
		return []Deployment{}, 0, nil
	}
	if o.Environment != "" {
		env, err := db.EnvironmentByName(ctx, s.db.Read, v.ID, o.Environment)
		if errors.Is(err, db.ErrNotFound) {
			return []Deployment{}, 0, nil
		}
		if err != nil {
			return nil, 0, err
		}
		f.EnvironmentID = env.ID
	}
	return db.ListDeployments(ctx, s.db.Read, f)
}

// DeploymentShippedCommits lists the commits a deployment shipped, newest first: recorded
// when it succeeded.
func (s *Delivery) DeploymentShippedCommits(ctx context.Context, a *Actor, projectRef Ref,
	id int64) ([]ShippedCommit, error) {
	v, err := s.deliveryProject(ctx, a, projectRef, 0)
	if err != nil {
		return nil, err
	}
	if _, err := visibleDeployment(ctx, s.db.Read, v, id); err != nil {
		return nil, err
	}
	return db.DeploymentCommits(ctx, s.db.Read, id)
}

// UpdateDeploymentStatus moves a deployment to status; developers may. Moves go forward
// only and final statuses are final. A deployment the server's deploy command runs may only
// be canceled (which stops its command).
func (s *Delivery) UpdateDeploymentStatus(ctx context.Context, a *Actor, projectRef Ref, id int64,
	status string) (Deployment, error) {
	v, err := s.deliveryProject(ctx, a, projectRef, Developer)
	if err != nil {
		return Deployment{}, err
	}
	status = strings.TrimSpace(status)
	if !validStatus(status) {
		return Deployment{}, invalidValue("status")
	}
	d, err := visibleDeployment(ctx, s.db.Read, v, id)
	if err != nil {
		return Deployment{}, err
	}
	if d.Runner && status != DeploymentCanceled {
		return Deployment{}, &Error{Code: EInvalid, Params: []string{"status"},
			Message: fmt.Sprintf(
				"status is set by the server's deploy command for environment %s; it may only be canceled",
				d.Environment.Name)}
	}
	return s.moveDeployment(ctx, d, status)
}

// moveDeployment moves d to status, recording what it shipped when it succeeds. The move is
// checked against the status d has in the database when it is written, so that of two
// racing moves (a cancel and the runner's claim, say) the second sees the first.
func (s *Service) moveDeployment(ctx context.Context, d Deployment, status string) (Deployment, error) {
	if !canMove(d.Status, status) {
		return Deployment{}, cannotMove(d.Status, status)
	}
	var shipped []ShippedCommit
	if status == DeploymentSuccess {
		unlock := s.delivery.envLocks.lock(d.EnvironmentID)
		defer unlock()
		var err error
		if shipped, err = s.deploymentShipped(ctx, s.db.Read, d); err != nil {
			return Deployment{}, err
		}
	}
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		cur, err := db.DeploymentByID(ctx, tx, d.ID)
		if err != nil {
			return notFoundAs(err, "")
		}
		if !canMove(cur.Status, status) {
			return cannotMove(cur.Status, status)
		}
		d = cur
		stamp(&d, status, s.Now())
		if _, err := db.MoveDeployment(ctx, tx, d, cur.Status); err != nil {
			return err
		}
		return db.InsertDeploymentCommits(ctx, tx, d, shipped)
	})
	if err != nil {
		return Deployment{}, err
	}
	if d.Runner && status == DeploymentCanceled {
		s.delivery.pool.cancel(d.ID, errDeployCanceled)
	}
	return d, nil
}

// cannotMove is the error of an illegal status move, as a validation error of status.
func cannotMove(from, to string) error {
	if from == to {
		return &Error{Code: EInvalid, Fields: map[string][]string{"status": {"is already " + to}}}
	}
	return &Error{Code: EInvalid,
		Fields: map[string][]string{"status": {fmt.Sprintf("cannot transition from %s to %s", from, to)}}}
}

// DeploymentLog is the output of a deployment's deploy command.
type DeploymentLog struct {
	Text string
	// Truncated says the output went past the size limit and the rest was dropped.
	Truncated bool
}

// GetDeploymentLog returns the log of a deployment's deploy command; reporters and above
// may read it (it may show its variables).
func (s *Delivery) GetDeploymentLog(ctx context.Context, a *Actor, projectRef Ref, id int64) (DeploymentLog, error) {
	v, err := s.deliveryProject(ctx, a, projectRef, 0)
	if err != nil {
		return DeploymentLog{}, err
	}
	if v.Access < Reporter {
		return DeploymentLog{}, Forbidden()
	}
	if _, err := visibleDeployment(ctx, s.db.Read, v, id); err != nil {
		return DeploymentLog{}, err
	}
	text, truncated, err := db.DeploymentLog(ctx, s.db.Read, id)
	return DeploymentLog{Text: text, Truncated: truncated}, err
}

// DeleteDeployment removes a deployment; maintainers may. As in GitLab, a running
// deployment and the one an environment is at (its latest success) stay. The successful
// deployment after a removed one takes over the commits it shipped, so that lead times
// count each commit once.
func (s *Delivery) DeleteDeployment(ctx context.Context, a *Actor, projectRef Ref, id int64) error {
	v, err := s.deliveryProject(ctx, a, projectRef, Maintainer)
	if err != nil {
		return err
	}
	d, err := visibleDeployment(ctx, s.db.Read, v, id)
	if ErrorCode(err) == ENotFound {
		return nothingToDelete("")
	}
	if err != nil {
		return err
	}
	// Under the environment's lock no success is recorded meanwhile, so the successes read
	// below hold when the write happens; d's own status is checked again in the write.
	unlock := s.delivery.envLocks.lock(d.EnvironmentID)
	defer unlock()
	if d.Status == DeploymentRunning {
		return &Error{Code: EInvalid, Reason: ReasonStateRefused, Message: "Cannot destroy running deployment"}
	}
	var next Deployment
	var shipped []ShippedCommit
	if d.Status == DeploymentSuccess {
		next, err = db.SuccessfulDeploymentAfter(ctx, s.db.Read, d)
		switch {
		case errors.Is(err, db.ErrNotFound):
			return &Error{Code: EInvalid, Reason: ReasonStateRefused,
				Message: "Deployment currently deployed to environment"}
		case err != nil:
			return err
		}
		// What next shipped, counted from the success before d.
		prev, err := db.SuccessfulDeploymentBefore(ctx, s.db.Read, next, d.ID)
		if shipped, err = s.shippedSince(ctx, next, prev, err); err != nil {
			return err
		}
	}
	return s.db.Write(ctx, func(tx *sql.Tx) error {
		// Under the write lock, where the runner claims queued deployments: one claimed
		// since it was read is running now, and stays.
		cur, err := db.DeploymentByID(ctx, tx, d.ID)
		if err != nil {
			return notFoundAs(err, "")
		}
		switch {
		case cur.Status == DeploymentRunning:
			return &Error{Code: EInvalid, Reason: ReasonStateRefused, Message: "Cannot destroy running deployment"}
		case cur.Status != d.Status:
			return Conflictf("The deployment moved to %s meanwhile; try again", cur.Status)
		}
		if err := db.DeleteDeployment(ctx, tx, d.ID); err != nil {
			return notFoundAs(err, "")
		}
		if next.ID == 0 {
			return nil
		}
		return db.ReplaceDeploymentCommits(ctx, tx, next, shipped)
	})
}

package forge

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/cairn-forge/cairn/db"
	"github.com/cairn-forge/cairn/forge/process"
	"github.com/go-git/go-git/v5/plumbing"
)

// The deploy runner: an administrator configures, on the server, a shell command per
// environment name and scope of projects (Config.DeployCommands). A deployment a command
// covers is queued; a worker of a bounded pool claims it (once: the claim is one UPDATE
// under the single writer), writes the deployment's commit to a temporary directory, runs
// the command there with a time limit, stores its output as the deployment's log, and moves
// the deployment to success or failed.

const (
	// runLogFlush is how often a running command's output reaches the database.
	runLogFlush = 250 * time.Millisecond
	// deployFinishTimeout bounds the final writes of a run, which happen even at shutdown.
	deployFinishTimeout = 10 * time.Second
)

// errDeployCanceled is the cause of a run stopped because its deployment was canceled.
var errDeployCanceled = errors.New("deployment canceled")

// deliveryState is the runner's state on the service: the worker pool and the locks of
// environments.
type deliveryState struct {
	envLocks keyedMutex
	pool     *workPool
}

func newDeliveryState(s *Service, workers int) *deliveryState {
	claim := func(ctx context.Context) (int64, bool, error) {
		return db.ClaimDeployment(ctx, s.db.Writer(), s.Now())
	}
	return &deliveryState{pool: newWorkPool("deployments", workers, &s.bg, s.log, claim, s.runDeployment)}
}

// flush stores what the log collected since the last flush.
func (s *Service) flushDeployLog(ctx context.Context, id int64, l *runLog) {
	text, truncated := l.take()
	if text == "" && !truncated {
		return
	}
	if err := db.AppendDeploymentLog(ctx, s.db.Writer(), id, text, truncated); err != nil {
		// The deployment may have gone with its environment; the run goes on regardless.
		s.log.Warn("store deploy log", "deployment_id", id, "err", err)
	}
}

// runDeployment runs the command of a claimed (running) deployment and moves it to its
// final status.
func (s *Service) runDeployment(ctx context.Context, id int64) {
	runCtx, keep, _, end := s.delivery.pool.begin(ctx, id)
	defer end()
	// Read after tracking: a cancel written before this read is seen here, and one written
	// after it finds the run tracked and stops it.
	d, err := db.DeploymentByID(keep, s.db.Read, id)
	if err != nil {
		s.log.Error("read a claimed deployment", "deployment_id", id, "err", err)
		return
	}
	if d.Status != DeploymentRunning {
		return
	}

	log := &runLog{}
	stopFlushing := every(runLogFlush, func() { s.flushDeployLog(keep, id, log) })
	status := s.execDeploy(runCtx, d, log)
	stopFlushing()
	final, cancel := finishing(keep, deployFinishTimeout)
	defer cancel()
	s.flushDeployLog(final, id, log)
	if _, err := s.moveDeployment(final, d, status); err != nil && ErrorCode(err) != EInvalid &&
		ErrorCode(err) != ENotFound {
		s.log.Error("finish a deployment", "deployment_id", id, "err", err)
	}
}

// execDeploy checks out the deployment's commit, runs the environment's command in it, and
// returns the status the deployment ends in.
func (s *Service) execDeploy(ctx context.Context, d Deployment, log *runLog) string {
	project, err := db.ProjectByID(ctx, s.db.Read, d.ProjectID)
	if err != nil {
		log.note("cannot read the deployment's project: %v", err)
		return s.stoppedStatus(ctx, DeploymentFailed, log)
	}
	// The command is looked up again: the project may have moved since it was queued, or
	// the server restarted with other commands.
	command, ok := s.deployCommand(project.FullPath(), d.Environment.Name)
	if !ok {
		log.note("no deploy command is configured for %s:%s any more", project.FullPath(), d.Environment.Name)
		return DeploymentFailed
	}
	log.note("deploying %s (%s) of %s to %s with the command of %s", d.SHA, d.Ref, project.FullPath(),
		d.Environment.Name, command)
	dir, remove, err := s.checkout(ctx, d.ProjectID, plumbing.NewHash(d.SHA), s.cfg.DeployDir, "cairn-deploy-")
	if err != nil {
		log.note("cannot check out %s: %v", d.SHA, err)
		return s.stoppedStatus(ctx, DeploymentFailed, log)
	}
	defer remove()

	end := s.runner.Run(ctx, process.Command{
		Args:    []string{"sh", "-c", command.Command},
		Dir:     dir,
		Env:     deployEnv(d, project),
		Stdout:  log,
		Stderr:  log,
		Timeout: s.cfg.DeployTimeout,
	})
	switch {
	case end.Stopped:
		return s.stoppedStatus(ctx, DeploymentFailed, log)
	case end.TimedOut:
		log.note("the deploy command ran out of time (%s); its processes were killed", s.cfg.DeployTimeout)
		return DeploymentFailed
	case end.Err == nil:
		log.note("the deploy command succeeded")
		return DeploymentSuccess
	}
	log.note("the deploy command %s", end.Describe())
	return DeploymentFailed
}

// stoppedStatus is the status of a run that ctx stopped (canceled through the API, or the
// server stopping), or otherwise def.
func (s *Service) stoppedStatus(ctx context.Context, def string, log *runLog) string {
	switch {
	case errors.Is(context.Cause(ctx), errDeployCanceled):
		log.note("the deployment was canceled; its processes were killed")
		return DeploymentCanceled
	case ctx.Err() != nil:
		log.note("cairn stopped while the deploy command ran; its processes were killed")
		return DeploymentFailed
	}
	return def
}

// deployEnv is the environment of a deploy command: the server's own, without cairn's
// settings (CAIRN_*: the admin token may be among them), then what describes the deployment,
// then its variables, each under the prefix CAIRN_VAR_ so that a deployer can set no
// variable the command or its tools read (PATH, LD_PRELOAD, GIT_CONFIG_*, NODE_OPTIONS...).
func deployEnv(d Deployment, project Project) []string {
	env := append(serverEnv(), "CAIRN_DEPLOY_REF="+d.Ref, "CAIRN_DEPLOY_SHA="+d.SHA,
		"CAIRN_DEPLOY_ENVIRONMENT="+d.Environment.Name, "CAIRN_DEPLOYMENT_ID="+strconv.FormatInt(d.ID, 10),
		"CAIRN_DEPLOY_TAG="+strconv.FormatBool(d.Tag), "CAIRN_PROJECT_ID="+strconv.FormatInt(project.ID, 10),
		"CAIRN_PROJECT_PATH="+project.FullPath())
	names := make([]string, 0, len(d.Variables))
	for k := range d.Variables {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		env = append(env, "CAIRN_VAR_"+k+"="+d.Variables[k])
	}
	return env
}

// recoverDeployments runs at start: deployments whose command was running when the server
// stopped fail (their processes are gone), and queued ones are picked up.
func (s *Service) recoverDeployments(ctx context.Context) error {
	running, err := db.RunnerDeployments(ctx, s.db.Read, DeploymentRunning)
	if err != nil {
		return fmt.Errorf("deployments left running: %w", err)
	}
	for _, id := range running {
		d, err := db.DeploymentByID(ctx, s.db.Read, id)
		if err != nil {
			return fmt.Errorf("deployment %d: %w", id, err)
		}
		log := &runLog{}
		log.note("cairn stopped while the deploy command ran")
		s.flushDeployLog(ctx, id, log)
		if _, err := s.moveDeployment(ctx, d, DeploymentFailed); err != nil && ErrorCode(err) != EInvalid {
			return fmt.Errorf("fail deployment %d: %w", id, err)
		}
	}
	queued, err := db.RunnerDeployments(ctx, s.db.Read, DeploymentQueued)
	if err != nil {
		return fmt.Errorf("queued deployments: %w", err)
	}
	if len(queued) > 0 {
		s.delivery.pool.wake()
	}
	return nil
}

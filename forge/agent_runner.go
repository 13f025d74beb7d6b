package forge

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/cairn-forge/cairn/db"
	"github.com/cairn-forge/cairn/gitstore"
	"github.com/go-git/go-git/v5/plumbing"
)

// The agent runner: a bounded pool of workers claims queued runs (one UPDATE each, under the
// single writer, so a run is claimed once even by several processes), runs each agent with
// the time limit, streams its log and findings to the database every agentFlush, and moves
// the run to its final status. A cancel is one UPDATE that any process may make: the worker
// running the run sees it at its next flush, or at once when the cancel came through its
// own process. At start, runs left running by a process that died are queued again (built-in
// agents, which only read and are idempotent) or failed with the reason (external ones,
// whose commands may have done half of something).

const (
	// agentFlush is how often a running agent's log and findings reach the database, and
	// how often the worker looks for a cancel made elsewhere.
	agentFlush = 250 * time.Millisecond
	// maxAgentFindings bounds the findings stored per run; more are counted in the log.
	maxAgentFindings = 1000
	// maxAgentAttempts bounds how often a built-in run interrupted by restarts runs again.
	maxAgentAttempts = 3
)

// agentFinishTimeout bounds the last writes of a run, made even at shutdown (a variable for
// the test that shows a long run still gets them).
var agentFinishTimeout = 10 * time.Second

// agentState is the runner's state on the service.
type agentState struct {
	pool *workPool
}

func newAgentState(s *Service, workers int) *agentState {
	claim := func(ctx context.Context) (int64, bool, error) {
		return db.ClaimAgentRun(ctx, s.db.Writer(), s.Now())
	}
	return &agentState{pool: newWorkPool("agent runs", workers, &s.bg, s.log, claim, s.runAgent)}
}

// agentJob is what an agent works with while it runs.
type agentJob struct {
	run     db.AgentRun
	project Project
	// requester is who asked for the run, as an actor without a token: the token's scope
	// was checked when the run was asked for.
	requester *Actor
	params    map[string]json.RawMessage
	log       *runLog

	mu       sync.Mutex
	pending  []db.AgentFinding
	found    int
	dropped  int
	result   any
	hasValue bool
}

// logf adds a line to the run's log.
func (j *agentJob) logf(format string, args ...any) {
	fmt.Fprintf(j.log, format+"\n", args...)
}

// find records a finding; past maxAgentFindings it is only counted.
func (j *agentJob) find(f AgentFinding) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.found >= maxAgentFindings {
		j.dropped++
		return
	}
	j.found++
	j.pending = append(j.pending, db.AgentFinding(f))
}

// takeFindings returns the findings recorded since the last take.
func (j *agentJob) takeFindings() []db.AgentFinding {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := j.pending
	j.pending = nil
	return out
}

// setResult records the run's result, stored as JSON when the run succeeds.
func (j *agentJob) setResult(v any) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.result, j.hasValue = v, true
}

// param decodes parameter name into dst; it reports whether it was given.
func (j *agentJob) param(name string, dst any) bool {
	raw, ok := j.params[name]
	if !ok {
		return false
	}
	return json.Unmarshal(raw, dst) == nil
}

// commit is the commit the run was asked for.
func (j *agentJob) commit() plumbing.Hash { return plumbing.NewHash(j.run.SHA) }

// flush stores the log and findings collected since the last flush and returns the run's
// status as stored.
func (s *Service) flushAgentRun(ctx context.Context, j *agentJob) (string, error) {
	id := j.run.ID
	if text, truncated := j.log.take(); text != "" || truncated {
		if err := db.AppendAgentRunLog(ctx, s.db.Writer(), id, text, truncated); err != nil {
			return "", err
		}
	}
	if fs := j.takeFindings(); len(fs) > 0 {
		err := s.db.Write(ctx, func(tx *sql.Tx) error { return db.AddAgentFindings(ctx, tx, id, fs) })
		if err != nil {
			return "", err
		}
	}
	return db.AgentRunStatus(ctx, s.db.Read, id)
}

// runAgent runs a claimed run and moves it to its final status.
func (s *Service) runAgent(ctx context.Context, id int64) {
	runCtx, keep, stop, end := s.agents.pool.begin(ctx, id)
	defer end()
	// Read after tracking: a cancel written before this read is seen here, and one written
	// after it finds the run tracked and stops it.
	r, err := db.AgentRunByID(keep, s.db.Read, id)
	if err != nil {
		s.log.Error("read a claimed agent run", "agent_run_id", id, "err", err)
		return
	}
	if r.Status != AgentRunning {
		return
	}
	j := &agentJob{run: r, log: &runLog{}}
	stopFlushing := every(agentFlush, func() {
		status, err := s.flushAgentRun(keep, j)
		if err != nil {
			s.log.Warn("store an agent run's progress", "agent_run_id", id, "err", err)
		} else if status != AgentRunning {
			stop(errAgentCanceled) // canceled through another process
		}
	})
	status, reason := s.execAgent(runCtx, j)
	stopFlushing()
	final, cancel := finishing(keep, agentFinishTimeout)
	defer cancel()
	if status == "" {
		// The server is stopping: the run goes back to the queue, or fails, as at a start
		// after a crash.
		if _, err := s.flushAgentRun(final, j); err != nil {
			s.log.Warn("store an agent run's progress", "agent_run_id", id, "err", err)
		}
		if err := s.interruptedAgentRun(final, r); err != nil {
			s.log.Error("interrupt an agent run", "agent_run_id", id, "err", err)
		}
		return
	}
	if j.dropped > 0 {
		j.log.note("%d more findings were not stored (a run keeps %d)", j.dropped, maxAgentFindings)
	}
	j.log.note("%s", reason)
	if _, err := s.flushAgentRun(final, j); err != nil {
		s.log.Warn("store an agent run's progress", "agent_run_id", id, "err", err)
	}
	result := ""
	if status == AgentSucceeded && j.hasValue {
		b, err := json.Marshal(j.result)
		if err != nil {
			status, reason = AgentFailed, fmt.Sprintf("the agent's result is not JSON: %v", err)
		}
		result = string(b)
	}
	if _, err := db.FinishAgentRun(final, s.db.Writer(), id, []string{AgentRunning}, status, reason, result,
		s.Now()); err != nil {
		s.log.Error("finish an agent run", "agent_run_id", id, "err", err)
	}
}

// execAgent runs the agent of a claimed run and returns the status it ends in and why; ""
// when ctx ended because the server is stopping.
func (s *Service) execAgent(ctx context.Context, j *agentJob) (status, reason string) {
	r := j.run
	p, err := db.ProjectByID(ctx, s.db.Read, r.ProjectID)
	if err != nil {
		return AgentFailed, fmt.Sprintf("cannot read the project: %v", err)
	}
	j.project = p
	if err := json.Unmarshal([]byte(r.Params), &j.params); err != nil {
		return AgentFailed, "the run's parameters are not a JSON object"
	}
	if r.User.ID != 0 {
		u, err := db.UserByID(ctx, s.db.Read, r.User.ID)
		if err == nil && u.State == "active" {
			j.requester = &Actor{User: &u}
		}
	}
	if j.requester == nil {
		return AgentFailed, "who asked for the run is no longer an active user"
	}
	timeout := s.cfg.AgentTimeout
	var run func(context.Context, *agentJob) error
	if b, ok := builtinByName(r.Agent); ok {
		run = func(ctx context.Context, j *agentJob) error { return b.run(s, ctx, j) }
	} else if e, ok := s.externalAgent(r.Agent); ok {
		run = func(ctx context.Context, j *agentJob) error { return s.runExternalAgent(ctx, e, j) }
		if e.Timeout > 0 {
			timeout = e.Timeout
		}
	} else {
		return AgentFailed, fmt.Sprintf("no agent named %q is configured any more", r.Agent)
	}
	j.log.note("running %s on %s at %s (%s)", r.Agent, p.FullPath(), r.SHA, describeTarget(r))
	tctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err = run(tctx, j)
	switch {
	case errors.Is(context.Cause(ctx), errAgentCanceled):
		return AgentCanceled, "the run was canceled; the agent was stopped"
	case ctx.Err() != nil:
		return "", ""
	case tctx.Err() != nil:
		return AgentTimedOut, fmt.Sprintf("the agent ran out of time (%s) and was stopped", timeout)
	case err != nil:
		var fe *Error
		if errors.As(err, &fe) && fe.Code != EInternal {
			return AgentFailed, fe.Message
		}
		return AgentFailed, err.Error()
	}
	return AgentSucceeded, "the agent succeeded"
}

func describeTarget(r db.AgentRun) string {
	if r.MergeRequestIID != 0 {
		return fmt.Sprintf("merge request !%d", r.MergeRequestIID)
	}
	return r.Ref
}

// interruptedAgentRun handles a run whose agent stopped with the server: a built-in one is
// queued again (up to maxAgentAttempts), an external one fails.
func (s *Service) interruptedAgentRun(ctx context.Context, r db.AgentRun) error {
	_, builtin := builtinByName(r.Agent)
	note := "[cairn] cairn stopped while the agent ran"
	switch {
	case builtin && r.Attempts < maxAgentAttempts:
		if err := db.AppendAgentRunLog(ctx, s.db.Writer(), r.ID, note+"; the run is queued again\n",
			false); err != nil {
			return err
		}
		return s.db.Write(ctx, func(tx *sql.Tx) error {
			_, err := db.RequeueAgentRun(ctx, tx, r.ID, s.Now())
			return err
		})
	case builtin:
		note = fmt.Sprintf("cairn stopped while the agent ran, %d times; the run is not tried again", r.Attempts)
	default:
		note = "cairn stopped while the external agent ran; its command may have done part of its work, so it is not run again"
		if r.Process != "" && s.killLeftover(r.Process) {
			note += "; what was left of its processes was killed"
		}
	}
	if err := db.AppendAgentRunLog(ctx, s.db.Writer(), r.ID, "[cairn] "+note+"\n", false); err != nil {
		return err
	}
	_, err := db.FinishAgentRun(ctx, s.db.Writer(), r.ID, []string{AgentRunning}, AgentFailed, note, "", s.Now())
	return err
}

// recoverAgentRuns runs at start: runs left running by a process that stopped are queued
// again or failed, and the workers start on the queue.
func (s *Service) recoverAgentRuns(ctx context.Context) error {
	running, err := db.AgentRunIDs(ctx, s.db.Read, AgentRunning)
	if err != nil {
		return fmt.Errorf("agent runs left running: %w", err)
	}
	for _, id := range running {
		r, err := db.AgentRunByID(ctx, s.db.Read, id)
		if err != nil {
			return fmt.Errorf("agent run %d: %w", id, err)
		}
		if err := s.interruptedAgentRun(ctx, r); err != nil {
			return fmt.Errorf("agent run %d: %w", id, err)
		}
	}
	queued, err := db.AgentRunIDs(ctx, s.db.Read, AgentQueued)
	if err != nil {
		return fmt.Errorf("queued agent runs: %w", err)
	}
	if len(queued) > 0 {
		s.agents.pool.wake()
	}
	return nil
}

// openJobRepo opens the run's repository, for built-in agents.
func (s *Service) openJobRepo(j *agentJob) (*gitstore.Repo, error) {
	return s.repos.OpenRepo(j.project.ID)
}

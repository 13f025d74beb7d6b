package db

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/cairn-forge/cairn/forge/model"
)

// AgentRun is a row of agent_runs with the user who asked for it (the ghost when the user
// was deleted) and the full path of its project.
type AgentRun struct {
	ID              int64
	ProjectID       int64
	ProjectPath     string
	Agent           string
	Ref             string
	SHA             string
	MergeRequestIID int64
	// Params is the JSON object of the run's parameters.
	Params string
	// Status is queued, running, succeeded, failed, canceled or timed_out.
	Status string
	Reason string
	// Result is the JSON the agent produced, "" when none.
	Result string
	User   model.User
	// Process is "PID KEY" while an external agent's command runs.
	Process      string
	Attempts     int
	FindingCount int
	CreatedAt    time.Time
	UpdatedAt    time.Time
	// StartedAt and FinishedAt are nil until the run started and ended.
	StartedAt, FinishedAt *time.Time
}

// AgentFinding is one finding of a run.
type AgentFinding struct {
	Path     string
	Line     int
	Severity string
	Rule     string
	Message  string
}

const agentRunColumns = `r.id, r.project_id, n.full_path || '/' || p.path, r.agent, r.ref, r.sha,
	r.merge_request_iid, r.params, r.status, r.reason, COALESCE(r.result, ''), ` + authorColumns + `,
	r.process, r.attempts, r.finding_count, r.created_at, r.updated_at, r.started_at, r.finished_at`

const agentRunFrom = ` FROM agent_runs r JOIN projects p ON p.id = r.project_id
	JOIN namespaces n ON n.id = p.namespace_id LEFT JOIN users au ON au.id = r.user_id`

func scanAgentRun(row interface{ Scan(...any) error }) (AgentRun, error) {
	var r AgentRun
	var created, updated int64
	var started, finished sql.NullInt64
	u := &r.User
	err := row.Scan(&r.ID, &r.ProjectID, &r.ProjectPath, &r.Agent, &r.Ref, &r.SHA, &r.MergeRequestIID,
		&r.Params, &r.Status, &r.Reason, &r.Result, &u.ID, &u.Username, &u.Name, &u.State,
		&r.Process, &r.Attempts, &r.FindingCount, &created, &updated, &started, &finished)
	if err != nil {
		return AgentRun{}, wrap(err)
	}
	r.CreatedAt, r.UpdatedAt = fromMS(created), fromMS(updated)
	r.StartedAt, r.FinishedAt = fromNullMS(started), fromNullMS(finished)
	return r, nil
}

// AgentRunByID returns the run with id.
func AgentRunByID(ctx context.Context, q Querier, id int64) (AgentRun, error) {
	return scanAgentRun(q.QueryRowContext(ctx, "SELECT "+agentRunColumns+agentRunFrom+" WHERE r.id = ?", id))
}

// AgentRunFilter selects runs; the project filter's visibility and membership fields say
// whose projects' runs are seen.
type AgentRunFilter struct {
	Projects  ProjectFilter
	ProjectID int64
	Agent     string
	Status    string
	// Desc lists the newest first (the default order is by id, oldest first).
	Desc   bool
	Limit  int
	Offset int
}

// ListAgentRuns returns one page of the runs matching f and how many match in all.
func ListAgentRuns(ctx context.Context, q Querier, f AgentRunFilter) ([]AgentRun, int, error) {
	var where []string
	var args []any
	if cond, cargs := projectAccessCond(f.Projects); cond != "" {
		where, args = append(where, cond), cargs
	}
	for _, c := range []struct {
		cond string
		arg  any
		set  bool
	}{
		{"r.project_id = ?", f.ProjectID, f.ProjectID != 0},
		{"r.agent = ?", f.Agent, f.Agent != ""},
		{"r.status = ?", f.Status, f.Status != ""},
	} {
		if c.set {
			where, args = append(where, c.cond), append(args, c.arg)
		}
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	return listPage(ctx, q, "SELECT COUNT(*)"+agentRunFrom+cond,
		"SELECT "+agentRunColumns+agentRunFrom+cond+orderBy("r.id", "r.id", f.Desc), args, f.Limit, f.Offset,
		scanAgentRun)
}

// InsertAgentRun adds a queued run and returns its id.
func InsertAgentRun(ctx context.Context, q Querier, r AgentRun) (int64, error) {
	res, err := q.ExecContext(ctx, `INSERT INTO agent_runs (project_id, agent, ref, sha, merge_request_iid,
		params, status, user_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?)`,
		r.ProjectID, r.Agent, r.Ref, r.SHA, r.MergeRequestIID, r.Params, nullID(r.User.ID), ms(r.CreatedAt),
		ms(r.CreatedAt))
	if err != nil {
		return 0, fmt.Errorf("insert agent run: %w", wrap(err))
	}
	return res.LastInsertId()
}

// ClaimAgentRun moves the oldest queued run to running and returns its id; ok is false
// when none is queued.
func ClaimAgentRun(ctx context.Context, q Querier, now time.Time) (id int64, ok bool, err error) {
	err = q.QueryRowContext(ctx, `UPDATE agent_runs SET status = 'running', started_at = ?, updated_at = ?,
		attempts = attempts + 1
		WHERE id = (SELECT id FROM agent_runs WHERE status = 'queued' ORDER BY id LIMIT 1)
		RETURNING id`, ms(now), ms(now)).Scan(&id)
	if err == sql.ErrNoRows {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("claim an agent run: %w", wrap(err))
	}
	return id, true, nil
}

// FinishAgentRun moves a run from one of the statuses in from to status, with its reason
// and result (NULL when ""); ok is false when it was in none of them.
func FinishAgentRun(ctx context.Context, q Querier, id int64, from []string, status, reason, result string,
	now time.Time) (ok bool, err error) {
	args := []any{status, reason, nullIfEmpty(result), ms(now), ms(now), id}
	for _, f := range from {
		args = append(args, f)
	}
	res, err := q.ExecContext(ctx, `UPDATE agent_runs SET status = ?, reason = ?, result = COALESCE(?, result),
		finished_at = ?, updated_at = ? WHERE id = ? AND status IN (`+placeholders(len(from))+`)`, args...)
	if err != nil {
		return false, fmt.Errorf("finish agent run %d: %w", id, wrap(err))
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// RequeueAgentRun puts a running run back in the queue, forgetting its findings; ok is
// false when it was not running.
func RequeueAgentRun(ctx context.Context, tx *sql.Tx, id int64, now time.Time) (ok bool, err error) {
	res, err := tx.ExecContext(ctx, `UPDATE agent_runs SET status = 'queued', started_at = NULL,
		finding_count = 0, updated_at = ? WHERE id = ? AND status = 'running'`, ms(now), id)
	if err != nil {
		return false, fmt.Errorf("requeue agent run %d: %w", id, wrap(err))
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM agent_findings WHERE run_id = ?`, id); err != nil {
		return false, fmt.Errorf("requeue agent run %d: %w", id, wrap(err))
	}
	return true, nil
}

// SetAgentRunProcess records the process of a run's external agent ("" once it ended).
func SetAgentRunProcess(ctx context.Context, q Querier, id int64, process string) error {
	if _, err := q.ExecContext(ctx, `UPDATE agent_runs SET process = ? WHERE id = ?`, process, id); err != nil {
		return fmt.Errorf("agent run %d: %w", id, wrap(err))
	}
	return nil
}

// AgentRunIDs lists the ids of the runs in status, oldest first.
func AgentRunIDs(ctx context.Context, q Querier, status string) ([]int64, error) {
	return queryAll(ctx, q, `SELECT id FROM agent_runs WHERE status = ? ORDER BY id`, []any{status}, scanInt64)
}

// AgentRunStatus returns the status of run id.
func AgentRunStatus(ctx context.Context, q Querier, id int64) (string, error) {
	var status string
	err := q.QueryRowContext(ctx, `SELECT status FROM agent_runs WHERE id = ?`, id).Scan(&status)
	return status, wrap(err)
}

// AppendAgentRunLog adds text to the log of run id.
func AppendAgentRunLog(ctx context.Context, q Querier, id int64, text string, truncated bool) error {
	if err := appendLog(ctx, q, "agent_run_logs", "run_id", id, text, truncated); err != nil {
		return fmt.Errorf("append to the log of agent run %d: %w", id, err)
	}
	return nil
}

// AgentRunLog returns the log of run id ("" when it has none yet).
func AgentRunLog(ctx context.Context, q Querier, id int64) (text string, truncated bool, err error) {
	return readLog(ctx, q, "agent_run_logs", "run_id", id)
}

// AddAgentFindings appends findings to run id, numbered after those it has.
func AddAgentFindings(ctx context.Context, tx *sql.Tx, id int64, findings []AgentFinding) error {
	var seq int
	if err := tx.QueryRowContext(ctx, `SELECT finding_count FROM agent_runs WHERE id = ?`, id).Scan(&seq); err != nil {
		return fmt.Errorf("findings of agent run %d: %w", id, wrap(err))
	}
	for _, f := range findings {
		seq++
		if _, err := tx.ExecContext(ctx, `INSERT INTO agent_findings (run_id, seq, path, line, severity, rule, message)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, id, seq, f.Path, f.Line, f.Severity, f.Rule, f.Message); err != nil {
			return fmt.Errorf("add a finding to agent run %d: %w", id, wrap(err))
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE agent_runs SET finding_count = ? WHERE id = ?`, seq, id); err != nil {
		return fmt.Errorf("findings of agent run %d: %w", id, wrap(err))
	}
	return nil
}

// AgentFindings lists the findings of run id in the order they were made.
func AgentFindings(ctx context.Context, q Querier, id int64) ([]AgentFinding, error) {
	return queryAll(ctx, q, `SELECT path, line, severity, rule, message FROM agent_findings
		WHERE run_id = ? ORDER BY seq`, []any{id}, func(row interface{ Scan(...any) error }) (AgentFinding, error) {
		var f AgentFinding
		err := row.Scan(&f.Path, &f.Line, &f.Severity, &f.Rule, &f.Message)
		return f, err
	})
}

// ProjectsByPathName lists the projects whose own path (not their namespace's) is name,
// compared without case, in id order.
func ProjectsByPathName(ctx context.Context, q Querier, name string, limit int) ([]model.Project, error) {
	return queryAll(ctx, q, "SELECT "+projectColumns+projectFrom+
		" WHERE p.path = ? COLLATE NOCASE ORDER BY p.id LIMIT ?", []any{name, limit}, scanProject)
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

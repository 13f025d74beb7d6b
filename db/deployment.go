package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/cairn-forge/cairn/forge/model"
)

const deploymentColumns = `d.id, d.iid, d.project_id, d.environment_id, d.ref, d.sha, d.tag, d.status,
	COALESCE(d.user_id, 0), ` + authorColumns + `, d.variables, d.runner, d.created_at, d.updated_at,
	d.queued_at, d.started_at, d.finished_at, ` + environmentColumns

const deploymentFrom = ` FROM deployments d JOIN environments e ON e.id = d.environment_id
	LEFT JOIN users au ON au.id = d.user_id`

func scanDeployment(row interface{ Scan(...any) error }) (model.Deployment, error) {
	var d model.Deployment
	var vars string
	var created, updated, envCreated, envUpdated int64
	var queued, started, finished sql.NullInt64
	u, e := &d.User, &d.Environment
	err := row.Scan(&d.ID, &d.IID, &d.ProjectID, &d.EnvironmentID, &d.Ref, &d.SHA, &d.Tag, &d.Status,
		&d.UserID, &u.ID, &u.Username, &u.Name, &u.State, &vars, &d.Runner, &created, &updated,
		&queued, &started, &finished,
		&e.ID, &e.ProjectID, &e.Name, &e.Slug, &e.Tier, &e.ExternalURL, &e.Description, &e.State, &envCreated,
		&envUpdated)
	if err != nil {
		return model.Deployment{}, wrap(err)
	}
	d.CreatedAt, d.UpdatedAt = fromMS(created), fromMS(updated)
	d.QueuedAt, d.StartedAt, d.FinishedAt = fromNullMS(queued), fromNullMS(started), fromNullMS(finished)
	e.CreatedAt, e.UpdatedAt = fromMS(envCreated), fromMS(envUpdated)
	d.Variables = map[string]string{}
	if err := json.Unmarshal([]byte(vars), &d.Variables); err != nil {
		return model.Deployment{}, fmt.Errorf("variables of deployment %d: %w", d.ID, err)
	}
	return d, nil
}

// DeploymentByID returns the deployment with id.
func DeploymentByID(ctx context.Context, q Querier, id int64) (model.Deployment, error) {
	return scanDeployment(q.QueryRowContext(ctx, "SELECT "+deploymentColumns+deploymentFrom+" WHERE d.id = ?", id))
}

// LastSuccessfulDeployment returns the newest successful deployment (by finish time) of
// environment envID other than exceptID.
func LastSuccessfulDeployment(ctx context.Context, q Querier, envID, exceptID int64) (model.Deployment, error) {
	return scanDeployment(q.QueryRowContext(ctx, "SELECT "+deploymentColumns+deploymentFrom+
		` WHERE d.environment_id = ? AND d.status = 'success' AND d.id <> ?
		ORDER BY d.finished_at DESC, d.id DESC LIMIT 1`, envID, exceptID))
}

// DeploymentFilter selects and orders a project's deployments.
type DeploymentFilter struct {
	ProjectID int64
	// EnvironmentID keeps one environment's deployments.
	EnvironmentID                                              int64
	Status                                                     string
	UpdatedAfter, UpdatedBefore, FinishedAfter, FinishedBefore *time.Time
	// OrderBy is id (default), iid, created_at, updated_at, finished_at or ref.
	OrderBy       string
	Desc          bool
	Limit, Offset int
}

// ListDeployments returns one page of a project's deployments and how many match.
func ListDeployments(ctx context.Context, q Querier, f DeploymentFilter) ([]model.Deployment, int, error) {
	where := []string{"d.project_id = ?"}
	args := []any{f.ProjectID}
	if f.EnvironmentID != 0 {
		where, args = append(where, "d.environment_id = ?"), append(args, f.EnvironmentID)
	}
	if f.Status != "" {
		where, args = append(where, "d.status = ?"), append(args, f.Status)
	}
	for _, c := range []struct {
		cond string
		t    *time.Time
	}{{"d.updated_at >= ?", f.UpdatedAfter}, {"d.updated_at <= ?", f.UpdatedBefore},
		{"d.finished_at >= ?", f.FinishedAfter}, {"d.finished_at <= ?", f.FinishedBefore}} {
		if c.t != nil {
			where, args = append(where, c.cond), append(args, ms(*c.t))
		}
	}
	cond := " WHERE " + strings.Join(where, " AND ")
	var total int
	if err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM deployments d"+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count deployments: %w", wrap(err))
	}
	col := "d.id"
	switch f.OrderBy {
	case "iid", "created_at", "updated_at", "ref":
		col = "d." + f.OrderBy
	}
	final := f.Status == "success" || f.Status == "failed" || f.Status == "canceled"
	if f.OrderBy == "finished_at" && final {
		// Finished deployments all have the time: the order is an index's.
		col = "d.finished_at"
	}
	order := orderBy(col, "d.id", f.Desc)
	if f.OrderBy == "finished_at" && !final {
		// Unfinished deployments come last either way.
		dir := " ASC"
		if f.Desc {
			dir = " DESC"
		}
		order = " ORDER BY d.finished_at IS NULL, d.finished_at" + dir + ", d.id" + dir
	}
	limit := f.Limit
	if limit <= 0 {
		limit = -1
	}
	// The page's ids are chosen on deployments alone; only those rows are joined.
	list, err := queryAll(ctx, q, "SELECT "+deploymentColumns+deploymentFrom+
		" WHERE d.id IN (SELECT d.id FROM deployments d"+
		cond+order+" LIMIT ? OFFSET ?)"+order, append(args, limit, f.Offset), scanDeployment)
	if err != nil {
		return nil, 0, fmt.Errorf("list deployments: %w", err)
	}
	return list, total, nil
}

func variablesJSON(v map[string]string) string {
	if len(v) == 0 {
		return "{}"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// InsertDeployment adds d, allocating its iid, and returns its id and iid.
func InsertDeployment(ctx context.Context, q Querier, d model.Deployment) (id, iid int64, err error) {
	err = q.QueryRowContext(ctx, `INSERT INTO deployments (project_id, iid, environment_id, ref, sha, tag, status,
		user_id, variables, runner, created_at, updated_at, queued_at, started_at, finished_at)
		VALUES (?, `+nextIID("deployments", "deployments")+`, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id, iid`,
		d.ProjectID, d.ProjectID, d.ProjectID, d.EnvironmentID, d.Ref, d.SHA, boolInt(d.Tag), d.Status,
		nullID(d.UserID), variablesJSON(d.Variables), boolInt(d.Runner), ms(d.CreatedAt), ms(d.UpdatedAt),
		msPtr(d.QueuedAt), msPtr(d.StartedAt), msPtr(d.FinishedAt)).Scan(&id, &iid)
	if err != nil {
		return 0, 0, fmt.Errorf("insert deployment: %w", wrap(err))
	}
	return id, iid, nil
}

// MoveDeployment writes the status, update time and status times of d, if its status in
// the database is still from; ok is false when it was not (someone moved it first).
func MoveDeployment(ctx context.Context, q Querier, d model.Deployment, from string) (ok bool, err error) {
	res, err := q.ExecContext(ctx, `UPDATE deployments SET status = ?, updated_at = ?, queued_at = ?, started_at = ?,
		finished_at = ? WHERE id = ? AND status = ?`, d.Status, ms(d.UpdatedAt), msPtr(d.QueuedAt),
		msPtr(d.StartedAt), msPtr(d.FinishedAt), d.ID, from)
	if err != nil {
		return false, fmt.Errorf("move deployment %d: %w", d.ID, wrap(err))
	}
	n, err := res.RowsAffected()
	return n == 1, wrap(err)
}

// ClaimDeployment moves the oldest deployment the runner has queued to running, at now, and
// returns its id; ok is false when none is queued. Under the one writer, two claims never
// take the same deployment.
func ClaimDeployment(ctx context.Context, q Querier, now time.Time) (id int64, ok bool, err error) {
	err = q.QueryRowContext(ctx, `UPDATE deployments SET status = 'running', started_at = ?, updated_at = ?
		WHERE id = (SELECT id FROM deployments WHERE runner = 1 AND status = 'queued' ORDER BY id LIMIT 1)
		RETURNING id`, ms(now), ms(now)).Scan(&id)
	if err == sql.ErrNoRows {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("claim a deployment: %w", wrap(err))
	}
	return id, true, nil
}

// RunnerDeployments lists the ids of the runner's deployments in status (queued or
// running), oldest first.
func RunnerDeployments(ctx context.Context, q Querier, status string) ([]int64, error) {
	return queryAll(ctx, q, "SELECT id FROM deployments WHERE runner = 1 AND status = ? ORDER BY id",
		[]any{status}, scanInt64)
}

// InsertDeploymentCommits records the commits deployment d shipped; d has finished.
func InsertDeploymentCommits(ctx context.Context, tx *sql.Tx, d model.Deployment, commits []model.ShippedCommit) error {
	if len(commits) > 0 && d.FinishedAt == nil {
		return fmt.Errorf("record commits of deployment %d: it has not finished", d.ID)
	}
	var finished int64
	if d.FinishedAt != nil {
		finished = ms(*d.FinishedAt)
	}
	return insertShipped(ctx, tx, "deployment_commits", "deployment_id", d.ID, commits,
		"project_id", d.ProjectID, "environment_id", d.EnvironmentID, "finished_at", finished)
}

// DeploymentCommits lists the commits deployment id shipped, newest first.
func DeploymentCommits(ctx context.Context, q Querier, id int64) ([]model.ShippedCommit, error) {
	return shipped(ctx, q, "deployment_commits", "deployment_id", id)
}

// AppendDeploymentLog adds text to the log of deployment id (creating it), and marks it
// truncated when truncated is set.
func AppendDeploymentLog(ctx context.Context, q Querier, id int64, text string, truncated bool) error {
	if err := appendLog(ctx, q, "deployment_logs", "deployment_id", id, text, truncated); err != nil {
		return fmt.Errorf("append to the log of deployment %d: %w", id, err)
	}
	return nil
}

// appendLog adds text to the row of a log table (deployment_logs, agent_run_logs) keyed by
// col = id, creating it, and marks it truncated when truncated is set.
func appendLog(ctx context.Context, q Querier, table, col string, id int64, text string, truncated bool) error {
	_, err := q.ExecContext(ctx, `INSERT INTO `+table+` (`+col+`, log, truncated) VALUES (?, ?, ?)
		ON CONFLICT (`+col+`) DO UPDATE SET log = log || excluded.log, truncated = MAX(truncated, excluded.truncated)`,
		id, text, boolInt(truncated))
	return wrap(err)
}

// readLog returns the row of a log table keyed by col = id ("" when there is none).
func readLog(ctx context.Context, q Querier, table, col string, id int64) (text string, truncated bool, err error) {
	err = q.QueryRowContext(ctx, "SELECT log, truncated FROM "+table+" WHERE "+col+" = ?", id).Scan(&text, &truncated)
	if err == sql.ErrNoRows {
		return "", false, nil
	}
	return text, truncated, wrap(err)
}

// DeploymentLog returns the log of deployment id ("" when it has none) and whether it was
// cut at its size limit.
func DeploymentLog(ctx context.Context, q Querier, id int64) (text string, truncated bool, err error) {
	return readLog(ctx, q, "deployment_logs", "deployment_id", id)
}

// SuccessfulDeploymentAfter returns the successful deployment of d's environment that
// finished next after d, the one whose shipped commits start where d's end.
func SuccessfulDeploymentAfter(ctx context.Context, q Querier, d model.Deployment) (model.Deployment, error) {
	if d.FinishedAt == nil {
		return model.Deployment{}, ErrNotFound
	}
	at := ms(*d.FinishedAt)
	return scanDeployment(q.QueryRowContext(ctx, "SELECT "+deploymentColumns+deploymentFrom+
		` WHERE d.environment_id = ? AND d.status = 'success' AND (d.finished_at > ? OR d.finished_at = ? AND d.id > ?)
		ORDER BY d.finished_at, d.id LIMIT 1`, d.EnvironmentID, at, at, d.ID))
}

// DeleteDeployment removes deployment id with its shipped commits and log.
func DeleteDeployment(ctx context.Context, q Querier, id int64) error {
	res, err := q.ExecContext(ctx, "DELETE FROM deployments WHERE id = ?", id)
	if err != nil {
		return fmt.Errorf("delete deployment %d: %w", id, wrap(err))
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return ErrNotFound
	}
	return nil
}

// ReplaceDeploymentCommits makes commits what deployment d shipped.
func ReplaceDeploymentCommits(ctx context.Context, tx *sql.Tx, d model.Deployment,
	commits []model.ShippedCommit) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM deployment_commits WHERE deployment_id = ?", d.ID); err != nil {
		return fmt.Errorf("clear commits of deployment %d: %w", d.ID, wrap(err))
	}
	return InsertDeploymentCommits(ctx, tx, d, commits)
}

// SuccessfulDeploymentBefore returns the successful deployment of d's environment, other
// than exceptID, that finished last before d.
func SuccessfulDeploymentBefore(ctx context.Context, q Querier, d model.Deployment,
	exceptID int64) (model.Deployment, error) {
	if d.FinishedAt == nil {
		return model.Deployment{}, ErrNotFound
	}
	at := ms(*d.FinishedAt)
	return scanDeployment(q.QueryRowContext(ctx, "SELECT "+deploymentColumns+deploymentFrom+
		` WHERE d.environment_id = ? AND d.status = 'success' AND d.id <> ? AND (d.finished_at < ? OR d.finished_at = ? AND d.id < ?)
		ORDER BY d.finished_at DESC, d.id DESC LIMIT 1`, d.EnvironmentID, exceptID, at, at, d.ID))
}

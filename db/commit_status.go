package db

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/cairn-forge/cairn/forge/model"
)

// Pipeline is a row of pipelines with the user who started it.
type Pipeline struct {
	ID        int64
	IID       int64
	ProjectID int64
	SHA       string
	Ref       string
	Status    string
	Source    string
	User      model.User
	CreatedAt time.Time
	UpdatedAt time.Time
}

const pipelineColumns = `pl.id, pl.iid, pl.project_id, pl.sha, pl.ref, pl.status, pl.source, ` + authorColumns + `,
	pl.created_at, pl.updated_at`

const pipelineFrom = ` FROM pipelines pl LEFT JOIN users au ON au.id = pl.user_id`

func scanPipeline(row interface{ Scan(...any) error }) (Pipeline, error) {
	var p Pipeline
	var created, updated int64
	u := &p.User
	err := row.Scan(&p.ID, &p.IID, &p.ProjectID, &p.SHA, &p.Ref, &p.Status, &p.Source,
		&u.ID, &u.Username, &u.Name, &u.State, &created, &updated)
	if err != nil {
		return Pipeline{}, wrap(err)
	}
	p.CreatedAt, p.UpdatedAt = fromMS(created), fromMS(updated)
	return p, nil
}

// NewestPipeline returns the newest pipeline of a project's commit sha, on ref unless ref is
// empty, and with id unless id is 0.
func NewestPipeline(ctx context.Context, q Querier, projectID int64, sha, ref string, id int64) (Pipeline, error) {
	where := []string{"pl.project_id = ?", "pl.sha = ?"}
	args := []any{projectID, sha}
	if ref != "" {
		where, args = append(where, "pl.ref = ?"), append(args, ref)
	}
	if id != 0 {
		where, args = append(where, "pl.id = ?"), append(args, id)
	}
	return scanPipeline(q.QueryRowContext(ctx, "SELECT "+pipelineColumns+pipelineFrom+
		" WHERE "+strings.Join(where, " AND ")+" ORDER BY pl.id DESC LIMIT 1", args...))
}

// InsertPipeline inserts p with the next iid of its project and returns its id and iid.
func InsertPipeline(ctx context.Context, tx *sql.Tx, p Pipeline) (id, iid int64, err error) {
	err = tx.QueryRowContext(ctx, `INSERT INTO pipelines (project_id, iid, sha, ref, status, source, user_id,
		created_at, updated_at)
		VALUES (?, (SELECT COALESCE(MAX(iid), 0) + 1 FROM pipelines WHERE project_id = ?), ?, ?, ?, ?, ?, ?, ?)
		RETURNING id, iid`,
		p.ProjectID, p.ProjectID, p.SHA, p.Ref, p.Status, p.Source, nullID(p.User.ID),
		ms(p.CreatedAt), ms(p.UpdatedAt)).Scan(&id, &iid)
	if err != nil {
		return 0, 0, fmt.Errorf("insert pipeline: %w", wrap(err))
	}
	return id, iid, nil
}

// SetPipelineStatus records a pipeline's status.
func SetPipelineStatus(ctx context.Context, tx *sql.Tx, id int64, status string, at time.Time) error {
	_, err := tx.ExecContext(ctx, "UPDATE pipelines SET status = ?, updated_at = ? WHERE id = ?", status, ms(at), id)
	if err != nil {
		return fmt.Errorf("set status of pipeline %d: %w", id, wrap(err))
	}
	return nil
}

// CommitStatus is a row of commit_statuses with its author.
type CommitStatus struct {
	ID          int64
	ProjectID   int64
	PipelineID  int64
	SHA         string
	Ref         string
	Name        string
	Status      string
	TargetURL   *string
	Description *string
	Coverage    *float64
	Author      model.User
	Retried     bool
	CreatedAt   time.Time
	UpdatedAt   time.Time
	StartedAt   *time.Time
	FinishedAt  *time.Time
}

const commitStatusColumns = `cs.id, cs.project_id, cs.pipeline_id, cs.sha, cs.ref, cs.name, cs.status,
	cs.target_url, cs.description, cs.coverage, ` + authorColumns + `, cs.retried, cs.created_at,
	cs.updated_at, cs.started_at, cs.finished_at`

const commitStatusFrom = ` FROM commit_statuses cs LEFT JOIN users au ON au.id = cs.author_id`

func scanCommitStatus(row interface{ Scan(...any) error }) (CommitStatus, error) {
	var c CommitStatus
	var created, updated int64
	var started, finished sql.NullInt64
	var target, desc sql.NullString
	var coverage sql.NullFloat64
	u := &c.Author
	err := row.Scan(&c.ID, &c.ProjectID, &c.PipelineID, &c.SHA, &c.Ref, &c.Name, &c.Status,
		&target, &desc, &coverage, &u.ID, &u.Username, &u.Name, &u.State, &c.Retried, &created,
		&updated, &started, &finished)
	if err != nil {
		return CommitStatus{}, wrap(err)
	}
	if target.Valid {
		c.TargetURL = &target.String
	}
	if desc.Valid {
		c.Description = &desc.String
	}
	if coverage.Valid {
		c.Coverage = &coverage.Float64
	}
	c.CreatedAt, c.UpdatedAt = fromMS(created), fromMS(updated)
	c.StartedAt, c.FinishedAt = fromNullMS(started), fromNullMS(finished)
	return c, nil
}

// LiveCommitStatus returns the pending or running status of pipeline named name on ref by
// author, the one a new report of that status moves.
func LiveCommitStatus(ctx context.Context, q Querier, pipelineID int64, name, ref string,
	author int64) (CommitStatus, error) {
	return scanCommitStatus(q.QueryRowContext(ctx, "SELECT "+commitStatusColumns+commitStatusFrom+
		` WHERE cs.pipeline_id = ? AND cs.name = ? AND cs.ref = ? AND cs.author_id = ?
		AND cs.status IN ('pending', 'running') ORDER BY cs.id DESC LIMIT 1`,
		pipelineID, name, ref, author))
}

// SaveCommitStatus inserts c (when its id is 0) or updates it, and returns its id. A new
// status retires the older ones of its pipeline with its name.
func SaveCommitStatus(ctx context.Context, tx *sql.Tx, c CommitStatus) (int64, error) {
	if c.ID != 0 {
		_, err := tx.ExecContext(ctx, `UPDATE commit_statuses SET status = ?, target_url = ?, description = ?,
			coverage = ?, updated_at = ?, started_at = ?, finished_at = ? WHERE id = ?`,
			c.Status, c.TargetURL, c.Description, c.Coverage, ms(c.UpdatedAt), msPtr(c.StartedAt),
			msPtr(c.FinishedAt), c.ID)
		if err != nil {
			return 0, fmt.Errorf("update commit status %d: %w", c.ID, wrap(err))
		}
		return c.ID, nil
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO commit_statuses (project_id, pipeline_id, sha, ref, name, status,
		target_url, description, coverage, author_id, created_at, updated_at, started_at, finished_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ProjectID, c.PipelineID, c.SHA, c.Ref, c.Name, c.Status, c.TargetURL, c.Description, c.Coverage,
		nullID(c.Author.ID), ms(c.CreatedAt), ms(c.UpdatedAt), msPtr(c.StartedAt), msPtr(c.FinishedAt))
	if err != nil {
		return 0, fmt.Errorf("insert commit status: %w", wrap(err))
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE commit_statuses SET retried = 1
		WHERE pipeline_id = ? AND name = ? AND id <> ? AND retried = 0`, c.PipelineID, c.Name, id); err != nil {
		return 0, fmt.Errorf("retire older commit statuses: %w", wrap(err))
	}
	return id, nil
}

// LatestStatusesOf returns the status of each latest (not retried) commit status of a
// pipeline.
func LatestStatusesOf(ctx context.Context, q Querier, pipelineID int64) ([]string, error) {
	return queryAll(ctx, q, "SELECT status FROM commit_statuses WHERE pipeline_id = ? AND retried = 0",
		[]any{pipelineID}, func(row interface{ Scan(...any) error }) (string, error) {
			var s string
			return s, wrap(row.Scan(&s))
		})
}

// CommitStatusByID returns the commit status with id.
func CommitStatusByID(ctx context.Context, q Querier, id int64) (CommitStatus, error) {
	return scanCommitStatus(
		q.QueryRowContext(ctx, "SELECT "+commitStatusColumns+commitStatusFrom+" WHERE cs.id = ?", id))
}

// CommitStatusFilter selects the statuses of one commit of a project.
type CommitStatusFilter struct {
	ProjectID int64
	SHA       string
	// Ref and Name keep the statuses of one ref, of one name.
	Ref  string
	Name string
	// All keeps the statuses that newer ones of their name replaced.
	All           bool
	Limit, Offset int
}

// ListCommitStatuses returns one page of a commit's statuses, oldest first, and how many
// match.
func ListCommitStatuses(ctx context.Context, q Querier, f CommitStatusFilter) ([]CommitStatus, int, error) {
	where := []string{"cs.project_id = ?", "cs.sha = ?"}
	args := []any{f.ProjectID, f.SHA}
	if !f.All {
		where = append(where, "cs.retried = 0")
	}
	if f.Ref != "" {
		where, args = append(where, "cs.ref = ?"), append(args, f.Ref)
	}
	if f.Name != "" {
		where, args = append(where, "cs.name = ?"), append(args, f.Name)
	}
	cond := " WHERE " + strings.Join(where, " AND ")
	return listPage(ctx, q, "SELECT COUNT(*) FROM commit_statuses cs"+cond,
		"SELECT "+commitStatusColumns+commitStatusFrom+cond+" ORDER BY cs.id", args, f.Limit, f.Offset,
		scanCommitStatus)
}

// CommitComment is a row of commit_comments with its author.
type CommitComment struct {
	ID        int64
	ProjectID int64
	SHA       string
	Author    model.User
	Note      string
	Path      *string
	Line      *int
	LineType  *string
	CreatedAt time.Time
}

const commitCommentColumns = `cc.id, cc.project_id, cc.sha, ` + authorColumns + `, cc.note, cc.path, cc.line,
	cc.line_type, cc.created_at`

const commitCommentFrom = ` FROM commit_comments cc LEFT JOIN users au ON au.id = cc.author_id`

func scanCommitComment(row interface{ Scan(...any) error }) (CommitComment, error) {
	var c CommitComment
	var created int64
	var path, lineType sql.NullString
	var line sql.NullInt64
	u := &c.Author
	if err := row.Scan(&c.ID, &c.ProjectID, &c.SHA, &u.ID, &u.Username, &u.Name, &u.State, &c.Note,
		&path, &line, &lineType, &created); err != nil {
		return CommitComment{}, wrap(err)
	}
	if path.Valid {
		c.Path = &path.String
	}
	if line.Valid {
		n := int(line.Int64)
		c.Line = &n
	}
	if lineType.Valid {
		c.LineType = &lineType.String
	}
	c.CreatedAt = fromMS(created)
	return c, nil
}

// InsertCommitComment inserts c and returns its id.
func InsertCommitComment(ctx context.Context, tx *sql.Tx, c CommitComment) (int64, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO commit_comments (project_id, sha, author_id, note, path, line,
		line_type, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ProjectID, c.SHA, nullID(c.Author.ID), c.Note, c.Path, c.Line, c.LineType, ms(c.CreatedAt))
	if err != nil {
		return 0, fmt.Errorf("insert commit comment: %w", wrap(err))
	}
	return res.LastInsertId()
}

// CommitCommentByID returns the commit comment with id.
func CommitCommentByID(ctx context.Context, q Querier, id int64) (CommitComment, error) {
	return scanCommitComment(
		q.QueryRowContext(ctx, "SELECT "+commitCommentColumns+commitCommentFrom+" WHERE cc.id = ?", id))
}

// ListCommitComments returns one page of the comments on a project's commit sha, oldest
// first, and how many there are.
func ListCommitComments(ctx context.Context, q Querier, projectID int64, sha string,
	limit, offset int) ([]CommitComment, int, error) {
	args := []any{projectID, sha}
	cond := " WHERE cc.project_id = ? AND cc.sha = ?"
	return listPage(ctx, q, "SELECT COUNT(*) FROM commit_comments cc"+cond,
		"SELECT "+commitCommentColumns+commitCommentFrom+cond+" ORDER BY cc.id", args, limit, offset, scanCommitComment)
}

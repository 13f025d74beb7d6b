package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/cairn-forge/cairn/forge/model"
)

// NoteableIssue is the type issues have as the target of notes and label links.
const NoteableIssue = "Issue"

// nextIID is the SQL of the next iid of kind in the project bound to its two parameters
// (both the project id): one more than the highest in table or deleted from it. It runs inside
// the INSERT of the row, which the single writer makes atomic.
func nextIID(table, kind string) string {
	return `1 + MAX(COALESCE((SELECT MAX(iid) FROM ` + table + ` WHERE project_id = ?), 0),
		COALESCE((SELECT last_iid FROM iid_floors WHERE project_id = ? AND kind = '` + kind + `'), 0))`
}

// RaiseIIDFloor records that iid of kind ("issues", "merge_requests") was deleted from a
// project, so that it is never handed out again.
func RaiseIIDFloor(ctx context.Context, tx *sql.Tx, projectID int64, kind string, iid int64) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO iid_floors (project_id, kind, last_iid) VALUES (?, ?, ?)
		ON CONFLICT (project_id, kind) DO UPDATE SET last_iid = MAX(last_iid, excluded.last_iid)`, projectID, kind, iid)
	if err != nil {
		return fmt.Errorf("raise iid floor of project %d: %w", projectID, wrap(err))
	}
	return nil
}

// authorColumns select the id, username, name and state of the user joined as au, standing
// in GitLab's ghost user when the row names nobody (the user was deleted).
const authorColumns = `COALESCE(au.id, 0), COALESCE(au.username, 'ghost'), COALESCE(au.name, 'Ghost User'),
	COALESCE(au.state, 'active')`

var (
	issueColumns = issuableColumns("i", NoteableIssue) + `, i.confidential, i.due_date`
	issueFrom    = issuableFrom("issues", "i")
)

func scanIssue(row interface{ Scan(...any) error }) (model.Issue, error) {
	var is model.Issue
	var sc issuableScan
	var due sql.NullString
	if err := row.Scan(append(sc.dest(&is.Issuable), &is.Confidential, &due)...); err != nil {
		return model.Issue{}, wrap(err)
	}
	sc.finish(&is.Issuable)
	if due.Valid {
		if d, err := time.Parse(time.DateOnly, due.String); err == nil {
			is.DueDate = &d
		}
	}
	return is, nil
}

// IssueByIID returns the issue of a project with iid, without its labels and assignees.
func IssueByIID(ctx context.Context, q Querier, projectID, iid int64) (model.Issue, error) {
	return scanIssue(
		q.QueryRowContext(ctx, "SELECT "+issueColumns+issueFrom+" WHERE i.project_id = ? AND i.iid = ?",
			projectID, iid))
}

// IssueByID returns the issue with global id, without its labels and assignees.
func IssueByID(ctx context.Context, q Querier, id int64) (model.Issue, error) {
	return scanIssue(q.QueryRowContext(ctx, "SELECT "+issueColumns+issueFrom+" WHERE i.id = ?", id))
}

// IssueFilter selects and orders issues. Zero fields do not restrict.
type IssueFilter struct {
	IssuableFilter
	// Confidential, when set, keeps only confidential (or only non-confidential) issues.
	Confidential *bool
}

// memberProjects is a subquery of the ids of projects user is a member of at minLevel or more.
func memberProjects(userID int64, minLevel int, now time.Time) (string, []any) {
	// Minimal access (5) to a group reaches none of its projects.
	minLevel = max(minLevel, 10)
	t := ms(now)
	return `SELECT project_id FROM project_members
			WHERE user_id = ? AND access_level >= ? AND (expires_at IS NULL OR expires_at > ?)
		UNION SELECT p.id FROM projects p WHERE p.namespace_id IN (WITH RECURSIVE g(id) AS (
			SELECT namespace_id FROM group_members
			WHERE user_id = ? AND access_level >= ? AND (expires_at IS NULL OR expires_at > ?)
			UNION SELECT c.id FROM namespaces c JOIN g ON c.parent_id = g.id) SELECT id FROM g)
		UNION SELECT p.id FROM projects p JOIN namespaces n ON n.id = p.namespace_id WHERE n.owner_id = ?`,
		[]any{userID, minLevel, t, userID, minLevel, t, userID}
}

// jsonInts encodes ids as a JSON array, so that a list of any length binds as one parameter
// (json_each) and the statement's text stays the same.
func jsonInts(ids []int64) string {
	b, _ := json.Marshal(ids)
	return string(b)
}

func jsonStrings(s []string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// where returns the conditions of f on issues i: those of every issuable, and which
// confidential issues its viewer sees.
func (f IssueFilter) where(count bool) ([]string, []any) {
	where, args := f.conditions(issueKind, count)
	if v := f.Viewer; v != nil {
		switch {
		case f.ProjectID != 0 && v.ProjectReporter:
		case v.UserID == 0:
			where = append(where, "i.confidential = 0")
		default:
			own := `i.confidential = 0 OR i.author_id = ?
				OR EXISTS (SELECT 1 FROM issue_assignees x WHERE x.issue_id = i.id AND x.user_id = ?)`
			args = append(args, v.UserID, v.UserID)
			if f.ProjectID == 0 {
				sub, subArgs := memberProjects(v.UserID, 20, v.Now)
				own += " OR i.project_id IN (" + sub + ")"
				args = append(args, subArgs...)
			}
			where = append(where, "("+own+")")
		}
	}
	if f.Confidential != nil {
		where = append(where, "i.confidential = ?")
		args = append(args, boolInt(*f.Confidential))
	}
	return where, args
}

// ListIssues returns one page of the issues matching f, with labels and assignees, and how
// many match in all.
func ListIssues(ctx context.Context, q Querier, f IssueFilter) ([]model.Issue, int, error) {
	where := func(count bool) ([]string, []any) { return f.where(count) }
	return listIssuables(ctx, q, issueKind, &f.IssuableFilter, where,
		func() (int, error) { return countIssues(ctx, q, f) }, scanIssue,
		func(list []model.Issue) error { return FillIssues(ctx, q, list) })
}

// projectAndStateOnly reports whether f selects a project's issues by state alone, which
// issue_counts counts.
func (f IssueFilter) projectAndStateOnly() bool {
	return f.ProjectID != 0 && f.labelIDs == nil && f.Confidential == nil && f.AuthorID == 0 && f.AssigneeID == 0 &&
		f.IIDs == nil && f.Search == "" && f.CreatedAfter == nil && f.CreatedBefore == nil &&
		f.UpdatedAfter == nil && f.UpdatedBefore == nil && !f.NoLabels && !f.AnyLabel
}

// countIssues counts the issues matching f. A project's
// list filtered by state alone is counted from issue_counts, which triggers keep, so that its
// cost does not grow with the project; anything else counts rows.
func countIssues(ctx context.Context, q Querier, f IssueFilter) (int, error) {
	if !f.projectAndStateOnly() {
		return countRows(ctx, q, issueKind, f.where)
	}
	var total int
	all := f.Viewer == nil || f.Viewer.ProjectReporter
	err := q.QueryRowContext(ctx, `SELECT COALESCE(SUM(n), 0) FROM issue_counts WHERE project_id = ?
		AND (? = '' OR state = ?) AND (? OR confidential = 0)`, f.ProjectID, f.State, f.State, all).Scan(&total)
	if err != nil || all || f.Viewer.UserID == 0 {
		return total, wrap(err)
	}
	// The confidential issues the viewer wrote or is assigned (issues_confidential finds them).
	var own int
	err = q.QueryRowContext(ctx, `SELECT COUNT(*) FROM issues i INDEXED BY issues_confidential
		WHERE i.project_id = ? AND i.confidential = 1
		AND (? = '' OR i.state = ?) AND (i.author_id = ?
			OR EXISTS (SELECT 1 FROM issue_assignees x WHERE x.issue_id = i.id AND x.user_id = ?))`,
		f.ProjectID, f.State, f.State, f.Viewer.UserID, f.Viewer.UserID).Scan(&own)
	return total + own, wrap(err)
}

// FillIssues reads the labels and assignees of issues, in two queries.
func FillIssues(ctx context.Context, q Querier, issues []model.Issue) error {
	return fillIssuables(ctx, q, issueKind, len(issues),
		func(i int) *model.Issuable { return &issues[i].Issuable }, nil)
}

func dateText(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UTC().Format(time.DateOnly)
}

// InsertIssue adds is, allocating its iid, and returns its id and iid; the issue's "opened"
// event is written with it (trigger issue_opened_event). It is one statement, atomic on its
// own: a caller that writes nothing else may run it on the writer (DB.Writer) rather than in
// a transaction.
func InsertIssue(ctx context.Context, q Querier, is model.Issue) (id, iid int64, err error) {
	err = q.QueryRowContext(ctx, `INSERT INTO issues (project_id, iid, title, description, state,
		author_id, confidential, due_date, created_at, updated_at) VALUES (?, `+nextIID("issues", "issues")+`,
		?, ?, ?, ?, ?, ?, ?, ?) RETURNING id, iid`,
		is.ProjectID, is.ProjectID, is.ProjectID, is.Title, is.Description, is.State, nullID(is.Author.ID),
		boolInt(is.Confidential), dateText(is.DueDate), ms(is.CreatedAt), ms(is.UpdatedAt)).Scan(&id, &iid)
	if err != nil {
		return 0, 0, fmt.Errorf("insert issue: %w", wrap(err))
	}
	return id, iid, nil
}

// UpdateIssue writes the changeable columns of is: title, description, state, confidential,
// due date, closer and closing time, update time.
func UpdateIssue(ctx context.Context, tx *sql.Tx, is model.Issue) error {
	var closer int64
	if is.ClosedBy != nil {
		closer = is.ClosedBy.ID
	}
	_, err := tx.ExecContext(ctx, `UPDATE issues SET title = ?, description = ?, state = ?, confidential = ?,
		due_date = ?, closed_by_id = ?, closed_at = ?, updated_at = ? WHERE id = ?`,
		is.Title, is.Description, is.State, boolInt(is.Confidential), dateText(is.DueDate), nullID(closer),
		msPtr(is.ClosedAt), ms(is.UpdatedAt), is.ID)
	if err != nil {
		return fmt.Errorf("update issue %d: %w", is.ID, wrap(err))
	}
	return nil
}

// DeleteIssue removes is; its notes, label links and assignees go with it, and its iid is
// never handed out again.
func DeleteIssue(ctx context.Context, tx *sql.Tx, is model.Issue) error {
	return deleteIssuable(ctx, tx, issueKind, is.Issuable)
}

// AddIssueAssignees assigns users to issue id.
func AddIssueAssignees(ctx context.Context, tx *sql.Tx, id int64, userIDs []int64) error {
	_, err := tx.ExecContext(ctx,
		"INSERT OR IGNORE INTO issue_assignees (issue_id, user_id) SELECT ?, value FROM json_each(?)",
		id, jsonInts(userIDs))
	if err != nil {
		return fmt.Errorf("assign issue %d: %w", id, wrap(err))
	}
	return nil
}

// SetIssueAssignees replaces the assignees of issue id.
func SetIssueAssignees(ctx context.Context, tx *sql.Tx, id int64, userIDs []int64) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM issue_assignees WHERE issue_id = ?", id); err != nil {
		return fmt.Errorf("clear assignees of issue %d: %w", id, wrap(err))
	}
	return AddIssueAssignees(ctx, tx, id, userIDs)
}

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

// Issue is a row of issues with what renders it: its author and closer (id, username, name
// and state only; a deleted user is the ghost), its project's full path, its labels' names,
// its assignees and how many notes people (not the system) wrote on it.
type Issue struct {
	ID           int64
	ProjectID    int64
	IID          int64
	Title        string
	Description  string
	State        string
	Author       model.User
	Confidential bool
	// DueDate is a date (midnight UTC), nil when unset.
	DueDate   *time.Time
	ClosedBy  *model.User
	ClosedAt  *time.Time
	CreatedAt time.Time
	UpdatedAt time.Time

	ProjectPath    string
	Labels         []string
	Assignees      []model.User
	UserNotesCount int
}

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

const issueColumns = `i.id, i.project_id, i.iid, i.title, i.description, i.state, ` + authorColumns + `,
	i.confidential, i.due_date, cu.id, cu.username, cu.name, cu.state, i.closed_at, i.created_at, i.updated_at,
	(SELECT COUNT(*) FROM notes nt WHERE nt.noteable_type = 'Issue' AND nt.noteable_id = i.id AND nt.system = 0),
	n.full_path || '/' || p.path`

const issueFrom = ` FROM issues i JOIN projects p ON p.id = i.project_id JOIN namespaces n ON n.id = p.namespace_id
	LEFT JOIN users au ON au.id = i.author_id LEFT JOIN users cu ON cu.id = i.closed_by_id`

func scanIssue(row interface{ Scan(...any) error }) (Issue, error) {
	var is Issue
	var due sql.NullString
	var closerID sql.NullInt64
	var closerUsername, closerName, closerState sql.NullString
	var closed sql.NullInt64
	var created, updated int64
	a := &is.Author
	err := row.Scan(&is.ID, &is.ProjectID, &is.IID, &is.Title, &is.Description, &is.State,
		&a.ID, &a.Username, &a.Name, &a.State, &is.Confidential, &due,
		&closerID, &closerUsername, &closerName, &closerState, &closed, &created, &updated,
		&is.UserNotesCount, &is.ProjectPath)
	if err != nil {
		return Issue{}, wrap(err)
	}
	if due.Valid {
		if d, err := time.Parse(time.DateOnly, due.String); err == nil {
			is.DueDate = &d
		}
	}
	if closerID.Valid {
		is.ClosedBy = &model.User{ID: closerID.Int64, Username: closerUsername.String, Name: closerName.String, State: closerState.String}
	}
	is.ClosedAt, is.CreatedAt, is.UpdatedAt = fromNullMS(closed), fromMS(created), fromMS(updated)
	is.Labels, is.Assignees = []string{}, []model.User{}
	return is, nil
}

// IssueByIID returns the issue of a project with iid, without its labels and assignees.
func IssueByIID(ctx context.Context, q Querier, projectID, iid int64) (Issue, error) {
	return scanIssue(q.QueryRowContext(ctx, "SELECT "+issueColumns+issueFrom+" WHERE i.project_id = ? AND i.iid = ?", projectID, iid))
}

// IssueByID returns the issue with global id, without its labels and assignees.
func IssueByID(ctx context.Context, q Querier, id int64) (Issue, error) {
	return scanIssue(q.QueryRowContext(ctx, "SELECT "+issueColumns+issueFrom+" WHERE i.id = ?", id))
}

// IssueFilter selects and orders issues. Zero fields do not restrict.
type IssueFilter struct {
	// ProjectID keeps one project's issues; 0 lists every project's.
	ProjectID int64
	// Viewer, when set, keeps what one user may see; nil is everything (administrators).
	Viewer *IssueViewer
	// Confidential, when set, keeps only confidential (or only non-confidential) issues.
	Confidential *bool

	State    string
	AuthorID int64
	// AssigneeID keeps issues assigned to that user; NoAssignee and AnyAssignee select
	// issues with none and with some.
	AssigneeID int64
	// Labels keeps issues that carry every one of the names. NoLabels and AnyLabel select
	// issues with none and with some.
	Labels   []string
	NoLabels bool
	AnyLabel bool
	IIDs     []int64
	Search   string
	// labelIDs are the ids of the labels named Labels (in every project, across projects),
	// of which an issue must carry labelCount; ListIssues resolves them.
	labelIDs   []int64
	labelCount int

	CreatedAfter, CreatedBefore, UpdatedAfter, UpdatedBefore *time.Time

	// OrderBy is one of created_at, updated_at, title, due_date.
	OrderBy string
	Desc    bool
	Limit   int
	Offset  int
}

// Assignee filters that are not user ids.
const (
	NoAssignee  int64 = -1
	AnyAssignee int64 = -2
)

// IssueViewer is who a list is for. Across projects (no ProjectID), they see the issues of
// projects with one of Visibilities or of which they are a member (directly, through a group
// or as the owner of the personal namespace). Of confidential issues they see those they
// wrote or are assigned, and all of the projects they are a reporter (or more) of; in one
// project, ProjectReporter says whether they are. UserID 0 is an anonymous viewer.
type IssueViewer struct {
	UserID          int64
	Visibilities    []string
	ProjectReporter bool
	Now             time.Time
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

// where returns the conditions of f on issues i. For counting, issues with labels are
// reached through the labels' links: the unary + keeps SQLite from walking the whole project,
// which suits a page (it stops after a few) but not a count.
func (f IssueFilter) where(count bool) (string, []any) {
	var where []string
	var args []any
	if f.ProjectID != 0 {
		if count && f.labelIDs != nil {
			where = append(where, "+i.project_id = ?")
		} else {
			where = append(where, "i.project_id = ?")
		}
		args = append(args, f.ProjectID)
	}
	if v := f.Viewer; v != nil {
		if f.ProjectID == 0 {
			or := []string{"i.project_id IN (SELECT id FROM projects WHERE visibility IN (SELECT value FROM json_each(?)))"}
			args = append(args, jsonStrings(v.Visibilities))
			if v.UserID != 0 {
				sub, subArgs := memberProjects(v.UserID, 0, v.Now)
				or = append(or, "i.project_id IN ("+sub+")")
				args = append(args, subArgs...)
			}
			where = append(where, "("+strings.Join(or, " OR ")+")")
		}
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
	if f.State != "" {
		where = append(where, "i.state = ?")
		args = append(args, f.State)
	}
	if f.AuthorID != 0 {
		where = append(where, "i.author_id = ?")
		args = append(args, f.AuthorID)
	}
	switch {
	case f.AssigneeID == NoAssignee:
		where = append(where, "NOT EXISTS (SELECT 1 FROM issue_assignees x WHERE x.issue_id = i.id)")
	case f.AssigneeID == AnyAssignee:
		where = append(where, "EXISTS (SELECT 1 FROM issue_assignees x WHERE x.issue_id = i.id)")
	case f.AssigneeID > 0:
		where = append(where, "EXISTS (SELECT 1 FROM issue_assignees x WHERE x.issue_id = i.id AND x.user_id = ?)")
		args = append(args, f.AssigneeID)
	}
	if f.labelIDs != nil {
		if len(f.labelIDs) == 1 && f.labelCount == 1 {
			where = append(where, "i.id IN (SELECT target_id FROM label_links WHERE label_id = ? AND target_type = 'Issue')")
			args = append(args, f.labelIDs[0])
		} else {
			// Every label is on the issue: it has as many links to them as there are names.
			// (CROSS JOIN keeps the labels outside, so that their links come from an index.)
			where = append(where, `i.id IN (SELECT ll.target_id FROM json_each(?) want
				CROSS JOIN label_links ll ON ll.label_id = want.value AND ll.target_type = 'Issue'
				GROUP BY ll.target_id HAVING COUNT(*) = ?)`)
			args = append(args, jsonInts(f.labelIDs), f.labelCount)
		}
	}
	if f.NoLabels {
		where = append(where, "NOT EXISTS (SELECT 1 FROM label_links ll WHERE ll.target_type = 'Issue' AND ll.target_id = i.id)")
	}
	if f.AnyLabel {
		where = append(where, "EXISTS (SELECT 1 FROM label_links ll WHERE ll.target_type = 'Issue' AND ll.target_id = i.id)")
	}
	if f.IIDs != nil {
		where = append(where, "i.iid IN (SELECT value FROM json_each(?))")
		args = append(args, jsonInts(f.IIDs))
	}
	if f.Search != "" {
		like := "%" + escapeLike(f.Search) + "%"
		where = append(where, "(i.title LIKE ? ESCAPE '\\' OR i.description LIKE ? ESCAPE '\\')")
		args = append(args, like, like)
	}
	for _, c := range []struct {
		cond string
		t    *time.Time
	}{{"i.created_at >= ?", f.CreatedAfter}, {"i.created_at <= ?", f.CreatedBefore},
		{"i.updated_at >= ?", f.UpdatedAfter}, {"i.updated_at <= ?", f.UpdatedBefore}} {
		if c.t != nil {
			where = append(where, c.cond)
			args = append(args, ms(*c.t))
		}
	}
	if len(where) == 0 {
		return "", args
	}
	return " WHERE " + strings.Join(where, " AND "), args
}

// ListIssues returns one page of the issues matching f, with labels and assignees, and how
// many match in all.
func ListIssues(ctx context.Context, q Querier, f IssueFilter) ([]Issue, int, error) {
	if len(f.Labels) > 0 {
		ok, err := f.resolveLabels(ctx, q)
		if !ok || err != nil {
			return []Issue{}, 0, err
		}
	}
	total, err := countIssues(ctx, q, f)
	if err != nil {
		return nil, 0, err
	}
	cond, args := f.where(false)
	dir := " ASC"
	if f.Desc {
		dir = " DESC"
	}
	var order string
	switch f.OrderBy {
	case "updated_at":
		order = " ORDER BY i.updated_at" + dir + ", i.id" + dir
	case "title":
		order = " ORDER BY i.title" + dir + ", i.id" + dir
	case "due_date":
		// Issues without a due date come last either way, as in GitLab.
		order = " ORDER BY i.due_date IS NULL, i.due_date" + dir + ", i.id" + dir
	default:
		order = " ORDER BY i.created_at" + dir + ", i.id" + dir
	}
	limit := f.Limit
	if limit <= 0 {
		limit = -1
	}
	// The page's ids are chosen on issues alone; only those rows are then joined with their
	// authors, projects and note counts.
	issues, err := queryAll(ctx, q, "SELECT "+issueColumns+issueFrom+" WHERE i.id IN (SELECT i.id FROM issues i"+
		cond+order+" LIMIT ? OFFSET ?)"+order, append(args[:len(args):len(args)], limit, f.Offset), scanIssue)
	if err != nil {
		return nil, 0, err
	}
	if err := FillIssues(ctx, q, issues); err != nil {
		return nil, 0, err
	}
	return issues, total, nil
}

// resolveLabels finds the ids of the labels f names; ok is false when no issue can carry
// them all (a name no project, or not the project, has).
func (f *IssueFilter) resolveLabels(ctx context.Context, q Querier) (ok bool, err error) {
	cond, args := "", []any{jsonStrings(f.Labels)}
	if f.ProjectID != 0 {
		cond, args = " AND project_id = ?", append(args, f.ProjectID)
	}
	rows, err := q.QueryContext(ctx, "SELECT id, name FROM labels WHERE name IN (SELECT value FROM json_each(?))"+cond, args...)
	if err != nil {
		return false, fmt.Errorf("labels: %w", wrap(err))
	}
	defer rows.Close()
	found := map[string]bool{}
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return false, wrap(err)
		}
		f.labelIDs = append(f.labelIDs, id)
		found[name] = true
	}
	if err := rows.Err(); err != nil {
		return false, wrap(err)
	}
	for _, n := range f.Labels {
		if !found[n] {
			return false, nil
		}
	}
	f.labelCount = len(found)
	return true, nil
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
	var total int
	if !f.projectAndStateOnly() {
		cond, args := f.where(true)
		err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM issues i"+cond, args...).Scan(&total)
		return total, wrap(err)
	}
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
func FillIssues(ctx context.Context, q Querier, issues []Issue) error {
	if len(issues) == 0 {
		return nil
	}
	ids := make([]int64, len(issues))
	at := make(map[int64]*Issue, len(issues))
	for i := range issues {
		ids[i] = issues[i].ID
		at[issues[i].ID] = &issues[i]
	}
	list := jsonInts(ids)
	rows, err := q.QueryContext(ctx, `SELECT ll.target_id, l.name FROM label_links ll JOIN labels l ON l.id = ll.label_id
		WHERE ll.target_type = 'Issue' AND ll.target_id IN (SELECT value FROM json_each(?)) ORDER BY l.name`, list)
	if err != nil {
		return fmt.Errorf("issue labels: %w", wrap(err))
	}
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			rows.Close()
			return wrap(err)
		}
		at[id].Labels = append(at[id].Labels, name)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return wrap(err)
	}
	rows, err = q.QueryContext(ctx, `SELECT x.issue_id, u.id, u.username, u.name, u.state FROM issue_assignees x
		JOIN users u ON u.id = x.user_id WHERE x.issue_id IN (SELECT value FROM json_each(?)) ORDER BY u.id`, list)
	if err != nil {
		return fmt.Errorf("issue assignees: %w", wrap(err))
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var u model.User
		if err := rows.Scan(&id, &u.ID, &u.Username, &u.Name, &u.State); err != nil {
			return wrap(err)
		}
		at[id].Assignees = append(at[id].Assignees, u)
	}
	return wrap(rows.Err())
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
func InsertIssue(ctx context.Context, q Querier, is Issue) (id, iid int64, err error) {
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
func UpdateIssue(ctx context.Context, tx *sql.Tx, is Issue) error {
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
func DeleteIssue(ctx context.Context, tx *sql.Tx, is Issue) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM issues WHERE id = ?", is.ID); err != nil {
		return fmt.Errorf("delete issue %d: %w", is.ID, wrap(err))
	}
	return RaiseIIDFloor(ctx, tx, is.ProjectID, "issues", is.IID)
}

// AddIssueAssignees assigns users to issue id.
func AddIssueAssignees(ctx context.Context, tx *sql.Tx, id int64, userIDs []int64) error {
	_, err := tx.ExecContext(ctx, "INSERT OR IGNORE INTO issue_assignees (issue_id, user_id) SELECT ?, value FROM json_each(?)",
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

package db

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/cairn-forge/cairn/forge/model"
)

// MergeRequest is a row of merge_requests with what renders it: its author, merger and
// closer (id, username, name and state; the ghost user when deleted), its project's full
// path and merge method, its labels' names, its assignees and reviewers, and how many notes people wrote on it.
type MergeRequest struct {
	ID                 int64
	ProjectID          int64
	IID                int64
	Title              string
	Description        string
	State              string
	Author             model.User
	SourceBranch       string
	TargetBranch       string
	Draft              bool
	Squash             bool
	RemoveSourceBranch bool
	// HeadSHA, TargetSHA and BaseSHA are the source tip, the target tip and their merge base
	// when last refreshed ("" when unknown, as for a branch that does not exist).
	HeadSHA   string
	TargetSHA string
	BaseSHA   string
	// MergeStatus is unchecked, checking, can_be_merged, cannot_be_merged or
	// cannot_be_merged_recheck, as GitLab names them.
	MergeStatus  string
	HasConflicts bool
	// ChangesCount is the number of files changed, nil until checked.
	ChangesCount    *int
	MergeCommitSHA  string
	SquashCommitSHA string
	MergeError      string
	MergedBy        *model.User
	MergedAt        *time.Time
	ClosedBy        *model.User
	ClosedAt        *time.Time
	CreatedAt       time.Time
	UpdatedAt       time.Time

	ProjectPath string
	// ProjectMergeMethod is the project's merge method: merge, rebase_merge or ff.
	ProjectMergeMethod string
	Labels             []string
	Assignees          []model.User
	Reviewers          []model.User
	UserNotesCount     int
}

// Roles of users on a merge request.
const (
	RoleAssignee = "assignee"
	RoleReviewer = "reviewer"
)

const mergeRequestColumns = `m.id, m.project_id, m.iid, m.title, m.description, m.state, ` + authorColumns + `,
	m.source_branch, m.target_branch, m.draft, m.squash, m.remove_source_branch, m.head_sha, m.target_sha,
	m.base_sha, m.merge_status, m.has_conflicts, m.changes_count, COALESCE(m.merge_commit_sha, ''),
	COALESCE(m.squash_commit_sha, ''), COALESCE(m.merge_error, ''),
	mu.id, mu.username, mu.name, mu.state, m.merged_at, cu.id, cu.username, cu.name, cu.state, m.closed_at,
	m.created_at, m.updated_at,
	(SELECT COUNT(*) FROM notes nt WHERE nt.noteable_type = 'MergeRequest' AND nt.noteable_id = m.id AND nt.system = 0),
	n.full_path || '/' || p.path, p.merge_method`

const mergeRequestFrom = ` FROM merge_requests m JOIN projects p ON p.id = m.project_id
	JOIN namespaces n ON n.id = p.namespace_id LEFT JOIN users au ON au.id = m.author_id
	LEFT JOIN users mu ON mu.id = m.merged_by_id LEFT JOIN users cu ON cu.id = m.closed_by_id`

// nullUser scans a LEFT JOINed user that may be absent.
type nullUser struct {
	id                     sql.NullInt64
	username, name, status sql.NullString
}

func (n *nullUser) dest() []any { return []any{&n.id, &n.username, &n.name, &n.status} }

func (n *nullUser) user() *model.User {
	if !n.id.Valid {
		return nil
	}
	return &model.User{ID: n.id.Int64, Username: n.username.String, Name: n.name.String, State: n.status.String}
}

func scanMergeRequest(row interface{ Scan(...any) error }) (MergeRequest, error) {
	var m MergeRequest
	var changes sql.NullInt64
	var merger, closer nullUser
	var merged, closed sql.NullInt64
	var created, updated int64
	a := &m.Author
	dest := []any{&m.ID, &m.ProjectID, &m.IID, &m.Title, &m.Description, &m.State,
		&a.ID, &a.Username, &a.Name, &a.State, &m.SourceBranch, &m.TargetBranch, &m.Draft, &m.Squash,
		&m.RemoveSourceBranch, &m.HeadSHA, &m.TargetSHA, &m.BaseSHA, &m.MergeStatus, &m.HasConflicts, &changes,
		&m.MergeCommitSHA, &m.SquashCommitSHA, &m.MergeError}
	dest = append(dest, merger.dest()...)
	dest = append(dest, &merged)
	dest = append(dest, closer.dest()...)
	dest = append(dest, &closed, &created, &updated, &m.UserNotesCount, &m.ProjectPath, &m.ProjectMergeMethod)
	if err := row.Scan(dest...); err != nil {
		return MergeRequest{}, wrap(err)
	}
	if changes.Valid {
		n := int(changes.Int64)
		m.ChangesCount = &n
	}
	m.MergedBy, m.ClosedBy = merger.user(), closer.user()
	m.MergedAt, m.ClosedAt = fromNullMS(merged), fromNullMS(closed)
	m.CreatedAt, m.UpdatedAt = fromMS(created), fromMS(updated)
	m.Labels, m.Assignees, m.Reviewers = []string{}, []model.User{}, []model.User{}
	return m, nil
}

// MergeRequestByIID returns the merge request of a project with iid, without labels and users.
func MergeRequestByIID(ctx context.Context, q Querier, projectID, iid int64) (MergeRequest, error) {
	return scanMergeRequest(q.QueryRowContext(ctx, "SELECT "+mergeRequestColumns+mergeRequestFrom+
		" WHERE m.project_id = ? AND m.iid = ?", projectID, iid))
}

// MergeRequestByID returns the merge request with global id, without labels and users.
func MergeRequestByID(ctx context.Context, q Querier, id int64) (MergeRequest, error) {
	return scanMergeRequest(q.QueryRowContext(ctx, "SELECT "+mergeRequestColumns+mergeRequestFrom+" WHERE m.id = ?", id))
}

// MergeRequestFilter selects and orders merge requests. Zero fields do not restrict.
type MergeRequestFilter struct {
	// ProjectID keeps one project's merge requests; 0 lists every project's.
	ProjectID int64
	// Viewer, across projects, keeps the merge requests of the projects one user may see
	// (Visibilities, membership as reporter or more); nil is everything (administrators).
	Viewer *IssueViewer

	State        string
	AuthorID     int64
	AssigneeID   int64 // also NoAssignee and AnyAssignee
	ReviewerID   int64 // also NoAssignee and AnyAssignee
	SourceBranch string
	TargetBranch string
	Draft        *bool
	Labels       []string
	NoLabels     bool
	AnyLabel     bool
	IIDs         []int64
	Search       string

	CreatedAfter, CreatedBefore, UpdatedAfter, UpdatedBefore *time.Time

	// OrderBy is created_at, updated_at, merged_at or title.
	OrderBy string
	Desc    bool
	Limit   int
	Offset  int
}

// userCondition is the condition that a merge request has (or has no, or some) user in role.
func userCondition(role string, id int64) (string, []any) {
	sub := "SELECT 1 FROM merge_request_users x WHERE x.merge_request_id = m.id AND x.role = '" + role + "'"
	switch {
	case id == NoAssignee:
		return "NOT EXISTS (" + sub + ")", nil
	case id == AnyAssignee:
		return "EXISTS (" + sub + ")", nil
	}
	// An IN list, not a correlated EXISTS: SQLite's planner fails ("internal query planner
	// error") on the EXISTS beside the viewer's OR of subqueries and a state.
	return "m.id IN (SELECT x.merge_request_id FROM merge_request_users x WHERE x.role = '" + role + "' AND x.user_id = ?)", []any{id}
}

func (f MergeRequestFilter) where() (string, []any) {
	var where []string
	var args []any
	add := func(cond string, a ...any) {
		where = append(where, cond)
		args = append(args, a...)
	}
	if f.ProjectID != 0 {
		add("m.project_id = ?", f.ProjectID)
	}
	if v := f.Viewer; v != nil && f.ProjectID == 0 {
		// Merge requests of private projects are seen by their reporters and above; of
		// public and internal projects by those who see the project.
		or := "m.project_id IN (SELECT id FROM projects WHERE visibility IN (SELECT value FROM json_each(?)))"
		vargs := []any{jsonStrings(v.Visibilities)}
		if v.UserID != 0 {
			sub, subArgs := memberProjects(v.UserID, 20, v.Now)
			or += " OR m.project_id IN (" + sub + ")"
			vargs = append(vargs, subArgs...)
		}
		add("("+or+")", vargs...)
	}
	if f.State != "" {
		add("m.state = ?", f.State)
	}
	if f.AuthorID != 0 {
		add("m.author_id = ?", f.AuthorID)
	}
	if f.AssigneeID != 0 {
		c, a := userCondition(RoleAssignee, f.AssigneeID)
		add(c, a...)
	}
	if f.ReviewerID != 0 {
		c, a := userCondition(RoleReviewer, f.ReviewerID)
		add(c, a...)
	}
	if f.SourceBranch != "" {
		add("m.source_branch = ?", f.SourceBranch)
	}
	if f.TargetBranch != "" {
		add("m.target_branch = ?", f.TargetBranch)
	}
	if f.Draft != nil {
		add("m.draft = ?", boolInt(*f.Draft))
	}
	if len(f.Labels) > 0 {
		// Every label is on the merge request: it links to as many of the names as are given.
		add(`m.id IN (SELECT ll.target_id FROM label_links ll JOIN labels l ON l.id = ll.label_id
			WHERE ll.target_type = 'MergeRequest' AND l.name IN (SELECT value FROM json_each(?))
			GROUP BY ll.target_id HAVING COUNT(DISTINCT l.name) = ?)`, jsonStrings(f.Labels), len(f.Labels))
	}
	if f.NoLabels {
		add("NOT EXISTS (SELECT 1 FROM label_links ll WHERE ll.target_type = 'MergeRequest' AND ll.target_id = m.id)")
	}
	if f.AnyLabel {
		add("EXISTS (SELECT 1 FROM label_links ll WHERE ll.target_type = 'MergeRequest' AND ll.target_id = m.id)")
	}
	if f.IIDs != nil {
		add("m.iid IN (SELECT value FROM json_each(?))", jsonInts(f.IIDs))
	}
	if f.Search != "" {
		like := "%" + escapeLike(f.Search) + "%"
		add("(m.title LIKE ? ESCAPE '\\' OR m.description LIKE ? ESCAPE '\\')", like, like)
	}
	for _, c := range []struct {
		cond string
		t    *time.Time
	}{{"m.created_at >= ?", f.CreatedAfter}, {"m.created_at <= ?", f.CreatedBefore},
		{"m.updated_at >= ?", f.UpdatedAfter}, {"m.updated_at <= ?", f.UpdatedBefore}} {
		if c.t != nil {
			add(c.cond, ms(*c.t))
		}
	}
	if len(where) == 0 {
		return "", args
	}
	return " WHERE " + strings.Join(where, " AND "), args
}

// ListMergeRequests returns one page of the merge requests matching f, with labels and
// users, and how many match in all.
func ListMergeRequests(ctx context.Context, q Querier, f MergeRequestFilter) ([]MergeRequest, int, error) {
	cond, args := f.where()
	var total int
	if err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM merge_requests m"+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count merge requests: %w", wrap(err))
	}
	dir := " ASC"
	if f.Desc {
		dir = " DESC"
	}
	var order string
	switch f.OrderBy {
	case "updated_at":
		order = " ORDER BY m.updated_at" + dir + ", m.id" + dir
	case "merged_at":
		order = " ORDER BY m.merged_at IS NULL, m.merged_at" + dir + ", m.id" + dir
	case "title":
		order = " ORDER BY m.title" + dir + ", m.id" + dir
	default:
		order = " ORDER BY m.created_at" + dir + ", m.id" + dir
	}
	limit := f.Limit
	if limit <= 0 {
		limit = -1
	}
	list, err := queryAll(ctx, q, "SELECT "+mergeRequestColumns+mergeRequestFrom+" WHERE m.id IN (SELECT m.id FROM merge_requests m"+
		cond+order+" LIMIT ? OFFSET ?)"+order, append(args[:len(args):len(args)], limit, f.Offset), scanMergeRequest)
	if err != nil {
		return nil, 0, err
	}
	if err := FillMergeRequests(ctx, q, list); err != nil {
		return nil, 0, err
	}
	return list, total, nil
}

// OpenMergeRequestsOfBranches returns the open merge requests of a project whose source or
// target is one of branches, without labels and users.
func OpenMergeRequestsOfBranches(ctx context.Context, q Querier, projectID int64, branches []string) ([]MergeRequest, error) {
	list := jsonStrings(branches)
	return queryAll(ctx, q, "SELECT "+mergeRequestColumns+mergeRequestFrom+` WHERE m.id IN (
		SELECT id FROM merge_requests WHERE project_id = ? AND state = 'opened' AND source_branch IN (SELECT value FROM json_each(?))
		UNION SELECT id FROM merge_requests WHERE project_id = ? AND state = 'opened' AND target_branch IN (SELECT value FROM json_each(?)))
		ORDER BY m.id`, []any{projectID, list, projectID, list}, scanMergeRequest)
}

// OpenMergeRequestFor returns the iid of an open merge request of a project from source into
// target, ErrNotFound when there is none.
func OpenMergeRequestFor(ctx context.Context, q Querier, projectID int64, source, target string) (int64, error) {
	var iid int64
	err := q.QueryRowContext(ctx, `SELECT iid FROM merge_requests WHERE project_id = ? AND state = 'opened'
		AND source_branch = ? AND target_branch = ? ORDER BY iid LIMIT 1`, projectID, source, target).Scan(&iid)
	return iid, wrap(err)
}

// FillMergeRequests reads the labels, assignees and reviewers of merge requests.
func FillMergeRequests(ctx context.Context, q Querier, list []MergeRequest) error {
	if len(list) == 0 {
		return nil
	}
	ids := make([]int64, len(list))
	at := make(map[int64]*MergeRequest, len(list))
	for i := range list {
		ids[i] = list[i].ID
		at[list[i].ID] = &list[i]
	}
	idList := jsonInts(ids)
	rows, err := q.QueryContext(ctx, `SELECT ll.target_id, l.name FROM label_links ll JOIN labels l ON l.id = ll.label_id
		WHERE ll.target_type = 'MergeRequest' AND ll.target_id IN (SELECT value FROM json_each(?)) ORDER BY l.name`, idList)
	if err != nil {
		return fmt.Errorf("merge request labels: %w", wrap(err))
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
	rows, err = q.QueryContext(ctx, `SELECT x.merge_request_id, x.role, u.id, u.username, u.name, u.state
		FROM merge_request_users x JOIN users u ON u.id = x.user_id
		WHERE x.merge_request_id IN (SELECT value FROM json_each(?)) ORDER BY u.id`, idList)
	if err != nil {
		return fmt.Errorf("merge request users: %w", wrap(err))
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var role string
		var u model.User
		if err := rows.Scan(&id, &role, &u.ID, &u.Username, &u.Name, &u.State); err != nil {
			return wrap(err)
		}
		if role == RoleAssignee {
			at[id].Assignees = append(at[id].Assignees, u)
		} else {
			at[id].Reviewers = append(at[id].Reviewers, u)
		}
	}
	return wrap(rows.Err())
}

func mrNullText(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullInt64Ptr(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

func userID(u *model.User) any {
	if u == nil {
		return nil
	}
	return nullID(u.ID)
}

// InsertMergeRequest adds m, allocating its iid, and returns its id and iid.
func InsertMergeRequest(ctx context.Context, tx *sql.Tx, m MergeRequest) (id, iid int64, err error) {
	err = tx.QueryRowContext(ctx, `INSERT INTO merge_requests (project_id, iid, title, description, state,
		author_id, source_branch, target_branch, draft, squash, remove_source_branch, head_sha, target_sha, base_sha,
		merge_status, has_conflicts, changes_count, created_at, updated_at)
		VALUES (?, `+nextIID("merge_requests", "merge_requests")+`, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		RETURNING id, iid`,
		m.ProjectID, m.ProjectID, m.ProjectID, m.Title, m.Description, m.State, nullID(m.Author.ID),
		m.SourceBranch, m.TargetBranch, boolInt(m.Draft), boolInt(m.Squash), boolInt(m.RemoveSourceBranch),
		m.HeadSHA, m.TargetSHA, m.BaseSHA, m.MergeStatus, boolInt(m.HasConflicts), nullInt64Ptr(m.ChangesCount),
		ms(m.CreatedAt), ms(m.UpdatedAt)).Scan(&id, &iid)
	if err != nil {
		return 0, 0, fmt.Errorf("insert merge request: %w", wrap(err))
	}
	return id, iid, nil
}

// UpdateMergeRequest writes every changeable column of m.
func UpdateMergeRequest(ctx context.Context, tx *sql.Tx, m MergeRequest) error {
	_, err := tx.ExecContext(ctx, `UPDATE merge_requests SET title = ?, description = ?, state = ?,
		target_branch = ?, draft = ?, squash = ?, remove_source_branch = ?, head_sha = ?, target_sha = ?, base_sha = ?,
		merge_status = ?, has_conflicts = ?, changes_count = ?, merge_commit_sha = ?, squash_commit_sha = ?,
		merge_error = ?, merged_by_id = ?, merged_at = ?, closed_by_id = ?, closed_at = ?, updated_at = ? WHERE id = ?`,
		m.Title, m.Description, m.State, m.TargetBranch, boolInt(m.Draft), boolInt(m.Squash),
		boolInt(m.RemoveSourceBranch), m.HeadSHA, m.TargetSHA, m.BaseSHA, m.MergeStatus, boolInt(m.HasConflicts),
		nullInt64Ptr(m.ChangesCount), mrNullText(m.MergeCommitSHA), mrNullText(m.SquashCommitSHA), mrNullText(m.MergeError),
		userID(m.MergedBy), msPtr(m.MergedAt), userID(m.ClosedBy), msPtr(m.ClosedAt), ms(m.UpdatedAt), m.ID)
	if err != nil {
		return fmt.Errorf("update merge request %d: %w", m.ID, wrap(err))
	}
	return nil
}

// TipsRefresh is what moving its branches did to an open merge request, read with the tips
// Head and Target: Next holds its new tips, merge status and, when the target came to contain
// its source, its merge by the pusher.
type TipsRefresh struct {
	Next         MergeRequest
	Head, Target string
}

// RefreshMergeRequests writes refreshes in tx, each only if its merge request is still open
// with the tips it was read with, so that a refresh computed outside the write lock never
// overwrites a newer one or a merge; it reports which it wrote. The statement is prepared
// once for them all.
func RefreshMergeRequests(ctx context.Context, tx *sql.Tx, refreshes []TipsRefresh) ([]bool, error) {
	st, err := tx.PrepareContext(ctx, `UPDATE merge_requests SET state = ?, head_sha = ?, target_sha = ?, base_sha = ?,
		merge_status = ?, has_conflicts = ?, changes_count = ?, merged_by_id = ?, merged_at = ?, updated_at = ?
		WHERE id = ? AND state = 'opened' AND head_sha = ? AND target_sha = ?`)
	if err != nil {
		return nil, fmt.Errorf("refresh merge requests: %w", wrap(err))
	}
	defer st.Close()
	written := make([]bool, len(refreshes))
	for i, r := range refreshes {
		m := r.Next
		res, err := st.ExecContext(ctx, m.State, m.HeadSHA, m.TargetSHA, m.BaseSHA, m.MergeStatus, boolInt(m.HasConflicts),
			nullInt64Ptr(m.ChangesCount), userID(m.MergedBy), msPtr(m.MergedAt), ms(m.UpdatedAt), m.ID, r.Head, r.Target)
		if err != nil {
			return nil, fmt.Errorf("refresh merge request %d: %w", m.ID, wrap(err))
		}
		n, err := res.RowsAffected()
		if err != nil {
			return nil, wrap(err)
		}
		written[i] = n > 0
	}
	return written, nil
}

// SaveMergeCheck writes the outcome of a mergeability check of merge request id, made for
// the given tips: it is kept only if neither branch moved since (the row still has them).
func SaveMergeCheck(ctx context.Context, q Querier, id int64, headSHA, targetSHA, baseSHA, status string, conflicts bool, changes *int) (bool, error) {
	res, err := q.ExecContext(ctx, `UPDATE merge_requests SET base_sha = ?, merge_status = ?, has_conflicts = ?,
		changes_count = ? WHERE id = ? AND head_sha = ? AND target_sha = ? AND state = 'opened'`,
		baseSHA, status, boolInt(conflicts), nullInt64Ptr(changes), id, headSHA, targetSHA)
	if err != nil {
		return false, fmt.Errorf("save merge check of %d: %w", id, wrap(err))
	}
	n, err := res.RowsAffected()
	return n > 0, wrap(err)
}

// LockMergeRequest moves merge request id from opened to locked, so that one merge or rebase
// runs on it at a time and nothing closes it meanwhile. It reports false when the merge
// request was not an open one (another merge holds it, or it was closed or merged), or was a
// draft and drafts is false.
func LockMergeRequest(ctx context.Context, tx *sql.Tx, id int64, drafts bool) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE merge_requests SET state = 'locked'
		WHERE id = ? AND state = 'opened' AND (draft = 0 OR ?)`, id, drafts)
	if err != nil {
		return false, fmt.Errorf("lock merge request %d: %w", id, wrap(err))
	}
	n, err := res.RowsAffected()
	return n > 0, wrap(err)
}

// SetMergeError records the error of merge request id's last merge or rebase ("" for none).
func SetMergeError(ctx context.Context, q Querier, id int64, msg string) error {
	if _, err := q.ExecContext(ctx, "UPDATE merge_requests SET merge_error = ? WHERE id = ?", mrNullText(msg), id); err != nil {
		return fmt.Errorf("record the merge error of merge request %d: %w", id, wrap(err))
	}
	return nil
}

// UnlockMergeRequest moves merge request id from locked back to opened, after a merge that
// did not happen.
func UnlockMergeRequest(ctx context.Context, q Querier, id int64) error {
	if _, err := q.ExecContext(ctx, `UPDATE merge_requests SET state = 'opened' WHERE id = ? AND state = 'locked'`, id); err != nil {
		return fmt.Errorf("unlock merge request %d: %w", id, wrap(err))
	}
	return nil
}

// UnlockAllMergeRequests moves every locked merge request back to opened, with its
// mergeability to check again, and returns their ids: the locks of merges that a stopped
// process left.
func UnlockAllMergeRequests(ctx context.Context, q Querier) ([]int64, error) {
	rows, err := q.QueryContext(ctx, `UPDATE merge_requests SET state = 'opened', merge_status = 'unchecked'
		WHERE state = 'locked' RETURNING id`)
	if err != nil {
		return nil, fmt.Errorf("unlock merge requests: %w", wrap(err))
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, wrap(err)
		}
		ids = append(ids, id)
	}
	return ids, wrap(rows.Err())
}

// DeleteMergeRequest removes m; its notes, label links and users go with it, and its iid is
// never handed out again.
func DeleteMergeRequest(ctx context.Context, tx *sql.Tx, m MergeRequest) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM merge_requests WHERE id = ?", m.ID); err != nil {
		return fmt.Errorf("delete merge request %d: %w", m.ID, wrap(err))
	}
	return RaiseIIDFloor(ctx, tx, m.ProjectID, "merge_requests", m.IID)
}

// SetMergeRequestUsers replaces the users of merge request id in role.
func SetMergeRequestUsers(ctx context.Context, tx *sql.Tx, id int64, role string, userIDs []int64) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM merge_request_users WHERE merge_request_id = ? AND role = ?", id, role); err != nil {
		return fmt.Errorf("clear %ss of merge request %d: %w", role, id, wrap(err))
	}
	_, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO merge_request_users (merge_request_id, user_id, role)
		SELECT ?, value, ? FROM json_each(?)`, id, role, jsonInts(userIDs))
	if err != nil {
		return fmt.Errorf("set %ss of merge request %d: %w", role, id, wrap(err))
	}
	return nil
}

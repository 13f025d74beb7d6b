package db

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/cairn-forge/cairn/forge/model"
)

// Roles of users on a merge request.
const (
	RoleAssignee = "assignee"
	RoleReviewer = "reviewer"
)

var (
	mergeRequestColumns = issuableColumns("m", NoteableMergeRequest) + `, m.source_branch, m.target_branch, m.draft,
	m.squash, m.remove_source_branch, m.head_sha, m.target_sha, m.base_sha, m.merge_status, m.has_conflicts,
	m.changes_count, COALESCE(m.merge_commit_sha, ''), COALESCE(m.squash_commit_sha, ''), COALESCE(m.merge_error, ''),
	mu.id, mu.username, mu.name, mu.state, m.merged_at, p.merge_method`
	mergeRequestFrom = issuableFrom("merge_requests", "m") + ` LEFT JOIN users mu ON mu.id = m.merged_by_id`
)

func scanMergeRequest(row interface{ Scan(...any) error }) (model.MergeRequest, error) {
	var m model.MergeRequest
	var sc issuableScan
	var changes sql.NullInt64
	var merger nullUser
	var merged sql.NullInt64
	dest := append(sc.dest(&m.Issuable), &m.SourceBranch, &m.TargetBranch, &m.Draft, &m.Squash,
		&m.RemoveSourceBranch, &m.HeadSHA, &m.TargetSHA, &m.BaseSHA, &m.MergeStatus, &m.HasConflicts, &changes,
		&m.MergeCommitSHA, &m.SquashCommitSHA, &m.MergeError)
	dest = append(dest, merger.dest()...)
	if err := row.Scan(append(dest, &merged, &m.ProjectMergeMethod)...); err != nil {
		return model.MergeRequest{}, wrap(err)
	}
	sc.finish(&m.Issuable)
	if changes.Valid {
		n := int(changes.Int64)
		m.ChangesCount = &n
	}
	m.MergedBy, m.MergedAt = merger.user(), fromNullMS(merged)
	m.Reviewers = []model.User{}
	return m, nil
}

// MergeRequestByIID returns the merge request of a project with iid, without labels and users.
func MergeRequestByIID(ctx context.Context, q Querier, projectID, iid int64) (model.MergeRequest, error) {
	return scanMergeRequest(q.QueryRowContext(ctx, "SELECT "+mergeRequestColumns+mergeRequestFrom+
		" WHERE m.project_id = ? AND m.iid = ?", projectID, iid))
}

// MergeRequestByID returns the merge request with global id, without labels and users.
func MergeRequestByID(ctx context.Context, q Querier, id int64) (model.MergeRequest, error) {
	return scanMergeRequest(
		q.QueryRowContext(ctx, "SELECT "+mergeRequestColumns+mergeRequestFrom+" WHERE m.id = ?", id))
}

// MergeRequestFilter selects and orders merge requests. Zero fields do not restrict.
type MergeRequestFilter struct {
	IssuableFilter
	ReviewerID   int64 // also NoAssignee and AnyAssignee
	SourceBranch string
	TargetBranch string
	Draft        *bool
}

// where returns the conditions of f on merge requests m: those of every issuable, and its
// reviewer, branches and draft.
func (f MergeRequestFilter) where(count bool) ([]string, []any) {
	where, args := f.conditions(mergeRequestKind, count)
	add := func(cond string, a ...any) {
		where = append(where, cond)
		args = append(args, a...)
	}
	if f.ReviewerID != 0 {
		c, a := mergeRequestKind.userCondition("'"+RoleReviewer+"'", f.ReviewerID)
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
	return where, args
}

// ListMergeRequests returns one page of the merge requests matching f, with labels and
// users, and how many match in all.
func ListMergeRequests(ctx context.Context, q Querier, f MergeRequestFilter) ([]model.MergeRequest, int, error) {
	where := func(count bool) ([]string, []any) { return f.where(count) }
	return listIssuables(ctx, q, mergeRequestKind, &f.IssuableFilter, where,
		func() (int, error) { return countRows(ctx, q, mergeRequestKind, where) }, scanMergeRequest,
		func(list []model.MergeRequest) error { return FillMergeRequests(ctx, q, list) })
}

// OpenMergeRequestsOfBranches returns the open merge requests of a project whose source or
// target is one of branches, without labels and users.
func OpenMergeRequestsOfBranches(ctx context.Context, q Querier, projectID int64,
	branches []string) ([]model.MergeRequest, error) {
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
func FillMergeRequests(ctx context.Context, q Querier, list []model.MergeRequest) error {
	return fillIssuables(ctx, q, mergeRequestKind, len(list), func(i int) *model.Issuable { return &list[i].Issuable },
		func(i int, _ string, u model.User) { list[i].Reviewers = append(list[i].Reviewers, u) })
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
func InsertMergeRequest(ctx context.Context, tx *sql.Tx, m model.MergeRequest) (id, iid int64, err error) {
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
func UpdateMergeRequest(ctx context.Context, tx *sql.Tx, m model.MergeRequest) error {
	_, err := tx.ExecContext(ctx, `UPDATE merge_requests SET title = ?, description = ?, state = ?,
		target_branch = ?, draft = ?, squash = ?, remove_source_branch = ?, head_sha = ?, target_sha = ?, base_sha = ?,
		merge_status = ?, has_conflicts = ?, changes_count = ?, merge_commit_sha = ?, squash_commit_sha = ?,
		merge_error = ?, merged_by_id = ?, merged_at = ?, closed_by_id = ?, closed_at = ?, updated_at = ? WHERE id = ?`,
		m.Title, m.Description, m.State, m.TargetBranch, boolInt(m.Draft), boolInt(m.Squash),
		boolInt(m.RemoveSourceBranch), m.HeadSHA, m.TargetSHA, m.BaseSHA, m.MergeStatus, boolInt(m.HasConflicts),
		nullInt64Ptr(m.ChangesCount), mrNullText(m.MergeCommitSHA), mrNullText(m.SquashCommitSHA),
		mrNullText(m.MergeError),
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
	Next         model.MergeRequest
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
		res, err := st.ExecContext(ctx, m.State, m.HeadSHA, m.TargetSHA, m.BaseSHA, m.MergeStatus,
			boolInt(m.HasConflicts),
			nullInt64Ptr(m.ChangesCount), userID(m.MergedBy), msPtr(m.MergedAt), ms(m.UpdatedAt), m.ID,
			r.Head, r.Target)
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
func SaveMergeCheck(ctx context.Context, q Querier, id int64, headSHA, targetSHA, baseSHA, status string,
	conflicts bool, changes *int) (bool, error) {
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
	if _, err := q.ExecContext(ctx, "UPDATE merge_requests SET merge_error = ? WHERE id = ?", mrNullText(msg),
		id); err != nil {
		return fmt.Errorf("record the merge error of merge request %d: %w", id, wrap(err))
	}
	return nil
}

// UnlockMergeRequest moves merge request id from locked back to opened, after a merge that
// did not happen.
func UnlockMergeRequest(ctx context.Context, q Querier, id int64) error {
	if _, err := q.ExecContext(ctx,
		`UPDATE merge_requests SET state = 'opened' WHERE id = ? AND state = 'locked'`, id); err != nil {
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
func DeleteMergeRequest(ctx context.Context, tx *sql.Tx, m model.MergeRequest) error {
	return deleteIssuable(ctx, tx, mergeRequestKind, m.Issuable)
}

// SetMergeRequestUsers replaces the users of merge request id in role.
func SetMergeRequestUsers(ctx context.Context, tx *sql.Tx, id int64, role string, userIDs []int64) error {
	if _, err := tx.ExecContext(ctx,
		"DELETE FROM merge_request_users WHERE merge_request_id = ? AND role = ?", id, role); err != nil {
		return fmt.Errorf("clear %ss of merge request %d: %w", role, id, wrap(err))
	}
	_, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO merge_request_users (merge_request_id, user_id, role)
		SELECT ?, value, ? FROM json_each(?)`, id, role, jsonInts(userIDs))
	if err != nil {
		return fmt.Errorf("set %ss of merge request %d: %w", role, id, wrap(err))
	}
	return nil
}

package db

import (
	"context"
	"fmt"
)

// countByState adds to counts the (state, count) rows of query.
func countByState(ctx context.Context, q Querier, counts map[string]int, query string, args ...any) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("count by state: %w", wrap(err))
	}
	defer rows.Close()
	for rows.Next() {
		var state string
		var n int
		if err := rows.Scan(&state, &n); err != nil {
			return wrap(err)
		}
		counts[state] += n
	}
	return wrap(rows.Err())
}

// IssueCountsByState counts the issues matching f by state, whatever f's own State: for the
// tabs of a list, in one query (two for the confidential issues a viewer wrote or is assigned),
// from issue_counts when f selects a project's issues by state alone, as countIssues does.
func IssueCountsByState(ctx context.Context, q Querier, f IssueFilter) (map[string]int, error) {
	f.State = ""
	counts := map[string]int{}
	if ok, err := f.resolveLabels(ctx, q); !ok || err != nil {
		return counts, err
	}
	if !f.projectAndStateOnly() {
		conds, args := f.where(true)
		return counts, countByState(ctx, q, counts,
			"SELECT i.state, COUNT(*) FROM issues i"+whereClause(conds)+" GROUP BY i.state", args...)
	}
	all := f.Viewer == nil || f.Viewer.ProjectReporter
	err := countByState(ctx, q, counts, `SELECT state, SUM(n) FROM issue_counts WHERE project_id = ?
		AND (? OR confidential = 0) GROUP BY state`, f.ProjectID, all)
	if err != nil || all || f.Viewer.UserID == 0 {
		return counts, err
	}
	return counts, countByState(ctx, q, counts, `SELECT i.state, COUNT(*) FROM issues i INDEXED BY issues_confidential
		WHERE i.project_id = ? AND i.confidential = 1 AND (i.author_id = ?
			OR EXISTS (SELECT 1 FROM issue_assignees x WHERE x.issue_id = i.id AND x.user_id = ?))
		GROUP BY i.state`, f.ProjectID, f.Viewer.UserID, f.Viewer.UserID)
}

// MergeRequestCountsByState counts the merge requests matching f by state, whatever f's own
// State, in one query.
func MergeRequestCountsByState(ctx context.Context, q Querier, f MergeRequestFilter) (map[string]int, error) {
	f.State = ""
	counts := map[string]int{}
	if ok, err := f.resolveLabels(ctx, q); !ok || err != nil {
		return counts, err
	}
	conds, args := f.where(true)
	return counts, countByState(ctx, q, counts,
		"SELECT m.state, COUNT(*) FROM merge_requests m"+whereClause(conds)+" GROUP BY m.state", args...)
}

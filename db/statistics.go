package db

import (
	"context"

	"github.com/cairn-forge/cairn/forge/model"
)

// CountStatistics counts what the instance holds.
func CountStatistics(ctx context.Context, q Querier) (model.Statistics, error) {
	var st model.Statistics
	err := q.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM projects WHERE forked_from_id IS NOT NULL),
		(SELECT COUNT(*) FROM issues), (SELECT COUNT(*) FROM merge_requests),
		(SELECT COUNT(*) FROM notes) + (SELECT COUNT(*) FROM commit_comments),
		(SELECT COUNT(*) FROM ssh_keys) + (SELECT COUNT(*) FROM deploy_keys),
		(SELECT COUNT(*) FROM users), (SELECT COUNT(*) FROM namespaces WHERE kind = 'group'),
		(SELECT COUNT(*) FROM projects), (SELECT COUNT(*) FROM users WHERE state = 'active' AND banned_at IS NULL)`).
		Scan(&st.Forks, &st.Issues, &st.MergeRequests, &st.Notes, &st.SSHKeys, &st.Users, &st.Groups, &st.Projects,
			&st.ActiveUsers)
	return st, wrap(err)
}

package db

import (
	"context"

	"github.com/cairn-forge/cairn/forge/model"
)

// Participants returns the users taking part in an issue or a merge request: the users of
// leading (its author, then its assignees and reviewers, in that order), then the authors of
// its notes in the order of their first note, each user once. System notes count for none;
// internal notes only withInternal. Deleted users are left out.
func Participants(ctx context.Context, q Querier, typ string, id int64, leading []int64,
	withInternal bool) ([]model.User, error) {
	return queryAll(ctx, q, `WITH p(user_id, ord) AS (
			SELECT value, key FROM json_each(?)
			UNION ALL
			SELECT author_id, 1e12 + MIN(id) FROM notes
				WHERE noteable_type = ? AND noteable_id = ? AND system = 0 AND (internal = 0 OR ?)
				AND author_id IS NOT NULL
				GROUP BY author_id)
		SELECT `+userColumns+` FROM (SELECT user_id, MIN(ord) AS ord FROM p GROUP BY user_id) x
			JOIN users u ON u.id = x.user_id LEFT JOIN namespaces n ON n.owner_id = u.id
		ORDER BY x.ord`, []any{jsonInts(leading), typ, id, boolInt(withInternal)}, scanUser)
}

package db

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/cairn-forge/cairn/forge/model"
)

// StarProject records that user starred project; starred is false when they already had.
func StarProject(ctx context.Context, tx *sql.Tx, project, user int64, at time.Time) (starred bool, err error) {
	res, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO project_stars (project_id, user_id, created_at)
		VALUES (?, ?, ?)`, project, user, ms(at))
	if err != nil {
		return false, fmt.Errorf("star project %d: %w", project, wrap(err))
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// UnstarProject removes user's star from project; unstarred is false when there was none.
func UnstarProject(ctx context.Context, tx *sql.Tx, project, user int64) (unstarred bool, err error) {
	res, err := tx.ExecContext(ctx, "DELETE FROM project_stars WHERE project_id = ? AND user_id = ?", project, user)
	if err != nil {
		return false, fmt.Errorf("unstar project %d: %w", project, wrap(err))
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// Starrer is a user who starred a project, and when.
type Starrer struct {
	User      model.User
	StarredAt time.Time
}

// ListStarrers returns one page of the users who starred project, newest star first, whose
// username or name holds search, and how many there are.
func ListStarrers(ctx context.Context, q Querier, project int64, search string, limit, offset int) ([]Starrer,
	int, error) {
	cond := " WHERE st.project_id = ?"
	args := []any{project}
	if search != "" {
		like := "%" + escapeLike(search) + "%"
		cond += ` AND (u.username LIKE ? ESCAPE '\' OR u.name LIKE ? ESCAPE '\')`
		args = append(args, like, like)
	}
	from := " FROM project_stars st JOIN users u ON u.id = st.user_id LEFT JOIN namespaces n ON n.owner_id = u.id"
	return listPage(ctx, q, "SELECT COUNT(*)"+from+cond, "SELECT st.created_at, "+userColumns+from+cond+
		" ORDER BY st.created_at DESC, u.id DESC", args, limit, offset,
		func(row interface{ Scan(...any) error }) (Starrer, error) {
			var s Starrer
			var at int64
			var sc userScan
			if err := row.Scan(append([]any{&at}, sc.dest(&s.User)...)...); err != nil {
				return Starrer{}, wrap(err)
			}
			sc.finish(&s.User)
			s.StarredAt = fromMS(at)
			return s, nil
		})
}

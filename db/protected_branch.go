package db

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/cairn-forge/cairn/forge/model"
)

const protectedBranchColumns = `id, project_id, name, push_access_level, merge_access_level,
	unprotect_access_level, allow_force_push, created_at`

func scanProtectedBranch(row interface{ Scan(...any) error }) (model.ProtectedBranch, error) {
	var b model.ProtectedBranch
	var created int64
	err := row.Scan(&b.ID, &b.ProjectID, &b.Name, &b.PushAccessLevel, &b.MergeAccessLevel,
		&b.UnprotectAccessLevel, &b.AllowForcePush, &created)
	b.CreatedAt = fromMS(created)
	return b, wrap(err)
}

// ProtectedBranches lists a project's protection rules by name.
func ProtectedBranches(ctx context.Context, q Querier, projectID int64) ([]model.ProtectedBranch, error) {
	return queryAll(ctx, q, "SELECT "+protectedBranchColumns+
		" FROM protected_branches WHERE project_id = ? ORDER BY name, id",
		[]any{projectID}, scanProtectedBranch)
}

// ProtectedBranchByName returns the rule of a project named exactly name.
func ProtectedBranchByName(ctx context.Context, q Querier, projectID int64,
	name string) (model.ProtectedBranch, error) {
	return scanProtectedBranch(q.QueryRowContext(ctx, "SELECT "+protectedBranchColumns+
		" FROM protected_branches WHERE project_id = ? AND name = ?", projectID, name))
}

// SaveProtectedBranch inserts b, or updates the rule with b's id when it has one.
func SaveProtectedBranch(ctx context.Context, tx *sql.Tx, b model.ProtectedBranch) (int64, error) {
	if b.ID != 0 {
		_, err := tx.ExecContext(ctx, `UPDATE protected_branches SET push_access_level = ?, merge_access_level = ?,
			unprotect_access_level = ?, allow_force_push = ? WHERE id = ?`,
			b.PushAccessLevel, b.MergeAccessLevel, b.UnprotectAccessLevel, boolInt(b.AllowForcePush), b.ID)
		if err != nil {
			return 0, fmt.Errorf("update protected branch %d: %w", b.ID, wrap(err))
		}
		return b.ID, nil
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO protected_branches (project_id, name, push_access_level,
		merge_access_level, unprotect_access_level, allow_force_push, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		b.ProjectID, b.Name, b.PushAccessLevel, b.MergeAccessLevel, b.UnprotectAccessLevel,
		boolInt(b.AllowForcePush), ms(b.CreatedAt))
	if err != nil {
		return 0, fmt.Errorf("insert protected branch: %w", wrap(err))
	}
	return res.LastInsertId()
}

// DeleteProtectedBranch removes a rule; it reports whether there was one.
func DeleteProtectedBranch(ctx context.Context, tx *sql.Tx, projectID int64, name string) (bool, error) {
	res, err := tx.ExecContext(ctx, "DELETE FROM protected_branches WHERE project_id = ? AND name = ?", projectID, name)
	if err != nil {
		return false, fmt.Errorf("delete protected branch: %w", wrap(err))
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

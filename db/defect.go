package db

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/cairn-forge/cairn/forge/model"
)

const defectColumns = `d.id, COALESCE(d.namespace_id, 0), COALESCE(d.project_id, 0),
	d.defect_key, d.description, d.severity, d.detected_at, d.resolved_at, COALESCE(d.author_id, 0),
	d.created_at, d.updated_at`

func scanDefect(row interface{ Scan(...any) error }) (model.Defect, error) {
	var d model.Defect
	var severity, resolved sql.NullInt64
	var detected, created, updated int64
	err := row.Scan(&d.ID, &d.NamespaceID, &d.ProjectID, &d.Key, &d.Description,
		&severity, &detected, &resolved, &d.AuthorID, &created, &updated)
	if err != nil {
		return model.Defect{}, wrap(err)
	}
	if severity.Valid {
		d.Severity = &severity.Int64
	}
	d.DetectedAt, d.ResolvedAt = fromMS(detected), fromNullMS(resolved)
	d.CreatedAt, d.UpdatedAt = fromMS(created), fromMS(updated)
	return d, nil
}

// DefectByKey returns the defect of key recorded at a project (projectID not 0) or at a
// namespace.
func DefectByKey(ctx context.Context, q Querier, projectID, namespaceID int64, key string) (model.Defect, error) {
	if projectID != 0 {
		return scanDefect(q.QueryRowContext(ctx, "SELECT "+defectColumns+
			" FROM critical_defects d WHERE d.project_id = ? AND d.defect_key = ?", projectID, key))
	}
	return scanDefect(q.QueryRowContext(ctx, "SELECT "+defectColumns+
		" FROM critical_defects d WHERE d.namespace_id = ? AND d.defect_key = ?", namespaceID, key))
}

// DefectByID returns the defect with id.
func DefectByID(ctx context.Context, q Querier, id int64) (model.Defect, error) {
	return scanDefect(q.QueryRowContext(ctx, "SELECT "+defectColumns+" FROM critical_defects d WHERE d.id = ?", id))
}

func nullInt64(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

// InsertDefect adds d and returns its id; a key its owner already has is ErrConstraint.
func InsertDefect(ctx context.Context, tx *sql.Tx, d model.Defect) (int64, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO critical_defects (namespace_id, project_id,
		defect_key, description, severity, detected_at, author_id, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		nullID(d.NamespaceID), nullID(d.ProjectID), d.Key, d.Description, nullInt64(d.Severity),
		ms(d.DetectedAt), nullID(d.AuthorID), ms(d.CreatedAt), ms(d.UpdatedAt))
	if err != nil {
		return 0, fmt.Errorf("insert defect %q: %w", d.Key, wrap(err))
	}
	return res.LastInsertId()
}

// UpdateDefect writes the description, severity, detection time and update time of d.
func UpdateDefect(ctx context.Context, tx *sql.Tx, d model.Defect) error {
	_, err := tx.ExecContext(ctx, `UPDATE critical_defects SET description = ?, severity = ?, detected_at = ?,
		updated_at = ? WHERE id = ?`, d.Description, nullInt64(d.Severity), ms(d.DetectedAt), ms(d.UpdatedAt), d.ID)
	if err != nil {
		return fmt.Errorf("update defect %d: %w", d.ID, wrap(err))
	}
	return nil
}

const defectFixColumns = `f.id, f.defect_id, f.project_id, f.sha, f.released_at, COALESCE(f.author_id, 0), f.created_at`

func scanDefectFix(row interface{ Scan(...any) error }) (model.DefectFix, error) {
	var f model.DefectFix
	var released, created int64
	err := row.Scan(&f.ID, &f.DefectID, &f.ProjectID, &f.SHA, &released, &f.AuthorID, &created)
	if err != nil {
		return model.DefectFix{}, wrap(err)
	}
	f.ReleasedAt, f.CreatedAt = fromMS(released), fromMS(created)
	return f, nil
}

// FindDefectFix returns the fix of a defect in a project that f stands for: the one with its
// sha when it has one, else the one without a sha released at its time.
func FindDefectFix(ctx context.Context, q Querier, f model.DefectFix) (model.DefectFix, error) {
	if f.SHA != "" {
		return scanDefectFix(q.QueryRowContext(ctx, "SELECT "+defectFixColumns+
			" FROM critical_defect_fixes f WHERE f.defect_id = ? AND f.project_id = ? AND f.sha = ?",
			f.DefectID, f.ProjectID, f.SHA))
	}
	return scanDefectFix(q.QueryRowContext(ctx, "SELECT "+defectFixColumns+
		" FROM critical_defect_fixes f WHERE f.defect_id = ? AND f.project_id = ? AND f.sha = '' AND f.released_at = ?",
		f.DefectID, f.ProjectID, ms(f.ReleasedAt)))
}

// InsertDefectFix adds f and returns its id; the defect's resolution time follows (trigger).
func InsertDefectFix(ctx context.Context, tx *sql.Tx, f model.DefectFix) (int64, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO critical_defect_fixes (defect_id, project_id, sha, released_at,
		author_id, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		f.DefectID, f.ProjectID, f.SHA, ms(f.ReleasedAt), nullID(f.AuthorID), ms(f.CreatedAt))
	if err != nil {
		return 0, fmt.Errorf("insert fix of defect %d: %w", f.DefectID, wrap(err))
	}
	return res.LastInsertId()
}

// SetDefectFixTime moves fix id to released; the defect's resolution time follows (trigger).
func SetDefectFixTime(ctx context.Context, tx *sql.Tx, id int64, released time.Time) error {
	if _, err := tx.ExecContext(ctx, "UPDATE critical_defect_fixes SET released_at = ? WHERE id = ?",
		ms(released), id); err != nil {
		return fmt.Errorf("update defect fix %d: %w", id, wrap(err))
	}
	return nil
}

// DefectFixes returns the fixes of defect id, oldest release first.
func DefectFixes(ctx context.Context, q Querier, defectID int64) ([]model.DefectFix, error) {
	return queryAll(ctx, q, "SELECT "+defectFixColumns+
		" FROM critical_defect_fixes f WHERE f.defect_id = ? ORDER BY f.released_at, f.id", []any{defectID},
		scanDefectFix)
}

// DefectOwners names the owners whose defects a list takes: namespaces and projects.
type DefectOwners struct {
	NamespaceIDs []int64
	ProjectIDs   []int64
}

// DefectsDetected returns the defects of the owners detected in [from, to) (to zero: no end),
// in detection order. Each owner kind is one range scan of its (owner, detected_at) index.
func DefectsDetected(ctx context.Context, q Querier, owners DefectOwners, from, to time.Time) ([]model.Defect, error) {
	end := int64(1<<63 - 1)
	if !to.IsZero() {
		end = ms(to)
	}
	var parts []string
	var args []any
	for _, o := range []struct {
		col string
		ids []int64
	}{{"namespace_id", owners.NamespaceIDs}, {"project_id", owners.ProjectIDs}} {
		if len(o.ids) == 0 {
			continue
		}
		parts = append(parts, "SELECT "+defectColumns+" FROM critical_defects d WHERE d."+o.col+
			" IN ("+placeholders(len(o.ids))+") AND d.detected_at >= ? AND d.detected_at < ?")
		for _, id := range o.ids {
			args = append(args, id)
		}
		args = append(args, ms(from), end)
	}
	if len(parts) == 0 {
		return []model.Defect{}, nil
	}
	// Column 8 is detected_at and 1 the id: a compound select orders by result columns.
	return queryAll(ctx, q, strings.Join(parts, " UNION ALL ")+" ORDER BY 8, 1", args, scanDefect)
}

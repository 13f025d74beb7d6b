package db

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/cairn-forge/cairn/forge/model"
)

const labelColumns = `l.id, l.project_id, l.name, l.color, l.description, l.priority, l.created_at, l.updated_at`

// labelCountColumns count the open and closed issues carrying label l.
const labelCountColumns = `,
	(SELECT COUNT(*) FROM label_links ll JOIN issues i ON i.id = ll.target_id
		WHERE ll.label_id = l.id AND ll.target_type = 'Issue' AND i.state = 'opened'),
	(SELECT COUNT(*) FROM label_links ll JOIN issues i ON i.id = ll.target_id
		WHERE ll.label_id = l.id AND ll.target_type = 'Issue' AND i.state = 'closed')`

func scanLabel(withCounts bool) func(row interface{ Scan(...any) error }) (model.Label, error) {
	return func(row interface{ Scan(...any) error }) (model.Label, error) {
		var l model.Label
		var prio sql.NullInt64
		var created, updated int64
		dest := []any{&l.ID, &l.ProjectID, &l.Name, &l.Color, &l.Description, &prio, &created, &updated}
		if withCounts {
			dest = append(dest, &l.OpenIssues, &l.ClosedIssues)
		}
		if err := row.Scan(dest...); err != nil {
			return model.Label{}, wrap(err)
		}
		if prio.Valid {
			p := int(prio.Int64)
			l.Priority = &p
		}
		l.CreatedAt, l.UpdatedAt = fromMS(created), fromMS(updated)
		return l, nil
	}
}

// LabelByID returns label id of a project, with its issue counts.
func LabelByID(ctx context.Context, q Querier, projectID, id int64) (model.Label, error) {
	return scanLabel(true)(q.QueryRowContext(ctx, "SELECT "+labelColumns+labelCountColumns+
		" FROM labels l WHERE l.project_id = ? AND l.id = ?", projectID, id))
}

// LabelByName returns the label of a project named name (exactly), with its issue counts.
func LabelByName(ctx context.Context, q Querier, projectID int64, name string) (model.Label, error) {
	return scanLabel(true)(q.QueryRowContext(ctx, "SELECT "+labelColumns+labelCountColumns+
		" FROM labels l WHERE l.project_id = ? AND l.name = ?", projectID, name))
}

// LabelFilter selects a project's labels, ordered by name.
type LabelFilter struct {
	ProjectID  int64
	Search     string
	WithCounts bool
	Limit      int
	Offset     int
}

// ListLabels returns one page of a project's labels and how many match in all.
func ListLabels(ctx context.Context, q Querier, f LabelFilter) ([]model.Label, int, error) {
	cond := " WHERE l.project_id = ?"
	args := []any{f.ProjectID}
	if f.Search != "" {
		like := "%" + escapeLike(f.Search) + "%"
		cond += " AND (l.name LIKE ? ESCAPE '\\' OR l.description LIKE ? ESCAPE '\\')"
		args = append(args, like, like)
	}
	cols := labelColumns
	if f.WithCounts {
		cols += labelCountColumns
	}
	return listPage(ctx, q, "SELECT COUNT(*) FROM labels l"+cond, "SELECT "+cols+" FROM labels l"+cond+
		" ORDER BY l.name, l.id",
		args, f.Limit, f.Offset, scanLabel(f.WithCounts))
}

func nullInt(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

// InsertLabel adds l and returns its id; a name the project already has is ErrConstraint.
func InsertLabel(ctx context.Context, tx *sql.Tx, l model.Label) (int64, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO labels (project_id, name, color, description, priority,
		created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		l.ProjectID, l.Name, l.Color, l.Description, nullInt(l.Priority), ms(l.CreatedAt), ms(l.UpdatedAt))
	if err != nil {
		return 0, fmt.Errorf("insert label: %w", wrap(err))
	}
	return res.LastInsertId()
}

// UpdateLabel writes the name, colour, description, priority and update time of l.
func UpdateLabel(ctx context.Context, tx *sql.Tx, l model.Label) error {
	_, err := tx.ExecContext(ctx, `UPDATE labels SET name = ?, color = ?, description = ?, priority = ?,
		updated_at = ? WHERE id = ?`, l.Name, l.Color, l.Description, nullInt(l.Priority), ms(l.UpdatedAt), l.ID)
	if err != nil {
		return fmt.Errorf("update label %d: %w", l.ID, wrap(err))
	}
	return nil
}

// DeleteLabel removes label id; it comes off every issue and merge request.
func DeleteLabel(ctx context.Context, tx *sql.Tx, id int64) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM labels WHERE id = ?", id); err != nil {
		return fmt.Errorf("delete label %d: %w", id, wrap(err))
	}
	return nil
}

// EnsureLabels makes those of the labels named names that a project lacks, with color.
func EnsureLabels(ctx context.Context, tx *sql.Tx, projectID int64, names []string, color string, at time.Time) error {
	_, err := tx.ExecContext(ctx,
		`INSERT OR IGNORE INTO labels (project_id, name, color, description, created_at, updated_at)
		SELECT ?, value, ?, '', ?, ? FROM json_each(?)`, projectID, color, ms(at), ms(at), jsonStrings(names))
	if err != nil {
		return fmt.Errorf("make labels: %w", wrap(err))
	}
	return nil
}

// ClearTargetLabels takes every label off one issue or merge request.
func ClearTargetLabels(ctx context.Context, tx *sql.Tx, typ string, targetID int64) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM label_links WHERE target_type = ? AND target_id = ?", typ,
		targetID); err != nil {
		return fmt.Errorf("clear labels: %w", wrap(err))
	}
	return nil
}

// LinkLabels puts the labels of a project named names on one of its issues or merge requests.
func LinkLabels(ctx context.Context, tx *sql.Tx, projectID int64, typ string, targetID int64, names []string) error {
	_, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO label_links (target_type, target_id, label_id)
		SELECT ?, ?, id FROM labels WHERE project_id = ? AND name IN (SELECT value FROM json_each(?))`,
		typ, targetID, projectID, jsonStrings(names))
	if err != nil {
		return fmt.Errorf("link labels: %w", wrap(err))
	}
	return nil
}

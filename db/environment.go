package db

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/cairn-forge/cairn/forge/model"
)

const environmentColumns = `e.id, e.project_id, e.name, e.slug, e.tier, COALESCE(e.external_url, ''),
	e.description, e.state, e.created_at, e.updated_at`

func scanEnvironment(row interface{ Scan(...any) error }) (model.Environment, error) {
	var e model.Environment
	var created, updated int64
	err := row.Scan(&e.ID, &e.ProjectID, &e.Name, &e.Slug, &e.Tier, &e.ExternalURL, &e.Description,
		&e.State, &created, &updated)
	if err != nil {
		return model.Environment{}, wrap(err)
	}
	e.CreatedAt, e.UpdatedAt = fromMS(created), fromMS(updated)
	return e, nil
}

// EnvironmentByID returns the environment with id.
func EnvironmentByID(ctx context.Context, q Querier, id int64) (model.Environment, error) {
	return scanEnvironment(
		q.QueryRowContext(ctx, "SELECT "+environmentColumns+" FROM environments e WHERE e.id = ?", id))
}

// EnvironmentByName returns the environment of a project named name.
func EnvironmentByName(ctx context.Context, q Querier, projectID int64, name string) (model.Environment, error) {
	return scanEnvironment(q.QueryRowContext(ctx, "SELECT "+environmentColumns+
		" FROM environments e WHERE e.project_id = ? AND e.name = ?", projectID, name))
}

// EnvironmentFilter selects a project's environments.
type EnvironmentFilter struct {
	ProjectID int64
	// Name keeps the environment of that name; Search, those whose name contains it.
	Name, Search string
	// State keeps environments in it (available or stopped).
	State         string
	Limit, Offset int
}

// ListEnvironments returns one page of a project's environments, by id, and how many match.
func ListEnvironments(ctx context.Context, q Querier, f EnvironmentFilter) ([]model.Environment, int, error) {
	where := []string{"e.project_id = ?"}
	args := []any{f.ProjectID}
	if f.Name != "" {
		where, args = append(where, "e.name = ?"), append(args, f.Name)
	}
	if f.Search != "" {
		where, args = append(where, `e.name LIKE ? ESCAPE '\'`), append(args, "%"+escapeLike(f.Search)+"%")
	}
	if f.State != "" {
		where, args = append(where, "e.state = ?"), append(args, f.State)
	}
	cond := " WHERE " + strings.Join(where, " AND ")
	var total int
	if err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM environments e"+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count environments: %w", wrap(err))
	}
	limit := f.Limit
	if limit <= 0 {
		limit = -1
	}
	list, err := queryAll(ctx, q, "SELECT "+environmentColumns+" FROM environments e"+cond+
		" ORDER BY e.id LIMIT ? OFFSET ?",
		append(args, limit, f.Offset), scanEnvironment)
	if err != nil {
		return nil, 0, fmt.Errorf("list environments: %w", err)
	}
	return list, total, nil
}

func nullText(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// InsertEnvironment adds e and returns its id; a name or slug the project has is a
// constraint violation.
func InsertEnvironment(ctx context.Context, q Querier, e model.Environment) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, `INSERT INTO environments (project_id, name, slug, tier, external_url,
		description, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		e.ProjectID, e.Name, e.Slug, e.Tier, nullText(e.ExternalURL), e.Description, e.State,
		ms(e.CreatedAt), ms(e.UpdatedAt)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("insert environment: %w", wrap(err))
	}
	return id, nil
}

// UpdateEnvironment writes the changeable columns of e: tier, external URL, description,
// state and update time.
func UpdateEnvironment(ctx context.Context, q Querier, e model.Environment) error {
	_, err := q.ExecContext(ctx, `UPDATE environments SET tier = ?, external_url = ?, description = ?, state = ?,
		updated_at = ? WHERE id = ?`, e.Tier, nullText(e.ExternalURL), e.Description, e.State, ms(e.UpdatedAt), e.ID)
	if err != nil {
		return fmt.Errorf("update environment %d: %w", e.ID, wrap(err))
	}
	return nil
}

// DeleteEnvironment removes environment id with its deployments.
func DeleteEnvironment(ctx context.Context, tx *sql.Tx, id int64) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM environments WHERE id = ?", id); err != nil {
		return fmt.Errorf("delete environment %d: %w", id, wrap(err))
	}
	return nil
}

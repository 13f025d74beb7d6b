package db

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/cairn-forge/cairn/forge/model"
)

const namespaceColumns = `n.id, n.kind, n.name, n.path, n.full_path, n.full_name, COALESCE(n.parent_id, 0),
	COALESCE(n.owner_id, 0), n.visibility, n.description, n.created_at, n.updated_at,
	COALESCE((SELECT up.filename FROM uploads up WHERE up.model_kind = 'group' AND up.model_id = n.id
		AND up.purpose = 'avatar' ORDER BY up.id DESC LIMIT 1), '')`

func scanNamespace(row interface{ Scan(...any) error }) (model.Namespace, error) {
	var n model.Namespace
	var created, updated int64
	err := row.Scan(&n.ID, &n.Kind, &n.Name, &n.Path, &n.FullPath, &n.FullName, &n.ParentID,
		&n.OwnerID, &n.Visibility, &n.Description, &created, &updated, &n.Avatar)
	if err != nil {
		return model.Namespace{}, wrap(err)
	}
	n.CreatedAt, n.UpdatedAt = fromMS(created), fromMS(updated)
	return n, nil
}

// NamespaceByID returns the namespace with id.
func NamespaceByID(ctx context.Context, q Querier, id int64) (model.Namespace, error) {
	return scanNamespace(q.QueryRowContext(ctx, "SELECT "+namespaceColumns+" FROM namespaces n WHERE n.id = ?", id))
}

// NamespaceByPath returns the namespace whose full path is path, compared without case.
func NamespaceByPath(ctx context.Context, q Querier, path string) (model.Namespace, error) {
	return scanNamespace(
		q.QueryRowContext(ctx, "SELECT "+namespaceColumns+" FROM namespaces n WHERE n.full_path = ?", path))
}

// NamespaceFilter selects and orders namespaces. Visible, when set, restricts the result to
// the namespace ids it holds.
type NamespaceFilter struct {
	Kind         string
	ParentID     *int64
	TopLevelOnly bool
	Search       string
	Visibility   []string
	IDs          []int64
	// Under keeps the groups below a group, at any depth.
	Under *int64
	// OrderBy is one of id, name, path.
	OrderBy string
	Desc    bool
	Limit   int
	Offset  int
}

// ListNamespaces returns one page of the namespaces matching f and how many match in all.
func ListNamespaces(ctx context.Context, q Querier, f NamespaceFilter) ([]model.Namespace, int, error) {
	var where []string
	var args []any
	if f.Kind != "" {
		where = append(where, "n.kind = ?")
		args = append(args, f.Kind)
	}
	if f.ParentID != nil {
		where = append(where, "n.parent_id = ?")
		args = append(args, *f.ParentID)
	}
	if f.TopLevelOnly {
		where = append(where, "n.parent_id IS NULL")
	}
	if f.Under != nil {
		where = append(where, `n.id IN (WITH RECURSIVE down(id) AS (
			SELECT id FROM namespaces WHERE parent_id = ?
			UNION SELECT c.id FROM namespaces c JOIN down ON c.parent_id = down.id) SELECT id FROM down)`)
		args = append(args, *f.Under)
	}
	if f.Search != "" {
		where = append(where, "(n.name LIKE ? ESCAPE '\\' OR n.path LIKE ? ESCAPE '\\')")
		like := "%" + escapeLike(f.Search) + "%"
		args = append(args, like, like)
	}
	if f.IDs != nil || f.Visibility != nil {
		var or []string
		if len(f.Visibility) > 0 {
			or = append(or, "n.visibility IN ("+placeholders(len(f.Visibility))+")")
			for _, v := range f.Visibility {
				args = append(args, v)
			}
		}
		if len(f.IDs) > 0 {
			or = append(or, "n.id IN ("+placeholders(len(f.IDs))+")")
			for _, id := range f.IDs {
				args = append(args, id)
			}
		}
		if len(or) == 0 {
			or = append(or, "0")
		}
		where = append(where, "("+strings.Join(or, " OR ")+")")
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	order := map[string]string{"id": "n.id", "name": "n.name", "path": "n.path"}[f.OrderBy]
	if order == "" {
		order = "n.id"
	}
	return listPage(ctx, q, "SELECT COUNT(*) FROM namespaces n"+cond,
		"SELECT "+namespaceColumns+" FROM namespaces n"+cond+orderBy(order, "n.id", f.Desc),
		args, f.Limit, f.Offset, scanNamespace)
}

// NamespaceAncestors returns the ancestors of namespace id, the root first, without id itself.
func NamespaceAncestors(ctx context.Context, q Querier, id int64) ([]model.Namespace, error) {
	return queryAll(ctx, q, `WITH RECURSIVE up(id, depth) AS (
			SELECT parent_id, 1 FROM namespaces WHERE id = ? AND parent_id IS NOT NULL
			UNION ALL SELECT n.parent_id, up.depth + 1 FROM namespaces n JOIN up ON n.id = up.id
			WHERE n.parent_id IS NOT NULL)
		SELECT `+namespaceColumns+` FROM namespaces n JOIN up ON n.id = up.id ORDER BY up.depth DESC`,
		[]any{id}, scanNamespace)
}

// NamespaceDescendantIDs returns the ids of namespace id and of every group below it.
func NamespaceDescendantIDs(ctx context.Context, q Querier, id int64) ([]int64, error) {
	return queryAll(ctx, q, `WITH RECURSIVE down(id) AS (
			SELECT ? UNION SELECT n.id FROM namespaces n JOIN down ON n.parent_id = down.id)
		SELECT id FROM down`, []any{id}, scanInt64)
}

// InsertNamespace adds n and returns its id.
func InsertNamespace(ctx context.Context, tx *sql.Tx, n model.Namespace) (int64, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO namespaces (kind, name, path, full_path, full_name,
		parent_id, owner_id, visibility, description, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		n.Kind, n.Name, n.Path, n.FullPath, n.FullName, nullID(n.ParentID), nullID(n.OwnerID),
		n.Visibility, n.Description, ms(n.CreatedAt), ms(n.UpdatedAt))
	if err != nil {
		return 0, fmt.Errorf("insert namespace: %w", wrap(err))
	}
	return res.LastInsertId()
}

// UpdateNamespace writes n. When its path or name changed, the caller must also call
// RenameNamespaceTree so that descendants follow.
func UpdateNamespace(ctx context.Context, tx *sql.Tx, n model.Namespace) error {
	_, err := tx.ExecContext(ctx, `UPDATE namespaces SET name = ?, path = ?, full_path = ?, full_name = ?,
		parent_id = ?, visibility = ?, description = ?, updated_at = ? WHERE id = ?`,
		n.Name, n.Path, n.FullPath, n.FullName, nullID(n.ParentID), n.Visibility, n.Description,
		ms(n.UpdatedAt), n.ID)
	if err != nil {
		return fmt.Errorf("update namespace %d: %w", n.ID, wrap(err))
	}
	return nil
}

// RenameNamespaceTree rewrites the full path and full name of every descendant of a namespace
// whose own full path changed from oldPath to newPath and full name from oldName to newName.
func RenameNamespaceTree(ctx context.Context, tx *sql.Tx, oldPath, newPath, oldName, newName string) error {
	_, err := tx.ExecContext(ctx, `UPDATE namespaces
		SET full_path = ? || substr(full_path, ?), full_name = ? || substr(full_name, ?)
		WHERE full_path LIKE ? ESCAPE '\'`,
		newPath, len(oldPath)+1, newName, len(oldName)+1, escapeLike(oldPath)+"/%")
	if err != nil {
		return fmt.Errorf("rename namespace tree %s: %w", oldPath, wrap(err))
	}
	return nil
}

// DeleteNamespace removes namespace id; subgroups, projects and memberships go with it.
func DeleteNamespace(ctx context.Context, tx *sql.Tx, id int64) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM namespaces WHERE id = ?", id); err != nil {
		return fmt.Errorf("delete namespace %d: %w", id, wrap(err))
	}
	return nil
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func scanInt64(row interface{ Scan(...any) error }) (int64, error) {
	var v int64
	err := row.Scan(&v)
	return v, wrap(err)
}

// DeletedNamespace is the tombstone of a deleted group.
type DeletedNamespace struct {
	ID        int64
	FullPath  string
	ParentID  int64
	DeletedBy int64
}

// TombstoneNamespaceTree records the deletion of namespace id and every group below it.
func TombstoneNamespaceTree(ctx context.Context, tx *sql.Tx, id, by int64, at time.Time) error {
	_, err := tx.ExecContext(ctx, `WITH RECURSIVE down(id) AS (
			SELECT ? UNION SELECT c.id FROM namespaces c JOIN down ON c.parent_id = down.id)
		INSERT OR REPLACE INTO deleted_namespaces (id, full_path, parent_id, deleted_by, deleted_at)
		SELECT n.id, n.full_path, n.parent_id, ?, ? FROM namespaces n WHERE n.id IN (SELECT id FROM down)`,
		id, nullID(by), ms(at))
	if err != nil {
		return fmt.Errorf("tombstone namespace %d: %w", id, wrap(err))
	}
	return nil
}

// DeletedNamespaceByRef returns the newest tombstone of a group by id or by full path.
func DeletedNamespaceByRef(ctx context.Context, q Querier, id int64, fullPath string) (DeletedNamespace, error) {
	var d DeletedNamespace
	err := q.QueryRowContext(ctx, `SELECT id, full_path, COALESCE(parent_id, 0), COALESCE(deleted_by, 0)
		FROM deleted_namespaces WHERE id = ? OR full_path = ? ORDER BY deleted_at DESC LIMIT 1`, id, fullPath).
		Scan(&d.ID, &d.FullPath, &d.ParentID, &d.DeletedBy)
	return d, wrap(err)
}

// CapTreeVisibility lowers to visibility (of the given rank: private 0, internal 1, public 2)
// every group of the tree rooted at namespace id, and every project in it, that shows more.
func CapTreeVisibility(ctx context.Context, tx *sql.Tx, id int64, visibility string, rank int) error {
	const tree = `WITH RECURSIVE down(id) AS (
			SELECT ? UNION SELECT c.id FROM namespaces c JOIN down ON c.parent_id = down.id) SELECT id FROM down`
	const over = `(CASE visibility WHEN 'public' THEN 2 WHEN 'internal' THEN 1 ELSE 0 END) > ?`
	if _, err := tx.ExecContext(ctx, "UPDATE namespaces SET visibility = ? WHERE id IN ("+tree+") AND "+over,
		visibility, id, rank); err != nil {
		return fmt.Errorf("cap visibility under namespace %d: %w", id, wrap(err))
	}
	if _, err := tx.ExecContext(ctx, "UPDATE projects SET visibility = ? WHERE namespace_id IN ("+tree+") AND "+over,
		visibility, id, rank); err != nil {
		return fmt.Errorf("cap visibility under namespace %d: %w", id, wrap(err))
	}
	return nil
}

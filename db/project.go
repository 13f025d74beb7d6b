package db

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/cairn-forge/cairn/forge/model"
)

const projectColumns = `p.id, p.namespace_id, p.name, p.path, p.description, p.visibility, p.default_branch,
	COALESCE(p.creator_id, 0), p.archived, p.empty_repo, p.topics, p.merge_method, p.squash_option,
	p.created_at, p.updated_at, p.last_activity_at,
	(SELECT COALESCE(SUM(ic.n), 0) FROM issue_counts ic WHERE ic.project_id = p.id AND ic.state = 'opened' AND ic.confidential = 0),
	(SELECT COALESCE(SUM(ic.n), 0) FROM issue_counts ic WHERE ic.project_id = p.id AND ic.state = 'opened' AND ic.confidential = 1),
	COALESCE(p.forked_from_id, 0), (SELECT COUNT(*) FROM projects f WHERE f.forked_from_id = p.id),
	(SELECT COUNT(*) FROM project_stars st WHERE st.project_id = p.id),
	COALESCE((SELECT up.filename FROM uploads up WHERE up.model_kind = 'project' AND up.model_id = p.id
		AND up.purpose = 'avatar' ORDER BY up.id DESC LIMIT 1), ''), ` + namespaceColumns

const projectFrom = ` FROM projects p JOIN namespaces n ON n.id = p.namespace_id`

func scanProject(row interface{ Scan(...any) error }) (model.Project, error) {
	var p model.Project
	var topics string
	var created, updated, activity, nsCreated, nsUpdated int64
	ns := &p.Namespace
	err := row.Scan(&p.ID, &p.NamespaceID, &p.Name, &p.Path, &p.Description, &p.Visibility,
		&p.DefaultBranch, &p.CreatorID, &p.Archived, &p.EmptyRepo, &topics, &p.MergeMethod,
		&p.SquashOption, &created, &updated, &activity, &p.OpenIssues, &p.OpenConfidentialIssues,
		&p.ForkedFromID, &p.ForksCount, &p.StarCount, &p.Avatar, &ns.ID, &ns.Kind, &ns.Name, &ns.Path,
		&ns.FullPath, &ns.FullName, &ns.ParentID, &ns.OwnerID, &ns.Visibility, &ns.Description,
		&nsCreated, &nsUpdated, &ns.Avatar)
	if err != nil {
		return model.Project{}, wrap(err)
	}
	p.CreatedAt, p.UpdatedAt, p.LastActivityAt = fromMS(created), fromMS(updated), fromMS(activity)
	ns.CreatedAt, ns.UpdatedAt = fromMS(nsCreated), fromMS(nsUpdated)
	p.Topics = splitList(topics)
	return p, nil
}

// ProjectByID returns the project with id.
func ProjectByID(ctx context.Context, q Querier, id int64) (model.Project, error) {
	return scanProject(q.QueryRowContext(ctx, "SELECT "+projectColumns+projectFrom+" WHERE p.id = ?", id))
}

// ProjectByPath returns the project in namespace namespaceID with path, compared without case.
func ProjectByPath(ctx context.Context, q Querier, namespaceID int64, path string) (model.Project, error) {
	return scanProject(q.QueryRowContext(ctx, "SELECT "+projectColumns+projectFrom+
		" WHERE p.namespace_id = ? AND p.path = ? COLLATE NOCASE", namespaceID, path))
}

// ProjectFilter selects and orders projects.
type ProjectFilter struct {
	// Visibilities and MemberUserID are alternatives: a project matches if its visibility is
	// listed or the user is a member (directly, through a group or its ancestors, or as the
	// owner of the personal namespace). Both unset: no restriction.
	Visibilities   []string
	MemberUserID   int64
	MinAccessLevel int
	Now            time.Time

	// OwnerUserID keeps the projects in that user's personal namespace.
	OwnerUserID  int64
	NamespaceIDs []int64
	Visibility   string
	Search       string
	Archived     *bool
	// StarredBy keeps the projects a user starred.
	StarredBy int64
	// ForkedFromID keeps the forks of a project.
	ForkedFromID int64
	// Topics keeps the projects that have every one of these topics.
	Topics []string
	// OrderBy is one of id, name, path, created_at, updated_at, last_activity_at, star_count.
	OrderBy string
	Desc    bool
	Limit   int
	Offset  int
}

// ListProjects returns one page of the projects matching f and how many match in all.
func ListProjects(ctx context.Context, q Querier, f ProjectFilter) ([]model.Project, int, error) {
	var where []string
	var args []any
	if cond, cargs := projectAccessCond(f); cond != "" {
		where, args = append(where, cond), cargs
	}
	if f.OwnerUserID != 0 {
		where = append(where, "n.owner_id = ?")
		args = append(args, f.OwnerUserID)
	}
	if f.NamespaceIDs != nil {
		where = append(where, "p.namespace_id IN ("+placeholders(len(f.NamespaceIDs))+")")
		if len(f.NamespaceIDs) == 0 {
			where[len(where)-1] = "0"
		}
		for _, id := range f.NamespaceIDs {
			args = append(args, id)
		}
	}
	if f.Visibility != "" {
		where = append(where, "p.visibility = ?")
		args = append(args, f.Visibility)
	}
	if f.Search != "" {
		like := "%" + escapeLike(f.Search) + "%"
		where = append(where,
			"(p.name LIKE ? ESCAPE '\\' OR p.path LIKE ? ESCAPE '\\' OR p.description LIKE ? ESCAPE '\\')")
		args = append(args, like, like, like)
	}
	if f.Archived != nil {
		where = append(where, "p.archived = ?")
		args = append(args, boolInt(*f.Archived))
	}
	if f.StarredBy != 0 {
		where = append(where, "p.id IN (SELECT project_id FROM project_stars WHERE user_id = ?)")
		args = append(args, f.StarredBy)
	}
	if f.ForkedFromID != 0 {
		where = append(where, "p.forked_from_id = ?")
		args = append(args, f.ForkedFromID)
	}
	for _, t := range f.Topics {
		where = append(where, `p.id IN (SELECT pt.project_id FROM project_topics pt JOIN topics t ON t.id = pt.topic_id
			WHERE t.name = ?)`)
		args = append(args, t)
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	order := map[string]string{
		"id":               "p.id",
		"name":             "p.name",
		"path":             "p.path",
		"created_at":       "p.created_at",
		"updated_at":       "p.updated_at",
		"last_activity_at": "p.last_activity_at",
		"star_count":       "(SELECT COUNT(*) FROM project_stars st WHERE st.project_id = p.id)",
	}[f.OrderBy]
	if order == "" {
		order = "p.created_at"
	}
	sorted := orderBy(order, "p.id", f.Desc)
	var total int
	if err := q.QueryRowContext(ctx, "SELECT COUNT(*)"+projectFrom+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count projects: %w", wrap(err))
	}
	limit := f.Limit
	if limit <= 0 {
		limit = -1
	}
	page := append(args[:len(args):len(args)], limit, f.Offset)
	if total <= smallProjectList {
		list, err := queryAll(ctx, q, "SELECT "+projectColumns+projectFrom+cond+sorted+" LIMIT ? OFFSET ?",
			page, scanProject)
		return list, total, err
	}
	// Past a few pages, the page's ids are chosen first and the columns (counts among them)
	// read for those alone: sorting whole rows would count every matching project's issues,
	// forks and stars.
	list, err := queryAll(ctx, q, "SELECT "+projectColumns+projectFrom+" WHERE p.id IN (SELECT p.id"+projectFrom+
		cond+sorted+" LIMIT ? OFFSET ?)"+sorted, page, scanProject)
	return list, total, err
}

// smallProjectList is how many matching projects are sorted whole rows and all: few enough
// that choosing the page's ids first would cost more than it saves.
const smallProjectList = 100

// projectAccessCond is the condition on p (projects) and n (their namespaces) that keeps
// what f's Visibilities and MemberUserID allow, with its arguments; "" when they are unset.
func projectAccessCond(f ProjectFilter) (string, []any) {
	if f.Visibilities == nil && f.MemberUserID == 0 {
		return "", nil
	}
	var args []any
	var or []string
	if len(f.Visibilities) > 0 {
		or = append(or, "p.visibility IN ("+placeholders(len(f.Visibilities))+")")
		for _, v := range f.Visibilities {
			args = append(args, v)
		}
	}
	if f.MemberUserID != 0 {
		now := ms(f.Now)
		or = append(or, `p.id IN (SELECT project_id FROM project_members
			WHERE user_id = ? AND access_level >= ? AND (expires_at IS NULL OR expires_at > ?))`,
			`p.namespace_id IN (WITH RECURSIVE g(id) AS (
			SELECT namespace_id FROM group_members
			WHERE user_id = ? AND access_level >= ? AND (expires_at IS NULL OR expires_at > ?)
			UNION SELECT c.id FROM namespaces c JOIN g ON c.parent_id = g.id) SELECT id FROM g)`,
			"n.owner_id = ?")
		args = append(args, f.MemberUserID, f.MinAccessLevel, now, f.MemberUserID, f.MinAccessLevel, now,
			f.MemberUserID)
	}
	if len(or) == 0 {
		or = append(or, "0")
	}
	return "(" + strings.Join(or, " OR ") + ")", args
}

// InsertProject adds p and returns its id.
func InsertProject(ctx context.Context, tx *sql.Tx, p model.Project) (int64, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO projects (namespace_id, name, path, description,
		visibility, default_branch, creator_id, archived, empty_repo, topics, merge_method,
		squash_option, created_at, updated_at, last_activity_at, forked_from_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.NamespaceID, p.Name, p.Path, p.Description, p.Visibility, p.DefaultBranch, nullID(p.CreatorID),
		boolInt(p.Archived), boolInt(p.EmptyRepo), joinList(p.Topics), p.MergeMethod, p.SquashOption,
		ms(p.CreatedAt), ms(p.UpdatedAt), ms(p.LastActivityAt), nullID(p.ForkedFromID))
	if err != nil {
		return 0, fmt.Errorf("insert project: %w", wrap(err))
	}
	return res.LastInsertId()
}

// UpdateProject writes every column of p but its id, creator and creation time.
func UpdateProject(ctx context.Context, tx *sql.Tx, p model.Project) error {
	_, err := tx.ExecContext(ctx, `UPDATE projects SET namespace_id = ?, name = ?, path = ?,
		description = ?, visibility = ?, default_branch = ?, archived = ?, empty_repo = ?, topics = ?,
		merge_method = ?, squash_option = ?, updated_at = ?, last_activity_at = ? WHERE id = ?`,
		p.NamespaceID, p.Name, p.Path, p.Description, p.Visibility, p.DefaultBranch, boolInt(p.Archived),
		boolInt(p.EmptyRepo), joinList(p.Topics), p.MergeMethod, p.SquashOption, ms(p.UpdatedAt),
		ms(p.LastActivityAt), p.ID)
	if err != nil {
		return fmt.Errorf("update project %d: %w", p.ID, wrap(err))
	}
	return nil
}

// DeleteProject removes project p and leaves a tombstone naming who deleted it.
func DeleteProject(ctx context.Context, tx *sql.Tx, p model.Project, by int64, at time.Time) error {
	if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO deleted_projects
		(id, namespace_id, full_path, deleted_by, deleted_at) VALUES (?, ?, ?, ?, ?)`,
		p.ID, p.NamespaceID, p.FullPath(), nullID(by), ms(at)); err != nil {
		return fmt.Errorf("tombstone project %d: %w", p.ID, wrap(err))
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM projects WHERE id = ?", p.ID); err != nil {
		return fmt.Errorf("delete project %d: %w", p.ID, wrap(err))
	}
	return nil
}

// DeletedProject is the tombstone of a deleted project.
type DeletedProject struct {
	ID          int64
	NamespaceID int64
	FullPath    string
	DeletedBy   int64
}

// DeletedProjectByID returns the tombstone of project id.
func DeletedProjectByID(ctx context.Context, q Querier, id int64) (DeletedProject, error) {
	var d DeletedProject
	err := q.QueryRowContext(ctx, `SELECT id, namespace_id, full_path, COALESCE(deleted_by, 0)
		FROM deleted_projects WHERE id = ?`, id).Scan(&d.ID, &d.NamespaceID, &d.FullPath, &d.DeletedBy)
	return d, wrap(err)
}

// DeletedProjectByPath returns the newest tombstone of a project at fullPath.
func DeletedProjectByPath(ctx context.Context, q Querier, fullPath string) (DeletedProject, error) {
	var d DeletedProject
	err := q.QueryRowContext(ctx, `SELECT id, namespace_id, full_path, COALESCE(deleted_by, 0)
		FROM deleted_projects WHERE full_path = ? ORDER BY deleted_at DESC LIMIT 1`, fullPath).
		Scan(&d.ID, &d.NamespaceID, &d.FullPath, &d.DeletedBy)
	return d, wrap(err)
}

// ProjectIDs returns the ids of every project.
func ProjectIDs(ctx context.Context, q Querier) ([]int64, error) {
	return queryAll(ctx, q, "SELECT id FROM projects ORDER BY id", nil, scanInt64)
}

// ProjectCountInNamespaceTree counts the projects in namespace id and its descendants.
func ProjectCountInNamespaceTree(ctx context.Context, q Querier, id int64) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `WITH RECURSIVE down(id) AS (
			SELECT ? UNION SELECT c.id FROM namespaces c JOIN down ON c.parent_id = down.id)
		SELECT COUNT(*) FROM projects WHERE namespace_id IN (SELECT id FROM down)`, id).Scan(&n)
	return n, wrap(err)
}

// ProjectIDsInNamespaceTree returns the ids of the projects in namespace id and its descendants.
func ProjectIDsInNamespaceTree(ctx context.Context, q Querier, id int64) ([]int64, error) {
	return queryAll(ctx, q, `WITH RECURSIVE down(id) AS (
			SELECT ? UNION SELECT c.id FROM namespaces c JOIN down ON c.parent_id = down.id)
		SELECT id FROM projects WHERE namespace_id IN (SELECT id FROM down) ORDER BY id`, []any{id}, scanInt64)
}

func splitList(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, "\n")
}

func joinList(l []string) string { return strings.Join(l, "\n") }

// RecordProjectActivity marks a project as active at t and, when hasCode, as no longer empty.
func RecordProjectActivity(ctx context.Context, q Querier, id int64, t time.Time, hasCode bool) error {
	_, err := q.ExecContext(ctx, `UPDATE projects SET last_activity_at = ?,
		empty_repo = CASE WHEN ? THEN 0 ELSE empty_repo END WHERE id = ?`, ms(t), boolInt(hasCode), id)
	return wrap(err)
}

package db

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/cairn-forge/cairn/forge/model"
)

// memberTable names the table of a source kind; anything else is a programming error.
func memberTable(kind string) (table, key string) {
	switch kind {
	case "group":
		return "group_members", "namespace_id"
	case "project":
		return "project_members", "project_id"
	}
	panic("db: unknown member source " + kind)
}

func scanMember(kind string) func(row interface{ Scan(...any) error }) (model.Member, error) {
	return func(row interface{ Scan(...any) error }) (model.Member, error) {
		var m model.Member
		var created int64
		var expires sql.NullInt64
		var sc userScan
		dest := append([]any{&m.SourceID, &m.AccessLevel, &expires, &m.CreatedBy, &created}, sc.dest(&m.User)...)
		if err := row.Scan(dest...); err != nil {
			return model.Member{}, wrap(err)
		}
		sc.finish(&m.User)
		m.SourceKind = kind
		m.ExpiresAt, m.CreatedAt = fromNullMS(expires), fromMS(created)
		return m, nil
	}
}

func memberSelect(kind string) string {
	table, key := memberTable(kind)
	return "SELECT m." + key + ", m.access_level, m.expires_at, COALESCE(m.created_by, 0), m.created_at, " +
		userColumns + " FROM " + table +
		" m JOIN users u ON u.id = m.user_id LEFT JOIN namespaces n ON n.owner_id = u.id"
}

// MemberFilter selects members of one or more sources.
type MemberFilter struct {
	Kind      string
	SourceIDs []int64
	UserID    int64
	Query     string
	Limit     int
	Offset    int
}

// ListMembers returns one page of the members matching f, ordered by user id, and the total.
func ListMembers(ctx context.Context, q Querier, f MemberFilter) ([]model.Member, int, error) {
	_, key := memberTable(f.Kind)
	where := []string{"m." + key + " IN (" + placeholders(len(f.SourceIDs)) + ")"}
	if len(f.SourceIDs) == 0 {
		where[0] = "0"
	}
	var args []any
	for _, id := range f.SourceIDs {
		args = append(args, id)
	}
	if f.UserID != 0 {
		where = append(where, "m.user_id = ?")
		args = append(args, f.UserID)
	}
	if f.Query != "" {
		like := "%" + escapeLike(f.Query) + "%"
		where = append(where, "(u.username LIKE ? ESCAPE '\\' OR u.name LIKE ? ESCAPE '\\')")
		args = append(args, like, like)
	}
	cond := " WHERE " + strings.Join(where, " AND ")
	sel := memberSelect(f.Kind)
	from := sel[strings.LastIndex(sel, " FROM "):] // the columns hold subqueries of their own
	return listPage(ctx, q, "SELECT COUNT(*)"+from+cond, sel+cond+" ORDER BY u.id, m."+key,
		args, f.Limit, f.Offset, scanMember(f.Kind))
}

// GetMember returns the direct membership of user in a source.
func GetMember(ctx context.Context, q Querier, kind string, sourceID, userID int64) (model.Member, error) {
	_, key := memberTable(kind)
	return scanMember(kind)(
		q.QueryRowContext(ctx, memberSelect(kind)+" WHERE m."+key+" = ? AND m.user_id = ?", sourceID, userID))
}

// UpsertMember adds or changes a membership.
func UpsertMember(ctx context.Context, tx *sql.Tx, m model.Member) error {
	table, key := memberTable(m.SourceKind)
	_, err := tx.ExecContext(ctx, "INSERT INTO "+table+" ("+key+
		`, user_id, access_level, expires_at, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET access_level = excluded.access_level,
		expires_at = excluded.expires_at`,
		m.SourceID, m.User.ID, m.AccessLevel, msPtr(m.ExpiresAt), nullID(m.CreatedBy), ms(m.CreatedAt))
	if err != nil {
		return fmt.Errorf("save member: %w", wrap(err))
	}
	return nil
}

// DeleteMember removes a membership; it reports whether there was one.
func DeleteMember(ctx context.Context, tx *sql.Tx, kind string, sourceID, userID int64) (bool, error) {
	table, key := memberTable(kind)
	res, err := tx.ExecContext(ctx, "DELETE FROM "+table+" WHERE "+key+" = ? AND user_id = ?", sourceID, userID)
	if err != nil {
		return false, fmt.Errorf("delete member: %w", wrap(err))
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// ProjectAccessLevel is the highest access user has to a project: directly, through a group
// holding it or any ancestor group (Minimal access to a group reaches no project), or 50 for
// the owner of its personal namespace. 0 is none.
func ProjectAccessLevel(ctx context.Context, q Querier, projectID, namespaceID, userID int64,
	now time.Time) (int, error) {
	var level int
	err := q.QueryRowContext(ctx, `WITH RECURSIVE up(id) AS (
			SELECT ? UNION SELECT n.parent_id FROM namespaces n JOIN up ON n.id = up.id WHERE n.parent_id IS NOT NULL)
		SELECT COALESCE(MAX(level), 0) FROM (
			SELECT access_level AS level FROM project_members
				WHERE project_id = ? AND user_id = ? AND (expires_at IS NULL OR expires_at > ?)
			UNION ALL SELECT access_level FROM group_members
				WHERE user_id = ? AND namespace_id IN (SELECT id FROM up) AND access_level >= 10
				AND (expires_at IS NULL OR expires_at > ?)
			UNION ALL SELECT 50 FROM namespaces WHERE id = ? AND owner_id = ?)`,
		namespaceID, projectID, userID, ms(now), userID, ms(now), namespaceID, userID).Scan(&level)
	return level, wrap(err)
}

// NamespaceAccessLevel is the highest access user has to a namespace, through it or an
// ancestor group, or 50 for a personal namespace's owner. 0 is none.
func NamespaceAccessLevel(ctx context.Context, q Querier, namespaceID, userID int64, now time.Time) (int, error) {
	var level int
	err := q.QueryRowContext(ctx, `WITH RECURSIVE up(id) AS (
			SELECT ? UNION SELECT n.parent_id FROM namespaces n JOIN up ON n.id = up.id WHERE n.parent_id IS NOT NULL)
		SELECT COALESCE(MAX(level), 0) FROM (
			SELECT access_level AS level FROM group_members
				WHERE user_id = ? AND namespace_id IN (SELECT id FROM up) AND (expires_at IS NULL OR expires_at > ?)
			UNION ALL SELECT 50 FROM namespaces WHERE id = ? AND owner_id = ?)`,
		namespaceID, userID, ms(now), namespaceID, userID).Scan(&level)
	return level, wrap(err)
}

// UserAccess holds, for one user, the access levels granted by memberships: per namespace
// (group memberships spread down to every subgroup) and per project. Lists use it to work out
// permissions for many rows with two queries.
type UserAccess struct {
	Namespaces map[int64]int
	Projects   map[int64]int
}

// LoadUserAccess reads every membership of user.
func LoadUserAccess(ctx context.Context, q Querier, userID int64, now time.Time) (UserAccess, error) {
	a := UserAccess{Namespaces: map[int64]int{}, Projects: map[int64]int{}}
	rows, err := q.QueryContext(ctx, `WITH RECURSIVE g(id, level) AS (
			SELECT namespace_id, access_level FROM group_members
			WHERE user_id = ? AND (expires_at IS NULL OR expires_at > ?)
			UNION SELECT c.id, g.level FROM namespaces c JOIN g ON c.parent_id = g.id)
		SELECT id, MAX(level) FROM g GROUP BY id
		UNION ALL SELECT id, 50 FROM namespaces WHERE owner_id = ?`, userID, ms(now), userID)
	if err != nil {
		return a, wrap(err)
	}
	for rows.Next() {
		var id int64
		var level int
		if err := rows.Scan(&id, &level); err != nil {
			rows.Close()
			return a, wrap(err)
		}
		a.Namespaces[id] = max(a.Namespaces[id], level)
	}
	rows.Close()
	rows, err = q.QueryContext(ctx, `SELECT project_id, access_level FROM project_members
		WHERE user_id = ? AND (expires_at IS NULL OR expires_at > ?)`, userID, ms(now))
	if err != nil {
		return a, wrap(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var level int
		if err := rows.Scan(&id, &level); err != nil {
			return a, wrap(err)
		}
		a.Projects[id] = level
	}
	return a, wrap(rows.Err())
}

// CountOwners counts the direct owners of a group.
func CountOwners(ctx context.Context, q Querier, namespaceID int64) (int, error) {
	var n int
	err := q.QueryRowContext(ctx,
		"SELECT COUNT(*) FROM group_members WHERE namespace_id = ? AND access_level = 50", namespaceID).Scan(&n)
	return n, wrap(err)
}

// SoleOwnedGroups returns the groups user is a direct owner of where no other user is a direct
// owner, of the group or of any group above it: without user, nobody would own them. Groups
// come before the groups below them.
func SoleOwnedGroups(ctx context.Context, q Querier, userID int64) ([]model.Namespace, error) {
	return queryAll(ctx, q, `WITH RECURSIVE up(gid, id) AS (
			SELECT namespace_id, namespace_id FROM group_members WHERE user_id = ? AND access_level = 50
			UNION SELECT up.gid, n.parent_id FROM namespaces n JOIN up ON n.id = up.id WHERE n.parent_id IS NOT NULL)
		SELECT `+namespaceColumns+` FROM namespaces n
		WHERE n.id IN (SELECT namespace_id FROM group_members WHERE user_id = ? AND access_level = 50)
		AND NOT EXISTS (SELECT 1 FROM up JOIN group_members o ON o.namespace_id = up.id
			WHERE up.gid = n.id AND o.access_level = 50 AND o.user_id <> ?)
		ORDER BY n.full_path`, []any{userID, userID, userID}, scanNamespace)
}

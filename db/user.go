package db

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/cairn-forge/cairn/forge/model"
)

const userColumns = `u.id, u.username, u.email, u.name, u.is_admin,
	CASE WHEN u.banned_at IS NOT NULL THEN 'banned' ELSE u.state END, u.bio,
	u.external, u.can_create_group, u.projects_limit, u.plan, u.rate_per_minute, u.rate_burst,
	u.created_at, u.updated_at, u.last_sign_in_at, u.last_activity_at, u.failed_attempts, u.locked_at,
	COALESCE(n.id, 0), COALESCE((SELECT up.filename FROM uploads up WHERE up.model_kind = 'user'
		AND up.model_id = u.id AND up.purpose = 'avatar' ORDER BY up.id DESC LIMIT 1), '')`

const userFrom = ` FROM users u LEFT JOIN namespaces n ON n.owner_id = u.id`

func scanUser(row interface{ Scan(...any) error }) (model.User, error) {
	var u model.User
	var sc userScan
	if err := row.Scan(sc.dest(&u)...); err != nil {
		return model.User{}, wrap(err)
	}
	sc.finish(&u)
	return u, nil
}

// userScan holds the columns of userColumns that need converting after a scan.
type userScan struct {
	created, updated int64
	signIn, activity sql.NullInt64
	locked           sql.NullInt64
}

// dest lists scan destinations for userColumns, in order, filling u.
func (sc *userScan) dest(u *model.User) []any {
	return []any{&u.ID, &u.Username, &u.Email, &u.Name, &u.IsAdmin, &u.State,
		&u.Bio, &u.External, &u.CanCreateGroup, &u.ProjectsLimit, &u.Plan, &u.RatePerMinute,
		&u.RateBurst, &sc.created, &sc.updated, &sc.signIn, &sc.activity, &u.FailedAttempts, &sc.locked,
		&u.NamespaceID, &u.Avatar}
}

func (sc *userScan) finish(u *model.User) {
	u.CreatedAt, u.UpdatedAt = fromMS(sc.created), fromMS(sc.updated)
	u.LastSignInAt, u.LastActivityAt = fromNullMS(sc.signIn), fromNullMS(sc.activity)
	u.LockedAt = fromNullMS(sc.locked)
}

// UserByID returns the user with id.
func UserByID(ctx context.Context, q Querier, id int64) (model.User, error) {
	return scanUser(q.QueryRowContext(ctx, "SELECT "+userColumns+userFrom+" WHERE u.id = ?", id))
}

// UsersByID returns the users of ids that exist, by id.
func UsersByID(ctx context.Context, q Querier, ids []int64) (map[int64]model.User, error) {
	out := map[int64]model.User{}
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	list, err := queryAll(ctx, q, "SELECT "+userColumns+userFrom+" WHERE u.id IN ("+placeholders(len(ids))+
		")", args, scanUser)
	for _, u := range list {
		out[u.ID] = u
	}
	return out, err
}

// UserByUsername returns the user with username, compared without case.
func UserByUsername(ctx context.Context, q Querier, username string) (model.User, error) {
	return scanUser(q.QueryRowContext(ctx, "SELECT "+userColumns+userFrom+" WHERE u.username = ?", username))
}

// UserByEmail returns the user with email, compared without case.
func UserByEmail(ctx context.Context, q Querier, email string) (model.User, error) {
	return scanUser(q.QueryRowContext(ctx, "SELECT "+userColumns+userFrom+" WHERE u.email = ?", email))
}

// UserFilter selects and orders users.
type UserFilter struct {
	Username string
	Search   string
	State    string
	Admins   *bool
	External *bool
	// OrderBy is one of id, name, username, created_at, updated_at.
	OrderBy string
	Desc    bool
	Limit   int
	Offset  int
}

// ListUsers returns one page of the users matching f, and how many match in all.
func ListUsers(ctx context.Context, q Querier, f UserFilter) ([]model.User, int, error) {
	var where []string
	var args []any
	if f.Username != "" {
		where = append(where, "u.username = ?")
		args = append(args, f.Username)
	}
	if f.Search != "" {
		where = append(where, "(u.username LIKE ? ESCAPE '\\' OR u.name LIKE ? ESCAPE '\\' OR u.email = ?)")
		like := "%" + escapeLike(f.Search) + "%"
		args = append(args, like, like, f.Search)
	}
	if f.State != "" {
		where = append(where, "u.state = ?")
		args = append(args, f.State)
	}
	if f.Admins != nil {
		where = append(where, "u.is_admin = ?")
		args = append(args, boolInt(*f.Admins))
	}
	if f.External != nil {
		where = append(where, "u.external = ?")
		args = append(args, boolInt(*f.External))
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	order := map[string]string{"id": "u.id", "name": "u.name", "username": "u.username",
		"created_at": "u.created_at", "updated_at": "u.updated_at"}[f.OrderBy]
	if order == "" {
		order = "u.id"
	}
	return listPage(ctx, q, "SELECT COUNT(*)"+userFrom+cond,
		"SELECT "+userColumns+userFrom+cond+orderBy(order, "u.id", f.Desc), args, f.Limit, f.Offset, scanUser)
}

// InsertUser adds u, whose password hashes to passwordHash ("" for none), and returns its id.
func InsertUser(ctx context.Context, tx *sql.Tx, u model.User, passwordHash string) (int64, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO users (username, email, name, password_hash, is_admin,
		state, bio, external, can_create_group, projects_limit, plan, rate_per_minute, rate_burst,
		created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.Username, u.Email, u.Name, passwordHash, boolInt(u.IsAdmin), u.State, u.Bio,
		boolInt(u.External), boolInt(u.CanCreateGroup), u.ProjectsLimit, u.Plan, u.RatePerMinute,
		u.RateBurst, ms(u.CreatedAt), ms(u.UpdatedAt))
	if err != nil {
		return 0, fmt.Errorf("insert user: %w", wrap(err))
	}
	return res.LastInsertId()
}

// UpdateUser writes every column of u but its id and creation time (and its password hash,
// which SetPasswordHash writes).
func UpdateUser(ctx context.Context, tx *sql.Tx, u model.User) error {
	// A ban is stored as a block with its time (see migration 0021).
	state, banned := u.State, u.State == "banned"
	if banned {
		state = "blocked"
	}
	_, err := tx.ExecContext(ctx,
		`UPDATE users SET username = ?, email = ?, name = ?, is_admin = ?, state = ?, banned_at = CASE WHEN ? THEN COALESCE(banned_at, ?) END, bio = ?, external = ?,
		can_create_group = ?, projects_limit = ?, plan = ?, rate_per_minute = ?, rate_burst = ?, updated_at = ?
		WHERE id = ?`,
		u.Username, u.Email, u.Name, boolInt(u.IsAdmin), state, banned, ms(u.UpdatedAt), u.Bio,
		boolInt(u.External), boolInt(u.CanCreateGroup), u.ProjectsLimit, u.Plan, u.RatePerMinute,
		u.RateBurst, ms(u.UpdatedAt), u.ID)
	if err != nil {
		return fmt.Errorf("update user %d: %w", u.ID, wrap(err))
	}
	return nil
}

// SetSignInLock records a user's count of failed passwords and when their lock began (nil:
// not locked).
func SetSignInLock(ctx context.Context, tx *sql.Tx, id int64, failedAttempts int, lockedAt *time.Time) error {
	_, err := tx.ExecContext(ctx, "UPDATE users SET failed_attempts = ?, locked_at = ? WHERE id = ?",
		failedAttempts, msPtr(lockedAt), id)
	if err != nil {
		return fmt.Errorf("set sign-in lock of user %d: %w", id, wrap(err))
	}
	return nil
}

// DeleteUser removes the user with id; its namespace (with the projects left in it),
// memberships, tokens, sessions and assignments go with it, and what still names the user
// (authors, closers, creators) names nobody.
func DeleteUser(ctx context.Context, tx *sql.Tx, id int64) error {
	_, err := tx.ExecContext(ctx, "DELETE FROM users WHERE id = ?", id)
	if err != nil {
		return fmt.Errorf("delete user %d: %w", id, wrap(err))
	}
	return nil
}

// authorship lists the columns that credit a user with something done in a project, which a
// deleted user's contributions keep under another user (ReassignContributions).
var authorship = []struct{ table, column string }{
	{"issues", "author_id"}, {"notes", "author_id"}, {"merge_requests", "author_id"},
	{"merge_requests", "merged_by_id"}, {"events", "author_id"}, {"releases", "author_id"},
	{"deployments", "user_id"}, {"critical_defects", "author_id"}, {"critical_defect_fixes", "author_id"},
	{"agent_runs", "user_id"},
	{"commit_comments", "author_id"}, {"commit_statuses", "author_id"}, {"pipelines", "user_id"},
}

// ReassignContributions credits user to with everything user from authored, merged, pushed,
// deployed or released.
func ReassignContributions(ctx context.Context, tx *sql.Tx, from, to int64) error {
	for _, c := range authorship {
		q := "UPDATE " + c.table + " SET " + c.column + " = ? WHERE " + c.column + " = ?"
		if _, err := tx.ExecContext(ctx, q, to, from); err != nil {
			return fmt.Errorf("reassign %s.%s of user %d: %w", c.table, c.column, from, wrap(err))
		}
	}
	return nil
}

// DeleteContributions removes the issues, merge requests (with their notes and label links),
// notes, commit comments and events user authored. The iids of deleted issues and merge
// requests are never handed out again, as with DeleteIssue. Releases, deployments and defects stay, as the
// delivery record DORA reads (GitLab keeps releases too): once the user is deleted, they name
// nobody.
func DeleteContributions(ctx context.Context, tx *sql.Tx, user int64) error {
	for _, t := range []struct{ table, kind string }{{"issues", "issues"}, {"merge_requests", "merge_requests"}} {
		if _, err := tx.ExecContext(ctx, `INSERT INTO iid_floors (project_id, kind, last_iid)
			SELECT project_id, ?, MAX(iid) FROM `+t.table+` WHERE author_id = ? GROUP BY project_id
			ON CONFLICT (project_id, kind) DO UPDATE SET last_iid = MAX(last_iid, excluded.last_iid)`,
			t.kind, user); err != nil {
			return fmt.Errorf("raise iid floors of user %d's %s: %w", user, t.table, wrap(err))
		}
	}
	for _, table := range []string{"issues", "merge_requests", "notes", "events", "commit_comments"} {
		if _, err := tx.ExecContext(ctx, "DELETE FROM "+table+" WHERE author_id = ?", user); err != nil {
			return fmt.Errorf("delete user %d's %s: %w", user, table, wrap(err))
		}
	}
	return nil
}

// AuthorHasLockedMergeRequest reports whether a merge request user authored is being merged.
func AuthorHasLockedMergeRequest(ctx context.Context, q Querier, user int64) (bool, error) {
	var locked bool
	err := q.QueryRowContext(ctx,
		"SELECT EXISTS (SELECT 1 FROM merge_requests WHERE author_id = ? AND state = 'locked')",
		user).Scan(&locked)
	return locked, wrap(err)
}

// TombstoneUser records that user id was deleted, by whom and when.
func TombstoneUser(ctx context.Context, tx *sql.Tx, id, by int64, at time.Time) error {
	if _, err := tx.ExecContext(ctx,
		"INSERT OR REPLACE INTO deleted_users (id, deleted_by, deleted_at) VALUES (?, ?, ?)",
		id, nullID(by), ms(at)); err != nil {
		return fmt.Errorf("tombstone user %d: %w", id, wrap(err))
	}
	return nil
}

// UserWasDeleted reports whether user id existed and was deleted.
func UserWasDeleted(ctx context.Context, q Querier, id int64) (bool, error) {
	var gone bool
	err := q.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM deleted_users WHERE id = ?)", id).Scan(&gone)
	return gone, wrap(err)
}

// listPage runs a count and a paged select sharing args.
func listPage[T any](ctx context.Context, q Querier, countSQL, selectSQL string, args []any,
	limit, offset int, scan func(interface{ Scan(...any) error }) (T, error)) ([]T, int, error) {
	var total int
	if err := q.QueryRowContext(ctx, countSQL, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count: %w", wrap(err))
	}
	if limit <= 0 {
		limit = -1
	}
	items, err := queryAll(ctx, q, selectSQL+" LIMIT ? OFFSET ?",
		append(args[:len(args):len(args)], limit, offset), scan)
	return items, total, err
}

// queryAll runs a select and scans every row.
func queryAll[T any](ctx context.Context, q Querier, query string, args []any,
	scan func(interface{ Scan(...any) error }) (T, error)) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("query: %w", wrap(err))
	}
	defer rows.Close()
	items := []T{}
	for rows.Next() {
		item, err := scan(rows)
		if err != nil {
			return nil, err
		}
		items = append(items, item)
	}
	return items, wrap(rows.Err())
}

func orderBy(col, tiebreak string, desc bool) string {
	dir := " ASC"
	if desc {
		dir = " DESC"
	}
	if col == tiebreak {
		return " ORDER BY " + col + dir
	}
	return " ORDER BY " + col + dir + ", " + tiebreak + dir
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// PasswordHash returns the password hash of user id, "" when they have none. Only forge's
// sign-in reads it: no model type carries it.
func PasswordHash(ctx context.Context, q Querier, id int64) (string, error) {
	var hash string
	err := q.QueryRowContext(ctx, "SELECT password_hash FROM users WHERE id = ?", id).Scan(&hash)
	return hash, wrap(err)
}

// SetPasswordHash replaces the password hash of user id.
func SetPasswordHash(ctx context.Context, q Querier, id int64, hash string) error {
	_, err := q.ExecContext(ctx, "UPDATE users SET password_hash = ? WHERE id = ?", hash, id)
	return wrap(err)
}

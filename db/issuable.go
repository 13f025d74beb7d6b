package db

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/cairn-forge/cairn/forge/model"
)

// issuableKind is what tells issues and merge requests apart in SQL: their table and its
// alias, their type as the target of notes and label links, and the table of their users.
type issuableKind struct {
	table    string
	a        string
	noteable string
	// users is the table linking a row to its users, key its column naming the row; role is
	// the condition on the link's role that makes an assignee ("" when every link does).
	users, key, role string
	// memberLevel is the access level a member needs to see the kind across projects.
	memberLevel int
	// columns and from select a row with what renders it.
	columns, from string
}

var (
	issueKind = issuableKind{
		table:    "issues",
		a:        "i",
		noteable: NoteableIssue,
		users:    "issue_assignees",
		key:      "issue_id",
		columns:  issueColumns,
		from:     issueFrom,
	}
	mergeRequestKind = issuableKind{
		table:       "merge_requests",
		a:           "m",
		noteable:    NoteableMergeRequest,
		users:       "merge_request_users",
		key:         "merge_request_id",
		role:        "'" + RoleAssignee + "'",
		memberLevel: 20,
		columns:     mergeRequestColumns,
		from:        mergeRequestFrom,
	}
)

// issuableColumns select the columns of an Issuable of kind, its row aliased a: the row's
// own, its author (joined as au), its closer (cu), its project's path (p and n) and its count
// of user notes.
func issuableColumns(a, noteable string) string {
	return a + `.id, ` + a + `.project_id, ` + a + `.iid, ` + a + `.title, ` + a + `.description, ` + a + `.state, ` +
		authorColumns + `, cu.id, cu.username, cu.name, cu.state, ` + a + `.closed_at, ` + a + `.created_at, ` +
		a + `.updated_at, (SELECT COUNT(*) FROM notes nt WHERE nt.noteable_type = '` + noteable + `'
		AND nt.noteable_id = ` + a + `.id AND nt.system = 0), n.full_path || '/' || p.path, ` +
		votes(a, noteable, "thumbsup") + `, ` + votes(a, noteable, "thumbsdown")
}

// votes counts the emoji name awarded to the issuable of kind aliased a.
func votes(a, kind, name string) string {
	return `(SELECT COUNT(*) FROM award_emoji ae WHERE ae.awardable_type = '` + kind + `'
		AND ae.awardable_id = ` + a + `.id AND ae.name = '` + name + `')`
}

// issuableFrom joins the rows of table (aliased a) with what issuableColumns select.
func issuableFrom(table, a string) string {
	return ` FROM ` + table + ` ` + a + ` JOIN projects p ON p.id = ` + a + `.project_id
	JOIN namespaces n ON n.id = p.namespace_id LEFT JOIN users au ON au.id = ` + a + `.author_id
	LEFT JOIN users cu ON cu.id = ` + a + `.closed_by_id`
}

// nullUser scans a LEFT JOINed user that may be absent.
type nullUser struct {
	id                     sql.NullInt64
	username, name, status sql.NullString
}

func (n *nullUser) dest() []any { return []any{&n.id, &n.username, &n.name, &n.status} }

func (n *nullUser) user() *model.User {
	if !n.id.Valid {
		return nil
	}
	return &model.User{ID: n.id.Int64, Username: n.username.String, Name: n.name.String, State: n.status.String}
}

// issuableScan holds the columns of issuableColumns that need converting after a scan.
type issuableScan struct {
	closer           nullUser
	closed           sql.NullInt64
	created, updated int64
}

func (sc *issuableScan) dest(c *model.Issuable) []any {
	a := &c.Author
	dest := []any{&c.ID, &c.ProjectID, &c.IID, &c.Title, &c.Description, &c.State, &a.ID, &a.Username,
		&a.Name, &a.State}
	dest = append(dest, sc.closer.dest()...)
	return append(dest, &sc.closed, &sc.created, &sc.updated, &c.UserNotesCount, &c.ProjectPath,
		&c.Upvotes, &c.Downvotes)
}

func (sc *issuableScan) finish(c *model.Issuable) {
	c.ClosedBy = sc.closer.user()
	c.ClosedAt, c.CreatedAt, c.UpdatedAt = fromNullMS(sc.closed), fromMS(sc.created), fromMS(sc.updated)
	c.Labels, c.Assignees = []string{}, []model.User{}
}

// IssuableFilter selects and orders issues or merge requests. Zero fields do not restrict.
type IssuableFilter struct {
	// ProjectID keeps one project's; 0 lists every project's.
	ProjectID int64
	// Viewer, when set, keeps what one user may see; nil is everything (administrators).
	Viewer *IssueViewer

	State    string
	AuthorID int64
	// AssigneeID keeps those assigned to that user; NoAssignee and AnyAssignee select those
	// with none and with some.
	AssigneeID int64
	// Labels keeps those that carry every one of the names. NoLabels and AnyLabel select
	// those with none and with some.
	Labels   []string
	NoLabels bool
	AnyLabel bool
	IIDs     []int64
	Search   string
	// labelIDs are the ids of the labels named Labels (in the project, or in every project),
	// of which a row must carry labelCount; resolveLabels finds them.
	labelIDs   []int64
	labelCount int

	CreatedAfter, CreatedBefore, UpdatedAfter, UpdatedBefore *time.Time

	// OrderBy is created_at (the default), updated_at or title, or a column of the kind:
	// due_date for issues, merged_at for merge requests (rows without one come last).
	OrderBy string
	Desc    bool
	Limit   int
	Offset  int
}

// Assignee filters that are not user ids.
const (
	NoAssignee  int64 = -1
	AnyAssignee int64 = -2
)

// IssueViewer is who a list is for. Across projects (no ProjectID), they see the issues and
// merge requests of projects with one of Visibilities or of which they are a member (directly,
// through a group or as the owner of the personal namespace; for merge requests, as a reporter
// or more). Of confidential issues they see those they wrote or are assigned, and all of the
// projects they are a reporter (or more) of; in one project, ProjectReporter says whether they
// are. UserID 0 is an anonymous viewer.
type IssueViewer struct {
	UserID          int64
	Visibilities    []string
	ProjectReporter bool
	Now             time.Time
}

// userCondition is the condition that a row of kind k has (or has no, or some) user in the
// role that the link condition role selects ("" for any link).
func (k issuableKind) userCondition(role string, id int64) (string, []any) {
	if role != "" {
		role = " AND x.role = " + role
	}
	sub := "SELECT 1 FROM " + k.users + " x WHERE x." + k.key + " = " + k.a + ".id" + role
	switch {
	case id == NoAssignee:
		return "NOT EXISTS (" + sub + ")", nil
	case id == AnyAssignee:
		return "EXISTS (" + sub + ")", nil
	}
	// An IN list, not a correlated EXISTS: SQLite's planner fails ("internal query planner
	// error") on the EXISTS beside the viewer's OR of subqueries and a state.
	return k.a + ".id IN (SELECT x." + k.key + " FROM " + k.users + " x WHERE x.user_id = ?" + role + ")", []any{id}
}

// conditions returns the conditions of f on rows of kind k. For counting, rows with labels
// are reached through the labels' links: the unary + keeps SQLite from walking the whole
// project, which suits a page (it stops after a few) but not a count.
func (f IssuableFilter) conditions(k issuableKind, count bool) ([]string, []any) {
	var where []string
	var args []any
	add := func(cond string, a ...any) {
		where = append(where, cond)
		args = append(args, a...)
	}
	col := func(name string) string { return k.a + "." + name }
	if f.ProjectID != 0 {
		if count && f.labelIDs != nil {
			add("+"+col("project_id = ?"), f.ProjectID)
		} else {
			add(col("project_id = ?"), f.ProjectID)
		}
	}
	if v := f.Viewer; v != nil && f.ProjectID == 0 {
		or := col("project_id") + " IN (SELECT id FROM projects WHERE visibility IN (SELECT value FROM json_each(?)))"
		vargs := []any{jsonStrings(v.Visibilities)}
		if v.UserID != 0 {
			sub, subArgs := memberProjects(v.UserID, k.memberLevel, v.Now)
			or += " OR " + col("project_id") + " IN (" + sub + ")"
			vargs = append(vargs, subArgs...)
		}
		add("("+or+")", vargs...)
	}
	if f.State != "" {
		add(col("state = ?"), f.State)
	}
	if f.AuthorID != 0 {
		add(col("author_id = ?"), f.AuthorID)
	}
	if f.AssigneeID != 0 {
		c, a := k.userCondition(k.role, f.AssigneeID)
		add(c, a...)
	}
	if f.labelIDs != nil {
		if len(f.labelIDs) == 1 && f.labelCount == 1 {
			add(col("id")+
				" IN (SELECT target_id FROM label_links WHERE label_id = ? AND target_type = '"+k.noteable+"')",
				f.labelIDs[0])
		} else {
			// Every label is on the row: it has as many links to them as there are names.
			// (CROSS JOIN keeps the labels outside, so that their links come from an index.)
			add(col("id")+` IN (SELECT ll.target_id FROM json_each(?) want
				CROSS JOIN label_links ll ON ll.label_id = want.value AND ll.target_type = '`+k.noteable+`'
				GROUP BY ll.target_id HAVING COUNT(*) = ?)`, jsonInts(f.labelIDs), f.labelCount)
		}
	}
	links := "(SELECT 1 FROM label_links ll WHERE ll.target_type = '" + k.noteable +
		"' AND ll.target_id = " + col("id") + ")"
	if f.NoLabels {
		add("NOT EXISTS " + links)
	}
	if f.AnyLabel {
		add("EXISTS " + links)
	}
	if f.IIDs != nil {
		add(col("iid")+" IN (SELECT value FROM json_each(?))", jsonInts(f.IIDs))
	}
	if f.Search != "" {
		like := "%" + escapeLike(f.Search) + "%"
		add("("+col("title")+" LIKE ? ESCAPE '\\' OR "+col("description")+" LIKE ? ESCAPE '\\')", like, like)
	}
	for _, c := range []struct {
		cond string
		t    *time.Time
	}{{"created_at >= ?", f.CreatedAfter}, {"created_at <= ?", f.CreatedBefore},
		{"updated_at >= ?", f.UpdatedAfter}, {"updated_at <= ?", f.UpdatedBefore}} {
		if c.t != nil {
			add(col(c.cond), ms(*c.t))
		}
	}
	return where, args
}

// whereClause joins conditions into a WHERE clause ("" for none).
func whereClause(where []string) string {
	if len(where) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(where, " AND ")
}

// resolveLabels finds the ids of the labels f names, if any; ok is false when no row can
// carry them all (a name no project, or not the project, has).
func (f *IssuableFilter) resolveLabels(ctx context.Context, q Querier) (ok bool, err error) {
	if len(f.Labels) == 0 {
		return true, nil
	}
	cond, args := "", []any{jsonStrings(f.Labels)}
	if f.ProjectID != 0 {
		cond, args = " AND project_id = ?", append(args, f.ProjectID)
	}
	rows, err := q.QueryContext(ctx,
		"SELECT id, name FROM labels WHERE name IN (SELECT value FROM json_each(?))"+cond, args...)
	if err != nil {
		return false, fmt.Errorf("labels: %w", wrap(err))
	}
	defer rows.Close()
	found := map[string]bool{}
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return false, wrap(err)
		}
		f.labelIDs = append(f.labelIDs, id)
		found[name] = true
	}
	if err := rows.Err(); err != nil {
		return false, wrap(err)
	}
	for _, n := range f.Labels {
		if !found[n] {
			return false, nil
		}
	}
	f.labelCount = len(found)
	return true, nil
}

// order is the ORDER BY clause of f on rows aliased a.
func (f IssuableFilter) order(a string) string {
	dir := " ASC"
	if f.Desc {
		dir = " DESC"
	}
	switch f.OrderBy {
	case "updated_at", "title":
		return " ORDER BY " + a + "." + f.OrderBy + dir + ", " + a + ".id" + dir
	case "due_date", "merged_at":
		// Rows without the date come last either way, as in GitLab.
		return " ORDER BY " + a + "." + f.OrderBy + " IS NULL, " + a + "." + f.OrderBy + dir + ", " + a + ".id" + dir
	}
	return " ORDER BY " + a + ".created_at" + dir + ", " + a + ".id" + dir
}

// listIssuables returns the page of rows of kind k that where selects, ordered and limited by
// f, with their labels and users (fill), and how many match in all (count).
func listIssuables[T any](ctx context.Context, q Querier, k issuableKind, f *IssuableFilter,
	where func(count bool) ([]string, []any), count func() (int, error),
	scan func(interface{ Scan(...any) error }) (T, error), fill func([]T) error) ([]T, int, error) {
	if ok, err := f.resolveLabels(ctx, q); !ok || err != nil {
		return []T{}, 0, err
	}
	total, err := count()
	if err != nil {
		return nil, 0, err
	}
	conds, args := where(false)
	order := f.order(k.a)
	limit := f.Limit
	if limit <= 0 {
		limit = -1
	}
	// The page's ids are chosen on the rows alone; only those rows are then joined with their
	// authors, projects and note counts.
	list, err := queryAll(ctx, q, "SELECT "+k.columns+k.from+" WHERE "+k.a+".id IN (SELECT "+k.a+".id FROM "+
		k.table+" "+k.a+whereClause(conds)+order+" LIMIT ? OFFSET ?)"+order,
		append(args[:len(args):len(args)], limit, f.Offset), scan)
	if err != nil {
		return nil, 0, err
	}
	if err := fill(list); err != nil {
		return nil, 0, err
	}
	return list, total, nil
}

// countRows counts the rows of kind k that where selects.
func countRows(ctx context.Context, q Querier, k issuableKind, where func(count bool) ([]string, []any)) (int, error) {
	conds, args := where(true)
	var total int
	err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+k.table+" "+k.a+whereClause(conds), args...).Scan(&total)
	if err != nil {
		return 0, fmt.Errorf("count %s: %w", k.table, wrap(err))
	}
	return total, nil
}

// fillIssuables reads the labels and users of n rows of kind k, in two queries: at returns
// the i-th row's shared part, and other takes a user whose role is not assignee.
func fillIssuables(ctx context.Context, q Querier, k issuableKind, n int, at func(i int) *model.Issuable,
	other func(i int, role string, u model.User)) error {
	if n == 0 {
		return nil
	}
	ids := make([]int64, n)
	index := make(map[int64]int, n)
	for i := range n {
		ids[i] = at(i).ID
		index[ids[i]] = i
	}
	list := jsonInts(ids)
	rows, err := q.QueryContext(ctx,
		`SELECT ll.target_id, l.name FROM label_links ll JOIN labels l ON l.id = ll.label_id
		WHERE ll.target_type = '`+k.noteable+
			`' AND ll.target_id IN (SELECT value FROM json_each(?)) ORDER BY l.name`, list)
	if err != nil {
		return fmt.Errorf("labels of %s: %w", k.table, wrap(err))
	}
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			rows.Close()
			return wrap(err)
		}
		c := at(index[id])
		c.Labels = append(c.Labels, name)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return wrap(err)
	}
	role := "'" + RoleAssignee + "'"
	if k.role != "" {
		role = "x.role"
	}
	rows, err = q.QueryContext(ctx, `SELECT x.`+k.key+`, `+role+`, u.id, u.username, u.name, u.state FROM `+k.users+` x
		JOIN users u ON u.id = x.user_id WHERE x.`+k.key+` IN (SELECT value FROM json_each(?)) ORDER BY u.id`, list)
	if err != nil {
		return fmt.Errorf("users of %s: %w", k.table, wrap(err))
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var role string
		var u model.User
		if err := rows.Scan(&id, &role, &u.ID, &u.Username, &u.Name, &u.State); err != nil {
			return wrap(err)
		}
		if i := index[id]; role == RoleAssignee {
			c := at(i)
			c.Assignees = append(c.Assignees, u)
		} else {
			other(i, role, u)
		}
	}
	return wrap(rows.Err())
}

// deleteIssuable removes the row c of kind k; its notes, label links and users go with it,
// and its iid is never handed out again.
func deleteIssuable(ctx context.Context, tx *sql.Tx, k issuableKind, c model.Issuable) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM "+k.table+" WHERE id = ?", c.ID); err != nil {
		return fmt.Errorf("delete %s %d: %w", k.table, c.ID, wrap(err))
	}
	return RaiseIIDFloor(ctx, tx, c.ProjectID, k.table, c.IID)
}

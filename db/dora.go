package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"io"
	"time"
)

// The reads behind DORA's four figures. Each is one range scan of an index that holds every
// column it reads, and hands its rows to a callback as they come, so that a year of a busy
// project's history is one pass with nothing kept per row but what the figure needs. Lists of
// ids bind as one JSON parameter (json_each), whatever their length.

// noEnd stands for "no end" in time ranges: later than any time stored.
const noEnd = int64(1<<63 - 1)

// DORAEnvironment is an environment whose deployments DORA counts.
type DORAEnvironment struct {
	ID        int64
	ProjectID int64
	Tier      string
	// Deployed says the environment has had at least one successful deployment.
	Deployed bool
}

// DORAEnvironments returns the environments of the projects whose tier is one of tiers.
func DORAEnvironments(ctx context.Context, q Querier, projectIDs []int64, tiers []string) ([]DORAEnvironment, error) {
	return queryAll(ctx, q, `SELECT e.id, e.project_id, e.tier,
			EXISTS (SELECT 1 FROM deployments d WHERE d.environment_id = e.id AND d.status = 'success')
		FROM environments e
		WHERE e.project_id IN (SELECT value FROM json_each(?)) AND e.tier IN (SELECT value FROM json_each(?))
		ORDER BY e.id`, []any{jsonInts(projectIDs), jsonStrings(tiers)},
		func(row interface{ Scan(...any) error }) (DORAEnvironment, error) {
			var e DORAEnvironment
			err := row.Scan(&e.ID, &e.ProjectID, &e.Tier, &e.Deployed)
			return e, wrap(err)
		})
}

// scanInts runs query, whose columns are all integers (NULL reads as 0), and calls fn with
// each row's values; fn must not keep the slice. On the reader pool it runs below
// database/sql, on a connection of its own: database/sql's locking, conversions and
// reflection cost as much per row as SQLite's scan itself, and DORA reads hundreds of
// thousands of rows for a year of a busy project.
func scanInts(ctx context.Context, q Querier, what, query string, args []any, fn func(row []int64)) error {
	sc, ok := q.(*stmtCache)
	if !ok {
		return scanIntsSQL(ctx, q, what, query, args, fn)
	}
	conn, err := sc.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("%s: %w", what, wrap(err))
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		prep, ok := dc.(driver.ConnPrepareContext)
		if !ok {
			return fmt.Errorf("driver connection %T cannot prepare", dc)
		}
		st, err := prep.PrepareContext(ctx, query)
		if err != nil {
			return err
		}
		defer st.Close()
		sq, ok := st.(driver.StmtQueryContext)
		if !ok {
			return fmt.Errorf("driver statement %T cannot query", st)
		}
		named := make([]driver.NamedValue, len(args))
		for i, a := range args {
			named[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
		}
		rows, err := sq.QueryContext(ctx, named)
		if err != nil {
			return err
		}
		defer rows.Close()
		dest := make([]driver.Value, len(rows.Columns()))
		vals := make([]int64, len(dest))
		for {
			if err := rows.Next(dest); err == io.EOF {
				return nil
			} else if err != nil {
				return err
			}
			for i, v := range dest {
				switch x := v.(type) {
				case int64:
					vals[i] = x
				case nil:
					vals[i] = 0
				default:
					return fmt.Errorf("column %d is %T, not an integer", i, v)
				}
			}
			fn(vals)
		}
	})
	if err != nil {
		return fmt.Errorf("%s: %w", what, wrap(err))
	}
	return nil
}

// scanIntsSQL is scanInts through database/sql, inside a transaction.
func scanIntsSQL(ctx context.Context, q Querier, what, query string, args []any, fn func(row []int64)) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", what, wrap(err))
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return fmt.Errorf("%s: %w", what, wrap(err))
	}
	vals := make([]int64, len(cols))
	nulls := make([]sql.NullInt64, len(cols))
	ptrs := make([]any, len(cols))
	for i := range nulls {
		ptrs[i] = &nulls[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return fmt.Errorf("%s: %w", what, wrap(err))
		}
		for i, n := range nulls {
			vals[i] = n.Int64
		}
		fn(vals)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s: %w", what, wrap(err))
	}
	return nil
}

// scanTimes runs a query whose rows are an id and a time in Unix milliseconds, and calls fn
// with each.
func scanTimes(ctx context.Context, q Querier, what, query string, args []any, fn func(id int64, t time.Time)) error {
	return scanInts(ctx, q, what, query, args, func(row []int64) { fn(row[0], fromMS(row[1])) })
}

// scanPairs runs a query whose rows are two times in Unix milliseconds, and calls fn with each.
func scanPairs(ctx context.Context, q Querier, what, query string, args []any, fn func(a, b time.Time)) error {
	return scanInts(ctx, q, what, query, args, func(row []int64) { fn(fromMS(row[0]), fromMS(row[1])) })
}

// end is the stored form of the end of a range: zero means no end.
func end(t time.Time) int64 {
	if t.IsZero() {
		return noEnd
	}
	return ms(t)
}

// SuccessfulDeployments calls fn with the environment and finish time of every successful
// deployment to the environments envIDs that finished in [from, to) (to zero: no end), in no
// particular order.
func SuccessfulDeployments(ctx context.Context, q Querier, envIDs []int64, from, to time.Time,
	fn func(envID int64, finished time.Time)) error {
	return scanTimes(ctx, q, "successful deployments", `SELECT environment_id, finished_at FROM deployments
		WHERE environment_id IN (SELECT value FROM json_each(?)) AND status = 'success'
		AND finished_at >= ? AND finished_at < ?`, []any{jsonInts(envIDs), ms(from), end(to)}, fn)
}

// NextDeployments returns, for each of the environments envIDs that has one, the finish time
// of its first successful deployment finished at or after t.
func NextDeployments(ctx context.Context, q Querier, envIDs []int64, t time.Time) (map[int64]time.Time, error) {
	out := map[int64]time.Time{}
	err := scanTimes(ctx, q, "next deployments", `SELECT e.value, (SELECT MIN(d.finished_at) FROM deployments d
			WHERE d.environment_id = e.value AND d.status = 'success' AND d.finished_at >= ?) AS next
		FROM json_each(?) e WHERE next IS NOT NULL`, []any{ms(t), jsonInts(envIDs)},
		func(id int64, next time.Time) { out[id] = next })
	return out, err
}

// DeploymentLeadTimes calls fn with the finish time of a successful deployment and the commit
// time of a commit it shipped, both in Unix milliseconds, for every commit shipped by
// deployments of the projects to the environments envIDs that finished in [from, to), in no
// particular order.
func DeploymentLeadTimes(ctx context.Context, q Querier, projectIDs, envIDs []int64, from, to time.Time,
	fn func(finished, committed int64)) error {
	// A short list of environments is compared on every row as it is, where json_each would
	// be probed as a table; long ones (rare) bind as one parameter.
	envs, args := "SELECT value FROM json_each(?)", []any{jsonInts(projectIDs), ms(from), end(to), jsonInts(envIDs)}
	if len(envIDs) <= 8 {
		envs, args = placeholders(len(envIDs)), args[:3]
		for _, id := range envIDs {
			args = append(args, id)
		}
	}
	return scanInts(ctx, q, "deployment lead times", `SELECT finished_at, committed_at FROM deployment_commits
		WHERE project_id IN (SELECT value FROM json_each(?)) AND finished_at >= ? AND finished_at < ?
		AND environment_id IN (`+envs+`)`, args, func(row []int64) { fn(row[0], row[1]) })
}

// Releases calls fn with the project and release time of every release of the projects
// released in [from, to) (to zero: no end), in no particular order.
func Releases(ctx context.Context, q Querier, projectIDs []int64, from, to time.Time,
	fn func(projectID int64, released time.Time)) error {
	return scanTimes(ctx, q, "releases", `SELECT project_id, released_at FROM releases
		WHERE project_id IN (SELECT value FROM json_each(?)) AND released_at >= ? AND released_at < ?`,
		[]any{jsonInts(projectIDs), ms(from), end(to)}, fn)
}

// NextReleases returns, for each of the projects that has one, the time of its first release
// released at or after t.
func NextReleases(ctx context.Context, q Querier, projectIDs []int64, t time.Time) (map[int64]time.Time, error) {
	out := map[int64]time.Time{}
	err := scanTimes(ctx, q, "next releases", `SELECT p.value, (SELECT MIN(r.released_at) FROM releases r
			WHERE r.project_id = p.value AND r.released_at >= ?) AS next
		FROM json_each(?) p WHERE next IS NOT NULL`, []any{ms(t), jsonInts(projectIDs)},
		func(id int64, next time.Time) { out[id] = next })
	return out, err
}

// ReleaseLeadTimes calls fn with the time of a release and the commit time of a commit it
// shipped, for every commit shipped by releases of the projects released in [from, to), in no
// particular order.
func ReleaseLeadTimes(ctx context.Context, q Querier, projectIDs []int64, from, to time.Time,
	fn func(released, committed time.Time)) error {
	return scanPairs(ctx, q, "release lead times", `SELECT r.released_at, c.committed_at
		FROM releases r JOIN release_commits c ON c.release_id = r.id
		WHERE r.project_id IN (SELECT value FROM json_each(?)) AND r.released_at >= ? AND r.released_at < ?`,
		[]any{jsonInts(projectIDs), ms(from), end(to)}, fn)
}

// ResolvedDefects calls fn with the detection and resolution times of every defect of the
// owners resolved in [from, to), in no particular order.
func ResolvedDefects(ctx context.Context, q Querier, owners DefectOwners, from, to time.Time,
	fn func(detected, resolved time.Time)) error {
	return scanPairs(ctx, q, "resolved defects", `SELECT detected_at, resolved_at FROM critical_defects
			WHERE project_id IN (SELECT value FROM json_each(?)) AND resolved_at >= ? AND resolved_at < ?
		UNION ALL SELECT detected_at, resolved_at FROM critical_defects
			WHERE namespace_id IN (SELECT value FROM json_each(?)) AND resolved_at >= ? AND resolved_at < ?`,
		[]any{jsonInts(owners.ProjectIDs), ms(from), end(to), jsonInts(owners.NamespaceIDs), ms(from), end(to)}, fn)
}

// DefectDetection is when a defect was detected, and the owner it was recorded at: a project
// or a namespace (the other id is 0).
type DefectDetection struct {
	ProjectID   int64
	NamespaceID int64
	DetectedAt  time.Time
}

// DetectedDefects calls fn with every defect of the owners detected in [from, to) (to zero: no
// end), in no particular order.
func DetectedDefects(ctx context.Context, q Querier, owners DefectOwners, from, to time.Time,
	fn func(DefectDetection)) error {
	return scanInts(ctx, q, "detected defects", `SELECT project_id, 0, detected_at FROM critical_defects
			WHERE project_id IN (SELECT value FROM json_each(?)) AND detected_at >= ? AND detected_at < ?
		UNION ALL SELECT 0, namespace_id, detected_at FROM critical_defects
			WHERE namespace_id IN (SELECT value FROM json_each(?)) AND detected_at >= ? AND detected_at < ?`,
		[]any{jsonInts(owners.ProjectIDs), ms(from), end(to), jsonInts(owners.NamespaceIDs), ms(from), end(to)},
		func(row []int64) {
			fn(DefectDetection{ProjectID: row[0], NamespaceID: row[1], DetectedAt: fromMS(row[2])})
		})
}

// NamespaceTreeLink is a namespace of a tree with its parent (0 at the tree's root), or a
// project with its namespace.
type NamespaceTreeLink struct {
	ID       int64
	ParentID int64
}

// NamespaceTree returns the namespaces of the tree under namespace id (id itself first, with
// parent 0) and the projects in them, each with the namespace it is in.
func NamespaceTree(ctx context.Context, q Querier, id int64) (namespaces, projects []NamespaceTreeLink, err error) {
	scan := func(row interface{ Scan(...any) error }) (NamespaceTreeLink, error) {
		var l NamespaceTreeLink
		var parent sql.NullInt64
		err := row.Scan(&l.ID, &parent)
		l.ParentID = parent.Int64
		return l, wrap(err)
	}
	namespaces, err = queryAll(ctx, q, `WITH RECURSIVE down(id, parent, depth) AS (
			SELECT ?, NULL, 0 UNION SELECT n.id, n.parent_id, down.depth + 1 FROM namespaces n JOIN down ON n.parent_id = down.id)
		SELECT id, parent FROM down ORDER BY depth, id`, []any{id}, scan)
	if err != nil {
		return nil, nil, fmt.Errorf("namespace tree %d: %w", id, err)
	}
	projects, err = queryAll(ctx, q, `WITH RECURSIVE down(id) AS (
			SELECT ? UNION SELECT n.id FROM namespaces n JOIN down ON n.parent_id = down.id)
		SELECT p.id, p.namespace_id FROM projects p WHERE p.namespace_id IN (SELECT id FROM down) ORDER BY p.id`,
		[]any{id}, scan)
	if err != nil {
		return nil, nil, fmt.Errorf("projects of namespace tree %d: %w", id, err)
	}
	return namespaces, projects, nil
}

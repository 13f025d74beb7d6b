package db

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/cairn-forge/cairn/forge/model"
)

const releaseColumns = `r.id, r.project_id, r.tag_name, r.name, r.description, r.sha, r.released_at,
	COALESCE(r.author_id, 0), ` + authorColumns + `, r.created_at, r.updated_at`

// releaseFrom joins the author; a release whose author_id is NULL (none, or deleted) shows
// the ghost, as issues do.
const releaseFrom = ` FROM releases r LEFT JOIN users au ON au.id = r.author_id`

func scanRelease(row interface{ Scan(...any) error }) (model.Release, error) {
	var r model.Release
	var released, created, updated int64
	a := &r.Author
	err := row.Scan(&r.ID, &r.ProjectID, &r.TagName, &r.Name, &r.Description, &r.SHA, &released,
		&r.AuthorID, &a.ID, &a.Username, &a.Name, &a.State, &created, &updated)
	if err != nil {
		return model.Release{}, wrap(err)
	}
	r.ReleasedAt, r.CreatedAt, r.UpdatedAt = fromMS(released), fromMS(created), fromMS(updated)
	return r, nil
}

// ReleaseByID returns the release with id.
func ReleaseByID(ctx context.Context, q Querier, id int64) (model.Release, error) {
	return scanRelease(q.QueryRowContext(ctx, "SELECT "+releaseColumns+releaseFrom+" WHERE r.id = ?", id))
}

// ReleaseByTag returns the release of a project for tag (not "").
func ReleaseByTag(ctx context.Context, q Querier, projectID int64, tag string) (model.Release, error) {
	return scanRelease(q.QueryRowContext(ctx, "SELECT "+releaseColumns+releaseFrom+
		" WHERE r.project_id = ? AND r.tag_name = ? AND r.tag_name <> ''", projectID, tag))
}

// ReleasesBySHA returns the releases of a project made from commit sha, oldest first.
func ReleasesBySHA(ctx context.Context, q Querier, projectID int64, sha string) ([]model.Release, error) {
	return queryAll(ctx, q, "SELECT "+releaseColumns+releaseFrom+
		" WHERE r.project_id = ? AND r.sha = ? AND r.sha <> '' ORDER BY r.released_at, r.id",
		[]any{projectID, sha}, scanRelease)
}

// ReleasesAt returns the releases of a project released at exactly at, oldest first.
func ReleasesAt(ctx context.Context, q Querier, projectID int64, at time.Time) ([]model.Release, error) {
	return queryAll(ctx, q, "SELECT "+releaseColumns+releaseFrom+
		" WHERE r.project_id = ? AND r.released_at = ? ORDER BY r.id", []any{projectID, ms(at)}, scanRelease)
}

// PreviousRelease returns the release of a project with a commit that comes right before
// the place (at, id) in release order (release time, then id): the one a release placed there
// follows. Release id itself is passed over, so that a release can be placed anew; a release
// not recorded yet passes an id above every other.
func PreviousRelease(ctx context.Context, q Querier, projectID int64, at time.Time, id int64) (model.Release, error) {
	return scanRelease(q.QueryRowContext(ctx, "SELECT "+releaseColumns+releaseFrom+
		` WHERE r.project_id = ? AND r.sha <> '' AND (r.released_at < ? OR r.released_at = ? AND r.id < ?)
		ORDER BY r.released_at DESC, r.id DESC LIMIT 1`, projectID, ms(at), ms(at), id))
}

// NextRelease returns the release of a project with a commit that comes right after the place
// (at, id) in release order, passing over release id itself: the one that follows a release
// placed there.
func NextRelease(ctx context.Context, q Querier, projectID int64, at time.Time, id int64) (model.Release, error) {
	return scanRelease(q.QueryRowContext(ctx, "SELECT "+releaseColumns+releaseFrom+
		` WHERE r.project_id = ? AND r.sha <> '' AND (r.released_at > ? OR r.released_at = ? AND r.id > ?)
		ORDER BY r.released_at, r.id LIMIT 1`, projectID, ms(at), ms(at), id))
}

// ReleaseFilter selects and orders a project's releases.
type ReleaseFilter struct {
	ProjectID int64
	// OrderBy is released_at (default) or created_at.
	OrderBy                     string
	Desc                        bool
	UpdatedAfter, UpdatedBefore *time.Time
	Limit, Offset               int
}

// ListReleases returns one page of a project's releases and how many there are.
func ListReleases(ctx context.Context, q Querier, f ReleaseFilter) ([]model.Release, int, error) {
	where := []string{"r.project_id = ?"}
	args := []any{f.ProjectID}
	if f.UpdatedAfter != nil {
		where, args = append(where, "r.updated_at >= ?"), append(args, ms(*f.UpdatedAfter))
	}
	if f.UpdatedBefore != nil {
		where, args = append(where, "r.updated_at <= ?"), append(args, ms(*f.UpdatedBefore))
	}
	cond := " WHERE " + strings.Join(where, " AND ")
	var total int
	if err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM releases r"+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count releases: %w", wrap(err))
	}
	col := "r.released_at"
	if f.OrderBy == "created_at" {
		col = "r.created_at"
	}
	limit := f.Limit
	if limit <= 0 {
		limit = -1
	}
	list, err := queryAll(ctx, q, "SELECT "+releaseColumns+releaseFrom+cond+orderBy(col, "r.id", f.Desc)+
		" LIMIT ? OFFSET ?",
		append(args, limit, f.Offset), scanRelease)
	if err != nil {
		return nil, 0, fmt.Errorf("list releases: %w", err)
	}
	return list, total, nil
}

// InsertRelease adds r and returns its id. A second release of the same tag in a project is
// a constraint violation.
func InsertRelease(ctx context.Context, q Querier, r model.Release) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, `INSERT INTO releases (project_id, tag_name, name, description, sha,
		released_at, author_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		r.ProjectID, r.TagName, r.Name, r.Description, r.SHA, ms(r.ReleasedAt), nullID(r.AuthorID),
		ms(r.CreatedAt), ms(r.UpdatedAt)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("insert release: %w", wrap(err))
	}
	return id, nil
}

// UpdateRelease writes the changeable columns of r: name, description, release time and
// update time.
func UpdateRelease(ctx context.Context, q Querier, r model.Release) error {
	_, err := q.ExecContext(ctx, `UPDATE releases SET name = ?, description = ?, released_at = ?, updated_at = ?
		WHERE id = ?`, r.Name, r.Description, ms(r.ReleasedAt), ms(r.UpdatedAt), r.ID)
	if err != nil {
		return fmt.Errorf("update release %d: %w", r.ID, wrap(err))
	}
	return nil
}

// DeleteRelease removes release id with the commits it shipped.
func DeleteRelease(ctx context.Context, q Querier, id int64) error {
	if _, err := q.ExecContext(ctx, "DELETE FROM releases WHERE id = ?", id); err != nil {
		return fmt.Errorf("delete release %d: %w", id, wrap(err))
	}
	return nil
}

// insertShipped records commits as shipped by owner id in table (release_commits or
// deployment_commits, whose owner column is col); extra names more columns, with their
// values, that every row carries.
func insertShipped(ctx context.Context, tx *sql.Tx, table, col string, id int64,
	commits []model.ShippedCommit, extra ...any) error {
	if len(commits) == 0 {
		return nil
	}
	cols, marks := col+", sha, authored_at, committed_at", "?, ?, ?, ?"
	for i := 0; i+1 < len(extra); i += 2 {
		cols, marks = cols+", "+extra[i].(string), marks+", ?"
	}
	st, err := tx.PrepareContext(ctx, "INSERT OR IGNORE INTO "+table+" ("+cols+") VALUES ("+marks+")")
	if err != nil {
		return fmt.Errorf("record shipped commits: %w", wrap(err))
	}
	defer st.Close()
	args := make([]any, 4, 4+len(extra)/2)
	for i := 1; i < len(extra); i += 2 {
		args = append(args, extra[i])
	}
	for _, c := range commits {
		args[0], args[1], args[2], args[3] = id, c.SHA, ms(c.AuthoredAt), ms(c.CommittedAt)
		if _, err := st.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("record shipped commit %s: %w", c.SHA, wrap(err))
		}
	}
	return nil
}

// shipped lists the commits owner id shipped, newest first.
func shipped(ctx context.Context, q Querier, table, col string, id int64) ([]model.ShippedCommit, error) {
	return queryAll(ctx, q, "SELECT sha, authored_at, committed_at FROM "+table+" WHERE "+col+
		" = ? ORDER BY committed_at DESC, sha", []any{id},
		func(row interface{ Scan(...any) error }) (model.ShippedCommit, error) {
			var c model.ShippedCommit
			var authored, committed int64
			if err := row.Scan(&c.SHA, &authored, &committed); err != nil {
				return c, wrap(err)
			}
			c.AuthoredAt, c.CommittedAt = fromMS(authored), fromMS(committed)
			return c, nil
		})
}

// SetReleaseCommits makes commits what release r shipped, less those that a release of its
// project before it (in release order: release time, then id) shipped already, and takes them
// from every release after it: each commit counts for the first release that shipped it, in
// whatever order releases are recorded. r's row must hold its release time already.
func SetReleaseCommits(ctx context.Context, tx *sql.Tx, r model.Release, commits []model.ShippedCommit) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM release_commits WHERE release_id = ?", r.ID); err != nil {
		return fmt.Errorf("clear commits of release %d: %w", r.ID, wrap(err))
	}
	if len(commits) == 0 {
		return nil
	}
	at := ms(r.ReleasedAt)
	st, err := tx.PrepareContext(ctx,
		`INSERT OR IGNORE INTO release_commits (release_id, sha, authored_at, committed_at)
		SELECT ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM release_commits c JOIN releases o ON o.id = c.release_id
			WHERE c.sha = ? AND o.project_id = ? AND (o.released_at < ? OR o.released_at = ? AND o.id < ?))`)
	if err != nil {
		return fmt.Errorf("record commits of release %d: %w", r.ID, wrap(err))
	}
	defer st.Close()
	shas := make([]string, len(commits))
	for i, c := range commits {
		shas[i] = c.SHA
		if _, err := st.ExecContext(ctx, r.ID, c.SHA, ms(c.AuthoredAt), ms(c.CommittedAt), c.SHA, r.ProjectID,
			at, at, r.ID); err != nil {
			return fmt.Errorf("record commit %s of release %d: %w", c.SHA, r.ID, wrap(err))
		}
	}
	_, err = tx.ExecContext(ctx, `DELETE FROM release_commits WHERE sha IN (SELECT value FROM json_each(?))
		AND release_id IN (SELECT id FROM releases WHERE project_id = ? AND (released_at > ? OR released_at = ? AND id > ?))`,
		jsonStrings(shas), r.ProjectID, at, at, r.ID)
	if err != nil {
		return fmt.Errorf("take commits of release %d from later ones: %w", r.ID, wrap(err))
	}
	return nil
}

// ReleaseCommits lists the commits release id shipped, newest first.
func ReleaseCommits(ctx context.Context, q Querier, id int64) ([]model.ShippedCommit, error) {
	return shipped(ctx, q, "release_commits", "release_id", id)
}

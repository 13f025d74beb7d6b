package db

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Badge is a row of badges.
type Badge struct {
	ID         int64
	SourceKind string
	SourceID   int64
	Name       string
	LinkURL    string
	ImageURL   string
	CreatedAt  time.Time
}

const badgeColumns = "b.id, b.source_kind, b.source_id, b.name, b.link_url, b.image_url, b.created_at"

func scanBadge(row interface{ Scan(...any) error }) (Badge, error) {
	var b Badge
	var created int64
	if err := row.Scan(&b.ID, &b.SourceKind, &b.SourceID, &b.Name, &b.LinkURL, &b.ImageURL, &created); err != nil {
		return Badge{}, wrap(err)
	}
	b.CreatedAt = fromMS(created)
	return b, nil
}

// BadgeSource names what badges belong to: a project, or a group (namespace).
type BadgeSource struct {
	Kind string
	ID   int64
}

// ListBadges returns the badges of sources, in the order given, then by id; name keeps those
// of that name.
func ListBadges(ctx context.Context, q Querier, sources []BadgeSource, name string) ([]Badge, error) {
	var out []Badge
	for _, s := range sources {
		cond := " WHERE b.source_kind = ? AND b.source_id = ?"
		args := []any{s.Kind, s.ID}
		if name != "" {
			cond += " AND b.name = ?"
			args = append(args, name)
		}
		list, err := queryAll(ctx, q, "SELECT "+badgeColumns+" FROM badges b"+cond+" ORDER BY b.id", args, scanBadge)
		if err != nil {
			return nil, err
		}
		out = append(out, list...)
	}
	if out == nil {
		out = []Badge{}
	}
	return out, nil
}

// BadgeByID returns badge id of source.
func BadgeByID(ctx context.Context, q Querier, src BadgeSource, id int64) (Badge, error) {
	return scanBadge(q.QueryRowContext(ctx, "SELECT "+badgeColumns+
		" FROM badges b WHERE b.id = ? AND b.source_kind = ? AND b.source_id = ?", id, src.Kind, src.ID))
}

// SaveBadge inserts b (id 0) or updates its name and URLs; it returns the id.
func SaveBadge(ctx context.Context, tx *sql.Tx, b Badge) (int64, error) {
	if b.ID != 0 {
		_, err := tx.ExecContext(ctx, "UPDATE badges SET name = ?, link_url = ?, image_url = ? WHERE id = ?",
			b.Name, b.LinkURL, b.ImageURL, b.ID)
		if err != nil {
			return 0, fmt.Errorf("update badge %d: %w", b.ID, wrap(err))
		}
		return b.ID, nil
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO badges (source_kind, source_id, name, link_url, image_url, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`, b.SourceKind, b.SourceID, b.Name, b.LinkURL, b.ImageURL, ms(b.CreatedAt))
	if err != nil {
		return 0, fmt.Errorf("insert badge: %w", wrap(err))
	}
	return res.LastInsertId()
}

// DeleteBadge removes badge id.
func DeleteBadge(ctx context.Context, tx *sql.Tx, id int64) error {
	_, err := tx.ExecContext(ctx, "DELETE FROM badges WHERE id = ?", id)
	return wrap(err)
}

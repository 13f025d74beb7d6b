package db

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/cairn-forge/cairn/forge/model"
)

// InsertAuditEvent records e.
func InsertAuditEvent(ctx context.Context, q Querier, e model.AuditEvent) error {
	_, err := q.ExecContext(ctx, `INSERT INTO audit_events (created_at, actor_id, action, target_type,
		target_id, ip, details) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		ms(e.CreatedAt), nullID(e.ActorID), e.Action, e.TargetType, nullID(e.TargetID), e.IP, e.Details)
	if err != nil {
		return fmt.Errorf("insert audit event: %w", wrap(err))
	}
	return nil
}

// ListAuditEvents returns one page of events, newest first, and the total.
func ListAuditEvents(ctx context.Context, q Querier, limit, offset int) ([]model.AuditEvent, int, error) {
	return listPage(ctx, q, "SELECT COUNT(*) FROM audit_events",
		`SELECT id, created_at, COALESCE(actor_id, 0), action, target_type, COALESCE(target_id, 0), ip, details
		FROM audit_events ORDER BY id DESC`, nil, limit, offset,
		func(row interface{ Scan(...any) error }) (model.AuditEvent, error) {
			var e model.AuditEvent
			var created int64
			err := row.Scan(&e.ID, &created, &e.ActorID, &e.Action, &e.TargetType, &e.TargetID, &e.IP, &e.Details)
			e.CreatedAt = fromMS(created)
			return e, wrap(err)
		})
}

// Setting returns the value of an instance setting, or ErrNotFound.
func Setting(ctx context.Context, q Querier, key string) (string, error) {
	var v string
	err := q.QueryRowContext(ctx, "SELECT value FROM settings WHERE key = ?", key).Scan(&v)
	return v, wrap(err)
}

// SetSetting stores an instance setting.
func SetSetting(ctx context.Context, tx *sql.Tx, key, value string) error {
	_, err := tx.ExecContext(ctx,
		"INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT DO UPDATE SET value = excluded.value", key, value)
	return wrap(err)
}

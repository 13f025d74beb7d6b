package db

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cairn-forge/cairn/forge/model"
)

const broadcastColumns = `id, message, starts_at, ends_at, color, font, target_access_levels, target_path,
	broadcast_type, dismissable, theme, created_at, updated_at`

func scanBroadcast(row interface{ Scan(...any) error }) (model.BroadcastMessage, error) {
	var b model.BroadcastMessage
	var starts, ends, created, updated int64
	var levels string
	if err := row.Scan(&b.ID, &b.Message, &starts, &ends, &b.Color, &b.Font, &levels, &b.TargetPath, &b.BroadcastType,
		&b.Dismissable, &b.Theme, &created, &updated); err != nil {
		return model.BroadcastMessage{}, wrap(err)
	}
	b.StartsAt, b.EndsAt, b.CreatedAt, b.UpdatedAt = fromMS(starts), fromMS(ends), fromMS(created), fromMS(updated)
	b.TargetAccessLevels = []int{}
	for _, f := range strings.Fields(levels) {
		if n, err := strconv.Atoi(f); err == nil {
			b.TargetAccessLevels = append(b.TargetAccessLevels, n)
		}
	}
	return b, nil
}

// ListBroadcastMessages returns one page of the broadcast messages, newest first, and the
// total; activeAt, when not zero, keeps those shown at that time.
func ListBroadcastMessages(ctx context.Context, q Querier, activeAt time.Time,
	limit, offset int) ([]model.BroadcastMessage, int, error) {
	cond := ""
	var args []any
	if !activeAt.IsZero() {
		cond, args = " WHERE starts_at <= ? AND ends_at > ?", []any{ms(activeAt), ms(activeAt)}
	}
	return listPage(ctx, q, "SELECT COUNT(*) FROM broadcast_messages"+cond,
		"SELECT "+broadcastColumns+" FROM broadcast_messages"+cond+" ORDER BY id DESC", args, limit, offset,
		scanBroadcast)
}

// UnendedBroadcastMessages returns the newest limit broadcast messages that have not ended at
// at: those shown then and those still to start.
func UnendedBroadcastMessages(ctx context.Context, q Querier, at time.Time,
	limit int) ([]model.BroadcastMessage, error) {
	return queryAll(ctx, q, "SELECT "+broadcastColumns+
		" FROM broadcast_messages WHERE ends_at > ? ORDER BY id DESC LIMIT ?",
		[]any{ms(at), limit}, scanBroadcast)
}

// BroadcastMessageByID returns broadcast message id.
func BroadcastMessageByID(ctx context.Context, q Querier, id int64) (model.BroadcastMessage, error) {
	return scanBroadcast(q.QueryRowContext(ctx, "SELECT "+broadcastColumns+" FROM broadcast_messages WHERE id = ?", id))
}

// SaveBroadcastMessage inserts b (id 0) or updates it, and returns its id.
func SaveBroadcastMessage(ctx context.Context, tx *sql.Tx, b model.BroadcastMessage) (int64, error) {
	levels := make([]string, len(b.TargetAccessLevels))
	for i, l := range b.TargetAccessLevels {
		levels[i] = strconv.Itoa(l)
	}
	args := []any{b.Message, ms(b.StartsAt), ms(b.EndsAt), b.Color, b.Font, strings.Join(levels, " "), b.TargetPath,
		b.BroadcastType, boolInt(b.Dismissable), b.Theme, ms(b.UpdatedAt)}
	if b.ID != 0 {
		_, err := tx.ExecContext(ctx, `UPDATE broadcast_messages SET message = ?, starts_at = ?, ends_at = ?, color = ?,
			font = ?, target_access_levels = ?, target_path = ?, broadcast_type = ?, dismissable = ?, theme = ?,
			updated_at = ? WHERE id = ?`, append(args, b.ID)...)
		if err != nil {
			return 0, fmt.Errorf("update broadcast message %d: %w", b.ID, wrap(err))
		}
		return b.ID, nil
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO broadcast_messages (message, starts_at, ends_at, color, font,
		target_access_levels, target_path, broadcast_type, dismissable, theme, updated_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, append(args, ms(b.CreatedAt))...)
	if err != nil {
		return 0, fmt.Errorf("insert broadcast message: %w", wrap(err))
	}
	return res.LastInsertId()
}

// DeleteBroadcastMessage removes broadcast message id.
func DeleteBroadcastMessage(ctx context.Context, tx *sql.Tx, id int64) error {
	_, err := tx.ExecContext(ctx, "DELETE FROM broadcast_messages WHERE id = ?", id)
	return wrap(err)
}

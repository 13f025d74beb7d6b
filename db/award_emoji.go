package db

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/cairn-forge/cairn/forge/model"
)

// AwardableNote is the type notes have as the target of award emoji; issues and merge
// requests are NoteableIssue and NoteableMergeRequest.
const AwardableNote = "Note"

const awardEmojiFrom = ` FROM award_emoji ae JOIN users u ON u.id = ae.user_id LEFT JOIN namespaces n ON n.owner_id = u.id`

const awardEmojiColumns = `ae.id, ae.project_id, ae.awardable_type, ae.awardable_id, ae.name, ae.created_at, ae.updated_at, ` +
	userColumns

func scanAwardEmoji(row interface{ Scan(...any) error }) (model.AwardEmoji, error) {
	var e model.AwardEmoji
	var created, updated int64
	var sc userScan
	dest := append([]any{&e.ID, &e.ProjectID, &e.AwardableType, &e.AwardableID, &e.Name, &created, &updated},
		sc.dest(&e.User)...)
	if err := row.Scan(dest...); err != nil {
		return model.AwardEmoji{}, wrap(err)
	}
	sc.finish(&e.User)
	e.CreatedAt, e.UpdatedAt = fromMS(created), fromMS(updated)
	return e, nil
}

// ListAwardEmoji returns one page of the emoji awarded to an awardable, oldest first, and how
// many there are.
func ListAwardEmoji(ctx context.Context, q Querier, typ string, awardableID int64,
	limit, offset int) ([]model.AwardEmoji, int, error) {
	cond := " WHERE ae.awardable_type = ? AND ae.awardable_id = ?"
	return listPage(ctx, q, "SELECT COUNT(*) FROM award_emoji ae"+cond,
		"SELECT "+awardEmojiColumns+awardEmojiFrom+cond+" ORDER BY ae.id",
		[]any{typ, awardableID}, limit, offset, scanAwardEmoji)
}

// AwardEmojiByID returns award id if it was awarded to the given awardable.
func AwardEmojiByID(ctx context.Context, q Querier, typ string, awardableID, id int64) (model.AwardEmoji, error) {
	return scanAwardEmoji(q.QueryRowContext(ctx, "SELECT "+awardEmojiColumns+awardEmojiFrom+
		" WHERE ae.id = ? AND ae.awardable_type = ? AND ae.awardable_id = ?", id, typ, awardableID))
}

// InsertAwardEmoji adds e and returns its id, only while its awardable exists: one deleted
// meanwhile (whose trigger took its awards along) is ErrNotFound, and the same user, name and
// awardable twice is ErrConstraint.
func InsertAwardEmoji(ctx context.Context, tx *sql.Tx, e model.AwardEmoji) (int64, error) {
	table := map[string]string{NoteableIssue: "issues", NoteableMergeRequest: "merge_requests",
		AwardableNote: "notes"}[e.AwardableType]
	if table == "" {
		return 0, fmt.Errorf("insert award emoji: awardable type %q", e.AwardableType)
	}
	var exists bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM `+table+` WHERE id = ?)`,
		e.AwardableID).Scan(&exists); err != nil {
		return 0, fmt.Errorf("insert award emoji: %w", wrap(err))
	}
	if !exists {
		return 0, ErrNotFound
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO award_emoji (project_id, awardable_type, awardable_id, user_id, name,
		created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		e.ProjectID, e.AwardableType, e.AwardableID, e.User.ID, e.Name, ms(e.CreatedAt), ms(e.UpdatedAt))
	if err != nil {
		return 0, fmt.Errorf("insert award emoji: %w", wrap(err))
	}
	return res.LastInsertId()
}

// DeleteAwardEmoji removes award id.
func DeleteAwardEmoji(ctx context.Context, tx *sql.Tx, id int64) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM award_emoji WHERE id = ?", id); err != nil {
		return fmt.Errorf("delete award emoji %d: %w", id, wrap(err))
	}
	return nil
}

// ReassignAwardEmoji passes user from's awards to the Ghost User to, who may hold the same
// award more than once.
func ReassignAwardEmoji(ctx context.Context, tx *sql.Tx, from, to int64) error {
	if _, err := tx.ExecContext(ctx, "UPDATE award_emoji SET user_id = ?, ghost = 1 WHERE user_id = ?", to,
		from); err != nil {
		return fmt.Errorf("reassign award emoji of user %d: %w", from, wrap(err))
	}
	return nil
}

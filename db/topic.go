package db

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Topic is a row of topics with how many projects have it.
type Topic struct {
	ID            int64
	Name          string
	Title         string
	Description   string
	ProjectsCount int
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

const topicColumns = `t.id, t.name, t.title, t.description,
	(SELECT COUNT(*) FROM project_topics pt WHERE pt.topic_id = t.id), t.created_at, t.updated_at`

func scanTopic(row interface{ Scan(...any) error }) (Topic, error) {
	var t Topic
	var created, updated int64
	if err := row.Scan(&t.ID, &t.Name, &t.Title, &t.Description, &t.ProjectsCount, &created, &updated); err != nil {
		return Topic{}, wrap(err)
	}
	t.CreatedAt, t.UpdatedAt = fromMS(created), fromMS(updated)
	return t, nil
}

// TopicByID returns the topic with id.
func TopicByID(ctx context.Context, q Querier, id int64) (Topic, error) {
	return scanTopic(q.QueryRowContext(ctx, "SELECT "+topicColumns+" FROM topics t WHERE t.id = ?", id))
}

// TopicFilter selects topics.
type TopicFilter struct {
	// Search keeps the topics whose name or title holds it.
	Search string
	// WithoutProjects keeps the topics no project has.
	WithoutProjects bool
	Limit, Offset   int
}

// ListTopics returns one page of topics, those most projects have first, and how many match.
func ListTopics(ctx context.Context, q Querier, f TopicFilter) ([]Topic, int, error) {
	cond := " WHERE 1"
	var args []any
	if f.Search != "" {
		like := "%" + escapeLike(f.Search) + "%"
		cond += ` AND (t.name LIKE ? ESCAPE '\' OR t.title LIKE ? ESCAPE '\')`
		args = append(args, like, like)
	}
	if f.WithoutProjects {
		cond += " AND NOT EXISTS (SELECT 1 FROM project_topics pt WHERE pt.topic_id = t.id)"
	}
	return listPage(ctx, q, "SELECT COUNT(*) FROM topics t"+cond, "SELECT "+topicColumns+" FROM topics t"+cond+
		" ORDER BY 5 DESC, t.id", args, f.Limit, f.Offset, scanTopic)
}

// InsertTopic adds t and returns its id.
func InsertTopic(ctx context.Context, tx *sql.Tx, t Topic) (int64, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO topics (name, title, description, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?)`, t.Name, t.Title, t.Description, ms(t.CreatedAt), ms(t.UpdatedAt))
	if err != nil {
		return 0, fmt.Errorf("insert topic: %w", wrap(err))
	}
	return res.LastInsertId()
}

// UpdateTopic writes t's name, title, description and update time.
func UpdateTopic(ctx context.Context, tx *sql.Tx, t Topic) error {
	_, err := tx.ExecContext(ctx, "UPDATE topics SET name = ?, title = ?, description = ?, updated_at = ? WHERE id = ?",
		t.Name, t.Title, t.Description, ms(t.UpdatedAt), t.ID)
	if err != nil {
		return fmt.Errorf("update topic %d: %w", t.ID, wrap(err))
	}
	return nil
}

// DeleteTopic removes topic id from the instance and from every project's list.
func DeleteTopic(ctx context.Context, tx *sql.Tx, id int64) error {
	var name string
	if err := tx.QueryRowContext(ctx, "SELECT name FROM topics WHERE id = ?", id).Scan(&name); err != nil {
		return wrap(err)
	}
	rows, err := queryAll(ctx, tx, "SELECT project_id FROM project_topics WHERE topic_id = ?", []any{id}, scanInt64)
	if err != nil {
		return err
	}
	for _, p := range rows {
		var topics string
		if err := tx.QueryRowContext(ctx, "SELECT topics FROM projects WHERE id = ?", p).Scan(&topics); err != nil {
			return wrap(err)
		}
		var kept []string
		for _, t := range splitList(topics) {
			if !equalFold(t, name) {
				kept = append(kept, t)
			}
		}
		if _, err := tx.ExecContext(ctx, "UPDATE projects SET topics = ? WHERE id = ?", joinList(kept), p); err != nil {
			return wrap(err)
		}
	}
	_, err = tx.ExecContext(ctx, "DELETE FROM topics WHERE id = ?", id)
	return wrap(err)
}

// SetProjectTopics makes project's topics (in projects.topics already) the ones project_topics
// indexes, creating the topics the instance lacks.
func SetProjectTopics(ctx context.Context, tx *sql.Tx, project int64, names []string, at time.Time) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM project_topics WHERE project_id = ?", project); err != nil {
		return fmt.Errorf("set topics of project %d: %w", project, wrap(err))
	}
	for _, n := range names {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO topics (name, title, created_at, updated_at)
			VALUES (?, ?, ?, ?)`, n, n, ms(at), ms(at)); err != nil {
			return fmt.Errorf("add topic %q: %w", n, wrap(err))
		}
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO project_topics (project_id, topic_id)
			SELECT ?, id FROM topics WHERE name = ?`, project, n); err != nil {
			return fmt.Errorf("set topics of project %d: %w", project, wrap(err))
		}
	}
	return nil
}

func equalFold(a, b string) bool {
	return len(a) == len(b) && (a == b || lowerASCII(a) == lowerASCII(b))
}

func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

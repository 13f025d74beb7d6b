package forge

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/cairn-forge/cairn/db"
)

// Topic is an instance-wide label of projects, made when a project first names it.
type Topic struct {
	ID          int64
	Name        string
	Title       string
	Description string
	// ProjectsCount is how many projects have the topic.
	ProjectsCount int
	CreatedAt     time.Time
}

// TopicInput carries a topic's fields; nil means "not given".
type TopicInput struct {
	Name        *string
	Title       *string
	Description *string
}

func topicOf(r db.Topic) Topic {
	return Topic{
		ID:            r.ID,
		Name:          r.Name,
		Title:         r.Title,
		Description:   r.Description,
		ProjectsCount: r.ProjectsCount,
		CreatedAt:     r.CreatedAt,
	}
}

// ListTopics lists the instance's topics, those most projects have first; anyone may.
func (s *Projects) ListTopics(ctx context.Context, a *Actor, search string, withoutProjects bool,
	pg Page) ([]Topic, int, error) {
	if err := a.Require(NeedRead); err != nil {
		return nil, 0, err
	}
	rows, total, err := db.ListTopics(ctx, s.db.Read, db.TopicFilter{Search: search, WithoutProjects: withoutProjects,
		Limit: pg.limit(), Offset: pg.offset()})
	if err != nil {
		return nil, 0, err
	}
	out := make([]Topic, len(rows))
	for i, r := range rows {
		out[i] = topicOf(r)
	}
	return out, total, nil
}

// GetTopic returns a topic; anyone may read it.
func (s *Projects) GetTopic(ctx context.Context, a *Actor, id int64) (Topic, error) {
	if err := a.Require(NeedRead); err != nil {
		return Topic{}, err
	}
	r, err := db.TopicByID(ctx, s.db.Read, id)
	if err != nil {
		return Topic{}, notFoundAs(err, "")
	}
	return topicOf(r), nil
}

// SaveTopic creates a topic (id 0) or changes one; only administrators may. A new topic
// needs a name and a title.
func (s *Projects) SaveTopic(ctx context.Context, a *Actor, id int64, in TopicInput) (Topic, error) {
	if err := a.requireAdmin(NeedWrite); err != nil {
		return Topic{}, err
	}
	now := s.Now()
	t := db.Topic{CreatedAt: now}
	if id != 0 {
		var err error
		if t, err = db.TopicByID(ctx, s.db.Read, id); err != nil {
			return Topic{}, notFoundAs(err, "")
		}
	}
	fe := FieldErrors{}
	for _, f := range []struct {
		name string
		in   *string
		dst  *string
	}{{"name", in.Name, &t.Name}, {"title", in.Title, &t.Title}} {
		if f.in != nil {
			*f.dst = strings.TrimSpace(*f.in)
		}
		if *f.dst == "" {
			fe.Add(f.name, "can't be blank")
		} else {
			checkText(fe, f.name, *f.dst, limitName)
		}
	}
	if in.Description != nil {
		t.Description = *in.Description
		checkText(fe, "description", t.Description, limitProjectDescription)
	}
	if err := fe.Err(); err != nil {
		return Topic{}, err
	}
	t.UpdatedAt = now
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		if id != 0 {
			return takenAs(db.UpdateTopic(ctx, tx, t), "name")
		}
		var err error
		id, err = db.InsertTopic(ctx, tx, t)
		return takenAs(err, "name")
	})
	if err != nil {
		if ErrorCode(err) == EConflict {
			// GitLab's model validation: a 400 naming the field.
			return Topic{}, FieldErrors{"name": {"has already been taken"}}.Err()
		}
		return Topic{}, err
	}
	return s.GetTopic(ctx, a, id)
}

// DeleteTopic removes a topic from the instance and from the projects that had it; only
// administrators may.
func (s *Projects) DeleteTopic(ctx context.Context, a *Actor, id int64) error {
	if err := a.requireAdmin(NeedWrite); err != nil {
		return err
	}
	return s.db.Write(ctx, func(tx *sql.Tx) error {
		return notFoundAs(db.DeleteTopic(ctx, tx, id), "")
	})
}

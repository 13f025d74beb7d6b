package forge

import (
	"context"
	"database/sql"
	"time"

	"github.com/cairn-forge/cairn/db"
)

// Starrer is a user who starred a project, and since when.
type Starrer struct {
	User      User
	StarredAt time.Time
}

// StarProject stars a project for the actor; changed is false when they had already starred
// it. Whoever may see a project may star it.
func (s *Projects) StarProject(ctx context.Context, a *Actor, ref Ref) (v ProjectView, changed bool, err error) {
	return s.setStar(ctx, a, ref, true)
}

// UnstarProject removes the actor's star; changed is false when there was none.
func (s *Projects) UnstarProject(ctx context.Context, a *Actor, ref Ref) (v ProjectView, changed bool, err error) {
	return s.setStar(ctx, a, ref, false)
}

func (s *Service) setStar(ctx context.Context, a *Actor, ref Ref, star bool) (ProjectView, bool, error) {
	if err := a.requireUser(NeedWrite); err != nil {
		return ProjectView{}, false, err
	}
	v, err := s.visibleProject(ctx, a, ref)
	if err != nil {
		return ProjectView{}, false, err
	}
	var changed bool
	err = s.db.Write(ctx, func(tx *sql.Tx) error {
		if star {
			changed, err = db.StarProject(ctx, tx, v.ID, a.User.ID, s.Now())
		} else {
			changed, err = db.UnstarProject(ctx, tx, v.ID, a.User.ID)
		}
		return err
	})
	if err != nil {
		return ProjectView{}, false, err
	}
	p, err := db.ProjectByID(ctx, s.db.Read, v.ID)
	if err != nil {
		return ProjectView{}, false, err
	}
	v.Project = p
	return v, changed, nil
}

// ListStarrers lists the users who starred a project the actor may see, the latest first.
func (s *Projects) ListStarrers(ctx context.Context, a *Actor, ref Ref, search string, pg Page) ([]Starrer,
	int, error) {
	v, err := s.ProjectByRef(ctx, a, ref)
	if err != nil {
		return nil, 0, err
	}
	rows, total, err := db.ListStarrers(ctx, s.db.Read, v.ID, search, pg.limit(), pg.offset())
	if err != nil {
		return nil, 0, err
	}
	out := make([]Starrer, len(rows))
	for i, r := range rows {
		out[i] = Starrer{User: r.User, StarredAt: r.StarredAt}
	}
	return out, total, nil
}

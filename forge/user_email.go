package forge

import (
	"context"
	"database/sql"
	"net/mail"
	"strings"
	"time"

	"github.com/cairn-forge/cairn/db"
)

// Email is one of a user's secondary emails. cairn sends no mail, so an email is confirmed
// as it is added.
type Email struct {
	ID          int64
	Email       string
	ConfirmedAt *time.Time
}

// ListEmails lists a user's secondary emails (ref "": the actor's); users read their own,
// administrators anyone's.
func (s *Accounts) ListEmails(ctx context.Context, a *Actor, ref Ref, pg Page) ([]Email, int, error) {
	u, err := s.profileOwner(ctx, a, ref, false)
	if err != nil {
		return nil, 0, err
	}
	rows, total, err := db.ListEmails(ctx, s.db.Read, u.ID, pg.limit(), pg.offset())
	if err != nil {
		return nil, 0, err
	}
	out := make([]Email, len(rows))
	for i, r := range rows {
		out[i] = Email{ID: r.ID, Email: r.Email, ConfirmedAt: r.ConfirmedAt}
	}
	return out, total, nil
}

// profileOwner resolves whose account data a request is about: ref "" is the actor; another
// user's only administrators read (write: change).
func (s *Service) profileOwner(ctx context.Context, a *Actor, ref Ref, write bool) (User, error) {
	need := NeedReadUser
	if write {
		need = NeedWrite
	}
	if ref.String() == "" {
		if err := a.requireUser(need); err != nil {
			return User{}, err
		}
		return *a.User, nil
	}
	if err := a.requireAdmin(need); err != nil {
		return User{}, err
	}
	return s.Accounts.UserByRef(ctx, a, ref)
}

// GetEmail returns one secondary email of the actor (ref "") or of a user.
func (s *Accounts) GetEmail(ctx context.Context, a *Actor, ref Ref, id int64) (Email, error) {
	u, err := s.profileOwner(ctx, a, ref, false)
	if err != nil {
		return Email{}, err
	}
	e, err := db.EmailByID(ctx, s.db.Read, id)
	if err != nil || e.UserID != u.ID {
		return Email{}, notFoundAs(orNotFound(err), ResourceEmail)
	}
	return Email{ID: e.ID, Email: e.Email, ConfirmedAt: e.ConfirmedAt}, nil
}

// AddEmail adds a secondary email to the actor (ref "") or, for administrators, to a user;
// an email anyone has, as primary or secondary, is refused.
func (s *Accounts) AddEmail(ctx context.Context, a *Actor, ref Ref, email string) (Email, error) {
	u, err := s.profileOwner(ctx, a, ref, true)
	if err != nil {
		return Email{}, err
	}
	email = strings.TrimSpace(email)
	if addr, err := mail.ParseAddress(email); err != nil || addr.Address != email ||
		textProblem(email, limitName) != "" {
		return Email{}, FieldErrors{"email": {"is invalid"}}.Err()
	}
	now := s.Now()
	row := db.Email{UserID: u.ID, Email: email, ConfirmedAt: &now, CreatedAt: now}
	err = s.db.Write(ctx, func(tx *sql.Tx) error {
		if taken, err := db.EmailTaken(ctx, tx, email); err != nil || taken {
			if taken {
				return FieldErrors{"email": {"has already been taken"}}.Err()
			}
			return err
		}
		row.ID, err = db.InsertEmail(ctx, tx, row)
		return err
	})
	if err != nil {
		return Email{}, err
	}
	return Email{ID: row.ID, Email: row.Email, ConfirmedAt: row.ConfirmedAt}, nil
}

// DeleteEmail removes a secondary email of the actor (ref "") or of a user.
func (s *Accounts) DeleteEmail(ctx context.Context, a *Actor, ref Ref, id int64) error {
	u, err := s.profileOwner(ctx, a, ref, true)
	if err != nil {
		return err
	}
	e, err := db.EmailByID(ctx, s.db.Read, id)
	if err != nil || e.UserID != u.ID {
		return notFoundAs(orNotFound(err), ResourceEmail)
	}
	return s.db.Write(ctx, func(tx *sql.Tx) error { return db.DeleteEmail(ctx, tx, id) })
}

package forge

import (
	"context"
	"database/sql"
	"time"

	"github.com/cairn-forge/cairn/db"
)

// UserStatus is what a user says of themselves: an emoji, a message and whether they are
// busy, until an optional time.
type UserStatus struct {
	Emoji         string
	Message       string
	Availability  string
	ClearStatusAt *time.Time
}

// UserStatusInput changes a status; nil fields clear, as GitLab's PUT /user/status does.
type UserStatusInput struct {
	Emoji        *string
	Message      *string
	Availability *string
	// ClearAfter is one of GitLab's durations ("30_minutes" … "30_days"), or "" for never.
	ClearAfter string
}

// statusDurations are the durations after which GitLab may clear a status.
var statusDurations = map[string]time.Duration{
	"30_minutes": 30 * time.Minute,
	"3_hours":    3 * time.Hour,
	"8_hours":    8 * time.Hour,
	"1_day":      24 * time.Hour,
	"3_days":     72 * time.Hour,
	"7_days":     7 * 24 * time.Hour,
	"30_days":    30 * 24 * time.Hour,
}

// StatusOf returns the status of the user ref names (ref "": the actor); statuses are
// public. One past its clearing time is empty.
func (s *Accounts) StatusOf(ctx context.Context, a *Actor, ref Ref) (UserStatus, error) {
	var u User
	var err error
	if ref.String() == "" {
		if err := a.requireUser(NeedReadUser); err != nil {
			return UserStatus{}, err
		}
		u = *a.User
	} else if u, err = s.UserByRef(ctx, a, ref); err != nil {
		return UserStatus{}, err
	}
	st, err := db.StatusOf(ctx, s.db.Read, u.ID)
	if err != nil {
		return UserStatus{}, err
	}
	if st.ClearStatusAt != nil && !st.ClearStatusAt.After(s.Now()) {
		return UserStatus{Availability: "not_set"}, nil
	}
	return UserStatus{Emoji: st.Emoji, Message: st.Message, Availability: st.Availability,
		ClearStatusAt: st.ClearStatusAt}, nil
}

// SetStatus sets the actor's status. A message without an emoji gets GitLab's
// speech_balloon.
func (s *Accounts) SetStatus(ctx context.Context, a *Actor, in UserStatusInput) (UserStatus, error) {
	if err := a.requireUser(NeedWrite); err != nil {
		return UserStatus{}, err
	}
	st := db.UserStatus{UserID: a.User.ID, Availability: "not_set"}
	fe := FieldErrors{}
	if in.Emoji != nil {
		st.Emoji = *in.Emoji
		checkText(fe, "emoji", st.Emoji, limitName)
	}
	if in.Message != nil {
		st.Message = *in.Message
		checkText(fe, "message", st.Message, textLimit{max: 100})
	}
	if in.Availability != nil {
		switch *in.Availability {
		case "not_set", "busy":
			st.Availability = *in.Availability
		default:
			return UserStatus{}, invalidValue("availability")
		}
	}
	if in.ClearAfter != "" {
		d, ok := statusDurations[in.ClearAfter]
		if !ok {
			return UserStatus{}, invalidValue("clear_status_after")
		}
		t := s.Now().Add(d)
		st.ClearStatusAt = &t
	}
	if err := fe.Err(); err != nil {
		return UserStatus{}, err
	}
	if st.Emoji == "" && st.Message != "" {
		st.Emoji = "speech_balloon"
	}
	if err := s.db.Write(ctx, func(tx *sql.Tx) error { return db.SetStatus(ctx, tx, st) }); err != nil {
		return UserStatus{}, err
	}
	return UserStatus{Emoji: st.Emoji, Message: st.Message, Availability: st.Availability,
		ClearStatusAt: st.ClearStatusAt}, nil
}

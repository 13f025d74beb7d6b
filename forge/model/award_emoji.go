package model

import "time"

// AwardEmoji is an emoji a user awarded to an issue, a merge request or a note.
// AwardableType is "Issue", "MergeRequest" or "Note"; AwardableID is its global id.
type AwardEmoji struct {
	ID            int64
	ProjectID     int64
	AwardableType string
	AwardableID   int64
	User          User
	Name          string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

package model

import "time"

// Event is one entry of a project's activity: a push, or something done to an issue, a
// merge request or a note.
type Event struct {
	ID          int64
	ProjectID   int64
	AuthorID    int64
	Action      string
	Ref         string
	RefType     string
	CommitFrom  string
	CommitTo    string
	CommitCount int
	CommitTitle string
	// TargetType is Issue, MergeRequest or Note for their events, "" for pushes.
	TargetType  string
	TargetID    int64
	TargetIID   int64
	TargetTitle string
	// NoteableType and NoteableID name what a note's event is on (Issue or MergeRequest).
	NoteableType string
	NoteableID   int64
	CreatedAt    time.Time
	// NoteBody is a comment's text, where the events were read with it (db.RecentEvents).
	NoteBody string
}

// AuditEvent is one entry of the security audit log: a token created or revoked, sudo used,
// an admin action, a failed sign-in.
type AuditEvent struct {
	ID         int64
	CreatedAt  time.Time
	ActorID    int64
	Action     string
	TargetType string
	TargetID   int64
	IP         string
	Details    string
}

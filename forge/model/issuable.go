package model

import "time"

// Issuable is what issues and merge requests share: their identity, text and state, their
// author and closer (id, username, name and state only; a deleted user is the ghost), their
// project's full path, their labels' names, their assignees and how many notes people (not
// the system) wrote on them.
type Issuable struct {
	ID          int64
	ProjectID   int64
	IID         int64
	Title       string
	Description string
	State       string
	Author      User
	ClosedBy    *User
	ClosedAt    *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time

	ProjectPath    string
	Labels         []string
	Assignees      []User
	UserNotesCount int
	// Upvotes and Downvotes count the thumbsup and thumbsdown emoji awarded to it.
	Upvotes, Downvotes int
}

// Issue is an issue of a project: what it shares with merge requests (Issuable), its
// confidentiality and due date.
type Issue struct {
	Issuable
	Confidential bool
	// DueDate is a date (midnight UTC), nil when unset.
	DueDate *time.Time
}

// MergeRequest is a proposal to merge a source branch into a target branch of one project:
// what it shares with issues (Issuable), its branches and their tips, its mergeability and
// merge, its merger (id, username, name and state; the ghost user when deleted), its project's
// merge method and its reviewers.
type MergeRequest struct {
	Issuable
	SourceBranch       string
	TargetBranch       string
	Draft              bool
	Squash             bool
	RemoveSourceBranch bool
	// HeadSHA, TargetSHA and BaseSHA are the source tip, the target tip and their merge base
	// when last refreshed ("" when unknown, as for a branch that does not exist).
	HeadSHA   string
	TargetSHA string
	BaseSHA   string
	// MergeStatus is unchecked, checking, can_be_merged, cannot_be_merged or
	// cannot_be_merged_recheck, as GitLab names them.
	MergeStatus  string
	HasConflicts bool
	// ChangesCount is the number of files changed, nil until checked.
	ChangesCount    *int
	MergeCommitSHA  string
	SquashCommitSHA string
	MergeError      string
	MergedBy        *User
	MergedAt        *time.Time

	// ProjectMergeMethod is the project's merge method: merge, rebase_merge or ff.
	ProjectMergeMethod string
	Reviewers          []User
}

// Note is a comment, or a system note, on an issue or a merge request. Author holds the
// author's id, username, name and state only (the ghost user when deleted).
type Note struct {
	ID           int64
	ProjectID    int64
	NoteableType string
	NoteableID   int64
	NoteableIID  int64
	Author       User
	Body         string
	System       bool
	Internal     bool
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Label is a project's label. The issue counts are filled only by lists that ask for them.
type Label struct {
	ID          int64
	ProjectID   int64
	Name        string
	Color       string
	Description string
	// Priority is nil when the label has none.
	Priority  *int
	CreatedAt time.Time
	UpdatedAt time.Time

	OpenIssues   int
	ClosedIssues int
}

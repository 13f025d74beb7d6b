package forge

import (
	"context"

	"github.com/cairn-forge/cairn/db"
)

// IssueParticipants lists the users taking part in an issue the actor may see: its author,
// its assignees and the authors of the comments the actor may read, each once, in that order.
// Only users who may see the issue themselves are listed: of a confidential issue, its author,
// its assignees, reporters and above, and administrators.
func (s *Issuables) IssueParticipants(ctx context.Context, a *Actor, projectRef Ref, ref IssueRef) ([]User, error) {
	v, is, err := s.visibleIssue(ctx, a, projectRef, ref)
	if err != nil {
		return nil, err
	}
	leading := append([]int64{is.Author.ID}, userIDs(is.Assignees)...)
	return s.participants(ctx, issueNoteTarget(v, is), leading, func(u *Actor, uv ProjectView) bool {
		return issuesVisible(uv) && canSeeIssue(u, uv, is)
	})
}

// MergeRequestParticipants lists the users taking part in a merge request the actor may see:
// its author, assignees and reviewers, and the authors of the comments the actor may read,
// each once, in that order; only users who may see the merge request themselves.
func (s *Issuables) MergeRequestParticipants(ctx context.Context, a *Actor, projectRef Ref,
	ref MergeRequestRef) ([]User, error) {
	v, m, err := s.visibleMergeRequest(ctx, a, projectRef, ref)
	if err != nil {
		return nil, err
	}
	leading := append(append([]int64{m.Author.ID}, userIDs(m.Assignees)...), userIDs(m.Reviewers)...)
	return s.participants(ctx, mergeRequestNoteTarget(v, m), leading, func(_ *Actor, uv ProjectView) bool {
		return mergeRequestsVisible(uv)
	})
}

// participants lists the users of leading and the authors of the target's notes the actor may
// read, keeping the active ones whom sees lets see the target (seen as that user would see
// the project).
func (s *Service) participants(ctx context.Context, t NoteTarget, leading []int64,
	sees func(*Actor, ProjectView) bool) ([]User, error) {
	users, err := db.Participants(ctx, s.db.Read, t.typ, t.id, leading, t.seesInternalNotes())
	if err != nil {
		return nil, err
	}
	p := t.project.Project
	out := make([]User, 0, len(users))
	for _, u := range users {
		if u.State != "active" {
			continue // a blocked or banned user reads nothing
		}
		ua := &Actor{User: &u}
		uv, err := s.projectLevels(ctx, ua, p)
		if err != nil {
			return nil, err
		}
		if canSee(ua, p.Visibility, uv.Access) && sees(ua, uv) {
			out = append(out, u)
		}
	}
	return out, nil
}

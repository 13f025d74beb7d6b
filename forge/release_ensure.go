package forge

import (
	"context"
	"strings"

	"github.com/cairn-forge/cairn/db"
)

// EnsureRelease records a release without a tag unless the project already has it, as
// GitClear's "ensure that a release has been recorded" asks: a release of the same commit with
// the same name is the same release, and a second call returns it unchanged (created false).
// The commit is in.SHA, which must be a commit of the project's repository (full or abbreviated
// to at least 7 digits); the release time is in.ReleasedAt, else the commit's author time.
// A release named by its time alone (no SHA) has no identity to find it again by: each call
// records one, as CreateRelease does. The look-up and the insert are one transaction, so two
// calls racing record one release.
func (s *Service) EnsureRelease(ctx context.Context, a *Actor, projectRef string, in ReleaseInput) (Release, bool, error) {
	if in.TagName != nil && strings.TrimSpace(*in.TagName) != "" {
		return Release{}, false, Invalidf("EnsureRelease records releases without a tag")
	}
	if in.SHA == nil || strings.TrimSpace(*in.SHA) == "" {
		r, err := s.CreateRelease(ctx, a, projectRef, in)
		return r, err == nil, err
	}
	v, err := s.deliveryProject(ctx, a, projectRef, Developer)
	if err != nil {
		return Release{}, false, err
	}
	sha, _, err := s.commitOf(ctx, &v, *in.SHA, "release_sha")
	if err != nil {
		return Release{}, false, err
	}
	in.SHA, in.Ref = &sha, nil
	now := s.Now()
	r := Release{ProjectID: v.ID, AuthorID: a.User.ID, CreatedAt: now, UpdatedAt: now,
		Author: User{ID: a.User.ID, Username: a.User.Username, Name: a.User.Name, State: a.User.State}}
	if err := applyReleaseFields(&r, in); err != nil {
		return Release{}, false, err
	}
	repo, err := s.repos.OpenRepo(v.ID)
	if err != nil {
		return Release{}, false, err
	}
	defer repo.Close()
	target, err := resolveReleaseTarget(repo, "", in)
	if err != nil {
		return Release{}, false, err
	}
	r.SHA = target.commit.ID.String()
	r.ReleasedAt = target.commit.Author.When.UTC()
	if in.ReleasedAt != nil {
		r.ReleasedAt = in.ReleasedAt.UTC()
	}
	existing, found, err := s.tagLessRelease(ctx, s.db.Read, v.ID, r.SHA, r.Name)
	if err != nil || found {
		return existing, false, err
	}
	placed := r
	placed.ID = noReleaseID
	walks, err := s.walksForPlacing(ctx, repo, placed, nil)
	if err != nil {
		return Release{}, false, err
	}
	// The insert looks again under the write lock: a call racing this one may have recorded it.
	return s.insertRelease(ctx, r, walks, func(q db.Querier) (Release, bool, error) {
		return s.tagLessRelease(ctx, q, v.ID, r.SHA, r.Name)
	})
}

// tagLessRelease finds the release without a tag of a project's commit sha named name.
func (s *Service) tagLessRelease(ctx context.Context, q db.Querier, projectID int64, sha, name string) (Release, bool, error) {
	list, err := db.ReleasesBySHA(ctx, q, projectID, sha)
	if err != nil {
		return Release{}, false, err
	}
	for _, r := range list {
		if r.TagName == "" && r.Name == name {
			return r, true, nil
		}
	}
	return Release{}, false, nil
}

package forge

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/cairn-forge/cairn/db"
	"github.com/cairn-forge/cairn/gitstore"
)

// EnsureReleaseInput is one "ensure that a release has been recorded", as GitClear's
// POST /releases asks it; nil and false mean "not given".
type EnsureReleaseInput struct {
	// ResourcePath names the repository ("entity/org/repo"); namespaces have no releases.
	ResourcePath string
	// SHA is the release commit (GitClear's release_sha, or its alias head_long), full or
	// abbreviated to at least 7 digits; it must be a commit of the repository.
	SHA  string
	Name *string
	// The release time is ReleasedAt, else now when ReleaseNow, else the author time of SHA's
	// commit; one of the three is needed.
	ReleasedAt *time.Time
	ReleaseNow bool
}

// EnsuredRelease is the release EnsureRelease found or recorded, with its project's path.
type EnsuredRelease struct {
	Release
	ProjectPath string
}

// EnsureRelease records a release without a tag unless the project has it already, as
// GitClear's "ensure that a release has been recorded" asks; developers may. A release is
// found again by what names it: its commit and name when it has a commit (another time given
// with them does not move it), else its name and release time. A second call returns it
// unchanged (created false), so that a client may send a release again, as webhooks do,
// without recording it twice. The look-up and the insert are one transaction, so two calls
// racing record one release.
func (s *Delivery) EnsureRelease(ctx context.Context, a *Actor, in EnsureReleaseInput) (EnsuredRelease, bool, error) {
	if strings.Trim(strings.TrimSpace(in.ResourcePath), "/") == "" {
		return EnsuredRelease{}, false, Missing("resource_path")
	}
	in.SHA = strings.TrimSpace(in.SHA)
	if in.ReleasedAt == nil && !in.ReleaseNow && in.SHA == "" {
		return EnsuredRelease{}, false, &Error{Code: EInvalid, Reason: ReasonMissingOneOf,
			Params:  []string{"released_at", "release_sha", "head_long", "release_now"},
			Message: "released_at is required unless release_sha, head_long or release_now is given"}
	}
	target, err := s.ResolvePath(ctx, a, in.ResourcePath)
	if err != nil {
		return EnsuredRelease{}, false, err
	}
	if !target.IsProject() {
		return EnsuredRelease{}, false, &Error{Code: EInvalid, Params: []string{"resource_path"},
			Message: fmt.Sprintf(
				"a release is recorded on a repository path (entity/org/repo); %q is not a repository",
				target.FullPath())}
	}
	v, err := s.deliveryProject(ctx, a, ParseRef(target.FullPath()), Developer)
	if err != nil {
		return EnsuredRelease{}, false, err
	}
	now := s.Now()
	r := Release{ProjectID: v.ID, AuthorID: a.User.ID, CreatedAt: now, UpdatedAt: now,
		Author: User{ID: a.User.ID, Username: a.User.Username, Name: a.User.Name, State: a.User.State}}
	if err := applyReleaseFields(&r, ReleaseInput{Name: in.Name}); err != nil {
		return EnsuredRelease{}, false, err
	}
	if in.SHA != "" {
		if r.SHA, r.ReleasedAt, err = s.commitOf(ctx, &v, in.SHA, "release_sha"); err != nil {
			return EnsuredRelease{}, false, err
		}
	}
	switch {
	case in.ReleasedAt != nil:
		r.ReleasedAt = *in.ReleasedAt
	case in.ReleaseNow:
		r.ReleasedAt = now
	}
	r.ReleasedAt = r.ReleasedAt.UTC().Truncate(time.Millisecond)
	existing := func(q db.Querier) (Release, bool, error) { return findTaglessRelease(ctx, q, r) }
	if old, found, err := existing(s.db.Read); err != nil || found {
		return EnsuredRelease{Release: old, ProjectPath: v.FullPath()}, false, err
	}
	var walks []shippedWalk
	if r.SHA != "" {
		if walks, err = s.releaseWalks(ctx, v, func(repo *gitstore.Repo) ([]shippedWalk, error) {
			return s.walksForNew(ctx, repo, r)
		}); err != nil {
			return EnsuredRelease{}, false, err
		}
	}
	rel, created, err := s.insertRelease(ctx, r, walks, existing)
	if err != nil {
		return EnsuredRelease{}, false, err
	}
	return EnsuredRelease{Release: rel, ProjectPath: v.FullPath()}, created, nil
}

// findTaglessRelease finds the release without a tag that r, not recorded yet, would repeat:
// of the same commit and name, or, for a release without a commit, of the same name and time.
func findTaglessRelease(ctx context.Context, q db.Querier, r Release) (Release, bool, error) {
	var list []Release
	var err error
	if r.SHA != "" {
		list, err = db.ReleasesBySHA(ctx, q, r.ProjectID, r.SHA)
	} else {
		list, err = db.ReleasesAt(ctx, q, r.ProjectID, r.ReleasedAt)
	}
	if err != nil {
		return Release{}, false, err
	}
	for _, old := range list {
		if old.TagName == "" && old.SHA == r.SHA && old.Name == r.Name {
			return old, true, nil
		}
	}
	return Release{}, false, nil
}

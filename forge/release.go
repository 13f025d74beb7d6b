package forge

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cairn-forge/cairn/db"
	"github.com/cairn-forge/cairn/forge/model"
	"github.com/cairn-forge/cairn/gitstore"
	"github.com/go-git/go-git/v5/plumbing"
)

// Release is a release of a project: a tag (or none, as GitClear records them), a name, a
// description, the release commit and when it was released.
type Release = model.Release

// ShippedCommit is a commit a deployment or a release shipped, with its times.
type ShippedCommit = model.ShippedCommit

// ReleaseInput carries the fields of a release to create or change; nil means "not given".
type ReleaseInput struct {
	// TagName names the release's tag; nil or "" records a release without a tag. A tag
	// that does not exist is created at Ref or SHA.
	TagName *string
	// TagMessage makes a created tag annotated.
	TagMessage  *string
	Name        *string
	Description *string
	// Ref (a branch, tag or sha) or SHA names the release commit when the tag does not
	// exist yet, or when there is no tag.
	Ref, SHA *string
	// ReleasedAt defaults to the release commit's author time.
	ReleasedAt *time.Time
}

// ReleaseListOptions order and filter a project's releases.
type ReleaseListOptions struct {
	// OrderBy is released_at (default) or created_at.
	OrderBy                     string
	Desc                        bool
	UpdatedAfter, UpdatedBefore *time.Time
}

// maxShippedCommits bounds the history walk that finds what a deployment or release
// shipped: a first deployment of a long history records its newest commits only.
const maxShippedCommits = 1000

// shippedWalkTimeout bounds that walk in time as well.
const shippedWalkTimeout = 10 * time.Second

// deliveryProject resolves a project whose delivery records (releases, environments,
// deployments) the actor may read: anyone who sees a public or internal project, reporters
// and above of a private one (guests get forbidden). When level is above zero, the actor
// must also be a signed-in user with that access, whose token may write, on a project that
// is not archived.
func (s *Service) deliveryProject(ctx context.Context, a *Actor, projectRef Ref, level int) (ProjectView, error) {
	if level > 0 {
		if err := a.requireUser(NeedWrite); err != nil {
			return ProjectView{}, err
		}
	}
	v, err := s.Projects.ProjectByRef(ctx, a, projectRef)
	if err != nil {
		return ProjectView{}, err
	}
	if !canReadDeliveries(v) {
		return ProjectView{}, Forbidden()
	}
	if level > 0 && (v.Access < level || v.Archived) {
		return ProjectView{}, Forbidden()
	}
	return v, nil
}

// canReadDeliveries reports whether the actor of v may read its delivery records: any who
// sees a public or internal project, reporters and above of a private one.
func canReadDeliveries(v ProjectView) bool {
	return v.Visibility != Private || v.Access >= Reporter
}

// releaseNotFound is GitLab's answer for a tag without a release.
func releaseNotFound() *Error {
	return &Error{Code: ENotFound, Resource: ResourceRelease, Message: "Not Found"}
}

// shippedCommits lists what a deployment or release at commit to shipped after one at
// commit from (zero: nothing before it): the commits reachable from to and not from from,
// newest first, at most maxShippedCommits of them.
func shippedCommits(ctx context.Context, repo *gitstore.Repo, to, from plumbing.Hash) ([]ShippedCommit, error) {
	ctx, cancel := context.WithTimeout(ctx, shippedWalkTimeout)
	defer cancel()
	lo := gitstore.LogOptions{Include: []plumbing.Hash{to}, Limit: maxShippedCommits}
	if !from.IsZero() {
		// A previous commit that is gone (a rewritten history) excludes nothing.
		if _, err := repo.Commit(from); err == nil {
			lo.Exclude = []plumbing.Hash{from}
		}
	}
	list, err := repo.Log(ctx, lo)
	if err != nil {
		return nil, fmt.Errorf("commits shipped by %s: %w", to, err)
	}
	out := make([]ShippedCommit, len(list))
	for i, c := range list {
		out[i] = ShippedCommit{SHA: c.ID.String(), AuthoredAt: c.Author.When.UTC(), CommittedAt: c.Committer.When.UTC()}
	}
	return out, nil
}

// releaseTarget is the commit a new release names and whether its tag must be created.
type releaseTarget struct {
	commit    *Commit
	createTag bool
}

// resolveReleaseTarget finds the release commit of in in repo.
func resolveReleaseTarget(repo *gitstore.Repo, tag string, in ReleaseInput) (releaseTarget, error) {
	rev := ""
	switch {
	case in.SHA != nil && strings.TrimSpace(*in.SHA) != "":
		rev = strings.TrimSpace(*in.SHA)
	case in.Ref != nil && strings.TrimSpace(*in.Ref) != "":
		rev = strings.TrimSpace(*in.Ref)
	}
	var t releaseTarget
	var h plumbing.Hash
	if tag != "" {
		gt, err := repo.Tag(tag)
		switch {
		case err == nil && !gt.Commit.IsZero():
			h = gt.Commit
		case err == nil:
			return t, gitRefused("Tag %s does not name a commit", tag)
		case !errors.Is(err, gitstore.ErrRefNotFound):
			return t, err
		case rev == "":
			return t, &Error{Code: EInvalid, Reason: ReasonReleaseRefMissing, Params: []string{"ref"},
				Message: "Ref is not specified"}
		default:
			t.createTag = true
		}
	}
	if h.IsZero() && rev != "" {
		var err error
		if h, err = repo.Resolve(rev); errors.Is(err, gitstore.ErrRefNotFound) {
			return t, &Error{Code: EInvalid, Reason: ReasonGitRefused, Params: []string{"sha"},
				Message: fmt.Sprintf("Commit %s is not in the repository", rev)}
		} else if err != nil {
			return t, err
		}
	}
	if h.IsZero() {
		return t, nil
	}
	c, err := repo.Commit(h)
	if err != nil {
		return t, err
	}
	t.commit = c
	return t, nil
}

// applyReleaseFields validates the name and description of in onto r.
func applyReleaseFields(r *Release, in ReleaseInput) error {
	fe := FieldErrors{}
	if in.Name != nil {
		r.Name = strings.TrimSpace(*in.Name)
		checkText(fe, "name", r.Name, limitTitle)
	}
	if in.Description != nil {
		r.Description = *in.Description
		checkText(fe, "description", r.Description, limitDescription)
	}
	return fe.Err()
}

// CreateRelease records a release of a project; developers may. Its commit must be in the
// project's repository; a tag that does not exist is created at in.Ref (or in.SHA). Without
// a release time, the commit's author time is the release's. A second release of a tag is a
// conflict.
func (s *Delivery) CreateRelease(ctx context.Context, a *Actor, projectRef Ref, in ReleaseInput) (Release, error) {
	v, err := s.deliveryProject(ctx, a, projectRef, releaseWriter)
	if err != nil {
		return Release{}, err
	}
	tag := ""
	if in.TagName != nil && strings.TrimSpace(*in.TagName) != "" {
		// The tag may exist already, under a name older rules let in: only a tag to be
		// created must pass ValidateTagName (below).
		tag = *in.TagName
		if textProblem(tag, limitRef) != "" || !gitstore.CheckRefFormat(refTag+tag) {
			return Release{}, gitRefused("Tag name invalid")
		}
	}
	if in.TagMessage != nil {
		if err := checkMessage("tag_message", *in.TagMessage); err != nil {
			return Release{}, err
		}
	}
	now := s.Now()
	r := Release{
		ProjectID: v.ID,
		TagName:   tag,
		Name:      tag,
		AuthorID:  a.UserID(),
		CreatedAt: now,
		UpdatedAt: now,
		Author:    User{ID: a.User.ID, Username: a.User.Username, Name: a.User.Name, State: a.User.State},
	}
	if err := applyReleaseFields(&r, in); err != nil {
		return Release{}, err
	}
	if tag != "" {
		if _, err := db.ReleaseByTag(ctx, s.db.Read, v.ID, tag); err == nil {
			return Release{}, exists(ResourceRelease, tag)
		} else if !errors.Is(err, db.ErrNotFound) {
			return Release{}, err
		}
	}
	repo, err := s.repos.OpenRepo(v.ID)
	if err != nil {
		return Release{}, err
	}
	defer repo.Close()
	target, err := resolveReleaseTarget(repo, tag, in)
	if err != nil {
		return Release{}, err
	}
	if target.createTag {
		if err := checkNewTag(v, tag); err != nil {
			return Release{}, err
		}
	}
	switch {
	case in.ReleasedAt != nil:
		r.ReleasedAt = in.ReleasedAt.UTC()
	case target.commit != nil:
		r.ReleasedAt = target.commit.Author.When.UTC()
	default:
		return Release{}, MissingOneOf("released_at", "sha")
	}
	var walks []shippedWalk
	if target.commit != nil {
		r.SHA = target.commit.ID.String()
		if walks, err = s.walksForNew(ctx, repo, r); err != nil {
			return Release{}, err
		}
	}
	var tagObj plumbing.Hash
	if target.createTag {
		if tagObj, err = s.createReleaseTag(ctx, a, v, repo, tag, target.commit.ID, in.TagMessage); err != nil {
			return Release{}, err
		}
	}
	r, _, err = s.insertRelease(ctx, r, walks, nil)
	if err != nil {
		if target.createTag {
			// The tag was made for this release only: nothing stays half-written.
			if derr := s.repos.UpdateRefs(v.ID,
				[]gitstore.RefUpdate{{Name: "refs/tags/" + tag, Old: tagObj}}); derr != nil {
				s.log.Error("remove the tag of a release that was not recorded", "project_id", v.ID, "tag",
					tag, "err", derr)
			}
		}
		return Release{}, err
	}
	return r, nil
}

// insertRelease records the new release r, which ships what walks say, in one transaction.
// When existing is given, it looks, under the write lock, for a release that r would
// duplicate: that one is returned instead, with created false.
func (s *Service) insertRelease(ctx context.Context, r Release, walks []shippedWalk,
	existing func(q db.Querier) (Release, bool, error)) (rel Release, created bool, err error) {
	err = s.db.Write(ctx, func(tx *sql.Tx) error {
		if existing != nil {
			old, found, err := existing(tx)
			if err != nil || found {
				rel = old
				return err
			}
		}
		id, err := db.InsertRelease(ctx, tx, r)
		if errors.Is(err, db.ErrConstraint) {
			return exists(ResourceRelease, r.TagName)
		}
		if err != nil {
			return err
		}
		rel, created = r, true
		rel.ID = id
		return applyShipped(ctx, tx, walks, id)
	})
	if err != nil {
		return Release{}, false, err
	}
	return rel, created, nil
}

// createReleaseTag tags commit h as tag for a new release, annotated when message is given;
// it returns the object the tag names.
func (s *Service) createReleaseTag(ctx context.Context, a *Actor, v ProjectView, repo *gitstore.Repo,
	tag string, h plumbing.Hash, message *string) (plumbing.Hash, error) {
	obj := h
	if message != nil && strings.TrimSpace(*message) != "" {
		var err error
		if obj, err = repo.WriteTag(tag, h, s.actorSignature(a), strings.TrimSpace(*message)); err != nil {
			return plumbing.ZeroHash, err
		}
	}
	if err := s.moveRefs(ctx, a, v, []gitstore.RefUpdate{{Name: "refs/tags/" + tag, New: obj}}); err != nil {
		if _, ok, _ := repo.Reference("refs/tags/" + tag); ok {
			return plumbing.ZeroHash, exists(ResourceTag, tag)
		}
		return plumbing.ZeroHash, err
	}
	return obj, nil
}

// ListReleases lists one page of a project's releases, newest release first by default.
func (s *Delivery) ListReleases(ctx context.Context, a *Actor, projectRef Ref, o ReleaseListOptions,
	pg Page) ([]Release, int, error) {
	switch o.OrderBy {
	case "", "released_at", "created_at":
	default:
		return nil, 0, invalidValue("order_by")
	}
	v, err := s.deliveryProject(ctx, a, projectRef, 0)
	if err != nil {
		return nil, 0, err
	}
	return db.ListReleases(ctx, s.db.Read, db.ReleaseFilter{
		ProjectID:     v.ID,
		OrderBy:       o.OrderBy,
		Desc:          o.Desc,
		UpdatedAfter:  o.UpdatedAfter,
		UpdatedBefore: o.UpdatedBefore,
		Limit:         pg.limit(),
		Offset:        pg.offset(),
	})
}

// GetRelease returns the release of a project's tag.
func (s *Delivery) GetRelease(ctx context.Context, a *Actor, projectRef Ref, tag string) (Release, error) {
	v, err := s.deliveryProject(ctx, a, projectRef, 0)
	if err != nil {
		return Release{}, err
	}
	return s.releaseByTag(ctx, s.db.Read, v, tag)
}

func (s *Service) releaseByTag(ctx context.Context, q db.Querier, v ProjectView, tag string) (Release, error) {
	if tag == "" {
		return Release{}, releaseNotFound()
	}
	r, err := db.ReleaseByTag(ctx, q, v.ID, tag)
	if errors.Is(err, db.ErrNotFound) {
		return Release{}, releaseNotFound()
	}
	return r, err
}

// ReleasesBySHA lists the releases of a project made from commit sha, oldest first.
func (s *Delivery) ReleasesBySHA(ctx context.Context, a *Actor, projectRef Ref, sha string) ([]Release, error) {
	v, err := s.deliveryProject(ctx, a, projectRef, 0)
	if err != nil {
		return nil, err
	}
	return db.ReleasesBySHA(ctx, s.db.Read, v.ID, strings.ToLower(strings.TrimSpace(sha)))
}

// ReleaseShippedCommits lists the commits a release shipped, newest first.
func (s *Delivery) ReleaseShippedCommits(ctx context.Context, a *Actor, projectRef Ref,
	id int64) ([]ShippedCommit, error) {
	v, err := s.deliveryProject(ctx, a, projectRef, 0)
	if err != nil {
		return nil, err
	}
	r, err := db.ReleaseByID(ctx, s.db.Read, id)
	if err != nil || r.ProjectID != v.ID {
		return nil, releaseNotFound()
	}
	return db.ReleaseCommits(ctx, s.db.Read, id)
}

// UpdateRelease changes the name, description or release time of a tag's release;
// developers may. A release moved in time takes the commits it now ships first, and gives
// back those a release now before it shipped.
func (s *Delivery) UpdateRelease(ctx context.Context, a *Actor, projectRef Ref, tag string,
	in ReleaseInput) (Release, error) {
	v, err := s.deliveryProject(ctx, a, projectRef, releaseWriter)
	if err != nil {
		return Release{}, err
	}
	old, err := s.releaseByTag(ctx, s.db.Read, v, tag)
	if err != nil {
		return Release{}, err
	}
	r := old
	if err := applyReleaseFields(&r, in); err != nil {
		return Release{}, err
	}
	if in.ReleasedAt != nil {
		r.ReleasedAt = in.ReleasedAt.UTC()
	}
	var walks []shippedWalk
	if !r.ReleasedAt.Equal(old.ReleasedAt) {
		if walks, err = s.releaseWalks(ctx, v, func(repo *gitstore.Repo) ([]shippedWalk, error) {
			return s.walksForPlacing(ctx, repo, r, &old)
		}); err != nil {
			return Release{}, err
		}
	}
	err = s.db.Write(ctx, func(tx *sql.Tx) error {
		cur, err := s.releaseByTag(ctx, tx, v, tag)
		if err != nil {
			return err
		}
		if cur.ID != old.ID {
			return Conflictf("Release was replaced while it was being updated")
		}
		r.UpdatedAt = s.Now()
		if err := db.UpdateRelease(ctx, tx, r); err != nil {
			return err
		}
		return applyShipped(ctx, tx, walks, 0)
	})
	if err != nil {
		return Release{}, err
	}
	return r, nil
}

// releaseWalks opens the repository of project v for walk, which works out what releases
// ship.
func (s *Service) releaseWalks(ctx context.Context, v ProjectView,
	walk func(*gitstore.Repo) ([]shippedWalk, error)) ([]shippedWalk, error) {
	repo, err := s.repos.OpenRepo(v.ID)
	if err != nil {
		return nil, err
	}
	defer repo.Close()
	return walk(repo)
}

// DeleteRelease removes a tag's release (the tag stays) and returns it; maintainers may.
// The release after it ships what it shipped. Deleting a release that is gone succeeds for
// them, with a zero Release.
func (s *Delivery) DeleteRelease(ctx context.Context, a *Actor, projectRef Ref, tag string) (Release, error) {
	v, err := s.deliveryProject(ctx, a, projectRef, Maintainer)
	if err != nil {
		return Release{}, err
	}
	r, err := s.releaseByTag(ctx, s.db.Read, v, tag)
	if ErrorCode(err) == ENotFound {
		return Release{}, nil
	}
	if err != nil {
		return Release{}, err
	}
	walks, err := s.releaseWalks(ctx, v, func(repo *gitstore.Repo) ([]shippedWalk, error) {
		return s.walksForRemoving(ctx, repo, r)
	})
	if err != nil {
		return Release{}, err
	}
	err = s.db.Write(ctx, func(tx *sql.Tx) error {
		cur, err := s.releaseByTag(ctx, tx, v, tag)
		if ErrorCode(err) == ENotFound || err == nil && cur.ID != r.ID {
			// Deleted meanwhile: what follows was worked out by that call.
			r = Release{}
			return nil
		}
		if err != nil {
			return err
		}
		if err := db.DeleteRelease(ctx, tx, r.ID); err != nil {
			return err
		}
		return applyShipped(ctx, tx, walks, 0)
	})
	return r, err
}

// ReleaseCommits reads the commits of releases of a project, by sha, for showing them. A
// caller who may not read the project's code gets none (GitLab leaves them out).
func (s *Delivery) ReleaseCommits(ctx context.Context, a *Actor, projectRef Ref,
	releases []Release) (map[string]*Commit, error) {
	out := map[string]*Commit{}
	if a.Require(NeedReadCode) != nil {
		return out, nil
	}
	v, err := s.deliveryProject(ctx, a, projectRef, 0)
	if err != nil {
		return nil, err
	}
	repo, err := s.repos.OpenRepo(v.ID)
	if err != nil {
		return nil, err
	}
	defer repo.Close()
	for _, r := range releases {
		if r.SHA == "" || out[r.SHA] != nil {
			continue
		}
		c, err := repo.Commit(plumbing.NewHash(r.SHA))
		if errors.Is(err, gitstore.ErrRefNotFound) {
			continue // the history was rewritten since
		}
		if err != nil {
			return nil, err
		}
		out[r.SHA] = c
	}
	return out, nil
}

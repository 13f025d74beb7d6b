package forge

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/cairn-forge/cairn/db"
)

// DeployKey is an SSH key that gives access to projects rather than to a user: read access,
// and pushes where CanPush. One key may serve several projects.
type DeployKey struct {
	ID                int64
	Title             string
	Key               string
	FingerprintSHA256 string
	FingerprintMD5    string
	CreatedAt         time.Time
	ExpiresAt         *time.Time
	// CanPush is the key's right on the project it was read through.
	CanPush bool
}

// DeployKeyInput is a deploy key to add to a project, or the changes to one.
type DeployKeyInput struct {
	Title     *string
	Key       string
	CanPush   *bool
	ExpiresAt *time.Time
}

func deployKeyOf(r db.DeployKey) DeployKey {
	return DeployKey{
		ID:                r.ID,
		Title:             r.Title,
		Key:               r.Key,
		FingerprintSHA256: r.FingerprintSHA256,
		FingerprintMD5:    r.FingerprintMD5,
		CreatedAt:         r.CreatedAt,
		ExpiresAt:         r.ExpiresAt,
		CanPush:           r.CanPush,
	}
}

// deployKeyProject resolves a project whose deploy keys the actor manages: maintainers may.
func (s *Service) deployKeyProject(ctx context.Context, a *Actor, ref Ref, need Need) (ProjectView, error) {
	if err := a.requireUser(need); err != nil {
		return ProjectView{}, err
	}
	v, err := s.visibleProject(ctx, a, ref)
	if err != nil {
		return ProjectView{}, err
	}
	if v.Access < Maintainer {
		return ProjectView{}, Forbidden()
	}
	return v, nil
}

// ListAllDeployKeys lists every deploy key of the instance; only administrators may.
func (s *Access) ListAllDeployKeys(ctx context.Context, a *Actor, pg Page) ([]DeployKey, int, error) {
	if err := a.requireAdmin(NeedRead); err != nil {
		return nil, 0, err
	}
	rows, total, err := db.ListDeployKeys(ctx, s.db.Read, pg.limit(), pg.offset())
	return deployKeysOf(rows), total, err
}

func deployKeysOf(rows []db.DeployKey) []DeployKey {
	out := make([]DeployKey, len(rows))
	for i, r := range rows {
		out[i] = deployKeyOf(r)
	}
	return out
}

// ListDeployKeys lists the deploy keys enabled for a project.
func (s *Access) ListDeployKeys(ctx context.Context, a *Actor, ref Ref, pg Page) ([]DeployKey, int, error) {
	v, err := s.deployKeyProject(ctx, a, ref, NeedRead)
	if err != nil {
		return nil, 0, err
	}
	rows, total, err := db.ListProjectDeployKeys(ctx, s.db.Read, v.ID, pg.limit(), pg.offset())
	return deployKeysOf(rows), total, err
}

// GetDeployKey returns a deploy key of a project.
func (s *Access) GetDeployKey(ctx context.Context, a *Actor, ref Ref, id int64) (DeployKey, error) {
	v, err := s.deployKeyProject(ctx, a, ref, NeedRead)
	if err != nil {
		return DeployKey{}, err
	}
	k, err := db.ProjectDeployKey(ctx, s.db.Read, v.ID, id)
	return deployKeyOf(k), notFoundAs(err, ResourceDeployKey)
}

// AddDeployKey adds a deploy key to a project. A key another project already uses as a
// deploy key is enabled for this one too; a user's own key is refused.
func (s *Access) AddDeployKey(ctx context.Context, a *Actor, ref Ref, in DeployKeyInput) (DeployKey, error) {
	v, err := s.deployKeyProject(ctx, a, ref, NeedWrite)
	if err != nil {
		return DeployKey{}, err
	}
	key, sha, md5, err := ParseSSHKey(in.Key)
	if err != nil {
		return DeployKey{}, err
	}
	title := ""
	if in.Title != nil {
		title = strings.TrimSpace(*in.Title)
	}
	fe := FieldErrors{}
	if title == "" {
		fe.Add("title", "can't be blank")
	}
	checkText(fe, "title", title, limitName)
	if in.ExpiresAt != nil && !in.ExpiresAt.After(s.Now()) {
		fe.Add("expires_at", "must be in the future")
	}
	if err := fe.Err(); err != nil {
		return DeployKey{}, err
	}
	canPush := in.CanPush != nil && *in.CanPush
	var id int64
	err = s.db.Write(ctx, func(tx *sql.Tx) error {
		if _, err := db.SSHKeyByFingerprint(ctx, tx, sha); err == nil {
			return FieldErrors{"fingerprint_sha256": {"has already been taken"}}.Err()
		}
		existing, err := db.DeployKeyByFingerprint(ctx, tx, sha)
		switch {
		case err == nil:
			id = existing.ID
		case errors.Is(err, db.ErrNotFound):
			if id, err = db.InsertDeployKey(ctx, tx, db.DeployKey{
				Title:             title,
				Key:               key,
				FingerprintSHA256: sha,
				FingerprintMD5:    md5,
				CreatedAt:         s.Now(),
				ExpiresAt:         in.ExpiresAt,
			}); err != nil {
				return err
			}
		default:
			return err
		}
		return db.EnableDeployKey(ctx, tx, id, v.ID, canPush, s.Now())
	})
	if err != nil {
		return DeployKey{}, err
	}
	s.audit(ctx, a, "deploy_key_added", "project", v.ID, sha)
	return s.GetDeployKey(ctx, a, ref, id)
}

// UpdateDeployKey changes a project's deploy key: its title, its right to push here.
func (s *Access) UpdateDeployKey(ctx context.Context, a *Actor, ref Ref, id int64,
	in DeployKeyInput) (DeployKey, error) {
	v, err := s.deployKeyProject(ctx, a, ref, NeedWrite)
	if err != nil {
		return DeployKey{}, err
	}
	k, err := db.ProjectDeployKey(ctx, s.db.Read, v.ID, id)
	if err != nil {
		return DeployKey{}, notFoundAs(err, ResourceDeployKey)
	}
	if in.Title != nil {
		fe := FieldErrors{}
		if strings.TrimSpace(*in.Title) == "" {
			fe.Add("title", "can't be blank")
		}
		checkText(fe, "title", *in.Title, limitName)
		if err := fe.Err(); err != nil {
			return DeployKey{}, err
		}
	}
	err = s.db.Write(ctx, func(tx *sql.Tx) error {
		if in.Title != nil {
			if err := db.UpdateDeployKeyTitle(ctx, tx, id, strings.TrimSpace(*in.Title)); err != nil {
				return err
			}
		}
		if in.CanPush != nil {
			return db.EnableDeployKey(ctx, tx, id, v.ID, *in.CanPush, k.CreatedAt)
		}
		return nil
	})
	if err != nil {
		return DeployKey{}, err
	}
	return s.GetDeployKey(ctx, a, ref, id)
}

// EnableDeployKey enables for a project a deploy key another project uses; its maintainers
// may, read-only.
func (s *Access) EnableDeployKey(ctx context.Context, a *Actor, ref Ref, id int64) (DeployKey, error) {
	v, err := s.deployKeyProject(ctx, a, ref, NeedWrite)
	if err != nil {
		return DeployKey{}, err
	}
	if _, err := db.DeployKeyByID(ctx, s.db.Read, id); err != nil {
		return DeployKey{}, notFoundAs(err, ResourceDeployKey)
	}
	if _, err := db.ProjectDeployKey(ctx, s.db.Read, v.ID, id); err != nil {
		if err := s.db.Write(ctx,
			func(tx *sql.Tx) error { return db.EnableDeployKey(ctx, tx, id, v.ID, false, s.Now()) }); err != nil {
			return DeployKey{}, err
		}
	}
	return s.GetDeployKey(ctx, a, ref, id)
}

// DeleteDeployKey removes a deploy key from a project; a key no project uses any more goes.
func (s *Access) DeleteDeployKey(ctx context.Context, a *Actor, ref Ref, id int64) error {
	v, err := s.deployKeyProject(ctx, a, ref, NeedWrite)
	if err != nil {
		return err
	}
	if _, err := db.ProjectDeployKey(ctx, s.db.Read, v.ID, id); err != nil {
		return notFoundAs(err, ResourceDeployKey)
	}
	return s.db.Write(ctx, func(tx *sql.Tx) error { return db.DisableDeployKey(ctx, tx, id, v.ID) })
}

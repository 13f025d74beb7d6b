package forge

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/cairn-forge/cairn/db"
)

// DeployTokenPrefix starts every deploy token's secret.
const DeployTokenPrefix = "cairn_dt_"

// Deploy token scopes: the repository ones work over git's HTTP transport; the registry ones
// are accepted, as GitLab's clients send them, and grant nothing here (cairn has no registry).
var deployTokenScopes = []string{"read_repository", "write_repository", "read_registry", "write_registry",
	"read_package_registry", "write_package_registry"}

// DeployToken is a secret for git over HTTP (user name and token as Basic credentials) that
// reads (read_repository) or also pushes to (write_repository) one project, or every project
// of a group and its subgroups.
type DeployToken struct {
	ID        int64
	ProjectID int64
	GroupID   int64
	Name      string
	Username  string
	Scopes    []string
	CreatedAt time.Time
	ExpiresAt *time.Time
	RevokedAt *time.Time
}

// Expired reports whether the token has passed its expiry at now.
func (t DeployToken) Expired(now time.Time) bool {
	return t.ExpiresAt != nil && !now.Before(*t.ExpiresAt)
}

// DeployTokenInput is a deploy token to create.
type DeployTokenInput struct {
	Name      string
	Username  string
	Scopes    []string
	ExpiresAt *time.Time
}

// DeployTokenSource names the project or group (Kind) whose deploy tokens a request is about.
type DeployTokenSource struct {
	Kind string
	Ref  string
}

func deployTokenOf(r db.DeployToken) DeployToken {
	return DeployToken{
		ID:        r.ID,
		ProjectID: r.ProjectID,
		GroupID:   r.GroupID,
		Name:      r.Name,
		Username:  r.Username,
		Scopes:    r.Scopes,
		CreatedAt: r.CreatedAt,
		ExpiresAt: r.ExpiresAt,
		RevokedAt: r.RevokedAt,
	}
}

// deployTokenSource resolves the project (maintainers manage its tokens) or group (owners
// do) of a request.
func (s *Service) deployTokenSource(ctx context.Context, a *Actor, src DeployTokenSource,
	need Need) (project, group int64, err error) {
	if err := a.requireUser(need); err != nil {
		return 0, 0, err
	}
	if src.Kind == "group" {
		g, level, err := s.visibleGroup(ctx, a, ParseRef(src.Ref))
		if err != nil {
			return 0, 0, err
		}
		if level < Owner {
			return 0, 0, Forbidden()
		}
		return 0, g.ID, nil
	}
	v, err := s.visibleProject(ctx, a, ParseRef(src.Ref))
	if err != nil {
		return 0, 0, err
	}
	if v.Access < Maintainer {
		return 0, 0, Forbidden()
	}
	return v.ID, 0, nil
}

// ListDeployTokens lists the deploy tokens of a project or group (active: only usable ones).
func (s *Access) ListDeployTokens(ctx context.Context, a *Actor, src DeployTokenSource, active bool,
	pg Page) ([]DeployToken, int, error) {
	var project, group int64
	var err error
	if src.Kind == "" {
		err = a.requireAdmin(NeedRead)
	} else {
		project, group, err = s.deployTokenSource(ctx, a, src, NeedRead)
	}
	if err != nil {
		return nil, 0, err
	}
	rows, total, err := db.ListDeployTokens(ctx, s.db.Read, project, group, active, s.Now(), pg.limit(), pg.offset())
	out := make([]DeployToken, len(rows))
	for i, r := range rows {
		out[i] = deployTokenOf(r)
	}
	return out, total, err
}

// deployTokenOfSource reads token id of a project or group.
func (s *Service) deployTokenOfSource(ctx context.Context, a *Actor, src DeployTokenSource, id int64,
	need Need) (db.DeployToken, error) {
	project, group, err := s.deployTokenSource(ctx, a, src, need)
	if err != nil {
		return db.DeployToken{}, err
	}
	t, err := db.DeployTokenByID(ctx, s.db.Read, id)
	if err != nil || t.ProjectID != project || t.GroupID != group {
		return db.DeployToken{}, notFoundAs(orNotFound(err), ResourceDeployToken)
	}
	return t, nil
}

// GetDeployToken returns one deploy token of a project or group.
func (s *Access) GetDeployToken(ctx context.Context, a *Actor, src DeployTokenSource, id int64) (DeployToken, error) {
	t, err := s.deployTokenOfSource(ctx, a, src, id, NeedRead)
	return deployTokenOf(t), err
}

// CreateDeployToken issues a deploy token for a project or group and returns it with its
// secret, shown this once. Its user name defaults to GitLab's gitlab+deploy-token-<id>.
func (s *Access) CreateDeployToken(ctx context.Context, a *Actor, src DeployTokenSource,
	in DeployTokenInput) (DeployToken, string, error) {
	project, group, err := s.deployTokenSource(ctx, a, src, NeedWrite)
	if err != nil {
		return DeployToken{}, "", err
	}
	fe := FieldErrors{}
	if strings.TrimSpace(in.Name) == "" {
		fe.Add("name", "can't be blank")
	}
	checkText(fe, "name", in.Name, limitName)
	if in.Username != "" && (ValidatePath(strings.ReplaceAll(in.Username, "+", "_")) != "" ||
		textProblem(in.Username, limitName) != "") {
		fe.Add("username", "contains invalid characters")
	}
	if len(in.Scopes) == 0 {
		fe.Add("scopes", "can't be blank")
	}
	for _, sc := range in.Scopes {
		if !containsString(deployTokenScopes, sc) {
			fe.Add("scopes", "can only contain available scopes")
			break
		}
	}
	if in.ExpiresAt != nil && !in.ExpiresAt.After(s.Now()) {
		fe.Add("expires_at", "must be in the future")
	}
	if err := fe.Err(); err != nil {
		return DeployToken{}, "", err
	}
	secret := DeployTokenPrefix + s.randomSecret(20)
	row := db.DeployToken{
		ProjectID: project,
		GroupID:   group,
		Name:      strings.TrimSpace(in.Name),
		Username:  in.Username,
		Hash:      HashToken(secret),
		Scopes:    in.Scopes,
		CreatedAt: s.Now(),
		ExpiresAt: in.ExpiresAt,
	}
	err = s.db.Write(ctx, func(tx *sql.Tx) error {
		if row.ID, err = db.InsertDeployToken(ctx, tx, row); err != nil {
			return err
		}
		if row.Username == "" {
			row.Username = "gitlab+deploy-token-" + formatID(row.ID)
			return db.SetDeployTokenUsername(ctx, tx, row.ID, row.Username)
		}
		return nil
	})
	if err != nil {
		return DeployToken{}, "", err
	}
	s.audit(ctx, a, "deploy_token_created", "deploy_token", row.ID, row.Name)
	return deployTokenOf(row), secret, nil
}

// RevokeDeployToken revokes a deploy token of a project or group.
func (s *Access) RevokeDeployToken(ctx context.Context, a *Actor, src DeployTokenSource, id int64) error {
	t, err := s.deployTokenOfSource(ctx, a, src, id, NeedWrite)
	if err != nil {
		return err
	}
	if err := s.db.Write(ctx,
		func(tx *sql.Tx) error { return db.RevokeDeployToken(ctx, tx, t.ID, s.Now()) }); err != nil {
		return err
	}
	s.audit(ctx, a, "deploy_token_revoked", "deploy_token", t.ID, t.Name)
	return nil
}

// authenticateDeployToken is the actor of a deploy token's secret; ErrNotFound when no
// deploy token has it.
func (s *Service) authenticateDeployToken(ctx context.Context, secret, ip string) (*Actor, error) {
	t, err := db.DeployTokenByHash(ctx, s.db.Read, HashToken(secret))
	if err != nil {
		return nil, err
	}
	dt := deployTokenOf(t)
	switch {
	case dt.RevokedAt != nil:
		return nil, Unauthorized(ReasonTokenRevoked)
	case dt.Expired(s.Now()):
		return nil, Unauthorized(ReasonTokenExpired)
	}
	return &Actor{Deploy: &dt, IP: ip}, nil
}

// deployProject is GitProject for a deploy token: the project must be the token's, or in
// its group's tree, and the token must have the repository scope the operation needs.
func (s *Service) deployProject(ctx context.Context, a *Actor, path Ref, write bool) (ProjectView, error) {
	p, err := s.findProject(ctx, s.db.Read, path)
	if errors.Is(err, db.ErrNotFound) || ErrorCode(err) == ENotFound {
		return ProjectView{}, NotFound(ResourceProject)
	}
	if err != nil {
		return ProjectView{}, err
	}
	dt := a.Deploy
	covered := dt.ProjectID == p.ID
	if dt.GroupID != 0 && !covered {
		ids, err := db.NamespaceDescendantIDs(ctx, s.db.Read, dt.GroupID)
		if err != nil {
			return ProjectView{}, err
		}
		covered = containsID(ids, p.NamespaceID)
	}
	if !covered {
		return ProjectView{}, NotFound(ResourceProject)
	}
	need := "read_repository"
	if write {
		need = "write_repository"
	}
	if !containsString(dt.Scopes, need) {
		e := &Error{Code: EForbidden, Reason: ReasonDownloadDenied}
		if write {
			e = &Error{Code: EForbidden, Reason: ReasonPushDenied, Resource: ResourceProject}
		}
		return ProjectView{}, e
	}
	if write && p.Archived {
		return ProjectView{}, &Error{Code: EForbidden, Reason: ReasonArchived}
	}
	// A token that may write pushes as a developer would, within the branch protections.
	v := ProjectView{Project: p, Access: Reporter}
	if write {
		v.Access = Developer
	}
	return v, nil
}

func containsID(list []int64, id int64) bool {
	for _, x := range list {
		if x == id {
			return true
		}
	}
	return false
}

package forge

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"math/big"
	"regexp"
	"strings"

	"github.com/cairn-forge/cairn/db"
	"github.com/cairn-forge/cairn/forge/model"
)

// Environment is where a project's deployments go: a name, a tier, an external URL and a
// state.
type Environment = model.Environment

// Environment states and tiers, as GitLab has them.
const (
	EnvironmentAvailable = "available"
	EnvironmentStopped   = "stopped"

	TierProduction  = "production"
	TierStaging     = "staging"
	TierTesting     = "testing"
	TierDevelopment = "development"
	TierOther       = "other"
)

// EnvironmentInput carries the fields of an environment to create or change; nil means
// "not given".
type EnvironmentInput struct {
	Name *string
	// Tier defaults to one guessed from the name, as GitLab guesses it.
	Tier        *string
	ExternalURL *string
	Description *string
}

// EnvironmentListOptions filter a project's environments.
type EnvironmentListOptions struct {
	// Name keeps the environment of that name; Search, those whose name contains it.
	Name, Search string
	// State is available or stopped; "" keeps every one.
	State string
}

// environmentNameChars are the characters GitLab allows in an environment's name.
var environmentNameChars = regexp.MustCompile(`^[a-zA-Z0-9_/${}. -]+$`)

// environmentNameRule is GitLab's message for a name outside those characters.
const environmentNameRule = "can contain only letters, digits, '-', '_', '/', '$', '{', '}', '.', and spaces, but it cannot start or end with '/'"

// checkEnvironmentName validates a name given by a client into fe.
func checkEnvironmentName(name string, fe FieldErrors) {
	switch {
	case name == "":
		fe.Add("name", "can't be blank")
	case textProblem(name, limitName) != "":
		fe.Add("name", textProblem(name, limitName))
	case !environmentNameChars.MatchString(name) || strings.HasPrefix(name, "/") || strings.HasSuffix(name, "/"):
		fe.Add("name", environmentNameRule)
	}
}

// Tier guesses, in GitLab's order: "preprod" is staging, "review/x" development.
var tierGuesses = []struct {
	re   *regexp.Regexp
	tier string
}{
	{regexp.MustCompile(`(?i)(dev|review|trunk)`), TierDevelopment},
	{regexp.MustCompile(`(?i)(test|tst|int|ac(ce|)pt|qa|qc|control|quality)`), TierTesting},
	{regexp.MustCompile(`(?i)(st(a|)g|mod(e|)l|pre|demo|non)`), TierStaging},
	{regexp.MustCompile(`(?i)(pr(o|)d|live)`), TierProduction},
}

// GuessTier is the tier GitLab gives an environment created without one, from its name.
func GuessTier(name string) string {
	for _, g := range tierGuesses {
		if g.re.MatchString(name) {
			return g.tier
		}
	}
	return TierOther
}

// EnvironmentSlug is GitLab's slug of an environment name: lowercase letters, digits and
// single dashes, starting with a letter, at most 24 characters; a name that had to change
// gets a suffix from its hash, so that different names keep different slugs.
func EnvironmentSlug(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	slug := b.String()
	if slug == "" || slug[0] < 'a' || slug[0] > 'z' {
		slug = "env-" + slug
	}
	for strings.Contains(slug, "--") {
		slug = strings.ReplaceAll(slug, "--", "-")
	}
	if len(slug) <= 24 && slug == name {
		return strings.TrimSuffix(slug, "-")
	}
	slug = slug[:min(len(slug), 17)]
	if !strings.HasSuffix(slug, "-") {
		slug += "-"
	}
	sum := sha256.Sum256([]byte(name))
	suffix := new(big.Int).SetBytes(sum[:]).Text(36)
	return slug + suffix[max(0, len(suffix)-6):]
}

// applyEnvironmentFields validates tier, URL and description of in onto e.
func applyEnvironmentFields(e *Environment, in EnvironmentInput, fe FieldErrors) error {
	if in.Tier != nil {
		switch *in.Tier {
		case TierProduction, TierStaging, TierTesting, TierDevelopment, TierOther:
			e.Tier = *in.Tier
		default:
			return invalidValue("tier")
		}
	}
	if in.ExternalURL != nil {
		e.ExternalURL = strings.TrimSpace(*in.ExternalURL)
		if e.ExternalURL != "" {
			checkWebURL(fe, "external_url", e.ExternalURL)
		}
	}
	if in.Description != nil {
		e.Description = *in.Description
		checkText(fe, "description", e.Description, limitEnvironmentDescription)
	}
	return fe.Err()
}

// newEnvironment validates a new environment of project v named name.
func (s *Service) newEnvironment(v ProjectView, name string, in EnvironmentInput) (Environment, error) {
	fe := FieldErrors{}
	checkEnvironmentName(name, fe)
	now := s.Now()
	e := Environment{
		ProjectID: v.ID,
		Name:      name,
		Slug:      EnvironmentSlug(name),
		Tier:      GuessTier(name),
		State:     EnvironmentAvailable,
		CreatedAt: now,
		UpdatedAt: now,
	}
	return e, applyEnvironmentFields(&e, in, fe)
}

// insertEnvironment stores e and gives it its id; a name the project has is taken.
func insertEnvironment(ctx context.Context, q db.Querier, e *Environment) error {
	id, err := db.InsertEnvironment(ctx, q, *e)
	if err != nil {
		return takenAs(err, "name")
	}
	e.ID = id
	return nil
}

// CreateEnvironment adds an environment to a project; developers may.
func (s *Delivery) CreateEnvironment(ctx context.Context, a *Actor, projectRef Ref,
	in EnvironmentInput) (Environment, error) {
	v, err := s.deliveryProject(ctx, a, projectRef, Developer)
	if err != nil {
		return Environment{}, err
	}
	if in.Name == nil {
		return Environment{}, Missing("name")
	}
	e, err := s.newEnvironment(v, strings.TrimSpace(*in.Name), in)
	if err != nil {
		return Environment{}, err
	}
	if err := insertEnvironment(ctx, s.db.Writer(), &e); err != nil {
		return Environment{}, err
	}
	return e, nil
}

// findEnvironment reads environment id of project v; another project's is not found.
func findEnvironment(ctx context.Context, q db.Querier, v ProjectView, id int64) (Environment, error) {
	e, err := db.EnvironmentByID(ctx, q, id)
	if errors.Is(err, db.ErrNotFound) || err == nil && e.ProjectID != v.ID {
		return Environment{}, NotFound("")
	}
	return e, err
}

// GetEnvironment returns an environment of a project.
func (s *Delivery) GetEnvironment(ctx context.Context, a *Actor, projectRef Ref, id int64) (Environment, error) {
	v, err := s.deliveryProject(ctx, a, projectRef, 0)
	if err != nil {
		return Environment{}, err
	}
	return findEnvironment(ctx, s.db.Read, v, id)
}

// LastDeployment returns the newest successful deployment of an environment; ok is false
// when it has none.
func (s *Delivery) LastDeployment(ctx context.Context, a *Actor, projectRef Ref, envID int64) (d Deployment,
	ok bool, err error) {
	v, err := s.deliveryProject(ctx, a, projectRef, 0)
	if err != nil {
		return Deployment{}, false, err
	}
	if _, err := findEnvironment(ctx, s.db.Read, v, envID); err != nil {
		return Deployment{}, false, err
	}
	d, err = db.LastSuccessfulDeployment(ctx, s.db.Read, envID, 0)
	if errors.Is(err, db.ErrNotFound) {
		return Deployment{}, false, nil
	}
	return d, err == nil, err
}

// ListEnvironments lists one page of a project's environments, oldest first.
func (s *Delivery) ListEnvironments(ctx context.Context, a *Actor, projectRef Ref, o EnvironmentListOptions,
	pg Page) ([]Environment, int, error) {
	switch o.State {
	case "", EnvironmentAvailable, EnvironmentStopped:
	case "stopping":
		// cairn stops environments at once: none is ever stopping.
		return []Environment{}, 0, nil
	default:
		return nil, 0, invalidValue("states")
	}
	if o.Name != "" && o.Search != "" {
		return nil, 0, &Error{Code: EInvalid, Params: []string{"name", "search"},
			Message: "name, search are mutually exclusive"}
	}
	v, err := s.deliveryProject(ctx, a, projectRef, 0)
	if err != nil {
		return nil, 0, err
	}
	return db.ListEnvironments(ctx, s.db.Read, db.EnvironmentFilter{
		ProjectID: v.ID,
		Name:      o.Name,
		Search:    o.Search,
		State:     o.State,
		Limit:     pg.limit(),
		Offset:    pg.offset(),
	})
}

// UpdateEnvironment changes the tier, external URL or description of an environment;
// developers may. Its name cannot change: deploy commands and slugs hang on it.
func (s *Delivery) UpdateEnvironment(ctx context.Context, a *Actor, projectRef Ref, id int64,
	in EnvironmentInput) (Environment, error) {
	v, err := s.deliveryProject(ctx, a, projectRef, Developer)
	if err != nil {
		return Environment{}, err
	}
	var e Environment
	err = s.db.Write(ctx, func(tx *sql.Tx) error {
		var err error
		if e, err = findEnvironment(ctx, tx, v, id); err != nil {
			return err
		}
		fe := FieldErrors{}
		if in.Name != nil && strings.TrimSpace(*in.Name) != e.Name {
			fe.Add("name", "cannot be changed")
		}
		if err := applyEnvironmentFields(&e, in, fe); err != nil {
			return err
		}
		e.UpdatedAt = s.Now()
		return db.UpdateEnvironment(ctx, tx, e)
	})
	if err != nil {
		return Environment{}, err
	}
	return e, nil
}

// StopEnvironment marks an environment stopped; developers may. Stopping a stopped one
// changes nothing.
func (s *Delivery) StopEnvironment(ctx context.Context, a *Actor, projectRef Ref, id int64) (Environment, error) {
	v, err := s.deliveryProject(ctx, a, projectRef, Developer)
	if err != nil {
		return Environment{}, err
	}
	var e Environment
	err = s.db.Write(ctx, func(tx *sql.Tx) error {
		var err error
		if e, err = findEnvironment(ctx, tx, v, id); err != nil || e.State == EnvironmentStopped {
			return err
		}
		e.State, e.UpdatedAt = EnvironmentStopped, s.Now()
		return db.UpdateEnvironment(ctx, tx, e)
	})
	if err != nil {
		return Environment{}, err
	}
	return e, nil
}

// DeleteEnvironment removes a stopped environment with its deployments; maintainers may.
// Deleting one that is gone succeeds for them.
func (s *Delivery) DeleteEnvironment(ctx context.Context, a *Actor, projectRef Ref, id int64) error {
	v, err := s.deliveryProject(ctx, a, projectRef, Maintainer)
	if err != nil {
		return err
	}
	return s.db.Write(ctx, func(tx *sql.Tx) error {
		e, err := findEnvironment(ctx, tx, v, id)
		switch {
		case ErrorCode(err) == ENotFound:
			return nil
		case err != nil:
			return err
		case e.State != EnvironmentStopped:
			return Forbiddenf("Environment %s is available: stop it before deleting it", e.Name)
		}
		return db.DeleteEnvironment(ctx, tx, e.ID)
	})
}

package forge

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/cairn-forge/cairn/db"
	"github.com/cairn-forge/cairn/forge/model"
	"github.com/cairn-forge/cairn/gitstore"
)

// Critical defects, as GitClear records them: a defect is found at a user, a group or a
// project, and fixes are released for it in projects; it is resolved at its latest fix.
type (
	Defect    = model.Defect
	DefectFix = model.DefectFix
)

// maxResourcePath bounds the resource paths a defect is recorded at, in bytes.
const maxResourcePath = 1024

// DefectInput is one "create or update" of a defect; nil and false mean "not given".
type DefectInput struct {
	// Key is the caller's name for the defect ("JIRA-123"), unique within its owner: the
	// project or namespace it was recorded at.
	Key string
	// ResourcePath is where the defect is recorded: a namespace ("entity", "entity/org") or a
	// project ("entity/org/repo").
	ResourcePath string
	Description  *string
	Severity     *int64
	// DetectedAt, or now when DetectedNow; one of them is needed to create the defect.
	// DetectedNow does not move the detection of an existing defect.
	DetectedAt  *time.Time
	DetectedNow bool
	// A fix is recorded when any of the three is given, and only on a project path. Its time is
	// FixReleasedAt, else now when FixReleasedNow, else the author time of FixSHA's commit.
	FixReleasedAt  *time.Time
	FixReleasedNow bool
	FixSHA         string
}

// fixGiven reports whether in records a fix.
func (in DefectInput) fixGiven() bool {
	return in.FixReleasedAt != nil || in.FixReleasedNow || in.FixSHA != ""
}

// DefectRecord is a defect as RecordDefect leaves it: with where it is recorded, its fixes,
// and the fix the call named, if any.
type DefectRecord struct {
	Defect
	// OwnerPath is the full path of the namespace or project the defect belongs to.
	OwnerPath string
	Fixes     []DefectFix
	// Fix is the fix the call recorded or found again; nil when it named none.
	Fix *DefectFix
}

// PathTarget is what a resource path names: a project, or a namespace (a user's or a group).
type PathTarget struct {
	// Project is set when the path names a project; Namespace is then the project's.
	Project   *ProjectView
	Namespace Namespace
	// Access is the actor's access level to the target.
	Access int
}

// IsProject reports whether the target is a project.
func (t PathTarget) IsProject() bool { return t.Project != nil }

// FullPath is the target's full path.
func (t PathTarget) FullPath() string {
	if t.Project != nil {
		return t.Project.FullPath()
	}
	return t.Namespace.FullPath
}

// kind names the target for messages.
func (t PathTarget) kind() string {
	switch {
	case t.Project != nil:
		return "project"
	case t.Namespace.Kind == "user":
		return "user namespace"
	}
	return "group"
}

// ResolvePath finds what a resource path names, as GitClear's resource_path ("entity",
// "entity/org", "entity/org/repo") reaches cairn: a project path first, then a namespace path
// (a user's or a group, nested). Surrounding slashes are ignored. What the actor may not see
// is not found.
func (s *Delivery) ResolvePath(ctx context.Context, a *Actor, path string) (PathTarget, error) {
	if err := a.Require(NeedRead); err != nil {
		return PathTarget{}, err
	}
	path = strings.Trim(strings.TrimSpace(path), "/")
	if path == "" {
		return PathTarget{}, Missing("resource_path")
	}
	if len(path) > maxResourcePath {
		return PathTarget{}, &Error{Code: ENotFound, Resource: ResourceResourcePath,
			Message: "the resource path is too long to name anything"}
	}
	if strings.Contains(path, "//") {
		return PathTarget{}, pathNotFound(path)
	}
	if strings.Contains(path, "/") {
		p, err := s.findProject(ctx, s.db.Read, ParseRef(path))
		if err == nil {
			v, err := s.projectAccess(ctx, a, p)
			if err != nil {
				return PathTarget{}, err
			}
			if !canSee(a, p.Visibility, v.Access) {
				return PathTarget{}, pathNotFound(path)
			}
			return PathTarget{Project: &v, Namespace: p.Namespace, Access: v.Access}, nil
		}
		if ErrorCode(err) != ENotFound {
			return PathTarget{}, err
		}
	}
	ns, err := db.NamespaceByPath(ctx, s.db.Read, path)
	if err != nil {
		if errors.Is(err, db.ErrNotFound) {
			return PathTarget{}, pathNotFound(path)
		}
		return PathTarget{}, err
	}
	t, visible, err := s.namespaceTarget(ctx, a, ns)
	if err != nil {
		return PathTarget{}, err
	}
	if !visible {
		return PathTarget{}, pathNotFound(path)
	}
	return t, nil
}

// namespaceTarget is namespace ns as a target of the actor, and whether the actor may see it:
// users are seen by everyone signed in, groups by their visibility.
func (s *Service) namespaceTarget(ctx context.Context, a *Actor, ns Namespace) (PathTarget, bool, error) {
	level, err := s.namespaceAccess(ctx, a, ns)
	if err != nil {
		return PathTarget{}, false, err
	}
	visible := ns.Kind == "group" && canSee(a, ns.Visibility, level) || ns.Kind == "user" && a.SignedIn()
	return PathTarget{Namespace: ns, Access: level}, visible, nil
}

// pathNotFound is the error of a resource path that names nothing the actor may see.
func pathNotFound(path string) *Error {
	return &Error{Code: ENotFound, Resource: ResourceResourcePath,
		Message: fmt.Sprintf("resource path %q names no namespace or repository you can see", path)}
}

// validDefectKey checks a caller's defect key.
func validDefectKey(key string) error {
	switch {
	case key == "":
		return Missing("defect_key")
	case textProblem(key, limitName) != "":
		return invalidField("defect_key", textProblem(key, limitName))
	case strings.IndexFunc(key, unicode.IsControl) >= 0:
		return &Error{Code: EInvalid, Params: []string{"defect_key"}, Message: "defect_key must be printable text"}
	}
	return nil
}

// RecordDefect creates or updates the defect of in.Key at in.ResourcePath, and records the fix
// in names. Recording needs Developer access to the project or group of the path, or being
// the user of a user namespace (or an administrator).
//
// The key names the defect of the path's owner, else of the nearest namespace above it that
// has one: GitClear records a defect at an entity or an organization before it knows which
// repository is to blame, and its fix at the repository. Namespaces above that the actor may
// not see are passed over, and siblings and owners below are never looked at, so a call never
// reaches, nor reveals, a defect of a project the actor does not see. Changing a defect found
// above the path needs the same access to its owner as recording there; without it the call
// is forbidden and nothing is written.
//
// A defect is created, at the path's owner, only with a detection time (DetectedAt, or
// DetectedNow); given again, its key updates the fields given (DetectedAt, not DetectedNow,
// moves the detection) and adds the fix, never a second defect. A fix is recorded only on a
// project path, with a sha that must be a commit of that project's repository; a fix given
// again (same project and sha, or same time without a sha) is not recorded twice. created
// reports whether the defect is new. Everything is written in one transaction.
func (s *Delivery) RecordDefect(ctx context.Context, a *Actor, in DefectInput) (rec DefectRecord,
	created bool, err error) {
	if err := a.requireUser(NeedWrite); err != nil {
		return DefectRecord{}, false, err
	}
	in.Key = strings.TrimSpace(in.Key)
	if err := validDefectKey(in.Key); err != nil {
		return DefectRecord{}, false, err
	}
	if in.Description != nil {
		if problem := textProblem(*in.Description, limitDescription); problem != "" {
			return DefectRecord{}, false, invalidField("description", problem)
		}
	}
	target, err := s.ResolvePath(ctx, a, in.ResourcePath)
	if err != nil {
		return DefectRecord{}, false, err
	}
	if err := canRecordAt(a, target); err != nil {
		return DefectRecord{}, false, err
	}
	if in.fixGiven() && !target.IsProject() {
		return DefectRecord{}, false, &Error{Code: EInvalid, Params: []string{"resource_path"},
			Message: fmt.Sprintf(
				"a fix can only be recorded on a repository path (entity/org/repo); %q is a %s, not a repository",
				target.FullPath(), target.kind())}
	}
	now := s.Now()
	var fix *DefectFix
	if in.fixGiven() {
		f, err := s.defectFix(ctx, target, in, now)
		if err != nil {
			return DefectRecord{}, false, err
		}
		f.AuthorID, f.CreatedAt = a.User.ID, now
		fix = &f
	}
	owners, err := s.defectOwners(ctx, a, target)
	if err != nil {
		return DefectRecord{}, false, err
	}
	detected := in.DetectedAt
	if detected == nil && in.DetectedNow {
		detected = &now
	}
	owner := target
	err = s.db.Write(ctx, func(tx *sql.Tx) error {
		d, at, err := findDefect(ctx, tx, owners, in.Key)
		switch {
		case errors.Is(err, db.ErrNotFound):
			if detected == nil {
				return &Error{Code: EInvalid, Reason: ReasonMissingOneOf,
					Params:  []string{"detected_at", "detected_now"},
					Message: fmt.Sprintf("detected_at or detected_now is required to create defect %q", in.Key)}
			}
			owner = target
			d = Defect{Key: in.Key, AuthorID: a.User.ID, CreatedAt: now}
			if target.IsProject() {
				d.ProjectID = target.Project.ID
			} else {
				d.NamespaceID = target.Namespace.ID
			}
			applyDefectInput(&d, in, detected, now)
			if d.ID, err = db.InsertDefect(ctx, tx, d); err != nil {
				return takenAs(err, "defect_key")
			}
			created = true
		case err != nil:
			return err
		default:
			if err := canChangeDefect(a, at, in.Key); err != nil {
				return err
			}
			owner = at
			// detected_now marks a new defect only: a monitor that sends it with every call
			// must not move the detection of one it already reported.
			if applyDefectInput(&d, in, in.DetectedAt, now) {
				if err := db.UpdateDefect(ctx, tx, d); err != nil {
					return err
				}
			}
		}
		if fix != nil {
			fix.DefectID = d.ID
			if err := saveDefectFix(ctx, tx, fix, in.FixReleasedAt != nil || in.FixReleasedNow); err != nil {
				return err
			}
		}
		if rec.Defect, err = db.DefectByID(ctx, tx, d.ID); err != nil {
			return err
		}
		if rec.Fixes, err = db.DefectFixes(ctx, tx, d.ID); err != nil {
			return err
		}
		// A service cannot be restored before it failed: the time to restore would be
		// negative. Checked for the fix given and, where a detection time is given, for every fix
		// (older rows are left as they are); the write is undone.
		check := rec.Fixes
		if in.DetectedAt == nil {
			check = nil
			if fix != nil {
				check = []DefectFix{*fix}
			}
		}
		for _, f := range check {
			if f.ReleasedAt.Before(rec.Defect.DetectedAt) {
				return &Error{Code: EInvalid, Params: []string{"fix_released_at"},
					Message: fmt.Sprintf("a fix of defect %q is released at %s, before its detection at %s",
						in.Key, f.ReleasedAt.UTC().Format(time.RFC3339),
						rec.Defect.DetectedAt.UTC().Format(time.RFC3339))}
			}
		}
		return nil
	})
	if err != nil {
		return DefectRecord{}, false, err
	}
	rec.Fix, rec.OwnerPath = fix, owner.FullPath()
	return rec, created, nil
}

// defectOwners lists where a call at target looks a defect key up, nearest first: target
// itself, then (for a project) its namespace, then each namespace above. Namespaces the actor
// may not see are left out: their defects do not exist for it.
func (s *Service) defectOwners(ctx context.Context, a *Actor, target PathTarget) ([]PathTarget, error) {
	up, err := db.NamespaceAncestors(ctx, s.db.Read, target.Namespace.ID)
	if err != nil {
		return nil, err
	}
	if target.IsProject() {
		up = append(up, target.Namespace)
	}
	owners := []PathTarget{target}
	for i := len(up) - 1; i >= 0; i-- {
		t, visible, err := s.namespaceTarget(ctx, a, up[i])
		if err != nil {
			return nil, err
		}
		if visible {
			owners = append(owners, t)
		}
	}
	return owners, nil
}

// findDefect returns the defect of key at the first of owners that has one, and that owner.
func findDefect(ctx context.Context, tx *sql.Tx, owners []PathTarget, key string) (Defect, PathTarget, error) {
	for _, o := range owners {
		var projectID int64
		if o.IsProject() {
			projectID = o.Project.ID
		}
		d, err := db.DefectByKey(ctx, tx, projectID, o.Namespace.ID, key)
		if errors.Is(err, db.ErrNotFound) {
			continue
		}
		return d, o, err
	}
	return Defect{}, PathTarget{}, db.ErrNotFound
}

// canRecordAt checks that the actor may record defects at target: Developer on a project or
// a group, the user of a user namespace, or an administrator.
func canRecordAt(a *Actor, t PathTarget) error {
	switch {
	case a.IsAdmin():
		return nil
	case t.IsProject() || t.Namespace.Kind == "group":
		if t.Access >= Developer {
			return nil
		}
		return Forbiddenf("recording critical defects at %s needs Developer access", t.FullPath())
	case t.Namespace.OwnerID == a.User.ID:
		return nil
	}
	return Forbiddenf("only %s may record critical defects at their user namespace", t.Namespace.FullPath)
}

// canChangeDefect checks that the actor may change the defect of key recorded at owner, which
// it can see: as canRecordAt, since a call at a project below owner reaches it too.
func canChangeDefect(a *Actor, owner PathTarget, key string) error {
	switch {
	case canRecordAt(a, owner) == nil:
		return nil
	case !owner.IsProject() && owner.Namespace.Kind == "user":
		return Forbiddenf("critical defect %q is recorded at the user namespace %s; only %s may change it",
			key, owner.FullPath(), owner.FullPath())
	}
	return Forbiddenf("critical defect %q is recorded at the %s %s; changing it needs Developer access there",
		key, owner.kind(), owner.FullPath())
}

// applyDefectInput sets the fields in gives on d; it reports whether anything changed.
func applyDefectInput(d *Defect, in DefectInput, detected *time.Time, now time.Time) bool {
	changed := false
	if in.Description != nil && *in.Description != d.Description {
		d.Description, changed = *in.Description, true
	}
	if in.Severity != nil && (d.Severity == nil || *d.Severity != *in.Severity) {
		sev := *in.Severity
		d.Severity, changed = &sev, true
	}
	if detected != nil && !detected.UTC().Truncate(time.Millisecond).Equal(d.DetectedAt) {
		d.DetectedAt, changed = detected.UTC().Truncate(time.Millisecond), true
	}
	if changed || d.ID == 0 {
		d.UpdatedAt = now
	}
	return changed
}

// defectFix works out the fix in names at project target: its commit, checked against the
// repository, and its time.
func (s *Service) defectFix(ctx context.Context, target PathTarget, in DefectInput, now time.Time) (DefectFix, error) {
	f := DefectFix{ProjectID: target.Project.ID}
	var authored time.Time
	if in.FixSHA != "" {
		sha, when, err := s.commitOf(ctx, target.Project, in.FixSHA, "fix_released_sha")
		if err != nil {
			return DefectFix{}, err
		}
		f.SHA, authored = sha, when
	}
	switch {
	case in.FixReleasedAt != nil:
		f.ReleasedAt = *in.FixReleasedAt
	case in.FixReleasedNow:
		f.ReleasedAt = now
	default:
		f.ReleasedAt = authored
	}
	f.ReleasedAt = f.ReleasedAt.UTC().Truncate(time.Millisecond)
	return f, nil
}

// commitOf checks that sha (full or abbreviated, at least 7 hex digits) names a commit of
// project v's repository and returns its full id and author time. param names the request
// parameter for the error of an unknown or malformed sha.
func (s *Service) commitOf(ctx context.Context, v *ProjectView, sha, param string) (string, time.Time, error) {
	sha = strings.ToLower(strings.TrimSpace(sha))
	if len(sha) < 7 || len(sha) > 40 || strings.Trim(sha, "0123456789abcdef") != "" {
		return "", time.Time{}, &Error{Code: EInvalid, Params: []string{param},
			Message: fmt.Sprintf("%s %q is not a commit sha (7 to 40 hexadecimal digits)", param, sha)}
	}
	unknown := &Error{Code: EInvalid, Params: []string{param},
		Message: fmt.Sprintf("%s %s is not a commit of %s", param, sha, v.FullPath())}
	if err := ctx.Err(); err != nil {
		return "", time.Time{}, err
	}
	repo, err := s.repos.OpenRepo(v.ID)
	if err != nil {
		return "", time.Time{}, err
	}
	defer repo.Close()
	// Resolve peels nothing for a full id that is not a commit; an abbreviation must name the
	// commit itself, not a branch or a tag that happens to be called so.
	h, err := repo.Resolve(sha)
	if errors.Is(err, gitstore.ErrRefNotFound) || err == nil && !strings.HasPrefix(h.String(), sha) {
		return "", time.Time{}, unknown
	}
	if err != nil {
		return "", time.Time{}, err
	}
	c, err := repo.Commit(h)
	if err != nil {
		return "", time.Time{}, err
	}
	return c.ID.String(), c.Author.When, nil
}

// saveDefectFix records f unless it is already recorded; a fix found again by its sha takes
// the new time when the caller gave one explicitly.
func saveDefectFix(ctx context.Context, tx *sql.Tx, f *DefectFix, explicitTime bool) error {
	old, err := db.FindDefectFix(ctx, tx, *f)
	switch {
	case errors.Is(err, db.ErrNotFound):
		f.ID, err = db.InsertDefectFix(ctx, tx, *f)
		return err
	case err != nil:
		return err
	}
	if explicitTime && !old.ReleasedAt.Equal(f.ReleasedAt) {
		if err := db.SetDefectFixTime(ctx, tx, old.ID, f.ReleasedAt); err != nil {
			return err
		}
		old.ReleasedAt = f.ReleasedAt
	}
	*f = old
	return nil
}

// ProjectDefects returns the critical defects that count for a project, detected in
// [from, to) (a zero to: no end), in detection order: those recorded at the project and those
// recorded at its namespace or any namespace above it. The actor must see the project, and be
// a reporter of a private one.
func (s *Delivery) ProjectDefects(ctx context.Context, a *Actor, projectRef Ref, from, to time.Time) ([]Defect, error) {
	v, err := s.Projects.ProjectByRef(ctx, a, projectRef)
	if err != nil {
		return nil, err
	}
	if v.Visibility == Private && v.Access < Reporter {
		return nil, NotFound(ResourceProject)
	}
	return s.projectDefects(ctx, v.Project, from, to)
}

// projectDefects is ProjectDefects for a project already resolved, for DORA's figures.
func (s *Service) projectDefects(ctx context.Context, p Project, from, to time.Time) ([]Defect, error) {
	up, err := db.NamespaceAncestors(ctx, s.db.Read, p.NamespaceID)
	if err != nil {
		return nil, err
	}
	owners := db.DefectOwners{ProjectIDs: []int64{p.ID}, NamespaceIDs: []int64{p.NamespaceID}}
	for _, ns := range up {
		owners.NamespaceIDs = append(owners.NamespaceIDs, ns.ID)
	}
	return db.DefectsDetected(ctx, s.db.Read, owners, from, to)
}

// GroupDefects returns the critical defects that count for a group's projects, detected in
// [from, to), in detection order: those recorded at the group, its subgroups and their
// projects, and at the groups above it. The actor must see the group and be at least a
// reporter of it, since the figures span projects it may not see one by one.
func (s *Delivery) GroupDefects(ctx context.Context, a *Actor, groupRef Ref, from, to time.Time) ([]Defect, error) {
	if err := a.Require(NeedRead); err != nil {
		return nil, err
	}
	g, level, err := s.visibleGroup(ctx, a, groupRef)
	if err != nil {
		return nil, err
	}
	if level < Reporter {
		return nil, Forbidden()
	}
	return s.groupDefects(ctx, g, from, to)
}

// groupDefects is GroupDefects for a group already resolved, for DORA's figures.
func (s *Service) groupDefects(ctx context.Context, g Namespace, from, to time.Time) ([]Defect, error) {
	down, err := db.NamespaceDescendantIDs(ctx, s.db.Read, g.ID)
	if err != nil {
		return nil, err
	}
	projects, err := db.ProjectIDsInNamespaceTree(ctx, s.db.Read, g.ID)
	if err != nil {
		return nil, err
	}
	up, err := db.NamespaceAncestors(ctx, s.db.Read, g.ID)
	if err != nil {
		return nil, err
	}
	owners := db.DefectOwners{NamespaceIDs: down, ProjectIDs: projects}
	for _, ns := range up {
		owners.NamespaceIDs = append(owners.NamespaceIDs, ns.ID)
	}
	return db.DefectsDetected(ctx, s.db.Read, owners, from, to)
}

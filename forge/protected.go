package forge

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/cairn-forge/cairn/db"
	"github.com/cairn-forge/cairn/forge/model"
	"github.com/cairn-forge/cairn/gitstore"
)

// ProtectedBranch is a protection rule on the branches of a project matching its name,
// which may hold '*' wildcards ("release-*").
type ProtectedBranch = model.ProtectedBranch

// NoOne is the access level of a protection that nobody passes.
const NoOne = 0

// Default protection of a new project's default branch: developers may push, only
// maintainers merge or unprotect, nobody force-pushes, and it cannot be deleted.
var defaultProtection = ProtectedBranch{PushAccessLevel: Developer, MergeAccessLevel: Maintainer,
	UnprotectAccessLevel: Maintainer}

// BranchProtection is what a project's rules say about one branch. Where several rules
// match, the most permissive applies, as in GitLab.
type BranchProtection struct {
	Protected        bool
	PushAccessLevel  int
	MergeAccessLevel int
	AllowForcePush   bool
}

// AllowsPush reports whether a member with access level may push (not force-push) to the branch.
func (p BranchProtection) AllowsPush(level int) bool {
	if level < Developer {
		return false
	}
	return !p.Protected || p.PushAccessLevel != NoOne && level >= p.PushAccessLevel
}

// AllowsMerge reports whether a member with access level may merge into the branch.
func (p BranchProtection) AllowsMerge(level int) bool {
	if level < Developer {
		return false
	}
	return !p.Protected || p.MergeAccessLevel != NoOne && level >= p.MergeAccessLevel
}

// matchesBranch reports whether a rule's name, with '*' matching any run of characters,
// covers branch.
func matchesBranch(pattern, branch string) bool {
	if !strings.Contains(pattern, "*") {
		return pattern == branch
	}
	parts := strings.Split(pattern, "*")
	if !strings.HasPrefix(branch, parts[0]) {
		return false
	}
	rest := branch[len(parts[0]):]
	for i, p := range parts[1:] {
		if i == len(parts)-2 {
			return strings.HasSuffix(rest, p) && len(rest) >= len(p)
		}
		j := strings.Index(rest, p)
		if j < 0 {
			return false
		}
		rest = rest[j+len(p):]
	}
	return true
}

// protectionOf folds the rules matching branch.
func protectionOf(rules []ProtectedBranch, branch string) BranchProtection {
	var p BranchProtection
	for _, r := range rules {
		if !matchesBranch(r.Name, branch) {
			continue
		}
		if !p.Protected {
			p = BranchProtection{Protected: true, PushAccessLevel: r.PushAccessLevel,
				MergeAccessLevel: r.MergeAccessLevel}
		}
		p.PushAccessLevel = permissive(p.PushAccessLevel, r.PushAccessLevel)
		p.MergeAccessLevel = permissive(p.MergeAccessLevel, r.MergeAccessLevel)
		p.AllowForcePush = p.AllowForcePush || r.AllowForcePush
	}
	return p
}

// permissive returns the more permissive of two access levels, NoOne being the least.
func permissive(a, b int) int {
	switch {
	case a == NoOne:
		return b
	case b == NoOne:
		return a
	}
	return min(a, b)
}

// BranchProtections returns a function telling the protection of any branch of a project,
// reading the project's rules once.
func (s *Repositories) BranchProtections(ctx context.Context,
	projectID int64) (func(branch string) BranchProtection, error) {
	rules, err := db.ProtectedBranches(ctx, s.db.Read, projectID)
	if err != nil {
		return nil, err
	}
	return func(branch string) BranchProtection { return protectionOf(rules, branch) }, nil
}

// AuthorizeBranchWrite checks that the actor may move branch of project v: a writing scope,
// developer access, and the branch's protection (force: the move is not a fast-forward).
func (s *Repositories) AuthorizeBranchWrite(ctx context.Context, a *Actor, v ProjectView, branch string,
	force bool) error {
	if err := a.requireUser(NeedWriteCode); err != nil {
		return err
	}
	if v.Access < Developer {
		return &Error{Code: EForbidden, Reason: ReasonPushDenied, Resource: ResourceBranch}
	}
	protection, err := s.BranchProtections(ctx, v.ID)
	if err != nil {
		return err
	}
	p := protection(branch)
	if !p.AllowsPush(v.Access) {
		return &Error{Code: EForbidden, Reason: ReasonPushDenied, Resource: ResourceBranch}
	}
	if force && p.Protected && !p.AllowForcePush {
		return &Error{Code: EForbidden, Reason: ReasonForcePushDenied, Resource: ResourceBranch}
	}
	return nil
}

// JudgePush decides each reference update a push by the actor asks for: branches follow their
// protection (no deleting protected branches or the default branch, no force-push unless
// allowed), tags need developer access, and other references are read-only.
func (s *Repositories) JudgePush(ctx context.Context, a *Actor, v ProjectView,
	updates []gitstore.PendingUpdate) []gitstore.RefDecision {
	decisions := make([]gitstore.RefDecision, len(updates))
	protection, err := s.BranchProtections(ctx, v.ID)
	if err != nil {
		s.log.Error("read protected branches", "project_id", v.ID, "err", err)
		for i := range decisions {
			decisions[i] = gitstore.RefDecision{Reject: true, Reason: "internal error"}
		}
		return decisions
	}
	for i, u := range updates {
		decisions[i] = judgeUpdate(v, protection, u)
	}
	return decisions
}

func judgeUpdate(v ProjectView, protection func(string) BranchProtection,
	u gitstore.PendingUpdate) gitstore.RefDecision {
	reject := func(reason, message string) gitstore.RefDecision {
		return gitstore.RefDecision{Reject: true, Reason: reason, Message: message}
	}
	if v.Access < Developer {
		return reject("permission denied", "You are not allowed to push code to this project.")
	}
	if tag, ok := strings.CutPrefix(u.Name, refTag); ok {
		if !u.IsCreate() {
			return gitstore.RefDecision{}
		}
		if problem := ValidateTagName(tag); problem != "" {
			return reject("invalid tag name", fmt.Sprintf("The tag name %q %s.", tag, problem))
		}
		if tag == v.DefaultBranch {
			return reject("invalid tag name", "You cannot use default branch name to create a tag.")
		}
		return gitstore.RefDecision{}
	}
	branch, ok := strings.CutPrefix(u.Name, refBranch)
	if !ok {
		return reject("deny updating a hidden ref", "Only branches (refs/heads/) and tags (refs/tags/) can be pushed.")
	}
	if u.IsCreate() {
		// Existing branches may keep names older rules let in; new ones follow today's.
		if problem := ValidateBranchName(branch); problem != "" {
			return reject("invalid branch name", fmt.Sprintf("The branch name %q %s.", branch, problem))
		}
	}
	p := protection(branch)
	switch {
	case u.IsDelete() && branch == v.DefaultBranch:
		return reject("protected branch hook declined", "The default branch of a project cannot be deleted.")
	case u.IsDelete() && p.Protected:
		return reject("protected branch hook declined", "You are not allowed to delete protected branch "+branch+".")
	case !p.AllowsPush(v.Access):
		return reject("protected branch hook declined",
			"You are not allowed to push code to protected branch "+branch+".")
	case !u.IsCreate() && !u.IsDelete() && !u.FastForward && p.Protected && !p.AllowForcePush:
		return reject("protected branch hook declined", "You are not allowed to force push code to a protected branch.")
	}
	return gitstore.RefDecision{}
}

// ProtectInput describes a protection rule to create or change; nil means "not given".
type ProtectInput struct {
	Name                 string
	PushAccessLevel      *int
	MergeAccessLevel     *int
	UnprotectAccessLevel *int
	AllowForcePush       *bool
}

func validProtectionLevel(level int) bool {
	return level == NoOne || level == Developer || level == Maintainer || level == AdminAccess
}

// ListProtectedBranches lists a project's protection rules to those who may see its code.
func (s *Repositories) ListProtectedBranches(ctx context.Context, a *Actor, ref Ref) ([]ProtectedBranch, error) {
	v, err := s.Projects.ProjectByRef(ctx, a, ref)
	if err != nil {
		return nil, err
	}
	return db.ProtectedBranches(ctx, s.db.Read, v.ID)
}

// GetProtectedBranch returns one protection rule by its exact name.
func (s *Repositories) GetProtectedBranch(ctx context.Context, a *Actor, ref Ref,
	name string) (ProtectedBranch, error) {
	v, err := s.Projects.ProjectByRef(ctx, a, ref)
	if err != nil {
		return ProtectedBranch{}, err
	}
	b, err := db.ProtectedBranchByName(ctx, s.db.Read, v.ID, name)
	return b, notFoundAs(err, "")
}

// SaveProtectedBranch protects branches (create) or changes a rule; maintainers may.
func (s *Repositories) SaveProtectedBranch(ctx context.Context, a *Actor, ref Ref, in ProtectInput,
	create bool) (ProtectedBranch, error) {
	if err := a.requireUser(NeedWrite); err != nil {
		return ProtectedBranch{}, err
	}
	v, err := s.visibleProject(ctx, a, ref)
	if err != nil {
		return ProtectedBranch{}, err
	}
	if v.Access < Maintainer {
		return ProtectedBranch{}, Forbidden()
	}
	if strings.TrimSpace(in.Name) == "" {
		return ProtectedBranch{}, Missing("name")
	}
	fe := FieldErrors{}
	if create {
		if problem := ValidateProtectedName(in.Name); problem != "" {
			fe.Add("name", problem)
		}
	} else {
		checkText(fe, "name", in.Name, limitRef)
	}
	for _, f := range []struct {
		name string
		v    *int
	}{{"push_access_level", in.PushAccessLevel}, {"merge_access_level", in.MergeAccessLevel},
		{"unprotect_access_level", in.UnprotectAccessLevel}} {
		if f.v != nil && !validProtectionLevel(*f.v) {
			fe.Add(f.name, "does not have a valid value")
		}
	}
	if err := fe.Err(); err != nil {
		return ProtectedBranch{}, err
	}
	var out ProtectedBranch
	err = s.db.Write(ctx, func(tx *sql.Tx) error {
		b, err := db.ProtectedBranchByName(ctx, tx, v.ID, in.Name)
		switch {
		case err == nil && create:
			return exists(ResourceProtectedBranch, in.Name)
		case errors.Is(err, db.ErrNotFound) && !create:
			return NotFound("")
		case errors.Is(err, db.ErrNotFound):
			b = ProtectedBranch{
				ProjectID:            v.ID,
				Name:                 in.Name,
				PushAccessLevel:      Maintainer,
				MergeAccessLevel:     Maintainer,
				UnprotectAccessLevel: Maintainer,
				CreatedAt:            s.Now(),
			}
		case err != nil:
			return err
		}
		if in.PushAccessLevel != nil {
			b.PushAccessLevel = *in.PushAccessLevel
		}
		if in.MergeAccessLevel != nil {
			b.MergeAccessLevel = *in.MergeAccessLevel
		}
		if in.UnprotectAccessLevel != nil {
			b.UnprotectAccessLevel = *in.UnprotectAccessLevel
		}
		if in.AllowForcePush != nil {
			b.AllowForcePush = *in.AllowForcePush
		}
		id, err := db.SaveProtectedBranch(ctx, tx, b)
		b.ID = id
		out = b
		return err
	})
	if err == nil {
		s.audit(ctx, a, "branch_protection_saved", "project", v.ID, in.Name)
	}
	return out, err
}

// UnprotectBranch removes a protection rule; maintainers with the rule's unprotect level may.
// Removing a rule that is not there succeeds.
func (s *Repositories) UnprotectBranch(ctx context.Context, a *Actor, ref Ref, name string) error {
	if err := a.requireUser(NeedWrite); err != nil {
		return err
	}
	v, err := s.visibleProject(ctx, a, ref)
	if err != nil {
		return err
	}
	if v.Access < Maintainer {
		return Forbidden()
	}
	err = s.db.Write(ctx, func(tx *sql.Tx) error {
		b, err := db.ProtectedBranchByName(ctx, tx, v.ID, name)
		if errors.Is(err, db.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if b.UnprotectAccessLevel == NoOne || v.Access < b.UnprotectAccessLevel {
			return Forbidden()
		}
		_, err = db.DeleteProtectedBranch(ctx, tx, v.ID, name)
		return err
	})
	if err == nil {
		s.audit(ctx, a, "branch_unprotected", "project", v.ID, name)
	}
	return err
}

package forge

import (
	"context"
	"slices"
)

// ProjectAbilities is what an actor may do in a project, so that a page offers only the
// actions that will work. Each field is the rule the matching operation applies: a page reads
// these instead of comparing access levels.
type ProjectAbilities struct {
	// ReadCode: browse the repository (ListTree, OpenFile, ListCommits, ...).
	ReadCode bool
	// ReadIssues: list and read issues.
	ReadIssues bool
	// CreateIssue: open issues and comment on them.
	CreateIssue bool
	// SetIssueMetadata: set labels, assignees and due dates of issues.
	SetIssueMetadata bool
	// ReadMergeRequests: list and read merge requests.
	ReadMergeRequests bool
	// CommentMergeRequest: write notes on merge requests.
	CommentMergeRequest bool
	// CreateMergeRequest: propose merging one branch into another.
	CreateMergeRequest bool
	// PushCode: create branches and tags, push, commit.
	PushCode bool
	// ReadReleases: list and read releases (and the other delivery records).
	ReadReleases bool
	// AdminProject: change the project's settings (name, path, description, default
	// branch, merge method), archive and unarchive it.
	AdminProject bool
	// ChangeVisibility: make the project public, internal or private.
	ChangeVisibility bool
	// DeleteProject: delete the project and its repository.
	DeleteProject bool
	// TransferProject: move the project into another namespace.
	TransferProject bool
}

// Abilities returns what actor a may do in project v (as ProjectByRef returned it for a).
func (v ProjectView) Abilities(a *Actor) ProjectAbilities {
	signedIn := a.SignedIn()
	return ProjectAbilities{
		ReadCode:          a.Require(NeedReadCode) == nil && canReadCode(v),
		ReadIssues:        a.Require(NeedRead) == nil && issuesVisible(v),
		CreateIssue:       signedIn && a.Require(NeedWrite) == nil && issuesVisible(v) && !v.Archived,
		SetIssueMetadata:  signedIn && a.Require(NeedWrite) == nil && canSetIssueMetadata(v),
		ReadMergeRequests: a.Require(NeedReadPulls) == nil && mergeRequestsVisible(v),
		CommentMergeRequest: signedIn && a.Require(NeedWrite) == nil && a.Require(NeedReadPulls) == nil &&
			mergeRequestsVisible(v) && !v.Archived,
		CreateMergeRequest: signedIn && a.Require(NeedPulls) == nil && mergeRequestsVisible(v) && canWriteCode(v),
		PushCode:           signedIn && a.Require(NeedWriteCode) == nil && canReadCode(v) && canWriteCode(v),
		ReadReleases:       a.Require(NeedRead) == nil && canReadDeliveries(v),
		AdminProject:       signedIn && a.Require(NeedProjects) == nil && canAdminProject(v),
		ChangeVisibility:   signedIn && a.Require(NeedProjects) == nil && canChangeVisibility(v),
		DeleteProject:      signedIn && a.Require(NeedProjects) == nil && canDeleteProject(v),
		TransferProject:    signedIn && a.Require(NeedProjects) == nil && canTransferProject(v),
	}
}

// RequireSettings refuses project v's settings to actor a unless a may change them: the
// anonymous are asked to sign in, the others find nothing there.
func (v ProjectView) RequireSettings(a *Actor) error {
	return hiddenUnless(a, v.Abilities(a).AdminProject)
}

// RequireGroupSettings refuses group g's settings to actor a unless a may change them, as
// RequireSettings does a project's.
func (s *Access) RequireGroupSettings(ctx context.Context, a *Actor, g Namespace) error {
	can, err := s.GroupAbilities(ctx, a, g)
	if err != nil {
		return err
	}
	return hiddenUnless(a, can.Admin)
}

// hiddenUnless is the refusal of a page that actor a may not use: nil when allowed, a request
// to sign in for the anonymous, and for the others a page that is not there.
func hiddenUnless(a *Actor, allowed bool) error {
	switch {
	case allowed:
		return nil
	case !a.SignedIn():
		return Unauthorized("")
	}
	return NotFound(ResourcePage)
}

// CanEditIssue reports whether actor a may change issue is of project v: close, reopen,
// retitle it.
func (v ProjectView) CanEditIssue(a *Actor, is Issue) bool {
	return a.SignedIn() && a.Require(NeedWrite) == nil && canEditIssue(a, v, is)
}

// CanEditMergeRequest reports whether actor a may change merge request m of project v:
// close, reopen, retitle it.
func (v ProjectView) CanEditMergeRequest(a *Actor, m MergeRequest) bool {
	return a.SignedIn() && a.Require(NeedPulls) == nil && canEditMergeRequest(a, v, m)
}

// SquashChoice says whether whoever merges the project's merge requests chooses to squash
// their commits (offered), and when not offered, whether they are always squashed (forced).
func (v ProjectView) SquashChoice() (offered, forced bool) {
	switch v.SquashOption {
	case "always":
		return false, true
	case "never":
		return false, false
	}
	return true, false
}

// canRebase reports whether the actor of v may rebase merge request m: it may push to the
// source branch of a project that is not archived.
func canRebase(v ProjectView, m MergeRequest, protection func(string) BranchProtection) bool {
	return canWriteCode(v) && protection(m.SourceBranch).AllowsPush(v.Access)
}

// CanRebase reports whether actor a may rebase an open merge request now.
func (s *Access) CanRebase(ctx context.Context, a *Actor, m MergeRequest) bool {
	if !a.SignedIn() || a.Require(NeedWriteCode) != nil || m.State != StateOpened {
		return false
	}
	v, err := s.Projects.ProjectByRef(ctx, a, ID(m.ProjectID))
	if err != nil {
		return false
	}
	protection, err := s.Repositories.BranchProtections(ctx, v.ID)
	return err == nil && canRebase(v, m, protection)
}

// CanCreateGroup reports whether actor a may create a top-level group.
func (a *Actor) CanCreateGroup() bool {
	return a.SignedIn() && a.Require(NeedWrite) == nil && (a.User.IsAdmin || a.User.CanCreateGroup)
}

// canCreateIn reports whether actor a, at access level in namespace ns, may create projects
// there for owner (and, in a group, subgroups): in a personal namespace its owner or an
// administrator, in a group its maintainers and owners.
func canCreateIn(a *Actor, ns Namespace, level int, owner *User) bool {
	if ns.Kind == "user" {
		return ns.OwnerID == owner.ID || a.IsAdmin()
	}
	return level >= Maintainer
}

// CanCreateIn reports whether actor a may create its projects in namespace ns, and in a
// group its subgroups.
func (s *Access) CanCreateIn(ctx context.Context, a *Actor, ns Namespace) (bool, error) {
	if !a.SignedIn() || a.Require(NeedProjects) != nil {
		return false, nil
	}
	level, err := s.namespaceAccess(ctx, a, ns)
	if err != nil {
		return false, err
	}
	return canCreateIn(a, ns, level, a.User), nil
}

// GrantableScopes lists the scopes actor a may put on its own tokens: every scope for
// administrators, all but the administrative ones for others.
func (a *Actor) GrantableScopes() []string {
	var out []string
	for _, sc := range AllScopes {
		if a.IsAdmin() || !slices.Contains(adminScopes, sc) {
			out = append(out, sc)
		}
	}
	return out
}

// canAdminProject reports whether the actor of v may change its settings: maintainers and
// above.
func canAdminProject(v ProjectView) bool { return v.Access >= Maintainer }

// canChangeVisibility reports whether the actor of v may change its visibility: owners.
func canChangeVisibility(v ProjectView) bool { return v.Access >= Owner }

// canDeleteProject reports whether the actor of v may delete it: owners.
func canDeleteProject(v ProjectView) bool { return v.Access >= Owner }

// canTransferProject reports whether the actor of v may move it to another namespace: owners.
func canTransferProject(v ProjectView) bool { return v.Access >= Owner }

// canAdminGroup reports whether an actor at access level to a group may change its settings
// and delete it: owners.
func canAdminGroup(level int) bool { return level >= Owner }

// GroupAbilities is what an actor may do with a group, so that a page offers only what will
// work.
type GroupAbilities struct {
	// Admin: change the group's name, path, description and visibility, and delete it.
	Admin bool
}

// GroupAbilities returns what actor a may do with group g (as GroupByRef returned it).
func (s *Access) GroupAbilities(ctx context.Context, a *Actor, g Namespace) (GroupAbilities, error) {
	if !a.SignedIn() || a.Require(NeedWrite) != nil {
		return GroupAbilities{}, nil
	}
	level, err := s.namespaceAccess(ctx, a, g)
	if err != nil {
		return GroupAbilities{}, err
	}
	return GroupAbilities{Admin: canAdminGroup(level)}, nil
}

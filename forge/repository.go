package forge

import (
	"context"
	"errors"
	"regexp"
	"sort"
	"strings"

	"github.com/cairn-forge/cairn/gitstore"
	"github.com/go-git/go-git/v5/plumbing"
)

// Repository values as dialects show them.
type (
	Commit     = gitstore.Commit
	Signature  = gitstore.Signature
	FileDiff   = gitstore.FileDiff
	TreeEntry  = gitstore.Entry
	Stats      = gitstore.Stats
	BlameRange = gitstore.BlameRange
)

// gitRefused is the error of a repository operation refused for a reason told to the caller.
func gitRefused(format string, args ...any) *Error {
	e := Invalidf(format, args...)
	e.Reason = ReasonGitRefused
	return e
}

// readRepo returns project ref and its repository, opened, if the actor may read its code
// through the API: the project is visible, the token may read code (NeedReadCode), and in a
// private project the actor is at least a reporter. The caller closes the repository.
func (s *Service) readRepo(ctx context.Context, a *Actor, ref Ref) (ProjectView, *gitstore.Repo, error) {
	return s.readRepoFor(ctx, a, ref, NeedReadCode)
}

// readFiles is readRepo for the repository files API, which reaches further: a token that
// may read files (NeedReadFiles: read_repository) may use it.
func (s *Service) readFiles(ctx context.Context, a *Actor, ref Ref) (ProjectView, *gitstore.Repo, error) {
	return s.readRepoFor(ctx, a, ref, NeedReadFiles)
}

func (s *Service) readRepoFor(ctx context.Context, a *Actor, ref Ref, need Need) (ProjectView, *gitstore.Repo, error) {
	if err := a.Require(need); err != nil {
		return ProjectView{}, nil, err
	}
	v, err := s.visibleProject(ctx, a, ref)
	if err != nil {
		return ProjectView{}, nil, err
	}
	if !canReadCode(v) {
		return ProjectView{}, nil, Forbidden()
	}
	repo, err := s.repos.OpenRepo(v.ID)
	if err != nil {
		return ProjectView{}, nil, err
	}
	return v, repo, nil
}

// canReadCode reports whether the actor of v may read its code: in a private project,
// reporters and above (guests see its issues, not its repository), as in GitLab.
func canReadCode(v ProjectView) bool {
	return v.Visibility != Private || v.Access >= Reporter
}

// canWriteCode reports whether the actor of v may change its code: developers and above, on a
// project that is not archived (read-only).
func canWriteCode(v ProjectView) bool { return v.Access >= Developer && !v.Archived }

// writeRepo is readRepo for changes: a signed-in developer with a token that may push, on a
// project that is not archived.
func (s *Service) writeRepo(ctx context.Context, a *Actor, ref Ref) (ProjectView, *gitstore.Repo, error) {
	if err := a.requireUser(NeedWriteCode); err != nil {
		return ProjectView{}, nil, err
	}
	v, repo, err := s.readRepo(ctx, a, ref)
	if err != nil {
		return ProjectView{}, nil, err
	}
	if !canWriteCode(v) {
		repo.Close()
		return ProjectView{}, nil, Forbidden()
	}
	return v, repo, nil
}

// moveRefs applies ref updates by compare-and-swap and records the push. A ref someone moved
// in the meantime is refused with GitLab's message.
func (s *Service) moveRefs(ctx context.Context, a *Actor, v ProjectView, updates []gitstore.RefUpdate) error {
	if err := s.repos.UpdateRefs(v.ID, updates); err != nil {
		if errors.Is(err, gitstore.ErrInvalidRefName) {
			return gitRefused("Invalid reference name")
		}
		var rc *gitstore.RefConflictError
		if errors.As(err, &rc) {
			return refConflict(rc)
		}
		name := strings.TrimPrefix(strings.TrimPrefix(updates[0].Name, "refs/heads/"), "refs/tags/")
		if errors.Is(err, gitstore.ErrStaleRef) || !updates[0].Old.IsZero() {
			return gitRefused("Could not update %s. Please refresh and try again.", name)
		}
		return err
	}
	return s.Projects.RecordPush(ctx, a, v.ID, updates)
}

// refConflict refuses a new branch or tag whose name is a folder of an existing one's, or the
// reverse: "Cannot create branch 'feature/login': branch 'feature' exists".
func refConflict(rc *gitstore.RefConflictError) *Error {
	return gitRefused("Cannot create %s: %s exists", refKindName(rc.Name), refKindName(rc.Existing))
}

// refKindName names a reference as people do: "branch 'main'", "tag 'v1'", or in full.
func refKindName(ref string) string {
	if b, ok := strings.CutPrefix(ref, "refs/heads/"); ok {
		return "branch '" + b + "'"
	}
	if t, ok := strings.CutPrefix(ref, "refs/tags/"); ok {
		return "tag '" + t + "'"
	}
	return "reference '" + ref + "'"
}

// resolve finds the commit rev names, or not found as resource.
func resolve(repo *gitstore.Repo, rev string, resource Resource) (plumbing.Hash, error) {
	h, err := repo.Resolve(rev)
	if errors.Is(err, gitstore.ErrRefNotFound) {
		return plumbing.ZeroHash, NotFound(resource)
	}
	return h, err
}

// defaultHead returns the tip of the project's default branch; ok is false when it has none.
func defaultHead(repo *gitstore.Repo, v ProjectView) (plumbing.Hash, bool, error) {
	h, ok, err := repo.Reference("refs/heads/" + v.DefaultBranch)
	return h, ok, err
}

// Branch is a branch with what the actor may do with it.
type Branch struct {
	Name   string
	Commit *Commit
	// Merged: the branch's tip is in the default branch (and is not its tip).
	Merged             bool
	Protected          bool
	Default            bool
	DevelopersCanPush  bool
	DevelopersCanMerge bool
	// CanPush: the actor may push to it.
	CanPush bool
}

// BranchListOptions filter and order a branch list.
type BranchListOptions struct {
	// Search: "^pre" prefix, "suf$" suffix, else a substring; case-insensitive.
	Search string
	// Regex is an RE2 expression names must match.
	Regex string
	// Sort is name_asc (default), name_desc, updated_asc or updated_desc.
	Sort string
}

// NameMatches applies GitLab's search of branch and tag names: "^pre" matches a prefix,
// "suf$" a suffix, anything else a substring, ignoring case.
func NameMatches(name, search string) bool {
	if search == "" {
		return true
	}
	n, q := strings.ToLower(name), strings.ToLower(search)
	prefix, suffix := strings.HasPrefix(q, "^"), strings.HasSuffix(q, "$") && len(q) > 1
	q = strings.TrimSuffix(strings.TrimPrefix(q, "^"), "$")
	switch {
	case prefix && suffix:
		return n == q
	case prefix:
		return strings.HasPrefix(n, q)
	case suffix:
		return strings.HasSuffix(n, q)
	}
	return strings.Contains(n, q)
}

// branchView describes one branch for the actor.
type branchView struct {
	v          ProjectView
	repo       *gitstore.Repo
	protection func(string) BranchProtection
	defaultTip plumbing.Hash
}

func (s *Service) newBranchView(ctx context.Context, v ProjectView, repo *gitstore.Repo) (*branchView, error) {
	protection, err := s.Repositories.BranchProtections(ctx, v.ID)
	if err != nil {
		return nil, err
	}
	tip, _, err := defaultHead(repo, v)
	if err != nil {
		return nil, err
	}
	return &branchView{v: v, repo: repo, protection: protection, defaultTip: tip}, nil
}

func (bv *branchView) branch(ctx context.Context, a *Actor, name string, tip plumbing.Hash) (Branch, error) {
	c, err := bv.repo.Commit(tip)
	if err != nil {
		return Branch{}, err
	}
	p := bv.protection(name)
	b := Branch{
		Name:               name,
		Commit:             c,
		Protected:          p.Protected,
		Default:            name == bv.v.DefaultBranch,
		DevelopersCanPush:  p.Protected && p.PushAccessLevel == Developer,
		DevelopersCanMerge: p.Protected && p.MergeAccessLevel == Developer,
		CanPush:            a.SignedIn() && p.AllowsPush(bv.v.Access) && !bv.v.Archived,
	}
	if !bv.defaultTip.IsZero() && tip != bv.defaultTip && !b.Default {
		if b.Merged, err = bv.repo.IsAncestor(ctx, tip, bv.defaultTip); err != nil {
			return Branch{}, err
		}
	}
	return b, nil
}

// ListBranches lists the branches of a project, filtered and sorted, one page of them, with
// the total count.
func (s *Repositories) ListBranches(ctx context.Context, a *Actor, ref Ref, o BranchListOptions,
	pg Page) ([]Branch, int, error) {
	v, repo, err := s.readRepo(ctx, a, ref)
	if err != nil {
		return nil, 0, err
	}
	defer repo.Close()
	var re *regexp.Regexp
	if o.Regex != "" {
		if re, err = regexp.Compile(o.Regex); err != nil {
			return nil, 0, gitRefused("Regex is invalid")
		}
	}
	refs, err := repo.Branches()
	if err != nil {
		return nil, 0, err
	}
	kept := refs[:0]
	for _, r := range refs {
		if NameMatches(r.Name, o.Search) && (re == nil || re.MatchString(r.Name)) {
			kept = append(kept, r)
		}
	}
	bv, err := s.newBranchView(ctx, v, repo)
	if err != nil {
		return nil, 0, err
	}
	switch o.Sort {
	case "", "name_asc":
	case "name_desc":
		sort.SliceStable(kept, func(i, j int) bool { return kept[i].Name > kept[j].Name })
	case "updated_asc", "updated_desc":
		when := map[plumbing.Hash]int64{}
		for _, r := range kept {
			c, err := repo.Commit(r.Target)
			if err != nil {
				return nil, 0, err
			}
			when[r.Target] = c.Committer.When.Unix()
		}
		desc := o.Sort == "updated_desc"
		sort.SliceStable(kept, func(i, j int) bool {
			ti, tj := when[kept[i].Target], when[kept[j].Target]
			if ti == tj {
				return kept[i].Name < kept[j].Name
			}
			return ti < tj != desc
		})
	default:
		return nil, 0, Invalidf("sort does not have a valid value")
	}
	total := len(kept)
	lo := min(pg.offset(), total)
	page := kept[lo:min(lo+pg.limit(), total)]
	out := make([]Branch, 0, len(page))
	for _, r := range page {
		b, err := bv.branch(ctx, a, r.Name, r.Target)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, b)
	}
	return out, total, nil
}

// GetBranch returns one branch.
func (s *Repositories) GetBranch(ctx context.Context, a *Actor, ref Ref, name string) (Branch, error) {
	v, repo, err := s.readRepo(ctx, a, ref)
	if err != nil {
		return Branch{}, err
	}
	defer repo.Close()
	return s.branchNamed(ctx, a, v, repo, name)
}

func (s *Service) branchNamed(ctx context.Context, a *Actor, v ProjectView, repo *gitstore.Repo,
	name string) (Branch, error) {
	tip, ok, err := repo.Reference("refs/heads/" + name)
	if err != nil {
		return Branch{}, err
	}
	if !ok {
		return Branch{}, NotFound(ResourceBranch)
	}
	bv, err := s.newBranchView(ctx, v, repo)
	if err != nil {
		return Branch{}, err
	}
	return bv.branch(ctx, a, name, tip)
}

// CreateBranch makes branch name point at the commit rev names (a branch, a tag or a commit
// id); the actor must be allowed to push to it. In an empty repository the default branch is
// made first, as GitLab makes it.
func (s *Repositories) CreateBranch(ctx context.Context, a *Actor, ref Ref, name string, rev string) (Branch, error) {
	v, repo, err := s.writeRepo(ctx, a, ref)
	if err != nil {
		return Branch{}, err
	}
	defer func() { repo.Close() }()
	if ValidateBranchName(name) != "" {
		return Branch{}, gitRefused("Branch name is invalid")
	}
	if _, ok, err := repo.Reference("refs/heads/" + name); err != nil {
		return Branch{}, err
	} else if ok {
		return Branch{}, gitRefused("Branch already exists")
	}
	if empty, err := repo.Empty(); err != nil {
		return Branch{}, err
	} else if empty {
		// As GitLab does, a branch of an empty repository starts from a first commit on the
		// default branch.
		if err := s.createDefaultBranch(ctx, a, ref, v); err != nil {
			return Branch{}, err
		}
		repo.Close()
		if repo, err = s.repos.OpenRepo(v.ID); err != nil {
			return Branch{}, err
		}
	}
	target, err := repo.Resolve(rev)
	if errors.Is(err, gitstore.ErrRefNotFound) {
		return Branch{}, gitRefused("Invalid reference name: %s", rev)
	}
	if err != nil {
		return Branch{}, err
	}
	if err := s.AuthorizeBranchWrite(ctx, a, v, name, false); err != nil {
		return Branch{}, err
	}
	err = s.moveRefs(ctx, a, v, []gitstore.RefUpdate{{Name: "refs/heads/" + name, New: target}})
	if err != nil {
		if _, ok, _ := repo.Reference("refs/heads/" + name); ok {
			return Branch{}, gitRefused("Branch already exists")
		}
		return Branch{}, err
	}
	if v.EmptyRepo {
		// The first branch of an empty repository may have become its default branch.
		if nv, err := s.visibleProject(ctx, a, ref); err == nil {
			v = nv
		}
	}
	return s.branchNamed(ctx, a, v, repo, name)
}

// createDefaultBranch makes the default branch of an empty repository with GitLab's first
// commit: an empty .gitkeep, "Initial commit".
func (s *Service) createDefaultBranch(ctx context.Context, a *Actor, ref Ref, v ProjectView) error {
	empty := ""
	_, err := s.commit(ctx, a, ref, CommitInput{Branch: v.DefaultBranch, Message: "Initial commit",
		Actions: []CommitAction{{Action: gitstore.ActionCreate, FilePath: ".gitkeep", Content: &empty}}}, commitsAPI)
	return err
}

// DeleteBranch removes a branch. The default branch cannot be removed, and only maintainers
// may remove a protected one.
func (s *Repositories) DeleteBranch(ctx context.Context, a *Actor, ref Ref, name string) error {
	v, repo, err := s.writeRepo(ctx, a, ref)
	if err != nil {
		return err
	}
	defer repo.Close()
	tip, ok, err := repo.Reference("refs/heads/" + name)
	if err != nil {
		return err
	}
	if !ok {
		return nothingToDelete(ResourceBranch)
	}
	if name == v.DefaultBranch {
		return NotAllowedf("Cannot remove HEAD branch")
	}
	protection, err := s.BranchProtections(ctx, v.ID)
	if err != nil {
		return err
	}
	if protection(name).Protected && v.Access < Maintainer {
		return Forbiddenf("Protected branch cant be removed")
	}
	return s.moveRefs(ctx, a, v, []gitstore.RefUpdate{{Name: "refs/heads/" + name, Old: tip}})
}

// DeleteMergedBranches removes every branch merged into the default branch that is neither
// the default branch nor protected; maintainers may.
func (s *Repositories) DeleteMergedBranches(ctx context.Context, a *Actor, ref Ref) error {
	v, repo, err := s.writeRepo(ctx, a, ref)
	if err != nil {
		return err
	}
	defer repo.Close()
	if v.Access < Maintainer {
		return Forbidden()
	}
	bv, err := s.newBranchView(ctx, v, repo)
	if err != nil {
		return err
	}
	refs, err := repo.Branches()
	if err != nil {
		return err
	}
	var updates []gitstore.RefUpdate
	for _, r := range refs {
		if r.Name == v.DefaultBranch || bv.protection(r.Name).Protected || bv.defaultTip.IsZero() ||
			r.Target == bv.defaultTip {
			continue
		}
		merged, err := repo.IsAncestor(ctx, r.Target, bv.defaultTip)
		if err != nil {
			return err
		}
		if merged {
			updates = append(updates, gitstore.RefUpdate{Name: "refs/heads/" + r.Name, Old: r.Target})
		}
	}
	if len(updates) == 0 {
		return nil
	}
	return s.moveRefs(ctx, a, v, updates)
}

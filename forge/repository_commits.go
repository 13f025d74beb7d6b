package forge

import (
	"context"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/cairn-forge/cairn/gitstore"
	"github.com/go-git/go-git/v5/plumbing"
)

// CommitView is a commit with, when asked for, its line statistics against its first parent.
type CommitView struct {
	*Commit
	Stats *Stats
	// LastPipeline is the commit's newest pipeline of reported statuses, when GetCommit
	// looked for one and there is one.
	LastPipeline *Pipeline
}

// CommitListOptions select the commits of a list.
type CommitListOptions struct {
	// RefName is a revision or a range ("a..b", "a...b"); empty means the default branch.
	RefName     string
	Path        string
	Since       *time.Time
	Until       *time.Time
	Author      string
	All         bool
	FirstParent bool
	WithStats   bool
}

// ListCommits lists one page of a project's history, newest first. It reports whether there
// is a next page instead of a total: counting a history means walking all of it.
func (s *Repositories) ListCommits(ctx context.Context, a *Actor, ref Ref, o CommitListOptions,
	pg Page) ([]CommitView, bool, error) {
	v, repo, err := s.readRepo(ctx, a, ref)
	if err != nil {
		return nil, false, err
	}
	defer repo.Close()
	lo := gitstore.LogOptions{Author: o.Author, FirstParent: o.FirstParent, Skip: pg.offset(), Limit: pg.limit() + 1}
	if o.Path != "" {
		p, ok := gitstore.CleanPath(o.Path)
		if !ok {
			return []CommitView{}, false, nil
		}
		lo.Path = p
	}
	if o.Since != nil {
		lo.Since = *o.Since
	}
	if o.Until != nil {
		lo.Until = *o.Until
	}
	switch {
	case o.All:
		refs, err := repo.Branches()
		if err != nil {
			return nil, false, err
		}
		tags, err := repo.TagRefs()
		if err != nil {
			return nil, false, err
		}
		for _, r := range append(refs, tags...) {
			if h, err := repo.Resolve(r.Target.String()); err == nil {
				lo.Include = append(lo.Include, h)
			}
		}
	default:
		rev := o.RefName
		if rev == "" {
			rev = v.DefaultBranch
		}
		ok, err := rangeOptions(repo, rev, &lo)
		if err != nil {
			return nil, false, err
		}
		if !ok {
			return []CommitView{}, false, nil
		}
	}
	list, err := repo.Log(ctx, lo)
	if err != nil {
		return nil, false, err
	}
	more := len(list) > pg.limit()
	if more {
		list = list[:pg.limit()]
	}
	out := make([]CommitView, len(list))
	for i, c := range list {
		out[i] = CommitView{Commit: c}
		if o.WithStats {
			if out[i].Stats, err = commitStats(ctx, repo, c); err != nil {
				return nil, false, err
			}
		}
	}
	return out, more, nil
}

// rangeOptions sets the start and end points of a walk from a revision or a range; ok is
// false when a revision names nothing.
func rangeOptions(repo *gitstore.Repo, rev string, lo *gitstore.LogOptions) (bool, error) {
	resolveAll := func(revs ...string) ([]plumbing.Hash, bool, error) {
		var out []plumbing.Hash
		for _, r := range revs {
			if r == "" {
				r = "HEAD"
			}
			h, err := repo.Resolve(r)
			if errors.Is(err, gitstore.ErrRefNotFound) {
				return nil, false, nil
			}
			if err != nil {
				return nil, false, err
			}
			out = append(out, h)
		}
		return out, true, nil
	}
	if from, to, ok := strings.Cut(rev, "..."); ok {
		hs, ok, err := resolveAll(from, to)
		if !ok || err != nil {
			return ok, err
		}
		lo.Include = hs
		if base, ok, err := repo.MergeBase(hs[0], hs[1]); err != nil {
			return false, err
		} else if ok {
			lo.Exclude = []plumbing.Hash{base}
		}
		return true, nil
	}
	if from, to, ok := strings.Cut(rev, ".."); ok {
		hs, ok, err := resolveAll(from, to)
		if !ok || err != nil {
			return ok, err
		}
		lo.Include, lo.Exclude = hs[1:], hs[:1]
		return true, nil
	}
	hs, ok, err := resolveAll(rev)
	lo.Include = hs
	return ok, err
}

// commitStats counts the lines a commit changed against its first parent.
func commitStats(ctx context.Context, repo *gitstore.Repo, c *Commit) (*Stats, error) {
	diffs, err := repo.Diff(ctx, firstParent(c), c.ID)
	if err != nil {
		return nil, err
	}
	st := gitstore.StatsOf(diffs)
	return &st, nil
}

func firstParent(c *Commit) plumbing.Hash {
	if len(c.Parents) == 0 {
		return plumbing.ZeroHash
	}
	return c.Parents[0]
}

// commitNamed resolves rev to a commit, or "Commit Not Found".
func commitNamed(repo *gitstore.Repo, rev string) (*Commit, error) {
	h, err := resolve(repo, rev, ResourceCommit)
	if err != nil {
		return nil, err
	}
	return repo.Commit(h)
}

// GetCommit returns the commit rev names (an id, a branch or a tag), with its statistics
// when stats is set and its newest pipeline of reported statuses.
func (s *Repositories) GetCommit(ctx context.Context, a *Actor, ref Ref, rev string, stats bool) (CommitView, error) {
	v, repo, err := s.readRepo(ctx, a, ref)
	if err != nil {
		return CommitView{}, err
	}
	defer repo.Close()
	c, err := commitNamed(repo, rev)
	if err != nil {
		return CommitView{}, err
	}
	cv := CommitView{Commit: c}
	if stats {
		if cv.Stats, err = commitStats(ctx, repo, c); err != nil {
			return CommitView{}, err
		}
	}
	if cv.LastPipeline, err = s.lastPipeline(ctx, v.ID, c.ID); err != nil {
		return CommitView{}, err
	}
	return cv, nil
}

// CommitDiff returns one page of the changes a commit made to its first parent.
func (s *Repositories) CommitDiff(ctx context.Context, a *Actor, ref Ref, rev string, pg Page) ([]FileDiff,
	int, error) {
	_, repo, err := s.readRepo(ctx, a, ref)
	if err != nil {
		return nil, 0, err
	}
	defer repo.Close()
	c, err := commitNamed(repo, rev)
	if err != nil {
		return nil, 0, err
	}
	diffs, err := repo.Diff(ctx, firstParent(c), c.ID)
	if err != nil {
		return nil, 0, err
	}
	total := len(diffs)
	lo := min(pg.offset(), total)
	return diffs[lo:min(lo+pg.limit(), total)], total, nil
}

// CommitRef is a branch or tag containing a commit.
type CommitRef struct {
	Type string // "branch" or "tag"
	Name string
}

// CommitRefs lists the branches and tags (kind: "branch", "tag" or "all") containing a commit.
func (s *Repositories) CommitRefs(ctx context.Context, a *Actor, ref Ref, rev string,
	kind string) ([]CommitRef, error) {
	_, repo, err := s.readRepo(ctx, a, ref)
	if err != nil {
		return nil, err
	}
	defer repo.Close()
	c, err := commitNamed(repo, rev)
	if err != nil {
		return nil, err
	}
	out := []CommitRef{}
	add := func(typ string, refs []gitstore.Ref) error {
		for _, r := range refs {
			tip, err := repo.Resolve(r.Target.String())
			if err != nil {
				continue
			}
			if ok, err := repo.IsAncestor(ctx, c.ID, tip); err != nil {
				return err
			} else if ok {
				out = append(out, CommitRef{Type: typ, Name: r.Name})
			}
		}
		return nil
	}
	if kind == "" || kind == "all" || kind == "branch" {
		refs, err := repo.Branches()
		if err == nil {
			err = add("branch", refs)
		}
		if err != nil {
			return nil, err
		}
	}
	if kind == "" || kind == "all" || kind == "tag" {
		refs, err := repo.TagRefs()
		if err == nil {
			err = add("tag", refs)
		}
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// CommitAction is one file change of a commit made through the API.
type CommitAction struct {
	Action       string
	FilePath     string
	PreviousPath string
	// Content is nil when not given; Encoding is "text" (default) or "base64".
	Content         *string
	Encoding        string
	LastCommitID    string
	ExecuteFilemode *bool
}

// CommitInput describes a commit to make on a branch.
type CommitInput struct {
	Branch string
	// StartBranch or StartSHA is where a new branch starts (default: Branch itself).
	StartBranch string
	StartSHA    string
	Message     string
	Actions     []CommitAction
	AuthorName  string
	AuthorEmail string
	// Force replaces an existing Branch with a commit on top of the start point.
	Force bool
}

// commitDoor is what differs between the doors that make commits of file actions: the error
// of an action on a file changed meanwhile, and how the door names an action's fields.
type commitDoor struct {
	stale func(path string) error
	field func(i int, key string) string
}

// commitsAPI is the door of CreateCommit: actions[i][key], as GitLab names them.
var commitsAPI = commitDoor{
	stale: func(path string) error {
		return gitRefused("The file has changed since you started editing it: %s", path)
	},
	field: func(i int, key string) string { return "actions[" + strconv.Itoa(i) + "][" + key + "]" },
}

// CreateCommit makes a commit of file actions on a branch, creating the branch from a start
// point when asked, and moves the branch by compare-and-swap.
func (s *Repositories) CreateCommit(ctx context.Context, a *Actor, ref Ref, in CommitInput) (CommitView, error) {
	return s.commit(ctx, a, ref, in, commitsAPI)
}

func (s *Service) commit(ctx context.Context, a *Actor, ref Ref, in CommitInput, door commitDoor) (CommitView, error) {
	v, repo, err := s.writeRepo(ctx, a, ref)
	if err != nil {
		return CommitView{}, err
	}
	defer repo.Close()
	if textProblem(in.Branch, limitRef) != "" || strings.TrimSpace(in.Branch) == "" {
		return CommitView{}, gitRefused("Branch name is invalid")
	}
	if err := checkMessage("commit_message", in.Message); err != nil {
		return CommitView{}, err
	}
	author, err := s.authorSignature(a, in.AuthorName, in.AuthorEmail)
	if err != nil {
		return CommitView{}, err
	}
	actions := make([]gitstore.FileAction, len(in.Actions))
	for i, act := range in.Actions {
		if actions[i], err = fileAction(act, func(key string) string { return door.field(i, key) }); err != nil {
			return CommitView{}, err
		}
	}
	head, exists, err := repo.Reference("refs/heads/" + in.Branch)
	if err != nil {
		return CommitView{}, err
	}
	if !exists && ValidateBranchName(in.Branch) != "" {
		// A branch that exists may keep a name older rules let in; a new one follows today's.
		return CommitView{}, gitRefused("Branch name is invalid")
	}
	base, err := commitBase(repo, in, head, exists)
	if err != nil {
		return CommitView{}, err
	}
	force := exists && base != head
	if force {
		if ff, err := repo.IsAncestor(ctx, head, base); err != nil {
			return CommitView{}, err
		} else if ff {
			force = false
		}
	}
	if err := s.Repositories.AuthorizeBranchWrite(ctx, a, v, in.Branch, force); err != nil {
		return CommitView{}, err
	}
	spec := gitstore.CommitSpec{Parent: base, Message: in.Message, Author: author, Committer: s.actorSignature(a)}
	for i, act := range in.Actions {
		fa := actions[i]
		if act.LastCommitID != "" && !base.IsZero() {
			p := fa.Path
			if fa.Action == gitstore.ActionMove && fa.PreviousPath != "" {
				p = fa.PreviousPath
			}
			last, err := repo.LastCommitFor(ctx, base, p)
			if err != nil {
				return CommitView{}, err
			}
			if last != nil && !sameCommitID(last.ID, act.LastCommitID) {
				return CommitView{}, door.stale(act.FilePath)
			}
		}
		spec.Actions = append(spec.Actions, fa)
	}
	h, err := repo.BuildCommit(spec)
	if err != nil {
		return CommitView{}, actionError(err)
	}
	err = s.moveRefs(ctx, a, v, []gitstore.RefUpdate{{Name: "refs/heads/" + in.Branch, Old: head, New: h}})
	if err != nil {
		return CommitView{}, err
	}
	c, err := repo.Commit(h)
	if err != nil {
		return CommitView{}, err
	}
	st, err := commitStats(ctx, repo, c)
	if err != nil {
		return CommitView{}, err
	}
	return CommitView{Commit: c, Stats: st}, nil
}

// commitBase decides what a new commit goes on top of, with GitLab's rules and messages.
func commitBase(repo *gitstore.Repo, in CommitInput, head plumbing.Hash, exists bool) (plumbing.Hash, error) {
	switch {
	case in.StartSHA != "":
		if exists && !in.Force {
			return plumbing.ZeroHash, branchExistsError(in.Branch)
		}
		h, err := repo.Resolve(in.StartSHA)
		if errors.Is(err, gitstore.ErrRefNotFound) || err == nil &&
			!strings.HasPrefix(h.String(), strings.ToLower(in.StartSHA)) {
			return plumbing.ZeroHash, gitRefused("Invalid start_sha: %s", in.StartSHA)
		}
		return h, err
	case in.StartBranch != "" && in.StartBranch != in.Branch:
		if exists && !in.Force {
			return plumbing.ZeroHash, branchExistsError(in.Branch)
		}
		h, ok, err := repo.Reference("refs/heads/" + in.StartBranch)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		if !ok {
			return plumbing.ZeroHash, gitRefused("You can only create or edit files when you are on a branch")
		}
		return h, nil
	case exists:
		return head, nil
	}
	empty, err := repo.Empty()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if !empty {
		return plumbing.ZeroHash, gitRefused("You can only create or edit files when you are on a branch")
	}
	return plumbing.ZeroHash, nil
}

func branchExistsError(branch string) error {
	return gitRefused("A branch called '%s' already exists. Switch to that branch in order to make changes", branch)
}

func sameCommitID(h plumbing.Hash, given string) bool {
	given = strings.ToLower(strings.TrimSpace(given))
	return len(given) >= 7 && strings.HasPrefix(h.String(), given)
}

// fileAction checks one action and decodes its content; field names its fields. A path the
// action creates must pass ValidateFilePath; one it changes or removes exists already, maybe
// under a name older rules let in, and must only be a path git takes.
func fileAction(act CommitAction, field func(key string) string) (gitstore.FileAction, error) {
	fa := gitstore.FileAction{Action: act.Action, PreviousPath: act.PreviousPath, Executable: act.ExecuteFilemode}
	p, problem := ValidateFilePath(act.FilePath)
	if act.Action != gitstore.ActionCreate && act.Action != gitstore.ActionMove {
		if clean, ok := gitstore.CleanPath(act.FilePath); ok && clean != "" {
			p, problem = clean, ""
		}
	}
	if problem != "" {
		return fa, invalidField(field("file_path"), problem)
	}
	fa.Path = p
	switch act.Action {
	case gitstore.ActionCreate, gitstore.ActionUpdate:
		if act.Content == nil {
			c := ""
			act.Content = &c
		}
	case gitstore.ActionMove:
		if act.PreviousPath == "" {
			return fa, gitRefused("You must specify previous_path for the move action")
		}
	case gitstore.ActionDelete:
		act.Content = nil
	case gitstore.ActionChmod:
		act.Content = nil
		if act.ExecuteFilemode == nil {
			return fa, gitRefused("You must specify execute_filemode for the chmod action")
		}
	default:
		return fa, gitRefused("Unknown action '%s'", act.Action)
	}
	if act.Content != nil {
		fa.HasContent = true
		switch act.Encoding {
		case "", "text":
			fa.Content = []byte(*act.Content)
		case "base64":
			b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(*act.Content))
			if err != nil {
				return fa, gitRefused("Invalid base64 content for %s", act.FilePath)
			}
			fa.Content = b
		default:
			return fa, gitRefused("Unknown encoding '%s'", act.Encoding)
		}
	}
	return fa, nil
}

// actionError turns a refused action into GitLab's message.
func actionError(err error) error {
	var ae *gitstore.ActionError
	if !errors.As(err, &ae) {
		if errors.Is(err, gitstore.ErrNoChanges) {
			return gitRefused("No changes were made to the files")
		}
		return err
	}
	switch {
	case errors.Is(err, gitstore.ErrFileExists):
		return gitRefused("A file with this name already exists")
	case errors.Is(err, gitstore.ErrFileNotExist):
		e := gitRefused("A file with this name doesn't exist")
		e.Err = err
		return e
	case errors.Is(err, gitstore.ErrDirectoryExists):
		return gitRefused("A directory with this name already exists")
	case errors.Is(err, gitstore.ErrInvalidPath):
		return gitRefused("Invalid file path: %s", ae.Path)
	case errors.Is(err, gitstore.ErrUnknownAction):
		return gitRefused("Unknown action")
	}
	return err
}

// MergeBase returns the best common ancestor of the commits refs name (at least two).
func (s *Repositories) MergeBase(ctx context.Context, a *Actor, ref Ref, refs []string) (*Commit, error) {
	_, repo, err := s.readRepo(ctx, a, ref)
	if err != nil {
		return nil, err
	}
	defer repo.Close()
	if len(refs) < 2 {
		return nil, gitRefused("Provide at least 2 refs")
	}
	var hashes []plumbing.Hash
	var unknown []string
	for _, r := range refs {
		h, err := repo.Resolve(r)
		if errors.Is(err, gitstore.ErrRefNotFound) {
			unknown = append(unknown, r)
			continue
		}
		if err != nil {
			return nil, err
		}
		hashes = append(hashes, h)
	}
	switch len(unknown) {
	case 0:
	case 1:
		return nil, gitRefused("Could not find ref: %s", unknown[0])
	default:
		return nil, gitRefused("Could not find refs: %s", strings.Join(unknown, ", "))
	}
	base := hashes[0]
	for _, h := range hashes[1:] {
		mb, ok, err := repo.MergeBase(base, h)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, NotFound(ResourceMergeBase)
		}
		base = mb
	}
	return repo.Commit(base)
}

package forge

import (
	"context"
	"strconv"
	"strings"
)

// The kinds of things GitLab's Markdown references name.
const (
	// RefIssue is "#12" or "project#12".
	RefIssue = "issue"
	// RefMergeRequest is "!3" or "group/project!3".
	RefMergeRequest = "merge_request"
	// RefUser is "@alice" or "@group/subgroup": a user or a group.
	RefUser = "user"
	// RefCommit is an abbreviated or full commit id, "a1b2c3d" or "project@a1b2c3d".
	RefCommit = "commit"
)

// maxReferences bounds the distinct references of one text that are looked up; the rest stay
// text, so that a comment naming ten thousand issues costs no more than one naming five hundred.
const maxReferences = 500

// A Reference is a thing a text names in GitLab's reference syntax.
type Reference struct {
	Kind string
	// Project is the path written before the marker: "group/project", or "project" for a
	// project in the namespace of the text's own; "" for the text's own project.
	Project string
	// Name is what is named: an iid, a username or group path, a commit id.
	Name string
}

// A ReferenceTarget is what a reference names, as the actor may see it: one of its pointers
// is set; Project is the project of an issue, a merge request or a commit.
type ReferenceTarget struct {
	Project      *ProjectView
	Issue        *Issue
	MergeRequest *MergeRequest
	Commit       *Commit
	// Namespace is a user's namespace or a group, for RefUser.
	Namespace *Namespace
}

// ResolveReferences finds what refs, written in a text of project from (nil outside a
// project), name among what actor a may see. A reference to something that does not exist or
// that a may not see is left out of the answer, so that a private project's issue stays text
// to those outside it.
func (s *Issuables) ResolveReferences(ctx context.Context, a *Actor, from *ProjectView,
	refs []Reference) (map[Reference]ReferenceTarget, error) {
	r := referenceResolver{s: s.Service, a: a, from: from, projects: map[string]*ProjectView{}}
	out := map[Reference]ReferenceTarget{}
	commits := map[string][]Reference{}
	for i, ref := range refs {
		if i == maxReferences {
			break
		}
		if _, done := out[ref]; done {
			continue
		}
		if ref.Kind == RefCommit {
			commits[ref.Project] = append(commits[ref.Project], ref)
			continue
		}
		t, err := r.resolve(ctx, ref)
		if err != nil {
			return nil, err
		}
		if t != nil {
			out[ref] = *t
		}
	}
	for project, list := range commits {
		if err := r.commits(ctx, project, list, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// referenceResolver resolves the references of one text, each project once.
type referenceResolver struct {
	s        *Service
	a        *Actor
	from     *ProjectView
	projects map[string]*ProjectView
}

// unseen reports whether err says the thing asked for is not there for the actor, which leaves
// a reference as text; any other error is the page's.
func unseen(err error) bool {
	switch ErrorCode(err) {
	case ENotFound, EForbidden, EUnauthorized, EInvalid:
		return true
	}
	return false
}

// project resolves the project a reference names, nil when the actor sees none by that path.
func (r *referenceResolver) project(ctx context.Context, path string) (*ProjectView, error) {
	switch {
	case path == "":
		return r.from, nil
	case !strings.Contains(path, "/"):
		if r.from == nil {
			return nil, nil
		}
		path = r.from.Namespace.FullPath + "/" + path
	}
	if v, ok := r.projects[path]; ok {
		return v, nil
	}
	v, err := r.s.Projects.ProjectByRef(ctx, r.a, ParseRef(path))
	if err != nil && !unseen(err) {
		return nil, err
	}
	var pv *ProjectView
	if err == nil {
		pv = &v
	}
	r.projects[path] = pv
	return pv, nil
}

// resolve resolves an issue, merge request or user reference; nil when it names nothing the
// actor may see.
func (r *referenceResolver) resolve(ctx context.Context, ref Reference) (*ReferenceTarget, error) {
	if ref.Kind == RefUser {
		t, err := r.s.Delivery.ResolvePath(ctx, r.a, ref.Name)
		if err != nil || t.IsProject() {
			if err != nil && !unseen(err) {
				return nil, err
			}
			return nil, nil
		}
		return &ReferenceTarget{Namespace: &t.Namespace}, nil
	}
	iid, err := strconv.ParseInt(ref.Name, 10, 64)
	if err != nil || iid <= 0 {
		return nil, nil
	}
	v, err := r.project(ctx, ref.Project)
	if err != nil || v == nil {
		return nil, err
	}
	id := ID(v.ID)
	t := &ReferenceTarget{Project: v}
	switch ref.Kind {
	case RefIssue:
		is, err := r.s.Issuables.GetIssue(ctx, r.a, id, IssueRef{N: iid})
		if err != nil {
			return nil, keepHidden(err)
		}
		t.Issue = &is
	case RefMergeRequest:
		m, err := r.s.Issuables.GetMergeRequest(ctx, r.a, id, MergeRequestRef{N: iid})
		if err != nil {
			return nil, keepHidden(err)
		}
		t.MergeRequest = &m
	default:
		return nil, nil
	}
	return t, nil
}

// keepHidden drops an error that only says the thing is not there for the actor.
func keepHidden(err error) error {
	if unseen(err) {
		return nil
	}
	return err
}

// commits resolves the commit references of one project, with its repository opened once.
// Only object ids count: a branch whose name looks like one is not a commit reference.
func (r *referenceResolver) commits(ctx context.Context, project string, refs []Reference,
	out map[Reference]ReferenceTarget) error {
	v, err := r.project(ctx, project)
	if err != nil || v == nil {
		return err
	}
	_, repo, err := r.s.readRepo(ctx, r.a, ID(v.ID))
	if err != nil {
		return keepHidden(err)
	}
	defer repo.Close()
	for _, ref := range refs {
		h, err := repo.Resolve(ref.Name)
		if err != nil || !strings.HasPrefix(h.String(), strings.ToLower(ref.Name)) {
			continue
		}
		c, err := repo.Commit(h)
		if err != nil {
			continue
		}
		out[ref] = ReferenceTarget{Project: v, Commit: c}
	}
	return nil
}

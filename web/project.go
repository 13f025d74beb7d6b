package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
	"github.com/cairn-forge/cairn/markup"
)

// projectNav is what a project's pages share: the project as the actor sees it, what the
// actor may do in it, and the header's breadcrumbs and tabs.
type projectNav struct {
	View forge.ProjectView
	Can  forge.ProjectAbilities
	// URL is the project's page ("/acme/web/site").
	URL string
	// CloneURL is the repository's address for git over HTTP.
	CloneURL string
	Crumbs   []crumb
	// Tab is the current tab: code, issues, merge_requests, commits, branches, tags.
	Tab string
	// Ref is the revision the code tabs show.
	Ref string
	// refs resolves the references of the page's texts (see references).
	refs markup.Resolver
}

// projectHandler handles a page of a project already resolved for the actor.
type projectHandler func(w http.ResponseWriter, r *http.Request, pn *projectNav) error

// inProject resolves the project of a page; one the actor may not see is not found.
func (h *Handler) inProject(path string, fn projectHandler) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if path == "" || strings.Count(path, "/") < 1 {
			return notFound()
		}
		v, err := h.forge.Projects.ProjectByRef(r.Context(), api.Actor(r), forge.ParseRef(path))
		if err != nil {
			return err
		}
		return fn(w, r, h.projectNav(r, v))
	}
}

func (h *Handler) projectNav(r *http.Request, v forge.ProjectView) *projectNav {
	url := "/" + markup.EscapePath(v.FullPath())
	crumbs := namespaceCrumbs(v.Namespace)
	crumbs = append(crumbs, crumb{Name: v.Name, URL: url})
	return &projectNav{
		View:     v,
		Can:      v.Abilities(api.Actor(r)),
		URL:      url,
		CloneURL: h.core.URL(url + ".git"),
		Crumbs:   crumbs,
		Ref:      v.DefaultBranch,
	}
}

// projectPage starts the page data of a project's page.
func (h *Handler) projectPage(r *http.Request, pn *projectNav, tab, title string, data any) *Page {
	pn.Tab = tab
	p := h.newPage(r, title+" · "+pn.View.FullName(), data)
	p.Project = pn
	return p
}

// lookupProject routes the pages of a project: "/<project>/-/<rest>".
func (h *Handler) lookupProject(method func(g, p handlerFunc) handlerFunc, project, rest string) handlerFunc {
	section, tail, _ := strings.Cut(rest, "/")
	in := func(fn projectHandler) handlerFunc { return h.inProject(project, fn) }
	switch section {
	case "tree":
		return method(in(h.tree(tail)), nil)
	case "blob":
		return method(in(h.blob(tail)), nil)
	case "raw":
		return method(in(h.raw(tail)), nil)
	case "blame":
		return method(in(h.blame(tail)), nil)
	case "commits":
		return method(in(h.commits(tail)), nil)
	case "commit":
		if tail == "" {
			return nil
		}
		return method(in(h.commit(unescape(tail))), nil)
	case "branches":
		switch tail {
		case "":
			return method(in(h.branches), in(h.createBranch))
		case "delete":
			return method(nil, in(h.deleteBranch))
		}
		return nil
	case "tags":
		switch tail {
		case "":
			return method(in(h.tags), in(h.createTag))
		case "delete":
			return method(nil, in(h.deleteTag))
		}
		return method(in(h.tag(unescape(tail))), nil)
	case "releases":
		if tail == "" {
			return method(in(h.releases), nil)
		}
		return method(in(h.release(unescape(tail))), nil)
	case "compare":
		return method(in(h.compare(unescape(tail))), nil)
	case "settings":
		return h.lookupProjectSettings(method, in, tail)
	case "project_members":
		return h.lookupMembers(method, tail, func(fn membersHandler) handlerFunc {
			return in(func(w http.ResponseWriter, r *http.Request, pn *projectNav) error {
				return fn(w, r, h.projectMembersScope(r, pn))
			})
		})
	case "issues":
		return h.lookupIssues(method, in, tail)
	case "merge_requests":
		return h.lookupMergeRequests(method, in, tail)
	}
	return nil
}

// lookupIssues routes "/<project>/-/issues/...".
func (h *Handler) lookupIssues(method func(g, p handlerFunc) handlerFunc, in func(projectHandler) handlerFunc,
	tail string) handlerFunc {
	if tail == "" {
		return method(in(h.issues), in(h.createIssue))
	}
	if tail == "new" {
		return method(in(h.newIssue), nil)
	}
	num, action, _ := strings.Cut(tail, "/")
	iid, err := strconv.ParseInt(num, 10, 64)
	if err != nil || iid <= 0 {
		return nil
	}
	switch action {
	case "":
		return method(in(h.issue(iid)), nil)
	case "notes":
		return method(nil, in(h.commentIssue(iid)))
	case "close", "reopen":
		return method(nil, in(h.setIssueState(iid, action)))
	case "update":
		return method(nil, in(h.updateIssue(iid)))
	}
	return nil
}

// lookupMergeRequests routes "/<project>/-/merge_requests/...".
func (h *Handler) lookupMergeRequests(method func(g, p handlerFunc) handlerFunc,
	in func(projectHandler) handlerFunc, tail string) handlerFunc {
	if tail == "" {
		return method(in(h.mergeRequests), in(h.createMergeRequest))
	}
	if tail == "new" {
		return method(in(h.newMergeRequest), nil)
	}
	num, action, _ := strings.Cut(tail, "/")
	iid, err := strconv.ParseInt(num, 10, 64)
	if err != nil || iid <= 0 {
		return nil
	}
	switch action {
	case "", "diffs", "commits":
		return method(in(h.mergeRequest(iid, action)), nil)
	case "notes":
		return method(nil, in(h.commentMergeRequest(iid)))
	case "merge":
		return method(nil, in(h.merge(iid)))
	case "rebase":
		return method(nil, in(h.rebase(iid)))
	case "close", "reopen":
		return method(nil, in(h.setMergeRequestState(iid, action)))
	}
	return nil
}

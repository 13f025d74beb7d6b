package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
	"github.com/cairn-forge/cairn/markup"
)

// commitDay is the commits of one day in a history.
type commitDay struct {
	Day     time.Time
	Commits []*forge.Commit
}

type commitsData struct {
	Ref     string
	Path    string
	Days    []commitDay
	Pager   pager
	Refs    refPicker
	Parents []crumb
}

// groupByDay splits commits (newest first) by the day they were authored, in UTC.
func groupByDay(commits []*forge.Commit) []commitDay {
	var out []commitDay
	for _, c := range commits {
		y, m, d := c.Author.When.UTC().Date()
		day := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
		if n := len(out); n > 0 && out[n-1].Day.Equal(day) {
			out[n-1].Commits = append(out[n-1].Commits, c)
			continue
		}
		out = append(out, commitDay{Day: day, Commits: []*forge.Commit{c}})
	}
	return out
}

// commits shows the history of a revision, or of a path in it: "/-/commits/<ref>/<path>".
func (h *Handler) commits(tail string) projectHandler {
	return func(w http.ResponseWriter, r *http.Request, pn *projectNav) error {
		if !pn.Can.ReadCode {
			return notFound()
		}
		ref, p, err := h.splitRef(r, pn, tail)
		if err != nil {
			return err
		}
		pg := pageOf(r, 40)
		list, more, err := h.forge.Repositories.ListCommits(r.Context(), api.Actor(r), forge.ID(pn.View.ID),
			forge.CommitListOptions{RefName: ref, Path: p}, pg)
		if err != nil {
			return err
		}
		commits := make([]*forge.Commit, len(list))
		for i, c := range list {
			commits[i] = c.Commit
		}
		d := &commitsData{Ref: ref, Path: p, Days: groupByDay(commits), Pager: moreRows(r, pg, more)}
		if p != "" {
			d.Parents = pathCrumbs(pn, "tree", ref, p)
		}
		if d.Refs, err = h.refs(r, pn, "commits", ref, p); err != nil {
			return err
		}
		return h.render(w, r, http.StatusOK, "commits", h.projectPage(r, pn, "commits", "Commits at "+ref, d))
	}
}

type commitData struct {
	Commit  forge.CommitView
	Parents []string
	Files   []diffFile
	Stats   forge.Stats
	Refs    []forge.CommitRef
}

// commit shows a commit and its changes: "/-/commit/<sha>".
func (h *Handler) commit(rev string) projectHandler {
	return func(w http.ResponseWriter, r *http.Request, pn *projectNav) error {
		a := api.Actor(r)
		ref := strconv.FormatInt(pn.View.ID, 10)
		// The statistics are summed from the diff read below, not read again with the commit.
		c, err := h.forge.Repositories.GetCommit(r.Context(), a, forge.ParseRef(ref), rev, false)
		if err != nil {
			return err
		}
		diffs, _, err := h.forge.Repositories.CommitDiff(r.Context(), a, forge.ParseRef(ref), c.ID.String(),
			forge.Page{Page: 1, PerPage: 10000})
		if err != nil {
			return err
		}
		d := &commitData{Commit: c, Files: h.newDiffFiles(diffs)}
		if err := h.expandDiffs(r, ref, d.Files); err != nil {
			return err
		}
		for _, p := range c.Parents {
			d.Parents = append(d.Parents, p.String())
		}
		for _, f := range diffs {
			d.Stats.Additions += f.Additions
			d.Stats.Deletions += f.Deletions
		}
		if d.Refs, err = h.forge.Repositories.CommitRefs(r.Context(), a, forge.ParseRef(ref), c.ID.String(),
			"all"); err != nil {
			return err
		}
		return h.render(w, r, http.StatusOK, "commit", h.projectPage(r, pn, "commits", c.Title(), d))
	}
}

type branchesData struct {
	Branches []forge.Branch
	Search   string
	Pager    pager
	Error    string
	Name     string
	From     string
}

// branches lists a project's branches, with a form to make one.
func (h *Handler) branches(w http.ResponseWriter, r *http.Request, pn *projectNav) error {
	return h.renderBranches(w, r, pn, http.StatusOK, &branchesData{From: pn.View.DefaultBranch})
}

func (h *Handler) renderBranches(w http.ResponseWriter, r *http.Request, pn *projectNav, status int,
	d *branchesData) error {
	if !pn.Can.ReadCode {
		return notFound()
	}
	pg := pageOf(r, 30)
	d.Search = strings.TrimSpace(r.URL.Query().Get("search"))
	list, total, err := h.forge.Repositories.ListBranches(r.Context(), api.Actor(r), forge.ID(pn.View.ID),
		forge.BranchListOptions{Search: d.Search, Sort: "updated_desc"}, pg)
	if err != nil {
		return err
	}
	d.Branches, d.Pager = list, newPager(r, pg, total)
	return h.render(w, r, status, "branches", h.projectPage(r, pn, "branches", "Branches", d))
}

func (h *Handler) createBranch(w http.ResponseWriter, r *http.Request, pn *projectNav) error {
	if err := readForm(r); err != nil {
		return err
	}
	name, from := strings.TrimSpace(r.PostForm.Get("branch_name")), strings.TrimSpace(r.PostForm.Get("ref"))
	b, err := h.forge.Repositories.CreateBranch(r.Context(), api.Actor(r), forge.ID(pn.View.ID), name, from)
	if msg, status, ok := formError(err); ok {
		return h.renderBranches(w, r, pn, status, &branchesData{Error: msg, Name: name, From: from})
	}
	if err != nil {
		return err
	}
	h.setFlash(w, "Branch "+b.Name+" was created.")
	return redirect(w, r, pn.URL+"/-/tree/"+markup.EscapePath(b.Name))
}

func (h *Handler) deleteBranch(w http.ResponseWriter, r *http.Request, pn *projectNav) error {
	if err := readForm(r); err != nil {
		return err
	}
	name := r.PostForm.Get("branch")
	err := h.forge.Repositories.DeleteBranch(r.Context(), api.Actor(r), forge.ID(pn.View.ID), name)
	if msg, status, ok := formError(err); ok {
		return h.renderBranches(w, r, pn, status, &branchesData{Error: msg, From: pn.View.DefaultBranch})
	}
	if err != nil {
		return err
	}
	h.setFlash(w, "Branch "+name+" was deleted.")
	return redirect(w, r, pn.URL+"/-/branches")
}

type tagsData struct {
	Tags    []forge.Tag
	Search  string
	Pager   pager
	Error   string
	Name    string
	From    string
	Message string
}

// tags lists a project's tags, with a form to make one.
func (h *Handler) tags(w http.ResponseWriter, r *http.Request, pn *projectNav) error {
	return h.renderTags(w, r, pn, http.StatusOK, &tagsData{From: pn.View.DefaultBranch})
}

func (h *Handler) renderTags(w http.ResponseWriter, r *http.Request, pn *projectNav, status int, d *tagsData) error {
	if !pn.Can.ReadCode {
		return notFound()
	}
	pg := pageOf(r, 30)
	d.Search = strings.TrimSpace(r.URL.Query().Get("search"))
	list, total, err := h.forge.Repositories.ListTags(r.Context(), api.Actor(r), forge.ID(pn.View.ID),
		forge.TagListOptions{Search: d.Search}, pg)
	if err != nil {
		return err
	}
	d.Tags, d.Pager = list, newPager(r, pg, total)
	return h.render(w, r, status, "tags", h.projectPage(r, pn, "tags", "Tags", d))
}

func (h *Handler) createTag(w http.ResponseWriter, r *http.Request, pn *projectNav) error {
	if err := readForm(r); err != nil {
		return err
	}
	name, from, msg := strings.TrimSpace(r.PostForm.Get("tag_name")), strings.TrimSpace(
		r.PostForm.Get("ref")), r.PostForm.Get("message")
	t, err := h.forge.Repositories.CreateTag(r.Context(), api.Actor(r), forge.ID(pn.View.ID), name, from, msg)
	if m, status, ok := formError(err); ok {
		return h.renderTags(w, r, pn, status, &tagsData{Error: m, Name: name, From: from, Message: msg})
	}
	if err != nil {
		return err
	}
	h.setFlash(w, "Tag "+t.Name+" was created.")
	return redirect(w, r, pn.URL+"/-/tags/"+markup.EscapePath(t.Name))
}

func (h *Handler) deleteTag(w http.ResponseWriter, r *http.Request, pn *projectNav) error {
	if err := readForm(r); err != nil {
		return err
	}
	name := r.PostForm.Get("tag")
	err := h.forge.Repositories.DeleteTag(r.Context(), api.Actor(r), forge.ID(pn.View.ID), name)
	if msg, status, ok := formError(err); ok {
		return h.renderTags(w, r, pn, status, &tagsData{Error: msg, From: pn.View.DefaultBranch})
	}
	if err != nil {
		return err
	}
	h.setFlash(w, "Tag "+name+" was deleted.")
	return redirect(w, r, pn.URL+"/-/tags")
}

type tagData struct {
	Tag     forge.Tag
	Release *forge.Release
}

// tag shows one tag and its release, if it has one: "/-/tags/<name>".
func (h *Handler) tag(name string) projectHandler {
	return func(w http.ResponseWriter, r *http.Request, pn *projectNav) error {
		a := api.Actor(r)
		ref := forge.ID(pn.View.ID)
		t, err := h.forge.Repositories.GetTag(r.Context(), a, ref, name)
		if err != nil {
			return err
		}
		d := &tagData{Tag: t}
		rel, err := h.forge.Delivery.GetRelease(r.Context(), a, ref, name)
		switch forge.ErrorCode(err) {
		case "":
			d.Release = &rel
		case forge.ENotFound, forge.EForbidden:
		default:
			return err
		}
		return h.render(w, r, http.StatusOK, "tag", h.projectPage(r, pn, "tags", "Tag "+t.Name, d))
	}
}

type compareData struct {
	From, To   string
	Branches   []string
	Comparison *forge.Comparison
	Commits    []*forge.Commit
	Files      []diffFile
	Stats      forge.Stats
	Error      string
	// CanOpenMergeRequest: "to" is a branch a merge request may be opened from.
	CanOpenMergeRequest bool
}

// compare shows what lies between two revisions: "/-/compare/<from>...<to>"; without them,
// a form to choose them.
func (h *Handler) compare(spec string) projectHandler {
	return func(w http.ResponseWriter, r *http.Request, pn *projectNav) error {
		if !pn.Can.ReadCode {
			return notFound()
		}
		q := r.URL.Query()
		if spec == "" && q.Get("from") != "" && q.Get("to") != "" {
			return redirect(w, r, pn.URL+"/-/compare/"+markup.EscapePath(q.Get("from"))+
				"..."+markup.EscapePath(q.Get("to")))
		}
		a := api.Actor(r)
		ref := strconv.FormatInt(pn.View.ID, 10)
		d := &compareData{From: pn.View.DefaultBranch}
		var err error
		if d.Branches, err = h.branchNames(r, ref, ""); err != nil {
			return err
		}
		status := http.StatusOK
		if spec != "" {
			from, to, ok := strings.Cut(spec, "...")
			if !ok {
				from, to, ok = strings.Cut(spec, "..")
			}
			if !ok || from == "" || to == "" {
				return notFound()
			}
			d.From, d.To = from, to
			cmp, err := h.forge.Repositories.Compare(r.Context(), a, forge.ParseRef(ref), from, to, false)
			if forge.ErrorCode(err) == forge.ENotFound {
				d.Error, status = "One of the revisions does not exist.", http.StatusNotFound
			} else if err != nil {
				return err
			} else {
				d.Comparison = &cmp
				for i := len(cmp.Commits) - 1; i >= 0; i-- {
					d.Commits = append(d.Commits, cmp.Commits[i])
				}
				d.Files = h.newDiffFiles(cmp.Diffs)
				for _, f := range cmp.Diffs {
					d.Stats.Additions += f.Additions
					d.Stats.Deletions += f.Deletions
				}
				if pn.Can.CreateMergeRequest && len(cmp.Commits) > 0 {
					if d.CanOpenMergeRequest, err = h.bothBranches(r, ref, from, to); err != nil {
						return err
					}
				}
			}
		}
		return h.render(w, r, status, "compare", h.projectPage(r, pn, "commits", "Compare", d))
	}
}

package web

import (
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

type mergeRequestsData struct {
	Filter        issueFilter
	MergeRequests []forge.MergeRequest
	Pager         pager
	// Merged counts the merged tab (Opened, Closed and All are in Filter).
	Merged int
}

func (f issueFilter) mergeRequestOptions(state string) forge.MergeRequestListOptions {
	o := forge.MergeRequestListOptions{State: state, Search: f.Search, AuthorUsername: f.Author,
		OrderBy: "created_at", Desc: true}
	if f.Label != "" {
		o.Labels = []string{f.Label}
	}
	return o
}

// mergeRequests lists a project's merge requests by state, with label, author and text filters.
func (h *Handler) mergeRequests(w http.ResponseWriter, r *http.Request, pn *projectNav) error {
	if !pn.Can.ReadMergeRequests {
		return notFound()
	}
	a := api.Actor(r)
	ctx := r.Context()
	ref := forge.ID(pn.View.ID)
	f := readIssueFilter(r)
	switch f.State {
	case "merged", "closed", "all":
	default:
		f.State = "opened"
	}
	d := &mergeRequestsData{Filter: f}
	pg := pageOf(r, 20)
	list, total, err := h.forge.Issuables.ListProjectMergeRequests(ctx, a, ref, f.mergeRequestOptions(f.State), pg)
	if err != nil {
		return err
	}
	d.MergeRequests, d.Pager = list, newPager(r, pg, total)
	counts, err := h.forge.Issuables.ProjectMergeRequestCounts(ctx, a, ref, f.mergeRequestOptions(""))
	if err != nil {
		return err
	}
	d.Filter.Opened, d.Merged, d.Filter.Closed, d.Filter.All = counts[forge.StateOpened], counts[forge.StateMerged],
		counts[forge.StateClosed], counts["all"]
	return h.render(w, r, http.StatusOK, "merge_requests", h.projectPage(r, pn, "merge_requests", "Merge requests", d))
}

type newMergeRequestData struct {
	Branches     []string
	Source       string
	Target       string
	Title        string
	Body         editor
	RemoveSource bool
	Squash       bool
	SquashOffer  bool
	Commits      []*forge.Commit
	Files        []diffFile
	Error        string
}

// newMergeRequest shows the form to propose merging a branch: the branches to choose, and
// once chosen, the title (from the branch's commits), the commits and the changes.
func (h *Handler) newMergeRequest(w http.ResponseWriter, r *http.Request, pn *projectNav) error {
	if !pn.Can.CreateMergeRequest {
		if !api.Actor(r).SignedIn() {
			return forge.Unauthorized("")
		}
		return notFound()
	}
	q := r.URL.Query()
	d := &newMergeRequestData{Source: q.Get("source_branch"), Target: q.Get("target_branch"), RemoveSource: true}
	return h.renderNewMergeRequest(w, r, pn, http.StatusOK, d)
}

func (h *Handler) renderNewMergeRequest(w http.ResponseWriter, r *http.Request, pn *projectNav, status int,
	d *newMergeRequestData) error {
	a := api.Actor(r)
	ref := strconv.FormatInt(pn.View.ID, 10)
	if d.Target == "" {
		d.Target = pn.View.DefaultBranch
	}
	offered, forced := pn.View.SquashChoice()
	d.SquashOffer = offered
	if !offered {
		d.Squash = forced
	}
	var err error
	if d.Branches, err = h.branchNames(r, ref, "updated_desc"); err != nil {
		return err
	}
	both := false
	if d.Source != "" && d.Source != d.Target {
		if both, err = h.bothBranches(r, ref, d.Source, d.Target); err != nil {
			return err
		}
	}
	if both {
		// Branches beyond the pickers' first ones are offered when named.
		for _, b := range []string{d.Source, d.Target} {
			if !slices.Contains(d.Branches, b) {
				d.Branches = append(d.Branches, b)
			}
		}
		cmp, err := h.forge.Repositories.Compare(r.Context(), a, forge.ParseRef(ref), d.Target, d.Source, false)
		if err != nil {
			return err
		}
		for i := len(cmp.Commits) - 1; i >= 0; i-- {
			d.Commits = append(d.Commits, cmp.Commits[i])
		}
		d.Files = h.newDiffFiles(cmp.Diffs)
		if d.Title == "" {
			d.Title = titleFromCommits(d.Source, cmp.Commits)
		}
	}
	return h.render(w, r, status, "merge_request_new", h.projectPage(r, pn, "merge_requests", "New merge request", d))
}

// titleFromCommits proposes a merge request's title as GitLab does: the title of its only
// commit, else the branch name made readable.
func titleFromCommits(branch string, commits []*forge.Commit) string {
	if len(commits) == 1 {
		return commits[0].Title()
	}
	t := strings.NewReplacer("-", " ", "_", " ").Replace(branch[strings.LastIndexByte(branch, '/')+1:])
	if t == "" {
		return branch
	}
	return strings.ToUpper(t[:1]) + t[1:]
}

func (h *Handler) createMergeRequest(w http.ResponseWriter, r *http.Request, pn *projectNav) error {
	if err := readForm(r); err != nil {
		return err
	}
	f := r.PostForm
	d := &newMergeRequestData{
		Source:       f.Get("source_branch"),
		Target:       f.Get("target_branch"),
		Title:        f.Get("title"),
		Body:         editor{Text: f.Get("description")},
		RemoveSource: f.Get("remove_source_branch") != "",
		Squash:       f.Get("squash") != "",
	}
	if previewing(r) {
		d.Body.Preview = h.markdownIn(r, pn, pn.View.DefaultBranch, "", d.Body.Text)
		return h.renderNewMergeRequest(w, r, pn, http.StatusOK, d)
	}
	in := forge.MergeRequestInput{SourceBranch: &d.Source, TargetBranch: &d.Target, Title: &d.Title,
		Description: &d.Body.Text, RemoveSourceBranch: &d.RemoveSource}
	if offered, _ := pn.View.SquashChoice(); offered {
		in.Squash = &d.Squash
	}
	m, err := h.forge.Issuables.CreateMergeRequest(r.Context(), api.Actor(r), forge.ID(pn.View.ID), in)
	if msg, status, ok := formError(err); ok {
		d.Error = msg
		return h.renderNewMergeRequest(w, r, pn, status, d)
	}
	if err != nil {
		return err
	}
	return redirect(w, r, pn.URL+"/-/merge_requests/"+strconv.FormatInt(m.IID, 10))
}

type mergeRequestData struct {
	MR      forge.MergeRequest
	Tab     string
	Body    template.HTML
	Notes   []noteView
	Comment editor
	Error   string
	Commits []*forge.Commit
	Files   []diffFile
	Stats   forge.Stats
	// Status is forge's detailed merge status (mergeable, conflict, need_rebase, ...).
	Status      string
	CanMerge    bool
	CanRebase   bool
	CanEdit     bool
	CanComment  bool
	SquashOffer bool
	Squash      bool
	// MergeMethod names how the project merges: merge, rebase_merge, ff.
	MergeMethod string
	// Conflicts are the paths the branches conflict at (the first 500 of ConflictCount).
	Conflicts     []forge.MergeConflict
	ConflictCount int
}

// mergeRequest shows a merge request: its overview (description, merge widget, notes), its
// commits or its changes.
func (h *Handler) mergeRequest(iid int64, tab string) projectHandler {
	return func(w http.ResponseWriter, r *http.Request, pn *projectNav) error {
		return h.renderMergeRequest(w, r, pn, iid, tab, http.StatusOK, editor{}, "")
	}
}

func (h *Handler) renderMergeRequest(w http.ResponseWriter, r *http.Request, pn *projectNav, iid int64,
	tab string, status int, comment editor, errMsg string) error {
	a := api.Actor(r)
	ctx := r.Context()
	ref := strconv.FormatInt(pn.View.ID, 10)
	mref := forge.MergeRequestRef{N: iid}
	m, err := h.forge.Issuables.GetMergeRequest(ctx, a, forge.ParseRef(ref), mref)
	if err != nil {
		return err
	}
	d := &mergeRequestData{
		MR:          m,
		Tab:         tab,
		Comment:     comment,
		Error:       errMsg,
		Status:      forge.DetailedMergeStatus(m),
		CanMerge:    h.forge.Issuables.CanMergeInto(ctx, a, m),
		CanRebase:   h.forge.Access.CanRebase(ctx, a, m),
		CanEdit:     pn.View.CanEditMergeRequest(a, m),
		CanComment:  pn.Can.CommentMergeRequest,
		MergeMethod: pn.View.MergeMethod,
	}
	offered, forced := pn.View.SquashChoice()
	d.SquashOffer, d.Squash = offered, m.Squash
	if !offered {
		d.Squash = forced
	}
	switch tab {
	case "commits":
		if d.Commits, _, err = h.forge.Issuables.MergeRequestCommits(ctx, a, forge.ParseRef(ref), mref,
			forge.Page{Page: 1, PerPage: 1000}); err != nil {
			return err
		}
	case "diffs":
		_, diffs, err := h.forge.Issuables.MergeRequestChanges(ctx, a, forge.ParseRef(ref), mref)
		if err != nil {
			return err
		}
		d.Files = h.newDiffFiles(diffs)
		if err := h.expandDiffs(r, ref, d.Files); err != nil {
			return err
		}
		for _, f := range diffs {
			d.Stats.Additions += f.Additions
			d.Stats.Deletions += f.Deletions
		}
	default:
		d.Body = h.markdownIn(r, pn, pn.View.DefaultBranch, "", m.Description)
		t, err := h.forge.Issuables.MergeRequestNoteTarget(ctx, a, forge.ParseRef(ref), mref)
		if err != nil {
			return err
		}
		if d.Notes, err = h.notes(r, pn, t); err != nil {
			return err
		}
		if d.Status == "conflict" && pn.Can.ReadCode {
			c, err := h.mergeConflicts(r, ref, m)
			if err != nil {
				return err
			}
			d.Conflicts, d.ConflictCount = c.Files, c.Count
		}
	}
	title := m.Title + " (!" + strconv.FormatInt(m.IID, 10) + ")"
	return h.render(w, r, status, "merge_request", h.projectPage(r, pn, "merge_requests", title, d))
}

// conflictList is what a merge request's branches conflict at: the files listed, and how
// many there are in all.
type conflictList struct {
	Files []forge.MergeConflict
	Count int
}

// mergeConflicts lists the files merge request m (as forge gave it to the reader) conflicts
// at. What two commits conflict at never changes, so it is kept by their ids: a page shown
// again does not merge them again.
func (h *Handler) mergeConflicts(r *http.Request, ref string, m forge.MergeRequest) (conflictList, error) {
	key := strconv.FormatInt(m.ProjectID, 10) + ":" + m.TargetSHA + ".." + m.HeadSHA
	if c, ok := h.conflicts.get(key); ok {
		return c, nil
	}
	files, n, err := h.forge.Issuables.MergeRequestConflicts(r.Context(), api.Actor(r), forge.ParseRef(ref),
		forge.MergeRequestRef{N: m.IID})
	if err != nil {
		return conflictList{}, err
	}
	c := conflictList{Files: files, Count: n}
	h.conflicts.put(key, c)
	return c, nil
}

func (h *Handler) mergeRequestURL(pn *projectNav, iid int64) string {
	return pn.URL + "/-/merge_requests/" + strconv.FormatInt(iid, 10)
}

func (h *Handler) commentMergeRequest(iid int64) projectHandler {
	return func(w http.ResponseWriter, r *http.Request, pn *projectNav) error {
		if err := readForm(r); err != nil {
			return err
		}
		body := r.PostForm.Get("note")
		if previewing(r) {
			ed := editor{Text: body, Preview: h.markdownIn(r, pn, pn.View.DefaultBranch, "", body)}
			return h.renderMergeRequest(w, r, pn, iid, "", http.StatusOK, ed, "")
		}
		a := api.Actor(r)
		t, err := h.forge.Issuables.MergeRequestNoteTarget(r.Context(), a, forge.ID(pn.View.ID),
			forge.MergeRequestRef{N: iid})
		if err != nil {
			return err
		}
		n, err := h.forge.Issuables.CreateNote(r.Context(), a, t, forge.NoteInput{Body: &body})
		if msg, status, ok := formError(err); ok {
			return h.renderMergeRequest(w, r, pn, iid, "", status, editor{Text: body}, msg)
		}
		if err != nil {
			return err
		}
		return redirect(w, r, h.mergeRequestURL(pn, iid)+"#note_"+strconv.FormatInt(n.ID, 10))
	}
}

// merge merges a merge request with the project's method; the form names the source tip
// the user saw, so that commits pushed meanwhile are not merged unseen.
func (h *Handler) merge(iid int64) projectHandler {
	return func(w http.ResponseWriter, r *http.Request, pn *projectNav) error {
		if err := readForm(r); err != nil {
			return err
		}
		remove := r.PostForm.Get("remove_source_branch") != ""
		opts := forge.MergeOptions{SHA: r.PostForm.Get("sha"), RemoveSourceBranch: &remove}
		if offered, _ := pn.View.SquashChoice(); offered {
			squash := r.PostForm.Get("squash") != ""
			opts.Squash = &squash
		}
		_, err := h.forge.Issuables.MergeMergeRequest(r.Context(), api.Actor(r), forge.ID(pn.View.ID),
			forge.MergeRequestRef{N: iid}, opts)
		if msg, status, ok := mergeError(err); ok {
			return h.renderMergeRequest(w, r, pn, iid, "", status, editor{}, msg)
		}
		if err != nil {
			return err
		}
		h.setFlash(w, "The merge request was merged.")
		return redirect(w, r, h.mergeRequestURL(pn, iid))
	}
}

// mergeError is formError for merges, whose refusals (conflicts, a source that moved) are
// conflicts or refusals the page explains.
func mergeError(err error) (string, int, bool) {
	if msg, status, ok := formError(err); ok {
		return msg, status, true
	}
	e := forge.ErrorOf(err)
	if e.Code == forge.ENotAllowed { // formError answers the others
		return e.Message, statusOf[e.Code], true
	}
	return "", 0, false
}

func (h *Handler) rebase(iid int64) projectHandler {
	return func(w http.ResponseWriter, r *http.Request, pn *projectNav) error {
		a := api.Actor(r)
		ref := forge.ID(pn.View.ID)
		err := h.forge.Issuables.RebaseMergeRequest(r.Context(), a, ref, forge.MergeRequestRef{N: iid})
		if msg, status, ok := mergeError(err); ok {
			return h.renderMergeRequest(w, r, pn, iid, "", status, editor{}, msg)
		}
		if err != nil {
			return err
		}
		m, err := h.forge.Issuables.GetMergeRequest(r.Context(), a, ref, forge.MergeRequestRef{N: iid})
		if err != nil {
			return err
		}
		if m.MergeError != "" {
			return h.renderMergeRequest(w, r, pn, iid, "", http.StatusConflict, editor{}, m.MergeError)
		}
		h.setFlash(w, "The source branch was rebased.")
		return redirect(w, r, h.mergeRequestURL(pn, iid))
	}
}

func (h *Handler) setMergeRequestState(iid int64, event string) projectHandler {
	return func(w http.ResponseWriter, r *http.Request, pn *projectNav) error {
		_, err := h.forge.Issuables.UpdateMergeRequest(r.Context(), api.Actor(r), forge.ID(pn.View.ID),
			forge.MergeRequestRef{N: iid}, forge.MergeRequestInput{StateEvent: event})
		if msg, status, ok := mergeError(err); ok {
			return h.renderMergeRequest(w, r, pn, iid, "", status, editor{}, msg)
		}
		if err != nil {
			return err
		}
		return redirect(w, r, h.mergeRequestURL(pn, iid))
	}
}

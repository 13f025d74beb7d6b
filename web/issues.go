package web

import (
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

// issueFilter is a list's filters, as its form and links carry them.
type issueFilter struct {
	State    string
	Label    string
	Assignee string
	Author   string
	Search   string
	// Counts of the state tabs.
	Opened, Closed, All int
}

// stateURL is the list's URL with state set and the other filters kept.
func (f issueFilter) StateURL(base, state string) string {
	q := []string{"state=" + state}
	for _, kv := range [][2]string{{"label_name", f.Label}, {"assignee_username", f.Assignee},
		{"author_username", f.Author}, {"search", f.Search}} {
		if kv[1] != "" {
			q = append(q, kv[0]+"="+queryEscape(kv[1]))
		}
	}
	return base + "?" + strings.Join(q, "&")
}

func queryEscape(s string) string { return template.URLQueryEscaper(s) }

// readIssueFilter reads the filters of a list of issues or merge requests.
func readIssueFilter(r *http.Request) issueFilter {
	q := r.URL.Query()
	f := issueFilter{State: q.Get("state"), Label: strings.TrimSpace(q.Get("label_name")),
		Assignee: strings.TrimSpace(q.Get("assignee_username")), Author: strings.TrimSpace(q.Get("author_username")),
		Search: strings.TrimSpace(q.Get("search"))}
	if f.State == "" {
		f.State = "opened"
	}
	return f
}

type issuesData struct {
	Filter issueFilter
	Issues []forge.Issue
	Labels []forge.Label
	Pager  pager
}

func (f issueFilter) issueOptions(state string) forge.IssueListOptions {
	o := forge.IssueListOptions{
		State:          state,
		Search:         f.Search,
		AssigneeName:   f.Assignee,
		AuthorUsername: f.Author,
		OrderBy:        "created_at",
		Desc:           true,
	}
	if f.Label != "" {
		o.Labels = []string{f.Label}
	}
	return o
}

// issues lists a project's issues with state, label, assignee, author and text filters.
func (h *Handler) issues(w http.ResponseWriter, r *http.Request, pn *projectNav) error {
	if !pn.Can.ReadIssues {
		return notFound()
	}
	a := api.Actor(r)
	ctx := r.Context()
	ref := forge.ID(pn.View.ID)
	f := readIssueFilter(r)
	if f.State != "closed" && f.State != "all" {
		f.State = "opened"
	}
	pg := pageOf(r, 20)
	list, total, err := h.forge.Issuables.ListProjectIssues(ctx, a, ref, f.issueOptions(f.State), pg)
	if err != nil {
		return err
	}
	counts, err := h.forge.Issuables.ProjectIssueCounts(ctx, a, ref, f.issueOptions(""))
	if err != nil {
		return err
	}
	f.Opened, f.Closed, f.All = counts[forge.StateOpened], counts[forge.StateClosed], counts["all"]
	labels, _, err := h.forge.Issuables.ListLabels(ctx, a, ref, forge.LabelListOptions{},
		forge.Page{Page: 1, PerPage: 100})
	if err != nil {
		return err
	}
	d := &issuesData{Filter: f, Issues: list, Labels: labels, Pager: newPager(r, pg, total)}
	return h.render(w, r, http.StatusOK, "issues", h.projectPage(r, pn, "issues", "Issues", d))
}

// editor is a Markdown text area with its preview: the Preview button sends the form back,
// and the page shows the rendered text above the text kept in the area.
type editor struct {
	Text    string
	Preview template.HTML
}

type newIssueData struct {
	Title  string
	Body   editor
	Error  string
	Labels string
}

func (h *Handler) newIssue(w http.ResponseWriter, r *http.Request, pn *projectNav) error {
	if !pn.Can.CreateIssue {
		if !api.Actor(r).SignedIn() {
			return forge.Unauthorized("")
		}
		return notFound()
	}
	return h.render(w, r, http.StatusOK, "issue_new", h.projectPage(r, pn, "issues", "New issue", &newIssueData{}))
}

// previewing reports whether a form was sent by its Preview button.
func previewing(r *http.Request) bool { return r.PostForm.Get("preview") != "" }

func (h *Handler) createIssue(w http.ResponseWriter, r *http.Request, pn *projectNav) error {
	if err := readForm(r); err != nil {
		return err
	}
	d := &newIssueData{Title: r.PostForm.Get("title"), Body: editor{Text: r.PostForm.Get("description")},
		Labels: r.PostForm.Get("labels")}
	if previewing(r) {
		d.Body.Preview = h.markdownIn(r, pn, pn.View.DefaultBranch, "", d.Body.Text)
		return h.render(w, r, http.StatusOK, "issue_new", h.projectPage(r, pn, "issues", "New issue", d))
	}
	in := forge.IssueInput{Title: &d.Title, Description: &d.Body.Text}
	if labels := splitLabels(d.Labels); len(labels) > 0 {
		in.Labels = &labels
	}
	is, err := h.forge.Issuables.CreateIssue(r.Context(), api.Actor(r), forge.ID(pn.View.ID), in)
	if msg, status, ok := formError(err); ok {
		d.Error = msg
		return h.render(w, r, status, "issue_new", h.projectPage(r, pn, "issues", "New issue", d))
	}
	if err != nil {
		return err
	}
	return redirect(w, r, pn.URL+"/-/issues/"+strconv.FormatInt(is.IID, 10))
}

// splitLabels reads a comma-separated list of label names.
func splitLabels(s string) []string {
	var out []string
	for _, l := range strings.Split(s, ",") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

type issueData struct {
	Issue   forge.Issue
	Body    template.HTML
	Notes   []noteView
	Comment editor
	Error   string
	// CanEdit: close, reopen. CanComment: write notes.
	CanEdit    bool
	CanComment bool
	// Labels and Members offer what the metadata form may set.
	Labels  []forge.Label
	Members []forge.Member
	// LabelColors gives each label of the issue its colour.
	LabelColors map[string]string
}

type noteView struct {
	forge.Note
	HTML template.HTML
}

// issue shows an issue with its notes and the forms to comment, close or reopen it and set
// its labels and assignee.
func (h *Handler) issue(iid int64) projectHandler {
	return func(w http.ResponseWriter, r *http.Request, pn *projectNav) error {
		return h.renderIssue(w, r, pn, iid, http.StatusOK, editor{}, "")
	}
}

func (h *Handler) renderIssue(w http.ResponseWriter, r *http.Request, pn *projectNav, iid int64, status int,
	comment editor, errMsg string) error {
	a := api.Actor(r)
	ctx := r.Context()
	ref := strconv.FormatInt(pn.View.ID, 10)
	is, err := h.forge.Issuables.GetIssue(ctx, a, forge.ParseRef(ref), forge.IssueRef{N: iid})
	if err != nil {
		return err
	}
	t, err := h.forge.Issuables.IssueNoteTarget(ctx, a, forge.ParseRef(ref), forge.IssueRef{N: iid})
	if err != nil {
		return err
	}
	notes, err := h.notes(r, pn, t)
	if err != nil {
		return err
	}
	d := &issueData{
		Issue:      is,
		Body:       h.markdownIn(r, pn, pn.View.DefaultBranch, "", is.Description),
		Notes:      notes,
		Comment:    comment,
		Error:      errMsg,
		CanEdit:    pn.View.CanEditIssue(a, is),
		CanComment: pn.Can.CreateIssue,
	}
	if d.Labels, _, err = h.forge.Issuables.ListLabels(ctx, a, forge.ParseRef(ref), forge.LabelListOptions{},
		forge.Page{Page: 1, PerPage: 100}); err != nil {
		return err
	}
	d.LabelColors = map[string]string{}
	for _, l := range d.Labels {
		d.LabelColors[l.Name] = l.Color
	}
	if pn.Can.SetIssueMetadata {
		if d.Members, _, err = h.forge.Projects.ListMembers(ctx, a,
			forge.MemberSource{Kind: "project", Ref: ref}, true, "",
			forge.Page{Page: 1, PerPage: 100}); err != nil {
			return err
		}
	}
	return h.render(w, r, status, "issue",
		h.projectPage(r, pn, "issues", is.Title+" (#"+strconv.FormatInt(is.IID, 10)+")", d))
}

// notes lists the notes of an issue or merge request, oldest first, rendered.
func (h *Handler) notes(r *http.Request, pn *projectNav, t forge.NoteTarget) ([]noteView, error) {
	list, _, err := h.forge.Issuables.ListNotes(r.Context(), api.Actor(r), t,
		forge.NoteListOptions{OrderBy: "created_at"},
		forge.Page{Page: 1, PerPage: 1000})
	if err != nil {
		return nil, err
	}
	out := make([]noteView, len(list))
	for i, n := range list {
		out[i] = noteView{Note: n}
		if !n.System {
			out[i].HTML = h.markdownIn(r, pn, pn.View.DefaultBranch, "", n.Body)
		}
	}
	return out, nil
}

func (h *Handler) commentIssue(iid int64) projectHandler {
	return func(w http.ResponseWriter, r *http.Request, pn *projectNav) error {
		if err := readForm(r); err != nil {
			return err
		}
		body := r.PostForm.Get("note")
		if previewing(r) {
			ed := editor{Text: body, Preview: h.markdownIn(r, pn, pn.View.DefaultBranch, "", body)}
			return h.renderIssue(w, r, pn, iid, http.StatusOK, ed, "")
		}
		a := api.Actor(r)
		ref := forge.ID(pn.View.ID)
		t, err := h.forge.Issuables.IssueNoteTarget(r.Context(), a, ref, forge.IssueRef{N: iid})
		if err != nil {
			return err
		}
		n, err := h.forge.Issuables.CreateNote(r.Context(), a, t, forge.NoteInput{Body: &body})
		if msg, status, ok := formError(err); ok {
			return h.renderIssue(w, r, pn, iid, status, editor{Text: body}, msg)
		}
		if err != nil {
			return err
		}
		if r.PostForm.Get("close") != "" {
			close := "close"
			if _, err := h.forge.Issuables.UpdateIssue(r.Context(), a, ref, forge.IssueRef{N: iid},
				forge.IssueInput{StateEvent: close}); err != nil {
				return err
			}
		}
		return redirect(w, r, pn.URL+"/-/issues/"+strconv.FormatInt(iid, 10)+"#note_"+strconv.FormatInt(n.ID, 10))
	}
}

func (h *Handler) setIssueState(iid int64, event string) projectHandler {
	return func(w http.ResponseWriter, r *http.Request, pn *projectNav) error {
		_, err := h.forge.Issuables.UpdateIssue(r.Context(), api.Actor(r), forge.ID(pn.View.ID), forge.IssueRef{N: iid},
			forge.IssueInput{StateEvent: event})
		if msg, status, ok := formError(err); ok {
			return h.renderIssue(w, r, pn, iid, status, editor{}, msg)
		}
		if err != nil {
			return err
		}
		return redirect(w, r, pn.URL+"/-/issues/"+strconv.FormatInt(iid, 10))
	}
}

// updateIssue sets an issue's labels and assignee.
func (h *Handler) updateIssue(iid int64) projectHandler {
	return func(w http.ResponseWriter, r *http.Request, pn *projectNav) error {
		if err := readForm(r); err != nil {
			return err
		}
		labels := r.PostForm["label"]
		if extra := splitLabels(r.PostForm.Get("new_labels")); len(extra) > 0 {
			labels = append(labels, extra...)
		}
		in := forge.IssueInput{Labels: &labels}
		if v := r.PostForm.Get("assignee_id"); v != "" || r.PostForm.Has("assignee_id") {
			ids := []int64{}
			if id, err := strconv.ParseInt(v, 10, 64); err == nil && id > 0 {
				ids = append(ids, id)
			}
			in.AssigneeIDs = &ids
		}
		_, err := h.forge.Issuables.UpdateIssue(r.Context(), api.Actor(r), forge.ID(pn.View.ID),
			forge.IssueRef{N: iid}, in)
		if msg, status, ok := formError(err); ok {
			return h.renderIssue(w, r, pn, iid, status, editor{}, msg)
		}
		if err != nil {
			return err
		}
		return redirect(w, r, pn.URL+"/-/issues/"+strconv.FormatInt(iid, 10))
	}
}

package gitlab

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

// issueRoutes serves GitLab's issues API with the notes of issues and the labels of projects.
// On /api/v3 the :issue_iid segment holds the issue's global id, as the GitSwarm document has it.
func (h *Handler) issueRoutes(rt *api.Router) {
	// Changes answer anonymous callers with 401 before their parameters are checked.
	write := h.gitHandler
	rt.Handle("GET", "/issues", h.listIssues)
	rt.Handle("GET", "/issues/:issue_id", h.getIssueByID)
	rt.Handle("GET", "/projects/:id/issues", h.listProjectIssues)
	rt.Handle("POST", "/projects/:id/issues", write(h.createIssue))
	rt.Handle("GET", "/projects/:id/issues/:issue_iid", h.getIssue)
	rt.Handle("PUT", "/projects/:id/issues/:issue_iid", write(h.updateIssue))
	rt.Handle("DELETE", "/projects/:id/issues/:issue_iid", write(h.deleteIssue))
	h.noteRoutes(rt, "/projects/:id/issues/:issue_iid", func(r *http.Request, p api.Params) (forge.NoteTarget, error) {
		ref, err := h.issueRef(p)
		if err != nil {
			return forge.NoteTarget{}, err
		}
		return h.forge.IssueNoteTarget(r.Context(), api.Actor(r), p.Get("id"), ref)
	})
	h.labelRoutes(rt)
}

// IssueTimeStats is an issue's time tracking; cairn tracks none.
type IssueTimeStats struct {
	TimeEstimate        int     `json:"time_estimate"`
	TotalTimeSpent      int     `json:"total_time_spent"`
	HumanTimeEstimate   *string `json:"human_time_estimate"`
	HumanTotalTimeSpent *string `json:"human_total_time_spent"`
}

// TaskCompletionStatus counts the task list items of a description.
type TaskCompletionStatus struct {
	Count          int `json:"count"`
	CompletedCount int `json:"completed_count"`
}

// IssueReferences are the ways to write an issue's reference in text.
type IssueReferences struct {
	Short    string `json:"short"`
	Relative string `json:"relative"`
	Full     string `json:"full"`
}

// IssueLinks are an issue's API URLs.
type IssueLinks struct {
	Self                string  `json:"self"`
	Notes               string  `json:"notes"`
	AwardEmoji          string  `json:"award_emoji"`
	Project             string  `json:"project"`
	ClosedAsDuplicateOf *string `json:"closed_as_duplicate_of"`
}

// Issue is an issue as GitLab renders it.
type Issue struct {
	ID                   int64                `json:"id"`
	IID                  int64                `json:"iid"`
	ProjectID            int64                `json:"project_id"`
	Title                string               `json:"title"`
	Description          *string              `json:"description"`
	State                string               `json:"state"`
	CreatedAt            Time                 `json:"created_at"`
	UpdatedAt            Time                 `json:"updated_at"`
	ClosedAt             *Time                `json:"closed_at"`
	ClosedBy             *BasicUser           `json:"closed_by"`
	Labels               []string             `json:"labels"`
	Milestone            *struct{}            `json:"milestone"`
	Assignees            []BasicUser          `json:"assignees"`
	Author               BasicUser            `json:"author"`
	Type                 string               `json:"type"`
	Assignee             *BasicUser           `json:"assignee"`
	UserNotesCount       int                  `json:"user_notes_count"`
	MergeRequestsCount   int                  `json:"merge_requests_count"`
	Upvotes              int                  `json:"upvotes"`
	Downvotes            int                  `json:"downvotes"`
	DueDate              *Date                `json:"due_date"`
	Confidential         bool                 `json:"confidential"`
	DiscussionLocked     *bool                `json:"discussion_locked"`
	IssueType            string               `json:"issue_type"`
	WebURL               string               `json:"web_url"`
	TimeStats            IssueTimeStats       `json:"time_stats"`
	TaskCompletionStatus TaskCompletionStatus `json:"task_completion_status"`
	HasTasks             bool                 `json:"has_tasks"`
	TaskStatus           string               `json:"task_status"`
	Links                IssueLinks           `json:"_links"`
	References           IssueReferences      `json:"references"`
	Severity             string               `json:"severity"`
	Subscribed           bool                 `json:"subscribed"`
	MovedToID            *int64               `json:"moved_to_id"`
	Imported             bool                 `json:"imported"`
	ImportedFrom         string               `json:"imported_from"`
	ServiceDeskReplyTo   *string              `json:"service_desk_reply_to"`
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// issuePath is the API path of an issue: by iid, or on v3 by global id.
func (h *Handler) issuePath(is forge.Issue) string {
	n := is.IID
	if h.version == 3 {
		n = is.ID
	}
	return h.prefix() + "/projects/" + strconv.FormatInt(is.ProjectID, 10) + "/issues/" + strconv.FormatInt(n, 10)
}

func (h *Handler) issue(a *forge.Actor, is forge.Issue) Issue {
	self := h.core.URL(h.issuePath(is))
	ref := "#" + strconv.FormatInt(is.IID, 10)
	tasks, done := forge.TaskCompletion(is.Description)
	noun := "checklist items"
	if tasks == 1 {
		noun = "checklist item"
	}
	out := Issue{ID: is.ID, IID: is.IID, ProjectID: is.ProjectID, Title: is.Title, Description: optional(is.Description),
		State: is.State, CreatedAt: Time(is.CreatedAt), UpdatedAt: Time(is.UpdatedAt), ClosedAt: timePtr(is.ClosedAt),
		Labels: is.Labels, Assignees: make([]BasicUser, len(is.Assignees)), Author: h.basicUser(is.Author),
		Type: "ISSUE", UserNotesCount: is.UserNotesCount, DueDate: datePtr(is.DueDate), Confidential: is.Confidential,
		IssueType: "issue", WebURL: h.core.URL("/" + is.ProjectPath + "/-/issues/" + strconv.FormatInt(is.IID, 10)),
		TaskCompletionStatus: TaskCompletionStatus{Count: tasks, CompletedCount: done}, HasTasks: tasks > 0,
		TaskStatus: strconv.Itoa(done) + " of " + strconv.Itoa(tasks) + " " + noun + " completed",
		Links: IssueLinks{Self: self, Notes: self + "/notes", AwardEmoji: self + "/award_emoji",
			Project: h.core.URL(h.prefix() + "/projects/" + strconv.FormatInt(is.ProjectID, 10))},
		References: IssueReferences{Short: ref, Relative: ref, Full: is.ProjectPath + ref},
		Severity:   "UNKNOWN", Subscribed: a.SignedIn() && is.Author.ID == a.User.ID, ImportedFrom: "none"}
	if out.Labels == nil {
		out.Labels = []string{}
	}
	if is.ClosedBy != nil {
		u := h.basicUser(*is.ClosedBy)
		out.ClosedBy = &u
	}
	for i, u := range is.Assignees {
		out.Assignees[i] = h.basicUser(u)
		if a.SignedIn() && u.ID == a.User.ID {
			out.Subscribed = true
		}
	}
	if len(out.Assignees) > 0 {
		out.Assignee = &out.Assignees[0]
	}
	return out
}

func (h *Handler) issues(a *forge.Actor, list []forge.Issue) []Issue {
	out := make([]Issue, len(list))
	for i, is := range list {
		out[i] = h.issue(a, is)
	}
	return out
}

// issueRef reads the :issue_iid segment: an iid, or on v3 a global id.
func (h *Handler) issueRef(p api.Params) (forge.IssueRef, error) {
	n, ok := parseID(p.Get("issue_iid"))
	if !ok {
		return forge.IssueRef{}, forge.NotFound("")
	}
	return forge.IssueRef{N: n, ByID: h.version == 3}, nil
}

// missingParams is the error of required parameters not given: Grape's on v4, the GitSwarm
// document's ("400 (Bad request) "title" not given") on v3.
func (h *Handler) missingParams(names ...string) error {
	if h.version == 3 {
		return forge.Missing(names...)
	}
	return missing(names...)
}

// atLeastOne is Grape's error when none of an update's optional parameters is given.
func atLeastOne(names ...string) error {
	return &forge.Error{Code: forge.EInvalid, Reason: forge.ReasonInvalidParam, Params: names,
		Message: strings.Join(names, ", ") + " are missing, at least one parameter must be provided"}
}

// readInput reads a request's parameters and which keys its JSON body sets to null: GitLab
// takes an explicit null as "clear" (due_date, labels, assignees, priority), where api.Input
// counts it as not given.
func readInput(r *http.Request) (*api.Input, map[string]bool, error) {
	nulls := map[string]bool{}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if r.Body != nil && r.Method != http.MethodGet && ct != "multipart/form-data" && ct != "application/x-www-form-urlencoded" {
		data, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, nil, err
		}
		r.Body = io.NopCloser(bytes.NewReader(data))
		var fields map[string]json.RawMessage
		if json.Unmarshal(data, &fields) == nil {
			for k, v := range fields {
				if string(v) == "null" {
					nulls[k] = true
				}
			}
		}
	}
	in, err := api.ReadInput(r)
	return in, nulls, err
}

// idList reads key as a list of ids; ok is false when it was not given.
func idList(in *api.Input, key string) (ids []int64, ok bool, err error) {
	vals, ok := in.Strings(key)
	if !ok {
		return nil, false, nil
	}
	if vals == nil {
		// A single JSON number ("assignee_id": 5) is not a list.
		if s, ok := in.String(key); ok {
			vals = []string{s}
		}
	}
	ids = []int64{}
	for _, v := range vals {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return nil, true, api.InvalidParam(key)
		}
		ids = append(ids, n)
	}
	return ids, true, nil
}

// issueUpdateParams are the parameters of which an update needs one (GitLab CE's list).
var issueUpdateParams = []string{"assignee_id", "assignee_ids", "confidential", "created_at", "description",
	"discussion_locked", "due_date", "labels", "add_labels", "remove_labels", "milestone_id", "state_event",
	"title", "issue_type"}

// issueInput reads the issue fields GitLab's create and update take.
func issueInput(in *api.Input, nulls map[string]bool) (forge.IssueInput, error) {
	ii := forge.IssueInput{Title: in.StringPtr("title"), Description: in.StringPtr("description")}
	ii.StateEvent, _ = in.String("state_event")
	if labels, ok := in.Strings("labels"); ok || nulls["labels"] {
		ii.Labels = &labels
	}
	ii.AddLabels, _ = in.Strings("add_labels")
	ii.RemoveLabels, _ = in.Strings("remove_labels")
	ids, ok, err := idList(in, "assignee_ids")
	if err != nil {
		return ii, err
	}
	if !ok {
		ids, ok, err = idList(in, "assignee_id")
		if err != nil {
			return ii, err
		}
	}
	if ok || nulls["assignee_ids"] || nulls["assignee_id"] {
		ii.AssigneeIDs = &ids
	}
	if ii.Confidential, err = in.BoolPtr("confidential"); err != nil {
		return ii, err
	}
	if ii.DueDate, err = in.Date("due_date"); err != nil {
		return ii, err
	}
	ii.SetDueDate = in.Has("due_date") || nulls["due_date"]
	if ii.CreatedAt, err = in.Date("created_at"); err != nil {
		return ii, err
	}
	return ii, nil
}

// issueListOptions reads GitLab's issue list filters.
func issueListOptions(r *http.Request) (forge.IssueListOptions, error) {
	in, err := api.ReadInput(r)
	if err != nil {
		return forge.IssueListOptions{}, err
	}
	q := r.URL.Query()
	o := forge.IssueListOptions{Scope: q.Get("scope"), State: q.Get("state"), Search: q.Get("search"),
		OrderBy: q.Get("order_by"), AuthorUsername: q.Get("author_username"), AssigneeID: q.Get("assignee_id")}
	o.Labels, _ = in.Strings("labels")
	if names, ok := in.Strings("assignee_username"); ok && len(names) > 0 {
		o.AssigneeName = names[0]
	}
	if id, ok, err := in.Int("author_id"); err != nil {
		return o, err
	} else if ok {
		o.AuthorID = id
	}
	if o.IIDs, _, err = idList(in, "iids"); err != nil {
		return o, err
	}
	if o.Confidential, err = in.BoolPtr("confidential"); err != nil {
		return o, err
	}
	for _, d := range []struct {
		key string
		dst **time.Time
	}{{"created_after", &o.CreatedAfter}, {"created_before", &o.CreatedBefore},
		{"updated_after", &o.UpdatedAfter}, {"updated_before", &o.UpdatedBefore}} {
		if *d.dst, err = in.Date(d.key); err != nil {
			return o, err
		}
	}
	o.Desc, err = sortDesc(r, true)
	return o, err
}

func (h *Handler) listIssues(w http.ResponseWriter, r *http.Request, _ api.Params) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	o, err := issueListOptions(r)
	if err != nil {
		return err
	}
	a := api.Actor(r)
	list, total, err := h.forge.ListIssues(r.Context(), a, o, pg)
	if err != nil {
		return err
	}
	return h.list(w, r, pg, total, h.issues(a, list))
}

func (h *Handler) listProjectIssues(w http.ResponseWriter, r *http.Request, p api.Params) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	o, err := issueListOptions(r)
	if err != nil {
		return err
	}
	a := api.Actor(r)
	list, total, err := h.forge.ListProjectIssues(r.Context(), a, p.Get("id"), o, pg)
	if err != nil {
		return err
	}
	return h.list(w, r, pg, total, h.issues(a, list))
}

func (h *Handler) getIssueByID(w http.ResponseWriter, r *http.Request, p api.Params) error {
	id, ok := parseID(p.Get("issue_id"))
	if !ok {
		return forge.NotFound("")
	}
	a := api.Actor(r)
	is, err := h.forge.IssueByID(r.Context(), a, id)
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusOK, h.issue(a, is))
}

func (h *Handler) getIssue(w http.ResponseWriter, r *http.Request, p api.Params) error {
	ref, err := h.issueRef(p)
	if err != nil {
		return err
	}
	a := api.Actor(r)
	is, err := h.forge.GetIssue(r.Context(), a, p.Get("id"), ref)
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusOK, h.issue(a, is))
}

func (h *Handler) createIssue(w http.ResponseWriter, r *http.Request, p api.Params) error {
	in, nulls, err := readInput(r)
	if err != nil {
		return err
	}
	if !in.Has("title") {
		return h.missingParams("title")
	}
	ii, err := issueInput(in, nulls)
	if err != nil {
		return err
	}
	a := api.Actor(r)
	is, err := h.forge.CreateIssue(r.Context(), a, p.Get("id"), ii)
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusCreated, h.issue(a, is))
}

func (h *Handler) updateIssue(w http.ResponseWriter, r *http.Request, p api.Params) error {
	ref, err := h.issueRef(p)
	if err != nil {
		return err
	}
	in, nulls, err := readInput(r)
	if err != nil {
		return err
	}
	given := false
	for _, k := range issueUpdateParams {
		given = given || in.Has(k) || nulls[k]
	}
	if !given {
		return atLeastOne(issueUpdateParams...)
	}
	ii, err := issueInput(in, nulls)
	if err != nil {
		return err
	}
	a := api.Actor(r)
	is, err := h.forge.UpdateIssue(r.Context(), a, p.Get("id"), ref, ii)
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusOK, h.issue(a, is))
}

func (h *Handler) deleteIssue(w http.ResponseWriter, r *http.Request, p api.Params) error {
	ref, err := h.issueRef(p)
	if err != nil {
		return err
	}
	if err := h.forge.DeleteIssue(r.Context(), api.Actor(r), p.Get("id"), ref); err != nil {
		return err
	}
	return api.NoContent(w)
}

package gitlab

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

// issueRoutes serves GitLab's issues API with the notes of issues and the labels of projects.
// On /api/v3 the :issue_iid segment holds the issue's global id, as the GitSwarm document has it.
func (h *Handler) issueRoutes(rt *api.Router) {
	render := func(_ *http.Request, a *forge.Actor, is forge.Issue) any { return h.issue(a, is) }
	issueAPI := issuableAPI[forge.Issue, forge.IssueInput, forge.IssueListOptions]{
		plural:       "issues",
		param:        "issue_iid",
		required:     []string{"title"},
		updateParams: issueUpdateParams,
		input:        issueInput,
		options:      issueListOptions,
		list:         h.forge.Issuables.ListIssues,
		listProject:  h.forge.Issuables.ListProjectIssues,
		create:       h.forge.Issuables.CreateIssue,
		get:          h.forge.Issuables.GetIssue,
		update:       h.forge.Issuables.UpdateIssue,
		delete:       h.forge.Issuables.DeleteIssue,
		noteTarget:   h.forge.Issuables.IssueNoteTarget,
		render:       render,
		detail:       render,
	}
	issueAPI.routes(h, rt)
	rt.Handle("GET", "/issues/:issue_id", h.getIssueByID)
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
	IssuableHead
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
	c := h.issuableParts(is.Issuable, "#", "issues")
	noun := "checklist items"
	if c.tasks.Count == 1 {
		noun = "checklist item"
	}
	out := Issue{
		IssuableHead:         c.head,
		ClosedAt:             timePtr(is.ClosedAt),
		ClosedBy:             c.closedBy,
		Labels:               c.labels,
		Assignees:            c.assignees,
		Assignee:             c.assignee,
		Author:               h.basicUser(is.Author),
		Type:                 "ISSUE",
		UserNotesCount:       is.UserNotesCount,
		Upvotes:              is.Upvotes,
		Downvotes:            is.Downvotes,
		DueDate:              datePtr(is.DueDate),
		Confidential:         is.Confidential,
		IssueType:            "issue",
		WebURL:               c.webURL,
		TaskCompletionStatus: c.tasks,
		HasTasks:             c.tasks.Count > 0,
		TaskStatus: strconv.Itoa(c.tasks.CompletedCount) + " of " + strconv.Itoa(c.tasks.Count) +
			" " + noun + " completed",
		Links: IssueLinks{Self: self, Notes: self + "/notes", AwardEmoji: self + "/award_emoji",
			Project: h.core.URL(h.prefix() + "/projects/" + strconv.FormatInt(is.ProjectID, 10))},
		References:   c.references,
		Severity:     "UNKNOWN",
		Subscribed:   a.SignedIn() && is.Author.ID == a.User.ID,
		ImportedFrom: "none",
	}
	for _, u := range is.Assignees {
		if a.SignedIn() && u.ID == a.User.ID {
			out.Subscribed = true
		}
	}
	return out
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
	if r.Body != nil && r.Method != http.MethodGet && ct != "multipart/form-data" &&
		ct != "application/x-www-form-urlencoded" {
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
	c, err := issuableInput(in, nulls)
	ii := c.IssueInput()
	if err != nil {
		return ii, err
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
	c, err := issuableListOptions(r, in)
	o := c.IssueListOptions()
	if err != nil {
		return o, err
	}
	o.Confidential, err = in.BoolPtr("confidential")
	return o, err
}

func (h *Handler) getIssueByID(w http.ResponseWriter, r *http.Request, p api.Params) error {
	id, ok := parseID(p.Get("issue_id"))
	if !ok {
		return forge.NotFound("")
	}
	a := api.Actor(r)
	is, err := h.forge.Issuables.IssueByID(r.Context(), a, id)
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusOK, h.issue(a, is))
}

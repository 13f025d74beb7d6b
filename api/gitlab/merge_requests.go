package gitlab

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

// mergeRequestRoutes serves GitLab's merge requests API with their notes. On /api/v3 the
// :merge_request_iid segment holds the global id, as the GitSwarm document has it.
func (h *Handler) mergeRequestRoutes(rt *api.Router) {
	write := h.gitHandler
	base := "/projects/:id/merge_requests/:merge_request_iid"
	rt.Handle("GET", "/merge_requests", h.listMergeRequests)
	rt.Handle("GET", "/projects/:id/merge_requests", h.listProjectMergeRequests)
	rt.Handle("POST", "/projects/:id/merge_requests", write(h.createMergeRequest))
	rt.Handle("GET", base, h.getMergeRequest)
	rt.Handle("PUT", base, write(h.updateMergeRequest))
	rt.Handle("DELETE", base, write(h.deleteMergeRequest))
	rt.Handle("GET", base+"/changes", h.mergeRequestChanges)
	rt.Handle("GET", base+"/diffs", h.mergeRequestDiffs)
	rt.Handle("GET", base+"/commits", h.mergeRequestCommits)
	rt.Handle("PUT", base+"/merge", write(h.mergeMergeRequest))
	rt.Handle("PUT", base+"/rebase", write(h.rebaseMergeRequest))
	h.noteRoutes(rt, base, func(r *http.Request, p api.Params) (forge.NoteTarget, error) {
		ref, err := h.mergeRequestRef(p)
		if err != nil {
			return forge.NoteTarget{}, err
		}
		return h.forge.MergeRequestNoteTarget(r.Context(), api.Actor(r), p.Get("id"), ref)
	})
}

// DiffRefs are the commits a merge request's diff is taken between.
type DiffRefs struct {
	BaseSHA  *string `json:"base_sha"`
	HeadSHA  *string `json:"head_sha"`
	StartSHA *string `json:"start_sha"`
}

// MergeRequest is a merge request as GitLab renders it in lists.
type MergeRequest struct {
	ID                        int64                `json:"id"`
	IID                       int64                `json:"iid"`
	ProjectID                 int64                `json:"project_id"`
	Title                     string               `json:"title"`
	Description               *string              `json:"description"`
	State                     string               `json:"state"`
	CreatedAt                 Time                 `json:"created_at"`
	UpdatedAt                 Time                 `json:"updated_at"`
	MergedBy                  *BasicUser           `json:"merged_by"`
	MergeUser                 *BasicUser           `json:"merge_user"`
	MergedAt                  *Time                `json:"merged_at"`
	ClosedBy                  *BasicUser           `json:"closed_by"`
	ClosedAt                  *Time                `json:"closed_at"`
	TargetBranch              string               `json:"target_branch"`
	SourceBranch              string               `json:"source_branch"`
	UserNotesCount            int                  `json:"user_notes_count"`
	Upvotes                   int                  `json:"upvotes"`
	Downvotes                 int                  `json:"downvotes"`
	Author                    BasicUser            `json:"author"`
	Assignees                 []BasicUser          `json:"assignees"`
	Assignee                  *BasicUser           `json:"assignee"`
	Reviewers                 []BasicUser          `json:"reviewers"`
	SourceProjectID           int64                `json:"source_project_id"`
	TargetProjectID           int64                `json:"target_project_id"`
	Labels                    []string             `json:"labels"`
	Draft                     bool                 `json:"draft"`
	WorkInProgress            bool                 `json:"work_in_progress"`
	Milestone                 *struct{}            `json:"milestone"`
	MergeWhenPipelineSucceeds bool                 `json:"merge_when_pipeline_succeeds"`
	MergeStatus               string               `json:"merge_status"`
	DetailedMergeStatus       string               `json:"detailed_merge_status"`
	SHA                       *string              `json:"sha"`
	MergeCommitSHA            *string              `json:"merge_commit_sha"`
	SquashCommitSHA           *string              `json:"squash_commit_sha"`
	DiscussionLocked          *bool                `json:"discussion_locked"`
	ShouldRemoveSourceBranch  *bool                `json:"should_remove_source_branch"`
	ForceRemoveSourceBranch   bool                 `json:"force_remove_source_branch"`
	PreparedAt                Time                 `json:"prepared_at"`
	Reference                 string               `json:"reference"`
	References                IssueReferences      `json:"references"`
	WebURL                    string               `json:"web_url"`
	TimeStats                 IssueTimeStats       `json:"time_stats"`
	Squash                    bool                 `json:"squash"`
	SquashOnMerge             bool                 `json:"squash_on_merge"`
	TaskCompletionStatus      TaskCompletionStatus `json:"task_completion_status"`
	HasConflicts              bool                 `json:"has_conflicts"`
	BlockingDiscussions       bool                 `json:"blocking_discussions_resolved"`
	ApprovalsBeforeMerge      *int                 `json:"approvals_before_merge"`
	Imported                  bool                 `json:"imported"`
	ImportedFrom              string               `json:"imported_from"`
}

// MergeRequestDetail is a single merge request, with what GitLab adds outside lists.
type MergeRequestDetail struct {
	MergeRequest
	Subscribed                  bool      `json:"subscribed"`
	ChangesCount                *string   `json:"changes_count"`
	LatestBuildStartedAt        *Time     `json:"latest_build_started_at"`
	LatestBuildFinishedAt       *Time     `json:"latest_build_finished_at"`
	FirstDeployedToProductionAt *Time     `json:"first_deployed_to_production_at"`
	Pipeline                    any       `json:"pipeline"`
	HeadPipeline                any       `json:"head_pipeline"`
	DiffRefs                    *DiffRefs `json:"diff_refs"`
	MergeError                  *string   `json:"merge_error"`
	RebaseInProgress            *bool     `json:"rebase_in_progress,omitempty"`
	FirstContribution           bool      `json:"first_contribution"`
	User                        struct {
		CanMerge bool `json:"can_merge"`
	} `json:"user"`
}

// MergeRequestChanges is a merge request with its diff.
type MergeRequestChanges struct {
	MergeRequestDetail
	Changes  []Diff `json:"changes"`
	Overflow bool   `json:"overflow"`
}

func (h *Handler) mergeRequest(m forge.MergeRequest) MergeRequest {
	ref := "!" + strconv.FormatInt(m.IID, 10)
	tasks, done := forge.TaskCompletion(m.Description)
	out := MergeRequest{ID: m.ID, IID: m.IID, ProjectID: m.ProjectID, Title: m.Title,
		Description: optional(m.Description), State: m.State, CreatedAt: Time(m.CreatedAt), UpdatedAt: Time(m.UpdatedAt),
		MergedAt: timePtr(m.MergedAt), ClosedAt: timePtr(m.ClosedAt), TargetBranch: m.TargetBranch,
		SourceBranch: m.SourceBranch, UserNotesCount: m.UserNotesCount, Author: h.basicUser(m.Author),
		Assignees: h.basicUsers(m.Assignees), Reviewers: h.basicUsers(m.Reviewers), SourceProjectID: m.ProjectID,
		TargetProjectID: m.ProjectID, Labels: m.Labels, Draft: m.Draft, WorkInProgress: m.Draft,
		MergeStatus: m.MergeStatus, DetailedMergeStatus: forge.DetailedMergeStatus(m), SHA: optional(m.HeadSHA),
		MergeCommitSHA: optional(m.MergeCommitSHA), SquashCommitSHA: optional(m.SquashCommitSHA),
		ForceRemoveSourceBranch: m.RemoveSourceBranch, PreparedAt: Time(m.CreatedAt), Reference: ref,
		References: IssueReferences{Short: ref, Relative: ref, Full: m.ProjectPath + ref},
		WebURL:     h.core.URL("/" + m.ProjectPath + "/-/merge_requests/" + strconv.FormatInt(m.IID, 10)),
		Squash:     m.Squash, SquashOnMerge: m.Squash, HasConflicts: m.HasConflicts, BlockingDiscussions: true,
		TaskCompletionStatus: TaskCompletionStatus{Count: tasks, CompletedCount: done}, ImportedFrom: "none"}
	if m.RemoveSourceBranch {
		out.ShouldRemoveSourceBranch = &m.RemoveSourceBranch
	}
	if out.Labels == nil {
		out.Labels = []string{}
	}
	if m.MergedBy != nil {
		u := h.basicUser(*m.MergedBy)
		out.MergedBy, out.MergeUser = &u, &u
	}
	if m.ClosedBy != nil {
		u := h.basicUser(*m.ClosedBy)
		out.ClosedBy = &u
	}
	if len(out.Assignees) > 0 {
		out.Assignee = &out.Assignees[0]
	}
	return out
}

func (h *Handler) basicUsers(list []forge.User) []BasicUser {
	out := make([]BasicUser, len(list))
	for i, u := range list {
		out[i] = h.basicUser(u)
	}
	return out
}

func (h *Handler) mergeRequestDetail(ctx context.Context, a *forge.Actor, m forge.MergeRequest) MergeRequestDetail {
	out := MergeRequestDetail{MergeRequest: h.mergeRequest(m), MergeError: optional(m.MergeError)}
	out.Subscribed = a.SignedIn() && m.Author.ID == a.User.ID
	if m.ChangesCount != nil {
		n := strconv.Itoa(*m.ChangesCount)
		out.ChangesCount = &n
	}
	if m.HeadSHA != "" {
		out.DiffRefs = &DiffRefs{BaseSHA: optional(m.BaseSHA), HeadSHA: optional(m.HeadSHA), StartSHA: optional(m.TargetSHA)}
	}
	out.User.CanMerge = h.forge.CanMergeInto(ctx, a, m)
	return out
}

// mergeRequestRef reads the :merge_request_iid segment: an iid, or on v3 a global id.
func (h *Handler) mergeRequestRef(p api.Params) (forge.MergeRequestRef, error) {
	n, ok := parseID(p.Get("merge_request_iid"))
	if !ok {
		return forge.MergeRequestRef{}, forge.NotFound("")
	}
	return forge.MergeRequestRef{N: n, ByID: h.version == 3}, nil
}

// mergeRequestUpdateParams are the parameters of which an update needs one.
var mergeRequestUpdateParams = []string{"target_branch", "title", "assignee_id", "assignee_ids", "reviewer_ids",
	"milestone_id", "labels", "add_labels", "remove_labels", "description", "state_event",
	"remove_source_branch", "squash", "discussion_locked", "allow_collaboration", "draft"}

// mergeRequestInput reads the merge request fields GitLab's create and update take.
func mergeRequestInput(in *api.Input, nulls map[string]bool) (forge.MergeRequestInput, error) {
	mi := forge.MergeRequestInput{Title: in.StringPtr("title"), Description: in.StringPtr("description"),
		SourceBranch: in.StringPtr("source_branch"), TargetBranch: in.StringPtr("target_branch")}
	mi.StateEvent, _ = in.String("state_event")
	if labels, ok := in.Strings("labels"); ok || nulls["labels"] {
		mi.Labels = &labels
	}
	mi.AddLabels, _ = in.Strings("add_labels")
	mi.RemoveLabels, _ = in.Strings("remove_labels")
	for _, u := range []struct {
		keys []string
		dst  **[]int64
	}{{[]string{"assignee_ids", "assignee_id"}, &mi.AssigneeIDs}, {[]string{"reviewer_ids"}, &mi.ReviewerIDs}} {
		for _, k := range u.keys {
			ids, ok, err := idList(in, k)
			if err != nil {
				return mi, err
			}
			if ok || nulls[k] {
				*u.dst = &ids
				break
			}
		}
	}
	var err error
	if mi.Squash, err = in.BoolPtr("squash"); err != nil {
		return mi, err
	}
	if mi.RemoveSourceBranch, err = in.BoolPtr("remove_source_branch"); err != nil {
		return mi, err
	}
	mi.Draft, err = in.BoolPtr("draft")
	return mi, err
}

// mergeRequestListOptions reads GitLab's merge request list filters.
func mergeRequestListOptions(r *http.Request) (forge.MergeRequestListOptions, error) {
	in, err := api.ReadInput(r)
	if err != nil {
		return forge.MergeRequestListOptions{}, err
	}
	q := r.URL.Query()
	o := forge.MergeRequestListOptions{Scope: q.Get("scope"), State: q.Get("state"), Search: q.Get("search"),
		OrderBy: q.Get("order_by"), AuthorUsername: q.Get("author_username"), AssigneeID: q.Get("assignee_id"),
		ReviewerID: q.Get("reviewer_id"), SourceBranch: q.Get("source_branch"), TargetBranch: q.Get("target_branch")}
	o.Labels, _ = in.Strings("labels")
	if id, ok, err := in.Int("author_id"); err != nil {
		return o, err
	} else if ok {
		o.AuthorID = id
	}
	if o.IIDs, _, err = idList(in, "iids"); err != nil {
		return o, err
	}
	if o.Draft, err = in.BoolPtr("draft"); err != nil {
		return o, err
	}
	if o.Draft == nil {
		switch q.Get("wip") {
		case "yes":
			o.Draft = new(bool)
			*o.Draft = true
		case "no":
			o.Draft = new(bool)
		}
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

func (h *Handler) mergeRequests(list []forge.MergeRequest) []MergeRequest {
	out := make([]MergeRequest, len(list))
	for i, m := range list {
		out[i] = h.mergeRequest(m)
	}
	return out
}

func (h *Handler) listMergeRequests(w http.ResponseWriter, r *http.Request, _ api.Params) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	o, err := mergeRequestListOptions(r)
	if err != nil {
		return err
	}
	list, total, err := h.forge.ListMergeRequests(r.Context(), api.Actor(r), o, pg)
	if err != nil {
		return err
	}
	return h.list(w, r, pg, total, h.mergeRequests(list))
}

func (h *Handler) listProjectMergeRequests(w http.ResponseWriter, r *http.Request, p api.Params) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	o, err := mergeRequestListOptions(r)
	if err != nil {
		return err
	}
	list, total, err := h.forge.ListProjectMergeRequests(r.Context(), api.Actor(r), p.Get("id"), o, pg)
	if err != nil {
		return err
	}
	return h.list(w, r, pg, total, h.mergeRequests(list))
}

func (h *Handler) getMergeRequest(w http.ResponseWriter, r *http.Request, p api.Params) error {
	ref, err := h.mergeRequestRef(p)
	if err != nil {
		return err
	}
	a := api.Actor(r)
	m, err := h.forge.GetMergeRequest(r.Context(), a, p.Get("id"), ref)
	if err != nil {
		return err
	}
	out := h.mergeRequestDetail(r.Context(), a, m)
	if r.URL.Query().Get("include_rebase_in_progress") == "true" {
		// Rebases finish before their request answers: none is ever in progress.
		out.RebaseInProgress = new(bool)
	}
	return api.JSON(w, r, http.StatusOK, out)
}

func (h *Handler) createMergeRequest(w http.ResponseWriter, r *http.Request, p api.Params) error {
	in, nulls, err := readInput(r)
	if err != nil {
		return err
	}
	var absent []string
	for _, k := range []string{"source_branch", "target_branch", "title"} {
		if !in.Has(k) {
			absent = append(absent, k)
		}
	}
	if len(absent) > 0 {
		return h.missingParams(absent...)
	}
	mi, err := mergeRequestInput(in, nulls)
	if err != nil {
		return err
	}
	a := api.Actor(r)
	m, err := h.forge.CreateMergeRequest(r.Context(), a, p.Get("id"), mi)
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusCreated, h.mergeRequestDetail(r.Context(), a, m))
}

func (h *Handler) updateMergeRequest(w http.ResponseWriter, r *http.Request, p api.Params) error {
	ref, err := h.mergeRequestRef(p)
	if err != nil {
		return err
	}
	in, nulls, err := readInput(r)
	if err != nil {
		return err
	}
	given := false
	for _, k := range mergeRequestUpdateParams {
		given = given || in.Has(k) || nulls[k]
	}
	if !given {
		return atLeastOne(mergeRequestUpdateParams...)
	}
	mi, err := mergeRequestInput(in, nulls)
	if err != nil {
		return err
	}
	mi.SourceBranch = nil
	a := api.Actor(r)
	m, err := h.forge.UpdateMergeRequest(r.Context(), a, p.Get("id"), ref, mi)
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusOK, h.mergeRequestDetail(r.Context(), a, m))
}

func (h *Handler) deleteMergeRequest(w http.ResponseWriter, r *http.Request, p api.Params) error {
	ref, err := h.mergeRequestRef(p)
	if err != nil {
		return err
	}
	if err := h.forge.DeleteMergeRequest(r.Context(), api.Actor(r), p.Get("id"), ref); err != nil {
		return err
	}
	return api.NoContent(w)
}

func (h *Handler) mergeRequestChanges(w http.ResponseWriter, r *http.Request, p api.Params) error {
	ref, err := h.mergeRequestRef(p)
	if err != nil {
		return err
	}
	unidiff, err := queryBool(r, "unidiff")
	if err != nil {
		return err
	}
	a := api.Actor(r)
	m, list, err := h.forge.MergeRequestChanges(r.Context(), a, p.Get("id"), ref)
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusOK, MergeRequestChanges{MergeRequestDetail: h.mergeRequestDetail(r.Context(), a, m),
		Changes: diffs(list, unidiff)})
}

func (h *Handler) mergeRequestDiffs(w http.ResponseWriter, r *http.Request, p api.Params) error {
	ref, err := h.mergeRequestRef(p)
	if err != nil {
		return err
	}
	pg, err := page(r)
	if err != nil {
		return err
	}
	unidiff, err := queryBool(r, "unidiff")
	if err != nil {
		return err
	}
	_, list, err := h.forge.MergeRequestChanges(r.Context(), api.Actor(r), p.Get("id"), ref)
	if err != nil {
		return err
	}
	from := min((pg.Page-1)*pg.PerPage, len(list))
	to := min(from+pg.PerPage, len(list))
	return h.list(w, r, pg, len(list), diffs(list[from:to], unidiff))
}

func (h *Handler) mergeRequestCommits(w http.ResponseWriter, r *http.Request, p api.Params) error {
	ref, err := h.mergeRequestRef(p)
	if err != nil {
		return err
	}
	pg, err := page(r)
	if err != nil {
		return err
	}
	m, err := h.forge.GetMergeRequest(r.Context(), api.Actor(r), p.Get("id"), ref)
	if err != nil {
		return err
	}
	list, total, err := h.forge.MergeRequestCommits(r.Context(), api.Actor(r), p.Get("id"), ref, pg)
	if err != nil {
		return err
	}
	base := h.core.URL("/" + m.ProjectPath)
	out := make([]Commit, len(list))
	for i, c := range list {
		out[i] = commitAt(base, c)
	}
	return h.list(w, r, pg, total, out)
}

func (h *Handler) mergeMergeRequest(w http.ResponseWriter, r *http.Request, p api.Params) error {
	ref, err := h.mergeRequestRef(p)
	if err != nil {
		return err
	}
	in, err := api.ReadInput(r)
	if err != nil {
		return err
	}
	opts := forge.MergeOptions{}
	opts.SHA, _ = in.String("sha")
	opts.MergeCommitMessage, _ = in.String("merge_commit_message")
	opts.SquashCommitMessage, _ = in.String("squash_commit_message")
	if opts.Squash, err = in.BoolPtr("squash"); err != nil {
		return err
	}
	if opts.RemoveSourceBranch, err = in.BoolPtr("should_remove_source_branch"); err != nil {
		return err
	}
	a := api.Actor(r)
	m, err := h.forge.MergeMergeRequest(r.Context(), a, p.Get("id"), ref, opts)
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusOK, h.mergeRequestDetail(r.Context(), a, m))
}

// rebaseMergeRequest rebases the source branch on the target branch. GitLab queues the
// rebase and answers 202; cairn has done it by then, so rebase_in_progress is already false
// and merge_error says whether it failed.
func (h *Handler) rebaseMergeRequest(w http.ResponseWriter, r *http.Request, p api.Params) error {
	ref, err := h.mergeRequestRef(p)
	if err != nil {
		return err
	}
	if err := h.forge.RebaseMergeRequest(r.Context(), api.Actor(r), p.Get("id"), ref); err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusAccepted, map[string]bool{"rebase_in_progress": false})
}

package gitlab

import (
	"context"
	"net/http"
	"strconv"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

// mergeRequestRoutes serves GitLab's merge requests API with their notes. On /api/v3 the
// :merge_request_iid segment holds the global id, as the GitSwarm document has it.
func (h *Handler) mergeRequestRoutes(rt *api.Router) {
	write := h.gitHandler
	update := func(ctx context.Context, a *forge.Actor, project forge.Ref, ref forge.MergeRequestRef,
		in forge.MergeRequestInput) (forge.MergeRequest, error) {
		in.SourceBranch = nil
		return h.forge.Issuables.UpdateMergeRequest(ctx, a, project, ref, in)
	}
	mergeRequestAPI := issuableAPI[forge.MergeRequest, forge.MergeRequestInput, forge.MergeRequestListOptions]{
		plural:       "merge_requests",
		param:        "merge_request_iid",
		required:     []string{"source_branch", "target_branch", "title"},
		updateParams: mergeRequestUpdateParams,
		input:        mergeRequestInput,
		options:      mergeRequestListOptions,
		list:         h.forge.Issuables.ListMergeRequests,
		listProject:  h.forge.Issuables.ListProjectMergeRequests,
		create:       h.forge.Issuables.CreateMergeRequest,
		get:          h.forge.Issuables.GetMergeRequest,
		update:       update,
		delete:       h.forge.Issuables.DeleteMergeRequest,
		noteTarget:   h.forge.Issuables.MergeRequestNoteTarget,
		render:       func(_ *http.Request, _ *forge.Actor, m forge.MergeRequest) any { return h.mergeRequest(m) },
		detail:       h.renderMergeRequestDetail,
	}
	base := mergeRequestAPI.routes(h, rt)
	rt.Handle("GET", base+"/changes", h.mergeRequestChanges)
	rt.Handle("GET", base+"/diffs", h.mergeRequestDiffs)
	rt.Handle("GET", base+"/commits", h.mergeRequestCommits)
	rt.Handle("PUT", base+"/merge", write(h.mergeMergeRequest))
	rt.Handle("PUT", base+"/rebase", write(h.rebaseMergeRequest))
}

// DiffRefs are the commits a merge request's diff is taken between.
type DiffRefs struct {
	BaseSHA  *string `json:"base_sha"`
	HeadSHA  *string `json:"head_sha"`
	StartSHA *string `json:"start_sha"`
}

// MergeRequest is a merge request as GitLab renders it in lists.
type MergeRequest struct {
	IssuableHead
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
	c := h.issuableParts(m.Issuable, "!", "merge_requests")
	out := MergeRequest{
		IssuableHead:            c.head,
		MergedAt:                timePtr(m.MergedAt),
		ClosedAt:                timePtr(m.ClosedAt),
		ClosedBy:                c.closedBy,
		TargetBranch:            m.TargetBranch,
		SourceBranch:            m.SourceBranch,
		UserNotesCount:          m.UserNotesCount,
		Upvotes:                 m.Upvotes,
		Downvotes:               m.Downvotes,
		Author:                  h.basicUser(m.Author),
		Assignees:               c.assignees,
		Assignee:                c.assignee,
		Reviewers:               h.basicUsers(m.Reviewers),
		SourceProjectID:         m.ProjectID,
		TargetProjectID:         m.ProjectID,
		Labels:                  c.labels,
		Draft:                   m.Draft,
		WorkInProgress:          m.Draft,
		MergeStatus:             m.MergeStatus,
		DetailedMergeStatus:     forge.DetailedMergeStatus(m),
		SHA:                     optional(m.HeadSHA),
		MergeCommitSHA:          optional(m.MergeCommitSHA),
		SquashCommitSHA:         optional(m.SquashCommitSHA),
		ForceRemoveSourceBranch: m.RemoveSourceBranch,
		PreparedAt:              Time(m.CreatedAt),
		Reference:               c.ref,
		References:              c.references,
		WebURL:                  c.webURL,
		Squash:                  m.Squash,
		SquashOnMerge:           m.Squash,
		HasConflicts:            m.HasConflicts,
		BlockingDiscussions:     true,
		TaskCompletionStatus:    c.tasks,
		ImportedFrom:            "none",
	}
	if m.RemoveSourceBranch {
		out.ShouldRemoveSourceBranch = &m.RemoveSourceBranch
	}
	if m.MergedBy != nil {
		u := h.basicUser(*m.MergedBy)
		out.MergedBy, out.MergeUser = &u, &u
	}
	return out
}

// renderMergeRequestDetail renders a merge request on its own: on a read that asks for it,
// with whether a rebase is in progress (rebases finish before their request answers: none
// ever is).
func (h *Handler) renderMergeRequestDetail(r *http.Request, a *forge.Actor, m forge.MergeRequest) any {
	out := h.mergeRequestDetail(r.Context(), a, m)
	if r.Method == http.MethodGet && r.URL.Query().Get("include_rebase_in_progress") == "true" {
		out.RebaseInProgress = new(bool)
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
		out.DiffRefs = &DiffRefs{BaseSHA: optional(m.BaseSHA), HeadSHA: optional(m.HeadSHA),
			StartSHA: optional(m.TargetSHA)}
	}
	out.User.CanMerge = h.forge.Issuables.CanMergeInto(ctx, a, m)
	return out
}

// mergeRequestRef reads the :merge_request_iid segment: an iid, or on v3 a global id.
func (h *Handler) mergeRequestRef(p api.Params) (forge.MergeRequestRef, error) {
	return h.issuableRef(p, "merge_request_iid")
}

// mergeRequestUpdateParams are the parameters of which an update needs one.
var mergeRequestUpdateParams = []string{"target_branch", "title", "assignee_id", "assignee_ids", "reviewer_ids",
	"milestone_id", "labels", "add_labels", "remove_labels", "description", "state_event",
	"remove_source_branch", "squash", "discussion_locked", "allow_collaboration", "draft"}

// mergeRequestInput reads the merge request fields GitLab's create and update take.
func mergeRequestInput(in *api.Input, nulls map[string]bool) (forge.MergeRequestInput, error) {
	c, err := issuableInput(in, nulls)
	mi := c.MergeRequestInput()
	if err != nil {
		return mi, err
	}
	mi.SourceBranch, mi.TargetBranch = in.StringPtr("source_branch"), in.StringPtr("target_branch")
	if mi.ReviewerIDs, err = givenIDs(in, nulls, "reviewer_ids"); err != nil {
		return mi, err
	}
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
	c, err := issuableListOptions(r, in)
	o := c.MergeRequestListOptions()
	if err != nil {
		return o, err
	}
	q := r.URL.Query()
	o.ReviewerID, o.SourceBranch, o.TargetBranch = q.Get("reviewer_id"), q.Get("source_branch"), q.Get("target_branch")
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
	return o, nil
}

func (h *Handler) mergeRequests(list []forge.MergeRequest) []MergeRequest {
	out := make([]MergeRequest, len(list))
	for i, m := range list {
		out[i] = h.mergeRequest(m)
	}
	return out
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
	m, list, err := h.forge.Issuables.MergeRequestChanges(r.Context(), a, forge.ParseRef(p.Get("id")), ref)
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusOK,
		MergeRequestChanges{MergeRequestDetail: h.mergeRequestDetail(r.Context(), a, m),
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
	_, list, err := h.forge.Issuables.MergeRequestChanges(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")), ref)
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
	m, err := h.forge.Issuables.GetMergeRequest(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")), ref)
	if err != nil {
		return err
	}
	list, total, err := h.forge.Issuables.MergeRequestCommits(r.Context(), api.Actor(r),
		forge.ParseRef(p.Get("id")), ref, pg)
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
	m, err := h.forge.Issuables.MergeMergeRequest(r.Context(), a, forge.ParseRef(p.Get("id")), ref, opts)
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
	if err := h.forge.Issuables.RebaseMergeRequest(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")),
		ref); err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusAccepted, map[string]bool{"rebase_in_progress": false})
}

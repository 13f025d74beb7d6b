package gitlab

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

// CommitStatus is a commit status as GitLab renders it (Entities::CommitStatus).
type CommitStatus struct {
	ID           int64     `json:"id"`
	SHA          string    `json:"sha"`
	Ref          string    `json:"ref"`
	Status       string    `json:"status"`
	Name         string    `json:"name"`
	TargetURL    *string   `json:"target_url"`
	Description  *string   `json:"description"`
	CreatedAt    Time      `json:"created_at"`
	StartedAt    *Time     `json:"started_at"`
	FinishedAt   *Time     `json:"finished_at"`
	AllowFailure bool      `json:"allow_failure"`
	Coverage     *float64  `json:"coverage"`
	PipelineID   int64     `json:"pipeline_id"`
	Author       BasicUser `json:"author"`
}

func (h *Handler) commitStatus(c forge.CommitStatus) CommitStatus {
	return CommitStatus{
		ID:          c.ID,
		SHA:         c.SHA,
		Ref:         c.Ref,
		Status:      c.Status,
		Name:        c.Name,
		TargetURL:   c.TargetURL,
		Description: c.Description,
		CreatedAt:   Time(c.CreatedAt),
		StartedAt:   timePtr(c.StartedAt),
		FinishedAt:  timePtr(c.FinishedAt),
		Coverage:    c.Coverage,
		PipelineID:  c.PipelineID,
		Author:      h.basicUser(c.Author),
	}
}

// PipelineBasic is a pipeline as a commit shows its last one (Entities::Ci::PipelineBasic).
type PipelineBasic struct {
	ID        int64  `json:"id"`
	IID       int64  `json:"iid"`
	ProjectID int64  `json:"project_id"`
	SHA       string `json:"sha"`
	Ref       string `json:"ref"`
	Status    string `json:"status"`
	Source    string `json:"source"`
	CreatedAt Time   `json:"created_at"`
	UpdatedAt Time   `json:"updated_at"`
	WebURL    string `json:"web_url"`
}

func (h *Handler) pipelineBasic(v forge.ProjectView, p *forge.Pipeline) *PipelineBasic {
	if p == nil {
		return nil
	}
	return &PipelineBasic{
		ID:        p.ID,
		IID:       p.IID,
		ProjectID: p.ProjectID,
		SHA:       p.SHA,
		Ref:       p.Ref,
		Status:    p.Status,
		Source:    p.Source,
		CreatedAt: Time(p.CreatedAt),
		UpdatedAt: Time(p.UpdatedAt),
		WebURL:    h.projectWebURL(v) + "/-/pipelines/" + strconv.FormatInt(p.ID, 10),
	}
}

func (h *Handler) commitStatusRoutes(rt *api.Router) {
	rt.Handle("POST", "/projects/:id/statuses/:sha", h.postCommitStatus)
	rt.Handle("GET", "/projects/:id/repository/commits/:sha/statuses", h.listCommitStatuses)
}

// postCommitStatus is POST /projects/:id/statuses/:sha. As GitLab's, it authenticates
// first, then checks its parameters, then the project.
func (h *Handler) postCommitStatus(w http.ResponseWriter, r *http.Request, p api.Params) error {
	a := api.Actor(r)
	if !a.SignedIn() {
		return forge.Unauthorized("")
	}
	in, err := api.ReadInput(r)
	if err != nil {
		return err
	}
	if err := require(in, "state"); err != nil {
		return err
	}
	ci := forge.CommitStatusInput{SHA: p.Get("sha"), TargetURL: in.StringPtr("target_url"),
		Description: in.StringPtr("description")}
	ci.State, _ = in.String("state")
	if !forge.ValidStatusState(ci.State) {
		return api.InvalidValue("state")
	}
	ci.Ref, _ = in.String("ref")
	if ci.Name, _ = in.String("name"); ci.Name == "" {
		ci.Name, _ = in.String("context")
	}
	if s, ok := in.String("coverage"); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return api.InvalidParam("coverage")
		}
		ci.Coverage = &f
	}
	if ci.PipelineID, _, err = in.Int("pipeline_id"); err != nil {
		return err
	}
	st, err := h.forge.Repositories.SetCommitStatus(r.Context(), a, forge.ParseRef(p.Get("id")), ci)
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusCreated, h.commitStatus(st))
}

func (h *Handler) listCommitStatuses(w http.ResponseWriter, r *http.Request, p api.Params) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	o := forge.CommitStatusListOptions{Ref: q.Get("ref"), Name: q.Get("name")}
	if o.All, err = queryBool(r, "all"); err != nil {
		return err
	}
	list, total, err := h.forge.Repositories.ListCommitStatuses(r.Context(), api.Actor(r),
		forge.ParseRef(p.Get("id")), p.Get("sha"), o, pg)
	if err != nil {
		return err
	}
	if stage := q.Get("stage"); stage != "" && stage != "external" {
		// Reported statuses all stand in GitLab's "external" stage.
		list, total = nil, 0
	}
	out := make([]CommitStatus, len(list))
	for i, c := range list {
		out[i] = h.commitStatus(c)
	}
	return h.list(w, r, pg, total, out)
}

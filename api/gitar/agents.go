package gitar

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

// Agent is an agent as the API shows it.
type Agent struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	// Type is builtin or external.
	Type string `json:"type" enum:"builtin,external"`
	// RunsOn is ref (a ref or a merge request, the default branch when neither is given) or
	// merge_request (one must be given).
	RunsOn     string      `json:"runs_on" enum:"ref,merge_request"`
	Parameters []Parameter `json:"parameters"`
	// AnyParameters: the agent takes any parameters (external agents).
	AnyParameters bool `json:"accepts_any_parameters"`
}

// Parameter is one parameter of an agent.
type Parameter struct {
	Name        string `json:"name"`
	Type        string `json:"type" enum:"string,integer,boolean"`
	Description string `json:"description"`
	Required    bool   `json:"required"`
	Default     any    `json:"default"`
}

type agentList struct {
	Agents []Agent `json:"agents"`
}

// runRequest is the body of POST /agents/runs.
type runRequest struct {
	Repository   string         `json:"repository" required:"true" doc:"owner/repo, group/subgroup/project, a URL of this instance, or a unique project name"`
	Agent        string         `json:"agent" required:"true" doc:"the agent's name (GET /agents)"`
	Ref          string         `json:"ref,omitempty" doc:"a branch, tag or commit (default: the default branch)"`
	MergeRequest int64          `json:"merge_request,omitempty" doc:"a merge request's iid, instead of ref"`
	Params       map[string]any `json:"params,omitempty" doc:"the agent's parameters"`
}

// Finding is something an agent found.
type Finding struct {
	Path     string `json:"path"`
	Line     int    `json:"line" doc:"from 1; 0 when the finding is about the whole file"`
	Severity string `json:"severity" enum:"info,warning,error,critical"`
	Rule     string `json:"rule"`
	Message  string `json:"message"`
}

// User names a user.
type User struct {
	ID       int64  `json:"id"`
	Username string `json:"username"`
	Name     string `json:"name"`
}

// Run is a run of an agent.
type Run struct {
	ID            int64           `json:"id"`
	Repository    string          `json:"repository"`
	RepositoryURL string          `json:"repository_url"`
	Agent         string          `json:"agent"`
	Ref           string          `json:"ref"`
	SHA           string          `json:"sha"`
	MergeRequest  *int64          `json:"merge_request"`
	Params        json.RawMessage `json:"params" type:"object"`
	Status        string          `json:"status" enum:"queued,running,succeeded,failed,canceled,timed_out"`
	StatusReason  string          `json:"status_reason"`
	RequestedBy   User            `json:"requested_by"`
	Attempts      int             `json:"attempts"`
	FindingsCount int             `json:"findings_count"`
	// Findings are in the answer of GET /agents/runs/{id} only.
	Findings   []Finding       `json:"findings,omitempty"`
	Result     json.RawMessage `json:"result" type:"object" doc:"what the agent produced (statistics, release notes), once it succeeded"`
	CanCancel  bool            `json:"can_cancel"`
	URL        string          `json:"url"`
	LogURL     string          `json:"log_url"`
	CreatedAt  Time            `json:"created_at"`
	StartedAt  *Time           `json:"started_at"`
	FinishedAt *Time           `json:"finished_at"`
	UpdatedAt  Time            `json:"updated_at"`
}

type runBody = Run

// Time is a time as the API writes it: RFC 3339 in UTC, to the millisecond.
type Time time.Time

// MarshalText writes the time (encoding/json quotes it).
func (t Time) MarshalText() ([]byte, error) {
	return time.Time(t).UTC().AppendFormat(nil, "2006-01-02T15:04:05.000Z07:00"), nil
}

func timePtr(t *time.Time) *Time {
	if t == nil {
		return nil
	}
	v := Time(*t)
	return &v
}

// Pagination describes one page of a list.
type Pagination struct {
	Page       int `json:"page"`
	PerPage    int `json:"per_page"`
	Total      int `json:"total"`
	TotalPages int `json:"total_pages"`
}

type runList struct {
	Runs       []Run      `json:"runs"`
	Pagination Pagination `json:"pagination"`
}

type logBody struct {
	ID        int64  `json:"id"`
	Status    string `json:"status" enum:"queued,running,succeeded,failed,canceled,timed_out"`
	Log       string `json:"log"`
	Truncated bool   `json:"truncated"`
}

func statusEnum() []string { return forge.AgentStatuses }

// listAgents is GET /agents.
func (h *Handler) listAgents(w http.ResponseWriter, r *http.Request, _ api.Params) error {
	agents, err := h.forge.Agents.Agents(r.Context(), api.Actor(r))
	if err != nil {
		return err
	}
	out := agentList{Agents: make([]Agent, len(agents))}
	for i, a := range agents {
		out.Agents[i] = Agent{
			Name:          a.Name,
			Description:   a.Description,
			Type:          "external",
			RunsOn:        a.On,
			Parameters:    []Parameter{},
			AnyParameters: !a.Builtin,
		}
		if a.Builtin {
			out.Agents[i].Type = "builtin"
		}
		for _, p := range a.Params {
			out.Agents[i].Parameters = append(out.Agents[i].Parameters, Parameter(p))
		}
	}
	return api.JSON(w, r, http.StatusOK, out)
}

// run renders a run.
func (h *Handler) run(v forge.AgentRun) Run {
	self := h.core.URL(Prefix + "/agents/runs/" + strconv.FormatInt(v.ID, 10))
	out := Run{
		ID:            v.ID,
		Repository:    v.ProjectPath,
		RepositoryURL: h.core.URL("/" + v.ProjectPath),
		Agent:         v.Agent,
		Ref:           v.Ref,
		SHA:           v.SHA,
		Params:        v.Params,
		Status:        v.Status,
		StatusReason:  v.Reason,
		RequestedBy:   User{ID: v.RequestedBy.ID, Username: v.RequestedBy.Username, Name: v.RequestedBy.Name},
		Attempts:      v.Attempts,
		FindingsCount: v.FindingCount,
		Result:        v.Result,
		CanCancel:     v.CanCancel,
		URL:           self,
		LogURL:        self + "/log",
		CreatedAt:     Time(v.CreatedAt),
		StartedAt:     timePtr(v.StartedAt),
		FinishedAt:    timePtr(v.FinishedAt),
		UpdatedAt:     Time(v.UpdatedAt),
	}
	if v.MergeRequestIID != 0 {
		iid := v.MergeRequestIID
		out.MergeRequest = &iid
	}
	if out.Result == nil {
		out.Result = json.RawMessage("null")
	}
	if v.Findings != nil {
		out.Findings = make([]Finding, len(v.Findings))
		for i, f := range v.Findings {
			out.Findings[i] = Finding(f)
		}
	}
	return out
}

// createRun is POST /agents/runs.
func (h *Handler) createRun(w http.ResponseWriter, r *http.Request, _ api.Params) error {
	in, err := api.ReadInput(r)
	if err != nil {
		return err
	}
	repo, _ := in.String("repository")
	agent, _ := in.String("agent")
	ref, _ := in.String("ref")
	iid, _, err := in.Int("merge_request")
	if err != nil {
		return err
	}
	params, _, err := in.JSON("params")
	if err != nil {
		return err
	}
	if repo == "" {
		return forge.Missing("repository")
	}
	v, err := h.forge.Agents.CreateAgentRun(r.Context(), api.Actor(r),
		forge.AgentRunInput{Repository: repo, Agent: agent,
			Ref: ref, MergeRequestIID: iid, Params: params})
	if err != nil {
		return err
	}
	w.Header().Set("Location", h.run(v).URL)
	return api.JSON(w, r, http.StatusCreated, h.run(v))
}

// runID reads the id path parameter; anything but a positive number names no run.
func runID(p api.Params) (int64, error) {
	id, err := strconv.ParseInt(p.Get("id"), 10, 64)
	if err != nil || id <= 0 {
		e := forge.NotFound(forge.ResourceAgentRun)
		e.Message = "Run not found"
		return 0, e
	}
	return id, nil
}

// getRun is GET /agents/runs/:id.
func (h *Handler) getRun(w http.ResponseWriter, r *http.Request, p api.Params) error {
	id, err := runID(p)
	if err != nil {
		return err
	}
	v, err := h.forge.Agents.GetAgentRun(r.Context(), api.Actor(r), id)
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusOK, h.run(v))
}

// cancelRun is POST /agents/runs/:id/cancel.
func (h *Handler) cancelRun(w http.ResponseWriter, r *http.Request, p api.Params) error {
	id, err := runID(p)
	if err != nil {
		return err
	}
	v, err := h.forge.Agents.CancelAgentRun(r.Context(), api.Actor(r), id)
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusOK, h.run(v))
}

// getRunLog is GET /agents/runs/:id/log.
func (h *Handler) getRunLog(w http.ResponseWriter, r *http.Request, p api.Params) error {
	id, err := runID(p)
	if err != nil {
		return err
	}
	l, err := h.forge.Agents.GetAgentRunLog(r.Context(), api.Actor(r), id)
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusOK, logBody{ID: id, Status: l.Status, Log: l.Log, Truncated: l.Truncated})
}

// listRuns is GET /agents/runs.
func (h *Handler) listRuns(w http.ResponseWriter, r *http.Request, _ api.Params) error {
	pg, err := api.ParsePage(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	views, total, err := h.forge.Agents.ListAgentRuns(r.Context(), api.Actor(r), forge.AgentRunListOptions{
		Repository: q.Get("repository"), Agent: q.Get("agent"), Status: q.Get("status")}, pg)
	if err != nil {
		return err
	}
	h.core.SetPageHeaders(w, r, pg, total)
	out := runList{Runs: make([]Run, len(views)), Pagination: Pagination{Page: pg.Page, PerPage: pg.PerPage,
		Total: total, TotalPages: max(1, (total+pg.PerPage-1)/pg.PerPage)}}
	for i, v := range views {
		out.Runs[i] = h.run(v)
	}
	return api.JSON(w, r, http.StatusOK, out)
}

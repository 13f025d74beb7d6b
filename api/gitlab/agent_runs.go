package gitlab

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

// Agent runs (the Gitar dialect's, at /v1/external) are listed on their project here too.

func (h *Handler) agentRunRoutes(rt *api.Router) {
	rt.Handle("GET", "/projects/:id/agent_runs", signedIn(h.listAgentRuns))
}

// AgentRun is a run of an agent on a project, shaped as GitLab shapes its jobs.
type AgentRun struct {
	ID              int64           `json:"id"`
	Agent           string          `json:"agent"`
	Status          string          `json:"status"`
	StatusReason    string          `json:"status_reason"`
	Ref             string          `json:"ref"`
	SHA             string          `json:"sha"`
	MergeRequestIID *int64          `json:"merge_request_iid"`
	Params          json.RawMessage `json:"params"`
	FindingsCount   int             `json:"findings_count"`
	Result          json.RawMessage `json:"result"`
	User            BasicUser       `json:"user"`
	CreatedAt       Time            `json:"created_at"`
	StartedAt       *Time           `json:"started_at"`
	FinishedAt      *Time           `json:"finished_at"`
	UpdatedAt       Time            `json:"updated_at"`
	// URL is the run in the Gitar API, which has its findings, its log and its cancel.
	URL string `json:"url"`
}

func (h *Handler) agentRun(v forge.AgentRun) AgentRun {
	out := AgentRun{
		ID:            v.ID,
		Agent:         v.Agent,
		Status:        v.Status,
		StatusReason:  v.Reason,
		Ref:           v.Ref,
		SHA:           v.SHA,
		Params:        v.Params,
		FindingsCount: v.FindingCount,
		Result:        v.Result,
		User: h.basicUser(forge.User{ID: v.RequestedBy.ID, Username: v.RequestedBy.Username,
			Name: v.RequestedBy.Name, State: v.RequestedBy.State}),
		CreatedAt:  Time(v.CreatedAt),
		StartedAt:  timePtr(v.StartedAt),
		FinishedAt: timePtr(v.FinishedAt),
		UpdatedAt:  Time(v.UpdatedAt),
		URL:        h.core.URL("/v1/external/agents/runs/" + strconv.FormatInt(v.ID, 10)),
	}
	if v.MergeRequestIID != 0 {
		iid := v.MergeRequestIID
		out.MergeRequestIID = &iid
	}
	if out.Result == nil {
		out.Result = json.RawMessage("null")
	}
	return out
}

// listAgentRuns is GET /projects/:id/agent_runs: the project's runs, newest first, with
// agent and status filters.
func (h *Handler) listAgentRuns(w http.ResponseWriter, r *http.Request, p api.Params) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	list, total, err := h.forge.Agents.ListAgentRuns(r.Context(), api.Actor(r), forge.AgentRunListOptions{
		Project: p.Get("id"), Agent: q.Get("agent"), Status: q.Get("status")}, pg)
	if err != nil {
		return err
	}
	out := make([]AgentRun, len(list))
	for i, v := range list {
		out[i] = h.agentRun(v)
	}
	return h.list(w, r, pg, total, out)
}

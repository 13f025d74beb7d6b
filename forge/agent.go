package forge

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/cairn-forge/cairn/db"
	"github.com/cairn-forge/cairn/gitstore"
	"github.com/go-git/go-git/v5/plumbing"
)

// Agents: automated jobs on a repository. A run names a project, an agent, a ref or a merge
// request, and parameters; it is queued in the database and run by the agent runner
// (agent_runner.go) with a time limit, and ends succeeded, failed, canceled or timed_out
// with a log, findings and, for some agents, a result. Built-in agents (agent_*.go) read the
// repository through gitstore, offline; external agents are commands the administrator
// configured on the server (agent_external.go).

// Run statuses.
const (
	AgentQueued    = "queued"
	AgentRunning   = "running"
	AgentSucceeded = "succeeded"
	AgentFailed    = "failed"
	AgentCanceled  = "canceled"
	AgentTimedOut  = "timed_out"
)

// AgentStatuses lists every run status, in lifecycle order.
var AgentStatuses = []string{AgentQueued, AgentRunning, AgentSucceeded, AgentFailed, AgentCanceled, AgentTimedOut}

// Finding severities.
const (
	SeverityInfo     = "info"
	SeverityWarning  = "warning"
	SeverityError    = "error"
	SeverityCritical = "critical"
)

// What an agent runs on.
const (
	// AgentOnRef: a ref (the default branch when none is named) or a merge request's source.
	AgentOnRef = "ref"
	// AgentOnMergeRequest: a merge request, which must be named.
	AgentOnMergeRequest = "merge_request"
)

// Agent describes an agent that may be run.
type Agent struct {
	Name        string
	Description string
	// Builtin is false for the administrator's external agents.
	Builtin bool
	// On is AgentOnRef or AgentOnMergeRequest.
	On string
	// Params are the parameters it takes; nil for external agents, which take any.
	Params []AgentParam
}

// AgentParam is one parameter of an agent.
type AgentParam struct {
	Name        string
	Type        string // string, integer or boolean
	Description string
	Required    bool
	// Default is the value used when the parameter is not given; nil for none.
	Default any
}

// AgentFinding is something an agent found, at a place in the repository.
type AgentFinding struct {
	Path     string
	Line     int
	Severity string
	// Rule names the check that found it ("aws-access-token", "conflict-marker").
	Rule    string
	Message string
}

// AgentRun is a run of an agent, as the actor sees it.
type AgentRun struct {
	ID int64
	// ProjectID and ProjectPath name the repository it runs on.
	ProjectID   int64
	ProjectPath string
	Agent       string
	// Ref is the ref it was asked to run on; SHA the commit that was then.
	Ref string
	SHA string
	// MergeRequestIID is 0 for a run on a ref.
	MergeRequestIID int64
	// Params is the JSON object of its parameters.
	Params json.RawMessage
	Status string
	// Reason says why it ended as it did ("ran out of time (10m0s)").
	Reason string
	// Result is the JSON the agent produced, nil when none.
	Result json.RawMessage
	// RequestedBy is who asked for it (id 0, the ghost, once deleted).
	RequestedBy  UserRef
	Attempts     int
	FindingCount int
	// Findings are filled by GetAgentRun only.
	Findings  []AgentFinding
	CreatedAt time.Time
	UpdatedAt time.Time
	StartedAt *time.Time
	// FinishedAt is set once it is final.
	FinishedAt *time.Time
	// CanCancel: the run is not final and the actor may cancel it.
	CanCancel bool
}

// UserRef names a user.
type UserRef struct {
	ID       int64
	Username string
	Name     string
	State    string
}

// Final reports whether a status is one a run ends in.
func finalAgentStatus(status string) bool {
	return status != AgentQueued && status != AgentRunning
}

// AgentRunInput asks for a run.
type AgentRunInput struct {
	// Repository is a reference in any form ParseRepositoryRef reads.
	Repository string
	Agent      string
	// Ref is a branch, tag or commit; MergeRequestIID a merge request of the project. At
	// most one of them; neither means the default branch.
	Ref             string
	MergeRequestIID int64
	// Params is a JSON object, or empty.
	Params json.RawMessage
}

// AgentRunListOptions filter a list of runs.
type AgentRunListOptions struct {
	// Repository, when set, keeps the runs of one project (any reference form).
	Repository string
	// Project, when set, keeps the runs of one project named by id or full path, as
	// GitLab's paths name them.
	Project string
	Agent   string
	Status  string
	// Oldest lists in id order; by default the newest come first.
	Oldest bool
}

// Limits of a run's request.
const (
	maxAgentParams   = 64 << 10
	maxAgentRefBytes = 1024
)

// Agents lists the agents that may be run: the built-in ones, then the server's external
// ones, by name.
func (s *Agents) Agents(ctx context.Context, a *Actor) ([]Agent, error) {
	if err := a.requireUser(NeedRead); err != nil {
		return nil, err
	}
	out := make([]Agent, 0, len(builtinAgents)+len(s.cfg.Agents))
	for _, b := range builtinAgents {
		out = append(out, b.Agent)
	}
	for _, e := range s.cfg.Agents {
		out = append(out, e.agent())
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Builtin != out[j].Builtin {
			return out[i].Builtin
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

// agentNamed returns the agent called name.
func (s *Service) agentNamed(name string) (Agent, bool) {
	if b, ok := builtinByName(name); ok {
		return b.Agent, true
	}
	for _, e := range s.cfg.Agents {
		if e.Name == name {
			return e.agent(), true
		}
	}
	return Agent{}, false
}

// agentProject resolves the project of a run and the actor's access to it: one whose code
// the actor may read.
func (s *Service) agentProject(ctx context.Context, a *Actor, ref string) (ProjectView, error) {
	v, err := s.Repositories.RepositoryByRef(ctx, a, ref)
	if err != nil {
		return ProjectView{}, err
	}
	if !canReadCode(v) {
		return ProjectView{}, NotFound(ResourceProject)
	}
	return v, nil
}

// canRunAgents reports whether the actor of v may start runs there: developers and above,
// as for starting pipelines in GitLab.
func canRunAgents(v ProjectView) bool { return v.Access >= Developer }

// CreateAgentRun queues a run. The token needs tracks_write (or api, or admin); the actor
// must be a developer of the project. The ref or merge request is resolved to a commit now,
// so that the run sees the repository as it was when it was asked for.
func (s *Agents) CreateAgentRun(ctx context.Context, a *Actor, in AgentRunInput) (AgentRun, error) {
	if err := a.requireUser(NeedAgents); err != nil {
		return AgentRun{}, err
	}
	if strings.TrimSpace(in.Agent) == "" {
		return AgentRun{}, Missing("agent")
	}
	ag, ok := s.agentNamed(in.Agent)
	if !ok {
		e := NotFound(ResourceAgent)
		e.Message = fmt.Sprintf("No agent named %q; GET /agents lists them", in.Agent)
		return AgentRun{}, e
	}
	params, err := checkAgentParams(ag, in.Params)
	if err != nil {
		return AgentRun{}, err
	}
	v, err := s.agentProject(ctx, a, in.Repository)
	if err != nil {
		return AgentRun{}, err
	}
	if !canRunAgents(v) {
		return AgentRun{}, Forbiddenf("Running agents on %s needs the Developer role", v.FullPath())
	}
	run := db.AgentRun{ProjectID: v.ID, Agent: ag.Name, Params: string(params), User: User{ID: a.User.ID},
		CreatedAt: s.Now()}
	if run.Ref, run.SHA, run.MergeRequestIID, err = s.agentTarget(ctx, a, v, ag, in); err != nil {
		return AgentRun{}, err
	}
	err = s.db.Write(ctx, func(tx *sql.Tx) error {
		run.ID, err = db.InsertAgentRun(ctx, tx, run)
		return err
	})
	if err != nil {
		return AgentRun{}, err
	}
	s.agents.pool.wake()
	// The answer is the run as it was queued, whatever the workers do with it meanwhile.
	run.ProjectPath, run.Status, run.UpdatedAt = v.FullPath(), AgentQueued, run.CreatedAt
	run.User = User{ID: a.User.ID, Username: a.User.Username, Name: a.User.Name, State: a.User.State}
	return s.agentRunView(a, v, run), nil
}

// agentTarget resolves what a run runs on: its ref, commit and merge request.
func (s *Service) agentTarget(ctx context.Context, a *Actor, v ProjectView, ag Agent,
	in AgentRunInput) (ref, sha string, iid int64, err error) {
	switch {
	case in.Ref != "" && in.MergeRequestIID != 0:
		return "", "", 0, Invalidf("Give ref or merge_request, not both")
	case in.MergeRequestIID < 0:
		return "", "", 0, Invalidf("merge_request must be a merge request's iid (a positive number)")
	case ag.On == AgentOnMergeRequest && in.MergeRequestIID == 0:
		e := Missing("merge_request")
		e.Message = fmt.Sprintf("The %s agent runs on a merge request: give merge_request", ag.Name)
		return "", "", 0, e
	case len(in.Ref) > maxAgentRefBytes:
		return "", "", 0, Invalidf("ref is too long")
	}
	if in.MergeRequestIID != 0 {
		// The run needs no scope for merge requests (tracks_write has none): it reads the
		// merge request's code, which the actor may read.
		if !mergeRequestsVisible(v) {
			return "", "", 0, NotFound(ResourceProject)
		}
		m, err := s.findMergeRequest(ctx, s.db.Read, v, MergeRequestRef{N: in.MergeRequestIID})
		if err != nil {
			return "", "", 0, err
		}
		if m.HeadSHA == "" {
			return "", "", 0, Invalidf("Merge request !%d has no commits to run on", m.IID)
		}
		return m.SourceBranch, m.HeadSHA, m.IID, nil
	}
	repo, err := s.repos.OpenRepo(v.ID)
	if err != nil {
		return "", "", 0, err
	}
	defer repo.Close()
	ref = in.Ref
	var h plumbing.Hash
	if ref == "" {
		var ok bool
		if h, ok, err = defaultHead(repo, v); err != nil {
			return "", "", 0, err
		}
		if !ok {
			return "", "", 0, Invalidf("The repository %s is empty: there is nothing to run on", v.FullPath())
		}
		ref = v.DefaultBranch
	} else if h, err = repo.Resolve(ref); errors.Is(err, gitstore.ErrRefNotFound) {
		e := Invalidf("ref %q names no branch, tag or commit of %s", ref, v.FullPath())
		e.Params = []string{"ref"}
		return "", "", 0, e
	} else if err != nil {
		return "", "", 0, err
	}
	return ref, h.String(), 0, nil
}

// checkAgentParams validates a run's parameters against its agent's and returns them as
// a compact JSON object. External agents take any object.
func checkAgentParams(ag Agent, raw json.RawMessage) (json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		raw = []byte("{}")
	}
	if len(raw) > maxAgentParams {
		return nil, Invalidf("params is too large (at most %d bytes)", maxAgentParams)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		e := Invalidf("params must be a JSON object")
		e.Params = []string{"params"}
		return nil, e
	}
	if ag.Builtin {
		fe := FieldErrors{}
		known := map[string]AgentParam{}
		for _, p := range ag.Params {
			known[p.Name] = p
			if _, ok := obj[p.Name]; p.Required && !ok {
				fe.Add("params."+p.Name, "is required")
			}
		}
		for name, v := range obj {
			p, ok := known[name]
			if !ok {
				fe.Add("params."+name, fmt.Sprintf("is not a parameter of %s", ag.Name))
				continue
			}
			if msg := checkParamValue(p, v); msg != "" {
				fe.Add("params."+name, msg)
			}
		}
		if err := fe.Err(); err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, Invalidf("params must be a JSON object")
	}
	return buf.Bytes(), nil
}

func checkParamValue(p AgentParam, v json.RawMessage) string {
	switch p.Type {
	case "string":
		var s string
		if json.Unmarshal(v, &s) != nil {
			return "must be a string"
		}
	case "integer":
		var f float64
		if json.Unmarshal(v, &f) != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
			return "must be a whole number"
		}
	case "boolean":
		var b bool
		if json.Unmarshal(v, &b) != nil {
			return "must be true or false"
		}
	}
	return ""
}

// agentRunView turns a row into what the actor sees.
func (s *Service) agentRunView(a *Actor, v ProjectView, r db.AgentRun) AgentRun {
	out := AgentRun{
		ID:              r.ID,
		ProjectID:       r.ProjectID,
		ProjectPath:     r.ProjectPath,
		Agent:           r.Agent,
		Ref:             r.Ref,
		SHA:             r.SHA,
		MergeRequestIID: r.MergeRequestIID,
		Params:          json.RawMessage(r.Params),
		Status:          r.Status,
		Reason:          r.Reason,
		RequestedBy:     UserRef{ID: r.User.ID, Username: r.User.Username, Name: r.User.Name, State: r.User.State},
		Attempts:        r.Attempts,
		FindingCount:    r.FindingCount,
		CreatedAt:       r.CreatedAt,
		UpdatedAt:       r.UpdatedAt,
		StartedAt:       r.StartedAt,
		FinishedAt:      r.FinishedAt,
	}
	if r.Result != "" {
		out.Result = json.RawMessage(r.Result)
	}
	out.CanCancel = !finalAgentStatus(r.Status) && a.SignedIn() && a.Require(NeedAgents) == nil &&
		(r.User.ID == a.User.ID || v.Access >= Maintainer)
	return out
}

// visibleAgentRun reads run id if the actor may read the code of its project.
func (s *Service) visibleAgentRun(ctx context.Context, a *Actor, id int64) (ProjectView, db.AgentRun, error) {
	if err := a.requireUser(NeedRead); err != nil {
		return ProjectView{}, db.AgentRun{}, err
	}
	r, err := db.AgentRunByID(ctx, s.db.Read, id)
	if err != nil {
		return ProjectView{}, db.AgentRun{}, notFoundAs(err, ResourceAgentRun)
	}
	v, err := s.visibleProject(ctx, a, ID(r.ProjectID))
	if err != nil || !canReadCode(v) {
		return ProjectView{}, db.AgentRun{}, NotFound(ResourceAgentRun)
	}
	return v, r, nil
}

// GetAgentRun returns a run with its findings.
func (s *Agents) GetAgentRun(ctx context.Context, a *Actor, id int64) (AgentRun, error) {
	v, r, err := s.visibleAgentRun(ctx, a, id)
	if err != nil {
		return AgentRun{}, err
	}
	out := s.agentRunView(a, v, r)
	fs, err := db.AgentFindings(ctx, s.db.Read, id)
	if err != nil {
		return AgentRun{}, err
	}
	out.Findings = make([]AgentFinding, len(fs))
	for i, f := range fs {
		out.Findings[i] = AgentFinding(f)
	}
	return out, nil
}

// AgentRunLog is the output of a run so far.
type AgentRunLog struct {
	Status string
	Log    string
	// Truncated: output past the log's limit was dropped.
	Truncated bool
}

// GetAgentRunLog returns a run's log.
func (s *Agents) GetAgentRunLog(ctx context.Context, a *Actor, id int64) (AgentRunLog, error) {
	_, r, err := s.visibleAgentRun(ctx, a, id)
	if err != nil {
		return AgentRunLog{}, err
	}
	text, truncated, err := db.AgentRunLog(ctx, s.db.Read, id)
	if err != nil {
		return AgentRunLog{}, err
	}
	return AgentRunLog{Status: r.Status, Log: text, Truncated: truncated}, nil
}

// ListAgentRuns lists the runs on projects whose code the actor may read, newest first
// unless o.Oldest.
func (s *Agents) ListAgentRuns(ctx context.Context, a *Actor, o AgentRunListOptions, pg Page) ([]AgentRun, int, error) {
	if err := a.requireUser(NeedRead); err != nil {
		return nil, 0, err
	}
	f := db.AgentRunFilter{Agent: o.Agent, Status: o.Status, Desc: !o.Oldest, Limit: pg.limit(), Offset: pg.offset()}
	if o.Status != "" && !validAgentStatus(o.Status) {
		e := Invalidf("status must be one of %s", strings.Join(AgentStatuses, ", "))
		e.Params = []string{"status"}
		return nil, 0, e
	}
	views := map[int64]ProjectView{}
	if o.Repository != "" || o.Project != "" {
		var v ProjectView
		var err error
		if o.Project != "" {
			v, err = s.visibleProject(ctx, a, ParseRef(o.Project))
			if err == nil && !canReadCode(v) {
				err = NotFound(ResourceProject)
			}
		} else {
			v, err = s.agentProject(ctx, a, o.Repository)
		}
		if err != nil {
			return nil, 0, err
		}
		f.ProjectID, views[v.ID] = v.ID, v
	} else if !a.IsAdmin() {
		// Code is read by everyone on public and internal projects, by reporters on private
		// ones (canReadCode).
		f.Projects = db.ProjectFilter{Visibilities: []string{Public}, MemberUserID: a.User.ID,
			MinAccessLevel: Reporter, Now: s.Now()}
		if !a.User.External {
			f.Projects.Visibilities = append(f.Projects.Visibilities, Internal)
		}
	}
	rows, total, err := db.ListAgentRuns(ctx, s.db.Read, f)
	if err != nil {
		return nil, 0, err
	}
	out := make([]AgentRun, len(rows))
	for i, r := range rows {
		v, ok := views[r.ProjectID]
		if !ok {
			p, err := db.ProjectByID(ctx, s.db.Read, r.ProjectID)
			if err != nil {
				return nil, 0, err
			}
			if v, err = s.projectAccess(ctx, a, p); err != nil {
				return nil, 0, err
			}
			views[r.ProjectID] = v
		}
		out[i] = s.agentRunView(a, v, r)
	}
	return out, total, nil
}

func validAgentStatus(s string) bool {
	for _, st := range AgentStatuses {
		if s == st {
			return true
		}
	}
	return false
}

// errAgentCanceled is the cause of a run stopped because it was canceled.
var errAgentCanceled = errors.New("agent run canceled")

// CancelAgentRun cancels a queued or running run: who asked for it, maintainers of its
// project and administrators may. A running agent is stopped at once (its processes
// killed). Canceling a canceled run changes nothing; a run that ended otherwise cannot be.
func (s *Agents) CancelAgentRun(ctx context.Context, a *Actor, id int64) (AgentRun, error) {
	if err := a.requireUser(NeedAgents); err != nil {
		return AgentRun{}, err
	}
	v, r, err := s.visibleAgentRun(ctx, a, id)
	if err != nil {
		return AgentRun{}, err
	}
	if r.User.ID != a.User.ID && v.Access < Maintainer {
		return AgentRun{}, Forbiddenf("Only who started a run, or a maintainer of %s, may cancel it", v.FullPath())
	}
	by := a.User.Username
	ok, err := db.FinishAgentRun(ctx, s.db.Writer(), id, []string{AgentQueued, AgentRunning}, AgentCanceled,
		"canceled by "+by, "", s.Now())
	if err != nil {
		return AgentRun{}, err
	}
	if ok {
		s.agents.pool.cancel(id, errAgentCanceled)
	} else if r, err = db.AgentRunByID(ctx, s.db.Read, id); err != nil {
		return AgentRun{}, notFoundAs(err, ResourceAgentRun)
	} else if r.Status != AgentCanceled {
		return AgentRun{}, NotAllowedf(
			"The run has already ended (%s); only queued and running runs can be canceled", r.Status)
	}
	r, err = db.AgentRunByID(ctx, s.db.Read, id)
	if err != nil {
		return AgentRun{}, notFoundAs(err, ResourceAgentRun)
	}
	return s.agentRunView(a, v, r), nil
}

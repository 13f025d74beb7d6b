package forge

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cairn-forge/cairn/db"
	"github.com/cairn-forge/cairn/forge/process"
)

// ExternalAgent is a command the administrator registered as an agent. It runs as the
// server's user in a temporary checkout of the run's commit, so whoever may start it (the
// developers of any project) can make it run on their code: register only commands that
// are safe to run on anyone's code.
type ExternalAgent struct {
	Name string
	// Command is run with sh -c.
	Command string
	// Description is shown in the list of agents.
	Description string
	// Timeout bounds a run, instead of Config.AgentTimeout, when positive.
	Timeout time.Duration
}

var agentNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// ParseExternalAgent reads NAME=COMMAND, the form of --agent.
func ParseExternalAgent(s string) (ExternalAgent, error) {
	name, command, ok := strings.Cut(s, "=")
	name, command = strings.TrimSpace(name), strings.TrimSpace(command)
	switch {
	case !ok || name == "" || command == "":
		return ExternalAgent{}, fmt.Errorf("want NAME=COMMAND (as in lint=./lint.sh), not %q", s)
	case !agentNameRE.MatchString(name):
		return ExternalAgent{}, fmt.Errorf("agent name %q: use lower-case letters, digits, '-' and '_'", name)
	}
	if _, builtin := builtinByName(name); builtin {
		return ExternalAgent{}, fmt.Errorf("agent name %q is taken by a built-in agent", name)
	}
	return ExternalAgent{Name: name, Command: command}, nil
}

// String is the agent's name.
func (e ExternalAgent) String() string { return e.Name }

func (e ExternalAgent) agent() Agent {
	d := e.Description
	if d == "" {
		d = "An agent the administrator configured: a command run in a checkout of the ref, taking any parameters."
	}
	return Agent{Name: e.Name, Description: d, On: AgentOnRef}
}

func (s *Service) externalAgent(name string) (ExternalAgent, bool) {
	for _, e := range s.cfg.Agents {
		if e.Name == name {
			return e, true
		}
	}
	return ExternalAgent{}, false
}

// runExternalAgent checks out the run's commit and runs the agent's command there: the
// parameters on its standard input as a JSON object and in its environment, its standard
// output read as the protocol of agentProtocol, its standard error kept as log lines.
func (s *Service) runExternalAgent(ctx context.Context, e ExternalAgent, j *agentJob) error {
	dir, remove, err := s.checkout(ctx, j.project.ID, j.commit(), s.cfg.AgentDir, "cairn-agent-")
	if err != nil {
		return err
	}
	defer remove()
	out := &agentProtocol{job: j}
	key := s.randomSecret(10)
	started := func(pid int) {
		if err := db.SetAgentRunProcess(ctx, s.db.Writer(), j.run.ID, strconv.Itoa(pid)+" "+key); err != nil {
			s.log.Warn("record an agent's process", "agent_run_id", j.run.ID, "err", err)
		}
	}
	end := s.runner.Run(ctx, process.Command{
		Args:    []string{"sh", "-c", e.Command},
		Dir:     dir,
		Env:     append(agentEnv(j), "CAIRN_RUN_KEY="+key),
		Stdin:   strings.NewReader(j.run.Params + "\n"),
		Stdout:  out,
		Stderr:  j.log,
		Started: started,
	})
	out.Close()
	if err := db.SetAgentRunProcess(context.WithoutCancel(ctx), s.db.Writer(), j.run.ID, ""); err != nil {
		s.log.Warn("record an agent's process", "agent_run_id", j.run.ID, "err", err)
	}
	switch {
	case end.Stopped:
		return ctx.Err()
	case end.Err != nil:
		return fmt.Errorf("the agent's command %s", end.Describe())
	}
	return nil
}

// agentEnv is the environment of an external agent: the server's without CAIRN_*, then
// what describes the run, then each scalar parameter as CAIRN_PARAM_<NAME>.
func agentEnv(j *agentJob) []string {
	r := j.run
	env := append(serverEnv(), "CAIRN_AGENT="+r.Agent, "CAIRN_RUN_ID="+strconv.FormatInt(r.ID, 10),
		"CAIRN_PROJECT_ID="+strconv.FormatInt(r.ProjectID, 10), "CAIRN_PROJECT_PATH="+j.project.FullPath(),
		"CAIRN_REF="+r.Ref, "CAIRN_SHA="+r.SHA, "CAIRN_PARAMS="+r.Params)
	if r.MergeRequestIID != 0 {
		env = append(env, "CAIRN_MERGE_REQUEST_IID="+strconv.FormatInt(r.MergeRequestIID, 10))
	}
	for name, raw := range j.params {
		if !paramEnvName.MatchString(name) {
			continue
		}
		var v any
		if json.Unmarshal(raw, &v) != nil {
			continue
		}
		switch v := v.(type) {
		case string:
			env = append(env, "CAIRN_PARAM_"+strings.ToUpper(name)+"="+v)
		case float64, bool:
			env = append(env, "CAIRN_PARAM_"+strings.ToUpper(name)+"="+string(raw))
		}
	}
	return env
}

var paramEnvName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)

// Bounds of what an external agent reports.
const (
	maxProtocolLine   = 64 << 10
	maxFindingMessage = 4096
	maxFindingPath    = 1024
)

// agentProtocol reads an external agent's standard output, one JSON object a line:
//
//	{"type": "log", "message": "scanning 12 files"}
//	{"type": "finding", "path": "a.go", "line": 3, "severity": "warning", "rule": "todo", "message": "..."}
//	{"type": "result", "result": {...}}
//
// Any other line (not JSON, or of another type) is kept in the log as it is.
type agentProtocol struct {
	job     *agentJob
	partial []byte
}

func (p *agentProtocol) Write(b []byte) (int, error) {
	n := len(b)
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			p.partial = append(p.partial, b...)
			if len(p.partial) > maxProtocolLine {
				p.line(p.partial)
				p.partial = p.partial[:0]
			}
			break
		}
		p.partial = append(p.partial, b[:i]...)
		p.line(p.partial)
		p.partial = p.partial[:0]
		b = b[i+1:]
	}
	return n, nil
}

// Close handles a last line without its newline.
func (p *agentProtocol) Close() {
	if len(p.partial) > 0 {
		p.line(p.partial)
		p.partial = nil
	}
}

type protocolMessage struct {
	Type     string          `json:"type"`
	Message  string          `json:"message"`
	Path     string          `json:"path"`
	Line     int             `json:"line"`
	Severity string          `json:"severity"`
	Rule     string          `json:"rule"`
	Result   json.RawMessage `json:"result"`
}

func (p *agentProtocol) line(b []byte) {
	var m protocolMessage
	trimmed := bytes.TrimSpace(b)
	if len(trimmed) == 0 || trimmed[0] != '{' || json.Unmarshal(trimmed, &m) != nil {
		p.job.log.Write(append(b, '\n'))
		return
	}
	switch m.Type {
	case "log":
		p.job.log.Write([]byte(m.Message + "\n"))
	case "finding":
		f := AgentFinding{Path: clip(m.Path, maxFindingPath), Line: max(m.Line, 0), Severity: m.Severity,
			Rule: clip(m.Rule, 255), Message: clip(m.Message, maxFindingMessage)}
		if !validSeverity(f.Severity) {
			f.Severity = SeverityWarning
		}
		if strings.TrimSpace(f.Message) == "" {
			p.job.log.note("a finding without a message was ignored: %s", clip(string(trimmed), 200))
			return
		}
		p.job.find(f)
	case "result":
		if len(m.Result) > 0 {
			p.job.setResult(m.Result)
		}
	default:
		p.job.log.Write(append(b, '\n'))
	}
}

func validSeverity(s string) bool {
	switch s {
	case SeverityInfo, SeverityWarning, SeverityError, SeverityCritical:
		return true
	}
	return false
}

// clip cuts s to at most n bytes, on a character boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// killLeftover kills what is left of an external agent's process group after the server
// that ran it died: leftover is the run's "PID KEY", and the group is killed only if its
// leader still has CAIRN_RUN_KEY=KEY in its environment.
func (s *Service) killLeftover(leftover string) bool {
	pid, key, ok := strings.Cut(leftover, " ")
	n, err := strconv.Atoi(pid)
	if !ok || err != nil || key == "" {
		return false
	}
	return s.runner.KillLeftover(n, "CAIRN_RUN_KEY="+key)
}

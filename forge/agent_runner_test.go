package forge

import (
	"context"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/cairn-forge/cairn/db"
	"github.com/cairn-forge/cairn/forge/process"
	"github.com/cairn-forge/cairn/gitstore"
)

// slowRunner is a process.Runner whose commands take a while, then say "done".
type slowRunner struct{ d time.Duration }

func (r slowRunner) Run(ctx context.Context, c process.Command) process.End {
	select {
	case <-time.After(r.d):
		_, err := io.WriteString(c.Stdout, "done\n")
		return process.End{Err: err}
	case <-ctx.Done():
		return process.End{Stopped: true}
	}
}

func (slowRunner) KillLeftover(int, string) bool { return false }

// A run that lasts longer than the time its last writes may take still gets them: that
// bound starts when the run ends, not when it starts.
func TestALongRunIsFinished(t *testing.T) {
	defer func(d time.Duration) { agentFinishTimeout = d }(agentFinishTimeout)
	agentFinishTimeout = 200 * time.Millisecond
	ctx := context.Background()
	dir := t.TempDir()
	d, err := db.Open(ctx, filepath.Join(dir, "cairn.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	store, err := gitstore.New(filepath.Join(dir, "repositories"))
	if err != nil {
		t.Fatal(err)
	}
	s := New(d, store,
		Config{PasswordCost: 4, Agents: []ExternalAgent{{Name: "slow", Command: "sleep 0.6; echo done"}}},
		Options{Runner: slowRunner{600 * time.Millisecond}})
	defer s.Close()
	if _, err := s.Accounts.EnsureRoot(ctx, "root-token"); err != nil {
		t.Fatal(err)
	}
	root, err := s.Access.Authenticate(ctx, "root-token", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	name := "p"
	if _, err := s.Projects.CreateProject(ctx, root, ProjectInput{Name: &name, InitializeWithReadme: true},
		0); err != nil {
		t.Fatal(err)
	}
	r, err := s.Agents.CreateAgentRun(ctx, root, AgentRunInput{Repository: "root/p", Agent: "slow"})
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); !finalAgentStatus(r.Status); {
		if time.Now().After(deadline) {
			t.Fatalf("the run is still %s", r.Status)
		}
		time.Sleep(20 * time.Millisecond)
		if r, err = s.Agents.GetAgentRun(ctx, root, r.ID); err != nil {
			t.Fatal(err)
		}
	}
	l, _ := s.Agents.GetAgentRunLog(ctx, root, r.ID)
	if r.Status != AgentSucceeded || l.Log == "" {
		t.Errorf("run: %s (%s), log %q", r.Status, r.Reason, l.Log)
	}
}

//go:build unix

// These tests run real commands with sh through process.Exec, end to end: real pipes, exit
// statuses and time limits, and processes stopped with what they started. The rest of the
// agent runner is tested through a fake runner, without a shell (runner_test.go).

package forge_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cairn-forge/cairn/db"
	"github.com/cairn-forge/cairn/forge"
	"golang.org/x/crypto/bcrypt"
)

func TestExternalAgentStreamsLogsFindingsAndResult(t *testing.T) {
	script, _ := filepath.Abs("testdata/agents/report.sh")
	f := newAgentFixture(t, forge.Config{Agents: []forge.ExternalAgent{{Name: "todo", Command: script}}})
	f.project("todo", map[string]string{"a.go": "package a\n// TODO: one\n", "b.txt": "fine\nTODO two\n"})
	r := f.run(
		forge.AgentRunInput{Repository: "root/todo", Agent: "todo", Params: json.RawMessage(`{"greeting": "hello"}`)})
	if r.Status != forge.AgentSucceeded {
		t.Fatalf("run: %s (%s)\n%s", r.Status, r.Reason, f.log(r.ID))
	}
	if got := findingKeys(r.Findings); strings.Join(got, " ") != "a.go:2:warning:todo b.txt:2:warning:todo" {
		t.Errorf("findings = %v", got)
	}
	log := f.log(r.ID)
	for _, want := range []string{"report agent on root/todo at main\n", `params on stdin: {"greeting":"hello"}`,
		"greeting parameter: hello\n", "stderr works too\n", "[cairn] the agent succeeded\n"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	if string(r.Result) != `{"checked":true}` {
		t.Errorf("result = %s", r.Result)
	}
}

func TestExternalAgentFailsTimesOutAndCancels(t *testing.T) {
	sleeper, _ := filepath.Abs("testdata/agents/sleep.sh")
	failer, _ := filepath.Abs("testdata/agents/fail.sh")
	f := newAgentFixture(t, forge.Config{AgentWorkers: 2, Agents: []forge.ExternalAgent{
		{Name: "sleepy", Command: sleeper},
		{Name: "quick-sleepy", Command: sleeper, Timeout: 300 * time.Millisecond},
		{Name: "broken", Command: failer},
	}})
	f.project("p", map[string]string{"README.md": "# p\n"})

	failed := f.run(forge.AgentRunInput{Repository: "root/p", Agent: "broken"})
	if failed.Status != forge.AgentFailed || !strings.Contains(failed.Reason, "exit status 3") ||
		!strings.Contains(f.log(failed.ID), "something went wrong") {
		t.Errorf("broken: %s (%s)", failed.Status, failed.Reason)
	}

	timedOut := f.run(forge.AgentRunInput{Repository: "root/p", Agent: "quick-sleepy"})
	if timedOut.Status != forge.AgentTimedOut || !strings.Contains(timedOut.Reason, "ran out of time (300ms)") {
		t.Errorf("quick-sleepy: %s (%s)", timedOut.Status, timedOut.Reason)
	}

	ctx := context.Background()
	r, err := f.forge.Agents.CreateAgentRun(ctx, f.root, forge.AgentRunInput{Repository: "root/p", Agent: "sleepy"})
	if err != nil {
		t.Fatal(err)
	}
	f.waitStatus(r.ID, forge.AgentRunning)
	var child int
	for deadline := time.Now().Add(10 * time.Second); child == 0; {
		for _, line := range strings.Split(f.log(r.ID), "\n") {
			if rest, ok := strings.CutPrefix(line, "child "); ok {
				_ = json.Unmarshal([]byte(rest), &child)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the agent did not start its child:\n%s", f.log(r.ID))
		}
		time.Sleep(10 * time.Millisecond)
	}
	start := time.Now()
	c, err := f.forge.Agents.CancelAgentRun(ctx, f.root, r.ID)
	if err != nil || c.Status != forge.AgentCanceled || c.FinishedAt == nil {
		t.Fatalf("cancel: %+v, %v", c, err)
	}
	for !gone(child) {
		if time.Since(start) > time.Second {
			t.Fatalf("the agent's child %d still runs 1s after the cancel", child)
		}
		time.Sleep(10 * time.Millisecond)
	}
	final := f.wait(r.ID)
	if final.Status != forge.AgentCanceled || !strings.Contains(final.Reason, "canceled by root") {
		t.Errorf("after cancel: %s (%s)", final.Status, final.Reason)
	}
	if _, err := f.forge.Agents.CancelAgentRun(ctx, f.root, r.ID); err != nil {
		t.Errorf("canceling again: %v", err)
	}
	if _, err := f.forge.Agents.CancelAgentRun(ctx, f.root, failed.ID); forge.ErrorCode(err) != forge.ENotAllowed {
		t.Errorf("canceling a failed run: %v", err)
	}
}

// A process that died left one built-in run running, one external run running and one run
// queued: at the next start the built-in one runs again, the external one fails with the
// reason, and the queued one runs.
func TestAgentRunsLeftByACrashAreRecoveredAtStart(t *testing.T) {
	ctx := context.Background()
	sleeper, _ := filepath.Abs("testdata/agents/sleep.sh")
	cfg := forge.Config{Agents: []forge.ExternalAgent{{Name: "sleepy", Command: sleeper}}}
	d, store, _ := openData(t)
	cfg.PasswordCost = bcrypt.MinCost
	setup := forge.New(d, store, cfg, forge.Options{})
	if _, err := setup.Accounts.EnsureRoot(ctx, "root-token"); err != nil {
		t.Fatal(err)
	}
	root, err := setup.Access.Authenticate(ctx, "root-token", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	name := "p"
	if _, err := setup.Projects.CreateProject(ctx, root,
		forge.ProjectInput{Name: &name, InitializeWithReadme: true}, 0); err != nil {
		t.Fatal(err)
	}
	setup.Close()
	// What the dead process left, written as it would have: queued rows, two claimed.
	repo, _ := store.OpenRepo(1)
	head, _, _ := repo.Reference("refs/heads/main")
	repo.Close()
	now := time.Now()
	for _, agent := range []string{"stats", "sleepy", "secret-scan"} {
		if _, err := db.InsertAgentRun(ctx, d.Writer(), db.AgentRun{ProjectID: 1, Agent: agent, Ref: "main",
			SHA: head.String(), Params: "{}", User: forge.User{ID: 1}, CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 {
		if _, ok, err := db.ClaimAgentRun(ctx, d.Writer(), now); err != nil || !ok {
			t.Fatal(ok, err)
		}
	}

	f := &agentFixture{t: t, db: d, repos: store, forge: forge.New(d, store, cfg, forge.Options{})}
	t.Cleanup(f.forge.Close)
	if err := f.forge.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	f.root, _ = f.forge.Access.Authenticate(ctx, "root-token", "127.0.0.1")
	stats, ext, scan := f.wait(1), f.wait(2), f.wait(3)
	if stats.Status != forge.AgentSucceeded || stats.Attempts != 2 ||
		!strings.Contains(f.log(1), "cairn stopped while the agent ran; the run is queued again") {
		t.Errorf("stats: %s after %d attempts\n%s", stats.Status, stats.Attempts, f.log(1))
	}
	if ext.Status != forge.AgentFailed || !strings.Contains(ext.Reason, "cairn stopped while the external agent ran") {
		t.Errorf("external: %s (%s)", ext.Status, ext.Reason)
	}
	if scan.Status != forge.AgentSucceeded || scan.Attempts != 1 {
		t.Errorf("queued: %s after %d attempts", scan.Status, scan.Attempts)
	}
}

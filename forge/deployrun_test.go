//go:build unix

package forge_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cairn-forge/cairn/forge"
)

// gone reports whether process pid has ended (a zombie waiting for its reaper counts).
func gone(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return errors.Is(err, os.ErrNotExist)
	}
	// The state follows the command name in parentheses: "123 (sleep) Z ...".
	rest := string(stat[strings.LastIndexByte(string(stat), ')')+1:])
	return strings.HasPrefix(strings.TrimSpace(rest), "Z")
}

// readPID waits for a command to write its pid to pidFile: the shell creates the file
// before echo fills it.
func readPID(t *testing.T, pidFile string) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		data, err := os.ReadFile(pidFile)
		if err == nil && strings.HasSuffix(string(data), "\n") {
			pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
			if err != nil {
				t.Fatalf("pid file %q: %v", data, err)
			}
			return pid
		}
		if time.Now().After(deadline) {
			t.Fatalf("the command wrote no pid: %q, %v", data, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitGone fails unless the process whose pid is in pidFile ends within a few seconds.
func waitGone(t *testing.T, pidFile string) {
	t.Helper()
	pid := readPID(t, pidFile)
	deadline := time.Now().Add(5 * time.Second)
	for !gone(pid) {
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("process %d outlived its deployment", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A command configured for staging runs once per deployment, in a checkout of the
// deployment's commit, with the deployment's description and variables in its environment,
// and moves it to success; many deployments created at once each run exactly once.
func TestDeployCommandRunsOncePerDeployment(t *testing.T) {
	runs := filepath.Join(t.TempDir(), "runs")
	h := newDelivery(t, forge.Config{DeployWorkers: 3, DeployCommands: []forge.DeployCommand{{
		Scope: "root/app", Environment: "staging",
		Command: `test -f README.md && test "$CAIRN_PROJECT_PATH" = root/app && test -n "$CAIRN_PROJECT_ID" && ` +
			`echo "$CAIRN_DEPLOYMENT_ID $CAIRN_DEPLOY_SHA $CAIRN_DEPLOY_REF $CAIRN_DEPLOY_ENVIRONMENT $CAIRN_VAR_REGION" >> ` + runs +
			` && echo "deployed to $CAIRN_VAR_REGION with PATH $CAIRN_VAR_PATH"`,
	}}})
	ctx := context.Background()
	const n = 8
	ids := make([]int64, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := h.forge.CreateDeployment(ctx, h.root, h.proj.FullPath(), forge.DeploymentInput{Environment: "staging", Ref: "main",
				Status: status("running"), Variables: map[string]string{"REGION": "eu-" + strconv.Itoa(i), "PATH": "/nowhere"}})
			if err != nil {
				errs <- err
				return
			}
			if d.Status != forge.DeploymentQueued || !d.Runner {
				errs <- fmt.Errorf("a new runner deployment is %s (runner %v)", d.Status, d.Runner)
			}
			ids[i] = d.ID
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	head := h.head()
	for i, id := range ids {
		d := waitFinal(t, h, id)
		if d.Status != forge.DeploymentSuccess || d.StartedAt == nil || d.FinishedAt == nil || d.QueuedAt == nil {
			t.Errorf("deployment %d: %+v\nlog:\n%s", id, d, deployLog(t, h, id))
		}
		if log := deployLog(t, h, id); !strings.Contains(log, fmt.Sprintf("deployed to eu-%d with PATH /nowhere\n", i)) ||
			!strings.Contains(log, "[cairn] the deploy command succeeded") {
			t.Errorf("log of deployment %d:\n%s", id, log)
		}
	}
	data, err := os.ReadFile(runs)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	var seen []string
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) != 5 || f[1] != head || f[2] != "main" || f[3] != "staging" || !strings.HasPrefix(f[4], "eu-") {
			t.Errorf("run line %q", l)
		}
		seen = append(seen, f[0])
	}
	var want []string
	for _, id := range ids {
		want = append(want, strconv.FormatInt(id, 10))
	}
	sort.Strings(seen)
	sort.Strings(want)
	if !equalStrings(seen, want) {
		t.Errorf("runs %v, want each of %v once", seen, want)
	}
	// The statuses of a command's deployments are its own: only canceling is left to clients.
	_, err = h.forge.UpdateDeploymentStatus(ctx, h.root, h.proj.FullPath(), ids[0], "failed")
	wantCode(t, err, forge.EInvalid)
	// Other environments have no command: their deployments wait for the API.
	d, err := h.forge.CreateDeployment(ctx, h.root, h.proj.FullPath(), forge.DeploymentInput{Environment: "production", Ref: "main"})
	if err != nil || d.Status != forge.DeploymentCreated || d.Runner {
		t.Errorf("production deployment: %+v, %v", d, err)
	}
	// Nor have other projects: the command is bound to root/app's staging.
	other, err := h.forge.CreateProject(ctx, h.root, forge.ProjectInput{Name: name("other"), InitializeWithReadme: true}, 0)
	if err != nil {
		t.Fatal(err)
	}
	d, err = h.forge.CreateDeployment(ctx, h.root, other.FullPath(), forge.DeploymentInput{Environment: "staging", Ref: "main"})
	if err != nil || d.Status != forge.DeploymentCreated || d.Runner {
		t.Errorf("another project's staging deployment: %+v, %v", d, err)
	}
}

// A command that fails fails its deployment; one that hangs is killed at the time limit,
// with everything it started, and fails its deployment.
func TestDeployCommandFailuresAndTimeouts(t *testing.T) {
	tmp := t.TempDir()
	hangPID := filepath.Join(tmp, "hang.pid")
	h := newDelivery(t, forge.Config{DeployTimeout: 500 * time.Millisecond, DeployCommands: []forge.DeployCommand{
		{Scope: "*", Environment: "broken", Command: "echo oops; exit 1"},
		{Scope: "*", Environment: "hang", Command: "sleep 600 & echo $! > " + hangPID + "; wait"},
		{Scope: "root/*", Environment: "chatty", Command: "yes | head -c 3000000; echo; echo done"},
	}})
	ctx := context.Background()
	create := func(env string) forge.Deployment {
		d, err := h.forge.CreateDeployment(ctx, h.root, h.proj.FullPath(), forge.DeploymentInput{Environment: env, Ref: "main"})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	broken := create("broken")
	start := time.Now()
	hang := create("hang")
	chatty := create("chatty")

	if d := waitFinal(t, h, broken.ID); d.Status != forge.DeploymentFailed {
		t.Errorf("broken: %s", d.Status)
	}
	if log := deployLog(t, h, broken.ID); !strings.Contains(log, "oops\n") || !strings.Contains(log, "[cairn] the deploy command failed: exit status 1") {
		t.Errorf("broken's log:\n%s", log)
	}
	if d := waitFinal(t, h, hang.ID); d.Status != forge.DeploymentFailed {
		t.Errorf("hang: %s", d.Status)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("the hanging command was stopped after %v", took)
	}
	if log := deployLog(t, h, hang.ID); !strings.Contains(log, "ran out of time (500ms)") {
		t.Errorf("hang's log:\n%s", log)
	}
	waitGone(t, hangPID)
	if d := waitFinal(t, h, chatty.ID); d.Status != forge.DeploymentSuccess {
		t.Errorf("chatty: %s", d.Status)
	}
	l, err := h.forge.GetDeploymentLog(ctx, h.root, h.proj.FullPath(), chatty.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !l.Truncated || len(l.Text) > 1<<20+1024 || !strings.HasSuffix(l.Text, "[cairn] the deploy command succeeded\n") {
		t.Errorf("chatty's log: %d bytes, truncated %v, ends %q", len(l.Text), l.Truncated, l.Text[max(0, len(l.Text)-80):])
	}
}

// Canceling a running deployment kills its command; closing the service stops the commands
// still running and fails their deployments.
func TestDeployCommandCancelAndShutdown(t *testing.T) {
	tmp := t.TempDir()
	pidFile := func(env string) string { return filepath.Join(tmp, env+".pid") }
	h := newDelivery(t, forge.Config{DeployCommands: []forge.DeployCommand{
		{Scope: "root/app", Environment: "slow", Command: "sleep 600 & echo $! > " + pidFile("slow") + "; wait"},
		{Scope: "root/app", Environment: "slow2", Command: "sleep 600 & echo $! > " + pidFile("slow2") + "; wait"},
	}})
	ctx := context.Background()
	d, err := h.forge.CreateDeployment(ctx, h.root, h.proj.FullPath(), forge.DeploymentInput{Environment: "slow", Ref: "main"})
	if err != nil {
		t.Fatal(err)
	}
	waitStatus(t, h, d.ID, forge.DeploymentRunning)
	readPID(t, pidFile("slow"))
	got, err := h.forge.UpdateDeploymentStatus(ctx, h.root, h.proj.FullPath(), d.ID, "canceled")
	if err != nil || got.Status != forge.DeploymentCanceled {
		t.Fatalf("cancel: %+v, %v", got, err)
	}
	waitGone(t, pidFile("slow"))
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(deployLog(t, h, d.ID), "canceled; its processes were killed") {
		if time.Now().After(deadline) {
			t.Fatalf("log after cancel:\n%s", deployLog(t, h, d.ID))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := waitFinal(t, h, d.ID); got.Status != forge.DeploymentCanceled {
		t.Errorf("after the run: %s", got.Status)
	}

	d2, err := h.forge.CreateDeployment(ctx, h.root, h.proj.FullPath(), forge.DeploymentInput{Environment: "slow2", Ref: "main"})
	if err != nil {
		t.Fatal(err)
	}
	waitStatus(t, h, d2.ID, forge.DeploymentRunning)
	readPID(t, pidFile("slow2"))
	done := make(chan struct{})
	go func() { h.forge.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("Close did not return while a command ran")
	}
	waitGone(t, pidFile("slow2"))
	if got := waitFinal(t, h, d2.ID); got.Status != forge.DeploymentFailed {
		t.Errorf("a deployment running at shutdown ended %s", got.Status)
	}
	if log := deployLog(t, h, d2.ID); !strings.Contains(log, "cairn stopped while the deploy command ran") {
		t.Errorf("log:\n%s", log)
	}
}

// A deployment deleted while the runner claims it is either gone before the claim (its
// command never runs) or running, and then not deleted.
func TestDeletedDeploymentNeverRuns(t *testing.T) {
	runs := t.TempDir()
	h := newDelivery(t, forge.Config{DeployWorkers: 4, DeployCommands: []forge.DeployCommand{
		{Scope: "*", Environment: "staging", Command: `touch ` + runs + `/$CAIRN_DEPLOYMENT_ID; sleep 0.05`},
	}})
	ctx := context.Background()
	var deleted []int64
	for range 100 {
		d, err := h.forge.CreateDeployment(ctx, h.root, h.proj.FullPath(), forge.DeploymentInput{Environment: "staging", Ref: "main"})
		if err != nil {
			t.Fatal(err)
		}
		switch err := h.forge.DeleteDeployment(ctx, h.root, h.proj.FullPath(), d.ID); {
		case err == nil:
			deleted = append(deleted, d.ID)
		case forge.ErrorCode(err) != forge.EInvalid:
			t.Fatalf("delete: %v", err)
		}
	}
	h.forge.Close() // waits for the commands running
	for _, id := range deleted {
		if _, err := os.Stat(filepath.Join(runs, strconv.FormatInt(id, 10))); err == nil {
			t.Errorf("deployment %d was deleted, and its command ran", id)
		}
	}
	if len(deleted) == 0 {
		t.Log("every deployment was claimed before its deletion")
	}
}

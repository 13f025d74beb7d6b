//go:build unix

// These tests run real commands with sh through process.Exec, end to end: real pipes, exit
// statuses and time limits, and processes stopped with what they started. The rest of the
// deploy runner is tested through a fake runner, without a shell (runner_test.go).

package forge_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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
		d, err := h.forge.Delivery.CreateDeployment(ctx, h.root, forge.ParseRef(h.proj.FullPath()),
			forge.DeploymentInput{Environment: env, Ref: "main"})
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
	if log := deployLog(t, h, broken.ID); !strings.Contains(log, "oops\n") ||
		!strings.Contains(log, "[cairn] the deploy command failed: exit status 1") {
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
	l, err := h.forge.Delivery.GetDeploymentLog(ctx, h.root, forge.ParseRef(h.proj.FullPath()), chatty.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !l.Truncated || len(l.Text) > 1<<20+1024 ||
		!strings.HasSuffix(l.Text, "[cairn] the deploy command succeeded\n") {
		t.Errorf("chatty's log: %d bytes, truncated %v, ends %q", len(l.Text), l.Truncated,
			l.Text[max(0, len(l.Text)-80):])
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
	d, err := h.forge.Delivery.CreateDeployment(ctx, h.root, forge.ParseRef(h.proj.FullPath()),
		forge.DeploymentInput{Environment: "slow", Ref: "main"})
	if err != nil {
		t.Fatal(err)
	}
	waitStatus(t, h, d.ID, forge.DeploymentRunning)
	readPID(t, pidFile("slow"))
	got, err := h.forge.Delivery.UpdateDeploymentStatus(ctx, h.root, forge.ParseRef(h.proj.FullPath()), d.ID,
		"canceled")
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

	d2, err := h.forge.Delivery.CreateDeployment(ctx, h.root, forge.ParseRef(h.proj.FullPath()),
		forge.DeploymentInput{Environment: "slow2", Ref: "main"})
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

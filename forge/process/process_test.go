//go:build unix

package process_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cairn-forge/cairn/forge/process"
)

// TestRunEndsAsTheCommandDid checks each way a command ends, and that what it started in the
// background is killed with it.
func TestRunEndsAsTheCommandDid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name              string
		script            string
		timeout           time.Duration
		cancel            bool
		stopped, timedOut bool
		exitErr           bool
	}{
		{name: "succeeds", script: "echo $$"},
		{name: "fails", script: "echo $$; exit 3", exitErr: true},
		{name: "runs out of time", script: "sleep 60 & echo $!; wait", timeout: 200 * time.Millisecond, timedOut: true},
		{name: "is stopped", script: "sleep 60 & echo $!; wait", cancel: true, stopped: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var out bytes.Buffer
			started := 0
			c := process.Command{Args: []string{"sh", "-c", tt.script}, Stdout: &out, Timeout: tt.timeout,
				Started: func(pid int) { started = pid }}
			if tt.cancel {
				time.AfterFunc(200*time.Millisecond, cancel)
			}
			end := process.Exec{}.Run(ctx, c)
			var exit *exec.ExitError
			if end.Stopped != tt.stopped || end.TimedOut != tt.timedOut {
				t.Fatalf("ended %+v", end)
			}
			if !tt.stopped && !tt.timedOut && (errors.As(end.Err, &exit) != tt.exitErr ||
				(end.Err == nil) == tt.exitErr) {
				t.Errorf("ended with error %v", end.Err)
			}
			if started == 0 {
				t.Error("Started was not told the process id")
			}
			pid, err := strconv.Atoi(strings.TrimSpace(out.String()))
			if err != nil {
				t.Fatalf("output %q", out.String())
			}
			// The shell, or what it left in the background, is gone with the command.
			deadline := time.Now().Add(5 * time.Second)
			for !gone(pid) {
				if time.Now().After(deadline) {
					syscall.Kill(pid, syscall.SIGKILL)
					t.Fatalf("process %d outlived the command", pid)
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}

// TestKillLeftoverSparesProcessesWithoutTheMarker checks that a process id that does not carry
// the run's marker is left alone.
func TestKillLeftoverSparesProcessesWithoutTheMarker(t *testing.T) {
	t.Parallel()
	if (process.Exec{}).KillLeftover(syscall.Getpid(), "CAIRN_RUN_KEY=not-ours") {
		t.Fatal("killed a process without the marker")
	}
	if (process.Exec{}).KillLeftover(1, "CAIRN_RUN_KEY=x") {
		t.Fatal("killed init")
	}
}

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

// Package process runs commands for forge's deploy and agent runners: each in a process group
// of its own, with a time limit, killed with everything it started when it ends, runs out of
// time or is stopped. forge asks a Runner, so that its tests can run without a shell.
package process

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"time"
)

// Command is a command to run: argv, in Dir, with Env (the whole environment), Stdin (may be
// nil), where its output goes, and a time limit (none when 0).
type Command struct {
	Args           []string
	Dir            string
	Env            []string
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Timeout        time.Duration
	// Started, when set, is told the process's id (its group's too) once it runs.
	Started func(pid int)
}

// End is how a command ended.
type End struct {
	// Stopped: ctx ended first (canceled, or the server stopping); context.Cause(ctx) says why.
	Stopped bool
	// TimedOut: the time limit ended it.
	TimedOut bool
	// Err is nil when it exited with status 0; an *exec.ExitError for another status; or why
	// it could not run.
	Err error
}

// Describe says how a command that did not succeed ended, for a log.
func (e End) Describe() string {
	var exit *exec.ExitError
	if errors.As(e.Err, &exit) {
		return "failed: " + exit.ProcessState.String()
	}
	return fmt.Sprintf("could not run: %v", e.Err)
}

// Runner runs commands.
type Runner interface {
	// Run runs c and waits for it. When it ends, runs out of time or ctx ends, everything it
	// started is killed.
	Run(ctx context.Context, c Command) End
	// KillLeftover kills the process group led by pid, left by a server that died, if its
	// leader still has marker ("NAME=value") in its environment, so that a process id used
	// again since is left alone. It reports whether it killed it.
	KillLeftover(pid int, marker string) bool
}

// Exec is the Runner of the operating system's processes.
type Exec struct{}

// waitDelay bounds the wait for a command's output after its process ended (a child it left
// may hold the pipe open).
const waitDelay = 5 * time.Second

// Run runs c in a process group of its own and waits for it. When it ends, runs out of time
// or ctx ends, the whole group is killed.
func (Exec) Run(ctx context.Context, c Command) End {
	tctx, cancel := context.WithCancel(ctx)
	if c.Timeout > 0 {
		tctx, cancel = context.WithTimeout(ctx, c.Timeout)
	}
	defer cancel()
	cmd := exec.CommandContext(tctx, c.Args[0], c.Args[1:]...)
	cmd.Dir, cmd.Env, cmd.Stdin, cmd.Stdout, cmd.Stderr = c.Dir, c.Env, c.Stdin, c.Stdout, c.Stderr
	setProcessGroup(cmd)
	cmd.Cancel = func() error { return killProcessGroup(cmd) }
	cmd.WaitDelay = waitDelay
	err := cmd.Start()
	if err == nil {
		if c.Started != nil {
			c.Started(cmd.Process.Pid)
		}
		err = cmd.Wait()
	}
	if cmd.Process != nil {
		// What the command left running goes with it.
		_ = killProcessGroup(cmd)
	}
	switch {
	case ctx.Err() != nil:
		return End{Stopped: true, Err: err}
	case tctx.Err() != nil:
		return End{TimedOut: true, Err: err}
	case errors.Is(err, exec.ErrWaitDelay) && cmd.ProcessState != nil && cmd.ProcessState.Success():
		return End{}
	}
	return End{Err: err}
}

// KillLeftover kills process group pid if its leader's environment holds marker; where the
// environment cannot be read (no /proc), nothing is killed.
func (Exec) KillLeftover(pid int, marker string) bool {
	if pid <= 1 || marker == "" {
		return false
	}
	environ, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	if err != nil {
		return false
	}
	for _, kv := range bytes.Split(environ, []byte{0}) {
		if string(kv) == marker {
			return killGroup(pid) == nil
		}
	}
	return false
}

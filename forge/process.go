package forge

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
)

// What the deploy runner and the agent runner share: a temporary checkout of a commit, and
// a command run in it with a time limit, killed with everything it started when it ends,
// runs out of time or is stopped.

// maxRunLog bounds a stored log (of a deployment or an agent run); output past it is dropped.
const maxRunLog = 1 << 20

// processWaitDelay bounds the wait for a command's output after its process ended (a child
// it left may hold the pipe open).
const processWaitDelay = 5 * time.Second

// checkout writes commit h of project projectID to a new temporary directory under dir
// (the system's when empty), named after prefix; remove deletes it.
func (s *Service) checkout(ctx context.Context, projectID int64, h plumbing.Hash, dir, prefix string) (path string, remove func(), err error) {
	path, err = os.MkdirTemp(dir, prefix)
	if err != nil {
		return "", nil, fmt.Errorf("make a directory for the checkout: %w", err)
	}
	remove = func() {
		if err := os.RemoveAll(path); err != nil {
			s.log.Warn("remove a checkout", "dir", path, "err", err)
		}
	}
	repo, err := s.repos.OpenRepo(projectID)
	if err == nil {
		err = repo.Checkout(ctx, h, path)
		repo.Close()
	}
	if err != nil {
		remove()
		return "", nil, fmt.Errorf("check out %s: %w", h, err)
	}
	return path, remove, nil
}

// process is a command to run: argv, in dir, with env (the whole environment), stdin (may
// be nil), where its output goes, and a time limit (none when 0).
type process struct {
	Args           []string
	Dir            string
	Env            []string
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Timeout        time.Duration
	// Started, when set, is told the process's id (its group's too) once it runs.
	Started func(pid int)
}

// processEnd is how a process ended.
type processEnd struct {
	// Stopped: ctx ended first (canceled, or the server stopping); context.Cause(ctx) says why.
	Stopped bool
	// TimedOut: the time limit ended it.
	TimedOut bool
	// Err is nil when it exited with status 0; an *exec.ExitError for another status; or why
	// it could not run.
	Err error
}

// runProcess runs p in a process group of its own and waits for it. When it ends, runs out
// of time or ctx ends, the whole group is killed.
func runProcess(ctx context.Context, p process) processEnd {
	tctx, cancel := context.WithCancel(ctx)
	if p.Timeout > 0 {
		tctx, cancel = context.WithTimeout(ctx, p.Timeout)
	}
	defer cancel()
	cmd := exec.CommandContext(tctx, p.Args[0], p.Args[1:]...)
	cmd.Dir, cmd.Env, cmd.Stdin, cmd.Stdout, cmd.Stderr = p.Dir, p.Env, p.Stdin, p.Stdout, p.Stderr
	setProcessGroup(cmd)
	cmd.Cancel = func() error { return killProcessGroup(cmd) }
	cmd.WaitDelay = processWaitDelay
	err := cmd.Start()
	if err == nil {
		if p.Started != nil {
			p.Started(cmd.Process.Pid)
		}
		err = cmd.Wait()
	}
	if cmd.Process != nil {
		// What the command left running goes with it.
		_ = killProcessGroup(cmd)
	}
	switch {
	case ctx.Err() != nil:
		return processEnd{Stopped: true, Err: err}
	case tctx.Err() != nil:
		return processEnd{TimedOut: true, Err: err}
	case errors.Is(err, exec.ErrWaitDelay) && cmd.ProcessState != nil && cmd.ProcessState.Success():
		return processEnd{}
	}
	return processEnd{Err: err}
}

// describe says how a process that did not succeed ended, for a log.
func (e processEnd) describe() string {
	var exit *exec.ExitError
	if errors.As(e.Err, &exit) {
		return "failed: " + exit.ProcessState.String()
	}
	return fmt.Sprintf("could not run: %v", e.Err)
}

// serverEnv is the server's environment without cairn's own settings (CAIRN_*: the admin
// token may be among them), the base of every command's environment.
func serverEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CAIRN_") {
			env = append(env, kv)
		}
	}
	return env
}

// runLog collects a command's or an agent's output up to a limit, for a flusher to store.
type runLog struct {
	mu        sync.Mutex
	pending   []byte
	size      int
	truncated bool
}

// Write keeps what fits under maxRunLog and drops the rest; it never fails, so that a
// chatty command is not stopped by a full log.
func (l *runLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	room := maxRunLog - l.size
	keep := p
	if len(keep) > room {
		keep, l.truncated = keep[:max(room, 0)], true
	}
	l.pending = append(l.pending, keep...)
	l.size += len(keep)
	return len(p), nil
}

// note adds one of cairn's own lines, which the limit does not cut.
func (l *runLog) note(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.pending) > 0 && l.pending[len(l.pending)-1] != '\n' || len(l.pending) == 0 && l.size > 0 {
		l.pending = append(l.pending, '\n')
	}
	l.pending = append(l.pending, "[cairn] "+fmt.Sprintf(format, args...)+"\n"...)
}

// take returns what was written since the last take.
func (l *runLog) take() (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := string(l.pending)
	l.pending = l.pending[:0]
	return out, l.truncated
}

package forge

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/go-git/go-git/v5/plumbing"
)

// What the deploy runner and the agent runner share: a temporary checkout of a commit, the
// environment of the command run in it (by the service's process.Runner), and its log.

// maxRunLog bounds a stored log (of a deployment or an agent run); output past it is dropped.
const maxRunLog = 1 << 20

// checkout writes commit h of project projectID to a new temporary directory under dir
// (the system's when empty), named after prefix; remove deletes it.
func (s *Service) checkout(ctx context.Context, projectID int64, h plumbing.Hash,
	dir, prefix string) (path string, remove func(), err error) {
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

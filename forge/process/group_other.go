//go:build !unix

package process

import (
	"os"
	"os/exec"
)

// setProcessGroup does nothing where there are no process groups.
func setProcessGroup(*exec.Cmd) {}

// killProcessGroup kills the command's own process; without process groups, what it started
// may outlive it.
func killProcessGroup(cmd *exec.Cmd) error { return cmd.Process.Kill() }

// killGroup does nothing where there are no process groups.
func killGroup(int) error { return os.ErrProcessDone }

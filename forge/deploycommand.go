package forge

import (
	"fmt"
	"strings"
)

// DeployCommand is a shell command the server runs to deploy the projects of a scope to one
// environment. The command runs as the server's own user, so whoever can create a
// deployment in its scope can make it run with the server's privileges (on their commit and
// variables); the scope says whom the administrator trusts that far.
type DeployCommand struct {
	// Scope is a project's full path ("acme/web/site"), a namespace's full path followed by
	// "/*" (its projects and those of its subgroups), or "*" (every project).
	Scope string
	// Environment is the name of the environment it deploys to.
	Environment string
	// Command is run with sh -c in a checkout of the deployment's commit.
	Command string
}

// ParseDeployCommand reads SCOPE:ENVIRONMENT=COMMAND, the form of --deploy-command.
func ParseDeployCommand(s string) (DeployCommand, error) {
	key, command, ok := strings.Cut(s, "=")
	key, command = strings.TrimSpace(key), strings.TrimSpace(command)
	if !ok || key == "" || command == "" {
		return DeployCommand{}, fmt.Errorf(
			"want SCOPE:ENVIRONMENT=COMMAND (as in acme/site:staging=./deploy.sh), not %q", s)
	}
	i := strings.LastIndexByte(key, ':')
	if i < 0 {
		return DeployCommand{}, fmt.Errorf("%q names no projects: write PROJECT:%s, GROUP/*:%s or *:%s "+
			"(the command runs with the server's privileges for whoever may deploy to it)", s, key, key, key)
	}
	scope := strings.TrimSpace(key[:i])
	c := DeployCommand{Scope: strings.Trim(scope, "/"), Environment: strings.TrimSpace(key[i+1:]), Command: command}
	if ns, ok := strings.CutSuffix(scope, "/*"); ok {
		c.Scope = strings.Trim(ns, "/") + "/*"
	}
	switch {
	case c.Environment == "":
		return DeployCommand{}, fmt.Errorf("%q names no environment", s)
	case c.Scope == "" || c.Scope == "/*":
		return DeployCommand{}, fmt.Errorf("%q names no projects: write a project's path, GROUP/* or *", s)
	case c.Scope != "*" && strings.Contains(strings.TrimSuffix(c.Scope, "/*"), "*"):
		return DeployCommand{}, fmt.Errorf("%q: * may only stand alone or end a namespace's path (GROUP/*)", s)
	}
	return c, nil
}

// String is the command's SCOPE:ENVIRONMENT.
func (c DeployCommand) String() string { return c.Scope + ":" + c.Environment }

// specificity ranks how closely c's scope names project path, or -1 where it does not cover
// it: the project itself beats its namespaces (the nearer the better), which beat "*".
func (c DeployCommand) specificity(projectPath string) int {
	switch {
	case c.Scope == "*":
		return 0
	case strings.HasSuffix(c.Scope, "/*"):
		ns := strings.TrimSuffix(c.Scope, "/*")
		if len(projectPath) > len(ns) && strings.EqualFold(projectPath[:len(ns)], ns) && projectPath[len(ns)] == '/' {
			return 2 + strings.Count(ns, "/")
		}
	case strings.EqualFold(c.Scope, projectPath):
		return 1 << 20
	}
	return -1
}

// deployCommand returns the command that deploys project path to environment env, if the
// server has one: the one whose scope names the project most closely.
func (s *Service) deployCommand(projectPath, env string) (DeployCommand, bool) {
	best, rank := DeployCommand{}, -1
	for _, c := range s.cfg.DeployCommands {
		if c.Environment != env {
			continue
		}
		if r := c.specificity(projectPath); r > rank {
			best, rank = c, r
		}
	}
	return best, rank >= 0
}

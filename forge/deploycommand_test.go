package forge

import (
	"strings"
	"testing"
)

func TestParseDeployCommand(t *testing.T) {
	tests := []struct {
		in   string
		want DeployCommand
		err  string
	}{
		{"acme/site:staging=./deploy.sh", DeployCommand{"acme/site", "staging", "./deploy.sh"}, ""},
		{" acme/web/* : production = make deploy ENV=prod ",
			DeployCommand{"acme/web/*", "production", "make deploy ENV=prod"}, ""},
		{"*:review/app=echo hi", DeployCommand{"*", "review/app", "echo hi"}, ""},
		{"/acme/site/:staging=x", DeployCommand{"acme/site", "staging", "x"}, ""},
		{"/acme/web/*:staging=x", DeployCommand{"acme/web/*", "staging", "x"}, ""},
		{"staging=./deploy.sh", DeployCommand{}, "names no projects"},
		{":staging=x", DeployCommand{}, "names no projects"},
		{"/*:staging=x", DeployCommand{}, "names no projects"},
		{"acme/site:=x", DeployCommand{}, "names no environment"},
		{"acme/site:staging=", DeployCommand{}, "want SCOPE:ENVIRONMENT=COMMAND"},
		{"acme/site:staging", DeployCommand{}, "want SCOPE:ENVIRONMENT=COMMAND"},
		{"ac*me/site:staging=x", DeployCommand{}, "* may only"},
		{"acme/*/site:staging=x", DeployCommand{}, "* may only"},
	}
	for _, tt := range tests {
		got, err := ParseDeployCommand(tt.in)
		switch {
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("ParseDeployCommand(%q) = %+v, %v; want an error saying %q", tt.in, got, err, tt.err)
		case tt.err == "" && (err != nil || got != tt.want):
			t.Errorf("ParseDeployCommand(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

// The command of a project's deployment is the one whose scope names it most closely, and
// projects no scope names have none.
func TestDeployCommandScopes(t *testing.T) {
	s := &Service{cfg: Config{DeployCommands: []DeployCommand{
		{"*", "production", "everyone"},
		{"acme/*", "production", "acme"},
		{"acme/web/*", "production", "acme-web"},
		{"acme/web/site", "production", "site"},
		{"acme/*", "staging", "acme-staging"},
	}}}
	tests := []struct {
		project, env string
		want         string
	}{
		{"acme/web/site", "production", "site"},
		{"ACME/Web/Site", "production", "site"},
		{"acme/web/blog", "production", "acme-web"},
		{"acme/web/deep/blog", "production", "acme-web"},
		{"acme/tools", "production", "acme"},
		{"acmecorp/tools", "production", "everyone"},
		{"bob/tools", "production", "everyone"},
		{"acme/tools", "staging", "acme-staging"},
		{"acmecorp/tools", "staging", ""},
		{"acme", "staging", ""},
		{"acme/tools", "Staging", ""},
	}
	for _, tt := range tests {
		c, ok := s.deployCommand(tt.project, tt.env)
		if got := c.Command; ok != (tt.want != "") || got != tt.want {
			t.Errorf("deployCommand(%q, %q) = %q, %v; want %q", tt.project, tt.env, got, ok, tt.want)
		}
	}
}

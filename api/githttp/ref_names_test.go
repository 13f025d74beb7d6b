package githttp_test

import (
	"strings"
	"testing"

	"github.com/cairn-forge/cairn/server/servertest"
)

// TestPushRefusesRefNamesTheAPIRefuses pushes, with git itself, the names the branches and
// tags APIs refuse: each is rejected with its reason on a remote: line, and nothing moves.
func TestPushRefusesRefNamesTheAPIRefuses(t *testing.T) {
	t.Parallel()
	s := servertest.New(t)
	g := newGit(t)
	createProject(t, s, s.AdminToken, map[string]any{"name": "app", "initialize_with_readme": true})
	url := remote(s, "root/app", s.AdminToken)
	g.must("", "clone", "-q", url, "work")
	hex40 := strings.Repeat("0123456789", 4)
	tests := []struct {
		name, refspec, says string
	}{
		{"a branch starting with '-'", "HEAD:refs/heads/-x", `The branch name "-x" cannot start with '-'.`},
		{"a branch named by a commit id", "HEAD:refs/heads/" + hex40, "cannot be a 40-character hexadecimal name"},
		{"a branch named refs/tags/v0", "HEAD:refs/heads/refs/tags/v0",
			`The branch name "refs/tags/v0" cannot start with 'refs/'.`},
		{"a branch named HEAD", "HEAD:refs/heads/HEAD", "git reads it as HEAD"},
		{"a branch of 300 bytes", "HEAD:refs/heads/" + strings.Repeat("b", 300), "is too long (maximum is 255 bytes)"},
		{"a tag named HEAD", "HEAD:refs/tags/HEAD", `The tag name "HEAD" is reserved`},
		{"a tag starting with '-'", "HEAD:refs/tags/-v1", `The tag name "-v1" cannot start with '-'.`},
		{"a tag starting with a commit id", "HEAD:refs/tags/" + hex40 + "-v1",
			"cannot start with a 40-character hexadecimal name"},
		{"a tag named as the default branch", "HEAD:refs/tags/main",
			"You cannot use default branch name to create a tag."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := g.run("work", "push", url, tt.refspec)
			if err == nil || !strings.Contains(out, "remote: ") || !strings.Contains(out, tt.says) ||
				!strings.Contains(out, "[remote rejected]") {
				t.Fatalf("push %s: err=%v, output:\n%s", tt.refspec, err, out)
			}
		})
	}
	refs := strings.TrimSpace(g.must("", "ls-remote", url))
	if lines := strings.Split(refs, "\n"); len(lines) != 2 || !strings.HasSuffix(lines[0], "HEAD") ||
		!strings.HasSuffix(lines[1], "refs/heads/main") {
		t.Fatalf("refs after refused pushes:\n%s", refs)
	}
	// What git and the API take, a push takes.
	g.must("work", "push", url, "HEAD:refs/heads/feature/ünï-#1", "HEAD:refs/tags/v1.0.0-rc.1")
}

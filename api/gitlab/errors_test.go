package gitlab

import (
	"testing"

	"github.com/cairn-forge/cairn/forge"
)

// Every kind of resource forge can fail to find has GitLab's words, so that none is
// answered with forge's own name for it.
func TestEveryResourceNotFoundHasGitLabsWords(t *testing.T) {
	for _, r := range forge.Resources {
		if _, ok := notFound[r]; !ok {
			t.Errorf("no GitLab words for %q not found", r)
		}
	}
}

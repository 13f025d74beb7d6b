package gitstore

import (
	"errors"
	"fmt"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// BlameRange is a run of consecutive lines of a file last changed by one commit.
type BlameRange struct {
	Commit *Commit
	Lines  []string
}

// Blame attributes each line of file p at commit h to the commit that last changed it, as
// runs of consecutive lines. ErrPathNotFound when the commit has no such file.
func (r *Repo) Blame(h plumbing.Hash, p string) ([]BlameRange, error) {
	c, err := r.git.CommitObject(h)
	if err != nil {
		return nil, fmt.Errorf("read commit %s: %w", h, err)
	}
	res, err := git.Blame(c, p)
	if errors.Is(err, object.ErrFileNotFound) || errors.Is(err, object.ErrDirectoryNotFound) {
		return nil, fmt.Errorf("%s: %w", p, ErrPathNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("blame %s: %w", p, err)
	}
	commits := map[plumbing.Hash]*Commit{}
	var out []BlameRange
	for _, l := range res.Lines {
		if n := len(out); n > 0 && out[n-1].Commit.ID == l.Hash {
			out[n-1].Lines = append(out[n-1].Lines, l.Text)
			continue
		}
		bc, ok := commits[l.Hash]
		if !ok {
			if bc, err = r.Commit(l.Hash); err != nil {
				return nil, err
			}
			commits[l.Hash] = bc
		}
		out = append(out, BlameRange{Commit: bc, Lines: []string{l.Text}})
	}
	return out, nil
}

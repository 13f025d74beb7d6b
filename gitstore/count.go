package gitstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/go-git/go-git/v5/plumbing"
)

// PushSummary describes what a reference update brought: how many commits are reachable from
// the new value and not from the old (at most limit), and the newest commit's title.
type PushSummary struct {
	Commits int
	Title   string
}

// SummarizeUpdates summarizes the commits each update brought to the repository of project
// id, in the order given. For a new reference every commit reachable from its value counts,
// up to limit; an update to something other than a commit (a tag object, a deletion) brings
// none. The repository is opened once and each commit read at most once for the whole list,
// so a push of many references costs about what a push of one does: each count stops at
// limit, and what the counts share is read once.
func (s *Store) SummarizeUpdates(ctx context.Context, id int64, updates []RefUpdate, limit int) ([]PushSummary, error) {
	sums := make([]PushSummary, len(updates))
	if !s.Exists(id) {
		return sums, fmt.Errorf("summarize updates of repository %d: %w", id, ErrNotExist)
	}
	db, err := openObjectDB(filepath.Join(s.Path(id), "objects"))
	if err != nil {
		return sums, fmt.Errorf("summarize updates of repository %d: %w", id, err)
	}
	defer db.close()
	g := newGraph(db)
	var errs []error
	for i, u := range updates {
		if u.New.IsZero() {
			continue
		}
		typ, data, err := db.read(u.New)
		if err != nil {
			errs = append(errs, fmt.Errorf("summarize update of %s in repository %d: %w", u.Name, id, err))
			continue
		}
		if typ != plumbing.CommitObject {
			continue // a tag may point at something other than a commit: nothing to count
		}
		sums[i].Title = commitTitle(data)
		if sums[i].Commits, err = countNew(ctx, g, u.Old, u.New, limit); err != nil {
			errs = append(errs, fmt.Errorf("count commits of %s in repository %d: %w", u.Name, id, err))
			if ctx.Err() != nil {
				break
			}
		}
	}
	return sums, errors.Join(errs...)
}

// countNew counts the commits reachable from tip and not from old (when old is a commit of
// the repository), up to limit, newest first, as git rev-list --count --max-count does.
func countNew(ctx context.Context, g *graph, old, tip plumbing.Hash, limit int) (int, error) {
	start, err := g.commit(tip)
	if err != nil {
		return 0, err
	}
	w := g.newWalk(nil)
	w.limit = limit
	w.push(start, false)
	if !old.IsZero() {
		// An old value that is gone or not a commit excludes nothing.
		if base, err := g.commit(old); err == nil {
			w.push(base, true)
		}
	}
	list, _, err := w.run(ctx, 0)
	return len(list), err
}

// commitTitle returns the first line of a commit object's message.
func commitTitle(data []byte) string {
	if i := bytes.Index(data, []byte("\n\n")); i >= 0 {
		return firstLine(string(data[i+2:]))
	}
	return ""
}

func firstLine(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			return s[:i]
		}
	}
	return s
}

package forge

import (
	"bytes"
	"context"
	"math"
	"sort"
	"strings"

	"github.com/cairn-forge/cairn/gitstore"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
)

// statsResult is the result of a stats run.
type statsResult struct {
	Ref       string          `json:"ref"`
	SHA       string          `json:"sha"`
	Files     int             `json:"files"`
	TextFiles int             `json:"text_files"`
	Lines     int             `json:"lines"`
	Bytes     int64           `json:"bytes"`
	Languages []languageStat  `json:"languages"`
	Commits   int             `json:"commits"`
	FirstAt   string          `json:"first_commit_at,omitempty"`
	LastAt    string          `json:"last_commit_at,omitempty"`
	Authors   []contributor   `json:"contributors"`
	Activity  []monthActivity `json:"commit_activity"`
}

type languageStat struct {
	Name    string  `json:"name"`
	Bytes   int64   `json:"bytes"`
	Percent float64 `json:"percent"`
}

type contributor struct {
	Name    string `json:"name"`
	Email   string `json:"email"`
	Commits int    `json:"commits"`
}

type monthActivity struct {
	Month   string `json:"month"`
	Commits int    `json:"commits"`
}

// runStats counts the run's commit: its files and lines, its languages (as the languages
// API detects them), and its history's contributors and commits per month (author time,
// UTC).
func (s *Service) runStats(ctx context.Context, j *agentJob) error {
	repo, err := s.openJobRepo(j)
	if err != nil {
		return err
	}
	defer repo.Close()
	h := j.commit()
	res := statsResult{Ref: j.run.Ref, SHA: j.run.SHA, Languages: []languageStat{}}
	n := 0
	err = repo.WalkFiles(h, "", func(e gitstore.Entry) error {
		if n++; n&255 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		res.Files++
		if e.Mode == filemode.Symlink {
			return nil
		}
		content, err := repo.ReadBlob(e.Hash, 0)
		if err != nil {
			return err
		}
		res.Bytes += int64(len(content))
		if gitstore.IsBinary(content) {
			return nil
		}
		res.TextFiles++
		res.Lines += countLines(content)
		return nil
	})
	if err != nil {
		return err
	}
	sizes, err := repo.Languages(ctx, h)
	if err != nil {
		return err
	}
	var total int64
	for _, b := range sizes {
		total += b
	}
	for name, b := range sizes {
		res.Languages = append(res.Languages, languageStat{Name: name, Bytes: b,
			Percent: math.Round(float64(b)*10000/float64(total)) / 100})
	}
	sort.Slice(res.Languages, func(a, b int) bool {
		if res.Languages[a].Bytes != res.Languages[b].Bytes {
			return res.Languages[a].Bytes > res.Languages[b].Bytes
		}
		return res.Languages[a].Name < res.Languages[b].Name
	})
	commits, err := repo.Log(ctx, gitstore.LogOptions{Include: []plumbing.Hash{h}})
	if err != nil {
		return err
	}
	res.Commits = len(commits)
	type key struct{ name, email string }
	authors := map[key]int{}
	months := map[string]int{}
	for i, c := range commits {
		authors[key{c.Author.Name, strings.ToLower(c.Author.Email)}]++
		when := c.Author.When.UTC()
		months[when.Format("2006-01")]++
		stamp := when.Format("2006-01-02T15:04:05Z")
		if i == 0 || stamp > res.LastAt {
			res.LastAt = stamp
		}
		if i == 0 || stamp < res.FirstAt {
			res.FirstAt = stamp
		}
	}
	res.Authors = make([]contributor, 0, len(authors))
	for k, n := range authors {
		res.Authors = append(res.Authors, contributor{Name: k.name, Email: k.email, Commits: n})
	}
	sort.Slice(res.Authors, func(a, b int) bool {
		x, y := res.Authors[a], res.Authors[b]
		if x.Commits != y.Commits {
			return x.Commits > y.Commits
		}
		if x.Name != y.Name {
			return x.Name < y.Name
		}
		return x.Email < y.Email
	})
	res.Activity = make([]monthActivity, 0, len(months))
	for m, n := range months {
		res.Activity = append(res.Activity, monthActivity{Month: m, Commits: n})
	}
	sort.Slice(res.Activity, func(a, b int) bool { return res.Activity[a].Month < res.Activity[b].Month })
	j.logf("%d files (%d of text, %d lines, %d bytes), %d languages, %d commits by %d contributors",
		res.Files, res.TextFiles, res.Lines, res.Bytes, len(res.Languages), res.Commits, len(res.Authors))
	for _, l := range res.Languages {
		j.logf("  %-20s %6.2f%% (%d bytes)", l.Name, l.Percent, l.Bytes)
	}
	j.setResult(res)
	return nil
}

// countLines counts lines as wc -l would, plus a last line without its newline.
func countLines(b []byte) int {
	n := bytes.Count(b, []byte{'\n'})
	if len(b) > 0 && b[len(b)-1] != '\n' {
		n++
	}
	return n
}

package forge

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/cairn-forge/cairn/db"
	"github.com/cairn-forge/cairn/gitstore"
	"github.com/go-git/go-git/v5/plumbing"
)

// releaseSection is a heading of release notes and the conventional-commit types under it,
// in the order the notes list them.
var releaseSections = []struct {
	title string
	types []string
}{
	{"Breaking changes", nil},
	{"Features", []string{"feat", "feature"}},
	{"Bug fixes", []string{"fix", "bugfix"}},
	{"Performance", []string{"perf"}},
	{"Security", []string{"security", "sec"}},
	{"Refactoring", []string{"refactor"}},
	{"Documentation", []string{"docs", "doc"}},
	{"Tests", []string{"test", "tests"}},
	{"Build and CI", []string{"build", "ci"}},
	{"Reverts", []string{"revert"}},
	{"Chores", []string{"chore", "style"}},
	{"Other changes", nil},
}

// conventionalSubject reads "type(scope)!: description".
var conventionalSubject = regexp.MustCompile(`^([A-Za-z]+)(?:\(([^()]*)\))?(!)?:\s+(.+)$`)

// releaseEntry is one commit in the notes.
type releaseEntry struct {
	SHA          string `json:"sha"`
	Type         string `json:"type,omitempty"`
	Scope        string `json:"scope,omitempty"`
	Description  string `json:"description"`
	Breaking     bool   `json:"breaking,omitempty"`
	MergeRequest int64  `json:"merge_request,omitempty"`
}

type releaseNotesSection struct {
	Title   string         `json:"title"`
	Entries []releaseEntry `json:"entries"`
}

// releaseNotesResult is the result of a release-notes run.
type releaseNotesResult struct {
	From     string                `json:"from"`
	FromSHA  string                `json:"from_sha"`
	To       string                `json:"to"`
	ToSHA    string                `json:"to_sha"`
	Commits  int                   `json:"commits"`
	Sections []releaseNotesSection `json:"sections"`
	Notes    string                `json:"notes"`
	Release  *releaseCreated       `json:"release,omitempty"`
}

type releaseCreated struct {
	TagName string `json:"tag_name"`
	Name    string `json:"name"`
}

// parseConventional splits a commit message into its conventional-commit parts; a subject
// that is not one is type "".
func parseConventional(c *gitstore.Commit) releaseEntry {
	e := releaseEntry{SHA: c.ID.String(), Description: c.Title()}
	if m := conventionalSubject.FindStringSubmatch(e.Description); m != nil {
		e.Type, e.Scope, e.Breaking, e.Description = strings.ToLower(m[1]), m[2], m[3] == "!", m[4]
	}
	for _, line := range strings.Split(c.Message, "\n") {
		if strings.HasPrefix(line, "BREAKING CHANGE:") || strings.HasPrefix(line, "BREAKING-CHANGE:") {
			e.Breaking = true
		}
	}
	return e
}

// runReleaseNotes drafts notes for the commits after "from" up to the run's commit.
func (s *Service) runReleaseNotes(ctx context.Context, j *agentJob) error {
	repo, err := s.openJobRepo(j)
	if err != nil {
		return err
	}
	defer repo.Close()
	to := j.commit()
	from, fromName, err := s.releaseNotesStart(ctx, repo, j, to)
	if err != nil {
		return err
	}
	opts := gitstore.LogOptions{Include: []plumbing.Hash{to}}
	if !from.IsZero() {
		opts.Exclude = []plumbing.Hash{from}
	}
	commits, err := repo.Log(ctx, opts)
	if err != nil {
		return err
	}
	mrOf, err := s.mergeRequestsOfCommits(ctx, repo, j.project.ID, commits)
	if err != nil {
		return err
	}
	res := releaseNotesResult{From: fromName, To: j.run.Ref, ToSHA: to.String()}
	if !from.IsZero() {
		res.FromSHA = from.String()
	}
	sections := make([][]releaseEntry, len(releaseSections))
	for _, c := range commits {
		if len(c.Parents) > 1 {
			continue // merge commits: their commits are listed, and name the merge request
		}
		res.Commits++
		e := parseConventional(c)
		e.MergeRequest = mrOf[c.ID]
		idx := len(releaseSections) - 1
		for i, sec := range releaseSections {
			for _, t := range sec.types {
				if e.Type == t {
					idx = i
				}
			}
		}
		if e.Breaking {
			sections[0] = append(sections[0], e)
		}
		sections[idx] = append(sections[idx], e)
	}
	var b strings.Builder
	if fromName == "" {
		fmt.Fprintf(&b, "## Changes up to %s\n", j.run.Ref)
	} else {
		fmt.Fprintf(&b, "## Changes from %s to %s\n", fromName, j.run.Ref)
	}
	res.Sections = []releaseNotesSection{}
	for i, entries := range sections {
		if len(entries) == 0 {
			continue
		}
		// Oldest first, as a changelog reads.
		for l, r := 0, len(entries)-1; l < r; l, r = l+1, r-1 {
			entries[l], entries[r] = entries[r], entries[l]
		}
		res.Sections = append(res.Sections, releaseNotesSection{Title: releaseSections[i].title, Entries: entries})
		fmt.Fprintf(&b, "\n### %s\n\n", releaseSections[i].title)
		for _, e := range entries {
			b.WriteString("- ")
			if e.Scope != "" {
				fmt.Fprintf(&b, "**%s:** ", e.Scope)
			}
			b.WriteString(e.Description)
			if e.MergeRequest != 0 {
				fmt.Fprintf(&b, " (!%d)", e.MergeRequest)
			}
			fmt.Fprintf(&b, " (%s)\n", e.SHA[:8])
		}
	}
	if res.Commits == 0 {
		b.WriteString("\nNo changes.\n")
	}
	res.Notes = b.String()
	j.log.Write([]byte(res.Notes))
	if j.boolParam("create_release", false) {
		rel, err := s.createNotesRelease(ctx, j, res.Notes)
		if err != nil {
			return err
		}
		res.Release = rel
	}
	j.setResult(res)
	return nil
}

// releaseNotesStart is where the notes start: the from parameter, else the tag of the
// project's latest release that is an ancestor of to, else the newest version tag that is,
// else nothing (the whole history).
func (s *Service) releaseNotesStart(ctx context.Context, repo *gitstore.Repo, j *agentJob,
	to plumbing.Hash) (plumbing.Hash, string, error) {
	if from := j.stringParam("from"); from != "" {
		h, err := repo.Resolve(from)
		if errors.Is(err, gitstore.ErrRefNotFound) {
			return plumbing.ZeroHash, "", Invalidf("from: %q names no branch, tag or commit", from)
		}
		return h, from, err
	}
	var tags []string
	releases, _, err := db.ListReleases(ctx, s.db.Read,
		db.ReleaseFilter{ProjectID: j.project.ID, Desc: true, Limit: 100})
	if err != nil {
		return plumbing.ZeroHash, "", err
	}
	for _, r := range releases {
		if r.TagName != "" {
			tags = append(tags, r.TagName)
		}
	}
	refs, err := repo.TagRefs()
	if err != nil {
		return plumbing.ZeroHash, "", err
	}
	var names []string
	for _, r := range refs {
		names = append(names, strings.TrimPrefix(r.Name, "refs/tags/"))
	}
	sort.Slice(names, func(a, b int) bool { return CompareVersions(names[a], names[b]) > 0 })
	tags = append(tags, names...)
	for _, t := range tags {
		h, err := repo.Resolve("refs/tags/" + t)
		if errors.Is(err, gitstore.ErrRefNotFound) {
			continue
		}
		if err != nil {
			return plumbing.ZeroHash, "", err
		}
		if h == to {
			continue
		}
		if ok, err := repo.IsAncestor(ctx, h, to); err != nil {
			return plumbing.ZeroHash, "", err
		} else if ok {
			return h, t, nil
		}
	}
	return plumbing.ZeroHash, "", nil
}

// mergeRequestsOfCommits maps commits to the merged merge requests they came with: a merge
// request's merge, squash and source tip commits, and the commits a merge commit brought in.
func (s *Service) mergeRequestsOfCommits(ctx context.Context, repo *gitstore.Repo, projectID int64,
	commits []*gitstore.Commit) (map[plumbing.Hash]int64, error) {
	mrs, _, err := db.ListMergeRequests(ctx, s.db.Read,
		db.MergeRequestFilter{IssuableFilter: db.IssuableFilter{ProjectID: projectID, State: StateMerged,
			Limit: 10000}})
	if err != nil {
		return nil, err
	}
	byCommit := map[plumbing.Hash]int64{}
	for _, m := range mrs {
		for _, sha := range []string{m.HeadSHA, m.SquashCommitSHA, m.MergeCommitSHA} {
			if sha != "" {
				byCommit[plumbing.NewHash(sha)] = m.IID
			}
		}
	}
	out := map[plumbing.Hash]int64{}
	for _, c := range commits {
		iid, ok := byCommit[c.ID]
		if !ok {
			continue
		}
		out[c.ID] = iid
		if len(c.Parents) < 2 {
			continue
		}
		brought, err := repo.Log(ctx, gitstore.LogOptions{Include: c.Parents[1:], Exclude: c.Parents[:1]})
		if err != nil {
			return nil, err
		}
		for _, b := range brought {
			if _, set := out[b.ID]; !set {
				out[b.ID] = iid
			}
		}
	}
	return out, nil
}

// createNotesRelease creates the release the notes are for, as who asked for the run.
func (s *Service) createNotesRelease(ctx context.Context, j *agentJob, notes string) (*releaseCreated, error) {
	tag := j.stringParam("tag_name")
	if tag == "" {
		return nil, Invalidf("create_release needs tag_name")
	}
	name := j.stringParam("release_name")
	if name == "" {
		name = tag
	}
	sha := j.run.SHA
	_, err := s.Delivery.CreateRelease(ctx, j.requester, ID(j.project.ID), ReleaseInput{TagName: &tag, Name: &name,
		Description: &notes, SHA: &sha})
	if err != nil {
		return nil, fmt.Errorf("create release %s: %w", tag, err)
	}
	j.logf("created release %s", tag)
	return &releaseCreated{TagName: tag, Name: name}, nil
}

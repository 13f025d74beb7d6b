package forge

import (
	"context"
	"fmt"
	"io"

	"github.com/cairn-forge/cairn/gitstore"
	"github.com/go-git/go-git/v5/plumbing"
)

// builtinAgent is an agent cairn runs in-process, reading the repository through gitstore:
// no network, and the same result for the same commit and parameters.
type builtinAgent struct {
	Agent
	run func(s *Service, ctx context.Context, j *agentJob) error
}

// builtinAgents are cairn's own agents, by name.
var builtinAgents = []builtinAgent{
	{Agent: Agent{Name: "release-notes", Builtin: true, On: AgentOnRef,
		Description: "Drafts release notes from the commit messages between two refs (by default the last release's " +
			"tag and the ref), grouped by conventional-commit type, naming the merge requests they came from; " +
			"optionally creates the release.",
		Params: []AgentParam{
			{Name: "from", Type: "string",
				Description: "the ref the notes start after (default: the tag of the last release, else the newest version tag before the ref, else the first commit)"},
			{Name: "create_release", Type: "boolean", Default: false,
				Description: "create a release with the notes as its description (needs tag_name)"},
			{Name: "tag_name", Type: "string",
				Description: "the tag of the release to create; made at the ref when it does not exist"},
			{Name: "release_name", Type: "string",
				Description: "the name of the release to create (default: tag_name)"},
		}},
		run: (*Service).runReleaseNotes},
	{Agent: Agent{Name: "review", Builtin: true, On: AgentOnMergeRequest,
		Description: "Reviews a merge request's changes and posts what it finds as notes on the merge request: likely " +
			"secrets, conflict markers, files over a size limit, debug leftovers, whitespace errors and missing final " +
			"newlines. Running it again posts only what it has not posted before.",
		Params: []AgentParam{
			{Name: "max_file_size", Type: "integer", Default: defaultReviewMaxFile,
				Description: "files larger than this many bytes are reported"},
			{Name: "post_notes", Type: "boolean", Default: true,
				Description: "post the findings as notes on the merge request"},
		}},
		run: (*Service).runReview},
	{Agent: Agent{Name: "secret-scan", Builtin: true, On: AgentOnRef,
		Description: "Scans the files of a ref (or those changed since another ref) for credentials: cloud keys, private " +
			"keys, API tokens (gitleaks' rule set) and cairn's own tokens, with entropy checks. Findings show the " +
			"start of a secret, never the secret.",
		Params: []AgentParam{
			{Name: "since", Type: "string",
				Description: "scan only the files changed between this ref and the run's ref"},
			{Name: "max_file_size", Type: "integer", Default: defaultScanMaxFile,
				Description: "files larger than this many bytes are skipped"},
		}},
		run: (*Service).runSecretScan},
	{Agent: Agent{Name: "stats", Builtin: true, On: AgentOnRef,
		Description: "Counts a ref's languages (by bytes, as the languages API detects them), files and lines, and its " +
			"history's contributors and commits per month.",
		Params: []AgentParam{}},
		run: (*Service).runStats},
}

func builtinByName(name string) (builtinAgent, bool) {
	for _, b := range builtinAgents {
		if b.Name == name {
			return b, true
		}
	}
	return builtinAgent{}, false
}

// intParam reads an integer parameter, def when not given.
func (j *agentJob) intParam(name string, def int64) int64 {
	var f float64
	if j.param(name, &f) {
		return int64(f)
	}
	return def
}

// boolParam reads a boolean parameter, def when not given.
func (j *agentJob) boolParam(name string, def bool) bool {
	var b bool
	if j.param(name, &b) {
		return b
	}
	return def
}

// stringParam reads a string parameter, "" when not given.
func (j *agentJob) stringParam(name string) string {
	var v string
	j.param(name, &v)
	return v
}

// readBlobUpTo reads blob h whole if it is at most limit bytes; big reports that it is
// larger (and nothing was read).
func readBlobUpTo(repo *gitstore.Repo, h plumbing.Hash, limit int64) (content []byte, size int64, big bool, err error) {
	br, err := repo.OpenBlob(h)
	if err != nil {
		return nil, 0, false, err
	}
	defer br.Close()
	if br.Size > limit {
		return nil, br.Size, true, nil
	}
	content = make([]byte, br.Size)
	if _, err := io.ReadFull(br, content); err != nil {
		return nil, br.Size, false, fmt.Errorf("read blob %s: %w", h, err)
	}
	return content, br.Size, false, nil
}

// plural writes n things: "1 file", "2 files".
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}

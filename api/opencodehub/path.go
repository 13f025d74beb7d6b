package opencodehub

import (
	"net/url"
	"strconv"
	"strings"
)

// targetKind is what a path below /repos/ names.
type targetKind int

const (
	targetRepo  targetKind = iota // /repos/:owner/:repo
	targetPulls                   // …/pulls
	targetPull                    // …/pulls/:number
	targetMerge                   // …/pulls/:number/merge
)

// target is a parsed path below /repos/.
type target struct {
	kind targetKind
	// repo is the project reference forge takes: a full path or a numeric id.
	repo string
	// pull names the pull request of targetPull and targetMerge.
	pull pullRef
}

// pullRef names a pull request by its number in the repository or, when byID, by its
// global id. n is 0 for a number that names no pull request (zero, or too large).
type pullRef struct {
	n    int64
	byID bool
}

// maxPathSegments bounds the depth of a repository path (GitLab nests groups 20 deep).
const maxPathSegments = 32

// parseRepoPath reads the escaped path below /repos/. The repository is "owner/repo", where
// the owner may be a nested group written with plain or encoded slashes ("acme/platform/api",
// "acme%2Fplatform/api"), or a single id ("repo-123" or "123"). The longest suffix that names
// an action wins, so "a/b/pulls" lists the pull requests of a/b; a project literally named
// "pulls" in a nested group is reached with an encoded path ("a%2Fb%2Fpulls").
func parseRepoPath(escaped string) (target, bool) {
	raw := strings.Split(escaped, "/")
	if len(raw) == 0 || len(raw) > maxPathSegments+3 {
		return target{}, false
	}
	segs := make([]string, len(raw))
	for i, s := range raw {
		v, err := url.PathUnescape(s)
		if err != nil || v == "" {
			return target{}, false
		}
		segs[i] = v
	}
	n := len(segs)
	if n >= 4 && segs[n-1] == "merge" && segs[n-3] == "pulls" {
		if ref, ok := parsePullNumber(segs[n-2]); ok {
			if repo, ok := repoRef(segs[:n-3]); ok {
				return target{kind: targetMerge, repo: repo, pull: ref}, true
			}
		}
	}
	if n >= 3 && segs[n-2] == "pulls" {
		if ref, ok := parsePullNumber(segs[n-1]); ok {
			if repo, ok := repoRef(segs[:n-2]); ok {
				return target{kind: targetPull, repo: repo, pull: ref}, true
			}
		}
	}
	if n >= 2 && segs[n-1] == "pulls" {
		if repo, ok := repoRef(segs[:n-1]); ok {
			return target{kind: targetPulls, repo: repo}, true
		}
	}
	if n >= 3 && segs[n-2] == "pulls" {
		// Something that is no number where a pull request's belongs ("pulls/abc") names no
		// pull request of the repository before it: not found as a pull request, not taken
		// for a repository's path.
		if repo, ok := repoRef(segs[:n-2]); ok {
			return target{kind: targetPull, repo: repo}, true
		}
	}
	if repo, ok := repoRef(segs); ok {
		return target{kind: targetRepo, repo: repo}, true
	}
	return target{}, false
}

// repoRef joins unescaped segments into a project reference: an id when there is one
// segment written as an id, else a path of at least an owner and a name.
func repoRef(segs []string) (string, bool) {
	if len(segs) == 0 || len(segs) > maxPathSegments {
		return "", false
	}
	if len(segs) == 1 {
		if id, ok := parseID(repoIDPrefix, segs[0]); ok {
			return strconv.FormatInt(id, 10), true
		}
	}
	path := strings.Join(segs, "/")
	if !strings.Contains(path, "/") {
		return "", false
	}
	for _, part := range strings.Split(path, "/") {
		if part == "" {
			return "", false
		}
	}
	return path, true
}

// parsePullNumber reads a pull request's number (its iid in the repository) or its global id
// written as "pr-7". Any run of digits is a number: one that names no pull request (zero,
// or too large for an id) is looked up like the others and not found.
func parsePullNumber(s string) (pullRef, bool) {
	digits, byID := strings.CutPrefix(s, pullIDPrefix)
	if digits == "" || strings.Trim(digits, "0123456789") != "" {
		return pullRef{}, false
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n < 0 {
		n = 0
	}
	return pullRef{n: n, byID: byID}, true
}

package gitclear

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

// releaseTimeLayout is how response_detail shows a release time ("May 25 at 4:20 pm").
const releaseTimeLayout = "Jan 2 at 3:04 pm"

// recordRelease is POST /releases: ensure a release of a repository is recorded. The seed's
// parameters: resource_path (a repository path, required), release_sha or its alias
// head_long (a commit of that repository), name, released_at, release_now. A release time is
// released_at, else now when release_now, else the commit's author time; one of the three
// must be given. The same commit and name again is the same release: 201 when it is new, 200
// (action_release_exists) when it was already recorded.
func (h *Handler) recordRelease(w http.ResponseWriter, r *http.Request, _ api.Params) error {
	p, err := readParams(r)
	if err != nil {
		return err
	}
	path, _ := p.text("resource_path")
	sha, _ := p.text("release_sha")
	alias, _ := p.text("head_long")
	sha, alias = strings.TrimSpace(sha), strings.TrimSpace(alias)
	switch {
	case sha == "":
		sha = alias
	case alias != "" && !strings.EqualFold(alias, sha):
		p.fail(&forge.Error{Code: forge.EInvalid, Params: []string{"release_sha", "head_long"},
			Message: "release_sha and head_long (its alias) name different commits; give one of them"})
	}
	name, hasName := p.text("name")
	releasedAt := p.dateTime("released_at")
	now := p.flag("release_now")
	if p.err != nil {
		return p.err
	}
	if strings.Trim(strings.TrimSpace(path), "/") == "" {
		return forge.Missing("resource_path")
	}
	if releasedAt == nil && !now && sha == "" {
		return &forge.Error{Code: forge.EInvalid, Reason: forge.ReasonMissingOneOf,
			Params:  []string{"released_at", "release_sha", "head_long", "release_now"},
			Message: "released_at is required unless release_sha, head_long or release_now is given"}
	}
	a := api.Actor(r)
	target, err := h.forge.ResolvePath(r.Context(), a, path)
	if err != nil {
		return err
	}
	if !target.IsProject() {
		return &forge.Error{Code: forge.EInvalid, Params: []string{"resource_path"},
			Message: fmt.Sprintf("a release is recorded on a repository path (entity/org/repo); %q is not a repository", target.FullPath())}
	}
	in := forge.ReleaseInput{}
	if hasName {
		in.Name = &name
	}
	if sha != "" {
		in.SHA = &sha
	}
	switch {
	case releasedAt != nil:
		t := releasedAt.UTC()
		in.ReleasedAt = &t
	case now:
		t := h.forge.Now()
		in.ReleasedAt = &t
	}
	rel, created, err := h.forge.EnsureRelease(r.Context(), a, target.FullPath(), in)
	if err != nil {
		return err
	}
	detail := fmt.Sprintf("Release ensured to exist at %s in '%s'", showTime(rel.ReleasedAt, releasedAt, releaseTimeLayout), target.FullPath())
	if created {
		return success(w, r, http.StatusCreated, actionReleaseCreated, detail)
	}
	return success(w, r, http.StatusOK, actionReleaseExists, detail)
}

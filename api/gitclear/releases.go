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
// parameters: resource_path, release_sha or its alias head_long, name, released_at,
// release_now; forge.EnsureRelease holds their rules. 201 when the release is new, 200
// (action_release_exists) when it was already recorded.
func (h *Handler) recordRelease(w http.ResponseWriter, r *http.Request, _ api.Params) error {
	p, err := readParams(r)
	if err != nil {
		return err
	}
	in := forge.EnsureReleaseInput{}
	in.ResourcePath, _ = p.text("resource_path")
	sha, _ := p.text("release_sha")
	alias, _ := p.text("head_long")
	sha, alias = strings.TrimSpace(sha), strings.TrimSpace(alias)
	switch {
	case sha == "":
		in.SHA = alias
	case alias != "" && !strings.EqualFold(alias, sha):
		p.fail(&forge.Error{Code: forge.EInvalid, Params: []string{"release_sha", "head_long"},
			Message: "release_sha and head_long (its alias) name different commits; give one of them"})
	default:
		in.SHA = sha
	}
	if name, ok := p.text("name"); ok {
		in.Name = &name
	}
	in.ReleasedAt = p.dateTime("released_at")
	in.ReleaseNow = p.flag("release_now")
	if p.err != nil {
		return p.err
	}
	rel, created, err := h.forge.Delivery.EnsureRelease(r.Context(), api.Actor(r), in)
	if err != nil {
		return err
	}
	detail := fmt.Sprintf("Release ensured to exist at %s in '%s'",
		showTime(rel.ReleasedAt, in.ReleasedAt, releaseTimeLayout), rel.ProjectPath)
	if created {
		return success(w, r, http.StatusCreated, actionReleaseCreated, detail)
	}
	return success(w, r, http.StatusOK, actionReleaseExists, detail)
}

package gitclear_test

import (
	"strings"
	"testing"
	"time"
)

// "Ensure a release has been recorded": the same commit and name again is the same release,
// by release_sha or its alias head_long, abbreviated or not, as a form or as JSON.
func TestReleaseIsEnsuredOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := f.call(t, "POST", "/releases", "dev", form("resource_path="+repoPath, "name=v1", "release_sha="+f.head))
	// Without a time, the commit's author time is the release's.
	a := expect(t, r, 201, "action_release_created", "response_success", "in 'alloy/gitclear/libinput'")
	if want := "Release ensured to exist at " +
		f.headAt.UTC().Format("Jan 2 at 3:04 pm"); !strings.HasPrefix(a.ResponseDetail, want) {
		t.Errorf("detail %q, want it to start %q", a.ResponseDetail, want)
	}
	for _, body := range []any{
		form("resource_path="+repoPath, "name=v1", "release_sha="+f.head),
		form("resource_path="+repoPath, "name=v1", "head_long="+f.head),
		form("resource_path="+repoPath, "name=v1", "head_long="+f.head[:10], "released_at=2030-01-01"),
		map[string]any{"resource_path": repoPath, "name": "v1", "release_sha": strings.ToUpper(f.head),
			"head_long": f.head},
	} {
		expect(t, f.call(t, "POST", "/releases", "dev", body), 200, "action_release_exists",
			"response_success", "Release ensured to exist at")
	}
	if rels := f.releases(t); len(rels) != 1 || !rels[0].ReleasedAt.Equal(f.headAt) {
		t.Fatalf("releases %+v; want one, at the commit's author time", rels)
	}
	expect(t, f.call(t, "POST", "/releases", "dev", form("resource_path="+repoPath, "name=v2", "head_long="+f.head)),
		201, "action_release_created", "response_success", "")
	if n := len(f.releases(t)); n != 2 {
		t.Fatalf("%d releases, want 2", n)
	}
}

// A release by time alone: released_at in the caller's zone, echoed on its clock, or now.
func TestReleaseByTime(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := f.call(t, "POST", "/releases", "dev", form("resource_path="+repoPath, "released_at=Jan 2, 2021 8:35am EST"))
	expect(t, r, 201, "action_release_created", "response_success",
		"Release ensured to exist at Jan 2 at 8:35 am in 'alloy/gitclear/libinput'")
	// Sent again, in any form of the same time, it is the same release.
	for _, body := range []any{
		form("resource_path="+repoPath, "released_at=Jan 2, 2021 8:35am EST"),
		map[string]any{"resource_path": repoPath, "released_at": "2021-01-02T13:35:00Z", "name": ""},
	} {
		expect(t, f.call(t, "POST", "/releases", "dev", body), 200, "action_release_exists", "response_success", "")
	}
	if n := f.countReleases(t); n != 1 {
		t.Fatalf("%d releases after sending one three times, want 1", n)
	}
	// Another name at that time is another release.
	expect(t,
		f.call(t, "POST", "/releases", "dev",
			form("resource_path="+repoPath, "released_at=Jan 2, 2021 8:35am EST", "name=v2")),
		201, "action_release_created", "response_success", "")
	before := time.Now().UTC().Add(-time.Minute)
	r = f.call(t, "POST", "/releases", "dev",
		map[string]any{"resource_path": repoPath, "release_now": true, "name": "hotfix"})
	a := expect(t, r, 201, "action_release_created", "response_success", "")
	shown := strings.TrimPrefix(strings.TrimSuffix(a.ResponseDetail, " in 'alloy/gitclear/libinput'"),
		"Release ensured to exist at ")
	when, err := time.Parse("Jan 2 at 3:04 pm", shown)
	if err != nil || when.Month() != before.Month() {
		t.Errorf("detail %q does not show now (%v)", a.ResponseDetail, err)
	}
	if n := f.countReleases(t); n != 3 {
		t.Fatalf("%d releases, want 3", n)
	}
}

func TestReleaseRefusals(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	repo := "resource_path=" + repoPath
	tests := []struct {
		name     string
		who      string
		body     string
		status   int
		response string
		detail   string
	}{
		{"the seed's sha, which is no commit here", "dev",
			form(repo, "release_sha=541a8b28d08405aa961f9de1d7c8fcd5c3da3218"),
			400, "response_invalid_param",
			"release_sha 541a8b28d08405aa961f9de1d7c8fcd5c3da3218 is not a commit of alloy/gitclear/libinput"},
		{"not a sha", "dev", form(repo, "release_sha=main"), 400, "response_invalid_param", "is not a commit sha"},
		{"different release_sha and head_long", "dev",
			form(repo, "release_sha="+f.head, "head_long="+strings.Repeat("1", 40)),
			400, "response_invalid_param", "name different commits"},
		{"no time and no sha", "dev", form(repo, "name=v1"), 400, "response_invalid_param",
			"released_at is required unless release_sha, head_long or release_now is given"},
		{"release_now false", "dev", form(repo, "release_now=false"), 400, "response_invalid_param",
			"released_at is required"},
		{"unparseable released_at", "dev", form(repo, "released_at=the day after"), 400, "response_invalid_param",
			"released_at: cannot read"},
		{"entity path", "dev", form("resource_path=alloy", "release_now=true"), 400, "response_invalid_param",
			`a release is recorded on a repository path (entity/org/repo); "alloy" is not a repository`},
		{"no resource_path", "dev", form("release_now=true"), 400, "response_invalid_param", "resource_path"},
		{"unknown repository", "dev", form("resource_path=alloy/gitclear/nope", "release_now=true"), 404,
			"response_not_found", "alloy/gitclear/nope"},
		{"private repository of others", "outsider", form("resource_path="+secretPath, "release_now=true"),
			404, "response_not_found", ""},
		{"reporter", "rep", form(repo, "release_now=true"), 403, "response_forbidden", ""},
		{"token without write access", "reader", form(repo, "release_now=true"), 403, "response_forbidden",
			"api scope"},
		{"no token", "", form(repo, "release_now=true"), 401, "response_unauthorized", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expect(t, f.call(t, "POST", "/releases", tt.who, tt.body), tt.status, "action_none", tt.response, tt.detail)
		})
	}
	if n := f.countReleases(t); n != 0 {
		t.Fatalf("%d releases written by refused requests, want none", n)
	}
}

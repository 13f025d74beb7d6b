package gitclear_test

// The curl examples of seeds/003 (GitClear's API reference), each sent as the document shows
// it with only the host changed: the token as a Bearer token, parameters as curl -d sends them
// (form-encoded, unencoded values joined with '&'). The placeholders {your resource path} and
// {your repo path} are the fixture's "alloy/gitclear/libinput" (the repository path of the
// seed's own answer), and the release sha is that repository's commit: the seed's
// 541a8b28... is no commit of it, and is refused (TestReleaseRefusals).

import (
	"testing"
	"time"
)

func TestSeedExamplesWorkWithOnlyTheHostChanged(t *testing.T) {
	t.Parallel()
	f := newFixture(t)

	// curl https://www.gitclear.com/api/v1/api_tokens -H "Authorization: Bearer {your_token}"
	r := f.call(t, "GET", "/api_tokens", "dev", nil)
	a := expect(t, r, 200, "action_get_resource", "response_success", "")
	if a.ResponseDetail != "Your token is ready for use 👍" {
		t.Errorf("api_tokens detail %q", a.ResponseDetail)
	}

	// curl https://www.gitclear.com/api/v1/critical_defects -H "Authorization: Bearer {your token}"
	//   -d detected_at="Jan 1, 2021 at 5:40pm PST" -d defect_key="JIRA-123"
	//   -d description="Site outage for 15 minutes" -d fix_released_at="Jan 2, 2021 8:35am EST"
	//   -d resource_path="{your resource path}" -d severity=2 -X POST
	r = f.call(t, "POST", "/critical_defects", "dev", form(
		"detected_at=Jan 1, 2021 at 5:40pm PST", "defect_key=JIRA-123", "description=Site outage for 15 minutes",
		"fix_released_at=Jan 2, 2021 8:35am EST", "resource_path="+repoPath, "severity=2"))
	a = expect(t, r, 201, "action_defect_created", "response_success", "")
	if want := "Successfully ensured creation of defect release at Jan 1, 2021 5:40pm"; a.ResponseDetail != want {
		t.Errorf("critical_defects detail %q, want %q", a.ResponseDetail, want)
	}
	list := f.defects(t)
	if len(list) != 1 {
		t.Fatalf("%d defects recorded, want 1", len(list))
	}
	d := list[0]
	detected, resolved := time.Date(2021, 1, 2, 1, 40, 0, 0, time.UTC), time.Date(2021, 1, 2, 13, 35, 0, 0, time.UTC)
	if d.Key != "JIRA-123" || d.Description != "Site outage for 15 minutes" || d.Severity == nil || *d.Severity != 2 ||
		!d.DetectedAt.Equal(detected) || d.ResolvedAt == nil || !d.ResolvedAt.Equal(resolved) {
		t.Errorf("recorded %+v; want JIRA-123 detected %v, resolved %v, severity 2", d, detected, resolved)
	}

	// curl https://www.gitclear.com/api/v1/releases -H "Authorization: Bearer {your token}"
	//   -d name="v3.1 beta" -d released_at='May 25, 2021 at 4:20pm'
	//   -d release_sha='541a8b28d08405aa961f9de1d7c8fcd5c3da3218' -d resource_path="{your repo path}" -X POST
	r = f.call(t, "POST", "/releases", "dev", form(
		"name=v3.1 beta", "released_at=May 25, 2021 at 4:20pm", "release_sha="+f.head, "resource_path="+repoPath))
	a = expect(t, r, 201, "action_release_created", "response_success", "")
	if want := "Release ensured to exist at May 25 at 4:20 pm in 'alloy/gitclear/libinput'"; a.ResponseDetail != want {
		t.Errorf("releases detail %q, want %q", a.ResponseDetail, want)
	}
	rels := f.releases(t)
	if len(rels) != 1 || rels[0].Name != "v3.1 beta" || rels[0].TagName != "" ||
		!rels[0].ReleasedAt.Equal(time.Date(2021, 5, 25, 16, 20, 0, 0, time.UTC)) {
		t.Errorf("recorded releases %+v", rels)
	}
}

// The document's Boolean and DateTime examples, as JSON.
func TestSeedInputTypesAsJSON(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for i, c := range []struct {
		detectedAt any
		now        any
	}{
		{"2022-02-01T14:40:15Z", nil},
		{"February 1, 2022 at 8:42am CST", false},
		{"20-12-1990", "false"},
		{nil, true},
		{nil, "true"},
	} {
		body := map[string]any{"defect_key": "K-" + string(rune('a'+i)), "resource_path": "alloy"}
		if c.detectedAt != nil {
			body["detected_at"] = c.detectedAt
		}
		if c.now != nil {
			body["detected_now"] = c.now
		}
		expect(t, f.call(t, "POST", "/critical_defects", "dev", body), 201, "action_defect_created",
			"response_success", "")
	}
	if n := len(f.defects(t)); n != 5 {
		t.Errorf("%d defects, want 5", n)
	}
}

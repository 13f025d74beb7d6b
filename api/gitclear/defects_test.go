package gitclear_test

import (
	"strings"
	"testing"
	"time"
)

// A defect is found at the entity, updated by its key, then fixed at a repository below it,
// by time and then by commit: one defect, resolved at its latest fix.
func TestDefectCreatedUpdatedThenFixedAtARepository(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := f.call(t, "POST", "/critical_defects", "dev", form("defect_key=BANANA-7", "resource_path=alloy",
		"detected_at=2022-02-01T14:40:15+05:30", "severity=3"))
	// The time is echoed on the caller's clock: the '+' reached cairn as a space (curl -d).
	expect(t, r, 201, "action_defect_created", "response_success", "at Feb 1, 2022 2:40pm")

	r = f.call(t, "POST", "/critical_defects", "dev", map[string]any{"defect_key": "BANANA-7", "resource_path": "alloy",
		"description": "Checkout down", "severity": 1})
	expect(t, r, 200, "action_defect_updated", "response_success", "at Feb 1, 2022 9:10am")

	r = f.call(t, "POST", "/critical_defects", "dev", form("defect_key=BANANA-7", "resource_path="+repoPath,
		"fix_released_at=Feb 2, 2022 at 9:00am UTC"))
	expect(t, r, 200, "action_defect_updated", "response_success", "")
	r = f.call(t, "POST", "/critical_defects", "dev", form("defect_key=BANANA-7", "resource_path=/"+repoPath+"/",
		"fix_released_sha="+f.head))
	expect(t, r, 200, "action_defect_updated", "response_success", "")

	list := f.defects(t)
	if len(list) != 1 {
		t.Fatalf("%d defects, want 1", len(list))
	}
	d := list[0]
	latest := time.Date(2022, 2, 2, 9, 0, 0, 0, time.UTC)
	if f.headAt.After(latest) {
		latest = f.headAt
	}
	if d.Description != "Checkout down" || *d.Severity != 1 || d.NamespaceID == 0 || d.ResolvedAt == nil ||
		!d.ResolvedAt.Equal(latest) {
		t.Errorf("defect %+v; want the group's, updated, resolved at %v", d, latest)
	}
}

// detected_now and fix_released_now take the server's clock; Boolean strings of every
// documented kind are read.
func TestDefectNowFlags(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	before := time.Now().Add(-time.Second)
	r := f.call(t, "POST", "/critical_defects", "dev", form("defect_key=NOW-1", "resource_path="+repoPath,
		"detected_now=1", "fix_released_now=true"))
	expect(t, r, 201, "action_defect_created", "response_success",
		"Successfully ensured creation of defect release at ")
	d := f.defects(t)[0]
	if d.DetectedAt.Before(before) || d.ResolvedAt == nil || d.ResolvedAt.Before(before) {
		t.Errorf("defect %+v; want detected and resolved now", d)
	}
	// "false" and "0" are not "now": without a time, the defect cannot be created.
	for _, v := range []string{"false", "0", ""} {
		r = f.call(t, "POST", "/critical_defects", "dev",
			form("defect_key=NOW-2", "resource_path=alloy", "detected_now="+v))
		expect(t, r, 400, "action_none", "response_invalid_param", "detected_at or detected_now is required")
	}
}

// Every refusal is a 4xx in the dialect's shape, and leaves nothing written.
func TestDefectRefusals(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ok := form("defect_key=K-1", "detected_now=true")
	tests := []struct {
		name     string
		who      string
		body     any
		status   int
		response string
		detail   string
	}{
		{"fix on the entity path", "dev", form(ok, "resource_path=alloy", "fix_released_now=true"), 400,
			"response_invalid_param",
			`a fix can only be recorded on a repository path (entity/org/repo); "alloy" is a group, not a repository`},
		{"fix sha on the organization path", "dev",
			form(ok, "resource_path=alloy/gitclear", "fix_released_sha="+"abcdef1"), 400,
			"response_invalid_param", "repository path"},
		{"unparseable detected_at", "dev",
			form("defect_key=K-1", "resource_path=alloy", "detected_at=next tuesday"), 400,
			"response_invalid_param", `detected_at: cannot read "next tuesday" as a date and time`},
		{"ambiguous detected_at", "dev", form("defect_key=K-1", "resource_path=alloy", "detected_at=01-02-2021"), 400,
			"response_invalid_param", "accepted formats: ISO 8601"},
		{"unknown zone", "dev",
			form("defect_key=K-1", "resource_path=alloy", "detected_at=Jan 1, 2021 at 5:40pm XST"), 400,
			"response_invalid_param", `time zone "XST" is not one cairn knows`},
		{"unparseable fix_released_at", "dev", form(ok, "resource_path="+repoPath, "fix_released_at=soon"), 400,
			"response_invalid_param", "fix_released_at: cannot read"},
		{"unknown fix sha", "dev",
			form(ok, "resource_path="+repoPath, "fix_released_sha="+strings.Repeat("0", 40)), 400,
			"response_invalid_param", "is not a commit of alloy/gitclear/libinput"},
		{"fix before the detection", "dev",
			form("defect_key=K-1", "resource_path="+repoPath, "detected_at=2021-01-02T00:00:00Z",
				"fix_released_at=2021-01-01T00:00:00Z"), 400, "response_invalid_param", "before its detection"},
		{"severity not a number", "dev", form(ok, "resource_path=alloy", "severity=high"), 400,
			"response_invalid_param",
			"severity must be a whole number"},
		{"Boolean not a Boolean", "dev", form("defect_key=K-1", "resource_path=alloy", "detected_now=maybe"), 400,
			"response_invalid_param", "detected_now must be a Boolean"},
		{"no defect_key", "dev", form("resource_path=alloy", "detected_now=true"), 400,
			"response_invalid_param", "defect_key"},
		{"no resource_path", "dev", ok, 400, "response_invalid_param", "resource_path"},
		{"malformed JSON", "dev", []byte(`{"defect_key": `), 400, "response_invalid_param", "not valid JSON"},
		{"unknown resource path", "dev", form(ok, "resource_path=alloy/nothing-here"), 404, "response_not_found",
			`"alloy/nothing-here"`},
		{"private project of others", "outsider", form(ok, "resource_path="+secretPath), 404,
			"response_not_found", secretPath},
		{"public group, no membership", "outsider", form(ok, "resource_path=alloy"), 403,
			"response_forbidden", "Developer"},
		{"reporter of the repository", "rep", form(ok, "resource_path="+repoPath), 403, "response_forbidden",
			"Developer"},
		{"token without write access", "reader", form(ok, "resource_path=alloy"), 403, "response_forbidden",
			"api scope"},
		{"another user's namespace", "dev", form(ok, "resource_path=outsider"), 403, "response_forbidden",
			"only outsider"},
		{"no token", "", form(ok, "resource_path=alloy"), 401, "response_unauthorized", "Authorization: Bearer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.call(t, "POST", "/critical_defects", tt.who, tt.body)
			expect(t, r, tt.status, "action_none", tt.response, tt.detail)
		})
	}
	if n := len(f.defects(t)); n != 0 {
		t.Fatalf("%d defects written by refused requests, want none", n)
	}
	// The refused fix of an existing defect changes nothing of it either.
	expect(t, f.call(t, "POST", "/critical_defects", "dev", form(ok, "resource_path="+repoPath, "description=before")),
		201, "action_defect_created", "response_success", "")
	r := f.call(t, "POST", "/critical_defects", "dev", form("defect_key=K-1", "resource_path="+repoPath,
		"description=after", "fix_released_sha=deadbeefdeadbeef"))
	expect(t, r, 400, "action_none", "response_invalid_param", "is not a commit")
	if list := f.defects(t); len(list) != 1 || list[0].Description != "before" || list[0].ResolvedAt != nil {
		t.Fatalf("defects %+v; want the one defect unchanged", list)
	}
}

// An unparseable date's answer names every accepted form, so that a client can fix its call.
func TestUnparseableDateListsTheAcceptedFormats(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := f.call(t, "POST", "/critical_defects", "dev",
		form("defect_key=K", "resource_path=alloy", "detected_at=yesterday-ish"))
	a := expect(t, r, 400, "action_none", "response_invalid_param", "detected_at")
	for _, s := range []string{"ISO 8601", "2022-02-01T14:40:15Z", "RFC 2822",
		"February 1, 2022 at 8:42am CST", "20-12-1990",
		"Unix seconds", "+05:30", "PST"} {
		if !strings.Contains(a.ResponseDetail, s) {
			t.Errorf("detail %q does not mention %q", a.ResponseDetail, s)
		}
	}
}

// A developer of one repository can neither rewrite nor learn of a defect of a private
// repository beside it in the same entity: by that repository's path the answer is not found;
// by the defect's key from its own repository the key is unknown there, answered word for word
// as a key nobody used, and with a detection time it records a defect of its own. A defect of
// the entity, which it sees but is no developer of, is refused. The others' defects stay as
// they were.
func TestDefectsOfOtherOwnersStayOutOfReach(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, d := range []struct{ key, path string }{{"SEC-1", secretPath}, {"ENT-1", "alloy"}} {
		expect(t, f.call(t, "POST", "/critical_defects", "admin", form("defect_key="+d.key, "resource_path="+d.path,
			"detected_at=2024-01-01T00:00:00Z", "description=theirs", "severity=1")), 201,
			"action_defect_created", "response_success", "")
	}
	rewrite := func(key, path string) string {
		return form("defect_key="+key, "resource_path="+path, "description=rewritten", "severity=9",
			"fix_released_now=true")
	}
	expect(t, f.call(t, "POST", "/critical_defects", "libdev", rewrite("SEC-1", secretPath)),
		404, "action_none", "response_not_found", secretPath)
	sec := expect(t, f.call(t, "POST", "/critical_defects", "libdev", rewrite("SEC-1", repoPath)),
		400, "action_none", "response_invalid_param",
		`detected_at or detected_now is required to create defect "SEC-1"`)
	unused := expect(t, f.call(t, "POST", "/critical_defects", "libdev", rewrite("NEVER-1", repoPath)),
		400, "action_none", "response_invalid_param", "")
	if strings.ReplaceAll(unused.ResponseDetail, "NEVER-1", "SEC-1") != sec.ResponseDetail {
		t.Errorf("a sibling's key answers %q, an unused one %q", sec.ResponseDetail, unused.ResponseDetail)
	}
	expect(t, f.call(t, "POST", "/critical_defects", "libdev", rewrite("ENT-1", repoPath)),
		403, "action_none", "response_forbidden",
		`critical defect "ENT-1" is recorded at the group alloy; changing it needs Developer access there`)
	expect(t, f.call(t, "POST", "/critical_defects", "libdev", form(rewrite("SEC-1", repoPath), "detected_now=true")),
		201, "action_defect_created", "response_success", "")

	list := f.defects(t)
	if len(list) != 3 {
		t.Fatalf("%d defects, want the two and libdev's own", len(list))
	}
	unchanged := 0
	for _, d := range list {
		if d.Description == "theirs" && *d.Severity == 1 && d.ResolvedAt == nil {
			unchanged++
		}
	}
	if unchanged != 2 {
		t.Errorf("defects %+v; want SEC-1 and ENT-1 as the administrator recorded them", list)
	}
}

package forge_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cairn-forge/cairn/forge"
)

// A release of the same commit and name is recorded once, however often and however
// concurrently it is ensured; another name or commit is another release.
func TestEnsureReleaseRecordsEachReleaseOnce(t *testing.T) {
	e := newDefectEnv(t)
	path := e.shop.FullPath()
	in := forge.EnsureReleaseInput{ResourcePath: path, Name: ptr("v3.1 beta"), SHA: e.shopHead[:8]}
	var wg sync.WaitGroup
	results := make([]bool, 8)
	ids := make([]int64, 8)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, created, err := e.forge.Delivery.EnsureRelease(e.ctx, e.users["dev"], in)
			if err != nil {
				t.Error(err)
				return
			}
			results[i], ids[i] = created, r.ID
		}()
	}
	wg.Wait()
	created := 0
	for i, c := range results {
		if c {
			created++
		}
		if ids[i] != ids[0] {
			t.Fatalf("ensured releases %v; want one id", ids)
		}
	}
	if created != 1 {
		t.Fatalf("%d calls created the release, want 1", created)
	}
	r, isNew, err := e.forge.Delivery.EnsureRelease(e.ctx, e.users["dev"],
		forge.EnsureReleaseInput{ResourcePath: path, Name: ptr("v3.1 beta"),
			SHA: e.shopHead})
	if err != nil || isNew || r.ID != ids[0] || r.SHA != e.shopHead || !r.ReleasedAt.Equal(e.shopHeadAt) ||
		r.TagName != "" ||
		r.ProjectPath != path {
		t.Fatalf("full sha: %+v new=%v err=%v; want the same release, at the commit's author time", r, isNew, err)
	}
	when := time.Date(2021, 5, 25, 16, 20, 0, 0, time.UTC)
	r, isNew, err = e.forge.Delivery.EnsureRelease(e.ctx, e.users["dev"],
		forge.EnsureReleaseInput{ResourcePath: path, Name: ptr("v3.2"),
			SHA: e.shopHead, ReleasedAt: &when})
	if err != nil || !isNew || r.ID == ids[0] || !r.ReleasedAt.Equal(when) {
		t.Fatalf("another name: %+v new=%v err=%v; want a new release at %v", r, isNew, err, when)
	}
	list, err := e.forge.Delivery.ReleasesBySHA(e.ctx, e.root, forge.ParseRef(path), e.shopHead)
	if err != nil || len(list) != 2 {
		t.Fatalf("releases of the commit: %d, err %v; want 2", len(list), err)
	}
}

// A release without a commit is named by its name and time: sent again, it is the same
// release; another name or time is another one. release_now is a new time at every call.
func TestEnsureReleaseWithoutACommitIsRecordedOnce(t *testing.T) {
	e := newDefectEnv(t)
	path := e.shop.FullPath()
	est := time.FixedZone("EST", -5*3600)
	when := time.Date(2021, 1, 2, 8, 35, 0, 0, est)
	ensure := func(in forge.EnsureReleaseInput, wantNew bool) forge.EnsuredRelease {
		t.Helper()
		in.ResourcePath = path
		r, created, err := e.forge.Delivery.EnsureRelease(e.ctx, e.users["dev"], in)
		if err != nil || created != wantNew {
			t.Fatalf("%+v: created=%v err=%v; want created=%v", in, created, err, wantNew)
		}
		return r
	}
	first := ensure(forge.EnsureReleaseInput{Name: ptr("hotfix"), ReleasedAt: &when}, true)
	if first.SHA != "" || !first.ReleasedAt.Equal(when) || first.ReleasedAt.Location() != time.UTC {
		t.Fatalf("release by time: %+v; want no commit, at %v in UTC", first, when)
	}
	utc := when.UTC()
	if again := ensure(forge.EnsureReleaseInput{Name: ptr("hotfix"), ReleasedAt: &utc}, false); again.ID != first.ID {
		t.Fatalf("sent again: %+v; want release %d", again, first.ID)
	}
	ensure(forge.EnsureReleaseInput{Name: ptr("other"), ReleasedAt: &when}, true)
	later := when.Add(time.Minute)
	ensure(forge.EnsureReleaseInput{Name: ptr("hotfix"), ReleasedAt: &later}, true)
	ensure(forge.EnsureReleaseInput{ReleaseNow: true}, true)
	e.now = e.now.Add(time.Second)
	ensure(forge.EnsureReleaseInput{ReleaseNow: true}, true)
	list, total, err := e.forge.Delivery.ListReleases(e.ctx, e.root, forge.ParseRef(path),
		forge.ReleaseListOptions{}, forge.Page{Page: 1, PerPage: 20})
	if err != nil || total != 5 {
		t.Fatalf("%d releases (%v), err %v; want 5", total, list, err)
	}
}

// EnsureRelease holds GitClear's rules: a repository path, a time or a commit; what it may
// not see is not found; writing needs a developer.
func TestEnsureReleaseRefusals(t *testing.T) {
	e := newDefectEnv(t)
	path := e.shop.FullPath()
	tests := []struct {
		name  string
		actor *forge.Actor
		in    forge.EnsureReleaseInput
		code  forge.Code
		says  string
	}{
		{"sha of no commit", e.root,
			forge.EnsureReleaseInput{ResourcePath: path, SHA: "0123456789abcdef0123456789abcdef01234567"},
			forge.EInvalid, "is not a commit of"},
		{"not a sha", e.root, forge.EnsureReleaseInput{ResourcePath: path, SHA: "main"}, forge.EInvalid,
			"is not a commit sha"},
		{"no path", e.root, forge.EnsureReleaseInput{ReleaseNow: true}, forge.EInvalid, "resource_path"},
		{"no time, no commit", e.root, forge.EnsureReleaseInput{ResourcePath: path, Name: ptr("v1")}, forge.EInvalid,
			"released_at is required unless release_sha, head_long or release_now is given"},
		{"a group path", e.root, forge.EnsureReleaseInput{ResourcePath: "acme/web", ReleaseNow: true}, forge.EInvalid,
			`"acme/web" is not a repository`},
		{"reporter", e.users["rep"], forge.EnsureReleaseInput{ResourcePath: path, SHA: e.shopHead},
			forge.EForbidden, ""},
		{"read-only token", e.users["reader"], forge.EnsureReleaseInput{ResourcePath: path, ReleaseNow: true},
			forge.EForbidden, ""},
		{"private project of others", e.users["outsider"],
			forge.EnsureReleaseInput{ResourcePath: "acme/vault", SHA: e.shopHead},
			forge.ENotFound, ""},
	}
	for _, tt := range tests {
		_, _, err := e.forge.Delivery.EnsureRelease(e.ctx, tt.actor, tt.in)
		if fe := forge.ErrorOf(err); err == nil || fe.Code != tt.code || !strings.Contains(fe.Message, tt.says) {
			t.Errorf("%s: %v, want %s saying %q", tt.name, err, tt.code, tt.says)
		}
	}
	_, total, err := e.forge.Delivery.ListReleases(e.ctx, e.root, forge.ParseRef(path),
		forge.ReleaseListOptions{}, forge.Page{Page: 1, PerPage: 20})
	if err != nil || total != 0 {
		t.Fatalf("releases after refusals: %d, err %v; want none", total, err)
	}
}

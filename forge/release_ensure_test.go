package forge_test

import (
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
	short := e.shopHead[:8]
	in := forge.ReleaseInput{Name: ptr("v3.1 beta"), SHA: &short}
	var wg sync.WaitGroup
	results := make([]bool, 8)
	ids := make([]int64, 8)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, created, err := e.forge.EnsureRelease(e.ctx, e.users["dev"], path, in)
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
	r, isNew, err := e.forge.EnsureRelease(e.ctx, e.users["dev"], path, forge.ReleaseInput{Name: ptr("v3.1 beta"), SHA: &e.shopHead})
	if err != nil || isNew || r.ID != ids[0] || r.SHA != e.shopHead || !r.ReleasedAt.Equal(e.shopHeadAt) || r.TagName != "" {
		t.Fatalf("full sha: %+v new=%v err=%v; want the same release, at the commit's author time", r, isNew, err)
	}
	when := time.Date(2021, 5, 25, 16, 20, 0, 0, time.UTC)
	r, isNew, err = e.forge.EnsureRelease(e.ctx, e.users["dev"], path, forge.ReleaseInput{Name: ptr("v3.2"), SHA: &e.shopHead, ReleasedAt: &when})
	if err != nil || !isNew || r.ID == ids[0] || !r.ReleasedAt.Equal(when) {
		t.Fatalf("another name: %+v new=%v err=%v; want a new release at %v", r, isNew, err, when)
	}
	list, err := e.forge.ReleasesBySHA(e.ctx, e.root, path, e.shopHead)
	if err != nil || len(list) != 2 {
		t.Fatalf("releases of the commit: %d, err %v; want 2", len(list), err)
	}
}

func TestEnsureReleaseRefusals(t *testing.T) {
	e := newDefectEnv(t)
	path := e.shop.FullPath()
	tests := []struct {
		name  string
		actor *forge.Actor
		ref   string
		sha   string
		code  forge.Code
	}{
		{"sha of no commit", e.root, path, "0123456789abcdef0123456789abcdef01234567", forge.EInvalid},
		{"not a sha", e.root, path, "main", forge.EInvalid},
		{"reporter", e.users["rep"], path, e.shopHead, forge.EForbidden},
		{"private project of others", e.users["outsider"], "acme/vault", e.shopHead, forge.ENotFound},
	}
	for _, tt := range tests {
		_, _, err := e.forge.EnsureRelease(e.ctx, tt.actor, tt.ref, forge.ReleaseInput{SHA: &tt.sha})
		if forge.ErrorCode(err) != tt.code {
			t.Errorf("%s: %v, want %s", tt.name, err, tt.code)
		}
	}
	list, err := e.forge.ReleasesBySHA(e.ctx, e.root, path, e.shopHead)
	if err != nil || len(list) != 0 {
		t.Fatalf("releases after refusals: %d, err %v; want none", len(list), err)
	}
}

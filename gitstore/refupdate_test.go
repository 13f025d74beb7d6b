package gitstore

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

func TestUpdateRefsCompareAndSwap(t *testing.T) {
	ts := newTestServer(t)
	g := newGitCLI(t)
	dir := g.newWorkTree(3)
	g.run(dir, "branch", "packed", "HEAD~1")
	seedRepo(t, ts, g, 1, dir, "main", "packed")
	// packed-refs as C git's pack-refs leaves it; loose refs then shadow it.
	g.run(ts.store.Path(1), "pack-refs", "--all")
	h := func(rev string) plumbing.Hash { return plumbing.NewHash(g.run(dir, "rev-parse", rev)) }
	head, one, two := h("HEAD"), h("HEAD~1"), h("HEAD~2")

	tests := []struct {
		name    string
		updates []RefUpdate
		wantErr error
		want    map[string]string // ref → rev afterwards ("" = absent)
	}{
		{"stale old value", []RefUpdate{{Name: "refs/heads/main", Old: one, New: two}}, ErrStaleRef,
			map[string]string{"refs/heads/main": "HEAD"}},
		{"create over an existing ref", []RefUpdate{{Name: "refs/heads/main", New: two}}, errRefExists,
			map[string]string{"refs/heads/main": "HEAD"}},
		{"atomic: one stale, none applied", []RefUpdate{
			{Name: "refs/heads/new", New: two},
			{Name: "refs/heads/packed", Old: head, New: two}}, ErrStaleRef,
			map[string]string{"refs/heads/new": "", "refs/heads/packed": "HEAD~1"}},
		{"update a packed ref", []RefUpdate{{Name: "refs/heads/packed", Old: one, New: two}}, nil,
			map[string]string{"refs/heads/packed": "HEAD~2"}},
		{"delete a packed ref", []RefUpdate{{Name: "refs/heads/packed", Old: two}}, nil,
			map[string]string{"refs/heads/packed": ""}},
		{"name under an existing ref", []RefUpdate{{Name: "refs/heads/main/sub", New: two}}, ErrRefConflict,
			map[string]string{"refs/heads/main/sub": ""}},
		{"invalid name", []RefUpdate{{Name: "refs/heads/a..b", New: two}}, ErrInvalidRefName, nil},
		{"create and move",
			[]RefUpdate{{Name: "refs/tags/t", New: one}, {Name: "refs/heads/main", Old: head, New: one}}, nil,
			map[string]string{"refs/tags/t": "HEAD~1", "refs/heads/main": "HEAD~1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ts.store.UpdateRefs(1, tt.updates)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("UpdateRefs: %v, want %v", err, tt.wantErr)
			}
			refs, err := refStore{dir: ts.store.Path(1)}.list()
			if err != nil {
				t.Fatal(err)
			}
			for name, rev := range tt.want {
				got, ok := refs.lookup(name)
				switch {
				case rev == "" && ok:
					t.Errorf("%s still exists", name)
				case rev != "" && got != h(rev):
					t.Errorf("%s is %s, want %s", name, got, rev)
				}
			}
		})
	}
	// A clash names the reference in the way, above the new one's name or below it.
	g.run(ts.store.Path(1), "update-ref", "refs/heads/topic/a", "HEAD")
	for _, tt := range []struct{ name, existing string }{
		{"refs/heads/main/sub/deeper", "refs/heads/main"},
		{"refs/heads/topic", "refs/heads/topic/a"},
	} {
		err := ts.store.UpdateRefs(1, []RefUpdate{{Name: tt.name, New: two}})
		var rc *RefConflictError
		if !errors.As(err, &rc) || rc.Name != tt.name || rc.Existing != tt.existing {
			t.Errorf("%s: %v, want %s in the way", tt.name, err, tt.existing)
		}
	}
	g.run(ts.store.Path(1), "update-ref", "-d", "refs/heads/topic/a")
	// C git agrees with what was written.
	if out := g.run(ts.store.Path(1), "for-each-ref", "--format=%(refname)"); strings.Contains(out, "packed") {
		t.Errorf("git still sees the deleted packed ref:\n%s", out)
	}
	g.run(ts.store.Path(1), "fsck", "--strict", "--no-dangling")
}

func TestUpdateRefsConcurrentCAS(t *testing.T) {
	ts := newTestServer(t)
	g := newGitCLI(t)
	dir := g.newWorkTree(9)
	seedRepo(t, ts, g, 1, dir)
	var revs []plumbing.Hash
	for i := 8; i >= 0; i-- {
		revs = append(revs, plumbing.NewHash(g.run(dir, "rev-parse", "HEAD~"+string(rune('0'+i)))))
	}
	start := plumbing.NewHash(g.run(dir, "rev-parse", "HEAD"))
	// Eight writers race to move main from the same old value: exactly one may win.
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := ts.store.UpdateRefs(1, []RefUpdate{{Name: "refs/heads/main", Old: start, New: revs[i]}})
			if err == nil {
				mu.Lock()
				wins++
				mu.Unlock()
			} else if !errors.Is(err, ErrStaleRef) {
				t.Errorf("writer %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Errorf("%d writers won", wins)
	}
}

func TestUpdateRefsOfManyNamesAtOnce(t *testing.T) {
	ts := newTestServer(t)
	g := newGitCLI(t)
	dir := g.newWorkTree(2)
	g.run(dir, "branch", "packed", "HEAD~1")
	seedRepo(t, ts, g, 1, dir, "main", "packed")
	repo := ts.store.Path(1)
	g.run(repo, "pack-refs", "--all")
	h := func(rev string) plumbing.Hash { return plumbing.NewHash(g.run(dir, "rev-parse", rev)) }
	locks := func() []string {
		var found []string
		_ = filepath.WalkDir(filepath.Join(repo, "refs"), func(path string, d fs.DirEntry, err error) error {
			if err == nil && strings.HasSuffix(path, ".lock") {
				found = append(found, path)
			}
			return err
		})
		return found
	}

	// An atomic update one of whose files cannot be written changes nothing.
	tooLong := RefUpdate{Name: "refs/heads/" + strings.Repeat("n", 300), New: h("HEAD")}
	err := ts.store.UpdateRefs(1, []RefUpdate{{Name: "refs/heads/fine", New: h("HEAD")}, tooLong})
	if err == nil {
		t.Fatal("an update of a name too long for the file system succeeded")
	}
	if out := g.run(repo, "for-each-ref", "--format=%(refname)"); out != "refs/heads/main\nrefs/heads/packed" {
		t.Errorf("after the failed update, the refs are:\n%s", out)
	}
	if l := locks(); len(l) != 0 {
		t.Errorf("lock files left behind: %v", l)
	}

	// Hundreds at once, beside a move and a delete.
	updates := []RefUpdate{{Name: "refs/heads/main", Old: h("HEAD"), New: h("HEAD~1")},
		{Name: "refs/heads/packed", Old: h("HEAD~1")}}
	want := "refs/heads/main " + h("HEAD~1").String() + "\n"
	for i := 0; i < 300; i++ {
		name := fmt.Sprintf("refs/tags/r/%03d", i)
		updates = append(updates, RefUpdate{Name: name, New: h("HEAD")})
		want += name + " " + h("HEAD").String() + "\n"
	}
	if err := ts.store.UpdateRefs(1, updates); err != nil {
		t.Fatal(err)
	}
	if got := g.run(repo, "for-each-ref", "--format=%(refname) %(objectname)"); got+"\n" != want {
		t.Errorf("git sees:\n%s\nwant:\n%s", got, want)
	}
	if l := locks(); len(l) != 0 {
		t.Errorf("lock files left behind: %v", l)
	}
}

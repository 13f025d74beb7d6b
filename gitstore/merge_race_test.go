package gitstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
)

// raceRepo makes repository 1 with a main branch and feature branches forked from it, each
// changing a file of its own.
func raceRepo(t *testing.T, features int) *Store {
	t.Helper()
	st, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	when := time.Unix(1700000000, 0).UTC()
	files := []File{{Path: "README", Content: []byte("hello\n")}}
	for i := 0; i < features; i++ {
		files = append(files, File{Path: fmt.Sprintf("feature/%d.txt", i), Content: []byte("base\n")},
			File{Path: fmt.Sprintf("pusher%d.txt", i), Content: []byte("base\n")})
	}
	if err := st.Create(1,
		InitOptions{DefaultBranch: "main", Files: files,
			Author: Signature{Name: "A", Email: "a@example.com", When: when}}); err != nil {
		t.Fatal(err)
	}
	r, err := st.OpenRepo(1)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	main, _, err := r.Reference("refs/heads/main")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < features; i++ {
		h, err := buildOn(r, main, fmt.Sprintf("feature/%d.txt", i), "feature\n")
		if err != nil {
			t.Fatal(err)
		}
		if err := st.UpdateRefs(1, []RefUpdate{{Name: fmt.Sprintf("refs/heads/f%d", i), New: h}}); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

// buildOn writes a commit on parent setting one existing file, and returns it (no
// reference moves).
func buildOn(r *Repo, parent plumbing.Hash, path, content string) (plumbing.Hash, error) {
	sig := Signature{Name: "P", Email: "p@example.com", When: time.Unix(1700000100, 0).UTC()}
	return r.BuildCommit(CommitSpec{Parent: parent, Author: sig, Committer: sig, Message: "edit " + path,
		Actions: []FileAction{{Action: ActionUpdate, Path: path, Content: []byte(content), HasContent: true}}})
}

// TestMergeRacingPushLosesNothing: a merge computed against the old tip of the target does
// not overwrite a push that moved it meanwhile; the merge is recomputed on the new tip.
func TestMergeRacingPushLosesNothing(t *testing.T) {
	st := raceRepo(t, 1)
	ctx := context.Background()
	r, err := st.OpenRepo(1)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	target, _, _ := r.Reference("refs/heads/main")
	source, _, _ := r.Reference("refs/heads/f0")
	merge, err := r.MergeCommit(ctx, target, source, testMergeSpec())
	if err != nil {
		t.Fatal(err)
	}

	// A push lands on main between computing the merge and moving the branch.
	pushed, err := buildOn(r, target, "README", "pushed\n")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.UpdateRefs(1, []RefUpdate{{Name: "refs/heads/main", Old: target, New: pushed}}); err != nil {
		t.Fatal(err)
	}
	err = st.UpdateRefs(1, []RefUpdate{{Name: "refs/heads/main", Old: target, New: merge}})
	if !errors.Is(err, ErrStaleRef) {
		t.Fatalf("moving main from its old tip: %v, want ErrStaleRef", err)
	}
	if h, _, _ := r.Reference("refs/heads/main"); h != pushed {
		t.Fatalf("main is %s, the push made it %s", h, pushed)
	}

	// Recomputed on the new tip, the merge keeps the push.
	merge, err = r.MergeCommit(ctx, pushed, source, testMergeSpec())
	if err != nil {
		t.Fatal(err)
	}
	if err := st.UpdateRefs(1, []RefUpdate{{Name: "refs/heads/main", Old: pushed, New: merge}}); err != nil {
		t.Fatal(err)
	}
	c, err := r.Commit(merge)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Parents) != 2 || c.Parents[0] != pushed || c.Parents[1] != source {
		t.Fatalf("merge parents %v, want [%s %s]", c.Parents, pushed, source)
	}
	for path, want := range map[string]string{"README": "pushed\n", "feature/0.txt": "feature\n"} {
		e, err := r.Stat(merge, path)
		if err != nil {
			t.Fatal(err)
		}
		got, err := r.ReadBlob(e.Hash, 0)
		if err != nil || string(got) != want {
			t.Fatalf("%s: %q, %v; want %q", path, got, err, want)
		}
	}
}

// TestConcurrentPushesAndMergesLoseNothing races pushers against a merger on one branch;
// each retries on ErrStaleRef. Every acknowledged update must end up in main's history.
func TestConcurrentPushesAndMergesLoseNothing(t *testing.T) {
	const pushers, pushes, features = 3, 8, 6 // pushers <= features: raceRepo makes one file per feature
	st := raceRepo(t, features)
	ctx := context.Background()
	var mu sync.Mutex
	var acknowledged []plumbing.Hash
	ack := func(h plumbing.Hash) {
		mu.Lock()
		acknowledged = append(acknowledged, h)
		mu.Unlock()
	}
	var stale atomic.Int64
	// update reads main, builds a commit on it with make, and moves main by CAS until it wins.
	update := func(make func(r *Repo, tip plumbing.Hash) (plumbing.Hash, error)) error {
		for attempt := 0; attempt < 200; attempt++ {
			r, err := st.OpenRepo(1)
			if err != nil {
				return err
			}
			tip, _, err := r.Reference("refs/heads/main")
			if err != nil {
				r.Close()
				return err
			}
			h, err := make(r, tip)
			r.Close()
			if err != nil {
				return err
			}
			err = st.UpdateRefs(1, []RefUpdate{{Name: "refs/heads/main", Old: tip, New: h}})
			if errors.Is(err, ErrStaleRef) {
				stale.Add(1)
				continue
			}
			if err == nil {
				ack(h)
			}
			return err
		}
		return errors.New("too many retries")
	}
	var wg sync.WaitGroup
	errs := make(chan error, pushers+1)
	for p := 0; p < pushers; p++ {
		wg.Add(1)
		go func(p int) {
			defer wg.Done()
			for i := 0; i < pushes; i++ {
				err := update(func(r *Repo, tip plumbing.Hash) (plumbing.Hash, error) {
					return buildOn(r, tip, fmt.Sprintf("pusher%d.txt", p), fmt.Sprintf("push %d\n", i))
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}(p)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for f := 0; f < features; f++ {
			err := update(func(r *Repo, tip plumbing.Hash) (plumbing.Hash, error) {
				source, _, err := r.Reference(fmt.Sprintf("refs/heads/f%d", f))
				if err != nil {
					return plumbing.ZeroHash, err
				}
				if f%2 == 0 {
					return r.MergeCommit(ctx, tip, source, testMergeSpec())
				}
				return r.Squash(ctx, tip, source, testMergeSpec())
			})
			if err != nil {
				errs <- err
				return
			}
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	r, err := st.OpenRepo(1)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	main, _, _ := r.Reference("refs/heads/main")
	if len(acknowledged) != pushers*pushes+features {
		t.Fatalf("%d updates acknowledged", len(acknowledged))
	}
	for _, h := range acknowledged {
		if ok, err := r.IsAncestor(ctx, h, main); err != nil || !ok {
			t.Fatalf("acknowledged %s is not in main's history (%v)", h, err)
		}
	}
	for f := 0; f < features; f++ {
		e, err := r.Stat(main, fmt.Sprintf("feature/%d.txt", f))
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := r.ReadBlob(e.Hash, 0); string(got) != "feature\n" {
			t.Fatalf("feature %d lost: %q", f, got)
		}
	}
	t.Logf("%d updates, %d retried after a stale read", len(acknowledged), stale.Load())
}

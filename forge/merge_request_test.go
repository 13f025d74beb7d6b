package forge_test

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"testing"

	"github.com/cairn-forge/cairn/db"
	"github.com/cairn-forge/cairn/forge"
	"github.com/cairn-forge/cairn/gitstore"
	"golang.org/x/crypto/bcrypt"
)

// heldRepos is a repository store whose next update of main waits for the test: it closes
// reached when it gets there, then does what the test sends on release (nil: the update;
// an error: fail with it).
type heldRepos struct {
	*gitstore.Store
	mu      sync.Mutex
	armed   bool
	reached chan struct{}
	release chan error
}

func (h *heldRepos) UpdateRefs(id int64, updates []gitstore.RefUpdate) error {
	h.mu.Lock()
	held := h.armed && len(updates) == 1 && updates[0].Name == "refs/heads/main"
	if held {
		h.armed = false
	}
	h.mu.Unlock()
	if held {
		close(h.reached)
		if err := <-h.release; err != nil {
			return err
		}
	}
	return h.Store.UpdateRefs(id, updates)
}

// hold makes the next update of main wait.
func (h *heldRepos) hold() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.armed, h.reached, h.release = true, make(chan struct{}), make(chan error, 1)
}

// mergeFixture is a forge with a project root/demo whose branch feature is proposed for
// merging into main as merge request !1.
type mergeFixture struct {
	t     testing.TB
	db    *db.DB
	repos *heldRepos
	forge *forge.Service
	root  *forge.Actor
	ref   forge.MergeRequestRef
}

func newMergeFixture(t testing.TB) *mergeFixture {
	t.Helper()
	ctx := context.Background()
	d, store, _ := openData(t)
	var err error
	f := &mergeFixture{t: t, db: d, repos: &heldRepos{Store: store}, ref: forge.MergeRequestRef{N: 1}}
	f.forge = forge.New(d, f.repos, forge.Config{PasswordCost: bcrypt.MinCost}, forge.Options{})
	t.Cleanup(f.forge.Close)
	if _, err := f.forge.Accounts.EnsureRoot(ctx, "root-token"); err != nil {
		t.Fatal(err)
	}
	if f.root, err = f.forge.Access.Authenticate(ctx, "root-token", "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.forge.Projects.CreateProject(ctx, f.root,
		forge.ProjectInput{Name: name("demo"), InitializeWithReadme: true}, 0); err != nil {
		t.Fatal(err)
	}
	f.commit("feature", "main", "feature.txt")
	if _, err := f.forge.Issuables.CreateMergeRequest(ctx, f.root, forge.ParseRef("root/demo"), forge.MergeRequestInput{
		SourceBranch: name("feature"), TargetBranch: name("main"), Title: name("Feature")}); err != nil {
		t.Fatal(err)
	}
	return f
}

// commit adds a file on branch, starting it from start when it is new, and returns the commit.
func (f *mergeFixture) commit(branch, start, file string) string {
	f.t.Helper()
	content := "content of " + file + "\n"
	c, err := f.forge.Repositories.CreateCommit(context.Background(), f.root, forge.ParseRef("root/demo"),
		forge.CommitInput{Branch: branch, StartBranch: start,
			Message: "add " + file,
			Actions: []forge.CommitAction{{Action: "create", FilePath: file, Content: &content}}})
	if err != nil {
		f.t.Fatal(err)
	}
	return c.ID.String()
}

func (f *mergeFixture) get() forge.MergeRequest {
	f.t.Helper()
	m, err := f.forge.Issuables.GetMergeRequest(context.Background(), f.root, forge.ParseRef("root/demo"), f.ref)
	if err != nil {
		f.t.Fatal(err)
	}
	return m
}

func (f *mergeFixture) tip(branch string) string {
	f.t.Helper()
	repo, err := f.repos.OpenRepo(1)
	if err != nil {
		f.t.Fatal(err)
	}
	defer repo.Close()
	h, _, err := repo.Reference("refs/heads/" + branch)
	if err != nil {
		f.t.Fatal(err)
	}
	return h.String()
}

// startMerge begins a merge whose update of main waits; the returned channel gives its outcome.
func (f *mergeFixture) startMerge() <-chan error {
	f.t.Helper()
	f.repos.hold()
	done := make(chan error, 1)
	go func() {
		_, err := f.forge.Issuables.MergeMergeRequest(context.Background(), f.root,
			forge.ParseRef("root/demo"), f.ref, forge.MergeOptions{})
		done <- err
	}()
	select {
	case <-f.repos.reached:
	case err := <-done:
		f.t.Fatalf("the merge ended before it moved main: %v", err)
	}
	return done
}

func wantRefusal(t *testing.T, what string, err error, code forge.Code, reason string) {
	t.Helper()
	if e := forge.ErrorOf(err); err == nil || e.Code != code || e.Reason != reason {
		t.Fatalf("%s: %v, want %s (%q)", what, err, code, reason)
	}
}

// While a merge runs, its merge request is locked: a second merge, a close, a retarget and a
// deletion are refused; other changes are kept when the merge is recorded.
func TestMergeLocksTheMergeRequestUntilItEnds(t *testing.T) {
	ctx := context.Background()
	f := newMergeFixture(t)
	f.commit("other", "main", "other.txt")
	done := f.startMerge()

	if m := f.get(); m.State != forge.StateLocked {
		t.Fatalf("state %q during the merge, want locked", m.State)
	}
	_, err := f.forge.Issuables.MergeMergeRequest(ctx, f.root, forge.ParseRef("root/demo"), f.ref, forge.MergeOptions{})
	wantRefusal(t, "a second merge", err, forge.ENotAllowed, "")
	for _, tt := range []struct {
		name string
		in   forge.MergeRequestInput
	}{
		{"close", forge.MergeRequestInput{StateEvent: "close"}},
		{"retarget", forge.MergeRequestInput{TargetBranch: name("other")}},
		{"close with a new title", forge.MergeRequestInput{StateEvent: "close", Title: name("Closed")}},
	} {
		_, err := f.forge.Issuables.UpdateMergeRequest(ctx, f.root, forge.ParseRef("root/demo"), f.ref, tt.in)
		wantRefusal(t, tt.name, err, forge.EConflict, forge.ReasonMergeInProgress)
	}
	wantRefusal(t, "delete",
		f.forge.Issuables.DeleteMergeRequest(ctx, f.root, forge.ParseRef("root/demo"), f.ref),
		forge.EConflict, forge.ReasonMergeInProgress)
	if _, err := f.forge.Issuables.UpdateMergeRequest(ctx, f.root, forge.ParseRef("root/demo"), f.ref,
		forge.MergeRequestInput{Title: name("Renamed")}); err != nil {
		t.Fatalf("a new title during the merge: %v", err)
	}

	f.repos.release <- nil
	if err := <-done; err != nil {
		t.Fatalf("merge: %v", err)
	}
	m := f.get()
	if m.State != forge.StateMerged || m.Title != "Renamed" || m.TargetBranch != "main" || m.ClosedBy != nil ||
		m.MergeCommitSHA == "" || m.MergeCommitSHA != f.tip("main") {
		t.Fatalf("after the merge: %+v, main at %s", m, f.tip("main"))
	}
}

// A merge that fails after it locked the merge request opens it again, with the tips that
// pushes made meanwhile; nothing is merged.
func TestFailedMergeOpensTheMergeRequestAgain(t *testing.T) {
	ctx := context.Background()
	f := newMergeFixture(t)
	before := f.tip("main")
	done := f.startMerge()
	pushed := f.commit("feature", "", "later.txt")
	f.repos.release <- errors.New("disk full")
	if err := <-done; err == nil {
		t.Fatal("the merge succeeded despite the failed update of main")
	}
	m := f.get()
	if m.State != forge.StateOpened || m.HeadSHA != pushed || m.MergedAt != nil || f.tip("main") != before {
		t.Fatalf("after the failed merge: state %q head %s (pushed %s), main %s (was %s)", m.State, m.HeadSHA,
			pushed, f.tip("main"), before)
	}
	if _, err := f.forge.Issuables.UpdateMergeRequest(ctx, f.root, forge.ParseRef("root/demo"), f.ref,
		forge.MergeRequestInput{StateEvent: "close"}); err != nil {
		t.Fatalf("close after the failed merge: %v", err)
	}
}

// A merge request left locked by a process that stopped during the merge is opened again
// when the next one starts.
func TestReconcileOpensMergeRequestsLeftLocked(t *testing.T) {
	ctx := context.Background()
	f := newMergeFixture(t)
	err := f.db.Write(ctx, func(tx *sql.Tx) error {
		ok, err := db.LockMergeRequest(ctx, tx, 1, false)
		if err == nil && !ok {
			err = errors.New("not locked")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.forge.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if m := f.get(); m.State != forge.StateOpened || m.MergeStatus != forge.MergeCanBeMerged {
		t.Fatalf("after reconciling: state %q, merge status %q", m.State, m.MergeStatus)
	}
	if _, err := f.forge.Issuables.MergeMergeRequest(ctx, f.root, forge.ParseRef("root/demo"), f.ref,
		forge.MergeOptions{}); err != nil {
		t.Fatalf("merge after reconciling: %v", err)
	}
}

package forge_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/cairn-forge/cairn/db"
	"github.com/cairn-forge/cairn/forge"
	"github.com/cairn-forge/cairn/gitstore"
	"golang.org/x/crypto/bcrypt"
)

// faultyRepos is a repository store that fails, or dies, at a chosen step.
type faultyRepos struct {
	*gitstore.Store
	failCreate  bool // Create returns an error before doing anything
	dieInCreate bool // Create makes the repository, then the process "dies"
	dieInDelete bool // Delete is reached after the row is gone, then the process "dies"
	afterCreate func()
}

// crash stands for the process dying: nothing after it runs.
type crash struct{}

func (f *faultyRepos) Create(id int64, opts gitstore.InitOptions) error {
	if f.failCreate {
		return errors.New("disk full")
	}
	if err := f.Store.Create(id, opts); err != nil {
		return err
	}
	if f.afterCreate != nil {
		f.afterCreate()
	}
	if f.dieInCreate {
		panic(crash{})
	}
	return nil
}

func (f *faultyRepos) Delete(id int64) error {
	if f.dieInDelete {
		panic(crash{})
	}
	return f.Store.Delete(id)
}

type harness struct {
	t     *testing.T
	db    *db.DB
	repos *faultyRepos
	forge *forge.Service
	dir   string
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	d, store, dir := openData(t)
	h := &harness{t: t, db: d, repos: &faultyRepos{Store: store}, dir: dir}
	h.forge = forge.New(d, h.repos, forge.Config{PasswordCost: bcrypt.MinCost}, forge.Options{})
	if _, err := h.forge.EnsureRoot(context.Background(), "root-token"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.forge.Close)
	return h
}

func (h *harness) root() *forge.Actor {
	a, err := h.forge.Authenticate(context.Background(), "root-token", "127.0.0.1")
	if err != nil {
		h.t.Fatal(err)
	}
	return a
}

// state reports what exists of project id: its row and its repository.
func (h *harness) state(id int64) (row, repo bool) {
	_, err := db.ProjectByID(context.Background(), h.db.Read, id)
	return err == nil, h.repos.Exists(id)
}

// survive runs fn, recovering the simulated crash.
func survive(fn func()) (crashed bool) {
	defer func() {
		if v := recover(); v != nil {
			if _, ok := v.(crash); !ok {
				panic(v)
			}
			crashed = true
		}
	}()
	fn()
	return false
}

func name(s string) *string { return &s }

func TestProjectAndRepositoryAppearTogether(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		setup func(h *harness, cancel context.CancelFunc)
	}{
		{"repository creation fails", func(h *harness, _ context.CancelFunc) { h.repos.failCreate = true }},
		{"commit fails after the repository is made", func(h *harness, cancel context.CancelFunc) { h.repos.afterCreate = cancel }},
		{"process dies after the repository is made", func(h *harness, _ context.CancelFunc) { h.repos.dieInCreate = true }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			cctx, cancel := context.WithCancel(ctx)
			defer cancel()
			tt.setup(h, cancel)
			crashed := survive(func() {
				_, err := h.forge.CreateProject(cctx, h.root(), forge.ProjectInput{Name: name("demo"), InitializeWithReadme: true}, 0)
				if err == nil {
					t.Fatal("creation succeeded despite the fault")
				}
			})
			if crashed {
				// A restart reconciles before serving.
				h.repos.dieInCreate = false
				if err := h.forge.Reconcile(ctx); err != nil {
					t.Fatal(err)
				}
			}
			if row, repo := h.state(1); row || repo {
				t.Fatalf("after the fault: row=%v repository=%v, want neither", row, repo)
			}
			// The instance still works, and the id is free for the next project.
			h.repos.failCreate, h.repos.afterCreate = false, nil
			v, err := h.forge.CreateProject(ctx, h.root(), forge.ProjectInput{Name: name("demo"), InitializeWithReadme: true}, 0)
			if err != nil {
				t.Fatal(err)
			}
			if row, repo := h.state(v.ID); !row || !repo {
				t.Fatalf("after a clean creation: row=%v repository=%v, want both", row, repo)
			}
		})
	}
}

func TestProjectDeletionSurvivesDyingHalfWay(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t)
	v, err := h.forge.CreateProject(ctx, h.root(), forge.ProjectInput{Name: name("demo")}, 0)
	if err != nil {
		t.Fatal(err)
	}
	h.repos.dieInDelete = true
	if !survive(func() { _ = h.forge.DeleteProject(ctx, h.root(), "root/demo") }) {
		t.Fatal("deletion did not reach the repository")
	}
	if row, repo := h.state(v.ID); row || !repo {
		t.Fatalf("mid-deletion: row=%v repository=%v, want only the repository", row, repo)
	}
	h.repos.dieInDelete = false
	if err := h.forge.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if row, repo := h.state(v.ID); row || repo {
		t.Fatalf("after restart: row=%v repository=%v, want neither", row, repo)
	}
}

func TestReconcileRestoresMissingRepositoryAndSweepsScratch(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t)
	v, err := h.forge.CreateProject(ctx, h.root(), forge.ProjectInput{Name: name("demo")}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(h.repos.Path(v.ID)); err != nil {
		t.Fatal(err)
	}
	leftover := filepath.Join(h.repos.Root(), ".tmp", "9-abc.git")
	if err := os.MkdirAll(leftover, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := h.forge.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if row, repo := h.state(v.ID); !row || !repo {
		t.Fatalf("after reconcile: row=%v repository=%v, want both", row, repo)
	}
	if _, err := os.Stat(leftover); !os.IsNotExist(err) {
		t.Fatalf("scratch directory left behind: %v", err)
	}
}

func TestGroupDeletionRemovesRepositoriesOfSubgroups(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t)
	root := h.root()
	g, err := h.forge.CreateGroup(ctx, root, forge.GroupInput{Name: name("Acme"), Path: name("acme")})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := h.forge.CreateGroup(ctx, root, forge.GroupInput{Name: name("Web"), Path: name("web"), ParentID: &g.ID})
	if err != nil {
		t.Fatal(err)
	}
	v, err := h.forge.CreateProject(ctx, root, forge.ProjectInput{Name: name("site"), NamespaceRef: sub.FullPath}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.forge.DeleteGroup(ctx, root, "acme"); err != nil {
		t.Fatal(err)
	}
	if row, repo := h.state(v.ID); row || repo {
		t.Fatalf("after group deletion: row=%v repository=%v, want neither", row, repo)
	}
	if _, err := h.forge.GroupByRef(ctx, root, "acme/web"); forge.ErrorCode(err) != forge.ENotFound {
		t.Fatalf("subgroup still found: %v", err)
	}
}

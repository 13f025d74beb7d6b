package forge_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cairn-forge/cairn/db"
	"github.com/cairn-forge/cairn/forge"
	"github.com/cairn-forge/cairn/gitstore"
	"golang.org/x/crypto/bcrypt"
)

// faultyRepos is a repository store that fails, or dies, at a chosen step.
type faultyRepos struct {
	*gitstore.Store
	failCreate  bool // Stage returns an error before doing anything
	dieInCreate bool // Publish puts the repository in place, then the process "dies"
	dieInDelete bool // Delete is reached after the row is gone, then the process "dies"
	afterCreate func()
	// meanwhile, when set, runs as a repository is built or its HEAD moved.
	meanwhile func()
}

func (f *faultyRepos) Create(id int64, opts gitstore.InitOptions) error {
	if f.meanwhile != nil {
		f.meanwhile()
	}
	return f.Store.Create(id, opts)
}

func (f *faultyRepos) StageFork(src int64, head string, branches []string) (gitstore.Staged, error) {
	if f.meanwhile != nil {
		f.meanwhile()
	}
	return f.Store.StageFork(src, head, branches)
}

func (f *faultyRepos) SetHead(id int64, branch string) error {
	if f.meanwhile != nil {
		f.meanwhile()
	}
	return f.Store.SetHead(id, branch)
}

// crash stands for the process dying: nothing after it runs.
type crash struct{}

func (f *faultyRepos) Stage(opts gitstore.InitOptions) (gitstore.Staged, error) {
	if f.failCreate {
		return gitstore.Staged{}, errors.New("disk full")
	}
	if f.meanwhile != nil {
		f.meanwhile()
	}
	return f.Store.Stage(opts)
}

func (f *faultyRepos) Publish(st gitstore.Staged, id int64) error {
	if err := f.Store.Publish(st, id); err != nil {
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
	if _, err := h.forge.Accounts.EnsureRoot(context.Background(), "root-token"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.forge.Close)
	return h
}

func (h *harness) root() *forge.Actor {
	a, err := h.forge.Access.Authenticate(context.Background(), "root-token", "127.0.0.1")
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
		{"commit fails after the repository is made",
			func(h *harness, cancel context.CancelFunc) { h.repos.afterCreate = cancel }},
		{"process dies after the repository is made",
			func(h *harness, _ context.CancelFunc) { h.repos.dieInCreate = true }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			cctx, cancel := context.WithCancel(ctx)
			defer cancel()
			tt.setup(h, cancel)
			crashed := survive(func() {
				_, err := h.forge.Projects.CreateProject(cctx, h.root(),
					forge.ProjectInput{Name: name("demo"), InitializeWithReadme: true}, 0)
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
			v, err := h.forge.Projects.CreateProject(ctx, h.root(),
				forge.ProjectInput{Name: name("demo"), InitializeWithReadme: true}, 0)
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
	v, err := h.forge.Projects.CreateProject(ctx, h.root(), forge.ProjectInput{Name: name("demo")}, 0)
	if err != nil {
		t.Fatal(err)
	}
	h.repos.dieInDelete = true
	if !survive(func() { _ = h.forge.Projects.DeleteProject(ctx, h.root(), forge.ParseRef("root/demo")) }) {
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
	v, err := h.forge.Projects.CreateProject(ctx, h.root(), forge.ProjectInput{Name: name("demo")}, 0)
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
	g, err := h.forge.Projects.CreateGroup(ctx, root, forge.GroupInput{Name: name("Acme"), Path: name("acme")})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := h.forge.Projects.CreateGroup(ctx, root,
		forge.GroupInput{Name: name("Web"), Path: name("web"), ParentID: &g.ID})
	if err != nil {
		t.Fatal(err)
	}
	v, err := h.forge.Projects.CreateProject(ctx, root,
		forge.ProjectInput{Name: name("site"), NamespaceRef: sub.FullPath}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.forge.Projects.DeleteGroup(ctx, root, forge.ParseRef("acme")); err != nil {
		t.Fatal(err)
	}
	if row, repo := h.state(v.ID); row || repo {
		t.Fatalf("after group deletion: row=%v repository=%v, want neither", row, repo)
	}
	if _, err := h.forge.Projects.GroupByRef(ctx, root,
		forge.ParseRef("acme/web")); forge.ErrorCode(err) != forge.ENotFound {
		t.Fatalf("subgroup still found: %v", err)
	}
}

// Building a new project's repository and moving a repository's HEAD (a new default branch, or
// the first branch pushed to an empty project) are git work, done outside the database's write
// transaction: other writes on the instance go ahead meanwhile instead of waiting behind them.
func TestWritesGoAheadWhileRepositoriesAreWritten(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		setup func(h *harness, root *forge.Actor) // before the hook is armed
		act   func(h *harness, root *forge.Actor) error
	}{
		{"a project's repository is built", nil, func(h *harness, root *forge.Actor) error {
			_, err := h.forge.Projects.CreateProject(ctx, root,
				forge.ProjectInput{Name: name("demo"), InitializeWithReadme: true}, 0)
			return err
		}},
		{"a fork's repository is copied", func(h *harness, root *forge.Actor) {
			if _, err := h.forge.Projects.CreateProject(ctx, root,
				forge.ProjectInput{Name: name("demo"), InitializeWithReadme: true}, 0); err != nil {
				t.Fatal(err)
			}
		}, func(h *harness, root *forge.Actor) error {
			_, err := h.forge.Projects.ForkProject(ctx, root, forge.ParseRef("root/demo"),
				forge.ForkInput{Path: name("copy")})
			return err
		}},
		{"a new default branch moves HEAD", func(h *harness, root *forge.Actor) {
			if _, err := h.forge.Projects.CreateProject(ctx, root,
				forge.ProjectInput{Name: name("demo"), InitializeWithReadme: true}, 0); err != nil {
				t.Fatal(err)
			}
			if _, err := h.forge.Repositories.CreateBranch(ctx, root, forge.ParseRef("root/demo"), "stable",
				"main"); err != nil {
				t.Fatal(err)
			}
		}, func(h *harness, root *forge.Actor) error {
			_, err := h.forge.Projects.UpdateProject(ctx, root, forge.ParseRef("root/demo"),
				forge.ProjectInput{DefaultBranch: name("stable")})
			return err
		}},
		{"the first branch pushed to an empty project moves HEAD", func(h *harness, root *forge.Actor) {
			if _, err := h.forge.Projects.CreateProject(ctx, root, forge.ProjectInput{Name: name("demo")},
				0); err != nil {
				t.Fatal(err)
			}
		}, func(h *harness, root *forge.Actor) error {
			content := "first\n"
			_, err := h.forge.Repositories.CreateCommit(ctx, root, forge.ParseRef("root/demo"),
				forge.CommitInput{Branch: "trunk", Message: "first",
					Actions: []forge.CommitAction{{Action: "create", FilePath: "a.txt", Content: &content}}})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			root := h.root()
			if _, err := h.forge.Projects.CreateProject(ctx, root, forge.ProjectInput{Name: name("tracker")},
				0); err != nil {
				t.Fatal(err)
			}
			if tt.setup != nil {
				tt.setup(h, root)
			}
			var waited []string
			ran := 0
			h.repos.meanwhile = func() {
				ran++
				created := make(chan error, 1)
				go func() {
					_, err := h.forge.Issuables.CreateIssue(ctx, root, forge.ParseRef("root/tracker"),
						forge.IssueInput{Title: name("unrelated")})
					created <- err
				}()
				select {
				case err := <-created:
					if err != nil {
						t.Errorf("create an issue meanwhile: %v", err)
					}
				case <-time.After(20 * time.Second):
					waited = append(waited, "an issue")
				}
			}
			err := tt.act(h, root)
			h.repos.meanwhile = nil
			if err != nil {
				t.Fatal(err)
			}
			if ran == 0 {
				t.Fatal("the repository was not written")
			}
			if len(waited) > 0 {
				t.Fatalf("%s waited for the repository to be written", waited[0])
			}
		})
	}
}

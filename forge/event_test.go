package forge_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/cairn-forge/cairn/forge"
	"github.com/cairn-forge/cairn/gitstore"
	"golang.org/x/crypto/bcrypt"
)

// countingRepos is a repository store that counts the summaries asked of it.
type countingRepos struct {
	*gitstore.Store
	summaries atomic.Int32
}

func (c *countingRepos) SummarizeUpdates(ctx context.Context, id int64, updates []gitstore.RefUpdate,
	limit int) ([]gitstore.PushSummary, error) {
	c.summaries.Add(1)
	return c.Store.SummarizeUpdates(ctx, id, updates, limit)
}

func TestRecordPushSummarizesEveryUpdateInOnePass(t *testing.T) {
	ctx := context.Background()
	d, store, _ := openData(t)
	repos := &countingRepos{Store: store}
	f := forge.New(d, repos, forge.Config{PasswordCost: bcrypt.MinCost}, forge.Options{})
	t.Cleanup(f.Close)
	if _, err := f.Accounts.EnsureRoot(ctx, "root-token"); err != nil {
		t.Fatal(err)
	}
	root, err := f.Access.Authenticate(ctx, "root-token", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	v, err := f.Projects.CreateProject(ctx, root, forge.ProjectInput{Name: name("wide"), InitializeWithReadme: true}, 0)
	if err != nil {
		t.Fatal(err)
	}
	repo, err := store.OpenRepo(v.ID)
	if err != nil {
		t.Fatal(err)
	}
	tip, _, err := repo.Reference("refs/heads/main")
	repo.Close()
	if err != nil {
		t.Fatal(err)
	}

	// A mirror push of many references, as git push --mirror sends them.
	const refs = 300
	var updates []gitstore.RefUpdate
	for i := 0; i < refs; i++ {
		name := fmt.Sprintf("refs/heads/b%03d", i)
		if i%2 == 1 {
			name = fmt.Sprintf("refs/tags/t%03d", i)
		}
		updates = append(updates, gitstore.RefUpdate{Name: name, New: tip})
	}
	if err := store.UpdateRefs(v.ID, updates); err != nil {
		t.Fatal(err)
	}
	if err := f.Projects.RecordPush(ctx, root, v.ID, updates); err != nil {
		t.Fatal(err)
	}
	if n := repos.summaries.Load(); n != 1 {
		t.Errorf("the push was summarized in %d passes", n)
	}
	events, total, err := f.Projects.ListProjectEvents(ctx, root, forge.ParseRef("root/wide"), "", true,
		forge.Page{Page: 1, PerPage: refs})
	if err != nil {
		t.Fatal(err)
	}
	if total != refs || len(events) != refs {
		t.Fatalf("%d events (%d listed), want %d", total, len(events), refs)
	}
	for i, e := range events {
		want := fmt.Sprintf("b%03d", i)
		if i%2 == 1 {
			want = fmt.Sprintf("t%03d", i)
		}
		if e.Ref != want || e.Action != forge.ActionPushedNew || e.CommitCount != 1 ||
			e.CommitTitle != "Initial commit" ||
			e.CommitTo != tip.String() {
			t.Fatalf("event %d: %+v", i, e)
		}
	}
}

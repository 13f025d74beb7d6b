package forge_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/cairn-forge/cairn/db"
	"github.com/cairn-forge/cairn/forge"
	"golang.org/x/crypto/bcrypt"
)

// clock is a settable time source for the delivery tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// delivery is a forge over a fresh data directory with a settable clock, root and a project
// "root/app" whose main branch starts with a README committed at the clock's start.
type delivery struct {
	t     *testing.T
	forge *forge.Service
	db    *db.DB
	clock *clock
	root  *forge.Actor
	proj  forge.ProjectView
}

var t0 = time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)

func newDelivery(t *testing.T, cfg forge.Config) *delivery {
	t.Helper()
	return newDeliveryWith(t, cfg, forge.Options{})
}

// newDeliveryWith is newDelivery with collaborators of its own (the clock is the delivery's).
func newDeliveryWith(t *testing.T, cfg forge.Config, opts forge.Options) *delivery {
	t.Helper()
	d, store, _ := openData(t)
	cfg.PasswordCost = bcrypt.MinCost
	c := &clock{t: t0}
	opts.Now = c.now
	f := forge.New(d, store, cfg, opts)
	t.Cleanup(f.Close)
	ctx := context.Background()
	if _, err := f.Accounts.EnsureRoot(ctx, "root-token"); err != nil {
		t.Fatal(err)
	}
	root, err := f.Access.Authenticate(ctx, "root-token", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.Projects.CreateProject(ctx, root, forge.ProjectInput{Name: name("app"), InitializeWithReadme: true}, 0)
	if err != nil {
		t.Fatal(err)
	}
	return &delivery{t: t, forge: f, db: d, clock: c, root: root, proj: p}
}

// commit adds a file to main an hour after the previous step and returns the commit's sha.
func (h *delivery) commit(path string) string {
	h.t.Helper()
	h.clock.advance(time.Hour)
	content := "content of " + path
	cv, err := h.forge.Repositories.CreateFile(context.Background(), h.root,
		forge.ParseRef(h.proj.FullPath()), forge.FileInput{
			Path: path, Branch: "main", Message: "add " + path, Content: &content})
	if err != nil {
		h.t.Fatal(err)
	}
	return cv.ID.String()
}

func (h *delivery) head() string {
	h.t.Helper()
	b, err := h.forge.Repositories.GetBranch(context.Background(), h.root, forge.ParseRef(h.proj.FullPath()), "main")
	if err != nil {
		h.t.Fatal(err)
	}
	return b.Commit.ID.String()
}

func wantCode(t *testing.T, err error, code forge.Code) {
	t.Helper()
	if got := forge.ErrorCode(err); got != code {
		t.Fatalf("error %v: code %q, want %q", err, got, code)
	}
}

func shas(list []forge.ShippedCommit) []string {
	out := make([]string, len(list))
	for i, c := range list {
		out[i] = c.SHA
	}
	return out
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// A release of a new tag creates the tag at its ref; without a release time, the commit's
// author time stands in; each release records the commits since the one before it.
func TestCreateReleaseTagsAndRecordsShippedCommits(t *testing.T) {
	h := newDelivery(t, forge.Config{})
	ctx := context.Background()
	readme := h.head()
	r1, err := h.forge.Delivery.CreateRelease(ctx, h.root, forge.ParseRef(h.proj.FullPath()),
		forge.ReleaseInput{TagName: name("v1.0"), Ref: name("main")})
	if err != nil {
		t.Fatal(err)
	}
	if r1.SHA != readme || !r1.ReleasedAt.Equal(t0) || r1.Name != "v1.0" || r1.Author.Username != "root" {
		t.Errorf("release v1.0: %+v; want sha %s released at %v", r1, readme, t0)
	}
	tag, err := h.forge.Repositories.GetTag(ctx, h.root, forge.ParseRef(h.proj.FullPath()), "v1.0")
	if err != nil || tag.Commit.ID.String() != readme {
		t.Fatalf("tag v1.0: %+v, %v", tag, err)
	}
	a, b := h.commit("a.txt"), h.commit("b.txt")
	r2, err := h.forge.Delivery.CreateRelease(ctx, h.root, forge.ParseRef(h.proj.FullPath()),
		forge.ReleaseInput{TagName: name("release/2"), Ref: name("main"),
			Description: name("two files"), TagMessage: name("annotated")})
	if err != nil {
		t.Fatal(err)
	}
	if !r2.ReleasedAt.Equal(t0.Add(2 * time.Hour)) {
		t.Errorf("release/2 released at %v, want the author time of b.txt's commit", r2.ReleasedAt)
	}
	got, err := h.forge.Delivery.ReleaseShippedCommits(ctx, h.root, forge.ParseRef(h.proj.FullPath()), r2.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{b, a}; !equalStrings(shas(got), want) {
		t.Errorf("release/2 shipped %v, want %v", shas(got), want)
	}
	if got, _ := h.forge.Delivery.ReleaseShippedCommits(ctx, h.root, forge.ParseRef(h.proj.FullPath()),
		r1.ID); !equalStrings(shas(got), []string{readme}) {
		t.Errorf("v1.0 shipped %v, want the first commit", shas(got))
	}
	// An existing tag names the commit; the release of a tag exists once.
	_, err = h.forge.Delivery.CreateRelease(ctx, h.root, forge.ParseRef(h.proj.FullPath()),
		forge.ReleaseInput{TagName: name("v1.0")})
	wantCode(t, err, forge.EConflict)
}

func TestCreateReleaseRefusesBadInputAndWritesNothing(t *testing.T) {
	h := newDelivery(t, forge.Config{})
	ctx := context.Background()
	other, err := h.forge.Projects.CreateProject(ctx, h.root,
		forge.ProjectInput{Name: name("other"), InitializeWithReadme: true}, 0)
	if err != nil {
		t.Fatal(err)
	}
	h.clock.advance(time.Minute)
	foreign := func() string {
		content := "x"
		cv, err := h.forge.Repositories.CreateFile(ctx, h.root, forge.ParseRef(other.FullPath()),
			forge.FileInput{Path: "x", Branch: "main", Message: "x", Content: &content})
		if err != nil {
			t.Fatal(err)
		}
		return cv.ID.String()
	}()
	tests := []struct {
		name string
		in   forge.ReleaseInput
		code forge.Code
	}{
		{"new tag without ref", forge.ReleaseInput{TagName: name("v9")}, forge.EInvalid},
		{"sha of another repository", forge.ReleaseInput{TagName: name("v9"), SHA: &foreign}, forge.EInvalid},
		{"unknown ref", forge.ReleaseInput{TagName: name("v9"), Ref: name("nope")}, forge.EInvalid},
		{"invalid tag name", forge.ReleaseInput{TagName: name("bad..tag"), Ref: name("main")}, forge.EInvalid},
		{"no tag, no sha, no time", forge.ReleaseInput{Name: name("x")}, forge.EInvalid},
		{"tagless with a foreign sha", forge.ReleaseInput{SHA: &foreign}, forge.EInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.forge.Delivery.CreateRelease(ctx, h.root, forge.ParseRef(h.proj.FullPath()), tt.in)
			wantCode(t, err, tt.code)
		})
	}
	list, total, err := h.forge.Delivery.ListReleases(ctx, h.root, forge.ParseRef(h.proj.FullPath()),
		forge.ReleaseListOptions{}, forge.Page{Page: 1, PerPage: 20})
	if err != nil || total != 0 || len(list) != 0 {
		t.Errorf("releases after refusals: %d, %v", total, err)
	}
	if _, err := h.forge.Repositories.GetTag(ctx, h.root, forge.ParseRef(h.proj.FullPath()),
		"v9"); forge.ErrorCode(err) != forge.ENotFound {
		t.Errorf("tag v9 exists after refused releases: %v", err)
	}
}

// GitClear records releases without a tag: by commit, or by time alone.
func TestTaglessReleases(t *testing.T) {
	h := newDelivery(t, forge.Config{})
	ctx := context.Background()
	sha := h.head()
	r, err := h.forge.Delivery.CreateRelease(ctx, h.root, forge.ParseRef(h.proj.FullPath()),
		forge.ReleaseInput{Name: name("v3.1 beta"), SHA: &sha})
	if err != nil {
		t.Fatal(err)
	}
	if r.TagName != "" || r.SHA != sha || !r.ReleasedAt.Equal(t0) {
		t.Errorf("tagless release: %+v", r)
	}
	at := time.Date(2021, 5, 25, 16, 20, 0, 0, time.UTC)
	r2, err := h.forge.Delivery.CreateRelease(ctx, h.root, forge.ParseRef(h.proj.FullPath()),
		forge.ReleaseInput{Name: name("timed"), ReleasedAt: &at})
	if err != nil || r2.SHA != "" || !r2.ReleasedAt.Equal(at) {
		t.Fatalf("timed release: %+v, %v", r2, err)
	}
	found, err := h.forge.Delivery.ReleasesBySHA(ctx, h.root, forge.ParseRef(h.proj.FullPath()), sha)
	if err != nil || len(found) != 1 || found[0].ID != r.ID {
		t.Errorf("releases by sha: %+v, %v", found, err)
	}
	// A tagless release has no tag to be found by.
	_, err = h.forge.Delivery.GetRelease(ctx, h.root, forge.ParseRef(h.proj.FullPath()), "")
	wantCode(t, err, forge.ENotFound)
}

func TestReleaseUpdateAndDelete(t *testing.T) {
	h := newDelivery(t, forge.Config{})
	ctx := context.Background()
	if _, err := h.forge.Delivery.CreateRelease(ctx, h.root, forge.ParseRef(h.proj.FullPath()),
		forge.ReleaseInput{TagName: name("v1"), Ref: name("main")}); err != nil {
		t.Fatal(err)
	}
	at := t0.Add(48 * time.Hour)
	r, err := h.forge.Delivery.UpdateRelease(ctx, h.root, forge.ParseRef(h.proj.FullPath()), "v1",
		forge.ReleaseInput{Name: name("One"), ReleasedAt: &at})
	if err != nil || r.Name != "One" || !r.ReleasedAt.Equal(at) {
		t.Fatalf("update: %+v, %v", r, err)
	}
	_, err = h.forge.Delivery.UpdateRelease(ctx, h.root, forge.ParseRef(h.proj.FullPath()), "v2",
		forge.ReleaseInput{Name: name("x")})
	wantCode(t, err, forge.ENotFound)
	d, err := h.forge.Delivery.DeleteRelease(ctx, h.root, forge.ParseRef(h.proj.FullPath()), "v1")
	if err != nil || d.Name != "One" {
		t.Fatalf("delete: %+v, %v", d, err)
	}
	if d, err := h.forge.Delivery.DeleteRelease(ctx, h.root, forge.ParseRef(h.proj.FullPath()),
		"v1"); err != nil || d.ID != 0 {
		t.Errorf("deleting again: %+v, %v; want success with nothing", d, err)
	}
	if _, err := h.forge.Repositories.GetTag(ctx, h.root, forge.ParseRef(h.proj.FullPath()), "v1"); err != nil {
		t.Errorf("the tag went with its release: %v", err)
	}
}

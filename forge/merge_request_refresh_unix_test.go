//go:build unix

package forge_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/cairn-forge/cairn/forge"
	"github.com/cairn-forge/cairn/gitstore"
	"github.com/go-git/go-git/v5/plumbing"
)

// pausedRefs makes every listing of the references of project 1 wait for the test: a loose
// reference that is a named pipe blocks its reader until the test writes a value into it.
type pausedRefs struct {
	t    *testing.T
	pipe string
	sha  string
}

func pauseRefs(t *testing.T, f *mergeFixture) *pausedRefs {
	t.Helper()
	p := &pausedRefs{t: t, pipe: filepath.Join(f.repos.Path(1), "refs", "heads", "paused"), sha: f.tip("main")}
	if err := syscall.Mkfifo(p.pipe, 0o600); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	return p
}

// reader waits until something lists the references and is blocked reading the pipe.
func (p *pausedRefs) reader() *os.File {
	p.t.Helper()
	w, err := os.OpenFile(p.pipe, os.O_WRONLY, 0)
	if err != nil {
		p.t.Fatal(err)
	}
	return w
}

// resume lets the blocked reader go on, and every later listing until done is closed; then
// the pipe is a plain reference again.
func (p *pausedRefs) resume(w *os.File, done <-chan struct{}) {
	fmt.Fprintln(w, p.sha)
	w.Close()
	go func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			// Non-blocking: only when a reader waits.
			w, err := os.OpenFile(p.pipe, os.O_WRONLY|syscall.O_NONBLOCK, 0)
			if err != nil {
				time.Sleep(time.Millisecond)
				continue
			}
			fmt.Fprintln(w, p.sha)
			w.Close()
		}
	}()
}

// commitUnrefreshed commits to main and puts merge request !1's target back as it was, as
// if the refresh of that push were still to come; it returns main's old and new tips.
func (f *mergeFixture) commitUnrefreshed(file string) (old, pushed plumbing.Hash) {
	f.t.Helper()
	ctx := context.Background()
	old = plumbing.NewHash(f.tip("main"))
	pushed = plumbing.NewHash(f.commit("main", "", file))
	if err := f.db.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE merge_requests SET target_sha = ? WHERE id = 1", old.String())
		return err
	}); err != nil {
		f.t.Fatal(err)
	}
	return old, pushed
}

// whileReadingRefs runs act, which lists the references of project 1, and once act is blocked
// reading them runs meanwhile, which must finish while act waits; then act goes on, and its
// error is returned. what names meanwhile for the failure.
func whileReadingRefs(t *testing.T, f *mergeFixture, act func() error, what string, meanwhile func() error) error {
	t.Helper()
	paused := pauseRefs(t, f)
	acted := make(chan error, 1)
	go func() { acted <- act() }()
	w := paused.reader()
	done := make(chan struct{})
	defer close(done)
	ran := make(chan error, 1)
	go func() { ran <- meanwhile() }()
	select {
	case err := <-ran:
		paused.resume(w, done)
		if err != nil {
			<-acted
			t.Fatalf("%s: %v", what, err)
		}
	case <-time.After(20 * time.Second):
		paused.resume(w, done)
		<-ran
		<-acted
		t.Fatalf("%s waited for the reading of the repository", what)
	}
	return <-acted
}

// createIssue creates an issue in root/tracker, a project unrelated to root/demo.
func (f *mergeFixture) createIssue() error {
	_, err := f.forge.Issuables.CreateIssue(context.Background(), f.root, forge.ParseRef("root/tracker"),
		forge.IssueInput{Title: name("unrelated")})
	return err
}

// A push reads the repository to refresh the open merge requests of the branches it moved
// (their tips; whether the push merged them) before it writes anything: while that reading
// goes on, however long, other writes on the instance go ahead instead of waiting behind it.
func TestWritesGoAheadWhileAPushRefreshesMergeRequests(t *testing.T) {
	ctx := context.Background()
	f := newMergeFixture(t)
	if _, err := f.forge.Projects.CreateProject(ctx, f.root, forge.ProjectInput{Name: name("tracker")}, 0); err != nil {
		t.Fatal(err)
	}
	old, pushed := f.commitUnrefreshed("pushed.txt")
	update := gitstore.RefUpdate{Name: "refs/heads/main", Old: old, New: pushed}
	err := whileReadingRefs(t, f, func() error {
		return f.forge.Projects.RecordPush(ctx, f.root, 1, []gitstore.RefUpdate{update})
	}, "an issue in another project", f.createIssue)
	if err != nil {
		t.Fatal(err)
	}
	if m := f.get(); m.TargetSHA != pushed.String() || m.State != forge.StateOpened {
		t.Fatalf("after the refresh: target %s (pushed %s), state %q", m.TargetSHA, pushed, m.State)
	}
}

// A refresh writes a merge request only if it is still open with the tips it read: one closed
// while the refresh read the repository stays closed, with its tips as they were.
func TestRefreshKeepsWhatChangedWhileItRead(t *testing.T) {
	ctx := context.Background()
	f := newMergeFixture(t)
	old, pushed := f.commitUnrefreshed("pushed.txt")
	update := gitstore.RefUpdate{Name: "refs/heads/main", Old: old, New: pushed}
	err := whileReadingRefs(t, f, func() error {
		return f.forge.Projects.RecordPush(ctx, f.root, 1, []gitstore.RefUpdate{update})
	}, "the close", func() error {
		_, err := f.forge.Issuables.UpdateMergeRequest(ctx, f.root, forge.ParseRef("root/demo"), f.ref,
			forge.MergeRequestInput{StateEvent: "close"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if m := f.get(); m.State != forge.StateClosed || m.TargetSHA != old.String() {
		t.Fatalf("after the refresh: state %q, target %s; want closed at %s", m.State, m.TargetSHA, old)
	}
}

// A new target branch and a reopening take the branches' tips from the repository, read
// before the merge request is written: other writes go ahead while they are read.
func TestWritesGoAheadWhileAMergeRequestTakesItsBranchTips(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name   string
		before forge.MergeRequestInput
		change forge.MergeRequestInput
		want   func(m forge.MergeRequest) bool
	}{
		{"retarget", forge.MergeRequestInput{}, forge.MergeRequestInput{TargetBranch: name("other")},
			func(m forge.MergeRequest) bool { return m.TargetBranch == "other" && m.State == forge.StateOpened }},
		{"reopen", forge.MergeRequestInput{StateEvent: "close"}, forge.MergeRequestInput{StateEvent: "reopen"},
			func(m forge.MergeRequest) bool { return m.State == forge.StateOpened }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newMergeFixture(t)
			if _, err := f.forge.Projects.CreateProject(ctx, f.root,
				forge.ProjectInput{Name: name("tracker")}, 0); err != nil {
				t.Fatal(err)
			}
			f.commit("other", "main", "other.txt")
			if _, err := f.forge.Issuables.UpdateMergeRequest(ctx, f.root, forge.ParseRef("root/demo"), f.ref,
				tt.before); err != nil {
				t.Fatal(err)
			}
			err := whileReadingRefs(t, f, func() error {
				_, err := f.forge.Issuables.UpdateMergeRequest(ctx, f.root, forge.ParseRef("root/demo"),
					f.ref, tt.change)
				return err
			}, "an issue in another project", f.createIssue)
			if err != nil {
				t.Fatal(err)
			}
			if m := f.get(); !tt.want(m) {
				t.Fatalf("after the change: %+v", m)
			}
		})
	}
}

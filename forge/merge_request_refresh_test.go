package forge_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/cairn-forge/cairn/forge"
	"github.com/cairn-forge/cairn/gitstore"
	"github.com/go-git/go-git/v5/plumbing"
)

// A push to a branch that many open merge requests target refreshes every one of them, in
// turns of a few per write: each gets the new target tip and a status to check again, and the
// one whose source the push brought into the target is merged by the pusher, with a note.
func TestPushRefreshesEveryOpenMergeRequestOfTheBranch(t *testing.T) {
	ctx := context.Background()
	f := newMergeFixture(t)
	const count = 75 // more than two turns
	for i := 2; i <= count; i++ {
		branch := fmt.Sprintf("topic-%d", i)
		f.commit(branch, "main", branch+".txt")
		if _, err := f.forge.Issuables.CreateMergeRequest(ctx, f.root, forge.ParseRef("root/demo"),
			forge.MergeRequestInput{
				SourceBranch: name(branch), TargetBranch: name("main"), Title: name("Topic " + branch)}); err != nil {
			t.Fatal(err)
		}
	}
	// main moves to topic-40's tip, outside cairn's merge: a fast-forward push.
	old, merged := plumbing.NewHash(f.tip("main")), plumbing.NewHash(f.tip("topic-40"))
	update := gitstore.RefUpdate{Name: "refs/heads/main", Old: old, New: merged}
	if err := f.repos.UpdateRefs(1, []gitstore.RefUpdate{update}); err != nil {
		t.Fatal(err)
	}
	if err := f.forge.Projects.RecordPush(ctx, f.root, 1, []gitstore.RefUpdate{update}); err != nil {
		t.Fatal(err)
	}
	for iid := int64(1); iid <= count; iid++ {
		ref := forge.MergeRequestRef{N: iid}
		m, err := f.forge.Issuables.GetMergeRequest(ctx, f.root, forge.ParseRef("root/demo"), ref)
		if err != nil {
			t.Fatal(err)
		}
		if m.TargetSHA != merged.String() {
			t.Errorf("!%d: target %s, want the pushed %s", iid, m.TargetSHA, merged)
		}
		wantMerged := m.SourceBranch == "topic-40"
		if (m.State == forge.StateMerged) != wantMerged || wantMerged && (m.MergedBy == nil ||
			m.MergedBy.Username != "root") {
			t.Errorf("!%d (%s): state %q, merged by %+v", iid, m.SourceBranch, m.State, m.MergedBy)
		}
		if !wantMerged {
			continue
		}
		target, err := f.forge.Issuables.MergeRequestNoteTarget(ctx, f.root, forge.ParseRef("root/demo"), ref)
		if err != nil {
			t.Fatal(err)
		}
		notes, _, err := f.forge.Issuables.ListNotes(ctx, f.root, target, forge.NoteListOptions{},
			forge.Page{Page: 1, PerPage: 20})
		if err != nil || len(notes) != 1 || notes[0].Body != "merged manually" || !notes[0].System {
			t.Errorf("!%d notes: %+v, %v; want one system note \"merged manually\"", iid, notes, err)
		}
	}
}

// BenchmarkPushRefreshesOpenMergeRequests times the record of a push to main (its refresh of
// the open merge requests into main, all of which it moves) with 0, 100 and 1,000 of them,
// while a client creates issues in another project; it reports the issue creations' p99 and
// maximum.
func BenchmarkPushRefreshesOpenMergeRequests(b *testing.B) {
	for _, open := range []int{0, 100, 1000} {
		b.Run(fmt.Sprintf("open=%d", open), func(b *testing.B) {
			ctx := context.Background()
			f := newMergeFixture(b)
			if _, err := f.forge.Projects.CreateProject(ctx, f.root,
				forge.ProjectInput{Name: name("tracker")}, 0); err != nil {
				b.Fatal(err)
			}
			if err := f.forge.Issuables.DeleteMergeRequest(ctx, f.root, forge.ParseRef("root/demo"),
				f.ref); err != nil {
				b.Fatal(err)
			}
			for i := range open {
				branch := fmt.Sprintf("topic-%d", i)
				f.commit(branch, "main", branch+".txt")
				if _, err := f.forge.Issuables.CreateMergeRequest(ctx, f.root, forge.ParseRef("root/demo"),
					forge.MergeRequestInput{
						SourceBranch: name(branch), TargetBranch: name("main"), Title: name(branch)}); err != nil {
					b.Fatal(err)
				}
			}
			var lat []time.Duration
			stop := make(chan struct{})
			done := make(chan struct{})
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				old := plumbing.NewHash(f.tip("main"))
				next := plumbing.NewHash(f.commit(fmt.Sprintf("next-%d", i), "main", fmt.Sprintf("next-%d.txt", i)))
				update := gitstore.RefUpdate{Name: "refs/heads/main", Old: old, New: next}
				if err := f.repos.UpdateRefs(1, []gitstore.RefUpdate{update}); err != nil {
					b.Fatal(err)
				}
				stop, done = make(chan struct{}), make(chan struct{})
				go func() {
					defer close(done)
					for {
						select {
						case <-stop:
							return
						default:
						}
						t0 := time.Now()
						if _, err := f.forge.Issuables.CreateIssue(ctx, f.root,
							forge.ParseRef("root/tracker"), forge.IssueInput{Title: name("unrelated")}); err != nil {
							panic(err)
						}
						lat = append(lat, time.Since(t0))
					}
				}()
				b.StartTimer()
				if err := f.forge.Projects.RecordPush(ctx, f.root, 1, []gitstore.RefUpdate{update}); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				close(stop)
				<-done
				b.StartTimer()
			}
			b.StopTimer()
			if len(lat) > 0 {
				slices.Sort(lat)
				b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "issue-p99-ms")
				b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "issue-max-ms")
			}
		})
	}
}

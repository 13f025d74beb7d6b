package gitstore

import (
	"strconv"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

func TestSummarizeUpdatesCountsWhatEachUpdateBrought(t *testing.T) {
	ts := newTestServer(t)
	g := newGitCLI(t)
	dir := g.newWorkTree(6)
	base := g.run(dir, "rev-parse", "HEAD~2")
	g.run(dir, "checkout", "-q", "-b", "topic", base)
	g.commit(dir, "topic one", map[string]string{"t.txt": "1\n"})
	g.commit(dir, "topic two\n\nwith a body", map[string]string{"t.txt": "2\n"})
	g.run(dir, "checkout", "-q", "main")
	g.run(dir, "merge", "-q", "--no-ff", "-m", "Merge topic", "topic")
	g.run(dir, "tag", "-a", "-m", "release", "v1", "HEAD~1")
	g.run(dir, "tag", "light", "topic")
	seedRepo(t, ts, g, 1, dir, "main", "topic", "v1", "light")

	rev := func(r string) plumbing.Hash { return plumbing.NewHash(g.run(dir, "rev-parse", r)) }
	count := func(r string) int {
		n, err := strconv.Atoi(g.run(dir, "rev-list", "--count", r))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	tests := []struct {
		name   string
		update RefUpdate
		limit  int
		want   PushSummary
	}{
		{"a new branch counts its whole history", RefUpdate{Name: "refs/heads/main", New: rev("main")}, 100,
			PushSummary{Commits: count("main"), Title: "Merge topic"}},
		{"up to the limit", RefUpdate{Name: "refs/heads/main", New: rev("main")}, 3,
			PushSummary{Commits: 3, Title: "Merge topic"}},
		{"a fast-forward counts old..new",
			RefUpdate{Name: "refs/heads/main", Old: rev("main~3"), New: rev("main")}, 100,
			PushSummary{Commits: count("main~3..main"), Title: "Merge topic"}},
		{"a merge brings the merged branch",
			RefUpdate{Name: "refs/heads/main", Old: rev("main^1"), New: rev("main")}, 100,
			PushSummary{Commits: count("main^1..main"), Title: "Merge topic"}},
		{"a rewind brings nothing", RefUpdate{Name: "refs/heads/main", Old: rev("main"), New: rev("main~2")}, 100,
			PushSummary{Commits: 0, Title: "commit 4"}},
		{"a force-push counts what the old value lacks",
			RefUpdate{Name: "refs/heads/topic", Old: rev("main"), New: rev("topic")}, 100,
			PushSummary{Commits: count("main..topic"), Title: "topic two"}},
		{"a lightweight tag names a commit", RefUpdate{Name: "refs/tags/light", New: rev("light")}, 100,
			PushSummary{Commits: count("light"), Title: "topic two"}},
		{"an annotated tag brings no commit", RefUpdate{Name: "refs/tags/v1", New: rev("v1")}, 100, PushSummary{}},
		{"a deletion brings nothing", RefUpdate{Name: "refs/heads/topic", Old: rev("topic")}, 100, PushSummary{}},
		{"an old value missing from the repository excludes nothing", RefUpdate{Name: "refs/heads/main",
			Old: plumbing.NewHash("1111111111111111111111111111111111111111"), New: rev("main~1")}, 100,
			PushSummary{Commits: count("main~1"), Title: "commit 5"}},
	}
	var all []RefUpdate
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ts.store.SummarizeUpdates(t.Context(), 1, []RefUpdate{tt.update}, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			if got[0] != tt.want {
				t.Errorf("got %+v, want %+v", got[0], tt.want)
			}
		})
		if tt.limit == 100 {
			all = append(all, tt.update)
		}
	}
	// All at once, as a push records them: the same answers, in the same order.
	got, err := ts.store.SummarizeUpdates(t.Context(), 1, all, 100)
	if err != nil {
		t.Fatal(err)
	}
	k := 0
	for _, tt := range tests {
		if tt.limit != 100 {
			continue
		}
		if got[k] != tt.want {
			t.Errorf("in one call, %s: got %+v, want %+v", tt.name, got[k], tt.want)
		}
		k++
	}
}

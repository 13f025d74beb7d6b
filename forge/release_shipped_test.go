package forge_test

import (
	"testing"

	"github.com/cairn-forge/cairn/forge"
)

// docsHistory commits A, B and C to docs (whose README is of 02-20 00:00) on 03-02, 03-03 and
// 03-04 at midnight, and returns their shas and the README's.
func (e *doraEnv) docsHistory() (readme, a, b, c string) {
	e.t.Helper()
	head := func() string {
		br, err := e.forge.Repositories.GetBranch(e.ctx, e.root, forge.ParseRef(e.docs.FullPath()), "main")
		if err != nil {
			e.t.Fatal(err)
		}
		return br.Commit.ID.String()
	}
	readme = head()
	e.commit(e.docs, "03-02 00:00")
	a = head()
	e.commit(e.docs, "03-03 00:00")
	b = head()
	e.commit(e.docs, "03-04 00:00")
	return readme, a, b, head()
}

// docsLeadTime checks docs' lead time for changes over March, all at once and on the days
// given (null on the others).
func docsLeadTime(t *testing.T, e *doraEnv, label string, all float64, days map[string]float64) {
	t.Helper()
	q := forge.DORAQuery{Metric: forge.DORALeadTimeForChanges, Interval: forge.DORAAll,
		Start: doraDay(t, "03-01 00:00"), End: doraDay(t, "03-31 00:00")}
	got, err := e.forge.Delivery.ProjectDORA(e.ctx, e.root, forge.ParseRef(e.docs.FullPath()), q)
	if err != nil {
		t.Fatal(err)
	}
	figures{want: map[string]float64{"": all}}.check(t, label+", all", got, 1)
	q.Interval = forge.DORADaily
	if got, err = e.forge.Delivery.ProjectDORA(e.ctx, e.root, forge.ParseRef(e.docs.FullPath()), q); err != nil {
		t.Fatal(err)
	}
	figures{want: days}.check(t, label+", daily", got, 31)
}

// shipped checks what docs' release id shipped, newest first.
func (e *doraEnv) shipped(label string, id int64, want ...string) {
	e.t.Helper()
	got, err := e.forge.Delivery.ReleaseShippedCommits(e.ctx, e.root, forge.ParseRef(e.docs.FullPath()), id)
	if err != nil {
		e.t.Fatal(err)
	}
	if !equalStrings(shas(got), want) {
		e.t.Errorf("%s: shipped %v, want %v", label, shas(got), want)
	}
}

// A release recorded after a later one (a backfill) ships the commits up to it, and the later
// release keeps only those after it: each commit counts once, for the first release that
// shipped it, whether releases are recorded with tags or as GitClear does.
//
// v2 at C is recorded first, released 03-05 00:00; then v1 at A, released 03-02 12:00:
//
//	v1  README (02-20 00:00)  10 days 12 h = 252 h
//	    A      (03-02 00:00)  12 h
//	v2  B      (03-03 00:00)  48 h
//	    C      (03-04 00:00)  24 h
//
// Lead time over March: median(12, 24, 48, 252 h) = 36 h; on 03-02 median(12 h, 252 h) = 132 h;
// on 03-05 median(24 h, 48 h) = 36 h. Were README and A counted for v2 as well (13 days = 312 h
// and 72 h), March would be median(12, 24, 48, 72, 252, 312 h) = 60 h.
func TestBackfilledReleaseTakesItsCommitsFromTheLaterOne(t *testing.T) {
	for _, how := range []string{"tags", "gitclear"} {
		t.Run(how, func(t *testing.T) {
			e := newDORAEnv(t)
			readme, a, b, c := e.docsHistory()
			record := func(name, sha, at string) int64 {
				t.Helper()
				when := doraDay(t, at)
				if how == "tags" {
					r, err := e.forge.Delivery.CreateRelease(e.ctx, e.root, forge.ParseRef(e.docs.FullPath()),
						forge.ReleaseInput{TagName: &name, Ref: &sha,
							ReleasedAt: &when})
					if err != nil {
						t.Fatal(err)
					}
					return r.ID
				}
				r, _, err := e.forge.Delivery.EnsureRelease(e.ctx, e.root,
					forge.EnsureReleaseInput{ResourcePath: e.docs.FullPath(),
						Name: &name, SHA: sha, ReleasedAt: &when})
				if err != nil {
					t.Fatal(err)
				}
				return r.ID
			}
			v2 := record("v2", c, "03-05 00:00")
			e.shipped("v2 alone", v2, c, b, a, readme)
			v1 := record("v1", a, "03-02 12:00")
			e.shipped("v1", v1, a, readme)
			e.shipped("v2 after v1", v2, c, b)
			docsLeadTime(t, e, "backfilled", 36*hour, map[string]float64{"03-02": 132 * hour, "03-05": 36 * hour})
		})
	}
}

// Moving a release in time, or deleting it, gives its commits to the release that now ships
// them first. From the backfill above (36 h over March):
//
//   - v1 moved after v2, to 03-06: v2 ships README (312 h), A (72 h), B (48 h) and C (24 h),
//     v1 nothing: median 60 h, all on 03-05;
//   - v1 moved back: 36 h again;
//   - v1 deleted: v2 ships the four again, 60 h.
func TestMovedOrDeletedReleaseHandsOnItsCommits(t *testing.T) {
	e := newDORAEnv(t)
	readme, a, b, c := e.docsHistory()
	e.release(e.docs, "v2", "03-05 00:00")
	v1at := doraDay(t, "03-02 12:00")
	v1, err := e.forge.Delivery.CreateRelease(e.ctx, e.root, forge.ParseRef(e.docs.FullPath()),
		forge.ReleaseInput{TagName: name("v1"), Ref: &a, ReleasedAt: &v1at})
	if err != nil {
		t.Fatal(err)
	}
	v2, err := e.forge.Delivery.GetRelease(e.ctx, e.root, forge.ParseRef(e.docs.FullPath()), "v2")
	if err != nil {
		t.Fatal(err)
	}
	move := func(at string) {
		t.Helper()
		when := doraDay(t, at)
		if _, err := e.forge.Delivery.UpdateRelease(e.ctx, e.root, forge.ParseRef(e.docs.FullPath()), "v1",
			forge.ReleaseInput{ReleasedAt: &when}); err != nil {
			t.Fatal(err)
		}
	}
	move("03-06 00:00")
	e.shipped("v2 before v1", v2.ID, c, b, a, readme)
	e.shipped("v1 after v2", v1.ID)
	docsLeadTime(t, e, "v1 moved after v2", 60*hour, map[string]float64{"03-05": 60 * hour})

	move("03-02 12:00")
	e.shipped("v1 back", v1.ID, a, readme)
	e.shipped("v2 after v1 again", v2.ID, c, b)
	docsLeadTime(t, e, "v1 moved back", 36*hour, map[string]float64{"03-02": 132 * hour, "03-05": 36 * hour})

	if _, err := e.forge.Delivery.DeleteRelease(e.ctx, e.root, forge.ParseRef(e.docs.FullPath()), "v1"); err != nil {
		t.Fatal(err)
	}
	e.shipped("v2 without v1", v2.ID, c, b, a, readme)
	docsLeadTime(t, e, "v1 deleted", 60*hour, map[string]float64{"03-05": 60 * hour})
}

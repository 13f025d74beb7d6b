package gitstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

// graphCases runs f on the fixture as it is (no commit-graph), with cairn's commit-graph,
// and with the graph written before the newest commits (which walks read from the objects).
func graphCases(t *testing.T, hf *historyFixture, f func(t *testing.T)) {
	t.Run("without a commit-graph", func(t *testing.T) {
		os.Remove(commitGraphPath(hf.dir))
		f(t)
	})
	t.Run("with a commit-graph", func(t *testing.T) {
		if _, err := writeCommitGraph(context.Background(), hf.dir); err != nil {
			t.Fatal(err)
		}
		f(t)
	})
	t.Run("with a commit-graph older than the newest commits", func(t *testing.T) {
		main := hf.g.run(hf.dir, "rev-parse", "main")
		hf.g.run(hf.dir, "update-ref", "refs/heads/main", "main~15")
		os.Remove(commitGraphPath(hf.dir))
		if _, err := writeCommitGraph(context.Background(), hf.dir); err != nil {
			t.Fatal(err)
		}
		hf.g.run(hf.dir, "update-ref", "refs/heads/main", main)
		f(t)
	})
}

func hashes(list []*Commit) string {
	var b strings.Builder
	for _, c := range list {
		b.WriteString(c.ID.String())
		b.WriteByte('\n')
	}
	return strings.TrimSpace(b.String())
}

func TestLogOfAPathIsGitLogOfThePath(t *testing.T) {
	hf := newHistoryFixture(t, 400, 11)
	paths := append(
		[]string{"src", "src/util", "lib/a", "docs", "node", "bulk", "missing", "src/util/deep/x"}, hf.paths...)
	graphCases(t, hf, func(t *testing.T) {
		r := hf.open(t)
		tip, err := r.Resolve("main")
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range paths {
			if strings.HasPrefix(p, "bulk/") && p != "bulk/000.txt" {
				continue
			}
			got, err := r.Log(context.Background(), LogOptions{Include: []plumbing.Hash{tip}, Path: p})
			if err != nil {
				t.Fatal(err)
			}
			want := hf.g.run(hf.dir, "log", "--format=%H", "main", "--", p)
			if hashes(got) != want {
				t.Fatalf("log of %q: got %d commits, git %d\ngot:\n%s\ngit:\n%s", p, len(got),
					len(strings.Fields(want)), hashes(got), want)
			}
			last, err := r.LastCommitFor(context.Background(), tip, p)
			if err != nil {
				t.Fatal(err)
			}
			if wantLast, _, _ := strings.Cut(want, "\n"); last == nil && wantLast != "" || last != nil &&
				last.ID.String() != wantLast {
				t.Fatalf("last commit of %q: %v, git %s", p, last, wantLast)
			}
		}
	})
}

func TestLogPagesAndRangesAreGitLogs(t *testing.T) {
	hf := newHistoryFixture(t, 300, 12)
	all := strings.Fields(hf.g.run(hf.dir, "rev-list", "--all"))
	rng := rand.New(rand.NewSource(1))
	graphCases(t, hf, func(t *testing.T) {
		r := hf.open(t)
		tip, _ := r.Resolve("main")
		for _, tc := range []struct {
			opts LogOptions
			args []string
		}{
			{LogOptions{Include: []plumbing.Hash{tip}}, []string{"main"}},
			{LogOptions{Include: []plumbing.Hash{tip}, Skip: 100, Limit: 20},
				[]string{"--skip=100", "-n", "20", "main"}},
			{LogOptions{Include: []plumbing.Hash{tip}, Skip: 290, Limit: 20},
				[]string{"--skip=290", "-n", "20", "main"}},
			{LogOptions{Include: []plumbing.Hash{tip}, FirstParent: true}, []string{"--first-parent", "main"}},
			{LogOptions{Include: []plumbing.Hash{tip}, FirstParent: true, Path: "a.txt"},
				[]string{"--first-parent", "main", "--", "a.txt"}},
		} {
			got, err := r.Log(context.Background(), tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if want := hf.g.run(hf.dir, append([]string{"log", "--format=%H"}, tc.args...)...); hashes(got) != want {
				t.Fatalf("git log %v: got %d commits, want %d", tc.args, len(got), len(strings.Fields(want)))
			}
		}
		for i := 0; i < 25; i++ {
			a, b := all[rng.Intn(len(all))], all[rng.Intn(len(all))]
			got, err := r.Log(context.Background(),
				LogOptions{Include: []plumbing.Hash{plumbing.NewHash(b)},
					Exclude: []plumbing.Hash{plumbing.NewHash(a)}})
			if err != nil {
				t.Fatal(err)
			}
			if want := hf.g.run(hf.dir, "log", "--format=%H", a+".."+b); hashes(got) != want {
				t.Fatalf("git log %s..%s: got %d commits, want %d", a, b, len(got), len(strings.Fields(want)))
			}
		}
	})
}

func TestAncestryIsGitMergeBaseIsAncestor(t *testing.T) {
	hf := newHistoryFixture(t, 250, 13)
	all := strings.Fields(hf.g.run(hf.dir, "rev-list", "--all"))
	rng := rand.New(rand.NewSource(2))
	type pair struct{ a, b string }
	var pairs []pair
	want := map[pair]bool{}
	for i := 0; i < 120; i++ {
		p := pair{all[rng.Intn(len(all))], all[rng.Intn(len(all))]}
		if i%3 == 0 { // plenty of true answers: b from a's descendants on main
			p.b = hf.g.run(hf.dir, "rev-parse", "main")
		}
		_, err := hf.g.try(hf.dir, "merge-base", "--is-ancestor", p.a, p.b)
		pairs, want[p] = append(pairs, p), err == nil
	}
	graphCases(t, hf, func(t *testing.T) {
		r := hf.open(t)
		for _, p := range pairs {
			got, err := r.IsAncestor(context.Background(), plumbing.NewHash(p.a), plumbing.NewHash(p.b))
			if err != nil || got != want[p] {
				t.Fatalf("IsAncestor(%s, %s) = %v, %v; git says %v", p.a, p.b, got, err, want[p])
			}
		}
		for _, p := range pairs[:30] {
			got, err := r.MergeBases(context.Background(), plumbing.NewHash(p.a), plumbing.NewHash(p.b))
			if err != nil {
				t.Fatal(err)
			}
			out, _ := hf.g.try(hf.dir, "merge-base", "--all", p.a, p.b)
			wantBases := strings.Fields(out)
			if len(got) != len(wantBases) || fmt.Sprint(sortedHashes(got)) != fmt.Sprint(sortedStrings(wantBases)) {
				t.Fatalf("merge bases of %s %s: %v, git %v", p.a, p.b, got, wantBases)
			}
		}
	})
}

func sortedHashes(hs []plumbing.Hash) []string {
	var out []string
	for _, h := range hs {
		out = append(out, h.String())
	}
	return sortedStrings(out)
}

func sortedStrings(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestRevisionExpressionsAreGitRevParse(t *testing.T) {
	hf := newHistoryFixture(t, 120, 14)
	all := strings.Fields(hf.g.run(hf.dir, "rev-list", "--all"))
	revs := []string{"main~1", "main~7", "main^", "main^1", "main^2", "main^0", "main~2^2", "main^{commit}",
		"main^{}", "v1", "v1~3", "v1^{commit}", "HEAD~4", "main~100000", "main^9", all[10][:7], all[20][:12],
		all[30] + "~2", strings.ToUpper(all[40][:10]), "heads/main~1"}
	graphCases(t, hf, func(t *testing.T) {
		r := hf.open(t)
		for _, rev := range revs {
			want, err := hf.g.try(hf.dir, "rev-parse", "--verify", "-q", rev+"^{commit}")
			got, gerr := r.Resolve(rev)
			if err != nil {
				if gerr == nil {
					t.Errorf("Resolve(%q) = %s, git finds nothing", rev, got)
				}
				continue
			}
			if gerr != nil || got.String() != strings.TrimSpace(want) {
				t.Errorf("Resolve(%q) = %s, %v; git %s", rev, got, gerr, want)
			}
		}
	})
}

func TestPagingThroughAHistoryIsGitLogSkip(t *testing.T) {
	hf := newHistoryFixture(t, 250, 15)
	graphCases(t, hf, func(t *testing.T) {
		want := strings.Fields(hf.g.run(hf.dir, "log", "--format=%H", "main"))
		var got []string
		for page := 0; ; page++ {
			r := hf.open(t) // a request per page
			tip, _ := r.Resolve("main")
			list, err := r.Log(context.Background(),
				LogOptions{Include: []plumbing.Hash{tip}, Skip: page * 20, Limit: 20})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range list {
				got = append(got, c.ID.String())
			}
			if len(list) < 20 {
				break
			}
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Fatalf("pages give %d commits, git log %d", len(got), len(want))
		}
		// The walk of the pages is kept: it reached the end of the history.
		r := hf.open(t)
		tip, _ := r.Resolve("main")
		key := r.cacheKey(logCacheKey(LogOptions{Include: []plumbing.Hash{tip}}))
		o, ok := hf.st.reads.cache.get(key)
		if !ok || o.walk == nil || !o.walk.complete || len(o.walk.hashes) != len(want) {
			t.Fatalf("kept walk: %v %+v", ok, o)
		}
	})
}

// TestOneReferenceReadsAsTheListHasIt reads every reference alone (loose, packed, symbolic)
// and finds what the listing of all references has.
func TestOneReferenceReadsAsTheListHasIt(t *testing.T) {
	hf := newHistoryFixture(t, 60, 16)
	hf.g.run(hf.dir, "branch", "loose-one", "main~3")
	hf.g.run(hf.dir, "pack-refs", "--all")              // everything packed...
	hf.g.run(hf.dir, "branch", "-f", "topic", "main~1") // ...but this, loose again
	hf.g.run(hf.dir, "symbolic-ref", "refs/heads/alias", "refs/heads/main")
	r := hf.open(t)
	l, err := r.refs.list()
	if err != nil {
		t.Fatal(err)
	}
	if len(l.refs) < 5 {
		t.Fatalf("only %d refs", len(l.refs))
	}
	for _, ref := range l.refs {
		h, ok, err := r.Reference(ref.name)
		if err != nil || !ok || h != ref.hash {
			t.Errorf("%s: %s %v %v; listed %s", ref.name, h, ok, err, ref.hash)
		}
	}
	if branch, h, err := r.Head(); err != nil || branch != "main" || h != l.head {
		t.Errorf("HEAD: %s %s %v", branch, h, err)
	}
	// refs/heads/topic is a loose file: a name below it is no reference either (a path
	// after a branch, as in ref/path/to/file URLs).
	for _, missing := range []string{"refs/heads/nope", "refs/heads", "refs/tags/v9", "refs/heads/topic/docs/a.md"} {
		if _, ok, err := r.Reference(missing); ok || err != nil {
			t.Errorf("%s: found %v, %v", missing, ok, err)
		}
	}
}

// TestTreeListingsAreGitLsTree lists every directory of commits along the history, alone and
// recursively, stats every path that ever held a file, and reads the files, holding each
// answer against git ls-tree -r -t and git cat-file.
func TestTreeListingsAreGitLsTree(t *testing.T) {
	hf := newHistoryFixture(t, 300, 17)
	r := hf.open(t)
	commits := strings.Fields(hf.g.run(hf.dir, "rev-list", "main"))
	var sample []string
	for i := 0; i < len(commits); i += len(commits) / 9 {
		sample = append(sample, commits[i])
	}
	sample = append(sample, hf.g.run(hf.dir, "rev-parse", "v1^{commit}"))
	line := func(e Entry) string { return fmt.Sprintf("%s %s %s\t%s", e.ModeString(), e.Kind(), e.Hash, e.Path) }
	for _, c := range sample {
		// One listing of everything: trees and blobs, paths unquoted.
		var all []string
		byPath := map[string]string{}
		dirs := []string{""}
		for _, l := range strings.Split(
			strings.TrimSuffix(hf.g.run(hf.dir, "ls-tree", "-r", "-t", "-z", c), "\x00"), "\x00") {
			all = append(all, l)
			_, p, _ := strings.Cut(l, "\t")
			byPath[p] = l
			if strings.Contains(l, " tree ") {
				dirs = append(dirs, p)
			}
		}
		// cairn lists trees first, then the rest, each by path.
		want := func(dir string, recursive bool) string {
			var trees, others []string
			for _, l := range all {
				_, p, _ := strings.Cut(l, "\t")
				parent := ""
				if i := strings.LastIndexByte(p, '/'); i >= 0 {
					parent = p[:i]
				}
				under := parent == dir || recursive && (dir == "" || strings.HasPrefix(p, dir+"/"))
				switch {
				case !under:
				case strings.Contains(l, " tree "):
					trees = append(trees, l)
				default:
					others = append(others, l)
				}
			}
			key := func(l string) string { _, p, _ := strings.Cut(l, "\t"); return p }
			sort.SliceStable(trees, func(i, j int) bool { return key(trees[i]) < key(trees[j]) })
			sort.SliceStable(others, func(i, j int) bool { return key(others[i]) < key(others[j]) })
			return strings.Join(append(trees, others...), "\n")
		}
		h := plumbing.NewHash(c)
		for _, dir := range dirs {
			for _, recursive := range []bool{false, true} {
				list, err := r.Tree(h, dir, recursive)
				if err != nil {
					t.Fatalf("%s: tree %q: %v", c, dir, err)
				}
				var got []string
				for _, e := range list {
					got = append(got, line(e))
				}
				if w := want(dir, recursive); strings.Join(got, "\n") != w {
					t.Fatalf("%s: tree %q (recursive %v):\n%s\ngit ls-tree:\n%s", c, dir, recursive,
						strings.Join(got, "\n"), w)
				}
			}
		}
		var files, revs []string
		for _, p := range append(hf.paths, "missing", "src/missing/deeper") {
			e, err := r.Stat(h, p)
			w, ok := byPath[p]
			switch {
			case !ok && !errors.Is(err, ErrPathNotFound):
				t.Fatalf("%s: stat of %q, which git does not list: %v, %v", c, p, e, err)
			case !ok:
			case err != nil || line(e) != w:
				t.Fatalf("%s: stat of %q: %q, %v; git ls-tree: %q", c, p, line(e), err, w)
			case e.Kind() == KindBlob:
				files, revs = append(files, p), append(revs, c+":"+p)
			}
		}
		for i, content := range hf.g.catBlobs(hf.dir, revs) {
			e, _ := r.Stat(h, files[i])
			got, err := r.ReadBlob(e.Hash, 0)
			if err != nil || !bytes.Equal(got, content) {
				t.Fatalf("%s: %q reads %q, %v; git cat-file %q", c, files[i], got, err, content)
			}
		}
	}
}

package gitstore

import (
	"bytes"
	"fmt"
	"math/rand"
	"sort"
	"testing"
)

// historyFixture is a generated repository for holding history reads against the git CLI:
// a main line with topic branches merged back (octopus merges and merges of main into a
// topic among them), merges that keep one side or change the result ("evil" merges),
// renames, deletions, a file replaced by a directory, a symlink, non-ASCII names, an empty
// commit, a commit changing more than 512 paths, and committer clocks that now and then go
// backwards. Repository 1 of st.
type historyFixture struct {
	g     *gitCLI
	st    *Store
	dir   string
	paths []string // every path that ever held a file, sorted
	marks map[int]string
}

type fixtureState map[string][]byte

func sortedKeys(s fixtureState) []string {
	keys := make([]string, 0, len(s))
	for k := range s {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (s fixtureState) clone() fixtureState {
	c := fixtureState{}
	for k, v := range s {
		c[k] = v
	}
	return c
}

// fixtureStream writes the fast-import stream of a history of about n commits.
type fixtureStream struct {
	rng   *rand.Rand
	buf   bytes.Buffer
	mark  int
	when  int64
	seen  map[string]bool
	links map[string]bool // symlinks
}

func (f *fixtureStream) commit(ref string, st fixtureState, parents ...int) int {
	f.mark++
	f.when += 60 + int64(f.rng.Intn(3600))
	when := f.when
	if f.rng.Intn(25) == 0 {
		when -= 86400 // a committer whose clock is a day behind
	}
	fmt.Fprintf(&f.buf, "commit %s\nmark :%d\n", ref, f.mark)
	fmt.Fprintf(&f.buf, "author A <a@example.com> %d +0000\ncommitter C <c@example.com> %d +0100\n", when, when)
	msg := fmt.Sprintf("commit %d\n", f.mark)
	fmt.Fprintf(&f.buf, "data %d\n%s", len(msg), msg)
	for i, p := range parents {
		if i == 0 {
			fmt.Fprintf(&f.buf, "from :%d\n", p)
		} else {
			fmt.Fprintf(&f.buf, "merge :%d\n", p)
		}
	}
	f.buf.WriteString("deleteall\n")
	for _, p := range sortedKeys(st) {
		mode := "100644"
		if f.links[p] {
			mode = "120000"
		}
		fmt.Fprintf(&f.buf, "M %s inline %s\ndata %d\n", mode, p, len(st[p]))
		f.buf.Write(st[p])
		f.buf.WriteByte('\n')
		f.seen[p] = true
	}
	f.buf.WriteByte('\n')
	return f.mark
}

// fixturePaths are where the generated files live: nested directories and names git's
// Bloom filters hash with sign-extended bytes.
var fixturePaths = []string{"README", "a.txt", "src/main.go", "src/util/strings.go", "src/util/io.go",
	"src/util/deep/x/y.go", "docs/guide.md", "docs/é-notes.txt", "ü/ß.txt", "lib/a/b/c.txt", "lib/z.txt",
	"test/one_test.go", "test/two_test.go"}

// edit changes one file of st: a few lines edited, added or removed.
func (f *fixtureStream) edit(st fixtureState, p string) {
	if old, ok := st[p]; ok && f.rng.Intn(6) > 0 {
		st[p] = mutate(f.rng, old)
		if len(st[p]) == 0 {
			st[p] = randomText(f.rng, 3)
		}
		return
	}
	st[p] = randomText(f.rng, 5+f.rng.Intn(30))
}

func (f *fixtureStream) churn(st fixtureState) {
	for k := 1 + f.rng.Intn(2); k > 0; k-- {
		f.edit(st, fixturePaths[f.rng.Intn(len(fixturePaths))])
	}
}

// newHistoryFixture generates about n commits (seeded) into repository 1 of a new Store.
func newHistoryFixture(t testing.TB, n int, seed int64) *historyFixture {
	t.Helper()
	return generateHistory(t, t.TempDir(), n, seed, false)
}

// newRenameFreeFixture is a history whose files are never deleted or renamed (nor become
// directories): git blame, which follows renames, then blames what cairn's blame does.
func newRenameFreeFixture(t testing.TB, n int, seed int64) *historyFixture {
	t.Helper()
	return generateHistory(t, t.TempDir(), n, seed, true)
}

// generateHistory writes the history into a new Store rooted at root.
func generateHistory(t testing.TB, root string, n int, seed int64, renameFree bool) *historyFixture {
	t.Helper()
	g := newGitCLI(t)
	st, err := New(root)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Create(1, InitOptions{}); err != nil {
		t.Fatal(err)
	}
	f := &fixtureStream{rng: rand.New(rand.NewSource(seed)), when: 1600000000, seen: map[string]bool{},
		links: map[string]bool{}}
	main := fixtureState{"README": []byte("hello\n"), "a.txt": randomText(f.rng, 40),
		"src/main.go": randomText(f.rng, 60)}
	tip := f.commit("refs/heads/main", main)
	for f.mark < n {
		switch r := f.rng.Intn(40); {
		case r < 4: // a topic branch of a few commits, merged back
			topic := main.clone()
			t1 := tip
			for k := 1 + f.rng.Intn(3); k > 0; k-- {
				f.churn(topic)
				t1 = f.commit("refs/heads/topic", topic, t1)
			}
			f.churn(main)
			tip = f.commit("refs/heads/main", main, tip)
			merged := main.clone()
			for _, p := range sortedKeys(topic) {
				if c := topic[p]; !bytes.Equal(c, main[p]) && f.rng.Intn(3) > 0 {
					merged[p] = c
				}
			}
			if f.rng.Intn(5) == 0 {
				f.churn(merged) // an evil merge: changes of its own
			}
			main = merged
			tip = f.commit("refs/heads/main", main, tip, t1)
		case r == 4: // an octopus merge of two topics
			a, b := main.clone(), main.clone()
			f.churn(a)
			f.churn(b)
			ta := f.commit("refs/heads/topic-a", a, tip)
			tb := f.commit("refs/heads/topic-b", b, tip)
			for p, c := range a {
				main[p] = c
			}
			tip = f.commit("refs/heads/main", main, tip, ta, tb)
			_ = tb
		case r == 5: // a merge that keeps main's tree as it is
			side := main.clone()
			f.churn(side)
			ts := f.commit("refs/heads/side", side, tip)
			tip = f.commit("refs/heads/main", main, tip, ts)
		case renameFree && (r == 6 || r == 7):
			f.churn(main)
			tip = f.commit("refs/heads/main", main, tip)
		case r == 6: // a rename
			var names []string
			for _, p := range sortedKeys(main) {
				if !f.links[p] {
					names = append(names, p)
				}
			}
			from := names[f.rng.Intn(len(names))]
			to := "moved/" + fmt.Sprint(f.mark) + ".txt"
			main[to] = main[from]
			delete(main, from)
			tip = f.commit("refs/heads/main", main, tip)
		case r == 7 && len(main) > 3: // a deletion
			delete(main, fixturePaths[1+f.rng.Intn(len(fixturePaths)-1)])
			tip = f.commit("refs/heads/main", main, tip)
		case r == 8: // an empty commit
			tip = f.commit("refs/heads/main", main, tip)
		default:
			f.churn(main)
			tip = f.commit("refs/heads/main", main, tip)
		}
		if f.mark == n/3 && !renameFree { // a file becomes a directory; a symlink appears
			main["node"] = []byte("file\n")
			tip = f.commit("refs/heads/main", main, tip)
			delete(main, "node")
			main["node/inner.txt"] = []byte("now a directory\n")
			main["link"] = []byte("src/main.go")
			f.links["link"] = true
			tip = f.commit("refs/heads/main", main, tip)
		}
		if f.mark == n/2 && !renameFree { // more than 512 paths at once, then gone again
			bulk := main.clone()
			for i := 0; i < 520; i++ {
				bulk[fmt.Sprintf("bulk/%03d.txt", i)] = []byte(fmt.Sprintf("%d\n", i))
			}
			tip = f.commit("refs/heads/main", bulk, tip)
			tip = f.commit("refs/heads/main", main, tip)
		}
	}
	fmt.Fprintf(&f.buf, "reset refs/heads/main\nfrom :%d\n\n", tip)
	fmt.Fprintf(&f.buf, "tag v1\nfrom :%d\ntagger T <t@example.com> %d +0000\ndata 3\nv1\n\n", tip/2, f.when)
	dir := st.Path(1)
	marks := g.fastImport(dir, f.buf.Bytes())
	g.run(dir, "symbolic-ref", "HEAD", "refs/heads/main")
	hf := &historyFixture{g: g, st: st, dir: dir, marks: marks}
	for p := range f.seen {
		hf.paths = append(hf.paths, p)
	}
	sort.Strings(hf.paths)
	return hf
}

// open opens the fixture's repository for a test.
func (hf *historyFixture) open(t testing.TB) *Repo {
	t.Helper()
	r, err := hf.st.OpenRepo(1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r
}

package gitstore

import (
	"bytes"
	"context"
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

// randomText builds a file from a small alphabet of lines, so that lines repeat a lot, as
// they do in the cases where diff algorithms disagree.
func randomText(rng *rand.Rand, n int) []byte {
	var b bytes.Buffer
	for i := 0; i < n; i++ {
		b.WriteString(randomLine(rng))
	}
	return b.Bytes()
}

func randomLine(rng *rand.Rand) string {
	switch k := rng.Intn(40); {
	case k == 0:
		return "c\r\n"
	case k == 1:
		return "\n"
	default:
		return string(rune('a'+rng.Intn(5))) + "\n"
	}
}

// mutate applies a few random line edits to text, now and then dropping or adding the
// final newline.
func mutate(rng *rand.Rand, text []byte) []byte {
	lines := splitLinesBytes(text)
	var out []string
	for _, l := range lines {
		out = append(out, string(l))
	}
	for k := rng.Intn(4); k >= 0; k-- {
		switch op := rng.Intn(3); {
		case op == 0 || len(out) == 0:
			at := rng.Intn(len(out) + 1)
			ins := []string{}
			for n := 1 + rng.Intn(2); n > 0; n-- {
				ins = append(ins, randomLine(rng))
			}
			out = append(out[:at], append(ins, out[at:]...)...)
		case op == 1:
			at := rng.Intn(len(out))
			out = append(out[:at], out[at+1:]...)
		default:
			out[rng.Intn(len(out))] = randomLine(rng)
		}
	}
	// Every line but the last must end in a newline.
	for i := 0; i+1 < len(out); i++ {
		if !strings.HasSuffix(out[i], "\n") {
			out[i] += "\n"
		}
	}
	if n := len(out); n > 0 && rng.Intn(8) == 0 {
		if strings.HasSuffix(out[n-1], "\n") {
			out[n-1] = strings.TrimSuffix(out[n-1], "\n")
			if out[n-1] == "" {
				out[n-1] = "z"
			}
		} else {
			out[n-1] += "\n"
		}
	}
	return []byte(strings.Join(out, ""))
}

// TestMerge3MatchesGit merges thousands of random three-way cases of one file with cairn
// and with git merge-tree, and requires the same outcome: the same merged tree when git is
// clean; a conflict with the same marker text when git is not.
func TestMerge3MatchesGit(t *testing.T) {
	g := newGitCLI(t)
	n := 3000
	if testing.Short() || raceDetector {
		n = 400 // one goroutine: the race detector adds nothing but time
	}
	st, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Create(1, InitOptions{}); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(20260801))
	var stream bytes.Buffer
	type tcase struct{ base, ours, theirs []byte }
	cases := make([]tcase, n)
	for i := range cases {
		base := randomText(rng, rng.Intn(12))
		c := tcase{base: base, ours: mutate(rng, base), theirs: mutate(rng, base)}
		if rng.Intn(10) == 0 {
			c.theirs = c.ours // identical changes
		}
		cases[i] = c
		when := int64(1600000000 + i)
		writeImportCommit(&stream, fmt.Sprintf("refs/heads/o%d", i), 3*i+1, "", when,
			[]importFile{{path: "f", data: c.base}})
		writeImportCommit(&stream, fmt.Sprintf("refs/heads/o%d", i), 3*i+2, fmt.Sprintf(":%d", 3*i+1), when,
			[]importFile{{path: "f", data: c.ours}})
		writeImportCommit(&stream, fmt.Sprintf("refs/heads/t%d", i), 3*i+3, fmt.Sprintf(":%d", 3*i+1), when,
			[]importFile{{path: "f", data: c.theirs}})
	}
	marks := g.fastImport(st.Path(1), stream.Bytes())
	pairs := make([][2]string, n)
	for i := range pairs {
		pairs[i] = [2]string{fmt.Sprintf("o%d", i), fmt.Sprintf("t%d", i)}
	}
	results := g.mergeTreeBatch(st.Path(1), pairs)
	r, err := st.OpenRepo(1)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()

	var revs []string
	var texts [][]byte
	clean, conflicted := 0, 0
	for i, gm := range results {
		ours, theirs := plumbing.NewHash(marks[3*i+2]), plumbing.NewHash(marks[3*i+3])
		res, err := r.CheckMerge(context.Background(), ours, theirs)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		c := cases[i]
		switch {
		case gm.clean && !res.Clean():
			t.Errorf("case %d: git merges cleanly, cairn reports %v\nbase %q\nours %q\ntheirs %q", i,
				res.Conflicts, c.base, c.ours, c.theirs)
		case !gm.clean && res.Clean():
			t.Errorf("case %d: git reports a conflict, cairn merges cleanly\nbase %q\nours %q\ntheirs %q", i,
				c.base, c.ours, c.theirs)
		case gm.clean && res.Tree.String() != gm.tree:
			got := merge3(c.base, c.ours, c.theirs).result()
			t.Errorf("case %d: merged trees differ\nbase %q\nours %q\ntheirs %q\ncairn %q", i, c.base, c.ours,
				c.theirs, got)
		case gm.clean:
			clean++
		default:
			conflicted++
			text, err := r.ConflictText(res.Conflicts[0], pairs[i][0], pairs[i][1])
			if err != nil {
				t.Fatalf("case %d: %v", i, err)
			}
			revs = append(revs, gm.tree+":f")
			texts = append(texts, text)
		}
	}
	blobs := g.catBlobs(st.Path(1), revs)
	for i := range revs {
		if !bytes.Equal(blobs[i], texts[i]) {
			t.Errorf("%s: conflict text differs\ngit   %q\ncairn %q", revs[i], blobs[i], texts[i])
		}
	}
	t.Logf("%d cases: %d clean, %d conflicted", n, clean, conflicted)
}

// randomTree builds a random snapshot over a small set of names, so that sides collide.
func randomTree(rng *rand.Rand) snapshot {
	s := snapshot{}
	for n := 3 + rng.Intn(6); n > 0; n-- {
		s[randomPath(rng)] = string(randomText(rng, 1+rng.Intn(6)))
	}
	return dropPrefixClashes(s)
}

func randomPath(rng *rand.Rand) string {
	names := []string{"a", "b", "c", "d"}
	depth := 1 + rng.Intn(3)
	parts := make([]string, depth)
	for i := range parts {
		parts[i] = names[rng.Intn(len(names))]
	}
	return strings.Join(parts, "/")
}

// dropPrefixClashes removes files whose path is a directory of another file.
func dropPrefixClashes(s snapshot) snapshot {
	for p := range s {
		for q := range s {
			if strings.HasPrefix(q, p+"/") {
				delete(s, p)
				break
			}
		}
	}
	return s
}

// mutateTree applies random tree edits: content edits, deletions, additions, mode and
// type changes, renames (exact or with an edit), and directory moves.
func mutateTree(rng *rand.Rand, base snapshot) snapshot {
	s := with(base)
	paths := func() []string {
		var out []string
		for p := range s {
			out = append(out, p)
		}
		sort.Strings(out)
		return out
	}
	for k := 1 + rng.Intn(3); k > 0; k-- {
		ps := paths()
		if len(ps) == 0 {
			s[randomPath(rng)] = "new\n"
			continue
		}
		p := ps[rng.Intn(len(ps))]
		content := s[p]
		switch rng.Intn(9) {
		case 0, 1:
			if !strings.Contains(content, ":") || strings.HasPrefix(content, "exec:") {
				plain := strings.TrimPrefix(content, "exec:")
				s[p] = string(mutate(rng, []byte(plain)))
			}
		case 2:
			delete(s, p)
		case 3:
			s[randomPath(rng)] = string(randomText(rng, 1+rng.Intn(4)))
		case 4:
			if strings.HasPrefix(content, "exec:") {
				s[p] = strings.TrimPrefix(content, "exec:")
			} else if !strings.HasPrefix(content, "link:") {
				s[p] = "exec:" + content
			}
		case 5:
			s[p] = "link:" + randomPath(rng)
		case 6:
			delete(s, p)
			s[randomPath(rng)] = content // a rename, exact
		case 7:
			delete(s, p)
			if !strings.HasPrefix(content, "link:") && !strings.HasPrefix(content, "exec:") {
				content = string(mutate(rng, []byte(content)))
			}
			s[randomPath(rng)] = content // a rename, maybe with an edit
		case 8:
			dir := p[:max(0, strings.LastIndexByte(p, '/'))]
			if dir == "" {
				break
			}
			to := randomPath(rng)
			for _, q := range ps {
				if rest, ok := strings.CutPrefix(q, dir+"/"); ok {
					delete(s, q)
					s[to+"/"+rest] = s[q]
					s[to+"/"+rest] = base[q]
				}
			}
		}
		s = dropPrefixClashes(s)
	}
	return s
}

// TestMergeRandomTreesAgainstGit merges random tree shapes with cairn and git. Where git
// reports a conflict cairn must too; where git is clean, cairn must give the same tree or
// a conflict that only renames explain.
func TestMergeRandomTreesAgainstGit(t *testing.T) {
	// Seeds 2, 3, 4 and 6 also pass. Seed 1 makes git 2.39 itself abort (an assertion in
	// merge-ort's process_renames), which fails the whole batch.
	seeds := []int64{99, 5}
	n := 1500
	if testing.Short() || raceDetector {
		seeds, n = seeds[:1], 300
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) { mergeRandomTrees(t, seed, n) })
	}
}

func mergeRandomTrees(t *testing.T, seed int64, n int) {
	g := newGitCLI(t)
	st, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Create(1, InitOptions{}); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(seed))
	w := &historyWriter{when: 1600000000}
	type tcase struct{ base, ours, theirs snapshot }
	cases := make([]tcase, n)
	pairs := make([][2]string, n)
	for i := range cases {
		c := tcase{base: randomTree(rng)}
		c.ours, c.theirs = mutateTree(rng, c.base), mutateTree(rng, c.base)
		cases[i] = c
		b := w.commit(fmt.Sprintf("refs/heads/o%d", i), c.base)
		w.commit(fmt.Sprintf("refs/heads/o%d", i), c.ours, b)
		w.commit(fmt.Sprintf("refs/heads/t%d", i), c.theirs, b)
		pairs[i] = [2]string{fmt.Sprintf("o%d", i), fmt.Sprintf("t%d", i)}
	}
	marks := g.fastImport(st.Path(1), w.buf.Bytes())
	results := g.mergeTreeBatch(st.Path(1), pairs)
	r, err := st.OpenRepo(1)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	stats := map[string]int{}
	for i, gm := range results {
		res, err := r.CheckMerge(context.Background(), plumbing.NewHash(marks[3*i+2]), plumbing.NewHash(marks[3*i+3]))
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		c := cases[i]
		describe := func() string {
			return fmt.Sprintf("base %q\nours %q\ntheirs %q\ngit %+v\ncairn %+v", c.base, c.ours, c.theirs,
				gm, res.Conflicts)
		}
		swapped, err := r.CheckMerge(context.Background(), plumbing.NewHash(marks[3*i+3]),
			plumbing.NewHash(marks[3*i+2]))
		if err != nil {
			t.Fatalf("case %d swapped: %v", i, err)
		}
		if swapped.Tree != res.Tree || !sameStrings(conflictPaths(swapped), conflictPaths(res)) {
			t.Errorf("case %d: swapping the sides changes the merge: %v / %v\n%s", i, conflictPaths(swapped),
				swapped.Tree, describe())
		}
		switch {
		case !gm.clean && res.Clean():
			t.Errorf("case %d: git reports a conflict, cairn merges cleanly\n%s", i, describe())
		case gm.clean && res.Clean() && res.Tree.String() != gm.tree:
			t.Errorf("case %d: merged trees differ\n%s\ncairn:\n%s", i, describe(), lsTreeRecursive(r, res.Tree))
		case gm.clean && !res.Clean():
			// Renames git finds by similarity, or follows where cairn is not sure: the
			// conflicts they cause, and the add/add or file/directory conflicts that
			// follow from a rename left undone.
			renames := false
			for _, cf := range res.Conflicts {
				switch cf.Kind {
				case ConflictRenameDelete, ConflictRenameRename, ConflictDirectoryRename, ConflictModifyDelete:
					renames = true
				}
			}
			for _, cf := range res.Conflicts {
				switch {
				case cf.Kind == ConflictRenameDelete, cf.Kind == ConflictRenameRename,
					cf.Kind == ConflictDirectoryRename, cf.Kind == ConflictModifyDelete:
					stats["stricter: "+string(cf.Kind)]++
				case renames && (cf.Kind == ConflictFileDirectory || cf.Kind == ConflictAddAdd):
					stats["stricter: "+string(cf.Kind)+" beside a rename"]++
				default:
					t.Errorf("case %d: git merges cleanly, cairn reports %s in %s\n%s", i, cf.Kind, cf.Path, describe())
				}
			}
		case gm.clean:
			stats["clean"]++
		default:
			stats["conflicted"]++
		}
	}
	t.Logf("%d cases: %v", n, stats)
}

// conflictPaths lists the conflicted paths of a merge, sorted, once each.
func conflictPaths(res *MergeResult) []string {
	seen := map[string]bool{}
	var out []string
	for _, c := range res.Conflicts {
		if !seen[c.Path] {
			seen[c.Path] = true
			out = append(out, c.Path)
		}
	}
	sort.Strings(out)
	return out
}

// lsTreeRecursive lists a tree cairn made, recursively, for failure messages.
func lsTreeRecursive(r *Repo, h plumbing.Hash) string {
	s, err := newMergeStore(r)
	if err != nil {
		return err.Error()
	}
	var b strings.Builder
	var walk func(prefix string, h plumbing.Hash)
	walk = func(prefix string, h plumbing.Hash) {
		entries, err := s.tree(h)
		if err != nil {
			fmt.Fprintf(&b, "%s: %v\n", prefix, err)
			return
		}
		for _, e := range entries {
			if e.isDir() {
				walk(prefix+e.name+"/", e.hash)
				continue
			}
			fmt.Fprintf(&b, "%o %s %s%s\n", e.mode, e.hash, prefix, e.name)
		}
	}
	walk("", h)
	return b.String()
}

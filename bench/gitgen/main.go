// Command gitgen writes a `git fast-import` stream for bench/run-git.sh, deterministic for a
// given seed:
//
//	gitgen -mode history -commits 10000 -seed 1 | git fast-import --quiet
//	gitgen -mode refs -branches 150 -tags 150 -seed 1 | git fast-import --quiet
//
// history: a long history with realistic churn. A tree of a few thousand text files in nested
// directories; each commit edits a few lines of 1 to 5 files; now and then a file is added,
// deleted or renamed; every ~100 commits a short topic branch is merged with a merge commit;
// a handful of 1-5 MB incompressible blobs (one of them later edited in place; -binaries
// scales their total, 15 MB by default); an annotated release tag every 500 commits and a
// release branch every 2,500. -commits counts every commit, merges and topic commits too.
//
// refs: a small history with many refs: a main line, -branches branches each one or two
// commits off some commit of main, and -tags tags on main, alternately lightweight and
// annotated.
//
// linear: -commits linear commits over a fixed set of -files files of about 2 KB in a few
// directories, each commit editing a few lines of -touch of them, so that every file has a
// long history of its own (30,000 commits over 100 files touching 2 each: ~600 a file).
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"sort"
	"strings"
)

var words = strings.Fields(`if else for range return func var const type struct interface map chan
	select case default go defer break continue nil true false err ctx buf len cap append make new
	copy close string int int64 byte bool error uint32 float64 ok id name path size offset count
	index key value node tree list item entry hash ref commit pack object reader writer client
	server request response handler config options state cache store repo project user group token
	open read write flush sync lock unlock parse format encode decode check update delete create`)

type gen struct {
	rng     *rand.Rand
	w       *bufio.Writer
	mark    int
	commits int
	when    int64
	files   map[string][]string // path -> lines
	paths   []string            // sorted keys of files, kept in step
	dirs    []string
	nextID  int
	authors []string
}

func main() {
	mode := flag.String("mode", "history", "history, refs or linear")
	commits := flag.Int("commits", 10000, "history: number of commits, merges included")
	initial := flag.Int("files", 2000, "history: files in the first commit (more are added later); linear: files")
	binaries := flag.Int("binaries", 15, "history: megabytes of incompressible binary files, in five files")
	touch := flag.Int("touch", 2, "linear: files each commit edits")
	branches := flag.Int("branches", 150, "refs: number of branches besides main")
	tags := flag.Int("tags", 150, "refs: number of tags (half lightweight, half annotated)")
	seed := flag.Int64("seed", 1, "random seed")
	flag.Parse()

	g := &gen{
		rng:   rand.New(rand.NewSource(*seed)),
		w:     bufio.NewWriterSize(os.Stdout, 1<<20),
		when:  1262304000, // 2010-01-01
		files: map[string][]string{},
	}
	for _, n := range []string{"Ada Lovelace", "Alan Turing", "Grace Hopper", "Edsger Dijkstra",
		"Barbara Liskov", "Ken Thompson", "Dennis Ritchie", "Frances Allen", "Donald Knuth",
		"Margaret Hamilton", "John Backus", "Radia Perlman"} {
		g.authors = append(g.authors, fmt.Sprintf("%s <%s@example.com>", n,
			strings.ToLower(strings.ReplaceAll(n, " ", "."))))
	}
	g.makeDirs()
	switch *mode {
	case "history":
		g.history(*commits, *initial, *binaries)
	case "refs":
		g.refs(*branches, *tags)
	case "linear":
		g.linear(*commits, *initial, *touch)
	default:
		fmt.Fprintln(os.Stderr, "gitgen: unknown -mode", *mode)
		os.Exit(2)
	}
	if err := g.w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, "gitgen:", err)
		os.Exit(1)
	}
}

// makeDirs lays out ~200 directories up to four levels deep.
func (g *gen) makeDirs() {
	tops := []string{"cmd", "internal", "pkg", "api", "web", "docs", "tools", "test"}
	for _, t := range tops {
		g.dirs = append(g.dirs, t)
		for i := 0; i < 6; i++ {
			d := fmt.Sprintf("%s/%s%d", t, words[g.rng.Intn(len(words))], i)
			g.dirs = append(g.dirs, d)
			for j := g.rng.Intn(5); j > 0; j-- {
				dd := fmt.Sprintf("%s/%s%d", d, words[g.rng.Intn(len(words))], j)
				g.dirs = append(g.dirs, dd)
				if g.rng.Intn(3) == 0 {
					g.dirs = append(g.dirs, fmt.Sprintf("%s/%s", dd, words[g.rng.Intn(len(words))]))
				}
			}
		}
	}
}

func (g *gen) line() string {
	n := 3 + g.rng.Intn(9)
	var b strings.Builder
	b.WriteString(strings.Repeat("\t", g.rng.Intn(4)))
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(words[g.rng.Intn(len(words))])
	}
	if g.rng.Intn(4) == 0 {
		fmt.Fprintf(&b, " // %d", g.rng.Intn(100000))
	}
	return b.String()
}

func (g *gen) newPath() string {
	for {
		g.nextID++
		p := fmt.Sprintf("%s/%s_%d.go", g.dirs[g.rng.Intn(len(g.dirs))], words[g.rng.Intn(len(words))], g.nextID)
		if _, ok := g.files[p]; !ok {
			return p
		}
	}
}

func (g *gen) newFile(p string, minLines, maxLines int) {
	n := minLines + g.rng.Intn(maxLines-minLines+1)
	lines := make([]string, n)
	for i := range lines {
		lines[i] = g.line()
	}
	g.files[p] = lines
	i := sort.SearchStrings(g.paths, p)
	g.paths = append(g.paths, "")
	copy(g.paths[i+1:], g.paths[i:])
	g.paths[i] = p
}

func (g *gen) removePath(p string) {
	delete(g.files, p)
	i := sort.SearchStrings(g.paths, p)
	g.paths = append(g.paths[:i], g.paths[i+1:]...)
}

// edit changes a few lines of a file: replace, insert or delete.
func (g *gen) edit(p string) {
	lines := g.files[p]
	for k := 1 + g.rng.Intn(4); k > 0; k-- {
		i := g.rng.Intn(len(lines) + 1)
		switch op := g.rng.Intn(4); {
		case op == 0 && i < len(lines) && len(lines) > 10:
			lines = append(lines[:i], lines[i+1:]...)
		case op == 1:
			lines = append(lines, "")
			copy(lines[i+1:], lines[i:])
			lines[i] = g.line()
		default:
			if i == len(lines) {
				i--
			}
			lines[i] = g.line()
		}
	}
	g.files[p] = lines
}

func (g *gen) writeFile(p string) {
	data := strings.Join(g.files[p], "\n") + "\n"
	fmt.Fprintf(g.w, "M 100644 inline %s\ndata %d\n%s\n", p, len(data), data)
}

// header starts a commit on ref with the given parents (marks; 0 = none) and returns its mark.
func (g *gen) header(ref, msg string, parents ...int) int {
	g.mark++
	g.commits++
	g.when += 300 + int64(g.rng.Intn(7200))
	a := g.authors[g.rng.Intn(len(g.authors))]
	c := a
	if g.rng.Intn(5) == 0 {
		c = g.authors[g.rng.Intn(len(g.authors))]
	}
	fmt.Fprintf(g.w, "commit %s\nmark :%d\nauthor %s %d +0000\ncommitter %s %d +0000\ndata %d\n%s\n",
		ref, g.mark, a, g.when, c, g.when+int64(g.rng.Intn(600)), len(msg), msg)
	for i, p := range parents {
		if p == 0 {
			continue
		}
		if i == 0 {
			fmt.Fprintf(g.w, "from :%d\n", p)
		} else {
			fmt.Fprintf(g.w, "merge :%d\n", p)
		}
	}
	return g.mark
}

func (g *gen) message(paths []string) string {
	subject := fmt.Sprintf("%s: %s %s %s", dirOf(paths[0]), words[g.rng.Intn(len(words))],
		words[g.rng.Intn(len(words))], words[g.rng.Intn(len(words))])
	if g.rng.Intn(3) > 0 {
		return subject
	}
	var b strings.Builder
	b.WriteString(subject + "\n")
	for i := 1 + g.rng.Intn(4); i > 0; i-- {
		b.WriteString("\n" + strings.TrimLeft(g.line(), "\t"))
	}
	return b.String()
}

func dirOf(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i]
	}
	return "."
}

// randomBlob is incompressible, like an image or an archive.
func (g *gen) randomBlob(size int) []byte {
	b := make([]byte, size)
	g.rng.Read(b)
	return b
}

func (g *gen) writeBlob(p string, b []byte) {
	fmt.Fprintf(g.w, "M 100644 inline %s\ndata %d\n", p, len(b))
	g.w.Write(b)
	g.w.WriteString("\n")
}

// churn makes one ordinary commit on ref with parent and returns its mark and touched paths.
func (g *gen) churn(ref string, parent int, structural bool) (int, []string) {
	n := 1 + g.rng.Intn(5)
	if g.rng.Intn(3) > 0 {
		n = 1 + g.rng.Intn(2) // most commits touch one or two files
	}
	seen := map[string]bool{}
	var touched []string
	for len(touched) < n {
		p := g.paths[g.rng.Intn(len(g.paths))]
		if !seen[p] {
			seen[p] = true
			touched = append(touched, p)
		}
	}
	var ops []func()
	if structural {
		switch r := g.rng.Intn(40); {
		case r < 4: // add a file next to one touched
			p := g.newPath()
			g.newFile(p, 20, 200)
			touched = append(touched, p)
		case r == 4 && len(g.paths) > 500: // delete
			p := touched[0]
			touched = touched[1:]
			g.removePath(p)
			ops = append(ops, func() { fmt.Fprintf(g.w, "D %s\n", p) })
			if len(touched) == 0 {
				q := g.paths[g.rng.Intn(len(g.paths))]
				touched = append(touched, q)
			}
		case r == 5: // rename, sometimes with an edit
			old := touched[0]
			lines := g.files[old]
			g.removePath(old)
			nw := g.newPath()
			g.newFile(nw, 1, 1)
			g.files[nw] = lines
			ops = append(ops, func() { fmt.Fprintf(g.w, "R %s %s\n", old, nw) })
			touched[0] = nw
			if g.rng.Intn(2) == 0 {
				touched = touched[1:]
			}
		}
	}
	for _, p := range touched {
		if len(g.files[p]) > 0 && g.rng.Intn(8) != 0 {
			g.edit(p)
		}
	}
	msgPaths := touched
	if len(msgPaths) == 0 {
		msgPaths = g.paths[:1]
	}
	m := g.header(ref, g.message(msgPaths), parent)
	for _, op := range ops {
		op()
	}
	for _, p := range touched {
		g.writeFile(p)
	}
	return m, touched
}

func (g *gen) history(total, initial, binaryMB int) {
	for i := 0; i < initial; i++ {
		g.newFile(g.newPath(), 20, 200)
	}
	main := g.header("refs/heads/main", "initial import")
	for _, p := range g.paths {
		g.writeFile(p)
	}
	// A handful of large binary assets: added at these commit numbers, one edited in place later.
	// (15 MB in all by default, scaled to binaryMB; the second is the one edited.)
	mb := func(n int) int { return n << 20 * binaryMB / 15 }
	bigAt := map[int]int{total / 10: mb(1), total / 4: mb(3), total * 2 / 5: mb(2),
		total * 3 / 5: mb(5), total * 4 / 5: mb(4)}
	editBigAt := total * 9 / 10
	var editable []byte
	editablePath := ""
	tagN := 0
	for g.commits < total {
		c := g.commits
		switch {
		case bigAt[c] > 0:
			b := g.randomBlob(bigAt[c])
			p := fmt.Sprintf("assets/media/bundle-%d.bin", c)
			main = g.header("refs/heads/main", "assets: add "+p, main)
			g.writeBlob(p, b)
			if c == total/4 {
				editable, editablePath = b, p
			}
		case c == editBigAt && editable != nil:
			copy(editable[len(editable)/2:], g.randomBlob(8192))
			main = g.header("refs/heads/main", "assets: update "+editablePath, main)
			g.writeBlob(editablePath, editable)
		case c%100 == 50 && total-c > 10:
			// A topic branch of 2-4 commits, merged with --no-ff.
			tip := main
			var all []string
			for k := 2 + g.rng.Intn(3); k > 0; k-- {
				var t []string
				tip, t = g.churn("refs/heads/topic", tip, false)
				all = append(all, t...)
			}
			main = g.header("refs/heads/main", "Merge branch 'topic'", main, tip)
			seen := map[string]bool{}
			for _, p := range all {
				if !seen[p] {
					seen[p] = true
					g.writeFile(p)
				}
			}
		default:
			main, _ = g.churn("refs/heads/main", main, true)
		}
		if g.commits/500 > tagN {
			tagN = g.commits / 500
			g.annotatedTag(fmt.Sprintf("v1.%d.0", tagN), main)
		}
		if c > 0 && c%2500 == 0 {
			fmt.Fprintf(g.w, "reset refs/heads/release-%d\nfrom :%d\n\n", c/2500, main)
		}
	}
}

func (g *gen) annotatedTag(name string, mark int) {
	msg := "release " + name + "\n"
	fmt.Fprintf(g.w, "tag %s\nfrom :%d\ntagger %s %d +0000\ndata %d\n%s\n",
		name, mark, g.authors[g.rng.Intn(len(g.authors))], g.when, len(msg), msg)
}

func (g *gen) refs(branches, tags int) {
	for i := 0; i < 200; i++ {
		g.newFile(g.newPath(), 10, 60)
	}
	main := g.header("refs/heads/main", "initial import")
	for _, p := range g.paths {
		g.writeFile(p)
	}
	marks := []int{main}
	for i := 0; i < 300; i++ {
		main, _ = g.churn("refs/heads/main", main, true)
		marks = append(marks, main)
	}
	for b := 0; b < branches; b++ {
		ref := fmt.Sprintf("refs/heads/feature/%s-%d", words[g.rng.Intn(len(words))], b)
		tip := marks[g.rng.Intn(len(marks))]
		for k := 1 + g.rng.Intn(2); k > 0; k-- {
			tip, _ = g.churn(ref, tip, false)
		}
	}
	for t := 0; t < tags; t++ {
		at := marks[len(marks)*t/tags]
		name := fmt.Sprintf("v0.%d.%d", t/10, t%10)
		if t%2 == 0 {
			fmt.Fprintf(g.w, "reset refs/tags/%s\nfrom :%d\n\n", name, at)
		} else {
			g.annotatedTag(name, at)
		}
	}
}

// linear writes total commits on main over files files of ~2 KB (50 lines), each commit
// editing touch of them, chosen at random.
func (g *gen) linear(total, files, touch int) {
	dirs := []string{"src", "src/core", "lib", "docs"}
	for i := 0; i < files; i++ {
		p := fmt.Sprintf("%s/%s_%d.go", dirs[i%len(dirs)], words[g.rng.Intn(len(words))], i)
		g.newFile(p, 50, 50)
	}
	main := g.header("refs/heads/main", "initial import")
	for _, p := range g.paths {
		g.writeFile(p)
	}
	touch = min(max(touch, 1), len(g.paths))
	for g.commits < total {
		seen := map[string]bool{}
		var touched []string
		for len(touched) < touch {
			p := g.paths[g.rng.Intn(len(g.paths))]
			if !seen[p] {
				seen[p] = true
				touched = append(touched, p)
			}
		}
		for _, p := range touched {
			g.edit(p)
		}
		main = g.header("refs/heads/main", g.message(touched), main)
		for _, p := range touched {
			g.writeFile(p)
		}
	}
}

package gitstore

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

// The reads the API makes, one Repo per iteration as one per request, on a generated
// history with a commit-graph, or on the bare repository CAIRN_BENCH_REPO names (read only;
// give it a commit-graph first: git commit-graph write --reachable --changed-paths):
//
//	go test ./gitstore -run '^$' -bench Read -benchmem
//	CAIRN_BENCH_REPO=/path/to/big.git go test ./gitstore -run '^$' -bench Read
//
// bench/run-git-reads.sh measures the same reads through the API against git itself.

type readBench struct {
	st   *Store
	path string // a file with a long history
	dir  string // a directory
}

var (
	readBenchOnce sync.Once
	readBenchRepo *readBench
	// scratchDirs are removed when the tests and benchmarks are done.
	scratchDirs []string
)

func TestMain(m *testing.M) {
	code := m.Run()
	for _, d := range scratchDirs {
		os.RemoveAll(d)
	}
	os.Exit(code)
}

func setUpReadBench(b *testing.B) *readBench {
	readBenchOnce.Do(func() {
		rb := &readBench{}
		// The repository outlives the benchmark that makes it; TestMain removes it.
		root, err := os.MkdirTemp("", "cairn-read-bench-")
		if err != nil {
			b.Fatal(err)
		}
		scratchDirs = append(scratchDirs, root)
		if src := os.Getenv("CAIRN_BENCH_REPO"); src != "" {
			abs, _ := filepath.Abs(src)
			if err := os.Symlink(abs, filepath.Join(root, "1.git")); err != nil {
				b.Fatal(err)
			}
			rb.st = &Store{root: root, reads: newReadShare()}
		} else {
			hf := generateHistory(b, root, 3000, 51, true)
			if _, err := writeCommitGraph(context.Background(), hf.dir); err != nil {
				b.Fatal(err)
			}
			rb.st = hf.st
		}
		g := newGitCLI(b)
		dir := rb.st.Path(1)
		counts := g.run(dir, "log", "--format=", "--name-only", "--no-renames", "main")
		best, n := "", map[string]int{}
		for _, p := range strings.Fields(counts) {
			if n[p]++; n[p] > n[best] {
				if _, err := g.try(dir, "cat-file", "-e", "main:"+p); err == nil {
					best = p
				}
			}
		}
		rb.path = best
		rb.dir = strings.Fields(g.run(dir, "ls-tree", "-d", "main"))[3]
		readBenchRepo = rb
	})
	if readBenchRepo == nil {
		b.Skip("no repository")
	}
	return readBenchRepo
}

// each runs f with a freshly opened repository and main's commit, b.N times.
func (rb *readBench) each(b *testing.B, f func(r *Repo, tip plumbing.Hash) error) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		r, err := rb.st.OpenRepo(1)
		if err != nil {
			b.Fatal(err)
		}
		tip, err := r.Resolve("main")
		if err == nil {
			err = f(r, tip)
		}
		r.Close()
		if err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadCommitsPage1(b *testing.B) {
	rb := setUpReadBench(b)
	rb.each(b, func(r *Repo, tip plumbing.Hash) error {
		_, err := r.Log(context.Background(), LogOptions{Include: []plumbing.Hash{tip}, Limit: 21})
		return err
	})
}

func BenchmarkReadCommitsDeepPage(b *testing.B) {
	rb := setUpReadBench(b)
	rb.each(b, func(r *Repo, tip plumbing.Hash) error {
		_, err := r.Log(context.Background(), LogOptions{Include: []plumbing.Hash{tip}, Skip: 2000, Limit: 21})
		return err
	})
}

func BenchmarkReadFileHistory(b *testing.B) {
	rb := setUpReadBench(b)
	rb.each(b, func(r *Repo, tip plumbing.Hash) error {
		_, err := r.Log(context.Background(), LogOptions{Include: []plumbing.Hash{tip}, Path: rb.path, Limit: 21})
		return err
	})
}

func BenchmarkReadBlame(b *testing.B) {
	rb := setUpReadBench(b)
	rb.each(b, func(r *Repo, tip plumbing.Hash) error {
		_, err := r.Blame(context.Background(), tip, rb.path)
		return err
	})
}

// BenchmarkReadFile is what files/:path and raw do: the entry, the content, its last commit.
func BenchmarkReadFile(b *testing.B) {
	rb := setUpReadBench(b)
	rb.each(b, func(r *Repo, tip plumbing.Hash) error {
		e, err := r.Stat(tip, rb.path)
		if err == nil {
			_, err = r.ReadBlob(e.Hash, 0)
		}
		if err == nil {
			_, err = r.LastCommitFor(context.Background(), tip, rb.path)
		}
		return err
	})
}

func BenchmarkReadTree(b *testing.B) {
	rb := setUpReadBench(b)
	rb.each(b, func(r *Repo, tip plumbing.Hash) error {
		_, err := r.Tree(tip, rb.dir, false)
		return err
	})
}

func BenchmarkReadCompare(b *testing.B) {
	rb := setUpReadBench(b)
	rb.each(b, func(r *Repo, tip plumbing.Hash) error {
		from, err := r.Resolve("main~300")
		if err != nil {
			return err
		}
		if _, err := r.Log(context.Background(),
			LogOptions{Include: []plumbing.Hash{tip}, Exclude: []plumbing.Hash{from}}); err != nil {
			return err
		}
		_, err = r.Diff(context.Background(), from, tip)
		return err
	})
}

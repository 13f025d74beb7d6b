//go:build unix

package forge_test

import (
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cairn-forge/cairn/forge"
	"github.com/cairn-forge/cairn/gitstore"
)

// benchRepository reads the first n files (in path order) of the Go distribution's source
// tree: real code, documentation and test data, about 100 MB in 10,000 files, the same on
// every machine with the same Go.
func benchRepository(b *testing.B, n int) ([]gitstore.File, int64) {
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		b.Skipf("no go command to find Go's source tree: %v", err)
	}
	root := filepath.Join(strings.TrimSpace(string(goroot)), "src")
	var paths []string
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			paths = append(paths, p)
		}
		return err
	})
	if err != nil {
		b.Skipf("no Go source tree to scan: %v", err)
	}
	sort.Strings(paths)
	if len(paths) < n {
		b.Skipf("the Go source tree has %d files, fewer than %d", len(paths), n)
	}
	var files []gitstore.File
	var total int64
	for _, p := range paths[:n] {
		data, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		rel, _ := filepath.Rel(root, p)
		files = append(files, gitstore.File{Path: filepath.ToSlash(rel), Content: data})
		total += int64(len(data))
	}
	return files, total
}

// BenchmarkSecretScan10kFiles100MB is issue 13's target: secret-scan of a repository of
// 10,000 files, 100 MB at HEAD, in under 5 s. The files are the first 10,000 of Go's own
// source tree (99.7 MB with Go 1.26); the repository is packed with git repack when git is
// installed, as a real one would be.
//
//	go test ./forge -run '^$' -bench SecretScan10k -benchtime 3x
func BenchmarkSecretScan10kFiles100MB(b *testing.B) {
	t0 := time.Now()
	files, total := benchRepository(b, 10000)
	b.Logf("read %d files, %d bytes in %v", len(files), total, time.Since(t0))
	ctx := context.Background()
	d, store, _ := openData(b)
	svc := forge.New(d, store, forge.Config{PasswordCost: 4}, forge.Options{})
	b.Cleanup(svc.Close)
	if _, err := svc.Accounts.EnsureRoot(ctx, "root-token"); err != nil {
		b.Fatal(err)
	}
	root, err := svc.Access.Authenticate(ctx, "root-token", "127.0.0.1")
	if err != nil {
		b.Fatal(err)
	}
	name := "big"
	if _, err := svc.Projects.CreateProject(ctx, root, forge.ProjectInput{Name: &name, Files: files}, 0); err != nil {
		b.Fatal(err)
	}
	b.Logf("committed them in %v", time.Since(t0))
	if git, err := exec.LookPath("git"); err == nil {
		cmd := exec.Command(git, "repack", "-adq")
		cmd.Dir = store.Path(1)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("git repack: %v: %s", err, out)
		}
	}
	b.Logf("packed them in %v", time.Since(t0))
	b.SetBytes(total)
	cpu0 := processCPU()
	b.ResetTimer()
	for range b.N {
		t0 = time.Now()
		r, err := svc.Agents.CreateAgentRun(ctx, root,
			forge.AgentRunInput{Repository: "root/big", Agent: "secret-scan"})
		if err != nil {
			b.Fatal(err)
		}
		for r.Status == forge.AgentQueued || r.Status == forge.AgentRunning {
			time.Sleep(5 * time.Millisecond)
			if r, err = svc.Agents.GetAgentRun(ctx, root, r.ID); err != nil {
				b.Fatal(err)
			}
		}
		b.Logf("scan: %v, %d findings", time.Since(t0), r.FindingCount)
		if r.Status != forge.AgentSucceeded {
			b.Fatalf("run: %s (%s) with %d findings", r.Status, r.Reason, r.FindingCount)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/scan")
	b.ReportMetric((processCPU()-cpu0).Seconds()/float64(b.N), "cpu-s/scan")
	b.ReportMetric(float64(len(files)), "files")
}

// processCPU is the CPU time the process has used: unlike wall time, other jobs on the
// machine change it little.
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

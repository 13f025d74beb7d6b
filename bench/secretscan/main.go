// Command secretscan scans a directory with cairn's secret scanner (forge/secretscan) on
// every core, reports its time and CPU, and compares its findings with a gitleaks JSON
// report of the same directory, for bench/run-secretscan.sh:
//
//	secretscan -dir DIR [-gitleaks-report gitleaks.json]
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"syscall"
	"time"

	"github.com/cairn-forge/cairn/forge/secretscan"
)

func main() {
	dir := flag.String("dir", "", "directory to scan")
	report := flag.String("gitleaks-report", "", "gitleaks JSON report of the same directory, to compare with")
	maxSize := flag.Int64("max-size", 10<<20, "skip files larger than this, in bytes")
	flag.Parse()
	if err := run(*dir, *report, *maxSize); err != nil {
		fmt.Fprintln(os.Stderr, "secretscan:", err)
		os.Exit(1)
	}
}

func cpu() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func run(dir, report string, maxSize int64) error {
	var paths []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			paths = append(paths, p)
		}
		return err
	})
	if err != nil {
		return err
	}
	s := secretscan.Default() // compiled before the clock starts, as in a running server
	start, cpu0 := time.Now(), cpu()
	var mu sync.Mutex
	var found []string
	var bytes int64
	work := make(chan string)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range work {
				data, err := os.ReadFile(p)
				if err != nil || int64(len(data)) > maxSize {
					continue
				}
				rel, _ := filepath.Rel(dir, p)
				fs := s.Scan(filepath.ToSlash(rel), data)
				mu.Lock()
				bytes += int64(len(data))
				for _, f := range fs {
					found = append(found, fmt.Sprintf("%s:%d:%s", rel, f.Line, f.RuleID))
				}
				mu.Unlock()
			}
		}()
	}
	for _, p := range paths {
		work <- p
	}
	close(work)
	wg.Wait()
	wall, used := time.Since(start), cpu()-cpu0
	fmt.Printf("cairn secretscan: %d files, %.1f MB in %.2f s wall, %.2f s CPU (%.1f MB/s of CPU); %d findings\n",
		len(paths), float64(bytes)/1e6, wall.Seconds(), used.Seconds(), float64(bytes)/1e6/used.Seconds(), len(found))
	if report == "" {
		return nil
	}
	data, err := os.ReadFile(report)
	if err != nil {
		return err
	}
	var gl []struct {
		File      string
		StartLine int
		RuleID    string
	}
	if err := json.Unmarshal(data, &gl); err != nil {
		return err
	}
	theirs := map[string]bool{}
	for _, f := range gl {
		rel, _ := filepath.Rel(dir, f.File)
		theirs[fmt.Sprintf("%s:%d:%s", rel, f.StartLine, f.RuleID)] = true
	}
	ours := map[string]bool{}
	for _, f := range found {
		ours[f] = true
	}
	var onlyOurs, onlyTheirs []string
	for f := range ours {
		if !theirs[f] {
			onlyOurs = append(onlyOurs, f)
		}
	}
	for f := range theirs {
		if !ours[f] {
			onlyTheirs = append(onlyTheirs, f)
		}
	}
	sort.Strings(onlyOurs)
	sort.Strings(onlyTheirs)
	fmt.Printf("gitleaks report: %d findings; %d found by both, %d only by cairn %v, %d only by gitleaks %v\n",
		len(theirs), len(ours)-len(onlyOurs), len(onlyOurs), onlyOurs, len(onlyTheirs), onlyTheirs)
	return nil
}

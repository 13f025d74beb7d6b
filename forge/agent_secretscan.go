package forge

import (
	"context"
	"errors"
	"runtime"
	"sort"
	"sync"

	"github.com/cairn-forge/cairn/forge/secretscan"
	"github.com/cairn-forge/cairn/gitstore"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
)

// defaultScanMaxFile is the size above which secret-scan skips a file (generated data,
// archives), in bytes.
const defaultScanMaxFile = 10 << 20

// scanFile is a file to scan: its path and blob.
type scanFile struct {
	path string
	hash plumbing.Hash
}

// secretScanResult is the result of a secret-scan run.
type secretScanResult struct {
	Rules        string `json:"rules"`
	FilesScanned int    `json:"files_scanned"`
	BytesScanned int64  `json:"bytes_scanned"`
	FilesSkipped int    `json:"files_skipped"`
	Findings     int    `json:"findings"`
}

// runSecretScan scans the files of the run's commit, or those changed since the since
// parameter's ref, for secrets.
func (s *Service) runSecretScan(ctx context.Context, j *agentJob) error {
	repo, err := s.openJobRepo(j)
	if err != nil {
		return err
	}
	defer repo.Close()
	limit := j.intParam("max_file_size", defaultScanMaxFile)
	files, err := scanTargets(ctx, repo, j)
	if err != nil {
		return err
	}
	scanner := secretscan.Default()
	res := secretScanResult{Rules: scanner.Source}
	found, err := scanBlobs(ctx, repo, scanner, files, limit, j, &res)
	if err != nil {
		return err
	}
	for _, f := range found {
		j.find(f)
	}
	res.Findings = len(found)
	j.logf("scanned %s (%d bytes) with %s; %s skipped; %s",
		plural(res.FilesScanned, "file"), res.BytesScanned, res.Rules, plural(res.FilesSkipped, "file"),
		plural(res.Findings, "finding"))
	j.setResult(res)
	return nil
}

// scanTargets lists the files to scan: the whole tree, or what changed since "since".
func scanTargets(ctx context.Context, repo *gitstore.Repo, j *agentJob) ([]scanFile, error) {
	var files []scanFile
	since := j.stringParam("since")
	if since == "" {
		err := repo.WalkFiles(j.commit(), "", func(e gitstore.Entry) error {
			if e.Mode.IsFile() && e.Mode != filemode.Symlink {
				files = append(files, scanFile{e.Path, e.Hash})
			}
			return nil
		})
		return files, err
	}
	from, err := repo.Resolve(since)
	if errors.Is(err, gitstore.ErrRefNotFound) {
		return nil, Invalidf("since: %q names no branch, tag or commit", since)
	}
	if err != nil {
		return nil, err
	}
	diffs, err := repo.Diff(ctx, from, j.commit())
	if err != nil {
		return nil, err
	}
	for _, d := range diffs {
		if !d.DeletedFile && d.NewMode.IsFile() && d.NewMode != filemode.Symlink {
			files = append(files, scanFile{d.NewPath, d.NewHash})
		}
	}
	j.logf("scanning the %d files changed between %s and %s", len(files), since, j.run.Ref)
	return files, nil
}

// scanBlobs scans files on all cores; one goroutine reads the blobs (a repository is read
// by one goroutine at a time), and a blob held by several paths is scanned once. Findings
// come in path order, then line.
func scanBlobs(ctx context.Context, repo *gitstore.Repo, scanner *secretscan.Scanner, files []scanFile,
	limit int64, j *agentJob, res *secretScanResult) ([]AgentFinding, error) {
	type work struct {
		hash    plumbing.Hash
		path    string
		content []byte
	}
	workers := max(1, runtime.GOMAXPROCS(0))
	queue := make(chan work, 4*workers)
	var mu sync.Mutex
	byBlob := map[plumbing.Hash][]secretscan.Finding{}
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for w := range queue {
				f := scanner.Scan(w.path, w.content)
				mu.Lock()
				byBlob[w.hash] = f
				mu.Unlock()
			}
		}()
	}
	seen := map[plumbing.Hash]bool{}
	var readErr error
	for i, f := range files {
		if i&255 == 0 {
			if readErr = ctx.Err(); readErr != nil {
				break
			}
		}
		if seen[f.hash] || scanner.SkipsPath(f.path) {
			if !seen[f.hash] {
				res.FilesSkipped++
			}
			continue
		}
		content, size, big, err := readBlobUpTo(repo, f.hash, limit)
		if err != nil {
			readErr = err
			break
		}
		if big {
			res.FilesSkipped++
			j.logf("skipped %s: %d bytes, over max_file_size (%d)", f.path, size, limit)
			continue
		}
		seen[f.hash] = true
		res.FilesScanned++
		res.BytesScanned += size
		queue <- work{f.hash, f.path, content}
	}
	close(queue)
	wg.Wait()
	if readErr != nil {
		return nil, readErr
	}
	var out []AgentFinding
	for _, f := range files {
		for _, sf := range byBlob[f.hash] {
			out = append(out, AgentFinding{Path: f.path, Line: sf.Line, Severity: SeverityCritical,
				Rule: sf.RuleID, Message: sf.Message()})
		}
	}
	sort.SliceStable(out, func(a, b int) bool {
		if out[a].Path != out[b].Path {
			return out[a].Path < out[b].Path
		}
		return out[a].Line < out[b].Line
	})
	return out, nil
}

// Command mrstall measures how a commit to a branch with many open merge requests delays
// everyone else's writes. It starts `cairn serve --ephemeral --no-rate-limit` as a separate
// process, opens merge requests into main of one project (each from its own branch with one
// commit), and, for each count of open merge requests asked for, keeps creating issues in
// another project from a few clients over loopback while it commits to main through the API.
// It prints how long each commit took and the latency of the issue creations that overlapped
// a commit, beside those that did not.
//
//	go run ./bench/mrstall -bin /tmp/cairn -open 0,100,1000 -commits 5
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() {
	bin := flag.String("bin", "", "the cairn binary")
	opens := flag.String("open", "0,100,1000", "counts of open merge requests to measure at, increasing")
	commits := flag.Int("commits", 5, "commits to main measured at each count")
	clients := flag.Int("clients", 2, "clients creating issues meanwhile")
	logFile := flag.String("log", "", "write cairn's log (JSON, a line per request) to this file")
	flag.Parse()
	if *bin == "" {
		fatal(errors.New("-bin is required"))
	}
	var counts []int
	for _, s := range strings.Split(*opens, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 0 || len(counts) > 0 && n < counts[len(counts)-1] {
			fatal(fmt.Errorf("-open: %q is not a list of increasing counts", *opens))
		}
		counts = append(counts, n)
	}
	c, stop, err := start(*bin, *logFile)
	if err != nil {
		fatal(err)
	}
	cleanup = stop
	defer stop()

	repo := c.must("POST", "/projects", map[string]any{"name": "repo", "initialize_with_readme": true})["id"]
	tracker := c.must("POST", "/projects", map[string]any{"name": "tracker"})["id"]
	repoPath := fmt.Sprintf("/projects/%v", repo)
	opened := 0
	for _, n := range counts {
		if err := openMergeRequests(c, repoPath, opened, n); err != nil {
			fatal(err)
		}
		opened = n
		measure(c, repoPath, fmt.Sprintf("/projects/%v/issues", tracker), n, *commits, *clients)
	}
}

// openMergeRequests opens merge requests from..to-1, each from branch mr-<i> holding one
// commit on main, four at a time.
func openMergeRequests(c *client, repo string, from, to int) error {
	work := make(chan int)
	errs := make(chan error, 4)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				branch := fmt.Sprintf("mr-%d", i)
				_, err := c.do("POST", repo+"/repository/commits", map[string]any{
					"branch": branch, "start_branch": "main", "commit_message": "change " + branch,
					"actions": []map[string]any{{"action": "create", "file_path": branch + ".txt",
						"content": branch + "\n"}}})
				if err == nil {
					_, err = c.do("POST", repo+"/merge_requests", map[string]any{
						"source_branch": branch, "target_branch": "main", "title": "Change " + branch})
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for i := from; i < to; i++ {
		select {
		case work <- i:
		case err := <-errs:
			close(work)
			wg.Wait()
			return err
		}
	}
	close(work)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}

// span is one request: when it started and how long it took.
type span struct {
	at time.Time
	d  time.Duration
}

func (s span) end() time.Time { return s.at.Add(s.d) }

// measure commits to main the given number of times while clients create issues, and prints
// the figures for n open merge requests.
func measure(c *client, repo, issues string, n, commits, clients int) {
	var mu sync.Mutex
	var created []span
	done := make(chan struct{})
	var wg sync.WaitGroup
	for k := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-done:
					return
				default:
				}
				t0 := time.Now()
				if _, err := c.do("POST", issues,
					map[string]any{"title": fmt.Sprintf("issue %d-%d-%d", n, k, i)}); err != nil {
					fatal(err)
				}
				mu.Lock()
				created = append(created, span{t0, time.Since(t0)})
				mu.Unlock()
			}
		}()
	}
	time.Sleep(500 * time.Millisecond)
	var windows []span
	for i := range commits {
		t0 := time.Now()
		c.must("POST", repo+"/repository/commits", map[string]any{
			"branch": "main", "commit_message": fmt.Sprintf("main %d-%d", n, i),
			"actions": []map[string]any{{"action": "create", "file_path": fmt.Sprintf("main-%d-%d.txt", n, i),
				"content": "main\n"}}})
		windows = append(windows, span{t0, time.Since(t0)})
		time.Sleep(300 * time.Millisecond)
	}
	close(done)
	wg.Wait()

	var during, outside []time.Duration
	for _, s := range created {
		overlaps := false
		for _, w := range windows {
			if s.at.Before(w.end()) && w.at.Before(s.end()) {
				overlaps = true
				break
			}
		}
		if overlaps {
			during = append(during, s.d)
		} else {
			outside = append(outside, s.d)
		}
	}
	var took []time.Duration
	for _, w := range windows {
		took = append(took, w.d)
	}
	fmt.Printf("open=%d: commit to main %s; issue creation during the commits %s; otherwise %s\n",
		n, summary(took, false), summary(during, true), summary(outside, true))
}

// summary describes durations: their count, median, 99th percentile and maximum.
func summary(ds []time.Duration, percentiles bool) string {
	if len(ds) == 0 {
		return "n=0"
	}
	slices.Sort(ds)
	at := func(q float64) time.Duration { return ds[min(len(ds)-1, int(q*float64(len(ds))))] }
	if !percentiles {
		return fmt.Sprintf("median %.1f ms, max %.1f ms (n=%d)", ms(at(0.5)), ms(ds[len(ds)-1]), len(ds))
	}
	return fmt.Sprintf("n=%d p50 %.1f ms, p99 %.1f ms, max %.1f ms", len(ds), ms(at(0.5)), ms(at(0.99)),
		ms(ds[len(ds)-1]))
}

// client calls cairn's GitLab API with the admin token.
type client struct {
	base, token string
	http        *http.Client
}

func (c *client) do(method, path string, body any) (map[string]any, error) {
	data, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequest(method, c.base+"/api/v4"+path, bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	req.Header.Set("PRIVATE-TOKEN", c.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("%s %s: %s %s", method, path, resp.Status, out)
	}
	var v map[string]any
	_ = json.Unmarshal(out, &v)
	return v, nil
}

func (c *client) must(method, path string, body any) map[string]any {
	v, err := c.do(method, path, body)
	if err != nil {
		fatal(err)
	}
	return v
}

// start runs cairn and returns a client of it and how to stop it.
func start(bin, logFile string) (*client, func(), error) {
	dir, err := os.MkdirTemp("", "cairn-mrstall-")
	if err != nil {
		return nil, nil, err
	}
	ready := filepath.Join(dir, "ready.json")
	cmd := exec.Command(bin, "serve", "--ephemeral", "--addr", "127.0.0.1:0", "--no-rate-limit", "--ready-file", ready,
		"--log-format", "json")
	if logFile != "" {
		f, err := os.Create(logFile)
		if err != nil {
			return nil, nil, err
		}
		defer f.Close()
		cmd.Stderr = f
	}
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	stop := func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		os.RemoveAll(dir)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		data, err := os.ReadFile(ready)
		if err == nil {
			var info struct {
				URL        string `json:"url"`
				AdminToken string `json:"admin_token"`
			}
			if err := json.Unmarshal(data, &info); err != nil {
				stop()
				return nil, nil, err
			}
			tr := &http.Transport{MaxIdleConnsPerHost: 16}
			return &client{base: info.URL, token: info.AdminToken, http: &http.Client{Transport: tr}}, stop, nil
		}
		if time.Now().After(deadline) {
			stop()
			return nil, nil, errors.New("cairn was not ready within 30s")
		}
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// cleanup stops cairn when the run fails.
var cleanup = func() {}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "mrstall:", err)
	cleanup()
	os.Exit(1)
}

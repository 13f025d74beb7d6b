package web_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/cairn-forge/cairn/server/servertest"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// TestBrowserScreenshots photographs the main pages in light and dark, at desktop and phone
// widths, after checking each passes the accessibility audit. With CAIRN_SCREENSHOTS=1 it
// writes them to docs/screenshots/ (the README shows them); otherwise to a temporary
// directory, so that the pages are still rendered and audited in every browser run.
func TestBrowserScreenshots(t *testing.T) {
	b := newBrowser(t)
	s := servertest.New(t, logErrors(t))
	pages := screenshotFixture(t, s)
	out := t.TempDir()
	if os.Getenv("CAIRN_SCREENSHOTS") == "1" {
		out = filepath.Join("..", "docs", "screenshots")
		if err := os.MkdirAll(out, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	b.open(s.URL + "/users/sign_in")
	b.fill("#login", "root")
	b.fill("#password", rootPassword(t, s))
	b.submit("sign in", "button[type=submit]")
	sizes := []struct {
		name          string
		width, height int64
		mobile        bool
	}{{"desktop", 1280, 860, false}, {"phone", 390, 844, true}}
	for _, scheme := range []string{"light", "dark"} {
		if _, err := chromedp.Call(b.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}}); err != nil {
			t.Fatal(err)
		}
		for _, size := range sizes {
			opts := []chromedp.EmulateViewportOption{}
			if size.mobile {
				opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait)
			}
			b.do("viewport", chromedp.EmulateViewport(size.width, size.height, opts...))
			for _, p := range pages {
				b.open(s.URL + p.path)
				b.audit(p.name)
				shot, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
				if err != nil {
					t.Fatalf("%s: %v", p.name, err)
				}
				name := fmt.Sprintf("%s-%s-%s.png", p.name, size.name, scheme)
				if err := os.WriteFile(filepath.Join(out, name), shot, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	b.clean("screenshots")
}

type shotPage struct{ name, path string }

// screenshotFixture fills an instance with a project that looks lived in, and returns the
// pages to photograph.
func screenshotFixture(t *testing.T, s *servertest.Server) []shotPage {
	t.Helper()
	api(t, s, "POST", "/api/v4/groups",
		map[string]any{"name": "Acme", "path": "acme", "visibility": "public"}, http.StatusCreated)
	var p struct{ ID int64 }
	api(t, s, "POST", "/api/v4/projects",
		map[string]any{"name": "rocket", "namespace_id": "acme", "visibility": "public",
			"description": "A small, fast task runner for monorepos"}, http.StatusCreated).JSON(t, &p)
	id := strconv.FormatInt(p.ID, 10)
	commit := func(branch, msg string, actions ...map[string]any) {
		api(t, s, "POST", "/api/v4/projects/"+id+"/repository/commits",
			map[string]any{"branch": branch, "commit_message": msg,
				"actions": actions}, http.StatusCreated)
	}
	file := func(action, path, content string) map[string]any {
		return map[string]any{"action": action, "file_path": path, "content": content}
	}
	commit("main", "Start rocket", file("create", "README.md", shotReadme),
		file("create", "go.mod", "module example.com/rocket\n\ngo 1.26\n"),
		file("create", "runner/runner.go", shotRunner), file("create", "cmd/rocket/main.go", shotMain),
		file("create", "docs/usage.md", "# Usage\n\nRun `rocket build` in the repository.\n"),
		file("create", "web/index.js",
			"export function badge(status) {\n  return `<span class=\"badge\">${status}</span>`;\n}\n"))
	commit("main", "Run tasks in dependency order", file("update", "runner/runner.go", shotRunner+shotOrder))
	api(t, s, "POST", "/api/v4/projects/"+id+"/repository/branches",
		map[string]any{"branch": "parallel-tasks", "ref": "main"}, http.StatusCreated)
	commit("parallel-tasks", "Run independent tasks in parallel",
		file("update", "runner/runner.go", shotRunner+shotOrder+shotParallel),
		file("create", "runner/pool.go", shotPool))
	var mr struct{ IID int64 }
	api(t, s, "POST", "/api/v4/projects/"+id+"/merge_requests",
		map[string]any{"title": "Run independent tasks in parallel",
			"source_branch": "parallel-tasks", "target_branch": "main", "remove_source_branch": true,
			"description": "Tasks without a path between them now run at once, bounded by `-j`.\n\n- [x] worker pool\n- [x] tests\n- [ ] docs"}, http.StatusCreated).JSON(t, &mr)
	api(t, s, "POST", "/api/v4/projects/"+id+"/merge_requests/"+strconv.FormatInt(mr.IID, 10)+"/notes",
		map[string]any{"body": "Nice. Could `-j` default to the number of cores?"}, http.StatusCreated)
	var is struct{ IID int64 }
	api(t, s, "POST", "/api/v4/projects/"+id+"/issues",
		map[string]any{"title": "Cache misses when the lock file changes",
			"labels":      "bug,cache",
			"description": "After `go.sum` changes, every task rebuilds.\n\n```sh\nrocket build ./...\n```\n\nExpected: only tasks that read `go.sum`."},
		http.StatusCreated).JSON(t, &is)
	api(t, s, "POST", "/api/v4/projects/"+id+"/issues/"+strconv.FormatInt(is.IID, 10)+"/notes",
		map[string]any{"body": "Reproduced on `main`; the key includes the whole lock file."}, http.StatusCreated)
	api(t, s, "POST", "/api/v4/projects/"+id+"/issues",
		map[string]any{"title": "Document the cache directory"}, http.StatusCreated)
	api(t, s, "POST", "/api/v4/users/1/personal_access_tokens",
		map[string]any{"name": "ci", "scopes": []string{"api"}}, http.StatusCreated)
	api(t, s, "POST", "/api/v4/users/1/personal_access_tokens",
		map[string]any{"name": "laptop", "scopes": []string{"read_api", "read_repository"}}, http.StatusCreated)

	api(t, s, "POST", "/api/v4/projects/"+id+"/releases",
		map[string]any{"tag_name": "v0.1.0", "ref": "main", "name": "rocket 0.1.0",
			"description": "The first release.\n\n- tasks run in dependency order\n- `rocket graph` prints the task graph"}, http.StatusCreated)
	for _, m := range []struct {
		name  string
		level int
	}{{"maya", 40}, {"dev", 30}} {
		uid, _ := s.CreateUser(t, m.name)
		api(t, s, "POST", "/api/v4/projects/"+id+"/members",
			map[string]any{"user_id": uid, "access_level": m.level}, http.StatusCreated)
	}

	commits := s.Do(t, "GET", "/api/v4/projects/"+id+"/repository/commits?ref_name=parallel-tasks&per_page=1",
		s.AdminToken, nil)
	sha := regexp.MustCompile(`"id":"([0-9a-f]{40})"`).FindStringSubmatch(string(commits.Body))
	if sha == nil {
		t.Fatalf("no commit: %s", commits.Body)
	}
	return []shotPage{
		{"dashboard", "/"},
		{"project", "/acme/rocket"},
		{"file", "/acme/rocket/-/blob/main/runner/runner.go#L12-L18"},
		{"commit", "/acme/rocket/-/commit/" + sha[1]},
		{"merge-request", "/acme/rocket/-/merge_requests/" + strconv.FormatInt(mr.IID, 10)},
		{"issue", "/acme/rocket/-/issues/" + strconv.FormatInt(is.IID, 10)},
		{"tokens", "/-/user_settings/personal_access_tokens"},
		{"releases", "/acme/rocket/-/releases"},
		{"members", "/acme/rocket/-/project_members"},
		{"settings", "/acme/rocket/-/settings/general"},
	}
}

const shotReadme = "# rocket\n\nA small, fast task runner for monorepos: it reads the tasks of every package, " +
	"orders them by their dependencies and runs what changed.\n\n## Install\n\n```sh\ngo install example.com/rocket/cmd/rocket@latest\n```\n\n" +
	"## Use\n\n| command | what it does |\n|---|---|\n| `rocket build` | builds what changed |\n| `rocket test` | tests what changed |\n" +
	"| `rocket graph` | prints the task graph |\n\nSee [the usage guide](docs/usage.md).\n"

const shotRunner = `package runner

import (
	"context"
	"fmt"
)

// Task is one unit of work, with the tasks it needs first.
type Task struct {
	Name  string
	Needs []string
	Run   func(context.Context) error
}

// Runner runs tasks.
type Runner struct {
	tasks map[string]*Task
}

// Add registers a task; a name may be added once.
func (r *Runner) Add(t *Task) error {
	if _, ok := r.tasks[t.Name]; ok {
		return fmt.Errorf("task %q added twice", t.Name)
	}
	r.tasks[t.Name] = t
	return nil
}
`

const shotOrder = `
// order returns the tasks so that each comes after those it needs.
func (r *Runner) order() ([]*Task, error) {
	var out []*Task
	seen := map[string]bool{}
	var visit func(string) error
	visit = func(name string) error {
		if seen[name] {
			return nil
		}
		seen[name] = true
		for _, n := range r.tasks[name].Needs {
			if err := visit(n); err != nil {
				return err
			}
		}
		out = append(out, r.tasks[name])
		return nil
	}
	for name := range r.tasks {
		if err := visit(name); err != nil {
			return nil, err
		}
	}
	return out, nil
}
`

const shotParallel = `
// RunAll runs every task, independent ones at once, at most jobs at a time.
func (r *Runner) RunAll(ctx context.Context, jobs int) error {
	tasks, err := r.order()
	if err != nil {
		return err
	}
	p := newPool(jobs)
	for _, t := range tasks {
		p.Go(ctx, t)
	}
	return p.Wait()
}
`

const shotPool = `package runner

import (
	"context"
	"sync"
)

// pool runs tasks on a bounded number of goroutines.
type pool struct {
	sem  chan struct{}
	wg   sync.WaitGroup
	mu   sync.Mutex
	errs []error
}

func newPool(n int) *pool { return &pool{sem: make(chan struct{}, n)} }

// Go runs t when a slot is free.
func (p *pool) Go(ctx context.Context, t *Task) {
	p.wg.Add(1)
	p.sem <- struct{}{}
	go func() {
		defer func() { <-p.sem; p.wg.Done() }()
		if err := t.Run(ctx); err != nil {
			p.mu.Lock()
			p.errs = append(p.errs, err)
			p.mu.Unlock()
		}
	}()
}

// Wait waits for every task and returns the first error.
func (p *pool) Wait() error {
	p.wg.Wait()
	if len(p.errs) > 0 {
		return p.errs[0]
	}
	return nil
}
`

const shotMain = `package main

import (
	"context"
	"fmt"
	"os"
)

func main() {
	if err := run(context.Background(), os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "rocket:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	return nil
}
`

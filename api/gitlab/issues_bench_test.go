package gitlab_test

// Benchmarks of issue 4's speed targets for issues, in process over loopback HTTP with
// keep-alive clients (the clients' CPU counts too: they share the machine with the server):
//
//	go test ./api/gitlab -run '^$' -bench 'CreateIssues|ListIssues' -benchtime 5s -count 3
//
// Targets: creating issues with 8 concurrent clients, at least 1,500 per second; listing 20
// issues of a project holding 10,000, p99 under 10 ms.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cairn-forge/cairn/forge"
	"github.com/cairn-forge/cairn/server/servertest"
)

type issueBench struct {
	s      *servertest.Server
	client *http.Client
	// project is alice's public project; alice is its owner, bob a stranger.
	project     int64
	alice, bob  string
	issuesPath  string
	aliceActor  *forge.Actor
	projectPath string
}

func newIssueBench(b *testing.B) *issueBench {
	b.Helper()
	s := servertest.New(b, servertest.WithoutRateLimit())
	f := &issueBench{s: s, client: &http.Client{Transport: &http.Transport{
		MaxIdleConns: 64, MaxIdleConnsPerHost: 64, IdleConnTimeout: time.Minute}}}
	_, f.alice = s.CreateUser(b, "alice")
	_, f.bob = s.CreateUser(b, "bob")
	r := s.Do(b, "POST", "/api/v4/projects", f.alice, map[string]any{"name": "tracker", "visibility": "public"})
	if r.StatusCode != http.StatusCreated {
		b.Fatalf("create project: %d %s", r.StatusCode, r.Body)
	}
	var p struct {
		ID                int64
		PathWithNamespace string `json:"path_with_namespace"`
	}
	r.JSON(b, &p)
	f.project, f.projectPath = p.ID, p.PathWithNamespace
	f.issuesPath = "/api/v4/projects/" + itoa(p.ID) + "/issues"
	var err error
	if f.aliceActor, err = s.Forge.Access.Authenticate(context.Background(), f.alice, "127.0.0.1"); err != nil {
		b.Fatal(err)
	}
	return f
}

// do sends one request and drains the answer, so that the connection is reused.
func (f *issueBench) do(method, path, token string, body []byte, want int) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, f.s.URL+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("PRIVATE-TOKEN", token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err == nil && resp.StatusCode != want {
		err = fmt.Errorf("%s %s: %d", method, path, resp.StatusCode)
	}
	return err
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// clients sets RunParallel's goroutine count to n (it starts parallelism × GOMAXPROCS).
func clients(b *testing.B, n int) {
	procs := runtime.GOMAXPROCS(0)
	b.SetParallelism((n + procs - 1) / procs)
}

// BenchmarkCreateIssues is POST /projects/:id/issues by 8 concurrent clients; issues/s is
// the figure the target names.
func BenchmarkCreateIssues(b *testing.B) {
	for _, bc := range []struct {
		name string
		body []byte
	}{
		{"plain", []byte(`{"title":"Crash when saving","description":"Steps:\n- [ ] open\n- [ ] save"}`)},
		{"labels", []byte(`{"title":"Crash when saving","labels":"bug,ui","confidential":false}`)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			f := newIssueBench(b)
			if err := f.do("POST", f.issuesPath, f.alice, bc.body, http.StatusCreated); err != nil {
				b.Fatal(err)
			}
			clients(b, 8)
			b.ReportAllocs()
			cpu, start := processCPU(), time.Now()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := f.do("POST", f.issuesPath, f.alice, bc.body, http.StatusCreated); err != nil {
						b.Error(err)
						return
					}
				}
			})
			elapsed := time.Since(start)
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "issues/s")
			b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}

// BenchmarkListIssues is GET /projects/:id/issues?per_page=20 on a project with 10,000
// issues (a tenth of them labelled, one in fifty confidential), by one client and by 8, for
// the owner and for a stranger (whose list leaves out confidential issues). p50 and p99 are
// per request; with 8 clients on a 2-core machine they include the wait for a core.
func BenchmarkListIssues(b *testing.B) {
	f := newIssueBench(b)
	ctx := context.Background()
	labels := []string{"bug"}
	for i := range 10_000 {
		in := forge.IssueInput{Title: strPtr(fmt.Sprintf("Issue number %d", i))}
		if i%10 == 0 {
			in.Labels = &labels
		}
		if i%50 == 0 {
			conf := true
			in.Confidential = &conf
		}
		if _, err := f.s.Forge.Issuables.CreateIssue(ctx, f.aliceActor, forge.ParseRef(f.projectPath), in); err != nil {
			b.Fatal(err)
		}
	}
	for _, who := range []struct{ name, token string }{{"owner", f.alice}, {"stranger", f.bob}} {
		for _, query := range []string{"?per_page=20", "?per_page=20&state=opened&labels=bug"} {
			for _, n := range []int{1, 8} {
				b.Run(fmt.Sprintf("%s/%s/clients=%d", who.name, query[1:], n), func(b *testing.B) {
					path := f.issuesPath + query
					if err := f.do("GET", path, who.token, nil, http.StatusOK); err != nil {
						b.Fatal(err)
					}
					var mu sync.Mutex
					var lat []time.Duration
					cpu := processCPU()
					b.ResetTimer()
					if n == 1 {
						for b.Loop() {
							t0 := time.Now()
							if err := f.do("GET", path, who.token, nil, http.StatusOK); err != nil {
								b.Fatal(err)
							}
							lat = append(lat, time.Since(t0))
						}
					} else {
						clients(b, n)
						b.RunParallel(func(pb *testing.PB) {
							var mine []time.Duration
							for pb.Next() {
								t0 := time.Now()
								if err := f.do("GET", path, who.token, nil, http.StatusOK); err != nil {
									b.Error(err)
									return
								}
								mine = append(mine, time.Since(t0))
							}
							mu.Lock()
							lat = append(lat, mine...)
							mu.Unlock()
						})
					}
					b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
					slices.Sort(lat)
					if len(lat) > 0 {
						b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
						b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
					}
				})
			}
		}
	}
}

func strPtr(s string) *string { return &s }

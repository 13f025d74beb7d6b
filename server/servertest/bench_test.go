package servertest_test

// Benchmarks of the Speed section of issue 2, in process: how long servertest.New takes, and
// what GET /api/v4/projects/:id and GET /api/v4/projects?per_page=20 cost through the real
// handler over loopback HTTP with a keep-alive client. BENCHMARKS.md has the figures and the
// commands; for example:
//
//	go test ./server/servertest -run '^$' -bench . -benchmem -count 6
//	go test ./server/servertest -run '^$' -bench 'GetProject/parallel' -benchtime 10s -cpuprofile cpu.out
//
// The HTTP sub-benchmarks count the client's allocations and CPU too (it runs in the same
// process); BenchmarkHealth is the floor they stand on: the same client and net/http server answering
// /-/health, which passes through none of the API's middleware.

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/cairn-forge/cairn/server/servertest"
)

// iterTB gives each iteration of BenchmarkServertestNew its own cleanups, so that every
// instance is stopped (outside the timed part) before the next starts, instead of hundreds of
// them piling up until the benchmark ends.
type iterTB struct {
	testing.TB
	cleanups []func()
}

func (t *iterTB) Cleanup(f func()) { t.cleanups = append(t.cleanups, f) }

func (t *iterTB) TempDir() string {
	dir, err := os.MkdirTemp("", "cairn-bench-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func (t *iterTB) cleanup() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
	t.cleanups = nil
}

// BenchmarkServertestNew is the time for servertest.New to return a ready instance, as a
// test calls it (rate limits on, the default options). Target: under 30 ms.
func BenchmarkServertestNew(b *testing.B) {
	for _, bc := range []struct {
		name string
		opts []servertest.Option
	}{
		{"default", nil},
		{"norate", []servertest.Option{servertest.WithoutRateLimit()}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			tb := &iterTB{TB: b}
			for b.Loop() {
				srv := servertest.New(tb, bc.opts...)
				if srv.URL == "" {
					b.Fatal("no URL")
				}
				b.StopTimer()
				tb.cleanup()
				b.StartTimer()
			}
		})
	}
}

// fixture is an instance holding what bench/run-api.sh creates: one public project and 30
// private ones, all root's, plus a non-admin user whose token sees the public one.
type fixture struct {
	srv        *servertest.Server
	publicID   int64
	userToken  string
	httpClient *http.Client
}

func newFixture(b *testing.B) *fixture {
	b.Helper()
	srv := servertest.New(b, servertest.WithoutRateLimit())
	f := &fixture{srv: srv, httpClient: &http.Client{Transport: &http.Transport{
		MaxIdleConns: 128, MaxIdleConnsPerHost: 128, IdleConnTimeout: time.Minute}}}
	resp := srv.Do(b, "POST", "/api/v4/projects", srv.AdminToken,
		map[string]any{"name": "bench-public", "visibility": "public"})
	if resp.StatusCode != http.StatusCreated {
		b.Fatalf("create project: %d %s", resp.StatusCode, resp.Body)
	}
	var p struct{ ID int64 }
	resp.JSON(b, &p)
	f.publicID = p.ID
	for i := range 30 {
		resp := srv.Do(b, "POST", "/api/v4/projects", srv.AdminToken,
			map[string]any{"name": fmt.Sprintf("bench-%02d", i)})
		if resp.StatusCode != http.StatusCreated {
			b.Fatalf("create project: %d %s", resp.StatusCode, resp.Body)
		}
	}
	_, f.userToken = srv.CreateUser(b, "benchuser")
	return f
}

// get sends one GET and drains the response, so that the connection is reused.
func (f *fixture) get(req *http.Request, want int) error {
	resp, err := f.httpClient.Do(req)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		return fmt.Errorf("GET %s: %d", req.URL, resp.StatusCode)
	}
	return nil
}

func (f *fixture) request(b *testing.B, path, token string) *http.Request {
	req, err := http.NewRequest("GET", f.srv.URL+path, nil)
	if err != nil {
		b.Fatal(err)
	}
	if token != "" {
		req.Header.Set("PRIVATE-TOKEN", token)
	}
	return req
}

// runHTTP runs the serial and parallel (32 clients, as wrk -c32) forms of one request.
func runHTTP(b *testing.B, f *fixture, path string, tokens map[string]string) {
	for _, who := range []string{"admin", "user", "anonymous"} {
		token, ok := tokens[who]
		if !ok {
			continue
		}
		b.Run(who+"/serial", func(b *testing.B) {
			req := f.request(b, path, token)
			if err := f.get(req, http.StatusOK); err != nil { // opens the connection outside the timing
				b.Fatal(err)
			}
			b.ReportAllocs()
			cpu := cpuTime()
			for b.Loop() {
				if err := f.get(req, http.StatusOK); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, cpu)
		})
		b.Run(who+"/parallel32", func(b *testing.B) {
			b.ReportAllocs()
			procs := runtime.GOMAXPROCS(0)
			b.SetParallelism((32 + procs - 1) / procs) // RunParallel starts parallelism × GOMAXPROCS goroutines
			cpu := cpuTime()
			b.RunParallel(func(pb *testing.PB) {
				req := f.request(b, path, token)
				for pb.Next() {
					if err := f.get(req, http.StatusOK); err != nil {
						b.Error(err) // Fatal may not be called from RunParallel's goroutines
						return
					}
				}
			})
			reportCPU(b, cpu)
		})
	}
}

// cpuTime is the CPU time (user and system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the process's CPU time per request since start: unlike ns/op, it does not
// grow when other processes share the machine. It counts the client's share too.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}

// BenchmarkHealth is the floor of the HTTP benchmarks: client, loopback and net/http server
// answering /-/health, with none of the API's middleware.
func BenchmarkHealth(b *testing.B) {
	f := &fixture{srv: servertest.New(b, servertest.WithoutRateLimit()),
		httpClient: &http.Client{Transport: &http.Transport{
			MaxIdleConns: 128, MaxIdleConnsPerHost: 128, IdleConnTimeout: time.Minute}}}
	runHTTP(b, f, "/-/health", map[string]string{"anonymous": ""})
}

// BenchmarkGetProject is GET /api/v4/projects/:id of a public project. Target (wrk, see
// bench/run-api.sh): at least 10,000 requests/s with p99 under 20 ms.
func BenchmarkGetProject(b *testing.B) {
	f := newFixture(b)
	runHTTP(b, f, "/api/v4/projects/"+strconv.FormatInt(f.publicID, 10),
		map[string]string{"admin": f.srv.AdminToken, "user": f.userToken})
}

// BenchmarkListProjects is GET /api/v4/projects?per_page=20. Target (wrk): at least 3,000
// requests/s. The admin sees all 31 projects (a full page); the user sees the public one.
func BenchmarkListProjects(b *testing.B) {
	f := newFixture(b)
	runHTTP(b, f, "/api/v4/projects?per_page=20",
		map[string]string{"admin": f.srv.AdminToken, "user": f.userToken})
}

//go:build unix

package gitar_test

import (
	"bytes"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cairn-forge/cairn/server/servertest"
)

// BenchmarkAccept1000AgentRuns is issue 13's target: the queue accepts 1,000 run requests
// in under 1 s without blocking HTTP handlers. 32 clients send 1,000 POST /agents/runs
// between them while the workers run what is queued; a 33rd client meanwhile reads GET
// /agents over and over, and its slowest answer is reported (p100-ms), with ms per 1,000
// accepted runs and the process's CPU time for them.
//
//	go test ./api/gitar -run '^$' -bench Accept1000 -benchtime 3x
func BenchmarkAccept1000AgentRuns(b *testing.B) {
	s := servertest.New(b, servertest.WithoutRateLimit())
	if r := s.Do(b, "POST", "/api/v4/projects", s.AdminToken,
		map[string]any{"name": "site", "initialize_with_readme": true}); r.StatusCode != 201 {
		b.Fatalf("create project: %d %s", r.StatusCode, r.Body)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	body := []byte(`{"repository": "root/site", "agent": "stats"}`)
	post := func() int {
		req, _ := http.NewRequest("POST", s.URL+"/v1/external/agents/runs", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+s.AdminToken)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			b.Error(err)
			return 0
		}
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	var probes []time.Duration
	var accepting, cpu time.Duration
	b.ResetTimer()
	for range b.N {
		var next atomic.Int64
		var wg sync.WaitGroup
		stop := make(chan struct{})
		probeDone := make(chan struct{})
		go func() {
			defer close(probeDone)
			for {
				select {
				case <-stop:
					return
				default:
				}
				req, _ := http.NewRequest("GET", s.URL+"/v1/external/agents", nil)
				req.Header.Set("Authorization", "Bearer "+s.AdminToken)
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				resp.Body.Close()
				probes = append(probes, time.Since(t0))
			}
		}()
		start, cpu0 := time.Now(), processCPU()
		for range 32 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for next.Add(1) <= 1000 {
					if code := post(); code != http.StatusCreated {
						b.Errorf("POST /agents/runs: %d", code)
						return
					}
				}
			}()
		}
		wg.Wait()
		elapsed := time.Since(start)
		cpu += processCPU() - cpu0
		close(stop)
		<-probeDone
		accepting += elapsed
	}
	b.StopTimer()
	b.ReportMetric(float64(accepting.Microseconds())/1000/float64(b.N), "ms/1000runs")
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/1000runs")
	sort.Slice(probes, func(i, j int) bool { return probes[i] < probes[j] })
	if len(probes) > 0 {
		b.ReportMetric(float64(probes[len(probes)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(probes[len(probes)-1].Microseconds())/1000, "p100-ms")
	}
}

// processCPU is the CPU time the process has used (server, workers and the in-process
// clients): unlike wall time, other jobs on the machine change it little.
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

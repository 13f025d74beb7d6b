// Command readbench times API reads against the git commands that give the same answers,
// for bench/run-git-reads.sh. Each line of its input is one pair, tab-separated:
//
//	LABEL <TAB> GIT-COMMAND (run by sh -c) <TAB> URL
//
// and each pair is measured in -rounds rounds after a warm-up, the two sides alternating
// which goes first. A git read is one process, its start included. An API read is one GET on
// a connection kept alive from the warm-up, read to the end: the server end to end over
// loopback, without the start of a client program (curl's alone takes 5-15 ms here, more
// than most of the reads measured). Besides wall time, the CPU time each side used: git's
// from its rusage, the server's (with -pid) from the per-thread schedstat counters of
// /proc, which stay put when other processes share the machine (wall times do not).
// Output, TSV: LABEL, then wall and CPU medians (seconds) of git, then of the API.
//
//	readbench -rounds 5 -pid 1234 -header 'PRIVATE-TOKEN: t' <pairs.tsv
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"time"
)

func main() {
	rounds := flag.Int("rounds", 3, "measured rounds of each pair")
	header := flag.String("header", "", "a header every API request carries (Name: value)")
	pid := flag.Int("pid", 0, "the server's process id, for its CPU time")
	flag.Parse()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1, DisableCompression: true}}
	name, value, _ := strings.Cut(*header, ":")
	get := func(url string) error {
		req, err := http.NewRequest("GET", url, nil)
		if err != nil {
			return err
		}
		if name != "" {
			req.Header.Set(strings.TrimSpace(name), strings.TrimSpace(value))
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: %s", url, resp.Status)
		}
		return nil
	}
	var gitCPU time.Duration // of the last run
	run := func(cmd string) error {
		c := exec.Command("sh", "-c", cmd)
		c.Stdout = io.Discard
		var stderr strings.Builder
		c.Stderr = &stderr
		if err := c.Run(); err != nil {
			return fmt.Errorf("%s: %v: %s", cmd, err, stderr.String())
		}
		// sh waited for its git processes: its children's usage is theirs.
		if ru, ok := c.ProcessState.SysUsage().(*syscall.Rusage); ok {
			gitCPU = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		}
		return nil
	}
	timed := func(f func() error) time.Duration {
		t0 := time.Now()
		if err := f(); err != nil {
			fmt.Fprintln(os.Stderr, "readbench:", err)
			os.Exit(1)
		}
		return time.Since(t0)
	}
	serverCPU := func() time.Duration { return processCPU(*pid) }
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	for in.Scan() {
		fields := strings.Split(in.Text(), "\t")
		if len(fields) != 3 {
			continue
		}
		label, cmd, url := fields[0], fields[1], fields[2]
		gitSide := func() error { return run(cmd) }
		apiSide := func() error { return get(url) }
		timed(gitSide)
		timed(apiSide)
		var g, a, gc, ac []time.Duration
		gitRound := func() {
			g = append(g, timed(gitSide))
			gc = append(gc, gitCPU)
		}
		apiRound := func() {
			before := serverCPU()
			a = append(a, timed(apiSide))
			ac = append(ac, serverCPU()-before)
		}
		for i := 0; i < *rounds; i++ {
			if i%2 == 0 {
				gitRound()
				apiRound()
			} else {
				apiRound()
				gitRound()
			}
		}
		fmt.Printf("%s\t%.6f\t%.6f\t%.6f\t%.6f\n", label, median(g).Seconds(), median(gc).Seconds(),
			median(a).Seconds(), median(ac).Seconds())
	}
}

func median(d []time.Duration) time.Duration {
	slices.Sort(d)
	if len(d)%2 == 1 {
		return d[len(d)/2]
	}
	return (d[len(d)/2-1] + d[len(d)/2]) / 2
}

// processCPU is the CPU time the threads of process pid have used so far (the first field
// of each /proc/PID/task/TID/schedstat, in nanoseconds); 0 without a pid.
func processCPU(pid int) time.Duration {
	if pid == 0 {
		return 0
	}
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return 0
	}
	var total time.Duration
	for _, t := range tasks {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/schedstat", pid, t.Name()))
		if err != nil {
			continue
		}
		var ns int64
		if _, err := fmt.Sscan(string(b), &ns); err == nil {
			total += time.Duration(ns)
		}
	}
	return total
}

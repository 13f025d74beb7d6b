// Command startup measures how long `cairn serve` takes from exec to its ready file, and how
// much memory an idle instance holds. It waits for the ready file with inotify (blocking, so
// the waiting does not take CPU from the process being measured on a small machine), falling
// back to polling every 100µs where inotify is unavailable.
//
//	go run ./bench/startup -bin /tmp/cairn -n 21 -rss-runs 3
//
// With -base, a second binary (the same command before a change) starts in turn with it, and
// the two medians are compared.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

func main() {
	bin := flag.String("bin", "", "the cairn binary")
	base := flag.String("base", "", "another cairn binary, started in turn with -bin (the before of a change)")
	n := flag.Int("n", 21, "startups to time")
	rssRuns := flag.Int("rss-runs", 3, "startups after which idle RSS is read")
	idle := flag.Duration("idle", time.Second, "how long after ready RSS is read")
	poll := flag.Bool("poll", false, "poll for the ready file instead of using inotify")
	flag.Parse()
	if *bin == "" {
		fatal(errors.New("-bin is required"))
	}
	dir, err := os.MkdirTemp("", "cairn-startup-")
	if err != nil {
		fatal(err)
	}
	defer os.RemoveAll(dir)

	// With a base, the two binaries start in turn (which goes first alternating), so that both
	// see the same load.
	bins := []string{*bin}
	names := []string{"cairn"}
	if *base != "" {
		bins = append(bins, *base)
		names = append(names, "base")
	}
	times := make([][]time.Duration, len(bins))
	for i := range *n {
		for k := range bins {
			b := (i + k) % len(bins)
			d, p, err := start(bins[b], dir, *poll)
			if err != nil {
				fatal(fmt.Errorf("%s run %d: %w", names[b], i+1, err))
			}
			p.stop()
			times[b] = append(times[b], d)
			fmt.Printf("%-5s run %2d: exec→ready %7.2f ms\n", names[b], i+1, ms(d))
		}
	}
	medians := make([]time.Duration, len(bins))
	for b := range bins {
		t := times[b]
		slices.Sort(t)
		medians[b] = t[len(t)/2]
		fmt.Printf("%-5s exec→ready over %d runs: median %.2f ms, min %.2f ms, max %.2f ms\n",
			names[b], len(t), ms(t[len(t)/2]), ms(t[0]), ms(t[len(t)-1]))
	}
	if len(bins) == 2 {
		fmt.Printf("cairn/base median: %.2fx\n", float64(medians[0])/float64(medians[1]))
	}

	for b := range bins {
		var rss []int
		for i := range *rssRuns {
			_, p, err := start(bins[b], dir, *poll)
			if err != nil {
				fatal(fmt.Errorf("%s rss run %d: %w", names[b], i+1, err))
			}
			time.Sleep(*idle)
			kb, hwm, err := memory(p.cmd.Process.Pid)
			p.stop()
			if err != nil {
				fatal(err)
			}
			rss = append(rss, kb)
			fmt.Printf("%-5s rss run %d: VmRSS %d kB (%.1f MB), VmHWM %d kB, %s after ready\n", names[b], i+1,
				kb, float64(kb)/1024, hwm, *idle)
		}
		if len(rss) > 0 {
			slices.Sort(rss)
			fmt.Printf("%-5s idle RSS %s after ready over %d runs: median %.1f MB (%d kB)\n",
				names[b], *idle, len(rss), float64(rss[len(rss)/2])/1024, rss[len(rss)/2])
		}
	}
}

// proc is a running cairn.
type proc struct {
	cmd    *exec.Cmd
	exited chan error
}

// start execs cairn and returns the time from just before exec to the ready file appearing.
func start(bin, dir string, poll bool) (time.Duration, *proc, error) {
	ready := filepath.Join(dir, "ready.json")
	os.Remove(ready)
	cmd := exec.Command(bin, "serve", "--ephemeral", "--addr", "127.0.0.1:0", "--ready-file", ready)
	var wait func() error
	if !poll {
		fd, err := unix.InotifyInit1(unix.IN_CLOEXEC)
		if err == nil {
			defer unix.Close(fd)
			if _, err = unix.InotifyAddWatch(fd, dir, unix.IN_MOVED_TO|unix.IN_CLOSE_WRITE); err == nil {
				wait = func() error { return waitInotify(fd, "ready.json") }
			}
		}
	}
	if wait == nil {
		wait = func() error {
			for {
				if _, err := os.Stat(ready); err == nil {
					return nil
				}
				time.Sleep(100 * time.Microsecond)
			}
		}
	}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	got := make(chan error, 1)
	go func() { got <- wait() }()
	select {
	case err := <-got:
		d := time.Since(t0)
		if err != nil {
			cmd.Process.Kill()
			return 0, nil, err
		}
		return d, &proc{cmd: cmd, exited: exited}, nil
	case err := <-exited:
		return 0, nil, fmt.Errorf("cairn exited before it was ready: %v", err)
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		return 0, nil, errors.New("cairn was not ready within 30s")
	}
}

// waitInotify blocks until a file named name is moved into or written in the watched directory.
func waitInotify(fd int, name string) error {
	buf := make([]byte, 64*(unix.SizeofInotifyEvent+unix.NAME_MAX+1))
	for {
		n, err := unix.Read(fd, buf)
		if err != nil {
			if err == unix.EINTR {
				continue
			}
			return err
		}
		for off := 0; off+unix.SizeofInotifyEvent <= n; {
			ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
			nameBytes := buf[off+unix.SizeofInotifyEvent : off+unix.SizeofInotifyEvent+int(ev.Len)]
			if strings.TrimRight(string(nameBytes), "\x00") == name {
				return nil
			}
			off += unix.SizeofInotifyEvent + int(ev.Len)
		}
	}
}

// stop ends cairn as an operator would (SIGTERM) and waits for it to clean up.
func (p *proc) stop() {
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(15 * time.Second):
		p.cmd.Process.Kill()
		<-p.exited
	}
}

// memory reads VmRSS and VmHWM (peak RSS) of pid, in kB.
func memory(pid int) (rss, hwm int, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var v int
		if k, rest, ok := strings.Cut(sc.Text(), ":"); ok {
			fmt.Sscanf(strings.TrimSpace(rest), "%d", &v)
			switch k {
			case "VmRSS":
				rss = v
			case "VmHWM":
				hwm = v
			}
		}
	}
	return rss, hwm, sc.Err()
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "startup:", err)
	os.Exit(1)
}

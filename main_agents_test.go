//go:build unix

package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// gitar sends a Gitar API request with a Bearer token and a JSON body, and decodes the
// answer into out.
func gitar(t *testing.T, method, url, token string, body, out any) int {
	t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("%s %s: %v", method, url, err)
		}
	}
	return resp.StatusCode
}

type agentRun struct {
	ID           int64  `json:"id"`
	Agent        string `json:"agent"`
	Status       string `json:"status"`
	StatusReason string `json:"status_reason"`
	Attempts     int    `json:"attempts"`
}

// Killing the server (SIGKILL) while one run is running and others are queued loses none
// of them: at the next start the running external agent's run fails with the reason, and
// the queued ones run.
func TestAgentRunsSurviveAKilledServer(t *testing.T) {
	dir := t.TempDir()
	ready := filepath.Join(dir, "ready.json")
	marker := filepath.Join(dir, "slow-pid")
	args := []string{"--addr", "127.0.0.1:0", "--data-dir", filepath.Join(dir, "data"), "--ready-file", ready,
		"--admin-token", "cairn_pat_killtest0000000000000000", "--agent-workers", "1",
		"--agent", "slow=echo $$ > " + marker + " && sleep 60", "--agent", "quick=echo done"}
	s := startServe(t, nil, args...)
	info := s.waitReady(t, ready)
	tok := info.AdminToken
	if code := call(t, "POST", info.URL+"/api/v4/projects?name=site&initialize_with_readme=true", tok,
		nil); code != 201 {
		t.Fatalf("create project: %d", code)
	}
	var ids []int64
	for _, agent := range []string{"slow", "stats", "secret-scan", "quick"} {
		var r agentRun
		if code := gitar(t, "POST", info.URL+"/v1/external/agents/runs", tok,
			map[string]any{"repository": "root/site", "agent": agent}, &r); code != 201 {
			t.Fatalf("start %s: %d", agent, code)
		}
		ids = append(ids, r.ID)
	}
	var pid int
	for deadline := time.Now().Add(15 * time.Second); ; {
		if data, err := os.ReadFile(marker); err == nil && strings.HasSuffix(string(data), "\n") {
			pid, _ = strconv.Atoi(strings.TrimSpace(string(data)))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the slow agent did not start:\n%s", s.out)
		}
		time.Sleep(10 * time.Millisecond)
	}
	var r agentRun
	gitar(t, "GET", info.URL+"/v1/external/agents/runs/"+strconv.FormatInt(ids[1], 10), tok, nil, &r)
	if r.Status != "queued" {
		t.Fatalf("with one worker busy, stats is %s", r.Status)
	}
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-s.done
	os.Remove(ready)

	s = startServe(t, nil, args...)
	info = s.waitReady(t, ready)
	want := map[string]string{"slow": "failed", "stats": "succeeded", "secret-scan": "succeeded", "quick": "succeeded"}
	for _, id := range ids {
		for deadline := time.Now().Add(30 * time.Second); ; {
			gitar(t, "GET", info.URL+"/v1/external/agents/runs/"+strconv.FormatInt(id, 10), tok, nil, &r)
			if r.Status != "queued" && r.Status != "running" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("run %d (%s) is still %s after the restart", id, r.Agent, r.Status)
			}
			time.Sleep(20 * time.Millisecond)
		}
		if r.Status != want[r.Agent] {
			t.Errorf("run %d (%s) ended %s (%s), want %s", id, r.Agent, r.Status, r.StatusReason, want[r.Agent])
		}
		if r.Agent == "slow" && !strings.Contains(r.StatusReason, "cairn stopped while the external agent ran") ||
			r.Agent == "slow" && !strings.Contains(r.StatusReason, "what was left of its processes was killed") {
			t.Errorf("the interrupted run's reason: %q", r.StatusReason)
		}
	}
	// What the killed server's agent left running was killed at the start.
	for deadline := time.Now().Add(5 * time.Second); !processGone(pid); {
		if time.Now().After(deadline) {
			t.Errorf("the slow agent's shell (%d) outlived the restart", pid)
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if code := s.stop(t); code != 0 {
		t.Errorf("exit code %d", code)
	}
}

// processGone reports whether process pid has ended (a zombie waiting for its reaper counts).
func processGone(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil {
		return true
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	_, rest, _ := strings.Cut(string(stat), ") ")
	return strings.HasPrefix(rest, "Z")
}

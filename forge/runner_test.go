package forge_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cairn-forge/cairn/forge"
	"github.com/cairn-forge/cairn/forge/process"
)

// fakeRunner runs commands as Go functions, so that the deploy and agent runners are tested
// without a shell: run is given each command, and says how it ended.
type fakeRunner struct {
	run func(ctx context.Context, c process.Command) process.End
	mu  sync.Mutex
	ran []process.Command
}

func (r *fakeRunner) Run(ctx context.Context, c process.Command) process.End {
	r.mu.Lock()
	r.ran = append(r.ran, c)
	r.mu.Unlock()
	if c.Started != nil {
		c.Started(4242)
	}
	return r.run(ctx, c)
}

func (r *fakeRunner) KillLeftover(int, string) bool { return false }

// env returns the value of name in a command's environment.
func env(c process.Command, name string) string {
	for _, kv := range slices.Backward(c.Env) {
		if v, ok := strings.CutPrefix(kv, name+"="); ok {
			return v
		}
	}
	return ""
}

// The deploy runner hands its command to the service's Runner, in a checkout of the
// deployment's commit, with the deployment in its environment, and moves the deployment as
// the command ended.
func TestDeployCommandEndsAsTheRunnerSays(t *testing.T) {
	t.Setenv("CAIRN_ADMIN_TOKEN", "secret")
	tests := []struct {
		name       string
		end        process.End
		wantStatus string
		wantLog    string
	}{
		{"succeeded", process.End{}, forge.DeploymentSuccess, "[cairn] the deploy command succeeded"},
		{"could not run", process.End{Err: errors.New("no such file")}, forge.DeploymentFailed,
			"[cairn] the deploy command could not run: no such file"},
		{"timed out", process.End{TimedOut: true}, forge.DeploymentFailed,
			"[cairn] the deploy command ran out of time (1m0s); its processes were killed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var readme []byte
			runner := &fakeRunner{}
			runner.run = func(_ context.Context, c process.Command) process.End {
				runner.mu.Lock()
				readme, _ = os.ReadFile(filepath.Join(c.Dir, "README.md"))
				runner.mu.Unlock()
				io.WriteString(c.Stdout, "deploying to "+env(c, "CAIRN_VAR_REGION")+"\n")
				return tt.end
			}
			h := newDeliveryWith(t, forge.Config{DeployTimeout: time.Minute, DeployCommands: []forge.DeployCommand{{
				Scope: "root/app", Environment: "staging", Command: "./deploy.sh"}}}, forge.Options{Runner: runner})
			d, err := h.forge.Delivery.CreateDeployment(context.Background(), h.root,
				forge.ParseRef(h.proj.FullPath()), forge.DeploymentInput{
					Environment: "staging", Ref: "main", Variables: map[string]string{"REGION": "eu"}})
			if err != nil {
				t.Fatal(err)
			}
			d = waitFinal(t, h, d.ID)
			log := deployLog(t, h, d.ID)
			if d.Status != tt.wantStatus || !strings.Contains(log, "deploying to eu\n") ||
				!strings.Contains(log, tt.wantLog) {
				t.Errorf("deployment %s, log:\n%s", d.Status, log)
			}
			runner.mu.Lock()
			defer runner.mu.Unlock()
			if len(runner.ran) != 1 {
				t.Fatalf("ran %d commands", len(runner.ran))
			}
			c := runner.ran[0]
			if !slices.Equal(c.Args, []string{"sh", "-c", "./deploy.sh"}) || c.Timeout != time.Minute {
				t.Errorf("ran %q with time limit %s", c.Args, c.Timeout)
			}
			if !strings.HasPrefix(string(readme), "# app") {
				t.Errorf("the checkout's README: %q", readme)
			}
			if env(c, "CAIRN_DEPLOY_SHA") != h.head() || env(c, "CAIRN_PROJECT_PATH") != "root/app" ||
				env(c, "CAIRN_ADMIN_TOKEN") != "" {
				t.Errorf("environment %q", c.Env)
			}
			if _, err := os.Stat(c.Dir); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the checkout %s is left behind: %v", c.Dir, err)
			}
		})
	}
}

// The agent runner hands an external agent's command to the service's Runner, with the
// parameters on its standard input and in its environment, reads what it writes as the
// agents' protocol, and ends the run as the command ended.
func TestExternalAgentEndsAsTheRunnerSays(t *testing.T) {
	t.Parallel()
	started := make(chan struct{}, 1)
	runner := &fakeRunner{}
	runner.run = func(ctx context.Context, c process.Command) process.End {
		switch c.Args[2] {
		case "report":
			params, _ := io.ReadAll(c.Stdin)
			readme, _ := os.ReadFile(filepath.Join(c.Dir, "README.md"))
			io.WriteString(c.Stdout, `{"type": "log", "message": "report on `+env(c, "CAIRN_PROJECT_PATH")+`"}`+"\n")
			io.WriteString(c.Stdout, "params "+strings.TrimSpace(string(params))+
				", greeting "+env(c, "CAIRN_PARAM_GREETING")+"\n")
			io.WriteString(c.Stderr, "readme "+strings.TrimSpace(string(readme))+"\n")
			io.WriteString(c.Stdout, `{"type": "finding", "path": "README.md", "line": 1, "severity": "info", `+
				`"rule": "readme", "message": "a README"}`+"\n")
			io.WriteString(c.Stdout, `{"type": "result", "result": {"checked": true}}`+"\n")
			return process.End{}
		case "broken":
			return process.End{Err: errors.New("no such file")}
		}
		started <- struct{}{}
		<-ctx.Done()
		return process.End{Stopped: true, Err: context.Cause(ctx)}
	}
	f := newAgentFixtureWith(t, forge.Config{Agents: []forge.ExternalAgent{
		{Name: "report", Command: "report"},
		{Name: "broken", Command: "broken"},
		{Name: "slow", Command: "slow", Timeout: 100 * time.Millisecond},
		{Name: "endless", Command: "endless"},
	}}, forge.Options{Runner: runner})
	f.project("p", map[string]string{"README.md": "# p\n"})

	r := f.run(forge.AgentRunInput{Repository: "root/p", Agent: "report", Params: []byte(`{"greeting": "hello"}`)})
	log := f.log(r.ID)
	if r.Status != forge.AgentSucceeded || string(r.Result) != `{"checked":true}` ||
		strings.Join(findingKeys(r.Findings), " ") != "README.md:1:info:readme" {
		t.Errorf("report: %s (%s), result %s, findings %v", r.Status, r.Reason, r.Result, findingKeys(r.Findings))
	}
	for _, want := range []string{"report on root/p\n", `params {"greeting":"hello"}, greeting hello`, "readme # p\n"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}

	r = f.run(forge.AgentRunInput{Repository: "root/p", Agent: "broken"})
	if r.Status != forge.AgentFailed || !strings.Contains(r.Reason, "could not run: no such file") {
		t.Errorf("broken: %s (%s)", r.Status, r.Reason)
	}
	r = f.run(forge.AgentRunInput{Repository: "root/p", Agent: "slow"})
	if r.Status != forge.AgentTimedOut || !strings.Contains(r.Reason, "ran out of time (100ms)") {
		t.Errorf("slow: %s (%s)", r.Status, r.Reason)
	}
	<-started

	r, err := f.forge.Agents.CreateAgentRun(context.Background(), f.root,
		forge.AgentRunInput{Repository: "root/p", Agent: "endless"})
	if err != nil {
		t.Fatal(err)
	}
	<-started
	if _, err := f.forge.Agents.CancelAgentRun(context.Background(), f.root, r.ID); err != nil {
		t.Fatal(err)
	}
	if r = f.wait(r.ID); r.Status != forge.AgentCanceled {
		t.Errorf("endless: %s (%s)", r.Status, r.Reason)
	}
	runner.mu.Lock()
	defer runner.mu.Unlock()
	for _, c := range runner.ran {
		if c.Args[0] != "sh" || c.Args[1] != "-c" || env(c, "CAIRN_RUN_KEY") == "" ||
			env(c, "CAIRN_AGENT") != c.Args[2] {
			t.Errorf("ran %q with environment %q", c.Args, c.Env)
		}
	}
}

// A command configured for staging runs once per deployment, in a checkout of the
// deployment's commit, with the deployment's description and variables in its environment,
// and moves it to success; many deployments created at once each run exactly once.
func TestDeployCommandRunsOncePerDeployment(t *testing.T) {
	var runs strings.Builder
	runner := &fakeRunner{}
	runner.run = func(_ context.Context, c process.Command) process.End {
		_, err := os.Stat(filepath.Join(c.Dir, "README.md"))
		if err != nil || env(c, "CAIRN_PROJECT_PATH") != "root/app" || env(c, "CAIRN_PROJECT_ID") == "" {
			return process.End{Err: fmt.Errorf("README %v, environment %q", err, c.Env)}
		}
		runner.mu.Lock()
		fmt.Fprintln(&runs, env(c, "CAIRN_DEPLOYMENT_ID"), env(c, "CAIRN_DEPLOY_SHA"), env(c, "CAIRN_DEPLOY_REF"),
			env(c, "CAIRN_DEPLOY_ENVIRONMENT"), env(c, "CAIRN_VAR_REGION"))
		runner.mu.Unlock()
		fmt.Fprintf(c.Stdout, "deployed to %s with PATH %s\n", env(c, "CAIRN_VAR_REGION"), env(c, "CAIRN_VAR_PATH"))
		return process.End{}
	}
	h := newDeliveryWith(t, forge.Config{DeployWorkers: 3, DeployCommands: []forge.DeployCommand{{
		Scope: "root/app", Environment: "staging", Command: "./deploy.sh",
	}}}, forge.Options{Runner: runner})
	ctx := context.Background()
	const n = 8
	ids := make([]int64, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := h.forge.Delivery.CreateDeployment(ctx, h.root, forge.ParseRef(h.proj.FullPath()),
				forge.DeploymentInput{Environment: "staging", Ref: "main",
					Status:    status("running"),
					Variables: map[string]string{"REGION": "eu-" + strconv.Itoa(i), "PATH": "/nowhere"}})
			if err != nil {
				errs <- err
				return
			}
			if d.Status != forge.DeploymentQueued || !d.Runner {
				errs <- fmt.Errorf("a new runner deployment is %s (runner %v)", d.Status, d.Runner)
			}
			ids[i] = d.ID
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	head := h.head()
	for i, id := range ids {
		d := waitFinal(t, h, id)
		if d.Status != forge.DeploymentSuccess || d.StartedAt == nil || d.FinishedAt == nil || d.QueuedAt == nil {
			t.Errorf("deployment %d: %+v\nlog:\n%s", id, d, deployLog(t, h, id))
		}
		if log := deployLog(t, h, id); !strings.Contains(log,
			fmt.Sprintf("deployed to eu-%d with PATH /nowhere\n", i)) ||
			!strings.Contains(log, "[cairn] the deploy command succeeded") {
			t.Errorf("log of deployment %d:\n%s", id, log)
		}
	}
	runner.mu.Lock()
	lines := strings.Split(strings.TrimSpace(runs.String()), "\n")
	runner.mu.Unlock()
	var seen []string
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) != 5 || f[1] != head || f[2] != "main" || f[3] != "staging" || !strings.HasPrefix(f[4], "eu-") {
			t.Errorf("run line %q", l)
		}
		seen = append(seen, f[0])
	}
	var want []string
	for _, id := range ids {
		want = append(want, strconv.FormatInt(id, 10))
	}
	sort.Strings(seen)
	sort.Strings(want)
	if !equalStrings(seen, want) {
		t.Errorf("runs %v, want each of %v once", seen, want)
	}
	// The statuses of a command's deployments are its own: only canceling is left to clients.
	_, err := h.forge.Delivery.UpdateDeploymentStatus(ctx, h.root, forge.ParseRef(h.proj.FullPath()), ids[0], "failed")
	wantCode(t, err, forge.EInvalid)
	// Other environments have no command: their deployments wait for the API.
	d, err := h.forge.Delivery.CreateDeployment(ctx, h.root, forge.ParseRef(h.proj.FullPath()),
		forge.DeploymentInput{Environment: "production", Ref: "main"})
	if err != nil || d.Status != forge.DeploymentCreated || d.Runner {
		t.Errorf("production deployment: %+v, %v", d, err)
	}
	// Nor have other projects: the command is bound to root/app's staging.
	other, err := h.forge.Projects.CreateProject(ctx, h.root,
		forge.ProjectInput{Name: name("other"), InitializeWithReadme: true}, 0)
	if err != nil {
		t.Fatal(err)
	}
	d, err = h.forge.Delivery.CreateDeployment(ctx, h.root, forge.ParseRef(other.FullPath()),
		forge.DeploymentInput{Environment: "staging", Ref: "main"})
	if err != nil || d.Status != forge.DeploymentCreated || d.Runner {
		t.Errorf("another project's staging deployment: %+v, %v", d, err)
	}
}

// A deployment deleted while the runner claims it is either gone before the claim (its
// command never runs) or running, and then not deleted.
func TestDeletedDeploymentNeverRuns(t *testing.T) {
	runs := map[string]bool{}
	runner := &fakeRunner{}
	runner.run = func(_ context.Context, c process.Command) process.End {
		runner.mu.Lock()
		runs[env(c, "CAIRN_DEPLOYMENT_ID")] = true
		runner.mu.Unlock()
		time.Sleep(50 * time.Millisecond)
		return process.End{}
	}
	h := newDeliveryWith(t, forge.Config{DeployWorkers: 4, DeployCommands: []forge.DeployCommand{
		{Scope: "*", Environment: "staging", Command: "./deploy.sh"},
	}}, forge.Options{Runner: runner})
	ctx := context.Background()
	var deleted []int64
	for range 100 {
		d, err := h.forge.Delivery.CreateDeployment(ctx, h.root, forge.ParseRef(h.proj.FullPath()),
			forge.DeploymentInput{Environment: "staging", Ref: "main"})
		if err != nil {
			t.Fatal(err)
		}
		switch err := h.forge.Delivery.DeleteDeployment(ctx, h.root, forge.ParseRef(h.proj.FullPath()), d.ID); {
		case err == nil:
			deleted = append(deleted, d.ID)
		case forge.ErrorCode(err) != forge.EInvalid && forge.ErrorCode(err) != forge.EConflict:
			// Refused as running (invalid), or as having moved on while the deletion
			// looked (conflict, "try again"): either way it was not deleted.
			t.Fatalf("delete: %v", err)
		}
	}
	h.forge.Close() // waits for the commands running
	runner.mu.Lock()
	defer runner.mu.Unlock()
	for _, id := range deleted {
		if runs[strconv.FormatInt(id, 10)] {
			t.Errorf("deployment %d was deleted, and its command ran", id)
		}
	}
	if len(deleted) == 0 {
		t.Log("every deployment was claimed before its deletion")
	}
}

// waitFinal polls a deployment until it reaches a final status.
func waitFinal(t *testing.T, h *delivery, id int64) forge.Deployment {
	t.Helper()
	return waitFor(t, h, id, "final", func(status string) bool {
		return status == forge.DeploymentSuccess || status == forge.DeploymentFailed ||
			status == forge.DeploymentCanceled
	})
}

// waitStatus polls a deployment until it has status.
func waitStatus(t *testing.T, h *delivery, id int64, status string) {
	t.Helper()
	waitFor(t, h, id, status, func(s string) bool { return s == status })
}

// waitFor polls a deployment until done accepts its status, described as want.
func waitFor(t *testing.T, h *delivery, id int64, want string, done func(status string) bool) forge.Deployment {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		d, err := h.forge.Delivery.GetDeployment(context.Background(), h.root, forge.ParseRef(h.proj.FullPath()), id)
		if err != nil {
			t.Fatal(err)
		}
		if done(d.Status) {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("deployment %d is %s, want %s", id, d.Status, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func deployLog(t *testing.T, h *delivery, id int64) string {
	t.Helper()
	l, err := h.forge.Delivery.GetDeploymentLog(context.Background(), h.root, forge.ParseRef(h.proj.FullPath()), id)
	if err != nil {
		t.Fatal(err)
	}
	return l.Text
}

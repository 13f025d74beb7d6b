package forge_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/cairn-forge/cairn/forge"
)

func status(s string) *string { return &s }

// A deployment to an environment the project lacks creates it, with GitLab's guessed tier;
// its ref resolves to a commit; iids count per project.
func TestCreateDeploymentCreatesItsEnvironment(t *testing.T) {
	h := newDelivery(t, forge.Config{})
	ctx := context.Background()
	head := h.head()
	d, err := h.forge.Delivery.CreateDeployment(ctx, h.root, forge.ParseRef(h.proj.FullPath()),
		forge.DeploymentInput{Environment: "production", Ref: "main"})
	if err != nil {
		t.Fatal(err)
	}
	if d.SHA != head || d.Status != forge.DeploymentCreated || d.IID != 1 || d.Tag ||
		d.Environment.Name != "production" ||
		d.Environment.Tier != forge.TierProduction || d.Environment.ID == 0 || d.EnvironmentID != d.Environment.ID {
		t.Errorf("deployment: %+v", d)
	}
	if d.QueuedAt != nil || d.StartedAt != nil || d.FinishedAt != nil {
		t.Errorf("a created deployment has status times: %+v", d)
	}
	d2, err := h.forge.Delivery.CreateDeployment(ctx, h.root, forge.ParseRef(h.proj.FullPath()),
		forge.DeploymentInput{Environment: "production", Ref: head[:10],
			Status: status("running"), Variables: map[string]string{"REGION": "eu"}})
	if err != nil {
		t.Fatal(err)
	}
	if d2.IID != 2 || d2.EnvironmentID != d.EnvironmentID || d2.StartedAt == nil || d2.Variables["REGION"] != "eu" {
		t.Errorf("second deployment: %+v", d2)
	}
	got, err := h.forge.Delivery.GetDeployment(ctx, h.root, forge.ParseRef(h.proj.FullPath()), d2.ID)
	if err != nil || got.Variables["REGION"] != "eu" || got.Status != "running" || got.User.Username != "root" {
		t.Errorf("read back: %+v, %v", got, err)
	}
	for name, want := range map[string]string{"review/fix-1": "development", "qa": "testing", "preprod": "staging",
		"live": "production", "sandbox": "other"} {
		if got := forge.GuessTier(name); got != want {
			t.Errorf("GuessTier(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestEnvironmentSlugsFollowGitLab(t *testing.T) {
	for name, want := range map[string]string{
		"production": "production",
		"staging":    "staging",
		"Production": "production-",
		"review/fix": "review-fix-",
		"1st":        "env-1st-",
	} {
		got := forge.EnvironmentSlug(name)
		if len(want) > 0 && want[len(want)-1] == '-' {
			// A changed name gets a six-character suffix from its hash.
			if len(got) != len(want)+6 || got[:len(want)] != want {
				t.Errorf("EnvironmentSlug(%q) = %q, want %q and a suffix", name, got, want)
			}
			continue
		}
		if got != want {
			t.Errorf("EnvironmentSlug(%q) = %q, want %q", name, got, want)
		}
	}
	if a, b := forge.EnvironmentSlug("Prod"), forge.EnvironmentSlug("PROD"); a == b {
		t.Errorf("different names share slug %q", a)
	}
}

func TestCreateDeploymentRefusesBadInputAndWritesNothing(t *testing.T) {
	h := newDelivery(t, forge.Config{})
	ctx := context.Background()
	other, err := h.forge.Projects.CreateProject(ctx, h.root,
		forge.ProjectInput{Name: name("other"), InitializeWithReadme: true}, 0)
	if err != nil {
		t.Fatal(err)
	}
	b, err := h.forge.Repositories.GetBranch(ctx, h.root, forge.ParseRef(other.FullPath()), "main")
	if err != nil {
		t.Fatal(err)
	}
	foreign := b.Commit.ID.String()
	yes := true
	tests := []struct {
		name string
		in   forge.DeploymentInput
		msg  string
	}{
		{"unknown branch", forge.DeploymentInput{Environment: "staging", Ref: "feature-x"},
			"Branch 'feature-x' not found"},
		{"unknown tag", forge.DeploymentInput{Environment: "staging", Ref: "v9", Tag: &yes}, "Tag 'v9' not found"},
		{"sha of another repository", forge.DeploymentInput{Environment: "staging", Ref: foreign},
			"Commit '" + foreign + "' not found"},
		{"sha given for another repository",
			forge.DeploymentInput{Environment: "staging", Ref: "main", SHA: &foreign}, "Commit '" + foreign +
				"' not found"},
		{"no environment", forge.DeploymentInput{Ref: "main"}, "environment not given"},
		{"no ref", forge.DeploymentInput{Environment: "staging"}, "ref not given"},
		{"bad environment name", forge.DeploymentInput{Environment: "/etc", Ref: "main"}, ""},
		{"unknown status", forge.DeploymentInput{Environment: "staging", Ref: "main", Status: status("done")},
			"status does not have a valid value"},
		{"bad variable name",
			forge.DeploymentInput{Environment: "staging", Ref: "main", Variables: map[string]string{"1X": "y"}}, ""},
		{"variable name with a dash",
			forge.DeploymentInput{Environment: "staging", Ref: "main", Variables: map[string]string{"A-B": "y"}}, ""},
		{"variable value with a NUL",
			forge.DeploymentInput{Environment: "staging", Ref: "main",
				Variables: map[string]string{"A": "x\x00y"}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.forge.Delivery.CreateDeployment(ctx, h.root, forge.ParseRef(h.proj.FullPath()), tt.in)
			wantCode(t, err, forge.EInvalid)
			if tt.msg != "" && forge.ErrorOf(err).Message != tt.msg {
				t.Errorf("message %q, want %q", forge.ErrorOf(err).Message, tt.msg)
			}
		})
	}
	if e := forge.ErrorOf(func() error {
		_, err := h.forge.Delivery.CreateDeployment(ctx, h.root, forge.ParseRef(h.proj.FullPath()),
			forge.DeploymentInput{Environment: "staging", Ref: "feature-x"})
		return err
	}()); e.Reason != forge.ReasonInvalidRef {
		t.Errorf("an unknown ref's reason is %q, want %q", e.Reason, forge.ReasonInvalidRef)
	}
	envs, total, err := h.forge.Delivery.ListEnvironments(ctx, h.root, forge.ParseRef(h.proj.FullPath()),
		forge.EnvironmentListOptions{}, forge.Page{Page: 1, PerPage: 20})
	if err != nil || total != 0 || len(envs) != 0 {
		t.Errorf("environments after refused deployments: %+v, %v", envs, err)
	}
	_, total, err = h.forge.Delivery.ListDeployments(ctx, h.root, forge.ParseRef(h.proj.FullPath()),
		forge.DeploymentListOptions{}, forge.Page{Page: 1, PerPage: 20})
	if err != nil || total != 0 {
		t.Errorf("deployments after refusals: %d, %v", total, err)
	}
}

// Statuses move forward only; final ones are final; each move has its time.
func TestDeploymentStatusMachine(t *testing.T) {
	tests := []struct {
		path []string // statuses to move through after creation
		ok   []bool
	}{
		{[]string{"queued", "running", "success"}, []bool{true, true, true}},
		{[]string{"running", "failed"}, []bool{true, true}},
		{[]string{"canceled", "running"}, []bool{true, false}},
		{[]string{"success", "failed"}, []bool{true, false}},
		{[]string{"running", "queued"}, []bool{true, false}},
		{[]string{"created"}, []bool{false}},
		{[]string{"running", "running"}, []bool{true, false}},
		{[]string{"blocked"}, []bool{false}},
	}
	h := newDelivery(t, forge.Config{})
	ctx := context.Background()
	for _, tt := range tests {
		d, err := h.forge.Delivery.CreateDeployment(ctx, h.root, forge.ParseRef(h.proj.FullPath()),
			forge.DeploymentInput{Environment: "staging", Ref: "main"})
		if err != nil {
			t.Fatal(err)
		}
		for i, st := range tt.path {
			h.clock.advance(time.Minute)
			got, err := h.forge.Delivery.UpdateDeploymentStatus(ctx, h.root,
				forge.ParseRef(h.proj.FullPath()), d.ID, st)
			if tt.ok[i] != (err == nil) {
				t.Fatalf("%v: move %d to %s: err %v, want ok %v", tt.path, i, st, err, tt.ok[i])
			}
			if err != nil {
				wantCode(t, err, forge.EInvalid)
				continue
			}
			var at *time.Time
			switch st {
			case "queued":
				at = got.QueuedAt
			case "running":
				at = got.StartedAt
			default:
				at = got.FinishedAt
			}
			if got.Status != st || at == nil || !at.Equal(h.clock.now()) || !got.UpdatedAt.Equal(h.clock.now()) {
				t.Errorf("%v: after moving to %s: %+v", tt.path, st, got)
			}
		}
	}
}

// A successful deployment records the commits since the environment's previous successful
// one; failed deployments and other environments do not count.
func TestSuccessfulDeploymentsRecordShippedCommits(t *testing.T) {
	h := newDelivery(t, forge.Config{})
	ctx := context.Background()
	p := forge.ParseRef(h.proj.FullPath())
	deploy, shipped := h.deploy, h.shipped
	first := h.head()
	d1 := deploy("production", "main", "success")
	if got := shipped(d1); !equalStrings(got, []string{first}) {
		t.Errorf("first deployment shipped %v, want %v", got, []string{first})
	}
	a := h.commit("a")
	deploy("production", "main", "failed")
	deploy("staging", "main", "success")
	b := h.commit("b")
	d4 := deploy("production", "main", "running")
	if got := shipped(d4); len(got) != 0 {
		t.Errorf("a running deployment shipped %v", got)
	}
	if _, err := h.forge.Delivery.UpdateDeploymentStatus(ctx, h.root, p, d4.ID, "success"); err != nil {
		t.Fatal(err)
	}
	if got, want := shipped(d4), []string{b, a}; !equalStrings(got, want) {
		t.Errorf("production shipped %v, want %v", got, want)
	}
	list, err := h.forge.Delivery.DeploymentShippedCommits(ctx, h.root, p, d4.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !list[0].CommittedAt.Equal(t0.Add(2*time.Hour)) || !list[1].AuthoredAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("shipped commit times: %+v", list)
	}
	// Redeploying what is deployed ships nothing.
	if got := shipped(deploy("production", "main", "success")); len(got) != 0 {
		t.Errorf("a redeployment shipped %v", got)
	}
}

func TestListDeploymentsFiltersAndOrders(t *testing.T) {
	h := newDelivery(t, forge.Config{})
	ctx := context.Background()
	p := forge.ParseRef(h.proj.FullPath())
	var ids []int64
	for i, env := range []string{"staging", "production", "staging", "production"} {
		h.clock.advance(time.Minute)
		st := "success"
		if i == 2 {
			st = "failed"
		}
		d, err := h.forge.Delivery.CreateDeployment(ctx, h.root, p,
			forge.DeploymentInput{Environment: env, Ref: "main", Status: &st})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, d.ID)
	}
	after := t0.Add(150 * time.Second)
	tests := []struct {
		name string
		o    forge.DeploymentListOptions
		want []int64
	}{
		{"all, by id", forge.DeploymentListOptions{}, ids},
		{"desc", forge.DeploymentListOptions{Desc: true}, []int64{ids[3], ids[2], ids[1], ids[0]}},
		{"one environment", forge.DeploymentListOptions{Environment: "staging"}, []int64{ids[0], ids[2]}},
		{"unknown environment", forge.DeploymentListOptions{Environment: "nope"}, []int64{}},
		{"status", forge.DeploymentListOptions{Status: "success"}, []int64{ids[0], ids[1], ids[3]}},
		{"updated after", forge.DeploymentListOptions{UpdatedAfter: &after}, []int64{ids[2], ids[3]}},
		{"finished_at desc",
			forge.DeploymentListOptions{OrderBy: "finished_at", Desc: true, Status: "success"},
			[]int64{ids[3], ids[1], ids[0]}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list, total, err := h.forge.Delivery.ListDeployments(ctx, h.root, p, tt.o, forge.Page{Page: 1, PerPage: 20})
			if err != nil {
				t.Fatal(err)
			}
			got := []int64{}
			for _, d := range list {
				got = append(got, d.ID)
			}
			if total != len(tt.want) || len(got) != len(tt.want) {
				t.Fatalf("got %v (total %d), want %v", got, total, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
			}
		})
	}
	_, _, err := h.forge.Delivery.ListDeployments(ctx, h.root, p,
		forge.DeploymentListOptions{OrderBy: "name"}, forge.Page{Page: 1, PerPage: 20})
	wantCode(t, err, forge.EInvalid)
}

func TestEnvironmentLifecycle(t *testing.T) {
	h := newDelivery(t, forge.Config{})
	ctx := context.Background()
	p := forge.ParseRef(h.proj.FullPath())
	url := "https://staging.example.com"
	e, err := h.forge.Delivery.CreateEnvironment(ctx, h.root, p,
		forge.EnvironmentInput{Name: name("staging"), ExternalURL: &url})
	if err != nil {
		t.Fatal(err)
	}
	if e.Tier != "staging" || e.State != "available" || e.ExternalURL != url || e.Slug != "staging" {
		t.Errorf("environment: %+v", e)
	}
	_, err = h.forge.Delivery.CreateEnvironment(ctx, h.root, p, forge.EnvironmentInput{Name: name("staging")})
	wantCode(t, err, forge.EConflict)
	for _, in := range []forge.EnvironmentInput{
		{Name: name("")}, {Name: name("a\\b")}, {Name: name("x"), Tier: name("prod")},
		{Name: name("x"), ExternalURL: name("ftp://x.example.com")}, {Name: name("x"), ExternalURL: name("not a url")},
	} {
		_, err := h.forge.Delivery.CreateEnvironment(ctx, h.root, p, in)
		wantCode(t, err, forge.EInvalid)
	}
	tier := "production"
	if e, err = h.forge.Delivery.UpdateEnvironment(ctx, h.root, p, e.ID,
		forge.EnvironmentInput{Tier: &tier}); err != nil || e.Tier != tier {
		t.Fatalf("update: %+v, %v", e, err)
	}
	_, err = h.forge.Delivery.UpdateEnvironment(ctx, h.root, p, e.ID, forge.EnvironmentInput{Name: name("renamed")})
	wantCode(t, err, forge.EInvalid)
	// An available environment is not deleted; a stopped one is, with its deployments.
	wantCode(t, h.forge.Delivery.DeleteEnvironment(ctx, h.root, p, e.ID), forge.EForbidden)
	d, err := h.forge.Delivery.CreateDeployment(ctx, h.root, p,
		forge.DeploymentInput{Environment: "staging", Ref: "main", Status: status("success")})
	if err != nil {
		t.Fatal(err)
	}
	if e, err = h.forge.Delivery.StopEnvironment(ctx, h.root, p, e.ID); err != nil || e.State != "stopped" {
		t.Fatalf("stop: %+v, %v", e, err)
	}
	last, ok, err := h.forge.Delivery.LastDeployment(ctx, h.root, p, e.ID)
	if err != nil || !ok || last.ID != d.ID {
		t.Errorf("last deployment: %+v, %v, %v", last, ok, err)
	}
	if err := h.forge.Delivery.DeleteEnvironment(ctx, h.root, p, e.ID); err != nil {
		t.Fatal(err)
	}
	if err := h.forge.Delivery.DeleteEnvironment(ctx, h.root, p, e.ID); err != nil {
		t.Errorf("deleting a deleted environment: %v", err)
	}
	_, err = h.forge.Delivery.GetDeployment(ctx, h.root, p, d.ID)
	wantCode(t, err, forge.ENotFound)
}

// A deployment to a stopped environment makes it available again.
func TestDeploymentMakesStoppedEnvironmentAvailable(t *testing.T) {
	h := newDelivery(t, forge.Config{})
	ctx := context.Background()
	p := forge.ParseRef(h.proj.FullPath())
	e, err := h.forge.Delivery.CreateEnvironment(ctx, h.root, p, forge.EnvironmentInput{Name: name("review/x")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.forge.Delivery.StopEnvironment(ctx, h.root, p, e.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := h.forge.Delivery.CreateDeployment(ctx, h.root, p,
		forge.DeploymentInput{Environment: "review/x", Ref: "main"}); err != nil {
		t.Fatal(err)
	}
	if e, err = h.forge.Delivery.GetEnvironment(ctx, h.root, p, e.ID); err != nil || e.State != "available" {
		t.Errorf("environment after a deployment: %+v, %v", e, err)
	}
}

// Successful deployments racing to create their environment ship each commit once: the
// first ships the history, the others nothing more.
func TestConcurrentSuccessfulDeploymentsToANewEnvironmentShipOnce(t *testing.T) {
	h := newDelivery(t, forge.Config{})
	ctx := context.Background()
	p := forge.ParseRef(h.proj.FullPath())
	const n = 8
	ids := make(chan int64, n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := h.forge.Delivery.CreateDeployment(ctx, h.root, p,
				forge.DeploymentInput{Environment: "review/x", Ref: "main", Status: status("success")})
			if err != nil {
				t.Error(err)
				return
			}
			ids <- d.ID
		}()
	}
	wg.Wait()
	close(ids)
	total := 0
	for id := range ids {
		list, err := h.forge.Delivery.DeploymentShippedCommits(ctx, h.root, p, id)
		if err != nil {
			t.Fatal(err)
		}
		total += len(list)
	}
	if total != 1 {
		t.Errorf("%d deployments shipped %d commits in all, want the one commit once", n, total)
	}
	envs, _, err := h.forge.Delivery.ListEnvironments(ctx, h.root, p, forge.EnvironmentListOptions{},
		forge.Page{Page: 1, PerPage: 20})
	if err != nil || len(envs) != 1 {
		t.Errorf("environments %+v, %v; want one", envs, err)
	}
}

// Deleting a successful deployment hands what it shipped to the next success of its
// environment, so that each commit stays shipped once.
func TestDeleteDeploymentHandsItsCommitsOn(t *testing.T) {
	h := newDelivery(t, forge.Config{})
	ctx := context.Background()
	p := forge.ParseRef(h.proj.FullPath())
	deploy := func() forge.Deployment { return h.deploy("production", "main", "success") }
	shipped := h.shipped
	first := h.head()
	d1 := deploy()
	a := h.commit("a")
	d2 := deploy()
	b := h.commit("b")
	d3 := deploy()
	if err := h.forge.Delivery.DeleteDeployment(ctx, h.root, p, d2.ID); err != nil {
		t.Fatal(err)
	}
	if got, want := shipped(d3), []string{b, a}; !equalStrings(got, want) {
		t.Errorf("after deleting the middle deployment the last shipped %v, want %v", got, want)
	}
	if err := h.forge.Delivery.DeleteDeployment(ctx, h.root, p, d1.ID); err != nil {
		t.Fatal(err)
	}
	if got, want := shipped(d3), []string{b, a, first}; !equalStrings(got, want) {
		t.Errorf("after deleting the first deployment the last shipped %v, want %v", got, want)
	}
	err := h.forge.Delivery.DeleteDeployment(ctx, h.root, p, d3.ID)
	wantCode(t, err, forge.EInvalid)
}

// deploy creates a deployment of ref to env with status st.
func (h *delivery) deploy(env, ref, st string) forge.Deployment {
	h.t.Helper()
	d, err := h.forge.Delivery.CreateDeployment(context.Background(), h.root, forge.ParseRef(h.proj.FullPath()),
		forge.DeploymentInput{Environment: env, Ref: ref, Status: status(st)})
	if err != nil {
		h.t.Fatal(err)
	}
	return d
}

// shipped lists the shas deployment d shipped, newest first.
func (h *delivery) shipped(d forge.Deployment) []string {
	h.t.Helper()
	list, err := h.forge.Delivery.DeploymentShippedCommits(context.Background(), h.root,
		forge.ParseRef(h.proj.FullPath()), d.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	return shas(list)
}

package forge_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/cairn-forge/cairn/db"
	"github.com/cairn-forge/cairn/forge"
	"github.com/cairn-forge/cairn/gitstore"
	"golang.org/x/crypto/bcrypt"
)

// Planted secrets of the fixtures: made up, shaped like the real thing.
const (
	plantedAWSKey     = "AKIAQ3EGRTWPZ5LX7NMB"
	plantedPrivateKey = "-----BEGIN RSA PRIVATE KEY-----\n" +
		"MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n" +
		"VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\n" +
		"-----END RSA PRIVATE KEY-----\n"
)

// agentFixture is a forge whose administrator root owns the projects the tests make.
type agentFixture struct {
	t     *testing.T
	db    *db.DB
	repos *gitstore.Store
	cfg   forge.Config
	forge *forge.Service
	root  *forge.Actor
}

func newAgentFixture(t *testing.T, cfg forge.Config) *agentFixture {
	t.Helper()
	return newAgentFixtureWith(t, cfg, forge.Options{})
}

// newAgentFixtureWith is newAgentFixture with collaborators of its own.
func newAgentFixtureWith(t *testing.T, cfg forge.Config, opts forge.Options) *agentFixture {
	t.Helper()
	ctx := context.Background()
	d, store, _ := openData(t)
	cfg.PasswordCost = bcrypt.MinCost
	f := &agentFixture{t: t, db: d, repos: store, cfg: cfg}
	f.forge = forge.New(d, store, cfg, opts)
	t.Cleanup(func() { f.forge.Close() })
	if _, err := f.forge.Accounts.EnsureRoot(ctx, "root-token"); err != nil {
		t.Fatal(err)
	}
	var err error
	if f.root, err = f.forge.Access.Authenticate(ctx, "root-token", "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	return f
}

// project makes root/name with files.
func (f *agentFixture) project(name string, files map[string]string) {
	f.t.Helper()
	var fs []gitstore.File
	for p, c := range files {
		fs = append(fs, gitstore.File{Path: p, Content: []byte(c)})
	}
	if _, err := f.forge.Projects.CreateProject(context.Background(), f.root,
		forge.ProjectInput{Name: &name, Files: fs}, 0); err != nil {
		f.t.Fatal(err)
	}
}

// commit writes files on branch (started from start when new) as author.
func (f *agentFixture) commit(project, branch, start, author, message string, files map[string]string) string {
	f.t.Helper()
	var acts []forge.CommitAction
	for p, c := range files {
		c := c
		acts = append(acts, forge.CommitAction{Action: "create", FilePath: p, Content: &c})
	}
	c, err := f.forge.Repositories.CreateCommit(context.Background(), f.root, forge.ParseRef("root/"+project),
		forge.CommitInput{Branch: branch,
			StartBranch: start, Message: message, Actions: acts, AuthorName: author,
			AuthorEmail: strings.ToLower(author) + "@example.com"})
	if err != nil {
		f.t.Fatal(err)
	}
	return c.ID.String()
}

// run asks for a run and waits until it is final.
func (f *agentFixture) run(in forge.AgentRunInput) forge.AgentRun {
	f.t.Helper()
	r, err := f.forge.Agents.CreateAgentRun(context.Background(), f.root, in)
	if err != nil {
		f.t.Fatal(err)
	}
	return f.wait(r.ID)
}

// wait polls run id until it is final.
func (f *agentFixture) wait(id int64) forge.AgentRun {
	f.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r, err := f.forge.Agents.GetAgentRun(context.Background(), f.root, id)
		if err != nil {
			f.t.Fatal(err)
		}
		if r.Status != forge.AgentQueued && r.Status != forge.AgentRunning {
			return r
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("run %d is still %s", id, r.Status)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitStatus polls run id until it has status.
func (f *agentFixture) waitStatus(id int64, status string) {
	f.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r, err := f.forge.Agents.GetAgentRun(context.Background(), f.root, id)
		if err != nil {
			f.t.Fatal(err)
		}
		if r.Status == status {
			return
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("run %d is %s, want %s", id, r.Status, status)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (f *agentFixture) log(id int64) string {
	f.t.Helper()
	l, err := f.forge.Agents.GetAgentRunLog(context.Background(), f.root, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return l.Log
}

func findingKeys(fs []forge.AgentFinding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Path+":"+itoa(f.Line)+":"+f.Severity+":"+f.Rule)
	}
	return out
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestSecretScanFindsPlantedKeysAndNothingInACleanRepository(t *testing.T) {
	f := newAgentFixture(t, forge.Config{})
	f.project("leaky", map[string]string{
		"README.md":        "# leaky\n\nA project with secrets in it.\n",
		"config/app.env":   "REGION=eu-west-1\nAWS_ACCESS_KEY_ID=" + plantedAWSKey + "\n",
		"keys/deploy_key":  "# the deploy key\n" + plantedPrivateKey,
		"main.go":          "package main\n\nfunc main() { println(\"token bucket\") }\n",
		"docs/example.env": "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n",
	})
	f.project("clean", map[string]string{
		"README.md": "# clean\n",
		"main.go":   "package main\n\n// key rotation happens elsewhere\nfunc main() {}\n",
	})
	r := f.run(forge.AgentRunInput{Repository: "root/leaky", Agent: "secret-scan"})
	if r.Status != forge.AgentSucceeded {
		t.Fatalf("run: %s (%s)\n%s", r.Status, r.Reason, f.log(r.ID))
	}
	want := []string{"config/app.env:2:critical:aws-access-token", "keys/deploy_key:2:critical:private-key"}
	if got := findingKeys(r.Findings); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("findings = %v, want %v", got, want)
	}
	for _, fd := range r.Findings {
		if strings.Contains(fd.Message, plantedAWSKey) || strings.Contains(fd.Message, "MIIEowIBAAKCAQEAu1SU1L") {
			t.Errorf("finding echoes the secret: %s", fd.Message)
		}
	}
	var res struct {
		FilesScanned int `json:"files_scanned"`
		Findings     int `json:"findings"`
	}
	if err := json.Unmarshal(r.Result, &res); err != nil || res.FilesScanned != 5 || res.Findings != 2 {
		t.Errorf("result = %s", r.Result)
	}

	clean := f.run(forge.AgentRunInput{Repository: "root/clean", Agent: "secret-scan"})
	if clean.Status != forge.AgentSucceeded || len(clean.Findings) != 0 || clean.FindingCount != 0 {
		t.Errorf("clean repository: %s with %v", clean.Status, clean.Findings)
	}

	// A range scans what changed in it only.
	before := f.commit("clean", "main", "", "Alice", "add a token", map[string]string{
		"ci.sh": "curl -H 'PRIVATE-TOKEN: cairn_pat_k7q2m4x9v3b8n5c6z1a0s2d4f6g8h1j3' http://ci\n"})
	_ = before
	ranged := f.run(forge.AgentRunInput{Repository: "root/clean", Agent: "secret-scan",
		Params: json.RawMessage(`{"since": "main~1"}`)})
	if got := findingKeys(ranged.Findings); strings.Join(got, " ") != "ci.sh:1:critical:cairn-personal-access-token" {
		t.Errorf("range findings = %v", got)
	}
}

func TestStatsEqualHandCounts(t *testing.T) {
	f := newAgentFixture(t, forge.Config{})
	f.project("counted", map[string]string{
		"main.go":   "package main\n\nfunc main() {}\n",            // 3 lines, 29 bytes, Go
		"README.md": "# counted\n",                                 // 1 line, documentation
		"tool.py":   "print('a')\nprint('b')",                      // 2 lines (no final newline), 21 bytes, Python
		"logo.bin":  "\x00\x01\x02\x03",                            // binary: no lines
		"lib/a.go":  "package lib\n\nconst A = 1\n\nconst B = 2\n", // 5 lines, 38 bytes, Go
	})
	f.commit("counted", "main", "", "Alice", "add x", map[string]string{"x.sh": "echo x\n"}) // 1 line, Shell
	f.commit("counted", "main", "", "Bob", "add y", map[string]string{"y.txt": "y\n"})       // 1 line
	f.commit("counted", "main", "", "Alice", "add z", map[string]string{"z.txt": "z\n"})     // 1 line
	r := f.run(forge.AgentRunInput{Repository: "root/counted", Agent: "stats"})
	if r.Status != forge.AgentSucceeded {
		t.Fatalf("run: %s (%s)", r.Status, r.Reason)
	}
	var res struct {
		Files, TextFiles, Lines, Commits int
		Languages                        []struct {
			Name  string
			Bytes int64
		}
		Contributors []struct {
			Name    string
			Commits int
		}
		Activity []struct{ Commits int } `json:"commit_activity"`
	}
	if err := json.Unmarshal(r.Result, &res); err != nil {
		t.Fatal(err)
	}
	var textFiles int
	_ = json.Unmarshal(mustField(t, r.Result, "text_files"), &textFiles)
	if res.Files != 8 || textFiles != 7 || res.Lines != 3+1+2+5+1+1+1 || res.Commits != 4 {
		t.Errorf("files %d, text files %d, lines %d, commits %d; want 8, 7, 14, 4", res.Files, textFiles,
			res.Lines, res.Commits)
	}
	langs := map[string]int64{}
	for _, l := range res.Languages {
		langs[l.Name] = l.Bytes
	}
	if len(langs) != 3 || langs["Go"] != 29+38 || langs["Python"] != 21 || langs["Shell"] != 7 {
		t.Errorf("languages = %+v", res.Languages)
	}
	authors := map[string]int{}
	for _, c := range res.Contributors {
		authors[c.Name] = c.Commits
	}
	if len(authors) != 3 || authors["Alice"] != 2 || authors["Bob"] != 1 || res.Contributors[0].Name != "Alice" {
		t.Errorf("contributors = %+v", res.Contributors)
	}
	sum := 0
	for _, m := range res.Activity {
		sum += m.Commits
	}
	if sum != 4 {
		t.Errorf("activity = %+v", res.Activity)
	}
	// The languages agree with the languages API.
	shares, err := f.forge.Repositories.Languages(context.Background(), f.root, forge.ParseRef("root/counted"))
	if err != nil || len(shares) != 3 || shares[0].Name != "Go" {
		t.Errorf("languages API = %+v, %v", shares, err)
	}
}

func mustField(t *testing.T, raw json.RawMessage, name string) json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m[name]
}

func TestReleaseNotesListCommitsUnderTheirHeadings(t *testing.T) {
	f := newAgentFixture(t, forge.Config{})
	ctx := context.Background()
	f.project("app", map[string]string{"README.md": "# app\n"})
	if _, err := f.forge.Repositories.CreateTag(ctx, f.root, forge.ParseRef("root/app"), "v1.0.0", "main",
		""); err != nil {
		t.Fatal(err)
	}
	f.commit("app", "main", "", "Alice", "feat(api): add agent runs", map[string]string{"a": "a\n"})
	f.commit("app", "main", "", "Alice", "fix: crash on an empty repository", map[string]string{"b": "b\n"})
	f.commit("app", "main", "", "Bob", "docs: explain agents", map[string]string{"c": "c\n"})
	f.commit("app", "main", "", "Bob", "feat!: drop the v3 API\n\nClients move to v4.", map[string]string{"d": "d\n"})
	f.commit("app", "main", "", "Bob", "tidy up", map[string]string{"e": "e\n"})
	f.commit("app", "topic", "main", "Carol", "fix(ui): align the button", map[string]string{"f": "f\n"})
	if _, err := f.forge.Issuables.CreateMergeRequest(ctx, f.root, forge.ParseRef("root/app"), forge.MergeRequestInput{
		SourceBranch: ptr("topic"), TargetBranch: ptr("main"), Title: ptr("Align the button")}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.forge.Issuables.MergeMergeRequest(ctx, f.root, forge.ParseRef("root/app"),
		forge.MergeRequestRef{N: 1}, forge.MergeOptions{}); err != nil {
		t.Fatal(err)
	}
	r := f.run(forge.AgentRunInput{Repository: "root/app", Agent: "release-notes",
		Params: json.RawMessage(`{"create_release": true, "tag_name": "v1.1.0"}`)})
	if r.Status != forge.AgentSucceeded {
		t.Fatalf("run: %s (%s)\n%s", r.Status, r.Reason, f.log(r.ID))
	}
	var res struct {
		From     string
		Commits  int
		Notes    string
		Sections []struct {
			Title   string
			Entries []struct {
				Scope, Description string
				MergeRequest       int64 `json:"merge_request"`
			}
		}
		Release *struct {
			TagName string `json:"tag_name"`
		}
	}
	if err := json.Unmarshal(r.Result, &res); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range res.Sections {
		for _, e := range s.Entries {
			line := s.Title + ": " + e.Description
			if e.Scope != "" {
				line += " [" + e.Scope + "]"
			}
			if e.MergeRequest != 0 {
				line += " !" + itoa(int(e.MergeRequest))
			}
			got = append(got, line)
		}
	}
	want := []string{
		"Breaking changes: drop the v3 API",
		"Features: add agent runs [api]",
		"Features: drop the v3 API",
		"Bug fixes: crash on an empty repository",
		"Bug fixes: align the button [ui] !1",
		"Documentation: explain agents",
		"Other changes: tidy up",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("entries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if res.From != "v1.0.0" || res.Commits != 6 || !strings.Contains(res.Notes, "## Changes from v1.0.0 to main") ||
		!strings.Contains(res.Notes, "- **ui:** align the button (!1)") {
		t.Errorf("from %q, %d commits, notes:\n%s", res.From, res.Commits, res.Notes)
	}
	rel, err := f.forge.Delivery.GetRelease(ctx, f.root, forge.ParseRef("root/app"), "v1.1.0")
	if err != nil || res.Release == nil || rel.Description != res.Notes {
		t.Errorf("release: %+v, %v", rel, err)
	}
	// The release just made is at the ref: notes drafted again start before it, and are
	// the same.
	again := f.run(forge.AgentRunInput{Repository: "root/app", Agent: "release-notes"})
	if string(again.Result) != strings.Replace(string(r.Result),
		`,"release":{"tag_name":"v1.1.0","name":"v1.1.0"}`, "", 1) {
		t.Errorf("second notes:\n%s\nfirst:\n%s", again.Result, r.Result)
	}
}

func TestReviewPostsEachFindingOnceAsAMergeRequestNote(t *testing.T) {
	f := newAgentFixture(t, forge.Config{})
	ctx := context.Background()
	f.project("web", map[string]string{"README.md": "# web\n", "app.js": "export const a = 1;\n"})
	f.commit("web", "change", "main", "Alice", "a change with problems", map[string]string{
		"config.env": "AWS_ACCESS_KEY_ID=" + plantedAWSKey + "\n",
		"merge.txt":  "one\n<<<<<<< HEAD\ntwo\n=======\nthree\n>>>>>>> topic\n",
		"debug.js":   "function f() {\n  console.log('here');\n  return 1; \n}",
		"big.dat":    strings.Repeat("x", 300) + "\n",
	})
	if _, err := f.forge.Issuables.CreateMergeRequest(ctx, f.root, forge.ParseRef("root/web"), forge.MergeRequestInput{
		SourceBranch: ptr("change"), TargetBranch: ptr("main"), Title: ptr("A change")}); err != nil {
		t.Fatal(err)
	}
	in := forge.AgentRunInput{Repository: "root/web", Agent: "review", MergeRequestIID: 1,
		Params: json.RawMessage(`{"max_file_size": 200}`)}
	r := f.run(in)
	if r.Status != forge.AgentSucceeded {
		t.Fatalf("run: %s (%s)\n%s", r.Status, r.Reason, f.log(r.ID))
	}
	want := []string{
		"big.dat:0:warning:large-file",
		"config.env:1:critical:aws-access-token",
		"debug.js:2:warning:debug-leftover",
		"debug.js:3:info:trailing-whitespace",
		"debug.js:4:info:missing-final-newline",
		"merge.txt:2:error:conflict-marker",
		"merge.txt:4:error:conflict-marker",
		"merge.txt:6:error:conflict-marker",
	}
	got := findingKeys(r.Findings)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	notes := func() []forge.Note {
		target, err := f.forge.Issuables.MergeRequestNoteTarget(ctx, f.root, forge.ParseRef("root/web"),
			forge.MergeRequestRef{N: 1})
		if err != nil {
			t.Fatal(err)
		}
		ns, _, err := f.forge.Issuables.ListNotes(ctx, f.root, target, forge.NoteListOptions{},
			forge.Page{Page: 1, PerPage: 100})
		if err != nil {
			t.Fatal(err)
		}
		var out []forge.Note
		for _, n := range ns {
			if strings.HasPrefix(n.Body, "**cairn review**") {
				out = append(out, n)
			}
		}
		return out
	}
	first := notes()
	if len(first) != len(want) {
		t.Fatalf("%d review notes, want %d", len(first), len(want))
	}
	for _, n := range first {
		if strings.Contains(n.Body, plantedAWSKey) {
			t.Errorf("a note echoes the secret: %s", n.Body)
		}
		if n.Author.Username != "root" {
			t.Errorf("note by %s, want the requester", n.Author.Username)
		}
	}
	again := f.run(in)
	if again.Status != forge.AgentSucceeded || len(again.Findings) != len(want) {
		t.Fatalf("second run: %s with %d findings", again.Status, len(again.Findings))
	}
	if n := len(notes()); n != len(want) {
		t.Errorf("after a second review: %d notes, want still %d", n, len(want))
	}
	if !strings.Contains(string(again.Result), `"notes_posted":0`) {
		t.Errorf("second result: %s", again.Result)
	}
}

func TestAgentRunRequestsAreChecked(t *testing.T) {
	f := newAgentFixture(t, forge.Config{})
	ctx := context.Background()
	f.project("site", map[string]string{"README.md": "# site\n"})
	tests := []struct {
		name string
		in   forge.AgentRunInput
		code forge.Code
		msg  string
	}{
		{"unknown agent", forge.AgentRunInput{Repository: "root/site", Agent: "nope"}, forge.ENotFound,
			"No agent named"},
		{"no agent", forge.AgentRunInput{Repository: "root/site"}, forge.EInvalid, "agent"},
		{"unknown repository", forge.AgentRunInput{Repository: "root/nope", Agent: "stats"}, forge.ENotFound, ""},
		{"no repository", forge.AgentRunInput{Agent: "stats"}, forge.EInvalid, "repository"},
		{"review without a merge request", forge.AgentRunInput{Repository: "root/site", Agent: "review"},
			forge.EInvalid, "merge_request"},
		{"ref and merge request",
			forge.AgentRunInput{Repository: "root/site", Agent: "stats", Ref: "main", MergeRequestIID: 1},
			forge.EInvalid, "not both"},
		{"unknown ref", forge.AgentRunInput{Repository: "root/site", Agent: "stats", Ref: "nope"},
			forge.EInvalid, "names no branch"},
		{"unknown merge request",
			forge.AgentRunInput{Repository: "root/site", Agent: "review", MergeRequestIID: 9}, forge.ENotFound, ""},
		{"unknown parameter",
			forge.AgentRunInput{Repository: "root/site", Agent: "stats", Params: json.RawMessage(`{"x": 1}`)},
			forge.EInvalid, "params.x"},
		{"wrong type",
			forge.AgentRunInput{Repository: "root/site", Agent: "secret-scan",
				Params: json.RawMessage(`{"max_file_size": "big"}`)}, forge.EInvalid, "whole number"},
		{"params not an object",
			forge.AgentRunInput{Repository: "root/site", Agent: "stats", Params: json.RawMessage(`[1]`)},
			forge.EInvalid, "JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.forge.Agents.CreateAgentRun(ctx, f.root, tt.in)
			e := forge.ErrorOf(err)
			if err == nil || e.Code != tt.code || !strings.Contains(e.Error(), tt.msg) {
				t.Errorf("err = %v, want %s containing %q", err, tt.code, tt.msg)
			}
		})
	}
}

func TestAgentsListsBuiltinAndExternalAgents(t *testing.T) {
	f := newAgentFixture(t, forge.Config{Agents: []forge.ExternalAgent{{Name: "lint", Command: "true"}}})
	agents, err := f.forge.Agents.Agents(context.Background(), f.root)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range agents {
		names = append(names, a.Name)
	}
	if strings.Join(names, " ") != "release-notes review secret-scan stats lint" {
		t.Errorf("agents = %v", names)
	}
}

func TestParseExternalAgent(t *testing.T) {
	tests := []struct {
		in, name, command, err string
	}{
		{"lint=./lint.sh --strict", "lint", "./lint.sh --strict", ""},
		{" my_agent-2 = run it ", "my_agent-2", "run it", ""},
		{"lint", "", "", "NAME=COMMAND"},
		{"=cmd", "", "", "NAME=COMMAND"},
		{"Lint=cmd", "", "", "lower-case"},
		{"review=cmd", "", "", "built-in"},
	}
	for _, tt := range tests {
		a, err := forge.ParseExternalAgent(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: err = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || a.Name != tt.name || a.Command != tt.command {
			t.Errorf("%q = %+v, %v", tt.in, a, err)
		}
	}
}

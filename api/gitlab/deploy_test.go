package gitlab_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

type deployKeyJSON struct {
	ID                int64  `json:"id"`
	Title             string `json:"title"`
	Key               string `json:"key"`
	Fingerprint       string `json:"fingerprint"`
	FingerprintSHA256 string `json:"fingerprint_sha256"`
	CanPush           *bool  `json:"can_push"`
}

func TestDeployKeys(t *testing.T) {
	f := newRepoFixture(t, nil)
	tokens := f.roles()
	_, line := newSSHKey(t, "ci")
	k := decode[deployKeyJSON](t, mustDo(t, f.s, 201, "POST", f.url("/deploy_keys"), tokens["maintainer"],
		map[string]any{"title": "ci", "key": line, "can_push": true}))
	if k.Title != "ci" || k.Key != line || k.CanPush == nil || !*k.CanPush ||
		!strings.HasPrefix(k.FingerprintSHA256, "SHA256:") ||
		strings.Count(k.Fingerprint, ":") != 15 {
		t.Fatalf("deploy key: %+v", k)
	}
	wantStatuses(t, f, tokens, "GET", "/deploy_keys", nil, map[string]int{
		"anonymous": 401, "outsider": 404, "guest": 403, "developer": 403, "maintainer": 200, "owner": 200,
		"admin": 200})
	upd := decode[deployKeyJSON](t,
		mustDo(t, f.s, 200, "PUT", f.url("/deploy_keys/"+itoa(k.ID)), f.token,
			map[string]any{"can_push": false, "title": "ci2"}))
	if upd.Title != "ci2" || *upd.CanPush {
		t.Fatalf("updated: %+v", upd)
	}
	// The same key in another project is the same deploy key; enable works too.
	g := createProject(t, f.s, f.token, map[string]any{"name": "other"})
	other := decode[deployKeyJSON](t,
		mustDo(t, f.s, 201, "POST", "/api/v4/projects/"+itoa(g.ID)+"/deploy_keys", f.token,
			map[string]any{"title": "again", "key": line}))
	if other.ID != k.ID {
		t.Fatalf("a second project's copy: %+v", other)
	}
	h := createProject(t, f.s, f.token, map[string]any{"name": "third"})
	mustDo(t, f.s, 201, "POST", "/api/v4/projects/"+itoa(h.ID)+"/deploy_keys/"+itoa(k.ID)+"/enable", f.token, nil)
	if got := names(t, mustDo(t, f.s, 200, "GET", "/api/v4/deploy_keys", f.token, nil), "id"); len(got) != 1 {
		t.Fatalf("instance deploy keys: %v", got)
	}
	wantStatus(t, f.do("GET", "/deploy_keys", tokens["maintainer"], nil), 200)
	wantStatus(t, f.s.Do(t, "GET", "/api/v4/deploy_keys", tokens["maintainer"], nil), 403)
	// A user's key is not a deploy key, nor the reverse.
	_, userLine := newSSHKey(t, "")
	mustDo(t, f.s, 201, "POST", "/api/v4/user/keys", tokens["developer"],
		map[string]any{"title": "mine", "key": userLine})
	wantJSON(t, f.do("POST", "/deploy_keys", f.token, map[string]any{"title": "x", "key": userLine}), 400,
		`{"message":{"fingerprint_sha256":["has already been taken"]}}`)
	wantStatus(t,
		f.s.Do(t, "POST", "/api/v4/user/keys", tokens["developer"], map[string]any{"title": "dk", "key": line}), 400)
	mustDo(t, f.s, 204, "DELETE", f.url("/deploy_keys/"+itoa(k.ID)), f.token, nil)
	wantStatus(t, f.do("GET", "/deploy_keys/"+itoa(k.ID), f.token, nil), 404)
	mustDo(t, f.s, 200, "GET", "/api/v4/projects/"+itoa(g.ID)+"/deploy_keys/"+itoa(k.ID), f.token, nil)
}

type deployTokenJSON struct {
	ID       int64    `json:"id"`
	Name     string   `json:"name"`
	Username string   `json:"username"`
	Scopes   []string `json:"scopes"`
	Revoked  bool     `json:"revoked"`
	Expired  bool     `json:"expired"`
	Token    string   `json:"token"`
}

// Deploy tokens clone (read_repository) and push (write_repository) over HTTP with their
// user name, for their project or their group's projects, and nothing else.
func TestDeployTokensOverGit(t *testing.T) {
	f := newRepoFixture(t, nil)
	read := decode[deployTokenJSON](t, mustDo(t, f.s, 201, "POST", f.url("/deploy_tokens"), f.token,
		map[string]any{"name": "reader", "scopes": []string{"read_repository"}}))
	if read.Username != "gitlab+deploy-token-"+itoa(read.ID) || read.Token == "" || read.Revoked || read.Expired {
		t.Fatalf("deploy token: %+v", read)
	}
	write := decode[deployTokenJSON](t, mustDo(t, f.s, 201, "POST", f.url("/deploy_tokens"), f.token,
		map[string]any{"name": "writer", "username": "ci-bot", "scopes": "read_repository,write_repository"}))
	url := func(tok deployTokenJSON, path string) string {
		return strings.Replace(f.s.URL, "http://", "http://"+tok.Username+":"+tok.Token+"@", 1) + "/" + path + ".git"
	}
	dir := t.TempDir()
	git(t, dir, "clone", "-q", url(read, f.path), "r")
	if _, err := os.Stat(filepath.Join(dir, "r", "README.md")); err != nil {
		t.Fatal("the clone lacks README.md")
	}
	wc := filepath.Join(dir, "r")
	if err := os.WriteFile(filepath.Join(wc, "x.txt"), []byte("x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git(t, wc, "add", ".")
	git(t, wc, "-c", "user.name=CI", "-c", "user.email=ci@example.com", "commit", "-q", "-m", "x")
	if out, err := gitTry(dir, "-C", wc, "push", "-q", url(read, f.path), "main"); err == nil {
		t.Fatalf("a read token pushed:\n%s", out)
	}
	git(t, wc, "push", "-q", url(write, f.path), "main")
	mustDo(t, f.s, 200, "GET", f.url("/repository/files/x.txt/raw?ref=main"), f.token, nil)

	// Another project is out of reach.
	other := createProject(t, f.s, f.token, map[string]any{"name": "other", "initialize_with_readme": true})
	if _, err := gitTry(dir, "clone", "-q", url(read, other.PathWithNamespace), "o"); err == nil {
		t.Fatal("a project's deploy token cloned another project")
	}
	// A group's token reaches its subgroups' projects.
	grp := createGroup(t, f.s, f.token, map[string]any{"name": "G", "path": "g"})
	sub := createGroup(t, f.s, f.token, map[string]any{"name": "S", "path": "s", "parent_id": grp.ID})
	inSub := createProject(t, f.s, f.token,
		map[string]any{"name": "app", "namespace_id": sub.ID, "initialize_with_readme": true})
	gt := decode[deployTokenJSON](t,
		mustDo(t, f.s, 201, "POST", "/api/v4/groups/"+itoa(grp.ID)+"/deploy_tokens", f.token,
			map[string]any{"name": "group", "scopes": []string{"read_repository"}}))
	git(t, dir, "clone", "-q", url(gt, inSub.PathWithNamespace), "g")
	if got := names(t, mustDo(t, f.s, 200, "GET", "/api/v4/deploy_tokens", f.token, nil), "name"); len(got) != 3 {
		t.Fatalf("instance deploy tokens: %v", got)
	}

	// Revoked, it is refused; the API lists it as revoked.
	mustDo(t, f.s, 204, "DELETE", f.url("/deploy_tokens/"+itoa(read.ID)), f.token, nil)
	if _, err := gitTry(dir, "clone", "-q", url(read, f.path), "again"); err == nil {
		t.Fatal("a revoked deploy token cloned")
	}
	var listed []deployTokenJSON
	mustDo(t, f.s, 200, "GET", f.url("/deploy_tokens"), f.token, nil).JSON(t, &listed)
	if len(listed) != 2 || !listed[0].Revoked || listed[0].Token != "" {
		t.Fatalf("listed: %+v", listed)
	}
	if got := names(t, mustDo(t, f.s, 200, "GET", f.url("/deploy_tokens?active=true"), f.token, nil),
		"name"); strings.Join(got, ",") != "writer" {
		t.Fatalf("active: %v", got)
	}
	wantJSON(t, f.do("POST", "/deploy_tokens", f.token, map[string]any{"name": "x", "scopes": []string{"api"}}), 400,
		`{"message":{"scopes":["can only contain available scopes"]}}`)
	wantJSON(t, f.do("POST", "/deploy_tokens", f.token, map[string]any{"name": "x"}), 400,
		`{"error":"scopes is missing"}`)
	dev := f.member("dev", 30)
	wantStatus(t,
		f.do("POST", "/deploy_tokens", dev, map[string]any{"name": "x", "scopes": []string{"read_repository"}}), 403)
	// The API does not take a deploy token for a user.
	wantStatus(t, f.s.Do(t, "GET", "/api/v4/projects/"+itoa(f.id), write.Token, nil), 404)
}

// gitTry runs the git client in dir and returns its output and error, for what must fail.
func gitTry(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(gitFreeEnviron(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir, "GIT_TERMINAL_PROMPT=0")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

package web_test

// Tests in a real browser: headless Chromium driven over the DevTools protocol by chromedp.
// They skip when no Chromium is installed, except in CI (.ci/run sets CAIRN_BROWSER_TESTS=1,
// and installs Debian's chromium), where a missing browser fails them.

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cairn-forge/cairn/server/servertest"
	"github.com/chromedp/cdproto/log"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// stepTimeout bounds one step of a browser test: a selector that matches nothing visible
// fails the test instead of waiting for it.
const stepTimeout = 20 * time.Second

// findChromium returns the path of an installed Chromium or Chrome, "" when there is none.
func findChromium() string {
	if p := os.Getenv("CAIRN_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// browser is one headless Chromium with one tab, and what went wrong in it: script errors,
// console errors (Content-Security-Policy violations among them) and dialogs a page opened.
type browser struct {
	t   *testing.T
	ctx context.Context

	mu       sync.Mutex
	problems []string
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	path := findChromium()
	if path == "" {
		if os.Getenv("CAIRN_BROWSER_TESTS") == "1" {
			t.Fatal("CAIRN_BROWSER_TESTS=1 but no chromium is installed (apt-get install chromium)")
		}
		t.Skip("no chromium installed; CI installs it and sets CAIRN_BROWSER_TESTS=1")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTime := context.WithTimeout(ctx, 4*time.Minute)
	t.Cleanup(func() {
		cancelTime()
		cancelCtx()
		cancelAlloc()
	})
	b := &browser{t: t, ctx: ctx}
	// Subscribe before the first page, so that nothing is missed.
	exceptions := chromedp.Events(ctx, runtime.ExceptionThrown)
	consoles := chromedp.Events(ctx, runtime.ConsoleAPICalled)
	logs := chromedp.Events(ctx, log.EntryAdded)
	dialogs := chromedp.Events(ctx, cdppage.JavascriptDialogOpening)
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium (%s): %v", path, err)
	}
	if _, err := chromedp.Call(ctx, log.Enable, struct{}{}); err != nil {
		t.Fatalf("enable the log: %v", err)
	}
	go func() {
		for ev, err := range exceptions {
			if err != nil {
				return
			}
			b.problem("exception: " + ev.ExceptionDetails.Text)
		}
	}()
	go func() {
		for ev, err := range consoles {
			if err != nil {
				return
			}
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning {
				b.problem(fmt.Sprintf("console.%s", ev.Type))
			}
		}
	}()
	go func() {
		for ev, err := range logs {
			if err != nil {
				return
			}
			if ev.Entry.Level == log.EntryLevelError || strings.Contains(ev.Entry.Text, "Content Security Policy") {
				b.problem(fmt.Sprintf("log (%s): %s %s", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL))
			}
		}
	}()
	go func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			b.problem("a dialog opened: " + ev.Message)
			go chromedp.Call(ctx, cdppage.HandleJavaScriptDialog, cdppage.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
	return b
}

func (b *browser) problem(s string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.problems = append(b.problems, s)
}

// expectProblem lets a page's expected errors (a 404's failed load) pass.
func (b *browser) takeProblems() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	p := b.problems
	b.problems = nil
	return p
}

// clean fails the test if the browser saw a script error, a console error, a blocked load
// or a dialog since the last call.
func (b *browser) clean(step string) {
	b.t.Helper()
	time.Sleep(50 * time.Millisecond) // events of the page just shown arrive asynchronously
	for _, p := range b.takeProblems() {
		if strings.Contains(p, "404 (Not Found)") && strings.Contains(step, "404") {
			continue
		}
		b.t.Errorf("%s: %s", step, p)
	}
}

// do runs actions, failing the test on error.
func (b *browser) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", step, err)
	}
}

// open navigates to a URL and waits for the page.
func (b *browser) open(url string) {
	b.t.Helper()
	b.do("open "+url, chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS("body")))
}

// submit clicks a form's button and waits for the page it leads to.
func (b *browser) submit(step, sel string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if _, err := chromedp.Run(ctx,
		chromedp.WaitEvent(cdppage.LoadEventFired, nil, chromedp.Click(chromedp.CSS(sel)))); err != nil {
		b.t.Fatalf("%s: click %s: %v", step, sel, err)
	}
}

// text returns the text of the first element sel matches.
func (b *browser) text(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// see fails the test unless the page's main text contains every one of texts.
func (b *browser) see(step string, texts ...string) {
	b.t.Helper()
	body := b.text("body")
	for _, s := range texts {
		if !strings.Contains(body, s) {
			loc, _ := chromedp.Run(b.ctx, chromedp.Location())
			b.t.Fatalf("%s: %s does not show %q:\n%s", step, loc, s, body)
		}
	}
}

// fill types into the field sel, replacing what it held.
func (b *browser) fill(sel, text string) {
	b.t.Helper()
	clear := fmt.Sprintf("document.querySelector(%q).value = ''", sel)
	b.do("fill "+sel, chromedp.Evaluate[chromedp.Void](clear), chromedp.SendKeys(chromedp.CSS(sel), text))
}

// audit checks accessibility basics on the page shown: one h1, a label for every field, alt
// text on images, a name on every link and button, no positive tabindex.
func (b *browser) audit(step string) {
	b.t.Helper()
	problems, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](auditScript))
	if err != nil {
		b.t.Fatalf("%s: audit: %v", step, err)
	}
	for _, p := range problems {
		b.t.Errorf("%s: %s", step, p)
	}
}

const auditScript = `(() => {
  const out = [];
  const h1 = document.querySelectorAll("h1").length;
  if (h1 !== 1) out.push(h1 + " h1 elements");
  for (const el of document.querySelectorAll("input, select, textarea")) {
    if (el.type === "hidden" || el.hidden) continue;
    const named = (el.labels && el.labels.length > 0) || el.getAttribute("aria-label") || el.getAttribute("aria-labelledby");
    if (!named) out.push("a field without a label: " + el.outerHTML.slice(0, 100));
  }
  for (const img of document.querySelectorAll("img")) {
    if (!img.hasAttribute("alt")) out.push("an image without alt text: " + img.outerHTML.slice(0, 100));
  }
  for (const el of document.querySelectorAll("a[href], button, summary")) {
    const name = (el.getAttribute("aria-label") || el.textContent || "").trim();
    if (!name) out.push("an action without a name: " + el.outerHTML.slice(0, 100));
  }
  for (const el of document.querySelectorAll("[tabindex]")) {
    if (+el.getAttribute("tabindex") > 0) out.push("a positive tabindex: " + el.outerHTML.slice(0, 100));
  }
  for (const el of document.querySelectorAll("[onclick], div[role=button], span[role=button]")) {
    out.push("an action that is not a link or a button: " + el.outerHTML.slice(0, 100));
  }
  return out;
})()`

// git runs the git CLI in dir.
func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir,
		"GIT_AUTHOR_NAME=Root", "GIT_AUTHOR_EMAIL=root@example.com", "GIT_COMMITTER_NAME=Root",
		"GIT_COMMITTER_EMAIL=root@example.com")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestBrowserEndToEnd walks through a team's day in a real browser: sign in as root, create
// a group and a project with a README, browse it, push a branch with git, open a merge
// request from it, read its diff, comment and merge it; open, comment on and close an
// issue; create a token and use it, revoke it; sign out. A second user is refused the
// private project. No page may throw, log an error, break its Content-Security-Policy or
// open a dialog, and every page passes the accessibility audit.
func TestBrowserEndToEnd(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git CLI")
	}
	b := newBrowser(t)
	s := newServerForBrowser(t)
	password := rootPassword(t, s)
	s.CreateUser(t, "bob")
	base := s.URL

	// Sign in with the keyboard alone: type, Tab, type, Enter.
	b.open(base + "/users/sign_in")
	b.audit("sign-in page")
	b.do("type the login", chromedp.WaitVisible(chromedp.CSS("#login")),
		chromedp.SendKeys(chromedp.CSS("#login"), "root"),
		chromedp.KeyEvent("\t"), chromedp.KeyEvent(password))
	typed, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](
		`[document.querySelector("#login").value, document.activeElement.id, document.querySelector("#password").value]`))
	if err != nil || len(typed) != 3 || typed[0] != "root" || typed[1] != "password" || typed[2] != password {
		t.Fatalf("after typing the login and Tab: %q %v", typed, err)
	}
	if _, err := chromedp.Run(b.ctx,
		chromedp.WaitEvent(cdppage.LoadEventFired, nil, chromedp.KeyEvent("\r"))); err != nil {
		t.Fatalf("submit the sign-in with Enter: %v", err)
	}
	b.see("dashboard", "Your projects")
	b.audit("dashboard")
	b.clean("sign in")

	// A group, then a private project with a README in it.
	b.open(base + "/groups/new")
	b.audit("new group")
	b.fill("#name", "Platform")
	b.submit("create the group", "button[type=submit].btn-primary")
	b.see("group page", "Platform", "Group Platform was created")
	b.audit("group page")
	b.submit("new project from the group", `.page-head a[href^="/projects/new"]`)
	b.audit("new project")
	b.fill("#name", "Engine")
	b.do("make it private", chromedp.Click(chromedp.CSS(`input[name=visibility][value=private]`)))
	b.submit("create the project", "button[type=submit].btn-primary")
	b.see("project home", "Engine", "README.md", "Private")
	b.audit("project home")
	b.clean("create a group and a project")

	// Browse: the README's file view, and back to the tree.
	b.submit("open README.md", `table.files a[href$="/README.md"]`)
	b.see("file view", "README.md", "Engine", "Blame", "Raw")
	b.audit("file view")
	b.submit("up to the tree", `ol.crumbs a[href$="/-/tree/main"]`)
	b.see("tree", "README.md")
	b.clean("browse")

	// Push a branch with git, authenticating with an API token.
	dir := t.TempDir()
	token := s.AdminToken
	remote := strings.Replace(base, "http://", "http://root:"+token+"@", 1) + "/platform/engine.git"
	git(t, dir, "clone", "--quiet", remote, "engine")
	repo := filepath.Join(dir, "engine")
	git(t, repo, "checkout", "--quiet", "-b", "add-engine")
	if err := os.WriteFile(filepath.Join(repo, "engine.go"),
		[]byte("package engine\n\n// Start starts the engine.\nfunc Start() error { return nil }\n"),
		0o644); err != nil {
		t.Fatal(err)
	}
	git(t, repo, "add", "engine.go")
	git(t, repo, "commit", "--quiet", "-m", "Add the engine")
	git(t, repo, "push", "--quiet", "origin", "add-engine")

	// A merge request from the branch: its diff, a comment, the merge.
	b.open(base + "/platform/engine/-/merge_requests/new?source_branch=add-engine")
	b.see("new merge request", "Add the engine", "engine.go")
	b.audit("new merge request")
	b.submit("create the merge request", `form[action$="/-/merge_requests"] button[type=submit].btn-primary`)
	b.see("merge request", "Add the engine", "add-engine", "Ready to merge")
	b.audit("merge request")
	b.submit("changes tab", `a[href$="/merge_requests/1/diffs"]`)
	b.see("diff", "engine.go", "Start starts the engine")
	b.audit("merge request diff")
	b.submit("overview tab", `ul.tabs a[href$="/merge_requests/1"]`)
	b.fill("#note", "Ship it")
	b.submit("comment", `#comment button[type=submit].btn-primary`)
	b.see("comment shown", "Ship it")
	b.submit("merge", `button.btn-merge`)
	b.see("merged", "Merged", "The merge request was merged")
	b.open(base + "/platform/engine/-/blob/main/engine.go")
	b.see("the target has the change", "Start starts the engine")
	b.clean("merge request")

	// An issue: open it, comment, close it.
	b.open(base + "/platform/engine/-/issues/new")
	b.audit("new issue")
	b.fill("#title", "Engine stalls when cold")
	b.fill("#description", "Steps:\n\n1. start\n2. wait")
	b.submit("create the issue", "button[type=submit].btn-primary")
	b.see("issue", "Engine stalls when cold", "Open")
	b.audit("issue")
	b.fill("#note", "Seen on **Monday**")
	b.submit("comment on the issue", `#comment button[type=submit].btn-primary`)
	b.see("issue comment", "Seen on Monday")
	b.submit("close the issue", `form[action$="/issues/1/close"] button`)
	b.see("closed issue", "Closed", "Reopen issue")
	b.clean("issue")

	// A token: made on the settings page, used, revoked, refused.
	b.open(base + "/-/user_settings/personal_access_tokens")
	b.audit("tokens page")
	b.fill("#token-name", "browser-test")
	b.do("choose read only", chromedp.Click(chromedp.CSS(`input[name=preset][value="Read Only"]`)))
	checked, err := chromedp.Run(b.ctx,
		chromedp.Evaluate[bool](`document.querySelector("input[name=scopes][value=read_api]").checked`))
	if err != nil || !checked {
		t.Fatalf("the preset did not check read_api: %v %v", checked, err)
	}
	b.submit("create the token", "button[type=submit].btn-primary")
	secret, err := chromedp.Run(b.ctx, chromedp.Value(chromedp.CSS("#new-token")))
	if err != nil || !strings.HasPrefix(secret, "cairn_pat_") {
		t.Fatalf("the new token's secret: %q %v", secret, err)
	}
	b.audit("token created")
	call := func() int {
		req, _ := http.NewRequest("GET", base+"/api/v4/projects/platform%2Fengine", nil)
		req.Header.Set("PRIVATE-TOKEN", secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := call(); got != http.StatusOK {
		t.Fatalf("the new token: %d", got)
	}
	b.submit("revoke it", `button[aria-label="Revoke the token browser-test"]`)
	b.see("revoked", "was revoked")
	if got := call(); got != http.StatusUnauthorized {
		t.Fatalf("the revoked token: %d", got)
	}
	b.clean("tokens")

	// Sign out from the account menu.
	b.do("open the account menu", chromedp.Click(chromedp.CSS(`summary[aria-label="Your account"]`)))
	b.submit("sign out", `form[action="/users/sign_out"] button`)
	b.see("signed out", "Sign in to cairn")
	b.clean("sign out")

	// Bob may not see the private project: 404, whichever page.
	b.open(base + "/users/sign_in")
	b.fill("#login", "bob")
	b.fill("#password", "password-bob")
	b.submit("sign in as bob", "button[type=submit]")
	b.open(base + "/platform/engine")
	b.see("bob, the private project", "Page not found")
	b.audit("404 page")
	b.open(base + "/platform/engine/-/issues/1")
	b.see("bob, its issue", "Page not found")
	b.clean("bob 404")
}

// TestBrowserHostileContentStaysInert opens a README, an issue and a comment full of script
// payloads: no dialog opens, no script runs, the CSP reports nothing needed.
func TestBrowserHostileContentStaysInert(t *testing.T) {
	b := newBrowser(t)
	f := newFixture(t)
	payload := "# Hostile\n\n<script>alert('script')</script>\n\n<img src=x onerror=\"alert('img')\">\n\n" +
		"[link](javascript:alert('link'))\n\n<a href=\"javascript:alert('a')\">a</a>\n\n" +
		"<svg><script>alert('svg')</script></svg>\n\n<svg onload=\"alert('svgload')\"></svg>\n\n" +
		"<iframe srcdoc=\"<script>alert('frame')</script>\"></iframe>\n\n<details open ontoggle=\"alert('toggle')\">x</details>\n\n" +
		"<object data=\"javascript:alert('object')\"></object>\n"
	api(t, f.s, "POST", fmt.Sprintf("/api/v4/projects/%d/repository/commits", f.siteID), map[string]any{
		"branch": "main", "commit_message": "hostile", "actions": []map[string]any{
			{"action": "update", "file_path": "README.md", "content": payload},
			{"action": "create", "file_path": "evil.svg",
				"content": `<svg xmlns="http://www.w3.org/2000/svg" onload="alert('raw svg')"><script>alert('raw svg script')</script></svg>`},
			{"action": "create", "file_path": "evil.html", "content": `<script>alert('raw html')</script>`},
		}}, http.StatusCreated)
	api(t, f.s, "POST", fmt.Sprintf("/api/v4/projects/%d/issues", f.siteID),
		map[string]any{"title": "<img src=x onerror=alert('title')>",
			"description": payload}, http.StatusCreated)
	api(t, f.s, "POST", fmt.Sprintf("/api/v4/projects/%d/issues/1/notes", f.siteID),
		map[string]any{"body": payload}, http.StatusCreated)
	for _, path := range []string{"/acme/site", "/acme/site/-/blob/main/README.md", "/acme/site/-/issues/1",
		"/acme/site/-/blob/main/evil.svg", "/acme/site/-/raw/main/evil.svg", "/acme/site/-/raw/main/evil.html"} {
		b.do("open "+path, chromedp.Navigate(f.s.URL+path))
		time.Sleep(200 * time.Millisecond) // give anything that would run the time to run
		for _, p := range b.takeProblems() {
			if strings.Contains(p, "dialog") || strings.Contains(p, "exception") {
				t.Errorf("%s: %s", path, p)
			}
		}
	}
}

// newServerForBrowser is a cairn instance for a browser test, with rate limits on, as in
// production.
func newServerForBrowser(t *testing.T) *servertest.Server {
	return servertest.New(t, logErrors(t))
}

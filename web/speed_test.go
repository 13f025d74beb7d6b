package web_test

// Speed of the pages (issue 12), side by side with the API requests that read the same data,
// in process over loopback HTTP:
//
//	go test ./web -run '^$' -bench PageServerTime -benchtime 20x -count 3
//
// server-ms is the median of the responses' X-Runtime (the server's time until the headers;
// a page is rendered whole before them), rtt-ms the median round trip seen by the client,
// first-ms the server time of the first request (the page's template parsed, the caches of
// highlighted files and languages empty), wire-bytes the gzip-compressed response.
// Targets: project home < 30 ms, a 5,000-line file < 80 ms, a commit of 200 files < 150 ms,
// the first page of 10,000 issues < 30 ms. BENCHMARKS.md has the figures.

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cairn-forge/cairn/forge"
	"github.com/cairn-forge/cairn/server/servertest"
)

type speedFixture struct {
	s          *servertest.Server
	id         string
	sha        string // the commit of 200 files
	session    string // root's session cookie
	httpClient *http.Client
}

func newSpeedFixture(b *testing.B) *speedFixture {
	b.Helper()
	s := servertest.New(b, servertest.WithoutRateLimit())
	f := &speedFixture{s: s, httpClient: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}}
	do := func(method, path string, body any, want int) *servertest.Response {
		r := s.Do(b, method, path, s.AdminToken, body)
		if r.StatusCode != want {
			b.Fatalf("%s %s: %d %s", method, path, r.StatusCode, r.Body)
		}
		return r
	}
	var p struct{ ID int64 }
	do("POST", "/api/v4/projects",
		map[string]any{"name": "speed", "visibility": "public", "initialize_with_readme": true,
			"description": "Pages against the API"}, http.StatusCreated).JSON(b, &p)
	f.id = strconv.FormatInt(p.ID, 10)
	// A README like a real one, a 5,000-line Go file, and a commit changing 200 files.
	var readme strings.Builder
	readme.WriteString("# speed\n\nA project to time the pages.\n\n")
	for i := range 20 {
		fmt.Fprintf(&readme,
			"## Section %d\n\nSome text with `code`, a [link](docs/%d.md) and a list:\n\n- one\n- two\n\n```go\nfunc f%d() int { return %d }\n```\n\n", i, i, i, i)
	}
	var big strings.Builder
	big.WriteString("package big\n\n")
	for i := range 1000 { // five lines each
		fmt.Fprintf(&big,
			"// F%d returns its argument plus %d.\nfunc F%d(x int) int {\n\treturn x + %d // \"sum\"\n}\n\n",
			i, i, i, i)
	}
	actions := []map[string]any{
		{"action": "update", "file_path": "README.md", "content": readme.String()},
		{"action": "create", "file_path": "big/big.go", "content": big.String()},
	}
	do("POST", "/api/v4/projects/"+f.id+"/repository/commits",
		map[string]any{"branch": "main", "commit_message": "Add files",
			"actions": actions}, http.StatusCreated)
	actions = nil
	for i := range 200 {
		actions = append(actions, map[string]any{"action": "create", "file_path": fmt.Sprintf("pkg%03d/file.go", i),
			"content": fmt.Sprintf(
				"package pkg%03d\n\n// N is %d.\nconst N = %d\n\nfunc Double() int { return 2 * N }\n", i, i, i)})
	}
	var c struct{ ID string }
	do("POST", "/api/v4/projects/"+f.id+"/repository/commits",
		map[string]any{"branch": "main", "commit_message": "Add 200 packages",
			"actions": actions}, http.StatusCreated).JSON(b, &c)
	f.sha = c.ID
	// 10,000 issues, made through forge as the API would.
	ctx := context.Background()
	root, err := s.Forge.Access.Authenticate(ctx, s.AdminToken, "127.0.0.1")
	if err != nil {
		b.Fatal(err)
	}
	for i := range 10_000 {
		title := fmt.Sprintf("Issue %d", i)
		desc := "Something to fix, described in a sentence or two."
		in := forge.IssueInput{Title: &title, Description: &desc}
		if i%10 == 0 {
			in.Labels = &[]string{"bug"}
		}
		if _, err := s.Forge.Issuables.CreateIssue(ctx, root, forge.ParseRef(f.id), in); err != nil {
			b.Fatal(err)
		}
	}
	// Root's session, for the pages.
	do("PUT", "/api/v4/users/1", map[string]any{"password": "root-password-1"}, http.StatusOK)
	_, sess, err := s.Forge.Access.SignIn(ctx, "root", "root-password-1", "127.0.0.1", "")
	if err != nil {
		b.Fatal(err)
	}
	f.session = sess.Secret
	return f
}

// time requests path b.N times, with the session (page) or the admin token (API), and
// reports the medians of X-Runtime and of the round trip.
func (f *speedFixture) time(b *testing.B, path string, page bool) {
	get := func() (server, rtt time.Duration, n int) {
		req, _ := http.NewRequest("GET", f.s.URL+path, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		if page {
			req.Header.Set("Cookie", "_gitlab_session="+f.session)
		} else {
			req.Header.Set("PRIVATE-TOKEN", f.s.AdminToken)
		}
		start := time.Now()
		resp, err := f.httpClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		n64, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		rtt = time.Since(start)
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("GET %s: %d", path, resp.StatusCode)
		}
		secs, _ := strconv.ParseFloat(resp.Header.Get("X-Runtime"), 64)
		return time.Duration(secs * float64(time.Second)), rtt, int(n64)
	}
	first, _, _ := get() // the first view: the page's template parsed, caches empty
	var servers, rtts []float64
	size := 0
	b.ResetTimer()
	for range b.N {
		s, r, n := get()
		servers = append(servers, float64(s.Microseconds())/1000)
		rtts = append(rtts, float64(r.Microseconds())/1000)
		size = n
	}
	b.ReportMetric(median(servers), "server-ms")
	b.ReportMetric(median(rtts), "rtt-ms")
	b.ReportMetric(float64(size), "wire-bytes")
	b.ReportMetric(float64(first.Microseconds())/1000, "first-ms")
}

func median(v []float64) float64 {
	slices.Sort(v)
	if len(v) == 0 {
		return 0
	}
	return v[len(v)/2]
}

// BenchmarkPageServerTime times each page beside the API request for the same data.
func BenchmarkPageServerTime(b *testing.B) {
	f := newSpeedFixture(b)
	p := "/root/speed"
	api := "/api/v4/projects/" + f.id
	for _, bc := range []struct{ name, page, api string }{
		{"project-home", p, api},
		{"file-5000-lines", p + "/-/blob/main/big/big.go", api + "/repository/files/big%2Fbig.go?ref=main"},
		{"commit-diff-200-files", p + "/-/commit/" + f.sha, api + "/repository/commits/" + f.sha +
			"/diff?per_page=100"},
		{"issues-page-1-of-10000", p + "/-/issues", api + "/issues?state=opened"},
	} {
		b.Run(bc.name+"/page", func(b *testing.B) { f.time(b, bc.page, true) })
		b.Run(bc.name+"/api", func(b *testing.B) { f.time(b, bc.api, false) })
	}
}

// TestProjectHomeWeighsUnder100KB checks the page weight target: the project home's HTML,
// stylesheet and script together, uncompressed, under 100 KB, for a project with 200
// directories at its top and a README of 20 sections.
func TestProjectHomeWeighsUnder100KB(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var readme strings.Builder
	for i := range 20 {
		fmt.Fprintf(&readme,
			"## Section %d\n\nSome text with `code` and a [link](docs/%d.md).\n\n```go\nfunc f%d() int { return %d }\n```\n\n", i, i, i, i)
	}
	actions := []map[string]any{{"action": "update", "file_path": "README.md", "content": readme.String()}}
	for i := range 200 {
		actions = append(actions,
			map[string]any{"action": "create", "file_path": fmt.Sprintf("pkg%03d/a.go", i), "content": "package a\n"})
	}
	api(t, f.s, "POST", fmt.Sprintf("/api/v4/projects/%d/repository/commits", f.siteID),
		map[string]any{"branch": "main",
			"commit_message": "Grow", "actions": actions}, http.StatusCreated)
	c := newClient(t, f.s)
	home := c.get("/acme/site").want(t, http.StatusOK)
	total := len(home.Body)
	for _, m := range regexp.MustCompile(
		`(?:href|src)="(/-/assets/[^"]+\.(?:css|js))"`).FindAllStringSubmatch(home.Body, -1) {
		total += len(c.get(m[1]).Body)
	}
	if total >= 100_000 {
		t.Fatalf("the project home weighs %d bytes with its stylesheet and script, want under 100 KB", total)
	}
	t.Logf("project home: %d bytes of HTML, CSS and JS", total)
}

package gitlab_test

// Benchmarks of issue 14's project listing target: GET /projects?per_page=20 stays under 20 ms
// at 10,000 projects, for an administrator (every project), their owner (a member's list)
// and an anonymous caller (the public ones):
//
//	go test ./api/gitlab -run '^$' -bench 'ListProjects' -benchtime 200x -count 3

import (
	"database/sql"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/cairn-forge/cairn/server/servertest"
	_ "modernc.org/sqlite"
)

func BenchmarkListProjects(b *testing.B) {
	const n = 10_000
	s := servertest.New(b, servertest.WithoutRateLimit())
	_, alice := s.CreateUser(b, "alice")
	r := s.Do(b, "POST", "/api/v4/projects", alice, map[string]any{"name": "seed", "visibility": "public"})
	if r.StatusCode != http.StatusCreated {
		b.Fatalf("create project: %d %s", r.StatusCode, r.Body)
	}
	var seed struct{ ID int64 }
	r.JSON(b, &seed)
	// The other projects are rows only, copies of the first with every third one private:
	// a listing reads no repository.
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(s.DataDir, "cairn.db")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < ?)
		INSERT INTO projects (namespace_id, name, path, description, visibility, default_branch,
			creator_id, archived, empty_repo, topics, merge_method, squash_option, created_at,
			updated_at, last_activity_at)
		SELECT p.namespace_id, p.name || '-' || k.i, p.path || '-' || k.i, p.description,
			CASE WHEN k.i % 3 = 0 THEN 'private' ELSE 'public' END, p.default_branch, p.creator_id,
			p.archived, p.empty_repo, p.topics, p.merge_method, p.squash_option, p.created_at + k.i,
			p.updated_at + k.i, p.last_activity_at + k.i
		FROM k, projects p WHERE p.id = ?`, n-1, seed.ID); err != nil {
		b.Fatal(err)
	}
	client := &http.Client{}
	for _, c := range []struct{ name, token, query string }{
		{"administrator", s.AdminToken, ""},
		{"owner", alice, "&membership=true"},
		{"anonymous", "", ""},
		{"administrator/search", s.AdminToken, "&search=seed-99"},
		{"administrator/by name", s.AdminToken, "&order_by=name&sort=asc"},
	} {
		b.Run(c.name, func(b *testing.B) {
			req, err := http.NewRequest("GET", s.URL+"/api/v4/projects?per_page=20"+c.query, nil)
			if err != nil {
				b.Fatal(err)
			}
			if c.token != "" {
				req.Header.Set("PRIVATE-TOKEN", c.token)
			}
			for b.Loop() {
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Total") == "" && c.token != "" {
					b.Fatalf("%d, X-Total %q", resp.StatusCode, resp.Header.Get("X-Total"))
				}
			}
		})
	}
}

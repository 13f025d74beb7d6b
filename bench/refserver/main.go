// Command refserver is the yardstick cairn's API benchmarks are compared with: a bare
// httprouter + modernc SQLite server, tuned as db/db.go tunes cairn's database (WAL,
// synchronous NORMAL, a pool of reader connections), answering a point select by id with a
// small JSON object and a 20-row list. It has no authentication, middleware or permissions:
// it is the floor of what this stack costs per request, not a competitor.
package main

import (
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"

	"github.com/julienschmidt/httprouter"
	_ "modernc.org/sqlite"
)

type project struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Path        string `json:"path"`
	Description string `json:"description"`
	Visibility  string `json:"visibility"`
	CreatedAt   int64  `json:"created_at"`
}

const columns = "id, name, path, description, visibility, created_at"

func scan(row interface{ Scan(...any) error }) (p project, err error) {
	err = row.Scan(&p.ID, &p.Name, &p.Path, &p.Description, &p.Visibility, &p.CreatedAt)
	return p, err
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on")
	ready := flag.String("ready-file", "", "once listening, write {\"url\": ...} here")
	rows := flag.Int("rows", 31, "rows to create")
	flag.Parse()

	dir, err := os.MkdirTemp("", "refserver-")
	if err != nil {
		log.Fatal(err)
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	go func() { <-stop; os.RemoveAll(dir); os.Exit(0) }()
	dsn := "file:" + filepath.Join(dir, "ref.db") + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)" +
		"&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)&_pragma=temp_store(MEMORY)&_pragma=cache_size(-16000)"
	writer, err := sql.Open("sqlite", dsn+"&_txlock=immediate")
	if err != nil {
		log.Fatal(err)
	}
	writer.SetMaxOpenConns(1)
	if _, err := writer.Exec(`CREATE TABLE projects (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL,
		path TEXT NOT NULL, description TEXT NOT NULL DEFAULT '', visibility TEXT NOT NULL, created_at INTEGER NOT NULL)`); err != nil {
		log.Fatal(err)
	}
	for i := 1; i <= *rows; i++ {
		if _, err := writer.Exec(
			"INSERT INTO projects (name, path, description, visibility, created_at) VALUES (?, ?, ?, ?, ?)",
			fmt.Sprintf("Project %d", i), fmt.Sprintf("project-%d", i), "a benchmark project", "public",
			1700000000000+int64(i)); err != nil {
			log.Fatal(err)
		}
	}
	reader, err := sql.Open("sqlite", dsn+"&_pragma=query_only(1)")
	if err != nil {
		log.Fatal(err)
	}
	n := max(4, 2*runtime.GOMAXPROCS(0)) // as db.Open sizes cairn's reader pool
	reader.SetMaxOpenConns(n)
	reader.SetMaxIdleConns(n)

	rt := httprouter.New()
	rt.GET("/api/v4/projects/:id", func(w http.ResponseWriter, r *http.Request, ps httprouter.Params) {
		id, err := strconv.ParseInt(ps.ByName("id"), 10, 64)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		p, err := scan(reader.QueryRowContext(r.Context(), "SELECT "+columns+" FROM projects WHERE id = ?", id))
		if err == sql.ErrNoRows {
			http.NotFound(w, r)
			return
		} else if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		writeJSON(w, p)
	})
	rt.GET("/api/v4/projects", func(w http.ResponseWriter, r *http.Request, _ httprouter.Params) {
		perPage, err := strconv.Atoi(r.URL.Query().Get("per_page"))
		if err != nil || perPage < 1 || perPage > 100 {
			perPage = 20
		}
		rows, err := reader.QueryContext(r.Context(), "SELECT "+columns+" FROM projects ORDER BY id LIMIT ?", perPage)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		defer rows.Close()
		out := make([]project, 0, perPage)
		for rows.Next() {
			p, err := scan(rows)
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			out = append(out, p)
		}
		writeJSON(w, out)
	})

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	if *ready != "" {
		data := fmt.Sprintf("{\n  \"url\": \"http://%s\",\n  \"pid\": %d\n}\n", ln.Addr(), os.Getpid())
		if err := os.WriteFile(*ready+".tmp", []byte(data), 0o600); err != nil {
			log.Fatal(err)
		}
		if err := os.Rename(*ready+".tmp", *ready); err != nil {
			log.Fatal(err)
		}
	}
	log.Fatal(http.Serve(ln, rt))
}

// Package server assembles cairn into one http.Handler over a data directory, and runs it:
// listening, the ready file, graceful shutdown.
package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/api/gitar"
	"github.com/cairn-forge/cairn/api/gitclear"
	"github.com/cairn-forge/cairn/api/gitdev"
	"github.com/cairn-forge/cairn/api/githttp"
	"github.com/cairn-forge/cairn/api/gitlab"
	"github.com/cairn-forge/cairn/api/opencodehub"
	"github.com/cairn-forge/cairn/api/uploads"
	"github.com/cairn-forge/cairn/db"
	"github.com/cairn-forge/cairn/filestore"
	"github.com/cairn-forge/cairn/forge"
	"github.com/cairn-forge/cairn/gitstore"
	"github.com/cairn-forge/cairn/web"
)

// Config is everything a cairn instance is started with.
type Config struct {
	// Addr is the address to listen on; "127.0.0.1:0" picks a free port.
	Addr string
	// DataDir holds the database and the repositories.
	DataDir string
	// Ephemeral puts the data in a new temporary directory, removed at exit.
	Ephemeral bool
	// Throwaway says the data directory is removed when the process exits (a test's): nothing
	// is synced to disk. Ephemeral implies it.
	Throwaway bool
	// ReadyFile, once listening, receives {"url": ...} (written atomically).
	ReadyFile string
	// AdminToken, when set, is made a token of root with the admin scopes.
	AdminToken string
	// Fixture names a fixture file of users, groups, projects and tokens to load at start.
	Fixture string
	// ExternalURL is the base of every URL in responses; by default the URL listened on.
	ExternalURL string
	// NoRateLimit turns every rate limit off.
	NoRateLimit bool
	// RateLimits replaces the default limits when set.
	RateLimits *api.Policies
	// Version is cairn's version, for responses that report it.
	Version string
	// Logger receives logs; nil discards them.
	Logger *slog.Logger
	// Out receives the one-time message of the first start; nil discards it.
	Out io.Writer
	// Forge holds the settings of the domain's rules.
	Forge forge.Config
	// ShutdownTimeout bounds how long in-flight requests may take to finish at stop.
	ShutdownTimeout time.Duration
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names the client.
	TrustedProxies []netip.Prefix
	// MaxBody bounds API request bodies, in bytes.
	MaxBody int64
	// MaxPushSize bounds the pack of one git push, in bytes: 2 GiB when zero, no limit
	// when negative.
	MaxPushSize int64
}

// Server is a running (or ready to run) cairn instance.
type Server struct {
	cfg       Config
	db        *db.DB
	repos     *gitstore.Store
	forge     *forge.Service
	listener  net.Listener
	http      *http.Server
	url       string
	dataDir   string
	log       *slog.Logger
	bootstrap forge.Bootstrap
	closed    bool
}

// Open prepares an instance: the data directory, the database, the repositories made to
// agree with it, the administrator, the fixture, and a listening socket. Serve starts answering.
// When it fails, whatever it had prepared is released, an ephemeral data directory removed.
func Open(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Out == nil {
		cfg.Out = io.Discard
	}
	if cfg.Addr == "" {
		cfg.Addr = ":3000"
	}
	if cfg.ShutdownTimeout == 0 {
		cfg.ShutdownTimeout = 10 * time.Second
	}
	if cfg.MaxBody == 0 {
		cfg.MaxBody = 64 << 20
	}
	if cfg.MaxPushSize == 0 {
		cfg.MaxPushSize = 2 << 30
	}
	s := &Server{cfg: cfg, log: cfg.Logger, dataDir: cfg.DataDir}
	if err := s.open(ctx); err != nil {
		return nil, errors.Join(err, s.Close())
	}
	return s, nil
}

// open does Open's work on s; on error, s holds what was prepared, for Close.
func (s *Server) open(ctx context.Context) error {
	cfg := s.cfg
	if cfg.Ephemeral {
		dir, err := os.MkdirTemp("", "cairn-ephemeral-")
		if err != nil {
			return fmt.Errorf("create ephemeral data directory: %w", err)
		}
		s.dataDir = dir
	}
	if s.dataDir == "" {
		return errors.New("no data directory: give --data-dir or --ephemeral")
	}
	var err error
	cfg.Forge.NoRateLimit = cfg.NoRateLimit
	if !cfg.NoRateLimit {
		p := s.policies()
		cfg.Forge.APIRateLimits = [2]forge.RateLimit{{Requests: p.Authenticated.Limit, Period: p.Authenticated.Window},
			{Requests: p.Anonymous.Limit, Period: p.Anonymous.Window}}
	}
	if s.db, s.repos, s.forge, err = openData(ctx, s.dataDir, cfg.Forge, s.log, cfg.Ephemeral ||
		cfg.Throwaway); err != nil {
		return err
	}
	if err := s.forge.Reconcile(ctx); err != nil {
		return fmt.Errorf("reconcile repositories: %w", err)
	}
	if s.bootstrap, err = s.forge.Accounts.EnsureRoot(ctx, cfg.AdminToken); err != nil {
		return fmt.Errorf("create administrator: %w", err)
	}
	if cfg.Fixture != "" {
		if err := LoadFixture(ctx, s.forge, cfg.Fixture); err != nil {
			return fmt.Errorf("fixture %s: %w", cfg.Fixture, err)
		}
	}
	if s.listener, err = net.Listen("tcp", cfg.Addr); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	s.url = listenURL(s.listener.Addr())
	base := strings.TrimRight(cfg.ExternalURL, "/")
	if base == "" {
		base = s.url
	}
	s.forge.Repositories.SetExternalURL(base)
	s.http = &http.Server{
		Handler:           s.handler(base),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	return nil
}

// OpenData opens the database and repository store of a data directory.
func OpenData(ctx context.Context, dir string, cfg forge.Config, log *slog.Logger) (*db.DB, *gitstore.Store,
	*forge.Service, error) {
	return openData(ctx, dir, cfg, log, false)
}

func openData(ctx context.Context, dir string, cfg forge.Config, log *slog.Logger, throwaway bool) (*db.DB,
	*gitstore.Store, *forge.Service, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, nil, fmt.Errorf("create data directory: %w", err)
	}
	d, err := db.OpenWith(ctx, filepath.Join(dir, "cairn.db"), db.Options{Throwaway: throwaway})
	if err != nil {
		return nil, nil, nil, err
	}
	repos, err := gitstore.New(filepath.Join(dir, "repositories"))
	if err != nil {
		d.Close()
		return nil, nil, nil, err
	}
	files, err := filestore.New(filepath.Join(dir, "uploads"))
	if err != nil {
		d.Close()
		return nil, nil, nil, err
	}
	return d, repos, forge.New(d, repos, cfg, forge.Options{Logger: log, Files: files}), nil
}

// policies are the rate limits the server starts with.
func (s *Server) policies() api.Policies {
	if s.cfg.RateLimits != nil {
		return *s.cfg.RateLimits
	}
	return api.DefaultPolicies()
}

// handler assembles every dialect under its prefix.
func (s *Server) handler(base string) http.Handler {
	core := &api.Core{
		Forge:          s.forge,
		Log:            s.log,
		BaseURL:        base,
		MaxBody:        s.cfg.MaxBody,
		TrustedProxies: s.cfg.TrustedProxies,
	}
	if !s.cfg.NoRateLimit {
		core.Limits = api.NewLimiter(s.policies(), nil)
		// The limits administrators set through /application/settings outlive restarts and
		// take effect at once.
		if auth, anon, set, err := s.forge.Instance.APIRateLimits(context.Background()); err != nil {
			s.log.Error("read rate-limit settings", "err", err)
		} else if set {
			core.Limits.SetAPIRates(auth, anon)
		}
		s.forge.Instance.OnAPIRateLimitsChange(core.Limits.SetAPIRates)
	}
	v4 := gitlab.New(core, 4, s.cfg.Version)
	v3 := gitlab.New(core, 3, s.cfg.Version)
	openCodeHub := opencodehub.New(core)
	gitClear := gitclear.New(core)
	git := githttp.New(core, s.repos, s.cfg.Version, s.cfg.MaxPushSize)
	gitdevAPI := gitdev.New(core)
	gitarAPI := gitar.New(core, s.cfg.Version)
	pages := web.New(core)
	files := uploads.New(core)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		switch {
		case hasPrefix(p, "/api/v1"):
			// GitClear, before the other /api dialects: OpenCodeHub takes the rest of /api.
			gitClear.ServeHTTP(w, r)
		case hasPrefix(p, "/api/v4"):
			v4.ServeHTTP(w, r)
		case hasPrefix(p, "/api/v3"):
			v3.ServeHTTP(w, r)
		case hasPrefix(p, gitar.Prefix):
			// Gitar, before .git, which takes the rest of /v1.
			gitarAPI.ServeHTTP(w, r)
		case hasPrefix(p, "/v1"):
			gitdevAPI.ServeHTTP(w, r)
		case hasPrefix(p, "/api"):
			// After every /api/vN dialect: OpenCodeHub takes the rest of /api.
			openCodeHub.ServeHTTP(w, r)
		case githttp.IsGitPath(r.URL.EscapedPath()):
			git.ServeHTTP(w, r)
		case uploads.IsUploadPath(r.URL.EscapedPath()):
			files.ServeHTTP(w, r)
		case p == "/-/health" || p == "/-/readiness" || p == "/-/liveness":
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			_, _ = io.WriteString(w, "OK\n")
		default:
			// The pages take everything else, their own "not found" included.
			pages.ServeHTTP(w, r)
		}
	})
}

// hasPrefix reports whether path is prefix or below it.
func hasPrefix(path, prefix string) bool {
	return path == prefix || strings.HasPrefix(path, prefix+"/")
}

func listenURL(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return "http://" + addr.String()
	}
	host := tcp.IP.String()
	if tcp.IP.IsUnspecified() {
		host = "127.0.0.1"
		if tcp.IP.To4() == nil {
			host = "[::1]"
		}
	} else if tcp.IP.To4() == nil {
		host = "[" + host + "]"
	}
	return fmt.Sprintf("http://%s:%d", host, tcp.Port)
}

// URL is the address the server listens on.
func (s *Server) URL() string { return s.url }

// DataDir is where the instance keeps its data.
func (s *Server) DataDir() string { return s.dataDir }

// Forge is the instance's domain service.
func (s *Server) Forge() *forge.Service { return s.forge }

// Handler is the instance's HTTP handler.
func (s *Server) Handler() http.Handler { return s.http.Handler }

// Bootstrap is what the first start created (password and token to show once).
func (s *Server) Bootstrap() forge.Bootstrap { return s.bootstrap }

// Serve answers requests until ctx is done, then stops accepting, lets in-flight requests
// finish (bounded by the shutdown timeout) and closes the data cleanly.
func (s *Server) Serve(ctx context.Context) error {
	s.announce()
	if err := s.writeReadyFile(); err != nil {
		return err
	}
	s.forge.Ready()
	errc := make(chan error, 1)
	go func() { errc <- s.http.Serve(s.listener) }()
	select {
	case err := <-errc:
		s.Close()
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	err := s.http.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		s.log.Warn("in-flight requests did not finish in time; closing them")
		err = s.http.Close()
	}
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	return err
}

// announce prints, once, how to sign in to a new instance.
func (s *Server) announce() {
	b := s.bootstrap
	if !b.Created {
		return
	}
	fmt.Fprintf(s.cfg.Out, "cairn: first start; created the administrator %q.\n", forge.RootUsername)
	fmt.Fprintf(s.cfg.Out, "  password:    %s\n", b.Password)
	if b.Token != "" {
		fmt.Fprintf(s.cfg.Out, "  admin token: %s\n", b.Token)
	}
	fmt.Fprintln(s.cfg.Out, "  These are shown only now; keep them somewhere safe.")
}

// readyInfo is the content of the ready file.
type readyInfo struct {
	URL        string `json:"url"`
	APIURL     string `json:"api_url"`
	DataDir    string `json:"data_dir"`
	PID        int    `json:"pid"`
	AdminToken string `json:"admin_token,omitempty"`
}

func (s *Server) writeReadyFile() error {
	if s.cfg.ReadyFile == "" {
		return nil
	}
	token := s.cfg.AdminToken
	if token == "" {
		token = s.bootstrap.Token
	}
	info := readyInfo{URL: s.url, APIURL: s.url + "/api/v4", DataDir: s.dataDir, PID: os.Getpid(), AdminToken: token}
	data, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return err
	}
	tmp := s.cfg.ReadyFile + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("write ready file: %w", err)
	}
	if err := os.Rename(tmp, s.cfg.ReadyFile); err != nil {
		return fmt.Errorf("write ready file: %w", err)
	}
	return nil
}

// Close releases everything: the listener, background work, the database (checkpointed), and
// an ephemeral data directory. It is safe to call more than once, and on a nil Server.
func (s *Server) Close() error {
	if s == nil || s.closed {
		return nil
	}
	s.closed = true
	var errs []error
	if s.listener != nil {
		s.listener.Close()
	}
	if s.forge != nil {
		s.forge.Close()
	}
	if s.repos != nil {
		s.repos.WaitBackground() // bitmaps being written after a push
	}
	if s.db != nil {
		if err := s.db.Checkpoint(context.Background()); err != nil {
			errs = append(errs, err)
		}
		errs = append(errs, s.db.Close())
	}
	if s.cfg.Ephemeral && s.dataDir != "" {
		errs = append(errs, os.RemoveAll(s.dataDir))
	}
	return errors.Join(errs...)
}

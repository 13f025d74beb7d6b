package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
	"github.com/cairn-forge/cairn/server"
)

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", "cairn serve [flags]", stderr)
	cfg := server.Config{Version: version, Out: stderr}
	fs.StringVar(&cfg.Addr, "addr", ":3000", "address to listen on (127.0.0.1:0 picks a free port)")
	fs.StringVar(&cfg.DataDir, "data-dir", "./cairn-data", "directory holding the database and repositories")
	fs.BoolVar(&cfg.Ephemeral, "ephemeral", false, "keep data in a new temporary directory, removed at exit")
	fs.StringVar(&cfg.ReadyFile, "ready-file", "", "once listening, write {\"url\": ...} to this file")
	fs.StringVar(&cfg.AdminToken, "admin-token", "",
		"make this a token of root with scopes api, sudo, admin_mode, admin")
	fs.StringVar(&cfg.Fixture, "fixture", "", "load users, groups, projects and tokens from this JSON fixture file")
	fs.StringVar(&cfg.Fixture, "seed", "", "the former name of -fixture")
	fs.StringVar(&cfg.ExternalURL, "external-url", "", "base of every URL in responses (default: the URL listened on)")
	logFormat := fs.String("log-format", "text", "log format: text or json")
	fs.BoolVar(&cfg.NoRateLimit, "no-rate-limit", false, "turn every rate limit off")
	fs.BoolVar(&cfg.Forge.AllowPermanentTokens, "allow-permanent-tokens", false, "allow tokens without an expiry date")
	fs.DurationVar(&cfg.ShutdownTimeout, "shutdown-timeout", 10*time.Second,
		"how long in-flight requests may finish at stop")
	fs.Var(lineList[forge.DeployCommand]{&cfg.Forge.DeployCommands, forge.ParseDeployCommand}, "deploy-command",
		"SCOPE:ENV=COMMAND: deploy the projects of SCOPE (a project's path, GROUP/* or *) to environment ENV\n"+
			"by running COMMAND (sh -c) in a checkout, as the server's user; repeatable (CAIRN_DEPLOY_COMMAND: one per line)")
	fs.DurationVar(&cfg.Forge.DeployTimeout, "deploy-timeout", 10*time.Minute,
		"time limit of one run of a deploy command")
	fs.Var((*trustedProxies)(&cfg.TrustedProxies), "trusted-proxy",
		"CIDR of a reverse proxy whose X-Forwarded-For (or X-Real-IP) names the client; repeatable\n"+
			"(CAIRN_TRUSTED_PROXY: comma-separated). Without it, every request's address is its peer's")
	fs.Var(lineList[forge.ExternalAgent]{&cfg.Forge.Agents, parseExternalAgent(&cfg.Forge.Agents)}, "agent",
		"NAME=COMMAND: register an external agent that runs COMMAND (sh -c) in a checkout of the run's ref,\n"+
			"as the server's user; repeatable (CAIRN_AGENT: one per line)")
	fs.DurationVar(&cfg.Forge.AgentTimeout, "agent-timeout", 10*time.Minute, "time limit of one agent run")
	fs.IntVar(&cfg.Forge.AgentWorkers, "agent-workers", 2, "how many agent runs go at once")
	maxPushMiB := fs.Int64("max-push-size", 2048, "largest pack one git push may send, in MiB (0: no limit)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case cfg.Forge.AgentTimeout <= 0:
		return fmt.Errorf("--agent-timeout must be positive, not %s", cfg.Forge.AgentTimeout)
	case cfg.Forge.AgentWorkers < 1:
		return fmt.Errorf("--agent-workers must be at least 1, not %d", cfg.Forge.AgentWorkers)
	case *maxPushMiB < 0:
		return fmt.Errorf("--max-push-size must be 0 (no limit) or more, not %d", *maxPushMiB)
	case *maxPushMiB == 0:
		cfg.MaxPushSize = -1
	default:
		cfg.MaxPushSize = *maxPushMiB << 20
	}
	switch *logFormat {
	case "text":
		cfg.Logger = slog.New(slog.NewTextHandler(stderr, nil))
	case "json":
		cfg.Logger = slog.New(slog.NewJSONHandler(stderr, nil))
	default:
		return fmt.Errorf("--log-format must be text or json, not %q", *logFormat)
	}
	if cfg.Ephemeral {
		cfg.DataDir = ""
	}
	cfg.Forge.DefaultBranch = "main"
	tuneGC()
	srv, err := server.Open(ctx, cfg)
	if err != nil {
		return err
	}
	cfg.Logger.Info("cairn listening", "url", srv.URL(), "data_dir", srv.DataDir(), "version", version)
	return srv.Serve(ctx)
}

// tuneGC lets the heap grow further between collections than Go's default: a request
// allocates its JSON and rows and drops them at once, and the live heap is small, so the
// default collects almost continuously under load. A soft memory limit keeps large
// transfers in check. GOGC and GOMEMLIMIT, when set, win.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(1 << 30)
	}
}

// scopeList reads a comma-separated list of scopes.
func scopeList(s string) ([]string, error) {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		sc, ok := forge.ParseScope(part)
		if !ok {
			return nil, fmt.Errorf("unknown scope %q (known: %s)", part, strings.Join(forge.AllScopes, ", "))
		}
		out = append(out, sc)
	}
	return out, nil
}

// lineList is a repeatable flag whose values parse reads. One value may hold several, one
// per line, so that its CAIRN_ variable can set more than one. Each value must have a name
// of its own.
type lineList[T interface{ String() string }] struct {
	list  *[]T
	parse func(string) (T, error)
}

func (l lineList[T]) String() string {
	if l.list == nil {
		return ""
	}
	names := make([]string, 0, len(*l.list))
	for _, v := range *l.list {
		names = append(names, v.String())
	}
	return strings.Join(names, ",")
}

func (l lineList[T]) Set(v string) error {
	for _, line := range strings.Split(v, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		item, err := l.parse(line)
		if err != nil {
			return err
		}
		*l.list = append(*l.list, item)
	}
	return nil
}

// parseExternalAgent reads an --agent value, refusing a name given twice in this run.
func parseExternalAgent(seen *[]forge.ExternalAgent) func(string) (forge.ExternalAgent, error) {
	return func(s string) (forge.ExternalAgent, error) {
		a, err := forge.ParseExternalAgent(s)
		if err != nil {
			return a, err
		}
		for _, prev := range *seen {
			if prev.Name == a.Name {
				return a, fmt.Errorf("agent %q is registered twice", a.Name)
			}
		}
		return a, nil
	}
}

// trustedProxies is the repeatable --trusted-proxy CIDR flag; one value may hold several,
// comma-separated, so that CAIRN_TRUSTED_PROXY can set more than one.
type trustedProxies []netip.Prefix

func (t *trustedProxies) String() string {
	if t == nil {
		return ""
	}
	names := make([]string, 0, len(*t))
	for _, p := range *t {
		names = append(names, p.String())
	}
	return strings.Join(names, ",")
}

func (t *trustedProxies) Set(v string) error {
	ps, err := api.ParseTrustedProxies(v)
	if err != nil {
		return err
	}
	*t = append(*t, ps...)
	return nil
}

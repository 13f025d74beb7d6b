// Package forge is cairn's domain: its types and services. Every rule lives here, once: who
// may see or change what, token issuance and scopes, path rules, and the lifecycle of projects
// and their repositories. Dialects and pages translate requests into forge calls.
//
// What forge returns is already what the actor may see, with what it may do: ProjectView's
// Access and Can… flags, UserView's SeesPrivate and CanEdit, members without the emails the
// actor may not read. A dialect or page compares no access levels. Its sub-packages import
// nothing of it: model holds its types (what a user, a project, a release is), datetime reads
// dates, process runs commands, secretscan finds credentials.
package forge

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cairn-forge/cairn/db"
	"github.com/cairn-forge/cairn/forge/model"
	"github.com/cairn-forge/cairn/forge/process"
	"github.com/cairn-forge/cairn/gitstore"
	"github.com/cairn-forge/cairn/markup"
	"golang.org/x/crypto/bcrypt"
)

// Domain types are the model's: db fills them, forge gives them their rules.
type (
	User      = model.User
	Namespace = model.Namespace
	Project   = model.Project
	Member    = model.Member
	Token     = model.Token
)

// Access levels, as GitLab numbers them.
const (
	NoAccess   = 0
	Minimal    = 5
	Guest      = 10
	Reporter   = 20
	Developer  = 30
	Maintainer = 40
	Owner      = 50
	// AdminAccess stands above Owner: an instance administrator may do anything.
	AdminAccess = 60
)

// Visibility levels of projects and groups.
const (
	Private  = "private"
	Internal = "internal"
	Public   = "public"
)

// Repos is what forge needs of the repository store; tests substitute failing ones.
type Repos interface {
	Create(id int64, opts gitstore.InitOptions) error
	Stage(opts gitstore.InitOptions) (gitstore.Staged, error)
	Publish(st gitstore.Staged, id int64) error
	Discard(st gitstore.Staged) error
	Delete(id int64) error
	Exists(id int64) bool
	IDs() ([]int64, error)
	Sweep() error
	RemoveStaleLocks(before time.Time) ([]string, error)
	SetHead(id int64, branch string) error
	SummarizeUpdates(ctx context.Context, id int64, updates []gitstore.RefUpdate,
		limit int) ([]gitstore.PushSummary, error)
	OpenRepo(id int64) (*gitstore.Repo, error)
	UpdateRefs(id int64, updates []gitstore.RefUpdate) error
	WriteSnapshot(ctx context.Context, id int64, w io.Writer) error
	StageFork(src int64, head string, branches []string) (gitstore.Staged, error)
}

// Config holds the instance's settings that rules depend on.
type Config struct {
	// DefaultBranch names the first branch of new repositories.
	DefaultBranch string
	// TokenLifetime is how long a token lives when its creator names no expiry.
	TokenLifetime time.Duration
	// AllowPermanentTokens lets tokens be created without an expiry date.
	AllowPermanentTokens bool
	// NoRateLimit says the server runs without rate limits, which settings cannot turn on.
	NoRateLimit bool
	// APIRateLimits are the API's limits per user and per address the server started with,
	// until an administrator changes them (DefaultAPIRateLimits when zero).
	APIRateLimits [2]RateLimit
	// PasswordCost is the bcrypt cost of password hashes.
	PasswordCost int
	// DeployCommands are the shell commands (sh -c) the server runs to deploy projects to
	// environments; deployments no command covers are moved through the API.
	DeployCommands []DeployCommand
	// DeployTimeout bounds one run of a deploy command (default 10 minutes).
	DeployTimeout time.Duration
	// DeployWorkers is how many deploy commands run at once (default 2).
	DeployWorkers int
	// DeployDir is where deploy commands get their temporary checkouts (default: the
	// system's temporary directory).
	DeployDir string
	// Agents are the external agents the administrator registered.
	Agents []ExternalAgent
	// AgentTimeout bounds one run of an agent (default 10 minutes); an external agent may
	// have its own.
	AgentTimeout time.Duration
	// AgentWorkers is how many agent runs go at once (default 2).
	AgentWorkers int
	// AgentDir is where external agents get their temporary checkouts (default: the
	// system's temporary directory).
	AgentDir string
}

// Service is the forge: every operation of cairn's domain.
type Service struct {
	// The operations, by sub-domain (services.go).
	Access       *Access
	Accounts     *Accounts
	Projects     *Projects
	Repositories *Repositories
	Issuables    *Issuables
	Delivery     *Delivery
	Agents       *Agents
	Instance     *Instance

	db    *db.DB
	repos Repos
	cfg   Config
	now   func() time.Time
	rand  io.Reader
	log   *slog.Logger
	// runner runs deploy commands and external agents.
	runner process.Runner
	bg     sync.WaitGroup
	// touched holds, per token id, when a request last claimed writing its last-used time.
	touched sync.Map
	// passwords is held while the root password of a first start is being hashed.
	passwords sync.RWMutex
	// readied is closed once the instance is ready (Ready), a password is checked, or the
	// service closes: work held back so as not to slow a start waits for it.
	readied   chan struct{}
	readyOnce sync.Once
	// delivery holds the deploy runner and the locks of deployments' environments.
	delivery *deliveryState
	// agents holds the agent runner.
	agents *agentState
	// external is the URL the instance is reached at.
	external instanceURL
	// files keeps the bytes of uploads; nil refuses them.
	files Files
	// markdown renders texts for the API as the pages do, headings at the level written.
	markdown markup.Renderer
	// rateLimitsChanged, when set, applies new API rate limits to the running server.
	rateLimitsChanged atomic.Pointer[func(authenticated, anonymous RateLimit)]
	// started is when the service was made, on the system's clock (not Now): lock files in
	// the repositories older than it belong to processes that have died.
	started time.Time
	// broadcasts caches the broadcast messages every page shows.
	broadcasts broadcastCache
}

// Options are the service's collaborators; zero values get sensible defaults.
type Options struct {
	Now    func() time.Time
	Rand   io.Reader
	Logger *slog.Logger
	// Files keeps uploads (attachments, avatars); without it they are refused.
	Files Files
	// Runner runs deploy commands and external agents; process.Exec by default.
	Runner process.Runner
}

// New returns the forge service over a database and a repository store.
func New(d *db.DB, repos Repos, cfg Config, opts Options) *Service {
	if cfg.DefaultBranch == "" {
		cfg.DefaultBranch = "main"
	}
	if cfg.TokenLifetime == 0 {
		cfg.TokenLifetime = 30 * 24 * time.Hour
	}
	if cfg.PasswordCost == 0 {
		cfg.PasswordCost = bcrypt.DefaultCost
	}
	if cfg.APIRateLimits[0].Requests == 0 || cfg.APIRateLimits[1].Requests == 0 {
		cfg.APIRateLimits = DefaultAPIRateLimits
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Rand == nil {
		opts.Rand = rand.Reader
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Runner == nil {
		opts.Runner = process.Exec{}
	}
	if cfg.DeployTimeout <= 0 {
		cfg.DeployTimeout = 10 * time.Minute
	}
	if cfg.DeployWorkers <= 0 {
		cfg.DeployWorkers = 2
	}
	if cfg.AgentTimeout <= 0 {
		cfg.AgentTimeout = 10 * time.Minute
	}
	if cfg.AgentWorkers <= 0 {
		cfg.AgentWorkers = 2
	}
	s := &Service{
		db:      d,
		repos:   repos,
		cfg:     cfg,
		now:     opts.Now,
		rand:    opts.Rand,
		log:     opts.Logger,
		files:   opts.Files,
		runner:  opts.Runner,
		started: time.Now(),
		readied: make(chan struct{}),
	}
	s.wire()
	s.markdown.KeepHeadings = true
	s.delivery = newDeliveryState(s, cfg.DeployWorkers)
	s.agents = newAgentState(s, cfg.AgentWorkers)
	return s
}

// Config returns the service's settings.
func (s *Service) Config() Config { return s.cfg }

// Now is the service's clock, in UTC.
func (s *Service) Now() time.Time { return s.now().UTC() }

// Close waits for background work (password hashing at first start) to finish, and stops
// the deploy commands still running (their deployments fail) and the agents (their runs are
// queued again or fail, as after a crash).
func (s *Service) Close() {
	s.ready()
	s.delivery.pool.close()
	s.agents.pool.close()
	s.bg.Wait()
}

// Ready tells the service that the instance is ready and answering: work held back so that
// the start is not slowed (hashing a first start's root password, tens of milliseconds of CPU)
// begins.
func (s *Service) Ready() { s.ready() }

func (s *Service) ready() { s.readyOnce.Do(func() { close(s.readied) }) }

// Reconcile makes the database and the repositories agree after a crash: a repository without
// its project is removed, a project without a repository gets an empty one, scratch
// directories of interrupted operations are cleared, git's lock files that a dead process left
// in the repositories are removed, and merge requests whose merges were interrupted are opened
// again. It runs before the server listens.
func (s *Service) Reconcile(ctx context.Context) error {
	if err := s.repos.Sweep(); err != nil {
		return err
	}
	removed, err := s.repos.RemoveStaleLocks(s.started)
	for _, path := range removed {
		s.log.Warn("removed a lock file left by a process that stopped", "path", path)
	}
	if err != nil {
		return err
	}
	onDisk, err := s.repos.IDs()
	if err != nil {
		return err
	}
	inDB, err := db.ProjectIDs(ctx, s.db.Read)
	if err != nil {
		return fmt.Errorf("list projects: %w", err)
	}
	known := make(map[int64]bool, len(inDB))
	for _, id := range inDB {
		known[id] = true
	}
	for _, id := range onDisk {
		if !known[id] {
			s.log.Warn("removing repository without a project", "project_id", id)
			if err := s.repos.Delete(id); err != nil {
				return err
			}
		}
	}
	for _, id := range inDB {
		if !s.repos.Exists(id) {
			p, err := db.ProjectByID(ctx, s.db.Read, id)
			if err != nil {
				return fmt.Errorf("project %d: %w", id, err)
			}
			s.log.Warn("recreating missing repository", "project_id", id)
			if err := s.repos.Create(id, gitstore.InitOptions{DefaultBranch: p.DefaultBranch}); err != nil {
				return err
			}
		}
	}
	if err := s.releaseMergeLocks(ctx); err != nil {
		return err
	}
	if err := s.recoverDeployments(ctx); err != nil {
		return err
	}
	return s.recoverAgentRuns(ctx)
}

// notFoundAs turns db.ErrNotFound into a forge not-found error for resource.
func notFoundAs(err error, resource Resource) error {
	if errors.Is(err, db.ErrNotFound) {
		return NotFound(resource)
	}
	return err
}

// takenAs turns a uniqueness violation into a conflict on fields.
func takenAs(err error, fields ...string) error {
	if errors.Is(err, db.ErrConstraint) {
		return Taken(fields...)
	}
	return err
}

func (s *Service) hashPassword(pw string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(pw), s.cfg.PasswordCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

package forge

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/cairn-forge/cairn/db"
)

// Token scopes. The seeds' names for them are aliases (see ParseScope).
const (
	ScopeAPI             = "api"
	ScopeReadAPI         = "read_api"
	ScopeReadUser        = "read_user"
	ScopeReadRepository  = "read_repository"
	ScopeWriteRepository = "write_repository"
	ScopeRepo            = "repo"
	ScopePR              = "pr"
	ScopeTracksWrite     = "tracks_write"
	ScopeSudo            = "sudo"
	ScopeAdminMode       = "admin_mode"
	ScopeAdmin           = "admin"
)

// AllScopes lists every scope, in the order they are documented.
var AllScopes = []string{ScopeAPI, ScopeReadAPI, ScopeReadUser, ScopeReadRepository,
	ScopeWriteRepository, ScopeRepo, ScopePR, ScopeTracksWrite, ScopeSudo, ScopeAdminMode, ScopeAdmin}

// ParseScope returns the scope named s, accepting the seeds' aliases ("Read Only",
// "Administrator", "TracksWrite"); ok is false for an unknown name.
func ParseScope(s string) (string, bool) {
	k := strings.ToLower(strings.NewReplacer(" ", "_", "-", "_").Replace(strings.TrimSpace(s)))
	switch k {
	case "read_only", "readonly":
		return ScopeReadAPI, true
	case "administrator":
		return ScopeAdmin, true
	case "trackswrite":
		return ScopeTracksWrite, true
	}
	for _, sc := range AllScopes {
		if k == sc {
			return sc, true
		}
	}
	return "", false
}

// Need is a kind of access an operation requires of the caller's token.
type Need int

// The kinds of access; each scope grants some of them (scopeGrants).
const (
	NeedRead      Need = iota // read anything through the API
	NeedWrite                 // change anything through the API
	NeedReadUser              // read users
	NeedReadCode              // read repositories through the API: trees, blobs, commits, archives…
	NeedWriteCode             // change repositories through the API: commits, files, branches, tags
	NeedProjects              // create, change and delete projects
	NeedPulls                 // read and write merge requests
	NeedAgents                // run agents
	NeedReadPulls             // read merge requests
	NeedReadFiles             // read files through the repository files API: a file, its raw bytes, its blame
	NeedFetch                 // fetch repositories over git
	NeedPush                  // push to repositories over git
	needCount
)

// neededScope is the scope an insufficient_scope error names for each need.
var neededScope = [needCount]string{ScopeReadAPI, ScopeAPI, ScopeReadUser, ScopeReadAPI,
	ScopeAPI, ScopeAPI, ScopeAPI, ScopeTracksWrite, ScopeReadAPI, ScopeReadRepository,
	ScopeReadRepository, ScopeWriteRepository}

// scopeGrants lists what a scope allows. The reach of the repository scopes is GitLab's:
// read_repository fetches over git and reads the repository files API (files, raw files,
// blame) and nothing else of the API; write_repository fetches and pushes over git, nothing of
// the API. Merge requests are read with the API's scopes or pr, not with repo (repositories
// and git) or tracks_write (agents).
func scopeGrants(scope string) []Need {
	switch scope {
	case ScopeAPI, ScopeAdmin:
		return []Need{NeedRead, NeedWrite, NeedReadUser, NeedReadCode, NeedWriteCode, NeedProjects, NeedPulls,
			NeedAgents,
			NeedReadPulls, NeedReadFiles, NeedFetch, NeedPush}
	case ScopeReadAPI:
		return []Need{NeedRead, NeedReadUser, NeedReadCode, NeedReadPulls, NeedReadFiles, NeedFetch}
	case ScopeReadUser:
		return []Need{NeedReadUser}
	case ScopeReadRepository:
		return []Need{NeedReadFiles, NeedFetch}
	case ScopeWriteRepository:
		return []Need{NeedFetch, NeedPush}
	case ScopeRepo:
		return []Need{NeedRead, NeedReadUser, NeedReadCode, NeedWriteCode, NeedProjects, NeedReadFiles,
			NeedFetch, NeedPush}
	case ScopePR:
		return []Need{NeedRead, NeedReadUser, NeedPulls, NeedReadPulls}
	case ScopeTracksWrite:
		return []Need{NeedRead, NeedReadUser, NeedAgents}
	}
	return nil
}

// Actor is who makes a request: a signed-in user with the token they used, or nobody.
type Actor struct {
	// User is nil for anonymous requests.
	User *User
	// Token is nil for anonymous requests and web sessions.
	Token *Token
	// Sudoer is the administrator acting as User through sudo, if any.
	Sudoer *User
	// IP is the client's address, for the audit log.
	IP string
	// Deploy is the deploy token of a request that presented one: no user, access to the
	// repositories the token covers, and nothing else.
	Deploy *DeployToken

	access *db.UserAccess
	// session is the hash of the web session's secret, for a session's actor.
	session []byte
	// csrf is the token the session's writes must echo.
	csrf string
}

// CSRFToken is the token a web session's forms and writes must echo; "" for token callers
// and anonymous ones.
func (a *Actor) CSRFToken() string {
	if a == nil {
		return ""
	}
	return a.csrf
}

// Anonymous is the actor of requests without credentials.
func Anonymous(ip string) *Actor { return &Actor{IP: ip} }

// SignedIn reports whether the actor is a user.
func (a *Actor) SignedIn() bool { return a != nil && a.User != nil }

// UserID is the actor's user id, 0 when anonymous.
func (a *Actor) UserID() int64 {
	if !a.SignedIn() {
		return 0
	}
	return a.User.ID
}

// IsAdmin reports whether the actor is an instance administrator.
func (a *Actor) IsAdmin() bool { return a.SignedIn() && a.User.IsAdmin }

// HasScope reports whether the actor's token carries scope; sessions carry every scope.
func (a *Actor) HasScope(scope string) bool {
	if a.Token == nil {
		return true
	}
	for _, s := range a.Token.Scopes {
		if s == scope {
			return true
		}
	}
	return false
}

// Require checks that the actor's token grants need: nil, or an insufficient-scope error.
// Anonymous callers pass; what they may see is decided by visibility.
func (a *Actor) Require(need Need) error {
	if a == nil || a.Token == nil {
		return nil
	}
	for _, s := range a.Token.Scopes {
		for _, n := range scopeGrants(s) {
			if n == need {
				return nil
			}
		}
	}
	return InsufficientScope(neededScope[need])
}

// requireUser checks that the actor is signed in and its token grants need.
func (a *Actor) requireUser(need Need) error {
	if !a.SignedIn() {
		return Unauthorized("")
	}
	return a.Require(need)
}

// requireAdmin checks that the actor is a signed-in administrator whose token grants need.
func (a *Actor) requireAdmin(need Need) error {
	if err := a.requireUser(need); err != nil {
		return err
	}
	if !a.User.IsAdmin {
		return Forbidden()
	}
	return nil
}

// HashToken is how token secrets are stored: their SHA-256.
func HashToken(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// tokenTouchInterval bounds how often a token's last-used time is written.
const tokenTouchInterval = time.Minute

// Authenticate returns the actor a token secret stands for. Unknown, expired and revoked
// tokens and blocked users are unauthorized, each with its reason, and audited.
func (s *Access) Authenticate(ctx context.Context, secret, ip string) (*Actor, error) {
	return s.authenticate(ctx, secret, ip, true)
}

// AuthenticateUnaudited is Authenticate without the audit of failures, for a check made past
// the client address's budget of failures (an IssuedToken is checked even then): such a
// failure is refused as rate limited, and recording each would let a flood of them fill the
// log, which the budget's own failures already tell of.
func (s *Access) AuthenticateUnaudited(ctx context.Context, secret, ip string) (*Actor, error) {
	return s.authenticate(ctx, secret, ip, false)
}

// issuedTokenLength is the length of the tokens CreateToken issues: the prefix and 20 random
// bytes in base32.
var issuedTokenLength = len(TokenPrefix) + secretEncoding.EncodedLen(20)

// IssuedToken reports whether secret has the shape of the tokens cairn issues: the prefix
// and 160 random bits, which no rate of guessing can find. Secrets an operator or a fixture
// chose (--admin-token, seeds) may be weaker, and are not in that shape.
func IssuedToken(secret string) bool {
	if len(secret) != issuedTokenLength || !strings.HasPrefix(secret, TokenPrefix) {
		return false
	}
	for _, c := range secret[len(TokenPrefix):] {
		if (c < 'a' || c > 'z') && (c < '2' || c > '7') {
			return false
		}
	}
	return true
}

func (s *Service) authenticate(ctx context.Context, secret, ip string, audit bool) (*Actor, error) {
	tok, u, err := db.TokenAndUserByHash(ctx, s.db.Read, HashToken(secret))
	if errors.Is(err, db.ErrNotFound) {
		if a, derr := s.authenticateDeployToken(ctx, secret, ip); !errors.Is(derr, db.ErrNotFound) {
			return a, derr
		}
		if audit {
			s.audit(ctx, Anonymous(ip), "token_auth_failed", "", 0, "unknown token")
		}
		return nil, Unauthorized("")
	}
	if err != nil {
		return nil, err
	}
	now := s.Now()
	var reason string
	switch {
	case tok.RevokedAt != nil:
		reason = ReasonTokenRevoked
	case tok.ExpiresAt != nil && !now.Before(*tok.ExpiresAt):
		reason = ReasonTokenExpired
	case u.State != "active":
		reason = "user_" + u.State
	}
	if reason != "" {
		if audit {
			s.audit(ctx, Anonymous(ip), "token_auth_failed", "token", tok.ID, reason)
		}
		if reason == ReasonTokenRevoked || reason == ReasonTokenExpired {
			return nil, Unauthorized(reason)
		}
		return nil, Unauthorized("")
	}
	if (tok.LastUsedAt == nil || now.Sub(*tok.LastUsedAt) >= tokenTouchInterval) && s.claimTouch(tok.ID, now) {
		err := s.db.Write(ctx, func(tx *sql.Tx) error { return db.TouchToken(ctx, tx, tok.ID, now) })
		if err != nil {
			return nil, err
		}
		tok.LastUsedAt = &now
	}
	return &Actor{User: &u, Token: &tok, IP: ip}, nil
}

// claimTouch lets one of the requests that find a token's last-used time stale write it;
// without it every request in flight at that moment would.
func (s *Service) claimTouch(tokenID int64, now time.Time) bool {
	for {
		prev, loaded := s.touched.LoadOrStore(tokenID, now)
		if !loaded {
			return true
		}
		if now.Sub(prev.(time.Time)) < tokenTouchInterval {
			return false
		}
		if s.touched.CompareAndSwap(tokenID, prev, now) {
			return true
		}
	}
}

// Sudo returns an actor acting as the user named by who (an id or a username) on behalf of a.
// Only administrators whose token has the sudo (or admin) scope may do it.
func (s *Access) Sudo(ctx context.Context, a *Actor, who string) (*Actor, error) {
	if !a.SignedIn() {
		return nil, Unauthorized("")
	}
	if !a.User.IsAdmin {
		return nil, &Error{Code: EForbidden, Reason: ReasonSudoNotAdmin, Message: "Must be admin to use sudo"}
	}
	if a.Token == nil {
		// As GitLab: a session cookie, which a page on another site may ride, never sudoes.
		return nil, &Error{Code: EForbidden, Reason: ReasonSudoNeedsToken,
			Message: "Must be authenticated using an OAuth or Personal Access Token to use sudo"}
	}
	if !a.HasScope(ScopeSudo) && !a.HasScope(ScopeAdmin) {
		return nil, InsufficientScope(ScopeSudo)
	}
	who = strings.TrimSpace(who)
	var u User
	var err error
	if id, perr := strconv.ParseInt(who, 10, 64); perr == nil {
		u, err = db.UserByID(ctx, s.db.Read, id)
	} else {
		u, err = db.UserByUsername(ctx, s.db.Read, who)
	}
	if errors.Is(err, db.ErrNotFound) {
		return nil, &Error{Code: ENotFound, Reason: ReasonSudoUserNotFound, Params: []string{who},
			Resource: ResourceUser, Message: "No user id or username for: " + who}
	}
	if err != nil {
		return nil, err
	}
	if u.State != "active" {
		// A blocked user's own token is refused; acting as them would sidestep that.
		return nil, Forbiddenf("The user %s is %s and cannot be impersonated", u.Username, u.State)
	}
	s.audit(ctx, a, "sudo", "user", u.ID, "as "+u.Username)
	return &Actor{User: &u, Token: a.Token, Sudoer: a.User, IP: a.IP}, nil
}

// userAccess loads, once per actor, the access levels its memberships grant.
func (s *Service) userAccess(ctx context.Context, a *Actor) (*db.UserAccess, error) {
	if a.access != nil {
		return a.access, nil
	}
	acc, err := db.LoadUserAccess(ctx, s.db.Read, a.User.ID, s.Now())
	if err != nil {
		return nil, err
	}
	a.access = &acc
	return a.access, nil
}

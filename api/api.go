// Package api holds what every machine-facing dialect shares: request ids, logging, panic
// recovery, body limits, authentication from every carrier, sudo, rate limits, pagination,
// conditional GETs and error rendering through the dialect. Sub-packages translate one
// platform's wire format each.
package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/cairn-forge/cairn/forge"
)

// Dialect renders errors in one platform's documented shape.
type Dialect interface {
	// WriteError writes e as the dialect's error response.
	WriteError(w http.ResponseWriter, r *http.Request, e *forge.Error)
}

// Core is the shared machinery every dialect's handler is wrapped in.
type Core struct {
	Forge *forge.Service
	// Limits is nil when rate limiting is off.
	Limits *Limiter
	Log    *slog.Logger
	// BaseURL is the external URL every link in a response starts with, without a trailing '/'.
	BaseURL string
	// MaxBody bounds request bodies, in bytes.
	MaxBody int64
	// TrustedProxies are the address ranges of reverse proxies whose X-Forwarded-For and
	// X-Real-IP name the client; from anyone else those headers are ignored.
	TrustedProxies []netip.Prefix
}

type ctxKey struct{}

// request is what the core learns about a request and hands to handlers.
type request struct {
	id      string
	start   time.Time
	actor   *forge.Actor
	dialect Dialect
	// prefix is the dialect's mount point ("/api/v4"), for links.
	prefix string
}

func state(r *http.Request) *request {
	if st, ok := r.Context().Value(ctxKey{}).(*request); ok {
		return st
	}
	return &request{actor: forge.Anonymous(peerIP(r))}
}

// Actor is who makes the request; anonymous callers get an actor with no user.
func Actor(r *http.Request) *forge.Actor { return state(r).actor }

// RequestID is the request's X-Request-Id.
func RequestID(r *http.Request) string { return state(r).id }

// Prefix is the path the dialect serving r is mounted at.
func Prefix(r *http.Request) string { return state(r).prefix }

// Error renders err through the request's dialect; internal errors are logged once, here.
func (c *Core) Error(w http.ResponseWriter, r *http.Request, err error) {
	fe := forge.ErrorOf(err)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		fe = &forge.Error{Code: forge.ETooLarge, Message: "Request body too large"}
	}
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		return // the client went away; nobody is left to answer
	}
	if fe.Code == forge.EInternal {
		c.Log.Error("internal error", "request_id", RequestID(r), "method", r.Method, "path", r.URL.Path, "err", err)
	}
	st := state(r)
	if st.dialect == nil {
		http.Error(w, fe.Message, http.StatusInternalServerError)
		return
	}
	st.dialect.WriteError(w, r, fe)
}

// Options configure how the core wraps one dialect.
type Options struct {
	// Prefix is where the dialect is mounted ("/api/v4"); it is stripped before routing.
	Prefix string
	// Bucket is the rate-limit family of the dialect's requests.
	Bucket Bucket
	// UnlimitedBody lifts the body size limit, for handlers that stream large bodies
	// (git pushes) and bound them themselves.
	UnlimitedBody bool
	// CSRFField names the form field a session's writes may carry their CSRF token in, when
	// not in the X-CSRF-Token header: HTML forms cannot set headers.
	CSRFField string
}

// Wrap returns h wrapped in the core's middleware, answering errors in dialect d. The path
// h sees is the escaped path with opts.Prefix removed, so that %2F inside a segment survives
// routing; handlers unescape parameters through Params.
func (c *Core) Wrap(d Dialect, h http.Handler, opts Options) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := &request{id: newRequestID(), start: time.Now(), dialect: d, prefix: opts.Prefix}
		sw := &statusWriter{ResponseWriter: w, start: st.start}
		w = sw
		w.Header().Set("X-Request-Id", st.id)
		r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, st))
		st.actor = forge.Anonymous(c.clientIP(r))
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				c.Log.Error("panic", "request_id", st.id, "method", r.Method, "path", r.URL.Path,
					"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				if !sw.wrote {
					c.Error(w, r, fmt.Errorf("panic: %v", v))
				}
			}
			c.logRequest(r, sw, st)
		}()
		if r.Body != nil && c.MaxBody > 0 && !opts.UnlimitedBody {
			r.Body = http.MaxBytesReader(w, r.Body, c.MaxBody)
		}
		path := r.URL.EscapedPath()
		r.URL.Path = strings.TrimPrefix(path, opts.Prefix)
		if r.URL.Path == "" {
			r.URL.Path = "/"
		}
		r.URL.RawPath = ""
		if err := c.admit(w, r, st, opts); err != nil {
			c.Error(w, r, err)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// admit authenticates the request, applies sudo and charges the rate limit.
func (c *Core) admit(w http.ResponseWriter, r *http.Request, st *request, opts Options) error {
	ip := st.actor.IP
	secret, present, malformed := Credentials(r)
	if present {
		var actor *forge.Actor
		unguessable := malformed == nil && forge.IssuedToken(secret)
		err := c.GuardAuthentication(r.Context(), w, ip, unguessable, func(overBudget bool) (err error) {
			switch {
			case malformed != nil:
				return malformed
			case overBudget:
				actor, err = c.Forge.Access.AuthenticateUnaudited(r.Context(), secret, ip)
			default:
				actor, err = c.Forge.Access.Authenticate(r.Context(), secret, ip)
			}
			return err
		})
		if err != nil {
			return err
		}
		st.actor = actor
	} else if cookie, err := r.Cookie(SessionCookie); err == nil && cookie.Value != "" {
		csrf := r.Header.Get(CSRFHeader)
		if csrf == "" && opts.CSRFField != "" && !safeMethod(r.Method) {
			var mbe *http.MaxBytesError
			if err := r.ParseMultipartForm(maxFormMemory); errors.As(err, &mbe) {
				return err
			}
			csrf = r.PostForm.Get(opts.CSRFField)
		}
		actor, err := c.Forge.Access.SessionActor(r.Context(), cookie.Value, csrf, !safeMethod(r.Method), ip)
		if err != nil {
			return err
		}
		st.actor = actor
	}
	if c.Limits != nil {
		if err := c.Limits.Charge(w, st.actor, ip, opts.Bucket); err != nil {
			return err
		}
	}
	if who := sudoParam(r); who != "" {
		actor, err := c.Forge.Access.Sudo(r.Context(), st.actor, who)
		if err != nil {
			return err
		}
		st.actor = actor
	}
	return nil
}

// Session cookies: the seed's _gitlab_session holds the session's secret; writes made with it
// must echo the session's CSRF token (also given in CSRFCookie, readable by the page) in the
// X-CSRF-Token header.
const (
	SessionCookie = "_gitlab_session"
	CSRFCookie    = "_cairn_csrf"
	CSRFHeader    = "X-Csrf-Token"
)

// maxFormMemory is how much of a multipart form is held in memory; the rest goes to
// temporary files (the body limit bounds the whole).
const maxFormMemory = 8 << 20

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// GuardAuthentication runs check, a test of credentials (a token, or a password at sign-in),
// holding one of the address's authentication attempts while it runs; an unauthorized
// result spends the attempt. An address past its budget of failures is refused before its
// credentials are checked, unless they are unguessable (a token in the shape cairn issues):
// then check runs, told it is over the budget (it should not audit a failure), and a success
// passes while a failure is answered as rate limited. A correct token so works from an
// address whose other clients keep failing, and guessing learns nothing it could use: the
// budget still refuses every credential that can be guessed, passwords first of all.
func (c *Core) GuardAuthentication(ctx context.Context, w http.ResponseWriter, ip string, unguessable bool,
	check func(overBudget bool) error) error {
	if c.Limits == nil {
		return check(false)
	}
	begin := c.Limits.BeginAuth
	if unguessable {
		begin = c.Limits.BeginUnguessableAuth
	}
	attempt, err := begin(ctx, w, ip)
	if err != nil {
		return err
	}
	failed := true // a check that panics counts as failed, and still ends its attempt
	defer func() { attempt.Done(failed) }()
	err = check(attempt.Over())
	failed = forge.ErrorCode(err) == forge.EUnauthorized
	if failed && attempt.Over() {
		return attempt.Refusal(w)
	}
	return err
}

func sudoParam(r *http.Request) string {
	if v := r.Header.Get("Sudo"); v != "" {
		return v
	}
	return r.URL.Query().Get("sudo")
}

func (c *Core) logRequest(r *http.Request, sw *statusWriter, st *request) {
	if !c.Log.Enabled(r.Context(), slog.LevelInfo) {
		return
	}
	c.Log.LogAttrs(r.Context(), slog.LevelInfo, "request",
		slog.String("request_id", st.id),
		slog.String("method", r.Method),
		slog.String("path", st.prefix+r.URL.Path),
		slog.Int("status", sw.status),
		slog.Int64("bytes", sw.bytes),
		slog.Float64("duration_ms", float64(time.Since(st.start).Microseconds())/1000),
		slog.Int64("user_id", st.actor.UserID()),
		slog.String("ip", st.actor.IP))
}

// statusWriter records the status and size of a response and stamps X-Runtime.
type statusWriter struct {
	http.ResponseWriter
	start  time.Time
	status int
	bytes  int64
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if w.wrote {
		return
	}
	w.wrote, w.status = true, code
	w.Header().Set("X-Runtime", strconv.FormatFloat(time.Since(w.start).Seconds(), 'f', 6, 64))
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection (flush, deadlines).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush sends buffered data to the client.
func (w *statusWriter) Flush() {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// newRequestID returns a random UUID-shaped id.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:])
}

// peerIP is the address of the request's peer, for requests the core has not admitted.
func peerIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

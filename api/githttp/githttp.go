// Package githttp serves git's smart HTTP protocol (clone, fetch, push) at
// /<namespace>/<project>.git, over the pack protocol engine of gitstore, with forge deciding
// who may fetch and push what.
package githttp

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
	"github.com/cairn-forge/cairn/gitstore"
)

// Handler serves the git transport.
type Handler struct {
	core        *api.Core
	forge       *forge.Service
	store       *gitstore.Store
	version     string
	maxPushSize int64
}

// New returns the git transport handler. A push whose pack is larger than maxPushSize bytes
// is refused; zero or less means no limit.
func New(core *api.Core, store *gitstore.Store, version string, maxPushSize int64) http.Handler {
	h := &Handler{core: core, forge: core.Forge, store: store, version: version, maxPushSize: maxPushSize}
	// The API's body limit does not apply: gitstore reads at most 16 MiB of a fetch
	// request, and a push up to maxPushSize.
	return core.Wrap(h, http.HandlerFunc(h.serve), api.Options{Bucket: api.BucketGit, UnlimitedBody: true})
}

// Services of the smart protocol.
const (
	uploadPack  = "git-upload-pack"
	receivePack = "git-receive-pack"
)

// IsGitPath reports whether an (escaped) request path is for the git transport.
func IsGitPath(p string) bool {
	return strings.HasSuffix(p, "/info/refs") || strings.HasSuffix(p, "/"+uploadPack) ||
		strings.HasSuffix(p, "/"+receivePack) || strings.Contains(p, ".git/")
}

// route splits a path into the repository path ("group/project") and the git endpoint.
func route(escaped string) (repo, endpoint string, ok bool) {
	for _, suffix := range []string{"/info/refs", "/" + uploadPack, "/" + receivePack} {
		if rest, found := strings.CutSuffix(escaped, suffix); found {
			repo, endpoint = rest, suffix[1:]
			break
		}
	}
	if endpoint == "" {
		// Anything else under a repository (objects/, HEAD) is the dumb protocol.
		if i := strings.Index(escaped, ".git/"); i > 0 {
			repo, endpoint = escaped[:i+4], "dumb"
		} else {
			return "", "", false
		}
	}
	p, err := url.PathUnescape(strings.Trim(repo, "/"))
	if err != nil || p == "" {
		return "", "", false
	}
	return strings.TrimSuffix(p, ".git"), endpoint, true
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request) {
	repo, endpoint, ok := route(r.URL.Path)
	if !ok {
		h.core.Error(w, r, forge.NotFound(forge.ResourceProject))
		return
	}
	var err error
	switch {
	case endpoint == "info/refs" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		err = h.advertise(w, r, repo)
	case endpoint == uploadPack && r.Method == http.MethodPost:
		err = h.uploadPack(w, r, repo)
	case endpoint == receivePack && r.Method == http.MethodPost:
		err = h.receivePack(w, r, repo)
	case endpoint == "dumb" || endpoint == "info/refs":
		err = &forge.Error{Code: forge.ENotFound, Reason: forge.ReasonDumbProtocol,
			Message: "cairn speaks git's smart HTTP protocol only; use git 1.6.6 or newer"}
	default:
		w.Header().Set("Allow", map[string]string{"info/refs": "GET, HEAD"}[endpoint]+"POST")
		err = &forge.Error{Code: forge.ENotAllowed, Message: "Method Not Allowed"}
	}
	if err != nil {
		h.core.Error(w, r, err)
	}
}

func (h *Handler) advertise(w http.ResponseWriter, r *http.Request, repo string) error {
	service := r.URL.Query().Get("service")
	if service != uploadPack && service != receivePack {
		return &forge.Error{Code: forge.ENotFound, Reason: forge.ReasonDumbProtocol,
			Message: "cairn speaks git's smart HTTP protocol only; use git 1.6.6 or newer"}
	}
	v, err := h.forge.Repositories.GitProject(r.Context(), api.Actor(r), repo, service == receivePack)
	if err != nil {
		return err
	}
	noCache(w)
	w.Header().Set("Content-Type", "application/x-"+service+"-advertisement")
	err = h.store.AdvertiseRefs(r.Context(), v.ID, service, w, gitstore.AdvertiseOptions{
		ProtocolVersion: gitstore.ProtocolVersion(r.Header.Get("Git-Protocol")), Version: h.version})
	return h.streamError(r, err)
}

// open authorizes a POST to service and readies its body and response headers.
func (h *Handler) open(w http.ResponseWriter, r *http.Request, repo, service string) (forge.ProjectView,
	io.ReadCloser, error) {
	v, err := h.forge.Repositories.GitProject(r.Context(), api.Actor(r), repo, service == receivePack)
	if err != nil {
		return v, nil, err
	}
	body, err := requestBody(r)
	if err != nil {
		return v, nil, err
	}
	noCache(w)
	w.Header().Set("Content-Type", "application/x-"+service+"-result")
	return v, body, nil
}

func (h *Handler) uploadPack(w http.ResponseWriter, r *http.Request, repo string) error {
	v, body, err := h.open(w, r, repo, uploadPack)
	if err != nil {
		return err
	}
	defer body.Close()
	err = h.store.UploadPack(r.Context(), v.ID, body, flusher(w), gitstore.UploadPackOptions{
		ProtocolVersion: gitstore.ProtocolVersion(r.Header.Get("Git-Protocol"))})
	return h.streamError(r, err)
}

func (h *Handler) receivePack(w http.ResponseWriter, r *http.Request, repo string) error {
	a := api.Actor(r)
	v, body, err := h.open(w, r, repo, receivePack)
	if err != nil {
		return err
	}
	defer body.Close()
	// A body larger than http.postBuffer is announced by a probe holding only a flush
	// packet, so that authentication happens before the real, unrewindable body is sent.
	br := bufio.NewReader(body)
	if head, err := br.Peek(5); len(head) == 4 && string(head) == "0000" && errors.Is(err, io.EOF) {
		w.WriteHeader(http.StatusOK)
		return nil
	}
	res, err := h.store.ReceivePack(r.Context(), v.ID, br, flusher(w), gitstore.ReceivePackOptions{
		Authorize: func(ctx context.Context, updates []gitstore.PendingUpdate) []gitstore.RefDecision {
			return h.forge.Repositories.JudgePush(ctx, a, v, updates)
		},
		MaxPackSize: h.maxPushSize,
	})
	if res != nil && len(res.Applied) > 0 {
		if rerr := h.forge.Projects.RecordPush(r.Context(), a, v.ID, res.Applied); rerr != nil {
			h.core.Log.Error("record push", "request_id", api.RequestID(r), "project_id", v.ID, "err", rerr)
		}
	}
	return h.streamError(r, err)
}

// streamError handles an error of the engine. Before anything was written it is answered as
// usual; after, the engine has already told the client inside the protocol, so it is only
// logged.
func (h *Handler) streamError(r *http.Request, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, gitstore.ErrNotExist) {
		return forge.NotFound(forge.ResourceProject)
	}
	h.core.Log.Warn("git protocol", "request_id", api.RequestID(r), "path", r.URL.Path, "err", err)
	return nil
}

// requestBody returns the request body, un-gzipped when the client compressed it.
func requestBody(r *http.Request) (io.ReadCloser, error) {
	switch strings.ToLower(r.Header.Get("Content-Encoding")) {
	case "", "identity":
		return r.Body, nil
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			return nil, forge.Invalidf("the request body is not valid gzip")
		}
		return zr, nil
	}
	return nil, forge.Invalidf("unsupported Content-Encoding %q", r.Header.Get("Content-Encoding"))
}

func noCache(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Cache-Control", "no-cache, max-age=0, must-revalidate")
	h.Set("Pragma", "no-cache")
	h.Set("Expires", "Fri, 01 Jan 1980 00:00:00 GMT")
}

// flushWriter sends every write to the client at once, so that progress and side-band
// packets are not held in the server's buffer.
type flushWriter struct {
	w  io.Writer
	rc *http.ResponseController
}

func flusher(w http.ResponseWriter) io.Writer {
	return &flushWriter{w: w, rc: http.NewResponseController(w)}
}

func (f *flushWriter) Write(p []byte) (int, error) {
	n, err := f.w.Write(p)
	if err == nil {
		err = f.rc.Flush()
	}
	return n, err
}

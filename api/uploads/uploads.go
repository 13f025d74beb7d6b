// Package uploads serves uploaded files at GitLab's URLs: the Markdown attachments of
// projects (<project>/uploads/<secret>/<name> and /-/project/<id>/uploads/<secret>/<name>)
// and the avatars of projects, groups and users (/uploads/-/system/<kind>/avatar/<id>/<name>),
// each to whoever may see what it belongs to.
package uploads

import (
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

// Handler serves uploads.
type Handler struct {
	core *api.Core
}

// New returns the handler of upload URLs.
func New(core *api.Core) http.Handler {
	h := &Handler{core: core}
	return core.Wrap(h, http.HandlerFunc(h.serve), api.Options{Bucket: api.BucketWeb})
}

var (
	avatarPath     = regexp.MustCompile(`^/uploads/-/system/(project|group|user)/avatar/([0-9]+)/([^/]+)$`)
	projectIDPath  = regexp.MustCompile(`^/-/project/([0-9]+)/uploads/([0-9a-f]{32})/([^/]+)$`)
	projectRefPath = regexp.MustCompile(`^/(.+)/uploads/([0-9a-f]{32})/([^/]+)$`)
)

// IsUploadPath reports whether an (escaped) request path names an upload.
func IsUploadPath(p string) bool {
	return avatarPath.MatchString(p) || projectIDPath.MatchString(p) || projectRefPath.MatchString(p)
}

// WriteError answers errors as plain text: these are files, not API resources.
func (h *Handler) WriteError(w http.ResponseWriter, r *http.Request, e *forge.Error) {
	status := http.StatusNotFound
	switch e.Code {
	case forge.EUnauthorized:
		status = http.StatusUnauthorized
	case forge.ERateLimited:
		status = http.StatusTooManyRequests
	case forge.EInternal:
		status = http.StatusInternalServerError
	}
	http.Error(w, http.StatusText(status), status)
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		return
	}
	up, err := h.open(r)
	if err != nil {
		h.core.Error(w, r, err)
		return
	}
	defer up.Close()
	hd := w.Header()
	hd.Set("Content-Type", up.ContentType)
	hd.Set("X-Content-Type-Options", "nosniff")
	// What is not a picture is a download, never a page of this site.
	hd.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	disposition := "attachment"
	if up.Image {
		disposition = "inline"
	}
	hd.Set("Content-Disposition", mime.FormatMediaType(disposition, map[string]string{"filename": up.Filename}))
	hd.Set("Cache-Control", "private, max-age=0, must-revalidate")
	http.ServeContent(w, r, "", up.CreatedAt, up.File)
}

func (h *Handler) open(r *http.Request) (*forge.OpenUpload, error) {
	p := r.URL.Path
	a := api.Actor(r)
	unescape := func(s string) string {
		if v, err := url.PathUnescape(s); err == nil {
			return v
		}
		return s
	}
	if m := avatarPath.FindStringSubmatch(p); m != nil {
		id, _ := strconv.ParseInt(m[2], 10, 64)
		return h.core.Forge.Projects.OpenAvatar(r.Context(), a, m[1], id, unescape(m[3]))
	}
	if m := projectIDPath.FindStringSubmatch(p); m != nil {
		return h.core.Forge.Projects.OpenAttachment(r.Context(), a, forge.ParseRef(m[1]), m[2], unescape(m[3]))
	}
	if m := projectRefPath.FindStringSubmatch(p); m != nil && !strings.HasPrefix(m[1], "-/") {
		return h.core.Forge.Projects.OpenAttachment(r.Context(), a, forge.ParseRef(unescape(m[1])), m[2],
			unescape(m[3]))
	}
	return nil, forge.NotFound(forge.ResourceFile)
}

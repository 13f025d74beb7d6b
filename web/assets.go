package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
)

//go:embed static
var staticFiles embed.FS

// assetPrefix is where the assets are served, under content-hashed names
// ("/-/assets/cairn.3fa9c2d1.css"): a name changes with its content, so browsers may keep
// any of them for a year and never see a stale one.
const assetPrefix = "/-/assets/"

// assetTypes are the content types of the assets, by extension.
var assetTypes = map[string]string{
	".css": "text/css; charset=utf-8",
	".js":  "text/javascript; charset=utf-8",
	".svg": "image/svg+xml",
	".png": "image/png",
}

// asset is one embedded file, ready to serve.
type asset struct {
	name        string // the hashed name
	contentType string
	body        []byte
	gzipped     []byte // nil when compression does not pay
	etag        string
}

// assetSet holds the assets, hashed and compressed on first use.
type assetSet struct {
	once   sync.Once
	byName map[string]*asset // by file name ("cairn.css")
	byHash map[string]*asset // by hashed name
}

func (s *assetSet) load() {
	s.once.Do(func() {
		s.byName, s.byHash = map[string]*asset{}, map[string]*asset{}
		entries, _ := fs.ReadDir(staticFiles, "static")
		for _, e := range entries {
			body, err := staticFiles.ReadFile("static/" + e.Name())
			if err != nil {
				continue
			}
			sum := sha256.Sum256(body)
			hash := hex.EncodeToString(sum[:5])
			ext := path.Ext(e.Name())
			a := &asset{
				name:        strings.TrimSuffix(e.Name(), ext) + "." + hash + ext,
				contentType: assetTypes[ext],
				body:        body,
				etag:        `"` + hash + `"`,
			}
			if ext == ".css" || ext == ".js" || ext == ".svg" {
				var b bytes.Buffer
				zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
				_, _ = zw.Write(body)
				_ = zw.Close()
				if b.Len() < len(body) {
					a.gzipped = b.Bytes()
				}
			}
			s.byName[e.Name()] = a
			s.byHash[a.name] = a
		}
	})
}

// url returns the path of asset name under its hashed name.
func (s *assetSet) url(name string) string {
	s.load()
	if a := s.byName[name]; a != nil {
		return assetPrefix + a.name
	}
	return assetPrefix + name
}

// serveAsset answers a request for an asset by its hashed name.
func (h *Handler) serveAsset(w http.ResponseWriter, r *http.Request) {
	h.assets.load()
	a := h.assets.byHash[strings.TrimPrefix(r.URL.Path, assetPrefix)]
	hdr := w.Header()
	hdr.Set("X-Content-Type-Options", "nosniff")
	if a == nil {
		hdr.Set("Cache-Control", "no-store")
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hdr.Set("Allow", "GET, HEAD")
		http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
		return
	}
	hdr.Set("Cache-Control", "public, max-age=31536000, immutable")
	hdr.Set("Content-Type", a.contentType)
	hdr.Set("ETag", a.etag)
	hdr.Set("Vary", "Accept-Encoding")
	if r.Header.Get("If-None-Match") == a.etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := a.body
	if a.gzipped != nil && acceptsGzip(r) {
		body = a.gzipped
		hdr.Set("Content-Encoding", "gzip")
	}
	hdr.Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(body)
}

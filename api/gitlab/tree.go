package gitlab

import (
	"bytes"
	"encoding/base64"
	"io"
	"net/http"
	"strconv"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
	"github.com/cairn-forge/cairn/gitstore"
)

// TreeEntry is an entry of GET .../repository/tree.
type TreeEntry struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Type string `json:"type"`
	Path string `json:"path"`
	Mode string `json:"mode"`
}

func (h *Handler) treeRoutes(handle func(string, string, api.HandlerFunc), repo string) {
	handle("GET", repo+"/tree", h.listTree)
	handle("GET", repo+"/blobs/:sha", h.getBlob)
	handle("GET", repo+"/blobs/:sha/raw", h.getRawBlob)
}

// Blob is GET .../repository/blobs/:sha.
type Blob struct {
	Size     int64  `json:"size"`
	Encoding string `json:"encoding"`
	Content  string `json:"content"`
	SHA      string `json:"sha"`
}

func (h *Handler) getBlob(w http.ResponseWriter, r *http.Request, p api.Params) error {
	b, err := h.forge.Repositories.OpenBlob(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")), p.Get("sha"))
	if err != nil {
		return err
	}
	defer b.Close()
	content, err := io.ReadAll(b)
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusOK, Blob{Size: b.Size, Encoding: "base64",
		Content: base64.StdEncoding.EncodeToString(content), SHA: b.ID.String()})
}

// getRawBlob streams a blob's bytes; its id is a strong ETag.
func (h *Handler) getRawBlob(w http.ResponseWriter, r *http.Request, p api.Params) error {
	b, err := h.forge.Repositories.OpenBlob(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")), p.Get("sha"))
	if err != nil {
		return err
	}
	defer b.Close()
	etag := `"` + b.ID.String() + `"`
	hd := w.Header()
	hd.Set("ETag", etag)
	if api.ETagMatches(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	head := make([]byte, 8000)
	n, err := io.ReadFull(b, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return err
	}
	ctype := "text/plain; charset=utf-8"
	if gitstore.IsBinary(head[:n]) {
		ctype = "application/octet-stream"
	}
	hd.Set("Content-Type", ctype)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Length", strconv.FormatInt(b.Size, 10))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return nil
	}
	if _, err := io.Copy(w, io.MultiReader(bytes.NewReader(head[:n]), b)); err != nil {
		panic(http.ErrAbortHandler) // the status is sent: cut the response short
	}
	return nil
}

func (h *Handler) listTree(w http.ResponseWriter, r *http.Request, p api.Params) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	recursive, err := queryBool(r, "recursive")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	rev := q.Get("ref")
	if rev == "" {
		rev = q.Get("ref_name")
	}
	a := api.Actor(r)
	if _, err := h.forge.Projects.ProjectByRef(r.Context(), a, forge.ParseRef(p.Get("id"))); err != nil {
		return err
	}
	entries, total, err := h.forge.Repositories.ListTree(r.Context(), a, forge.ParseRef(p.Get("id")),
		q.Get("path"), rev, recursive, pg)
	if err != nil {
		return err
	}
	return h.list(w, r, pg, total, treeEntries(entries))
}

func treeEntries(list []forge.TreeEntry) []TreeEntry {
	out := make([]TreeEntry, len(list))
	for i, e := range list {
		out[i] = TreeEntry{ID: e.Hash.String(), Name: e.Name, Type: e.Kind(), Path: e.Path, Mode: e.ModeString()}
	}
	return out
}

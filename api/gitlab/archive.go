package gitlab

import (
	"mime"
	"net/http"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

// archiveTypes are the Content-Types of the archive formats.
var archiveTypes = map[string]string{"tar.gz": "application/gzip", "tar.bz2": "application/x-bzip2",
	"tar": "application/x-tar", "zip": "application/zip"}

func (h *Handler) archiveRoutes(handle func(string, string, api.HandlerFunc), repo string) {
	handle("GET", repo+"/archive", h.archive(""))
	for _, ext := range []string{"tar.gz", "tgz", "gz", "tar", "zip", "tar.bz2", "tbz", "tbz2", "tb2", "bz2"} {
		handle("GET", repo+"/archive."+ext, h.archive(ext))
	}
}

// archive streams a snapshot of the repository: the format comes from the path's extension,
// else the format parameter, else tar.gz.
func (h *Handler) archive(ext string) api.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p api.Params) error {
		q := r.URL.Query()
		format := ext
		if format == "" {
			format = q.Get("format")
		}
		ar, err := h.forge.Repositories.OpenArchive(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")),
			q.Get("sha"), format, q.Get("path"))
		if err != nil {
			if fe := forge.ErrorOf(err); fe.Code == forge.EInvalid && fe.Reason == "" {
				return &forge.Error{Code: forge.EInvalid, Reason: forge.ReasonInvalidParam, Message: fe.Message}
			}
			return err
		}
		defer ar.Close()
		hd := w.Header()
		hd.Set("Content-Type", archiveTypes[ar.Format])
		hd.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": ar.FileName}))
		hd.Set("Content-Transfer-Encoding", "binary")
		hd.Set("ETag", `"`+ar.Commit.String()+"-"+ar.Format+`"`)
		w.WriteHeader(http.StatusOK)
		if r.Method == http.MethodHead {
			return nil
		}
		if err := ar.WriteTo(r.Context(), w); err != nil {
			panic(http.ErrAbortHandler) // the status is sent: cut the response short
		}
		return nil
	}
}

// snapshot is GET /projects/:id/snapshot: the repository's git directory as a tar, for
// administrators. cairn has no wikis, so there is no wiki repository to give.
func (h *Handler) snapshot(w http.ResponseWriter, r *http.Request, p api.Params) error {
	wiki, err := queryBool(r, "wiki")
	if err != nil {
		return err
	}
	sn, err := h.forge.Repositories.RepositorySnapshot(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")))
	if err != nil {
		return err
	}
	if wiki {
		return forge.NotFound(forge.ResourceWiki)
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/x-tar")
	hd.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": sn.FileName}))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return nil
	}
	if err := sn.WriteTo(r.Context(), w); err != nil {
		panic(http.ErrAbortHandler) // the status is sent: cut the response short
	}
	return nil
}

package gitlab

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
	"github.com/cairn-forge/cairn/gitstore"
)

// File is a file as GET .../repository/files/:file_path returns it.
type File struct {
	FileName        string `json:"file_name"`
	FilePath        string `json:"file_path"`
	Size            int64  `json:"size"`
	Encoding        string `json:"encoding"`
	Content         string `json:"content"`
	ContentSha256   string `json:"content_sha256"`
	Ref             string `json:"ref"`
	BlobID          string `json:"blob_id"`
	CommitID        string `json:"commit_id"`
	LastCommitID    string `json:"last_commit_id"`
	ExecuteFilemode bool   `json:"execute_filemode"`
}

// FileWritten is the answer to a file's creation or update.
type FileWritten struct {
	FilePath string `json:"file_path"`
	Branch   string `json:"branch"`
}

// BlameRange is one run of lines of a blame.
type BlameRange struct {
	Commit Commit   `json:"commit"`
	Lines  []string `json:"lines"`
}

func (h *Handler) fileRoutes(handle func(string, string, api.HandlerFunc), repo string) {
	// A file literally named "raw" or "blame" arrives as one escaped segment
	// (".../files/raw"), so the suffixed routes never catch it.
	handle("GET", repo+"/files/:file_path", h.getFile)
	handle("GET", repo+"/files/:file_path/raw", h.getRawFile)
	handle("GET", repo+"/files/:file_path/blame", h.blame)
	handle("POST", repo+"/files/:file_path", func(w http.ResponseWriter, r *http.Request, p api.Params) error {
		return h.writeFile(w, r, p, http.MethodPost)
	})
	handle("PUT", repo+"/files/:file_path", func(w http.ResponseWriter, r *http.Request, p api.Params) error {
		return h.writeFile(w, r, p, http.MethodPut)
	})
	handle("DELETE", repo+"/files/:file_path", func(w http.ResponseWriter, r *http.Request, p api.Params) error {
		return h.writeFile(w, r, p, http.MethodDelete)
	})
}

// filePath reads the file_path parameter; paths with empty, "." or ".." segments are
// refused as Grape's file path validator does.
func filePath(p api.Params) (string, error) {
	fp := p.Get("file_path")
	if clean, ok := gitstore.CleanPath(fp); ok && clean != "" {
		return clean, nil
	}
	return "", &forge.Error{Code: forge.EInvalid, Reason: forge.ReasonInvalidParam, Params: []string{"file_path"},
		Message: "file_path should be a valid file path"}
}

// setFileHeaders writes the X-Gitlab-* metadata headers of a file.
func setFileHeaders(w http.ResponseWriter, f *forge.File, sum string) {
	hd := w.Header()
	hd.Set("X-Gitlab-Blob-Id", f.BlobID.String())
	hd.Set("X-Gitlab-Commit-Id", f.CommitID.String())
	hd.Set("X-Gitlab-Content-Sha256", sum)
	hd.Set("X-Gitlab-Encoding", "base64")
	hd.Set("X-Gitlab-File-Name", f.Name)
	hd.Set("X-Gitlab-File-Path", f.Path)
	if !f.LastCommitID.IsZero() {
		hd.Set("X-Gitlab-Last-Commit-Id", f.LastCommitID.String())
	}
	hd.Set("X-Gitlab-Ref", f.Ref)
	hd.Set("X-Gitlab-Size", strconv.FormatInt(f.Size, 10))
	hd.Set("X-Gitlab-Execute-Filemode", strconv.FormatBool(f.Executable()))
}

func (h *Handler) getFile(w http.ResponseWriter, r *http.Request, p api.Params) error {
	fp, err := filePath(p)
	if err != nil {
		return err
	}
	ref := r.URL.Query().Get("ref")
	if ref == "" {
		return missing("ref")
	}
	f, err := h.forge.Repositories.OpenFile(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")), fp, ref)
	if err != nil {
		return err
	}
	defer f.Close()
	content, err := f.ReadAll()
	if err != nil {
		return err
	}
	sum := sha256.Sum256(content)
	hexSum := hex.EncodeToString(sum[:])
	setFileHeaders(w, f, hexSum)
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusOK)
		return nil
	}
	return api.JSON(w, r, http.StatusOK, File{
		FileName:        f.Name,
		FilePath:        f.Path,
		Size:            f.Size,
		Encoding:        "base64",
		Content:         base64.StdEncoding.EncodeToString(content),
		ContentSha256:   hexSum,
		Ref:             f.Ref,
		BlobID:          f.BlobID.String(),
		CommitID:        f.CommitID.String(),
		LastCommitID:    f.LastCommitID.String(),
		ExecuteFilemode: f.Executable(),
	})
}

// getRawFile streams a file's bytes: a strong ETag (the blob id) answers If-None-Match with
// 304, and nothing is held in memory but a small buffer (blobs stored whole stream from disk).
func (h *Handler) getRawFile(w http.ResponseWriter, r *http.Request, p api.Params) error {
	fp, err := filePath(p)
	if err != nil {
		return err
	}
	f, err := h.forge.Repositories.OpenFile(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")), fp,
		r.URL.Query().Get("ref"))
	if err != nil {
		return err
	}
	defer f.Close()
	etag := `"` + f.BlobID.String() + `"`
	hd := w.Header()
	hd.Set("ETag", etag)
	hd.Set("Cache-Control", "max-age=0, private, must-revalidate, no-transform")
	if api.ETagMatches(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	sum, err := f.Sha256()
	if err != nil {
		return err
	}
	setFileHeaders(w, f, sum)
	br, err := f.Open()
	if err != nil {
		return err
	}
	defer br.Close()
	head := make([]byte, 8000)
	n, err := io.ReadFull(br, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return err
	}
	head = head[:n]
	ctype := "text/plain; charset=utf-8"
	if gitstore.IsBinary(head) {
		ctype = "application/octet-stream"
	}
	hd.Set("Content-Type", ctype)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Disposition", mime.FormatMediaType("inline", map[string]string{"filename": f.Name}))
	hd.Set("Content-Length", strconv.FormatInt(br.Size, 10))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return nil
	}
	_, err = io.Copy(w, io.MultiReader(bytes.NewReader(head), br))
	if err != nil {
		// The status is sent; all that is left is to cut the response short.
		panic(http.ErrAbortHandler)
	}
	return nil
}

func (h *Handler) blame(w http.ResponseWriter, r *http.Request, p api.Params) error {
	fp, err := filePath(p)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	ref := q.Get("ref")
	if ref == "" {
		return missing("ref")
	}
	first, last := 0, 0
	for _, f := range []struct {
		name string
		dst  *int
	}{{"range[start]", &first}, {"range[end]", &last}} {
		if s := q.Get(f.name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 {
				return api.InvalidParam(f.name)
			}
			*f.dst = n
		}
	}
	if (first == 0) != (last == 0) {
		return &forge.Error{Code: forge.EInvalid, Reason: forge.ReasonInvalidParam,
			Message: "range[start], range[end] provide all or none of parameters"}
	}
	v, ranges, err := h.forge.Repositories.Blame(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")), fp,
		ref, first, last)
	if err != nil {
		return err
	}
	out := make([]BlameRange, len(ranges))
	for i, br := range ranges {
		lines := make([]string, len(br.Lines))
		for j, l := range br.Lines {
			lines[j] = strings.TrimSuffix(l, "\n")
		}
		out[i] = BlameRange{Commit: h.commit(v, br.Commit), Lines: lines}
	}
	return api.JSON(w, r, http.StatusOK, out)
}

// writeFile creates (POST), updates (PUT) or deletes (DELETE) one file with a commit.
func (h *Handler) writeFile(w http.ResponseWriter, r *http.Request, p api.Params, method string) error {
	fp, err := filePath(p)
	if err != nil {
		return err
	}
	in, err := api.ReadInput(r)
	if err != nil {
		return err
	}
	var absent []string
	for _, k := range []string{"branch", "commit_message"} {
		if v, _ := in.String(k); strings.TrimSpace(v) == "" {
			absent = append(absent, k)
		}
	}
	if method != http.MethodDelete && !in.Has("content") {
		absent = append(absent, "content")
	}
	if len(absent) > 0 {
		return missing(absent...)
	}
	fi := forge.FileInput{Path: fp, Content: in.StringPtr("content")}
	fi.Branch, _ = in.String("branch")
	fi.Message, _ = in.String("commit_message")
	fi.StartBranch, _ = in.String("start_branch")
	fi.Encoding, _ = in.String("encoding")
	fi.AuthorName, _ = in.String("author_name")
	fi.AuthorEmail, _ = in.String("author_email")
	fi.LastCommitID, _ = in.String("last_commit_id")
	if fi.Encoding != "" && fi.Encoding != "text" && fi.Encoding != "base64" {
		return &forge.Error{Code: forge.EInvalid, Reason: forge.ReasonInvalidParam,
			Message: "encoding does not have a valid value"}
	}
	if fi.ExecuteFilemode, err = in.BoolPtr("execute_filemode"); err != nil {
		return err
	}
	a, id := api.Actor(r), p.Get("id")
	if _, err := h.forge.Projects.ProjectByRef(r.Context(), a, forge.ParseRef(id)); err != nil {
		return err
	}
	switch method {
	case http.MethodPost:
		if _, err := h.forge.Repositories.CreateFile(r.Context(), a, forge.ParseRef(id), fi); err != nil {
			return err
		}
		return api.JSON(w, r, http.StatusCreated, FileWritten{FilePath: fp, Branch: fi.Branch})
	case http.MethodPut:
		if _, err := h.forge.Repositories.UpdateFile(r.Context(), a, forge.ParseRef(id), fi); err != nil {
			return err
		}
		return api.JSON(w, r, http.StatusOK, FileWritten{FilePath: fp, Branch: fi.Branch})
	}
	if err := h.forge.Repositories.DeleteFile(r.Context(), a, forge.ParseRef(id), fi); err != nil {
		return err
	}
	return api.NoContent(w)
}

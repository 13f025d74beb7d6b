package gitlab

import (
	"mime/multipart"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

// UploadedFile is GitLab's answer to POST /projects/:id/uploads.
type UploadedFile struct {
	ID       int64  `json:"id"`
	Alt      string `json:"alt"`
	URL      string `json:"url"`
	FullPath string `json:"full_path"`
	Markdown string `json:"markdown"`
}

// formFile returns the file a multipart request sent as field; ReadInput parsed the form.
func formFile(r *http.Request, field string) (*multipart.FileHeader, bool) {
	if r.MultipartForm == nil {
		return nil, false
	}
	files := r.MultipartForm.File[field]
	if len(files) == 0 {
		return nil, false
	}
	return files[0], true
}

// uploadFile is POST /projects/:id/uploads: a Markdown attachment, sent as the multipart
// field "file".
func (h *Handler) uploadFile(w http.ResponseWriter, r *http.Request, p api.Params) error {
	in, err := api.ReadInput(r)
	if err != nil {
		return err
	}
	fh, ok := formFile(r, "file")
	if !ok {
		if in.Has("file") {
			return api.InvalidParam("file")
		}
		return missing("file")
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	a := api.Actor(r)
	up, err := h.forge.Projects.UploadAttachment(r.Context(), a, forge.ParseRef(p.Get("id")), fh.Filename, f)
	if err != nil {
		return err
	}
	rel := "/uploads/" + up.Secret + "/" + api.PathEscape(up.Filename)
	alt := strings.TrimSuffix(up.Filename, path.Ext(up.Filename))
	md := "[" + up.Filename + "](" + rel + ")"
	if up.Image {
		md = "!" + "[" + alt + "](" + rel + ")"
	}
	return api.JSON(w, r, http.StatusCreated, UploadedFile{ID: up.ID, Alt: alt, URL: rel,
		FullPath: "/-/project/" + strconv.FormatInt(up.ProjectID, 10) + rel, Markdown: md})
}

// avatarURL is where the avatar named file of a project, group or user (kind) is served;
// nil when there is none.
func (h *Handler) avatarURL(kind string, id int64, file string) *string {
	if file == "" {
		return nil
	}
	u := h.core.URL("/uploads/-/system/" + kind + "/avatar/" + strconv.FormatInt(id, 10) + "/" + api.PathEscape(file))
	return &u
}

// pendingAvatar is the avatar a create or update request carries: a file to set, or an
// empty value to remove the current one.
type pendingAvatar struct {
	file   *multipart.FileHeader
	remove bool
}

// readAvatar reads the avatar field of a request and checks the file before anything is
// written, so that a refused avatar refuses the whole request.
func (h *Handler) readAvatar(r *http.Request, in *api.Input) (*pendingAvatar, error) {
	if fh, ok := formFile(r, "avatar"); ok {
		f, err := fh.Open()
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if err := forge.CheckAvatarFile(fh.Filename, fh.Size, f); err != nil {
			return nil, err
		}
		return &pendingAvatar{file: fh}, nil
	}
	switch v, given := in.String("avatar"); {
	case !given:
		return nil, nil
	case v == "":
		return &pendingAvatar{remove: true}, nil
	}
	return nil, api.InvalidParam("avatar")
}

// apply sets or removes the avatar of a project, group or user (kind) named by ref.
func (pa *pendingAvatar) apply(r *http.Request, h *Handler, kind, ref string) error {
	if pa == nil {
		return nil
	}
	if pa.remove {
		return h.forge.Projects.SetAvatar(r.Context(), api.Actor(r), kind, forge.ParseRef(ref), "", nil)
	}
	f, err := pa.file.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	return h.forge.Projects.SetAvatar(r.Context(), api.Actor(r), kind, forge.ParseRef(ref), pa.file.Filename, f)
}

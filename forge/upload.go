package forge

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/cairn-forge/cairn/db"
	"github.com/cairn-forge/cairn/filestore"
)

// Files keeps the bytes of uploads by their content (filestore.Store).
type Files interface {
	// Put stores at most limit bytes of r (filestore.ErrTooLarge past them) and returns
	// their SHA-256 in hex and their size.
	Put(r io.Reader, limit int64) (sum string, size int64, err error)
	// Open opens the bytes of SHA-256 sum.
	Open(sum string) (*os.File, error)
}

// The kinds of models uploads belong to.
const (
	UploadProject = "project"
	UploadGroup   = "group"
	UploadUser    = "user"
)

// Limits of uploads, GitLab's: avatars of 200 KiB, attachments of 100 MiB (the request body
// limit may be lower).
const (
	avatarMaxSize     = 200 << 10
	attachmentMaxSize = 100 << 20
)

// avatarFormats are the file extensions an avatar may have, as GitLab lists them.
var avatarFormats = []string{"png", "jpg", "jpeg", "gif", "bmp", "tiff", "ico", "webp"}

// Upload is a file given to a project (a Markdown attachment) or the avatar of a project, a
// group or a user.
type Upload struct {
	ID          int64
	Secret      string
	Filename    string
	ContentType string
	Size        int64
	// ProjectID is the project of an attachment (0 for an avatar).
	ProjectID int64
	// Image says it can be shown inline as a picture.
	Image     bool
	CreatedAt time.Time
}

// OpenUpload is an upload with its bytes, ready to be served; Close it.
type OpenUpload struct {
	Upload
	*os.File
}

func uploadOf(r db.Upload) Upload {
	u := Upload{
		ID:          r.ID,
		Secret:      r.Secret,
		Filename:    r.Filename,
		ContentType: r.ContentType,
		Size:        r.Size,
		Image:       strings.HasPrefix(r.ContentType, "image/") && r.ContentType != "image/svg+xml",
		CreatedAt:   r.CreatedAt,
	}
	if r.ModelKind == UploadProject {
		u.ProjectID = r.ModelID
	}
	return u
}

// uploadName makes a file name safe to store and to serve in a URL, as GitLab's uploader
// sanitizes it: its last path element, anything but letters, digits, '.', '-', '+' and '_'
// replaced by '_'.
func uploadName(name string) string {
	name = path.Base(strings.ReplaceAll(name, "\\", "/"))
	name = strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune(".-+_", r) {
			return r
		}
		return '_'
	}, name)
	if strings.Trim(name, ".") == "" {
		name = "file"
	}
	if limitFileName.exceeds(name) {
		ext := path.Ext(name)
		if len(ext) > 16 {
			ext = ""
		}
		stem := name[:limitFileName.max-len(ext)]
		for !utf8.ValidString(stem) {
			stem = stem[:len(stem)-1] // a character cut in two
		}
		name = stem + ext
	}
	return name
}

// contentTypeOf is what an upload is served as: what its first bytes show, else what its
// name says.
func contentTypeOf(name string, head []byte) string {
	sniffed := http.DetectContentType(head)
	if !strings.HasPrefix(sniffed, "application/octet-stream") && !strings.HasPrefix(sniffed, "text/plain") {
		return sniffed
	}
	if byExt := mime.TypeByExtension(path.Ext(name)); byExt != "" && !strings.HasPrefix(byExt, "text/html") {
		return byExt
	}
	return sniffed
}

// storeUpload keeps the bytes of r, at most limit, for a new upload of model kind/id.
func (s *Service) storeUpload(a *Actor, kind string, id int64, purpose, name string, r io.Reader, limit int64,
	check func(head []byte) error) (db.Upload, error) {
	if s.files == nil {
		return db.Upload{}, errors.New("no file store")
	}
	head := make([]byte, 512)
	n, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return db.Upload{}, err
	}
	head = head[:n]
	name = uploadName(name)
	ctype := contentTypeOf(name, head)
	if check != nil {
		if err := check(head); err != nil {
			return db.Upload{}, err
		}
	}
	sum, size, err := s.files.Put(io.MultiReader(bytes.NewReader(head), r), limit)
	if err != nil {
		return db.Upload{}, err
	}
	var secret [16]byte
	if _, err := io.ReadFull(s.rand, secret[:]); err != nil {
		return db.Upload{}, err
	}
	return db.Upload{
		ModelKind:   kind,
		ModelID:     id,
		Purpose:     purpose,
		Secret:      hex.EncodeToString(secret[:]),
		Filename:    name,
		SHA256:      sum,
		Size:        size,
		ContentType: ctype,
		UploadedBy:  a.UserID(),
		CreatedAt:   s.Now(),
	}, nil
}

// UploadAttachment stores a file for the Markdown of a project's issues, merge requests and
// notes. Whoever may write there (anyone signed in who sees the project) may upload.
func (s *Projects) UploadAttachment(ctx context.Context, a *Actor, projectRef Ref, name string,
	r io.Reader) (Upload, error) {
	if err := a.requireUser(NeedWrite); err != nil {
		return Upload{}, err
	}
	v, err := s.visibleProject(ctx, a, projectRef)
	if err != nil {
		return Upload{}, err
	}
	if v.Archived {
		return Upload{}, Forbidden()
	}
	row, err := s.storeUpload(a, UploadProject, v.ID, "attachment", name, r, attachmentMaxSize, nil)
	if err != nil {
		return Upload{}, uploadError("file", err, attachmentMaxSize)
	}
	err = s.db.Write(ctx, func(tx *sql.Tx) error {
		row.ID, err = db.InsertUpload(ctx, tx, row)
		return err
	})
	if err != nil {
		return Upload{}, err
	}
	return uploadOf(row), nil
}

// uploadError turns a file store's refusal of a file over limit into the field's error.
func uploadError(field string, err error, limit int64) error {
	if errors.Is(err, filestore.ErrTooLarge) {
		return FieldErrors{field: {"is too big (should be at most " + sizeWords(limit) + ")"}}.Err()
	}
	return err
}

func sizeWords(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return formatID(n>>20) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return formatID(n>>10) + " KiB"
	}
	return formatID(n) + " Bytes"
}

// OpenAttachment opens a project's attachment for whoever may see the project.
func (s *Projects) OpenAttachment(ctx context.Context, a *Actor, projectRef Ref, secret string,
	name string) (*OpenUpload, error) {
	v, err := s.visibleProject(ctx, a, projectRef)
	if err != nil {
		return nil, err
	}
	row, err := db.AttachmentBySecret(ctx, s.db.Read, v.ID, secret)
	if err != nil || row.Filename != name {
		return nil, notFoundAs(orNotFound(err), ResourceFile)
	}
	return s.openUpload(row)
}

func orNotFound(err error) error {
	if err == nil {
		return db.ErrNotFound
	}
	return err
}

func (s *Service) openUpload(row db.Upload) (*OpenUpload, error) {
	if s.files == nil {
		return nil, errors.New("no file store")
	}
	f, err := s.files.Open(row.SHA256)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, NotFound(ResourceFile)
	}
	if err != nil {
		return nil, err
	}
	return &OpenUpload{Upload: uploadOf(row), File: f}, nil
}

// checkAvatar refuses what is no picture in one of GitLab's avatar formats: both its name
// and its first bytes must say so.
func checkAvatar(name string) func(head []byte) error {
	return func(head []byte) error {
		ext := strings.ToLower(strings.TrimPrefix(path.Ext(name), "."))
		sniffed := http.DetectContentType(head)
		tiff := bytes.HasPrefix(head, []byte("II*\x00")) || bytes.HasPrefix(head, []byte("MM\x00*"))
		picture := tiff || strings.HasPrefix(sniffed, "image/") && sniffed != "image/svg+xml"
		if !picture || !containsString(avatarFormats, ext) {
			return FieldErrors{"avatar": {"file format is not supported. Please try one of the following supported formats: " +
				strings.Join(avatarFormats, ", ")}}.Err()
		}
		return nil
	}
}

// CheckAvatarFile refuses, before anything is written, an avatar of size bytes whose content
// r begins that is too large or no picture of an allowed format.
func CheckAvatarFile(name string, size int64, r io.Reader) error {
	if size > avatarMaxSize {
		return FieldErrors{"avatar": {"is too big (should be at most " + sizeWords(avatarMaxSize) + ")"}}.Err()
	}
	head := make([]byte, 512)
	n, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return err
	}
	return checkAvatar(uploadName(name))(head[:n])
}

// avatarModel resolves the model whose avatar the actor sets: a project its maintainers may
// change, a group its owners, a user themselves (and administrators).
func (s *Service) avatarModel(ctx context.Context, a *Actor, kind string, ref Ref) (int64, error) {
	if err := a.requireUser(NeedWrite); err != nil {
		return 0, err
	}
	switch kind {
	case UploadProject:
		v, err := s.visibleProject(ctx, a, ref)
		if err != nil {
			return 0, err
		}
		if v.Access < Maintainer {
			return 0, Forbidden()
		}
		return v.ID, nil
	case UploadGroup:
		g, level, err := s.visibleGroup(ctx, a, ref)
		if err != nil {
			return 0, err
		}
		if level < Owner {
			return 0, Forbidden()
		}
		return g.ID, nil
	}
	u, err := s.Accounts.UserByRef(ctx, a, ref)
	if err != nil {
		return 0, err
	}
	if u.ID != a.User.ID && !a.IsAdmin() {
		return 0, Forbidden()
	}
	return u.ID, nil
}

// SetAvatar gives a project, group or user (kind, ref) a new avatar: a picture of at most
// 200 KiB in one of GitLab's formats. A nil r removes the avatar.
func (s *Projects) SetAvatar(ctx context.Context, a *Actor, kind string, ref Ref, name string, r io.Reader) error {
	id, err := s.avatarModel(ctx, a, kind, ref)
	if err != nil {
		return err
	}
	var row db.Upload
	if r != nil {
		if row, err = s.storeUpload(a, kind, id, "avatar", name, r, avatarMaxSize, checkAvatar(name)); err != nil {
			return uploadError("avatar", err, avatarMaxSize)
		}
	}
	return s.db.Write(ctx, func(tx *sql.Tx) error {
		if err := db.RemoveAvatars(ctx, tx, kind, id); err != nil || r == nil {
			return err
		}
		_, err := db.InsertUpload(ctx, tx, row)
		return err
	})
}

// OpenAvatar opens the avatar of a project or group the actor may see, or of any user, as
// GitLab serves them.
func (s *Projects) OpenAvatar(ctx context.Context, a *Actor, kind string, id int64, name string) (*OpenUpload, error) {
	switch kind {
	case UploadProject:
		if _, err := s.visibleProject(ctx, a, ID(id)); err != nil {
			return nil, NotFound(ResourceFile)
		}
	case UploadGroup:
		if _, _, err := s.visibleGroup(ctx, a, ID(id)); err != nil {
			return nil, NotFound(ResourceFile)
		}
	case UploadUser:
	default:
		return nil, NotFound(ResourceFile)
	}
	row, err := db.Avatar(ctx, s.db.Read, kind, id)
	if err != nil || row.Filename != name {
		return nil, notFoundAs(orNotFound(err), ResourceFile)
	}
	return s.openUpload(row)
}

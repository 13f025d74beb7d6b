package forge

import (
	"context"
	"encoding/hex"
	"errors"
	"path"

	"github.com/cairn-forge/cairn/gitstore"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
)

// File is a file of a repository at a revision, open for reading: read it with Open, then
// Close it.
type File struct {
	Path string
	Name string
	// Ref is the revision the file was asked for at.
	Ref          string
	BlobID       plumbing.Hash
	Size         int64
	Mode         filemode.FileMode
	CommitID     plumbing.Hash
	LastCommitID plumbing.Hash

	repo *gitstore.Repo
}

// Executable reports whether the file has its execute bit.
func (f *File) Executable() bool { return f.Mode == filemode.Executable }

// Open returns a reader of the file's content, streamed from disk for large files.
func (f *File) Open() (*gitstore.BlobReader, error) { return f.repo.OpenBlob(f.BlobID) }

// ReadAll returns the whole content.
func (f *File) ReadAll() ([]byte, error) { return f.repo.ReadBlob(f.BlobID, 0) }

// Sha256 is the hex SHA-256 of the content, computed by streaming it once per blob.
func (f *File) Sha256() (string, error) {
	sum, err := f.repo.BlobSHA256(f.BlobID)
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(sum[:]), nil
}

// Close releases the repository the file was read from.
func (f *File) Close() { f.repo.Close() }

// OpenFile returns file p of a project at revision rev ("" or "HEAD": the default branch).
// A missing revision is "Commit Not Found", a missing file "File Not Found". It is the
// repository files API: tokens that may read files may (NeedReadFiles).
func (s *Repositories) OpenFile(ctx context.Context, a *Actor, ref Ref, p string, rev string) (*File, error) {
	_, repo, err := s.readFiles(ctx, a, ref)
	if err != nil {
		return nil, err
	}
	f, err := openFile(ctx, repo, p, rev)
	if err != nil {
		repo.Close()
		return nil, err
	}
	return f, nil
}

func openFile(ctx context.Context, repo *gitstore.Repo, p, rev string) (*File, error) {
	if rev == "" {
		rev = "HEAD"
	}
	clean, ok := gitstore.CleanPath(p)
	if !ok || clean == "" {
		return nil, NotFound(ResourceFile)
	}
	h, err := resolve(repo, rev, ResourceCommit)
	if err != nil {
		return nil, err
	}
	e, err := repo.Stat(h, clean)
	if errors.Is(err, gitstore.ErrPathNotFound) || err == nil && (e.Mode == filemode.Dir ||
		e.Mode == filemode.Submodule) {
		return nil, NotFound(ResourceFile)
	}
	if err != nil {
		return nil, err
	}
	size, err := repo.BlobSize(e.Hash)
	if err != nil {
		return nil, err
	}
	last, err := repo.LastCommitFor(ctx, h, clean)
	if err != nil {
		return nil, err
	}
	f := &File{
		Path:     clean,
		Name:     path.Base(clean),
		Ref:      rev,
		BlobID:   e.Hash,
		Size:     size,
		Mode:     e.Mode,
		CommitID: h,
		repo:     repo,
	}
	if last != nil {
		f.LastCommitID = last.ID
	}
	return f, nil
}

// Blame attributes the lines of file p at revision rev to the commits that last changed them,
// and returns the project they are in. When first and last are set (1-based, inclusive), only
// those lines are returned. It is part of the repository files API, as OpenFile.
func (s *Repositories) Blame(ctx context.Context, a *Actor, ref Ref, p string, rev string,
	first, last int) (ProjectView, []BlameRange, error) {
	v, repo, err := s.readFiles(ctx, a, ref)
	if err != nil {
		return ProjectView{}, nil, err
	}
	defer repo.Close()
	ranges, err := blameLines(ctx, repo, p, rev, first, last)
	if err != nil {
		return ProjectView{}, nil, err
	}
	return v, ranges, nil
}

func blameLines(ctx context.Context, repo *gitstore.Repo, p, rev string, first, last int) ([]BlameRange, error) {
	f, err := openFile(ctx, repo, p, rev)
	if err != nil {
		return nil, err
	}
	ranges, err := repo.Blame(ctx, f.CommitID, f.Path)
	if errors.Is(err, gitstore.ErrPathNotFound) {
		return nil, NotFound(ResourceFile)
	}
	if err != nil || first <= 0 && last <= 0 {
		return ranges, err
	}
	if first <= 0 || last < first {
		return nil, Invalidf("range[start] and range[end] must be line numbers, start before end")
	}
	var out []BlameRange
	line := 1
	for _, r := range ranges {
		lo, hi := max(first, line), min(last, line+len(r.Lines)-1)
		if lo <= hi {
			out = append(out, BlameRange{Commit: r.Commit, Lines: r.Lines[lo-line : hi-line+1]})
		}
		line += len(r.Lines)
	}
	if out == nil {
		out = []BlameRange{}
	}
	return out, nil
}

// FileInput is a change of one file through the files API.
type FileInput struct {
	Path        string
	Branch      string
	StartBranch string
	Message     string
	// Content is nil when not given; Encoding is "text" or "base64".
	Content         *string
	Encoding        string
	AuthorName      string
	AuthorEmail     string
	LastCommitID    string
	ExecuteFilemode *bool
}

// filesAPI is the door of the files API: one action, whose fields are the request's own.
var filesAPI = commitDoor{
	stale: func(string) error {
		return gitRefused("You are attempting to update a file that has changed since you started editing it.")
	},
	field: func(_ int, key string) string { return key },
}

func (in FileInput) commit(action string) CommitInput {
	return CommitInput{
		Branch:      in.Branch,
		StartBranch: in.StartBranch,
		Message:     in.Message,
		AuthorName:  in.AuthorName,
		AuthorEmail: in.AuthorEmail,
		Actions: []CommitAction{{
			Action:          action,
			FilePath:        in.Path,
			Content:         in.Content,
			Encoding:        in.Encoding,
			LastCommitID:    in.LastCommitID,
			ExecuteFilemode: in.ExecuteFilemode,
		}},
	}
}

// CreateFile commits a new file on a branch.
func (s *Repositories) CreateFile(ctx context.Context, a *Actor, ref Ref, in FileInput) (CommitView, error) {
	return s.commit(ctx, a, ref, in.commit(gitstore.ActionCreate), filesAPI)
}

// UpdateFile commits new content for a file on a branch; a stale last_commit_id is refused.
func (s *Repositories) UpdateFile(ctx context.Context, a *Actor, ref Ref, in FileInput) (CommitView, error) {
	return s.commit(ctx, a, ref, in.commit(gitstore.ActionUpdate), filesAPI)
}

// DeleteFile commits the removal of a file from a branch. A file the branch does not hold is
// refused as GitLab refuses it, and marked as nothing to delete (ReasonNothingToDelete): the
// caller may write to the branch, so could have deleted it.
func (s *Repositories) DeleteFile(ctx context.Context, a *Actor, ref Ref, in FileInput) error {
	in.Content = nil
	_, err := s.commit(ctx, a, ref, in.commit(gitstore.ActionDelete), filesAPI)
	if errors.Is(err, gitstore.ErrFileNotExist) {
		ErrorOf(err).Reason = ReasonNothingToDelete
	}
	return err
}

// Blob is a blob of a repository named by its id, open for reading: read it, then Close it.
type Blob struct {
	*gitstore.BlobReader
	ID   plumbing.Hash
	repo *gitstore.Repo
}

// Close releases the blob and its repository.
func (b *Blob) Close() error {
	err := b.BlobReader.Close()
	b.repo.Close()
	return err
}

// OpenBlob opens the blob whose full id is sha; anything else is "Blob Not Found".
func (s *Repositories) OpenBlob(ctx context.Context, a *Actor, ref Ref, sha string) (*Blob, error) {
	_, repo, err := s.readRepo(ctx, a, ref)
	if err != nil {
		return nil, err
	}
	if len(sha) != 40 || !plumbing.IsHash(sha) {
		repo.Close()
		return nil, NotFound(ResourceBlob)
	}
	br, err := repo.OpenBlob(plumbing.NewHash(sha))
	if err != nil {
		repo.Close()
		if errors.Is(err, gitstore.ErrPathNotFound) {
			return nil, NotFound(ResourceBlob)
		}
		return nil, err
	}
	return &Blob{BlobReader: br, ID: plumbing.NewHash(sha), repo: repo}, nil
}

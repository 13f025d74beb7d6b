package gitstore

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/storage/filesystem"
	"github.com/go-git/go-git/v5/storage/filesystem/dotgit"
)

// relistingStorage is go-git's storage of one repository, made to survive a repack. go-git
// lists a repository's packs once, on its first read, and never again; a repack that
// replaces those packs and loose objects with one new pack would leave it unable to read
// objects it was reading a moment before. When a read fails and the pack directory changed
// since the packs were listed, this storage has go-git list them again (Reindex) and
// retries, once.
type relistingStorage struct {
	*filesystem.Storage
	dir string
	// listed is the pack directory's modification time when the packs were last listed.
	listed time.Time
}

func newRelistingStorage(dir string) *relistingStorage {
	st := filesystem.NewStorageWithOptions(osfs.New(dir), cache.NewObjectLRU(8<<20),
		filesystem.Options{LargeObjectThreshold: largeObject})
	return &relistingStorage{Storage: st, dir: dir, listed: packDirTime(dir)}
}

// packDirTime is when the repository's pack directory last changed: a pack was added or
// removed.
func packDirTime(dir string) time.Time {
	fi, err := os.Stat(filepath.Join(dir, "objects", "pack"))
	if err != nil {
		return time.Time{}
	}
	return fi.ModTime()
}

// relist has go-git list the packs again when a read failed with err and the packs changed
// since they were listed; ok says a retry may find what the read did not.
func (s *relistingStorage) relist(err error) (ok bool) {
	if !errors.Is(err, plumbing.ErrObjectNotFound) && !errors.Is(err, dotgit.ErrPackfileNotFound) &&
		!errors.Is(err, fs.ErrNotExist) {
		return false
	}
	now := packDirTime(s.dir)
	if now.Equal(s.listed) {
		return false
	}
	s.listed = now
	s.Reindex()
	return true
}

// EncodedObject reads an object, listing the packs again where a repack replaced them.
func (s *relistingStorage) EncodedObject(t plumbing.ObjectType, h plumbing.Hash) (plumbing.EncodedObject, error) {
	obj, err := s.Storage.EncodedObject(t, h)
	if err != nil && s.relist(err) {
		return s.Storage.EncodedObject(t, h)
	}
	return obj, err
}

// HasEncodedObject is EncodedObject's existence check, with the same retry.
func (s *relistingStorage) HasEncodedObject(h plumbing.Hash) error {
	err := s.Storage.HasEncodedObject(h)
	if err != nil && s.relist(err) {
		return s.Storage.HasEncodedObject(h)
	}
	return err
}

// EncodedObjectSize is EncodedObject's size lookup, with the same retry.
func (s *relistingStorage) EncodedObjectSize(h plumbing.Hash) (int64, error) {
	n, err := s.Storage.EncodedObjectSize(h)
	if err != nil && s.relist(err) {
		return s.Storage.EncodedObjectSize(h)
	}
	return n, err
}

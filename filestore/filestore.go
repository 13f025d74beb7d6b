// Package filestore keeps files by their content: each is stored once, under its SHA-256, in
// a directory. Uploads (Markdown attachments, avatars) live here; the database names them.
package filestore

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// ErrTooLarge is returned by Put when the content is longer than its limit.
var ErrTooLarge = errors.New("file too large")

// Store is a directory of files named by their SHA-256.
type Store struct {
	root string
}

// New returns the store in dir, creating it if needed.
func New(dir string) (*Store, error) {
	if err := os.MkdirAll(filepath.Join(dir, ".tmp"), 0o750); err != nil {
		return nil, fmt.Errorf("create file store: %w", err)
	}
	return &Store{root: dir}, nil
}

// path is where content of hash sum lives: two levels, so no directory grows too large.
func (s *Store) path(sum string) string { return filepath.Join(s.root, sum[:2], sum) }

// Put stores what r holds, at most limit bytes (ErrTooLarge past them), and returns its
// SHA-256 in hex and its size. The file is written aside, synced and renamed into place, so a
// crash never leaves a partial file under a name.
func (s *Store) Put(r io.Reader, limit int64) (sum string, size int64, err error) {
	tmp, err := os.CreateTemp(filepath.Join(s.root, ".tmp"), "put-*")
	if err != nil {
		return "", 0, err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	h := sha256.New()
	size, err = io.Copy(io.MultiWriter(tmp, h), io.LimitReader(r, limit+1))
	if err != nil {
		return "", 0, err
	}
	if size > limit {
		return "", 0, ErrTooLarge
	}
	if err := tmp.Sync(); err != nil {
		return "", 0, err
	}
	if err := tmp.Close(); err != nil {
		return "", 0, err
	}
	sum = hex.EncodeToString(h.Sum(nil))
	if err := os.MkdirAll(filepath.Dir(s.path(sum)), 0o750); err != nil {
		return "", 0, err
	}
	if err := os.Rename(tmp.Name(), s.path(sum)); err != nil {
		return "", 0, err
	}
	return sum, size, nil
}

// Open opens the content of SHA-256 sum.
func (s *Store) Open(sum string) (*os.File, error) {
	if len(sum) != 64 {
		return nil, os.ErrNotExist
	}
	if _, err := hex.DecodeString(sum); err != nil {
		return nil, os.ErrNotExist
	}
	return os.Open(s.path(sum))
}

package gitstore

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// WriteSnapshot streams the repository of project id to w as an uncompressed tar of its git
// directory, as Gitaly's GetSnapshot makes it: HEAD, packed-refs, shallow, refs/ and
// objects/, the files a clone needs, without the configuration, hooks and scratch files.
// Unpacked, it is a bare repository git reads. Objects are never rewritten in place, so a
// snapshot taken while pushes land holds every object its references name, except that a
// pack removed by a repack after the walk listed it is left out.
func (s *Store) WriteSnapshot(ctx context.Context, id int64, w io.Writer) error {
	if !s.Exists(id) {
		return fmt.Errorf("snapshot of repository %d: %w", id, ErrNotExist)
	}
	root := s.Path(id)
	tw := tar.NewWriter(w)
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil // removed while we walked
		}
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil || rel == "." {
			return err
		}
		rel = filepath.ToSlash(rel)
		if !inSnapshot(rel, d.IsDir()) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		return addSnapshotEntry(tw, p, rel, d)
	})
	if err != nil {
		return err
	}
	return tw.Close()
}

// inSnapshot reports whether the repository's path rel belongs in a snapshot.
func inSnapshot(rel string, dir bool) bool {
	top, _, nested := strings.Cut(rel, "/")
	base := rel[strings.LastIndexByte(rel, '/')+1:]
	if strings.HasSuffix(base, ".lock") || strings.HasPrefix(base, "tmp_") || strings.HasPrefix(base, "incoming-") {
		return false
	}
	switch top {
	case "objects", "refs":
		return true
	case "HEAD", "packed-refs", "shallow":
		return !nested && !dir
	}
	return false
}

func addSnapshotEntry(tw *tar.Writer, p, rel string, d fs.DirEntry) error {
	info, err := d.Info()
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if d.IsDir() {
		return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: rel + "/", Mode: 0o755, ModTime: info.ModTime()})
	}
	if !info.Mode().IsRegular() {
		return nil
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	// The size is that of the open file: a file is never rewritten in place.
	st, err := f.Stat()
	if err != nil {
		return err
	}
	hdr := &tar.Header{Typeflag: tar.TypeReg, Name: rel, Mode: 0o644, Size: st.Size(), ModTime: st.ModTime()}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	_, err = io.CopyN(tw, f, st.Size())
	return err
}

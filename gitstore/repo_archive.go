package gitstore

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"time"

	"github.com/dsnet/compress/bzip2"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
)

// Archive formats.
const (
	ArchiveTarGz  = "tar.gz"
	ArchiveTarBz2 = "tar.bz2"
	ArchiveTar    = "tar"
	ArchiveZip    = "zip"
)

// ErrArchiveFormat is returned for an archive format cairn cannot write.
var ErrArchiveFormat = errors.New("unsupported archive format")

// ArchiveFormat returns the canonical name of an archive format ("tgz" is "tar.gz"); ok is
// false for formats cairn cannot write.
func ArchiveFormat(name string) (string, bool) {
	switch strings.ToLower(strings.TrimPrefix(name, ".")) {
	case "", "tar.gz", "tgz", "gz":
		return ArchiveTarGz, true
	case "tar.bz2", "tbz", "tbz2", "tb2", "bz2":
		return ArchiveTarBz2, true
	case "tar":
		return ArchiveTar, true
	case "zip":
		return ArchiveZip, true
	}
	return "", false
}

// ArchiveOptions say what to put in an archive.
type ArchiveOptions struct {
	Commit plumbing.Hash
	// Format is ArchiveTarGz, ArchiveTarBz2, ArchiveTar or ArchiveZip.
	Format string
	// Prefix is the directory every entry is under ("project-main-<sha>/").
	Prefix string
	// Path limits the archive to one directory or file of the tree.
	Path string
}

// WriteArchive streams the tree of a commit to w as git archive would: files with their
// modes and the commit's time, symbolic links as links. Blobs are copied one at a time, so
// memory stays bounded by the largest blob stored as a delta.
func (r *Repo) WriteArchive(ctx context.Context, w io.Writer, o ArchiveOptions) error {
	c, err := r.Commit(o.Commit)
	if err != nil {
		return err
	}
	if _, err := r.Stat(o.Commit, o.Path); err != nil {
		return err
	}
	mtime := c.Committer.When
	prefix := strings.TrimSuffix(o.Prefix, "/")
	name := func(p string) string {
		if prefix == "" {
			return p
		}
		return path.Join(prefix, p)
	}
	switch o.Format {
	case ArchiveTar, ArchiveTarGz, ArchiveTarBz2:
		var out io.WriteCloser = nopWriteCloser{w}
		switch o.Format {
		case ArchiveTarGz:
			out = gzip.NewWriter(w)
		case ArchiveTarBz2:
			bz, err := bzip2.NewWriter(w, &bzip2.WriterConfig{Level: bzip2.DefaultCompression})
			if err != nil {
				return err
			}
			out = bz
		}
		tw := tar.NewWriter(out)
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeXGlobalHeader, Name: "pax_global_header",
			PAXRecords: map[string]string{"comment": o.Commit.String()}}); err != nil {
			return err
		}
		if prefix != "" {
			if err := tw.WriteHeader(
				&tar.Header{Typeflag: tar.TypeDir, Name: prefix + "/", Mode: 0o775, ModTime: mtime,
					Format: tar.FormatPAX}); err != nil {
				return err
			}
		}
		err := r.walkArchive(ctx, o, func(e Entry, dir bool) error {
			hdr := &tar.Header{Name: name(e.Path), ModTime: mtime, Format: tar.FormatPAX}
			if dir {
				hdr.Typeflag, hdr.Name, hdr.Mode = tar.TypeDir, hdr.Name+"/", 0o775
				return tw.WriteHeader(hdr)
			}
			br, err := r.OpenBlob(e.Hash)
			if err != nil {
				return err
			}
			defer br.Close()
			switch e.Mode {
			case filemode.Symlink:
				target, err := io.ReadAll(io.LimitReader(br, 4096))
				if err != nil {
					return err
				}
				hdr.Typeflag, hdr.Linkname, hdr.Mode = tar.TypeSymlink, string(target), 0o777
				return tw.WriteHeader(hdr)
			case filemode.Executable:
				hdr.Mode = 0o775
			default:
				hdr.Mode = 0o664
			}
			hdr.Typeflag, hdr.Size = tar.TypeReg, br.Size
			if err := tw.WriteHeader(hdr); err != nil {
				return err
			}
			_, err = io.Copy(tw, br)
			return err
		})
		if err != nil {
			return err
		}
		if err := tw.Close(); err != nil {
			return err
		}
		return out.Close()
	case ArchiveZip:
		zw := zip.NewWriter(w)
		if err := zw.SetComment(o.Commit.String()); err != nil {
			return err
		}
		err := r.walkArchive(ctx, o, func(e Entry, dir bool) error {
			hdr := &zip.FileHeader{Name: name(e.Path), Method: zip.Deflate, Modified: mtime.In(time.UTC)}
			if dir {
				hdr.Name += "/"
				hdr.Method = zip.Store
				hdr.SetMode(0o775 | 1<<31)
				_, err := zw.CreateHeader(hdr)
				return err
			}
			switch e.Mode {
			case filemode.Symlink:
				hdr.SetMode(0o777 | 1<<27)
				hdr.Method = zip.Store
			case filemode.Executable:
				hdr.SetMode(0o775)
			default:
				hdr.SetMode(0o664)
			}
			fw, err := zw.CreateHeader(hdr)
			if err != nil {
				return err
			}
			br, err := r.OpenBlob(e.Hash)
			if err != nil {
				return err
			}
			defer br.Close()
			_, err = io.Copy(fw, br)
			return err
		})
		if err != nil {
			return err
		}
		return zw.Close()
	}
	return fmt.Errorf("%q: %w", o.Format, ErrArchiveFormat)
}

// walkArchive calls fn for every directory and file under o.Path, parents first.
func (r *Repo) walkArchive(ctx context.Context, o ArchiveOptions, fn func(e Entry, dir bool) error) error {
	root, err := r.Stat(o.Commit, o.Path)
	if err != nil {
		return err
	}
	if root.Mode != filemode.Dir {
		return fn(root, false)
	}
	var walk func(hash plumbing.Hash, prefix string) error
	walk = func(hash plumbing.Hash, prefix string) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		t, err := r.git.TreeObject(hash)
		if err != nil {
			return fmt.Errorf("read tree %s: %w", hash, err)
		}
		for _, te := range t.Entries {
			e := Entry{Name: te.Name, Path: path.Join(prefix, te.Name), Mode: te.Mode, Hash: te.Hash}
			switch te.Mode {
			case filemode.Dir:
				if err := fn(e, true); err != nil {
					return err
				}
				if err := walk(te.Hash, e.Path); err != nil {
					return err
				}
			case filemode.Submodule:
				if err := fn(e, true); err != nil {
					return err
				}
			default:
				if err := fn(e, false); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if o.Path != "" {
		if err := fn(root, true); err != nil {
			return err
		}
	}
	return walk(root.Hash, o.Path)
}

// nopWriteCloser is a plain tar's stream: nothing to close but the tar itself.
type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

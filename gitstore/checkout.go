package gitstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
)

// ErrUnsafePath is returned when a tree holds an entry that cannot be written safely to a
// directory ("..", ".git", a name with a separator).
var ErrUnsafePath = errors.New("unsafe path in tree")

// Checkout writes the tree of commit h into dir, which must exist and be empty: directories,
// files with their execute bit, and symbolic links; submodules become empty directories. It
// is a plain copy, not a git working tree. Symbolic links are made after every file, so that
// no file is written through one; entries git itself refuses to check out are an error.
func (r *Repo) Checkout(ctx context.Context, h plumbing.Hash, dir string) error {
	type link struct{ path, target string }
	var links []link
	root, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	err = r.walkArchive(ctx, ArchiveOptions{Commit: h}, func(e Entry, isDir bool) error {
		for _, seg := range strings.Split(e.Path, "/") {
			if seg == "" || seg == "." || seg == ".." || isDotGit([]byte(seg)) || strings.ContainsAny(seg, `\`+"\x00") {
				return fmt.Errorf("%q: %w", e.Path, ErrUnsafePath)
			}
		}
		target := filepath.Join(root, filepath.FromSlash(e.Path))
		if isDir {
			return os.Mkdir(target, 0o755)
		}
		br, err := r.OpenBlob(e.Hash)
		if err != nil {
			return err
		}
		defer br.Close()
		if e.Mode == filemode.Symlink {
			dest, err := io.ReadAll(io.LimitReader(br, 4096))
			if err != nil {
				return err
			}
			links = append(links, link{target, string(dest)})
			return nil
		}
		mode := os.FileMode(0o644)
		if e.Mode == filemode.Executable {
			mode = 0o755
		}
		// O_EXCL: a path that exists already (a case-folding file system) is not overwritten.
		f, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
		if err != nil {
			return err
		}
		if _, err := io.Copy(f, br); err != nil {
			f.Close()
			return fmt.Errorf("write %s: %w", e.Path, err)
		}
		return f.Close()
	})
	if err != nil {
		return fmt.Errorf("check out %s: %w", h, err)
	}
	for _, l := range links {
		if err := os.Symlink(l.target, l.path); err != nil {
			return fmt.Errorf("check out %s: %w", h, err)
		}
	}
	return nil
}

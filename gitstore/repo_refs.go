package gitstore

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/go-git/go-git/v5/plumbing"
)

// Single references, read as git reads them for one name: the loose file, else the line of
// packed-refs. A read of one file or of one branch no longer lists every reference (a
// repository with a tag every few hundred commits has hundreds, each a file).

// ref returns the value of the reference name; a symbolic reference is followed once, as
// refStore.list does.
func (r *Repo) ref(name string) (plumbing.Hash, bool, error) {
	if !CheckRefFormat(name) {
		return plumbing.ZeroHash, false, nil
	}
	h, target, ok, err := r.looseRef(name)
	if err != nil || ok && target == "" {
		return h, ok, err
	}
	if ok {
		if !CheckRefFormat(target) {
			return plumbing.ZeroHash, false, nil
		}
		h, again, ok, err := r.looseRef(target)
		if err != nil || ok {
			return h, ok && again == "", err
		}
		name = target
	}
	return r.packedRef(name)
}

// looseRef reads the loose file of reference name; a directory of that name (the parent
// of other references), or a name below a reference's file, is no reference.
func (r *Repo) looseRef(name string) (plumbing.Hash, string, bool, error) {
	path := r.refs.path(name)
	h, target, ok, err := readLooseRef(path)
	if err != nil {
		if errors.Is(err, syscall.ENOTDIR) {
			return plumbing.ZeroHash, "", false, nil
		}
		if fi, serr := os.Stat(path); serr == nil && fi.IsDir() {
			return plumbing.ZeroHash, "", false, nil
		}
		return plumbing.ZeroHash, "", false, fmt.Errorf("repository %d: %w", r.id, err)
	}
	return h, target, ok, nil
}

// packedRef looks name up in packed-refs.
func (r *Repo) packedRef(name string) (plumbing.Hash, bool, error) {
	b, err := os.ReadFile(filepath.Join(r.refs.dir, "packed-refs"))
	if errors.Is(err, fs.ErrNotExist) {
		return plumbing.ZeroHash, false, nil
	}
	if err != nil {
		return plumbing.ZeroHash, false, fmt.Errorf("repository %d: read packed-refs: %w", r.id, err)
	}
	needle := []byte(" " + name + "\n")
	for off := 0; ; {
		i := bytes.Index(b[off:], needle)
		if i < 0 {
			break
		}
		i += off
		off = i + 1
		if i >= 40 && (i == 40 || b[i-41] == '\n') {
			var h plumbing.Hash
			if parseHex(b[i-40:i+1], &h) {
				return h, true, nil
			}
		}
	}
	return plumbing.ZeroHash, false, nil
}

// head returns the full name of the branch HEAD names ("" when HEAD is detached) and the
// commit HEAD resolves to (zero when unborn).
func (r *Repo) head() (target string, h plumbing.Hash, err error) {
	h, target, ok, err := readLooseRef(filepath.Join(r.refs.dir, "HEAD"))
	if err != nil {
		return "", plumbing.ZeroHash, fmt.Errorf("repository %d: read HEAD: %w", r.id, err)
	}
	if !ok || target == "" {
		return "", h, nil
	}
	h, _, err = r.ref(target)
	return target, h, err
}

// isBranchName reports whether name is a full branch name.
func isBranchName(name string) bool { return strings.HasPrefix(name, "refs/heads/") }

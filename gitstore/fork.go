package gitstore

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
)

// forkAttempts bounds how often a fork retries a copy that a concurrent repack of the source
// outran.
const forkAttempts = 3

// ErrForkIncomplete is returned when a fork's copy kept missing objects its references name.
var ErrForkIncomplete = errors.New("the source's objects moved while they were copied")

// Fork makes the repository of project dst a copy of src's: its branches (only those named in
// branches, when given) and tags, and its objects, with HEAD on head.
//
// The objects are hard links to the source's files where the file system allows, copies
// otherwise. A fork shares nothing with its source after that: objects and packs are never
// rewritten in place (a repack writes new files, then removes old ones), so sharing their
// inodes is safe, and either repository can later be repacked or deleted without the other
// noticing. Sharing through alternates (objects/info/alternates) would save the links but tie
// the fork's life to its source's, which GitLab needs object pools to manage. Like Create, the
// copy is built under a temporary name (StageFork) and renamed into place (Publish).
func (s *Store) Fork(src, dst int64, head string, branches []string) error {
	if s.Exists(dst) {
		return fmt.Errorf("fork repository %d: %w", dst, os.ErrExist)
	}
	st, err := s.StageFork(src, head, branches)
	if err != nil {
		return err
	}
	if err := s.Publish(st, dst); err != nil {
		s.Discard(st)
		return err
	}
	return nil
}

// StageFork builds a fork of src, as Fork describes, in the store's scratch directory, for
// Publish to give to a project once it has an id: all the work of a fork but a rename.
func (s *Store) StageFork(src int64, head string, branches []string) (Staged, error) {
	refs, err := s.forkRefs(src, branches)
	if err != nil {
		return Staged{}, err
	}
	var last error
	for range forkAttempts {
		var st Staged
		st, last = s.forkOnce(src, head, refs)
		if last == nil {
			return st, nil
		}
		if !errors.Is(last, ErrForkIncomplete) {
			break
		}
	}
	return Staged{}, last
}

// forkRefs lists the branches and tags a fork of src takes.
func (s *Store) forkRefs(src int64, branches []string) ([]Ref, error) {
	r, err := s.OpenRepo(src)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	heads, err := r.Branches()
	if err != nil {
		return nil, err
	}
	tags, err := r.TagRefs()
	if err != nil {
		return nil, err
	}
	var out []Ref
	for _, b := range heads {
		if len(branches) == 0 || slices.Contains(branches, b.Name) {
			out = append(out, Ref{Name: "refs/heads/" + b.Name, Target: b.Target})
		}
	}
	for _, t := range tags {
		out = append(out, Ref{Name: "refs/tags/" + t.Name, Target: t.Target})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (s *Store) forkOnce(src int64, head string, refs []Ref) (st Staged, err error) {
	tmp := filepath.Join(s.root, ".tmp", fmt.Sprintf("fork-%d-%s.git", src, randomSuffix()))
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	what := fmt.Sprintf("fork of repository %d", src)
	repo, err := initBare(tmp, what, head)
	if err != nil {
		return Staged{}, err
	}
	if err := linkTree(filepath.Join(s.Path(src), "objects"), filepath.Join(tmp, "objects")); err != nil {
		return Staged{}, fmt.Errorf("%s: %w", what, err)
	}
	for _, r := range refs {
		if _, err := repo.Storer.EncodedObject(plumbing.AnyObject, r.Target); err != nil {
			return Staged{}, fmt.Errorf("%s: %s: %w", what, r.Name, ErrForkIncomplete)
		}
	}
	var b strings.Builder
	b.WriteString("# pack-refs with: sorted \n")
	for _, r := range refs {
		b.WriteString(r.Target.String() + " " + r.Name + "\n")
	}
	if err := os.WriteFile(filepath.Join(tmp, "packed-refs"), []byte(b.String()), 0o644); err != nil {
		return Staged{}, fmt.Errorf("write references of %s: %w", what, err)
	}
	return Staged{dir: tmp}, nil
}

// linkTree gives dst every regular file under src, hard-linked where possible, copied
// otherwise; files that vanish during the walk (a repack's old packs) are skipped, as are
// alternates, which a fork does not inherit, and temporary files.
func linkTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		base := d.Name()
		if !d.Type().IsRegular() || rel == filepath.Join("info", "alternates") ||
			strings.HasPrefix(base, "tmp_") || strings.HasPrefix(base, "incoming-") ||
			strings.HasSuffix(base, ".lock") {
			return nil
		}
		if err := os.Link(p, target); err == nil || errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return copyFile(p, target)
	})
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o444)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

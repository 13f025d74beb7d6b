package gitstore

import (
	"bytes"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Kinds of tree entries, as GitLab names them.
const (
	KindBlob   = "blob"
	KindTree   = "tree"
	KindCommit = "commit" // a submodule
)

// Entry is one entry of a tree, with its path from the root.
type Entry struct {
	Name string
	Path string
	Mode filemode.FileMode
	Hash plumbing.Hash
}

// Kind is "blob", "tree" or "commit" (a submodule).
func (e Entry) Kind() string {
	switch e.Mode {
	case filemode.Dir:
		return KindTree
	case filemode.Submodule:
		return KindCommit
	}
	return KindBlob
}

// ModeString is the entry's mode as six octal digits ("100644", "040000").
func (e Entry) ModeString() string { return ModeString(e.Mode) }

// ModeString renders a file mode as six octal digits, "0" for none.
func ModeString(m filemode.FileMode) string {
	if m == filemode.Empty {
		return "0"
	}
	return fmt.Sprintf("%06o", uint32(m))
}

// Executable reports whether the entry is an executable file.
func (e Entry) Executable() bool { return e.Mode == filemode.Executable }

// CleanPath checks a repository path given by a client and returns it without leading or
// trailing slashes; ok is false for paths with empty, "." or ".." segments.
func CleanPath(p string) (string, bool) {
	p = strings.Trim(p, "/")
	if p == "" {
		return "", true
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." || strings.ContainsRune(seg, 0) {
			return "", false
		}
	}
	return p, true
}

// EntryNameAllowed reports whether name may be the name of a tree entry by git's own rules
// (those of fsck and checkout): not empty, no '/' or NUL, not "." or "..", and nothing git
// takes for ".git". forge adds its own rules to the paths it lets people write.
func EntryNameAllowed(name string) bool {
	return name != "" && name != "." && name != ".." && !strings.ContainsAny(name, "/\x00") && !isDotGit([]byte(name))
}

// isDotGit reports whether git's fsck flags a tree entry name as hasDotgit: a name some
// file system treats as ".git", which git then refuses to check out ("invalid path"), so
// one such entry breaks every clone. That is ".git" in any case, ignoring the code points
// HFS+ ignores; and on NTFS also with trailing dots and spaces, the short name "git~1", an
// alternate data stream (".git:x"), or any of these after a backslash.
func isDotGit(name []byte) bool {
	if isHFSDotGit(name) || isNTFSDotGit(name) {
		return true
	}
	for rest := name; ; {
		i := bytes.IndexByte(rest, '\\')
		if i < 0 {
			return false
		}
		rest = rest[i+1:]
		if isNTFSDotGit(rest) {
			return true
		}
	}
}

// isHFSDotGit is C git's is_hfs_dotgit: ".git" case-insensitively once the zero-width and
// direction code points HFS+ drops are left out.
func isHFSDotGit(name []byte) bool {
	// Most names fail on the first byte: a dot, or the first of a code point dropped.
	if len(name) == 0 || name[0] != '.' && name[0] != 0xe2 && name[0] != 0xef {
		return false
	}
	next := func() rune {
		for {
			r, n := utf8.DecodeRune(name)
			if n == 0 || r == utf8.RuneError && n == 1 {
				return 0 // the end, or bytes that are not UTF-8 and so not ".git"
			}
			name = name[n:]
			switch {
			case r >= 0x200c && r <= 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x206a && r <= 0x206f, r == 0xfeff:
				continue
			}
			return r
		}
	}
	if next() != '.' {
		return false
	}
	for _, want := range "git" {
		if r := next(); r != want && r != want-'a'+'A' {
			return false
		}
	}
	r := next()
	return r == 0 || r == '/'
}

// isNTFSDotGit is C git's is_ntfs_dotgit: ".git" or "git~1", case-insensitively, followed
// only by dots and spaces up to the end, a backslash or a colon.
func isNTFSDotGit(name []byte) bool {
	var rest []byte
	switch {
	case len(name) >= 4 && name[0] == '.' && bytes.EqualFold(name[1:4], []byte("git")):
		rest = name[4:]
	case len(name) >= 5 && bytes.EqualFold(name[:5], []byte("git~1")):
		rest = name[5:]
	default:
		return false
	}
	for _, c := range rest {
		switch c {
		case '\\', '/', ':':
			return true
		case '.', ' ':
		default:
			return false
		}
	}
	return true
}

// rootTree returns the tree of commit h.
func (r *Repo) rootTree(h plumbing.Hash) (*object.Tree, error) {
	c, err := r.git.CommitObject(h)
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		return nil, fmt.Errorf("commit %s: %w", h, ErrRefNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read commit %s: %w", h, err)
	}
	t, err := r.git.TreeObject(c.TreeHash)
	if err != nil {
		return nil, fmt.Errorf("read tree of %s: %w", h, err)
	}
	return t, nil
}

// lookup finds the entry at p (cleaned, not empty) under tree t.
func (r *Repo) lookup(t *object.Tree, p string) (Entry, error) {
	dir := t
	segs := strings.Split(p, "/")
	for i, seg := range segs {
		var found *object.TreeEntry
		for j := range dir.Entries {
			if dir.Entries[j].Name == seg {
				found = &dir.Entries[j]
				break
			}
		}
		if found == nil {
			return Entry{}, fmt.Errorf("%s: %w", p, ErrPathNotFound)
		}
		if i == len(segs)-1 {
			return Entry{Name: seg, Path: p, Mode: found.Mode, Hash: found.Hash}, nil
		}
		if found.Mode != filemode.Dir {
			return Entry{}, fmt.Errorf("%s: %w", p, ErrPathNotFound)
		}
		next, err := r.git.TreeObject(found.Hash)
		if err != nil {
			return Entry{}, fmt.Errorf("read tree %s: %w", found.Hash, err)
		}
		dir = next
	}
	return Entry{}, fmt.Errorf("%s: %w", p, ErrPathNotFound)
}

// Stat returns the entry at path p in commit h: ErrRefNotFound without the commit,
// ErrPathNotFound without the path. The root itself is a tree entry with an empty path.
func (r *Repo) Stat(h plumbing.Hash, p string) (Entry, error) {
	t, err := r.rootTree(h)
	if err != nil {
		return Entry{}, err
	}
	if p == "" {
		return Entry{Mode: filemode.Dir, Hash: t.Hash}, nil
	}
	return r.lookup(t, p)
}

// pathHash returns the object at p in commit c, zero when absent (for history walks).
func (r *Repo) pathHash(c *object.Commit, p string) (plumbing.Hash, error) {
	t, err := r.git.TreeObject(c.TreeHash)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("read tree of %s: %w", c.Hash, err)
	}
	if p == "" {
		return t.Hash, nil
	}
	e, err := r.lookup(t, p)
	if errors.Is(err, ErrPathNotFound) {
		return plumbing.ZeroHash, nil
	}
	return e.Hash, err
}

// Tree lists the tree at path p of commit h: trees first, then files and submodules, each
// by name; recursive lists every entry below, trees first. A path that is missing or not a
// directory is ErrPathNotFound.
func (r *Repo) Tree(h plumbing.Hash, p string, recursive bool) ([]Entry, error) {
	e, err := r.Stat(h, p)
	if err != nil {
		return nil, err
	}
	if e.Mode != filemode.Dir {
		return nil, fmt.Errorf("%s: %w", p, ErrPathNotFound)
	}
	var trees, others []Entry
	var walk func(hash plumbing.Hash, prefix string) error
	walk = func(hash plumbing.Hash, prefix string) error {
		t, err := r.git.TreeObject(hash)
		if err != nil {
			return fmt.Errorf("read tree %s: %w", hash, err)
		}
		for _, te := range t.Entries {
			ent := Entry{Name: te.Name, Path: path.Join(prefix, te.Name), Mode: te.Mode, Hash: te.Hash}
			if te.Mode == filemode.Dir {
				trees = append(trees, ent)
				if recursive {
					if err := walk(te.Hash, ent.Path); err != nil {
						return err
					}
				}
				continue
			}
			others = append(others, ent)
		}
		return nil
	}
	if err := walk(e.Hash, p); err != nil {
		return nil, err
	}
	byPath := func(list []Entry) {
		sort.SliceStable(list, func(i, j int) bool { return list[i].Path < list[j].Path })
	}
	byPath(trees)
	byPath(others)
	return append(trees, others...), nil
}

// WalkFiles calls fn for every file (not tree, not submodule) under path p of commit h, in
// tree order.
func (r *Repo) WalkFiles(h plumbing.Hash, p string, fn func(Entry) error) error {
	e, err := r.Stat(h, p)
	if err != nil {
		return err
	}
	if e.Mode != filemode.Dir {
		if e.Mode == filemode.Submodule {
			return nil
		}
		return fn(e)
	}
	var walk func(hash plumbing.Hash, prefix string) error
	walk = func(hash plumbing.Hash, prefix string) error {
		t, err := r.git.TreeObject(hash)
		if err != nil {
			return fmt.Errorf("read tree %s: %w", hash, err)
		}
		for _, te := range t.Entries {
			ent := Entry{Name: te.Name, Path: path.Join(prefix, te.Name), Mode: te.Mode, Hash: te.Hash}
			switch te.Mode {
			case filemode.Dir:
				if err := walk(te.Hash, ent.Path); err != nil {
					return err
				}
			case filemode.Submodule:
			default:
				if err := fn(ent); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return walk(e.Hash, p)
}

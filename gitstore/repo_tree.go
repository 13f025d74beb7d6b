package gitstore

import (
	"bytes"
	"fmt"
	"path"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
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

// Stat returns the entry at path p in commit h: ErrRefNotFound without the commit,
// ErrPathNotFound without the path. The root itself is a tree entry with an empty path.
func (r *Repo) Stat(h plumbing.Hash, p string) (Entry, error) {
	root, err := r.commitTree(h)
	if err != nil {
		return Entry{}, err
	}
	if p == "" {
		return Entry{Mode: filemode.Dir, Hash: root}, nil
	}
	e, ok, err := r.pathItem(root, p)
	if err != nil {
		return Entry{}, err
	}
	if !ok {
		return Entry{}, fmt.Errorf("%s: %w", p, ErrPathNotFound)
	}
	return Entry{Name: path.Base(p), Path: p, Mode: filemode.FileMode(e.mode), Hash: e.hash}, nil
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
	err = r.walkTree(e.Hash, p, func(ent Entry) (bool, error) {
		if ent.Mode == filemode.Dir {
			trees = append(trees, ent)
			return recursive, nil
		}
		others = append(others, ent)
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	byPath := func(list []Entry) {
		sort.SliceStable(list, func(i, j int) bool { return list[i].Path < list[j].Path })
	}
	byPath(trees)
	byPath(others)
	return append(trees, others...), nil
}

// walkTree calls fn for each entry of tree h (whose path is prefix), in tree order; for a
// tree entry, fn says whether to descend into it.
func (r *Repo) walkTree(h plumbing.Hash, prefix string, fn func(Entry) (bool, error)) error {
	data, err := r.treeData(h)
	if err != nil {
		return err
	}
	for len(data) > 0 {
		var ti treeItem
		if ti, data, err = nextTreeItem(data); err != nil {
			return fmt.Errorf("read tree %s: %w", h, err)
		}
		name := string(ti.name)
		full := name
		if prefix != "" {
			full = prefix + "/" + name // both clean already
		}
		ent := Entry{Name: name, Path: full, Mode: filemode.FileMode(ti.mode), Hash: ti.hash}
		descend, err := fn(ent)
		if err != nil {
			return err
		}
		if descend && ti.isTree() {
			if err := r.walkTree(ti.hash, ent.Path, fn); err != nil {
				return err
			}
		}
	}
	return nil
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
	return r.walkTree(e.Hash, p, func(ent Entry) (bool, error) {
		switch ent.Mode {
		case filemode.Dir:
			return true, nil
		case filemode.Submodule:
			return false, nil
		}
		return false, fn(ent)
	})
}

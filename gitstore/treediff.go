package gitstore

import (
	"bytes"
	"fmt"

	"github.com/go-git/go-git/v5/plumbing"
)

// Raw tree objects, read without building go-git objects: entries with their modes, git's
// entry order, and the recursive comparison `git diff-tree -r` makes (no renames).

// Modes of tree entries, as git writes them.
const (
	modeTree     = 0o040000
	modeRegular  = 0o100644
	modeExec     = 0o100755
	modeSymlink  = 0o120000
	modeGitlink  = 0o160000
	modeTypeMask = 0o170000
)

// treeItem is one entry of a tree object. name aliases the tree's data.
type treeItem struct {
	name []byte
	mode uint32
	hash plumbing.Hash
}

func (e treeItem) isTree() bool { return e.mode&modeTypeMask == modeTree }

// nextTreeItem decodes the first entry of tree data and returns the rest.
func nextTreeItem(data []byte) (treeItem, []byte, error) {
	var e treeItem
	sp := bytes.IndexByte(data, ' ')
	if sp <= 0 || sp > 7 {
		return e, nil, fmt.Errorf("%w: bad tree entry mode", errCorrupt)
	}
	for _, c := range data[:sp] {
		if c < '0' || c > '7' {
			return e, nil, fmt.Errorf("%w: bad tree entry mode", errCorrupt)
		}
		e.mode = e.mode<<3 | uint32(c-'0')
	}
	data = data[sp+1:]
	nul := bytes.IndexByte(data, 0)
	if nul <= 0 || len(data) < nul+21 {
		return e, nil, fmt.Errorf("%w: truncated tree entry", errCorrupt)
	}
	e.name = data[:nul]
	copy(e.hash[:], data[nul+1:nul+21])
	return e, data[nul+21:], nil
}

// findTreeItem looks up name in tree data. Entries are in git's order, but a linear scan
// with an early stop is as fast as a search for trees of ordinary width.
func findTreeItem(data []byte, name []byte) (treeItem, bool, error) {
	for len(data) > 0 {
		e, rest, err := nextTreeItem(data)
		if err != nil {
			return e, false, err
		}
		if bytes.Equal(e.name, name) {
			return e, true, nil
		}
		data = rest
	}
	return treeItem{}, false, nil
}

// compareTreeItems orders entries as git sorts a tree and as its tree diff walks two of
// them: by name, a tree's name compared as if it ended in '/'.
func compareTreeItems(a, b treeItem) int {
	n := min(len(a.name), len(b.name))
	if c := bytes.Compare(a.name[:n], b.name[:n]); c != 0 {
		return c
	}
	c1, c2 := byte(0), byte(0)
	if len(a.name) > n {
		c1 = a.name[n]
	} else if a.isTree() {
		c1 = '/'
	}
	if len(b.name) > n {
		c2 = b.name[n]
	} else if b.isTree() {
		c2 = '/'
	}
	switch {
	case c1 < c2:
		return -1
	case c1 > c2:
		return 1
	}
	return 0
}

// treeReader reads a tree object's data by name.
type treeReader func(h plumbing.Hash) ([]byte, error)

// errStopDiff ends a tree comparison early without error.
var errStopDiff = fmt.Errorf("stop")

// diffTreesRecursive calls fn for every path whose entry differs between trees a and b (zero
// for the empty tree), recursing into trees and reporting only the leaves (files, symlinks,
// submodules), in git's order, as `git diff-tree -r` does without rename detection. A path
// that is a file on one side and a directory on the other is reported for the file, and for
// every leaf under the directory. old and new are zero-mode on the side that lacks the path.
// fn may return errStopDiff to end the walk.
func diffTreesRecursive(read treeReader, a, b plumbing.Hash, fn func(path []byte, old, new treeItem) error) error {
	err := diffTreeLevel(read, a, b, nil, fn)
	if err == errStopDiff {
		return nil
	}
	return err
}

func diffTreeLevel(read treeReader, a, b plumbing.Hash, prefix []byte,
	fn func(path []byte, old, new treeItem) error) error {
	if a == b {
		return nil
	}
	var da, db []byte
	var err error
	if !a.IsZero() {
		if da, err = read(a); err != nil {
			return err
		}
	}
	if !b.IsZero() {
		if db, err = read(b); err != nil {
			return err
		}
	}
	var ea, eb treeItem
	haveA, haveB := false, false
	for {
		if !haveA && len(da) > 0 {
			if ea, da, err = nextTreeItem(da); err != nil {
				return err
			}
			haveA = true
		}
		if !haveB && len(db) > 0 {
			if eb, db, err = nextTreeItem(db); err != nil {
				return err
			}
			haveB = true
		}
		if !haveA && !haveB {
			return nil
		}
		c := 0
		switch {
		case !haveA:
			c = 1
		case !haveB:
			c = -1
		default:
			c = compareTreeItems(ea, eb)
		}
		switch {
		case c < 0: // only in a
			if err := diffTreeSide(read, ea, prefix, true, fn); err != nil {
				return err
			}
			haveA = false
		case c > 0: // only in b
			if err := diffTreeSide(read, eb, prefix, false, fn); err != nil {
				return err
			}
			haveB = false
		default:
			if ea.isTree() {
				if ea.hash != eb.hash {
					if err := diffTreeLevel(read, ea.hash, eb.hash, joinPathBytes(prefix, ea.name), fn); err != nil {
						return err
					}
				}
			} else if ea.hash != eb.hash || ea.mode != eb.mode {
				if err := fn(joinPathBytes(prefix, ea.name), ea, eb); err != nil {
					return err
				}
			}
			haveA, haveB = false, false
		}
	}
}

// diffTreeSide reports an entry present on one side only (and everything under it).
func diffTreeSide(read treeReader, e treeItem, prefix []byte, deleted bool,
	fn func(path []byte, old, new treeItem) error) error {
	p := joinPathBytes(prefix, e.name)
	if e.isTree() {
		if deleted {
			return diffTreeLevel(read, e.hash, plumbing.ZeroHash, p, fn)
		}
		return diffTreeLevel(read, plumbing.ZeroHash, e.hash, p, fn)
	}
	if deleted {
		return fn(p, e, treeItem{})
	}
	return fn(p, treeItem{}, e)
}

func joinPathBytes(prefix, name []byte) []byte {
	if len(prefix) == 0 {
		return append([]byte(nil), name...)
	}
	p := make([]byte, 0, len(prefix)+1+len(name))
	p = append(p, prefix...)
	p = append(p, '/')
	return append(p, name...)
}

package gitstore

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/go-git/go-git/v5/plumbing"
)

// What the objects of a pushed pack name, for the connectivity check: their references that
// lie outside the pack, found as the objects are read.

// refSet collects the ids objects of the pack refer to that were not known to be in it when
// they were read, for the connectivity check once every id is known. It is compacted (ids
// since found in the pack dropped, the rest sorted and made unique) whenever it doubles.
type refSet struct {
	ids  []plumbing.Hash
	next int // length at which to compact
}

func (s *refSet) add(h plumbing.Hash, known *idTable) {
	s.ids = append(s.ids, h)
	if len(s.ids) >= s.next {
		// Most ids are found once the objects being resolved elsewhere are done: sorting
		// is left for when dropping those is not enough.
		s.filter(known)
		if len(s.ids) > s.next/2 {
			s.compact(nil)
		}
		s.next = max(1<<14, 2*len(s.ids))
	}
}

// filter drops the ids known holds.
func (s *refSet) filter(known *idTable) {
	if known == nil {
		return
	}
	s.ids = slices.DeleteFunc(s.ids, func(h plumbing.Hash) bool {
		_, ok := known.lookup(h)
		return ok
	})
}

// compact drops the ids known holds (when not nil) and duplicates, and sorts the rest.
func (s *refSet) compact(known *idTable) {
	s.filter(known)
	slices.SortFunc(s.ids, func(a, b plumbing.Hash) int { return bytes.Compare(a[:], b[:]) })
	s.ids = slices.Compact(s.ids)
}

// noteReferences records what object h points at, unless it is known to be in the pack,
// and notes a tree with an entry named like .git. Gitlinks name commits of other
// repositories and are not followed. base, when not nil, is the tree h was made from by a
// delta: its entries have been looked at already, so only those h changes are.
func noteReferences(h plumbing.Hash, typ plumbing.ObjectType, data, base []byte, refs *refSet, known *idTable,
	dotGit **dotGitError) error {
	note := func(r plumbing.Hash) {
		if known != nil {
			if _, ok := known.lookup(r); ok {
				return
			}
		}
		refs.add(r, known)
	}
	switch typ {
	case plumbing.CommitObject:
		if err := commitRefs(data, note); err != nil {
			return fmt.Errorf("%w: %v", errUnpack, err)
		}
	case plumbing.TreeObject:
		old := treeCursor{data: base}
		err := forEachTreeEntry(data, func(e treeEntry) error {
			if old.has(e) {
				return nil
			}
			if !e.isLink {
				note(e.hash)
			}
			if *dotGit == nil && isDotGit(e.name) {
				*dotGit = &dotGitError{tree: h}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("%w: %v", errUnpack, err)
		}
	case plumbing.TagObject:
		target, _, err := parseTag(data)
		if err != nil {
			return fmt.Errorf("%w: %v", errUnpack, err)
		}
		note(target)
	}
	return nil
}

// treeCursor walks a tree's entries in step with those of another tree, both in git's
// order, to tell which entries the other has unchanged. Entries out of order are merely
// not found.
type treeCursor struct {
	data    []byte
	cur     treeEntry
	started bool
	ok      bool // cur is an entry
}

func (c *treeCursor) next() {
	c.ok = false
	sp := bytes.IndexByte(c.data, ' ')
	if sp <= 0 {
		return
	}
	nul := bytes.IndexByte(c.data[sp:], 0)
	if nul < 0 || len(c.data) < sp+nul+21 {
		return
	}
	n := sp + nul + 21
	raw := c.data[:n]
	c.data = c.data[n:]
	mode := raw[:sp]
	c.cur = treeEntry{name: raw[sp+1 : sp+nul], isTree: bytes.Equal(mode, []byte("40000")),
		isLink: bytes.Equal(mode, []byte("160000"))}
	copy(c.cur.hash[:], raw[sp+nul+1:])
	c.ok = true
}

// has reports whether the tree holds e: the same name and id, a gitlink or not.
func (c *treeCursor) has(e treeEntry) bool {
	if !c.started {
		c.started = true
		c.next()
	}
	for c.ok && compareTreeNames(c.cur, e) < 0 {
		c.next()
	}
	return c.ok && c.cur.hash == e.hash && c.cur.isLink == e.isLink && bytes.Equal(c.cur.name, e.name)
}

// compareTreeNames orders entries as git sorts a tree: a tree's name as if it ended in "/".
func compareTreeNames(a, b treeEntry) int {
	n := min(len(a.name), len(b.name))
	if c := bytes.Compare(a.name[:n], b.name[:n]); c != 0 {
		return c
	}
	ca, cb := nameEnd(a, n), nameEnd(b, n)
	return int(ca) - int(cb)
}

func nameEnd(e treeEntry, n int) byte {
	if n < len(e.name) {
		return e.name[n]
	}
	if e.isTree {
		return '/'
	}
	return 0
}

// commitRefs calls fn with the tree and the parents a commit object names. It reads only
// those header lines and allocates nothing: a push holds as many commits as it holds.
func commitRefs(data []byte, fn func(plumbing.Hash)) error {
	var h plumbing.Hash
	tree := false
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			i = len(data)
		}
		if i == 0 {
			break // the end of the header
		}
		line := data[:i]
		data = data[min(i+1, len(data)):]
		var ok bool
		switch {
		case bytes.HasPrefix(line, []byte("tree ")):
			ok, tree = parseHex(line[5:], &h), true
		case bytes.HasPrefix(line, []byte("parent ")):
			ok = parseHex(line[7:], &h)
		default:
			continue
		}
		if !ok {
			return fmt.Errorf("%w: commit has a bad %s line", errCorrupt, bytes.Fields(line)[0])
		}
		fn(h)
	}
	if !tree {
		return fmt.Errorf("%w: commit has no tree", errCorrupt)
	}
	return nil
}

// external returns, sorted and once each, the objects the pack refers to and does not hold.
func (ix *packIndexer) external() []plumbing.Hash {
	all := refSet{ids: ix.scanRefs.ids}
	for _, w := range ix.workers {
		all.ids = append(all.ids, w.refs.ids...)
		w.refs = refSet{}
	}
	ix.scanRefs = refSet{}
	all.compact(ix.known)
	return slices.Clip(all.ids)
}

// firstDotGit returns a tree with an entry git takes for .git, if any.
func (ix *packIndexer) firstDotGit() *dotGitError {
	if ix.dotGit != nil {
		return ix.dotGit
	}
	for _, w := range ix.workers {
		if w.dotGit != nil {
			return w.dotGit
		}
	}
	return nil
}

package gitstore

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
)

// The objects of one merge: trees and blobs are read straight from the repository's packs
// and loose files (objectDB), parsed trees are cached for the merge's several passes, and
// the objects the merge makes stay in memory until the merge is kept.

// pendingObject is an object made by a merge and not yet written.
type pendingObject struct {
	typ  plumbing.ObjectType
	data []byte
}

// mergeStore reads the objects of one merge and holds the objects it makes until the merge
// is kept. It caches parsed trees, so that the passes of a merge read each tree once.
type mergeStore struct {
	r       *Repo
	db      *objectDB
	maxBlob int64 // maxMergeBlob; lower in tests
	trees   map[plumbing.Hash][]mergeEntry
	pending map[plumbing.Hash]pendingObject
	// unknown holds the placeholder ids a virtual merge base puts where it could not merge
	// its own inputs: a path whose base is unknown.
	unknown map[plumbing.Hash]bool
}

func newMergeStore(r *Repo) (*mergeStore, error) {
	if _, err := r.commitGraph(); err != nil {
		return nil, err
	}
	return &mergeStore{
		r:       r,
		db:      r.odb,
		maxBlob: maxMergeBlob,
		trees:   map[plumbing.Hash][]mergeEntry{},
		pending: map[plumbing.Hash]pendingObject{},
		unknown: map[plumbing.Hash]bool{},
	}, nil
}

// read returns an object from the overlay or the repository. Packs that arrived since the
// repository was opened (a push) are looked for before giving up.
func (s *mergeStore) read(h plumbing.Hash) (plumbing.ObjectType, []byte, error) {
	if p, ok := s.pending[h]; ok {
		return p.typ, p.data, nil
	}
	typ, data, err := s.db.read(h)
	if errors.Is(err, errObjectMissing) {
		if added, rerr := s.db.refresh(); rerr == nil && added {
			typ, data, err = s.db.read(h)
		}
	}
	return typ, data, err
}

// tree returns the entries of tree h, in tree order; the zero id is the empty tree.
func (s *mergeStore) tree(h plumbing.Hash) ([]mergeEntry, error) {
	if h.IsZero() || h == emptyTree {
		return nil, nil
	}
	if t, ok := s.trees[h]; ok {
		return t, nil
	}
	typ, data, err := s.read(h)
	if err != nil {
		return nil, fmt.Errorf("read tree %s: %w", h, err)
	}
	if typ != plumbing.TreeObject {
		return nil, fmt.Errorf("%w: %s is a %s, not a tree", errCorrupt, h, typ)
	}
	t, err := parseTree(data)
	if err != nil {
		return nil, fmt.Errorf("tree %s: %w", h, err)
	}
	s.trees[h] = t
	return t, nil
}

// parseTree decodes the entries of a tree object.
func parseTree(data []byte) ([]mergeEntry, error) {
	var out []mergeEntry
	for len(data) > 0 {
		sp := bytes.IndexByte(data, ' ')
		if sp <= 0 {
			return nil, fmt.Errorf("%w: bad tree entry mode", errCorrupt)
		}
		mode, err := strconv.ParseUint(string(data[:sp]), 8, 32)
		if err != nil {
			return nil, fmt.Errorf("%w: bad tree entry mode", errCorrupt)
		}
		data = data[sp+1:]
		nul := bytes.IndexByte(data, 0)
		if nul <= 0 || len(data) < nul+21 {
			return nil, fmt.Errorf("%w: truncated tree entry", errCorrupt)
		}
		e := mergeEntry{name: string(data[:nul]), mode: canonicalMode(uint32(mode))}
		copy(e.hash[:], data[nul+1:nul+21])
		data = data[nul+21:]
		out = append(out, e)
	}
	return out, nil
}

// canonicalMode maps a mode read from a tree to one of git's five, as git does when it
// reads trees: old repositories hold modes such as 100664, and a tree git rewrites gets
// the canonical one.
func canonicalMode(m uint32) filemode.FileMode {
	switch m & 0o170000 {
	case 0o100000:
		if m&0o111 != 0 {
			return filemode.Executable
		}
		return filemode.Regular
	case 0o120000:
		return filemode.Symlink
	case 0o040000:
		return filemode.Dir
	}
	return filemode.Submodule
}

// treeOrderLess orders tree entries as git does: by name, a directory's name compared as
// if it ended in '/'.
func treeOrderLess(a, b *mergeEntry) bool {
	n := min(len(a.name), len(b.name))
	if c := strings.Compare(a.name[:n], b.name[:n]); c != 0 {
		return c < 0
	}
	next := func(e *mergeEntry) byte {
		if len(e.name) > n {
			return e.name[n]
		}
		if e.mode == filemode.Dir {
			return '/'
		}
		return 0
	}
	return next(a) < next(b)
}

// writeTree puts a tree of entries in the overlay and returns its id.
func (s *mergeStore) writeTree(entries []mergeEntry) plumbing.Hash {
	sort.Slice(entries, func(i, j int) bool { return treeOrderLess(&entries[i], &entries[j]) })
	var buf bytes.Buffer
	for _, e := range entries {
		buf.WriteString(strconv.FormatUint(uint64(e.mode), 8))
		buf.WriteByte(' ')
		buf.WriteString(e.name)
		buf.WriteByte(0)
		buf.Write(e.hash[:])
	}
	h := plumbing.ComputeHash(plumbing.TreeObject, buf.Bytes())
	if _, ok := s.trees[h]; !ok {
		s.trees[h] = entries
	}
	if _, ok := s.pending[h]; !ok {
		s.pending[h] = pendingObject{typ: plumbing.TreeObject, data: buf.Bytes()}
	}
	return h
}

// writeBlob puts a blob in the overlay and returns its id.
func (s *mergeStore) writeBlob(data []byte) plumbing.Hash {
	h := plumbing.ComputeHash(plumbing.BlobObject, data)
	if _, ok := s.pending[h]; !ok {
		s.pending[h] = pendingObject{typ: plumbing.BlobObject, data: data}
	}
	return h
}

// blob reads the content of blob h; tooLarge (and no content) above maxMergeBlob, which
// is found from the object's header without inflating it.
func (s *mergeStore) blob(h plumbing.Hash) (data []byte, tooLarge bool, err error) {
	if p, ok := s.pending[h]; ok {
		return p.data, int64(len(p.data)) > s.maxBlob, nil
	}
	if s.unknown[h] {
		return nil, false, fmt.Errorf("blob %s is a placeholder of a virtual merge base", h)
	}
	size, err := s.objectSize(h)
	if err != nil {
		return nil, false, fmt.Errorf("read blob %s: %w", h, err)
	}
	if size > s.maxBlob {
		return nil, true, nil
	}
	typ, data, err := s.read(h)
	if err != nil {
		return nil, false, fmt.Errorf("read blob %s: %w", h, err)
	}
	if typ != plumbing.BlobObject {
		return nil, false, fmt.Errorf("%w: %s is a %s, not a blob", errCorrupt, h, typ)
	}
	return data, false, nil
}

// objectSize returns the size of object h without inflating it (odb's objectSize).
func (s *mergeStore) objectSize(h plumbing.Hash) (int64, error) { return s.db.objectSize(h) }

// flush writes the overlay's objects reachable from tree root to the repository, children
// before parents, skipping those the repository already has.
func (s *mergeStore) flush(root plumbing.Hash) error {
	written := map[plumbing.Hash]bool{}
	var visit func(h plumbing.Hash) error
	visit = func(h plumbing.Hash) error {
		p, ok := s.pending[h]
		if !ok || written[h] {
			return nil
		}
		written[h] = true
		if p.typ == plumbing.TreeObject {
			for _, e := range s.trees[h] {
				if e.mode == filemode.Submodule {
					continue
				}
				if err := visit(e.hash); err != nil {
					return err
				}
			}
		}
		if s.db.has(h) {
			return nil
		}
		return s.writeObject(h, p)
	}
	return visit(root)
}

func (s *mergeStore) writeObject(h plumbing.Hash, p pendingObject) error {
	st := s.r.git.Storer
	obj := st.NewEncodedObject()
	obj.SetType(p.typ)
	obj.SetSize(int64(len(p.data)))
	w, err := obj.Writer()
	if err != nil {
		return fmt.Errorf("write %s %s: %w", p.typ, h, err)
	}
	if _, err := w.Write(p.data); err != nil {
		return fmt.Errorf("write %s %s: %w", p.typ, h, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("write %s %s: %w", p.typ, h, err)
	}
	got, err := st.SetEncodedObject(obj)
	if err != nil {
		return fmt.Errorf("write %s %s: %w", p.typ, h, err)
	}
	if got != h {
		return fmt.Errorf("write %s: stored as %s, computed %s", p.typ, got, h)
	}
	return nil
}

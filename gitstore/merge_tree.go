package gitstore

import (
	"context"
	"fmt"
	"sort"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
)

// The three-way merge of trees. Base O, ours A (the target) and theirs B (the source) are
// walked together by entry name, reading only the trees that differ:
//
//   - A = B: take A. O = A: take B (absent means deleted). O = B: take A. A whole subtree
//     is taken by its id without being read.
//   - Otherwise a name is split in a file part and a directory part, merged separately:
//     directories recursively (a missing side is an empty tree), files by the rules of
//     mergeFile. If both a file and a non-empty directory remain, that is a file/directory
//     conflict.
//   - Directories left empty disappear from their parent. Trees are written bottom-up;
//     unchanged subtrees keep their ids.
//
// New objects go to an in-memory overlay first and reach the repository only when a clean
// merge is kept (mergeStore.flush), so a mergeability check writes nothing and a conflicted
// merge leaves nothing behind.

// maxMergeBlob is the largest file merged line by line; larger ones changed on both sides
// are a conflict ("too large"), where git would still try up to 1 GiB.
const maxMergeBlob = 32 << 20

// emptyTree is the id of the tree with no entries.
var emptyTree = plumbing.NewHash("4b825dc642cb6eb9a060e54bf8d69288fbee4904")

// emptyBlob is the id of the empty file.
var emptyBlob = plumbing.NewHash("e69de29bb2d1d6434b8b29ae775ad8c2e48c5391")

// mergeEntry is one entry of a tree being merged.
type mergeEntry struct {
	name string
	mode filemode.FileMode
	hash plumbing.Hash
}

func (e *mergeEntry) isDir() bool { return e != nil && e.mode == filemode.Dir }

// sameEntry reports whether two entries (nil: absent) have the same mode and object.
func sameEntry(a, b *mergeEntry) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.mode == b.mode && a.hash == b.hash
}

// Kinds of non-directory entries: entries of different kinds never merge.
const (
	kindRegular = iota
	kindSymlink
	kindGitlink
)

func entryKind(m filemode.FileMode) int {
	switch m {
	case filemode.Symlink:
		return kindSymlink
	case filemode.Submodule:
		return kindGitlink
	}
	return kindRegular
}

// treeMerger merges three trees. In a virtual merge (of several merge bases into one)
// conflicted files are replaced by placeholders instead of failing the merge.
type treeMerger struct {
	ctx     context.Context
	s       *mergeStore
	virtual bool

	conflicts []Conflict
	// overrides are results decided before the walk (a file following a rename): nil
	// deletes the path. forced holds every directory containing an override, which must
	// be walked instead of taken whole.
	overrides map[string]*mergeEntry
	forced    map[string]bool
	steps     int
}

func newTreeMerger(ctx context.Context, s *mergeStore, virtual bool) *treeMerger {
	return &treeMerger{ctx: ctx, s: s, virtual: virtual, overrides: map[string]*mergeEntry{}, forced: map[string]bool{}}
}

// merge merges trees a and b against base o and returns the merged tree's id (meaningful
// only when no conflict was recorded).
func (m *treeMerger) merge(o, a, b plumbing.Hash) (plumbing.Hash, error) {
	switch {
	// One side changed nothing (a fast-forward, or a source already merged): no rename
	// can matter, and the other side's changes need not be listed.
	case a == b, o == b:
		return a, nil
	case o == a:
		return b, nil
	}
	if err := m.planRenames(o, a, b); err != nil {
		return plumbing.ZeroHash, err
	}
	root, err := m.mergeDir("", o, a, b)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if root.IsZero() {
		root = m.s.writeTree(nil)
	}
	sort.SliceStable(m.conflicts, func(i, j int) bool { return m.conflicts[i].Path < m.conflicts[j].Path })
	return root, nil
}

func joinPath(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

// byName indexes entries by name.
func byName(entries []mergeEntry) map[string]*mergeEntry {
	out := make(map[string]*mergeEntry, len(entries))
	for i := range entries {
		out[entries[i].name] = &entries[i]
	}
	return out
}

// unionNames lists the names of three trees once each.
func unionNames(trees ...[]mergeEntry) []string {
	seen := map[string]bool{}
	var out []string
	for _, t := range trees {
		for _, e := range t {
			if !seen[e.name] {
				seen[e.name] = true
				out = append(out, e.name)
			}
		}
	}
	sort.Strings(out)
	return out
}

// mergeDir merges directory path; zero ids are missing (empty) trees. It returns the
// merged tree's id, zero when it is empty.
func (m *treeMerger) mergeDir(path string, o, a, b plumbing.Hash) (plumbing.Hash, error) {
	if !m.forced[path] {
		switch {
		case a == b:
			return a, nil
		case o == a:
			return b, nil
		case o == b:
			return a, nil
		}
	}
	if m.steps++; m.steps&255 == 0 {
		if err := m.ctx.Err(); err != nil {
			return plumbing.ZeroHash, err
		}
	}
	to, err := m.s.tree(o)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	ta, err := m.s.tree(a)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	tb, err := m.s.tree(b)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	mo, ma, mb := byName(to), byName(ta), byName(tb)
	var out []mergeEntry
	for _, name := range unionNames(to, ta, tb) {
		e, err := m.mergeName(joinPath(path, name), mo[name], ma[name], mb[name])
		if err != nil {
			return plumbing.ZeroHash, err
		}
		if e != nil {
			out = append(out, mergeEntry{name: name, mode: e.mode, hash: e.hash})
		}
	}
	if len(out) == 0 {
		return plumbing.ZeroHash, nil
	}
	return m.s.writeTree(out), nil
}

// filePart is e when it is not a directory; dirPart is e's tree id when it is one.
func filePart(e *mergeEntry) *mergeEntry {
	if e == nil || e.isDir() {
		return nil
	}
	return e
}

func dirPart(e *mergeEntry) plumbing.Hash {
	if e.isDir() {
		return e.hash
	}
	return plumbing.ZeroHash
}

// mergeName merges the entries of one name in a directory.
func (m *treeMerger) mergeName(p string, o, a, b *mergeEntry) (*mergeEntry, error) {
	if _, overridden := m.overrides[p]; !overridden && !m.forced[p] {
		switch {
		case sameEntry(a, b):
			return a, nil
		case sameEntry(o, a):
			return b, nil
		case sameEntry(o, b):
			return a, nil
		}
	}
	file, err := m.mergeFile(p, filePart(o), filePart(a), filePart(b))
	if err != nil {
		return nil, err
	}
	dir, err := m.mergeDir(p, dirPart(o), dirPart(a), dirPart(b))
	if err != nil {
		return nil, err
	}
	switch {
	case file != nil && !dir.IsZero():
		m.conflict(ConflictFileDirectory, p, filePart(o), filePart(a), filePart(b))
		return &mergeEntry{mode: filemode.Dir, hash: dir}, nil
	case file != nil:
		return &mergeEntry{mode: file.mode, hash: file.hash}, nil
	case !dir.IsZero():
		return &mergeEntry{mode: filemode.Dir, hash: dir}, nil
	}
	return nil, nil
}

// mergeFile merges the file entries (not directories; nil when absent) of one path.
func (m *treeMerger) mergeFile(p string, o, a, b *mergeEntry) (*mergeEntry, error) {
	if ov, ok := m.overrides[p]; ok {
		return ov, nil
	}
	switch {
	case sameEntry(a, b):
		return a, nil
	case sameEntry(o, a):
		return b, nil
	case sameEntry(o, b):
		return a, nil
	case o != nil && m.s.unknown[o.hash]:
		return m.fail(ConflictMultipleBases, p, o, a, b), nil
	case a == nil || b == nil:
		return m.fail(ConflictModifyDelete, p, o, a, b), nil
	}
	kind := entryKind(a.mode)
	if entryKind(b.mode) != kind || (o != nil && entryKind(o.mode) != kind) {
		return m.fail(ConflictDistinctTypes, p, o, a, b), nil
	}
	contentKind := ConflictContent
	if o == nil {
		contentKind = ConflictAddAdd
	}
	switch kind {
	case kindSymlink:
		return m.fail(contentKind, p, o, a, b), nil
	case kindGitlink:
		return m.fail(ConflictSubmodule, p, o, a, b), nil
	}
	mode, modeClean := mergeModes(o, a, b)
	var h plumbing.Hash
	switch {
	case a.hash == b.hash || (o != nil && a.hash == o.hash):
		h = b.hash
	case o != nil && b.hash == o.hash:
		h = a.hash
	default:
		merged, failure, err := m.mergeContent(o, a, b)
		if err != nil {
			return nil, fmt.Errorf("merge %s: %w", p, err)
		}
		if failure != "" {
			if failure == ConflictContent {
				failure = contentKind
			}
			return m.fail(failure, p, o, a, b), nil
		}
		h = merged
	}
	if !modeClean {
		return m.fail(contentKind, p, o, a, b), nil
	}
	return &mergeEntry{mode: mode, hash: h}, nil
}

// mergeModes merges the modes of a regular file: a side's change of the execute bit wins
// over the other side's keeping it; an added file's two modes must agree.
func mergeModes(o, a, b *mergeEntry) (filemode.FileMode, bool) {
	var om filemode.FileMode
	if o != nil {
		om = o.mode
	}
	if a.mode == b.mode || a.mode == om {
		return b.mode, true
	}
	return a.mode, b.mode == om
}

// mergeContent merges the contents of three versions of a regular file (o nil: added on
// both sides) line by line. failure names the conflict when there is one.
func (m *treeMerger) mergeContent(o, a, b *mergeEntry) (plumbing.Hash, ConflictKind, error) {
	var base []byte
	if o != nil {
		data, big, err := m.s.blob(o.hash)
		if err != nil || big {
			return plumbing.ZeroHash, ConflictTooLarge, err
		}
		base = data
	}
	ours, big, err := m.s.blob(a.hash)
	if err != nil || big {
		return plumbing.ZeroHash, ConflictTooLarge, err
	}
	theirs, big, err := m.s.blob(b.hash)
	if err != nil || big {
		return plumbing.ZeroHash, ConflictTooLarge, err
	}
	if isBinary(base) || isBinary(ours) || isBinary(theirs) {
		return plumbing.ZeroHash, ConflictBinary, nil
	}
	lm := merge3(base, ours, theirs)
	if !lm.clean() {
		return plumbing.ZeroHash, ConflictContent, nil
	}
	return m.s.writeBlob(lm.result()), "", nil
}

// fail records a conflict at p and returns the entry the tree gets in its place: in a
// virtual merge a placeholder that equals nothing, so that later merges see the path's
// base as unknown; otherwise any side, since a conflicted tree is never kept.
func (m *treeMerger) fail(kind ConflictKind, p string, o, a, b *mergeEntry) *mergeEntry {
	m.conflict(kind, p, o, a, b)
	if m.virtual {
		h := plumbing.ComputeHash(plumbing.BlobObject, []byte("cairn: no merge base for "+p))
		m.s.unknown[h] = true
		return &mergeEntry{mode: filemode.Regular, hash: h}
	}
	if a != nil {
		return a
	}
	return b
}

func (m *treeMerger) conflict(kind ConflictKind, p string, o, a, b *mergeEntry) {
	side := func(e *mergeEntry) ConflictSide {
		if e == nil {
			return ConflictSide{}
		}
		return ConflictSide{Path: p, Mode: e.mode, Hash: e.hash}
	}
	m.conflicts = append(m.conflicts, Conflict{Kind: kind, Path: p, Base: side(o), Ours: side(a), Theirs: side(b)})
}

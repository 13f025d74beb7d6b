package gitstore

import (
	"hash/fnv"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
)

// Renames in a merge. git (merge-ort) detects renames on each side, for the files a side
// deleted that the other side deleted or modified, or that sat in a directory the side
// removed while the other side added files there; then an edit follows a renamed file,
// and renames meeting deletions, other renames or new files in a renamed directory are
// conflicts. cairn does not find renames by similarity as git does (50 % of matching
// content), but it must never call clean what git calls conflicted, so:
//
//   - An exact rename (a blob deleted at one path and added at one other path on the same
//     side, each unique on that side) of a file the other side modified is followed: the
//     modified content lands at the new path, as git does. Anything less certain stays a
//     modify/delete conflict.
//   - A file deleted on both sides is a conflict (rename/delete, rename/rename) when a side
//     may have renamed it: it added a file with the same content or with at least
//     minRenameSimilarity of git's similarity measure, a bound loose enough to cover git's
//     50 %. Both sides renaming it exactly to the same path is clean, as in git.
//   - A file added on one side in a directory the other side removed is a conflict
//     ("directory rename") when the other side may have renamed any file of that directory.
//
// Where cairn cannot afford the comparisons (renameBudget), it assumes a rename.

// minRenameSimilarity is the similarity from which a deleted and an added file may be a
// rename. git's threshold is 0.5 on a measure that hashes chunks lossily and so can only
// score higher than cairn's exact-chunk measure; the margin covers that.
const minRenameSimilarity = 0.4

// Limits on the work rename detection may do before assuming the worst.
const (
	maxRenameComparisons = 100_000
	maxRenameBytes       = 64 << 20
)

// sideChanges are the file changes from the base to one side of a merge.
type sideChanges struct {
	deleted  map[string]*mergeEntry // base files the side no longer has at their path
	added    map[string]*mergeEntry // the side's files where the base has no file
	modified map[string]*mergeEntry // the side's files whose mode or content changed
	// removedDirs are base directories the side no longer has.
	removedDirs []string

	addedPaths   []string // sorted keys of added
	deletedPaths []string // sorted keys of deleted
	addedIDs     map[plumbing.Hash]bool
}

// changesFrom lists the file changes from tree o to tree x, reading only trees that differ.
func (m *treeMerger) changesFrom(o, x plumbing.Hash) (*sideChanges, error) {
	c := &sideChanges{deleted: map[string]*mergeEntry{}, added: map[string]*mergeEntry{},
		modified: map[string]*mergeEntry{}}
	if err := m.collectChanges(c, "", o, x); err != nil {
		return nil, err
	}
	c.addedIDs = make(map[plumbing.Hash]bool, len(c.added))
	for p, e := range c.added {
		c.addedPaths = append(c.addedPaths, p)
		c.addedIDs[e.hash] = true
	}
	for p := range c.deleted {
		c.deletedPaths = append(c.deletedPaths, p)
	}
	sort.Strings(c.addedPaths)
	sort.Strings(c.deletedPaths)
	return c, nil
}

func (m *treeMerger) collectChanges(c *sideChanges, path string, o, x plumbing.Hash) error {
	if o == x {
		return nil
	}
	if m.steps++; m.steps&255 == 0 {
		if err := m.ctx.Err(); err != nil {
			return err
		}
	}
	to, err := m.s.tree(o)
	if err != nil {
		return err
	}
	tx, err := m.s.tree(x)
	if err != nil {
		return err
	}
	mo, mx := byName(to), byName(tx)
	for _, name := range unionNames(to, tx) {
		eo, ex := mo[name], mx[name]
		if sameEntry(eo, ex) {
			continue
		}
		p := joinPath(path, name)
		fo, fx := filePart(eo), filePart(ex)
		switch {
		case fo != nil && fx == nil:
			c.deleted[p] = fo
		case fo == nil && fx != nil:
			c.added[p] = fx
		case fo != nil && !sameEntry(fo, fx):
			c.modified[p] = fx
		}
		do, dx := dirPart(eo), dirPart(ex)
		if do != dx {
			if !do.IsZero() && dx.IsZero() {
				c.removedDirs = append(c.removedDirs, p)
			}
			if err := m.collectChanges(c, p, do, dx); err != nil {
				return err
			}
		}
	}
	return nil
}

// under returns the paths of sorted that lie under directory dir.
func under(sorted []string, dir string) []string {
	prefix := dir + "/"
	i := sort.SearchStrings(sorted, prefix)
	j := i
	for j < len(sorted) && strings.HasPrefix(sorted[j], prefix) {
		j++
	}
	return sorted[i:j]
}

// exactRenames pairs each deleted file with the one added file of the same content and
// kind, when both are the only ones of that content on the side.
func exactRenames(c *sideChanges) map[string]string {
	type key struct {
		hash plumbing.Hash
		kind int
	}
	deleted, added := map[key][]string{}, map[key][]string{}
	for p, e := range c.deleted {
		k := key{e.hash, entryKind(e.mode)}
		deleted[k] = append(deleted[k], p)
	}
	for p, e := range c.added {
		k := key{e.hash, entryKind(e.mode)}
		added[k] = append(added[k], p)
	}
	out := map[string]string{}
	for k, srcs := range deleted {
		if dsts := added[k]; len(srcs) == 1 && len(dsts) == 1 {
			out[srcs[0]] = dsts[0]
		}
	}
	return out
}

// renameFinder answers whether a side may have renamed a base file, within a budget.
type renameFinder struct {
	m           *treeMerger
	comparisons int
	bytesRead   int64
	chunks      map[plumbing.Hash]*chunkCounts
	answers     map[renameQuestion]bool
}

// renameQuestion is "may this side have renamed a file of this content?".
type renameQuestion struct {
	side *sideChanges
	src  plumbing.Hash
}

// chunkCounts is a file cut in chunks as git's similarity measure cuts it: bytes up to a
// newline or 64 bytes, CR before LF dropped in text; bytes per distinct chunk.
type chunkCounts struct {
	size   int
	counts map[uint64]int
}

func countChunks(data []byte) *chunkCounts {
	text := !isBinary(data)
	c := &chunkCounts{counts: map[uint64]int{}}
	var chunk []byte
	flush := func() {
		h := fnv.New64a()
		h.Write(chunk)
		c.counts[h.Sum64()] += len(chunk)
		c.size += len(chunk)
		chunk = chunk[:0]
	}
	for i := 0; i < len(data); i++ {
		ch := data[i]
		if text && ch == '\r' && i+1 < len(data) && data[i+1] == '\n' {
			continue
		}
		chunk = append(chunk, ch)
		if ch == '\n' || len(chunk) == 64 {
			flush()
		}
	}
	if len(chunk) > 0 {
		flush()
	}
	return c
}

// similarity is the share of the larger file's bytes found in chunks common to both.
func similarity(a, b *chunkCounts) float64 {
	larger := max(a.size, b.size)
	if larger == 0 {
		return 1
	}
	common := 0
	for h, n := range a.counts {
		common += min(n, b.counts[h])
	}
	return float64(common) / float64(larger)
}

// counts returns the chunks of blob h; ok is false when the budget does not allow reading
// it.
func (f *renameFinder) counts(h plumbing.Hash) (c *chunkCounts, ok bool, err error) {
	if c, ok := f.chunks[h]; ok {
		return c, true, nil
	}
	if f.m.s.unknown[h] {
		return nil, false, nil
	}
	data, big, err := f.m.s.blob(h)
	if err != nil {
		return nil, false, err
	}
	f.bytesRead += int64(len(data))
	if big || f.bytesRead > maxRenameBytes {
		return nil, false, nil
	}
	c = countChunks(data)
	f.chunks[h] = c
	return c, true, nil
}

// mayHaveRenamed reports whether side c may have renamed base file src: it added a file
// of the same content, or one similar enough.
func (f *renameFinder) mayHaveRenamed(c *sideChanges, src *mergeEntry) (bool, error) {
	q := renameQuestion{c, src.hash}
	if answer, ok := f.answers[q]; ok {
		return answer, nil
	}
	answer, err := f.findRename(c, src)
	if err == nil {
		f.answers[q] = answer
	}
	return answer, err
}

func (f *renameFinder) findRename(c *sideChanges, src *mergeEntry) (bool, error) {
	if len(c.added) == 0 {
		return false, nil
	}
	if c.addedIDs[src.hash] {
		return true, nil
	}
	if entryKind(src.mode) == kindGitlink || src.hash == emptyBlob {
		return false, nil
	}
	sc, ok, err := f.counts(src.hash)
	if err != nil || !ok {
		return true, err
	}
	for _, p := range c.addedPaths {
		e := c.added[p]
		if entryKind(e.mode) == kindGitlink || e.hash == emptyBlob {
			continue
		}
		if f.comparisons++; f.comparisons > maxRenameComparisons {
			return true, nil
		}
		dc, ok, err := f.counts(e.hash)
		if err != nil || !ok {
			return true, err
		}
		if float64(min(sc.size, dc.size)) < minRenameSimilarity*float64(max(sc.size, dc.size)) {
			continue
		}
		if similarity(sc, dc) >= minRenameSimilarity {
			return true, nil
		}
	}
	return false, nil
}

// planRenames looks at what each side deleted and decides, before the walk, what renames
// change: followed edits become overrides, uncertain cases become conflicts.
func (m *treeMerger) planRenames(o, a, b plumbing.Hash) error {
	ca, err := m.changesFrom(o, a)
	if err != nil {
		return err
	}
	cb, err := m.changesFrom(o, b)
	if err != nil {
		return err
	}
	if len(ca.deleted) == 0 && len(cb.deleted) == 0 {
		return nil
	}
	f := &renameFinder{m: m, chunks: map[plumbing.Hash]*chunkCounts{}, answers: map[renameQuestion]bool{}}
	sides := [2]*sideChanges{ca, cb}
	exact := [2]map[string]string{exactRenames(ca), exactRenames(cb)}
	reported := map[string]bool{}
	for x := range 2 {
		X, Y := sides[x], sides[1-x]
		for _, src := range X.deletedPaths {
			oe := X.deleted[src]
			if ye, ok := Y.modified[src]; ok {
				if dst, ok := exact[x][src]; ok {
					m.follow(x, src, dst, oe, X.added[dst], ye, Y)
				}
				continue
			}
			if _, ok := Y.deleted[src]; !ok || reported[src] {
				continue
			}
			rx, err := f.mayHaveRenamed(X, oe)
			if err != nil {
				return err
			}
			ry, err := f.mayHaveRenamed(Y, oe)
			if err != nil {
				return err
			}
			if !rx && !ry {
				continue
			}
			if dx, ok := exact[x][src]; ok && exact[1-x][src] == dx && sameEntry(X.added[dx], Y.added[dx]) {
				continue // renamed to the same path, with the same content, on both sides
			}
			reported[src] = true
			kind := ConflictRenameDelete
			if rx && ry {
				kind = ConflictRenameRename
			}
			m.conflict(kind, src, oe, nil, nil)
		}
		for _, dir := range X.removedDirs {
			adds := under(Y.addedPaths, dir)
			if len(adds) == 0 {
				continue
			}
			renamed := false
			for _, src := range under(X.deletedPaths, dir) {
				if renamed, err = f.mayHaveRenamed(X, X.deleted[src]); err != nil {
					return err
				}
				if renamed {
					break
				}
			}
			if !renamed {
				continue
			}
			for _, p := range adds {
				if reported["dir:"+p] {
					continue
				}
				reported["dir:"+p] = true
				e := Y.added[p]
				if x == 0 {
					m.conflict(ConflictDirectoryRename, p, nil, nil, e)
				} else {
					m.conflict(ConflictDirectoryRename, p, nil, e, nil)
				}
			}
		}
	}
	return nil
}

// follow makes the edit side Y made to src land at dst, where side x renamed src
// unchanged, when that is certain: regular files, a non-empty content, nothing of Y's at
// dst or under it, and modes that merge.
func (m *treeMerger) follow(x int, src, dst string, oe, xe, ye *mergeEntry, y *sideChanges) {
	if oe.hash == emptyBlob || entryKind(oe.mode) != kindRegular ||
		entryKind(xe.mode) != kindRegular || entryKind(ye.mode) != kindRegular {
		return
	}
	if _, ok := y.added[dst]; ok || len(under(y.addedPaths, dst)) > 0 {
		return
	}
	ours, theirs := xe, ye
	if x == 1 {
		ours, theirs = ye, xe
	}
	mode, clean := mergeModes(oe, ours, theirs)
	if !clean {
		return
	}
	m.overrides[src] = nil
	m.overrides[dst] = &mergeEntry{mode: mode, hash: ye.hash}
	for _, p := range []string{src, dst} {
		for {
			i := strings.LastIndexByte(p, '/')
			if i < 0 {
				m.forced[""] = true
				break
			}
			p = p[:i]
			m.forced[p] = true
		}
	}
}

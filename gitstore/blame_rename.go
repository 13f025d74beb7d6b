package gitstore

import (
	"path"

	"github.com/go-git/go-git/v5/plumbing"
)

// blameRenameScore is the least similarity at which blame takes a deleted file for the
// earlier name of the blamed one: git's default, 50 %.
const blameRenameScore = 0.5

// renamedFrom finds the file of the parent tree that the commit's tree holds at o's path
// under another name, as git blame asks git's rename detection with the blamed path as the
// only destination (diffcore-rename.c with single_follow): among the files the commit
// deleted, one of the same content (of the same basename first), or else the regular file
// most similar to o's, half alike at least. found is false when the commit created the file.
func (r *Repo) renamedFrom(parent, tree plumbing.Hash, o *blameOrigin) (p string, e treeItem, found bool, err error) {
	var deleted []string
	var items []treeItem
	err = diffTreesRecursive(r.treeData, parent, tree, func(name []byte, old, new treeItem) error {
		if old.mode != 0 && new.mode == 0 && old.mode&modeTypeMask != modeGitlink {
			deleted = append(deleted, string(name))
			items = append(items, old)
		}
		return nil
	})
	if err != nil || len(deleted) == 0 {
		return "", treeItem{}, false, err
	}

	// The same content: git's exact renames, where a source of the destination's basename
	// wins and otherwise the first in path order.
	best := -1
	for i, it := range items {
		if it.hash != o.blob || it.mode != o.mode && (!isRegular(it.mode) || !isRegular(o.mode)) {
			continue
		}
		if best < 0 || path.Base(deleted[i]) == path.Base(o.path) && path.Base(deleted[best]) != path.Base(o.path) {
			best = i
		}
	}
	if best >= 0 {
		return deleted[best], items[best], true, nil
	}

	// The most similar regular file.
	if !isRegular(o.mode) {
		return "", treeItem{}, false, nil
	}
	dst := o.content
	if dst == nil {
		var err error
		if dst, err = r.ReadBlob(o.blob, 0); err != nil {
			return "", treeItem{}, false, err
		}
	}
	dc := countChunks(dst)
	score, read := 0.0, int64(0)
	for i, it := range items {
		if !isRegular(it.mode) {
			continue
		}
		// The sizes first: a file too different in size to be half alike is not read.
		size, err := r.BlobSize(it.hash)
		if err != nil {
			return "", treeItem{}, false, err
		}
		small, large := min(size, int64(len(dst))), max(size, int64(len(dst)))
		if large-small > small {
			continue
		}
		if read += size; read > maxRenameBytes {
			break // git gives up on inexact renames past its limits too
		}
		src, err := r.ReadBlob(it.hash, 0)
		if err != nil {
			return "", treeItem{}, false, err
		}
		s := similarity(countChunks(src), dc)
		if s >= blameRenameScore && (s > score || s == score && best >= 0 &&
			path.Base(deleted[i]) == path.Base(o.path) && path.Base(deleted[best]) != path.Base(o.path)) {
			best, score = i, s
		}
	}
	if best < 0 {
		return "", treeItem{}, false, nil
	}
	return deleted[best], items[best], true, nil
}

func isRegular(mode uint32) bool { return mode&modeTypeMask == modeRegular&modeTypeMask }

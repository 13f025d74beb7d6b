package gitstore

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// gitLockFiles are the lock files git takes, by their path in a bare repository, beside those
// of references and reflogs (any "*.lock" under refs/ and logs/). git makes one with O_EXCL
// before it replaces a file and renames it over the file when done; one left behind by a
// process that died makes every later git command that needs the file fail ("Unable to create
// '…/main.lock': File exists") until it is removed.
var gitLockFiles = []string{
	"HEAD.lock", "ORIG_HEAD.lock", "FETCH_HEAD.lock", "MERGE_HEAD.lock",
	"packed-refs.lock", "config.lock", "index.lock", "shallow.lock", "description.lock",
	"info/refs.lock", "info/exclude.lock", "info/attributes.lock",
	"objects/info/alternates.lock", "objects/info/packs.lock", "objects/info/commit-graph.lock",
	"objects/info/commit-graphs/commit-graph-chain.lock", "objects/pack/multi-pack-index.lock",
}

// RemoveStaleLocks removes git's lock files last changed before the given time, which no
// live process can hold when it is the start of the process that owns the repositories, from
// every repository of the store. cairn's own reference lock (cairn-refs.lock, an advisory lock
// on a file that stays) is not one of them. It returns what it removed, as paths under the
// store's root.
func (s *Store) RemoveStaleLocks(before time.Time) ([]string, error) {
	ids, err := s.IDs()
	if err != nil {
		return nil, err
	}
	var removed []string
	stale := func(path string) error {
		fi, err := os.Lstat(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if !fi.Mode().IsRegular() || !fi.ModTime().Before(before) {
			return nil
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		rel, _ := filepath.Rel(s.root, path)
		removed = append(removed, filepath.ToSlash(rel))
		return nil
	}
	for _, id := range ids {
		dir := s.Path(id)
		for _, name := range gitLockFiles {
			if err := stale(filepath.Join(dir, filepath.FromSlash(name))); err != nil {
				return removed, fmt.Errorf("remove stale locks of repository %d: %w", id, err)
			}
		}
		for _, tree := range []string{"refs", "logs"} {
			err := filepath.WalkDir(filepath.Join(dir, tree), func(path string, d fs.DirEntry, err error) error {
				if errors.Is(err, fs.ErrNotExist) {
					return nil
				}
				if err != nil || d.IsDir() || !strings.HasSuffix(d.Name(), ".lock") {
					return err
				}
				return stale(path)
			})
			if err != nil {
				return removed, fmt.Errorf("remove stale locks of repository %d: %w", id, err)
			}
		}
	}
	return removed, nil
}

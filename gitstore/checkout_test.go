package gitstore

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// storeObject writes an object to r and returns its id.
func storeObject(t *testing.T, r *Repo, o interface {
	Encode(plumbing.EncodedObject) error
}) plumbing.Hash {
	t.Helper()
	obj := r.git.Storer.NewEncodedObject()
	if err := o.Encode(obj); err != nil {
		t.Fatal(err)
	}
	h, err := r.git.Storer.SetEncodedObject(obj)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func storeBlob(t *testing.T, r *Repo, content string) plumbing.Hash {
	t.Helper()
	h, err := r.writeBlob([]byte(content))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// commitTree stores a commit of tree entries (sorted as git sorts them) and returns it.
func commitTree(t *testing.T, r *Repo, entries []object.TreeEntry) plumbing.Hash {
	t.Helper()
	sortTreeEntries(entries)
	tree := storeObject(t, r, &object.Tree{Entries: entries})
	sig := object.Signature{Name: "A", Email: "a@example.com", When: time.Unix(1700000000, 0)}
	return storeObject(t, r, &object.Commit{Author: sig, Committer: sig, Message: "tree\n", TreeHash: tree})
}

func TestCheckoutWritesFilesModesAndLinks(t *testing.T) {
	_, r := newRepo(t, File{Path: "README.md", Content: []byte("hello\n")})
	sub := storeObject(t, r, &object.Tree{Entries: []object.TreeEntry{
		{Name: "run.sh", Mode: filemode.Executable, Hash: storeBlob(t, r, "#!/bin/sh\necho hi\n")}}})
	h := commitTree(t, r, []object.TreeEntry{
		{Name: "README.md", Mode: filemode.Regular, Hash: storeBlob(t, r, "hello\n")},
		{Name: "bin", Mode: filemode.Dir, Hash: sub},
		{Name: "link", Mode: filemode.Symlink, Hash: storeBlob(t, r, "README.md")},
		{Name: "vendor", Mode: filemode.Submodule, Hash: plumbing.NewHash("1111111111111111111111111111111111111111")},
	})
	dir := t.TempDir()
	if err := r.Checkout(context.Background(), h, dir); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "README.md")); err != nil || string(b) != "hello\n" {
		t.Errorf("README.md: %q, %v", b, err)
	}
	if st, err := os.Stat(filepath.Join(dir, "bin", "run.sh")); err != nil || st.Mode().Perm()&0o100 == 0 {
		t.Errorf("bin/run.sh is not executable: %v, %v", st, err)
	}
	if st, err := os.Stat(filepath.Join(dir, "README.md")); err != nil || st.Mode().Perm()&0o111 != 0 {
		t.Errorf("README.md is executable: %v, %v", st, err)
	}
	if target, err := os.Readlink(filepath.Join(dir, "link")); err != nil || target != "README.md" {
		t.Errorf("link: %q, %v", target, err)
	}
	if st, err := os.Stat(filepath.Join(dir, "vendor")); err != nil || !st.IsDir() {
		t.Errorf("a submodule is not an empty directory: %v, %v", st, err)
	}
}

// Entries git itself would refuse to check out are refused, and nothing is written outside
// the directory.
func TestCheckoutRefusesUnsafeEntries(t *testing.T) {
	_, r := newRepo(t, File{Path: "README.md", Content: []byte("x")})
	blob := storeBlob(t, r, "owned")
	hooks := storeObject(t, r,
		&object.Tree{Entries: []object.TreeEntry{{Name: "config", Mode: filemode.Regular, Hash: blob}}})
	for _, name := range []string{"..", ".git", ".GIT", "a\\b"} {
		t.Run(name, func(t *testing.T) {
			mode, hash := filemode.Regular, blob
			if name == ".git" || name == ".GIT" {
				mode, hash = filemode.Dir, hooks
			}
			h := commitTree(t, r, []object.TreeEntry{{Name: name, Mode: mode, Hash: hash}})
			parent := t.TempDir()
			dir := filepath.Join(parent, "checkout")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			err := r.Checkout(context.Background(), h, dir)
			if !errors.Is(err, ErrUnsafePath) {
				t.Fatalf("checkout of %q: %v, want ErrUnsafePath", name, err)
			}
			left, _ := os.ReadDir(parent)
			if len(left) != 1 {
				t.Errorf("written beside the checkout: %v", left)
			}
		})
	}
}

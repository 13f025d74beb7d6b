// Package gitstore keeps cairn's bare git repositories: their lifecycle on disk, reads,
// commits, refs and the pack protocol. It knows git and nothing of users or permissions.
package gitstore

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// ErrNotExist is returned when a repository is not on disk.
var ErrNotExist = errors.New("repository does not exist")

// Store keeps bare repositories under one directory, named by project id (<id>.git), so that
// renaming or transferring a project moves no files.
type Store struct {
	root    string
	bitmaps bitmapJobs // reachability bitmaps written after pushes (bitmap_write.go)
	reads   *readShare // what reads of the same repository share (readshare.go)
}

// New returns a store rooted at dir, creating it if needed, readable by its owner only.
func New(dir string) (*Store, error) {
	for _, d := range []string{dir, filepath.Join(dir, ".tmp"), filepath.Join(dir, ".trash")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("create repository directory: %w", err)
		}
	}
	return &Store{root: dir, reads: newReadShare()}, nil
}

// Root is the directory holding the repositories.
func (s *Store) Root() string { return s.root }

// Path is where the repository of project id lives.
func (s *Store) Path(id int64) string {
	return filepath.Join(s.root, strconv.FormatInt(id, 10)+".git")
}

// Exists reports whether the repository of project id is on disk.
func (s *Store) Exists(id int64) bool {
	fi, err := os.Stat(s.Path(id))
	return err == nil && fi.IsDir()
}

// Signature names the author or committer of a commit.
type Signature struct {
	Name  string
	Email string
	When  time.Time
}

// File is one file of an initial commit.
type File struct {
	Path       string
	Content    []byte
	Executable bool
}

// InitOptions describe a new repository.
type InitOptions struct {
	// DefaultBranch is what HEAD points to; "main" when empty.
	DefaultBranch string
	// Files, when not empty, are committed as the first commit on the default branch.
	Files   []File
	Message string
	Author  Signature
}

// Create makes the bare repository of project id. It is built in a temporary directory and
// renamed into place, so a crash never leaves a half-made repository under its final name.
func (s *Store) Create(id int64, opts InitOptions) error {
	if s.Exists(id) {
		return fmt.Errorf("create repository %d: %w", id, os.ErrExist)
	}
	st, err := s.Stage(opts)
	if err != nil {
		return fmt.Errorf("create repository %d: %w", id, err)
	}
	if err := s.Publish(st, id); err != nil {
		s.Discard(st)
		return err
	}
	return nil
}

// Staged is a new repository built in the store's scratch directory, not yet any project's.
type Staged struct {
	dir string
}

// Stage builds a new bare repository, with opts' first commit, in the store's scratch
// directory, for Publish to give to a project once it has an id: all the work of a creation
// but a rename. One that is neither published nor discarded is removed by the next Sweep.
func (s *Store) Stage(opts InitOptions) (Staged, error) {
	branch := opts.DefaultBranch
	if branch == "" {
		branch = "main"
	}
	tmp := filepath.Join(s.root, ".tmp", "new-"+randomSuffix()+".git")
	st := Staged{dir: tmp}
	repo, err := initBare(tmp, "new repository", branch)
	if err != nil {
		s.Discard(st)
		return Staged{}, err
	}
	if len(opts.Files) > 0 {
		if _, err := initialCommit(repo, branch, opts); err != nil {
			s.Discard(st)
			return Staged{}, fmt.Errorf("initial commit of new repository: %w", err)
		}
	}
	return st, nil
}

// Publish moves a staged repository into place as the repository of project id.
func (s *Store) Publish(st Staged, id int64) error {
	if s.Exists(id) {
		return fmt.Errorf("create repository %d: %w", id, os.ErrExist)
	}
	if err := os.Rename(st.dir, s.Path(id)); err != nil {
		return fmt.Errorf("move repository %d into place: %w", id, err)
	}
	s.reads.forgetRepo(id)
	return nil
}

// initBare makes an empty bare repository at dir, with HEAD on branch; what names it in
// errors ("repository 5", "new repository").
func initBare(dir, what, branch string) (*git.Repository, error) {
	repo, err := git.PlainInitWithOptions(dir, &git.PlainInitOptions{
		Bare:        true,
		InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName(branch)},
	})
	if err != nil {
		return nil, fmt.Errorf("init %s: %w", what, err)
	}
	cfg, err := repo.Config()
	if err != nil {
		return nil, fmt.Errorf("read config of %s: %w", what, err)
	}
	// Pushes are accepted by cairn itself; these keep C git tools happy on the same directory.
	cfg.Raw.Section("http").SetOption("receivepack", "true")
	cfg.Raw.Section("core").SetOption("logallrefupdates", "false")
	if err := repo.SetConfig(cfg); err != nil {
		return nil, fmt.Errorf("write config of %s: %w", what, err)
	}
	return repo, nil
}

// Discard removes a staged repository that was not published.
func (s *Store) Discard(st Staged) error {
	if st.dir == "" {
		return nil
	}
	return os.RemoveAll(st.dir)
}

// Delete removes the repository of project id. It is first renamed out of the way, so that a
// crash half way leaves nothing under the final name. Deleting a missing repository succeeds.
func (s *Store) Delete(id int64) error {
	trash := filepath.Join(s.root, ".trash", fmt.Sprintf("%d-%s.git", id, randomSuffix()))
	s.reads.forgetRepo(id)
	if err := os.Rename(s.Path(id), trash); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("delete repository %d: %w", id, err)
	}
	if err := os.RemoveAll(trash); err != nil {
		return fmt.Errorf("delete repository %d: %w", id, err)
	}
	return nil
}

// Open opens the repository of project id. A go-git repository value is not safe for
// concurrent use: open one per request.
func (s *Store) Open(id int64) (*git.Repository, error) {
	repo, err := git.PlainOpen(s.Path(id))
	if errors.Is(err, git.ErrRepositoryNotExists) {
		return nil, fmt.Errorf("open repository %d: %w", id, ErrNotExist)
	}
	if err != nil {
		return nil, fmt.Errorf("open repository %d: %w", id, err)
	}
	return repo, nil
}

// IDs lists the project ids that have a repository on disk, in increasing order.
func (s *Store) IDs() ([]int64, error) {
	entries, err := os.ReadDir(s.root)
	if err != nil {
		return nil, fmt.Errorf("list repositories: %w", err)
	}
	var ids []int64
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".git")
		if !ok || !e.IsDir() {
			continue
		}
		if id, err := strconv.ParseInt(name, 10, 64); err == nil && id > 0 {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids, nil
}

// Sweep removes what an interrupted Create or Delete left in the store's scratch directories.
func (s *Store) Sweep() error {
	for _, d := range []string{".tmp", ".trash"} {
		dir := filepath.Join(s.root, d)
		entries, err := os.ReadDir(dir)
		if err != nil {
			return fmt.Errorf("sweep %s: %w", d, err)
		}
		for _, e := range entries {
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				return fmt.Errorf("sweep %s: %w", d, err)
			}
		}
	}
	return nil
}

// initialCommit writes opts.Files as the first commit of branch.
func initialCommit(repo *git.Repository, branch string, opts InitOptions) (plumbing.Hash, error) {
	st := repo.Storer
	root := newTreeNode()
	for _, f := range opts.Files {
		blob := st.NewEncodedObject()
		blob.SetType(plumbing.BlobObject)
		w, err := blob.Writer()
		if err != nil {
			return plumbing.ZeroHash, err
		}
		if _, err := w.Write(f.Content); err != nil {
			return plumbing.ZeroHash, err
		}
		if err := w.Close(); err != nil {
			return plumbing.ZeroHash, err
		}
		h, err := st.SetEncodedObject(blob)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		mode := filemode.Regular
		if f.Executable {
			mode = filemode.Executable
		}
		if err := root.insert(strings.Split(strings.Trim(f.Path, "/"), "/"), h, mode); err != nil {
			return plumbing.ZeroHash, fmt.Errorf("file %q: %w", f.Path, err)
		}
	}
	treeHash, err := root.write(st)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	when := opts.Author.When
	if when.IsZero() {
		when = time.Now()
	}
	sig := object.Signature{Name: opts.Author.Name, Email: opts.Author.Email, When: when}
	msg := opts.Message
	if msg == "" {
		msg = "Initial commit"
	}
	if err := checkObjectText(msg, opts.Author); err != nil {
		return plumbing.ZeroHash, err
	}
	if !strings.HasSuffix(msg, "\n") {
		msg += "\n"
	}
	commit := &object.Commit{Author: sig, Committer: sig, Message: msg, TreeHash: treeHash}
	obj := st.NewEncodedObject()
	if err := commit.Encode(obj); err != nil {
		return plumbing.ZeroHash, err
	}
	h, err := st.SetEncodedObject(obj)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	ref := plumbing.NewHashReference(plumbing.NewBranchReferenceName(branch), h)
	if err := st.SetReference(ref); err != nil {
		return plumbing.ZeroHash, err
	}
	return h, nil
}

// treeNode builds nested tree objects from slash-separated paths.
type treeNode struct {
	blobs map[string]object.TreeEntry
	dirs  map[string]*treeNode
}

func newTreeNode() *treeNode {
	return &treeNode{blobs: map[string]object.TreeEntry{}, dirs: map[string]*treeNode{}}
}

func (n *treeNode) insert(parts []string, h plumbing.Hash, mode filemode.FileMode) error {
	name := parts[0]
	if !EntryNameAllowed(name) {
		return errors.New("invalid path")
	}
	if len(parts) == 1 {
		if _, ok := n.dirs[name]; ok {
			return errors.New("a directory has this name")
		}
		n.blobs[name] = object.TreeEntry{Name: name, Mode: mode, Hash: h}
		return nil
	}
	if _, ok := n.blobs[name]; ok {
		return errors.New("a file has this name")
	}
	child, ok := n.dirs[name]
	if !ok {
		child = newTreeNode()
		n.dirs[name] = child
	}
	return child.insert(parts[1:], h, mode)
}

func (n *treeNode) write(st storer.EncodedObjectStorer) (plumbing.Hash, error) {
	var entries []object.TreeEntry
	for _, e := range n.blobs {
		entries = append(entries, e)
	}
	for name, d := range n.dirs {
		h, err := d.write(st)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		entries = append(entries, object.TreeEntry{Name: name, Mode: filemode.Dir, Hash: h})
	}
	sortTreeEntries(entries)
	tree := &object.Tree{Entries: entries}
	obj := st.NewEncodedObject()
	if err := tree.Encode(obj); err != nil {
		return plumbing.ZeroHash, err
	}
	return st.SetEncodedObject(obj)
}

// sortTreeEntries orders entries as git does: by name, with directories compared as if their
// name ended in '/'.
func sortTreeEntries(entries []object.TreeEntry) {
	key := func(e object.TreeEntry) string {
		if e.Mode == filemode.Dir {
			return e.Name + "/"
		}
		return e.Name
	}
	sort.Slice(entries, func(i, j int) bool { return key(entries[i]) < key(entries[j]) })
}

func randomSuffix() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// SetHead points the HEAD of the repository of project id at branch.
func (s *Store) SetHead(id int64, branch string) error {
	repo, err := s.Open(id)
	if err != nil {
		return err
	}
	head := plumbing.NewSymbolicReference(plumbing.HEAD, plumbing.NewBranchReferenceName(branch))
	if err := repo.Storer.SetReference(head); err != nil {
		return fmt.Errorf("set HEAD of repository %d: %w", id, err)
	}
	return nil
}

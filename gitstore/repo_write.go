package gitstore

import (
	"errors"
	"fmt"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Kinds of file actions in a commit.
const (
	ActionCreate = "create"
	ActionUpdate = "update"
	ActionDelete = "delete"
	ActionMove   = "move"
	ActionChmod  = "chmod"
)

// Why a file action cannot be applied; wrapped in an *ActionError.
var (
	ErrFileExists      = errors.New("a file with this name already exists")
	ErrFileNotExist    = errors.New("a file with this name doesn't exist")
	ErrDirectoryExists = errors.New("a directory with this name already exists")
	ErrInvalidPath     = errors.New("invalid file path")
	ErrUnknownAction   = errors.New("unknown action")
	ErrNoChanges       = errors.New("the commit would change nothing")
)

// Why a commit or tag object cannot be written: what git's fsck would refuse in it.
var (
	ErrInvalidIdentity = errors.New("a name or email holds '<', '>', a newline or a NUL byte")
	ErrInvalidMessage  = errors.New("the message holds a NUL byte")
)

// IdentityWritable reports whether s may be the name or the email of an author, committer
// or tagger as git writes them ("name <email> time zone"): without '<', '>', a newline or a
// NUL byte, which would end the field early or forge the fields after it.
func IdentityWritable(s string) bool { return !strings.ContainsAny(s, "<>\n\x00") }

// checkObjectText refuses the signatures and message of a commit or tag that git would not
// read back as written.
func checkObjectText(message string, sigs ...Signature) error {
	for _, sig := range sigs {
		if !IdentityWritable(sig.Name) || !IdentityWritable(sig.Email) {
			return ErrInvalidIdentity
		}
	}
	if strings.IndexByte(message, 0) >= 0 {
		return ErrInvalidMessage
	}
	return nil
}

// ActionError says which action of a commit failed and why.
type ActionError struct {
	Index int
	Path  string
	Err   error
}

func (e *ActionError) Error() string {
	return fmt.Sprintf("action %d (%s): %v", e.Index, e.Path, e.Err)
}

func (e *ActionError) Unwrap() error { return e.Err }

// FileAction is one change of a commit made from actions.
type FileAction struct {
	Action       string
	Path         string
	PreviousPath string // move: where the file was
	// Content is the new content of create and update, and of a move when HasContent.
	Content    []byte
	HasContent bool
	// Executable sets the execute bit (chmod; create and update when not nil).
	Executable *bool
}

// CommitSpec describes a commit to build from actions on top of Parent (zero: a root commit).
type CommitSpec struct {
	Parent    plumbing.Hash
	Actions   []FileAction
	Author    Signature
	Committer Signature
	Message   string
	// AllowEmpty builds the commit even when its tree is the parent's.
	AllowEmpty bool
}

// BuildCommit writes the objects of a commit applying spec's actions to its parent's tree
// and returns the commit's id. It moves no reference: the caller does, with UpdateRefs.
func (r *Repo) BuildCommit(spec CommitSpec) (plumbing.Hash, error) {
	root := &editTree{}
	var parents []plumbing.Hash
	if !spec.Parent.IsZero() {
		c, err := r.git.CommitObject(spec.Parent)
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("read commit %s: %w", spec.Parent, err)
		}
		root.hash = c.TreeHash
		parents = []plumbing.Hash{spec.Parent}
	} else {
		root.loaded, root.dirty, root.entries = true, true, map[string]*editEntry{}
	}
	for i, a := range spec.Actions {
		if err := r.apply(root, a); err != nil {
			return plumbing.ZeroHash, &ActionError{Index: i, Path: a.Path, Err: err}
		}
	}
	base := root.hash
	tree, err := r.writeTree(root)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if !spec.AllowEmpty && !spec.Parent.IsZero() && tree == base {
		return plumbing.ZeroHash, ErrNoChanges
	}
	return r.writeCommit(tree, parents, spec.Author, spec.Committer, spec.Message)
}

// writeCommit writes a commit of tree with parents; its message ends in a newline, as git
// commit-tree makes it. Committer defaults to author when it has neither name nor email.
func (r *Repo) writeCommit(tree plumbing.Hash, parents []plumbing.Hash, author, committer Signature,
	message string) (plumbing.Hash, error) {
	if committer.Name == "" && committer.Email == "" {
		committer = author
	}
	if err := checkObjectText(message, author, committer); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("write commit: %w", err)
	}
	if !strings.HasSuffix(message, "\n") {
		message += "\n"
	}
	c := &object.Commit{
		Author:       object.Signature{Name: author.Name, Email: author.Email, When: author.When},
		Committer:    object.Signature{Name: committer.Name, Email: committer.Email, When: committer.When},
		Message:      message,
		TreeHash:     tree,
		ParentHashes: parents,
	}
	obj := r.git.Storer.NewEncodedObject()
	if err := c.Encode(obj); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("encode commit: %w", err)
	}
	h, err := r.git.Storer.SetEncodedObject(obj)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("write commit: %w", err)
	}
	return h, nil
}

// WriteTag writes an annotated tag object naming commit target and returns its id.
func (r *Repo) WriteTag(name string, target plumbing.Hash, tagger Signature, message string) (plumbing.Hash, error) {
	if !CheckRefFormat("refs/tags/" + name) {
		return plumbing.ZeroHash, fmt.Errorf("write tag %q: %w", name, ErrInvalidRefName)
	}
	if err := checkObjectText(message, tagger); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("write tag: %w", err)
	}
	if !strings.HasSuffix(message, "\n") {
		message += "\n"
	}
	t := &object.Tag{Name: name, Tagger: object.Signature{Name: tagger.Name, Email: tagger.Email, When: tagger.When},
		Message: message, TargetType: plumbing.CommitObject, Target: target}
	obj := r.git.Storer.NewEncodedObject()
	if err := t.Encode(obj); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("encode tag: %w", err)
	}
	h, err := r.git.Storer.SetEncodedObject(obj)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("write tag: %w", err)
	}
	return h, nil
}

// editTree is a tree being edited: subtrees are read only when an action reaches them, and
// only changed ones are written back.
type editTree struct {
	hash    plumbing.Hash // the tree as read; zero for a new tree
	loaded  bool
	dirty   bool
	entries map[string]*editEntry
}

type editEntry struct {
	mode filemode.FileMode
	hash plumbing.Hash
	sub  *editTree // for directories, once opened
}

func (r *Repo) load(t *editTree) error {
	if t.loaded {
		return nil
	}
	t.loaded, t.entries = true, map[string]*editEntry{}
	if t.hash.IsZero() {
		return nil
	}
	tree, err := r.git.TreeObject(t.hash)
	if err != nil {
		return fmt.Errorf("read tree %s: %w", t.hash, err)
	}
	for _, e := range tree.Entries {
		t.entries[e.Name] = &editEntry{mode: e.Mode, hash: e.Hash}
	}
	return nil
}

// dir returns the directory holding p's last segment, creating missing ones when create is
// set (nil, nil when one is missing otherwise). Directories on the way are marked dirty.
func (r *Repo) dir(root *editTree, segs []string, create bool) (*editTree, error) {
	t := root
	path := []*editTree{root}
	for _, seg := range segs[:len(segs)-1] {
		if err := r.load(t); err != nil {
			return nil, err
		}
		e, ok := t.entries[seg]
		switch {
		case !ok && !create:
			return nil, nil
		case !ok:
			e = &editEntry{mode: filemode.Dir, sub: &editTree{loaded: true, entries: map[string]*editEntry{}}}
			t.entries[seg] = e
		case e.mode != filemode.Dir && create:
			return nil, ErrFileExists
		case e.mode != filemode.Dir:
			return nil, nil
		}
		if e.sub == nil {
			e.sub = &editTree{hash: e.hash}
		}
		t = e.sub
		path = append(path, t)
	}
	if err := r.load(t); err != nil {
		return nil, err
	}
	if create {
		for _, d := range path {
			d.dirty = true
		}
	}
	return t, nil
}

// find returns the file entry at p, nil when there is none.
func (r *Repo) find(root *editTree, p string) (*editEntry, error) {
	segs := strings.Split(p, "/")
	t, err := r.dir(root, segs, false)
	if err != nil || t == nil {
		return nil, err
	}
	e := t.entries[segs[len(segs)-1]]
	if e == nil || e.mode == filemode.Dir {
		return nil, nil
	}
	return e, nil
}

// put sets the file at p, making the directories on the way.
func (r *Repo) put(root *editTree, p string, mode filemode.FileMode, h plumbing.Hash) error {
	segs := strings.Split(p, "/")
	t, err := r.dir(root, segs, true)
	if err != nil {
		return err
	}
	t.entries[segs[len(segs)-1]] = &editEntry{mode: mode, hash: h}
	return nil
}

// remove deletes the file at p; emptied directories disappear, as in git.
func (r *Repo) remove(root *editTree, p string) error {
	segs := strings.Split(p, "/")
	t, err := r.dir(root, segs, true)
	if err != nil {
		return err
	}
	delete(t.entries, segs[len(segs)-1])
	return nil
}

func (r *Repo) writeBlob(content []byte) (plumbing.Hash, error) {
	obj := r.git.Storer.NewEncodedObject()
	obj.SetType(plumbing.BlobObject)
	obj.SetSize(int64(len(content)))
	w, err := obj.Writer()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if _, err := w.Write(content); err != nil {
		return plumbing.ZeroHash, err
	}
	if err := w.Close(); err != nil {
		return plumbing.ZeroHash, err
	}
	h, err := r.git.Storer.SetEncodedObject(obj)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("write blob: %w", err)
	}
	return h, nil
}

func fileMode(exec bool) filemode.FileMode {
	if exec {
		return filemode.Executable
	}
	return filemode.Regular
}

// apply performs one action on the tree being edited.
func (r *Repo) apply(root *editTree, a FileAction) error {
	p, ok := CleanPath(a.Path)
	if !ok || p == "" || hasGitSegment(p) {
		return ErrInvalidPath
	}
	cur, err := r.find(root, p)
	if err != nil {
		return err
	}
	if cur == nil && a.Action != ActionCreate && a.Action != ActionMove {
		return ErrFileNotExist
	}
	keepMode := func(e *editEntry) filemode.FileMode {
		if a.Executable != nil {
			return fileMode(*a.Executable)
		}
		if e != nil {
			return e.mode
		}
		return filemode.Regular
	}
	switch a.Action {
	case ActionCreate:
		if cur != nil {
			return ErrFileExists
		}
		if isDir, err := r.isDir(root, p); err != nil || isDir {
			return firstErr(err, ErrDirectoryExists)
		}
		h, err := r.writeBlob(a.Content)
		if err != nil {
			return err
		}
		return r.put(root, p, keepMode(nil), h)
	case ActionUpdate:
		h, err := r.writeBlob(a.Content)
		if err != nil {
			return err
		}
		return r.put(root, p, keepMode(cur), h)
	case ActionDelete:
		return r.remove(root, p)
	case ActionChmod:
		exec := a.Executable != nil && *a.Executable
		if cur.mode == filemode.Symlink || cur.mode == filemode.Submodule {
			return nil
		}
		return r.put(root, p, fileMode(exec), cur.hash)
	case ActionMove:
		prev, ok := CleanPath(a.PreviousPath)
		if !ok || prev == "" {
			return ErrInvalidPath
		}
		src, err := r.find(root, prev)
		if err != nil {
			return err
		}
		if src == nil {
			return ErrFileNotExist
		}
		if cur != nil && prev != p {
			return ErrFileExists
		}
		mode, h := src.mode, src.hash
		if a.HasContent {
			if h, err = r.writeBlob(a.Content); err != nil {
				return err
			}
		}
		if err := r.remove(root, prev); err != nil {
			return err
		}
		if isDir, err := r.isDir(root, p); err != nil || isDir {
			return firstErr(err, ErrDirectoryExists)
		}
		if a.Executable != nil {
			mode = fileMode(*a.Executable)
		}
		return r.put(root, p, mode, h)
	}
	return ErrUnknownAction
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// isDir reports whether p is a directory of the tree being edited.
func (r *Repo) isDir(root *editTree, p string) (bool, error) {
	segs := strings.Split(p, "/")
	t, err := r.dir(root, segs, false)
	if err != nil || t == nil {
		return false, err
	}
	e := t.entries[segs[len(segs)-1]]
	return e != nil && e.mode == filemode.Dir, nil
}

// hasGitSegment reports whether a component of p is one git takes for ".git".
func hasGitSegment(p string) bool {
	for _, seg := range strings.Split(p, "/") {
		if isDotGit([]byte(seg)) {
			return true
		}
	}
	return false
}

// writeTree writes the changed trees under t, bottom up, and returns t's id. Directories
// left empty are dropped.
func (r *Repo) writeTree(t *editTree) (plumbing.Hash, error) {
	if !t.dirty {
		return t.hash, nil
	}
	entries := make([]object.TreeEntry, 0, len(t.entries))
	for name, e := range t.entries {
		h := e.hash
		if e.sub != nil {
			var err error
			if h, err = r.writeTree(e.sub); err != nil {
				return plumbing.ZeroHash, err
			}
			if e.sub.loaded && len(e.sub.entries) == 0 {
				continue
			}
		}
		entries = append(entries, object.TreeEntry{Name: name, Mode: e.mode, Hash: h})
	}
	sortTreeEntries(entries)
	obj := r.git.Storer.NewEncodedObject()
	if err := (&object.Tree{Entries: entries}).Encode(obj); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("encode tree: %w", err)
	}
	h, err := r.git.Storer.SetEncodedObject(obj)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("write tree: %w", err)
	}
	t.hash = h
	return h, nil
}

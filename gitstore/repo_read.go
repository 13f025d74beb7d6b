package gitstore

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Errors of repository reads; callers tell them apart with errors.Is.
var (
	// ErrRefNotFound is returned when a name resolves to no commit.
	ErrRefNotFound = errors.New("reference not found")
	// ErrPathNotFound is returned when a path is not in a tree.
	ErrPathNotFound = errors.New("path not found")
)

// largeObject is the size above which blobs are streamed from disk instead of being read
// into memory whole.
const largeObject = 1 << 20

// Repo is one repository opened to read its references and objects and to write objects.
// It is not safe for concurrent use: open one per request, and Close it.
type Repo struct {
	id    int64
	store *Store
	git   *git.Repository
	refs  refStore

	// Reads go through these, made on first use (repo_objects.go).
	odb   *objectDB
	share *repoShare
	graph *graph
	cg    *commitGraph // the commit-graph graph reads from, when there is one
}

// OpenRepo opens the repository of project id. Objects larger than a megabyte are streamed
// from their pack or loose file when read through OpenBlob.
func (s *Store) OpenRepo(id int64) (*Repo, error) {
	if !s.Exists(id) {
		return nil, fmt.Errorf("open repository %d: %w", id, ErrNotExist)
	}
	dir := s.Path(id)
	repo, err := git.Open(newRelistingStorage(dir), nil)
	if err != nil {
		return nil, fmt.Errorf("open repository %d: %w", id, err)
	}
	return &Repo{id: id, store: s, git: repo, refs: refStore{dir: dir}}, nil
}

// Close releases the files the repository holds open.
func (r *Repo) Close() {
	if r.odb != nil {
		r.odb.close()
		r.odb = nil
	}
	if r.share != nil {
		r.share.done()
		r.share = nil
	}
}

// ID is the project id of the repository.
func (r *Repo) ID() int64 { return r.id }

// Commit is a commit as the API shows it.
type Commit struct {
	ID        plumbing.Hash
	Tree      plumbing.Hash
	Parents   []plumbing.Hash
	Author    Signature
	Committer Signature
	Message   string
}

// Title is the first line of the message.
func (c *Commit) Title() string {
	line, _, _ := strings.Cut(strings.TrimLeft(c.Message, "\n"), "\n")
	return strings.TrimRight(line, "\r")
}

func signatureOf(s object.Signature) Signature {
	return Signature{Name: s.Name, Email: s.Email, When: s.When}
}

func commitOf(c *object.Commit) *Commit {
	parents := c.ParentHashes
	if parents == nil {
		parents = []plumbing.Hash{}
	}
	return &Commit{
		ID:        c.Hash,
		Tree:      c.TreeHash,
		Parents:   parents,
		Author:    signatureOf(c.Author),
		Committer: signatureOf(c.Committer),
		Message:   c.Message,
	}
}

// Commit reads commit h; ErrRefNotFound when there is no such commit.
func (r *Repo) Commit(h plumbing.Hash) (*Commit, error) { return r.commitObject(h) }

// Ref is a branch or tag: its short name and the object it names.
type Ref struct {
	Name   string
	Target plumbing.Hash
}

// refsUnder lists the references under prefix ("refs/heads/"), by name.
func (r *Repo) refsUnder(prefix string) ([]Ref, error) {
	l, err := r.refs.list()
	if err != nil {
		return nil, fmt.Errorf("repository %d: %w", r.id, err)
	}
	var out []Ref
	for _, ref := range l.refs {
		if name, ok := strings.CutPrefix(ref.name, prefix); ok {
			out = append(out, Ref{Name: name, Target: ref.hash})
		}
	}
	return out, nil
}

// Branches lists the branches, by name.
func (r *Repo) Branches() ([]Ref, error) { return r.refsUnder("refs/heads/") }

// TagRefs lists the tags, by name, with what each reference names (an annotated tag object
// or a commit).
func (r *Repo) TagRefs() ([]Ref, error) { return r.refsUnder("refs/tags/") }

// Reference returns the value of a full reference name, and whether it exists.
func (r *Repo) Reference(name string) (plumbing.Hash, bool, error) { return r.ref(name) }

// Head returns the branch HEAD names and the commit it points to (zero when unborn).
func (r *Repo) Head() (branch string, h plumbing.Hash, err error) {
	target, h, err := r.head()
	return strings.TrimPrefix(target, "refs/heads/"), h, err
}

// Empty reports whether the repository has no branch.
func (r *Repo) Empty() (bool, error) {
	if target, h, err := r.head(); err != nil || !h.IsZero() && isBranchName(target) {
		return false, err // HEAD's branch exists
	}
	b, err := r.Branches()
	return len(b) == 0, err
}

// Tag is a tag: a reference to a commit, through an annotated tag object or not.
type Tag struct {
	Name string
	// Target is what the reference names: the tag object of an annotated tag, else the commit.
	Target plumbing.Hash
	// Commit is the commit the tag finally names; zero when it names no commit.
	Commit plumbing.Hash
	// Annotated tags have a message and a tagger.
	Annotated bool
	Message   string
	Tagger    Signature
}

// Tag reads tag name; ErrRefNotFound when there is none.
func (r *Repo) Tag(name string) (*Tag, error) {
	h, ok, err := r.Reference("refs/tags/" + name)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("tag %s: %w", name, ErrRefNotFound)
	}
	return r.TagOf(Ref{Name: name, Target: h})
}

// TagOf reads the tag a reference names.
func (r *Repo) TagOf(ref Ref) (*Tag, error) {
	t := &Tag{Name: ref.Name, Target: ref.Target}
	h := ref.Target
	for depth := 0; depth < 16; depth++ {
		typ, data, err := r.readObject(h)
		if err != nil {
			return nil, fmt.Errorf("tag %s: %w", ref.Name, err)
		}
		switch typ {
		case plumbing.CommitObject:
			t.Commit = h
			return t, nil
		case plumbing.TagObject:
			to, err := decodeTag(h, data)
			if err != nil {
				return nil, fmt.Errorf("tag %s: %w", ref.Name, err)
			}
			if depth == 0 {
				t.Annotated, t.Message, t.Tagger = true, to.Message, signatureOf(to.Tagger)
			}
			h = to.Target
		default:
			return t, nil
		}
	}
	return t, nil
}

// Resolve finds the commit a revision names: a full or abbreviated object id, HEAD, a
// branch, a tag (peeled), a full reference name, or an expression such as "main~2", in the
// order git rev-parse tries them. ErrRefNotFound when it names no commit.
func (r *Repo) Resolve(rev string) (plumbing.Hash, error) {
	rev = strings.TrimSpace(rev)
	notFound := fmt.Errorf("revision %q: %w", rev, ErrRefNotFound)
	if rev == "" || strings.HasPrefix(rev, "-") || strings.ContainsAny(rev, " \t\n\x00") {
		return plumbing.ZeroHash, notFound
	}
	if len(rev) == 40 && plumbing.IsHash(rev) {
		return r.peelToCommit(plumbing.NewHash(rev), notFound)
	}
	if rev == "HEAD" {
		_, h, err := r.head()
		if err != nil {
			return plumbing.ZeroHash, err
		}
		if h.IsZero() {
			return plumbing.ZeroHash, notFound
		}
		return h, nil
	}
	for _, name := range []string{rev, "refs/" + rev, "refs/tags/" + rev, "refs/heads/" + rev} {
		if !strings.HasPrefix(name, "refs/") {
			continue
		}
		h, ok, err := r.ref(name)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		if ok {
			return r.peelToCommit(h, notFound)
		}
	}
	if strings.Contains(rev, "..") || strings.Contains(rev, "@{") || strings.Contains(rev, ":") {
		return plumbing.ZeroHash, notFound
	}
	h, ok, handled, err := r.resolveExpression(rev)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if handled {
		if !ok {
			return plumbing.ZeroHash, notFound
		}
		return h, nil
	}
	gh, err := r.git.ResolveRevision(plumbing.Revision(rev))
	if err != nil || gh == nil || gh.IsZero() {
		return plumbing.ZeroHash, notFound
	}
	return *gh, nil
}

// peelToCommit follows annotated tags from h to a commit.
func (r *Repo) peelToCommit(h plumbing.Hash, notFound error) (plumbing.Hash, error) {
	db, err := r.objects()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	for depth := 0; depth < 16; depth++ {
		typ, err := db.typeOf(h)
		if errors.Is(err, errObjectMissing) {
			return plumbing.ZeroHash, notFound
		}
		if err != nil {
			return plumbing.ZeroHash, err
		}
		switch typ {
		case plumbing.CommitObject:
			return h, nil
		case plumbing.TagObject:
			_, data, err := db.read(h)
			if err != nil {
				return plumbing.ZeroHash, err
			}
			target, _, err := parseTag(data)
			if err != nil {
				return plumbing.ZeroHash, err
			}
			h = target
		default:
			return plumbing.ZeroHash, notFound
		}
	}
	return plumbing.ZeroHash, notFound
}

// MergeBase returns a best common ancestor of commits a and b; ok is false when they have none.
func (r *Repo) MergeBase(a, b plumbing.Hash) (base plumbing.Hash, ok bool, err error) {
	bases, err := r.MergeBases(context.Background(), a, b)
	if err != nil {
		return plumbing.ZeroHash, false, fmt.Errorf("merge base: %w", err)
	}
	if len(bases) == 0 {
		return plumbing.ZeroHash, false, nil
	}
	return bases[0], true, nil
}

// BlobReader is an open blob: read it, then Close it.
type BlobReader struct {
	io.ReadCloser
	Size int64
}

// OpenBlob opens blob h for reading. Blobs above a megabyte stored whole (not as a delta)
// are streamed from disk rather than read into memory.
func (r *Repo) OpenBlob(h plumbing.Hash) (*BlobReader, error) {
	db, err := r.objects()
	if err != nil {
		return nil, err
	}
	size, rc, err := db.openBlob(h)
	if errors.Is(err, errObjectMissing) {
		return nil, fmt.Errorf("blob %s: %w", h, ErrPathNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read blob %s: %w", h, err)
	}
	return &BlobReader{ReadCloser: rc, Size: size}, nil
}

// BlobSize returns the size of blob h without reading its content; ErrPathNotFound when
// there is no such blob.
func (r *Repo) BlobSize(h plumbing.Hash) (int64, error) {
	db, err := r.objects()
	if err != nil {
		return 0, err
	}
	size, err := db.blobSize(h)
	if errors.Is(err, errObjectMissing) {
		return 0, fmt.Errorf("blob %s: %w", h, ErrPathNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("read blob %s: %w", h, err)
	}
	return size, nil
}

// BlobSHA256 returns the SHA-256 of blob h's content, which raw downloads send before the
// content itself; it is remembered, so a large file is read once per download, not twice.
func (r *Repo) BlobSHA256(h plumbing.Hash) ([32]byte, error) {
	var sum [32]byte
	if _, err := r.objects(); err != nil {
		return sum, err
	}
	if o, ok := r.store.reads.cache.get(r.cacheKey(h)); ok && o.sum != nil {
		return *o.sum, nil
	}
	br, err := r.OpenBlob(h)
	if err != nil {
		return sum, err
	}
	defer br.Close()
	hash := sha256.New()
	if _, err := io.Copy(hash, br); err != nil {
		return sum, fmt.Errorf("read blob %s: %w", h, err)
	}
	hash.Sum(sum[:0])
	r.store.reads.cache.put(&cachedObject{key: r.cacheKey(h), sum: &sum, cost: cachedObjectOverhead + 32})
	return sum, nil
}

// ReadBlob reads blob h whole; blobs larger than limit (when positive) are cut at limit.
func (r *Repo) ReadBlob(h plumbing.Hash, limit int64) ([]byte, error) {
	br, err := r.OpenBlob(h)
	if err != nil {
		return nil, err
	}
	defer br.Close()
	var rd io.Reader = br
	n := br.Size
	if limit > 0 && n > limit {
		rd, n = io.LimitReader(br, limit), limit
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(rd, buf); err != nil {
		return nil, fmt.Errorf("read blob %s: %w", h, err)
	}
	return buf, nil
}

// readObject returns the type and data of object h.
func (r *Repo) readObject(h plumbing.Hash) (plumbing.ObjectType, []byte, error) {
	db, err := r.objects()
	if err != nil {
		return 0, nil, err
	}
	return db.read(h)
}

// decodeTag parses an annotated tag object with go-git's decoder.
func decodeTag(h plumbing.Hash, data []byte) (*object.Tag, error) {
	obj := &plumbing.MemoryObject{}
	obj.SetType(plumbing.TagObject)
	if _, err := obj.Write(data); err != nil {
		return nil, err
	}
	var t object.Tag
	if err := t.Decode(obj); err != nil {
		return nil, err
	}
	t.Hash = h
	return &t, nil
}

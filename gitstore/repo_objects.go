package gitstore

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// A Repo reads objects through cairn's own pack reader (odb.go) on the packs the Store
// shares between requests (readshare.go): one object costs an index search and the inflation
// of its delta chain, whatever the size of the history. Commits come from the commit-graph
// when it has them; parsed commits and trees are kept in the Store's shared cache.

// objects returns the request's view of the repository's objects.
func (r *Repo) objects() (*objectDB, error) {
	if r.odb != nil {
		return r.odb, nil
	}
	rs := r.store.reads.acquire(r.id, r.store.Path(r.id))
	db := &objectDB{dir: filepath.Join(r.store.Path(r.id), "objects"), known: map[string]bool{},
		cache: newDeltaCache(walkCacheSize), share: rs}
	if _, err := db.refresh(); err != nil {
		db.close()
		rs.done()
		return nil, fmt.Errorf("repository %d: %w", r.id, err)
	}
	r.odb, r.share = db, rs
	return db, nil
}

// commitGraph returns the request's commit walker, which reads commits from the
// repository's commit-graph when it has them and parses the others.
func (r *Repo) commitGraph() (*graph, error) {
	if r.graph != nil {
		return r.graph, nil
	}
	db, err := r.objects()
	if err != nil {
		return nil, err
	}
	r.cg = r.share.commitGraph()
	r.graph = graphOver(db, r.cg)
	return r.graph, nil
}

// graphOver is the commit graph of db's commits, read from the commit-graph cg for the
// commits it holds (cg may be nil).
func graphOver(db *objectDB, cg *commitGraph) *graph {
	g := newGraph(db)
	if cg != nil {
		g.cg = cg
		g.load = func(h plumbing.Hash) (*commitNode, error) { return loadCommitNode(cg, db, h) }
	}
	return g
}

// loadCommitNode reads commit h from the commit-graph, or from the objects when the graph
// does not have it (or has it damaged).
func loadCommitNode(cg *commitGraph, db *objectDB, h plumbing.Hash) (*commitNode, error) {
	if pos, ok := cg.find(h); ok {
		var buf [4]uint32
		parents, err := cg.parentsAt(pos, buf[:0])
		gen, err2 := cg.generationAt(pos)
		if err == nil && err2 == nil {
			c := &commitNode{hash: h, tree: cg.treeAt(pos), time: cg.timeAt(pos), gen: gen, graphPos: pos}
			if len(parents) > 0 {
				c.parents = make([]plumbing.Hash, len(parents))
				for i, p := range parents {
					c.parents[i] = cg.hashAt(p)
				}
			}
			return c, nil
		}
	}
	typ, data, err := db.read(h)
	if err != nil {
		return nil, err
	}
	if typ != plumbing.CommitObject {
		return nil, fmt.Errorf("%s is a %s, not a commit", h, typ)
	}
	return parseCommit(h, data)
}

// cacheKey names object h of this repository in the Store's shared cache.
func (r *Repo) cacheKey(h plumbing.Hash) objectKey { return objectKey{epoch: r.share.epoch, hash: h} }

// commitObject returns commit h parsed whole; ErrRefNotFound when there is no such commit.
// The result is the caller's to keep and change.
func (r *Repo) commitObject(h plumbing.Hash) (*Commit, error) { return r.readCommit(h, true) }

// readCommit is commitObject; keep says whether a commit read from the objects joins the
// shared cache (not for lists of thousands, which would push everything else out).
func (r *Repo) readCommit(h plumbing.Hash, keep bool) (*Commit, error) {
	db, err := r.objects()
	if err != nil {
		return nil, err
	}
	if o, ok := r.store.reads.cache.get(r.cacheKey(h)); ok && o.commit != nil {
		return copyCommit(o.commit), nil
	}
	typ, data, err := db.read(h)
	if errors.Is(err, errObjectMissing) {
		return nil, fmt.Errorf("commit %s: %w", h, ErrRefNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read commit %s: %w", h, err)
	}
	if typ != plumbing.CommitObject {
		return nil, fmt.Errorf("commit %s: %w", h, ErrRefNotFound)
	}
	c, err := decodeCommit(h, data)
	if err != nil {
		return nil, err
	}
	if !keep {
		return c, nil
	}
	r.store.reads.cache.put(&cachedObject{key: r.cacheKey(h), commit: c, cost: commitCost(c)})
	return copyCommit(c), nil
}

// decodeCommit parses a commit object. A commit laid out as git writes it (tree, parents,
// author, committer, a blank line, the message) is read directly; anything else (signed
// commits, extra headers, oddities) goes through go-git's decoder. Both read signatures with
// go-git's, so that names, time zones and messages read exactly as they always have.
func decodeCommit(h plumbing.Hash, data []byte) (*Commit, error) {
	if c, ok := decodeCanonicalCommit(h, data); ok {
		return c, nil
	}
	obj := &plumbing.MemoryObject{}
	obj.SetType(plumbing.CommitObject)
	if _, err := obj.Write(data); err != nil {
		return nil, err
	}
	var c object.Commit
	if err := c.Decode(obj); err != nil {
		return nil, fmt.Errorf("read commit %s: %w", h, err)
	}
	c.Hash = h
	return commitOf(&c), nil
}

// decodeCanonicalCommit reads a commit in git's canonical layout, the one go-git's decoder
// reads the same way whatever its rules for headers out of place; ok is false for any other.
func decodeCanonicalCommit(h plumbing.Hash, data []byte) (*Commit, bool) {
	header := func(key string) ([]byte, bool) {
		if !bytes.HasPrefix(data, []byte(key)) {
			return nil, false
		}
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			return nil, false
		}
		v := data[len(key):i]
		data = data[i+1:]
		return v, true
	}
	c := &Commit{ID: h, Parents: []plumbing.Hash{}}
	v, ok := header("tree ")
	if !ok || len(v) != 40 || !parseHex(v, &c.Tree) {
		return nil, false
	}
	for bytes.HasPrefix(data, []byte("parent ")) {
		var p plumbing.Hash
		if v, ok = header("parent "); !ok || len(v) != 40 || !parseHex(v, &p) {
			return nil, false
		}
		c.Parents = append(c.Parents, p)
	}
	var author, committer object.Signature
	if v, ok = header("author "); !ok {
		return nil, false
	}
	author.Decode(v)
	if v, ok = header("committer "); !ok {
		return nil, false
	}
	committer.Decode(v)
	switch {
	case len(data) == 0:
	case data[0] == '\n':
		c.Message = string(data[1:])
	default:
		return nil, false // more headers
	}
	c.Author, c.Committer = signatureOf(author), signatureOf(committer)
	return c, true
}

func copyCommit(c *Commit) *Commit {
	cp := *c
	cp.Parents = append([]plumbing.Hash{}, c.Parents...)
	return &cp
}

// treeData returns the data of tree object h.
func (r *Repo) treeData(h plumbing.Hash) ([]byte, error) {
	db, err := r.objects()
	if err != nil {
		return nil, err
	}
	if o, ok := r.store.reads.cache.get(r.cacheKey(h)); ok && o.tree != nil {
		return o.tree, nil
	}
	typ, data, err := db.read(h)
	if err != nil {
		return nil, fmt.Errorf("read tree %s: %w", h, err)
	}
	if typ != plumbing.TreeObject {
		return nil, fmt.Errorf("%w: %s is a %s, not a tree", errCorrupt, h, typ)
	}
	if data == nil {
		data = []byte{} // an empty tree, cached as such
	}
	r.store.reads.cache.put(
		&cachedObject{key: r.cacheKey(h), tree: data, cost: cachedObjectOverhead + int64(len(data))})
	return data, nil
}

// commitTree returns the root tree of commit h; ErrRefNotFound when there is no such commit.
func (r *Repo) commitTree(h plumbing.Hash) (plumbing.Hash, error) {
	g, err := r.commitGraph()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	c, err := g.commit(h)
	if errors.Is(err, errObjectMissing) {
		return plumbing.ZeroHash, fmt.Errorf("commit %s: %w", h, ErrRefNotFound)
	}
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("read commit %s: %w", h, err)
	}
	return c.tree, nil
}

// pathItem finds the entry at p (cleaned; "" is the root) under tree root; ok is false
// when there is none.
func (r *Repo) pathItem(root plumbing.Hash, p string) (treeItem, bool, error) {
	e := treeItem{mode: modeTree, hash: root}
	for p != "" {
		if !e.isTree() {
			return treeItem{}, false, nil
		}
		seg, rest, _ := strings.Cut(p, "/")
		data, err := r.treeData(e.hash)
		if err != nil {
			return treeItem{}, false, err
		}
		var found bool
		if e, found, err = findTreeItem(data, []byte(seg)); err != nil || !found {
			return treeItem{}, false, err
		}
		p = rest
	}
	return e, true, nil
}

// openBlob opens blob h: large blobs stored whole (not as deltas) stream from their pack or
// loose file; others are resolved in memory, as git does.
func (db *objectDB) openBlob(h plumbing.Hash) (int64, io.ReadCloser, error) {
	loc, ok := db.locateFresh(h)
	if !ok {
		return 0, nil, fmt.Errorf("%w: %s", errObjectMissing, h)
	}
	if loc.pack == loosePack {
		typ, size, rc, err := db.openLoose(h)
		if err != nil {
			return 0, nil, err
		}
		if typ != plumbing.BlobObject {
			rc.Close()
			return 0, nil, fmt.Errorf("%w: %s is a %s", errObjectMissing, h, typ)
		}
		return size, rc, nil
	}
	pi, off := int(loc.pack), db.packs[loc.pack].idx.offsetAt(int(loc.pos))
	hdr, err := db.readHeader(pi, off)
	if err != nil {
		return 0, nil, err
	}
	if hdr.typ == plumbing.BlobObject && hdr.size > largeObject {
		sec, err := db.packs[pi].section(off + int64(hdr.hdrLen))
		if err != nil {
			return 0, nil, err
		}
		zr, err := zlib.NewReader(sec)
		if err != nil {
			return 0, nil, fmt.Errorf("%w: %v", errCorrupt, err)
		}
		return hdr.size, &blobStream{Reader: io.LimitReader(zr, hdr.size), zr: zr, size: hdr.size}, nil
	}
	typ, data, err := db.readPacked(pi, off, 0)
	if err != nil {
		return 0, nil, err
	}
	if typ != plumbing.BlobObject {
		return 0, nil, fmt.Errorf("%w: %s is a %s", errObjectMissing, h, typ)
	}
	return int64(len(data)), io.NopCloser(bytes.NewReader(data)), nil
}

// blobStream inflates a blob from its pack as it is read, and fails when the data ends
// before the blob's size.
type blobStream struct {
	io.Reader
	zr   io.ReadCloser
	size int64
	read int64
}

func (b *blobStream) Read(p []byte) (int, error) {
	n, err := b.Reader.Read(p)
	b.read += int64(n)
	if err == io.EOF && b.read < b.size {
		return n, fmt.Errorf("%w: blob data ends early", errCorrupt)
	}
	return n, err
}

func (b *blobStream) Close() error { return b.zr.Close() }

// blobSize returns the size of blob h without resolving it (objectSize).
func (db *objectDB) blobSize(h plumbing.Hash) (int64, error) {
	typ, err := db.typeOf(h)
	if err != nil {
		return 0, err
	}
	if typ != plumbing.BlobObject {
		return 0, fmt.Errorf("%w: %s is a %s", errObjectMissing, h, typ)
	}
	return db.objectSize(h)
}

// objectSize returns the size of object h from its loose header, its pack entry header,
// or, for a delta, the result size at the start of the delta's instructions.
func (db *objectDB) objectSize(h plumbing.Hash) (int64, error) {
	loc, ok := db.locateFresh(h)
	if !ok {
		return 0, fmt.Errorf("%w: %s", errObjectMissing, h)
	}
	if loc.pack == loosePack {
		_, size, rc, err := db.openLoose(h)
		if err != nil {
			return 0, err
		}
		rc.Close()
		return size, nil
	}
	pi, off := int(loc.pack), db.packs[loc.pack].idx.offsetAt(int(loc.pos))
	hdr, err := db.readHeader(pi, off)
	if err != nil {
		return 0, err
	}
	if hdr.typ != plumbing.OFSDeltaObject && hdr.typ != plumbing.REFDeltaObject {
		return hdr.size, nil
	}
	sec, err := db.packs[pi].section(off + int64(hdr.hdrLen))
	if err != nil {
		return 0, err
	}
	if db.zr == nil {
		db.zr, err = zlib.NewReader(sec)
	} else {
		err = db.zr.(zlib.Resetter).Reset(sec, nil)
	}
	if err != nil {
		return 0, fmt.Errorf("%w: delta at %d: %v", errCorrupt, off, err)
	}
	var head [20]byte
	n, _ := io.ReadFull(db.zr, head[:])
	_, rest, ok1 := deltaVarint(head[:n])
	size, _, ok2 := deltaVarint(rest)
	if !ok1 || !ok2 || size > maxObjectSize {
		return 0, fmt.Errorf("%w: delta at %d has a bad header", errCorrupt, off)
	}
	return int64(size), nil
}

package gitstore

import (
	"container/list"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"

	"github.com/go-git/go-git/v5/plumbing"
)

// What requests reading the same repository share. A request used to open every pack
// index of its repository (go-git reads each idx whole into maps) and to inflate every
// commit and tree it walked, so a read of one small file cost more the longer the history.
// Now the Store keeps, per repository recently read: its packs, opened and mapped once;
// its commit-graph, read once per version of the file; and, across repositories, a cache of
// parsed commits and tree objects with one memory bound. Objects are immutable and named by
// their content, so nothing in the cache goes stale; entries of a repository that is
// deleted or falls out of the share are simply never asked for again and age out.
//
// The share is safe for concurrent use. What a request builds on it (objectDB, graph) is
// not, and stays per request.

// Defaults of the share's bounds.
const (
	// defaultReadCacheSize bounds the parsed commits and trees kept across requests.
	defaultReadCacheSize = 64 << 20
	// maxSharedRepos is how many repositories keep their packs open and their commit-graph
	// in memory while no request reads them.
	maxSharedRepos = 64
	// maxSharedGraphBytes bounds the commit-graphs held for idle repositories.
	maxSharedGraphBytes = 256 << 20
)

// readShare is the Store's shared read state.
type readShare struct {
	mu         sync.Mutex
	repos      map[int64]*repoShare
	lru        *list.List // of *repoShare, most recently used first
	graphBytes int64
	epoch      uint64 // last epoch handed out; each repoShare gets its own
	cache      *objectCache
}

func newReadShare() *readShare {
	return &readShare{repos: map[int64]*repoShare{}, lru: list.New(), cache: newObjectCache(defaultReadCacheSize)}
}

// repoShare is the shared read state of one repository.
type repoShare struct {
	share *readShare
	id    int64
	dir   string // the repository directory
	epoch uint64 // cache keys of this share: a recreated repository never sees the old entries
	elem  *list.Element
	users int // open objectDBs; guarded by share.mu

	mu        sync.Mutex // guards what follows
	packs     map[string]*sharedPack
	graph     *commitGraph
	graphInfo os.FileInfo // of the file graph was read from
	forgotten bool
}

// sharedPack is a pack opened once for every request of a repository.
type sharedPack struct {
	p    *packFile
	refs int
	gone bool // no longer listed in the pack directory: closed once no one reads it
}

// acquire returns the share of repository id (whose directory is dir), counting a user;
// release it with done.
func (s *readShare) acquire(id int64, dir string) *repoShare {
	s.mu.Lock()
	defer s.mu.Unlock()
	rs := s.repos[id]
	if rs == nil || rs.dir != dir {
		s.epoch++
		rs = &repoShare{share: s, id: id, dir: dir, epoch: s.epoch, packs: map[string]*sharedPack{}}
		s.repos[id] = rs
		rs.elem = s.lru.PushFront(rs)
	} else {
		s.lru.MoveToFront(rs.elem)
	}
	rs.users++
	return rs
}

// done releases a user of rs and evicts idle repositories beyond the share's bounds.
func (rs *repoShare) done() {
	s := rs.share
	s.mu.Lock()
	rs.users--
	var evicted []*repoShare
	for e := s.lru.Back(); e != nil && (s.lru.Len() > maxSharedRepos || s.graphBytes > maxSharedGraphBytes); {
		prev := e.Prev()
		victim := e.Value.(*repoShare)
		if victim.users == 0 {
			s.removeLocked(victim)
			evicted = append(evicted, victim)
		}
		e = prev
	}
	s.mu.Unlock()
	for _, v := range evicted {
		v.forget()
	}
}

// removeLocked takes rs out of the share; the caller holds s.mu.
func (s *readShare) removeLocked(rs *repoShare) {
	if s.repos[rs.id] == rs {
		delete(s.repos, rs.id)
	}
	if rs.elem != nil {
		s.lru.Remove(rs.elem)
		rs.elem = nil
	}
	rs.mu.Lock()
	if rs.graph != nil {
		s.graphBytes -= rs.graph.fileSize
	}
	rs.mu.Unlock()
}

// forgetRepo drops the share of repository id (deleted or replaced): its packs are
// closed once the requests reading them end, and its cached objects are never used again.
func (s *readShare) forgetRepo(id int64) {
	s.mu.Lock()
	rs := s.repos[id]
	if rs != nil {
		s.removeLocked(rs)
	}
	s.mu.Unlock()
	if rs != nil {
		rs.forget()
	}
}

// forget marks rs out of the share and closes the packs no one reads.
func (rs *repoShare) forget() {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.forgotten = true
	rs.graph, rs.graphInfo = nil, nil
	for path, sp := range rs.packs {
		sp.gone = true
		if sp.refs == 0 {
			sp.p.close()
			delete(rs.packs, path)
		}
	}
}

// openPack returns the pack at path, opened once for all requests, and counts a reader.
func (rs *repoShare) openPack(path string) (*packFile, error) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if sp := rs.packs[path]; sp != nil {
		if !sp.gone {
			sp.refs++
			return sp.p, nil
		}
		// A pack of the same name published again after a repack removed it: the old
		// copy stays under another key until its readers are done.
		delete(rs.packs, path)
		rs.packs[fmt.Sprintf("%s\x00%p", path, sp)] = sp
	}
	p, err := loadPack(path)
	if err != nil {
		return nil, err
	}
	if rs.forgotten {
		return p, nil // not shared: closePack closes it
	}
	rs.packs[path] = &sharedPack{p: p, refs: 1}
	return p, nil
}

// closePack releases a reader of p, closing it when it is gone and unread.
func (rs *repoShare) closePack(p *packFile) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	for key, sp := range rs.packs {
		if sp.p != p {
			continue
		}
		sp.refs--
		if sp.refs == 0 && sp.gone {
			sp.p.close()
			delete(rs.packs, key)
		}
		return
	}
	p.close() // not a shared pack (a quarantined one added to a request's view)
}

// listed records which packs the pack directory holds now: packs missing from it were
// removed by a repack and are closed once no one reads them.
func (rs *repoShare) listed(paths map[string]bool) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	for key, sp := range rs.packs {
		if sp.gone || paths[key] {
			continue
		}
		sp.gone = true
		if sp.refs == 0 {
			sp.p.close()
			delete(rs.packs, key)
		}
	}
}

// commitGraph returns the repository's commit-graph, read again when the file changed;
// nil when there is none or it cannot be used (then walks read commits from the objects).
func (rs *repoShare) commitGraph() *commitGraph {
	path := commitGraphPath(rs.dir)
	fi, err := os.Stat(path)
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if err != nil {
		rs.setGraphLocked(nil, nil)
		return nil
	}
	if rs.graphInfo != nil && os.SameFile(rs.graphInfo, fi) && rs.graphInfo.Size() == fi.Size() &&
		rs.graphInfo.ModTime().Equal(fi.ModTime()) {
		return rs.graph
	}
	g, err := readCommitGraph(path)
	if err != nil {
		// Missing meanwhile, or damaged: walks do without, as C git does.
		if errors.Is(err, fs.ErrNotExist) {
			fi = nil
		}
		g = nil
	}
	rs.setGraphLocked(g, fi)
	return g
}

func (rs *repoShare) setGraphLocked(g *commitGraph, fi os.FileInfo) {
	var delta int64
	if rs.graph != nil {
		delta -= rs.graph.fileSize
	}
	if g != nil && !rs.forgotten {
		delta += g.fileSize
	}
	rs.graph, rs.graphInfo = g, fi
	if rs.forgotten {
		rs.graph, rs.graphInfo = nil, nil
		return
	}
	if delta != 0 {
		rs.share.mu.Lock()
		rs.share.graphBytes += delta
		rs.share.mu.Unlock()
	}
}

// objectCache keeps parsed commits and tree objects across requests, least recently used
// first out, within a budget of bytes. Values are shared: callers must not modify them.
type objectCache struct {
	mu    sync.Mutex
	max   int64
	size  int64
	lru   *list.List
	items map[objectKey]*list.Element
}

type objectKey struct {
	epoch uint64
	hash  plumbing.Hash
}

type cachedObject struct {
	key    objectKey
	commit *Commit     // a parsed commit, or
	tree   []byte      // a tree object's data, or
	sum    *[32]byte   // a blob's SHA-256, or
	walk   *cachedWalk // the start of a Log walk (repo_log.go)
	cost   int64
}

// cachedObjectOverhead approximates the bookkeeping of an entry: list element, entry and
// map slot.
const cachedObjectOverhead = 160

func newObjectCache(max int64) *objectCache {
	return &objectCache{max: max, lru: list.New(), items: map[objectKey]*list.Element{}}
}

func (c *objectCache) get(k objectKey) (*cachedObject, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.items[k]
	if !ok {
		return nil, false
	}
	c.lru.MoveToFront(e)
	return e.Value.(*cachedObject), true
}

func (c *objectCache) put(o *cachedObject) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if o.cost > c.max/16 {
		return
	}
	if e, ok := c.items[o.key]; ok {
		old := e.Value.(*cachedObject)
		if o.walk == nil || old.walk != nil && len(old.walk.hashes) >= len(o.walk.hashes) {
			return // objects never change; a walk is replaced by a longer one
		}
		c.lru.Remove(e)
		c.size -= old.cost
	}
	c.items[o.key] = c.lru.PushFront(o)
	c.size += o.cost
	for c.size > c.max {
		e := c.lru.Back()
		old := e.Value.(*cachedObject)
		c.lru.Remove(e)
		delete(c.items, old.key)
		c.size -= old.cost
	}
}

// budget is the cache's memory budget.
func (c *objectCache) budget() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.max
}

// setMax changes the budget, evicting what no longer fits.
func (c *objectCache) setMax(max int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.max = max
	for c.size > c.max && c.lru.Len() > 0 {
		e := c.lru.Back()
		old := e.Value.(*cachedObject)
		c.lru.Remove(e)
		delete(c.items, old.key)
		c.size -= old.cost
	}
}

// commitCost estimates the memory a parsed commit holds.
func commitCost(c *Commit) int64 {
	return cachedObjectOverhead + 200 + int64(len(c.Message)+len(c.Author.Name)+len(c.Author.Email)+
		len(c.Committer.Name)+len(c.Committer.Email)+20*len(c.Parents))
}

// SetReadCacheSize sets the memory budget of the parsed commits, trees and blob checksums the
// Store's reads share (64 MiB by default); 0 or less keeps nothing.
func (s *Store) SetReadCacheSize(bytes int64) { s.reads.cache.setMax(max(bytes, 0)) }

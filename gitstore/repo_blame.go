package gitstore

import (
	"bytes"
	"container/heap"
	"context"
	"errors"
	"fmt"

	"github.com/go-git/go-git/v5/plumbing"
)

// Blame as git blame computes it (blame.c), without its -M/-C copy detection. Starting from
// the file at a commit, every line is a suspect of that commit; commits are visited newest
// first, and each passes to its parents the lines it did not change: the whole file to the
// first parent with the same content, or else, parent by parent, the lines a diff (git's own,
// xdiff.go) finds unchanged. A parent without the file passes them on under the name the file
// had there, when the commit renamed it (git's rename detection: the same content, or else
// the most similar deleted file, half alike at least). What no parent takes is blamed on the
// commit. The walk ends as soon as every line is blamed, so it visits the history back to the
// oldest surviving line and no further; a commit whose commit-graph Bloom filter clears it of
// the path hands everything to its first parent without a look at any tree.

// BlameRange is a run of consecutive lines of a file last changed by one commit.
type BlameRange struct {
	Commit *Commit
	Lines  []string
}

// blameEntry is a run of lines still to be blamed: n lines from line suspect of the
// suspect's copy of the file, which are lines final on of the blamed file.
type blameEntry struct {
	final, suspect, n int
}

// blameOrigin is a commit holding suspect lines, of the file at path there.
type blameOrigin struct {
	commit  logID
	path    string
	time    int64
	blob    plumbing.Hash
	mode    uint32
	pending []blameEntry // by suspect line
	content []byte       // read once needed
	queued  bool
	seq     int
}

type blameQueue []*blameOrigin

func (q blameQueue) Len() int { return len(q) }
func (q blameQueue) Less(i, j int) bool {
	if q[i].time != q[j].time {
		return q[i].time > q[j].time
	}
	return q[i].seq < q[j].seq
}
func (q blameQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *blameQueue) Push(x any)   { *q = append(*q, x.(*blameOrigin)) }
func (q *blameQueue) Pop() any {
	old := *q
	o := old[len(old)-1]
	*q = old[:len(old)-1]
	return o
}

// blamer is one blame walk, on Log's numbering of commits (commit-graph positions).
type blamer struct {
	r    *Repo
	w    *logWalk
	path string // the blamed file's path
	// keys are the Bloom filter keys of each path the file had.
	keys    map[string][]bloomKey
	origins []*blameOrigin         // by commit-graph position, of the blamed path
	extras  map[logID]*blameOrigin // commits newer than the graph, of the blamed path
	renamed map[originKey]*blameOrigin
	pbuf    []logID
	queue   blameQueue
	seq     int
	blamed  []plumbing.Hash // the commit of each line of the file
}

// Blame attributes each line of file p at commit h to the commit that last changed it, as
// runs of consecutive lines. ErrPathNotFound when the commit has no such file.
func (r *Repo) Blame(ctx context.Context, h plumbing.Hash, p string) ([]BlameRange, error) {
	g, err := r.commitGraph()
	if err != nil {
		return nil, err
	}
	w := newLogWalk(g, r.cg)
	c, err := w.id(h)
	if errors.Is(err, errObjectMissing) {
		return nil, fmt.Errorf("commit %s: %w", h, ErrRefNotFound)
	}
	if err != nil {
		return nil, err
	}
	e, ok, err := r.pathItem(w.tree(c), p)
	if err != nil {
		return nil, err
	}
	if !ok || e.isTree() || e.mode&modeTypeMask == modeGitlink {
		return nil, fmt.Errorf("%s: %w", p, ErrPathNotFound)
	}
	b := &blamer{r: r, w: w, path: p, extras: map[logID]*blameOrigin{}}
	if r.cg != nil {
		b.origins = make([]*blameOrigin, r.cg.n)
	}
	if r.cg != nil && r.cg.hasBloom() {
		b.keys = map[string][]bloomKey{}
	}
	final := b.origin(c, p, e)
	if final.content, err = r.ReadBlob(e.hash, 0); err != nil {
		return nil, err
	}
	lines := blameLines(final.content)
	b.blamed = make([]plumbing.Hash, len(lines))
	if len(lines) > 0 {
		b.queueLines(final, []blameEntry{{final: 0, suspect: 0, n: len(lines)}})
	}
	for steps := 0; b.queue.Len() > 0; steps++ {
		if steps&255 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		o := heap.Pop(&b.queue).(*blameOrigin)
		o.queued = false
		if err := b.passBlame(o); err != nil {
			return nil, err
		}
	}
	return b.ranges(lines)
}

// blameLines splits a file into the lines blame shows: without their newline, and no empty
// line after a final newline.
func blameLines(content []byte) []string {
	if len(content) == 0 {
		return nil
	}
	parts := bytes.Split(content, []byte("\n"))
	if len(parts[len(parts)-1]) == 0 {
		parts = parts[:len(parts)-1]
	}
	out := make([]string, len(parts))
	for i, l := range parts {
		out[i] = string(l)
	}
	return out
}

// originKey names the file at path in a commit, for the paths a file had before a rename.
type originKey struct {
	commit logID
	path   string
}

// origin returns the origin of the file at path p in commit c, whose entry is e.
func (b *blamer) origin(c logID, p string, e treeItem) *blameOrigin {
	o := b.lookup(c, p)
	if o == nil {
		o = &blameOrigin{commit: c, path: p, time: b.w.time(c), blob: e.hash, mode: e.mode}
		b.setOrigin(c, p, o)
	}
	return o
}

// lookup returns the origin of path p in commit c, nil when it holds no suspect lines yet.
func (b *blamer) lookup(c logID, p string) *blameOrigin {
	switch {
	case p != b.path:
		return b.renamed[originKey{c, p}]
	case c >= 0:
		return b.origins[c]
	}
	return b.extras[c]
}

func (b *blamer) setOrigin(c logID, p string, o *blameOrigin) {
	switch {
	case p != b.path:
		if b.renamed == nil {
			b.renamed = map[originKey]*blameOrigin{}
		}
		if o == nil {
			delete(b.renamed, originKey{c, p})
		} else {
			b.renamed[originKey{c, p}] = o
		}
	case c >= 0:
		b.origins[c] = o
	case o == nil:
		delete(b.extras, c)
	default:
		b.extras[c] = o
	}
}

// queueLines hands entries to o, queueing o for a visit.
func (b *blamer) queueLines(o *blameOrigin, entries []blameEntry) {
	o.pending = mergeBlameEntries(o.pending, entries)
	b.queue1(o)
}

// queue1 queues o for a visit unless it is queued already.
func (b *blamer) queue1(o *blameOrigin) {
	if !o.queued {
		o.queued = true
		b.seq++
		o.seq = b.seq
		heap.Push(&b.queue, o)
	}
}

// passBlame passes o's suspect lines to its parents and blames the rest on o's commit.
func (b *blamer) passBlame(o *blameOrigin) error {
	if len(o.pending) == 0 {
		return nil
	}
	ids, err := b.w.parents(o.commit, b.pbuf[:0])
	if err != nil {
		return fmt.Errorf("parents of %s: %w", b.w.hash(o.commit), err)
	}
	b.pbuf = ids
	parents := make([]*blameOrigin, 0, len(ids))
	for i, pc := range ids {
		var e treeItem
		var found bool
		p := o.path
		if i == 0 && b.unchangedFromFirstParent(o) {
			e, found = treeItem{mode: o.mode, hash: o.blob}, true
		} else {
			if e, found, err = b.r.pathItem(b.w.tree(pc), p); err != nil {
				return err
			}
			if !found {
				// A parent without the file: the commit may have renamed it.
				if p, e, found, err = b.r.renamedFrom(b.w.tree(pc), b.w.tree(o.commit), o); err != nil {
					return err
				}
			}
			// Only a file of the same kind carries blame (a symlink does not pass its
			// lines to a regular file, nor a directory anything).
			found = found && !e.isTree() && e.mode&modeTypeMask == o.mode&modeTypeMask
		}
		if !found {
			parents = append(parents, nil)
			continue
		}
		if e.hash == o.blob {
			// The parent has the file as it is: it takes every line. Most often no other
			// child has reached it yet, and o itself moves on to it, content and all.
			if po := b.lookup(pc, p); po != nil {
				b.queueLines(po, o.pending)
				o.pending, o.content = nil, nil
				return nil
			}
			b.setOrigin(o.commit, o.path, nil)
			o.commit, o.path, o.time, o.mode = pc, p, b.w.time(pc), e.mode
			b.setOrigin(pc, p, o)
			b.queue1(o)
			return nil
		}
		po := b.origin(pc, p, e)
		for _, earlier := range parents {
			if earlier != nil && earlier.blob == po.blob {
				po = nil // the same content as an earlier parent's: that one takes the lines
				break
			}
		}
		parents = append(parents, po)
	}
	for _, po := range parents {
		if po == nil {
			continue
		}
		if err := b.passToParent(o, po); err != nil {
			return err
		}
		if len(o.pending) == 0 {
			break
		}
	}
	h := b.w.hash(o.commit)
	for _, e := range o.pending {
		for i := 0; i < e.n; i++ {
			b.blamed[e.final+i] = h
		}
	}
	o.pending, o.content = nil, nil
	return nil
}

// unchangedFromFirstParent reports whether the Bloom filter of o's commit clears it of o's
// path.
func (b *blamer) unchangedFromFirstParent(o *blameOrigin) bool {
	if b.keys == nil {
		return false
	}
	f, ok := b.w.bloom(o.commit)
	if !ok || len(f) == 0 {
		return false
	}
	keys, ok := b.keys[o.path]
	if !ok {
		keys = pathBloomKeys(o.path, b.r.cg.bloom)
		b.keys[o.path] = keys
	}
	return !bloomMaybeChanged(f, keys)
}

// passToParent diffs the parent's copy of the file against o's and moves to the parent the
// suspect lines the diff finds unchanged.
func (b *blamer) passToParent(o, po *blameOrigin) error {
	if o.content == nil {
		c, err := b.r.ReadBlob(o.blob, 0)
		if err != nil {
			return err
		}
		o.content = c
	}
	if po.content == nil {
		c, err := b.r.ReadBlob(po.blob, 0)
		if err != nil {
			return err
		}
		po.content = c
	}
	changes := gitDiff(po.content, o.content)
	var passed, kept []blameEntry
	// Before change ci, o's lines map to the parent's with offset off.
	ci, off := 0, 0
	segEnd := func() int {
		if ci < len(changes) {
			return changes[ci].i2
		}
		return int(^uint(0) >> 1)
	}
	for _, e := range o.pending {
		for e.n > 0 {
			for ci < len(changes) && e.suspect >= changes[ci].i2+changes[ci].chg2 {
				off = changes[ci].i1 + changes[ci].chg1 - (changes[ci].i2 + changes[ci].chg2)
				ci++
			}
			var n int
			if e.suspect < segEnd() {
				// In a stretch the parent has too.
				n = min(e.n, segEnd()-e.suspect)
				passed = append(passed, blameEntry{final: e.final, suspect: e.suspect + off, n: n})
			} else {
				// In lines this commit changed.
				c := changes[ci]
				n = min(e.n, c.i2+c.chg2-e.suspect)
				kept = append(kept, blameEntry{final: e.final, suspect: e.suspect, n: n})
			}
			e.final += n
			e.suspect += n
			e.n -= n
		}
	}
	o.pending = kept
	if len(passed) > 0 {
		b.queueLines(po, passed)
	}
	return nil
}

// mergeBlameEntries merges two lists of entries sorted by suspect line.
func mergeBlameEntries(a, b []blameEntry) []blameEntry {
	if len(a) == 0 {
		return b
	}
	out := make([]blameEntry, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		if j == len(b) || i < len(a) && a[i].suspect <= b[j].suspect {
			out = append(out, a[i])
			i++
		} else {
			out = append(out, b[j])
			j++
		}
	}
	return out
}

// ranges groups the blamed lines into runs of one commit each.
func (b *blamer) ranges(lines []string) ([]BlameRange, error) {
	commits := map[plumbing.Hash]*Commit{}
	var out []BlameRange
	for i, h := range b.blamed {
		if n := len(out); n > 0 && out[n-1].Commit.ID == h {
			out[n-1].Lines = append(out[n-1].Lines, lines[i])
			continue
		}
		c, ok := commits[h]
		if !ok {
			var err error
			if c, err = b.r.Commit(h); err != nil {
				return nil, err
			}
			commits[h] = c
		}
		out = append(out, BlameRange{Commit: c, Lines: []string{lines[i]}})
	}
	return out, nil
}

package gitstore

import (
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
)

// Revision expressions git rev-parse reads and the API accepts as refs: a name (reference
// or abbreviated object id) followed by "~N" (the Nth first-parent ancestor), "^N" (the Nth
// parent; "^0" the commit itself) or "^{}"/"^{commit}", in any sequence, walked on the
// commit-graph.

// resolveExpression resolves rev; handled is false when rev uses syntax this does not
// read, and ok false when it names no commit.
func (r *Repo) resolveExpression(rev string) (h plumbing.Hash, ok, handled bool, err error) {
	i := strings.IndexAny(rev, "~^")
	base, ops := rev, ""
	if i >= 0 {
		base, ops = rev[:i], rev[i:]
	}
	if base == "" {
		return plumbing.ZeroHash, false, true, nil
	}
	h, ok, err = r.resolveName(base)
	if err != nil || !ok {
		return h, false, true, err
	}
	g, err := r.commitGraph()
	if err != nil {
		return plumbing.ZeroHash, false, true, err
	}
	for ops != "" {
		op := ops[0]
		ops = ops[1:]
		if op == '^' && strings.HasPrefix(ops, "{") {
			end := strings.IndexByte(ops, '}')
			if end < 0 {
				return plumbing.ZeroHash, false, true, nil
			}
			if kind := ops[1:end]; kind != "" && kind != "commit" {
				return plumbing.ZeroHash, false, false, nil
			}
			ops = ops[end+1:]
			continue
		}
		digits := 0
		for digits < len(ops) && ops[digits] >= '0' && ops[digits] <= '9' {
			digits++
		}
		n := 1
		if digits > 0 {
			if n, err = strconv.Atoi(ops[:digits]); err != nil || n > 1<<30 {
				return plumbing.ZeroHash, false, true, nil
			}
		}
		ops = ops[digits:]
		switch op {
		case '~':
			for ; n > 0; n-- {
				c, err := g.commit(h)
				if err != nil {
					return plumbing.ZeroHash, false, true, err
				}
				if len(c.parents) == 0 {
					return plumbing.ZeroHash, false, true, nil
				}
				h = c.parents[0]
			}
		case '^':
			if n == 0 {
				continue
			}
			c, err := g.commit(h)
			if err != nil {
				return plumbing.ZeroHash, false, true, err
			}
			if n > len(c.parents) {
				return plumbing.ZeroHash, false, true, nil
			}
			h = c.parents[n-1]
		}
	}
	return h, true, true, nil
}

// resolveName resolves a reference name or an abbreviated (or full) object id to a commit.
func (r *Repo) resolveName(name string) (plumbing.Hash, bool, error) {
	notFound := errNotCommit
	if name == "HEAD" {
		_, h, err := r.head()
		return h, err == nil && !h.IsZero(), err
	}
	for _, full := range []string{name, "refs/" + name, "refs/tags/" + name, "refs/heads/" + name} {
		if !strings.HasPrefix(full, "refs/") {
			continue
		}
		h, ok, err := r.ref(full)
		if err != nil {
			return plumbing.ZeroHash, false, err
		}
		if ok {
			c, err := r.peelToCommit(h, notFound)
			if err == notFound {
				return plumbing.ZeroHash, false, nil
			}
			return c, err == nil, err
		}
	}
	h, ok, err := r.uniqueObject(name)
	if err != nil || !ok {
		return plumbing.ZeroHash, false, err
	}
	c, err := r.peelToCommit(h, notFound)
	if err == notFound {
		return plumbing.ZeroHash, false, nil
	}
	return c, err == nil, err
}

// errNotCommit is resolveName's own "names no commit", told apart from read errors.
var errNotCommit = errors.New("names no commit")

// uniqueObject finds the one object whose id starts with the hex digits of prefix (at least
// four); ok is false when there is none or more than one.
func (r *Repo) uniqueObject(prefix string) (plumbing.Hash, bool, error) {
	prefix = strings.ToLower(prefix)
	if len(prefix) < 4 || len(prefix) > 40 {
		return plumbing.ZeroHash, false, nil
	}
	for _, c := range prefix {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return plumbing.ZeroHash, false, nil
		}
	}
	db, err := r.objects()
	if err != nil {
		return plumbing.ZeroHash, false, err
	}
	var found []plumbing.Hash
	add := func(h plumbing.Hash) {
		for _, f := range found {
			if f == h {
				return
			}
		}
		found = append(found, h)
	}
	even := prefix[:len(prefix)&^1]
	lo, _ := hex.DecodeString(even)
	matches := func(h plumbing.Hash) bool { return strings.HasPrefix(h.String(), prefix) }
	for _, p := range db.packs {
		x := p.idx
		i := sort.Search(x.count, func(i int) bool { return bytes.Compare(x.names[20*i:20*i+len(lo)], lo) >= 0 })
		for ; i < x.count && bytes.HasPrefix(x.names[20*i:20*i+20], lo) && len(found) < 2; i++ {
			if h := x.hashAt(i); matches(h) {
				add(h)
			}
		}
	}
	entries, _ := os.ReadDir(filepath.Join(db.dir, prefix[:2]))
	for _, e := range entries {
		var h plumbing.Hash
		if name := prefix[:2] + e.Name(); len(name) == 40 && parseHex([]byte(name), &h) && matches(h) {
			add(h)
		}
	}
	if len(found) != 1 {
		return plumbing.ZeroHash, false, nil
	}
	return found[0], true, nil
}

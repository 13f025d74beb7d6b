package gitstore

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
)

// Repacking. A bitmap describes one pack, and writeBitmaps writes one only for a pack
// holding the whole history of its ref tips. A repository whose first commit cairn wrote
// (loose objects) and that was pushed to afterwards, or one with many pushes, has no such
// pack, so every clone walks its history. The background job then folds everything the refs
// reach into one new pack, the way a clone would send it (stored entries copied as they are,
// deltas included), gives that pack a bitmap, and removes only what the new pack holds.

// repackPolicy says when the background job repacks a repository. The zero value of a
// field means its default (see withDefaults).
type repackPolicy struct {
	// minObjects: a repository with fewer objects (packed plus loose) is never repacked;
	// walking its history costs little.
	minObjects int
	// outsideShare: when a pack with a bitmap already holds most of the history, repack
	// once the objects outside it reach 1/outsideShare of its count (clones walk those
	// down to the bitmap), or once there are maxPacks packs.
	outsideShare int
	maxPacks     int
	// grace is how long the superseded files stay after the new pack is published, so
	// that reads under way finish first (a large blob go-git streams from an old pack).
	// cairn's own readers keep their packs open and list again when a loose object has
	// gone; go-git's list again when a read fails after the packs changed (relist.go).
	grace time.Duration
	// hook, when set (tests), is called at the stages "listed" (files and refs read, no
	// object yet) and "published" (new pack and bitmap in place, nothing removed yet).
	hook func(stage string)
}

func (p repackPolicy) withDefaults() repackPolicy {
	if p.minObjects == 0 {
		p.minObjects = 1000
	}
	if p.outsideShare == 0 {
		p.outsideShare = 8
	}
	if p.maxPacks == 0 {
		p.maxPacks = 16
	}
	if p.grace == 0 {
		p.grace = 2 * time.Second
	}
	return p
}

// repackStats describe one repack, for tests and logs.
type repackStats struct {
	pack         string // path of the new pack
	objects      int
	bitmaps      int // bitmaps written for it
	packsRemoved int
	looseRemoved int
}

// objectsSnapshot is what the objects directory held before a repack began: only these
// files may be removed by it.
type objectsSnapshot struct {
	packs []string // .pack paths
	loose []plumbing.Hash
}

// snapshotObjects lists the packs and loose objects of an objects directory.
func snapshotObjects(objectsDir string) (objectsSnapshot, error) {
	var s objectsSnapshot
	entries, err := os.ReadDir(filepath.Join(objectsDir, "pack"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return s, fmt.Errorf("list packs: %w", err)
	}
	for _, e := range entries {
		if n := e.Name(); strings.HasPrefix(n, "pack-") && strings.HasSuffix(n, ".pack") {
			s.packs = append(s.packs, filepath.Join(objectsDir, "pack", n))
		}
	}
	dirs, err := os.ReadDir(objectsDir)
	if err != nil {
		return s, fmt.Errorf("list objects: %w", err)
	}
	for _, d := range dirs {
		if !d.IsDir() || len(d.Name()) != 2 {
			continue
		}
		files, err := os.ReadDir(filepath.Join(objectsDir, d.Name()))
		if err != nil {
			return s, fmt.Errorf("list loose objects: %w", err)
		}
		for _, f := range files {
			var h plumbing.Hash
			if name := d.Name() + f.Name(); len(name) == 40 && parseHex([]byte(name), &h) {
				s.loose = append(s.loose, h)
			}
		}
	}
	return s, nil
}

// refWants returns the distinct objects the refs point at.
func refWants(refs *refList) []plumbing.Hash {
	seen := map[plumbing.Hash]bool{}
	var out []plumbing.Hash
	for _, r := range refs.refs {
		if !r.hash.IsZero() && !seen[r.hash] {
			seen[r.hash] = true
			out = append(out, r.hash)
		}
	}
	return out
}

// needsRepack decides from the pack indexes and the loose count alone (no object is
// read) whether clones of the repository would walk enough history to be worth a repack.
func needsRepack(db *objectDB, wants []plumbing.Hash, loose int, pol repackPolicy) bool {
	if len(wants) == 0 {
		return false
	}
	total, covered := loose, 0
	for _, p := range db.packs {
		total += p.idx.count
		if _, err := os.Stat(strings.TrimSuffix(p.path, ".pack") + ".bitmap"); err != nil {
			continue
		}
		all := true
		for _, h := range wants {
			if _, ok := p.idx.find(h); !ok {
				all = false
				break
			}
		}
		if all {
			return false // a clone takes this pack's bitmap and walks nothing
		}
		covered = max(covered, p.idx.count)
	}
	if total < pol.minObjects {
		return false
	}
	if covered == 0 {
		return true // every clone walks the whole history
	}
	return (total-covered)*pol.outsideShare >= covered || len(db.packs) >= pol.maxPacks
}

// maybeRepack repacks the repository at dir when needsRepack says so; ok reports whether it
// did. Scratch files go under tmpRoot.
func maybeRepack(ctx context.Context, dir, tmpRoot string, pol repackPolicy) (st repackStats, ok bool, err error) {
	objectsDir := filepath.Join(dir, "objects")
	// Listed before anything else: whatever appears from here on (a push's pack, an API
	// commit's loose objects) is not this repack's to remove.
	before, err := snapshotObjects(objectsDir)
	if err != nil {
		return st, false, err
	}
	refs, err := refStore{dir: dir}.list()
	if err != nil {
		return st, false, err
	}
	wants := refWants(refs)
	db, err := openObjectDB(objectsDir)
	if err != nil {
		return st, false, err
	}
	defer db.close()
	if !needsRepack(db, wants, len(before.loose), pol) {
		return st, false, nil
	}
	if pol.hook != nil {
		pol.hook("listed")
	}
	st, err = repack(ctx, db, dir, tmpRoot, refs, wants, before, pol)
	return st, err == nil, err
}

// repack writes one pack of every object reachable from wants, publishes it with its
// index, writes its bitmap, and then removes the packs and loose objects of before that the
// new pack holds whole. Nothing else is removed: unreachable objects and anything that
// arrived meanwhile stay.
func repack(ctx context.Context, db *objectDB, dir, tmpRoot string, refs *refList, wants []plumbing.Hash,
	before objectsSnapshot, pol repackPolicy) (repackStats, error) {
	var st repackStats
	objectsDir := filepath.Join(dir, "objects")
	if err := os.MkdirAll(tmpRoot, 0o755); err != nil {
		return st, fmt.Errorf("repack: %w", err)
	}
	scratch, err := os.MkdirTemp(tmpRoot, "repack-")
	if err != nil {
		return st, fmt.Errorf("repack: %w", err)
	}
	defer os.RemoveAll(scratch)

	// A clone of everything, into a file: the clone path's walk (or its bitmap, for
	// the part an older pack's bitmap covers) and its pack writer, with its memory bounds.
	sess := &uploadSession{
		db:         db,
		g:          newGraph(db),
		refs:       refs,
		theyHave:   map[plumbing.Hash]bool{},
		reaches:    map[plumbing.Hash]bool{},
		notReadyAt: -1,
	}
	oc, err := sess.collect(ctx, &fetchArgs{wants: wants}, nil)
	if err != nil {
		return st, fmt.Errorf("repack: list objects: %w", err)
	}
	sess.g = nil
	db.cache.drop()
	tmpPack := filepath.Join(scratch, "repack.pack")
	f, err := os.OpenFile(tmpPack, os.O_CREATE|os.O_EXCL|os.O_RDWR, 0o600)
	if err != nil {
		return st, fmt.Errorf("repack: %w", err)
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 256<<10)
	ps, err := writePack(ctx, db, oc.objs, oc.fromBitmap, nil, bw, packOptions{ofsDelta: true})
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		return st, fmt.Errorf("repack: write pack: %w", err)
	}
	oc = nil
	if _, err := f.Seek(0, 0); err != nil {
		return st, fmt.Errorf("repack: %w", err)
	}

	// Indexed as a push is: every object inflated and hashed again, so a damaged entry
	// stops the repack before anything is removed.
	rp, err := indexPack(ctx, bufio.NewReaderSize(f, 256<<10), scratch, db, 0)
	if err != nil {
		return st, fmt.Errorf("repack: index pack: %w", err)
	}
	defer rp.cleanup()
	if rp.count != ps.objects || rp.thinBases != 0 {
		return st, fmt.Errorf("repack: the pack holds %d objects (%d bases added), %d were written", rp.count,
			rp.thinBases, ps.objects)
	}
	newIdx := rp.pack.idx
	// publish makes the pack directory when it is missing: never for a repository deleted
	// while this job ran.
	if _, err := os.Stat(filepath.Join(objectsDir, "pack")); err != nil {
		return st, fmt.Errorf("repack: %w", err)
	}
	if err := rp.publish(objectsDir); err != nil {
		return st, fmt.Errorf("repack: %w", err)
	}
	st.pack = filepath.Join(objectsDir, "pack", "pack-"+rp.checksum.String()+".pack")
	st.objects = rp.count
	if st.bitmaps, err = writeBitmaps(ctx, dir); err != nil {
		return st, fmt.Errorf("repack: %w", err)
	}

	if pol.hook != nil {
		pol.hook("published")
	}
	if pol.grace > 0 {
		t := time.NewTimer(pol.grace)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return st, ctx.Err()
		}
	}
	for _, path := range before.packs {
		if path == st.pack {
			continue // the same objects, already in one pack
		}
		removed, err := removeSupersededPack(path, newIdx)
		if err != nil {
			return st, err
		}
		if removed {
			st.packsRemoved++
		}
	}
	for _, h := range before.loose {
		if _, ok := newIdx.find(h); !ok {
			continue // unreachable when the refs were read: kept
		}
		if err := os.Remove(db.loosePath(h)); err == nil {
			st.looseRemoved++
		} else if !errors.Is(err, fs.ErrNotExist) {
			return st, fmt.Errorf("repack: %w", err)
		}
	}
	return st, nil
}

// removeSupersededPack removes the pack at path and its companion files when every object
// of it is in newIdx. A pack with a .keep file, or with an object the new pack lacks (a
// push whose refs moved after the repack read them, or objects no ref reaches), stays.
func removeSupersededPack(path string, newIdx *packIndex) (bool, error) {
	base := strings.TrimSuffix(path, ".pack")
	if _, err := os.Stat(base + ".keep"); err == nil {
		return false, nil
	}
	b, err := os.ReadFile(base + ".idx")
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("repack: %w", err)
	}
	x, err := parseIndex(b)
	if err != nil {
		return false, fmt.Errorf("repack: %s: %w", filepath.Base(path), err)
	}
	for pos := 0; pos < x.count; pos++ {
		if _, ok := newIdx.find(x.hashAt(pos)); !ok {
			return false, nil
		}
	}
	// The .pack first: readers list packs by it, and one listed whose .idx is gone is
	// skipped and the directory listed again.
	for _, ext := range []string{".pack", ".idx", ".bitmap", ".rev"} {
		if err := os.Remove(base + ext); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return false, fmt.Errorf("repack: %w", err)
		}
	}
	return true, nil
}

// settle is the background job of one repository after a push: a bitmap for each pack
// that can have one, then a repack when clones would still walk much of the history, then
// the commit-graph brought up to date (commitgraph_write.go). It returns how many bitmaps it
// wrote.
func (s *Store) settle(ctx context.Context, id int64, pol repackPolicy) (int, error) {
	n, err := writeBitmaps(ctx, s.Path(id))
	if err != nil {
		return n, err
	}
	st, ok, err := maybeRepack(ctx, s.Path(id), filepath.Join(s.Root(), ".tmp"), pol.withDefaults())
	if ok {
		n += st.bitmaps
	}
	if n > 0 {
		// What the bitmap writer held is garbage now, but the collector last saw it live:
		// left alone it would widen the commit-graph writer's garbage budget (gcbudget.go)
		// by half its size.
		runtime.GC()
	}
	if _, gerr := writeCommitGraph(ctx, s.Path(id)); gerr != nil {
		err = errors.Join(err, gerr)
	}
	return n, err
}

package gitstore

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5/plumbing"
)

// RefUpdate moves one reference. Old is the value the caller last saw (zero: the reference
// must not exist); New is the value to set (zero: delete the reference).
type RefUpdate struct {
	Name string
	Old  plumbing.Hash
	New  plumbing.Hash
}

// IsCreate reports whether the update creates a reference.
func (u RefUpdate) IsCreate() bool { return u.Old.IsZero() && !u.New.IsZero() }

// IsDelete reports whether the update deletes a reference.
func (u RefUpdate) IsDelete() bool { return u.New.IsZero() }

// ErrStaleRef is returned when a reference no longer has the old value an update expects:
// someone else moved it first.
var ErrStaleRef = errors.New("reference changed since it was read")

// ErrRefConflict refuses a new reference whose name is a directory of an existing one's
// ("refs/heads/feature" and "refs/heads/feature/login"): git stores both as paths, so they
// cannot both be. The error is a *RefConflictError, which names the existing one.
var ErrRefConflict = errors.New("a reference's name is a directory of another's")

// RefConflictError is the ErrRefConflict of one new reference.
type RefConflictError struct {
	// Name is the reference that was to be created, Existing the one in its way.
	Name, Existing string
}

func (e *RefConflictError) Error() string {
	return fmt.Sprintf("'%s' exists; cannot create '%s'", e.Existing, e.Name)
}

func (e *RefConflictError) Unwrap() error { return ErrRefConflict }

// ErrInvalidRefName is returned for a name git would refuse (check-ref-format rules, under refs/).
var ErrInvalidRefName = errors.New("invalid reference name")

// UpdateRefs applies updates to the repository of project id all together or not at all,
// each only if its reference still has the old value, under the repository's reference lock
// (the one pushes take). A mismatch returns an error wrapping ErrStaleRef. The objects named
// must already be in the repository.
func (s *Store) UpdateRefs(id int64, updates []RefUpdate) error {
	if !s.Exists(id) {
		return fmt.Errorf("update refs of repository %d: %w", id, ErrNotExist)
	}
	for _, u := range updates {
		if !CheckRefFormat(u.Name) {
			return fmt.Errorf("update refs of repository %d: %q: %w", id, u.Name, ErrInvalidRefName)
		}
	}
	rs := refStore{dir: s.Path(id)}
	unlock, err := rs.lock()
	if err != nil {
		return fmt.Errorf("update refs of repository %d: %w", id, err)
	}
	defer unlock()
	// Report the update that failed, not the innocent ones that failed with it.
	errs := rs.apply(updates, true)
	for _, innocent := range []bool{false, true} {
		for i, err := range errs {
			if err != nil && errors.Is(err, errAtomicFailure) == innocent {
				return fmt.Errorf("update %s in repository %d: %w", updates[i].Name, id, err)
			}
		}
	}
	return nil
}

// CheckRefFormat applies git's check-ref-format rules to a full reference name under refs/:
// the rules of git itself, which every reference a repository holds must pass. forge adds
// its own to the names it lets people create.
func CheckRefFormat(name string) bool {
	rest, ok := strings.CutPrefix(name, "refs/")
	if !ok || rest == "" || name == "@" {
		return false
	}
	if strings.HasSuffix(name, "/") || strings.HasSuffix(name, ".") ||
		strings.Contains(name, "..") || strings.Contains(name, "@{") || strings.Contains(name, "//") {
		return false
	}
	for _, c := range []byte(name) {
		if c < 0x20 || c == 0x7f || strings.IndexByte(" ~^:?*[\\", c) >= 0 {
			return false
		}
	}
	for _, comp := range strings.Split(rest, "/") {
		if comp == "" || comp[0] == '.' || strings.HasSuffix(comp, ".lock") {
			return false
		}
	}
	return true
}

// refStore reads and writes the references of one bare repository in git's own files-backend
// layout (loose files under refs/ shadowing packed-refs), so C git tools agree with it.
// Writers must hold lock(): every loose file is replaced by rename, so readers see the old
// or the new value, never a torn one.
type refStore struct {
	dir string
}

// lock takes the repository's reference lock. It is an advisory file lock (flock on Unix,
// LockFileEx on Windows) rather than an in-memory mutex: it serialises every cairn process
// and command working on the same data directory, and dies with its holder.
func (rs refStore) lock() (unlock func(), err error) {
	f, err := osfs.New(rs.dir).OpenFile("cairn-refs.lock", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open reference lock: %w", err)
	}
	if err := f.Lock(); err != nil {
		f.Close()
		return nil, fmt.Errorf("take reference lock: %w", err)
	}
	return func() {
		_ = f.Unlock()
		_ = f.Close()
	}, nil
}

// namedRef is one reference and the object it names.
type namedRef struct {
	name string
	hash plumbing.Hash
}

// refList is a snapshot of a repository's references.
type refList struct {
	// headTarget is the branch HEAD names ("" when HEAD is detached).
	headTarget string
	// head is what HEAD resolves to; zero when its branch does not exist yet (unborn).
	head plumbing.Hash
	// refs are every reference under refs/, sorted by name bytewise (git's C locale order).
	refs []namedRef
}

func (l *refList) lookup(name string) (plumbing.Hash, bool) {
	i := sort.Search(len(l.refs), func(i int) bool { return l.refs[i].name >= name })
	if i < len(l.refs) && l.refs[i].name == name {
		return l.refs[i].hash, true
	}
	return plumbing.ZeroHash, false
}

// list reads HEAD and every reference. Symbolic references under refs/ are resolved.
func (rs refStore) list() (*refList, error) {
	packed, err := rs.readPacked()
	if err != nil {
		return nil, err
	}
	byName := map[string]plumbing.Hash{}
	for _, r := range packed {
		byName[r.name] = r.hash
	}
	symbolic := map[string]string{}
	root := filepath.Join(rs.dir, "refs")
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() || strings.HasSuffix(path, ".lock") {
			return nil
		}
		rel, err := filepath.Rel(rs.dir, path)
		if err != nil {
			return err
		}
		name := filepath.ToSlash(rel)
		h, target, ok, err := readLooseRef(path)
		if err != nil || !ok {
			return err
		}
		if target != "" {
			symbolic[name] = target
			return nil
		}
		byName[name] = h
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list references: %w", err)
	}
	for name, target := range symbolic {
		if h, ok := byName[target]; ok {
			byName[name] = h
		}
	}
	l := &refList{refs: make([]namedRef, 0, len(byName))}
	for name, h := range byName {
		l.refs = append(l.refs, namedRef{name, h})
	}
	sort.Slice(l.refs, func(i, j int) bool { return l.refs[i].name < l.refs[j].name })

	h, target, ok, err := readLooseRef(filepath.Join(rs.dir, "HEAD"))
	if err != nil {
		return nil, fmt.Errorf("read HEAD: %w", err)
	}
	switch {
	case !ok:
	case target != "":
		l.headTarget = target
		l.head, _ = l.lookup(target)
	default:
		l.head = h
	}
	return l, nil
}

// readLooseRef reads one loose reference file: an object id, or "ref: <target>" for a
// symbolic reference. ok is false when the file does not exist or holds neither (a file
// being written by a tool that truncates in place, as go-git does).
func readLooseRef(path string) (h plumbing.Hash, target string, ok bool, err error) {
	b, err := os.ReadFile(path)
	// A directory there ("name/child" exists), or a file above ("name/child" asked for when
	// "name" exists), holds no reference either.
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) || errors.Is(err, syscall.EISDIR) {
		return plumbing.ZeroHash, "", false, nil
	}
	if err != nil {
		return plumbing.ZeroHash, "", false, err
	}
	s := strings.TrimSpace(string(b))
	if t, found := strings.CutPrefix(s, "ref:"); found {
		return plumbing.ZeroHash, strings.TrimSpace(t), true, nil
	}
	if len(s) != 40 || !plumbing.IsHash(s) {
		return plumbing.ZeroHash, "", false, nil
	}
	return plumbing.NewHash(s), "", true, nil
}

// readPacked parses packed-refs, skipping its header and peeled ("^") lines.
func (rs refStore) readPacked() ([]namedRef, error) {
	b, err := os.ReadFile(filepath.Join(rs.dir, "packed-refs"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read packed-refs: %w", err)
	}
	var refs []namedRef
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if len(line) < 42 || line[0] == '#' || line[0] == '^' || line[40] != ' ' || !plumbing.IsHash(line[:40]) {
			continue
		}
		refs = append(refs, namedRef{name: line[41:], hash: plumbing.NewHash(line[:40])})
	}
	return refs, sc.Err()
}

// current returns the value of one reference, loose first, then packed.
func (rs refStore) current(name string, packed map[string]plumbing.Hash) (plumbing.Hash, bool, error) {
	h, target, ok, err := readLooseRef(rs.path(name))
	if err != nil {
		return plumbing.ZeroHash, false, err
	}
	if ok && target == "" {
		return h, true, nil
	}
	if ok {
		return plumbing.ZeroHash, false, fmt.Errorf("%s is a symbolic reference", name)
	}
	h, ok = packed[name]
	return h, ok, nil
}

func (rs refStore) path(name string) string {
	return filepath.Join(rs.dir, filepath.FromSlash(name))
}

// Reasons a reference update is refused; they are what C git's receive-pack reports, so the
// client's "[remote rejected]" line reads the same.
var (
	errRefExists = errors.New("reference already exists")
	// errAtomicFailure is given to the updates of an atomic push that failed because another
	// one did.
	errAtomicFailure = errors.New("atomic push failure")
)

// apply checks and applies updates; the caller holds lock(). It returns one error per update
// (nil: applied). When atomic, either every update is applied or none is, and the updates
// that were fine are given errAtomicFailure.
func (rs refStore) apply(updates []RefUpdate, atomic bool) []error {
	errs := make([]error, len(updates))
	packedList, err := rs.readPacked()
	if err != nil {
		for i := range errs {
			errs[i] = err
		}
		return errs
	}
	packed := make(map[string]plumbing.Hash, len(packedList))
	for _, r := range packedList {
		packed[r.name] = r.hash
	}
	existing, err := rs.list()
	if err != nil {
		for i := range errs {
			errs[i] = err
		}
		return errs
	}
	failed := false
	for i, u := range updates {
		errs[i] = rs.check(u, packed, existing)
		failed = failed || errs[i] != nil
	}
	if atomic && failed {
		for i := range errs {
			if errs[i] == nil {
				errs[i] = errAtomicFailure
			}
		}
		return errs
	}
	// The new values are written and synced all at once, the disk's latency paid once
	// rather than once a reference, then put in place one by one.
	staged := rs.stage(updates, errs)
	if atomic && slices.ContainsFunc(errs, func(err error) bool { return err != nil }) {
		for i, err := range errs {
			if err == nil {
				errs[i] = errAtomicFailure
			}
			if staged[i] {
				os.Remove(rs.path(updates[i].Name) + ".lock")
			}
		}
		return errs
	}
	var done []int
	for i, u := range updates {
		if errs[i] != nil {
			continue
		}
		var err error
		if staged[i] {
			err = commitStaged(rs.path(u.Name))
		} else {
			err = rs.write(u, packed)
		}
		if err != nil {
			errs[i] = err
			if atomic {
				rs.rollback(updates, done, packed)
				for j := range errs {
					if j != i {
						errs[j] = errAtomicFailure
					}
				}
				return errs
			}
			continue
		}
		done = append(done, i)
	}
	return errs
}

// check decides whether u may be applied to the current state: compare-and-swap on the old
// value, and no file/directory clash between reference names.
func (rs refStore) check(u RefUpdate, packed map[string]plumbing.Hash, existing *refList) error {
	cur, ok, err := rs.current(u.Name, packed)
	if err != nil {
		return fmt.Errorf("read %s: %w", u.Name, err)
	}
	switch {
	case u.Old.IsZero() && ok:
		return errRefExists
	case !u.Old.IsZero() && (!ok || cur != u.Old):
		return ErrStaleRef
	}
	if u.IsDelete() || ok {
		return nil
	}
	// A new reference must not sit under an existing one's name, nor above one.
	for p := u.Name; ; {
		i := strings.LastIndexByte(p, '/')
		if i <= len("refs") {
			break
		}
		p = p[:i]
		if _, found := existing.lookup(p); found {
			return &RefConflictError{Name: u.Name, Existing: p}
		}
	}
	prefix := u.Name + "/"
	i := sort.Search(len(existing.refs), func(i int) bool { return existing.refs[i].name >= prefix })
	if i < len(existing.refs) && strings.HasPrefix(existing.refs[i].name, prefix) {
		return &RefConflictError{Name: u.Name, Existing: existing.refs[i].name}
	}
	return nil
}

// write applies one checked update: a loose file replaced by rename, or for a delete the
// loose file removed and the packed entry dropped (otherwise the packed value would show
// through again).
func (rs refStore) write(u RefUpdate, packed map[string]plumbing.Hash) error {
	path := rs.path(u.Name)
	if u.IsDelete() {
		// packed-refs first, as git does: a reader between the two steps then still sees
		// the loose value, never an older packed one coming back.
		if _, ok := packed[u.Name]; ok {
			if err := rs.rewritePacked(u.Name); err != nil {
				return err
			}
			delete(packed, u.Name)
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("delete %s: %w", u.Name, err)
		}
		rs.removeEmptyParents(filepath.Dir(path))
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write %s: %w", u.Name, err)
	}
	// An empty directory left where the reference goes (a deleted "name/child") is in the way.
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		_ = os.Remove(path)
	}
	return writeFileAtomic(path, []byte(u.New.String()+"\n"))
}

// maxStaging is how many reference files stage writes and syncs at once.
const maxStaging = 32

// stage writes and syncs the lock file of each update that sets a value and has no error
// yet, several at a time, and reports which it staged; a failure goes in errs.
func (rs refStore) stage(updates []RefUpdate, errs []error) []bool {
	staged := make([]bool, len(updates))
	sem := make(chan struct{}, maxStaging)
	var wg sync.WaitGroup
	names := make(map[string]int, len(updates))
	for _, u := range updates {
		names[u.Name]++
	}
	for i, u := range updates {
		// A name given twice is written in turn, by write.
		if errs[i] != nil || u.IsDelete() || names[u.Name] > 1 {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			path := rs.path(u.Name)
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				errs[i] = fmt.Errorf("write %s: %w", u.Name, err)
				return
			}
			// An empty directory left where the reference goes (a deleted "name/child") is
			// in the way.
			if fi, err := os.Stat(path); err == nil && fi.IsDir() {
				_ = os.Remove(path)
			}
			if errs[i] = writeLockFile(path, []byte(u.New.String()+"\n")); errs[i] == nil {
				staged[i] = true
			}
		}()
	}
	wg.Wait()
	return staged
}

// rollback restores the references an atomic update had already written.
func (rs refStore) rollback(updates []RefUpdate, done []int, packed map[string]plumbing.Hash) {
	for _, i := range done {
		u := updates[i]
		_ = rs.write(RefUpdate{Name: u.Name, Old: u.New, New: u.Old}, packed)
	}
}

// rewritePacked writes packed-refs without the named reference (and its peeled line).
func (rs refStore) rewritePacked(name string) error {
	path := filepath.Join(rs.dir, "packed-refs")
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("rewrite packed-refs: %w", err)
	}
	var out bytes.Buffer
	skipping := false
	for _, line := range strings.SplitAfter(string(b), "\n") {
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "^") {
			if !skipping {
				out.WriteString(line)
			}
			continue
		}
		skipping = len(line) > 41 && strings.TrimRight(line[41:], "\n") == name
		if !skipping {
			out.WriteString(line)
		}
	}
	return writeFileAtomic(path, out.Bytes())
}

// removeEmptyParents removes directories emptied by a delete, up to refs/, as git does.
func (rs refStore) removeEmptyParents(dir string) {
	stop := filepath.Join(rs.dir, "refs")
	for len(dir) > len(stop) && strings.HasPrefix(dir, stop) {
		if os.Remove(dir) != nil {
			return
		}
		dir = filepath.Dir(dir)
	}
}

// writeFileAtomic writes data to path.lock, syncs it and renames it over path, the way git
// replaces a reference: readers see the old file or the new one, never a partial one. The
// caller holds the repository's reference lock, so a leftover path.lock can only come from a
// writer that died, and is overwritten.
func writeFileAtomic(path string, data []byte) error {
	if err := writeLockFile(path, data); err != nil {
		return err
	}
	return commitStaged(path)
}

// writeLockFile writes and syncs path.lock, the first half of writeFileAtomic.
func writeLockFile(path string, data []byte) error {
	tmp := path + ".lock"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("sync %s: %w", filepath.Base(path), err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	return nil
}

// commitStaged renames path.lock over path, the second half of writeFileAtomic.
func commitStaged(path string) error {
	if err := os.Rename(path+".lock", path); err != nil {
		os.Remove(path + ".lock")
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	return nil
}

package forge

import (
	"context"
	"errors"
	"io"
	"math"
	"sort"
	"strings"

	"github.com/cairn-forge/cairn/gitstore"
	"github.com/go-git/go-git/v5/plumbing"
)

// ListTree lists one page of the tree at path p of revision rev (default: the default
// branch), trees first, with the total count. An empty repository or a missing path list
// nothing; a revision that names nothing is "Tree Not Found".
func (s *Repositories) ListTree(ctx context.Context, a *Actor, ref Ref, p string, rev string, recursive bool,
	pg Page) ([]TreeEntry, int, error) {
	v, repo, err := s.readRepo(ctx, a, ref)
	if err != nil {
		return nil, 0, err
	}
	defer repo.Close()
	if empty, err := repo.Empty(); err != nil || empty {
		return []TreeEntry{}, 0, err
	}
	if rev == "" {
		rev = v.DefaultBranch
	}
	h, err := resolve(repo, rev, ResourceTree)
	if err != nil {
		return nil, 0, err
	}
	clean, ok := gitstore.CleanPath(p)
	if !ok {
		return []TreeEntry{}, 0, nil
	}
	entries, err := repo.Tree(h, clean, recursive)
	if errors.Is(err, gitstore.ErrPathNotFound) {
		return []TreeEntry{}, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	total := len(entries)
	lo := min(pg.offset(), total)
	return entries[lo:min(lo+pg.limit(), total)], total, nil
}

// Comparison is what lies between two revisions.
type Comparison struct {
	// Commit is the newest commit of Commits, nil when there are none.
	Commit *Commit
	// Commits are reachable from "to" and not from "from", oldest first.
	Commits []*Commit
	Diffs   []FileDiff
	// SameRef: from and to are the same revision.
	SameRef bool
}

// Compare compares two revisions. The diff is taken from their merge base unless straight
// is set, in which case it is taken from "from" itself. Unknown revisions are "Ref Not Found".
func (s *Repositories) Compare(ctx context.Context, a *Actor, ref Ref, from string, to string,
	straight bool) (Comparison, error) {
	_, repo, err := s.readRepo(ctx, a, ref)
	if err != nil {
		return Comparison{}, err
	}
	defer repo.Close()
	fh, err := resolve(repo, from, ResourceRef)
	if err != nil {
		return Comparison{}, err
	}
	th, err := resolve(repo, to, ResourceRef)
	if err != nil {
		return Comparison{}, err
	}
	cmp := Comparison{SameRef: from == to, Commits: []*Commit{}, Diffs: []FileDiff{}}
	commits, err := repo.Log(ctx, gitstore.LogOptions{Include: []plumbing.Hash{th}, Exclude: []plumbing.Hash{fh}})
	if err != nil {
		return Comparison{}, err
	}
	for i := len(commits) - 1; i >= 0; i-- {
		cmp.Commits = append(cmp.Commits, commits[i])
	}
	if len(commits) > 0 {
		cmp.Commit = commits[0]
	}
	base := fh
	if !straight {
		mb, ok, err := repo.MergeBase(fh, th)
		if err != nil {
			return Comparison{}, err
		}
		if ok {
			base = mb
		}
	}
	diffs, err := repo.Diff(ctx, base, th)
	if err != nil {
		return Comparison{}, err
	}
	cmp.Diffs = append(cmp.Diffs, diffs...)
	return cmp, nil
}

// Archive is a repository snapshot ready to be streamed: write it with WriteTo, then Close.
type Archive struct {
	// FileName is "<project>-<ref>-<sha>[-<path>].<format>".
	FileName string
	Format   string
	Commit   plumbing.Hash
	opts     gitstore.ArchiveOptions
	repo     *gitstore.Repo
}

// WriteTo streams the archive to w.
func (ar *Archive) WriteTo(ctx context.Context, w io.Writer) error {
	return ar.repo.WriteArchive(ctx, w, ar.opts)
}

// Close releases the repository.
func (ar *Archive) Close() { ar.repo.Close() }

// OpenArchive prepares an archive of revision sha (default: the default branch) in format
// (tar.gz when empty), limited to path p when given. Unknown revisions and paths are
// "File Not Found", as in GitLab.
func (s *Repositories) OpenArchive(ctx context.Context, a *Actor, ref Ref, sha string, format string,
	p string) (*Archive, error) {
	v, repo, err := s.readRepo(ctx, a, ref)
	if err != nil {
		return nil, err
	}
	ar, err := openArchive(repo, v, sha, format, p)
	if err != nil {
		repo.Close()
		return nil, err
	}
	return ar, nil
}

func openArchive(repo *gitstore.Repo, v ProjectView, sha, format, p string) (*Archive, error) {
	f, ok := gitstore.ArchiveFormat(format)
	if !ok {
		return nil, Invalidf("format does not have a valid value")
	}
	if sha == "" {
		sha = v.DefaultBranch
	}
	h, err := resolve(repo, sha, ResourceFile)
	if err != nil {
		return nil, err
	}
	clean, ok := gitstore.CleanPath(p)
	if !ok {
		return nil, NotFound(ResourceFile)
	}
	if _, err := repo.Stat(h, clean); errors.Is(err, gitstore.ErrPathNotFound) {
		return nil, NotFound(ResourceFile)
	} else if err != nil {
		return nil, err
	}
	refPart := strings.NewReplacer("/", "-", `"`, "", "\\", "-").Replace(sha)
	name := v.Path + "-" + refPart
	if refPart != h.String() {
		name += "-" + h.String()
	}
	if clean != "" {
		name += "-" + strings.ReplaceAll(clean, "/", "-")
	}
	return &Archive{FileName: name + "." + f, Format: f, Commit: h, repo: repo,
		opts: gitstore.ArchiveOptions{Commit: h, Format: f, Prefix: name + "/", Path: clean}}, nil
}

// Contributor is an author of commits on the default branch.
type Contributor struct {
	Name      string
	Email     string
	Commits   int
	Additions int
	Deletions int
}

// Contributors lists the authors of the default branch's commits, ordered by orderBy
// (commits, name or email), ascending unless desc.
func (s *Repositories) Contributors(ctx context.Context, a *Actor, ref Ref, orderBy string,
	desc bool) ([]Contributor, error) {
	v, repo, err := s.readRepo(ctx, a, ref)
	if err != nil {
		return nil, err
	}
	defer repo.Close()
	tip, ok, err := defaultHead(repo, v)
	if err != nil || !ok {
		return []Contributor{}, err
	}
	commits, err := repo.Log(ctx, gitstore.LogOptions{Include: []plumbing.Hash{tip}})
	if err != nil {
		return nil, err
	}
	type key struct{ name, email string }
	index := map[key]int{}
	out := []Contributor{}
	for _, c := range commits {
		k := key{c.Author.Name, strings.ToLower(c.Author.Email)}
		i, ok := index[k]
		if !ok {
			i = len(out)
			index[k] = i
			out = append(out, Contributor{Name: c.Author.Name, Email: c.Author.Email})
		}
		out[i].Commits++
	}
	var less func(a, b Contributor) bool
	switch orderBy {
	case "", "commits":
		less = func(a, b Contributor) bool {
			if a.Commits != b.Commits {
				return a.Commits < b.Commits
			}
			return a.Name < b.Name
		}
	case "name":
		less = func(a, b Contributor) bool { return a.Name < b.Name }
	case "email":
		less = func(a, b Contributor) bool { return a.Email < b.Email }
	default:
		return nil, Invalidf("order_by does not have a valid value")
	}
	sort.SliceStable(out, func(i, j int) bool {
		if desc {
			return less(out[j], out[i])
		}
		return less(out[i], out[j])
	})
	return out, nil
}

// LanguageShare is a language and its share of the code, in percent.
type LanguageShare struct {
	Name    string
	Percent float64
}

// Languages returns the languages of the default branch by their share of bytes, largest
// first, rounded to two decimals.
func (s *Repositories) Languages(ctx context.Context, a *Actor, ref Ref) ([]LanguageShare, error) {
	v, repo, err := s.readRepo(ctx, a, ref)
	if err != nil {
		return nil, err
	}
	defer repo.Close()
	tip, ok, err := defaultHead(repo, v)
	if err != nil || !ok {
		return []LanguageShare{}, err
	}
	sizes, err := repo.Languages(ctx, tip)
	if err != nil {
		return nil, err
	}
	var total int64
	for _, n := range sizes {
		total += n
	}
	out := []LanguageShare{}
	for name, n := range sizes {
		pct := math.Round(float64(n)*10000/float64(total)) / 100
		out = append(out, LanguageShare{Name: name, Percent: pct})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Percent != out[j].Percent {
			return out[i].Percent > out[j].Percent
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

// SplitRefPath splits the "ref/path" tail of a page's URL (/-/tree/feature/login/src) into a
// revision and a path as GitLab does: the longest branch or tag name the tail starts with,
// else its first segment (a commit id or another revision). A tail that starts with no
// revision is "Ref Not Found".
func (s *Repositories) SplitRefPath(ctx context.Context, a *Actor, ref Ref, tail string) (rev, p string, err error) {
	_, repo, err := s.readRepo(ctx, a, ref)
	if err != nil {
		return "", "", err
	}
	defer repo.Close()
	tail = strings.Trim(tail, "/")
	for i := len(tail); i > 0; i = strings.LastIndexByte(tail[:i], '/') {
		name := tail[:i]
		for _, full := range []string{"refs/heads/" + name, "refs/tags/" + name} {
			_, ok, err := repo.Reference(full)
			if err != nil {
				return "", "", err
			}
			if ok {
				return name, strings.TrimPrefix(tail[i:], "/"), nil
			}
		}
	}
	first, rest, _ := strings.Cut(tail, "/")
	if _, err := resolve(repo, first, ResourceRef); err != nil {
		return "", "", err
	}
	return first, rest, nil
}

// IsGeneratedPath reports whether a file at path p is generated or a lock file, by its name
// alone: what diffs collapse and the languages statistics leave out.
func IsGeneratedPath(p string) bool { return gitstore.IsGenerated(p, nil) }

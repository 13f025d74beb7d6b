package forge

import (
	"context"
	"errors"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/cairn-forge/cairn/gitstore"
)

// Tag is a tag of a repository with the commit it names.
type Tag struct {
	gitstore.Tag
	// Commit is nil when the tag names something other than a commit.
	Commit *Commit
}

// When is the tag's time: its tagger's for an annotated tag, else its commit's.
func (t Tag) When() time.Time {
	if t.Annotated {
		return t.Tagger.When
	}
	if t.Commit != nil {
		return t.Commit.Committer.When
	}
	return time.Time{}
}

// TagListOptions filter and order a tag list.
type TagListOptions struct {
	// OrderBy is updated (default), name or version.
	OrderBy string
	// Asc sorts ascending; GitLab's default is descending.
	Asc    bool
	Search string
}

func loadTag(repo *gitstore.Repo, ref gitstore.Ref) (Tag, error) {
	gt, err := repo.TagOf(ref)
	if err != nil {
		return Tag{}, err
	}
	t := Tag{Tag: *gt}
	if !gt.Commit.IsZero() {
		if t.Commit, err = repo.Commit(gt.Commit); err != nil {
			return Tag{}, err
		}
	}
	return t, nil
}

// ListTags lists the tags of a project, one page of them, with the total count.
func (s *Repositories) ListTags(ctx context.Context, a *Actor, ref Ref, o TagListOptions, pg Page) ([]Tag, int, error) {
	_, repo, err := s.readRepo(ctx, a, ref)
	if err != nil {
		return nil, 0, err
	}
	defer repo.Close()
	refs, err := repo.TagRefs()
	if err != nil {
		return nil, 0, err
	}
	var tags []Tag
	for _, r := range refs {
		if !NameMatches(r.Name, o.Search) {
			continue
		}
		t, err := loadTag(repo, r)
		if err != nil {
			return nil, 0, err
		}
		tags = append(tags, t)
	}
	var less func(a, b Tag) bool
	switch o.OrderBy {
	case "", "updated":
		less = func(a, b Tag) bool {
			if !a.When().Equal(b.When()) {
				return a.When().Before(b.When())
			}
			return a.Name < b.Name
		}
	case "name":
		less = func(a, b Tag) bool { return a.Name < b.Name }
	case "version":
		less = func(a, b Tag) bool { return CompareVersions(a.Name, b.Name) < 0 }
	default:
		return nil, 0, Invalidf("order_by does not have a valid value")
	}
	sort.SliceStable(tags, func(i, j int) bool {
		if o.Asc {
			return less(tags[i], tags[j])
		}
		return less(tags[j], tags[i])
	})
	total := len(tags)
	lo := min(pg.offset(), total)
	return tags[lo:min(lo+pg.limit(), total)], total, nil
}

// CompareVersions orders tag names as git's version sort does ("v1.10" after "v1.9"): runs
// of digits compare as numbers, everything else as text.
func CompareVersions(a, b string) int {
	for a != "" && b != "" {
		ca, ra := versionChunk(a)
		cb, rb := versionChunk(b)
		na, errA := strconv.ParseUint(ca, 10, 64)
		nb, errB := strconv.ParseUint(cb, 10, 64)
		switch {
		case errA == nil && errB == nil && na != nb:
			if na < nb {
				return -1
			}
			return 1
		case (errA == nil) != (errB == nil) || ca != cb:
			if ca < cb {
				return -1
			}
			return 1
		}
		a, b = ra, rb
	}
	switch {
	case a == b:
		return 0
	case a == "":
		return -1
	}
	return 1
}

// versionChunk splits off the leading run of digits, or of non-digits.
func versionChunk(s string) (chunk, rest string) {
	digit := unicode.IsDigit(rune(s[0]))
	i := 1
	for i < len(s) && unicode.IsDigit(rune(s[i])) == digit {
		i++
	}
	return s[:i], s[i:]
}

// GetTag returns one tag.
func (s *Repositories) GetTag(ctx context.Context, a *Actor, ref Ref, name string) (Tag, error) {
	_, repo, err := s.readRepo(ctx, a, ref)
	if err != nil {
		return Tag{}, err
	}
	defer repo.Close()
	return tagNamed(repo, name)
}

func tagNamed(repo *gitstore.Repo, name string) (Tag, error) {
	h, ok, err := repo.Reference("refs/tags/" + name)
	if err != nil {
		return Tag{}, err
	}
	if !ok {
		return Tag{}, NotFound(ResourceTag)
	}
	return loadTag(repo, gitstore.Ref{Name: name, Target: h})
}

// CreateTag tags the commit rev names; with a message the tag is annotated, its tagger the
// actor. Developers may.
func (s *Repositories) CreateTag(ctx context.Context, a *Actor, ref Ref, name string, rev string,
	message string) (Tag, error) {
	v, repo, err := s.writeRepo(ctx, a, ref)
	if err != nil {
		return Tag{}, err
	}
	defer repo.Close()
	message = strings.TrimSpace(message)
	if err := checkNewTag(v, name); err != nil {
		return Tag{}, err
	}
	if err := checkMessage("message", message); err != nil {
		return Tag{}, err
	}
	if _, ok, err := repo.Reference("refs/tags/" + name); err != nil {
		return Tag{}, err
	} else if ok {
		return Tag{}, exists(ResourceTag, name)
	}
	if strings.TrimSpace(rev) == "" {
		return Tag{}, gitRefused("Target is empty")
	}
	target, err := repo.Resolve(rev)
	if errors.Is(err, gitstore.ErrRefNotFound) {
		return Tag{}, gitRefused("Target %s is invalid", rev)
	}
	if err != nil {
		return Tag{}, err
	}
	obj := target
	if message != "" {
		if obj, err = repo.WriteTag(name, target, s.actorSignature(a), message); err != nil {
			return Tag{}, err
		}
	}
	if err := s.moveRefs(ctx, a, v, []gitstore.RefUpdate{{Name: "refs/tags/" + name, New: obj}}); err != nil {
		if _, ok, _ := repo.Reference("refs/tags/" + name); ok {
			return Tag{}, exists(ResourceTag, name)
		}
		return Tag{}, err
	}
	return tagNamed(repo, name)
}

// checkNewTag refuses the name of a tag to create in project v: an invalid name (GitLab's
// "Tag name invalid"), or the name of the default branch, which the tag would shadow.
func checkNewTag(v ProjectView, name string) error {
	if ValidateTagName(name) != "" {
		return gitRefused("Tag name invalid")
	}
	if name == v.DefaultBranch {
		return gitRefused("You cannot use default branch name to create a tag")
	}
	return nil
}

// DeleteTag removes a tag; developers may.
func (s *Repositories) DeleteTag(ctx context.Context, a *Actor, ref Ref, name string) error {
	v, repo, err := s.writeRepo(ctx, a, ref)
	if err != nil {
		return err
	}
	defer repo.Close()
	h, ok, err := repo.Reference("refs/tags/" + name)
	if err != nil {
		return err
	}
	if !ok {
		return nothingToDelete(ResourceTag)
	}
	return s.moveRefs(ctx, a, v, []gitstore.RefUpdate{{Name: "refs/tags/" + name, Old: h}})
}

// actorSignature is who the actor is in a commit or tag, now: their name and email, made fit
// for git (gitIdentity), their username for a name that has nothing left.
func (s *Service) actorSignature(a *Actor) Signature {
	sig := Signature{Name: "cairn", Email: "cairn@localhost", When: s.Now()}
	if a.SignedIn() {
		sig.Name, sig.Email = gitIdentity(a.User.Name), gitIdentity(a.User.Email)
		if sig.Name == "" {
			sig.Name = a.User.Username
		}
	}
	return sig
}

// authorSignature is the author of a commit the actor makes: the actor, unless the request
// names someone else. A name or email git cannot write is refused, naming its field.
func (s *Service) authorSignature(a *Actor, name, email string) (Signature, error) {
	sig := s.actorSignature(a)
	for _, f := range []struct {
		field string
		value string
		dst   *string
	}{{"author_name", name, &sig.Name}, {"author_email", email, &sig.Email}} {
		v := strings.TrimSpace(f.value)
		if v == "" {
			continue
		}
		if problem := validateIdentity(v); problem != "" {
			return Signature{}, invalidField(f.field, problem)
		}
		*f.dst = v
	}
	return sig, nil
}

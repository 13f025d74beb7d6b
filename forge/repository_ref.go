package forge

import (
	"context"
	"net/url"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/cairn-forge/cairn/db"
)

// RepositoryRef is a reference to a repository as a client writes it, parsed.
type RepositoryRef struct {
	// Path is the project's full path ("acme/web/site"), or its own path alone when Bare.
	Path string
	// Bare: the reference is a project's name without its namespace ("site").
	Bare bool
}

// maxRepositoryRef bounds a repository reference, in bytes.
const maxRepositoryRef = 2048

func badRepositoryRef(format string, args ...any) *Error {
	e := Invalidf(format, args...)
	e.Params = []string{"repository"}
	return e
}

// ParseRepositoryRef reads a repository reference in any of the forms Gitar's clients use:
// "owner/repo" or "group/subgroup/project" (".git" and surrounding slashes allowed), a URL of
// this instance (base, its external URL) such as "https://host/owner/repo" or
// "https://host/owner/repo.git" or a page below it ("/-/tree/main"), or a bare project name.
// A URL of another host is refused: this instance has no repositories there.
func ParseRepositoryRef(s, base string) (RepositoryRef, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return RepositoryRef{}, Missing("repository")
	case len(s) > maxRepositoryRef:
		return RepositoryRef{}, badRepositoryRef("repository is too long (at most %d characters)", maxRepositoryRef)
	}
	p := s
	if strings.Contains(s, "://") {
		var err error
		if p, err = instancePath(s, base); err != nil {
			return RepositoryRef{}, err
		}
	}
	p = strings.Trim(p, "/")
	if i := strings.Index(p, "/-/"); i >= 0 {
		p = p[:i] // a page of the project: /owner/repo/-/tree/main
	}
	p = strings.TrimSuffix(strings.TrimSuffix(p, "/-"), ".git")
	if p == "" {
		return RepositoryRef{}, badRepositoryRef("%q names no repository", s)
	}
	segs := strings.Split(p, "/")
	for _, seg := range segs {
		if msg := ValidatePath(seg); msg != "" {
			return RepositoryRef{}, badRepositoryRef("%q is not a repository reference: %q %s "+
				"(write owner/repo, group/subgroup/project, a URL of this instance, or a project's name)", s, seg, msg)
		}
	}
	return RepositoryRef{Path: p, Bare: len(segs) == 1}, nil
}

// instancePath returns the path of a URL of this instance below its base, unescaped.
func instancePath(s, base string) (string, error) {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return "", badRepositoryRef("%q is not a URL of a repository", s)
	}
	b, err := url.Parse(base)
	if base == "" || err != nil || !strings.EqualFold(u.Host, b.Host) {
		return "", badRepositoryRef("%q is not a repository of this instance (%s)", s, base)
	}
	rest, ok := strings.CutPrefix(u.Path, strings.TrimRight(b.Path, "/")+"/")
	if !ok {
		return "", badRepositoryRef("%q is not a repository of this instance (%s)", s, base)
	}
	return rest, nil
}

// instanceURL is the external URL the server answers at, for ParseRepositoryRef; set once
// before the server serves.
type instanceURL struct{ v atomic.Pointer[string] }

// SetExternalURL tells the forge the URL it is reached at ("https://git.example.com"), so
// that repository references may be URLs of it.
func (s *Repositories) SetExternalURL(u string) { s.external.v.Store(&u) }

func (s *Service) externalURL() string {
	if p := s.external.v.Load(); p != nil {
		return *p
	}
	return ""
}

// maxCandidates bounds the projects an ambiguous bare name lists.
const maxCandidates = 20

// RepositoryByRef returns the project a repository reference (ParseRepositoryRef's forms)
// names, if the actor may see it. A bare name must name exactly one project the actor may
// see; with more, the error lists them.
func (s *Repositories) RepositoryByRef(ctx context.Context, a *Actor, ref string) (ProjectView, error) {
	if err := a.Require(NeedRead); err != nil {
		return ProjectView{}, err
	}
	r, err := ParseRepositoryRef(ref, s.externalURL())
	if err != nil {
		return ProjectView{}, err
	}
	if !r.Bare {
		return s.visibleProject(ctx, a, ParseRef(r.Path))
	}
	// Scan past what one page would list: most of a name's projects may be invisible.
	found, err := db.ProjectsByPathName(ctx, s.db.Read, r.Path, 1000)
	if err != nil {
		return ProjectView{}, err
	}
	var seen []ProjectView
	for _, p := range found {
		v, err := s.projectAccess(ctx, a, p)
		if err != nil {
			return ProjectView{}, err
		}
		if canSee(a, p.Visibility, v.Access) {
			seen = append(seen, v)
		}
	}
	switch len(seen) {
	case 0:
		return ProjectView{}, NotFound(ResourceProject)
	case 1:
		return seen[0], nil
	}
	names := make([]string, 0, len(seen))
	for _, v := range seen {
		names = append(names, v.FullPath())
	}
	sort.Strings(names)
	if len(names) > maxCandidates {
		names = names[:maxCandidates]
	}
	e := badRepositoryRef("%q names %d repositories; write one of them in full: %s", r.Path, len(seen),
		strings.Join(names, ", "))
	e.Reason, e.Candidates = ReasonAmbiguous, names
	return ProjectView{}, e
}

package forge

import (
	"context"
	"database/sql"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cairn-forge/cairn/db"
	"github.com/cairn-forge/cairn/gitstore"
)

// BadgeSource names the project or group whose badges a request is about.
type BadgeSource struct {
	// Kind is "project" or "group".
	Kind string
	Ref  string
	// ServerHost is the instance's host as its users reach it, which %{gitlab_server}
	// stands for.
	ServerHost string
}

// Badge is a link with an image shown on a project's page. Group badges show on every
// project of the group and its subgroups. The URLs may hold placeholders (%{project_path},
// %{default_branch}, …) that each project renders.
type Badge struct {
	ID int64
	// Kind is where the badge is defined: "project" or "group".
	Kind     string
	Name     string
	LinkURL  string
	ImageURL string
	// RenderedLinkURL and RenderedImageURL are the URLs with the placeholders replaced for
	// the project asked about; a group's own list leaves them as they are.
	RenderedLinkURL  string
	RenderedImageURL string
}

// BadgeInput carries a badge's fields; nil means "not given".
type BadgeInput struct {
	Name     *string
	LinkURL  *string
	ImageURL *string
}

// badgeContext is a badge source resolved for the actor, with what renders its badges.
type badgeContext struct {
	source db.BadgeSource
	// canManage: the actor may add, change and remove the source's badges (a project's
	// maintainers, a group's owners).
	canManage bool
	// project is set for a project source; groups are the project's group and its
	// ancestors, or the group and its ancestors.
	project *ProjectView
	groups  []Namespace
	host    string
}

func (s *Service) badgeContext(ctx context.Context, a *Actor, src BadgeSource) (badgeContext, error) {
	if err := a.Require(NeedRead); err != nil {
		return badgeContext{}, err
	}
	bc := badgeContext{host: src.ServerHost}
	var ns Namespace
	switch src.Kind {
	case "project":
		v, err := s.visibleProject(ctx, a, ParseRef(src.Ref))
		if err != nil {
			return badgeContext{}, err
		}
		bc.source, bc.canManage, bc.project, ns = db.BadgeSource{Kind: "project",
			ID: v.ID}, v.Access >= Maintainer, &v, v.Namespace
	default:
		g, level, err := s.visibleGroup(ctx, a, ParseRef(src.Ref))
		if err != nil {
			return badgeContext{}, err
		}
		bc.source, bc.canManage, ns = db.BadgeSource{Kind: "group", ID: g.ID}, level >= Owner, g
	}
	if ns.Kind == "group" {
		up, err := db.NamespaceAncestors(ctx, s.db.Read, ns.ID)
		if err != nil {
			return badgeContext{}, err
		}
		bc.groups = append(up, ns)
	}
	return bc, nil
}

// render fills the rendered URLs of badges for the context's project.
func (s *Service) renderBadges(ctx context.Context, bc badgeContext, badges []Badge) {
	values := map[string]string{}
	if v := bc.project; v != nil {
		values = map[string]string{
			"project_path":        v.FullPath(),
			"project_title":       v.Name,
			"project_name":        v.Path,
			"project_id":          strconv.FormatInt(v.ID, 10),
			"project_namespace":   v.Namespace.FullPath,
			"default_branch":      v.DefaultBranch,
			"gitlab_pages_domain": "",
			"gitlab_server":       bc.host,
		}
		if v.Namespace.Kind == "group" {
			values["group_name"] = v.Namespace.Name
		}
		if repo, err := s.repos.OpenRepo(v.ID); err == nil {
			if h, ok, err := defaultHead(repo, *v); err == nil && ok {
				values["commit_sha"] = h.String()
			}
			if tag, ok := latestTag(repo); ok {
				values["latest_tag"] = tag
			}
			repo.Close()
		}
	}
	for i := range badges {
		b := &badges[i]
		b.RenderedLinkURL, b.RenderedImageURL = b.LinkURL, b.ImageURL
		if bc.project != nil {
			b.RenderedLinkURL, b.RenderedImageURL = renderPlaceholders(b.LinkURL,
				values), renderPlaceholders(b.ImageURL, values)
		}
	}
}

// renderPlaceholders replaces each %{name} of url that values knows.
func renderPlaceholders(url string, values map[string]string) string {
	var b strings.Builder
	for {
		i := strings.Index(url, "%{")
		if i < 0 {
			b.WriteString(url)
			return b.String()
		}
		j := strings.IndexByte(url[i:], '}')
		if j < 0 {
			b.WriteString(url)
			return b.String()
		}
		b.WriteString(url[:i])
		if v, ok := values[url[i+2:i+j]]; ok {
			b.WriteString(v)
		} else {
			b.WriteString(url[i : i+j+1])
		}
		url = url[i+j+1:]
	}
}

func badgeOf(r db.Badge) Badge {
	return Badge{ID: r.ID, Kind: r.SourceKind, Name: r.Name, LinkURL: r.LinkURL, ImageURL: r.ImageURL}
}

// ListBadges lists a source's badges; a project's include those of its groups. Whoever sees
// the source sees its badges.
func (s *Projects) ListBadges(ctx context.Context, a *Actor, src BadgeSource, name string, pg Page) ([]Badge,
	int, error) {
	bc, err := s.badgeContext(ctx, a, src)
	if err != nil {
		return nil, 0, err
	}
	sources := []db.BadgeSource{bc.source}
	if bc.project != nil {
		for _, g := range bc.groups {
			sources = append(sources, db.BadgeSource{Kind: "group", ID: g.ID})
		}
	}
	rows, err := db.ListBadges(ctx, s.db.Read, sources, name)
	if err != nil {
		return nil, 0, err
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].ID < rows[j].ID })
	out := make([]Badge, len(rows))
	for i, r := range rows {
		out[i] = badgeOf(r)
	}
	page := pageOf(out, pg)
	s.renderBadges(ctx, bc, page)
	return page, len(out), nil
}

// GetBadge returns one of a source's own badges.
func (s *Projects) GetBadge(ctx context.Context, a *Actor, src BadgeSource, id int64) (Badge, error) {
	bc, err := s.badgeContext(ctx, a, src)
	if err != nil {
		return Badge{}, err
	}
	r, err := db.BadgeByID(ctx, s.db.Read, bc.source, id)
	if err != nil {
		return Badge{}, notFoundAs(err, ResourceBadge)
	}
	b := []Badge{badgeOf(r)}
	s.renderBadges(ctx, bc, b)
	return b[0], nil
}

// RenderBadge shows how a badge of these URLs renders for the source, without saving it.
func (s *Projects) RenderBadge(ctx context.Context, a *Actor, src BadgeSource,
	linkURL, imageURL string) (Badge, error) {
	bc, err := s.badgeContext(ctx, a, src)
	if err != nil {
		return Badge{}, err
	}
	b := []Badge{{Kind: src.Kind, LinkURL: linkURL, ImageURL: imageURL}}
	s.renderBadges(ctx, bc, b)
	return b[0], nil
}

// SaveBadge adds a badge to a source (id 0) or changes one of its own; a project's
// maintainers and a group's owners may.
func (s *Projects) SaveBadge(ctx context.Context, a *Actor, src BadgeSource, id int64, in BadgeInput) (Badge, error) {
	if err := a.requireUser(NeedWrite); err != nil {
		return Badge{}, err
	}
	bc, err := s.badgeContext(ctx, a, src)
	if err != nil {
		return Badge{}, err
	}
	if !bc.canManage {
		return Badge{}, Forbidden()
	}
	b := db.Badge{SourceKind: bc.source.Kind, SourceID: bc.source.ID, CreatedAt: s.Now()}
	if id != 0 {
		if b, err = db.BadgeByID(ctx, s.db.Read, bc.source, id); err != nil {
			return Badge{}, notFoundAs(err, ResourceBadge)
		}
	}
	fe := FieldErrors{}
	if in.Name != nil {
		b.Name = *in.Name
		checkText(fe, "name", b.Name, limitName)
	}
	for _, f := range []struct {
		field string
		in    *string
		dst   *string
	}{{"link_url", in.LinkURL, &b.LinkURL}, {"image_url", in.ImageURL, &b.ImageURL}} {
		if f.in != nil {
			*f.dst = strings.TrimSpace(*f.in)
		}
		// Placeholders stand for values a URL may hold.
		checkWebURL(fe, f.field, renderPlaceholders(*f.dst, placeholderSamples))
	}
	if err := fe.Err(); err != nil {
		return Badge{}, err
	}
	err = s.db.Write(ctx, func(tx *sql.Tx) error {
		id, err = db.SaveBadge(ctx, tx, b)
		return err
	})
	if err != nil {
		return Badge{}, err
	}
	return s.GetBadge(ctx, a, src, id)
}

// placeholderSamples stand in for the placeholders when a badge's URLs are checked.
var placeholderSamples = map[string]string{
	"project_path":        "group/project",
	"project_title":       "Project",
	"project_name":        "project",
	"project_id":          "1",
	"project_namespace":   "group",
	"group_name":          "group",
	"gitlab_server":       "example.com",
	"gitlab_pages_domain": "example.com",
	"default_branch":      "main",
	"commit_sha":          "0",
	"latest_tag":          "v1",
}

// DeleteBadge removes one of a source's own badges; a project's maintainers and a group's
// owners may.
func (s *Projects) DeleteBadge(ctx context.Context, a *Actor, src BadgeSource, id int64) error {
	if err := a.requireUser(NeedWrite); err != nil {
		return err
	}
	bc, err := s.badgeContext(ctx, a, src)
	if err != nil {
		return err
	}
	if !bc.canManage {
		return Forbidden()
	}
	if _, err := db.BadgeByID(ctx, s.db.Read, bc.source, id); err != nil {
		return notFoundAs(err, ResourceBadge)
	}
	return s.db.Write(ctx, func(tx *sql.Tx) error { return db.DeleteBadge(ctx, tx, id) })
}

// latestTag names the tag whose commit is newest, as GitLab's %{latest_tag} does.
func latestTag(repo *gitstore.Repo) (string, bool) {
	tags, err := repo.TagRefs()
	if err != nil {
		return "", false
	}
	var best string
	var when time.Time
	for _, t := range tags {
		h, err := repo.Resolve("refs/tags/" + t.Name)
		if err != nil {
			continue
		}
		c, err := repo.Commit(h)
		if err != nil {
			continue
		}
		if best == "" || c.Committer.When.After(when) {
			best, when = t.Name, c.Committer.When
		}
	}
	return best, best != ""
}

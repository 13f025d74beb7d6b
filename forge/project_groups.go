package forge

import (
	"context"
	"slices"
	"strings"

	"github.com/cairn-forge/cairn/db"
)

// ProjectGroupsOptions filter a project's groups.
type ProjectGroupsOptions struct {
	// Search keeps the groups whose name or path holds it.
	Search string
	// SkipGroups leaves these groups out.
	SkipGroups []int64
}

// ProjectGroups lists the groups a project is in, its own group and that group's ancestors,
// root first, those the actor may see. A project of a personal namespace is in none.
func (s *Projects) ProjectGroups(ctx context.Context, a *Actor, projectRef Ref, o ProjectGroupsOptions,
	pg Page) ([]Namespace, int, error) {
	v, err := s.ProjectByRef(ctx, a, projectRef)
	if err != nil {
		return nil, 0, err
	}
	if v.Namespace.Kind != "group" {
		return []Namespace{}, 0, nil
	}
	groups, err := db.NamespaceAncestors(ctx, s.db.Read, v.Namespace.ID)
	if err != nil {
		return nil, 0, err
	}
	groups = append(groups, v.Namespace)
	var out []Namespace
	for _, g := range groups {
		if slices.Contains(o.SkipGroups, g.ID) || !containsFold(g.Name, o.Search) && !containsFold(g.Path, o.Search) {
			continue
		}
		level, err := s.namespaceAccess(ctx, a, g)
		if err != nil {
			return nil, 0, err
		}
		if canSee(a, g.Visibility, level) {
			out = append(out, g)
		}
	}
	return pageOf(out, pg), len(out), nil
}

// containsFold reports whether s holds sub, ignoring case; everything holds "".
func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

package forge

import (
	"context"
	"errors"

	"github.com/cairn-forge/cairn/db"
)

// NamespaceListOptions filter the namespace list.
type NamespaceListOptions struct {
	Search       string
	OwnedOnly    bool
	TopLevelOnly bool
}

// ListNamespaces lists the namespaces the actor may create projects in or belongs to: its own
// and its groups'. Administrators see every namespace.
func (s *Projects) ListNamespaces(ctx context.Context, a *Actor, o NamespaceListOptions,
	pg Page) ([]Namespace, int, error) {
	if err := a.requireUser(NeedRead); err != nil {
		return nil, 0, err
	}
	f := db.NamespaceFilter{Search: o.Search, TopLevelOnly: o.TopLevelOnly, Limit: pg.limit(), Offset: pg.offset()}
	if !a.IsAdmin() || o.OwnedOnly {
		acc, err := s.userAccess(ctx, a)
		if err != nil {
			return nil, 0, err
		}
		f.IDs = []int64{}
		for id, level := range acc.Namespaces {
			if !o.OwnedOnly || level >= Owner {
				f.IDs = append(f.IDs, id)
			}
		}
	}
	return db.ListNamespaces(ctx, s.db.Read, f)
}

// NamespaceByRef returns the namespace named by ref (an id or a full path), if the actor owns it,
// belongs to it, or is an administrator.
func (s *Projects) NamespaceByRef(ctx context.Context, a *Actor, ref Ref) (Namespace, error) {
	if err := a.requireUser(NeedRead); err != nil {
		return Namespace{}, err
	}
	ns, err := s.findNamespace(ctx, ref)
	if err != nil {
		return Namespace{}, notFoundAs(err, ResourceNamespace)
	}
	level, err := s.namespaceAccess(ctx, a, ns)
	if err != nil {
		return Namespace{}, err
	}
	if level == NoAccess {
		return Namespace{}, NotFound(ResourceNamespace)
	}
	return ns, nil
}

// findNamespace looks a namespace up by id or by full path, with no permission check.
func (s *Service) findNamespace(ctx context.Context, ref Ref) (Namespace, error) {
	if id, ok := ref.ID(); ok {
		return db.NamespaceByID(ctx, s.db.Read, id)
	}
	return db.NamespaceByPath(ctx, s.db.Read, ref.String())
}

// NamespaceExists reports whether path is taken below parentID (0: at the top level), and
// suggests a free alternative when it is.
func (s *Projects) NamespaceExists(ctx context.Context, a *Actor, path string, parentID int64) (bool, []string, error) {
	if err := a.requireUser(NeedRead); err != nil {
		return false, nil, err
	}
	prefix := ""
	if parentID != 0 {
		parent, err := s.NamespaceByRef(ctx, a, ID(parentID))
		if err != nil {
			return false, nil, err
		}
		prefix = parent.FullPath + "/"
	}
	taken := func(p string) (bool, error) {
		_, err := db.NamespaceByPath(ctx, s.db.Read, prefix+p)
		if errors.Is(err, db.ErrNotFound) {
			return false, nil
		}
		return err == nil, err
	}
	exists, err := taken(path)
	if err != nil || !exists {
		return exists, []string{}, err
	}
	for i := 1; i < 1000; i++ {
		candidate := path + formatID(int64(i))
		t, err := taken(candidate)
		if err != nil {
			return true, nil, err
		}
		if !t {
			return true, []string{candidate}, nil
		}
	}
	return true, []string{}, nil
}

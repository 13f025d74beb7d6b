package forge

import (
	"context"
	"database/sql"
	"strings"

	"github.com/cairn-forge/cairn/db"
)

// CustomAttribute is a key and value an administrator keeps on a user, group or project.
type CustomAttribute struct {
	Key   string
	Value string
}

// customAttributeTarget resolves the user, group or project (kind) that ref names, for an
// administrator.
func (s *Service) customAttributeTarget(ctx context.Context, a *Actor, kind string, ref Ref, need Need) (int64, error) {
	if err := a.requireAdmin(need); err != nil {
		return 0, err
	}
	switch kind {
	case "user":
		u, err := s.Accounts.UserByRef(ctx, a, ref)
		return u.ID, err
	case "group":
		g, _, err := s.visibleGroup(ctx, a, ref)
		return g.ID, err
	}
	v, err := s.visibleProject(ctx, a, ref)
	return v.ID, err
}

// CustomAttributes lists the custom attributes of a user, group or project (kind).
func (s *Accounts) CustomAttributes(ctx context.Context, a *Actor, kind string, ref Ref) ([]CustomAttribute, error) {
	id, err := s.customAttributeTarget(ctx, a, kind, ref, NeedRead)
	if err != nil {
		return nil, err
	}
	rows, err := db.CustomAttributes(ctx, s.db.Read, kind, id)
	if err != nil {
		return nil, err
	}
	out := make([]CustomAttribute, len(rows))
	for i, r := range rows {
		out[i] = CustomAttribute(r)
	}
	return out, nil
}

// CustomAttribute returns one custom attribute.
func (s *Accounts) CustomAttribute(ctx context.Context, a *Actor, kind string, ref Ref,
	key string) (CustomAttribute, error) {
	list, err := s.CustomAttributes(ctx, a, kind, ref)
	if err != nil {
		return CustomAttribute{}, err
	}
	for _, c := range list {
		if c.Key == key {
			return c, nil
		}
	}
	return CustomAttribute{}, NotFound(ResourceCustomAttribute)
}

// SetCustomAttribute writes one custom attribute.
func (s *Accounts) SetCustomAttribute(ctx context.Context, a *Actor, kind string, ref Ref, key string,
	value string) (CustomAttribute, error) {
	id, err := s.customAttributeTarget(ctx, a, kind, ref, NeedWrite)
	if err != nil {
		return CustomAttribute{}, err
	}
	fe := FieldErrors{}
	if strings.TrimSpace(key) == "" {
		fe.Add("key", "can't be blank")
	}
	checkText(fe, "key", key, limitName)
	checkText(fe, "value", value, limitName)
	if err := fe.Err(); err != nil {
		return CustomAttribute{}, err
	}
	c := CustomAttribute{Key: key, Value: value}
	return c, s.db.Write(ctx,
		func(tx *sql.Tx) error { return db.SetCustomAttribute(ctx, tx, kind, id, db.CustomAttribute(c)) })
}

// DeleteCustomAttribute removes one custom attribute.
func (s *Accounts) DeleteCustomAttribute(ctx context.Context, a *Actor, kind string, ref Ref, key string) error {
	id, err := s.customAttributeTarget(ctx, a, kind, ref, NeedWrite)
	if err != nil {
		return err
	}
	return s.db.Write(ctx, func(tx *sql.Tx) error {
		deleted, err := db.DeleteCustomAttribute(ctx, tx, kind, id, key)
		if err == nil && !deleted {
			err = NotFound(ResourceCustomAttribute)
		}
		return err
	})
}

package forge

import (
	"context"
	"database/sql"
	"errors"
	"sort"
	"time"

	"github.com/cairn-forge/cairn/db"
)

// MemberSource names what a membership is of: a group or a project, by id or full path.
type MemberSource struct {
	// Kind is "group" or "project".
	Kind string
	Ref  string
}

// MemberInput describes a membership to add or change.
type MemberInput struct {
	// UserRef is the member's id or username.
	UserRef     Ref
	AccessLevel int
	ExpiresAt   *time.Time
}

// ValidAccessLevel reports whether level may be granted by a membership.
func ValidAccessLevel(level int) bool {
	switch level {
	case Minimal, Guest, Reporter, Developer, Maintainer, Owner:
		return true
	}
	return false
}

// viewMember returns m as actor a may see it: the member as viewUser shows users, and its
// email to administrators only, as GitLab's member lists show it.
func viewMember(a *Actor, m Member) Member {
	m.User = viewUser(a, m.User).User
	if !a.IsAdmin() {
		m.User.Email = ""
	}
	return m
}

// viewMembers is viewMember for each of list, in place.
func viewMembers(a *Actor, list []Member) []Member {
	for i, m := range list {
		list[i] = viewMember(a, m)
	}
	return list
}

// memberSource resolves src to its id, the namespace ids whose members it inherits (ancestors,
// nearest last), and the actor's access level to it.
func (s *Service) memberSource(ctx context.Context, a *Actor, src MemberSource) (id int64, inherited []int64,
	level int, err error) {
	switch src.Kind {
	case "project":
		v, err := s.visibleProject(ctx, a, ParseRef(src.Ref))
		if err != nil {
			return 0, nil, 0, err
		}
		ancestors, err := db.NamespaceAncestors(ctx, s.db.Read, v.NamespaceID)
		if err != nil {
			return 0, nil, 0, err
		}
		for _, n := range ancestors {
			inherited = append(inherited, n.ID)
		}
		if v.Namespace.Kind == "group" {
			inherited = append(inherited, v.NamespaceID)
		}
		return v.ID, inherited, v.Access, nil
	case "group":
		g, level, err := s.visibleGroup(ctx, a, ParseRef(src.Ref))
		if err != nil {
			return 0, nil, 0, err
		}
		ancestors, err := db.NamespaceAncestors(ctx, s.db.Read, g.ID)
		if err != nil {
			return 0, nil, 0, err
		}
		for _, n := range ancestors {
			inherited = append(inherited, n.ID)
		}
		return g.ID, inherited, level, nil
	}
	return 0, nil, 0, NotFound("")
}

// ListMembers lists the direct members of a group or project, or with all, the inherited ones
// too (each user once, with their highest level).
func (s *Projects) ListMembers(ctx context.Context, a *Actor, src MemberSource, all bool, query string,
	pg Page) ([]Member, int, error) {
	if err := a.Require(NeedRead); err != nil {
		return nil, 0, err
	}
	id, inherited, _, err := s.memberSource(ctx, a, src)
	if err != nil {
		return nil, 0, err
	}
	if !all {
		list, total, err := db.ListMembers(ctx, s.db.Read, db.MemberFilter{Kind: src.Kind, SourceIDs: []int64{id},
			Query: query, Limit: pg.limit(), Offset: pg.offset()})
		return viewMembers(a, list), total, err
	}
	direct, _, err := db.ListMembers(ctx, s.db.Read,
		db.MemberFilter{Kind: src.Kind, SourceIDs: []int64{id}, Query: query})
	if err != nil {
		return nil, 0, err
	}
	fromGroups, _, err := db.ListMembers(ctx, s.db.Read,
		db.MemberFilter{Kind: "group", SourceIDs: inherited, Query: query})
	if err != nil {
		return nil, 0, err
	}
	best := map[int64]Member{}
	for _, m := range append(direct, fromGroups...) {
		if cur, ok := best[m.User.ID]; !ok || m.AccessLevel > cur.AccessLevel {
			best[m.User.ID] = m
		}
	}
	merged := make([]Member, 0, len(best))
	for _, m := range best {
		merged = append(merged, m)
	}
	sort.Slice(merged, func(i, j int) bool { return merged[i].User.ID < merged[j].User.ID })
	total := len(merged)
	lo := min(pg.offset(), total)
	hi := min(lo+pg.limit(), total)
	return viewMembers(a, merged[lo:hi]), total, nil
}

// GetMember returns one member of a group or project; with all, an inherited one counts.
func (s *Projects) GetMember(ctx context.Context, a *Actor, src MemberSource, userID int64, all bool) (Member, error) {
	if err := a.Require(NeedRead); err != nil {
		return Member{}, err
	}
	id, inherited, _, err := s.memberSource(ctx, a, src)
	if err != nil {
		return Member{}, err
	}
	m, err := db.GetMember(ctx, s.db.Read, src.Kind, id, userID)
	if err == nil {
		return viewMember(a, m), nil
	}
	if !all || !errors.Is(err, db.ErrNotFound) {
		return Member{}, notFoundAs(err, "")
	}
	found := false
	for _, nsID := range inherited {
		gm, err := db.GetMember(ctx, s.db.Read, "group", nsID, userID)
		if err == nil && (!found || gm.AccessLevel > m.AccessLevel) {
			m, found = gm, true
		}
	}
	if !found {
		return Member{}, NotFound("")
	}
	return viewMember(a, m), nil
}

// AddOrUpdateMember adds a user to a group or project (create) or changes an existing
// member's access level or expiry. Maintainers may grant levels up to their own; only owners
// may grant Owner; a group always keeps an owner.
func (s *Projects) AddOrUpdateMember(ctx context.Context, a *Actor, src MemberSource, in MemberInput,
	create bool) (Member, error) {
	if err := a.requireUser(NeedWrite); err != nil {
		return Member{}, err
	}
	if in.AccessLevel == 0 {
		return Member{}, Missing("access_level")
	}
	if !ValidAccessLevel(in.AccessLevel) {
		return Member{}, &Error{Code: EInvalid, Params: []string{"access_level"},
			Message: "access_level does not have a valid value"}
	}
	if in.AccessLevel == Minimal && src.Kind == "project" {
		// Minimal access sees a group and nothing in it: a project has no use for it.
		return Member{}, &Error{Code: EInvalid, Params: []string{"access_level"},
			Message: "access_level does not have a valid value"}
	}
	id, _, level, err := s.memberSource(ctx, a, src)
	if err != nil {
		return Member{}, err
	}
	if !canGrant(level, in.AccessLevel) {
		return Member{}, Forbidden()
	}
	u, err := s.Accounts.UserByRef(ctx, a, in.UserRef)
	if err != nil {
		return Member{}, err
	}
	if in.ExpiresAt != nil && !in.ExpiresAt.After(s.Now()) {
		return Member{}, FieldErrors{"expires_at": {"cannot be a date in the past"}}.Err()
	}
	now := s.Now()
	err = s.db.Write(ctx, func(tx *sql.Tx) error {
		existing, err := db.GetMember(ctx, tx, src.Kind, id, u.ID)
		switch {
		case err == nil && create:
			return exists(ResourceMember, u.Username)
		case errors.Is(err, db.ErrNotFound) && !create:
			return NotFound("")
		case err != nil && !errors.Is(err, db.ErrNotFound):
			return err
		}
		if !create && !canChangeMember(level, existing.AccessLevel) {
			return Forbidden()
		}
		if !create && existing.AccessLevel == Owner && in.AccessLevel < Owner {
			if err := s.keepAnOwner(ctx, tx, src.Kind, id); err != nil {
				return err
			}
		}
		m := Member{
			SourceKind:  src.Kind,
			SourceID:    id,
			User:        u,
			AccessLevel: in.AccessLevel,
			ExpiresAt:   in.ExpiresAt,
			CreatedBy:   a.UserID(),
			CreatedAt:   now,
		}
		if !create {
			m.CreatedBy, m.CreatedAt = existing.CreatedBy, existing.CreatedAt
		}
		return db.UpsertMember(ctx, tx, m)
	})
	if err != nil {
		return Member{}, err
	}
	s.audit(ctx, a, "member_saved", src.Kind, id, u.Username)
	m, err := db.GetMember(ctx, s.db.Read, src.Kind, id, u.ID)
	if err != nil {
		return Member{}, notFoundAs(err, "")
	}
	return viewMember(a, m), nil
}

// keepAnOwner refuses a change that would leave a group without an owner.
func (s *Service) keepAnOwner(ctx context.Context, q db.Querier, kind string, id int64) error {
	if kind != "group" {
		return nil
	}
	n, err := db.CountOwners(ctx, q, id)
	if err != nil {
		return err
	}
	if n <= 1 {
		return Forbiddenf("A group must have at least one owner")
	}
	return nil
}

// RemoveMember removes a user from a group or project. Members may remove themselves;
// maintainers others below owner; owners anyone, as long as a group keeps an owner. Removing
// someone who is not a member succeeds for those who could have removed them.
func (s *Projects) RemoveMember(ctx context.Context, a *Actor, src MemberSource, userID int64) error {
	if err := a.requireUser(NeedWrite); err != nil {
		return err
	}
	id, _, level, err := s.memberSource(ctx, a, src)
	if err != nil {
		return err
	}
	self := userID == a.User.ID
	if !canRemoveMember(level, 0, self) {
		return Forbidden()
	}
	err = s.db.Write(ctx, func(tx *sql.Tx) error {
		m, err := db.GetMember(ctx, tx, src.Kind, id, userID)
		if errors.Is(err, db.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if !canRemoveMember(level, m.AccessLevel, self) {
			return Forbidden()
		}
		if m.AccessLevel == Owner {
			if err := s.keepAnOwner(ctx, tx, src.Kind, id); err != nil {
				return err
			}
		}
		_, err = db.DeleteMember(ctx, tx, src.Kind, id, userID)
		return err
	})
	if err == nil {
		s.audit(ctx, a, "member_removed", src.Kind, id, formatID(userID))
	}
	return err
}

// canGrant reports whether an actor at access level may give a member access level grant:
// maintainers grant levels up to their own, and only owners grant Owner.
func canGrant(level, grant int) bool {
	return level >= Maintainer && grant <= level && (grant < Owner || level >= Owner)
}

// canChangeMember reports whether an actor at access level may change a member at access
// level existing: a maintainer changes only members up to their own level, and only owners
// change owners.
func canChangeMember(level, existing int) bool {
	return level >= Maintainer && existing <= level && (existing < Owner || level >= Owner)
}

// canRemoveMember reports whether an actor at access level may remove a member at access
// level existing (0 when not yet known): members may leave; maintainers remove others below
// owner; owners anyone.
func canRemoveMember(level, existing int, self bool) bool {
	return self || level >= Maintainer && (existing < Owner || level >= Owner)
}

// MemberAbilities is what an actor may do with the members of a group or project, so that a
// page offers only the changes that will work; each method is the rule AddOrUpdateMember and
// RemoveMember apply.
type MemberAbilities struct {
	level    int
	userID   int64
	kind     string
	sourceID int64
}

// MemberAbilities returns what actor a may do with the members of src.
func (s *Projects) MemberAbilities(ctx context.Context, a *Actor, src MemberSource) (MemberAbilities, error) {
	id, _, level, err := s.memberSource(ctx, a, src)
	if err != nil {
		return MemberAbilities{}, err
	}
	if !a.SignedIn() || a.Require(NeedWrite) != nil {
		return MemberAbilities{kind: src.Kind, sourceID: id}, nil
	}
	return MemberAbilities{level: level, userID: a.User.ID, kind: src.Kind, sourceID: id}, nil
}

// Levels lists the access levels the actor may grant, lowest first.
func (m MemberAbilities) Levels() []int {
	var out []int
	for _, l := range []int{Minimal, Guest, Reporter, Developer, Maintainer, Owner} {
		if (l != Minimal || m.kind == "group") && canGrant(m.level, l) {
			out = append(out, l)
		}
	}
	return out
}

// Direct reports whether mb is a member of the group or project itself, not inherited.
func (m MemberAbilities) Direct(mb Member) bool {
	return mb.SourceKind == m.kind && mb.SourceID == m.sourceID
}

// CanChange reports whether the actor may change the access level of direct member mb.
func (m MemberAbilities) CanChange(mb Member) bool {
	return m.Direct(mb) && canChangeMember(m.level, mb.AccessLevel)
}

// CanRemove reports whether the actor may remove direct member mb.
func (m MemberAbilities) CanRemove(mb Member) bool {
	self := m.userID != 0 && mb.User.ID == m.userID
	return m.Direct(mb) && canRemoveMember(m.level, mb.AccessLevel, self)
}

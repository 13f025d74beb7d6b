package forge

import (
	"context"
	"database/sql"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cairn-forge/cairn/db"
	"github.com/cairn-forge/cairn/forge/model"
)

// BroadcastMessage is a message administrators show every user, as a banner on the pages (or
// a notification) between StartsAt and EndsAt.
type BroadcastMessage = model.BroadcastMessage

// BroadcastMessageInput is a broadcast message to create, or the changes to one; nil means
// "not given".
type BroadcastMessageInput struct {
	Message            *string
	StartsAt, EndsAt   *time.Time
	Color, Font        *string
	TargetAccessLevels *[]int
	TargetPath         *string
	BroadcastType      *string
	Dismissable        *bool
	Theme              *string
}

// The broadcast messages' types and themes, as GitLab names them.
var (
	broadcastTypes  = []string{"banner", "notification"}
	broadcastThemes = []string{"indigo", "light-indigo", "blue", "light-blue", "green", "light-green", "red",
		"light-red", "dark", "light"}
	// broadcastLevels are the access levels a message may be aimed at.
	broadcastLevels = []int{Guest, Reporter, Developer, Maintainer, Owner}
)

// BroadcastActive reports whether b is shown at now.
func BroadcastActive(b BroadcastMessage, now time.Time) bool {
	return !now.Before(b.StartsAt) && now.Before(b.EndsAt)
}

// ListBroadcastMessages lists every broadcast message, newest first: anyone may, as on GitLab.
func (s *Instance) ListBroadcastMessages(ctx context.Context, pg Page) ([]BroadcastMessage, int, error) {
	return db.ListBroadcastMessages(ctx, s.db.Read, time.Time{}, pg.limit(), pg.offset())
}

// GetBroadcastMessage returns broadcast message id: anyone may read it.
func (s *Instance) GetBroadcastMessage(ctx context.Context, id int64) (BroadcastMessage, error) {
	b, err := db.BroadcastMessageByID(ctx, s.db.Read, id)
	return b, notFoundAs(err, ResourceBroadcastMessage)
}

// CreateBroadcastMessage creates a broadcast message; only administrators may. It starts now
// and ends an hour later unless told otherwise.
func (s *Instance) CreateBroadcastMessage(ctx context.Context, a *Actor,
	in BroadcastMessageInput) (BroadcastMessage, error) {
	if err := a.requireAdmin(NeedWrite); err != nil {
		return BroadcastMessage{}, err
	}
	now := s.Now()
	b := BroadcastMessage{
		StartsAt:           now,
		EndsAt:             now.Add(time.Hour),
		BroadcastType:      "banner",
		Theme:              "indigo",
		TargetAccessLevels: []int{},
		CreatedAt:          now,
	}
	return s.saveBroadcastMessage(ctx, a, b, in)
}

// UpdateBroadcastMessage changes broadcast message id; only administrators may.
func (s *Instance) UpdateBroadcastMessage(ctx context.Context, a *Actor, id int64,
	in BroadcastMessageInput) (BroadcastMessage, error) {
	if err := a.requireAdmin(NeedWrite); err != nil {
		return BroadcastMessage{}, err
	}
	b, err := s.GetBroadcastMessage(ctx, id)
	if err != nil {
		return BroadcastMessage{}, err
	}
	return s.saveBroadcastMessage(ctx, a, b, in)
}

// saveBroadcastMessage applies in to b, checks it and writes it.
func (s *Service) saveBroadcastMessage(ctx context.Context, a *Actor, b BroadcastMessage,
	in BroadcastMessageInput) (BroadcastMessage, error) {
	if err := applyBroadcastInput(&b, in); err != nil {
		return BroadcastMessage{}, err
	}
	b.UpdatedAt = s.Now()
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		id, err := db.SaveBroadcastMessage(ctx, tx, b)
		b.ID = id
		return err
	})
	s.broadcasts.changed()
	if err != nil {
		return BroadcastMessage{}, err
	}
	s.audit(ctx, a, "broadcast_message_saved", "BroadcastMessage", b.ID, "")
	return b, nil
}

func applyBroadcastInput(b *BroadcastMessage, in BroadcastMessageInput) error {
	fe := FieldErrors{}
	if in.Message != nil {
		b.Message = *in.Message
	}
	if strings.TrimSpace(b.Message) == "" {
		fe.Add("message", "can't be blank")
	}
	if in.StartsAt != nil {
		b.StartsAt = *in.StartsAt
	}
	if in.EndsAt != nil {
		b.EndsAt = *in.EndsAt
	}
	if b.EndsAt.Before(b.StartsAt) {
		fe.Add("ends_at", "must be after start")
	}
	for _, c := range []struct {
		field string
		in    *string
		dst   *string
	}{{"color", in.Color, &b.Color}, {"font", in.Font, &b.Font}} {
		if c.in == nil {
			continue
		}
		if *c.in != "" && !isHexColor(*c.in) {
			fe.Add(c.field, "must be a valid color code")
		}
		*c.dst = *c.in
	}
	if in.TargetAccessLevels != nil {
		levels := []int{}
		for _, l := range *in.TargetAccessLevels {
			if !slices.Contains(broadcastLevels, l) {
				return invalidValue("target_access_levels")
			}
			if !slices.Contains(levels, l) {
				levels = append(levels, l)
			}
		}
		slices.Sort(levels)
		b.TargetAccessLevels = levels
	}
	if in.TargetPath != nil {
		b.TargetPath = strings.TrimSpace(*in.TargetPath)
	}
	if in.BroadcastType != nil {
		if !slices.Contains(broadcastTypes, *in.BroadcastType) {
			return invalidValue("broadcast_type")
		}
		b.BroadcastType = *in.BroadcastType
	}
	if in.Theme != nil {
		if !slices.Contains(broadcastThemes, *in.Theme) {
			return invalidValue("theme")
		}
		b.Theme = *in.Theme
	}
	if in.Dismissable != nil {
		b.Dismissable = *in.Dismissable
	}
	return fe.Err()
}

// isHexColor reports whether s is a CSS hex colour: #rgb or #rrggbb.
func isHexColor(s string) bool {
	if len(s) != 4 && len(s) != 7 || s[0] != '#' {
		return false
	}
	for _, c := range s[1:] {
		if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
			return false
		}
	}
	return true
}

// DeleteBroadcastMessage removes broadcast message id; only administrators may.
func (s *Instance) DeleteBroadcastMessage(ctx context.Context, a *Actor, id int64) error {
	if err := a.requireAdmin(NeedWrite); err != nil {
		return err
	}
	if _, err := s.GetBroadcastMessage(ctx, id); err != nil {
		if ErrorCode(err) == ENotFound {
			return nothingToDelete(ResourceBroadcastMessage)
		}
		return err
	}
	err := s.db.Write(ctx, func(tx *sql.Tx) error { return db.DeleteBroadcastMessage(ctx, tx, id) })
	s.broadcasts.changed()
	if err != nil {
		return err
	}
	s.audit(ctx, a, "broadcast_message_deleted", "BroadcastMessage", id, "")
	return nil
}

// maxBanners bounds how many broadcast messages a page shows, of the latest
// maxActiveBroadcasts active ones.
const (
	maxBanners          = 5
	maxActiveBroadcasts = 100
)

// BroadcastsFor returns the messages a page shows now: those active, whose target path (if
// any, with * for any text) matches the page's path, and whose target access levels (if any)
// include the caller's access to the page's project (access is 0 outside projects and for
// non-members, to whom such messages are not shown).
// The messages come from a cache that a change to them clears, so pages do not read them.
func (s *Instance) BroadcastsFor(ctx context.Context, pagePath string, access int) ([]BroadcastMessage, error) {
	now := s.Now()
	list, err := s.broadcasts.unended(now, func() ([]BroadcastMessage, error) {
		return db.UnendedBroadcastMessages(ctx, s.db.Read, now, maxActiveBroadcasts)
	})
	if err != nil {
		return nil, err
	}
	var out []BroadcastMessage
	for _, b := range list {
		if !BroadcastActive(b, now) {
			continue
		}
		if len(b.TargetAccessLevels) > 0 && !slices.Contains(b.TargetAccessLevels, access) {
			continue
		}
		if b.TargetPath != "" && !matchTargetPath(b.TargetPath, pagePath) {
			continue
		}
		if out = append(out, b); len(out) == maxBanners {
			break
		}
	}
	return out, nil
}

// broadcastCache holds the broadcast messages that had not ended when it was filled: shown
// now, or to be shown later. A change to any message clears it; so does the passing of
// broadcastCacheLife, for messages changed by another process on the same database.
type broadcastCache struct {
	mu   sync.Mutex
	list []BroadcastMessage
	// filled is when list was read; zero when it is to be read again.
	filled time.Time
	// generation counts the changes, so that a read begun before one is not kept.
	generation uint64
}

const broadcastCacheLife = time.Minute

// unended returns the messages not ended at now, read with load when the cache is empty or
// old. The slice is shared: callers do not change it.
func (c *broadcastCache) unended(now time.Time, load func() ([]BroadcastMessage, error)) ([]BroadcastMessage, error) {
	c.mu.Lock()
	if !c.filled.IsZero() && !now.Before(c.filled) && now.Sub(c.filled) < broadcastCacheLife {
		list := c.list
		c.mu.Unlock()
		return list, nil
	}
	gen := c.generation
	c.mu.Unlock()
	list, err := load()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.generation == gen {
		c.list, c.filled = list, now
	}
	c.mu.Unlock()
	return list, nil
}

// changed empties the cache after a message was created, changed or deleted.
func (c *broadcastCache) changed() {
	c.mu.Lock()
	c.generation++
	c.list, c.filled = nil, time.Time{}
	c.mu.Unlock()
}

// matchTargetPath matches a page path against a broadcast's target path, where * stands for
// any text (slashes included), as GitLab's does; a target without a leading slash matches
// from the path's start all the same.
func matchTargetPath(pattern, p string) bool {
	return wildcardMatch("/"+strings.TrimPrefix(pattern, "/"), p)
}

// wildcardMatch matches s against pattern, where * matches any run of characters.
func wildcardMatch(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return path.Clean(pattern) == path.Clean(s)
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for _, mid := range parts[1 : len(parts)-1] {
		i := strings.Index(s, mid)
		if i < 0 {
			return false
		}
		s = s[i+len(mid):]
	}
	return strings.HasSuffix(s, parts[len(parts)-1])
}

package forge

import (
	"bufio"
	"context"
	"database/sql"
	_ "embed"
	"errors"
	"strings"
	"sync"

	"github.com/cairn-forge/cairn/db"
	"github.com/cairn-forge/cairn/forge/model"
)

// AwardEmoji is an emoji a user awarded to an issue, a merge request or a note.
type AwardEmoji = model.AwardEmoji

// AwardableNote is the type of notes as what emoji are awarded to, beside NoteableIssue and
// NoteableMergeRequest.
const AwardableNote = db.AwardableNote

// Awardable is what emoji are awarded to: an issue, a merge request, or one of their notes,
// resolved for an actor who may see it. Only forge makes them (NoteTarget.Awardable and
// NoteAwardable), so a dialect holding one has passed the visibility checks.
type Awardable struct {
	typ    string
	id     int64
	target NoteTarget
	// system notes take no emoji.
	system bool
}

// Type is NoteableIssue, NoteableMergeRequest or AwardableNote.
func (aw Awardable) Type() string { return aw.typ }

// ID is the awardable's global id.
func (aw Awardable) ID() int64 { return aw.id }

// Awardable is the issue or merge request itself, as what emoji are awarded to.
func (t NoteTarget) Awardable() Awardable {
	return Awardable{typ: t.typ, id: t.id, target: t}
}

// NoteAwardable resolves a note of the target that the actor may see, as what emoji are
// awarded to.
func (s *Issuables) NoteAwardable(ctx context.Context, a *Actor, t NoteTarget, noteID int64) (Awardable, error) {
	n, err := s.findNote(ctx, s.db.Read, t, noteID)
	if err != nil {
		return Awardable{}, err
	}
	return Awardable{typ: AwardableNote, id: n.ID, target: t, system: n.System}, nil
}

//go:embed award_emoji_names.txt
var emojiNamesFile string

// emojiNames maps every emoji name an award may have, and every alias, to the name an award
// is stored under ("+1" to "thumbsup"). It is read once and never changed.
var emojiNames = sync.OnceValue(func() map[string]string {
	names := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(emojiNamesFile))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		fields := strings.Fields(line)
		for _, f := range fields {
			names[f] = fields[0]
		}
	}
	return names
})

// EmojiName returns the name an award of emoji name is stored under, and whether the name is
// an emoji's at all.
func EmojiName(name string) (string, bool) {
	canonical, ok := emojiNames()[name]
	return canonical, ok
}

// ListAwardEmoji lists the emoji awarded to an awardable, oldest first.
func (s *Issuables) ListAwardEmoji(ctx context.Context, a *Actor, aw Awardable, pg Page) ([]AwardEmoji, int, error) {
	if err := a.Require(NeedRead); err != nil {
		return nil, 0, err
	}
	return db.ListAwardEmoji(ctx, s.db.Read, aw.typ, aw.id, pg.limit(), pg.offset())
}

// GetAwardEmoji returns one emoji awarded to an awardable. As GitLab, reading one award
// needs a signed-in user, where the list does not.
func (s *Issuables) GetAwardEmoji(ctx context.Context, a *Actor, aw Awardable, id int64) (AwardEmoji, error) {
	if err := a.requireUser(NeedRead); err != nil {
		return AwardEmoji{}, err
	}
	e, err := db.AwardEmojiByID(ctx, s.db.Read, aw.typ, aw.id, id)
	if err != nil {
		return AwardEmoji{}, notFoundAs(err, "")
	}
	return e, nil
}

// awardRefused is GitLab's answer to an award it will not make: a not-found of the award
// emoji, with the reason in its message ("Award Emoji Name has already been taken Not Found").
func awardRefused(reason string) *Error {
	e := NotFound(ResourceAwardEmoji)
	if reason != "" {
		e.Message = "Award Emoji " + reason + " Not Found"
	}
	return e
}

// AwardEmoji awards emoji name (or an alias of it) to an awardable as the actor. Anyone signed
// in who may see the awardable may, unless its project is archived; a user awards each emoji
// once to each awardable; system notes take none.
func (s *Issuables) AwardEmoji(ctx context.Context, a *Actor, aw Awardable, name string) (AwardEmoji, error) {
	if err := a.requireUser(NeedWrite); err != nil {
		return AwardEmoji{}, err
	}
	if aw.target.project.Archived {
		return AwardEmoji{}, awardRefused("")
	}
	if aw.system {
		return AwardEmoji{}, awardRefused("Awardable cannot be awarded emoji")
	}
	canonical, ok := EmojiName(name)
	switch {
	case strings.TrimSpace(name) == "":
		return AwardEmoji{}, awardRefused("Name can't be blank")
	case !ok:
		return AwardEmoji{}, awardRefused("Name is not a valid emoji name")
	}
	now := s.Now()
	e := AwardEmoji{
		ProjectID:     aw.target.project.ID,
		AwardableType: aw.typ,
		AwardableID:   aw.id,
		User:          *a.User,
		Name:          canonical,
		CreatedAt:     now,
		UpdatedAt:     now,
	}
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		var err error
		e.ID, err = db.InsertAwardEmoji(ctx, tx, e)
		return err
	})
	if errors.Is(err, db.ErrNotFound) {
		// Deleted while the award was being made; a note not found names no resource, as
		// note.go's lookups do.
		return AwardEmoji{}, NotFound(map[string]Resource{NoteableIssue: ResourceIssue,
			NoteableMergeRequest: ResourceMergeRequest, AwardableNote: ""}[aw.typ])
	}
	if errors.Is(err, db.ErrConstraint) {
		return AwardEmoji{}, awardRefused("Name has already been taken")
	}
	if err != nil {
		return AwardEmoji{}, err
	}
	return e, nil
}

// DeleteAwardEmoji takes back an award: only its user or an administrator may, and not on an
// archived project, which is read-only. Deleting an award that is gone succeeds for
// administrators, who could have deleted any.
func (s *Issuables) DeleteAwardEmoji(ctx context.Context, a *Actor, aw Awardable, id int64) error {
	if err := a.requireUser(NeedWrite); err != nil {
		return err
	}
	return s.db.Write(ctx, func(tx *sql.Tx) error {
		e, err := db.AwardEmojiByID(ctx, tx, aw.typ, aw.id, id)
		switch {
		case errors.Is(err, db.ErrNotFound) && a.IsAdmin():
			return nothingToDelete("")
		case err != nil:
			return notFoundAs(err, "")
		case e.User.ID != a.User.ID && !a.IsAdmin():
			return Unauthorized("")
		case aw.target.project.Archived:
			return Forbidden()
		}
		return db.DeleteAwardEmoji(ctx, tx, e.ID)
	})
}

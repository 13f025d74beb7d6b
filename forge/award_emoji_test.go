package forge_test

import (
	"context"
	"testing"

	"github.com/cairn-forge/cairn/forge"
)

// Emoji names are gemoji's; an alias names the same emoji as its first name, as GitLab stores
// "+1" as "thumbsup".
func TestEmojiNames(t *testing.T) {
	for _, c := range []struct {
		name, want string
		ok         bool
	}{
		{"thumbsup", "thumbsup", true},
		{"+1", "thumbsup", true},
		{"thumbsdown", "thumbsdown", true},
		{"-1", "thumbsdown", true},
		{"tada", "tada", true},
		{"satisfied", "laughing", true},
		{"8ball", "8ball", true},
		{"", "", false},
		{"Thumbsup", "", false},
		{":thumbsup:", "", false},
		{"not_an_emoji", "", false},
	} {
		got, ok := forge.EmojiName(c.name)
		if got != c.want || ok != c.ok {
			t.Errorf("EmojiName(%q) = %q, %v; want %q, %v", c.name, got, ok, c.want, c.ok)
		}
	}
}

// An award goes with what it was awarded to: a comment's with the comment, an issue's (and
// its comments') with the issue, and all of a project's with the project.
func TestAwardEmojiGoWithTheirAwardable(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	root := h.root()
	p, err := h.forge.Projects.CreateProject(ctx, root, forge.ProjectInput{Name: name("p")}, 0)
	if err != nil {
		t.Fatal(err)
	}
	count := func() int {
		var n int
		if err := h.db.Read.QueryRowContext(ctx, "SELECT COUNT(*) FROM award_emoji").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	award := func(aw forge.Awardable) {
		if _, err := h.forge.Issuables.AwardEmoji(ctx, root, aw, "thumbsup"); err != nil {
			t.Fatal(err)
		}
	}
	var notes []int64
	for range 2 {
		is, err := h.forge.Issuables.CreateIssue(ctx, root, forge.ParseRef(p.FullPath()),
			forge.IssueInput{Title: name("t")})
		if err != nil {
			t.Fatal(err)
		}
		target, err := h.forge.Issuables.IssueNoteTarget(ctx, root, forge.ParseRef(p.FullPath()),
			forge.IssueRef{N: is.IID})
		if err != nil {
			t.Fatal(err)
		}
		award(target.Awardable())
		for range 2 {
			n, err := h.forge.Issuables.CreateNote(ctx, root, target, forge.NoteInput{Body: name("hello")})
			if err != nil {
				t.Fatal(err)
			}
			aw, err := h.forge.Issuables.NoteAwardable(ctx, root, target, n.ID)
			if err != nil {
				t.Fatal(err)
			}
			award(aw)
			notes = append(notes, n.ID)
		}
	}
	if got := count(); got != 6 {
		t.Fatalf("%d awards, want 6", got)
	}
	target, err := h.forge.Issuables.IssueNoteTarget(ctx, root, forge.ParseRef(p.FullPath()), forge.IssueRef{N: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.forge.Issuables.DeleteNote(ctx, root, target, notes[0]); err != nil {
		t.Fatal(err)
	}
	if got := count(); got != 5 {
		t.Errorf("after deleting a comment, %d awards, want 5", got)
	}
	if err := h.forge.Issuables.DeleteIssue(ctx, root, forge.ParseRef(p.FullPath()), forge.IssueRef{N: 1}); err != nil {
		t.Fatal(err)
	}
	if got := count(); got != 3 {
		t.Errorf("after deleting an issue, %d awards, want 3", got)
	}
	if err := h.forge.Projects.DeleteProject(ctx, root, forge.ParseRef(p.FullPath())); err != nil {
		t.Fatal(err)
	}
	if got := count(); got != 0 {
		t.Errorf("after deleting the project, %d awards remain", got)
	}
}

// An award to what was deleted while the award was being made is not found, and leaves no
// award behind: the awardable is looked at again inside the write.
func TestAwardToWhatWasDeletedMeanwhile(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	root := h.root()
	p, err := h.forge.Projects.CreateProject(ctx, root, forge.ProjectInput{Name: name("p")}, 0)
	if err != nil {
		t.Fatal(err)
	}
	is, err := h.forge.Issuables.CreateIssue(ctx, root, forge.ID(p.ID), forge.IssueInput{Title: name("t")})
	if err != nil {
		t.Fatal(err)
	}
	target, err := h.forge.Issuables.IssueNoteTarget(ctx, root, forge.ID(p.ID), forge.IssueRef{N: is.IID})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.forge.Issuables.DeleteIssue(ctx, root, forge.ID(p.ID), forge.IssueRef{N: is.IID}); err != nil {
		t.Fatal(err)
	}
	_, err = h.forge.Issuables.AwardEmoji(ctx, root, target.Awardable(), "thumbsup")
	if forge.ErrorCode(err) != forge.ENotFound {
		t.Errorf("award to a deleted issue: %v, want not found", err)
	}
	var n int
	if err := h.db.Read.QueryRowContext(ctx, "SELECT COUNT(*) FROM award_emoji").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d awards left to a deleted issue", n)
	}
}

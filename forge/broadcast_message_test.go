package forge_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/cairn-forge/cairn/db"
	"github.com/cairn-forge/cairn/forge"
)

// The pages' broadcast messages are read from the database once, and again only after a
// message changes; a message that starts later shows when its time comes, and one that ends
// goes away, without a change.
func TestBroadcastsAreCachedUntilAMessageChanges(t *testing.T) {
	ctx := context.Background()
	d, store, _ := openData(t)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s := forge.New(d, store, forge.Config{PasswordCost: bcrypt.MinCost},
		forge.Options{Now: func() time.Time { return now }})
	t.Cleanup(s.Close)
	if _, err := s.Accounts.EnsureRoot(ctx, "root-token"); err != nil {
		t.Fatal(err)
	}
	root, err := s.Access.Authenticate(ctx, "root-token", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	shown := func() []string {
		t.Helper()
		list, err := s.Instance.BroadcastsFor(ctx, "/explore", 0)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, b := range list {
			out = append(out, b.Message)
		}
		return out
	}
	want := func(step string, msgs ...string) {
		t.Helper()
		got := shown()
		if len(got) != len(msgs) {
			t.Fatalf("%s: shown %q, want %q", step, got, msgs)
		}
		for i := range got {
			if got[i] != msgs[i] {
				t.Fatalf("%s: shown %q, want %q", step, got, msgs)
			}
		}
	}
	str := func(s string) *string { return &s }
	at := func(d time.Duration) *time.Time { t := now.Add(d); return &t }

	upgrade, err := s.Instance.CreateBroadcastMessage(ctx, root,
		forge.BroadcastMessageInput{Message: str("Upgrade at noon")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Instance.CreateBroadcastMessage(ctx, root,
		forge.BroadcastMessageInput{Message: str("Freeze tonight"),
			StartsAt: at(30 * time.Second), EndsAt: at(2 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	want("created", "Upgrade at noon")

	// A change written behind the service's back is not read: the pages do not query.
	changed := upgrade
	changed.Message = "written elsewhere"
	if err := d.Write(ctx,
		func(tx *sql.Tx) error { _, err := db.SaveBroadcastMessage(ctx, tx, changed); return err }); err != nil {
		t.Fatal(err)
	}
	want("cached", "Upgrade at noon")

	now = now.Add(40 * time.Second)
	want("the second started", "Freeze tonight", "Upgrade at noon")

	// A change through the service is shown at once; so is a deletion.
	if _, err := s.Instance.UpdateBroadcastMessage(ctx, root, upgrade.ID,
		forge.BroadcastMessageInput{Message: str("Upgrade at one")}); err != nil {
		t.Fatal(err)
	}
	want("updated", "Freeze tonight", "Upgrade at one")
	if err := s.Instance.DeleteBroadcastMessage(ctx, root, upgrade.ID); err != nil {
		t.Fatal(err)
	}
	want("deleted", "Freeze tonight")

	now = now.Add(3 * time.Hour)
	want("ended")
}

package forge_test

import (
	"context"
	"testing"

	"github.com/cairn-forge/cairn/forge"
	"golang.org/x/crypto/bcrypt"
)

// TestRootsPasswordSetRightAfterTheFirstStartStays sets root's password while the first
// start is still hashing the generated one in the background: the password set must win.
func TestRootsPasswordSetRightAfterTheFirstStartStays(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for i := range 20 {
		d, store, _ := openData(t)
		f := forge.New(d, store, forge.Config{PasswordCost: bcrypt.MinCost}, forge.Options{})
		if _, err := f.Accounts.EnsureRoot(ctx, "root-token"); err != nil {
			t.Fatal(err)
		}
		root, err := f.Access.Authenticate(ctx, "root-token", "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Accounts.UpdateUser(ctx, root, root.User.ID,
			forge.UserInput{Password: name("chosen-password")}); err != nil {
			t.Fatal(err)
		}
		f.Close() // waits for the background hashing
		if _, err := f.Accounts.VerifyPassword(ctx, "root", "chosen-password", "127.0.0.1"); err != nil {
			t.Fatalf("round %d: the password set is gone: %v", i, err)
		}
	}
}

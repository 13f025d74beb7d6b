package forge_test

import (
	"context"
	"testing"
	"time"

	"github.com/cairn-forge/cairn/forge"
	"golang.org/x/crypto/bcrypt"
)

// The 10th wrong password in a row locks an account: for 10 minutes the right one fails
// too, then it signs in again, and a success starts the count over.
func TestASignInLockRunsOutAfterTenMinutes(t *testing.T) {
	ctx := context.Background()
	d, store, _ := openData(t)
	c := &clock{t: t0}
	f := forge.New(d, store, forge.Config{PasswordCost: bcrypt.MinCost}, forge.Options{Now: c.now})
	t.Cleanup(f.Close)
	_, err := f.Accounts.CreateUser(ctx, forge.System(),
		forge.UserInput{Username: name("ann"), Email: name("ann@example.com"),
			Name: name("Ann"), Password: name("right-password")})
	if err != nil {
		t.Fatal(err)
	}
	signIn := func(password string) bool {
		_, err := f.Accounts.VerifyPassword(ctx, "ann", password, "192.0.2.1")
		if err != nil && forge.ErrorCode(err) != forge.EUnauthorized {
			t.Fatal(err)
		}
		return err == nil
	}
	locked := func() bool {
		got, err := f.Accounts.UserByRef(ctx, forge.System(), forge.ParseRef("ann"))
		if err != nil {
			t.Fatal(err)
		}
		return f.Accounts.SignInLocked(got)
	}

	for i := 0; i < forge.MaxFailedSignIns-1; i++ {
		signIn("wrong")
	}
	if locked() || !signIn("right-password") {
		t.Fatal("9 failures locked the account")
	}
	// The success cleared the count: 9 more failures do not lock either.
	for i := 0; i < forge.MaxFailedSignIns-1; i++ {
		signIn("wrong")
	}
	if locked() {
		t.Fatal("the count did not start over after a success")
	}
	signIn("wrong")
	if !locked() || signIn("right-password") {
		t.Fatal("the 10th failure in a row did not lock the account")
	}
	// Failures while locked do not extend the lock.
	c.advance(9 * time.Minute)
	signIn("wrong")
	if signIn("right-password") {
		t.Fatal("the right password signed in 9 minutes into the lock")
	}
	c.advance(time.Minute)
	if locked() || !signIn("right-password") {
		t.Fatal("the lock did not run out after 10 minutes")
	}
}

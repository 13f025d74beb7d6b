package gitstore

import (
	"bytes"
	"strings"
	"testing"
)

const signedCommit = "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n" +
	"author A <a@example.com> 1700000000 +0000\n" +
	"committer A <a@example.com> 1700000000 +0000\n" +
	"gpgsig -----BEGIN PGP SIGNATURE-----\n" +
	" \n" +
	" iQEzBAABCAAdFiEE\n" +
	" -----END PGP SIGNATURE-----\n" +
	"\n" +
	"signed\n\nbody\n"

// TestSplitSignatureGivesWhatGitVerifies: the signature comes out unindented and the payload
// is the commit without the header, byte for byte; an unsigned commit is its own payload.
func TestSplitSignatureGivesWhatGitVerifies(t *testing.T) {
	sig, payload := SplitSignature([]byte(signedCommit))
	if want := "-----BEGIN PGP SIGNATURE-----\n\niQEzBAABCAAdFiEE\n-----END PGP SIGNATURE-----\n"; string(sig) != want {
		t.Errorf("signature %q, want %q", sig, want)
	}
	if want := "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor A <a@example.com> 1700000000 +0000\n" +
		"committer A <a@example.com> 1700000000 +0000\n\nsigned\n\nbody\n"; string(payload) != want {
		t.Errorf("payload %q, want %q", payload, want)
	}
	unsigned := strings.Replace(signedCommit, "gpgsig", "x-other", 1)
	if sig, payload := SplitSignature([]byte(unsigned)); sig != nil || string(payload) != unsigned {
		t.Errorf("unsigned commit: %q, %q", sig, payload)
	}
	// "gpgsig" in the message is no header.
	msgOnly := "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n\ngpgsig x\n"
	if sig, _ := SplitSignature([]byte(msgOnly)); sig != nil {
		t.Errorf("a message line was taken for a signature: %q", sig)
	}
}

// FuzzSplitSignature: any commit bytes split without panicking into a payload no longer than
// the commit, and an unsigned commit is left whole.
func FuzzSplitSignature(f *testing.F) {
	f.Add([]byte(signedCommit))
	f.Add([]byte("gpgsig \n\n"))
	f.Add([]byte("\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		sig, payload := SplitSignature(raw)
		if len(payload) > len(raw) {
			t.Fatalf("payload longer than the commit")
		}
		if sig == nil && !bytes.Equal(payload, raw) {
			t.Fatalf("unsigned commit changed")
		}
	})
}

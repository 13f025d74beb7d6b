package forge

import "testing"

// FuzzParseKeysAndSignatures: keys and signatures from requests and pushed commits are read
// without panicking, whatever they hold.
func FuzzParseKeysAndSignatures(f *testing.F) {
	f.Add("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHx6 comment")
	f.Add("-----BEGIN SSH SIGNATURE-----\nU1NIU0lHAAAAAQ==\n-----END SSH SIGNATURE-----\n")
	f.Add("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQ==\n-----END PGP PUBLIC KEY BLOCK-----\n")
	f.Fuzz(func(t *testing.T, s string) {
		_, _, _, _ = ParseSSHKey(s)
		_, _ = ParseGPGKey(s)
		if sig, err := parseSSHSig(s); err == nil {
			_ = sig.verify([]byte(s))
		}
	})
}

package gitlab_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha512"
	"encoding/base64"
	"encoding/binary"
	"os/exec"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/cairn-forge/cairn/server/servertest"
	"golang.org/x/crypto/ssh"
)

type sshKeyJSON struct {
	ID        int64   `json:"id"`
	Title     string  `json:"title"`
	Key       string  `json:"key"`
	UsageType string  `json:"usage_type"`
	ExpiresAt *string `json:"expires_at"`
	CreatedAt string  `json:"created_at"`
}

// newSSHKey makes an ed25519 key pair: its signer and authorized_keys line.
func newSSHKey(t *testing.T, comment string) (ssh.Signer, string) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return signer, strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey()))) + " " + comment
}

func TestSSHKeys(t *testing.T) {
	s := servertest.New(t, servertest.WithoutRateLimit())
	aliceID, alice := s.CreateUser(t, "alice")
	_, bob := s.CreateUser(t, "bob")
	signer, line := newSSHKey(t, "alice@laptop")

	k := decode[sshKeyJSON](t, mustDo(t, s, 201, "POST", "/api/v4/user/keys", alice,
		map[string]any{"title": "laptop", "key": "  " + line + "\n", "expires_at": "2999-01-01"}))
	if k.Title != "laptop" || k.Key != line || k.UsageType != "auth_and_signing" || k.ExpiresAt == nil {
		t.Fatalf("key: %+v", k)
	}
	wantJSON(t, s.Do(t, "POST", "/api/v4/user/keys", bob, map[string]any{"title": "stolen", "key": line}), 400,
		`{"message":{"fingerprint_sha256":["has already been taken"],"key":["has already been taken"]}}`)
	wantJSON(t,
		s.Do(t, "POST", "/api/v4/user/keys", bob, map[string]any{"title": "x", "key": "ssh-rsa AAAAnotakey"}), 400,
		`{"message":{"fingerprint_sha256":["cannot be generated"],"key":["is invalid"]}}`)
	wantJSON(t, s.Do(t, "POST", "/api/v4/user/keys", bob, map[string]any{"key": line}), 400,
		`{"error":"title is missing"}`)
	wantJSON(t,
		s.Do(t, "POST", "/api/v4/user/keys", bob, map[string]any{"title": "x", "key": line, "usage_type": "both"}), 400,
		`{"error":"usage_type does not have a valid value"}`)

	// Anyone may read a user's public keys; only the user reads /user/keys.
	for _, path := range []string{"/api/v4/users/" + itoa(aliceID) + "/keys", "/api/v4/users/alice/keys"} {
		if got := names(t, mustDo(t, s, 200, "GET", path, "", nil), "title"); strings.Join(got, ",") != "laptop" {
			t.Fatalf("GET %s: %v", path, got)
		}
	}
	wantJSON(t, mustDo(t, s, 200, "GET", "/api/v4/user/keys", bob, nil), 200, `[]`)
	wantStatus(t, s.Do(t, "GET", "/api/v4/user/keys", "", nil), 401)
	wantStatus(t, s.Do(t, "GET", "/api/v4/user/keys/"+itoa(k.ID), bob, nil), 404)
	mustDo(t, s, 200, "GET", "/api/v4/user/keys/"+itoa(k.ID), alice, nil)

	// Administrators find keys by fingerprint and add or remove others' keys.
	fp := ssh.FingerprintSHA256(signer.PublicKey())
	var found struct {
		ID   int64    `json:"id"`
		User userJSON `json:"user"`
	}
	mustDo(t, s, 200, "GET", "/api/v4/keys?fingerprint="+strings.ReplaceAll(fp, "+", "%2B"), s.AdminToken,
		nil).JSON(t, &found)
	if found.ID != k.ID || found.User.Username != "alice" {
		t.Fatalf("key by fingerprint: %+v", found)
	}
	mustDo(t, s, 200, "GET", "/api/v4/keys?fingerprint="+ssh.FingerprintLegacyMD5(signer.PublicKey()),
		s.AdminToken, nil)
	wantStatus(t, s.Do(t, "GET", "/api/v4/keys/"+itoa(k.ID), alice, nil), 403)
	_, other := newSSHKey(t, "")
	wantStatus(t,
		s.Do(t, "POST", "/api/v4/users/"+itoa(aliceID)+"/keys", bob, map[string]any{"title": "x", "key": other}), 403)
	mustDo(t, s, 201, "POST", "/api/v4/users/"+itoa(aliceID)+"/keys", s.AdminToken,
		map[string]any{"title": "ci", "key": other, "usage_type": "signing"})
	wantStatus(t, s.Do(t, "DELETE", "/api/v4/user/keys/"+itoa(k.ID), bob, nil), 404)
	mustDo(t, s, 204, "DELETE", "/api/v4/user/keys/"+itoa(k.ID), alice, nil)
	if got := names(t, mustDo(t, s, 200, "GET", "/api/v4/users/alice/keys", "", nil),
		"title"); strings.Join(got, ",") != "ci" {
		t.Fatalf("keys after the removal: %v", got)
	}
}

// gitRun runs git in dir with stdin, failing the test on error.
func gitRun(t *testing.T, dir, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// signedCommit writes into the fixture's repository a commit on top of main, by email, whose
// signature sign makes of its bytes, and returns its id.
func signedCommit(t *testing.T, f *repoFixture, email string, sign func(payload []byte) string) string {
	t.Helper()
	tree := gitRun(t, f.repoDir(), "", "rev-parse", "main^{tree}")
	parent := gitRun(t, f.repoDir(), "", "rev-parse", "main")
	head := "tree " + tree + "\nparent " + parent + "\nauthor A <" + email +
		"> 1700000000 +0000\ncommitter A <" + email + "> 1700000000 +0000\n"
	msg := "\nsigned\n"
	sig := sign([]byte(head + msg))
	raw := head + "gpgsig " + strings.ReplaceAll(strings.TrimRight(sig, "\n"), "\n", "\n ") + "\n" + msg
	return gitRun(t, f.repoDir(), raw, "hash-object", "-t", "commit", "-w", "--stdin")
}

// Commit signatures: 404 for unsigned commits, verified by a user's GPG or SSH key that
// matches the committer, unknown without one.
func TestCommitSignatures(t *testing.T) {
	f := newRepoFixture(t, map[string]any{"name": "demo", "initialize_with_readme": true, "visibility": "public"})
	uid, alice := f.s.CreateUser(t, "alice")
	_ = uid
	wantJSON(t, f.do("GET", "/repository/commits/main/signature", "", nil), 404,
		`{"message":"404 Signature Not Found"}`)

	entity, err := openpgp.NewEntity("Alice", "", "alice@example.com", nil)
	if err != nil {
		t.Fatal(err)
	}
	var pub bytes.Buffer
	aw, _ := armor.Encode(&pub, openpgp.PublicKeyType, nil)
	if err := entity.Serialize(aw); err != nil {
		t.Fatal(err)
	}
	aw.Close()
	pgpSign := func(payload []byte) string {
		var b bytes.Buffer
		if err := openpgp.ArmoredDetachSign(&b, entity, bytes.NewReader(payload), nil); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	sha := signedCommit(t, f, "alice@example.com", pgpSign)
	r := mustDo(t, f.s, 200, "GET", f.url("/repository/commits/"+sha+"/signature"), "", nil)
	var sig map[string]any
	r.JSON(t, &sig)
	if sig["signature_type"] != "PGP" || sig["verification_status"] != "unknown_key" ||
		sig["commit_source"] != "gitaly" {
		t.Fatalf("signature of an unknown key: %v", sig)
	}
	g := decode[struct {
		ID int64 `json:"id"`
	}](t, mustDo(t, f.s, 201, "POST", "/api/v4/user/gpg_keys", alice, map[string]any{"key": pub.String()}))
	mustDo(t, f.s, 200, "GET", f.url("/repository/commits/"+sha+"/signature"), "", nil).JSON(t, &sig)
	if sig["verification_status"] != "verified" || sig["gpg_key_id"] != float64(g.ID) ||
		sig["gpg_key_user_email"] != "alice@example.com" ||
		sig["gpg_key_user_name"] != "alice" || len(sig["gpg_key_primary_keyid"].(string)) != 16 {
		t.Fatalf("signature by alice's key: %v", sig)
	}
	other := signedCommit(t, f, "mallory@example.com", pgpSign)
	mustDo(t, f.s, 200, "GET", f.url("/repository/commits/"+other+"/signature"), "", nil).JSON(t, &sig)
	if sig["verification_status"] != "same_user_different_email" {
		t.Fatalf("signature for another committer: %v", sig)
	}
	forged := signedCommit(t, f, "alice@example.com",
		func(payload []byte) string { return pgpSign(append(payload, 'x')) })
	mustDo(t, f.s, 200, "GET", f.url("/repository/commits/"+forged+"/signature"), "", nil).JSON(t, &sig)
	if sig["verification_status"] != "unverified" {
		t.Fatalf("a signature of other bytes: %v", sig)
	}
	wantJSON(t, f.s.Do(t, "POST", "/api/v4/user/gpg_keys", alice, map[string]any{"key": pub.String()}), 400,
		`{"message":{"fingerprint":["has already been taken"]}}`)
	wantStatus(t, f.s.Do(t, "POST", "/api/v4/user/gpg_keys", alice, map[string]any{"key": "not a key"}), 400)
	if got := names(t, mustDo(t, f.s, 200, "GET", "/api/v4/users/alice/gpg_keys", "", nil), "id"); len(got) != 1 {
		t.Fatalf("alice's GPG keys: %v", got)
	}

	// SSH signatures, of keys used for signing.
	signer, line := newSSHKey(t, "")
	sshSign := func(payload []byte) string { return sshSignature(t, signer, payload) }
	sshSHA := signedCommit(t, f, "alice@example.com", sshSign)
	mustDo(t, f.s, 200, "GET", f.url("/repository/commits/"+sshSHA+"/signature"), "", nil).JSON(t, &sig)
	if sig["signature_type"] != "SSH" || sig["verification_status"] != "unknown_key" || sig["key"] != nil {
		t.Fatalf("SSH signature of an unknown key: %v", sig)
	}
	mustDo(t, f.s, 201, "POST", "/api/v4/user/keys", alice,
		map[string]any{"title": "signing", "key": line, "usage_type": "signing"})
	mustDo(t, f.s, 200, "GET", f.url("/repository/commits/"+sshSHA+"/signature"), "", nil).JSON(t, &sig)
	if sig["verification_status"] != "verified" || sig["key"].(map[string]any)["title"] != "signing" {
		t.Fatalf("SSH signature of alice's key: %v", sig)
	}
}

// sshSignature signs payload as ssh-keygen -Y sign -n git does.
func sshSignature(t *testing.T, signer ssh.Signer, payload []byte) string {
	t.Helper()
	str := func(b []byte) []byte {
		out := binary.BigEndian.AppendUint32(nil, uint32(len(b)))
		return append(out, b...)
	}
	digest := sha512.Sum512(payload)
	var signed []byte
	signed = append(signed, "SSHSIG"...)
	for _, f := range [][]byte{[]byte("git"), nil, []byte("sha512"), digest[:]} {
		signed = append(signed, str(f)...)
	}
	sg, err := signer.Sign(rand.Reader, signed)
	if err != nil {
		t.Fatal(err)
	}
	blob := []byte("SSHSIG")
	blob = binary.BigEndian.AppendUint32(blob, 1)
	for _, f := range [][]byte{signer.PublicKey().Marshal(), []byte("git"), nil, []byte("sha512"), ssh.Marshal(sg)} {
		blob = append(blob, str(f)...)
	}
	enc := base64.StdEncoding.EncodeToString(blob)
	var b strings.Builder
	b.WriteString("-----BEGIN SSH SIGNATURE-----\n")
	for len(enc) > 70 {
		b.WriteString(enc[:70] + "\n")
		enc = enc[70:]
	}
	b.WriteString(enc + "\n-----END SSH SIGNATURE-----\n")
	return b.String()
}

package forge

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/cairn-forge/cairn/db"
	"golang.org/x/crypto/ssh"
)

// Verification statuses of commit signatures, as GitLab names them.
const (
	SignatureVerified              = "verified"
	SignatureUnverified            = "unverified"
	SignatureUnknownKey            = "unknown_key"
	SignatureSameUserDifferentMail = "same_user_different_email"
)

// CommitSignature is what a commit's signature says and what cairn makes of it.
type CommitSignature struct {
	// Type is "PGP", "SSH" or "X509".
	Type               string
	VerificationStatus string
	// PGP: the signing key's id (the issuer), and the user's key holding it when known.
	KeyID  string
	GPGKey *GPGKey
	// SSH: the user's key that made it, when known.
	SSHKey *SSHKey
	// Owner is the user whose key it is.
	Owner *User
}

// CommitSignatureOf returns the signature of the commit rev names and whether a user's key
// verifies it for the commit's committer. An unsigned commit's signature is "Signature Not
// Found", as GitLab answers.
func (s *Repositories) CommitSignatureOf(ctx context.Context, a *Actor, projectRef Ref,
	rev string) (CommitSignature, error) {
	_, repo, err := s.readRepo(ctx, a, projectRef)
	if err != nil {
		return CommitSignature{}, err
	}
	defer repo.Close()
	c, err := commitNamed(repo, rev)
	if err != nil {
		return CommitSignature{}, err
	}
	sig, payload, err := repo.CommitSignature(c.ID)
	if err != nil {
		return CommitSignature{}, err
	}
	email := strings.ToLower(c.Committer.Email)
	switch {
	case sig == "":
		return CommitSignature{}, NotFound(ResourceSignature)
	case strings.HasPrefix(sig, "-----BEGIN PGP SIGNATURE-----"):
		return s.pgpSignature(ctx, sig, payload, email)
	case strings.HasPrefix(sig, "-----BEGIN SSH SIGNATURE-----"):
		return s.sshSignature(ctx, sig, payload, email)
	}
	return CommitSignature{Type: "X509", VerificationStatus: SignatureUnverified}, nil
}

// ownerStatus is the status of a good signature by a key of owner whose emails are keyEmails,
// on a commit by email.
func ownerStatus(owner User, keyEmails []string, email string) string {
	if strings.EqualFold(owner.Email, email) && (keyEmails == nil || containsString(keyEmails, email)) {
		return SignatureVerified
	}
	return SignatureSameUserDifferentMail
}

func (s *Service) pgpSignature(ctx context.Context, sig string, payload []byte, email string) (CommitSignature, error) {
	out := CommitSignature{Type: "PGP", VerificationStatus: SignatureUnverified}
	block, err := armor.Decode(strings.NewReader(sig))
	if err != nil {
		return out, nil
	}
	p, err := packet.Read(block.Body)
	ps, ok := p.(*packet.Signature)
	if err != nil || !ok || ps.IssuerKeyId == nil {
		return out, nil
	}
	out.KeyID = fmt.Sprintf("%016X", *ps.IssuerKeyId)
	k, err := db.GPGKeyByKeyID(ctx, s.db.Read, out.KeyID)
	if errors.Is(err, db.ErrNotFound) {
		out.VerificationStatus = SignatureUnknownKey
		return out, nil
	}
	if err != nil {
		return CommitSignature{}, err
	}
	key := gpgKeyOf(k)
	out.GPGKey = &key
	owner, err := db.UserByID(ctx, s.db.Read, k.UserID)
	if err != nil {
		return CommitSignature{}, err
	}
	out.Owner = &owner
	ring, err := openpgp.ReadArmoredKeyRing(strings.NewReader(k.Key))
	if err != nil {
		return out, nil
	}
	if _, err := openpgp.CheckArmoredDetachedSignature(ring, bytes.NewReader(payload), strings.NewReader(sig),
		nil); err != nil {
		return out, nil
	}
	out.VerificationStatus = ownerStatus(owner, k.Emails, email)
	return out, nil
}

// sshSignature checks an SSH signature (the SSHSIG format of ssh-keygen -Y sign, namespace
// "git") against the users' SSH keys.
func (s *Service) sshSignature(ctx context.Context, sig string, payload []byte, email string) (CommitSignature, error) {
	out := CommitSignature{Type: "SSH", VerificationStatus: SignatureUnverified}
	parsed, err := parseSSHSig(sig)
	if err != nil {
		return out, nil
	}
	k, err := db.SSHKeyByFingerprint(ctx, s.db.Read, ssh.FingerprintSHA256(parsed.key))
	if errors.Is(err, db.ErrNotFound) {
		out.VerificationStatus = SignatureUnknownKey
		return out, nil
	}
	if err != nil {
		return CommitSignature{}, err
	}
	key := sshKeyOf(k)
	out.SSHKey = &key
	owner, err := db.UserByID(ctx, s.db.Read, k.UserID)
	if err != nil {
		return CommitSignature{}, err
	}
	out.Owner = &owner
	if k.UsageType == "auth" || parsed.verify(payload) != nil {
		return out, nil
	}
	out.VerificationStatus = ownerStatus(owner, nil, email)
	return out, nil
}

// sshSig is a parsed SSHSIG blob.
type sshSig struct {
	key       ssh.PublicKey
	namespace string
	reserved  []byte
	hashAlg   string
	signature *ssh.Signature
}

// parseSSHSig reads an armored SSHSIG signature.
func parseSSHSig(armored string) (*sshSig, error) {
	body := strings.TrimSpace(armored)
	body = strings.TrimPrefix(body, "-----BEGIN SSH SIGNATURE-----")
	body = strings.TrimSuffix(body, "-----END SSH SIGNATURE-----")
	raw, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(body), ""))
	if err != nil || !bytes.HasPrefix(raw, []byte("SSHSIG")) {
		return nil, errors.New("not an SSH signature")
	}
	rest := raw[6:]
	if len(rest) < 4 || binary.BigEndian.Uint32(rest) != 1 {
		return nil, errors.New("unknown SSH signature version")
	}
	rest = rest[4:]
	var fields [5][]byte
	for i := range fields {
		if len(rest) < 4 || uint64(binary.BigEndian.Uint32(rest)) > uint64(len(rest)-4) {
			return nil, errors.New("truncated SSH signature")
		}
		n := binary.BigEndian.Uint32(rest)
		fields[i], rest = rest[4:4+n], rest[4+n:]
	}
	pub, err := ssh.ParsePublicKey(fields[0])
	if err != nil {
		return nil, err
	}
	var sg ssh.Signature
	if err := ssh.Unmarshal(fields[4], &sg); err != nil {
		return nil, err
	}
	return &sshSig{key: pub, namespace: string(fields[1]), reserved: fields[2], hashAlg: string(fields[3]),
		signature: &sg}, nil
}

// verify checks the signature over payload, signed for git.
func (s *sshSig) verify(payload []byte) error {
	if s.namespace != "git" {
		return errors.New("not a signature for git")
	}
	var digest []byte
	switch s.hashAlg {
	case "sha256":
		h := sha256.Sum256(payload)
		digest = h[:]
	case "sha512":
		h := sha512.Sum512(payload)
		digest = h[:]
	default:
		return errors.New("unknown hash algorithm")
	}
	var signed bytes.Buffer
	signed.WriteString("SSHSIG")
	for _, f := range [][]byte{[]byte(s.namespace), s.reserved, []byte(s.hashAlg), digest} {
		_ = binary.Write(&signed, binary.BigEndian, uint32(len(f)))
		signed.Write(f)
	}
	return s.key.Verify(signed.Bytes(), s.signature)
}

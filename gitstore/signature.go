package gitstore

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/go-git/go-git/v5/plumbing"
)

// CommitSignature returns the signature commit h carries in its gpgsig header (an armored
// OpenPGP, SSH or X.509 signature) and the payload it signs: the commit's bytes without that
// header, as git verify-commit checks them. sig is empty for an unsigned commit;
// ErrRefNotFound when there is no such commit.
func (r *Repo) CommitSignature(h plumbing.Hash) (sig string, payload []byte, err error) {
	obj, err := r.git.Storer.EncodedObject(plumbing.CommitObject, h)
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		return "", nil, fmt.Errorf("commit %s: %w", h, ErrRefNotFound)
	}
	if err != nil {
		return "", nil, fmt.Errorf("read commit %s: %w", h, err)
	}
	rd, err := obj.Reader()
	if err != nil {
		return "", nil, fmt.Errorf("read commit %s: %w", h, err)
	}
	defer rd.Close()
	raw, err := io.ReadAll(rd)
	if err != nil {
		return "", nil, fmt.Errorf("read commit %s: %w", h, err)
	}
	s, p := SplitSignature(raw)
	return string(s), p, nil
}

// SplitSignature takes the gpgsig header out of a raw commit: it returns the signature, its
// continuation lines unindented (nil when there is none), and the commit without it.
func SplitSignature(raw []byte) (sig, payload []byte) {
	var out, s bytes.Buffer
	found, inSig := false, false
	rest := raw
	for len(rest) > 0 {
		line := rest
		if nl := bytes.IndexByte(rest, '\n'); nl >= 0 {
			line = rest[:nl+1]
		}
		rest = rest[len(line):]
		switch {
		case line[0] == '\n':
			// The blank line ends the headers; the message follows as it is.
			out.Write(line)
			out.Write(rest)
			rest = nil
		case inSig && line[0] == ' ':
			s.Write(line[1:])
		case !found && bytes.HasPrefix(line, []byte("gpgsig ")):
			found, inSig = true, true
			s.Write(line[len("gpgsig "):])
		default:
			inSig = false
			out.Write(line)
		}
	}
	if !found {
		return nil, raw
	}
	return append([]byte{}, s.Bytes()...), out.Bytes()
}

package gitstore

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
)

// The two git services cairn serves, as named in smart-HTTP URLs.
const (
	ServiceUploadPack  = "git-upload-pack"
	ServiceReceivePack = "git-receive-pack"
)

// infiniteDepth is what "git fetch --unshallow" sends as its depth.
const infiniteDepth = 0x7fffffff

// AdvertiseOptions configure a reference advertisement.
type AdvertiseOptions struct {
	// ProtocolVersion is the version the client asked for in its Git-Protocol header
	// (see ProtocolVersion): 0, 1 or 2. Version 2 applies to upload-pack only; a push
	// asking for it gets version 0, as C git does.
	ProtocolVersion int
	// Version is cairn's version, advertised as agent=cairn/<Version>.
	Version string
}

// ProtocolVersion returns the protocol version a Git-Protocol header value asks for
// (colon-separated key=value parameters): 2, 1, or 0 when it names none.
func ProtocolVersion(header string) int {
	v := 0
	for _, p := range strings.Split(header, ":") {
		switch strings.TrimSpace(p) {
		case "version=2":
			v = max(v, 2)
		case "version=1":
			v = max(v, 1)
		}
	}
	return v
}

func agent(version string) string {
	v := strings.Map(func(r rune) rune {
		if r <= ' ' || r >= 0x7f {
			return '-'
		}
		return r
	}, version)
	if v == "" {
		return "agent=cairn"
	}
	return "agent=cairn/" + v
}

// AdvertiseRefs writes the body of the smart-HTTP answer to GET info/refs?service=<service>
// for the repository of project id: the "# service=" preamble and the references with
// capabilities (protocol v0/v1), or for upload-pack under protocol v2 the capability list.
// It returns an error wrapping ErrNotExist, having written nothing, when the repository is
// not there.
func (s *Store) AdvertiseRefs(ctx context.Context, id int64, service string, w io.Writer, opts AdvertiseOptions) error {
	if service != ServiceUploadPack && service != ServiceReceivePack {
		return fmt.Errorf("advertise repository %d: unknown service %q", id, service)
	}
	if !s.Exists(id) {
		return fmt.Errorf("advertise repository %d: %w", id, ErrNotExist)
	}
	pw := newPktWriter(w)
	if service == ServiceUploadPack && opts.ProtocolVersion == 2 {
		for _, l := range []string{
			"version 2", agent(opts.Version), "ls-refs=unborn", "fetch=shallow wait-for-done",
			"server-option", "object-format=sha1",
		} {
			if err := pw.line(l); err != nil {
				return fmt.Errorf("advertise repository %d: %w", id, err)
			}
		}
		if err := pw.flush(); err != nil {
			return fmt.Errorf("advertise repository %d: %w", id, err)
		}
		return nil
	}
	if err := s.advertiseV0(ctx, id, service, pw, opts); err != nil {
		return fmt.Errorf("advertise repository %d: %w", id, err)
	}
	return nil
}

func (s *Store) advertiseV0(ctx context.Context, id int64, service string, pw *pktWriter, opts AdvertiseOptions) error {
	refs, err := refStore{dir: s.Path(id)}.list()
	if err != nil {
		return err
	}
	// Refs are read before packs are listed: a push publishes its pack before it moves a
	// ref, so every ref read here names objects in a pack listed after it.
	db, err := openObjectDB(filepath.Join(s.Path(id), "objects"))
	if err != nil {
		return err
	}
	defer db.close()

	var caps []string
	if service == ServiceUploadPack {
		caps = []string{"multi_ack_detailed", "no-done", "thin-pack", "side-band", "side-band-64k",
			"ofs-delta", "shallow", "deepen-since", "deepen-not", "deepen-relative", "no-progress",
			"include-tag"}
		if !refs.head.IsZero() && refs.headTarget != "" {
			caps = append(caps, "symref=HEAD:"+refs.headTarget)
		}
	} else {
		caps = []string{"report-status", "report-status-v2", "delete-refs", "side-band-64k", "quiet",
			"atomic", "ofs-delta", "push-options"}
	}
	caps = append(caps, "object-format=sha1", agent(opts.Version))
	capLine := strings.Join(caps, " ")

	if err := pw.line("# service=" + service); err != nil {
		return err
	}
	if err := pw.flush(); err != nil {
		return err
	}
	if opts.ProtocolVersion == 1 {
		if err := pw.line("version 1"); err != nil {
			return err
		}
	}
	first := true
	send := func(h plumbing.Hash, name string) error {
		if first {
			first = false
			return pw.line(h.String() + " " + name + "\x00" + capLine)
		}
		return pw.line(h.String() + " " + name)
	}
	if service == ServiceUploadPack && !refs.head.IsZero() {
		if err := send(refs.head, "HEAD"); err != nil {
			return err
		}
	}
	for i, r := range refs.refs {
		if i&1023 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		if err := send(r.hash, r.name); err != nil {
			return err
		}
		if service != ServiceUploadPack || !strings.HasPrefix(r.name, "refs/tags/") {
			continue
		}
		if peeled, ok := peeledTag(db, r.hash); ok {
			if err := pw.line(peeled.String() + " " + r.name + "^{}"); err != nil {
				return err
			}
		}
	}
	if first {
		if err := send(plumbing.ZeroHash, "capabilities^{}"); err != nil {
			return err
		}
	}
	return pw.flush()
}

// peeledTag returns what an annotated tag finally points at; ok is false for anything that
// is not an annotated tag (or cannot be read: the advertisement then just omits the line).
func peeledTag(db *objectDB, h plumbing.Hash) (plumbing.Hash, bool) {
	typ, err := db.typeOf(h)
	if err != nil || typ != plumbing.TagObject {
		return plumbing.ZeroHash, false
	}
	target, _, _, err := db.peel(h)
	if err != nil {
		return plumbing.ZeroHash, false
	}
	return target, true
}

package gitstore

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
)

// v2Request is one protocol v2 command: "command=<name>", capability lines, a delimiter,
// then arguments, ending in a flush.
type v2Request struct {
	command string
	args    []string
}

// readV2Request reads one command. It returns nil, nil for an empty body or a lone flush,
// which ask for nothing.
func readV2Request(pr *pktReader) (*v2Request, error) {
	req := &v2Request{}
	inArgs := false
	for {
		kind, p, err := pr.next()
		if err == io.EOF {
			if req.command == "" {
				return nil, nil
			}
			return nil, fmt.Errorf("%w: command %s not terminated by a flush", errProtocol, req.command)
		}
		if err != nil {
			return nil, err
		}
		switch kind {
		case pktFlush:
			if req.command == "" {
				return nil, nil
			}
			return req, nil
		case pktDelim:
			if req.command == "" || inArgs {
				return nil, fmt.Errorf("%w: unexpected delimiter", errProtocol)
			}
			inArgs = true
			continue
		case pktResponseEnd:
			return nil, fmt.Errorf("%w: unexpected response-end packet", errProtocol)
		}
		line := pktText(p)
		switch {
		case req.command == "":
			name, ok := strings.CutPrefix(line, "command=")
			if !ok {
				return nil, fmt.Errorf("%w: expected a command, got '%s'", errProtocol, line)
			}
			req.command = name
		case inArgs:
			req.args = append(req.args, line)
		}
		// Capability lines (agent, object-format, server-option) need no answer.
	}
}

// serveV2 answers one protocol v2 request: ls-refs or fetch.
func (s *uploadSession) serveV2(ctx context.Context, pr *pktReader, w io.Writer) error {
	pw := newPktWriter(w)
	req, err := readV2Request(pr)
	if err != nil {
		_ = pw.errorLine(clientMessage(err))
		return err
	}
	if req == nil {
		return nil
	}
	switch req.command {
	case "ls-refs":
		return s.lsRefs(ctx, req.args, pw)
	case "fetch":
		return s.fetchV2(ctx, req.args, pw, w)
	default:
		err := fmt.Errorf("%w: invalid command '%s'", errProtocol, req.command)
		_ = pw.errorLine(clientMessage(err))
		return err
	}
}

// lsRefs lists references, as filtered by ref-prefix arguments.
func (s *uploadSession) lsRefs(ctx context.Context, args []string, pw *pktWriter) error {
	var symrefs, peel, unborn bool
	prefixes, longest := map[string]bool{}, 0
	for _, a := range args {
		switch {
		case a == "symrefs":
			symrefs = true
		case a == "peel":
			peel = true
		case a == "unborn":
			unborn = true
		case strings.HasPrefix(a, "ref-prefix "):
			p := a[len("ref-prefix "):]
			prefixes[p], longest = true, max(longest, len(p))
		default:
			err := fmt.Errorf("%w: unexpected line: '%s'", errProtocol, a)
			_ = pw.errorLine(clientMessage(err))
			return err
		}
	}
	// Looking up each beginning of a name, up to the longest prefix, costs the same for ten
	// prefixes as for a million, which a 16 MiB request can hold.
	matches := func(name string) bool {
		if len(prefixes) == 0 {
			return true
		}
		for i := 0; i <= min(len(name), longest); i++ {
			if prefixes[name[:i]] {
				return true
			}
		}
		return false
	}
	send := func(h plumbing.Hash, name, target string) error {
		line := h.String() + " " + name
		if symrefs && target != "" {
			line += " symref-target:" + target
		}
		if peel {
			if p, ok := peeledTag(s.db, h); ok {
				line += " peeled:" + p.String()
			}
		}
		return pw.line(line)
	}
	if matches("HEAD") {
		var err error
		switch {
		case !s.refs.head.IsZero():
			err = send(s.refs.head, "HEAD", s.refs.headTarget)
		case unborn && s.refs.headTarget != "":
			line := "unborn HEAD"
			if symrefs {
				line += " symref-target:" + s.refs.headTarget
			}
			err = pw.line(line)
		}
		if err != nil {
			return err
		}
	}
	for i, r := range s.refs.refs {
		if i&1023 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		if !matches(r.name) {
			continue
		}
		if err := send(r.hash, r.name, ""); err != nil {
			return err
		}
	}
	return pw.flush()
}

// parseV2Fetch reads the arguments of a v2 fetch command.
func parseV2Fetch(args []string) (*fetchArgs, error) {
	a := &fetchArgs{sideband64k: true}
	for _, line := range args {
		if rest, ok := strings.CutPrefix(line, "want "); ok {
			h, ok := parseOID(rest)
			if !ok {
				return nil, fmt.Errorf("%w: protocol error: expected sha, got '%s'", errProtocol, rest)
			}
			a.addWant(h)
			continue
		}
		if rest, ok := strings.CutPrefix(line, "have "); ok {
			h, ok := parseOID(rest)
			if !ok {
				return nil, fmt.Errorf("%w: invalid have line: %s", errProtocol, line)
			}
			a.haves = append(a.haves, h)
			continue
		}
		switch line {
		case "done":
			a.done = true
			continue
		case "thin-pack", "ofs-delta", "no-progress", "include-tag":
			a.setCapability(line)
			continue
		case "wait-for-done":
			a.waitForDone = true
			continue
		}
		ok, err := a.parseDeepenLine(line)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("%w: unexpected line: '%s'", errProtocol, line)
		}
	}
	return a, nil
}

// fetchV2 answers a v2 fetch: acknowledgments while negotiating, then shallow-info and the
// packfile section once the client is done or the server is ready.
func (s *uploadSession) fetchV2(ctx context.Context, args []string, pw *pktWriter, w io.Writer) error {
	fail := func(err error) error {
		_ = pw.errorLine(clientMessage(err))
		return err
	}
	a, err := parseV2Fetch(args)
	if err != nil {
		return fail(err)
	}
	if len(a.wants) == 0 && !a.waitForDone {
		return nil
	}
	if err := s.checkWants(ctx, a.wants); err != nil {
		return fail(err)
	}
	s.wants = a.wants
	var common []plumbing.Hash
	for _, h := range a.haves {
		found, err := s.gotHave(h)
		if err != nil {
			return fail(err)
		}
		if found {
			common = append(common, h)
		}
	}
	if len(a.haves) > 0 && !a.done {
		if err := pw.line("acknowledgments"); err != nil {
			return err
		}
		if len(common) == 0 {
			if err := pw.line("NAK"); err != nil {
				return err
			}
		}
		for _, h := range common {
			if err := pw.line("ACK " + h.String()); err != nil {
				return err
			}
		}
		ready := false
		if !a.waitForDone {
			if ready, err = s.okToGiveUp(ctx); err != nil {
				return fail(err)
			}
		}
		if !ready {
			return pw.flush()
		}
		if err := pw.line("ready"); err != nil {
			return err
		}
		if err := pw.delim(); err != nil {
			return err
		}
	}
	if len(a.wants) == 0 {
		return pw.flush()
	}
	var sh *shallowPlan
	if a.deepens() || len(a.shallows) > 0 {
		if sh, err = s.planShallow(ctx, a); err != nil {
			return fail(err)
		}
		if err := pw.line("shallow-info"); err != nil {
			return err
		}
		if err := sh.write(pw); err != nil {
			return err
		}
		if err := pw.delim(); err != nil {
			return err
		}
	}
	if err := pw.line("packfile"); err != nil {
		return err
	}
	return s.sendPack(ctx, w, a, sh, true)
}

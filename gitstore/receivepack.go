package gitstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
)

// ReceivePackOptions configure one push.
type ReceivePackOptions struct {
	// Authorize, when set, judges the updates a push asks for, after the pack has been
	// received and checked and before any reference moves. It returns one decision per
	// update, in order; a missing decision accepts.
	Authorize func(ctx context.Context, updates []PendingUpdate) []RefDecision
	// MaxPackSize refuses pushes whose pack is larger, in bytes; zero means no limit.
	MaxPackSize int64
}

// PendingUpdate is a reference update a push asks for, with what the forge needs to judge it.
type PendingUpdate struct {
	RefUpdate
	// FastForward reports that New descends from Old; false for creates and deletes.
	FastForward bool
}

// RefDecision is the verdict on one PendingUpdate; the zero value accepts it.
type RefDecision struct {
	Reject bool
	// Reason is the short text the client prints as "[remote rejected] <ref> (<Reason>)";
	// "hook declined" when empty.
	Reason string
	// Message, when not empty, is shown to the pusher as a "remote: " line.
	Message string
}

// RejectedUpdate is an update a push asked for and did not get.
type RejectedUpdate struct {
	RefUpdate
	Reason string
}

// PushResult says what a push did.
type PushResult struct {
	// Applied lists the reference updates made, in the order the client sent them.
	Applied  []RefUpdate
	Rejected []RejectedUpdate
	// Options are the push options the client sent (git push -o).
	Options []string
	// UnpackError is why the pack was refused; then nothing was applied.
	UnpackError string
	// Objects is the number of objects the pack carried; ThinBases how many of the
	// repository's objects were appended to complete a thin pack.
	Objects   int
	ThinBases int
}

// receiveRequest is the command part of a push.
type receiveRequest struct {
	commands []RefUpdate
	caps     map[string]bool
	shallows []plumbing.Hash
	options  []string
	// bad holds, per command, a reason found while parsing ("funny refname").
	bad []string
}

// Limits on what a push sends before its pack, which is held in memory while the pack is
// received. git sends one command per reference it updates and the protocol caps neither
// their number nor the push options, so without them a push of a few megabytes of gzip
// could claim gigabytes. A command takes 4+83 bytes plus its reference name; a mirror of
// 100,000 references (as many as upload-pack's maxWants) with names of 100 bytes sends
// 19 MB, so 32 MiB leaves room for names averaging 250 bytes. Push options (git push -o)
// are short settings such as ci.skip or merge_request.target=main: a thousand of 4 KiB
// each is far beyond any real use.
const (
	maxPushCommands    = 100_000
	maxCommandListSize = 32 << 20
	maxPushOptions     = 1000
	maxPushOptionSize  = 4 << 10
)

// requestLimitError reports a command list or push options over the limits. Its text is
// the reason given in the report's unpack line; hint is shown as a "remote:" line.
type requestLimitError struct {
	reason, hint string
}

func (e *requestLimitError) Error() string { return e.reason }

// parseReceiveRequest reads a push's commands and push options, leaving the pack unread.
// An empty body, or a lone flush (the 4-byte probe git sends before a large chunked
// push), yields no commands. Past a limit it returns a *requestLimitError with the
// request read so far.
func parseReceiveRequest(pr *pktReader) (*receiveRequest, error) {
	rr := &receiveRequest{caps: map[string]bool{}}
	size := 0
	for {
		kind, p, err := pr.next()
		if err == io.EOF {
			if len(rr.commands) == 0 && len(rr.shallows) == 0 {
				return rr, nil
			}
			return nil, fmt.Errorf("%w: command list not terminated by a flush", errProtocol)
		}
		if err != nil {
			return nil, err
		}
		if kind == pktFlush {
			break
		}
		if kind != pktData {
			return nil, fmt.Errorf("%w: unexpected special packet in command list", errProtocol)
		}
		if size += 4 + len(p); size > maxCommandListSize {
			return rr, &requestLimitError{
				reason: fmt.Sprintf("ref update commands exceed maximum allowed size (%s)",
					byteSize(maxCommandListSize)),
				hint: fmt.Sprintf(
					"cairn: the push's list of reference updates is larger than the %s this server accepts; push fewer references at a time",
					byteSize(maxCommandListSize)),
			}
		}
		line := string(p)
		if rest, ok := strings.CutPrefix(line, "shallow "); ok {
			h, ok := parseOID(strings.TrimSuffix(rest, "\n"))
			if !ok {
				return nil, fmt.Errorf("%w: invalid shallow line", errProtocol)
			}
			rr.shallows = append(rr.shallows, h)
			continue
		}
		if len(rr.commands) == maxPushCommands {
			return rr, &requestLimitError{
				reason: fmt.Sprintf("too many ref updates (more than %d)", maxPushCommands),
				hint: fmt.Sprintf("cairn: a push may update at most %d references; push fewer at a time",
					maxPushCommands),
			}
		}
		if len(rr.commands) == 0 {
			if cmd, caps, found := strings.Cut(line, "\x00"); found {
				line = cmd
				for _, c := range strings.Fields(caps) {
					rr.caps[c] = true
				}
			}
		}
		line = strings.TrimSuffix(line, "\n")
		if len(line) < 83 || line[40] != ' ' || line[81] != ' ' {
			return nil, fmt.Errorf("%w: malformed command %q", errProtocol, line)
		}
		old, ok1 := parseOID(line[:40])
		newH, ok2 := parseOID(line[41:81])
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("%w: malformed command %q", errProtocol, line)
		}
		rr.commands = append(rr.commands, RefUpdate{Name: line[82:], Old: old, New: newH})
	}
	if rr.caps["push-options"] && len(rr.commands) > 0 {
		for {
			kind, p, err := pr.next()
			if err != nil {
				if err == io.EOF {
					err = fmt.Errorf("%w: push options not terminated by a flush", errProtocol)
				}
				return nil, err
			}
			if kind == pktFlush {
				break
			}
			if kind != pktData {
				return nil, fmt.Errorf("%w: unexpected special packet in push options", errProtocol)
			}
			opt := pktText(p)
			switch {
			case len(rr.options) == maxPushOptions:
				return rr, &requestLimitError{
					reason: fmt.Sprintf("too many push options (more than %d)", maxPushOptions),
					hint:   fmt.Sprintf("cairn: a push may carry at most %d push options", maxPushOptions),
				}
			case len(opt) > maxPushOptionSize:
				return rr, &requestLimitError{
					reason: fmt.Sprintf("push option exceeds maximum allowed size (%s)", byteSize(maxPushOptionSize)),
					hint:   fmt.Sprintf("cairn: a push option may be at most %s long", byteSize(maxPushOptionSize)),
				}
			}
			rr.options = append(rr.options, opt)
		}
	}
	rr.bad = make([]string, len(rr.commands))
	seen := map[string]bool{}
	for i, c := range rr.commands {
		switch {
		case !CheckRefFormat(c.Name):
			rr.bad[i] = "funny refname"
		case c.Old.IsZero() && c.New.IsZero():
			rr.bad[i] = "bad command"
		case seen[c.Name]:
			rr.bad[i] = "duplicate ref update"
		}
		seen[c.Name] = true
	}
	return rr, nil
}

// ReceivePack answers one push (the body of POST git-receive-pack) for the repository of
// project id: it reads the commands and the pack, indexes the pack in quarantine, checks
// that it is complete, asks opts.Authorize, publishes the pack and moves each reference
// only if it still has the old value the client sent, then writes the report. A pack that
// is malformed, truncated or incomplete leaves the repository as it was, as does a push
// past the limits on commands and push options (maxPushCommands and the like).
//
// It returns an error wrapping ErrNotExist, having written nothing, when the repository is
// not there. Other errors were reported to the client in the response where possible.
// The result is nil only with an error.
func (s *Store) ReceivePack(ctx context.Context, id int64, req io.Reader, w io.Writer,
	opts ReceivePackOptions) (*PushResult, error) {
	if !s.Exists(id) {
		return nil, fmt.Errorf("receive-pack for repository %d: %w", id, ErrNotExist)
	}
	pr := newPktReader(req)
	rr, err := parseReceiveRequest(pr)
	var limit *requestLimitError
	if errors.As(err, &limit) && len(rr.commands) > 0 {
		// The client asked for a report and, being git, for side-band-64k, inside which
		// an ERR packet is "protocol error: bad band": refuse in the report instead.
		res := &PushResult{}
		rec := &receive{
			store:    s,
			id:       id,
			rr:       rr,
			res:      res,
			status:   make([]string, len(rr.commands)),
			messages: []string{limit.hint},
		}
		// What an honest client still sends is the rest of its commands and its pack.
		drain := refusedBodyLimit(opts, maxCommandListSize+maxPushOptions*(4+maxPushOptionSize))
		if err := rec.refuse(w, limit.reason, pr.r, drain); err != nil {
			return res, fmt.Errorf("receive-pack for repository %d: %w", id, err)
		}
		return res, nil
	}
	if err != nil {
		_ = newPktWriter(w).errorLine("receive-pack: " + strings.TrimPrefix(err.Error(), errProtocol.Error()+": "))
		return nil, fmt.Errorf("receive-pack for repository %d: %w", id, err)
	}
	res := &PushResult{Options: rr.options}
	if len(rr.commands) == 0 {
		return res, nil
	}
	rec := &receive{store: s, id: id, rr: rr, res: res, status: append([]string(nil), rr.bad...)}
	err = rec.run(ctx, pr, w, opts)
	if err != nil {
		return res, fmt.Errorf("receive-pack for repository %d: %w", id, err)
	}
	return res, nil
}

// receive is one push in progress.
type receive struct {
	store    *Store
	id       int64
	rr       *receiveRequest
	res      *PushResult
	status   []string // per command: "" while it may still be applied, else the ng reason
	messages []string // shown as "remote:" lines
}

func (r *receive) run(ctx context.Context, pr *pktReader, w io.Writer, opts ReceivePackOptions) error {
	dir := r.store.Path(r.id)
	objectsDir := filepath.Join(dir, "objects")
	db, err := openObjectDB(objectsDir)
	if err != nil {
		return err
	}
	defer db.close()

	var rp *receivedPack
	needPack := false
	for _, c := range r.rr.commands {
		needPack = needPack || !c.IsDelete()
	}
	if needPack {
		rp, err = indexPack(ctx, pr.r, filepath.Join(r.store.Root(), ".tmp"), db, opts.MaxPackSize)
		if err != nil {
			var dotGit *dotGitError
			if errors.As(err, &dotGit) {
				r.messages = append(r.messages, "error: "+dotGit.Error())
			}
			if errors.Is(err, errPackTooLarge) {
				r.messages = append(r.messages,
					fmt.Sprintf("cairn: the pushed pack is larger than the %s this server accepts",
						byteSize(opts.MaxPackSize)))
			}
			var tooLarge *objectTooLargeError
			if errors.As(err, &tooLarge) {
				r.messages = append(r.messages,
					fmt.Sprintf("cairn: the push holds a %s larger than the %s this server accepts",
						tooLarge.typ, byteSize(maxInflatedSize(tooLarge.typ))))
			}
			// The pack was refused somewhere in it, maybe early: the rest is still coming.
			if werr := r.refuse(w, strings.TrimPrefix(err.Error(), errUnpack.Error()+": "), pr.r,
				refusedBodyLimit(opts, 0)); werr != nil {
				return werr
			}
			if errors.Is(err, errUnpack) {
				return nil // the client's fault, and it has been told
			}
			return err
		}
		defer rp.cleanup()
		db.addPack(rp.pack)
		r.res.Objects, r.res.ThinBases = rp.count, rp.thinBases
	}

	// The whole body has been read: from here on the response may be written, and
	// keepalives cover the checks and the authorisation hook.
	var sb *sideband
	if r.rr.caps["side-band-64k"] {
		sb = newSideband(w, sideband64kData, false)
	}
	halt := func() {}
	if sb != nil {
		stop := startKeepalive(sb, 5*time.Second)
		stopped := false
		halt = func() {
			if !stopped {
				stopped = true
				stop()
			}
		}
	}
	defer halt()

	if err := r.checkObjects(db, rp); err != nil {
		return err
	}
	pending, idx := r.pending(ctx, db)
	if opts.Authorize != nil && len(pending) > 0 {
		decisions := opts.Authorize(ctx, pending)
		for k, d := range decisions {
			if k >= len(idx) || !d.Reject {
				continue
			}
			reason := d.Reason
			if reason == "" {
				reason = "hook declined"
			}
			r.status[idx[k]] = reason
			if d.Message != "" {
				r.messages = append(r.messages, d.Message)
			}
		}
	}
	atomic := r.rr.caps["atomic"]
	if atomic && r.anyFailed() {
		for i := range r.status {
			if r.status[i] == "" {
				r.status[i] = errAtomicFailure.Error()
			}
		}
	}
	err = r.apply(rp, objectsDir, atomic)
	halt()
	if werr := r.report(w, sb); err == nil {
		err = werr
	}
	return err
}

// refusedBodyLimit is how much of a refused push's body is read and dropped, so that git
// reads the report from this request instead of posting the rest again: what an honest
// client may still send (extra, then a pack up to MaxPackSize), or all of it where packs
// have no limit.
func refusedBodyLimit(opts ReceivePackOptions, extra int64) int64 {
	if opts.MaxPackSize <= 0 {
		return -1
	}
	return extra + opts.MaxPackSize
}

// refuse answers a push none of whose commands can be applied, as C git answers one whose
// pack it could not index: reason in the unpack line, every command "unpacker error".
// The client is still sending. Over HTTP, a body cut short makes git post the rest as new
// requests, which fail one by one; so first the rest of body is read, though no further
// than drain bytes (to its end when drain is negative), for the client to read the report.
func (r *receive) refuse(w io.Writer, reason string, body io.Reader, drain int64) error {
	r.res.UnpackError = reason
	for i := range r.status {
		r.status[i] = "unpacker error"
	}
	if drain < 0 {
		_, _ = io.Copy(io.Discard, body)
	} else if drain > 0 {
		_, _ = io.CopyN(io.Discard, body, drain)
	}
	var sb *sideband
	if r.rr.caps["side-band-64k"] {
		sb = newSideband(w, sideband64kData, false)
	}
	return r.report(w, sb)
}

func (r *receive) anyFailed() bool {
	for _, s := range r.status {
		if s != "" {
			return true
		}
	}
	return false
}

// checkObjects is the connectivity check: everything the new pack references is in it or
// in the repository, and every new tip exists, branches pointing at commits. It costs what
// the new objects cost, never a walk of the history: the indexer has checked the pack
// against itself, so only what it refers to outside it is looked up. That is sound because
// nothing unconnected is ever published: every object of the repository has what it refers
// to.
func (r *receive) checkObjects(db *objectDB, rp *receivedPack) error {
	complete := true
	if rp != nil {
		for _, h := range rp.external {
			if db.has(h) {
				continue
			}
			// A pack published since this push began may hold it.
			if added, err := db.refresh(); err != nil {
				return err
			} else if added && db.has(h) {
				continue
			}
			complete = false
			r.messages = append(r.messages, fmt.Sprintf("cairn: the pushed objects refer to %s, which is missing", h))
			break
		}
	}
	for i, c := range r.rr.commands {
		if r.status[i] != "" || c.IsDelete() {
			continue
		}
		if !complete || !db.has(c.New) {
			r.status[i] = "missing necessary objects"
			continue
		}
		if strings.HasPrefix(c.Name, "refs/heads/") {
			if typ, err := db.typeOf(c.New); err != nil || typ != plumbing.CommitObject {
				r.status[i] = "non-commit object in branch"
			}
		}
	}
	return nil
}

// pending lists the updates still standing, with their fast-forward status, and their
// positions among the commands.
func (r *receive) pending(ctx context.Context, db *objectDB) ([]PendingUpdate, []int) {
	// The walk from a force-pushed tip stops at commits older (by generation) than the old
	// tip, rather than going through the whole history to find it absent.
	rs := r.store.reads.acquire(r.id, r.store.Path(r.id))
	defer rs.done()
	g := graphOver(db, rs.commitGraph())
	var pending []PendingUpdate
	var idx []int
	for i, c := range r.rr.commands {
		if r.status[i] != "" {
			continue
		}
		p := PendingUpdate{RefUpdate: c}
		if !c.Old.IsZero() && !c.New.IsZero() && db.has(c.Old) {
			p.FastForward, _ = reachable(ctx, g, c.Old, c.New)
		}
		pending = append(pending, p)
		idx = append(idx, i)
	}
	return pending, idx
}

// apply publishes the pack and moves the references, compare-and-swap, under the
// repository's reference lock.
func (r *receive) apply(rp *receivedPack, objectsDir string, atomic bool) error {
	var updates []RefUpdate
	var idx []int
	for i, c := range r.rr.commands {
		if r.status[i] == "" {
			updates = append(updates, c)
			idx = append(idx, i)
		}
	}
	if len(updates) > 0 && rp != nil && rp.count > 0 {
		if err := rp.publish(objectsDir); err != nil {
			for _, i := range idx {
				r.status[i] = "failed to write pack"
			}
			r.collect()
			return err
		}
	}
	if len(updates) > 0 {
		rs := refStore{dir: r.store.Path(r.id)}
		unlock, err := rs.lock()
		if err != nil {
			for _, i := range idx {
				r.status[i] = "failed to lock"
			}
			r.collect()
			return err
		}
		errs := rs.apply(updates, atomic)
		unlock()
		if rp != nil && rp.count > 0 && slices.ContainsFunc(errs, func(err error) bool { return err == nil }) {
			// Off the request path: a bitmap spares later clones the history walk.
			r.store.scheduleBitmap(r.id)
		}
		for k, err := range errs {
			if err == nil {
				continue
			}
			i := idx[k]
			var rc *RefConflictError
			switch {
			case errors.Is(err, ErrStaleRef):
				r.status[i] = "incorrect old value provided"
				r.messages = append(r.messages,
					fmt.Sprintf("cairn: %s moved while you pushed; fetch and try again", updates[k].Name))
			case errors.Is(err, errRefExists), errors.Is(err, errAtomicFailure):
				r.status[i] = err.Error()
			case errors.As(err, &rc):
				r.status[i] = "failed to update ref"
				r.messages = append(r.messages, "cairn: "+rc.Error())
			default:
				r.status[i] = "failed to update ref"
			}
		}
	}
	r.collect()
	return nil
}

// collect fills the result from the statuses.
func (r *receive) collect() {
	for i, c := range r.rr.commands {
		if r.status[i] == "" {
			r.res.Applied = append(r.res.Applied, c)
		} else {
			r.res.Rejected = append(r.res.Rejected, RejectedUpdate{RefUpdate: c, Reason: r.status[i]})
		}
	}
}

// report writes the remote messages and the report-status, inside band 1 when the client
// asked for side-band-64k.
func (r *receive) report(w io.Writer, sb *sideband) error {
	if sb != nil {
		for _, m := range r.messages {
			sb.Message(m + "\n")
		}
	}
	if !r.rr.caps["report-status"] && !r.rr.caps["report-status-v2"] {
		if sb != nil {
			return sb.flush()
		}
		return nil
	}
	var buf bytes.Buffer
	pw := newPktWriter(&buf)
	if r.res.UnpackError != "" {
		_ = pw.line("unpack " + oneLine(r.res.UnpackError))
	} else {
		_ = pw.line("unpack ok")
	}
	for i, c := range r.rr.commands {
		if r.status[i] == "" {
			_ = pw.line("ok " + c.Name)
		} else {
			_ = pw.line("ng " + c.Name + " " + oneLine(r.status[i]))
		}
	}
	_ = pw.flush()
	if sb != nil {
		if _, err := sb.Write(buf.Bytes()); err != nil {
			return err
		}
		return sb.flush()
	}
	_, err := w.Write(buf.Bytes())
	return err
}

func oneLine(s string) string {
	return strings.NewReplacer("\n", " ", "\r", " ").Replace(s)
}

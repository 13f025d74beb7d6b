package gitstore

import (
	"bufio"
	"container/heap"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
)

// UploadPackOptions configure one upload-pack exchange (a clone or fetch request).
type UploadPackOptions struct {
	// ProtocolVersion is the version from the request's Git-Protocol header (see
	// ProtocolVersion): 0 and 1 speak the stateless v0 exchange, 2 the v2 commands.
	ProtocolVersion int
	// KeepAlive is how often an empty packet is sent while objects are being counted, so
	// that proxies do not drop a quiet connection; 5 seconds when zero.
	KeepAlive time.Duration
}

// errProtocol reports a request that breaks the protocol; its text goes to the client.
var errProtocol = errors.New("protocol error")

// maxUploadRequest bounds one upload-pack request body, counted after gzip. Negotiation
// needs far less: a clone of 100,000 refs wants 5 MB, and the client sends haves in batches
// of at most a few tens of thousands of 50-byte lines. C git's http-backend refuses bodies
// over 10 MB (GIT_HTTP_MAX_REQUEST_BUFFER); this is a little more generous, and it is what
// keeps a small gzip bomb of want lines from costing gigabytes.
const maxUploadRequest = 16 << 20

// errRequestTooLarge reports a request body over maxUploadRequest.
var errRequestTooLarge = fmt.Errorf("%w: the request is larger than the %d MiB limit", errProtocol,
	maxUploadRequest>>20)

// limitedRequest reads at most n bytes and fails with errRequestTooLarge after them.
type limitedRequest struct {
	r io.Reader
	n int64
}

func (l *limitedRequest) Read(p []byte) (int, error) {
	if l.n <= 0 {
		// One byte more tells a body of exactly n bytes from a longer one.
		var one [1]byte
		if m, err := l.r.Read(one[:]); m > 0 {
			return 0, errRequestTooLarge
		} else if err != nil {
			return 0, err
		}
		return 0, nil
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	m, err := l.r.Read(p)
	l.n -= int64(m)
	return m, err
}

// UploadPack answers one stateless upload-pack request (the body of POST git-upload-pack,
// already un-gzipped) for the repository of project id, writing the response body to w:
// negotiation lines, then a pack. It returns an error wrapping ErrNotExist, having written
// nothing, when the repository is not there. Any other error has already been reported to
// the client inside the response (an ERR line or a side-band error), so the caller should
// only log it; the HTTP status stays 200.
func (s *Store) UploadPack(ctx context.Context, id int64, req io.Reader, w io.Writer, opts UploadPackOptions) error {
	if !s.Exists(id) {
		return fmt.Errorf("upload-pack for repository %d: %w", id, ErrNotExist)
	}
	sess, err := s.newUploadSession(id, opts)
	if err != nil {
		return fmt.Errorf("upload-pack for repository %d: %w", id, err)
	}
	defer sess.db.close()
	pr := newPktReader(&limitedRequest{r: req, n: maxUploadRequest})
	if opts.ProtocolVersion == 2 {
		err = sess.serveV2(ctx, pr, w)
	} else {
		err = sess.serveV0(ctx, pr, w)
	}
	if err != nil {
		return fmt.Errorf("upload-pack for repository %d: %w", id, err)
	}
	return nil
}

// uploadSession holds what one upload-pack request works on: a snapshot of the refs, the
// object database and the negotiation state. Nothing survives the request: stateless
// clients repeat what the server needs to know.
type uploadSession struct {
	refs *refList
	db   *objectDB
	g    *graph
	opts UploadPackOptions

	wants      []plumbing.Hash
	theyHave   map[plumbing.Hash]bool // haves we have, and parents of have commits
	haveObjs   []plumbing.Hash        // haves we have, in the order received
	oldestHave int64
	ready      bool                   // ok_to_give_up already found true
	reaches    map[plumbing.Hash]bool // commits known to reach a have
	// haveGen counts the have commits; notReadyAt is the generation at which
	// ok_to_give_up last answered no, so a run of unknown haves costs one walk, not one each.
	haveGen, notReadyAt int
	// wantsReady counts the leading wants known to reach a have; giveUpVisits the commits
	// ok_to_give_up has visited, up to giveUpBudget.
	wantsReady, giveUpVisits int
}

// giveUpBudget bounds the commits ok_to_give_up visits in one request. A "ready" only
// spares the client a round of negotiation, while each known have followed by an unknown
// one can cost a walk of the history: 9,300 such pairs (a 1 MB request) on a 3,000-commit
// repository took 6 seconds. Past the budget the answer is "not ready", and the client
// goes on negotiating or says done.
const giveUpBudget = 1 << 20

func (s *Store) newUploadSession(id int64, opts UploadPackOptions) (*uploadSession, error) {
	refs, err := refStore{dir: s.Path(id)}.list()
	if err != nil {
		return nil, err
	}
	db, err := openObjectDB(filepath.Join(s.Path(id), "objects"))
	if err != nil {
		return nil, err
	}
	if opts.KeepAlive <= 0 {
		opts.KeepAlive = 5 * time.Second
	}
	return &uploadSession{
		refs:       refs,
		db:         db,
		g:          newGraph(db),
		opts:       opts,
		theyHave:   map[plumbing.Hash]bool{},
		reaches:    map[plumbing.Hash]bool{},
		notReadyAt: -1,
	}, nil
}

// fetchArgs is a fetch request, from either protocol version.
type fetchArgs struct {
	wants, haves, shallows []plumbing.Hash
	wanted                 map[plumbing.Hash]bool
	depth                  int
	deepenSince            int64
	deepenNot              []string
	deepenRelative         bool
	done                   bool

	thinPack, ofsDelta, includeTag, noProgress bool
	sideband64k, sideband                      bool
	multiAck, multiAckDetailed, noDone         bool
	waitForDone                                bool

	// endedAfterWants: the body stopped right after the want section (a stateless client's
	// first round of a shallow fetch, which only wants the shallow list back).
	endedAfterWants bool
}

// addWant records a want line. Repeats are dropped, as C git's WANTED flag drops them: a
// client sends one line per ref, and many refs may name one commit.
func (a *fetchArgs) addWant(h plumbing.Hash) {
	if a.wanted == nil {
		a.wanted = map[plumbing.Hash]bool{}
	}
	if !a.wanted[h] {
		a.wanted[h] = true
		a.wants = append(a.wants, h)
	}
}

func (a *fetchArgs) deepens() bool {
	return a.depth > 0 || a.deepenSince != 0 || len(a.deepenNot) > 0
}

func parseOID(s string) (plumbing.Hash, bool) {
	var h plumbing.Hash
	if len(s) != 40 || !parseHex([]byte(s), &h) {
		return h, false
	}
	return h, true
}

// parseDeepenLine handles the shallow and deepen lines shared by v0 and v2; ok is false
// when the line is not one of them.
func (a *fetchArgs) parseDeepenLine(line string) (bool, error) {
	switch {
	case strings.HasPrefix(line, "shallow "):
		h, ok := parseOID(line[len("shallow "):])
		if !ok {
			return true, fmt.Errorf("%w: invalid shallow line: %s", errProtocol, line)
		}
		a.shallows = append(a.shallows, h)
	case strings.HasPrefix(line, "deepen "):
		n, err := strconv.Atoi(line[len("deepen "):])
		if err != nil || n <= 0 {
			return true, fmt.Errorf("%w: invalid deepen: %s", errProtocol, line)
		}
		a.depth = n
	case strings.HasPrefix(line, "deepen-since "):
		t, err := strconv.ParseInt(line[len("deepen-since "):], 10, 64)
		if err != nil || t <= 0 {
			return true, fmt.Errorf("%w: invalid deepen-since: %s", errProtocol, line)
		}
		a.deepenSince = t
	case strings.HasPrefix(line, "deepen-not "):
		a.deepenNot = append(a.deepenNot, line[len("deepen-not "):])
	case line == "deepen-relative":
		a.deepenRelative = true
	default:
		return false, nil
	}
	return true, nil
}

func (a *fetchArgs) setCapability(c string) {
	switch c {
	case "multi_ack":
		a.multiAck = true
	case "multi_ack_detailed":
		a.multiAckDetailed = true
	case "no-done":
		a.noDone = true
	case "thin-pack":
		a.thinPack = true
	case "side-band":
		a.sideband = true
	case "side-band-64k":
		a.sideband64k = true
	case "ofs-delta":
		a.ofsDelta = true
	case "no-progress":
		a.noProgress = true
	case "include-tag":
		a.includeTag = true
	case "deepen-relative":
		a.deepenRelative = true
	}
}

// parseV0Fetch reads a v0/v1 request: want, shallow and deepen lines up to a flush, then one
// round of have lines ending in a flush or "done". A stateless request carries one round.
func parseV0Fetch(pr *pktReader) (*fetchArgs, error) {
	a := &fetchArgs{}
	lines := 0
	for {
		kind, p, err := pr.next()
		if err == io.EOF {
			a.endedAfterWants = true
			return a, nil
		}
		if err != nil {
			return nil, err
		}
		if kind == pktFlush {
			break
		}
		if kind != pktData {
			return nil, fmt.Errorf("%w: unexpected special packet in want list", errProtocol)
		}
		lines++
		line := pktText(p)
		if rest, ok := strings.CutPrefix(line, "want "); ok {
			oid, caps, _ := strings.Cut(rest, " ")
			h, ok := parseOID(oid)
			if !ok {
				return nil, fmt.Errorf("%w: protocol error: expected sha, got '%s'", errProtocol, rest)
			}
			a.addWant(h)
			for _, c := range strings.Fields(caps) {
				a.setCapability(c)
			}
			continue
		}
		ok, err := a.parseDeepenLine(line)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("%w: protocol error: unexpected '%s'", errProtocol, line)
		}
	}
	if a.multiAckDetailed {
		a.multiAck = true
	}
	for {
		kind, p, err := pr.next()
		if err == io.EOF {
			if lines > 0 && len(a.haves) == 0 {
				a.endedAfterWants = true
			}
			return a, nil
		}
		if err != nil {
			return nil, err
		}
		if kind != pktData {
			return a, nil
		}
		line := pktText(p)
		if rest, ok := strings.CutPrefix(line, "have "); ok {
			h, ok := parseOID(rest)
			if !ok {
				return nil, fmt.Errorf("%w: invalid have line: %s", errProtocol, line)
			}
			a.haves = append(a.haves, h)
			continue
		}
		if line == "done" {
			a.done = true
			return a, nil
		}
		return nil, fmt.Errorf("%w: expected SHA1 list, got '%s'", errProtocol, line)
	}
}

// serveV0 answers a v0/v1 stateless request as C git's upload-pack does
// (receive_needs, get_common_commits, create_pack_file).
func (s *uploadSession) serveV0(ctx context.Context, pr *pktReader, w io.Writer) error {
	pw := newPktWriter(w)
	a, err := parseV0Fetch(pr)
	if err != nil {
		_ = pw.errorLine(clientMessage(err))
		return err
	}
	if len(a.wants) == 0 {
		return nil // nothing wanted: the 0000 probe, or a client that has everything
	}
	fail := func(err error) error {
		_ = pw.errorLine(clientMessage(err))
		return err
	}
	if err := s.checkWants(ctx, a.wants); err != nil {
		return fail(err)
	}
	s.wants = a.wants
	var sh *shallowPlan
	if a.deepens() || len(a.shallows) > 0 {
		if sh, err = s.planShallow(ctx, a); err != nil {
			return fail(err)
		}
		// The shallow list answers deepen requests only; a shallow client that is not
		// deepening expects the acknowledgments straight away.
		if a.deepens() {
			if err := sh.write(pw); err != nil {
				return err
			}
			if err := pw.flush(); err != nil {
				return err
			}
		}
	}
	if a.endedAfterWants && !a.done {
		return nil
	}

	detailed := a.multiAckDetailed
	var last plumbing.Hash
	gotCommon, gotOther, sentReady := false, false, false
	for _, h := range a.haves {
		found, err := s.gotHave(h)
		if err != nil {
			return fail(err)
		}
		if !found {
			gotOther = true
			if a.multiAck {
				ready, err := s.okToGiveUp(ctx)
				if err != nil {
					return fail(err)
				}
				if ready && detailed {
					sentReady = true
					err = pw.line("ACK " + h.String() + " ready")
				} else if ready {
					err = pw.line("ACK " + h.String() + " continue")
				}
				if err != nil {
					return err
				}
			}
			continue
		}
		gotCommon = true
		last = h
		switch {
		case detailed:
			err = pw.line("ACK " + h.String() + " common")
		case a.multiAck:
			err = pw.line("ACK " + h.String() + " continue")
		case len(s.haveObjs) == 1:
			err = pw.line("ACK " + h.String())
		}
		if err != nil {
			return err
		}
	}
	if a.done {
		switch {
		case len(s.haveObjs) == 0:
			err = pw.line("NAK")
		case a.multiAck:
			err = pw.line("ACK " + last.String())
		}
		if err != nil {
			return err
		}
		return s.sendPack(ctx, w, a, sh, false)
	}
	// The round ended with a flush: acknowledge, and stop unless "no-done" lets the pack
	// follow a "ready" at once.
	if detailed && gotCommon && !gotOther {
		ready, err := s.okToGiveUp(ctx)
		if err != nil {
			return fail(err)
		}
		if ready {
			sentReady = true
			if err := pw.line("ACK " + last.String() + " ready"); err != nil {
				return err
			}
		}
	}
	if len(s.haveObjs) == 0 || a.multiAck {
		if err := pw.line("NAK"); err != nil {
			return err
		}
	}
	if a.noDone && sentReady {
		if err := pw.line("ACK " + last.String()); err != nil {
			return err
		}
		return s.sendPack(ctx, w, a, sh, false)
	}
	return nil
}

// clientMessage is the text an ERR line carries for err.
func clientMessage(err error) string {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, errProtocol.Error()+": ")
	if !strings.HasPrefix(msg, "upload-pack: ") && !strings.HasPrefix(msg, "git upload-pack: ") {
		msg = "upload-pack: " + msg
	}
	return msg
}

// maxWants is how many distinct objects one request may want, unless the repository has
// more refs: a client wants at most what was advertised, and repositories with 100,000 refs
// are rare. Each want costs a lookup and a place in every walk of the request.
const maxWants = 100_000

// checkWants requires every wanted object to exist and be reachable from a current ref. Refs
// may have moved since the client's advertisement, so a want need not be a tip any more.
func (s *uploadSession) checkWants(ctx context.Context, wants []plumbing.Hash) error {
	if limit := max(maxWants, len(s.refs.refs)+1); len(wants) > limit {
		return fmt.Errorf("%w: too many wants: %d distinct objects, at most %d", errProtocol, len(wants), limit)
	}
	tips := map[plumbing.Hash]bool{}
	if !s.refs.head.IsZero() {
		tips[s.refs.head] = true
	}
	for _, r := range s.refs.refs {
		tips[r.hash] = true
	}
	var pending []plumbing.Hash
	for _, h := range wants {
		if tips[h] {
			continue
		}
		if !s.db.has(h) {
			return fmt.Errorf("%w: not our ref %s", errProtocol, h)
		}
		pending = append(pending, h)
	}
	if len(pending) == 0 {
		return nil
	}
	// Peeled tag targets count as tips too.
	for h := range tips {
		if target, ok := peeledTag(s.db, h); ok {
			tips[target] = true
		}
	}
	left := map[plumbing.Hash]bool{}
	for _, h := range pending {
		if !tips[h] {
			left[h] = true
		}
	}
	if len(left) == 0 {
		return nil
	}
	w := s.g.newWalk(nil)
	for h := range tips {
		if c, err := s.g.commit(h); err == nil {
			w.push(c, false)
		}
	}
	for steps := 0; w.queue.Len() > 0 && len(left) > 0; steps++ {
		if steps&1023 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		c := heap.Pop(&w.queue).(*commitNode)
		delete(left, c.hash)
		for _, ph := range c.parents {
			p, err := s.g.commit(ph)
			if err != nil {
				return err
			}
			w.push(p, false)
		}
	}
	for h := range left {
		return fmt.Errorf("%w: not our ref %s", errProtocol, h)
	}
	return nil
}

// gotHave records a have line (C git's got_oid) and reports whether the object is ours.
func (s *uploadSession) gotHave(h plumbing.Hash) (bool, error) {
	if !s.db.has(h) {
		return false, nil
	}
	typ, err := s.db.typeOf(h)
	if err != nil {
		return false, err
	}
	if typ == plumbing.CommitObject {
		if s.theyHave[h] {
			return true, nil
		}
		c, err := s.g.commit(h)
		if err != nil {
			return false, err
		}
		if s.oldestHave == 0 || c.time < s.oldestHave {
			s.oldestHave = c.time
		}
		for _, p := range c.parents {
			s.theyHave[p] = true
		}
		// Only commits can make a want reach a have: other objects leave
		// ok_to_give_up's answer as it was.
		s.haveGen++
	}
	if !s.theyHave[h] {
		s.theyHave[h] = true
		s.haveObjs = append(s.haveObjs, h)
	}
	return true, nil
}

// okToGiveUp reports whether every wanted commit reaches something the client has, looking
// no further back than the client's oldest have: then the client can stop negotiating.
func (s *uploadSession) okToGiveUp(ctx context.Context) (bool, error) {
	if len(s.haveObjs) == 0 {
		return false, nil
	}
	if s.ready {
		return true, nil
	}
	if s.notReadyAt == s.haveGen || s.giveUpVisits >= giveUpBudget {
		return false, nil
	}
	// A want that reaches a have keeps reaching one as haves arrive: each is walked from
	// until it does, never again after.
	for ; s.wantsReady < len(s.wants); s.wantsReady++ {
		target, typ, _, err := s.db.peel(s.wants[s.wantsReady])
		if err != nil {
			return false, err
		}
		if typ != plumbing.CommitObject {
			continue
		}
		ok, err := s.reachesHave(ctx, target)
		if err != nil {
			return false, err
		}
		if !ok {
			s.notReadyAt = s.haveGen
			return false, nil
		}
	}
	s.ready = true
	return true, nil
}

func (s *uploadSession) reachesHave(ctx context.Context, start plumbing.Hash) (bool, error) {
	if s.reaches[start] {
		return true, nil
	}
	visited := map[plumbing.Hash]bool{start: true}
	stack := []plumbing.Hash{start}
	for n := 0; len(stack) > 0; n++ {
		if n&1023 == 0 && ctx.Err() != nil {
			return false, ctx.Err()
		}
		if s.giveUpVisits >= giveUpBudget {
			return false, nil
		}
		s.giveUpVisits++
		h := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if s.theyHave[h] || s.reaches[h] {
			s.reaches[start] = true
			return true, nil
		}
		c, err := s.g.commit(h)
		if err != nil {
			return false, err
		}
		for _, p := range c.parents {
			if visited[p] {
				continue
			}
			visited[p] = true
			if s.theyHave[p] {
				s.reaches[start] = true
				return true, nil
			}
			pc, err := s.g.commit(p)
			if err != nil {
				return false, err
			}
			if pc.time < s.oldestHave {
				continue
			}
			stack = append(stack, p)
		}
	}
	return false, nil
}

// shallowPlan is the outcome of shallow and deepen lines: what to tell the client, and how
// the pack walk must treat the history.
type shallowPlan struct {
	shallow, unshallow []plumbing.Hash
	// parentless commits are walked as if they had no parents: the client's shallow
	// commits and the new boundary.
	parentless map[plumbing.Hash]bool
	// extraWants are the parents of unshallowed commits, which the client now gets.
	extraWants []plumbing.Hash
	// extraHaves are the unshallowed commits themselves, which the client has.
	extraHaves []plumbing.Hash
}

func (sp *shallowPlan) write(pw *pktWriter) error {
	for _, h := range sp.shallow {
		if err := pw.line("shallow " + h.String()); err != nil {
			return err
		}
	}
	for _, h := range sp.unshallow {
		if err := pw.line("unshallow " + h.String()); err != nil {
			return err
		}
	}
	return nil
}

// planShallow computes the shallow boundary as C git's deepen, deepen_by_rev_list and
// send_shallow/send_unshallow do.
func (s *uploadSession) planShallow(ctx context.Context, a *fetchArgs) (*shallowPlan, error) {
	sp := &shallowPlan{parentless: map[plumbing.Hash]bool{}}
	var clientShallow []plumbing.Hash
	isClientShallow := map[plumbing.Hash]bool{}
	for _, h := range a.shallows {
		if !s.db.has(h) || isClientShallow[h] {
			continue // a commit we do not know: nothing we send reaches it
		}
		if typ, err := s.db.typeOf(h); err != nil || typ != plumbing.CommitObject {
			return nil, fmt.Errorf("%w: invalid shallow object %s", errProtocol, h)
		}
		isClientShallow[h] = true
		clientShallow = append(clientShallow, h)
	}
	notShallow := map[plumbing.Hash]bool{}
	var boundary []plumbing.Hash
	var err error
	switch {
	case a.depth > 0 && (a.deepenSince != 0 || len(a.deepenNot) > 0):
		return nil, fmt.Errorf("%w: deepen and deepen-since (or deepen-not) cannot be used together", errProtocol)
	case a.depth == infiniteDepth:
		for _, h := range clientShallow {
			notShallow[h] = true
		}
	case a.depth > 0 && a.deepenRelative:
		boundary, err = s.shallowByDepth(ctx, clientShallow, a.depth+1, notShallow)
	case a.depth > 0:
		var starts []plumbing.Hash
		for _, h := range a.wants {
			if target, typ, _, err := s.db.peel(h); err == nil && typ == plumbing.CommitObject {
				starts = append(starts, target)
			}
		}
		boundary, err = s.shallowByDepth(ctx, starts, a.depth, notShallow)
	case a.deepenSince != 0 || len(a.deepenNot) > 0:
		boundary, err = s.shallowByRevList(ctx, a, notShallow)
	}
	if err != nil {
		return nil, err
	}
	for _, h := range boundary {
		if !isClientShallow[h] && !notShallow[h] {
			sp.shallow = append(sp.shallow, h)
			sp.parentless[h] = true
		}
	}
	for _, h := range clientShallow {
		sp.parentless[h] = true
		if !notShallow[h] {
			continue
		}
		sp.unshallow = append(sp.unshallow, h)
		c, err := s.g.commit(h)
		if err != nil {
			return nil, err
		}
		sp.extraWants = append(sp.extraWants, c.parents...)
		sp.extraHaves = append(sp.extraHaves, h)
	}
	return sp, nil
}

// shallowByDepth walks breadth first from starts: commits closer than depth generations are
// kept whole (notShallow), those at depth form the boundary.
func (s *uploadSession) shallowByDepth(ctx context.Context, starts []plumbing.Hash, depth int,
	notShallow map[plumbing.Hash]bool) ([]plumbing.Hash, error) {
	dist := map[plumbing.Hash]int{}
	var queue, boundary []plumbing.Hash
	for _, h := range starts {
		if _, ok := dist[h]; !ok {
			dist[h] = 1
			queue = append(queue, h)
		}
	}
	for n := 0; len(queue) > 0; n++ {
		if n&1023 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		h := queue[0]
		queue = queue[1:]
		d := dist[h]
		if d >= depth {
			boundary = append(boundary, h)
			continue
		}
		notShallow[h] = true
		c, err := s.g.commit(h)
		if err != nil {
			return nil, err
		}
		for _, p := range c.parents {
			if _, ok := dist[p]; !ok {
				dist[p] = d + 1
				queue = append(queue, p)
			}
		}
	}
	return boundary, nil
}

// shallowByRevList keeps the commits reachable from the wants that are no older than
// deepen-since and not reachable from any deepen-not ref; the boundary is those of them
// with a parent left out.
func (s *uploadSession) shallowByRevList(ctx context.Context, a *fetchArgs,
	notShallow map[plumbing.Hash]bool) ([]plumbing.Hash, error) {
	w := s.g.newWalk(nil)
	for _, h := range a.wants {
		if target, typ, _, err := s.db.peel(h); err == nil && typ == plumbing.CommitObject {
			c, err := s.g.commit(target)
			if err != nil {
				return nil, err
			}
			w.push(c, false)
		}
	}
	for _, name := range a.deepenNot {
		h, err := s.expandRef(name)
		if err != nil {
			return nil, err
		}
		if target, typ, _, err := s.db.peel(h); err == nil && typ == plumbing.CommitObject {
			c, err := s.g.commit(target)
			if err != nil {
				return nil, err
			}
			w.push(c, true)
		}
	}
	kept, _, err := w.run(ctx, a.deepenSince)
	if err != nil {
		return nil, err
	}
	if len(kept) == 0 {
		return nil, fmt.Errorf("%w: no commits selected for shallow requests", errProtocol)
	}
	for _, c := range kept {
		notShallow[c.hash] = true
	}
	var boundary []plumbing.Hash
	for _, c := range kept {
		for _, p := range c.parents {
			if !notShallow[p] {
				boundary = append(boundary, c.hash)
				break
			}
		}
	}
	for _, h := range boundary {
		delete(notShallow, h)
	}
	return boundary, nil
}

// expandRef resolves a deepen-not argument the way git's dwim rules do; it must name
// exactly one ref.
func (s *uploadSession) expandRef(name string) (plumbing.Hash, error) {
	var found []plumbing.Hash
	for _, pattern := range []string{"%s", "refs/%s", "refs/tags/%s", "refs/heads/%s", "refs/remotes/%s",
		"refs/remotes/%s/HEAD"} {
		if h, ok := s.refs.lookup(fmt.Sprintf(pattern, name)); ok {
			found = append(found, h)
		}
	}
	if len(found) != 1 {
		return plumbing.ZeroHash, fmt.Errorf("%w: git upload-pack: ambiguous deepen-not: %s", errProtocol, name)
	}
	return found[0], nil
}

// objectCollector enumerates the objects a pack must carry.
type objectCollector struct {
	db    *objectDB
	state map[plumbing.Hash]uint8
	objs  []sendObject
	trees int // counterpart trees parsed, for tests of the sparse walk
	// fromBitmap, when a bitmap answered, holds what it named, besides objs (which then
	// hold only what the bitmaps did not cover): pack positions, never turned into hashes.
	fromBitmap *packSet
}

// known reports whether h is being sent or the client has it.
func (oc *objectCollector) known(h plumbing.Hash) bool {
	return oc.state[h] != 0 || oc.fromBitmap != nil && oc.fromBitmap.has(oc.db, h)
}

// sending reports whether h is being sent.
func (oc *objectCollector) sending(h plumbing.Hash) bool {
	return oc.state[h] == stSending || oc.fromBitmap != nil && oc.fromBitmap.has(oc.db, h)
}

// count is the number of objects being sent.
func (oc *objectCollector) count() int {
	n := len(oc.objs)
	if oc.fromBitmap != nil {
		n += oc.fromBitmap.count
	}
	return n
}

const (
	stSending   uint8 = 1
	stClientHas uint8 = 2
)

func (oc *objectCollector) add(h plumbing.Hash, typ plumbing.ObjectType) {
	if !oc.known(h) {
		oc.state[h] = stSending
		oc.objs = append(oc.objs, sendObject{hash: h, typ: typ})
	}
}

func (oc *objectCollector) markHas(h plumbing.Hash) {
	if oc.state[h] == 0 {
		oc.state[h] = stClientHas
	}
}

func (oc *objectCollector) clientHas(h plumbing.Hash) bool { return oc.state[h] == stClientHas }

// walkTree adds tree h and what it holds. counterparts are trees at the same path in
// commits the client has: entries equal to theirs are skipped without descending, and
// differing blobs at the same path are remembered as ones the client has (good thin-pack
// delta bases). This is C git's sparse walk in spirit: the work follows the change, not the
// size of the tree.
func (oc *objectCollector) walkTree(ctx context.Context, h plumbing.Hash, counterparts []plumbing.Hash) error {
	if oc.known(h) {
		return nil
	}
	oc.add(h, plumbing.TreeObject)
	if len(oc.objs)&1023 == 0 && ctx.Err() != nil {
		return ctx.Err()
	}
	typ, data, err := oc.db.read(h)
	if err != nil {
		return err
	}
	if typ != plumbing.TreeObject {
		return fmt.Errorf("%w: %s is a %s, not a tree", errCorrupt, h, typ)
	}
	var theirs map[string][]treeEntry
	for _, ch := range counterparts {
		_, cdata, err := oc.db.read(ch)
		if err != nil {
			return err
		}
		oc.trees++
		if theirs == nil {
			theirs = map[string][]treeEntry{}
		}
		err = forEachTreeEntry(cdata, func(e treeEntry) error {
			if !e.isLink {
				name := string(e.name)
				e.name = nil // cdata is not kept
				theirs[name] = append(theirs[name], e)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return forEachTreeEntry(data, func(e treeEntry) error {
		if e.isLink || oc.known(e.hash) {
			return nil
		}
		var mine []treeEntry
		if theirs != nil {
			mine = theirs[string(e.name)]
		}
		var sub []plumbing.Hash
		for _, t := range mine {
			if t.hash == e.hash {
				oc.markHas(e.hash)
				return nil
			}
			if t.isTree == e.isTree {
				if t.isTree {
					sub = append(sub, t.hash)
				} else {
					oc.markHas(t.hash)
				}
			}
		}
		if e.isTree {
			return oc.walkTree(ctx, e.hash, sub)
		}
		oc.add(e.hash, plumbing.BlobObject)
		return nil
	})
}

// collect enumerates the objects to send: commits reachable from the wants and not from
// the common commits, with their trees and blobs, less what the client surely has.
func (s *uploadSession) collect(ctx context.Context, a *fetchArgs, sh *shallowPlan) (*objectCollector, error) {
	var parentless func(plumbing.Hash) bool
	if sh != nil {
		parentless = func(h plumbing.Hash) bool { return sh.parentless[h] }
	}
	oc := &objectCollector{db: s.db, state: map[plumbing.Hash]uint8{}}
	w := s.g.newWalk(parentless)

	haves := s.haveObjs
	wants := a.wants
	if sh != nil {
		haves = append(append([]plumbing.Hash(nil), haves...), sh.extraHaves...)
		wants = append(append([]plumbing.Hash(nil), wants...), sh.extraWants...)
	}
	for _, h := range haves {
		target, typ, tags, err := s.db.peel(h)
		if err != nil {
			return nil, err
		}
		for _, t := range tags {
			oc.markHas(t)
		}
		oc.markHas(target)
		if typ == plumbing.CommitObject {
			c, err := s.g.commit(target)
			if err != nil {
				return nil, err
			}
			w.push(c, true)
		}
	}
	var treeWants, commitWants []plumbing.Hash
	for _, h := range wants {
		target, typ, tags, err := s.db.peel(h)
		if err != nil {
			return nil, err
		}
		for _, t := range tags {
			oc.add(t, plumbing.TagObject)
		}
		switch typ {
		case plumbing.CommitObject:
			commitWants = append(commitWants, target)
		case plumbing.TreeObject:
			treeWants = append(treeWants, target)
		case plumbing.BlobObject:
			oc.add(target, plumbing.BlobObject)
		}
	}
	// A clone of a repository with a reachability bitmap (repacked by C git) reads the
	// answer instead of walking the whole history.
	if len(haves) == 0 && sh == nil && len(treeWants) == 0 {
		ok, err := collectByBitmap(ctx, s.db, s.g, commitWants, oc)
		if err != nil {
			return nil, err
		}
		if ok {
			s.includeTags(a, oc)
			return oc, nil
		}
	}
	for _, h := range commitWants {
		c, err := s.g.commit(h)
		if err != nil {
			return nil, err
		}
		w.push(c, false)
	}
	list, edges, err := w.run(ctx, 0)
	if err != nil {
		return nil, err
	}
	edgeTrees := make([]plumbing.Hash, 0, len(edges))
	for _, e := range edges {
		oc.markHas(e.hash)
		if oc.state[e.tree] == 0 {
			edgeTrees = append(edgeTrees, e.tree)
		}
		oc.markHas(e.tree)
	}
	for _, c := range list {
		oc.add(c.hash, plumbing.CommitObject)
	}
	for _, c := range list {
		if err := oc.walkTree(ctx, c.tree, edgeTrees); err != nil {
			return nil, err
		}
	}
	for _, t := range treeWants {
		if err := oc.walkTree(ctx, t, nil); err != nil {
			return nil, err
		}
	}
	s.includeTags(a, oc)
	return oc, nil
}

// includeTags adds the annotated tags that point at objects being sent, when the client
// asked for include-tag.
func (s *uploadSession) includeTags(a *fetchArgs, oc *objectCollector) {
	if a.includeTag {
		for _, r := range s.refs.refs {
			if !strings.HasPrefix(r.name, "refs/tags/") || oc.known(r.hash) {
				continue
			}
			if typ, err := s.db.typeOf(r.hash); err != nil || typ != plumbing.TagObject {
				continue
			}
			target, _, tags, err := s.db.peel(r.hash)
			if err != nil || !oc.sending(target) {
				continue
			}
			for _, t := range tags {
				oc.add(t, plumbing.TagObject)
			}
		}
	}
}

// sendPack counts the objects and streams the pack, multiplexed unless the client asked
// for no side-band (v2 always multiplexes).
func (s *uploadSession) sendPack(ctx context.Context, w io.Writer, a *fetchArgs, sh *shallowPlan, v2 bool) error {
	max := 0
	switch {
	case v2 || a.sideband64k:
		max = sideband64kData
	case a.sideband:
		max = sidebandData
	}
	sb := newSideband(w, max, !a.noProgress)
	stop := startKeepalive(sb, s.opts.KeepAlive)
	oc, err := s.collect(ctx, a, sh)
	stop()
	if err != nil {
		sb.Fatal("upload-pack: " + err.Error() + "\n")
		return err
	}
	// The resolved trees of the walk are garbage from here on: let the collector have
	// them back before the pack streams (writePack copies entries without resolving).
	s.db.cache.drop()
	s.g.commits = map[plumbing.Hash]*commitNode{}
	sb.Progress(fmt.Sprintf("Enumerating objects: %d, done.\n", oc.count()))
	bufSize := max
	if bufSize == 0 {
		bufSize = 64 << 10
	}
	bw := bufio.NewWriterSize(sb, bufSize)
	stats, err := writePack(ctx, s.db, oc.objs, oc.fromBitmap, oc.clientHas, bw,
		packOptions{ofsDelta: a.ofsDelta, thin: a.thinPack})
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		sb.Fatal("upload-pack: " + err.Error() + "\n")
		return err
	}
	sb.Progress(fmt.Sprintf("Total %d (delta %d), reused %d (delta %d), pack-reused %d\n",
		stats.objects, stats.deltas, stats.reused, stats.reusedDeltas, stats.packReused))
	return sb.flush()
}

// startKeepalive sends keepalive packets every interval until the returned stop is called.
func startKeepalive(sb *sideband, interval time.Duration) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				sb.keepalive()
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

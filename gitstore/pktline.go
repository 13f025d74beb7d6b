package gitstore

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"sync"
)

// pkt-line framing (gitprotocol-common): four lowercase hex digits giving the packet's total
// length, then the payload. go-git's pktline.Scanner rejects the v2 delimiter and
// response-end packets, so cairn reads pkt-lines itself.
const (
	pktMaxLen     = 65520
	pktMaxPayload = pktMaxLen - 4

	// sideband64kData is the most data one side-band-64k packet carries: the band byte takes
	// one of the payload bytes.
	sideband64kData = pktMaxPayload - 1
	// sidebandData is the same for plain side-band, whose packets are at most 1000 bytes.
	sidebandData = 1000 - 5
)

type pktKind int

const (
	pktData pktKind = iota
	pktFlush
	pktDelim
	pktResponseEnd
)

// errPktLine reports a malformed pkt-line header.
var errPktLine = errors.New("malformed pkt-line")

// pktReader reads pkt-lines. It never reads past the current packet from its buffer, so the
// bytes that follow the last packet (a pack, in a push) can be read from the same buffer.
type pktReader struct {
	r   *bufio.Reader
	buf []byte
}

func newPktReader(r io.Reader) *pktReader {
	br, ok := r.(*bufio.Reader)
	if !ok || br.Size() < 64<<10 {
		br = bufio.NewReaderSize(r, 64<<10)
	}
	return &pktReader{r: br}
}

// next returns the next packet. The payload is valid until the following call. A clean end of
// input between packets is io.EOF; an end inside a packet is io.ErrUnexpectedEOF; other
// errors of the underlying reader (a request over its size limit) are returned as they are.
func (p *pktReader) next() (pktKind, []byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(p.r, hdr[:]); err != nil {
		return 0, nil, err
	}
	n := 0
	for _, c := range hdr {
		var v byte
		switch {
		case c >= '0' && c <= '9':
			v = c - '0'
		case c >= 'a' && c <= 'f':
			v = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			v = c - 'A' + 10
		default:
			return 0, nil, fmt.Errorf("%w: header %q", errPktLine, hdr[:])
		}
		n = n<<4 | int(v)
	}
	switch {
	case n == 0:
		return pktFlush, nil, nil
	case n == 1:
		return pktDelim, nil, nil
	case n == 2:
		return pktResponseEnd, nil, nil
	case n < 4 || n > pktMaxLen:
		return 0, nil, fmt.Errorf("%w: length %d", errPktLine, n)
	}
	if cap(p.buf) < n-4 {
		p.buf = make([]byte, n-4, pktMaxPayload)
	}
	p.buf = p.buf[:n-4]
	if _, err := io.ReadFull(p.r, p.buf); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return 0, nil, err
	}
	return pktData, p.buf, nil
}

// pktText returns a text payload without its line feed.
func pktText(b []byte) string {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	return string(b)
}

// pktWriter writes pkt-lines, each packet in one Write call.
type pktWriter struct {
	w   io.Writer
	buf []byte
}

func newPktWriter(w io.Writer) *pktWriter { return &pktWriter{w: w} }

const hexDigits = "0123456789abcdef"

func appendPktHeader(b []byte, n int) []byte {
	return append(b, hexDigits[n>>12&0xf], hexDigits[n>>8&0xf], hexDigits[n>>4&0xf], hexDigits[n&0xf])
}

// write sends payload as one packet; an empty payload is not allowed by the protocol, so it
// is the caller's job never to pass one.
func (p *pktWriter) write(payload ...[]byte) error {
	n := 4
	for _, b := range payload {
		n += len(b)
	}
	if n > pktMaxLen {
		return fmt.Errorf("pkt-line payload of %d bytes is too long", n-4)
	}
	p.buf = appendPktHeader(p.buf[:0], n)
	for _, b := range payload {
		p.buf = append(p.buf, b...)
	}
	_, err := p.w.Write(p.buf)
	return err
}

// line sends s followed by a line feed.
func (p *pktWriter) line(s string) error {
	p.buf = appendPktHeader(p.buf[:0], len(s)+5)
	p.buf = append(p.buf, s...)
	p.buf = append(p.buf, '\n')
	if len(p.buf) > pktMaxLen {
		return fmt.Errorf("pkt-line %q is too long", s)
	}
	_, err := p.w.Write(p.buf)
	return err
}

func (p *pktWriter) flush() error {
	_, err := io.WriteString(p.w, "0000")
	return err
}

func (p *pktWriter) delim() error {
	_, err := io.WriteString(p.w, "0001")
	return err
}

// errorLine sends an ERR packet, which the client shows as "fatal: remote error: msg".
func (p *pktWriter) errorLine(msg string) error {
	return p.line("ERR " + msg)
}

// sideband multiplexes the pack (band 1), progress text (band 2) and a fatal error (band 3)
// over pkt-lines, or passes pack bytes through unframed when the client asked for no
// side-band. It is safe for concurrent use so that keepalives can be sent from a timer while
// objects are counted.
type sideband struct {
	mu       sync.Mutex
	pw       *pktWriter
	raw      io.Writer
	max      int  // data bytes per packet; 0 means no multiplexing
	progress bool // whether band 2 is wanted
	err      error
}

func newSideband(w io.Writer, max int, progress bool) *sideband {
	return &sideband{pw: newPktWriter(w), raw: w, max: max, progress: progress && max > 0}
}

// Write sends pack data on band 1.
func (s *sideband) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return 0, s.err
	}
	if s.max == 0 {
		n, err := s.raw.Write(p)
		s.err = err
		return n, err
	}
	written := 0
	for len(p) > 0 {
		chunk := p
		if len(chunk) > s.max {
			chunk = chunk[:s.max]
		}
		if err := s.pw.write([]byte{1}, chunk); err != nil {
			s.err = err
			return written, err
		}
		written += len(chunk)
		p = p[len(chunk):]
	}
	return written, nil
}

// Progress sends human-readable text on band 2 when the client wants progress.
func (s *sideband) Progress(msg string) {
	if !s.progress {
		return
	}
	s.message(2, msg)
}

// Message sends text on band 2 even when progress is off: it carries errors and rejections
// the user must see.
func (s *sideband) Message(msg string) {
	if s.max > 0 {
		s.message(2, msg)
	}
}

// Fatal sends an error on band 3; the client stops reading after it.
func (s *sideband) Fatal(msg string) {
	if s.max > 0 {
		s.message(3, msg)
	}
}

func (s *sideband) message(band byte, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return
	}
	b := []byte(msg)
	for len(b) > 0 {
		chunk := b
		if len(chunk) > s.max {
			chunk = chunk[:s.max]
		}
		if err := s.pw.write([]byte{band}, chunk); err != nil {
			s.err = err
			return
		}
		b = b[len(chunk):]
	}
}

// keepalive sends an empty band-1 packet, which clients ignore but which keeps proxies from
// timing out an idle connection while the server counts objects.
func (s *sideband) keepalive() {
	if s.max == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil {
		_, s.err = io.WriteString(s.raw, "0005\x01")
	}
}

// flush ends the multiplexed stream.
func (s *sideband) flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	if s.max == 0 {
		return nil
	}
	s.err = s.pw.flush()
	return s.err
}

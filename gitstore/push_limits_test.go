package gitstore

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// commandList is the start of a push body: commands, the first with caps (and
// push-options when options is not nil), a flush, then the push options and a flush.
func commandList(commands []string, caps string, options []string) []byte {
	if options != nil {
		caps += " push-options"
	}
	var b bytes.Buffer
	pw := newPktWriter(&b)
	for i, c := range commands {
		if i == 0 {
			c += "\x00" + caps
		}
		_ = pw.line(c)
	}
	_ = pw.flush()
	if options != nil {
		for _, o := range options {
			_ = pw.line(o)
		}
		_ = pw.flush()
	}
	return b.Bytes()
}

// createCommands makes n commands creating refs/heads/<prefix><i> at tip.
func createCommands(tip, prefix string, n int) []string {
	cmds := make([]string, n)
	for i := range cmds {
		cmds[i] = fmt.Sprintf("%040d %s refs/heads/%s%d", 0, tip, prefix, i)
	}
	return cmds
}

// exactCommandList makes commands whose packets, the caps included, take exactly size bytes.
func exactCommandList(tip, caps string, size int) []string {
	var cmds []string
	for size > 0 {
		n := min(size, pktMaxLen)
		if rest := size - n; rest > 0 && rest < 200 {
			n -= 200 // leave the last packet room for a command
		}
		// A packet is 4 bytes of length, the command and a line feed.
		name := "refs/heads/" + strings.Repeat("x", n-4-82-len("refs/heads/")-1)
		if len(cmds) == 0 {
			name = name[:len(name)-1-len(caps)]
		}
		name = fmt.Sprintf("%s%05d", name[:len(name)-5], len(cmds))
		cmds = append(cmds, fmt.Sprintf("%040d %s %s", 0, tip, name))
		size -= n
	}
	return cmds
}

func TestPushCommandListLimits(t *testing.T) {
	tip := strings.Repeat("ab", 20)
	const caps = "report-status side-band-64k"
	options := func(n, size int) []string {
		o := make([]string, n)
		for i := range o {
			o[i] = fmt.Sprintf("%0*d", size, i)
		}
		return o
	}
	tests := []struct {
		name    string
		body    []byte
		limited string // the unpack reason; "" when accepted
	}{
		{"as many commands as allowed", commandList(createCommands(tip, "b", maxPushCommands), caps, nil), ""},
		{"one command more", commandList(createCommands(tip, "b", maxPushCommands+1), caps, nil),
			"too many ref updates (more than 100000)"},
		{"commands of the largest size allowed", commandList(exactCommandList(tip, caps, maxCommandListSize), caps, nil), ""},
		{"one byte more", commandList(exactCommandList(tip, caps, maxCommandListSize+1), caps, nil),
			"ref update commands exceed maximum allowed size (32 MiB)"},
		{"as many push options as allowed, each as long as allowed",
			commandList(createCommands(tip, "b", 1), caps, options(maxPushOptions, maxPushOptionSize)), ""},
		{"one push option more", commandList(createCommands(tip, "b", 1), caps, options(maxPushOptions+1, 1)),
			"too many push options (more than 1000)"},
		{"a push option one byte too long", commandList(createCommands(tip, "b", 1), caps, options(1, maxPushOptionSize+1)),
			"push option exceeds maximum allowed size (4 KiB)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rr, err := parseReceiveRequest(newPktReader(bytes.NewReader(tt.body)))
			if tt.limited == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var limit *requestLimitError
			if !errors.As(err, &limit) || limit.reason != tt.limited {
				t.Fatalf("error %v, want %q", err, tt.limited)
			}
			if len(rr.commands) == 0 || !rr.caps["side-band-64k"] {
				t.Errorf("the request read so far is lost: %d commands, caps %v", len(rr.commands), rr.caps)
			}
		})
	}
}

func TestPushPastTheCommandLimitsIsRefused(t *testing.T) {
	ts := newTestServer(t)
	g := newGitCLI(t)
	dir := g.newWorkTree(2)
	seedRepo(t, ts, g, 1, dir)
	ts.store.WaitBackground() // the bitmap of the first push
	tip := g.run(dir, "rev-parse", "HEAD")
	before := repoSnapshot(t, ts.store, 1)
	emptyPack := packObjects(t, g, dir, "")
	const caps = "report-status side-band-64k"
	tests := []struct {
		name  string
		body  []byte
		reply []string
	}{
		{"too many commands", commandList(createCommands(tip, "b", maxPushCommands+1), caps, nil), []string{
			"cairn: a push may update at most 100000 references; push fewer at a time",
			"unpack too many ref updates (more than 100000)",
			"ng refs/heads/b0 unpacker error",
		}},
		{"too many push options", commandList(createCommands(tip, "b", 1), caps, make([]string, maxPushOptions+1)), []string{
			"cairn: a push may carry at most 1000 push options",
			"unpack too many push options (more than 1000)",
			"ng refs/heads/b0 unpacker error",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			body := append(tt.body, emptyPack...)
			res, err := ts.store.ReceivePack(t.Context(), 1, bytes.NewReader(body), &out, ReceivePackOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Applied) != 0 {
				t.Errorf("applied %d updates", len(res.Applied))
			}
			for _, want := range tt.reply {
				if !strings.Contains(out.String(), want) {
					t.Errorf("reply lacks %q:\n%.500q", want, out.String())
				}
			}
			if after := repoSnapshot(t, ts.store, 1); after != before {
				t.Errorf("the repository changed:\n%s\n---\n%s", before, after)
			}
		})
	}

	// What git shows the pusher.
	g.commit(dir, "opts", map[string]string{"o.txt": "o"})
	for _, tt := range []struct {
		name    string
		options []string
		want    []string
	}{
		{"too many push options", make([]string, maxPushOptions+1), []string{
			"remote: cairn: a push may carry at most 1000 push options",
			"error: remote unpack failed: too many push options (more than 1000)",
			"! [remote rejected] main -> main (unpacker error)",
		}},
		{"a push option too long", []string{"ci.variable=" + strings.Repeat("v", maxPushOptionSize)}, []string{
			"remote: cairn: a push option may be at most 4 KiB long",
			"error: remote unpack failed: push option exceeds maximum allowed size (4 KiB)",
			"! [remote rejected] main -> main (unpacker error)",
		}},
	} {
		t.Run("git: "+tt.name, func(t *testing.T) {
			args := []string{"push"}
			for i, o := range tt.options {
				if o == "" {
					o = fmt.Sprintf("o%d", i)
				}
				args = append(args, "-o", o)
			}
			out, err := g.try(dir, append(args, ts.url(1), "main")...)
			for _, want := range tt.want {
				if err == nil || !strings.Contains(out, want) {
					t.Errorf("push said (err %v):\n%s\nwant %q", err, out, want)
				}
			}
			if after := repoSnapshot(t, ts.store, 1); after != before {
				t.Errorf("the repository changed:\n%s\n---\n%s", before, after)
			}
		})
	}
	// Within the limits, the same push goes through.
	g.run(dir, "push", "-q", "-o", strings.Repeat("v", maxPushOptionSize), ts.url(1), "main")
}

package gitstore

import (
	"bytes"
	"os/exec"
	"testing"
)

// FuzzPktLine feeds arbitrary bytes to the pkt-line reader: it must never panic, never
// return a payload longer than the protocol allows, and always stop at the end of input.
func FuzzPktLine(f *testing.F) {
	for _, seed := range []string{
		"0000", "0001", "0002", "0004", "0003", "000ahello\n0000",
		"0032want 0123456789012345678901234567890123456789\n00000009done\n",
		"fff0", "ffff", "zzzz", "00", "0006a", "0014command=ls-refs\n0001000cpeel\n0000",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		pr := newPktReader(bytes.NewReader(data))
		consumed := 0
		for i := 0; ; i++ {
			if i > len(data) {
				t.Fatalf("more packets than input bytes")
			}
			kind, p, err := pr.next()
			if err != nil {
				return
			}
			if len(p) > pktMaxPayload {
				t.Fatalf("payload of %d bytes", len(p))
			}
			if kind == pktData {
				consumed += 4 + len(p)
			} else {
				consumed += 4
				if len(p) != 0 {
					t.Fatalf("special packet with payload")
				}
			}
			if consumed > len(data) {
				t.Fatalf("read %d bytes from %d", consumed, len(data))
			}
		}
	})
}

// FuzzRefUpdateCommands feeds arbitrary push requests to the command parser: it must never
// panic, and whatever it accepts must be well formed.
func FuzzRefUpdateCommands(f *testing.F) {
	zero := "0000000000000000000000000000000000000000"
	one := "1111111111111111111111111111111111111111"
	for _, seed := range []string{
		"", "0000",
		string(pktBytes(zero+" "+one+" refs/heads/main\x00report-status side-band-64k\n")) + "0000PACK",
		string(pktBytes(one+" "+zero+" refs/heads/gone\x00 delete-refs push-options\n")) +
			"0000" + string(pktBytes("ci.skip")) + "0000",
		string(pktBytes("shallow "+one+"\n")) + string(pktBytes(zero+" "+one+" refs/tags/v1\n")) + "0000",
		string(pktBytes(zero+" "+one+" refs/heads/a..b\n")) + "0000",
		string(pktBytes(zero+" "+one+"\n")) + "0000",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rr, err := parseReceiveRequest(newPktReader(bytes.NewReader(data)))
		if err != nil {
			return
		}
		if len(rr.bad) != len(rr.commands) {
			t.Fatalf("%d verdicts for %d commands", len(rr.bad), len(rr.commands))
		}
		for i, c := range rr.commands {
			if rr.bad[i] == "" && (!CheckRefFormat(c.Name) || (c.Old.IsZero() && c.New.IsZero())) {
				t.Fatalf("accepted command %+v", c)
			}
		}
	})
}

func pktBytes(s string) []byte {
	var b bytes.Buffer
	_ = newPktWriter(&b).write([]byte(s))
	return b.Bytes()
}

// TestCheckRefFormatAgreesWithGit holds CheckRefFormat against git check-ref-format itself.
func TestCheckRefFormatAgreesWithGit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	names := []string{"main", "feature/x-1", "v1.0", "-x", "@", "a@b", "a@{1}", "a..b", ".a", "a/.b", "a.",
		"a/", "a//b",
		"a.lock", "a.lock/b", "a.locked", "a b", "a\tb", "a~b", "a^b", "a:b", "a?b", "a*b", "a[b", "a\\b", "a\x7fb",
		"ünï", "\xffbad", "x/y/z", "HEAD", "refs/heads/x", "{a}", "a}b", "a{b", "#1", "a'b", "a\"b", "a|b",
		"a=b", "/a", ""}
	for _, n := range names {
		name := "refs/heads/" + n
		err := exec.Command("git", "check-ref-format", name).Run()
		if got, want := CheckRefFormat(name), err == nil; got != want {
			t.Errorf("CheckRefFormat(%q) = %v, git check-ref-format says %v", name, got, want)
		}
	}
}

func TestValidRefName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"refs/heads/main", true},
		{"refs/heads/feature/x-1", true},
		{"refs/tags/v1.0", true},
		{"HEAD", false},
		{"refs/", false},
		{"refs/heads/", false},
		{"refs/heads/a..b", false},
		{"refs/heads/.hidden", false},
		{"refs/heads/x.lock", false},
		{"refs/heads/a b", false},
		{"refs/heads/a~1", false},
		{"refs/heads/a^", false},
		{"refs/heads/a:b", false},
		{"refs/heads/a@{1}", false},
		{"refs/heads//a", false},
		{"refs/heads/a.", false},
		{"refs/heads/\x01", false},
	}
	for _, tt := range tests {
		if got := CheckRefFormat(tt.name); got != tt.ok {
			t.Errorf("CheckRefFormat(%q) = %v, want %v", tt.name, got, tt.ok)
		}
	}
}

package gitdev

import (
	"math"
	"strconv"
	"testing"
)

func TestDecodeID(t *testing.T) {
	tests := []struct {
		prefix, id string
		want       int64
		ok         bool
	}{
		{"repo_", "repo_1", 1, true},
		{"repo_", "repo_z", 35, true},
		{"repo_", "repo_10", 36, true},
		{"deploy_", "deploy_9x2m4p", 599744905, true},
		{"repo_", "repo_" + strconv.FormatInt(math.MaxInt64, 36), math.MaxInt64, true},
		{"repo_", "repo_", 0, false},
		{"repo_", "repo_0", 0, false},
		{"repo_", "repo_01", 0, false},
		{"repo_", "repo_A", 0, false},
		{"repo_", "REPO_1", 0, false},
		{"repo_", "repo_-1", 0, false},
		{"repo_", "repo_+1", 0, false},
		{"repo_", "repo_ 1", 0, false},
		{"repo_", "repo_1 ", 0, false},
		{"repo_", "repo_1.5", 0, false},
		{"repo_", "repo_é", 0, false},
		{"repo_", "repo_1y2p0ij32e8e8", 0, false}, // MaxInt64 + 1
		{"repo_", "repo_zzzzzzzzzzzzz", 0, false},
		{"repo_", "repo_1zzzzzzzzzzzzz", 0, false},
		{"repo_", "deploy_1", 0, false},
		{"repo_", "1", 0, false},
		{"repo_", "", 0, false},
	}
	for _, tt := range tests {
		n, ok := DecodeID(tt.prefix, tt.id)
		if n != tt.want || ok != tt.ok {
			t.Errorf("DecodeID(%q, %q) = %d, %v; want %d, %v", tt.prefix, tt.id, n, ok, tt.want, tt.ok)
		}
		if ok && EncodeID(tt.prefix, n) != tt.id {
			t.Errorf("EncodeID(%q, %d) = %q, want %q", tt.prefix, n, EncodeID(tt.prefix, n), tt.id)
		}
	}
}

// FuzzDecodeID holds that decoding never fails loudly, accepts only canonical spellings of
// positive numbers, and that every positive number survives a round trip.
func FuzzDecodeID(f *testing.F) {
	for _, s := range []string{"repo_1", "repo_8f3k29d", "deploy_9x2m4p", "repo_", "repo_0", "repo_01",
		"repo_1y2p0ij32e8e8", "repo_1y2p0ij32e8e7", "repo_-1", "team_a", "repo_\xff"} {
		f.Add(s, int64(len(s)))
	}
	f.Fuzz(func(t *testing.T, id string, n int64) {
		for _, prefix := range []string{prefixRepo, prefixDeploy, prefixTeam} {
			got, ok := DecodeID(prefix, id)
			if ok {
				if got <= 0 {
					t.Fatalf("DecodeID(%q) = %d: not positive", id, got)
				}
				if enc := EncodeID(prefix, got); enc != id {
					t.Fatalf("DecodeID(%q) = %d, which encodes as %q", id, got, enc)
				}
			}
			if n > 0 {
				if back, ok := DecodeID(prefix, EncodeID(prefix, n)); !ok || back != n {
					t.Fatalf("round trip of %d gave %d, %v", n, back, ok)
				}
			}
		}
	})
}

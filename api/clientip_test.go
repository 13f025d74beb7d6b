package api

import (
	"net/netip"
	"strings"
	"testing"
)

func TestForwardedClientTakesTheRightMostUntrustedAddress(t *testing.T) {
	trusted, err := ParseTrustedProxies("10.0.0.0/8, 192.168.1.1, fd00::/8")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		peer   string
		xff    []string
		realIP string
		want   string
	}{
		{"a peer that is no proxy: headers ignored", "203.0.113.9", []string{"1.2.3.4"}, "5.6.7.8", "203.0.113.9"},
		{"a proxy without headers", "10.0.0.1", nil, "", "10.0.0.1"},
		{"one proxy", "10.0.0.1", []string{"198.51.100.7"}, "", "198.51.100.7"},
		{"a client's own entry on the left is skipped", "10.0.0.1", []string{"1.1.1.1, 198.51.100.7"}, "",
			"198.51.100.7"},
		{"a chain of proxies", "10.0.0.1", []string{"198.51.100.7, 192.168.1.1, 10.2.3.4"}, "", "198.51.100.7"},
		{"headers repeated", "10.0.0.1", []string{"6.6.6.6, 198.51.100.7", "10.9.9.9"}, "", "198.51.100.7"},
		{"every hop a proxy", "10.0.0.1", []string{"10.1.1.1, 10.2.2.2"}, "", "10.1.1.1"},
		{"a port and brackets", "10.0.0.1", []string{"[2001:db8::1]:4711"}, "", "2001:db8::1"},
		{"an address with a port", "10.0.0.1", []string{"198.51.100.7:4711"}, "", "198.51.100.7"},
		{"garbage stops the walk at the last proxy", "10.0.0.1", []string{"198.51.100.7, junk, 10.3.3.3"}, "",
			"10.3.3.3"},
		{"X-Real-IP without X-Forwarded-For", "10.0.0.1", nil, "198.51.100.8", "198.51.100.8"},
		{"X-Forwarded-For wins over X-Real-IP", "10.0.0.1", []string{"198.51.100.7"}, "198.51.100.8", "198.51.100.7"},
		{"an IPv4-mapped peer", "::ffff:10.0.0.1", []string{"198.51.100.7"}, "", "198.51.100.7"},
		{"an IPv6 proxy", "fd00::1", []string{"2001:db8::2"}, "", "2001:db8::2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := forwardedClient(netip.MustParseAddr(tt.peer), tt.xff, tt.realIP, trusted)
			if got.String() != tt.want {
				t.Fatalf("client %s, want %s", got, tt.want)
			}
		})
	}
}

func TestParseTrustedProxiesRefusesWhatIsNoRange(t *testing.T) {
	for _, bad := range []string{"10.0.0.0/33", "proxy.example.com", "10.0.0.1/8/8", "fe80::1%eth0"} {
		if _, err := ParseTrustedProxies(bad); err == nil {
			t.Errorf("ParseTrustedProxies(%q) took it", bad)
		}
	}
	got, err := ParseTrustedProxies("10.1.2.3/8,,::1")
	if err != nil || len(got) != 2 || got[0].String() != "10.0.0.0/8" || got[1].String() != "::1/128" {
		t.Fatalf("ParseTrustedProxies = %v, %v", got, err)
	}
}

func FuzzForwardedClient(f *testing.F) {
	for _, s := range []string{"1.2.3.4", "1.2.3.4, 10.0.0.2", "[::1]:80", "junk", "", ",,,", "10.0.0.1:99999"} {
		f.Add(s, "198.51.100.1")
	}
	trusted, _ := ParseTrustedProxies("10.0.0.0/8")
	peer := netip.MustParseAddr("10.0.0.1")
	f.Fuzz(func(t *testing.T, xff, realIP string) {
		got := forwardedClient(peer, strings.Split(xff, "\n"), realIP, trusted)
		if !got.IsValid() || got.Zone() != "" {
			t.Fatalf("client %v from %q", got, xff)
		}
		// The answer is the peer, or an address the headers name.
		if got != peer && !strings.Contains(xff+realIP, strings.Trim(got.String(), "[]")) &&
			!strings.Contains(strings.ToLower(xff+realIP), got.String()) {
			t.Fatalf("client %v is in neither the peer nor the headers %q %q", got, xff, realIP)
		}
	})
}

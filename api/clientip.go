package api

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"
)

// ParseTrustedProxies reads a comma-separated list of address ranges (CIDR, or a bare
// address for a range of one) of the reverse proxies whose forwarding headers are believed.
func ParseTrustedProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if p, err := netip.ParsePrefix(part); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(part)
		if err != nil || a.Zone() != "" {
			return nil, fmt.Errorf("%q is neither an address range (10.0.0.0/8) nor an address", part)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// clientIP is the address a request comes from. It is the peer's, unless the peer is one of
// the trusted proxies: then it is the right-most address of X-Forwarded-For that is not a
// trusted proxy (what the proxies themselves saw; anything to its left the client wrote), or
// X-Real-IP when there is no X-Forwarded-For. A header from anyone else is ignored: it must
// not choose the rate limit of whoever sends it.
func (c *Core) clientIP(r *http.Request) string {
	host := peerIP(r)
	if len(c.TrustedProxies) == 0 {
		return host
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	return forwardedClient(peer, r.Header.Values("X-Forwarded-For"), r.Header.Get("X-Real-Ip"),
		c.TrustedProxies).String()
}

// forwardedClient finds the client behind peer, given the X-Forwarded-For values and
// X-Real-IP header of its request and the trusted proxies.
func forwardedClient(peer netip.Addr, forwardedFor []string, realIP string, trusted []netip.Prefix) netip.Addr {
	client := peer.WithZone("").Unmap()
	if !isTrusted(client, trusted) {
		return client
	}
	if len(forwardedFor) == 0 {
		if a, ok := parseForwardedAddr(realIP); ok {
			return a
		}
		return client
	}
	// Each proxy appends the address it received the request from: walking from the right,
	// every address is vouched for by the proxy after it, until one that is no proxy of ours.
	for i := len(forwardedFor) - 1; i >= 0; i-- {
		hops := strings.Split(forwardedFor[i], ",")
		for j := len(hops) - 1; j >= 0; j-- {
			a, ok := parseForwardedAddr(hops[j])
			if !ok {
				// A trusted proxy would not write this; what is left of it is the client's.
				return client
			}
			client = a
			if !isTrusted(a, trusted) {
				return a
			}
		}
	}
	return client
}

// parseForwardedAddr reads one address of a forwarding header: an IP, possibly with a port
// (some proxies add it) or in brackets.
func parseForwardedAddr(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 64 {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		ap, perr := netip.ParseAddrPort(s)
		if perr != nil {
			trimmed := strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
			if a, err = netip.ParseAddr(trimmed); err != nil {
				return netip.Addr{}, false
			}
		} else {
			a = ap.Addr()
		}
	}
	return a.WithZone("").Unmap(), true
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

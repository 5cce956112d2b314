package detect

import (
	"net/netip"
	"slices"
)

// nonGlobal are the IPv4 and IPv6 ranges that are not globally routable
// (IANA special-purpose registries, RFC 6890 and its updates): a source in
// one of them is never counted, listed or served.
var nonGlobal = mustPrefixes(
	// IPv4
	"0.0.0.0/8",       // this network
	"10.0.0.0/8",      // private
	"100.64.0.0/10",   // CGNAT shared address space
	"127.0.0.0/8",     // loopback
	"169.254.0.0/16",  // link-local
	"172.16.0.0/12",   // private
	"192.0.0.0/24",    // IETF protocol assignments
	"192.0.2.0/24",    // documentation TEST-NET-1
	"192.31.196.0/24", // AS112
	"192.52.193.0/24", // AMT
	"192.88.99.0/24",  // deprecated 6to4 relay anycast
	"192.168.0.0/16",  // private
	"192.175.48.0/24", // direct delegation AS112
	"198.18.0.0/15",   // benchmarking
	"198.51.100.0/24", // documentation TEST-NET-2
	"203.0.113.0/24",  // documentation TEST-NET-3
	"224.0.0.0/4",     // multicast
	"240.0.0.0/4",     // reserved (and broadcast)
	// IPv6
	"::/128",         // unspecified
	"::1/128",        // loopback
	"::ffff:0:0/96",  // IPv4-mapped (checked as IPv4 after unmapping)
	"64:ff9b:1::/48", // local-use IPv4/IPv6 translation
	"100::/64",       // discard-only
	"2001::/23",      // IETF protocol assignments (Teredo, benchmarking, ORCHID…)
	"2001:db8::/32",  // documentation
	"2002::/16",      // 6to4
	"3fff::/20",      // documentation
	"5f00::/16",      // SRv6 SIDs
	"fc00::/7",       // unique local
	"fe80::/10",      // link-local
	"fec0::/10",      // deprecated site-local
	"ff00::/8",       // multicast
)

// globalExceptions are globally reachable ranges inside nonGlobal blocks.
var globalExceptions = mustPrefixes(
	"192.0.0.9/32", "192.0.0.10/32", // PCP and TURN anycast
	"2001:1::1/128", "2001:1::2/128", "2001:1::3/128", // PCP, TURN, DNS-SD anycast
	"2001:3::/32",     // AMT
	"2001:4:112::/48", // AS112-v6
	"2001:20::/28",    // ORCHIDv2
	"2001:30::/28",    // DRIP
)

func mustPrefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

// Routable reports whether a is a globally routable unicast address; when
// it is not, why says which range it falls in.
func Routable(a netip.Addr) (ok bool, why string) {
	if !a.IsValid() {
		return false, "not an address"
	}
	a = a.Unmap()
	for _, p := range globalExceptions {
		if p.Contains(a) {
			return true, ""
		}
	}
	for _, p := range nonGlobal {
		if p.Contains(a) {
			return false, "not globally routable (" + p.String() + ")"
		}
	}
	if a.Is6() && !netip.MustParsePrefix("2000::/3").Contains(a) {
		return false, "not globally routable (outside 2000::/3)"
	}
	return true, ""
}

// PrefixRoutable reports whether every address of p is globally routable.
func PrefixRoutable(p netip.Prefix) (ok bool, why string) {
	p = p.Masked()
	for _, n := range nonGlobal {
		if n.Overlaps(p) && !slices.ContainsFunc(globalExceptions, func(e netip.Prefix) bool { return e.Bits() <= p.Bits() && e.Contains(p.Addr()) }) {
			return false, "overlaps a range that is not globally routable (" + n.String() + ")"
		}
	}
	if p.Addr().Is6() && !netip.MustParsePrefix("2000::/3").Contains(p.Addr()) {
		return false, "not globally routable (outside 2000::/3)"
	}
	return true, ""
}

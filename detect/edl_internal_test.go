package detect

import (
	"net/netip"
	"slices"
	"testing"
	"time"
)

func pfx(s string) netip.Prefix { return netip.MustParsePrefix(s) }

func TestFinishListCapKeepsSevereAndRecent(t *testing.T) {
	now := time.Now()
	es := []edlEntry{
		{p: pfx("45.0.0.1/32"), severity: 3, last: now.Add(-time.Hour)},
		{p: pfx("45.0.0.2/32"), severity: 3, last: now},
		{p: pfx("45.0.0.3/32"), severity: 5, last: now.Add(-48 * time.Hour)},
		{p: pfx("45.0.0.4/32"), severity: 2, last: now},
	}
	got, dropped := finishList(es, 2, false)
	if !slices.Equal(got, []string{"45.0.0.2", "45.0.0.3"}) || dropped != 2 {
		t.Fatalf("%v, %d dropped", got, dropped)
	}
	if got, dropped := finishList(es, 0, false); len(got) != 4 || dropped != 0 {
		t.Fatalf("no cap: %v %d", got, dropped)
	}
}

func TestAggregateIsLossless(t *testing.T) {
	var es []edlEntry
	for i := 0; i < 256; i++ {
		if i == 77 {
			continue // one address missing: that /24 must not appear
		}
		es = append(es, edlEntry{p: netip.PrefixFrom(netip.AddrFrom4([4]byte{45, 1, 1, byte(i)}), 32)})
	}
	for i := 0; i < 4; i++ {
		es = append(es, edlEntry{p: netip.PrefixFrom(netip.AddrFrom4([4]byte{45, 2, 2, byte(i)}), 32)})
	}
	got, _ := finishList(es, 0, true)
	if slices.Contains(got, "45.1.1.0/24") || !slices.Contains(got, "45.1.1.0/26") || !slices.Contains(got, "45.1.1.76") ||
		!slices.Contains(got, "45.1.1.128/25") || !slices.Contains(got, "45.2.2.0/30") {
		t.Fatalf("aggregated: %v", got)
	}
	// Expanding the result gives back exactly the input.
	n := 0
	for _, s := range got {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			p = netip.PrefixFrom(netip.MustParseAddr(s), 32)
		}
		n += 1 << (32 - p.Bits())
	}
	if n != 255+4 {
		t.Fatalf("covers %d addresses, want 259", n)
	}
}

func TestSubtractPrefixes(t *testing.T) {
	got := subtractPrefixes(pfx("46.8.8.0/24"), []netip.Prefix{pfx("46.8.8.8/32")})
	var out []string
	n := 0
	for _, p := range got {
		out = append(out, p.String())
		if p.Contains(netip.MustParseAddr("46.8.8.8")) {
			t.Fatalf("hole still covered by %s", p)
		}
		n += 1 << (32 - p.Bits())
	}
	if n != 255 || len(got) != 8 {
		t.Fatalf("%v covers %d", out, n)
	}
	if got := subtractPrefixes(pfx("46.8.8.0/24"), []netip.Prefix{pfx("46.8.0.0/16")}); len(got) != 0 {
		t.Fatalf("inside a hole: %v", got)
	}
}

func TestRoutable(t *testing.T) {
	for _, tc := range []struct {
		ip   string
		want bool
	}{
		{"45.1.1.1", true}, {"8.8.8.8", true}, {"2a01:4f8::1", true}, {"::ffff:45.1.1.1", true},
		{"10.0.0.1", false}, {"172.16.5.4", false}, {"192.168.1.1", false}, {"127.0.0.1", false},
		{"169.254.1.1", false}, {"100.64.0.1", false}, {"224.0.0.1", false}, {"240.0.0.1", false},
		{"255.255.255.255", false}, {"0.1.2.3", false}, {"192.0.2.1", false}, {"198.51.100.1", false},
		{"203.0.113.1", false}, {"198.18.0.1", false}, {"::1", false}, {"fe80::1", false}, {"fc00::1", false},
		{"ff02::1", false}, {"2001:db8::1", false}, {"3fff::1", false}, {"2002::1", false}, {"64:ff9b:1::1", false},
		{"::ffff:10.0.0.1", false}, {"192.0.0.9", true}, {"4000::1", false},
	} {
		if got, why := Routable(netip.MustParseAddr(tc.ip)); got != tc.want || (!got && why == "") {
			t.Errorf("Routable(%s) = %v (%s)", tc.ip, got, why)
		}
	}
}

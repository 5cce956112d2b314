package detect

import (
	"context"
	"net/netip"

	"github.com/activedefense/activedefense/schema"
)

// protection is the never-block list at one moment: the allowlist (which
// holds the shipped infrastructure entries an operator may remove), our
// networks, and the sender addresses of every registered firewall.
type protection struct {
	nets []protectedNet
}

type protectedNet struct {
	p   netip.Prefix
	why string
}

// protection loads the never-block list.
func (s *Service) protection(ctx context.Context, v schema.Values) (*protection, error) {
	allow, err := schema.ListAllowlist(ctx, s.st)
	if err != nil {
		return nil, err
	}
	pr := &protection{}
	for _, e := range allow {
		p, err := schema.ParsePrefix(e.CIDR)
		if err != nil {
			continue
		}
		why := "allow-listed (" + e.CIDR + ")"
		if e.CreatedBy == builtinActor {
			why = "infrastructure (" + e.CIDR + ": " + e.Note + ")"
		}
		pr.nets = append(pr.nets, protectedNet{p, why})
	}
	for _, n := range v.List(schema.OurNetworks) {
		if p, err := schema.ParsePrefix(n); err == nil {
			pr.nets = append(pr.nets, protectedNet{p, "our network (" + n + ")"})
		}
	}
	senders, err := schema.DeviceSenders(ctx, s.st)
	if err != nil {
		return nil, err
	}
	for addr, dev := range senders {
		pr.nets = append(pr.nets, protectedNet{netip.PrefixFrom(addr, addr.BitLen()), "firewall " + dev})
	}
	return pr, nil
}

// why returns the reason a is protected, or "".
func (pr *protection) why(a netip.Addr) string {
	a = a.Unmap()
	for _, n := range pr.nets {
		if n.p.Contains(a) {
			return n.why
		}
	}
	return ""
}

// overlapping returns the protected prefixes that overlap p.
func (pr *protection) overlapping(p netip.Prefix) []netip.Prefix {
	var out []netip.Prefix
	for _, n := range pr.nets {
		if n.p.Overlaps(p) {
			out = append(out, n.p)
		}
	}
	return out
}

// subtractPrefixes returns p without the addresses in holes, as the fewest
// prefixes: a feed's network around an allow-listed address is split, not
// served whole and not dropped whole.
func subtractPrefixes(p netip.Prefix, holes []netip.Prefix) []netip.Prefix {
	for _, h := range holes {
		if h.Bits() <= p.Bits() && h.Contains(p.Addr()) {
			return nil // p lies inside a hole
		}
	}
	var inside []netip.Prefix
	for _, h := range holes {
		if p.Overlaps(h) {
			inside = append(inside, h)
		}
	}
	if len(inside) == 0 {
		return []netip.Prefix{p}
	}
	lo, hi := halves(p)
	return append(subtractPrefixes(lo, inside), subtractPrefixes(hi, inside)...)
}

// halves splits p into its two halves.
func halves(p netip.Prefix) (netip.Prefix, netip.Prefix) {
	bits := p.Bits() + 1
	lo := netip.PrefixFrom(p.Addr(), bits)
	b := p.Addr().AsSlice()
	i := (bits - 1) / 8
	b[i] |= 0x80 >> ((bits - 1) % 8)
	hiAddr, _ := netip.AddrFromSlice(b)
	return lo, netip.PrefixFrom(hiAddr, bits)
}

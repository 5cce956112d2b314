package detect

import (
	"cmp"
	"context"
	"net/netip"
	"slices"
	"time"

	"github.com/activedefense/activedefense/schema"
)

// edlEntry is one prefix and the lists it belongs to.
type edlEntry struct {
	p        netip.Prefix
	lists    []string
	devices  []string
	severity uint8
	last     time.Time
}

// EDL builds the lists.
func (s *Service) EDL(ctx context.Context) (schema.EDLSet, error) {
	v := s.set.Values()
	es, err := s.edlEntries(ctx, v)
	if err != nil {
		return schema.EDLSet{}, err
	}
	set := schema.EDLSet{Lists: map[string][]string{"blacklist": nil, schema.CategoryScan: nil, schema.CategoryExploit: nil,
		schema.CategoryManual: nil}, Dropped: map[string]int{}, Built: s.now()}
	members := map[string][]edlEntry{}
	devices, err := schema.ListDevices(ctx, s.st)
	if err != nil {
		return schema.EDLSet{}, err
	}
	for _, e := range es {
		members["blacklist"] = append(members["blacklist"], e)
		for _, l := range e.lists {
			members[l] = append(members[l], e)
		}
	}
	for _, d := range devices {
		l := "device/" + d.Name
		set.Lists[l] = nil
		for _, e := range es {
			if len(e.devices) == 0 || slices.Contains(e.devices, d.Name) {
				members[l] = append(members[l], e)
			}
		}
	}
	for name, ms := range members {
		list, dropped := finishList(ms, v.Int(schema.EDLMaxEntries), v.Bool(schema.EDLAggregate))
		set.Lists[name], set.Dropped[name] = list, dropped
	}
	return set, nil
}

// edlEntries collects active blacklist entries and feed entries, dropping
// (or, for feed networks, splitting around) whatever must never be blocked.
func (s *Service) edlEntries(ctx context.Context, v schema.Values) ([]edlEntry, error) {
	pr, err := s.protection(ctx, v)
	if err != nil {
		return nil, err
	}
	listed, err := schema.ListBlacklist(ctx, s.st, schema.BlacklistFilter{States: []string{schema.StateActive}})
	if err != nil {
		return nil, err
	}
	byPrefix := map[netip.Prefix]*edlEntry{}
	var order []netip.Prefix
	add := func(p netip.Prefix, list string, devs []string, sev uint8, last time.Time) {
		e, ok := byPrefix[p]
		if !ok {
			e = &edlEntry{p: p}
			byPrefix[p] = e
			order = append(order, p)
		}
		if !slices.Contains(e.lists, list) {
			e.lists = append(e.lists, list)
		}
		e.devices = append(e.devices, devs...)
		e.severity = max(e.severity, sev)
		if last.After(e.last) {
			e.last = last
		}
	}
	for _, b := range listed {
		a := b.IP.Unmap()
		if ok, _ := Routable(a); !ok || pr.why(a) != "" {
			continue
		}
		add(netip.PrefixFrom(a, a.BitLen()), b.Category, b.Devices, b.Severity, b.LastActivity)
	}
	feeds, err := schema.ListFeeds(ctx, s.st)
	if err != nil {
		return nil, err
	}
	states, err := schema.ListFeedStates(ctx, s.st, true)
	if err != nil {
		return nil, err
	}
	for _, f := range feeds {
		st := states[f.Name]
		for _, raw := range st.Entries {
			p, err := schema.ParsePrefix(raw)
			if err != nil {
				continue
			}
			for _, q := range subtractPrefixes(p, pr.overlapping(p)) {
				add(q, f.Name, nil, 2, st.LastOK)
			}
		}
	}
	out := make([]edlEntry, len(order))
	for i, p := range order {
		out[i] = *byPrefix[p]
	}
	return out, nil
}

// finishList applies the cap (keeping the most severe, then the most
// recent), the optional lossless aggregation, and sorts by address.
func finishList(es []edlEntry, capN int, aggregate bool) ([]string, int) {
	dropped := 0
	if capN > 0 && len(es) > capN {
		es = slices.Clone(es)
		slices.SortFunc(es, func(a, b edlEntry) int {
			if c := cmp.Compare(b.severity, a.severity); c != 0 {
				return c
			}
			if c := b.last.Compare(a.last); c != 0 {
				return c
			}
			return comparePrefix(a.p, b.p)
		})
		dropped = len(es) - capN
		es = es[:capN]
	}
	ps := make([]netip.Prefix, len(es))
	for i, e := range es {
		ps[i] = e.p
	}
	if aggregate {
		ps = aggregatePrefixes(ps)
	}
	slices.SortFunc(ps, comparePrefix)
	out := make([]string, 0, len(ps))
	for i, p := range ps {
		if i > 0 && p.Bits() >= ps[i-1].Bits() && ps[i-1].Contains(p.Addr()) {
			continue // inside the previous network (a feed listed both)
		}
		out = append(out, schema.PrefixString(p))
	}
	return out, dropped
}

// aggregatePrefixes merges two sibling prefixes into their parent while both
// are present, so a prefix appears only when every address in it is listed.
func aggregatePrefixes(ps []netip.Prefix) []netip.Prefix {
	set := map[netip.Prefix]bool{}
	for _, p := range ps {
		set[p.Masked()] = true
	}
	for changed := true; changed; {
		changed = false
		for p := range set {
			if p.Bits() == 0 || !set[p] {
				continue
			}
			parent := netip.PrefixFrom(p.Addr(), p.Bits()-1).Masked()
			lo, hi := halves(parent)
			if set[lo] && set[hi] {
				delete(set, lo)
				delete(set, hi)
				set[parent] = true
				changed = true
			}
		}
	}
	out := make([]netip.Prefix, 0, len(set))
	for p := range set {
		out = append(out, p)
	}
	return out
}

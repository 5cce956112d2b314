package detect

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/activedefense/activedefense/schema"
)

// builtinActor creates the shipped never-block entries.
const builtinActor = "builtin"

// builtinVersion is bumped when the shipped list grows; entries an operator
// removed are not added again.
const builtinVersion = "1"

// Infrastructure is the shipped never-block list: public DNS resolvers and
// the root name servers. An operator may remove any of them.
var Infrastructure = []schema.AllowEntry{
	{CIDR: "8.8.8.8", Note: "Google Public DNS"}, {CIDR: "8.8.4.4", Note: "Google Public DNS"},
	{CIDR: "2001:4860:4860::8888", Note: "Google Public DNS"}, {CIDR: "2001:4860:4860::8844", Note: "Google Public DNS"},
	{CIDR: "1.1.1.1", Note: "Cloudflare DNS"}, {CIDR: "1.0.0.1", Note: "Cloudflare DNS"},
	{CIDR: "2606:4700:4700::1111", Note: "Cloudflare DNS"}, {CIDR: "2606:4700:4700::1001", Note: "Cloudflare DNS"},
	{CIDR: "9.9.9.9", Note: "Quad9 DNS"}, {CIDR: "149.112.112.112", Note: "Quad9 DNS"},
	{CIDR: "2620:fe::fe", Note: "Quad9 DNS"}, {CIDR: "2620:fe::9", Note: "Quad9 DNS"},
	{CIDR: "208.67.222.222", Note: "OpenDNS"}, {CIDR: "208.67.220.220", Note: "OpenDNS"},
	{CIDR: "2620:119:35::35", Note: "OpenDNS"}, {CIDR: "2620:119:53::53", Note: "OpenDNS"},
	{CIDR: "198.41.0.4", Note: "a.root-servers.net"}, {CIDR: "2001:503:ba3e::2:30", Note: "a.root-servers.net"},
	{CIDR: "170.247.170.2", Note: "b.root-servers.net"}, {CIDR: "2801:1b8:10::b", Note: "b.root-servers.net"},
	{CIDR: "192.33.4.12", Note: "c.root-servers.net"}, {CIDR: "2001:500:2::c", Note: "c.root-servers.net"},
	{CIDR: "199.7.91.13", Note: "d.root-servers.net"}, {CIDR: "2001:500:2d::d", Note: "d.root-servers.net"},
	{CIDR: "192.203.230.10", Note: "e.root-servers.net"}, {CIDR: "2001:500:a8::e", Note: "e.root-servers.net"},
	{CIDR: "192.5.5.241", Note: "f.root-servers.net"}, {CIDR: "2001:500:2f::f", Note: "f.root-servers.net"},
	{CIDR: "192.112.36.4", Note: "g.root-servers.net"}, {CIDR: "2001:500:12::d0d", Note: "g.root-servers.net"},
	{CIDR: "198.97.190.53", Note: "h.root-servers.net"}, {CIDR: "2001:500:1::53", Note: "h.root-servers.net"},
	{CIDR: "192.36.148.17", Note: "i.root-servers.net"}, {CIDR: "2001:7fe::53", Note: "i.root-servers.net"},
	{CIDR: "192.58.128.30", Note: "j.root-servers.net"}, {CIDR: "2001:503:c27::2:30", Note: "j.root-servers.net"},
	{CIDR: "193.0.14.129", Note: "k.root-servers.net"}, {CIDR: "2001:7fd::1", Note: "k.root-servers.net"},
	{CIDR: "199.7.83.42", Note: "l.root-servers.net"}, {CIDR: "2001:500:9f::42", Note: "l.root-servers.net"},
	{CIDR: "202.12.27.33", Note: "m.root-servers.net"}, {CIDR: "2001:dc3::35", Note: "m.root-servers.net"},
}

const builtinKey = "allowlist.builtin_version" // internal settings-table key

// Init seeds the shipped never-block list once per version of it.
func (s *Service) Init(ctx context.Context) error {
	var done string
	err := schema.QueryRow(ctx, s.st, "SELECT value FROM settings FINAL WHERE key = {k:String}", schema.Params{"k": builtinKey}, &done)
	if err == nil && done == builtinVersion {
		return nil
	}
	es := slices.Clone(Infrastructure)
	for i := range es {
		es[i].CreatedBy = builtinActor
	}
	if err := schema.PutAllowlist(ctx, s.st, es, false); err != nil {
		return err
	}
	return s.st.Exec(ctx, `INSERT INTO settings (key, value, updated, version) SELECT {k:String}, {v:String}, now(), toUnixTimestamp64Nano(now64(9))`,
		schema.Params{"k": builtinKey, "v": builtinVersion})
}

// ListAllowlist returns the allowlist.
func (s *Service) ListAllowlist(ctx context.Context) ([]schema.AllowEntry, error) {
	return schema.ListAllowlist(ctx, s.st)
}

// AddAllowlist adds an address or network and releases the listed sources
// inside it.
func (s *Service) AddAllowlist(ctx context.Context, actor schema.Actor, req schema.AllowAdd) (schema.AllowEntry, error) {
	p, err := schema.ParsePrefix(req.CIDR)
	if err != nil {
		return schema.AllowEntry{}, schema.Invalid("cidr", "%v", err)
	}
	note := strings.TrimSpace(req.Note)
	if len(note) > 256 || strings.ContainsAny(note, "\r\n\x00") {
		return schema.AllowEntry{}, schema.Invalid("note", "must be one line of at most 256 characters")
	}
	e := schema.AllowEntry{CIDR: schema.PrefixString(p), Note: note, CreatedBy: actor.Name, Created: s.now()}
	s.runMu.Lock()
	defer s.runMu.Unlock()
	if err := schema.PutAllowlist(ctx, s.st, []schema.AllowEntry{e}, false); err != nil {
		return e, err
	}
	listed, err := schema.ListBlacklist(ctx, s.st, schema.BlacklistFilter{States: activeStates})
	if err != nil {
		return e, err
	}
	evs := []schema.AuditEvent{actor.Event(schema.AuditAdd, "allowlist "+e.CIDR, note)}
	var rel []schema.BlacklistEntry
	for _, b := range listed {
		if p.Contains(b.IP.Unmap()) {
			why := "allow-listed (" + e.CIDR + ") by " + actor.Name
			rel = append(rel, release(b, s.now(), actor.Name, why))
			evs = append(evs, actor.Event(schema.AuditRelease, "blacklist "+b.IP.String(), why))
		}
	}
	if err := s.saveListings(ctx, rel, evs); err != nil {
		return e, err
	}
	s.markReevaluate()
	return e, nil
}

// RemoveAllowlist removes an entry (given exactly as listed, or in any
// equivalent notation).
func (s *Service) RemoveAllowlist(ctx context.Context, actor schema.Actor, cidr string) error {
	p, err := schema.ParsePrefix(cidr)
	if err != nil {
		return schema.Invalid("cidr", "%v", err)
	}
	key := schema.PrefixString(p)
	es, err := schema.ListAllowlist(ctx, s.st)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(es, func(e schema.AllowEntry) bool { return e.CIDR == key })
	if i < 0 {
		return fmt.Errorf("%s is not on the allowlist: %w", key, schema.ErrNotFound)
	}
	if err := schema.PutAllowlist(ctx, s.st, es[i:i+1], true); err != nil {
		return err
	}
	if err := schema.PutAudit(ctx, s.st, actor.Event(schema.AuditRemove, "allowlist "+key, "")); err != nil {
		return err
	}
	s.markReevaluate()
	s.lists.Notify()
	return nil
}

// Protected reports why an address must never be blocked ("" when it may
// be): not globally routable, allow-listed, our network or a firewall.
func (s *Service) Protected(ctx context.Context, ip string) (string, error) {
	a, err := schema.ParseAddr("ip", ip)
	if err != nil {
		return "", err
	}
	return s.neverBlock(ctx, s.set.Values(), a)
}

// DevicesChanged is told that devices were added, changed or removed: a
// firewall's own addresses (senders) are never blocked, so listed entries
// at them are released, and the per-device EDLs follow.
func (s *Service) DevicesChanged(ctx context.Context, actor schema.Actor, senders []string) error {
	s.runMu.Lock()
	defer s.runMu.Unlock()
	var addrs []netip.Addr
	for _, x := range senders {
		if a, err := netip.ParseAddr(x); err == nil {
			addrs = append(addrs, a.Unmap())
		}
	}
	var rel []schema.BlacklistEntry
	var evs []schema.AuditEvent
	if len(addrs) > 0 {
		listed, err := schema.ListBlacklist(ctx, s.st, schema.BlacklistFilter{States: activeStates, IPs: addrs})
		if err != nil {
			return err
		}
		for _, b := range listed {
			why := "a registered firewall's address"
			rel = append(rel, release(b, s.now(), actor.Name, why))
			evs = append(evs, actor.Event(schema.AuditRelease, "blacklist "+b.IP.String(), why))
		}
	}
	return s.saveListings(ctx, rel, evs)
}

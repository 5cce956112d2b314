package pangen

import (
	"net/netip"
	"time"
)

// Event is one connection or threat to write as a line, for scenarios with
// known attackers (tests, the demo).
type Event struct {
	Time       time.Time
	Src, Dst   netip.Addr
	SrcPort    uint16 // 0: random
	DstPort    uint16
	Action     string // "" = deny
	Rule       string // "" = Block-Bad
	Severity   string // THREAT
	Subtype    string // THREAT; "" = vulnerability
	ThreatName string // THREAT
	ThreatID   uint64 // THREAT
}

// Line returns e as a line of kind k (CSV or KV, TRAFFIC or THREAT).
func (g *Generator) Line(k Kind, e Event) Line {
	g.n++
	l := Line{Kind: k, Type: "TRAFFIC", Time: e.Time.Truncate(time.Second), Src: e.Src, Dst: e.Dst, SrcPort: e.SrcPort,
		DstPort: e.DstPort, SrcCountry: "Germany", DstCountry: "10.0.0.0-10.255.255.255", Action: e.Action, Rule: e.Rule,
		Severity: e.Severity, Subtype: e.Subtype, ThreatName: e.ThreatName, ThreatID: e.ThreatID}
	if l.SrcPort == 0 {
		l.SrcPort = uint16(1024 + g.rng.IntN(64000))
	}
	if l.Action == "" {
		l.Action = "deny"
	}
	if l.Rule == "" {
		l.Rule = "Block-Bad"
	}
	switch k {
	case CSVTraffic:
		l.Text = g.header(l.Time) + csvTraffic(l, g)
	case KVTraffic:
		l.Text = g.header(l.Time) + kv(l, g)
	case CSVThreat, KVThreat:
		l.Type = "THREAT"
		if k == CSVThreat {
			l.Text = g.header(l.Time) + csvThreat(l, g)
		} else {
			l.Text = g.header(l.Time) + kv(l, g)
		}
	}
	return l
}

// Package pangen generates synthetic PAN-OS syslog lines, in the default CSV
// formats and the custom Key=value format, each with the values a correct
// parser must find in it. Tests, the benchmark and the end-to-end checks use
// it; it is deterministic for a given seed.
package pangen

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Kind is what a generated line is.
type Kind string

// Kinds of lines.
const (
	CSVTraffic Kind = "csv_traffic"
	CSVThreat  Kind = "csv_threat"
	KVTraffic  Kind = "kv_traffic"
	KVThreat   Kind = "kv_threat"
	System     Kind = "system"  // well-formed, skipped
	Garbage    Kind = "garbage" // rejected
)

// Line is one generated line and what it says.
type Line struct {
	Kind       Kind
	Text       string // without newline
	Type       string // TRAFFIC or THREAT ("" for System, Garbage)
	Time       time.Time
	Src, Dst   netip.Addr
	SrcPort    uint16
	DstPort    uint16
	SrcCountry string
	DstCountry string
	Action     string
	Rule       string
	Severity   string // THREAT only
	Subtype    string // THREAT only; "" means vulnerability
	ThreatName string
	ThreatID   uint64
}

func (l Line) subtype() string {
	if l.Subtype == "" {
		return "vulnerability"
	}
	return l.Subtype
}

// Stored reports whether the line becomes a row of logs.
func (l Line) Stored() bool { return l.Type != "" }

// Generator makes lines. Times start at Start and advance by Step per line,
// written in Loc (the firewall's zone).
type Generator struct {
	rng   *rand.Rand
	Start time.Time
	Step  time.Duration
	Loc   *time.Location
	Host  string
	n     int
}

// New returns a generator with a fixed seed.
func New(seed uint64, start time.Time, loc *time.Location) *Generator {
	return &Generator{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), Start: start,
		Step: time.Millisecond, Loc: loc, Host: "fw-lab-01"}
}

var (
	countries = []string{"United States", "China", "Germany", "Russian Federation", "Korea Republic Of", "NL", "FR",
		"10.0.0.0-10.255.255.255", "192.168.0.0-192.168.255.255"}
	actions = []string{"allow", "deny", "drop", "reset both", "reset-both"}
	rules   = []string{"Allow Web", "Block-Bad", "intrazone-default", "DMZ to Internet", "Test Rule Name"}
	threats = []struct {
		name string
		id   uint64
	}{{"SSH User Authentication Brute Force Attempt", 40015}, {"Nmap Scripting Engine Detection", 58433},
		{"Windows Executable (EXE)", 52020}, {"Microsoft RPC Endpoint Mapper Detection", 30845},
		{"Apache Log4j Remote Code Execution Vulnerability", 91991}, {"generic:www.virussign.com", 327891564}}
	severities = []string{"informational", "low", "medium", "high", "critical", "Critical", "HIGH"}
)

// Mix returns the next line of a typical mix: mostly traffic, some threats,
// a few SYSTEM lines and garbage. Formats alternate between CSV and KV.
func (g *Generator) Mix() Line {
	switch r := g.rng.IntN(100); {
	case r < 40:
		return g.Make(CSVTraffic)
	case r < 70:
		return g.Make(KVTraffic)
	case r < 82:
		return g.Make(CSVThreat)
	case r < 94:
		return g.Make(KVThreat)
	case r < 97:
		return g.Make(System)
	default:
		return g.Make(Garbage)
	}
}

// Make returns the next line of one kind.
func (g *Generator) Make(k Kind) Line {
	l := g.values(k)
	switch k {
	case CSVTraffic:
		l.Text = g.header(l.Time) + csvTraffic(l, g)
	case CSVThreat:
		l.Text = g.header(l.Time) + csvThreat(l, g)
	case KVTraffic, KVThreat:
		l.Text = g.header(l.Time) + kv(l, g)
	case System:
		t := pan(l.Time.In(g.Loc))
		l.Text = g.header(l.Time) + "1," + t + ",007200001165,SYSTEM,general,0," + t +
			",,general,,0,0,general,informational,\"User admin logged in\",1718,0x0,0,0,0,0,," + g.Host
	case Garbage:
		l.Text = g.garbage()
	}
	return l
}

func (g *Generator) values(k Kind) Line {
	g.n++
	l := Line{Kind: k, Time: g.Start.Add(time.Duration(g.n) * g.Step).Truncate(time.Second)}
	if k == System || k == Garbage {
		return l
	}
	l.Type = "TRAFFIC"
	l.Src = g.addr()
	l.Dst = g.addr()
	l.SrcPort = uint16(1024 + g.rng.IntN(64000))
	l.DstPort = uint16(1 + g.rng.IntN(65535))
	l.SrcCountry = countries[g.rng.IntN(len(countries))]
	l.DstCountry = countries[g.rng.IntN(len(countries))]
	l.Action = actions[g.rng.IntN(len(actions))]
	l.Rule = rules[g.rng.IntN(len(rules))]
	if k == CSVThreat || k == KVThreat {
		l.Type = "THREAT"
		th := threats[g.rng.IntN(len(threats))]
		l.ThreatName, l.ThreatID = th.name, th.id
		l.Severity = severities[g.rng.IntN(len(severities))]
		l.Action = []string{"alert", "reset-both", "drop", "block-url"}[g.rng.IntN(4)]
	}
	return l
}

func (g *Generator) addr() netip.Addr {
	if g.rng.IntN(20) == 0 {
		var b [16]byte
		b[0], b[1], b[2], b[3] = 0x20, 0x01, 0x0d, 0xb8
		for i := 8; i < 16; i++ {
			b[i] = byte(g.rng.IntN(256))
		}
		return netip.AddrFrom16(b)
	}
	return netip.AddrFrom4([4]byte{byte(1 + g.rng.IntN(222)), byte(g.rng.IntN(256)), byte(g.rng.IntN(256)), byte(1 + g.rng.IntN(254))})
}

// header is rsyslog's traditional file format prefix.
func (g *Generator) header(t time.Time) string {
	return t.In(g.Loc).Format(time.Stamp) + " " + g.Host + " "
}

func pan(t time.Time) string { return t.Format("2006/01/02 15:04:05") }

func csvTraffic(l Line, g *Generator) string {
	f := make([]string, 76) // PAN-OS 9.1 has 75 fields; index 0 unused
	t := pan(l.Time.In(g.Loc))
	set(f, map[int]string{1: "1", 2: t, 3: "007200001165", 4: "TRAFFIC", 5: "end", 6: "2305", 7: t,
		8: l.Src.String(), 9: l.Dst.String(), 10: "0.0.0.0", 11: "0.0.0.0", 12: l.Rule, 13: `corp\alice`,
		15: "ssl", 16: "vsys1", 17: "untrust", 18: "trust", 19: "ethernet1/1", 20: "ethernet1/2",
		21: "Forward", 22: t, 23: strconv.Itoa(10000 + g.n), 24: "1", 25: itoa(l.SrcPort), 26: itoa(l.DstPort),
		27: "0", 28: "0", 29: "0x400053", 30: "tcp", 31: l.Action, 32: "1500", 33: "700", 34: "800", 35: "12",
		36: t, 37: "3", 38: "any", 40: "7204134051344758260", 41: "0x0", 42: l.SrcCountry, 43: l.DstCountry,
		45: "6", 46: "6", 47: "tcp-fin", 53: g.Host, 54: "from-policy", 61: "N/A", 66: "73a06abf-75ca-436f-9319-1a15b27fa692"})
	return strings.Join(f[1:], ",")
}

func csvThreat(l Line, g *Generator) string {
	f := make([]string, 80) // PAN-OS 9.1 has 79 fields
	t := pan(l.Time.In(g.Loc))
	set(f, map[int]string{1: "1", 2: t, 3: "007200001165", 4: "THREAT", 5: l.subtype(), 6: "2305", 7: t,
		8: l.Src.String(), 9: l.Dst.String(), 10: "0.0.0.0", 11: "0.0.0.0", 12: l.Rule, 15: "web-browsing",
		16: "vsys1", 17: "untrust", 18: "dmz", 19: "ethernet1/1", 20: "ethernet1/3", 21: "Forward", 22: t,
		23: strconv.Itoa(20000 + g.n), 24: "1", 25: itoa(l.SrcPort), 26: itoa(l.DstPort), 27: "0", 28: "0",
		29: "0x402000", 30: "tcp", 31: l.Action, 32: `"www.example.com/a,b/""quoted"""`,
		33: l.ThreatName + "(" + strconv.FormatUint(l.ThreatID, 10) + ")", 34: "any", 35: l.Severity,
		36: "client-to-server", 37: "7204134051339790802", 38: "0x8000000000000000", 39: l.SrcCountry,
		40: l.DstCountry, 60: g.Host, 69: "N/A", 70: "brute-force", 71: "AppThreat-8727-8140",
		76: `"computer-and-internet-info,low-risk"`, 77: "73a06abf-75ca-436f-9319-1a15b27fa692"})
	return strings.Join(f[1:], ",")
}

func kv(l Line, g *Generator) string {
	tid, tname, sev, sub := "", "", "", "end"
	if l.Type == "THREAT" {
		tid = l.ThreatName + "(" + strconv.FormatUint(l.ThreatID, 10) + ")"
		tname, sev, sub = tid, l.Severity, l.subtype()
	}
	return fmt.Sprintf("SrcLocation=%s; SrcIP=%s; SrcPort=%d; SrcUser=; DstLocation=%s; DstIP=%s; DstPort=%d; "+
		"Action=%s; RuleName=%s; RuleID=73a06abf-75ca-436f-9319-1a15b27fa692; TimeReceived=%s; ThreatName=%s; "+
		"ThreatID=%s; Severity=%s; Subtype=%s; Type= %s;",
		l.SrcCountry, l.Src, l.SrcPort, l.DstCountry, l.Dst, l.DstPort, l.Action, l.Rule,
		pan(l.Time.In(g.Loc)), tname, tid, sev, sub, l.Type)
}

func (g *Generator) garbage() string {
	switch g.rng.IntN(4) {
	case 0:
		return "this is not a firewall log " + strconv.Itoa(g.n)
	case 1:
		return "CEF:0|Palo Alto Networks|Traps Agent|4.0|x|y|3|" + strconv.Itoa(g.n)
	case 2:
		return "1,2026/13/45 99:99:99,001,TRAFFIC,end,1,x,not-an-ip,also-not,0,0"
	default:
		return "SrcIP=999.1.1.1; DstIP=10.0.0.1; Type= TRAFFIC; n=" + strconv.Itoa(g.n)
	}
}

func set(f []string, m map[int]string) {
	for i, v := range m {
		f[i] = v
	}
}

func itoa(p uint16) string { return strconv.Itoa(int(p)) }

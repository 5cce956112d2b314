package ui

import (
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/activedefense/activedefense/schema"
)

// recordFilter is a syslog records search, kept in the URL.
type recordFilter struct {
	Device, Range, From, To      string
	At                           int64 // the "now" the search is pinned to (stable pages)
	Src, Dst, SrcPort, DstPort   string
	SrcCountry, DstCountry, User string
	Severity, Action, Type, Rule string
	Threat                       string
	Page, PerPage                int
	from, to                     time.Time
	srcLo, srcHi, dstLo, dstHi   netip.Addr
	srcPort, dstPort, severity   int
}

// Time presets of the search and the dashboard.
var rangePresets = []struct{ Key, Label string }{
	{"15m", "last 15 minutes"}, {"1h", "last hour"}, {"6h", "last 6 hours"}, {"24h", "last 24 hours"},
	{"7d", "last 7 days"}, {"30d", "last 30 days"}, {"custom", "custom range (UTC)"},
}

var severities = []string{"informational", "low", "medium", "high", "critical"}

// customLayout is the HTML datetime-local format; custom ranges are UTC.
const customLayout = "2006-01-02T15:04"

func presetDuration(key string) (time.Duration, bool) {
	switch key {
	case "15m":
		return 15 * time.Minute, true
	case "1h":
		return time.Hour, true
	case "6h":
		return 6 * time.Hour, true
	case "24h", "":
		return 24 * time.Hour, true
	case "7d":
		return 7 * 24 * time.Hour, true
	case "30d":
		return 30 * 24 * time.Hour, true
	}
	return 0, false
}

// parseRecordFilter reads and validates a search; errs names the fields.
func parseRecordFilter(get func(string) string, now time.Time) (recordFilter, map[string]string) {
	f := recordFilter{Device: get("device"), Range: get("range"), From: get("from"), To: get("to"),
		Src: get("src"), Dst: get("dst"), SrcPort: get("sport"), DstPort: get("dport"),
		SrcCountry: get("scountry"), DstCountry: get("dcountry"), User: get("user"), Severity: get("severity"),
		Action: get("action"), Type: get("type"), Rule: get("rule"), Threat: get("threat")}
	errs := map[string]string{}
	for k, v := range map[string]string{"device": f.Device, "scountry": f.SrcCountry, "dcountry": f.DstCountry,
		"user": f.User, "action": f.Action, "rule": f.Rule, "threat": f.Threat} {
		if len(v) > 256 {
			errs[k] = "is too long (at most 256 characters)"
		}
	}
	if f.Range == "" {
		f.Range = "24h"
	}
	f.At = now.Unix()
	if at, err := strconv.ParseInt(get("at"), 10, 64); err == nil && at > 0 && at <= now.Unix() {
		f.At = at
	}
	f.parseRange(time.Unix(f.At, 0).UTC(), errs)
	f.srcLo, f.srcHi = parseRange6("src", f.Src, errs)
	f.dstLo, f.dstHi = parseRange6("dst", f.Dst, errs)
	f.srcPort = parsePort("sport", f.SrcPort, errs)
	f.dstPort = parsePort("dport", f.DstPort, errs)
	f.severity = -1
	if f.Severity != "" {
		f.severity = indexOf(severities, f.Severity) + 1
		if f.severity == 0 {
			errs["severity"] = "must be one of " + strings.Join(severities, ", ")
		}
	}
	if f.Type != "" && f.Type != "TRAFFIC" && f.Type != "THREAT" {
		errs["type"] = "must be TRAFFIC or THREAT"
	}
	f.Page = max(1, min(atoiOr(get("page"), 1), 1000))
	f.PerPage = atoiOr(get("n"), 50)
	if f.PerPage != 25 && f.PerPage != 50 && f.PerPage != 100 && f.PerPage != 200 {
		f.PerPage = 50
	}
	return f, errs
}

func (f *recordFilter) parseRange(now time.Time, errs map[string]string) {
	if d, ok := presetDuration(f.Range); ok {
		f.from, f.to = now.Add(-d), now.Add(time.Minute) // a little skew into the future still shows
		return
	}
	if f.Range != "custom" {
		errs["range"] = "must be one of 15m, 1h, 6h, 24h, 7d, 30d or custom"
		f.Range = "24h"
		f.from, f.to = now.Add(-24*time.Hour), now.Add(time.Minute)
		return
	}
	var err error
	if f.from, err = time.Parse(customLayout, f.From); err != nil {
		errs["from"] = "must be a date and time such as 2026-11-30T08:00 (UTC)"
	}
	if f.To == "" {
		f.to = now.Add(time.Minute)
	} else if f.to, err = time.Parse(customLayout, f.To); err != nil {
		errs["to"] = "must be a date and time such as 2026-11-30T09:00 (UTC)"
	}
	if errs["from"] == "" && errs["to"] == "" && !f.to.After(f.from) {
		errs["to"] = "must be after the start"
	}
}

// parseRange6 parses an address or CIDR into an IPv6 range (IPv4 as
// IPv4-mapped, as the table stores it).
func parseRange6(field, s string, errs map[string]string) (lo, hi netip.Addr) {
	if s == "" {
		return
	}
	p, err := schema.ParsePrefix(s)
	if err != nil {
		errs[field] = "must be an IP address or a CIDR such as 203.0.113.0/24 or 2001:db8::/32"
		return
	}
	bits := p.Bits()
	a := p.Addr()
	if a.Is4() {
		a, bits = netip.AddrFrom16(a.As16()), bits+96
	}
	b := a.As16()
	for i := bits; i < 128; i++ {
		b[i/8] |= 1 << (7 - i%8)
	}
	return a, netip.AddrFrom16(b)
}

func parsePort(field, s string, errs map[string]string) int {
	if s == "" {
		return -1
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 65535 {
		errs[field] = "must be a port number from 0 to 65535"
		return -1
	}
	return n
}

func atoiOr(s string, def int) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return def
	}
	return n
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

// where renders the filter as conditions on firewall_logs' typed columns
// with bound parameters.
func (f recordFilter) where() (string, schema.Params) {
	w := []string{"ts >= {from:DateTime}", "ts < {to:DateTime}"}
	p := schema.Params{"from": f.from, "to": f.to}
	eq := func(col, name, typ string, v any) {
		w = append(w, fmt.Sprintf("%s = {%s:%s}", col, name, typ))
		p[name] = v
	}
	ipRange := func(col, name string, lo, hi netip.Addr) {
		if !lo.IsValid() {
			return
		}
		if lo == hi {
			w = append(w, fmt.Sprintf("%s = toIPv6({%s:String})", col, name))
			p[name] = lo.String()
			return
		}
		w = append(w, fmt.Sprintf("%s BETWEEN toIPv6({%slo:String}) AND toIPv6({%shi:String})", col, name, name))
		p[name+"lo"], p[name+"hi"] = lo.String(), hi.String()
	}
	if f.Device != "" {
		eq("device", "device", "String", f.Device)
	}
	ipRange("src_ip", "src", f.srcLo, f.srcHi)
	ipRange("dst_ip", "dst", f.dstLo, f.dstHi)
	if f.srcPort >= 0 {
		eq("src_port", "sport", "UInt16", f.srcPort)
	}
	if f.dstPort >= 0 {
		eq("dst_port", "dport", "UInt16", f.dstPort)
	}
	for _, x := range []struct{ col, v string }{{"src_country", f.SrcCountry}, {"dst_country", f.DstCountry},
		{"src_user", f.User}, {"action", f.Action}, {"type", f.Type}, {"rule", f.Rule}} {
		if x.v != "" {
			eq(x.col, x.col, "String", x.v)
		}
	}
	if f.severity > 0 {
		w = append(w, "CAST(severity, 'Int8') >= {severity:Int8}")
		p["severity"] = f.severity
	}
	if f.Threat != "" {
		w = append(w, "positionCaseInsensitiveUTF8(threat_name, {threat:String}) > 0")
		p["threat"] = f.Threat
	}
	return strings.Join(w, " AND "), p
}

// query returns the filter as URL parameters (with the page and pin).
func (f recordFilter) query(page int) string {
	v := url.Values{}
	set := func(k, x string) {
		if x != "" {
			v.Set(k, x)
		}
	}
	set("device", f.Device)
	set("range", f.Range)
	if f.Range == "custom" {
		set("from", f.From)
		set("to", f.To)
	}
	set("src", f.Src)
	set("dst", f.Dst)
	set("sport", f.SrcPort)
	set("dport", f.DstPort)
	set("scountry", f.SrcCountry)
	set("dcountry", f.DstCountry)
	set("user", f.User)
	set("severity", f.Severity)
	set("action", f.Action)
	set("type", f.Type)
	set("rule", f.Rule)
	set("threat", f.Threat)
	if f.PerPage != 50 {
		v.Set("n", strconv.Itoa(f.PerPage))
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
		v.Set("at", strconv.FormatInt(f.At, 10))
	}
	return v.Encode()
}

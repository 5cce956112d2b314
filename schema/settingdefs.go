package schema

import (
	"fmt"
	"net/mail"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Kind is the type of a setting's value.
type Kind string

// Setting kinds.
const (
	KindInt      Kind = "int"
	KindBool     Kind = "bool"
	KindDuration Kind = "duration" // a Go duration such as 60s or 24h
	KindEnum     Kind = "enum"
	KindNetworks Kind = "networks" // comma-separated addresses and CIDRs
	KindList     Kind = "list"     // comma-separated words
	KindString   Kind = "string"
	KindHost     Kind = "host"   // a host name or address, no scheme or port
	KindEmail    Kind = "email"  // one address
	KindSecret   Kind = "secret" // stored encrypted with the key file
	KindDigest   Kind = "digest" // stored as a keyed hash; only compared
)

// SettingDef describes one setting: its type, default, allowed range and
// what it does.
type SettingDef struct {
	Key     string   `json:"key"`
	Kind    Kind     `json:"kind"`
	Default string   `json:"default"`
	Min     int64    `json:"min,omitempty"` // KindInt; for KindDuration in seconds
	Max     int64    `json:"max,omitempty"`
	Enum    []string `json:"enum,omitempty"`
	Help    string   `json:"help"`
}

// Setting keys used by the program itself.
const (
	SystemEnabled      = "system.enabled"
	DetectInterval     = "detect.interval"
	DetectMode         = "detect.mode"
	DetectLookback     = "detect.lookback"
	DetectMaxNew       = "detect.max_new_per_run"
	PortscanPorts      = "portscan.ports"
	PortscanMinutes    = "portscan.minutes"
	PortscanMode       = "portscan.mode"
	SweepHosts         = "sweep.hosts"
	SweepMinutes       = "sweep.minutes"
	SweepMode          = "sweep.mode"
	VulnLevel          = "vuln.level"
	VulnSubtypes       = "vuln.subtypes"
	VulnMode           = "vuln.mode"
	RetentionMonths    = "retention.months"
	ReleaseMonths      = "release.months"
	ReleaseEscalation  = "release.escalation"
	ReleaseMaxMonths   = "release.max_months"
	OurNetworks        = "our.networks"
	DeviceSilenceMins  = "device.silence_minutes"
	EDLMaxEntries      = "edl.max_entries"
	EDLUser            = "edl.user"
	EDLPassword        = "edl.password"
	EDLAllow           = "edl.allow"
	EDLAggregate       = "edl.aggregate"
	EDLStaleMinutes    = "edl.stale_minutes"
	SMTPHost           = "smtp.host"
	SMTPPort           = "smtp.port"
	SMTPTLS            = "smtp.tls"
	SMTPUser           = "smtp.username"
	SMTPPassword       = "smtp.password"
	SMTPFrom           = "smtp.from"
	ModeBlock          = "block"
	ModeMonitor        = "monitor"
	ModeInherit        = "inherit"
	settingRetentionOn = "retention_days" // the TTL applied, in days (internal)
)

var modes = []string{ModeInherit, ModeBlock, ModeMonitor}

// SettingDefs lists every setting in display order.
var SettingDefs = []SettingDef{
	{Key: SystemEnabled, Kind: KindBool, Default: "true", Help: "run detection, expiry and feeds (logs are ingested either way)"},
	{Key: DetectInterval, Kind: KindDuration, Default: "60s", Min: 10, Max: 3600, Help: "how often detection runs"},
	{Key: DetectMode, Kind: KindEnum, Default: ModeBlock, Enum: []string{ModeBlock, ModeMonitor}, Help: "block: list detected sources in the EDL; monitor: record them as would-block only"},
	{Key: DetectLookback, Kind: KindDuration, Default: "24h", Min: 600, Max: 30 * 86400, Help: "history re-evaluated after a settings or allowlist change"},
	{Key: DetectMaxNew, Kind: KindInt, Default: "500", Min: 1, Max: 1000000, Help: "new blocks per run; beyond it the rest are held for approval"},
	{Key: PortscanPorts, Kind: KindInt, Default: "15", Min: 1, Max: 65535, Help: "port scan: more than this many distinct destination ports on one destination"},
	{Key: PortscanMinutes, Kind: KindInt, Default: "10", Min: 0, Max: 1440, Help: "port scan: within this many minutes (0 turns the case off)"},
	{Key: PortscanMode, Kind: KindEnum, Default: ModeInherit, Enum: modes, Help: "port scan: block, monitor, or inherit detect.mode"},
	{Key: SweepHosts, Kind: KindInt, Default: "10", Min: 1, Max: 1000000, Help: "host sweep: more than this many distinct destinations on one destination port"},
	{Key: SweepMinutes, Kind: KindInt, Default: "10", Min: 0, Max: 1440, Help: "host sweep: within this many minutes (0 turns the case off)"},
	{Key: SweepMode, Kind: KindEnum, Default: ModeInherit, Enum: modes, Help: "host sweep: block, monitor, or inherit detect.mode"},
	{Key: VulnLevel, Kind: KindInt, Default: "1", Min: 0, Max: 2, Help: "vulnerability attacks: 1 = critical, 2 = critical or high, 0 = off"},
	{Key: VulnSubtypes, Kind: KindList, Default: "vulnerability", Help: "THREAT subtypes that count as vulnerability attacks"},
	{Key: VulnMode, Kind: KindEnum, Default: ModeInherit, Enum: modes, Help: "vulnerability attacks: block, monitor, or inherit detect.mode"},
	{Key: RetentionMonths, Kind: KindInt, Default: "3", Min: 1, Max: 120, Help: "months of firewall logs and detections to keep (31 days a month)"},
	{Key: ReleaseMonths, Kind: KindInt, Default: "1", Min: 1, Max: 120, Help: "release a listed source after this many months without activity"},
	{Key: ReleaseEscalation, Kind: KindInt, Default: "2", Min: 1, Max: 10, Help: "a source listed again gets its last release window times this"},
	{Key: ReleaseMaxMonths, Kind: KindInt, Default: "12", Min: 1, Max: 120, Help: "longest release window"},
	{Key: OurNetworks, Kind: KindNetworks, Default: "", Help: "our public ranges: never blocked; tell inbound from outbound"},
	{Key: DeviceSilenceMins, Kind: KindInt, Default: "30", Min: 0, Max: 10080, Help: "a device with no new line for this many minutes is silent (0 = never)"},
	{Key: EDLMaxEntries, Kind: KindInt, Default: "50000", Min: 0, Max: 10000000, Help: "most entries per EDL, keeping the most severe and most recent (0 = no cap)"},
	{Key: EDLUser, Kind: KindString, Default: "", Help: "EDL basic-auth user (empty: no auth)"},
	{Key: EDLPassword, Kind: KindDigest, Default: "", Help: "EDL basic-auth password (stored as a keyed hash)"},
	{Key: EDLAllow, Kind: KindNetworks, Default: "", Help: "addresses allowed to poll the EDL (empty: any)"},
	{Key: EDLAggregate, Kind: KindBool, Default: "false", Help: "merge addresses into CIDRs where every address of the prefix is listed"},
	{Key: EDLStaleMinutes, Kind: KindInt, Default: "90", Min: 5, Max: 100000, Help: "a firewall that has not polled for this many minutes is flagged"},
	{Key: SMTPHost, Kind: KindHost, Default: "", Help: "mail server (empty: no email)"},
	{Key: SMTPPort, Kind: KindInt, Default: "587", Min: 1, Max: 65535, Help: "mail server port"},
	{Key: SMTPTLS, Kind: KindEnum, Default: "starttls", Enum: []string{"starttls", "tls", "none"}, Help: "starttls, implicit tls, or none (only to localhost)"},
	{Key: SMTPUser, Kind: KindString, Default: "", Help: "mail server user (empty: no authentication)"},
	{Key: SMTPPassword, Kind: KindSecret, Default: "", Help: "mail server password (stored encrypted with the key file)"},
	{Key: SMTPFrom, Kind: KindEmail, Default: "", Help: "sender address of notifications"},
}

// SettingDefOf returns the definition of key.
func SettingDefOf(key string) (SettingDef, bool) {
	i := slices.IndexFunc(SettingDefs, func(d SettingDef) bool { return d.Key == key })
	if i < 0 {
		return SettingDef{}, false
	}
	return SettingDefs[i], true
}

// Normalize validates value for the setting and returns its canonical form.
// Errors are *FieldError values naming the key and the allowed values.
func (d SettingDef) Normalize(value string) (string, error) {
	v := strings.TrimSpace(value)
	switch d.Kind {
	case KindInt:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < d.Min || n > d.Max {
			return "", Invalid(d.Key, "must be a whole number from %d to %d, got %q", d.Min, d.Max, clip(value))
		}
		return strconv.FormatInt(n, 10), nil
	case KindBool:
		b, err := strconv.ParseBool(v)
		if err != nil {
			switch strings.ToLower(v) {
			case "on", "yes":
				b, err = true, nil
			case "off", "no":
				b, err = false, nil
			}
		}
		if err != nil {
			return "", Invalid(d.Key, "must be true or false, got %q", clip(value))
		}
		return strconv.FormatBool(b), nil
	case KindDuration:
		dur, err := time.ParseDuration(v)
		if err != nil || dur < time.Duration(d.Min)*time.Second || dur > time.Duration(d.Max)*time.Second {
			return "", Invalid(d.Key, "must be a duration from %s to %s (e.g. 60s, 5m, 24h), got %q",
				time.Duration(d.Min)*time.Second, time.Duration(d.Max)*time.Second, clip(value))
		}
		return dur.String(), nil
	case KindEnum:
		if !slices.Contains(d.Enum, v) {
			return "", Invalid(d.Key, "must be one of %s, got %q", strings.Join(d.Enum, ", "), clip(value))
		}
		return v, nil
	case KindNetworks:
		nets, err := ParseNetworks(v)
		if err != nil {
			return "", Invalid(d.Key, "%v", err)
		}
		return strings.Join(nets, ","), nil
	case KindList:
		return normalizeList(d.Key, v)
	case KindHost:
		if v != "" && !validHost(v) {
			return "", Invalid(d.Key, "must be a host name or address without scheme or port, got %q", clip(value))
		}
		return v, nil
	case KindEmail:
		if v == "" {
			return v, nil
		}
		return NormalizeEmail(d.Key, v)
	case KindString, KindSecret, KindDigest:
		if len(value) > 1024 || strings.ContainsAny(value, "\r\n\x00") {
			return "", Invalid(d.Key, "must be one line of at most 1024 bytes")
		}
		return value, nil
	}
	return "", fmt.Errorf("setting %s has unknown kind %s", d.Key, d.Kind)
}

// ParseNetworks parses comma- or space-separated addresses and CIDRs and
// returns them in canonical form (an address as a single-address prefix is
// shown as the address).
func ParseNetworks(s string) ([]string, error) {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\t' }) {
		p, err := ParsePrefix(f)
		if err != nil {
			return nil, err
		}
		out = append(out, PrefixString(p))
	}
	return out, nil
}

// ParsePrefix parses an address or a CIDR. The prefix is masked; IPv4-mapped
// IPv6 addresses become IPv4.
func ParsePrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not an address or CIDR", clip(s))
		}
		a := p.Addr()
		bits := p.Bits()
		if a.Is4In6() && bits >= 96 {
			a, bits = a.Unmap(), bits-96
		}
		return netip.PrefixFrom(a.WithZone(""), bits).Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("%q is not an address or CIDR", clip(s))
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// PrefixString shows a single-address prefix as the address.
func PrefixString(p netip.Prefix) string {
	if p.IsSingleIP() {
		return p.Addr().String()
	}
	return p.String()
}

// ParseAddr parses one IP address (IPv4-mapped IPv6 becomes IPv4), naming
// field in the error.
func ParseAddr(field, s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, Invalid(field, "%q is not an IP address", clip(s))
	}
	return a.Unmap(), nil
}

// NormalizeEmail validates one e-mail address.
func NormalizeEmail(field, s string) (string, error) {
	a, err := mail.ParseAddress(strings.TrimSpace(s))
	if err != nil || a.Name != "" || !strings.Contains(a.Address, "@") || len(a.Address) > 254 {
		return "", Invalid(field, "%q is not an e-mail address", clip(s))
	}
	return a.Address, nil
}

func normalizeList(key, v string) (string, error) {
	var out []string
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' }) {
		if len(f) > 64 || strings.ContainsAny(f, "'\"\\;") {
			return "", Invalid(key, "%q is not a valid word", clip(f))
		}
		out = append(out, f)
	}
	return strings.Join(out, ","), nil
}

func validHost(h string) bool {
	if _, err := netip.ParseAddr(h); err == nil {
		return true
	}
	if len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// clip shortens a value quoted back in an error message.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

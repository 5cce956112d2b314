package panos

import (
	"net/netip"
	"strings"
	"time"
)

// Format says which wire format a line used.
type Format uint8

// Wire formats recognised by the parser.
const (
	// FormatUnknown is the zero value: no PAN-OS payload was found.
	FormatUnknown Format = iota
	// FormatCSV is the PAN-OS default comma-separated format.
	FormatCSV
	// FormatKV is the custom "Key=value;" format described in doc.go.
	FormatKV
)

// String returns "csv", "kv" or "unknown".
func (f Format) String() string {
	switch f {
	case FormatCSV:
		return "csv"
	case FormatKV:
		return "kv"
	default:
		return "unknown"
	}
}

// Severity is the THREAT severity; zero means none (TRAFFIC).
type Severity uint8

// Severities in increasing order, as PAN-OS names them.
const (
	// SeverityNone means no severity (TRAFFIC logs, or none given).
	SeverityNone Severity = iota
	// SeverityInformational is PAN-OS "informational".
	SeverityInformational
	// SeverityLow is PAN-OS "low".
	SeverityLow
	// SeverityMedium is PAN-OS "medium".
	SeverityMedium
	// SeverityHigh is PAN-OS "high".
	SeverityHigh
	// SeverityCritical is PAN-OS "critical".
	SeverityCritical
)

var severityNames = [...]string{"", "informational", "low", "medium", "high", "critical"}

// String returns the lower-case PAN-OS name, or "" for SeverityNone and out-of-range values.
func (s Severity) String() string {
	if int(s) < len(severityNames) {
		return severityNames[s]
	}
	return ""
}

// ParseSeverity parses a PAN-OS severity name case-insensitively, ignoring surrounding spaces.
// It reports false for anything else, including the empty string.
func ParseSeverity(s string) (Severity, bool) {
	s = trimSpace(s)
	for i := 1; i < len(severityNames); i++ {
		if len(s) == len(severityNames[i]) && strings.EqualFold(s, severityNames[i]) {
			return Severity(i), true
		}
	}
	return SeverityNone, false
}

// Record is one parsed TRAFFIC or THREAT log.
//
// String fields may be substrings of the input line (they are copied only when
// unescaping requires it), so callers must copy what they keep if the line's
// memory is reused. All string fields except Misc are trimmed of surrounding spaces.
type Record struct {
	// Format is the wire format of the line.
	Format Format
	// Type is "TRAFFIC" or "THREAT" (upper case).
	Type string
	// Subtype is the PAN subtype in lower case, e.g. "end", "drop", "vulnerability", "url".
	Subtype string
	// Time is the PAN receive time (CSV field 2, KV TimeReceived) as an instant; never zero on success.
	Time time.Time
	// Generated is the PAN generated time (CSV field 7); it equals Time when absent or invalid.
	Generated time.Time
	// Host is the hostname from the (innermost) syslog header, "" if none.
	Host string
	// Serial is the firewall serial number (CSV field 3).
	Serial string
	// DeviceName is the PAN device_name column when present.
	DeviceName string
	// Vsys is the virtual system (CSV field 16).
	Vsys string

	// SrcIP and DstIP are the session addresses; IPv4 is a 4-byte Addr. Always valid on success.
	SrcIP, DstIP netip.Addr
	// NATSrcIP and NATDstIP are the translated addresses; the zero Addr when the field is empty.
	NATSrcIP, NATDstIP netip.Addr
	// SrcPort, DstPort, NATSrcPort and NATDstPort are the session ports (0 when absent).
	SrcPort, DstPort, NATSrcPort, NATDstPort uint16

	// SrcCountry and DstCountry are srcloc/dstloc as given ("United States", "US", "10.0.0.0-10.255.255.255").
	SrcCountry, DstCountry string
	// SrcUser and DstUser are the user columns as given (backslashes are not escapes).
	SrcUser, DstUser string
	// SrcZone and DstZone are the from/to zones.
	SrcZone, DstZone string
	// InboundIf and OutboundIf are the interfaces.
	InboundIf, OutboundIf string
	// Rule is the security rule name; RuleUUID its UUID (PAN-OS 9.0+ or KV RuleID).
	Rule, RuleUUID string
	// App, Proto and Action are kept as given ("reset both", "reset-both", "drop ICMP").
	App, Proto, Action string

	// SessionID is the PAN session id.
	SessionID uint64
	// RepeatCount is the PAN repeat count.
	RepeatCount uint32
	// BytesSent, BytesRecv and Packets are TRAFFIC counters (zero for THREAT).
	BytesSent, BytesRecv, Packets uint64
	// ElapsedSec is the TRAFFIC session duration in seconds.
	ElapsedSec uint32
	// Category is the URL category / WildFire verdict (THREAT) or the TRAFFIC URL category.
	Category string
	// SessionEndReason is the TRAFFIC session end reason (PAN-OS 7.0+).
	SessionEndReason string

	// Misc is the THREAT URL or file name, unquoted and unescaped.
	Misc string
	// ThreatName is the threat name without its trailing "(id)"; "" for URL filtering "(9999)".
	ThreatName string
	// ThreatID is the last "(digits)" group of the threat column; 0 if none.
	ThreatID uint64
	// Severity is the THREAT severity; SeverityNone for TRAFFIC.
	Severity Severity
	// Direction is the THREAT direction as given ("client-to-server").
	Direction string
	// ThreatCategory is the PAN-OS 8.0+ thr_category column ("spyware", "brute-force").
	ThreatCategory string

	// SrcEDL and DstEDL name the External Dynamic List that matched the
	// source or destination address (PAN-OS 10.0+; KV SrcEDL/DstEDL).
	SrcEDL, DstEDL string
}

// Log type names as stored in Record.Type.
const (
	typeTraffic = "TRAFFIC"
	typeThreat  = "THREAT"
)

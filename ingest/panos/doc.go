// Package panos parses Palo Alto Networks PAN-OS firewall syslog lines (TRAFFIC and
// THREAT logs) into Records. It is pure: no I/O, no global state, standard library only.
// The field positions, header forms and quirks it implements are those of
// docs/PANOS-FORMATS.md in the shared project folder.
//
// # Formats
//
// Every line is auto-detected:
//
//   - FormatCSV, the PAN-OS default comma-separated format, PAN-OS 6.1 through 11.x.
//     Columns are addressed by 1-based position (TRAFFIC: src 8, dst 9, ..., rule_uuid 66,
//     src/dst External Dynamic List 96-97; THREAT: misc 32, threatid 33, ..., rule_uuid 77,
//     src/dst External Dynamic List 100-101). Extra trailing columns are ignored
//     and missing trailing columns read as empty, but a line must reach the action column
//     (31). Quoting is RFC 4180 with doubled quotes, applied lazily: a quote inside an
//     unquoted field, or an opening quote that is never properly closed, is literal.
//     Outside quotes a balanced {a, b, c} list (TRAFFIC Link Switches) is one field.
//   - FormatKV, the custom "Key=value;" format with the keys SrcLocation, SrcIP, SrcPort,
//     SrcUser, DstLocation, DstIP, DstPort, Action, RuleName, RuleID, TimeReceived,
//     ThreatName, ThreatID, Severity, Subtype, Type, SrcEDL and DstEDL (PAN-OS 10.0+
//     variables $src_edl and $dst_edl). Keys are case-insensitive; keys and
//     values are trimmed; missing, empty, reordered and unknown keys are tolerated; an
//     unsubstituted "$variable" value counts as empty. Values may contain spaces and '='
//     but not ';' (PAN applies no escaping). Without Type a line is THREAT when it has a
//     threat id, threat name or severity, else TRAFFIC.
//
// The payload is located without trusting the syslog header: a CSV payload starts at
// the field just before the first ",<timestamp>," (Elastic's rule), a Key=value payload
// at the first known key followed by '='. SplitHeader then reads the header before it
// (BSD/RFC 3164 with or without hostname, RFC 5424, octet counting, relay double headers,
// rsyslog file formats, ISO timestamps without PRI, or nothing at all).
//
// # Outcomes
//
// Parse returns nil for a TRAFFIC or THREAT record; a *SkipError for well-formed logs of
// other PAN-OS types (SYSTEM, CONFIG, HIPMATCH, HIP-MATCH, GLOBALPROTECT, CORRELATION,
// USERID, DECRYPTION, AUTHENTICATION, IPTAG, GTP, SCTP, TUNNEL); and a *RejectError with a
// stable Reason for everything else: empty lines, lines without a PAN-OS payload
// (unrecognized_format), CEF/LEEF lines (unsupported_format), unknown or empty type
// words, lines ending before the action column, invalid receive times, invalid source or
// destination addresses, ports outside 0..65535, non-numeric counters or NAT addresses
// (bad_field), and CSV THREAT severities that are present but not a PAN-OS severity
// (bad_severity; such lines almost always have shifted columns). The Reason* constants
// list every reason. Parse never panics (it is fuzzed) and runs in linear time.
//
// # Decisions
//
//   - Record.Time is the PAN receive time (CSV field 2, KV TimeReceived), not the
//     generated time and not the syslog header time. Generated is field 7, or Time when
//     that is empty or invalid. PAN's own date always wins over the header.
//   - PAN timestamps without an offset ("2025/06/20 15:22:38") are read in
//     Options.Location, the zone configured on the device. ISO-8601 times with "Z" or an
//     offset are exact. Dates before 1970 and impossible dates (Wazuh's "2020/00/00"
//     placeholders) are rejected with bad_time.
//   - Key=value lines without TimeReceived take the syslog header's time; an RFC 3164
//     header has no year, so the year nearest Options.Now is used (a December line read in
//     January belongs to the previous year).
//   - Record strings are substrings of the line where possible; only quoted fields with
//     doubled quotes (and a Subtype with upper-case letters, which is lower-cased) are
//     copied. All strings except Misc are trimmed of spaces.
//   - A key whose value starts with '"' never starts a Key=value payload: RFC 5424
//     structured data ([meta type="x"]) is header, not payload.
//   - ThreatID is the last "(digits)" group of the threat column and ThreatName the text
//     before it: "Windows Executable (EXE)(52020)" gives "Windows Executable (EXE)" and
//     52020; URL filtering's "(9999)" gives "" and 9999.
//   - Action, countries and users are kept as given ("reset both", "US",
//     "10.0.0.0-10.255.255.255", `domain\user`).
//   - Host is the hostname of the innermost syslog header; DeviceName is PAN's own
//     device_name column.
//
// # Cortex Data Lake lines
//
// Lines relayed by the Cortex Data Lake / Strata Logging Service log forwarder
// ("<14>1 ... logforwarder - panwlogs - 2021-10-27T19:20:59.000000Z,no-serial,TRAFFIC,...")
// have no field 1 and use ISO-8601 microsecond UTC timestamps. Inspection of the fixture
// lines showed that their layout is NOT the default one shifted by one column: further
// columns are missing. TRAFFIC omits field 1 and the FUTURE_USE/flags columns 22, 29, 39,
// 41 (actionflags) and 44, so that src is column 7, sport 23, action 28, srcloc 37,
// session_end_reason 41, device_name 47 and rule_uuid 60 of the CDL line. THREAT omits
// field 1, 22, 29 and the category column: misc is 29, then one column holding the threat
// ("Name(id)") or, for url logs that have no threat id, the URL category, then severity
// (capitalised, "Informational"), direction ("client to server" with spaces), seqno and
// srcloc/dstloc at 34/35. Later CDL THREAT columns vary by subtype, so DeviceName,
// RuleUUID and ThreatCategory are not extracted for CDL THREAT lines. A CDL line is
// recognised by a timestamp before the first comma and a log-type word in its third field.
// Lines that keep field 1 but use ISO timestamps (Elastic's traffic_nanos_time fixture)
// follow the default layout and need no special handling.
//
// # Concurrency and performance
//
// A Parser keeps a split buffer and a two-slot timestamp cache, so it must not be shared
// between goroutines; create one per goroutine. A typical line is parsed in about a
// microsecond without allocations (see BenchmarkParse).
package panos

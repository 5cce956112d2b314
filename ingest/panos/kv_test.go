package panos

import "testing"

// kvGuide is the custom format of the Active Defense install guide with values substituted.
const kvGuide = "SrcLocation=China; SrcIP=203.0.113.77; SrcPort=51515; SrcUser=; DstLocation=United States; " +
	"DstIP=10.1.2.3; DstPort=22; Action=reset-both; RuleName=Inbound SSH; RuleID=73a06abf-75ca-436f-9319-1a15b27fa692; " +
	"TimeReceived=2025/06/20 15:22:38; ThreatName=SSH User Authentication Brute Force Attempt(40015); " +
	"ThreatID=SSH User Authentication Brute Force Attempt(40015); Severity=high; Subtype=vulnerability; Type= THREAT;"

func TestParseKVGuide(t *testing.T) {
	r := mustParse(t, "<14>Jun 20 15:22:38 LAB-FW-01 "+kvGuide)
	eq(t, "Format", r.Format.String(), "kv")
	eq(t, "Type", r.Type, "THREAT")
	eq(t, "Subtype", r.Subtype, "vulnerability")
	eq(t, "Host", r.Host, "LAB-FW-01")
	eq(t, "Time", utc(r.Time), "2025-06-20T19:22:38Z")
	eq(t, "Generated", utc(r.Generated), "2025-06-20T19:22:38Z")
	eq(t, "SrcIP", r.SrcIP.String(), "203.0.113.77")
	eq(t, "DstIP", r.DstIP.String(), "10.1.2.3")
	eqU(t, "SrcPort", uint64(r.SrcPort), 51515)
	eqU(t, "DstPort", uint64(r.DstPort), 22)
	eq(t, "SrcCountry", r.SrcCountry, "China")
	eq(t, "DstCountry", r.DstCountry, "United States")
	eq(t, "SrcUser", r.SrcUser, "")
	eq(t, "Action", r.Action, "reset-both")
	eq(t, "Rule", r.Rule, "Inbound SSH")
	eq(t, "RuleUUID", r.RuleUUID, "73a06abf-75ca-436f-9319-1a15b27fa692")
	eq(t, "ThreatName", r.ThreatName, "SSH User Authentication Brute Force Attempt")
	eqU(t, "ThreatID", r.ThreatID, 40015)
	eqU(t, "Severity", uint64(r.Severity), uint64(SeverityHigh))
}

func TestParseKVVariants(t *testing.T) {
	const ips = "SrcIP=10.1.2.3; DstIP=198.51.100.9; TimeReceived=2025/06/20 15:22:38; "
	tests := []struct {
		name, line string
		typ        string
		threatName string
		threatID   uint64
		severity   Severity
		check      func(t *testing.T, r Record)
	}{
		{"type with space", ips + "Type= TRAFFIC;", "TRAFFIC", "", 0, 0, nil},
		{"type lower case", ips + "Type=threat; Severity=low", "THREAT", "", 0, SeverityLow, nil},
		{"no type, no threat keys: traffic", ips + "Action=allow", "TRAFFIC", "", 0, 0, nil},
		{"no type, empty threat keys: traffic", ips + "ThreatName=; ThreatID=; Severity=;", "TRAFFIC", "", 0, 0, nil},
		{"no type, severity: threat", ips + "Severity=medium", "THREAT", "", 0, SeverityMedium, nil},
		{"no type, threat id: threat", ips + "ThreatID=8002", "THREAT", "", 8002, 0, nil},
		{"threat id Name(ID) gives the name", ips + "ThreatID=SCAN: Host Sweep(8002); Type=THREAT", "THREAT", "SCAN: Host Sweep", 8002, 0, nil},
		{"threat name Name(ID) gives the id", ips + "ThreatName=EICAR Test File Detection(86708); ThreatID=; Type=THREAT", "THREAT", "EICAR Test File Detection", 86708, 0, nil},
		{"bare threat id and plain name", ips + "ThreatName=PII; ThreatID=60000; Type=THREAT", "THREAT", "PII", 60000, 0, nil},
		{"threat id wins over name id", ips + "ThreatName=X(1); ThreatID=Y(2); Type=THREAT", "THREAT", "X", 2, 0, nil},
		{"url filtering (9999)", ips + "ThreatID=(9999); Type=THREAT", "THREAT", "", 9999, 0, nil},
		{"unknown severity ignored", ips + "Severity=5; Type=THREAT", "THREAT", "", 0, SeverityNone, nil},
		{"traffic ignores threat keys", ips + "ThreatID=X(2); Severity=high; Type=TRAFFIC", "TRAFFIC", "", 0, 0, nil},
		{"keys case-insensitive and spaced", "srcip = 10.1.2.3 ;DSTIP=198.51.100.9;timereceived=2025/06/20 15:22:38;TYPE=TRAFFIC", "TRAFFIC", "", 0, 0, nil},
		{"reordered with unknown keys", "Foo=1; DstIP=198.51.100.9; Bar=x=y; TimeReceived=2025/06/20 15:22:38; SrcIP=10.1.2.3", "TRAFFIC", "", 0, 0, nil},
		{"values with spaces", ips + "RuleName=Allow web to DMZ; Action=reset both; SrcLocation=Korea Republic Of", "TRAFFIC", "", 0, 0,
			func(t *testing.T, r Record) {
				eq(t, "Rule", r.Rule, "Allow web to DMZ")
				eq(t, "Action", r.Action, "reset both")
				eq(t, "SrcCountry", r.SrcCountry, "Korea Republic Of")
			}},
		{"unsubstituted variables", ips + "SrcPort=$sport; SrcUser=$srcuser; ThreatID=$threatid", "TRAFFIC", "", 0, 0,
			func(t *testing.T, r Record) {
				eqU(t, "SrcPort", uint64(r.SrcPort), 0)
				eq(t, "SrcUser", r.SrcUser, "")
			}},
		{"segment without = ignored", ips + "garbage; Action=deny", "TRAFFIC", "", 0, 0, func(t *testing.T, r Record) { eq(t, "Action", r.Action, "deny") }},
		{"duplicate key: last wins", ips + "Action=allow; Action=deny", "TRAFFIC", "", 0, 0, func(t *testing.T, r Record) { eq(t, "Action", r.Action, "deny") }},
		{"ipv6", "SrcIP=2001:db8::1; DstIP=::ffff:192.0.2.1; TimeReceived=2025-06-20T19:22:38Z", "TRAFFIC", "", 0, 0,
			func(t *testing.T, r Record) {
				eq(t, "SrcIP", r.SrcIP.String(), "2001:db8::1")
				eq(t, "DstIP", r.DstIP.String(), "192.0.2.1")
			}},
		{"iso time with offset", "SrcIP=10.1.2.3; DstIP=10.1.2.4; TimeReceived=2025-06-20T15:22:38-04:00", "TRAFFIC", "", 0, 0,
			func(t *testing.T, r Record) { eq(t, "Time", utc(r.Time), "2025-06-20T19:22:38Z") }},
		{"dash date in device zone", "SrcIP=10.1.2.3; DstIP=10.1.2.4; TimeReceived=2025-12-20 15:22:38", "TRAFFIC", "", 0, 0,
			func(t *testing.T, r Record) { eq(t, "Time", utc(r.Time), "2025-12-20T20:22:38Z") }},
		{"header time fallback, year from Now", "<14>Dec 31 23:59:50 LAB-FW-01 SrcIP=10.1.2.3; DstIP=10.1.2.4; TimeReceived=;", "TRAFFIC", "", 0, 0,
			func(t *testing.T, r Record) {
				eq(t, "Time", utc(r.Time), "2026-01-01T04:59:50Z")
				eq(t, "Host", r.Host, "LAB-FW-01")
			}},
		{"header time fallback rfc5424", "<14>1 2026-01-10T07:00:00-05:00 fw - - - - SrcIP=10.1.2.3; DstIP=10.1.2.4", "TRAFFIC", "", 0, 0,
			func(t *testing.T, r Record) { eq(t, "Time", utc(r.Time), "2026-01-10T12:00:00Z") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustParse(t, tt.line)
			eq(t, "Type", r.Type, tt.typ)
			eq(t, "ThreatName", r.ThreatName, tt.threatName)
			eqU(t, "ThreatID", r.ThreatID, tt.threatID)
			eqU(t, "Severity", uint64(r.Severity), uint64(tt.severity))
			if tt.check != nil {
				tt.check(t, r)
			}
		})
	}
}

func TestParseKVErrors(t *testing.T) {
	tests := []struct{ name, line, reason string }{
		{"missing src", "DstIP=10.1.2.3; TimeReceived=2025/06/20 15:22:38", ReasonBadSrcIP},
		{"bad src", "SrcIP=10.1.2; DstIP=10.1.2.3; TimeReceived=2025/06/20 15:22:38", ReasonBadSrcIP},
		{"missing dst", "SrcIP=10.1.2.3; TimeReceived=2025/06/20 15:22:38", ReasonBadDstIP},
		{"port out of range", "SrcIP=10.1.2.3; DstIP=10.1.2.4; SrcPort=65536; TimeReceived=2025/06/20 15:22:38", ReasonBadPort},
		{"port not a number", "SrcIP=10.1.2.3; DstIP=10.1.2.4; DstPort=https; TimeReceived=2025/06/20 15:22:38", ReasonBadPort},
		{"no time at all", "SrcIP=10.1.2.3; DstIP=10.1.2.4; Type=TRAFFIC", ReasonBadTime},
		{"garbage time", "SrcIP=10.1.2.3; DstIP=10.1.2.4; TimeReceived=yesterday", ReasonBadTime},
		{"invalid date", "SrcIP=10.1.2.3; DstIP=10.1.2.4; TimeReceived=2025/02/30 00:00:00", ReasonBadTime},
		{"system type skipped", "SrcIP=; Type=SYSTEM; TimeReceived=2025/06/20 15:22:38", "skip:SYSTEM"},
		{"config type skipped", "Type=config", "skip:CONFIG"},
		{"unknown type", "SrcIP=10.1.2.3; DstIP=10.1.2.4; Type=NETFLOW; TimeReceived=2025/06/20 15:22:38", ReasonUnknownType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r Record
			err := testParser().Parse(tt.line, &r)
			if got := rejectReason(t, err); got != tt.reason {
				t.Errorf("Parse reason = %q (%v), want %q", got, err, tt.reason)
			}
		})
	}
}

func TestParseKVAfterStructuredData(t *testing.T) {
	r := mustParse(t, `<14>1 2025-06-20T15:22:38-04:00 fw app - - [meta type="x" sequenceId="7"] SrcIP=10.1.2.3; DstIP=10.1.2.4; Type=TRAFFIC; TimeReceived=2025/06/20 15:22:38`)
	eq(t, "Format", r.Format.String(), "kv")
	eq(t, "Type", r.Type, "TRAFFIC")
	eq(t, "Host", r.Host, "fw")
}

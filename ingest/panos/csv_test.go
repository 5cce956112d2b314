package panos

import (
	"strings"
	"testing"
	"time"
)

func TestParseCSVTraffic(t *testing.T) {
	r := mustParse(t, "<14>Jun 20 15:22:39 edge-fw "+trafficLine(nil))
	want := Record{
		Format: FormatCSV, Type: "TRAFFIC", Subtype: "end", Host: "edge-fw", Serial: "012801096514",
		DeviceName: "PA-3220", Vsys: "vsys1", SrcCountry: "10.0.0.0-10.255.255.255", DstCountry: "United States",
		SrcUser: `corp\alice`, SrcZone: "trust", DstZone: "untrust", InboundIf: "ethernet1/2", OutboundIf: "ethernet1/1",
		Rule: "Web Traffic", RuleUUID: "5b1f3c3e-2d7a-4c1e-9f00-aa11bb22cc33", App: "ssl", Proto: "tcp", Action: "allow",
		SrcPort: 51234, DstPort: 443, NATSrcPort: 31001, NATDstPort: 443, SessionID: 184467, RepeatCount: 1,
		BytesSent: 2500, BytesRecv: 6500, Packets: 24, ElapsedSec: 90, Category: "any", SessionEndReason: "tcp-fin",
	}
	want.SrcIP, _ = parseAddr("10.1.1.10")
	want.DstIP, _ = parseAddr("203.0.113.50")
	want.NATSrcIP, _ = parseAddr("198.51.100.7")
	want.NATDstIP, _ = parseAddr("203.0.113.50")
	want.Time = time.Date(2025, 6, 20, 19, 22, 38, 0, time.UTC)
	want.Generated = want.Time.Add(-time.Second)
	if !r.Time.Equal(want.Time) || !r.Generated.Equal(want.Generated) {
		t.Errorf("times = %v / %v, want %v / %v", r.Time, r.Generated, want.Time, want.Generated)
	}
	r.Time, r.Generated, want.Time, want.Generated = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if r != want {
		t.Errorf("record mismatch:\n got %+v\nwant %+v", r, want)
	}
}

func TestParseCSVQuirks(t *testing.T) {
	tests := []struct {
		name  string
		line  string
		check func(t *testing.T, r Record)
	}{
		{"doubled quotes in misc", threatLine(map[int]string{32: `"www.example.com/string/""hello"""`, 33: "(9999)", 5: "url"}),
			func(t *testing.T, r Record) {
				eq(t, "Misc", r.Misc, `www.example.com/string/"hello"`)
				eq(t, "ThreatName", r.ThreatName, "")
				eqU(t, "ThreatID", r.ThreatID, 9999)
			}},
		{"misc bare", threatLine(map[int]string{32: "bare.example.com/x"}), func(t *testing.T, r Record) { eq(t, "Misc", r.Misc, "bare.example.com/x") }},
		{"misc quoted with comma", threatLine(map[int]string{32: `"a.example/?q=1,2"`}), func(t *testing.T, r Record) {
			eq(t, "Misc", r.Misc, "a.example/?q=1,2")
			eqU(t, "ThreatID", r.ThreatID, 40015)
		}},
		{"lazy quote inside unquoted field", threatLine(map[int]string{32: `a"b`}), func(t *testing.T, r Record) { eq(t, "Misc", r.Misc, `a"b`) }},
		{"brace list outside quotes is one field", trafficLine(map[int]string{12: "{a, b, c}"}), func(t *testing.T, r Record) {
			eq(t, "Rule", r.Rule, "{a, b, c}")
			eq(t, "App", r.App, "ssl")
			eq(t, "RuleUUID", r.RuleUUID, "5b1f3c3e-2d7a-4c1e-9f00-aa11bb22cc33")
		}},
		{"name with parentheses", threatLine(map[int]string{33: "Windows Executable (EXE)(52020)"}), func(t *testing.T, r Record) {
			eq(t, "ThreatName", r.ThreatName, "Windows Executable (EXE)")
			eqU(t, "ThreatID", r.ThreatID, 52020)
		}},
		{"action with space", trafficLine(map[int]string{31: "reset both"}), func(t *testing.T, r Record) { eq(t, "Action", r.Action, "reset both") }},
		{"severity upper case", threatLine(map[int]string{35: "CRITICAL"}), func(t *testing.T, r Record) { eqU(t, "Severity", uint64(r.Severity), uint64(SeverityCritical)) }},
		{"severity capitalised", threatLine(map[int]string{35: "Informational"}), func(t *testing.T, r Record) {
			eqU(t, "Severity", uint64(r.Severity), uint64(SeverityInformational))
		}},
		{"severity missing on a short threat line", buildRow(33, threatBase, nil), func(t *testing.T, r Record) {
			eqU(t, "Severity", uint64(r.Severity), uint64(SeverityNone))
			eqU(t, "ThreatID", r.ThreatID, 40015)
		}},
		{"country code", trafficLine(map[int]string{43: "US"}), func(t *testing.T, r Record) { eq(t, "DstCountry", r.DstCountry, "US") }},
		{"country range trimmed", trafficLine(map[int]string{42: " 10.0.0.0-10.255.255.255 "}), func(t *testing.T, r Record) {
			eq(t, "SrcCountry", r.SrcCountry, "10.0.0.0-10.255.255.255")
		}},
		{"ipv6", trafficLine(map[int]string{8: "2001:db8::25", 9: "2606:4700::1111", 10: "", 11: ""}), func(t *testing.T, r Record) {
			eq(t, "SrcIP", r.SrcIP.String(), "2001:db8::25")
			eq(t, "DstIP", r.DstIP.String(), "2606:4700::1111")
			if r.NATSrcIP.IsValid() || r.NATDstIP.IsValid() {
				t.Error("empty NAT addresses must be the zero Addr")
			}
		}},
		{"4in6 unmapped", trafficLine(map[int]string{8: "::ffff:10.1.2.3"}), func(t *testing.T, r Record) {
			if !r.SrcIP.Is4() {
				t.Errorf("SrcIP %v is not 4-byte", r.SrcIP)
			}
		}},
		{"iso times", trafficLine(map[int]string{2: "2021-05-26T16:27:07.000000Z", 7: "2021-05-26T16:26:47.000000Z"}), func(t *testing.T, r Record) {
			eq(t, "Time", utc(r.Time), "2021-05-26T16:27:07Z")
			eq(t, "Generated", utc(r.Generated), "2021-05-26T16:26:47Z")
		}},
		{"invalid generated falls back to receive", trafficLine(map[int]string{7: "2020/00/00 00:00:00"}), func(t *testing.T, r Record) {
			if !r.Generated.Equal(r.Time) {
				t.Errorf("Generated %v != Time %v", r.Generated, r.Time)
			}
		}},
		{"header year never used when PAN gives a date", "<14>Dec 31 23:59:59 fw " + trafficLine(map[int]string{2: "2019/03/01 10:00:00"}), func(t *testing.T, r Record) {
			eq(t, "Time", utc(r.Time), "2019-03-01T15:00:00Z")
		}},
		{"extra trailing columns", buildRow(140, trafficBase, map[int]string{140: "extra"}), func(t *testing.T, r Record) { eq(t, "Rule", r.Rule, "Web Traffic") }},
		{"short 31-column traffic", buildRow(31, trafficBase, nil), func(t *testing.T, r Record) {
			eq(t, "Action", r.Action, "allow")
			eqU(t, "BytesSent", r.BytesSent, 0)
			eq(t, "DeviceName", r.DeviceName, "")
		}},
		{"quoted rule with escaped quote", trafficLine(map[int]string{12: `"Allow ""web"", dmz"`}), func(t *testing.T, r Record) {
			eq(t, "Rule", r.Rule, `Allow "web", dmz`)
			eq(t, "App", r.App, "ssl")
		}},
		{"doubled backslash user kept", trafficLine(map[int]string{13: `corp\\bob`}), func(t *testing.T, r Record) { eq(t, "SrcUser", r.SrcUser, `corp\\bob`) }},
		{"trailing CRLF", trafficLine(nil) + "\r\n", func(t *testing.T, r Record) { eq(t, "RuleUUID", r.RuleUUID, "5b1f3c3e-2d7a-4c1e-9f00-aa11bb22cc33") }},
		{"field 1 = 0", trafficLine(map[int]string{1: "0"}), func(t *testing.T, r Record) { eq(t, "Type", r.Type, "TRAFFIC") }},
		{"lower-case type word", trafficLine(map[int]string{4: "traffic"}), func(t *testing.T, r Record) { eq(t, "Type", r.Type, "TRAFFIC") }},
		{"port spaces", trafficLine(map[int]string{25: " 80 "}), func(t *testing.T, r Record) { eqU(t, "SrcPort", uint64(r.SrcPort), 80) }},
		{"cdl url: category in the threat column", "<14>1 2021-10-28T02:58:53Z fwd logforwarder - panwlogs - " + cdlThreatLine("url", "shopping"), func(t *testing.T, r Record) {
			eq(t, "Category", r.Category, "shopping")
			eqU(t, "ThreatID", r.ThreatID, 0)
			eq(t, "Misc", r.Misc, "play.example.com/")
		}},
		{"cdl spyware: threat in the threat column", "<14>1 2021-10-28T02:58:53Z fwd logforwarder - panwlogs - " + cdlThreatLine("spyware", "Phishing:x.example(109010001)"), func(t *testing.T, r Record) {
			eq(t, "ThreatName", r.ThreatName, "Phishing:x.example")
			eqU(t, "ThreatID", r.ThreatID, 109010001)
			eq(t, "Category", r.Category, "")
			eq(t, "Direction", r.Direction, "client to server")
			eq(t, "DstCountry", r.DstCountry, "US")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.check(t, mustParse(t, tt.line)) })
	}
}

// cdlThreatLine is a Cortex Data Lake THREAT payload (no field 1) with the given subtype and threat column.
func cdlThreatLine(subtype, threat string) string {
	return strings.Join([]string{"2021-10-28T02:58:52.000000Z", "no-serial", "THREAT", subtype, "10.0",
		"2021-10-28T02:58:50.000000Z", "10.11.12.99", "198.51.100.100", "203.0.113.101", "198.51.100.100",
		"IN-TO-OUT", "", "", "google-play", "vsys1", "trust", "untrust", "tunnel.105", "ethernet1/1", "fwd",
		"28182", "1", "59580", "443", "3502", "443", "tcp", "block-url", "play.example.com/", threat,
		"Informational", "client to server", "2719193", "10.0.0.0-10.255.255.255", "US", "", "0"}, ",")
}

func TestParseCSVErrors(t *testing.T) {
	tests := []struct {
		name, line, reason string
	}{
		{"system", "1,2020/04/14 16:48:54,unknown,SYSTEM,auth,0,2020/04/14 16:48:54,,auth-fail", "skip:SYSTEM"},
		{"config", "1,2021/07/20 23:59:02,123,CONFIG,0,0,2021/07/20 00:53:40,192.168.0.1,,commit", "skip:CONFIG"},
		{"hipmatch", "1,2021/07/20 23:59:02,123,HIPMATCH,0,0,2021/07/20 00:53:40", "skip:HIPMATCH"},
		{"decryption", "1,2021/07/20 23:59:02,123,DECRYPTION,0,0,2021/07/20 00:53:40", "skip:DECRYPTION"},
		{"unknown type", "1,2021/07/20 23:59:02,123,OTHERS,0,0,2021/07/20 00:53:40", ReasonUnknownType},
		{"missing type", "1,2021/07/20 23:59:02,123,,end,0,2021/07/20 00:53:40", ReasonMissingType},
		{"stub", "1,2020/02/09 00:00:00,00000000,TRAFFIC,", ReasonTooFewFields},
		{"30 columns", buildRow(30, trafficBase, nil), ReasonTooFewFields},
		{"placeholder date", trafficLine(map[int]string{2: "2020/00/00 00:00:00"}), ReasonBadTime},
		{"bad src", trafficLine(map[int]string{8: "10.1.1"}), ReasonBadSrcIP},
		{"empty src", trafficLine(map[int]string{8: ""}), ReasonBadSrcIP},
		{"bad dst", trafficLine(map[int]string{9: "23.200"}), ReasonBadDstIP},
		{"port too large", trafficLine(map[int]string{26: "65536"}), ReasonBadPort},
		{"nat port word", trafficLine(map[int]string{27: "x"}), ReasonBadPort},
		{"bad nat ip", trafficLine(map[int]string{11: "1.2.3"}), ReasonBadField},
		{"bad session id", trafficLine(map[int]string{23: "abc"}), ReasonBadField},
		{"repeat count overflow", trafficLine(map[int]string{24: "4294967296"}), ReasonBadField},
		{"bad severity", threatLine(map[int]string{35: "any"}), ReasonBadSeverity},
		{"shifted by unquoted comma in misc", threatLine(map[int]string{32: "a.example/x,y"}), ReasonBadSeverity},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r Record
			err := testParser().Parse(tt.line, &r)
			if got := rejectReason(t, err); got != tt.reason {
				t.Errorf("Parse reason = %q (%v), want %q", got, err, tt.reason)
			}
			if r != (Record{}) {
				t.Errorf("record not zeroed on error: %+v", r)
			}
		})
	}
}

func eq(t *testing.T, field, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %q, want %q", field, got, want)
	}
}

func eqU(t *testing.T, field string, got, want uint64) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %d, want %d", field, got, want)
	}
}

// TestParseEDL: PAN-OS 10.0+ name the External Dynamic List that matched
// the source and the destination (TRAFFIC columns 96–97, THREAT 100–101;
// SrcEDL and DstEDL in the key=value format).
func TestParseEDL(t *testing.T) {
	tests := []struct {
		name, line, src, dst string
	}{
		{"TRAFFIC 10.x", "<14>Jun 20 15:22:39 edge-fw " + buildRow(105, trafficBase,
			map[int]string{95: "pod-a", 96: "edl-bad-actors", 97: "edl-c2", 98: "host-1", 99: "SN1"}), "edl-bad-actors", "edl-c2"},
		{"TRAFFIC 10.x, quoted name", buildRow(105, trafficBase, map[int]string{96: `"bad, actors"`, 97: " "}), "bad, actors", ""},
		{"TRAFFIC 9.0 has no such columns", trafficLine(nil), "", ""},
		{"THREAT 10.x", buildRow(121, threatBase,
			map[int]string{99: "pod-a", 100: "edl-scanners", 101: "edl-sinkhole", 102: "host-1", 103: "SN1", 104: "edl-domains"}),
			"edl-scanners", "edl-sinkhole"},
		{"THREAT cut after the source list", buildRow(100, threatBase, map[int]string{100: "edl-scanners"}), "edl-scanners", ""},
		{"KV", "<14>Jun 20 15:22:38 LAB-FW-01 SrcIP=203.0.113.77; DstIP=10.1.2.3; SrcEDL=edl-bad-actors; " +
			"DstEDL=$dst_edl; TimeReceived=2025/06/20 15:22:38; Type=TRAFFIC;", "edl-bad-actors", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := mustParse(t, tc.line)
			eq(t, "SrcEDL", r.SrcEDL, tc.src)
			eq(t, "DstEDL", r.DstEDL, tc.dst)
		})
	}
}

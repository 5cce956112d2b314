package panos

import (
	"strings"
	"testing"
)

// benchLines are typical lines of each format, taken from testdata/lines.txt by comment prefix.
var benchCases = []struct{ name, comment string }{
	{"kv", "KV THREAT exactly as configured"},
	{"kv_traffic", "KV TRAFFIC with the same template"},
	{"csv_traffic_10x", "TRAFFIC PAN-OS 10.x (105 columns)"},
	{"csv_traffic_11x", "TRAFFIC PAN-OS 11.x (115 columns)"},
	{"csv_threat_10x", "THREAT PAN-OS 10.x (121 columns)"},
	{"csv_threat_url_81x_escaped", "THREAT PAN-OS 8.1 (75 columns) url"},
	{"csv_traffic_6x", "TRAFFIC PAN-OS 6.x (46 columns)"},
	{"csv_threat_6x", "THREAT PAN-OS 6.x (45 columns)"},
	{"rfc5424", "TRAFFIC PAN-OS 9.0 (67 columns), RFC 5424"},
	{"octet_count_rfc5424", "TRAFFIC PAN-OS 9.1 (75 columns), TCP octet count"},
	{"ipv6", "TRAFFIC PAN-OS 11.x, rsyslog RSYSLOG_FileFormat header"},
	{"cdl_traffic", "CDL/Strata forwarder TRAFFIC"},
	{"skip_system", "SYSTEM (skipped)"},
	{"reject_garbage", "plain syslog garbage"},
}

// benchLine returns the testdata line whose comment starts with prefix.
func benchLine(b *testing.B, cases []goldenCase, prefix string) string {
	b.Helper()
	for _, c := range cases {
		if strings.HasPrefix(c.Comment, prefix) {
			return c.Input
		}
	}
	b.Fatalf("no testdata line with comment %q", prefix)
	return ""
}

// BenchmarkParse reports ns/op and allocs/op per line for each format. Lines differ
// only in content, so the timestamp cache is warm as it is on a live feed.
func BenchmarkParse(b *testing.B) {
	cases := readCases(b, "testdata/lines.txt")
	for _, bc := range benchCases {
		line := benchLine(b, cases, bc.comment)
		b.Run(bc.name, func(b *testing.B) {
			p := NewParser(goldenOptions())
			var r Record
			b.ReportAllocs()
			b.SetBytes(int64(len(line)))
			for b.Loop() {
				_ = p.Parse(line, &r)
			}
		})
	}
}

// BenchmarkParseColdTime defeats the timestamp cache by alternating two receive times.
func BenchmarkParseColdTime(b *testing.B) {
	cases := readCases(b, "testdata/lines.txt")
	line := benchLine(b, cases, "TRAFFIC PAN-OS 10.x (105 columns)")
	other := strings.Replace(line, "2025/07/14 09:50:35", "2025/07/14 09:50:36", 2)
	lines := [2]string{line, other}
	p := NewParser(goldenOptions())
	var r Record
	b.ReportAllocs()
	b.SetBytes(int64(len(line)))
	i := 0
	for b.Loop() {
		_ = p.Parse(lines[i&1], &r)
		i++
	}
}

// BenchmarkSplitHeader measures header recognition alone.
func BenchmarkSplitHeader(b *testing.B) {
	cases := readCases(b, "testdata/lines.txt")
	line := benchLine(b, cases, "TRAFFIC PAN-OS 9.1 (75 columns), TCP octet count")
	opts := goldenOptions()
	b.ReportAllocs()
	for b.Loop() {
		_ = SplitHeader(line, opts)
	}
}

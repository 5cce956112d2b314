package panos

import (
	"errors"
	"strings"
	"testing"
)

// buildRow returns a CSV row of n columns from base overlaid with over (1-based positions).
func buildRow(n int, base, over map[int]string) string {
	cols := make([]string, n)
	for _, m := range []map[int]string{base, over} {
		for pos, v := range m {
			if pos >= 1 && pos <= n {
				cols[pos-1] = v
			}
		}
	}
	return strings.Join(cols, ",")
}

// trafficBase is a PAN-OS 9.0 TRAFFIC line (67 columns) in column form.
var trafficBase = map[int]string{
	1: "1", 2: "2025/06/20 15:22:38", 3: "012801096514", 4: "TRAFFIC", 5: "end", 6: "2304",
	7: "2025/06/20 15:22:37", 8: "10.1.1.10", 9: "203.0.113.50", 10: "198.51.100.7", 11: "203.0.113.50",
	12: "Web Traffic", 13: `corp\alice`, 15: "ssl", 16: "vsys1", 17: "trust", 18: "untrust",
	19: "ethernet1/2", 20: "ethernet1/1", 21: "fwd", 22: "2025/06/20 15:22:37", 23: "184467", 24: "1",
	25: "51234", 26: "443", 27: "31001", 28: "443", 29: "0x40001c", 30: "tcp", 31: "allow",
	32: "9000", 33: "2500", 34: "6500", 35: "24", 36: "2025/06/20 15:21:07", 37: "90", 38: "any",
	39: "0", 40: "7384561234567890123", 41: "0x0", 42: "10.0.0.0-10.255.255.255", 43: "United States",
	44: "0", 45: "12", 46: "12", 47: "tcp-fin", 53: "PA-3220", 54: "from-policy",
	66: "5b1f3c3e-2d7a-4c1e-9f00-aa11bb22cc33", 67: "0",
}

// threatBase is a PAN-OS 9.1 THREAT line (79 columns) in column form.
var threatBase = map[int]string{
	1: "1", 2: "2025/12/03 08:05:09", 3: "012801096514", 4: "THREAT", 5: "vulnerability", 6: "2305",
	7: "2025/12/03 08:05:08", 8: "198.51.100.23", 9: "10.20.0.5", 12: "Inbound DMZ", 15: "ssh",
	16: "vsys1", 17: "untrust", 18: "dmz", 19: "ethernet1/1", 20: "ethernet1/3", 23: "99881", 24: "3",
	25: "40222", 26: "22", 27: "0", 28: "0", 29: "0x402000", 30: "tcp", 31: "reset-both", 32: `""`,
	33: "SSH User Authentication Brute Force Attempt(40015)", 34: "any", 35: "high",
	36: "client-to-server", 39: "Netherlands", 40: "10.0.0.0-10.255.255.255", 60: "PA-3220",
	70: "brute-force", 77: "c0ffee00-1234-4abc-8def-0123456789ab",
}

func trafficLine(over map[int]string) string { return buildRow(67, trafficBase, over) }
func threatLine(over map[int]string) string  { return buildRow(79, threatBase, over) }

// testParser returns a Parser with the golden zone and clock.
func testParser() *Parser { return NewParser(goldenOptions()) }

// mustParse parses line and fails the test on error.
func mustParse(t *testing.T, line string) Record {
	t.Helper()
	var r Record
	if err := testParser().Parse(line, &r); err != nil {
		t.Fatalf("Parse(%.120q): %v", line, err)
	}
	return r
}

// rejectReason returns the RejectError reason of err, "skip:<TYPE>" for a SkipError, "" for nil.
func rejectReason(t *testing.T, err error) string {
	t.Helper()
	var rej *RejectError
	var skip *SkipError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &rej):
		return rej.Reason
	case errors.As(err, &skip):
		return "skip:" + skip.Type
	}
	t.Fatalf("unexpected error type %T: %v", err, err)
	return ""
}

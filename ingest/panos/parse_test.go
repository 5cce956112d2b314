package panos

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestErrorStrings(t *testing.T) {
	if got := (&SkipError{Type: "SYSTEM"}).Error(); got != "skipped log type SYSTEM" {
		t.Errorf("SkipError.Error() = %q", got)
	}
	if got := (&RejectError{Reason: "bad_time", Detail: "x"}).Error(); got != "rejected (bad_time): x" {
		t.Errorf("RejectError.Error() = %q", got)
	}
	long := trafficLine(map[int]string{8: strings.Repeat("9", 200)})
	err := testParser().Parse(long, new(Record))
	var rej *RejectError
	if !errors.As(err, &rej) || rej.Reason != ReasonBadSrcIP {
		t.Fatalf("Parse = %v, want bad_src_ip", err)
	}
	if len(rej.Detail) > 100 || !strings.Contains(rej.Detail, "...") {
		t.Errorf("detail not truncated: %q", rej.Detail)
	}
}

func TestParseRejectsNonPAN(t *testing.T) {
	tests := []struct{ name, line, reason string }{
		{"empty", "", ReasonEmptyLine},
		{"blank", " \t ", ReasonEmptyLine},
		{"newline only", "\r\n", ReasonEmptyLine},
		{"cef", "Mar 23 2017 07:27:36 Host CEF:0|Palo Alto Networks|Traps Agent|3.4|Prevention Event|Threat|9|rt=x", ReasonUnsupportedFormat},
		{"leef", "<14>1 2021-09-21T01:52:01Z fwd logforwarder - panwlogs - LEEF:2.0|Palo Alto Networks|NGFW|10.1|url|\tSubType=url\tsrc=1.2.3.4", ReasonUnsupportedFormat},
		{"sshd", "<13>Jan  1 00:00:00 host sshd[1]: Accepted publickey for root", ReasonUnrecognizedFormat},
		{"binary", "\x00\x01\xff\xfe,\x00,2025/06/20", ReasonUnrecognizedFormat},
		{"csv without time", "a,b,c,d", ReasonUnrecognizedFormat},
		{"key-like text", "hello Sourcelocation=x", ReasonUnrecognizedFormat},
		{"json", `{"src":"10.0.0.1","type":"TRAFFIC"}`, ReasonUnrecognizedFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := testParser().Parse(tt.line, new(Record))
			if got := rejectReason(t, err); got != tt.reason {
				t.Errorf("Parse reason = %q (%v), want %q", got, err, tt.reason)
			}
		})
	}
}

func TestParseResetsRecord(t *testing.T) {
	p := testParser()
	var r Record
	if err := p.Parse(threatLine(nil), &r); err != nil {
		t.Fatal(err)
	}
	if err := p.Parse("SrcIP=10.1.2.3; DstIP=10.1.2.4; TimeReceived=2025/06/20 15:22:38", &r); err != nil {
		t.Fatal(err)
	}
	if r.ThreatID != 0 || r.Misc != "" || r.DeviceName != "" || r.Severity != SeverityNone || r.Format != FormatKV {
		t.Errorf("fields of the previous record leaked: %+v", r)
	}
}

func TestParseZeroOptions(t *testing.T) {
	var r Record
	if err := NewParser(Options{}).Parse(trafficLine(nil), &r); err != nil {
		t.Fatal(err)
	}
	want := time.Date(2025, 6, 20, 15, 22, 38, 0, time.Local)
	if !r.Time.Equal(want) {
		t.Errorf("Time = %v, want %v (time.Local)", r.Time, want)
	}
}

func TestSkipTypeIsCanonical(t *testing.T) {
	err := testParser().Parse("1,2021/07/20 23:59:02,123,GlobalProtect,0,0,2021/07/20 00:53:40", new(Record))
	var skip *SkipError
	if !errors.As(err, &skip) || skip.Type != "GLOBALPROTECT" {
		t.Errorf("Parse = %v, want skip of GLOBALPROTECT", err)
	}
}

func TestLocatePrefersEarlierKV(t *testing.T) {
	// A Key=value line whose rule name happens to look like a CSV receive time.
	line := "<14>Jun 20 15:22:38 fw SrcIP=10.1.2.3; DstIP=10.1.2.4; RuleName=x,2025/06/20 15:22:38,y; TimeReceived=2025/06/20 15:22:38"
	r := mustParse(t, line)
	eq(t, "Format", r.Format.String(), "kv")
	eq(t, "Rule", r.Rule, "x,2025/06/20 15:22:38,y")
}

func TestParseConcurrentParsers(t *testing.T) {
	lines := []string{trafficLine(nil), threatLine(nil), kvGuide}
	done := make(chan error, 4)
	for g := 0; g < 4; g++ {
		go func() {
			p := testParser()
			var r Record
			for i := 0; i < 200; i++ {
				if err := p.Parse(lines[i%len(lines)], &r); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for g := 0; g < 4; g++ {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

func TestStructuredDataIsNotKV(t *testing.T) {
	line := `<14>1 2025-06-20T15:22:38-04:00 fw app - - [meta type="x" SrcIP="1.2.3.4"] ` + trafficLine(nil)
	r := mustParse(t, line)
	eq(t, "Format", r.Format.String(), "csv")
	eq(t, "Host", r.Host, "fw")
}

func TestSubtypeLowerCased(t *testing.T) {
	eq(t, "csv", mustParse(t, trafficLine(map[int]string{5: "End"})).Subtype, "end")
	eq(t, "kv", mustParse(t, "SrcIP=10.1.2.3; DstIP=10.1.2.4; Subtype=URL; TimeReceived=2025/06/20 15:22:38").Subtype, "url")
}

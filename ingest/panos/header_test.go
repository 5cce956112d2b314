package panos

import (
	"strings"
	"testing"
	"time"
)

func TestSplitHeader(t *testing.T) {
	const csv = "1,2025/06/20 15:22:38,0123,TRAFFIC,end"
	const kv = "SrcLocation=China; SrcIP=10.1.2.3;"
	tests := []struct {
		name    string
		line    string
		host    string
		payload string // the text the payload must start with; "" means not found (-1)
		time    string // RFC 3339 UTC; "" means zero
	}{
		{"bsd with host", "<14>Feb 20 11:49:43 HOSTNAME " + csv, "HOSTNAME", csv, "2026-02-20T16:49:43Z"},
		{"bsd padded day", "<11>Jan  5 05:38:59 PAN1.example.com " + csv, "PAN1.example.com", csv, "2026-01-05T10:38:59Z"},
		{"bsd unpadded day, space after PRI", "<13> Nov 1 11:26:30 TX-PAN-FW-1.example.org " + csv, "TX-PAN-FW-1.example.org", csv, "2025-11-01T15:26:30Z"},
		{"bsd zero-padded day no PRI", "Apr 09 23:26:41 fw " + csv, "fw", csv, "2026-04-10T03:26:41Z"},
		{"bsd without hostname", "Oct 30 09:46:12 " + csv, "", csv, "2025-10-30T13:46:12Z"},
		{"PRI bsd without hostname", "<14>Apr  8 01:47:32 " + csv, "", csv, "2026-04-08T05:47:32Z"},
		{"bsd with - placeholder", "Nov 26 12:53:54 FW-DNS-11 - " + csv, "FW-DNS-11", csv, "2025-11-26T17:53:54Z"},
		{"bsd with tag", "Nov 26 12:53:54 fw1 panos: " + csv, "fw1", csv, "2025-11-26T17:53:54Z"},
		{"bsd tag only", "Nov 26 12:53:54 panos: " + csv, "", csv, "2025-11-26T17:53:54Z"},
		{"relay double header", "Feb 24 22:09:26 10.5.172.40 Feb 24 22:06:07 BD-Panorama " + csv, "BD-Panorama", csv, "2026-02-25T03:06:07Z"},
		{"rfc5424", "<14>1 2018-09-19T11:50:32-05:00 Panorama--2 - - - - " + csv, "Panorama--2", csv, "2018-09-19T16:50:32Z"},
		{"rfc5424 two spaces", "<14>1 2025-07-14T09:50:36-04:00 the-hostname - - - -  " + csv, "the-hostname", csv, "2025-07-14T13:50:36Z"},
		{"rfc5424 structured data", `<14>1 2025-07-14T09:50:36Z fw app 12 ID7 [meta x="a b"] ` + csv, "fw", csv, "2025-07-14T09:50:36Z"},
		{"rfc5424 nil host", "<14>1 2025-07-14T09:50:36Z - - - - - " + csv, "", csv, "2025-07-14T09:50:36Z"},
		{"octet counting", "521 <14>1 2020-03-27T09:57:17+01:00 PA-VM - - - - " + csv, "PA-VM", csv, "2020-03-27T08:57:17Z"},
		{"octet counting, empty field 1", "786 <10>1 2022-03-29T22:32:26+00:00 PA-VM.demo - - - - ,2022/03/29 22:32:26,1,TRAFFIC", "PA-VM.demo", ",2022/03/29", "2022-03-29T22:32:26Z"},
		{"iso without PRI", "2023-07-06T08:11:40+02:00 paloalto.test.host " + csv, "paloalto.test.host", csv, "2023-07-06T06:11:40Z"},
		{"rsyslog file format", "2026-11-28T04:25:47.123456+01:00 lab-fw " + csv, "lab-fw", csv, "2026-11-28T03:25:47.123456Z"},
		{"rsyslog traditional", "Nov 28 04:25:47 lab-fw " + csv, "lab-fw", csv, "2025-11-28T09:25:47Z"},
		{"PRI 142", "<142>Sep 16 07:43:05 FOO-BAR.example.com " + csv, "FOO-BAR.example.com", csv, "2025-09-16T11:43:05Z"},
		{"bare csv", csv, "", csv, ""},
		{"bare csv field 1 = 0", "0,2021/07/12 09:46:23,321,THREAT", "", "0,2021", ""},
		{"cdl forwarder", "<14>1 2021-10-27T19:21:00.034Z stream-logfwd20 logforwarder - panwlogs - 2021-10-27T19:20:59.000000Z,no-serial,TRAFFIC,end", "stream-logfwd20", "2021-10-27T19:20:59.000000Z,", "2021-10-27T19:21:00.034Z"},
		{"bsd relay in front of rfc5424", "Sep 21 01:52:01 gke-node 2646 <14>1 2021-09-21T01:52:01.328Z stream-x logforwarder - panwlogs - " + csv, "stream-x", csv, "2021-09-21T01:52:01.328Z"},
		{"kv with bsd header", "<14>Nov 28 04:25:47 LAB-FW-01 " + kv, "LAB-FW-01", kv, "2025-11-28T09:25:47Z"},
		{"kv rsyslog dropped first pair", "<14>Nov 28 04:25:47 LAB-FW-01 SrcIP=10.1.2.3; DstIP=10.1.2.4", "LAB-FW-01", "SrcIP=", "2025-11-28T09:25:47Z"},
		{"kv bare", kv, "", kv, ""},
		{"cef line: no payload, header still read", "Mar 23 2017 07:27:36 Host CEF:0|Palo Alto Networks|Traps Agent|x", "Host", "", "2017-03-23T11:27:36Z"},
		{"garbage", "hello world", "", "", ""},
		{"empty", "", "", "", ""},
		{"placeholder day 00", "May 00 00:00:00 XXX-XX-00 " + csv, "XXX-XX-00", csv, ""},
	}
	opts := goldenOptions()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := SplitHeader(tt.line, opts)
			want := -1
			if tt.payload != "" {
				want = strings.Index(tt.line, tt.payload)
			}
			if h.Host != tt.host || h.Payload != want {
				t.Errorf("SplitHeader = host %q payload %d; want host %q payload %d", h.Host, h.Payload, tt.host, want)
			}
			if got := utc(h.Time); got != tt.time {
				t.Errorf("SplitHeader time = %q, want %q", got, tt.time)
			}
		})
	}
}

func TestSplitHeaderZeroOptions(t *testing.T) {
	h := SplitHeader("Nov 28 04:25:47 lab-fw 1,2025/06/20 15:22:38,0123,TRAFFIC", Options{})
	if h.Host != "lab-fw" || h.Time.IsZero() || h.Time.Location() != time.Local {
		t.Errorf("SplitHeader with zero Options = %+v, want host lab-fw and a local time", h)
	}
	if d := time.Since(h.Time); d > 366*24*time.Hour || d < -366*24*time.Hour {
		t.Errorf("guessed year is more than a year from now: %v", h.Time)
	}
}

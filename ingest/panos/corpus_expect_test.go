package panos

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// crowdsecFields maps crowdsec's parsed keys to Record fields.
var crowdsecFields = map[string]func(r *Record) string{
	"src_ip":       func(r *Record) string { return r.SrcIP.String() },
	"dst_ip":       func(r *Record) string { return r.DstIP.String() },
	"src_port":     func(r *Record) string { return strconv.Itoa(int(r.SrcPort)) },
	"dst_port":     func(r *Record) string { return strconv.Itoa(int(r.DstPort)) },
	"nat_src_ip":   func(r *Record) string { return r.NATSrcIP.String() },
	"nat_dst_ip":   func(r *Record) string { return r.NATDstIP.String() },
	"nat_src_port": func(r *Record) string { return strconv.Itoa(int(r.NATSrcPort)) },
	"nat_dst_port": func(r *Record) string { return strconv.Itoa(int(r.NATDstPort)) },
	"severity":     func(r *Record) string { return r.Severity.String() },
	"threat_id": func(r *Record) string {
		return r.ThreatName + "(" + strconv.FormatUint(r.ThreatID, 10) + ")"
	},
	"src_country":                      func(r *Record) string { return r.SrcCountry },
	"dst_country":                      func(r *Record) string { return r.DstCountry },
	"rule":                             func(r *Record) string { return r.Rule },
	"action":                           func(r *Record) string { return r.Action },
	"log_type":                         func(r *Record) string { return r.Type },
	"log_subtype":                      func(r *Record) string { return r.Subtype },
	"session_id":                       func(r *Record) string { return strconv.FormatUint(r.SessionID, 10) },
	"repeat_count":                     func(r *Record) string { return strconv.Itoa(int(r.RepeatCount)) },
	"app":                              func(r *Record) string { return r.App },
	"vsys":                             func(r *Record) string { return r.Vsys },
	"src_zone":                         func(r *Record) string { return r.SrcZone },
	"dst_zone":                         func(r *Record) string { return r.DstZone },
	"ingress_int":                      func(r *Record) string { return r.InboundIf },
	"egress_int":                       func(r *Record) string { return r.OutboundIf },
	"direction":                        func(r *Record) string { return r.Direction },
	"serial_number":                    func(r *Record) string { return r.Serial },
	"syslog_hostname":                  func(r *Record) string { return r.Host },
	"ip_proto":                         func(r *Record) string { return r.Proto },
	"url_or_filename":                  func(r *Record) string { return r.Misc },
	"url_category_or_wildfire_verdict": func(r *Record) string { return r.Category },
	"generation_timestamp": func(r *Record) string {
		return r.Generated.In(goldenLocation).Format("2006/01/02 15:04:05")
	},
}

var reCrowdsecAssert = regexp.MustCompile(`^results\["s01-parse"\]\["crowdsecurity/palo-alto-threat-log"\]\[(\d+)\]\.Evt\.Parsed\["([a-z_]+)"\] == (".*")$`)

// checkCrowdsec compares both crowdsec sample lines with every mappable parser.assert value.
func checkCrowdsec(t *testing.T, dir string, lines map[string]*corpusLine) {
	data, err := os.ReadFile(filepath.Join(dir, "crowdsec__palo-alto-threat__parser.assert"))
	if err != nil {
		t.Fatalf("reading crowdsec assertions: %v", err)
	}
	seen := map[string]bool{}
	for _, a := range strings.Split(string(data), "\n") {
		m := reCrowdsecAssert.FindStringSubmatch(a)
		if m == nil || crowdsecFields[m[2]] == nil {
			continue
		}
		idx, _ := strconv.Atoi(m[1])
		want, err := strconv.Unquote(m[3])
		if err != nil {
			t.Fatalf("unquoting %s: %v", m[3], err)
		}
		cl := lines["crowdsec__palo-alto-threat.log:"+strconv.Itoa(idx+1)]
		if cl == nil || cl.err != nil {
			t.Fatalf("crowdsec line %d missing or not parsed", idx+1)
		}
		if got := crowdsecFields[m[2]](&cl.rec); got != want {
			t.Errorf("crowdsec line %d %s = %q, want %q", idx+1, m[2], got, want)
		}
		seen[m[1]+"/"+m[2]] = true
	}
	for _, line := range []string{"0", "1"} {
		for _, k := range []string{"src_ip", "dst_ip", "src_port", "dst_port", "severity", "threat_id", "src_country", "dst_country", "rule", "action"} {
			if !seen[line+"/"+k] {
				t.Errorf("crowdsec assertion %s for line %s not found/checked", k, line)
			}
		}
	}
	t.Logf("checked %d crowdsec assertions", len(seen))
}

// hsOverrides are deliberate differences from the Haskell library: it strips a
// " (EXE)"-style suffix from threat names, this package keeps the name as PAN wrote it.
var hsOverrides = map[string]string{"threat_8_1_E/threatName": "Windows Executable (EXE)"}

// hsCase is one expectation of the Haskell test suite: sample name and accessor values.
type hsCase struct {
	Sample string         `json:"sample"`
	Expect map[string]any `json:"expect"`
}

// loadHaskell reads the sample name → line number map and the expectations.
func loadHaskell(t *testing.T, dir string) (map[string]int, []hsCase) {
	names := map[string]int{}
	raw, err := os.ReadFile(filepath.Join(dir, "panossyslog-hs__Sample.hs__names.txt"))
	if err != nil {
		t.Fatalf("reading names: %v", err)
	}
	for _, l := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		f := strings.Fields(l)
		n, _ := strconv.Atoi(f[0])
		names[f[1]] = n
	}
	var exp struct {
		Cases []hsCase `json:"cases"`
	}
	raw, err = os.ReadFile(filepath.Join(dir, "panossyslog-hs__Main.hs__expected.json"))
	if err != nil {
		t.Fatalf("reading expected.json: %v", err)
	}
	if err := json.Unmarshal(raw, &exp); err != nil {
		t.Fatalf("decoding expected.json: %v", err)
	}
	return names, exp.Cases
}

// checkHaskell compares the pan-os-syslog (Haskell) expectations that map to Record
// fields; samples of other log types must be skipped.
func checkHaskell(t *testing.T, dir string, lines map[string]*corpusLine) {
	names, cases := loadHaskell(t, dir)
	checked := 0
	for _, c := range cases {
		cl := lines["panossyslog-hs__Sample.hs__lines.log:"+strconv.Itoa(names[c.Sample])]
		switch {
		case cl == nil:
			t.Fatalf("sample %s not found", c.Sample)
		case !strings.HasPrefix(c.Sample, "traffic") && !strings.HasPrefix(c.Sample, "threat"):
			if !strings.HasPrefix(rejectReason(t, cl.err), "skip:") {
				t.Errorf("%s: %v, want a skip", c.Sample, cl.err)
			}
		case cl.err != nil:
			t.Errorf("%s: %v", c.Sample, cl.err)
		default:
			checked += checkHaskellCase(t, c, &cl.rec)
		}
	}
	if checked < 15 {
		t.Errorf("only %d Haskell expectations checked", checked)
	}
}

// checkHaskellCase checks one sample's mappable expectations and returns how many it checked.
func checkHaskellCase(t *testing.T, c hsCase, r *Record) int {
	n := 0
	for k, v := range c.Expect {
		got, want, ok := hsField(r, k, v)
		if !ok {
			continue
		}
		if o, has := hsOverrides[c.Sample+"/"+k]; has {
			want = o
		}
		if got != want {
			t.Errorf("%s %s = %q, want %q", c.Sample, k, got, want)
		}
		n++
	}
	return n
}

// hsField returns the Record value for a Haskell accessor name, or false if it has no Record field.
func hsField(r *Record, key string, v any) (got, want string, ok bool) {
	switch x := v.(type) {
	case string:
		want = x
	case float64:
		want = strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		want = strconv.FormatBool(x)
	}
	switch key {
	case "threatId":
		return strconv.FormatUint(r.ThreatID, 10), want, true
	case "threatName":
		return r.ThreatName, want, true
	case "miscellaneous":
		return r.Misc, want, true
	case "deviceName":
		return r.DeviceName, want, true
	case "subtype":
		return r.Subtype, want, true
	case "sourceUser":
		return r.SrcUser, want, true
	case "bytesReceived":
		return strconv.FormatUint(r.BytesRecv, 10), want, true
	case "_decodes":
		return "true", want, true
	}
	return "", "", false
}

// spot holds values checked by hand against the raw sample text.
type spot struct {
	key, typ, src string
	sport         uint16
	dst           string
	dport         uint16
	action        string
	sev           Severity
	tid           uint64
	tname, misc   string
	host, time    string
}

var spots = []spot{
	{"metron__PaloaltoOutput.log:1", "THREAT", "10.0.0.115", 54180, "216.0.10.198", 80, "reset-both", SeverityHigh, 40019,
		"HTTP: IIS Denial Of Service Attempt", "ad.aspx?f=300x250&id=12;tile=1;ord=67AF705D60B1119C0F18BEA336F9", "PAN1.exampleCustomer.com", "2015-01-05T10:38:58Z"},
	{"metron__PaloaltoOutput.log:17", "THREAT", "94.0.0.3", 80, "10.0.0.208", 60194, "deny", SeverityMedium, 2367869,
		"Virus/Win32.WGeneric.dyxeh", "FreemakeVideoConverterSetup.exe", "PAN1.exampleCustomer.com", "2015-01-05T11:41:34Z"},
	{"metron__PaloaltoOutput.log:72", "TRAFFIC", "10.0.0.219", 62063, "10.3.0.21", 389, "deny", 0, 0, "", "", "PAN1", "2015-01-05T17:51:33Z"},
	{"graylog__PaloAltoCodecTest__lines.log:1", "TRAFFIC", "10.20.30.40", 64575, "10.20.30.40", 443, "allow", 0, 0, "", "", "Panorama--2", "2018-09-19T15:50:32Z"},
	{"graylog__PaloAltoCodecTest__lines.log:7", "THREAT", "217.31.49.10", 80, "192.168.0.2", 51060, "block-continue", SeverityLow, 52020,
		"Windows Executable (EXE)", "imer.up", "", "2012-04-08T05:47:32Z"},
	{"graylog__PaloAltoCodecTest__lines.log:13", "THREAT", "23.43.62.88", 80, "10.4.25.93", 50844, "allow", SeverityInformational, 52019,
		"Windows Dynamic Link Library (DLL)", "stream.x86.x-none.dat", "hq-lx-net-7.dart.org", "2018-08-22T15:21:04Z"},
	{"elastic-beats__pan_inc_threat.log:1", "THREAT", "192.168.0.2", 59309, "204.232.231.46", 80, "alert", SeverityInformational, 9999,
		"", "lorexx.cn/loader.exe", "", "2012-10-30T13:46:12Z"},
	{"elastic-beats__pan_inc_threat.log:66", "THREAT", "192.168.0.6", 1047, "207.46.140.46", 80, "alert", SeverityInformational, 60000,
		"PII", "default.aspx", "", "2013-03-26T03:59:32Z"},
	{"elastic-beats__pan_inc_traffic.log:1", "TRAFFIC", "192.168.0.2", 59324, "67.43.156.12", 80, "allow", 0, 0, "", "", "", "2012-10-30T13:46:12Z"},
	{"elastic-beats__traffic_nanos_time.log:1", "TRAFFIC", "127.0.0.0", 35834, "127.0.0.1", 443, "allow", 0, 0, "", "", "", "2021-05-26T16:27:07Z"},
	{"elastic-beats__pan_inc_traffic_ietf.log.EXCERPT-last3lines:3", "TRAFFIC", "192.168.2.2", 59646, "0.0.0.0", 443, "allow", 0, 0, "", "", "PA-VM", "2020-03-27T13:57:16Z"},
	{"splunkapp__pan_adversaries.samplelog:1", "THREAT", "66.1.1.3", 60680, "10.154.10.229", 25, "allow", SeverityHigh, 52019,
		"Windows Dynamic Link Library (DLL)", "jYyzuoDGiiJrEzLa.exE", "host", "2017-05-30T04:07:27Z"},
	{"splunkapp__pan_globalprotect.samplelog:3", "TRAFFIC", "192.168.55.101", 53909, "8.8.8.8", 53, "allow", 0, 0, "", "", "BD-Panorama", "2016-02-25T02:47:11Z"},
	{"panossyslog-hs__Sample.hs__lines.log:4", "TRAFFIC", "192.0.2.12", 42493, "192.0.2.18", 80, "allow", 0, 0, "", "",
		"stream-logfwd20-548106107-12876850-z5tm-harness-44k2", "2021-10-27T19:20:59Z"},
	{"panossyslog-hs__Sample.hs__lines.log:17", "THREAT", "192.0.2.20", 55517, "8.8.8.8", 53, "drop", SeverityLow, 109010001,
		"Phishing:example.com", "example.com", "stream-logfwd-xyz", "2021-11-01T15:14:06Z"},
}

// checkSpots compares hand-checked values (read off the raw sample text) with the records.
func checkSpots(t *testing.T, lines map[string]*corpusLine) {
	for _, s := range spots {
		cl := lines[s.key]
		if cl == nil || cl.err != nil {
			t.Errorf("%s: missing or not parsed", s.key)
			continue
		}
		r := &cl.rec
		got := spot{s.key, r.Type, r.SrcIP.String(), r.SrcPort, r.DstIP.String(), r.DstPort, r.Action, r.Severity,
			r.ThreatID, r.ThreatName, r.Misc, r.Host, r.Time.UTC().Format(time.RFC3339)}
		if got != s {
			t.Errorf("%s:\n got %+v\nwant %+v", s.key, got, s)
		}
	}
}

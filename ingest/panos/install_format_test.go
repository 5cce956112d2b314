package panos

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The install guide gives the custom log formats to paste into the
// firewall's syslog server profile, in code blocks tagged panos-traffic and
// panos-threat. These tests build lines from exactly those strings, so the
// guide cannot drift from what the parser accepts.

// guideVars holds, per log type, the value PAN-OS substitutes for each
// custom-format variable (examples from PAN-OS documentation and firewalls,
// ../shared/docs/PANOS-FORMATS.md §9).
var guideVars = map[string]map[string]string{
	"TRAFFIC": {
		"srcloc": "China", "dstloc": "10.0.0.0-10.255.255.255", "src": "198.51.100.23", "dst": "10.20.0.5",
		"sport": "40222", "dport": "22", "srcuser": `corp\alice`, "action": "reset both", "rule": "Inbound DMZ",
		"rule_uuid": "c0ffee00-1234-4abc-8def-0123456789ab", "receive_time": "2025/06/20 15:22:38",
		"src_edl": "activedefense-blacklist", "dst_edl": "", "subtype": "end", "type": "TRAFFIC",
	},
	"THREAT": {
		"srcloc": "China", "dstloc": "10.0.0.0-10.255.255.255", "src": "198.51.100.23", "dst": "10.20.0.5",
		"sport": "40222", "dport": "22", "srcuser": "", "action": "reset-both", "rule": "Inbound DMZ",
		"rule_uuid": "c0ffee00-1234-4abc-8def-0123456789ab", "receive_time": "2025/06/20 15:22:38",
		"threatid": "SSH User Authentication Brute Force Attempt(40015)", "severity": "high",
		"src_edl": "activedefense-blacklist", "dst_edl": "", "subtype": "vulnerability", "type": "THREAT",
	},
}

var (
	panVar = regexp.MustCompile(`\$[a-z][a-z0-9_-]*`)
	kvKey   = regexp.MustCompile(`(?:^|;)\s*([A-Za-z]+)\s*=`)
)

// guideFormat returns the one code block of docs/INSTALL.md tagged lang.
func guideFormat(t *testing.T, lang string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "INSTALL.md"))
	if err != nil {
		t.Fatal(err)
	}
	var blocks []string
	lines := strings.Split(string(b), "\n")
	for i := 0; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) != "```"+lang {
			continue
		}
		var body []string
		for i++; i < len(lines) && strings.TrimSpace(lines[i]) != "```"; i++ {
			body = append(body, lines[i])
		}
		blocks = append(blocks, strings.Join(body, "\n"))
	}
	if len(blocks) != 1 {
		t.Fatalf("docs/INSTALL.md has %d ```%s blocks, want 1", len(blocks), lang)
	}
	if f := blocks[0]; strings.Count(f, "\n") != 0 || strings.TrimSpace(f) == "" {
		t.Fatalf("```%s block must be exactly one line (PAN-OS takes the format as one line): %q", lang, f)
	}
	return strings.TrimSpace(blocks[0])
}

// substitute replaces each $variable as the firewall does.
func substitute(t *testing.T, format string, vars map[string]string) string {
	t.Helper()
	return panVar.ReplaceAllStringFunc(format, func(v string) string {
		val, ok := vars[v[1:]]
		if !ok {
			t.Errorf("the format uses %s, which this test has no example value for (add one from PANOS-FORMATS.md §9)", v)
		}
		return val
	})
}

func TestInstallGuideFormatsParse(t *testing.T) {
	berlin := mustLoadLocation("Europe/Berlin")
	for _, typ := range []string{"TRAFFIC", "THREAT"} {
		t.Run(typ, func(t *testing.T) {
			format := guideFormat(t, "panos-"+strings.ToLower(typ))
			for _, m := range kvKey.FindAllStringSubmatch(format, -1) {
				if kvKeyIndex(m[1]) < 0 {
					t.Errorf("key %q in the guide's format is not one the parser reads", m[1])
				}
			}
			vars := guideVars[typ]
			payload := substitute(t, format, vars)
			for _, h := range []struct{ name, header string }{
				{"BSD as sent", "<14>Jun 20 15:22:38 LAB-FW-01 "},
				{"IETF as sent", "<14>1 2025-06-20T15:22:38+02:00 LAB-FW-01 - - - - "},
				{"as rsyslog writes it", "Jun 20 15:22:38 LAB-FW-01 "},
			} {
				t.Run(h.name, func(t *testing.T) {
					var r Record
					p := NewParser(Options{Location: berlin, Now: func() time.Time { return goldenNow }})
					if err := p.Parse(h.header+payload, &r); err != nil {
						t.Fatalf("Parse(%q): %v", h.header+payload, err)
					}
					checkGuideRecord(t, r, typ, vars)
				})
			}
		})
	}
}

func checkGuideRecord(t *testing.T, r Record, typ string, vars map[string]string) {
	t.Helper()
	eq(t, "Format", r.Format.String(), "kv")
	eq(t, "Type", r.Type, typ)
	eq(t, "Subtype", r.Subtype, vars["subtype"])
	eq(t, "Time", utc(r.Time), "2025-06-20T13:22:38Z") // receive time, Europe/Berlin in summer
	eq(t, "SrcIP", r.SrcIP.String(), vars["src"])
	eq(t, "DstIP", r.DstIP.String(), vars["dst"])
	eqU(t, "SrcPort", uint64(r.SrcPort), 40222)
	eqU(t, "DstPort", uint64(r.DstPort), 22)
	eq(t, "SrcCountry", r.SrcCountry, vars["srcloc"])
	eq(t, "DstCountry", r.DstCountry, vars["dstloc"])
	eq(t, "SrcUser", r.SrcUser, vars["srcuser"])
	eq(t, "Action", r.Action, vars["action"])
	eq(t, "Rule", r.Rule, vars["rule"])
	eq(t, "RuleUUID", r.RuleUUID, vars["rule_uuid"])
	eq(t, "SrcEDL", r.SrcEDL, vars["src_edl"])
	eq(t, "Host", r.Host, "LAB-FW-01")
	if typ == "THREAT" {
		eq(t, "ThreatName", r.ThreatName, "SSH User Authentication Brute Force Attempt")
		eqU(t, "ThreatID", r.ThreatID, 40015)
		eqU(t, "Severity", uint64(r.Severity), uint64(SeverityHigh))
	}
}

// TestInstallGuideFormatsOnOlderPANOS: a firewall that does not know a
// variable sends it unsubstituted ($rule_uuid before PAN-OS 9.0); the line
// still parses, with that field empty.
func TestInstallGuideFormatsOnOlderPANOS(t *testing.T) {
	for _, typ := range []string{"TRAFFIC", "THREAT"} {
		vars := map[string]string{}
		for k, v := range guideVars[typ] {
			vars[k] = v
		}
		vars["rule_uuid"] = "$rule_uuid"
		line := "<14>Jun 20 15:22:38 LAB-FW-01 " + substitute(t, guideFormat(t, "panos-"+strings.ToLower(typ)), vars)
		r := mustParse(t, line)
		eq(t, typ+" RuleUUID", r.RuleUUID, "")
		eq(t, typ+" Rule", r.Rule, "Inbound DMZ")
	}
}

package pangen_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/activedefense/activedefense/ingest/pangen"
	"github.com/activedefense/activedefense/ingest/panos"
)

// TestParserAgrees checks every generated line against the parser: the
// generator's expectations are what the e2e tests and the benchmark rely on.
func TestParserAgrees(t *testing.T) {
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	g := pangen.New(7, time.Date(2026, 11, 28, 3, 0, 0, 0, time.UTC), loc)
	p := panos.NewParser(panos.Options{Location: loc})
	kinds := map[pangen.Kind]int{}
	for i := 0; i < 20000; i++ {
		l := g.Mix()
		kinds[l.Kind]++
		var r panos.Record
		err := p.Parse(l.Text, &r)
		switch l.Kind {
		case pangen.System:
			var skip *panos.SkipError
			if !errors.As(err, &skip) {
				t.Fatalf("system line not skipped: %v\n%s", err, l.Text)
			}
			continue
		case pangen.Garbage:
			var rej *panos.RejectError
			if !errors.As(err, &rej) {
				t.Fatalf("garbage not rejected: %v\n%s", err, l.Text)
			}
			continue
		}
		if err != nil {
			t.Fatalf("line %d (%s): %v\n%s", i, l.Kind, err, l.Text)
		}
		check(t, l, &r)
	}
	for _, k := range []pangen.Kind{pangen.CSVTraffic, pangen.CSVThreat, pangen.KVTraffic, pangen.KVThreat, pangen.System, pangen.Garbage} {
		if kinds[k] == 0 {
			t.Errorf("mix never produced %s", k)
		}
	}
}

func check(t *testing.T, l pangen.Line, r *panos.Record) {
	t.Helper()
	bad := func(what string, got, want any) {
		t.Fatalf("%s: %s = %v, want %v\n%s", l.Kind, what, got, want, l.Text)
	}
	switch {
	case r.Type != l.Type:
		bad("type", r.Type, l.Type)
	case !r.Time.Equal(l.Time):
		bad("time", r.Time, l.Time)
	case r.SrcIP != l.Src || r.DstIP != l.Dst:
		bad("addresses", r.SrcIP.String()+" "+r.DstIP.String(), l.Src.String()+" "+l.Dst.String())
	case r.SrcPort != l.SrcPort || r.DstPort != l.DstPort:
		bad("ports", [2]uint16{r.SrcPort, r.DstPort}, [2]uint16{l.SrcPort, l.DstPort})
	case r.SrcCountry != l.SrcCountry || r.DstCountry != l.DstCountry:
		bad("countries", r.SrcCountry+"|"+r.DstCountry, l.SrcCountry+"|"+l.DstCountry)
	case r.Action != l.Action || r.Rule != l.Rule:
		bad("action/rule", r.Action+"|"+r.Rule, l.Action+"|"+l.Rule)
	}
	if l.Type == "THREAT" {
		if r.Severity.String() != strings.ToLower(l.Severity) || r.ThreatID != l.ThreatID || r.ThreatName != l.ThreatName {
			bad("threat", r.Severity.String()+"|"+r.ThreatName, l.Severity+"|"+l.ThreatName)
		}
	}
}

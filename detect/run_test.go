package detect_test

import (
	"slices"
	"testing"
	"time"

	"github.com/activedefense/activedefense/schema"
)

// TestDetectDefaults runs the three cases at default settings over known
// attackers and decoys.
func TestDetectDefaults(t *testing.T) {
	e := newEnv(t)
	base := e.now.Add(-30 * time.Minute)
	var evs []event
	evs = append(evs, scan(base, 5*time.Minute, "45.1.1.1", "198.18.0.10", 16)...)  // port scanner
	evs = append(evs, scan(base, 5*time.Minute, "45.1.1.2", "198.18.0.10", 15)...)  // at the threshold
	evs = append(evs, scan(base, 40*time.Minute, "45.1.1.3", "198.18.0.10", 30)...) // slow scanner
	evs = append(evs, scan(base, 5*time.Minute, "10.1.1.4", "198.18.0.10", 40)...)  // private
	evs = append(evs, scan(base, 5*time.Minute, "45.1.1.5", "198.18.0.10", 40)...)  // allow-listed
	evs = append(evs, sweep(base, 5*time.Minute, "45.2.2.1", 11, 445)...)           // host sweeper
	evs = append(evs, sweep(base, 5*time.Minute, "45.2.2.2", 10, 445)...)           // at the threshold
	evs = append(evs, sweep(base, 5*time.Minute, "2a01:4f8::66", 25, 22)...)        // IPv6 sweeper
	evs = append(evs, threat(base, "45.3.3.1", "198.18.0.20", "vulnerability", "critical"))
	evs = append(evs, threat(base, "45.3.3.2", "198.18.0.20", "vulnerability", "high"))
	evs = append(evs, threat(base, "45.3.3.3", "198.18.0.20", "spyware", "critical"))
	evs = append(evs, threat(base, "192.168.3.4", "198.18.0.20", "vulnerability", "critical"))
	e.insert(evs...)
	if _, err := e.svc.AddAllowlist(ctx(), schema.Actor{Name: "test"}, schema.AllowAdd{CIDR: "45.1.1.5", Note: "partner"}); err != nil {
		t.Fatal(err)
	}
	res := e.run()
	want := sorted("45.1.1.1", "45.2.2.1", "2a01:4f8::66", "45.3.3.1")
	if got := e.listed(schema.StateActive); !slices.Equal(got, want) {
		t.Fatalf("listed %v, want %v", got, want)
	}
	if res.Blocked != 4 || res.Suppressed != 1 {
		t.Errorf("run counts: blocked %d suppressed %d", res.Blocked, res.Suppressed)
	}
	sup, err := e.svc.ListDetections(ctx(), schema.DetectionFilter{Actions: []string{schema.ActionSuppressed}})
	if err != nil || len(sup) != 1 || sup[0].IP.String() != "45.1.1.5" || sup[0].Why == "" {
		t.Fatalf("suppressed detections %+v, %v", sup, err)
	}
	scanner := e.entry("45.1.1.1")
	if scanner.Reason != schema.ReasonPortscan || scanner.Evidence.Distinct != 16 || scanner.Evidence.Dst != "198.18.0.10" ||
		len(scanner.Evidence.Sample) != 16 || scanner.Source != "automatic" || scanner.ReleaseMonths != 1 {
		t.Errorf("scanner entry %+v", scanner)
	}
	if sw := e.entry("45.2.2.1"); sw.Reason != schema.ReasonSweep || sw.Evidence.DstPort != 445 || sw.Evidence.Distinct != 11 {
		t.Errorf("sweeper entry %+v", sw)
	}
	if v := e.entry("45.3.3.1"); v.Reason != schema.ReasonVuln || v.Evidence.Severity != "critical" || v.Evidence.ThreatID != 91234 || v.Category != schema.CategoryExploit {
		t.Errorf("vulnerability entry %+v", v)
	}

	// vuln.level 2 lists the high-severity source without new traffic: a
	// settings change re-evaluates the lookback.
	e.set1(schema.VulnLevel, "2")
	e.now = e.now.Add(time.Minute)
	e.run()
	if got := e.listed(schema.StateActive); !slices.Contains(got, "45.3.3.2") || slices.Contains(got, "45.3.3.3") {
		t.Fatalf("after vuln.level 2: %v", got)
	}
	// A third run with nothing new changes nothing.
	e.now = e.now.Add(time.Minute)
	if res := e.run(); res.Blocked != 0 {
		t.Fatalf("idle run blocked %d", res.Blocked)
	}
}

func TestSlidingWindowAcrossBoundary(t *testing.T) {
	e := newEnv(t)
	base := e.now.Add(-time.Hour).Truncate(10 * time.Minute).Add(7 * time.Minute)
	// 8 ports before the 10-minute mark, 8 after: 16 ports in 6 minutes.
	e.insert(scan(base, 6*time.Minute, "45.9.9.9", "198.18.0.1", 16)...)
	e.run()
	if got := e.listed(schema.StateActive); !slices.Equal(got, []string{"45.9.9.9"}) {
		t.Fatalf("listed %v", got)
	}
}

// TestCatchUp: rows imported after a run, with attacks an hour old, are
// caught by the next run; so are rows stored while the service was down
// (a new service finds where the last run stopped).
func TestCatchUp(t *testing.T) {
	e := newEnv(t)
	e.insert(traffic(e.now.Add(-time.Minute), "45.4.4.1", "198.18.0.1", 80))
	e.run()
	if got := e.listed(schema.StateActive); len(got) != 0 {
		t.Fatalf("listed %v", got)
	}
	// An import of an hour-old attack, stored after the first run.
	e.now = e.now.Add(time.Minute)
	e.insert(scan(e.now.Add(-time.Hour), 3*time.Minute, "45.4.4.2", "198.18.0.1", 20)...)
	res := e.run()
	if got := e.listed(schema.StateActive); !slices.Equal(got, []string{"45.4.4.2"}) {
		t.Fatalf("after import: %v (windows %s)", got, res.Windows)
	}
	// Downtime: a new service instance on the same store.
	down := newEnvOn(t, e.st)
	down.now = e.now.Add(10 * time.Minute)
	down.insert(sweep(down.now.Add(-5*time.Minute), time.Minute, "45.4.4.3", 12, 3389)...)
	down.run()
	if got := down.listed(schema.StateActive); !slices.Equal(got, sorted("45.4.4.2", "45.4.4.3")) {
		t.Fatalf("after restart: %v", got)
	}
}

// TestReleaseEscalation: a source released and detected again gets twice
// its release window and counts one return; evidence from before its
// release never lists it again.
func TestReleaseEscalation(t *testing.T) {
	e := newEnv(t)
	e.insert(scan(e.now.Add(-20*time.Minute), 2*time.Minute, "45.5.5.5", "198.18.0.1", 20)...)
	e.run()
	first := e.entry("45.5.5.5")
	if first.State != schema.StateActive || first.ReleaseMonths != 1 || first.Returns != 0 {
		t.Fatalf("first listing %+v", first)
	}
	if got := first.Expires.Sub(first.LastActivity); got < 28*24*time.Hour || got > 31*24*time.Hour {
		t.Fatalf("first window %s", got)
	}
	// Expiry: two months without activity.
	e.age("45.5.5.5", 62*24*time.Hour)
	rel, err := e.svc.ExpireBlacklist(ctx(), schema.System)
	if err != nil || len(rel) != 1 {
		t.Fatalf("expire: %v, %v", rel, err)
	}
	if got := e.listed(schema.StateActive); len(got) != 0 {
		t.Fatalf("still listed after expiry: %v", got)
	}
	// The old evidence is re-read by a run (lookback) and must not resurrect it.
	e.set1(schema.DetectLookback, "720h")
	e.run()
	if got := e.listed(schema.StateActive); len(got) != 0 {
		t.Fatalf("resurrected from old evidence: %v", got)
	}
	// It comes back.
	e.now = e.now.Add(time.Minute)
	e.insert(scan(e.now.Add(-30*time.Second), 20*time.Second, "45.5.5.5", "198.18.0.1", 20)...)
	e.run()
	again := e.entry("45.5.5.5")
	if again.State != schema.StateActive || again.ReleaseMonths != 2 || again.Returns != 1 {
		t.Fatalf("second listing %+v", again)
	}
	if got := again.Expires.Sub(again.LastActivity); got < 59*24*time.Hour || got > 62*24*time.Hour {
		t.Fatalf("second window %s", got)
	}
	// Removed by hand, back again: 4 months; capped at release.max_months.
	e.set1(schema.ReleaseMaxMonths, "3")
	if err := e.svc.RemoveBlacklist(ctx(), schema.Actor{Name: "user:ann"}, "45.5.5.5", ""); err != nil {
		t.Fatal(err)
	}
	e.now = e.now.Add(time.Minute)
	e.insert(scan(e.now.Add(-30*time.Second), 20*time.Second, "45.5.5.5", "198.18.0.1", 20)...)
	e.run()
	if third := e.entry("45.5.5.5"); third.ReleaseMonths != 3 || third.Returns != 2 {
		t.Fatalf("third listing %+v", third)
	}
	audit, err := e.svc.ListAudit(ctx(), time.Time{}, 100)
	if err != nil {
		t.Fatal(err)
	}
	var adds, releases int
	for _, a := range audit {
		if a.Object == "blacklist 45.5.5.5" {
			switch a.Action {
			case schema.AuditAdd:
				adds++
			case schema.AuditRelease:
				releases++
			}
		}
	}
	if adds != 3 || releases != 2 {
		t.Fatalf("audit: %d adds, %d releases", adds, releases)
	}
}

// TestActivityRefreshes: any later line from a listed source, such as a
// hit on the deny rule, moves its last activity and expiry.
func TestActivityRefreshes(t *testing.T) {
	e := newEnv(t)
	e.insert(scan(e.now.Add(-20*time.Minute), 2*time.Minute, "45.6.6.6", "198.18.0.1", 20)...)
	e.run()
	before := e.entry("45.6.6.6")
	e.now = e.now.Add(time.Hour)
	e.insert(traffic(e.now.Add(-time.Minute), "45.6.6.6", "198.18.0.9", 443))
	e.run()
	after := e.entry("45.6.6.6")
	if !after.LastActivity.After(before.LastActivity.Add(30*time.Minute)) || !after.Expires.After(before.Expires) {
		t.Fatalf("not refreshed: before %s/%s after %s/%s", before.LastActivity, before.Expires, after.LastActivity, after.Expires)
	}
}

// TestManualRules: the rules of manual adds.
func TestManualRules(t *testing.T) {
	e := newEnv(t)
	actor := schema.Actor{Name: "user:ann"}
	if _, err := e.svc.AddAllowlist(ctx(), actor, schema.AllowAdd{CIDR: "45.7.0.0/16"}); err != nil {
		t.Fatal(err)
	}
	e.set1(schema.OurNetworks, "46.0.0.0/24")
	tests := []struct {
		ip      string
		wantErr error
	}{
		{"45.7.1.2", schema.ErrProtected},    // allow-listed
		{"46.0.0.9", schema.ErrProtected},    // our network
		{"10.0.0.1", schema.ErrProtected},    // private
		{"203.0.113.9", schema.ErrProtected}, // documentation
		{"8.8.8.8", schema.ErrProtected},     // shipped infrastructure
		{"not-an-ip", schema.ErrInvalid},
		{"45.8.8.8", nil},
		{"45.8.8.8", schema.ErrExists},
	}
	for _, tc := range tests {
		_, err := e.svc.AddBlacklist(ctx(), actor, schema.BlacklistAdd{IP: tc.ip, Reason: "seen in honeypot"})
		if tc.wantErr == nil && err != nil || tc.wantErr != nil && !errorIs(err, tc.wantErr) {
			t.Errorf("add %s: %v, want %v", tc.ip, err, tc.wantErr)
		}
	}
	m := e.entry("45.8.8.8")
	if m.Reason != schema.ReasonManual || m.Evidence.Note != "seen in honeypot" || m.Source != "user:ann" || m.Category != schema.CategoryManual {
		t.Fatalf("manual entry %+v", m)
	}
	if _, err := e.svc.AddBlacklist(ctx(), actor, schema.BlacklistAdd{IP: "45.8.8.9", Permanent: true}); err != nil {
		t.Fatal(err)
	}
	e.now = e.now.AddDate(2, 0, 0)
	rel, err := e.svc.ExpireBlacklist(ctx(), schema.System)
	if err != nil || len(rel) != 1 || rel[0].IP.String() != "45.8.8.8" {
		t.Fatalf("expire: %+v %v", rel, err)
	}
	if got := e.listed(schema.StateActive); !slices.Equal(got, []string{"45.8.8.9"}) {
		t.Fatalf("permanent entry: %v", got)
	}
	// Allow-listing a listed address releases it.
	if _, err := e.svc.AddAllowlist(ctx(), actor, schema.AllowAdd{CIDR: "45.8.8.9"}); err != nil {
		t.Fatal(err)
	}
	if got := e.listed(schema.StateActive); len(got) != 0 {
		t.Fatalf("allow-listed address still listed: %v", got)
	}
}

// TestWindowPrecision: "within 10 minutes" holds to within the 10-second
// hop: 16 ports over 9 min 45 s, not aligned to minutes, are a scan; the
// same over 10 min 30 s are not.
func TestWindowPrecision(t *testing.T) {
	e := newEnv(t)
	base := e.now.Add(-time.Hour).Truncate(time.Minute).Add(40 * time.Second)
	var evs []event
	for i := 0; i < 16; i++ {
		evs = append(evs, traffic(base.Add(time.Duration(i)*39*time.Second), "45.60.0.1", "198.18.0.1", uint16(100+i))) // 15×39 s = 9 min 45 s
		evs = append(evs, traffic(base.Add(time.Duration(i)*42*time.Second), "45.60.0.2", "198.18.0.2", uint16(100+i))) // 15×42 s = 10 min 30 s
	}
	e.insert(evs...)
	e.run()
	if got := e.listed(schema.StateActive); !slices.Equal(got, []string{"45.60.0.1"}) {
		t.Fatalf("listed %v", got)
	}
}

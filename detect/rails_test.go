package detect_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/activedefense/activedefense/detect"
	"github.com/activedefense/activedefense/schema"
)

// attackers inserts n port scanners 45.20.0.1… and returns their addresses.
func (e *env) attackers(n int, from time.Time) []string {
	var out []string
	var evs []event
	for i := 0; i < n; i++ {
		ip := "45.20.0." + strconv.Itoa(i+1)
		out = append(out, ip)
		evs = append(evs, scan(from, 2*time.Minute, ip, "198.18.0.1", 20+i)...)
	}
	e.insert(evs...)
	slices.Sort(out)
	return out
}

func (e *env) edl(list string) []string {
	e.t.Helper()
	set, err := e.svc.EDL(ctx())
	if err != nil {
		e.t.Fatal(err)
	}
	return set.Lists[list]
}

// TestMonitorMode: in monitor mode detections are recorded as would-block
// and nothing reaches the EDL; switching to block lists them.
func TestMonitorMode(t *testing.T) {
	e := newEnv(t)
	e.set1(schema.DetectMode, schema.ModeMonitor)
	ips := e.attackers(3, e.now.Add(-20*time.Minute))
	e.run()
	if got := e.edl("blacklist"); len(got) != 0 {
		t.Fatalf("EDL in monitor mode: %v", got)
	}
	mon, err := e.svc.ListDetections(ctx(), schema.DetectionFilter{Actions: []string{schema.ActionMonitored}})
	if err != nil || len(mon) != 3 {
		t.Fatalf("monitored detections %d, %v", len(mon), err)
	}
	if got := e.listed(schema.StateMonitored); !slices.Equal(got, ips) {
		t.Fatalf("monitored entries %v", got)
	}
	e.set1(schema.DetectMode, schema.ModeBlock)
	e.now = e.now.Add(time.Minute)
	e.run()
	if got := e.edl("blacklist"); !slices.Equal(got, ips) {
		t.Fatalf("EDL after block: %v", got)
	}
	// A case's own mode overrides the global one.
	e.set1(schema.SweepMode, schema.ModeMonitor)
	e.insert(sweep(e.now.Add(-3*time.Minute), time.Minute, "45.21.0.1", 15, 22)...)
	e.now = e.now.Add(time.Minute)
	e.run()
	if got := e.listed(schema.StateMonitored); !slices.Equal(got, []string{"45.21.0.1"}) {
		t.Fatalf("sweep.mode monitor: %v", got)
	}
}

// TestBlockStormCap: one run lists at most detect.max_new_per_run, the most
// severe first, and holds the rest for approval.
func TestBlockStormCap(t *testing.T) {
	e := newEnv(t)
	e.set1(schema.DetectMaxNew, "5")
	ips := e.attackers(8, e.now.Add(-20*time.Minute))
	e.insert(threat(e.now.Add(-5*time.Minute), "45.30.0.1", "198.18.0.9", "vulnerability", "critical"))
	res := e.run()
	if res.Blocked != 5 || res.Held != 4 {
		t.Fatalf("blocked %d held %d", res.Blocked, res.Held)
	}
	if got := e.edl("blacklist"); len(got) != 5 || !slices.Contains(got, "45.30.0.1") {
		t.Fatalf("EDL %v: the critical source must be among the first five", got)
	}
	held := e.listed(schema.StateHeld)
	if len(held) != 4 {
		t.Fatalf("held %v", held)
	}
	// Approve one, discard one, approve the rest.
	if _, err := e.svc.DecideHeld(ctx(), schema.Actor{Name: "user:ann"}, held[0], true); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.DecideHeld(ctx(), schema.Actor{Name: "user:ann"}, held[1], false); err != nil {
		t.Fatal(err)
	}
	rest, err := e.svc.DecideHeld(ctx(), schema.Actor{Name: "user:ann"}, "", true)
	if err != nil || len(rest) != 2 {
		t.Fatalf("approve all: %v %v", rest, err)
	}
	want := slices.DeleteFunc(append(slices.Clone(ips), "45.30.0.1"), func(s string) bool { return s == held[1] })
	slices.Sort(want)
	if got := e.edl("blacklist"); !slices.Equal(got, want) {
		t.Fatalf("EDL after decisions %v, want %v", got, want)
	}
	if _, err := e.svc.DecideHeld(ctx(), schema.Actor{Name: "user:ann"}, held[1], true); err == nil {
		t.Fatal("a discarded source approved")
	}
}

// TestFirstRunSkipsOldHistory: sources quiet for longer than their release
// window are not listed by a run over history.
func TestFirstRunSkipsOldHistory(t *testing.T) {
	e := newEnv(t)
	e.insert(scan(e.now.Add(-45*24*time.Hour), 2*time.Minute, "45.40.0.1", "198.18.0.1", 30)...)
	e.insert(scan(e.now.Add(-20*24*time.Hour), 2*time.Minute, "45.40.0.2", "198.18.0.1", 30)...)
	e.run()
	if got := e.listed(schema.StateActive); !slices.Equal(got, []string{"45.40.0.2"}) {
		t.Fatalf("first run over history listed %v", got)
	}
}

// TestSystemOff: with the system off, scheduled runs do nothing (logs are
// still stored); a manual run still runs.
func TestSystemOff(t *testing.T) {
	e := newEnv(t)
	e.set1(schema.SystemEnabled, "false")
	e.attackers(1, e.now.Add(-10*time.Minute))
	res, err := e.svc.Run(ctx(), detect.TriggerSchedule)
	if err != nil || res.ID != "" || len(e.listed(schema.StateActive)) != 0 {
		t.Fatalf("scheduled run with the system off: %+v %v", res, err)
	}
	e.set1(schema.SystemEnabled, "true")
	if res, err := e.svc.Run(ctx(), detect.TriggerSchedule); err != nil || res.Blocked != 1 {
		t.Fatalf("scheduled run with the system on: %+v %v", res, err)
	}
}

// TestPerDeviceLists: a firewall's own list holds what its logs caused,
// plus manual entries.
func TestPerDeviceLists(t *testing.T) {
	e := newEnv(t)
	for _, d := range []string{"fw1", "fw2"} {
		if err := schema.AddDevice(ctx(), e.st, schema.Device{Name: d, Path: "/var/log/" + d, Enabled: true}); err != nil {
			t.Fatal(err)
		}
	}
	e.attackers(1, e.now.Add(-10*time.Minute)) // logged by fw1
	e.run()
	if _, err := e.svc.AddBlacklist(ctx(), schema.Actor{Name: "t"}, schema.BlacklistAdd{IP: "45.90.0.1"}); err != nil {
		t.Fatal(err)
	}
	if got := e.edl("device/fw1"); !slices.Equal(got, []string{"45.20.0.1", "45.90.0.1"}) {
		t.Fatalf("fw1 list %v", got)
	}
	if got := e.edl("device/fw2"); !slices.Equal(got, []string{"45.90.0.1"}) {
		t.Fatalf("fw2 list %v", got)
	}
	if got := e.edl("manual"); !slices.Equal(got, []string{"45.90.0.1"}) {
		t.Fatalf("manual list %v", got)
	}
	if got := e.edl("scan"); !slices.Equal(got, []string{"45.20.0.1"}) {
		t.Fatalf("scan list %v", got)
	}
}

// TestSettingChangedElsewhere: a detection setting changed by another
// process (the CLI with no server running) makes the next run re-evaluate
// the lookback too.
func TestSettingChangedElsewhere(t *testing.T) {
	e := newEnv(t)
	e.insert(threat(e.now.Add(-time.Hour), "45.92.0.1", "198.18.0.9", "vulnerability", "high"))
	e.run()
	other := schema.NewSettings(e.st, nil)
	if err := other.Load(ctx()); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Set(ctx(), map[string]string{schema.VulnLevel: "2"}); err != nil {
		t.Fatal(err)
	}
	e.now = e.now.Add(time.Minute)
	e.run()
	if got := e.listed(schema.StateActive); !slices.Equal(got, []string{"45.92.0.1"}) {
		t.Fatalf("listed %v", got)
	}
}

// TestFirewallAddressReleased: registering a firewall whose sender address
// is listed releases it.
func TestFirewallAddressReleased(t *testing.T) {
	e := newEnv(t)
	if _, err := e.svc.AddBlacklist(ctx(), schema.Actor{Name: "t"}, schema.BlacklistAdd{IP: "45.93.0.1"}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.DevicesChanged(ctx(), schema.Actor{Name: "cli"}, []string{"45.93.0.1"}); err != nil {
		t.Fatal(err)
	}
	if got := e.listed(schema.StateActive); len(got) != 0 {
		t.Fatalf("firewall address still listed: %v", got)
	}
	if x := e.entry("45.93.0.1"); x.ReleaseReason != "a registered firewall's address" {
		t.Fatalf("entry %+v", x)
	}
}

// TestBlacklistImport: an old system's list: public addresses and networks
// are listed; private, allow-listed and malformed lines are reported line by
// line; a re-run changes nothing.
func TestBlacklistImport(t *testing.T) {
	e := newEnv(t)
	if _, err := e.svc.AddAllowlist(ctx(), schema.Actor{Name: "t"}, schema.AllowAdd{CIDR: "45.95.0.9"}); err != nil {
		t.Fatal(err)
	}
	file := "# old blacklist.txt\n45.94.0.1\n45.94.1.0/24\n10.0.0.1\n192.168.0.0/16\n45.95.0.9\nnot an address\n" +
		"45.94.0.2,scanner from 2024,2024-01-01\n2a01:4f8::9\n"
	rep, err := e.svc.ImportBlacklist(ctx(), schema.Actor{Name: "cli"}, strings.NewReader(file), "old system")
	if err != nil {
		t.Fatal(err)
	}
	if rep.Added != 4 || rep.Already != 0 || len(rep.Skipped) != 4 {
		t.Fatalf("report %+v", rep)
	}
	for i, want := range []struct {
		line int
		why  string
	}{{4, "not globally routable"}, {5, "not globally routable"}, {6, "allow-listed"}, {7, "malformed"}} {
		if s := rep.Skipped[i]; s.Line != want.line || !strings.Contains(s.Why, want.why) {
			t.Fatalf("skipped[%d] = %+v, want line %d: %s", i, s, want.line, want.why)
		}
	}
	if got := e.edl("blacklist"); !slices.Equal(got, []string{"45.94.0.1", "45.94.0.2", "45.94.1.0/24", "2a01:4f8::9"}) {
		t.Fatalf("EDL %v", got)
	}
	if x := e.entry("45.94.0.2"); x.Evidence.Note != "scanner from 2024" || x.FirstListed.Year() != 2024 || !x.Expires.After(e.now) {
		t.Fatalf("CSV entry %+v", x)
	}
	again, err := e.svc.ImportBlacklist(ctx(), schema.Actor{Name: "cli"}, strings.NewReader(file), "old system")
	if err != nil || again.Added != 0 || again.Already != 4 {
		t.Fatalf("re-run: %+v %v", again, err)
	}
}

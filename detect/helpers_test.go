package detect_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/activedefense/activedefense/detect"
	"github.com/activedefense/activedefense/schema"
	"github.com/activedefense/activedefense/schema/chembed/chembedtest"
)

func TestMain(m *testing.M) { chembedtest.VerifyMain(m) }

// env is a migrated store with a detection service on a settable clock.
type env struct {
	t   *testing.T
	st  schema.Store
	set *schema.Settings
	svc *detect.Service
	now time.Time
}

func newEnv(t *testing.T) *env {
	t.Helper()
	st := chembedtest.Open(t)
	if _, err := schema.Migrate(context.Background(), st, schema.DefaultRenderOptions()); err != nil {
		t.Fatal(err)
	}
	e := newEnvOn(t, st)
	if err := e.svc.Init(context.Background()); err != nil {
		t.Fatal(err)
	}
	return e
}

func ctx() context.Context { return context.Background() }

// event is one firewall log row.
type event struct {
	TS       schema.CHTime `json:"ts"`
	Device   string        `json:"device"`
	Type     string        `json:"type"`
	Subtype  string        `json:"subtype"`
	Src      string        `json:"src_ip"`
	Dst      string        `json:"dst_ip"`
	DstPort  uint16        `json:"dst_port"`
	Action   string        `json:"action"`
	Threat   string        `json:"threat_name"`
	ThreatID uint64        `json:"threat_id"`
	Severity string        `json:"severity"`
}

func traffic(ts time.Time, src, dst string, port uint16) event {
	return event{TS: schema.CHTime(ts), Device: "fw1", Type: "TRAFFIC", Subtype: "drop", Src: src, Dst: dst, DstPort: port, Action: "deny"}
}

func threat(ts time.Time, src, dst, subtype, severity string) event {
	return event{TS: schema.CHTime(ts), Device: "fw1", Type: "THREAT", Subtype: subtype, Src: src, Dst: dst, DstPort: 80,
		Action: "reset-both", Threat: "Test Threat", ThreatID: 91234, Severity: severity}
}

func (e *env) insert(evs ...event) {
	e.t.Helper()
	err := schema.InsertJSON(ctx(), e.st, "firewall_logs", `ts DateTime64(3), device String, type String, subtype String,
src_ip IPv6, dst_ip IPv6, dst_port UInt16, action String, threat_name String, threat_id UInt64, severity String`, evs)
	if err != nil {
		e.t.Fatal(err)
	}
}

// scan returns n events from src to n ports of dst, spread over d.
func scan(start time.Time, d time.Duration, src, dst string, n int) []event {
	var out []event
	for i := 0; i < n; i++ {
		out = append(out, traffic(start.Add(d*time.Duration(i)/time.Duration(max(n, 1))), src, dst, uint16(1000+i)))
	}
	return out
}

// sweep returns n events from src to n hosts on port.
func sweep(start time.Time, d time.Duration, src string, n int, port uint16) []event {
	var out []event
	for i := 0; i < n; i++ {
		out = append(out, traffic(start.Add(d*time.Duration(i)/time.Duration(max(n, 1))), src, fmt.Sprintf("198.18.%d.%d", i/250, i%250+1), port))
	}
	return out
}

func (e *env) run() schema.RunResult {
	e.t.Helper()
	res, err := e.svc.Run(ctx(), detect.TriggerManual)
	if err != nil {
		e.t.Fatal(err)
	}
	return res
}

// listed returns the addresses in state.
func (e *env) listed(state string) []string {
	e.t.Helper()
	es, err := e.svc.ListBlacklist(ctx(), state)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, x := range es {
		out = append(out, x.IP.String())
	}
	slices.Sort(out)
	return out
}

func (e *env) entry(ip string) schema.BlacklistEntry {
	e.t.Helper()
	x, err := e.svc.GetBlacklist(ctx(), ip)
	if err != nil {
		e.t.Fatal(err)
	}
	return x
}

func (e *env) set1(key, value string) {
	e.t.Helper()
	if _, err := e.svc.SetSettings(ctx(), schema.Actor{Name: "test"}, map[string]string{key: value}); err != nil {
		e.t.Fatal(err)
	}
}

func sorted(s ...string) []string {
	slices.Sort(s)
	return s
}

// newEnvOn is a second service on the same store (a restart).
func newEnvOn(t *testing.T, st schema.Store) *env {
	e := &env{t: t, st: st, now: time.Now().UTC().Truncate(time.Second)}
	e.set = schema.NewSettings(st, schema.NewKeyring(make([]byte, 32)))
	if err := e.set.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	log := logrus.New()
	log.SetOutput(io.Discard)
	e.svc = detect.New(detect.Config{Now: func() time.Time { return e.now }}, st, e.set, log.WithField("component", "detect"))
	return e
}

func errorIs(err, target error) bool { return errors.Is(err, target) }

// age moves an entry's times back by d, as if d had passed.
func (e *env) age(ip string, d time.Duration) {
	e.t.Helper()
	x := e.entry(ip)
	x.Created, x.FirstListed, x.LastActivity = x.Created.Add(-d), x.FirstListed.Add(-d), x.LastActivity.Add(-d)
	x.Evidence.FirstSeen, x.Evidence.LastSeen = x.Evidence.FirstSeen.Add(-d), x.Evidence.LastSeen.Add(-d)
	if !x.Expires.IsZero() {
		x.Expires = x.Expires.Add(-d)
	}
	if err := schema.PutBlacklist(ctx(), e.st, []schema.BlacklistEntry{x}); err != nil {
		e.t.Fatal(err)
	}
}

// runNotifier runs the notifier until the returned stop is called.
func (e *env) runNotifier() func() {
	c, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = e.svc.Notifier().Run(c) }()
	return func() { cancel(); <-done }
}

package storetest

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/activedefense/activedefense/schema"
)

// logsBlock is n log lines: every third one allowed, the rest denied, from
// five sources, on two devices.
func logsBlock(n int, base time.Time) *schema.Block {
	var (
		ts                        schema.DateTimeColumn
		device, typ, action, ctry schema.StringColumn
		src, dst                  schema.IPv6Column
		port                      schema.UInt16Column
		sev                       schema.Int8Column
	)
	for i := 0; i < n; i++ {
		ts.AppendTime(base.Add(time.Duration(i) * time.Second))
		device.Append([]string{"fw1", "fw2"}[i%2])
		typ.Append("TRAFFIC")
		action.Append([]string{"allow", "deny", "drop"}[i%3])
		ctry.Append("NL")
		src.AppendAddr(netip.AddrFrom4([4]byte{203, 0, 113, byte(i % 5)}))
		dst.AppendAddr(netip.AddrFrom4([4]byte{198, 51, 100, byte(i % 7)}))
		port = append(port, uint16(20+i%4))
		sev = append(sev, 0)
	}
	return &schema.Block{Table: "firewall_logs", Columns: []schema.NamedColumn{
		{Name: "ts", Data: &ts}, {Name: "device", Data: &device}, {Name: "type", Data: &typ},
		{Name: "action", Data: &action}, {Name: "src_country", Data: &ctry}, {Name: "src_ip", Data: &src},
		{Name: "dst_ip", Data: &dst}, {Name: "dst_port", Data: &port}, {Name: "severity", Data: &sev},
	}}
}

// rollupCounts returns the lines in the log table, the lines summed in the
// events rollup and the attacks summed in the top rollup.
func rollupCounts(t *testing.T, st schema.Store) (logs, events, attacks uint64) {
	t.Helper()
	return count(t, st, "SELECT count() FROM firewall_logs"),
		count(t, st, "SELECT sum(lines) FROM dash_events"),
		count(t, st, "SELECT sum(attacks) FROM dash_top")
}

// testDashboardRollup proves the dashboard rollups exactly once: a batch
// re-sent with its deduplication token is counted once, and a batch whose
// rollup write failed after the log table stored it is counted when it is
// re-sent.
func testDashboardRollup(t *testing.T, st schema.Store) {
	if _, err := schema.Migrate(ctx(t), st, schema.DefaultRenderOptions()); err != nil {
		t.Fatal(err)
	}
	base := time.Now().UTC().Truncate(time.Hour).Add(-2 * time.Hour)
	b := logsBlock(300, base) // 200 attacks (deny, drop)
	for i := 0; i < 3; i++ {
		if err := st.Insert(ctx(t), b, schema.InsertOptions{DedupToken: "fw:f:0:300:p"}); err != nil {
			t.Fatal(err)
		}
	}
	if l, e, a := rollupCounts(t, st); l != 300 || e != 300 || a != 200 {
		t.Fatalf("one batch sent three times: logs %d, events rollup %d, attacks %d; want 300, 300, 200", l, e, a)
	}
	var top string
	if err := schema.QueryRow(ctx(t), st, `SELECT toString(approx_top_countMerge(50)(src)) FROM dash_top`, nil, &top); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(top, "('::ffff:203.0.113.0',40,0)") || !strings.Contains(top, "('::ffff:203.0.113.4',40,0)") {
		t.Fatalf("top sources: %s", top)
	}

	// A view fails while the batch is being written, after the log table
	// stored it and before or after the rollups did (views named to run
	// before and after them throw); the failure passes and the batch is
	// re-sent.
	mustExec(t, st, "CREATE TABLE boom_flag (x UInt8) ENGINE = Memory", nil)
	mustExec(t, st, "CREATE TABLE boom_sink (x UInt8) ENGINE = Memory", nil)
	for _, name := range []string{"a_boom_mv", "z_boom_mv"} {
		mustExec(t, st, "CREATE MATERIALIZED VIEW "+name+` TO boom_sink AS
SELECT throwIf((SELECT count() FROM boom_flag) > 0, 'boom') AS x FROM firewall_logs`, nil)
	}
	mustExec(t, st, "INSERT INTO boom_flag VALUES (1)", nil)
	b2 := logsBlock(30, base.Add(time.Hour)) // 20 attacks
	if err := st.Insert(ctx(t), b2, schema.InsertOptions{DedupToken: "fw:f:300:330:p"}); err == nil {
		t.Fatal("insert with a failing view succeeded")
	}
	if l, _, _ := rollupCounts(t, st); l != 330 {
		t.Fatalf("the log table has %d lines after the failed insert, want 330 (the case this test is for)", l)
	}
	mustExec(t, st, "DROP VIEW a_boom_mv", nil)
	mustExec(t, st, "DROP VIEW z_boom_mv", nil)
	for i := 0; i < 2; i++ {
		if err := st.Insert(ctx(t), b2, schema.InsertOptions{DedupToken: "fw:f:300:330:p"}); err != nil {
			t.Fatal(err)
		}
	}
	if l, e, a := rollupCounts(t, st); l != 330 || e != 330 || a != 220 {
		t.Fatalf("after re-sending the failed batch twice: logs %d, events %d, attacks %d; want 330, 330, 220", l, e, a)
	}
}

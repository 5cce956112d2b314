package storetest

import (
	"strings"
	"testing"

	"github.com/activedefense/activedefense/schema"
)

// LogsColumns are the columns the logs view promises (docs/SCHEMA.md).
var LogsColumns = []string{"ts", "device", "type", "subtype", "src_ip", "src_port", "dst_ip", "dst_port",
	"src_country", "dst_country", "src_user", "action", "rule", "threat_name", "threat_id", "severity"}

// Tables are the tables the migrations create.
var Tables = []string{"firewall_logs", "logs", "rejected_lines", "ingest_checkpoints", "devices", "users",
	"settings", "recipients", "allowlist", "blacklist", "audit_log", "schema_migrations",
	"detections", "detect_runs", "feeds", "feed_state", "webhooks", "api_tokens", "sessions", "edl_clients",
	"dash_events", "dash_events_mv", "dash_top", "dash_top_mv"}

func testMigrate(t *testing.T, st schema.Store) {
	res, err := schema.Migrate(ctx(t), st, schema.DefaultRenderOptions())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Applied) == 0 || res.Current != res.Applied[len(res.Applied)-1] {
		t.Fatalf("first migrate: %+v", res)
	}
	for _, tbl := range Tables {
		got, err := schema.Count(ctx(t), st, "SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = {n:String}",
			schema.Params{"n": tbl})
		if err != nil || got != 1 {
			t.Errorf("table %s: count=%d err=%v", tbl, got, err)
		}
	}
	before := tableState(t, st)
	again, err := schema.Migrate(ctx(t), st, schema.DefaultRenderOptions())
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Applied) != 0 || again.Current != res.Current {
		t.Fatalf("second migrate applied %v (current %d)", again.Applied, again.Current)
	}
	if after := tableState(t, st); after != before {
		t.Fatalf("second migrate changed the schema:\nbefore %s\nafter  %s", before, after)
	}
	mustExec(t, st, "INSERT INTO schema_migrations (version, name, checksum, applied) SELECT 1, 'init', 'tampered', now()", nil)
	if _, err := schema.Migrate(ctx(t), st, schema.DefaultRenderOptions()); err == nil || !strings.Contains(err.Error(), "changed after it was applied") {
		t.Fatalf("edited migration not detected: %v", err)
	}
}

// tableState summarises tables, their definitions and the recorded migrations.
func tableState(t *testing.T, st schema.Store) string {
	var b strings.Builder
	err := schema.QueryEach(ctx(t), st, `SELECT name, metadata_modification_time, create_table_query FROM system.tables
		WHERE database = currentDatabase() ORDER BY name`, nil, func(r schema.Rows) error {
		var name, mtime, q string
		if err := r.Scan(&name, &mtime, &q); err != nil {
			return err
		}
		b.WriteString(name + "@" + mtime + ":" + q + "\n")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	b.WriteString("migrations=")
	b.WriteString(strings.Repeat("x", int(count(t, st, "SELECT count() FROM schema_migrations"))))
	return b.String()
}

func testLogsView(t *testing.T, st schema.Store) {
	if _, err := schema.Migrate(ctx(t), st, schema.DefaultRenderOptions()); err != nil {
		t.Fatal(err)
	}
	types := map[string]string{}
	err := schema.QueryEach(ctx(t), st, "SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = 'logs'",
		nil, func(r schema.Rows) error {
			var n, ty string
			if err := r.Scan(&n, &ty); err != nil {
				return err
			}
			types[n] = ty
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range LogsColumns {
		if _, ok := types[c]; !ok {
			t.Errorf("logs has no column %s (has %v)", c, types)
		}
	}
	mustExec(t, st, `INSERT INTO firewall_logs (ts, device, type, src_ip, dst_ip, src_port, dst_port, severity)
		SELECT toDateTime('2026-11-28 01:02:03', 'UTC'), 'fw1', 'THREAT', toIPv6('203.0.113.9'), toIPv6('2001:db8::5'), 4444, 22, 'critical'`, nil)
	var src, dst, sev string
	var port uint16
	if err := schema.QueryRow(ctx(t), st, "SELECT src_ip, dst_ip, dst_port, severity FROM logs WHERE src_ip = '203.0.113.9'", nil,
		&src, &dst, &port, &sev); err != nil {
		t.Fatal(err)
	}
	if src != "203.0.113.9" || dst != "2001:db8::5" || port != 22 || sev != "critical" {
		t.Fatalf("logs row: %s %s %d %s", src, dst, port, sev)
	}
}

func testRetention(t *testing.T, st schema.Store) {
	if _, err := schema.Migrate(ctx(t), st, schema.DefaultRenderOptions()); err != nil {
		t.Fatal(err)
	}
	mustExec(t, st, `INSERT INTO firewall_logs (ts, device, type) SELECT today() - 40, 'fw', 'TRAFFIC'`, nil)
	mustExec(t, st, `INSERT INTO firewall_logs (ts, device, type) SELECT now(), 'fw', 'TRAFFIC'`, nil)
	changed, err := schema.SetRetention(ctx(t), st, 30)
	if err != nil || !changed {
		t.Fatalf("SetRetention(30) = %v, %v", changed, err)
	}
	if n := count(t, st, "SELECT count() FROM firewall_logs"); n != 1 {
		t.Fatalf("rows after shortening retention to 30 days: %d, want 1", n)
	}
	var ddl string
	if err := schema.QueryRow(ctx(t), st, "SELECT create_table_query FROM system.tables WHERE database = currentDatabase() AND name IN ('firewall_logs', 'firewall_logs_local') ORDER BY name DESC LIMIT 1", nil, &ddl); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ddl, "toIntervalDay(30)") {
		t.Fatalf("TTL not changed: %s", ddl)
	}
	if changed, err := schema.SetRetention(ctx(t), st, 30); err != nil || changed {
		t.Fatalf("setting the same retention again: %v, %v", changed, err)
	}
	if _, err := schema.SetRetention(ctx(t), st, 0); err == nil {
		t.Fatal("retention of 0 days accepted")
	}
}

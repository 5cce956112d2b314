package chhttp_test

import (
	"context"
	"database/sql"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

func (e *env) open(t *testing.T, method clickhouse.CompressionMethod, user, key string) driver.Conn {
	t.Helper()
	conn, err := clickhouse.Open(&clickhouse.Options{
		Protocol:    clickhouse.HTTP,
		Addr:        []string{e.addr},
		HttpUrlPath: "/clickhouse",
		Auth:        clickhouse.Auth{Database: e.db, Username: user, Password: key},
		Compression: &clickhouse.Compression{Method: method},
		DialTimeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func TestClickHouseGo(t *testing.T) {
	e := newEnv(t)
	methods := []struct {
		name string
		m    clickhouse.CompressionMethod
	}{
		{"none", clickhouse.CompressionNone},
		{"lz4", clickhouse.CompressionLZ4},
		{"zstd", clickhouse.CompressionZSTD},
		{"gzip", clickhouse.CompressionGZIP},
	}
	for _, m := range methods {
		t.Run(m.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			conn := e.open(t, m.m, testUser, testKey)
			if err := conn.Ping(ctx); err != nil {
				t.Fatalf("ping: %v", err)
			}
			v, err := conn.ServerVersion()
			if err != nil {
				t.Fatal(err)
			}
			if v.Version.Major != 26 || v.Timezone.String() != "UTC" || v.DisplayName != "activedefense" {
				t.Fatalf("server version = %+v (tz %v)", v.Version, v.Timezone)
			}
			e.checkLogs(ctx, t, conn)
			checkNamed(ctx, t, conn)
			checkEmpty(ctx, t, conn)
		})
	}
}

// checkLogs reads the logs view and the table behind it with typed columns.
func (e *env) checkLogs(ctx context.Context, t *testing.T, conn driver.Conn) {
	t.Helper()
	var n uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM logs").Scan(&n); err != nil || n != 3 {
		t.Fatalf("count = %d, %v", n, err)
	}
	rows, err := conn.Query(ctx, `SELECT ts, device, type, src_ip, dst_port, action, severity, bytes_sent, format
		FROM logs ORDER BY bytes_sent`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	type row struct {
		ts                                 time.Time
		device, typ, src, action, severity string
		port                               uint16
		sent                               uint64
		format                             string
	}
	var got []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.ts, &r.device, &r.typ, &r.src, &r.port, &r.action, &r.severity, &r.sent, &r.format); err != nil {
			t.Fatal(err)
		}
		got = append(got, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || !got[0].ts.Equal(e.now) || got[0].device != "fw1" || got[0].src != "203.0.113.7" ||
		got[0].port != 22 || got[1].severity != "critical" || got[2].src != "2001:db8::1" || got[2].sent != 300 {
		t.Fatalf("logs rows = %+v", got)
	}
	var ip net.IP
	if err := conn.QueryRow(ctx, "SELECT src_ip FROM firewall_logs WHERE device = 'fw2'").Scan(&ip); err != nil || ip.String() != "2001:db8::1" {
		t.Fatalf("IPv6 column = %v, %v", ip, err)
	}
}

// checkNamed binds values server-side, including a quote, a tab and NULL.
func checkNamed(ctx context.Context, t *testing.T, conn driver.Conn) {
	t.Helper()
	var n uint64
	err := conn.QueryRow(ctx, "SELECT count() FROM logs WHERE device = {dev:String} AND dst_port > {port:UInt16}",
		clickhouse.Named("dev", "fw1"), clickhouse.Named("port", 30)).Scan(&n)
	if err != nil || n != 1 {
		t.Fatalf("named count = %d, %v", n, err)
	}
	var s string
	var null *string
	err = conn.QueryRow(ctx, "SELECT {s:String}, {n:Nullable(String)}",
		clickhouse.Named("s", "it's\ta \\ test"), clickhouse.Named("n", nil)).Scan(&s, &null)
	if err != nil || s != "it's\ta \\ test" || null != nil {
		t.Fatalf("named values = %q, %v, %v", s, null, err)
	}
	qctx := clickhouse.Context(ctx, clickhouse.WithParameters(clickhouse.Parameters{"d": "fw2"}), clickhouse.WithQueryID("q-test-1"))
	if err := conn.QueryRow(qctx, "SELECT count() FROM logs WHERE device = {d:String}").Scan(&n); err != nil || n != 1 {
		t.Fatalf("WithParameters count = %d, %v", n, err)
	}
}

func checkEmpty(ctx context.Context, t *testing.T, conn driver.Conn) {
	t.Helper()
	rows, err := conn.Query(ctx, "SELECT device FROM logs WHERE device = 'none'")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	if rows.Next() {
		t.Fatal("empty result has a row")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}

func TestDatabaseSQL(t *testing.T) {
	e := newEnv(t)
	db, err := sql.Open("clickhouse", "http://"+testUser+":"+testKey+"@"+e.addr+"/"+e.db+"?http_path=/clickhouse")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		t.Fatal(err)
	}
	var dbs []string
	rows, err := db.QueryContext(ctx, "SHOW DATABASES")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		dbs = append(dbs, s)
	}
	rows.Close()
	if !strings.Contains(strings.Join(dbs, " "), e.db) {
		t.Fatalf("SHOW DATABASES = %v, want %s", dbs, e.db)
	}
	cols := map[string]string{}
	rows, err = db.QueryContext(ctx, "DESC TABLE logs")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name, typ, a, b, c, d, f string
		if err := rows.Scan(&name, &typ, &a, &b, &c, &d, &f); err != nil {
			t.Fatal(err)
		}
		cols[name] = typ
	}
	rows.Close()
	if cols["src_ip"] != "String" || cols["dst_port"] != "UInt16" || cols["ts"] != "DateTime('UTC')" {
		t.Fatalf("DESC TABLE logs = %v", cols)
	}
}

// TestClickHouseGoRefusals checks that the driver reports refusals as
// *clickhouse.Exception with ClickHouse's codes.
func TestClickHouseGoRefusals(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tests := []struct {
		name      string
		user, key string
		query     string
		code      int32
	}{
		{"no credentials", "", "", "SELECT 1", 516},
		{"wrong key", testUser, "wrong", "SELECT 1", 516},
		{"wrong user", "someone", testKey, "SELECT 1", 516},
		{"insert", testUser, testKey, "INSERT INTO firewall_logs (device) VALUES ('x')", 164},
		{"drop", testUser, testKey, "DROP TABLE firewall_logs", 164},
		{"set", testUser, testKey, "SET max_threads = 1", 164},
		{"settings clause", testUser, testKey, "SELECT 1 SETTINGS max_threads = 1", 164},
		{"file", testUser, testKey, "SELECT * FROM file('/etc/passwd', 'LineAsString')", 164},
		{"url", testUser, testKey, "SELECT * FROM url('http://127.0.0.1:1/', 'LineAsString')", 164},
		{"into outfile", testUser, testKey, "SELECT 1 INTO OUTFILE '/tmp/ad-chhttp-test.tsv'", 164},
		{"multi-statement", testUser, testKey, "SELECT 1; DROP TABLE firewall_logs", 62},
		{"unknown table", testUser, testKey, "SELECT * FROM no_such_table", 60},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			conn := e.open(t, clickhouse.CompressionLZ4, tc.user, tc.key)
			var err error
			if tc.user == testUser && tc.key == testKey {
				var rows driver.Rows
				rows, err = conn.Query(ctx, tc.query)
				if err == nil {
					rows.Close()
				}
			} else {
				err = conn.Ping(ctx)
			}
			var ex *clickhouse.Exception
			if !errors.As(err, &ex) || ex.Code != tc.code {
				t.Fatalf("err = %v, want *clickhouse.Exception with code %d", err, tc.code)
			}
		})
	}
	var n uint64
	conn := e.open(t, clickhouse.CompressionNone, testUser, testKey)
	if err := conn.QueryRow(ctx, "SELECT count() FROM firewall_logs").Scan(&n); err != nil || n != 3 {
		t.Fatalf("after refusals: count = %d, %v", n, err)
	}
}

// TestGrafanaShape opens the driver as Grafana's ClickHouse data source
// does over HTTP (database/sql, GZIP, a limit setting) and runs its schema
// browsing statements.
func TestGrafanaShape(t *testing.T) {
	e := newEnv(t)
	db := clickhouse.OpenDB(&clickhouse.Options{
		Protocol:    clickhouse.HTTP,
		Addr:        []string{e.addr},
		HttpUrlPath: "/clickhouse",
		Auth:        clickhouse.Auth{Database: e.db, Username: testUser, Password: testKey},
		Compression: &clickhouse.Compression{Method: clickhouse.CompressionGZIP},
		Settings:    clickhouse.Settings{"limit": 1000, "max_execution_time": 60},
		DialTimeout: 10 * time.Second,
	})
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"SHOW DATABASES",
		`SHOW TABLES FROM "` + e.db + `"`,
		`DESC TABLE "` + e.db + `"."logs"`,
		"SELECT name, type, table FROM system.columns WHERE database = '" + e.db + "' AND table = 'logs'",
		"SELECT version()",
		"SELECT name FROM system.databases",
	} {
		rows, err := db.QueryContext(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		n := 0
		for rows.Next() {
			n++
		}
		if err := rows.Err(); err != nil || n == 0 {
			t.Fatalf("%s: %d rows, %v", q, n, err)
		}
		rows.Close()
	}
}

// Package storetest is the behaviour suite of the schema.Store contract. Each
// engine's tests call Run with a function that opens a store on a fresh,
// empty database; the same assertions then hold for the embedded engine and
// for a ClickHouse server.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/activedefense/activedefense/schema"
)

// Opener opens a store on a fresh database and registers its cleanup.
type Opener func(t *testing.T) schema.Store

// Run runs every behaviour test against stores made by open.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(*testing.T, schema.Store)
	}{
		{"ExecQuery", testExecQuery},
		{"Params", testParams},
		{"ScanTypes", testScanTypes},
		{"InsertBlock", testInsertBlock},
		{"InsertDedupToken", testInsertDedup},
		{"InsertErrors", testInsertErrors},
		{"StreamLargeResult", testStreamLarge},
		{"EarlyClose", testEarlyClose},
		{"QueryAnyStatement", testQueryAnyStatement},
		{"Errors", testErrors},
		{"Concurrent", testConcurrent},
		{"CanceledContext", testCanceled},
		{"Migrate", testMigrate},
		{"LogsView", testLogsView},
		{"Retention", testRetention},
		{"DashboardRollup", testDashboardRollup},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

// DatabaseName returns a unique database name for t.
func DatabaseName(t testing.TB) string {
	var b strings.Builder
	b.WriteString("t_")
	for _, r := range strings.ToLower(t.Name()) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	if b.Len() > 48 {
		s := b.String()[:48]
		b.Reset()
		b.WriteString(s)
	}
	fmt.Fprintf(&b, "_%06d", rand.IntN(1000000))
	return b.String()
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

func mustExec(t *testing.T, st schema.Store, q string, p schema.Params) {
	t.Helper()
	if err := st.Exec(ctx(t), q, p); err != nil {
		t.Fatalf("exec %q: %v", q, err)
	}
}

func count(t *testing.T, st schema.Store, q string) uint64 {
	t.Helper()
	n, err := schema.Count(ctx(t), st, q, nil)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func testExecQuery(t *testing.T, st schema.Store) {
	mustExec(t, st, "CREATE TABLE kv (k String, v UInt64) ENGINE = MergeTree ORDER BY k", nil)
	mustExec(t, st, "INSERT INTO kv SELECT toString(number), number * 2 FROM numbers(10)", nil)
	rows, err := st.Query(ctx(t), "SELECT k, v FROM kv ORDER BY v DESC LIMIT 3", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols := rows.Columns()
	if len(cols) != 2 || cols[0].Name != "k" || cols[0].Type != "String" || cols[1].Type != "UInt64" {
		t.Fatalf("columns = %+v", cols)
	}
	var got []string
	for rows.Next() {
		var k string
		var v uint64
		if err := rows.Scan(&k, &v); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%s=%d", k, v))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if want := "9=18,8=16,7=14"; strings.Join(got, ",") != want {
		t.Fatalf("rows = %v, want %s", got, want)
	}
	if st.Info().Database == "" {
		t.Fatal("Info().Database is empty")
	}
}

func testParams(t *testing.T, st schema.Store) {
	tricky := "it's a \"test\"\twith\nnewline \\ backslash ; DROP TABLE x; -- ü"
	ts := time.Date(2026, 11, 28, 4, 25, 47, 0, time.UTC)
	var (
		s   string
		n   int64
		u   uint64
		at  time.Time
		ip  netip.Addr
		has uint8
	)
	err := schema.QueryRow(ctx(t), st,
		"SELECT {s:String}, {n:Int64}, {u:UInt64}, {t:DateTime}, {ip:IPv6}, has({arr:Array(String)}, 'b''c')",
		schema.Params{"s": tricky, "n": int64(-42), "u": uint64(1 << 63), "t": ts,
			"ip": netip.MustParseAddr("192.0.2.7"), "arr": []string{"a", "b'c", `d\e`}},
		&s, &n, &u, &at, &ip, &has)
	if err != nil {
		t.Fatal(err)
	}
	if s != tricky {
		t.Errorf("string param round trip: got %q want %q", s, tricky)
	}
	if n != -42 || u != 1<<63 || !at.Equal(ts) || ip != netip.MustParseAddr("192.0.2.7") || has != 1 {
		t.Errorf("got n=%d u=%d t=%v ip=%v has=%d", n, u, at, ip, has)
	}
	if _, _, err := (schema.Params{"x": struct{}{}}).Text(); err == nil {
		t.Error("unsupported parameter type accepted")
	}
}

func testScanTypes(t *testing.T, st schema.Store) {
	var (
		str   string
		lc    string
		enum  string
		b     bool
		f     float64
		i8    int8
		u16   uint16
		dt    time.Time
		v4    netip.Addr
		v6    netip.Addr
		null  string
		bytes []byte
		anyv  any
	)
	err := schema.QueryRow(ctx(t), st, `SELECT 'x', toLowCardinality('lc'), CAST('high' AS Enum8('low' = 1, 'high' = 2)),
		true, 1.5, toInt8(-3), toUInt16(65535), toDateTime('2026-01-02 03:04:05', 'UTC'),
		toIPv6('10.1.2.3'), toIPv6('2001:db8::1'), CAST(NULL AS Nullable(String)), 'raw', 7`, nil,
		&str, &lc, &enum, &b, &f, &i8, &u16, &dt, &v4, &v6, &null, &bytes, &anyv)
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	switch {
	case str != "x" || lc != "lc" || enum != "high" || !b || f != 1.5 || i8 != -3 || u16 != 65535:
		t.Errorf("scalars: %q %q %q %v %v %d %d", str, lc, enum, b, f, i8, u16)
	case !dt.Equal(want):
		t.Errorf("datetime = %v, want %v", dt, want)
	case v4 != netip.MustParseAddr("10.1.2.3") || !v4.Is4():
		t.Errorf("IPv4-mapped IPv6 = %v, want plain 10.1.2.3", v4)
	case v6 != netip.MustParseAddr("2001:db8::1"):
		t.Errorf("ipv6 = %v", v6)
	case null != "" || string(bytes) != "raw" || fmt.Sprint(anyv) != "7":
		t.Errorf("null=%q bytes=%q any=%v", null, bytes, anyv)
	}
	var x, y string
	if err := schema.QueryRow(ctx(t), st, "SELECT 1, 2", nil, &x); err == nil {
		t.Error("scan with too few destinations succeeded")
	}
	if err := schema.QueryRow(ctx(t), st, "SELECT 1 WHERE 0", nil, &x, &y); !errors.Is(err, schema.ErrNoRows) {
		t.Errorf("empty result: err = %v, want ErrNoRows", err)
	}
}

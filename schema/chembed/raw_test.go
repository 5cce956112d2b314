package chembed_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/activedefense/activedefense/schema"
	"github.com/activedefense/activedefense/schema/chembed"
	"github.com/activedefense/activedefense/schema/chembed/chembedtest"
)

// openReadOnly opens a read-only store on st's database, on the shared
// engine, as the hunting endpoint does.
func openReadOnly(t *testing.T, st schema.Store) *chembed.Store {
	t.Helper()
	dir, err := chembedtest.Dir()
	if err != nil {
		t.Fatal(err)
	}
	ro, err := chembed.Open(context.Background(), chembed.Options{Path: dir, Database: st.Info().Database, PoolSize: 2,
		Settings: map[string]string{
			"readonly":             "1",
			"max_execution_time":   "1",
			"max_result_rows":      "100",
			"max_result_bytes":     "1000000",
			"result_overflow_mode": "throw",
			"max_memory_usage":     "200000000",
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ro.Close() })
	return ro
}

func TestQueryRawReadOnly(t *testing.T) {
	st := open(t)
	ctx := context.Background()
	for _, q := range []string{
		"CREATE TABLE t (x UInt32) ENGINE = MergeTree ORDER BY x",
		"INSERT INTO t SELECT number FROM numbers(1000)",
	} {
		if err := st.Exec(ctx, q, nil); err != nil {
			t.Fatal(err)
		}
	}
	ro := openReadOnly(t, st)
	tests := []struct {
		name    string
		q       schema.RawQuery
		want    string
		wantErr string
		is      error
	}{
		{name: "select", q: schema.RawQuery{SQL: "SELECT count() FROM t", Format: "TSV"}, want: "1000\n"},
		{name: "trailing semicolon", q: schema.RawQuery{SQL: "SELECT 1;", Format: "TSV"}, want: "1\n"},
		{name: "format clause wins", q: schema.RawQuery{SQL: "SELECT 1 AS x FORMAT JSONEachRow", Format: "TSV"}, want: "{\"x\":1}\n"},
		{name: "native", q: schema.RawQuery{SQL: "SELECT 1", Format: "Native"}, want: "\x01\x01\x011\x05UInt8\x01"},
		{name: "empty result", q: schema.RawQuery{SQL: "SELECT 1 WHERE 0", Format: "Native"}, want: ""},
		{name: "params as text", q: schema.RawQuery{SQL: "SELECT {s:String}, {n:Nullable(UInt8)}", Format: "TSV",
			Params: map[string]string{"s": `a\tb'c`, "n": `\N`}}, want: "a\\tb\\'c\t\\N\n"},
		{name: "other database", q: schema.RawQuery{SQL: "SELECT currentDatabase()", Format: "TSV", Database: "system"}, want: "system\n"},
		{name: "unknown database", q: schema.RawQuery{SQL: "SELECT 1", Format: "TSV", Database: "nope"}, wantErr: "Code: 81."},
		{name: "syntax error", q: schema.RawQuery{SQL: "SELEC 1", Format: "TSV"}, wantErr: "Code: 62."},
		{name: "insert", q: schema.RawQuery{SQL: "INSERT INTO t VALUES (1)"}, is: schema.ErrNotReadOnly},
		{name: "insert select", q: schema.RawQuery{SQL: "INSERT INTO t SELECT 1"}, is: schema.ErrNotReadOnly},
		{name: "drop", q: schema.RawQuery{SQL: "DROP TABLE t"}, is: schema.ErrNotReadOnly},
		{name: "alter delete", q: schema.RawQuery{SQL: "ALTER TABLE t DELETE WHERE 1"}, is: schema.ErrNotReadOnly},
		{name: "set", q: schema.RawQuery{SQL: "SET max_threads = 1"}, is: schema.ErrNotReadOnly},
		{name: "use", q: schema.RawQuery{SQL: "USE system"}, is: schema.ErrNotReadOnly},
		{name: "kill", q: schema.RawQuery{SQL: "KILL QUERY WHERE 1"}, is: schema.ErrNotReadOnly},
		{name: "system", q: schema.RawQuery{SQL: "SYSTEM FLUSH LOGS"}, is: schema.ErrNotReadOnly},
		{name: "into outfile", q: schema.RawQuery{SQL: "SELECT 1 INTO OUTFILE '/tmp/ad-raw-test.tsv'"}, is: schema.ErrNotReadOnly},
		{name: "insert into function", q: schema.RawQuery{SQL: "INSERT INTO FUNCTION file('/tmp/ad-raw-test.tsv') SELECT 1"}, is: schema.ErrNotReadOnly},
		{name: "multi-statement", q: schema.RawQuery{SQL: "SELECT 1; SELECT 2"}, is: schema.ErrMultiStatement},
		{name: "parallel with", q: schema.RawQuery{SQL: "SELECT 1 PARALLEL WITH SELECT 2"}, is: schema.ErrMultiStatement},
		{name: "settings clause", q: schema.RawQuery{SQL: "SELECT 1 SETTINGS max_threads = 1", Format: "TSV"}, wantErr: "Code: 164."},
		{name: "file", q: schema.RawQuery{SQL: "SELECT * FROM file('/etc/passwd', 'LineAsString')", Format: "TSV"}, is: schema.ErrNotReadOnly},
		{name: "url", q: schema.RawQuery{SQL: "SELECT * FROM url('http://127.0.0.1:1/', 'LineAsString')", Format: "TSV"}, wantErr: "Code: 164."},
		{name: "remote", q: schema.RawQuery{SQL: "SELECT * FROM remote('127.0.0.1', system.one)", Format: "TSV"}, wantErr: "Code: 164."},
		{name: "file function", q: schema.RawQuery{SQL: "SELECT file('/etc/passwd')"}, is: schema.ErrNotReadOnly},
		{name: "file function escaped", q: schema.RawQuery{SQL: "SELECT `fil\\x65`('/etc/passwd')"}, is: schema.ErrNotReadOnly},
		{name: "file function upper case", q: schema.RawQuery{SQL: "SELECT FILE('/etc/passwd')"}, is: schema.ErrNotReadOnly},
		{name: "file in format", q: schema.RawQuery{SQL: "SELECT * FROM format(TSVWithNames, file('/etc/passwd'))"}, is: schema.ErrNotReadOnly},
		{name: "describe file", q: schema.RawQuery{SQL: "DESC file('/etc/passwd', 'TSVWithNames')"}, is: schema.ErrNotReadOnly},
		{name: "describe url", q: schema.RawQuery{SQL: "DESCRIBE TABLE url('http://127.0.0.1:1/', 'TSVWithNames') FORMAT Null"}, is: schema.ErrNotReadOnly},
		{name: "describe subquery", q: schema.RawQuery{SQL: "DESC (SELECT 1)"}, is: schema.ErrNotReadOnly},
		{name: "describe table", q: schema.RawQuery{SQL: "DESC t", Format: "TSV"}, want: "x\tUInt32\t\t\t\t\t\n"},
		{name: "column named file", q: schema.RawQuery{SQL: "SELECT x AS file FROM t WHERE file = 3", Format: "TSV"}, want: "3\n"},
		{name: "system.models", q: schema.RawQuery{SQL: "SELECT * FROM system.models"}, is: schema.ErrNotReadOnly},
		{name: "models by database", q: schema.RawQuery{SQL: "SELECT * FROM `mod\\x65ls`", Database: "system"}, is: schema.ErrNotReadOnly},
		{name: "stack_trace", q: schema.RawQuery{SQL: "SELECT count() FROM system.stack_trace"}, is: schema.ErrNotReadOnly},
		{name: "merge", q: schema.RawQuery{SQL: "SELECT * FROM merge('system', '^mod')"}, is: schema.ErrNotReadOnly},
		{name: "loop", q: schema.RawQuery{SQL: "SELECT * FROM loop(system.models)"}, is: schema.ErrNotReadOnly},
		{name: "identifier parameter", q: schema.RawQuery{SQL: "SELECT * FROM system.{t:Identifier}", Params: map[string]string{"t": "models"}}, is: schema.ErrNotReadOnly},
		{name: "row limit", q: schema.RawQuery{SQL: "SELECT * FROM t", Format: "TSV"}, wantErr: "Code: 396."},
		{name: "time limit", q: schema.RawQuery{SQL: "SELECT count() FROM numbers(100000000000)", Format: "TSV"}, wantErr: "Code: 159."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := ro.QueryRaw(ctx, tc.q)
			switch {
			case tc.is != nil:
				if !errors.Is(err, tc.is) {
					t.Fatalf("err = %v, want %v", err, tc.is)
				}
			case tc.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
			case err != nil:
				t.Fatal(err)
			case string(out) != tc.want:
				t.Fatalf("out = %q, want %q", out, tc.want)
			}
		})
	}
	// Nothing was written, and every pooled connection is back on the
	// store's database.
	var n uint64
	if err := schema.QueryRow(ctx, st, "SELECT count() FROM t", nil, &n); err != nil || n != 1000 {
		t.Fatalf("count after refusals = %d, %v", n, err)
	}
	for range 4 {
		out, err := ro.QueryRaw(ctx, schema.RawQuery{SQL: "SELECT currentDatabase()", Format: "TSV"})
		if err != nil || string(out) != st.Info().Database+"\n" {
			t.Fatalf("currentDatabase() = %q, %v", out, err)
		}
	}
}

// TestReadOnlyStoreRefusesWrites checks the engine-side guard on its own:
// the store's Exec bypasses the classifier, and readonly=1 still refuses.
func TestReadOnlyStoreRefusesWrites(t *testing.T) {
	st := open(t)
	ctx := context.Background()
	if err := st.Exec(ctx, "CREATE TABLE t (x UInt32) ENGINE = MergeTree ORDER BY x", nil); err != nil {
		t.Fatal(err)
	}
	ro := openReadOnly(t, st)
	for _, q := range []string{"INSERT INTO t VALUES (1)", "DROP TABLE t", "SET readonly = 0", "CREATE TABLE u (x UInt8) ENGINE = Memory"} {
		if err := ro.Exec(ctx, q, nil); err == nil || !strings.Contains(err.Error(), "Code: 164.") {
			t.Fatalf("%s: err = %v, want READONLY", q, err)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := ro.QueryRaw(cctx, schema.RawQuery{SQL: "SELECT 1"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled context: err = %v", err)
	}
	if out, err := ro.QueryRaw(ctx, schema.RawQuery{SQL: "SELECT 1", Format: "TSV"}); err != nil || string(out) != "1\n" {
		t.Fatalf("query after refusals: %q, %v", out, err)
	}
}

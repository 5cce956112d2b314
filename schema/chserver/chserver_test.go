package chserver_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/activedefense/activedefense/schema"
	"github.com/activedefense/activedefense/schema/chserver"
	"github.com/activedefense/activedefense/schema/storetest"
)

// TestStoreContract runs the shared behaviour suite against a real server
// when CLICKHOUSE_TEST_DSN is set (e.g. clickhouse://default:@127.0.0.1:9000/default).
func TestStoreContract(t *testing.T) {
	dsn := os.Getenv("CLICKHOUSE_TEST_DSN")
	if dsn == "" {
		t.Skip("CLICKHOUSE_TEST_DSN not set: no ClickHouse server to test against")
	}
	storetest.Run(t, func(t *testing.T) schema.Store {
		st, err := chserver.Open(context.Background(), chserver.Options{DSN: withDatabase(dsn, storetest.DatabaseName(t))})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = st.Exec(context.Background(), "DROP DATABASE IF EXISTS "+schema.QuoteIdent(st.Info().Database), nil)
			st.Close()
		})
		return st
	})
}

func withDatabase(dsn, db string) string {
	scheme, rest, _ := strings.Cut(dsn, "://")
	hostPart, query, _ := strings.Cut(rest, "?")
	host, _, _ := strings.Cut(hostPart, "/")
	out := scheme + "://" + host + "/" + db
	if query != "" {
		out += "?" + query
	}
	return out
}

// TestUnreachableServer needs no server: nothing listens on port 1.
func TestUnreachableServer(t *testing.T) {
	start := time.Now()
	_, err := chserver.Open(context.Background(), chserver.Options{DSN: "clickhouse://127.0.0.1:1/x", DialTimeout: 2 * time.Second})
	if !errors.Is(err, schema.ErrEngineUnavailable) || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("took %s, want < 10s", d)
	}
}

func TestBadDSN(t *testing.T) {
	if _, err := chserver.Open(context.Background(), chserver.Options{DSN: "clickhouse://%zz"}); err == nil {
		t.Fatal("bad DSN accepted")
	}
}

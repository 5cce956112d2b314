package ingest_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/activedefense/activedefense/schema"
	"github.com/activedefense/activedefense/schema/chembed"
	"github.com/activedefense/activedefense/schema/storetest"
)

// engineDir is the one embedded data path of this test binary; each test
// gets its own database on it.
var engineDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ingest-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	engineDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// newStore opens a migrated store on a fresh database.
func newStore(t *testing.T) schema.Store {
	t.Helper()
	st, err := chembed.Open(context.Background(), chembed.Options{Path: engineDir, Database: storetest.DatabaseName(t)})
	if err != nil {
		if os.Getenv("CI") != "true" && strings.Contains(err.Error(), "libchdb.so not found") {
			t.Skipf("embedded engine not installed (make setup): %v", err)
		}
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = st.Exec(context.Background(), "DROP DATABASE IF EXISTS "+schema.QuoteIdent(st.Info().Database), nil)
		st.Close()
	})
	if _, err := schema.Migrate(context.Background(), st, schema.DefaultRenderOptions()); err != nil {
		t.Fatal(err)
	}
	return st
}

func count(t *testing.T, st schema.Store, q string, p schema.Params) uint64 {
	t.Helper()
	n, err := schema.Count(context.Background(), st, q, p)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

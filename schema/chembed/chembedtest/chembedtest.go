// Package chembedtest gives tests a store on the embedded engine. chDB
// allows one data path per process, so every test binary shares one
// engine, on a temporary directory, and each test gets its own database.
package chembedtest

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/activedefense/activedefense/schema"
	"github.com/activedefense/activedefense/schema/chembed"
	"github.com/activedefense/activedefense/schema/storetest"
)

var (
	once sync.Once
	dir  string
	err  error
)

// Dir returns the shared engine directory of this test binary.
func Dir() (string, error) {
	once.Do(func() { dir, err = os.MkdirTemp("", "chembed-test-") })
	return dir, err
}

// Main runs the tests and removes the shared directory; call it from
// TestMain.
func Main(m *testing.M) { exit(m.Run()) }

// VerifyMain is Main that also fails the test binary when its tests leave
// goroutines running (go.uber.org/goleak), for packages that start them.
// Ignored, besides the goroutines ignore names: fasthttp's clock, which
// lives as long as the process by design, and a stopped fasthttp server's
// idle-worker sweep, which sleeps up to 10s before it sees the stop (a
// server never stopped still shows: its Serve goroutine is not ignored).
func VerifyMain(m *testing.M, ignore ...goleak.Option) {
	opts := []goleak.Option{goleak.Cleanup(exit),
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.updateServerDate.func1"),
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*workerPool).Start.func2")}
	goleak.VerifyTestMain(m, append(opts, ignore...)...)
}

func exit(code int) {
	if dir != "" {
		os.RemoveAll(dir)
	}
	os.Exit(code)
}

// Open returns a store on a fresh database of the shared engine, dropped
// when the test ends. Without libchdb.so it skips the test, except under
// CI=true, where it fails.
func Open(t testing.TB) schema.Store {
	t.Helper()
	d, err := Dir()
	if err != nil {
		t.Fatal(err)
	}
	st, err := chembed.Open(context.Background(), chembed.Options{Path: d, Database: storetest.DatabaseName(t)})
	if err != nil {
		if os.Getenv("CI") != "true" && strings.Contains(err.Error(), "libchdb.so not found") {
			t.Skipf("embedded engine not installed (run make setup): %v", err)
		}
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = st.Exec(context.Background(), "DROP DATABASE IF EXISTS "+schema.QuoteIdent(st.Info().Database), nil)
		st.Close()
	})
	return st
}

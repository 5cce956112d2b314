package chembed_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/activedefense/activedefense/schema"
	"github.com/activedefense/activedefense/schema/chembed"
	"github.com/activedefense/activedefense/schema/chembed/chembedtest"
	"github.com/activedefense/activedefense/schema/storetest"
)

func TestMain(m *testing.M) {
	if os.Getenv("AD_CHEMBED_CHILD") != "" {
		os.Exit(childMain())
	}
	chembedtest.Main(m)
}

func open(t *testing.T) schema.Store { return chembedtest.Open(t) }

func TestStoreContract(t *testing.T) {
	storetest.Run(t, open)
}

func TestVersionIs26(t *testing.T) {
	st := open(t)
	var v string
	if err := schema.QueryRow(context.Background(), st, "SELECT version()", nil, &v); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(v, "26.") {
		t.Fatalf("version() = %q, want 26.x", v)
	}
}

// TestGoPanicsStillWork proves the signal-handler fix: after the engine is
// up, a nil dereference is an ordinary recoverable Go panic (with chDB's
// handlers installed it hangs the process).
func TestGoPanicsStillWork(t *testing.T) {
	open(t)
	var recovered any
	func() {
		defer func() { recovered = recover() }()
		var p *struct{ x int }
		_ = p.x
	}()
	if recovered == nil || !strings.Contains(fmt.Sprint(recovered), "nil pointer") {
		t.Fatalf("recover() = %v, want a nil pointer runtime error", recovered)
	}
}

func TestSecondPathRefused(t *testing.T) {
	open(t)
	_, err := chembed.Open(context.Background(), chembed.Options{Path: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "one data path per process") {
		t.Fatalf("second path: err = %v", err)
	}
}

// TestMissingLibrary runs a child process with AD_CHDB_LIB pointing nowhere:
// the library is loaded once per process, so this needs a fresh one.
func TestMissingLibrary(t *testing.T) {
	out, code := runChild(t, "open", t.TempDir(), "AD_CHDB_LIB=/nonexistent/libchdb.so")
	if code == 0 || !strings.Contains(out, "engine unavailable") || !strings.Contains(out, "make setup") {
		t.Fatalf("exit %d, output:\n%s", code, out)
	}
}

// TestDataDirLockedByAnotherProcess opens the engine here and again in a
// child on the same path: the child must get ErrDataDirInUse.
func TestDataDirLockedByAnotherProcess(t *testing.T) {
	open(t)
	dir, _ := chembedtest.Dir()
	out, code := runChild(t, "open", dir)
	if code == 0 || !strings.Contains(out, schema.ErrDataDirInUse.Error()) {
		t.Fatalf("exit %d, output:\n%s", code, out)
	}
}

func runChild(t *testing.T, mode, path string, env ...string) (string, int) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := execCommand(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), append(env, "AD_CHEMBED_CHILD="+mode, "AD_CHEMBED_CHILD_PATH="+path)...)
	out, err := cmd.CombinedOutput()
	code := 0
	if err != nil {
		code = exitCode(err)
	}
	return string(out), code
}

func childMain() int {
	path := os.Getenv("AD_CHEMBED_CHILD_PATH")
	st, err := chembed.Open(context.Background(), chembed.Options{Path: filepath.Clean(path)})
	if err != nil {
		fmt.Println("open:", err)
		return 3
	}
	st.Close()
	fmt.Println("opened")
	return 0
}

// TestCloseWaitsForWaiters: a statement waiting for a connection when Close
// is called either runs before the engine goes or is refused; it never runs
// on a closed store.
func TestCloseWaitsForWaiters(t *testing.T) {
	dir, _ := chembedtest.Dir()
	open(t) // keep the shared engine alive
	st, err := chembed.Open(context.Background(), chembed.Options{Path: dir, Database: storetest.DatabaseName(t), PoolSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := st.Query(context.Background(), "SELECT 1", nil) // holds the only connection
	if err != nil {
		t.Fatal(err)
	}
	waiter := make(chan error, 1)
	go func() { waiter <- st.Exec(context.Background(), "SELECT 2", nil) }()
	time.Sleep(100 * time.Millisecond)
	closed := make(chan struct{})
	go func() { st.Close(); close(closed) }()
	time.Sleep(100 * time.Millisecond)
	select {
	case <-closed:
		t.Fatal("Close returned while a statement was still waiting")
	default:
	}
	rows.Close()
	if err := <-waiter; err != nil {
		t.Fatalf("the waiting statement: %v", err)
	}
	<-closed
	if err := st.Exec(context.Background(), "SELECT 3", nil); !errors.Is(err, schema.ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
}

package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/activedefense/activedefense/schema/chembed/chembedtest"
	"github.com/activedefense/activedefense/web"
)

// These tests drive the built binary, as an operator (or the acceptance
// checks) would: serve in one process, CLI commands in others.

var binPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ad-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binPath = filepath.Join(dir, "activedefense")
	build := exec.Command("go", "build", "-o", binPath, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building activedefense: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	if d, err := chembedtest.Dir(); err == nil {
		os.RemoveAll(d)
	}
	os.Exit(code)
}

// needEngine skips (or fails under CI=true) when libchdb.so is missing.
func needEngine(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test skipped with -short")
	}
	out, err := cli(t, t.TempDir(), "", "sql", "SELECT 1")
	if err != nil && strings.Contains(out, "libchdb.so") && os.Getenv("CI") != "true" {
		t.Skipf("embedded engine not installed (make setup): %s", out)
	}
}

// cli runs one command and returns its combined output.
func cli(t *testing.T, dataDir, stdin string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binPath, args...)
	cmd.Env = append(os.Environ(), "AD_DATA_DIR="+dataDir)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func mustCLI(t *testing.T, dataDir, stdin string, args ...string) string {
	t.Helper()
	out, err := cli(t, dataDir, stdin, args...)
	if err != nil {
		t.Fatalf("activedefense %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

type server struct {
	cmd  *exec.Cmd
	url  string
	logs *syncBuffer
	done chan error
}

// syncBuffer collects a child's output while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startServe starts `serve` and waits until /healthz answers.
func startServe(t *testing.T, dataDir string, extra ...string) *server {
	t.Helper()
	port := freePort(t)
	args := append([]string{"serve", "--data-dir", dataDir, "--listen", fmt.Sprintf("127.0.0.1:%d", port), "--insecure-http"}, extra...)
	s := &server{cmd: exec.Command(binPath, args...), url: fmt.Sprintf("http://127.0.0.1:%d", port),
		logs: &syncBuffer{}, done: make(chan error, 1)}
	s.cmd.Stdout, s.cmd.Stderr = s.logs, s.logs
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.done <- s.cmd.Wait() }()
	t.Cleanup(func() { s.kill() })
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-s.done:
			t.Fatalf("serve exited early: %v\n%s", err, s.logs)
		default:
		}
		if resp, err := http.Get(s.url + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("serve did not answer /healthz within 60s\n%s", s.logs)
	return nil
}

// stop sends SIGTERM and waits for a clean exit.
func (s *server) stop(t *testing.T) {
	t.Helper()
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		if err != nil {
			t.Fatalf("serve did not exit cleanly on SIGTERM: %v\n%s", err, s.logs)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not stop within 30s of SIGTERM\n%s", s.logs)
	}
}

func (s *server) kill() {
	if s.cmd.ProcessState == nil {
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

func TestServeAndCLIBothPaths(t *testing.T) {
	needEngine(t)
	dir := t.TempDir()
	srv := startServe(t, dir)
	resp, err := http.Get(srv.url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"status":"ok"`) {
		t.Fatalf("/healthz = %s", body)
	}

	// While serve holds the data dir, every command goes through its socket.
	if v := mustCLI(t, dir, "", "sql", "SELECT version()"); !strings.HasPrefix(v, "26.") {
		t.Fatalf("sql version() via server = %q", v)
	}
	mustCLI(t, dir, "", "device", "add", "fw1", "/var/log/Firewall/fw1.log", "--timezone", "Europe/Berlin")
	mustCLI(t, dir, "correct horse battery\n", "user", "add", "alice", "--role", "admin")
	if !strings.Contains(srv.logs.String(), "device added") {
		t.Fatalf("the device was not added by the server process:\n%s", srv.logs)
	}
	list := mustCLI(t, dir, "", "device", "list")
	if !strings.Contains(list, "fw1") || !strings.Contains(list, "Europe/Berlin") {
		t.Fatalf("device list via server:\n%s", list)
	}
	if out, err := cli(t, dir, "", "device", "add", "fw1", "/x.log"); err == nil || !strings.Contains(out, "already exists") {
		t.Fatalf("duplicate device accepted: %v\n%s", err, out)
	}
	srv.stop(t)

	// With the server gone, the same commands open the store themselves.
	if v := mustCLI(t, dir, "", "sql", "SELECT version()"); !strings.HasPrefix(v, "26.") {
		t.Fatalf("sql version() after stop = %q", v)
	}
	if list := mustCLI(t, dir, "", "device", "list"); !strings.Contains(list, "fw1") {
		t.Fatalf("device list after stop:\n%s", list)
	}
	mustCLI(t, dir, "", "device", "add", "fw2", "/var/log/Firewall/fw2.log")
	users := mustCLI(t, dir, "", "sql", "SELECT name, role, startsWith(password_hash, '$2a$') FROM users FINAL")
	if users != "alice\tadmin\t1\n" {
		t.Fatalf("users table = %q (want a bcrypt hash, never the password)", users)
	}
	if strings.Contains(mustCLI(t, dir, "", "sql", "SELECT password_hash FROM users"), "horse") {
		t.Fatal("password stored readable")
	}
	srv = startServe(t, dir)
	if list := mustCLI(t, dir, "", "device", "list"); !strings.Contains(list, "fw2") {
		t.Fatalf("device added offline not seen by the server:\n%s", list)
	}
	srv.stop(t)
}

// TestDeepDataDir: a data dir whose socket path is longer than a Unix
// socket name may be still works, through the socket and without it.
func TestDeepDataDir(t *testing.T) {
	needEngine(t)
	dir := filepath.Join(t.TempDir(), strings.Repeat("deep-directory-name/", 6))
	if len(web.SocketFile(dir)) <= 107 {
		t.Fatal("test dir not deep enough")
	}
	srv := startServe(t, dir)
	mustCLI(t, dir, "", "device", "add", "fw1", "/var/log/fw1.log")
	if !strings.Contains(srv.logs.String(), "device added") {
		t.Fatalf("the CLI did not reach the server through its socket:\n%s", srv.logs)
	}
	srv.stop(t)
	if list := mustCLI(t, dir, "", "device", "list"); !strings.Contains(list, "fw1") {
		t.Fatalf("device list: %s", list)
	}
}

func TestSQLOutputIsTSVWithoutHeader(t *testing.T) {
	needEngine(t)
	dir := t.TempDir()
	got := mustCLI(t, dir, "", "sql", "SELECT * FROM (SELECT 1 AS a, 'x\ty' AS b UNION ALL SELECT 2, 'z') ORDER BY a")
	if got != "1\tx\\ty\n2\tz\n" {
		t.Fatalf("sql output = %q", got)
	}
	if got := mustCLI(t, dir, "", "sql", "--header", "SELECT 1 AS a"); got != "a\n1\n" {
		t.Fatalf("sql --header output = %q", got)
	}
	if out := mustCLI(t, dir, "", "sql", "CREATE TABLE scratch (x UInt8) ENGINE = MergeTree ORDER BY x"); out != "" {
		t.Fatalf("DDL printed %q", out)
	}
	mustCLI(t, dir, "", "sql", "INSERT INTO scratch SELECT number FROM numbers(3)")
	if got := mustCLI(t, dir, "", "sql", "SELECT sum(x) FROM scratch"); got != "3\n" {
		t.Fatalf("sum = %q", got)
	}
	if out, err := cli(t, dir, "", "sql", "SELECT ("); err == nil || !strings.Contains(out, "Syntax error") {
		t.Fatalf("bad SQL: err=%v out=%s", err, out)
	}
}

func TestMigrateTwiceChangesNothing(t *testing.T) {
	needEngine(t)
	dir := t.TempDir()
	first := mustCLI(t, dir, "", "migrate")
	state := func() string {
		return mustCLI(t, dir, "", "sql", `SELECT name, metadata_modification_time, create_table_query FROM system.tables
			WHERE database = currentDatabase() ORDER BY name`) +
			mustCLI(t, dir, "", "sql", "SELECT version, checksum, applied FROM schema_migrations ORDER BY version")
	}
	before := state()
	second := mustCLI(t, dir, "", "migrate")
	if first != second || !strings.Contains(second, "schema at version") {
		t.Fatalf("migrate outputs: %q then %q", first, second)
	}
	if after := state(); after != before {
		t.Fatalf("second migrate changed the schema:\n%s\n----\n%s", before, after)
	}
	for _, col := range []string{"ts", "device", "type", "subtype", "src_ip", "src_port", "dst_ip", "dst_port",
		"src_country", "dst_country", "src_user", "action", "rule", "threat_name", "threat_id", "severity"} {
		out := mustCLI(t, dir, "", "sql", "SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'logs' AND name = '"+col+"'")
		if out != "1\n" {
			t.Errorf("logs.%s missing", col)
		}
	}
}

func noPanic(t *testing.T, out string) {
	t.Helper()
	if strings.Contains(out, "panic:") || strings.Contains(out, "goroutine ") {
		t.Fatalf("output has a Go panic trace:\n%s", out)
	}
}

func TestMissingLibraryIsAClearError(t *testing.T) {
	cmd := exec.Command(binPath, "serve", "--data-dir", t.TempDir(), "--listen", "127.0.0.1:0", "--insecure-http")
	cmd.Env = append(os.Environ(), "AD_CHDB_LIB=/nonexistent/libchdb.so")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("serve without libchdb succeeded:\n%s", out)
	}
	noPanic(t, string(out))
	if !strings.Contains(string(out), "libchdb.so") || !strings.Contains(string(out), "make setup") {
		t.Fatalf("error does not say how to install the library:\n%s", out)
	}
}

func TestUnreachableServerFailsFast(t *testing.T) {
	start := time.Now()
	cmd := exec.Command(binPath, "serve", "--clickhouse-dsn", "clickhouse://127.0.0.1:1/x", "--insecure-http",
		"--data-dir", t.TempDir(), "--listen", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "AD_CHDB_LIB=/nonexistent")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("serve with an unreachable server succeeded:\n%s", out)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Fatalf("took %s", d)
	}
	noPanic(t, string(out))
	if !strings.Contains(string(out), "127.0.0.1:1") {
		t.Fatalf("error does not name the server:\n%s", out)
	}
}

func TestSecondServeRefused(t *testing.T) {
	needEngine(t)
	dir := t.TempDir()
	startServe(t, dir)
	cmd := exec.Command(binPath, "serve", "--data-dir", dir, "--listen", "127.0.0.1:0", "--insecure-http", "--lock-wait", "500ms")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "in use by another process") {
		t.Fatalf("second serve: err=%v\n%s", err, out)
	}
}

func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		stdin string
		args  []string
		want  string
	}{
		{"", []string{"bogus"}, "unknown command"},
		{"", []string{"sql"}, "want one QUERY"},
		{"short\n", []string{"user", "add", "bob"}, "at least 8 characters"},
		{"long enough pw\n", []string{"user", "add", "bob", "--role", "root"}, "invalid name"},
		{"", []string{"device", "add", "bad name", "/x"}, "invalid device name"},
		{"", []string{"device", "add", "fw", "/x", "--timezone", "Mars/Olympus"}, "unknown time zone"},
		{"", []string{"serve", "--log-level", "loud"}, "--log-level"},
	} {
		out, err := cli(t, dir, tc.stdin, tc.args...)
		if err == nil || !strings.Contains(out, tc.want) {
			t.Errorf("%v: err=%v, output:\n%s", tc.args, err, out)
		}
		noPanic(t, out)
	}
}

// TestStopWithAStalledClient: a socket client that stops reading a
// large result must not keep serve from exiting on SIGTERM.
func TestStopWithAStalledClient(t *testing.T) {
	needEngine(t)
	dir := t.TempDir()
	srv := startServe(t, dir)
	conn, err := net.Dial("unix", web.SocketFile(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := `{"query":"SELECT number, repeat('x', 100) FROM numbers(100000000)"}`
	fmt.Fprintf(conn, "POST /api/v1/sql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	time.Sleep(time.Second) // the server fills the socket buffer; we never read
	start := time.Now()
	srv.stop(t)
	if d := time.Since(start); d > 20*time.Second {
		t.Fatalf("stopping took %s", d)
	}
}

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/activedefense/activedefense/schema"
	"github.com/activedefense/activedefense/web"
)

// storeState is the row count of every table and the latest checkpoint of
// every ingest stream, as text to compare.
func storeState(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	names := mustCLI(t, dir, "", "sql", `SELECT name FROM system.tables WHERE database = currentDatabase()
		AND engine NOT IN ('View', 'MaterializedView') ORDER BY name`)
	for _, n := range strings.Fields(names) {
		fmt.Fprintf(&b, "%s\t%s", n, mustCLI(t, dir, "", "sql", "SELECT count() FROM "+schema.QuoteIdent(n)))
	}
	b.WriteString(mustCLI(t, dir, "", "sql", `SELECT stream, argMax(device, version), argMax(file, version),
		argMax(offset, version), argMax(pending_end, version), argMax(lines, version), argMax(parsed, version)
		FROM ingest_checkpoints GROUP BY stream ORDER BY stream`))
	return b.String()
}

// waitDrained waits until the device's follower has read all of its file.
func waitDrained(t *testing.T, dir, device string, size int64) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var devs []schema.DeviceStatus
		if err := json.Unmarshal([]byte(mustCLI(t, dir, "", "device", "list", "--json")), &devs); err != nil {
			t.Fatal(err)
		}
		for _, d := range devs {
			if d.Name == device && d.Offset == uint64(size) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not drained to offset %d within 60s: %+v", device, size, devs)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// TestBackupAndRestore backs a store up while serve runs (full) and
// without it (incremental), restores the increment into a fresh data dir
// and compares every table's count and the ingest checkpoints; serve on
// the restored dir then resumes the same file without reading it again.
func TestBackupAndRestore(t *testing.T) {
	needEngine(t)
	dir, logs, arch := t.TempDir(), t.TempDir(), t.TempDir()
	file := filepath.Join(logs, "fw1.log")
	s := newScenario(11)
	now := time.Now().UTC()
	s.noise(now.Add(-20*time.Minute), 400)
	s.scan(now.Add(-10*time.Minute), 2*time.Minute, "45.7.7.7", "198.18.0.10", 30)
	if err := os.WriteFile(file, []byte(s.text()), 0o644); err != nil {
		t.Fatal(err)
	}
	mustCLI(t, dir, "", "device", "add", "fw1", file, "--timezone", "UTC")
	srv := startServe(t, dir, "--log-dir", logs)
	waitRows(t, dir, len(s.lines))
	mustCLI(t, dir, "", "detect")
	mustCLI(t, dir, "correct horse battery\n", "user", "add", "alice", "--role", "admin")

	full, inc := filepath.Join(arch, "full.tar.zst"), filepath.Join(arch, "inc.tar")
	out := mustCLI(t, dir, "", "backup", full)
	if !strings.Contains(out, "backup written") || !strings.Contains(out, "secret.key") {
		t.Fatalf("backup output:\n%s", out)
	}
	if out, err := cli(t, dir, "", "restore", full); err == nil || !strings.Contains(out, "not empty") ||
		!strings.Contains(out, "new --data-dir") {
		t.Fatalf("restore over the running store: err=%v\n%s", err, out)
	}

	more := newScenario(12)
	more.noise(time.Now().UTC().Add(-time.Minute), 150)
	appendText(t, file, more.text())
	waitRows(t, dir, len(s.lines)+len(more.lines))
	size := fileSize(t, file)
	waitDrained(t, dir, "fw1", size)
	srv.stop(t)
	mustCLI(t, dir, "", "backup", inc, "--base", full)
	want := storeState(t, dir)

	fresh := t.TempDir()
	out = mustCLI(t, fresh, "", "restore", inc)
	if !strings.Contains(out, "firewall_logs") || !strings.Contains(out, "secret.key") {
		t.Fatalf("restore output:\n%s", out)
	}
	if got := storeState(t, fresh); got != want {
		t.Fatalf("restored store differs:\n%s\n---- want\n%s", got, want)
	}
	n := len(s.lines) + len(more.lines)
	if !strings.Contains(want, fmt.Sprintf("\t%d\t%d\t%d\t%d\n", size, size, n, n)) {
		t.Fatalf("checkpoints missing from the compared state:\n%s", want)
	}

	// serve on the restored copy resumes the file where the checkpoint says.
	key, err := os.ReadFile(filepath.Join(dir, "secret.key"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(fresh, "secret.key"), key, 0o600); err != nil {
		t.Fatal(err)
	}
	srv = startServe(t, fresh, "--log-dir", logs)
	last := newScenario(13)
	last.noise(time.Now().UTC(), 50)
	appendText(t, file, last.text())
	waitDrained(t, fresh, "fw1", fileSize(t, file))
	if got := strings.TrimSpace(mustCLI(t, fresh, "", "sql", "SELECT count() FROM logs")); got != fmt.Sprint(len(s.lines)+len(more.lines)+len(last.lines)) {
		t.Fatalf("logs after resuming on the restored store: %s rows, want %d", got, len(s.lines)+len(more.lines)+len(last.lines))
	}
	if got := mustCLI(t, fresh, "", "user", "list"); !strings.Contains(got, "alice") {
		t.Fatalf("users after restore: %s", got)
	}
	srv.stop(t)

	// The full archive alone restores what the store held when it was taken.
	third := t.TempDir()
	mustCLI(t, third, "", "restore", full)
	if got := strings.TrimSpace(mustCLI(t, third, "", "sql", "SELECT count() FROM logs")); got != fmt.Sprint(len(s.lines)) {
		t.Fatalf("logs restored from the full archive: %s, want %d", got, len(s.lines))
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// TestBackupAPI: backup and restore are the socket's alone (they name
// server paths), with errors that name the field.
func TestBackupAPI(t *testing.T) {
	e := newAPIEnv(t)
	log := logrus.New()
	log.SetOutput(io.Discard)
	a := &app{log: log}
	a.g.dataDir = t.TempDir()
	deps := e.core.webDeps(func(ctx context.Context, days int) (schema.MigrateResult, error) {
		return migrate(ctx, e.core.st, days)
	})
	deps.Backups = a.backups(e.core.st)
	srv := web.New(web.Config{InsecureHTTP: true, Version: "test"}, deps, logrus.NewEntry(log))
	arch := t.TempDir()
	file := filepath.Join(arch, "api.tar")
	tests := []struct {
		name, path, body string
		tcp              bool
		status           int
		want             string
	}{
		{"not over TCP", "/api/v1/backup", `{"file":"` + file + `"}`, true, 404, "no such API endpoint"},
		{"restore not over TCP", "/api/v1/restore", `{"file":"` + file + `"}`, true, 404, "no such API endpoint"},
		{"relative path", "/api/v1/backup", `{"file":"x.tar"}`, false, 400, `"field":"file"`},
		{"no file", "/api/v1/backup", `{}`, false, 400, `"field":"file"`},
		{"unknown field", "/api/v1/backup", `{"file":"` + file + `","to":"s3"}`, false, 400, `"field":"to"`},
		{"not an archive", "/api/v1/backup", `{"file":"` + filepath.Join(arch, "x.zip") + `"}`, false, 400, `"field":"file"`},
		{"backup", "/api/v1/backup", `{"file":"` + file + `"}`, false, 201, "secret.key"},
		{"again", "/api/v1/backup", `{"file":"` + file + `"}`, false, 409, "already exists"},
		{"restore over data", "/api/v1/restore", `{"file":"` + file + `"}`, false, 409, "not empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", tc.path, strings.NewReader(tc.body))
			req.Header.Set("Content-Type", "application/json")
			app := srv.SocketApp()
			if tc.tcp {
				req.Header.Set("Authorization", "Bearer "+e.tokens[schema.ScopeWrite])
				app = srv.App()
			}
			resp, err := app.Test(req, -1)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status || !strings.Contains(string(b), tc.want) {
				t.Fatalf("status %d, body %s; want %d and %q", resp.StatusCode, b, tc.status, tc.want)
			}
		})
	}
}

package main

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// hunt sends a query to /clickhouse/ with basic auth and returns status and
// body.
func hunt(t *testing.T, base, user, key, query string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+"/clickhouse/?query="+url.QueryEscape(query), nil)
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestHuntingEndpointAndSecrets: the ClickHouse-compatible endpoint reads
// logs with a hunt token, refuses writes, settings and missing or wrong
// credentials, and no table shows a password, token or secret in any form.
func TestHuntingEndpointAndSecrets(t *testing.T) {
	needEngine(t)
	dir := t.TempDir()
	srv := startServe(t, dir)
	const userPW, smtpPW, edlPW, hookKey = "horse-battery-9", "smtp-s3cret-pw", "edl-poll-secret", "webhook-hmac-key"
	const hookPath = "services/T0001/B0002/incoming-hook-s3cret"
	mustCLI(t, dir, userPW+"\n", "user", "add", "ann", "--role", "admin")
	huntTok := firstLine(mustCLI(t, dir, "", "token", "add", "hunter", "--scope", "hunt"))
	readTok := firstLine(mustCLI(t, dir, "", "token", "add", "reader", "--scope", "read"))
	mustCLI(t, dir, "", "settings", "set", "smtp.username", "alerts")
	mustCLI(t, dir, "", "settings", "set", "smtp.password", smtpPW)
	mustCLI(t, dir, "", "settings", "set", "edl.user", "fw")
	mustCLI(t, dir, "", "settings", "set", "edl.password", edlPW)
	mustCLI(t, dir, "", "webhook", "add", "soc", "https://hooks.example.org/"+hookPath, "--secret", hookKey)
	mustCLI(t, dir, "", "blacklist", "add", "45.61.0.1", "--reason", "test")
	if show := mustCLI(t, dir, "", "settings", "show"); strings.Contains(show, smtpPW) || strings.Contains(show, edlPW) {
		t.Fatalf("settings show reveals a secret:\n%s", show)
	}

	if s, body := hunt(t, srv.url, "hunter", huntTok, "SELECT count() FROM logs"); s != 200 || body != "0\n" {
		t.Fatalf("count through the endpoint: %d %q", s, body)
	}
	for _, tc := range []struct {
		name, user, key, query string
		status                 int
		code                   string
	}{
		{"no credentials", "", "", "SELECT 1", 403, "Code: 516"},
		{"wrong key", "hunter", readTok, "SELECT 1", 403, "Code: 516"},
		{"wrong scope", "reader", readTok, "SELECT 1", 403, ""},
		{"insert", "hunter", huntTok, "INSERT INTO blacklist (ip) VALUES ('1.2.3.4')", 500, "Code: 164"},
		{"drop", "hunter", huntTok, "DROP TABLE blacklist", 500, "Code: 164"},
		{"set", "hunter", huntTok, "SET readonly = 0", 500, "Code: 164"},
		{"file()", "hunter", huntTok, "SELECT * FROM file('/etc/passwd', 'LineAsString')", 0, ""},
		{"url()", "hunter", huntTok, "SELECT * FROM url('http://127.0.0.1:1/', 'LineAsString')", 0, ""},
		{"into outfile", "hunter", huntTok, "SELECT 1 INTO OUTFILE '/tmp/x.tsv'", 0, ""},
		{"two statements", "hunter", huntTok, "SELECT 1; SELECT 2", 400, "Code: 62"},
	} {
		s, body := hunt(t, srv.url, tc.user, tc.key, tc.query)
		if s == 200 || (tc.status != 0 && s != tc.status) || !strings.Contains(body, tc.code) {
			t.Errorf("%s: %d %q", tc.name, s, body)
		}
	}

	// clickhouse-go over HTTP with the token reads logs; without it, refused.
	addr := strings.TrimPrefix(srv.url, "http://")
	open := func(user, key string) error {
		conn, err := clickhouse.Open(&clickhouse.Options{Protocol: clickhouse.HTTP, Addr: []string{addr}, HttpUrlPath: "/clickhouse",
			Auth: clickhouse.Auth{Database: "activedefense", Username: user, Password: key}, DialTimeout: 5 * time.Second})
		if err != nil {
			return err
		}
		defer conn.Close()
		var n uint64
		return conn.QueryRow(context.Background(), "SELECT count() FROM logs").Scan(&n)
	}
	if err := open("hunter", huntTok); err != nil {
		t.Fatalf("clickhouse-go with a hunt token: %v", err)
	}
	var ex *clickhouse.Exception
	if err := open("reader", readTok); err == nil || !errors.As(err, &ex) && !strings.Contains(err.Error(), "403") {
		t.Fatalf("clickhouse-go with a read token: %v", err)
	}

	// SELECT * over every table finds no secret in any form.
	_, tables := hunt(t, srv.url, "hunter", huntTok, "SELECT name FROM system.tables WHERE database = currentDatabase() AND engine NOT LIKE '%View%'")
	forms := func(s string) []string {
		return []string{s, base64.StdEncoding.EncodeToString([]byte(s)), base64.RawURLEncoding.EncodeToString([]byte(s)), hex.EncodeToString([]byte(s))}
	}
	var secrets []string
	for _, s := range []string{userPW, smtpPW, edlPW, hookKey, hookPath, huntTok, readTok} {
		secrets = append(secrets, forms(s)...)
	}
	n := 0
	for _, table := range strings.Fields(tables) {
		s, body := hunt(t, srv.url, "hunter", huntTok, fmt.Sprintf("SELECT * FROM `%s` FORMAT TSVWithNames", table))
		if s != 200 {
			t.Fatalf("SELECT * FROM %s: %d %s", table, s, body)
		}
		n++
		for _, secret := range secrets {
			if strings.Contains(body, secret) {
				t.Fatalf("table %s shows a secret:\n%s", table, body)
			}
		}
	}
	if n < 15 {
		t.Fatalf("only %d tables read: %q", n, tables)
	}
	srv.stop(t)
}

// firstLine returns the first line of s (stdout comes before the notes on
// stderr).
func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return strings.TrimSpace(l)
}

// TestEveryCommandBothPaths runs every CLI command through a running
// server's socket and again with no server (in-process API).
func TestEveryCommandBothPaths(t *testing.T) {
	needEngine(t)
	for _, withServe := range []bool{true, false} {
		t.Run(fmt.Sprintf("serve=%t", withServe), func(t *testing.T) {
			dir, logs := t.TempDir(), t.TempDir()
			var srv *server
			if withServe {
				srv = startServe(t, dir, "--log-dir", logs)
			}
			logFile := filepath.Join(logs, "fw1.log")
			s := newScenario(3)
			s.scan(time.Now().Add(-10*time.Minute), 5*time.Minute, "45.70.0.1", "198.18.0.1", 20)
			if err := os.WriteFile(logFile, []byte(s.text()), 0o644); err != nil {
				t.Fatal(err)
			}
			list := filepath.Join(logs, "old-blacklist.txt")
			if err := os.WriteFile(list, []byte("45.71.0.1\n10.0.0.1\nnonsense\n45.71.0.2,old system,2026-11-01\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			steps := []struct {
				stdin string
				args  []string
				want  string
			}{
				{"", []string{"version"}, "activedefense"},
				{"", []string{"migrate"}, "schema at version"},
				{"", []string{"settings", "set", "portscan.ports", "15"}, "portscan.ports"},
				{"", []string{"settings", "show"}, "portscan.ports"},
				{"", []string{"import", logFile, "--device", "fw1"}, "imported"},
				{"", []string{"device", "add", "fw1", logFile, "--sender", "45.72.0.1"}, "device fw1 added"},
				{"", []string{"device", "list"}, "fw1"},
				{"", []string{"allowlist", "add", "45.73.0.0/24", "--note", "partner"}, "allow-listed"},
				{"", []string{"allowlist", "list"}, "45.73.0.0/24"},
				{"", []string{"allowlist", "import", list}, "added"},
				{"", []string{"allowlist", "remove", "45.71.0.1"}, "removed"},
				{"", []string{"allowlist", "remove", "45.71.0.2"}, "removed"},
				{"", []string{"detect", "--dry-run", "--since", "1d", "--set", "portscan.ports=10"}, "45.70.0.1"},
				{"", []string{"detect"}, "1 blocked"},
				{"", []string{"detections", "list"}, "45.70.0.1"},
				{"", []string{"detections", "approve", "--all"}, "0 approved"},
				{"", []string{"detections", "discard", "--all"}, "0 discarded"},
				{"", []string{"blacklist", "add", "45.74.0.1", "--reason", "honeypot", "--permanent"}, "45.74.0.1"},
				{"", []string{"blacklist", "import", list, "--reason", "old system"}, "2 added"},
				{"", []string{"blacklist", "list"}, "45.70.0.1"},
				{"", []string{"blacklist", "remove", "45.74.0.1"}, "released"},
				{"", []string{"blacklist", "add", "45.75.0.1", "--reason", "later known as a firewall"}, "45.75.0.1"},
				{"", []string{"device", "add", "fw2", filepath.Join(logs, "fw2.log"), "--sender", "45.75.0.1"}, "device fw2 added"},
				{"", []string{"blacklist", "list", "--state", "released"}, "a registered firewall's address"},
				{"", []string{"device", "remove", "fw2"}, "removed"},
				{"", []string{"blacklist", "expire"}, "0 entries released"},
				{"", []string{"feed", "add", "local", list, "--interval", "10m"}, "local"},
				{"", []string{"feed", "list"}, "local"},
				{"", []string{"feed", "refresh"}, "local"},
				{"", []string{"feed", "remove", "local"}, "removed"},
				{"", []string{"recipient", "add", "soc@example.org"}, "added"},
				{"", []string{"recipient", "list"}, "soc@example.org"},
				{"", []string{"recipient", "remove", "soc@example.org"}, "removed"},
				{"", []string{"webhook", "add", "soc", "https://hooks.example.org/x"}, "added"},
				{"", []string{"webhook", "list"}, "soc"},
				{"", []string{"webhook", "remove", "soc"}, "removed"},
				{"", []string{"token", "add", "ci", "--scope", "read"}, "adt_"},
				{"", []string{"token", "list"}, "ci"},
				{"", []string{"token", "remove", "ci"}, "removed"},
				{"correct-horse-1\n", []string{"user", "add", "ann", "--role", "admin"}, "added"},
				{"correct-horse-2\n", []string{"user", "passwd", "ann"}, "changed"},
				{"", []string{"user", "list"}, "ann"},
				{"", []string{"user", "remove", "ann"}, "removed"},
				{"", []string{"audit", "list"}, "blacklist 45.74.0.1"},
				{"", []string{"edl", "list"}, "/edl/blacklist.txt"},
				{"", []string{"edl", "clients"}, ""},
				{"", []string{"sql", "SELECT count() FROM logs"}, "20"},
				{"", []string{"device", "remove", "fw1"}, "removed"},
			}
			for _, st := range steps {
				out, err := cli(t, dir, st.stdin, st.args...)
				if err != nil || !strings.Contains(out, st.want) {
					t.Fatalf("activedefense %s: %v\n%s", strings.Join(st.args, " "), err, out)
				}
			}
			if out, err := cli(t, dir, "", "blacklist", "add", "10.1.1.1"); err == nil || !strings.Contains(out, "not globally routable") {
				t.Fatalf("private address accepted: %v %s", err, out)
			}
			if out, err := cli(t, dir, "", "allowlist", "add", "10.0.0.0/33"); err == nil || !strings.Contains(out, "not an address or CIDR") {
				t.Fatalf("bad CIDR: %v %s", err, out)
			}
			if withServe {
				if !strings.Contains(srv.logs.String(), "device added") {
					t.Fatalf("the commands did not go through the server:\n%s", srv.logs)
				}
				srv.stop(t)
			}
		})
	}
}

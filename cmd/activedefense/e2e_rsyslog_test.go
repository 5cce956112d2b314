package main

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// rsyslogConf renders deploy/rsyslog/30-activedefense.conf for an
// unprivileged run: its port and directory replaced, a private work dir.
func rsyslogConf(t *testing.T, port int, logDir, workDir string) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("..", "..", "deploy", "rsyslog", "30-activedefense.conf"))
	if err != nil {
		t.Fatal(err)
	}
	conf := string(src)
	for old, repl := range map[string]string{
		`port="514"`:         `port="` + strconv.Itoa(port) + `" address="127.0.0.1"`,
		"/var/log/Firewall/": logDir + "/",
	} {
		if !strings.Contains(conf, old) {
			t.Fatalf("deploy config no longer contains %q", old)
		}
		conf = strings.ReplaceAll(conf, old, repl)
	}
	return `global(workDirectory="` + workDir + `")` + "\n" + conf
}

// TestRsyslogEndToEnd sends PAN-OS lines over UDP to a real rsyslogd
// running the deploy/ configuration, and requires them in logs: the path a
// production install takes (firewall → rsyslog → file → tail → ClickHouse).
func TestRsyslogEndToEnd(t *testing.T) {
	needEngine(t)
	rsyslogd, err := exec.LookPath("rsyslogd")
	if err != nil {
		rsyslogd = "/usr/sbin/rsyslogd"
		if _, err := os.Stat(rsyslogd); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatal("rsyslogd not installed (.ci/run installs the rsyslog package)")
			}
			t.Skip("rsyslogd not installed (apt-get install rsyslog)")
		}
	}
	dir := t.TempDir()
	logDir, workDir := filepath.Join(dir, "Firewall"), filepath.Join(dir, "rsyslog")
	for _, d := range []string{logDir, workDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	port := freeUDPPort(t)
	confPath := filepath.Join(dir, "rsyslog.conf")
	if err := os.WriteFile(confPath, []byte(rsyslogConf(t, port, logDir, workDir)), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	rs := exec.Command(rsyslogd, "-n", "-f", confPath, "-i", filepath.Join(dir, "rsyslogd.pid"))
	rs.Stdout, rs.Stderr = &out, &out
	if err := rs.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rs.Process.Kill(); rs.Wait() })

	ls := genLines(3000, 5) // host fw-lab-01: rsyslog writes fw-lab-01.log
	file := filepath.Join(logDir, "fw-lab-01.log")
	mustCLI(t, dir, "", "device", "add", "fw1", file)
	srv := startServe(t, dir)
	conn, err := net.Dial("udp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	waitListening(t, conn, filepath.Join(logDir, "probe-host.log"), &out)
	for i, l := range ls.all {
		if _, err := conn.Write([]byte("<14>" + l.Text)); err != nil {
			t.Fatal(err)
		}
		if i%50 == 0 {
			time.Sleep(2 * time.Millisecond) // pace UDP so the loopback buffer never overflows
		}
	}
	if n := waitCount(t, dir, len(ls.want), time.Now().Add(60*time.Second)); n != len(ls.want) {
		t.Fatalf("%d rows, want %d\nrsyslogd: %s\nserve: %s", n, len(ls.want), out.String(), srv.logs)
	}
	checkRows(t, dir, ls)
	srv.stop(t)
}

func freeUDPPort(t *testing.T) int {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	return pc.LocalAddr().(*net.UDPAddr).Port
}

// waitListening sends probe lines from another host until rsyslog has
// written that host's file (the probes never reach the device under test).
func waitListening(t *testing.T, conn net.Conn, file string, out *bytes.Buffer) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		conn.Write([]byte("<14>Nov 28 00:00:00 probe-host probe"))
		time.Sleep(100 * time.Millisecond)
		if fi, err := os.Stat(file); err == nil && fi.Size() > 0 {
			return
		}
	}
	t.Fatalf("rsyslogd wrote nothing to %s within 20s:\n%s", file, out.String())
}

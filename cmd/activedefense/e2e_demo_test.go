package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDemo runs serve and the demo as a newcomer would, with detection
// every 10 s: the first three simulated attackers (a port scan, a host
// sweep, a critical vulnerability attack) must be detected and served in
// the EDL within a bounded wait; then the demo stops cleanly on SIGINT.
func TestDemo(t *testing.T) {
	needEngine(t)
	dir, logs := t.TempDir(), t.TempDir()
	srv := startServe(t, dir, "--log-dir", logs)
	mustCLI(t, dir, "", "settings", "set", "detect.interval", "10s")

	demo := exec.Command(binPath, "demo", "--duration", "3m", "--rate", "50", "--attack-every", "5s")
	demo.Env = append(os.Environ(), "AD_DATA_DIR="+dir, "AD_LOG_DIR="+logs)
	out := &syncBuffer{}
	demo.Stdout, demo.Stderr = out, out
	if err := demo.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- demo.Wait() }()
	t.Cleanup(func() {
		if demo.ProcessState == nil {
			_ = demo.Process.Kill()
			<-done
		}
	})

	attackers := regexp.MustCompile(`simulated (port scan|host sweep|critical vulnerability attack): (\S+) `)
	var first []string
	deadline := time.Now().Add(90 * time.Second)
	for {
		first = first[:0]
		for _, m := range attackers.FindAllStringSubmatch(out.String(), 3) {
			first = append(first, m[2])
		}
		edl := strings.Fields(httpGet(t, srv.url+"/edl/blacklist.txt"))
		ok := len(first) == 3
		for _, ip := range first {
			ok = ok && slices.Contains(edl, ip)
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 90s the EDL holds %v, want the first attackers %v\ndemo output:\n%s\nserve:\n%s", edl, first, out, srv.logs)
		}
		time.Sleep(time.Second)
	}
	for _, ip := range first {
		if !strings.HasPrefix(ip, "45.") && !strings.HasPrefix(ip, "185.") {
			t.Errorf("attacker %s is not from 45.0.0.0/8 or 185.0.0.0/8", ip)
		}
	}
	det := mustCLI(t, dir, "", "detections", "list")
	for _, ip := range first {
		if !strings.Contains(det, ip) {
			t.Errorf("detections list lacks %s:\n%s", ip, det)
		}
	}
	if n := strings.TrimSpace(mustCLI(t, dir, "", "sql", "SELECT uniqExact(format) FROM logs WHERE device = 'demo-fw'")); n != "2" {
		t.Errorf("the demo's lines are in %s formats, want 2 (CSV and key=value)", n)
	}
	if _, err := os.Stat(filepath.Join(logs, "demo-fw.log")); err != nil {
		t.Errorf("the demo's file is not under serve's log dir: %v", err)
	}

	_ = demo.Process.Signal(syscall.SIGINT)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("demo exited with %v:\n%s", err, out)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("demo did not stop within 15s of SIGINT:\n%s", out)
	}
	m := regexp.MustCompile(`(\d+) of the \d+ simulated attackers so far`).FindAllStringSubmatch(out.String(), -1)
	if n := 0; len(m) > 0 {
		n, _ = strconv.Atoi(m[len(m)-1][1])
		if n < 3 {
			t.Errorf("the demo's last status counts %d caught attackers, want at least 3:\n%s", n, out)
		}
	} else {
		t.Errorf("the demo's last status does not count the 3 caught attackers:\n%s", out)
	}
	for _, want := range []string{"SIMULATED", "lines stored from demo-fw", "simulated attackers so far", "demo stopped"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	srv.stop(t)
}

func TestDemoAndBackupUsageErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"demo", "--rate", "0"}, "--rate must be 1 to 10000"},
		{[]string{"demo", "--attack-every", "10ms"}, "--attack-every must be at least 1s"},
		{[]string{"demo", "--device", "bad name"}, "invalid device name"},
		{[]string{"demo", "--wait", "0s"}, "start `activedefense serve` first"},
		{[]string{"backup"}, "want one FILE"},
		{[]string{"backup", "x.zip"}, "must end in .tar, .tar.gz, .tar.zst"},
		{[]string{"backup", "x.tar", "--base", "y.zip"}, "y.zip: the archive's name must end in"},
		{[]string{"restore", filepath.Join(dir, "missing.tar.zst")}, "no such file"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out, err := cli(t, dir, "", tc.args...)
			if err == nil || !strings.Contains(out, tc.want) {
				t.Fatalf("err=%v, want %q in:\n%s", err, tc.want, out)
			}
			noPanic(t, out)
		})
	}
}

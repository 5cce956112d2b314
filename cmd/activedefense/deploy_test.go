package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The deploy/ files checked by the tools that read them in production.
// Under CI=true a missing tool fails (.ci/run installs it); elsewhere the
// test skips.

// deployFile returns the contents of a file under deploy/.
func deployFile(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "deploy", rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// findTool finds a program on PATH or in the sbin directories, or returns "".
func findTool(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, dir := range []string{"/usr/sbin", "/sbin"} {
		if p := filepath.Join(dir, name); isExecutable(p) {
			return p
		}
	}
	return ""
}

// needTool returns findTool(name), failing under CI=true and skipping
// elsewhere when it is not installed.
func needTool(t *testing.T, name, pkg string) string {
	t.Helper()
	if p := findTool(name); p != "" {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s not installed (.ci/run installs the Debian package %s)", name, pkg)
	}
	t.Skipf("%s not installed (apt-get install %s)", name, pkg)
	return ""
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// replaceAll replaces each old string, failing when the file no longer has it.
func replaceAll(t *testing.T, s string, pairs ...string) string {
	t.Helper()
	for i := 0; i+1 < len(pairs); i += 2 {
		if !strings.Contains(s, pairs[i]) {
			t.Fatalf("deploy file no longer contains %q", pairs[i])
		}
		s = strings.ReplaceAll(s, pairs[i], pairs[i+1])
	}
	return s
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func runTool(t *testing.T, name string, args ...string) (string, error) {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	return string(out), err
}

// unitCopy writes the unit with ExecStart pointing at the freshly built
// binary: systemd-analyze verify fails on a missing executable.
func unitCopy(t *testing.T) string {
	t.Helper()
	unit := replaceAll(t, deployFile(t, "systemd/activedefense.service"),
		"ExecStart=/usr/local/bin/activedefense serve", "ExecStart="+binPath+" serve")
	path := filepath.Join(t.TempDir(), "activedefense.service")
	writeFile(t, path, unit)
	return path
}

func TestSystemdUnitVerifies(t *testing.T) {
	sa := needTool(t, "systemd-analyze", "systemd")
	path := unitCopy(t)
	out, err := runTool(t, sa, "verify", path)
	if err != nil {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
	// Unknown keys and unparsable values are only warnings: any line about
	// our unit fails the test.
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "activedefense.service") {
			t.Errorf("systemd-analyze verify: %s", l)
		}
	}
}

// TestSystemdUnitHardening reads systemd's own security report of the unit,
// so a hardening setting that is misspelt, overridden or dropped fails.
func TestSystemdUnitHardening(t *testing.T) {
	sa := needTool(t, "systemd-analyze", "systemd")
	path := unitCopy(t)
	out, err := runTool(t, sa, "security", "--offline=true", path)
	if err != nil {
		if strings.Contains(out, "offline") && os.Getenv("CI") != "true" {
			t.Skipf("systemd-analyze too old for security --offline: %s", out)
		}
		t.Fatalf("systemd-analyze security: %v\n%s", err, out)
	}
	passed := map[string]bool{}
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) >= 2 {
			passed[f[1]] = f[0] == "✓" || f[0] == "+"
		}
	}
	for _, name := range []string{
		"User=/DynamicUser=", "NoNewPrivileges=", "ProtectSystem=", "ProtectHome=", "PrivateTmp=",
		"PrivateDevices=", "ProtectKernelTunables=", "ProtectKernelModules=", "ProtectKernelLogs=",
		"ProtectControlGroups=", "ProtectClock=", "ProtectProc=", "RestrictSUIDSGID=", "RestrictRealtime=",
		"LockPersonality=", "SystemCallArchitectures=", "RemoveIPC=",
		"CapabilityBoundingSet=~CAP_SYS_ADMIN", "CapabilityBoundingSet=~CAP_(DAC_*|FOWNER|IPC_OWNER)",
		"CapabilityBoundingSet=~CAP_NET_ADMIN", "RestrictAddressFamilies=~AF_PACKET",
		"RestrictAddressFamilies=~AF_NETLINK", "RestrictNamespaces=~user",
	} {
		if ok, found := passed[name]; !found {
			t.Errorf("%s: not in systemd-analyze security's report", name)
		} else if !ok {
			t.Errorf("%s: systemd-analyze security reports it as exposed", name)
		}
	}
	if t.Failed() {
		t.Logf("systemd-analyze security:\n%s", out)
	}
}

func TestRsyslogSnippetValidates(t *testing.T) {
	rsyslogd := needTool(t, "rsyslogd", "rsyslog")
	dir := t.TempDir()
	snippet, _ := filepath.Abs(filepath.Join("..", "..", "deploy", "rsyslog", "30-activedefense.conf"))
	conf := filepath.Join(dir, "rsyslog.conf")
	writeFile(t, conf, `global(workDirectory="`+dir+`")`+"\n"+`include(file="`+snippet+`")`+"\n")
	out, err := runTool(t, rsyslogd, "-N1", "-f", conf)
	if err != nil {
		t.Fatalf("rsyslogd -N1: %v\n%s", err, out)
	}
	// A clean run prints only its banner and "End of config validation run".
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if !strings.Contains(l, "config validation run") {
			t.Errorf("rsyslogd -N1: %s", l)
		}
	}
}

// TestLogrotateRenamesAndDelaysCompression rotates a file twice with the
// deploy/ logrotate file: the newest rotated file must stay plain (the
// follower drains it and finds it again after a restart), the path must be
// re-created with the same mode, and rsyslog must be told (postrotate).
func TestLogrotateRenamesAndDelaysCompression(t *testing.T) {
	logrotate := needTool(t, "logrotate", "logrotate")
	const hook = "/usr/lib/rsyslog/rsyslog-rotate"
	if _, err := os.Stat("/etc/debian_version"); err == nil && findTool("rsyslogd") != "" && !isExecutable(hook) {
		t.Fatalf("%s (named in postrotate) is missing", hook)
	}
	dir := t.TempDir()
	logDir := filepath.Join(dir, "Firewall")
	if err := os.Mkdir(logDir, 0o750); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "logrotate.conf")
	hup := filepath.Join(dir, "hup")
	writeFile(t, conf, replaceAll(t, deployFile(t, "rsyslog/logrotate-activedefense"),
		"/var/log/Firewall/", logDir+"/", hook, "echo rotated >> "+hup))
	log := filepath.Join(logDir, "fw1.log")
	rotate := func(content string) {
		t.Helper()
		if err := os.WriteFile(log, []byte(content), 0o640); err != nil {
			t.Fatal(err)
		}
		out, err := runTool(t, logrotate, "--force", "--state", filepath.Join(dir, "state"), conf)
		if err != nil || strings.Contains(out, "error") {
			t.Fatalf("logrotate: %v\n%s", err, out)
		}
	}
	rotate("first\n")
	rotate("second\n")
	for name, want := range map[string]string{"fw1.log": "", "fw1.log.1": "second\n"} {
		b, err := os.ReadFile(filepath.Join(logDir, name))
		if err != nil || string(b) != want {
			t.Errorf("%s: %q, %v; want %q", name, b, err, want)
		}
	}
	if fi, err := os.Stat(log); err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("re-created %s: %v, %v; want mode 0640", log, fi, err)
	}
	gz, err := os.ReadFile(filepath.Join(logDir, "fw1.log.2.gz"))
	if err != nil || !bytes.HasPrefix(gz, []byte{0x1f, 0x8b}) {
		t.Errorf("fw1.log.2.gz: %v; want the older file gzip-compressed", err)
	}
	if b, _ := os.ReadFile(hup); string(b) != "rotated\nrotated\n" {
		t.Errorf("postrotate ran %q, want once per rotation", b)
	}
}

// TestNginxSiteValidates runs nginx -t on the optional site with a
// throw-away certificate. nginx is optional, so it only skips when absent.
func TestNginxSiteValidates(t *testing.T) {
	nginx := findTool("nginx")
	if nginx == "" {
		t.Skip("nginx not installed (optional)")
	}
	openssl := needTool(t, "openssl", "openssl")
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if out, err := runTool(t, openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
		"-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost"); err != nil {
		t.Fatalf("openssl: %v\n%s", err, out)
	}
	site := filepath.Join(dir, "site.conf")
	writeFile(t, site, replaceAll(t, deployFile(t, "nginx/activedefense.conf"),
		"/etc/activedefense/tls/fullchain.pem", cert, "/etc/activedefense/tls/privkey.pem", key))
	conf := filepath.Join(dir, "nginx.conf")
	var b strings.Builder
	b.WriteString("pid " + dir + "/nginx.pid;\nerror_log stderr;\nevents {}\nhttp {\n")
	for _, tmp := range []string{"client_body", "proxy", "fastcgi", "uwsgi", "scgi"} {
		b.WriteString("  " + tmp + "_temp_path " + filepath.Join(dir, tmp) + ";\n")
	}
	b.WriteString("  access_log off;\n  include " + site + ";\n}\n")
	writeFile(t, conf, b.String())
	out, err := runTool(t, nginx, "-t", "-q", "-p", dir, "-e", "stderr", "-c", conf)
	if err != nil || strings.TrimSpace(out) != "" {
		t.Fatalf("nginx -t: %v\n%s", err, out)
	}
}

// TestInstallGuideNamesExistingFiles: every deploy/ file docs/INSTALL.md
// tells the reader to install exists.
func TestInstallGuideNamesExistingFiles(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "INSTALL.md"))
	if err != nil {
		t.Fatal(err)
	}
	names := regexp.MustCompile(`deploy/[A-Za-z0-9_./-]*[A-Za-z0-9_]`).FindAllString(string(b), -1)
	if len(names) < 5 {
		t.Fatalf("docs/INSTALL.md names %d deploy/ files, want the unit, rsyslog, logrotate, nginx and more", len(names))
	}
	for _, name := range names {
		if _, err := os.Stat(filepath.Join("..", "..", name)); err != nil {
			t.Errorf("docs/INSTALL.md names %s: %v", name, err)
		}
	}
}

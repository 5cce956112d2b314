package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/activedefense/activedefense/ingest/pangen"
)

// served is a running `activedefense serve` child.
type served struct {
	bin, data, logs, url string
	cmd                  *exec.Cmd
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// startServed runs serve on a fresh data dir and waits for /healthz.
func startServed(bin, dir string) (*served, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &served{bin: bin, data: filepath.Join(dir, "data"), logs: filepath.Join(dir, "logs"), url: fmt.Sprintf("http://127.0.0.1:%d", port)}
	if err := os.MkdirAll(s.logs, 0o755); err != nil {
		return nil, err
	}
	s.cmd = exec.Command(bin, "serve", "--data-dir", s.data, "--listen", fmt.Sprintf("127.0.0.1:%d", port), "--insecure-http",
		"--log-dir", s.logs, "--log-level", "warn")
	s.cmd.Stderr = os.Stderr
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(s.url + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return s, nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.stop()
	return nil, errors.New("serve did not answer /healthz within 90s")
}

func (s *served) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
}

// cli runs one command against the served data dir.
func (s *served) cli(stdin string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.bin, append(args, "--data-dir", s.data)...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("activedefense %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// benchLatency measures, at default settings (detection every 60 s), the
// time from a port scan's lines appended to a followed file to the source in
// the blacklist; the baseline, measured in the same run, is the time from
// the lines appended to the rows queryable (ingest alone).
func benchLatency(bin string, reps int) error {
	dir, err := os.MkdirTemp("", "adbench-latency-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	s, err := startServed(bin, dir)
	if err != nil {
		return err
	}
	defer s.stop()
	file := filepath.Join(s.logs, "fw1.log")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		return err
	}
	if _, err := s.cli("", "device", "add", "fw1", file, "--timezone", "UTC"); err != nil {
		return err
	}
	fmt.Printf("\n## Detection latency (adbench latency): default settings (detect.interval 60s), %s\n\n", time.Now().UTC().Format("2006-01-02"))
	fmt.Println("| attack | baseline: line to row queryable | line to source in the blacklist |")
	fmt.Println("|---|---|---|")
	g := pangen.New(11, time.Now(), time.UTC)
	var worst time.Duration
	for i := 0; i < reps; i++ {
		src := netip.AddrFrom4([4]byte{45, 80, 0, byte(i + 1)})
		var b strings.Builder
		now := time.Now().UTC()
		for p := 0; p < 20; p++ {
			b.WriteString(g.Line(pangen.KVTraffic, pangen.Event{Time: now, Src: src, Dst: netip.MustParseAddr("10.0.0.5"),
				DstPort: uint16(1000 + p)}).Text + "\n")
		}
		start := time.Now()
		f, err := os.OpenFile(file, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		if _, err := f.WriteString(b.String()); err != nil {
			return err
		}
		f.Close()
		stored, listed, err := s.waitListed(src.String(), start)
		if err != nil {
			return err
		}
		worst = max(worst, listed)
		fmt.Printf("| %d (20 ports from %s) | %.1f s | %.1f s |\n", i+1, src, stored.Seconds(), listed.Seconds())
	}
	fmt.Printf("\nworst: %.1f s (target ≤ 90 s)\n", worst.Seconds())
	return nil
}

var countRE = regexp.MustCompile(`^\d+`)

// waitListed polls until the source's rows are queryable and until it is
// listed, and returns both delays from start.
func (s *served) waitListed(src string, start time.Time) (stored, listed time.Duration, err error) {
	deadline := start.Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		if stored == 0 {
			out, err := s.cli("", "sql", "SELECT count() FROM logs WHERE src_ip = '"+src+"'")
			if err != nil {
				return 0, 0, err
			}
			if n, _ := strconv.Atoi(countRE.FindString(strings.TrimSpace(out))); n >= 20 {
				stored = time.Since(start)
			}
		}
		out, err := s.cli("", "blacklist", "list", "--no-feeds")
		if err != nil {
			return 0, 0, err
		}
		sc := bufio.NewScanner(strings.NewReader(out))
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), src+"\t") {
				if stored == 0 {
					stored = time.Since(start)
				}
				return stored, time.Since(start), nil
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
	return 0, 0, fmt.Errorf("%s not listed within 3 minutes", src)
}

// benchServed runs the detection, latency or EDL benchmark: adbench detect,
// adbench latency BIN, adbench edl BIN (BIN: the activedefense binary).
func benchServed(mode string, args []string) error {
	if mode == "detect" {
		return benchDetection(3)
	}
	if len(args) != 1 {
		return fmt.Errorf("usage: adbench %s PATH-OF-activedefense", mode)
	}
	if mode == "latency" {
		return benchLatency(args[0], 3)
	}
	return edlBench(args[0], 50000)
}

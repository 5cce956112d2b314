package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/activedefense/activedefense/ingest/pangen"
	"github.com/activedefense/activedefense/schema"
)

// scenario writes PAN-OS lines of known attackers and decoys.
type scenario struct {
	g     *pangen.Generator
	lines []string
	n     int
}

func newScenario(seed uint64) *scenario {
	return &scenario{g: pangen.New(seed, time.Now(), time.UTC)}
}

// kinds alternates the formats (CSV, key=value).
func (s *scenario) kind(threat bool) pangen.Kind {
	s.n++
	switch {
	case threat && s.n%2 == 0:
		return pangen.CSVThreat
	case threat:
		return pangen.KVThreat
	case s.n%2 == 0:
		return pangen.CSVTraffic
	}
	return pangen.KVTraffic
}

func (s *scenario) add(e pangen.Event, threat bool) {
	s.lines = append(s.lines, s.g.Line(s.kind(threat), e).Text)
}

// scan: src reaches n ports of dst spread over d from start.
func (s *scenario) scan(start time.Time, d time.Duration, src, dst string, n int) {
	for i := 0; i < n; i++ {
		s.add(pangen.Event{Time: start.Add(d * time.Duration(i) / time.Duration(n)), Src: netip.MustParseAddr(src),
			Dst: netip.MustParseAddr(dst), DstPort: uint16(2000 + i)}, false)
	}
}

// sweep: src reaches n hosts on port.
func (s *scenario) sweep(start time.Time, d time.Duration, src string, n int, port uint16) {
	for i := 0; i < n; i++ {
		s.add(pangen.Event{Time: start.Add(d * time.Duration(i) / time.Duration(n)), Src: netip.MustParseAddr(src),
			Dst: netip.AddrFrom4([4]byte{198, 18, 7, byte(i + 1)}), DstPort: port}, false)
	}
}

func (s *scenario) threat(t time.Time, src, subtype, severity string) {
	s.add(pangen.Event{Time: t, Src: netip.MustParseAddr(src), Dst: netip.MustParseAddr("198.18.9.9"), DstPort: 443,
		Subtype: subtype, Severity: severity, ThreatName: "Apache Log4j Remote Code Execution Vulnerability", ThreatID: 91991,
		Action: "reset-both"}, true)
}

// noise: ordinary traffic from many sources.
func (s *scenario) noise(start time.Time, n int) {
	for i := 0; i < n; i++ {
		s.add(pangen.Event{Time: start.Add(time.Duration(i) * time.Second), Src: netip.AddrFrom4([4]byte{91, 0, byte(i / 250), byte(i%250 + 1)}),
			Dst: netip.MustParseAddr("198.18.0.80"), DstPort: 443, Action: "allow", Rule: "Allow Web"}, false)
	}
}

func (s *scenario) text() string { return strings.Join(s.lines, "\n") + "\n" }

// waitRows waits until logs holds want rows.
func waitRows(t *testing.T, dir string, want int) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	got := ""
	for time.Now().Before(deadline) {
		got = strings.TrimSpace(mustCLI(t, dir, "", "sql", "SELECT count() FROM logs"))
		if got == fmt.Sprint(want) {
			return
		}
		time.Sleep(300 * time.Millisecond)
	}
	t.Fatalf("logs holds %s rows, want %d", got, want)
}

// listed returns the addresses `blacklist list` prints.
func listed(t *testing.T, dir string, args ...string) []string {
	t.Helper()
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(mustCLI(t, dir, "", append([]string{"blacklist", "list"}, args...)...)), "\n") {
		if f := strings.Fields(l); len(f) > 0 {
			out = append(out, f[0])
		}
	}
	slices.Sort(out)
	return out
}

// hooks collects webhook deliveries.
type hooks struct {
	mu   sync.Mutex
	docs []map[string]any
}

func (h *hooks) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	var doc map[string]any
	if json.Unmarshal(b, &doc) == nil {
		h.mu.Lock()
		h.docs = append(h.docs, doc)
		h.mu.Unlock()
	}
}

func (h *hooks) entries() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, d := range h.docs {
		if d["event"] != "detections" {
			continue
		}
		es, _ := d["entries"].([]any)
		for _, e := range es {
			if m, ok := e.(map[string]any); ok {
				out = append(out, fmt.Sprint(m["ip"]))
			}
		}
	}
	slices.Sort(out)
	return out
}

// TestDetectionEndToEnd drives detection as the acceptance check does:
// generated attackers and decoys in a followed file, `detect`, then the
// blacklist, a late import, a release and return, a webhook and a feed.
func TestDetectionEndToEnd(t *testing.T) {
	needEngine(t)
	dir, logs := t.TempDir(), t.TempDir()
	file := filepath.Join(logs, "fw1.log")
	mustCLI(t, dir, "", "device", "add", "fw1", file, "--timezone", "UTC", "--sender", "45.99.99.99")
	srv := startServe(t, dir, "--log-dir", logs)

	rec := &hooks{}
	hook := httptest.NewServer(rec)
	defer hook.Close()
	mustCLI(t, dir, "", "webhook", "add", "test", hook.URL+"/hook")
	mustCLI(t, dir, "", "allowlist", "add", "45.1.1.5", "--note", "partner scanner")
	if out, err := cli(t, dir, "", "settings", "set", "portscan.ports", "0"); err == nil || !strings.Contains(out, "portscan.ports") ||
		!strings.Contains(out, "1 to 65535") {
		t.Fatalf("portscan.ports 0 accepted or unclear: %v\n%s", err, out)
	}

	now := time.Now().UTC()
	base := now.Add(-30 * time.Minute)
	s := newScenario(7)
	s.noise(base, 300)
	s.scan(base, 5*time.Minute, "45.1.1.1", "198.18.0.10", 16)    // port scanner
	s.scan(base, 5*time.Minute, "45.1.1.2", "198.18.0.10", 15)    // at the threshold
	s.scan(base, 40*time.Minute, "45.1.1.3", "198.18.0.10", 30)   // slow scanner
	s.scan(base, 5*time.Minute, "10.1.1.4", "198.18.0.10", 40)    // private
	s.scan(base, 5*time.Minute, "45.1.1.5", "198.18.0.10", 40)    // allow-listed
	s.scan(base, 5*time.Minute, "45.99.99.99", "198.18.0.10", 40) // the firewall itself
	s.sweep(base, 5*time.Minute, "45.2.2.1", 11, 445)             // host sweeper
	s.sweep(base, 5*time.Minute, "45.2.2.2", 10, 445)             // at the threshold
	s.threat(base, "45.3.3.1", "vulnerability", "critical")       // critical vulnerability
	s.threat(base, "45.3.3.2", "vulnerability", "high")           // high only
	s.threat(base, "45.3.3.3", "spyware", "critical")             // critical, not a vulnerability
	if err := os.WriteFile(file, []byte(s.text()), 0o644); err != nil {
		t.Fatal(err)
	}
	waitRows(t, dir, len(s.lines))

	mustCLI(t, dir, "", "detect")
	want := []string{"45.1.1.1", "45.2.2.1", "45.3.3.1"}
	if got := listed(t, dir); !slices.Equal(got, want) {
		t.Fatalf("blacklist %v, want %v", got, want)
	}
	deadline := time.Now().Add(30 * time.Second)
	for !slices.Equal(rec.entries(), want) && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if got := rec.entries(); !slices.Equal(got, want) {
		t.Fatalf("webhook received %v, want %v", got, want)
	}
	if sup := mustCLI(t, dir, "", "detections", "list", "--action", "suppressed"); !strings.Contains(sup, "45.1.1.5") ||
		!strings.Contains(sup, "45.99.99.99") {
		t.Fatalf("suppressed detections:\n%s", sup)
	}

	// vuln.level 2 lists the high-severity source at the next run.
	mustCLI(t, dir, "", "settings", "set", "vuln.level", "2")
	mustCLI(t, dir, "", "detect")
	if got := listed(t, dir); !slices.Contains(got, "45.3.3.2") || slices.Contains(got, "45.3.3.3") {
		t.Fatalf("after vuln.level 2: %v", got)
	}

	// An import of an hour-old attack, after the run, is caught by the next.
	old := newScenario(8)
	old.scan(now.Add(-time.Hour), 3*time.Minute, "45.4.4.4", "198.18.0.11", 25)
	imp := filepath.Join(t.TempDir(), "fw2.log.1")
	if err := os.WriteFile(imp, []byte(old.text()), 0o644); err != nil {
		t.Fatal(err)
	}
	mustCLI(t, dir, "", "import", imp, "--device", "fw2")
	mustCLI(t, dir, "", "detect")
	if got := listed(t, dir); !slices.Contains(got, "45.4.4.4") {
		t.Fatalf("imported attack not caught: %v", got)
	}

	// Released and detected again: twice the release window.
	mustCLI(t, dir, "", "blacklist", "remove", "45.1.1.1")
	if got := listed(t, dir); slices.Contains(got, "45.1.1.1") {
		t.Fatalf("still listed after remove: %v", got)
	}
	again := newScenario(9)
	again.scan(time.Now().UTC().Add(2*time.Second), 10*time.Second, "45.1.1.1", "198.18.0.10", 20)
	appendText(t, file, again.text())
	waitRows(t, dir, len(s.lines)+len(old.lines)+len(again.lines))
	mustCLI(t, dir, "", "detect")
	var es []schema.BlacklistEntry
	if err := json.Unmarshal([]byte(mustCLI(t, dir, "", "blacklist", "list", "--json")), &es); err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(es, func(e schema.BlacklistEntry) bool { return e.IP.String() == "45.1.1.1" })
	if i < 0 || es[i].ReleaseMonths != 2 || es[i].Returns != 1 {
		t.Fatalf("returning scanner: %+v", es)
	}
	line := mustCLI(t, dir, "", "blacklist", "list")
	if !strings.Contains(line, "release window 2 month(s)") {
		t.Fatalf("blacklist list does not show the doubled window:\n%s", line)
	}

	// A feed file's addresses appear and leave when removed from the file.
	feed := filepath.Join(logs, "feed.txt")
	if err := os.WriteFile(feed, []byte("# honeypot\n46.5.5.5\n46.6.6.0/24 ; a network\n10.0.0.1\nnot-an-address\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out := mustCLI(t, dir, "", "feed", "add", "honeypot", feed, "--interval", "1m"); !strings.Contains(out, "2 entries") ||
		!strings.Contains(out, "2 skipped") {
		t.Fatalf("feed add: %s", out)
	}
	if got := listed(t, dir); !slices.Contains(got, "46.5.5.5") || !slices.Contains(got, "46.6.6.0/24") {
		t.Fatalf("feed entries not listed: %v", got)
	}
	if err := os.WriteFile(feed, []byte("46.6.6.0/24\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustCLI(t, dir, "", "feed", "refresh")
	if got := listed(t, dir); slices.Contains(got, "46.5.5.5") || !slices.Contains(got, "46.6.6.0/24") {
		t.Fatalf("feed entry removed from the file still listed: %v", got)
	}
	waitEDL(t, srv.url+"/files/blacklist.txt", []string{"45.1.1.1", "45.2.2.1", "45.3.3.1", "46.6.6.0/24"}, nil)
	srv.stop(t)
}

func appendText(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
}

// waitEDL waits up to 5 seconds for the list at url to hold every address
// of want and none of absent.
func waitEDL(t *testing.T, url string, want, absent []string) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		body := httpGet(t, url)
		lines := strings.Split(strings.TrimSpace(body), "\n")
		ok := true
		for _, w := range want {
			ok = ok && slices.Contains(lines, w)
		}
		for _, w := range absent {
			ok = ok && !slices.Contains(lines, w)
		}
		if ok {
			return body
		}
		if time.Now().After(deadline) {
			t.Fatalf("EDL %s after 5s:\n%s\nwant %v, not %v", url, body, want, absent)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func httpGet(t *testing.T, url string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return string(b)
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: %v", url, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestSilentDevice: with device.silence_minutes 1, a device whose file
// stops growing shows as silent in `device list` within two minutes, and
// an alert goes out once.
func TestSilentDevice(t *testing.T) {
	needEngine(t)
	t.Parallel()
	dir, logs := t.TempDir(), t.TempDir()
	file := filepath.Join(logs, "fw1.log")
	s := newScenario(5)
	s.noise(time.Now().UTC().Add(-time.Minute), 10)
	if err := os.WriteFile(file, []byte(s.text()), 0o644); err != nil {
		t.Fatal(err)
	}
	rec := &hooks{}
	hook := httptest.NewServer(rec)
	defer hook.Close()
	mustCLI(t, dir, "", "device", "add", "fw1", file, "--timezone", "UTC")
	mustCLI(t, dir, "", "settings", "set", "device.silence_minutes", "1")
	mustCLI(t, dir, "", "webhook", "add", "ops", hook.URL)
	srv := startServe(t, dir, "--log-dir", logs)
	waitRows(t, dir, len(s.lines))
	if list := mustCLI(t, dir, "", "device", "list"); strings.Contains(list, "silent") {
		t.Fatalf("silent right after its lines:\n%s", list)
	}
	start := time.Now()
	for {
		list := mustCLI(t, dir, "", "device", "list")
		if strings.Contains(list, "silent") {
			break
		}
		if time.Since(start) > 2*time.Minute {
			t.Fatalf("not silent after 2 minutes:\n%s", list)
		}
		time.Sleep(2 * time.Second)
	}
	deadline := time.Now().Add(90 * time.Second)
	for !rec.has("firewall fw1 is silent") && time.Now().Before(deadline) {
		time.Sleep(time.Second)
	}
	if !rec.has("firewall fw1 is silent") {
		t.Fatal("no silence alert")
	}
	srv.stop(t)
}

// has reports whether a delivered document's subject contains s.
func (h *hooks) has(s string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, d := range h.docs {
		if strings.Contains(fmt.Sprint(d["subject"]), s) {
			return true
		}
	}
	return false
}

// TestDetectRightAfterWriting: `detect` run at once after lines are written
// to a followed file waits for them to be stored.
func TestDetectRightAfterWriting(t *testing.T) {
	needEngine(t)
	dir, logs := t.TempDir(), t.TempDir()
	file := filepath.Join(logs, "fw1.log")
	mustCLI(t, dir, "", "device", "add", "fw1", file, "--timezone", "UTC")
	startServe(t, dir, "--log-dir", logs)
	s := newScenario(21)
	s.noise(time.Now().UTC().Add(-5*time.Minute), 2000)
	s.scan(time.Now().UTC().Add(-3*time.Minute), 2*time.Minute, "45.77.0.1", "198.18.0.3", 30)
	if err := os.WriteFile(file, []byte(s.text()), 0o644); err != nil {
		t.Fatal(err)
	}
	mustCLI(t, dir, "", "detect")
	if got := listed(t, dir); !slices.Equal(got, []string{"45.77.0.1"}) {
		t.Fatalf("listed %v right after writing", got)
	}
	// A file registered while serve runs, then detect at once.
	s2 := newScenario(22)
	s2.scan(time.Now().UTC().Add(-2*time.Minute), time.Minute, "45.77.0.2", "198.18.0.4", 30)
	file2 := filepath.Join(logs, "fw2.log")
	if err := os.WriteFile(file2, []byte(s2.text()), 0o644); err != nil {
		t.Fatal(err)
	}
	mustCLI(t, dir, "", "device", "add", "fw2", file2, "--timezone", "UTC")
	mustCLI(t, dir, "", "detect")
	if got := listed(t, dir); !slices.Equal(got, []string{"45.77.0.1", "45.77.0.2"}) {
		t.Fatalf("listed %v right after registering a device", got)
	}
}

package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/activedefense/activedefense/ingest/pangen"
)

// memoryGoal is the peak RSS serve should stay within by default while it
// follows three busy firewalls (not met: BENCHMARKS.md).
const memoryGoal = 300 << 20

// TestServeMemory (set AD_MEMORY_BENCH, e.g. to 60s) runs serve with three devices whose files grow at
// AD_MEMORY_RATE lines/s each (default 10000) for AD_MEMORY_BENCH (default
// 15s; BENCHMARKS.md uses 60s), waits until every line is stored, and
// reports serve's peak RSS (VmHWM) and where it went (BENCHMARKS.md,
// "Memory"). It fails when a line is not read or the engine refused work
// for memory. AD_MEMORY_BIN measures another binary (a baseline build);
// AD_MEMORY_ARGS adds serve flags.
func TestServeMemory(t *testing.T) {
	if os.Getenv("AD_MEMORY_BENCH") == "" {
		t.Skip("set AD_MEMORY_BENCH=60s to measure serve's memory (BENCHMARKS.md)")
	}
	needEngine(t)
	dur := envDuration(t, "AD_MEMORY_BENCH", time.Minute)
	rate := 10000
	if v := os.Getenv("AD_MEMORY_RATE"); v != "" {
		rate, _ = strconv.Atoi(v)
	}
	bin := binPath
	if b := os.Getenv("AD_MEMORY_BIN"); b != "" {
		bin = b
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	var files []string
	for i := 1; i <= 3; i++ {
		path := filepath.Join(dir, fmt.Sprintf("fw%d.log", i))
		writeFile(t, path, "")
		mustCLI(t, data, "", "device", "add", fmt.Sprintf("fw%d", i), path)
		files = append(files, path)
	}
	s := startServeBin(t, bin, data, strings.Fields(os.Getenv("AD_MEMORY_ARGS"))...)
	peak := &rssWatch{pid: s.cmd.Process.Pid, url: s.url}

	stop := peak.sample(time.Second)
	defer stop()

	var wg sync.WaitGroup
	written := make([]int, len(files))
	for i, f := range files {
		wg.Add(1)
		go func() {
			defer wg.Done()
			written[i] = appendAtRate(t, f, uint64(i+1), rate, dur)
		}()
	}
	wg.Wait()
	total := 0
	for _, n := range written {
		total += n
	}
	deadline := time.Now().Add(2 * time.Minute)
	var stored int
	for time.Now().Before(deadline) {
		out, err := cli(t, data, "", "sql", "SELECT sum(lines) FROM (SELECT argMax(lines, version) AS lines FROM ingest_checkpoints WHERE stream LIKE 'fw_' GROUP BY stream)")
		if err == nil {
			stored, _ = strconv.Atoi(strings.TrimSpace(out))
			if stored >= total {
				break
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
	hwm := vmHWM(t, s.cmd.Process.Pid)
	t.Log(peak.report())
	t.Logf("%s: 3 files at %d lines/s each for %s: %d lines written, %d read; serve peak RSS (VmHWM) %.0f MB (%d MiB), sampled max VmRSS %.0f MB",
		filepath.Base(bin), rate, dur, total, stored, float64(hwm)/1e6, hwm>>20, float64(peak.max())/1e6)
	if stored < total {
		t.Fatalf("serve read %d of %d lines within 2 minutes of the writers stopping\n%s", stored, total, s.logs)
	}
	s.stop(t)
	if os.Getenv("AD_MEMORY_BIN") == "" && os.Getenv("AD_MEMORY_ARGS") == "" && !strings.Contains(s.logs.String(), mallocConf) {
		t.Errorf("serve did not restart with JE_MALLOC_CONF=%s:\n%s", mallocConf, s.logs)
	}
	if n := strings.Count(s.logs.String(), "MEMORY_LIMIT_EXCEEDED"); n > 0 {
		t.Errorf("the engine refused work for memory %d times:\n%s", n, s.logs)
	}
	if hwm > memoryGoal {
		t.Logf("over the %d MiB goal", memoryGoal>>20)
	}
}

func envDuration(t *testing.T, key string, def time.Duration) time.Duration {
	t.Helper()
	v := os.Getenv(key)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	return d
}

// appendAtRate appends generated lines to path, rate per second in 20
// slices a second, for dur; it returns the number of lines written.
func appendAtRate(t *testing.T, path string, seed uint64, rate int, dur time.Duration) int {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Error(err)
		return 0
	}
	defer f.Close()
	g := pangen.New(seed, time.Now().UTC().Truncate(time.Second), time.UTC)
	w := bufio.NewWriterSize(f, 1<<20)
	const slices = 20
	tick := time.NewTicker(time.Second / slices)
	defer tick.Stop()
	n := 0
	for end := time.Now().Add(dur); time.Now().Before(end); <-tick.C {
		for range rate / slices {
			w.WriteString(g.Mix().Text)
			w.WriteByte('\n')
			n++
		}
		if err := w.Flush(); err != nil {
			t.Error(err)
			return n
		}
	}
	return n
}

// startServeBin starts serve from bin, as startServe does.
func startServeBin(t *testing.T, bin, dataDir string, extra ...string) *server {
	t.Helper()
	old := binPath
	binPath = bin
	defer func() { binPath = old }()
	return startServe(t, dataDir, extra...)
}

// vmHWM returns a process's peak resident set size in bytes.
func vmHWM(t *testing.T, pid int) int64 {
	t.Helper()
	n, err := procStatus(pid, "VmHWM")
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func procStatus(pid int, field string) (int64, error) {
	return procStatusField(strconv.Itoa(pid), field)
}

// rssWatch samples a process's VmRSS.
type rssWatch struct {
	pid        int
	url        string // serve's, for /metrics
	mu         sync.Mutex
	top        int64
	anon, file int64              // at top
	at         map[string]float64 // metrics at top
	maxes      map[string]float64 // each metric's maximum
}

// watched are the metrics rssWatch records.
var watched = []string{"activedefense_engine_memory_bytes", "go_memstats_sys_bytes", "go_memstats_heap_inuse_bytes", "go_memstats_next_gc_bytes"}

func (w *rssWatch) sample(every time.Duration) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			if n, err := procStatus(w.pid, "VmRSS"); err == nil {
				anon, _ := procStatus(w.pid, "RssAnon")
				file, _ := procStatus(w.pid, "RssFile")
				m := w.scrape()

				w.mu.Lock()
				if n > w.top {
					w.top, w.anon, w.file, w.at = n, anon, file, m
				}
				if w.maxes == nil {
					w.maxes = map[string]float64{}
				}
				for k, v := range m {
					w.maxes[k] = max(w.maxes[k], v)
				}
				w.mu.Unlock()
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return func() { cancel(); <-done }
}

func (w *rssWatch) scrape() map[string]float64 {
	out := map[string]float64{}

	resp, err := http.Get(w.url + "/metrics")
	if err != nil {
		return out
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		name, v, ok := strings.Cut(sc.Text(), " ")
		if ok && slices.Contains(watched, name) {
			out[name], _ = strconv.ParseFloat(v, 64)
		}
	}
	return out
}

// report describes the peak.
func (w *rssWatch) report() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "at the sampled peak (VmRSS %.0f MB): RssAnon %.0f MB, RssFile %.0f MB", float64(w.top)/1e6, float64(w.anon)/1e6, float64(w.file)/1e6)
	for _, k := range watched {
		fmt.Fprintf(&b, "; %s %.0f MB (max %.0f MB)", strings.TrimPrefix(k, "activedefense_"), w.at[k]/1e6, w.maxes[k]/1e6)
	}
	return b.String()
}

func (w *rssWatch) max() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.top
}

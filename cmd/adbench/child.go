package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime/metrics"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/activedefense/activedefense/ingest"
	"github.com/activedefense/activedefense/ingest/pangen"
	"github.com/activedefense/activedefense/schema"
	"github.com/activedefense/activedefense/schema/chembed"
)

// writeFile generates the benchmark file of one format.
func writeFile(path, format string, n int) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	g := pangen.New(1, time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC), time.UTC)
	g.Step = 50 * time.Microsecond // 1M lines in ~50 s: one daily partition
	for i := 0; i < n; i++ {
		var l pangen.Line
		switch format {
		case "kv":
			l = g.Make([]pangen.Kind{pangen.KVTraffic, pangen.KVTraffic, pangen.KVTraffic, pangen.KVThreat}[i%4])
		case "csv":
			l = g.Make([]pangen.Kind{pangen.CSVTraffic, pangen.CSVTraffic, pangen.CSVTraffic, pangen.CSVThreat}[i%4])
		default:
			return 0, fmt.Errorf("unknown format %q", format)
		}
		w.WriteString(l.Text)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		return 0, err
	}
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// child runs one measurement in this (fresh) process and prints JSON.
func child(mode string, args []string) error {
	if len(args) != 3 {
		return fmt.Errorf("usage: %s FILE DATADIR FORMAT", mode)
	}
	file, data, format := args[0], args[1], args[2]
	ctx := context.Background()
	st, err := chembed.Open(ctx, chembed.Options{Path: data})
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := schema.Migrate(ctx, st, schema.DefaultRenderOptions()); err != nil {
		return err
	}
	lines, err := countLines(file)
	if err != nil {
		return err
	}
	if os.Getenv("AD_BENCH_DEBUG") != "" { // print memory peaks to stderr
		stop := sampleMemory(ctx, st)
		defer stop()
	}
	start := time.Now()
	switch mode {
	case "child-pipeline":
		log := logrus.New()
		log.SetOutput(io.Discard)
		_, err = ingest.Import(ctx, ingest.Config{BatchRows: envInt("AD_BENCH_BATCH_ROWS")}, st, logrus.NewEntry(log), ingest.ImportOptions{Path: file, Device: "bench", Timezone: "UTC"})
	case "child-idle": // the engine's own floor: open, migrate, nothing else
	case "child-baseline":
		err = st.Exec(ctx, baselineSQL(format), schema.Params{"path": file})
	default:
		err = fmt.Errorf("unknown mode %s", mode)
	}
	if err != nil {
		return err
	}
	secs := time.Since(start).Seconds()

	rows, err := schema.Count(ctx, st, "SELECT count() FROM logs", nil)
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(result{Lines: lines, Rows: rows, Seconds: secs})
}

func countLines(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		n++
	}
	return n, sc.Err()
}

// envInt reads an integer knob (AD_BENCH_BATCH_ROWS: the pipeline's batch
// size, for experiments; 0 = the default).
func envInt(k string) int {
	var n int
	fmt.Sscan(os.Getenv(k), &n)
	return n
}

// sampleMemory prints the peaks of RSS, Go's memory and the engine's
// tracked memory while the measurement runs.
func sampleMemory(ctx context.Context, st schema.Store) func() {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		var maxRSS, maxGo, maxTracked, maxOther int64
		samples := []metrics.Sample{{Name: "/memory/classes/total:bytes"}}
		for {
			select {
			case <-done:
				fmt.Fprintf(os.Stderr, "peaks: rss %d MB, go %d MB, engine tracked %d MB, rss-go %d MB\n",
					maxRSS>>20, maxGo>>20, maxTracked>>20, maxOther>>20)
				return
			case <-time.After(20 * time.Millisecond):
			}
			metrics.Read(samples)
			goMem := int64(samples[0].Value.Uint64())
			rss := readRSS()
			var tracked int64
			_ = schema.QueryRow(ctx, st, "SELECT value FROM system.metrics WHERE metric = 'MemoryTracking'", nil, &tracked)
			maxRSS, maxGo, maxTracked = max(maxRSS, rss), max(maxGo, goMem), max(maxTracked, tracked)
			maxOther = max(maxOther, rss-goMem)
		}
	}()
	return func() { close(done); <-finished }
}

func readRSS() int64 {
	b, _ := os.ReadFile("/proc/self/statm")
	var size, res int64
	fmt.Sscan(string(b), &size, &res)
	return res * int64(os.Getpagesize())
}

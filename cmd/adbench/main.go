// Command adbench measures ingest end to end: a file of PAN-OS lines to rows
// queryable in the embedded ClickHouse engine, through the Go pipeline
// (ingest.Import: tail, parse, batch, Native-format insert, exactly-once checkpoints)
// and, as the baseline in the same run, through the engine's own SQL
// (INSERT ... SELECT ... FROM file(path, 'LineAsString') with extract()).
// Every measurement runs in a fresh child process on a fresh data dir, so
// peak RSS (getrusage maxrss of the child) is the whole process, engine
// included. `make bench` runs it.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"
)

// result is what a child reports.
type result struct {
	Lines   int     `json:"lines"`
	Rows    uint64  `json:"rows"`
	Seconds float64 `json:"seconds"`
	MaxRSS  int64   `json:"max_rss"` // bytes, filled in by the parent
}

func main() {
	if len(os.Args) == 5 && os.Args[1] == "gen" { // adbench gen FORMAT LINES PATH: write a file and stop
		var n int
		fmt.Sscan(os.Args[3], &n)
		if _, err := writeFile(os.Args[4], os.Args[2], n); err != nil {
			fmt.Fprintln(os.Stderr, "adbench:", err)
			os.Exit(1)
		}
		return
	}
	if len(os.Args) > 1 && (os.Args[1] == "detect" || os.Args[1] == "latency" || os.Args[1] == "edl") {
		if err := benchServed(os.Args[1], os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "adbench:", err)
			os.Exit(1)
		}
		return
	}
	if len(os.Args) > 1 && os.Args[1] == "web" { // adbench web [-rows N]: the web application (web.go)
		if err := webBench(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "adbench:", err)
			os.Exit(1)
		}
		return
	}
	if len(os.Args) > 1 && strings.HasPrefix(os.Args[1], "child-") {
		if err := child(os.Args[1], os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "adbench:", err)
			os.Exit(1)
		}
		return
	}
	lines := flag.Int("lines", 1000000, "lines per file")
	reps := flag.Int("reps", 3, "runs per measurement (the median is reported)")
	formats := flag.String("formats", "kv,csv", "formats to measure: kv, csv")
	flag.Parse()
	if err := parent(*lines, *reps, strings.Split(*formats, ",")); err != nil {
		fmt.Fprintln(os.Stderr, "adbench:", err)
		os.Exit(1)
	}
}

func parent(lines, reps int, formats []string) error {
	dir, err := os.MkdirTemp("", "adbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	fmt.Printf("adbench: %d lines per file, median of %d runs, %d CPUs, %s, %s\n\n", lines, reps, runtime.NumCPU(),
		runtime.Version(), time.Now().UTC().Format("2006-01-02"))
	floor, err := writeAndMeasure(dir, "child-idle", "kv", 1, 1)
	if err != nil {
		return err
	}
	fmt.Printf("engine floor (a process that loads libchdb.so, opens the store and migrates, nothing else): peak RSS %.0f MB\n\n",
		float64(floor.MaxRSS)/1e6)
	fmt.Println("| format | file | baseline: engine SQL | Go pipeline | ratio (Go / baseline) | peak RSS baseline | peak RSS Go |")
	fmt.Println("|---|---|---|---|---|---|---|")
	for _, f := range formats {
		file := filepath.Join(dir, f+".log")
		size, err := writeFile(file, f, lines)
		if err != nil {
			return err
		}
		base, err := measure(dir, "child-baseline", file, f, reps)
		if err != nil {
			return err
		}
		gop, err := measure(dir, "child-pipeline", file, f, reps)
		if err != nil {
			return err
		}
		if base.Rows != gop.Rows {
			return fmt.Errorf("%s: baseline stored %d rows, pipeline %d", f, base.Rows, gop.Rows)
		}
		bl, gl := float64(lines)/base.Seconds, float64(lines)/gop.Seconds
		fmt.Printf("| %s | %d lines, %.0f MB, %d rows | %.0f lines/s (%.2f s) | %.0f lines/s (%.2f s) | %.2f | %.0f MB | %.0f MB |\n",
			f, lines, float64(size)/1e6, gop.Rows, bl, base.Seconds, gl, gop.Seconds, gl/bl,
			float64(base.MaxRSS)/1e6, float64(gop.MaxRSS)/1e6)
		os.Remove(file)
	}
	return nil
}

// measure runs a child reps times on fresh data dirs and returns the run
// with the median time (and the largest peak RSS seen).
func measure(dir, mode, file, format string, reps int) (result, error) {
	var runs []result
	var maxRSS int64
	for i := 0; i < reps; i++ {
		data := filepath.Join(dir, fmt.Sprintf("%s-%s-%d", mode, format, i))
		r, err := runChild(mode, file, data, format)
		os.RemoveAll(data)
		if err != nil {
			return result{}, err
		}
		maxRSS = max(maxRSS, r.MaxRSS)
		runs = append(runs, r)
	}
	slices.SortFunc(runs, func(a, b result) int {
		if a.Seconds < b.Seconds {
			return -1
		}
		return 1
	})
	r := runs[len(runs)/2]
	r.MaxRSS = maxRSS
	return r, nil
}

func runChild(mode, file, data, format string) (result, error) {
	exe, err := os.Executable()
	if err != nil {
		return result{}, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, mode, file, data, format)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return result{}, fmt.Errorf("%s %s: %w", mode, format, err)
	}
	var r result
	if err := json.Unmarshal(out, &r); err != nil {
		return result{}, fmt.Errorf("%s %s output %q: %w", mode, format, out, err)
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.MaxRSS = ru.Maxrss * 1024
	}
	return r, nil
}

// writeAndMeasure generates a file and measures one mode on it.
func writeAndMeasure(dir, mode, format string, lines, reps int) (result, error) {
	file := filepath.Join(dir, "floor.log")
	if _, err := writeFile(file, format, lines); err != nil {
		return result{}, err
	}
	defer os.Remove(file)
	return measure(dir, mode, file, format, reps)
}

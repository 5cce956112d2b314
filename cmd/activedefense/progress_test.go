package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/activedefense/activedefense/ingest/tail"
	"github.com/activedefense/activedefense/schema"
)

func TestProgressLine(t *testing.T) {
	t0 := time.Unix(1700000000, 0)
	first := progressSample{at: t0, offset: 100, lines: 10}
	tests := []struct {
		now  progressSample
		size int64
		want string
	}{
		{now: first, size: 1000, want: "10 lines, starting"},
		{now: progressSample{at: t0.Add(2 * time.Second), offset: 500, lines: 1010}, size: 1000, want: "1010 lines, 500 lines/s, 50%, ETA 3s"},
		{now: progressSample{at: t0.Add(time.Second), offset: 1000, lines: 110}, size: 1000, want: "110 lines, 100 lines/s, 100%, ETA 0s"},
	}
	for _, tc := range tests {
		if got := progressLine(first, tc.now, tc.size); got != tc.want {
			t.Errorf("progressLine(%+v) = %q, want %q", tc.now, got, tc.want)
		}
	}
}

func TestShowProgressRewritesOneLine(t *testing.T) {
	var w syncBuffer
	var n atomic.Int64
	stop := showProgress(&w, 1000, 5*time.Millisecond, func(context.Context) (progressSample, bool) {
		i := n.Add(1)
		return progressSample{at: time.Now(), offset: 10 * i, lines: uint64(i)}, i != 2 // one failed reading is skipped
	})
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(w.String(), "lines/s") && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	stop()
	out := w.String()
	if !strings.Contains(out, "lines/s") || !strings.HasSuffix(out, "\r\033[K") || strings.Contains(out, "\n") {
		t.Errorf("progress output %q: want lines rewritten in place and cleared at the end", out)
	}
}

// TestImportStreamIsIngests: the CLI polls the checkpoint ingest writes
// for an import, under the name it gives it.
func TestImportStreamIsIngests(t *testing.T) {
	needEngine(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "fw1.log.1")
	writeLines(t, file, genLines(500, 3).all)
	mustCLI(t, dir, "", "import", file, "--device", "fw1")
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	id, err := tail.Identify(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	out := mustCLI(t, dir, "", "sql", "SELECT argMax(lines, version) FROM ingest_checkpoints WHERE stream = "+
		schema.QuoteString(importStream("fw1", id)))
	if strings.TrimSpace(out) != "500" {
		t.Errorf("checkpoint %s: %q, want 500 lines", importStream("fw1", id), out)
	}
}

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/activedefense/activedefense/ingest/tail"
	"github.com/activedefense/activedefense/schema"
	"github.com/activedefense/activedefense/web/api"
)

// Import progress: an import commits a checkpoint after every batch, under
// the file's per-device stream (ingest/progress.go). While the import
// request runs, the CLI reads that checkpoint every half second through
// the same API and shows lines, rate and time left on the terminal.

// importStream names the checkpoint an import of the file id for device
// writes (ingest's fileStream).
func importStream(device string, id tail.FileID) string { return "file:" + device + ":" + id.String() }

// progressSample is one reading of an import's checkpoint.
type progressSample struct {
	at     time.Time
	offset int64
	lines  uint64
}

// progressLine renders a reading against the first one: lines, rate and,
// once there is a rate, the time left to read size bytes.
func progressLine(first, now progressSample, size int64) string {
	s := fmt.Sprintf("%d lines", now.lines)
	el := now.at.Sub(first.at).Seconds()
	if el <= 0 || now.offset <= first.offset {
		return s + ", starting"
	}
	s += fmt.Sprintf(", %.0f lines/s", float64(now.lines-first.lines)/el)
	if size > 0 {
		s += fmt.Sprintf(", %d%%", min(100, now.offset*100/size))
		left := time.Duration(float64(size-now.offset) / (float64(now.offset-first.offset) / el) * float64(time.Second))
		s += ", ETA " + left.Round(time.Second).String()
	}
	return s
}

// showProgress polls read every interval and rewrites one line on w until
// the returned stop is called; stop clears the line.
func showProgress(w io.Writer, size int64, interval time.Duration, read func(context.Context) (progressSample, bool)) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		var first progressSample
		started := false
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				if started {
					fmt.Fprint(w, "\r\033[K")
				}
				return
			case <-t.C:
			}
			now, ok := read(ctx)
			if !ok {
				continue
			}
			if !started {
				first, started = now, true
			}
			fmt.Fprint(w, "\r\033[K"+progressLine(first, now, size))
		}
	}()
	return func() { cancel(); <-done }
}

// importProgress shows an import's progress on stderr when it is a
// terminal; it returns the function that stops it.
func (a *app) importProgress(c *client, req schema.LogImport) func() {
	if !isTerminal(a.io.err) {
		return func() {}
	}
	f, err := os.Open(req.Path)
	if err != nil {
		return func() {}
	}
	id, err := tail.Identify(f)
	fi, _ := f.Stat()
	f.Close()
	if err != nil || fi == nil {
		return func() {}
	}
	q := "SELECT argMax(offset, version), argMax(lines, version) FROM ingest_checkpoints WHERE stream = " +
		schema.QuoteString(importStream(req.Device, id))
	return showProgress(a.io.err, fi.Size(), 500*time.Millisecond, func(ctx context.Context) (progressSample, bool) {
		body, _ := json.Marshal(api.SQLRequest{Query: q})
		resp, err := c.send(ctx, http.MethodPost, "/sql", "application/json", strings.NewReader(string(body)))
		if err != nil {
			return progressSample{}, false
		}
		defer resp.Body.Close()
		s := progressSample{at: time.Now()}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		n, _ := fmt.Sscan(string(b), &s.offset, &s.lines)
		return s, n == 2
	})
}

package tail

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"
)

// Test timings: short enough to keep the package fast, with RotateGrace well
// above the gaps between a test's writes to a rotated file.
const (
	testPoll  = 10 * time.Millisecond
	testGrace = 200 * time.Millisecond
	testWait  = 10 * time.Second // upper bound for anything expected to happen
)

// got is a copied Line.
type got struct {
	Text       string
	File       FileID
	Start, End int64
	TooLong    bool
}

func copyLines(lines []Line) []got {
	out := make([]got, len(lines))
	for i, l := range lines {
		out[i] = got{string(l.Text), l.File, l.Start, l.End, l.TooLong}
	}
	return out
}

func texts(g []got) []string {
	out := make([]string, len(g))
	for i, l := range g {
		out[i] = l.Text
	}
	return out
}

// recorder collects events; it is safe for use from a follower goroutine.
type recorder struct {
	mu  sync.Mutex
	evs []Event
}

func (r *recorder) add(ev Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.evs = append(r.evs, ev)
}

func (r *recorder) kinds() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, len(r.evs))
	for i, ev := range r.evs {
		out[i] = ev.Kind
	}
	return out
}

func (r *recorder) find(kind string) (Event, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, ev := range r.evs {
		if ev.Kind == kind {
			return ev, true
		}
	}
	return Event{}, false
}

// waitFor waits until an event of kind was recorded.
func (r *recorder) waitFor(t *testing.T, kind string) Event {
	t.Helper()
	for deadline := time.Now().Add(testWait); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if ev, ok := r.find(kind); ok {
			return ev
		}
	}
	t.Fatalf("no %q event within %v; events: %v", kind, testWait, r.kinds())
	return Event{}
}

func testOptions(r *recorder) Options {
	return Options{PollInterval: testPoll, RotateGrace: testGrace, OnEvent: r.add}
}

// openWriter opens path for appending the way rsyslog does.
func openWriter(t *testing.T, path string) *os.File {
	t.Helper()
	w, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.Close() })
	return w
}

func write(t *testing.T, w *os.File, s string) {
	t.Helper()
	if _, err := w.WriteString(s); err != nil {
		t.Fatal(err)
	}
}

// lines returns n lines "prefix-0000\n"… starting at number from.
func lines(prefix string, from, n int) string {
	var b []byte
	for i := from; i < from+n; i++ {
		b = fmt.Appendf(b, "%s-%04d\n", prefix, i)
	}
	return string(b)
}

func names(prefix string, from, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%04d", prefix, from+i)
	}
	return out
}

// readN calls Next on the test goroutine until it has n lines.
func readN(t *testing.T, f *Follower, n int) []got {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()
	var out []got
	var buf []Line
	for len(out) < n {
		var err error
		buf, err = f.Next(ctx, buf, n-len(out), 0)
		if err != nil {
			t.Fatalf("after %d of %d lines: %v", len(out), n, err)
		}
		out = append(out, copyLines(buf)...)
	}
	return out
}

// expectNothing checks that Next returns no line within d.
func expectNothing(t *testing.T, f *Follower, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	lines, err := f.Next(ctx, nil, 0, 0)
	if !errors.Is(err, context.DeadlineExceeded) || len(lines) != 0 {
		t.Fatalf("Next = %q, %v; want no line and DeadlineExceeded", texts(copyLines(lines)), err)
	}
}

// stream runs a Follower on its own goroutine, like the ingest pipeline.
type stream struct {
	f      *Follower
	ch     chan got
	cancel context.CancelFunc
	done   chan error
}

func startStream(t *testing.T, f *Follower) *stream {
	ctx, cancel := context.WithCancel(context.Background())
	s := &stream{f: f, ch: make(chan got, 1<<16), cancel: cancel, done: make(chan error, 1)}
	go func() {
		var buf []Line
		for {
			var err error
			if buf, err = f.Next(ctx, buf, 100, 0); err != nil {
				s.done <- err
				return
			}
			for _, l := range copyLines(buf) {
				s.ch <- l
			}
		}
	}()
	t.Cleanup(func() { s.stop(t) })
	return s
}

// take waits for n lines.
func (s *stream) take(t *testing.T, n int) []got {
	t.Helper()
	out := make([]got, 0, n)
	timeout := time.After(testWait)
	for len(out) < n {
		select {
		case l := <-s.ch:
			out = append(out, l)
		case err := <-s.done:
			t.Fatalf("follower stopped after %d of %d lines: %v", len(out), n, err)
		case <-timeout:
			t.Fatalf("got %d of %d lines within %v: last %q", len(out), n, testWait, texts(out[max(0, len(out)-3):]))
		}
	}
	return out
}

// stop cancels the follower goroutine, waits for it and closes the Follower.
func (s *stream) stop(t *testing.T) {
	if s.cancel == nil {
		return
	}
	s.cancel()
	s.cancel = nil
	if err := <-s.done; !errors.Is(err, context.Canceled) {
		t.Errorf("follower goroutine ended with %v, want context.Canceled", err)
	}
	if err := s.f.Close(); err != nil {
		t.Error(err)
	}
}

// checkOffsets checks End == Start + raw length and that lines of one file
// are contiguous.
func checkOffsets(t *testing.T, g []got, raw map[string]int) {
	t.Helper()
	for i, l := range g {
		if n, ok := raw[l.Text]; ok && l.End-l.Start != int64(n) {
			t.Errorf("line %d %q: End-Start = %d, want %d", i, l.Text, l.End-l.Start, n)
		}
		if i > 0 && g[i-1].File == l.File && g[i-1].End != l.Start {
			t.Errorf("line %d %q: Start %d, previous End %d", i, l.Text, l.Start, g[i-1].End)
		}
	}
}

func wantTexts(t *testing.T, g []got, want []string) {
	t.Helper()
	if have := texts(g); !slices.Equal(have, want) {
		t.Fatalf("lines:\n got %q\nwant %q", have, want)
	}
}

func identify(t *testing.T, path string) FileID {
	t.Helper()
	fd, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fd.Close()
	id, err := Identify(fd)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func tempPath(t *testing.T) string { return filepath.Join(t.TempDir(), "fw1.log") }

package tail

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestOptionsDefaults(t *testing.T) {
	f := Open("x", Position{}, Options{ReadBuffer: -1})
	want := Options{
		MaxLineBytes: DefaultMaxLineBytes, PollInterval: DefaultPollInterval,
		RotateGrace: DefaultRotateGrace, ReadBuffer: DefaultReadBuffer,
	}
	if f.opts.MaxLineBytes != want.MaxLineBytes || f.opts.PollInterval != want.PollInterval ||
		f.opts.RotateGrace != want.RotateGrace || f.opts.ReadBuffer != want.ReadBuffer {
		t.Fatalf("options = %+v, want %+v", f.opts, want)
	}
}

// Resuming starts right after the checkpoint, neither at the end nor at the
// start, unless the checkpoint's file was truncated or replaced in place.
// The file holds lines a-0000…a-0009 of 7 bytes when the checkpoint is taken
// after checkpoint lines (-1: the zero Position).
func TestResumeFromCheckpoint(t *testing.T) {
	const line = int64(len("a-0000\n"))
	tests := []struct {
		name       string
		checkpoint int
		mutate     func(t *testing.T, path string) // after the checkpoint was taken
		wantFirst  string
		wantStart  int64
		wantEvent  string
	}{
		{name: "zero position starts at the beginning", checkpoint: -1, wantFirst: "a-0000", wantEvent: EventOpened},
		{name: "checkpoint offset", checkpoint: 4, wantFirst: "a-0004", wantStart: 4 * line, wantEvent: EventResumed},
		{name: "checkpoint at the old end of file", checkpoint: 10, wantFirst: "a-0010", wantStart: 10 * line, wantEvent: EventResumed,
			mutate: func(t *testing.T, path string) { write(t, openWriter(t, path), lines("a", 10, 1)) }},
		{name: "same file shorter than the checkpoint", checkpoint: 8, wantFirst: "a-0000", wantEvent: EventTruncated,
			mutate: func(t *testing.T, path string) { truncate(t, path, 3*line) }},
		{name: "same inode, first line rewritten", checkpoint: 2, wantFirst: "b-0000", wantEvent: EventReplaced,
			mutate: func(t *testing.T, path string) {
				truncate(t, path, 0)
				write(t, openWriter(t, path), lines("b", 0, 10))
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := tempPath(t)
			write(t, openWriter(t, path), lines("a", 0, 10))
			var start Position
			if tc.checkpoint >= 0 {
				start = Position{File: identify(t, path), Offset: int64(tc.checkpoint) * line}
			}
			if tc.mutate != nil {
				tc.mutate(t, path)
			}
			rec := &recorder{}
			f := Open(path, start, testOptions(rec))
			defer f.Close()
			if p := f.Position(); p != start {
				t.Fatalf("Position before Next = %+v, want the start %+v", p, start)
			}
			g := readN(t, f, 1)
			if g[0].Text != tc.wantFirst || g[0].Start != tc.wantStart || g[0].File != identify(t, path) {
				t.Fatalf("first line %+v, want %q at %d of %v", g[0], tc.wantFirst, tc.wantStart, identify(t, path))
			}
			if k := rec.kinds(); len(k) != 1 || k[0] != tc.wantEvent {
				t.Fatalf("events %v, want [%s]", k, tc.wantEvent)
			}
		})
	}
}

func truncate(t *testing.T, path string, size int64) {
	t.Helper()
	if err := os.Truncate(path, size); err != nil {
		t.Fatal(err)
	}
}

func TestMissingFileAtStart(t *testing.T) {
	path := tempPath(t)
	rec := &recorder{}
	s := startStream(t, Open(path, Position{}, testOptions(rec)))
	rec.waitFor(t, EventWaiting)
	time.Sleep(5 * testPoll) // several polls: "waiting" must be reported once
	w := openWriter(t, path)
	write(t, w, lines("a", 0, 3))
	g := s.take(t, 3)
	wantTexts(t, g, names("a", 0, 3))
	if g[0].Start != 0 {
		t.Fatalf("first line starts at %d", g[0].Start)
	}
	if k := fmt.Sprint(rec.kinds()); k != "[waiting opened]" {
		t.Fatalf("events %s, want [waiting opened]", k)
	}
}

// Next returns ctx.Err() within PollInterval+50ms, both at end of file and
// while waiting for the path to appear.
func TestContextCancelIsPrompt(t *testing.T) {
	const poll = 200 * time.Millisecond
	for _, exists := range []bool{true, false} {
		t.Run(fmt.Sprintf("file exists %v", exists), func(t *testing.T) {
			path := tempPath(t)
			if exists {
				write(t, openWriter(t, path), "a\n")
			}
			f := Open(path, Position{}, Options{PollInterval: poll})
			defer f.Close()
			if exists {
				readN(t, f, 1)
			}
			for _, after := range []time.Duration{0, 30 * time.Millisecond, 130 * time.Millisecond, 350 * time.Millisecond} {
				ctx, cancel := context.WithCancel(context.Background())
				var cancelled atomic.Int64 // when cancel was actually called
				time.AfterFunc(after, func() { cancelled.Store(time.Now().UnixNano()); cancel() })
				lines, err := f.Next(ctx, nil, 0, 0)
				late := time.Since(time.Unix(0, cancelled.Load()))
				if !errors.Is(err, context.Canceled) || len(lines) != 0 || late > poll+50*time.Millisecond {
					t.Fatalf("cancel after %v: Next = %d lines, %v, %v after the cancel", after, len(lines), err, late)
				}
			}
		})
	}
}

func TestNextAfterClose(t *testing.T) {
	path := tempPath(t)
	write(t, openWriter(t, path), "a\n")
	f := Open(path, Position{}, testOptions(&recorder{}))
	readN(t, f, 1)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := f.Next(context.Background(), nil, 0, 0); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("Next after Close = %v, want os.ErrClosed", err)
	}
}

func TestStat(t *testing.T) {
	path := tempPath(t)
	f := Open(path, Position{}, testOptions(&recorder{}))
	defer f.Close()
	if p, id, off, size := f.Stat(); p != path || !id.IsZero() || off != 0 || size != 0 {
		t.Fatalf("Stat before open = %q %v %d %d", p, id, off, size)
	}
	w := openWriter(t, path)
	write(t, w, "abc\ndef")
	readN(t, f, 1)
	if p, id, off, size := f.Stat(); p != path || id != identify(t, path) || off != 4 || size != 7 {
		t.Fatalf("Stat = %q %v %d %d, want %q, offset 4, size 7", p, id, off, size, path)
	}
}

func openFDs(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("cannot count open files: %v", err)
	}
	return len(entries)
}

// Close releases every file, including the old file of a rotation and the
// rotated sibling of a resume. Not parallel: it counts the process's fds.
func TestCloseReleasesFiles(t *testing.T) {
	dir := t.TempDir()
	warm := Open(dir+"/warm", Position{}, testOptions(&recorder{})) // lets the runtime set up its poller
	write(t, openWriter(t, dir+"/warm"), "a\n")
	readN(t, warm, 1)
	_ = warm.Close()

	before := openFDs(t)
	opts := Options{PollInterval: time.Millisecond, RotateGrace: time.Millisecond}
	for i := range 10 {
		path := fmt.Sprintf("%s/fw%d.log", dir, i)
		w := openWriter(t, path)
		write(t, w, lines("a", 0, 3))
		f := Open(path, Position{}, opts)
		readN(t, f, 2)
		pos := f.Position()
		mustRename(t, path, path+".1")
		writeFile(t, path, lines("b", 0, 2))
		wantTexts(t, readN(t, f, 3), []string{"a-0002", "b-0000", "b-0001"})
		if err := errors.Join(w.Close(), f.Close()); err != nil {
			t.Fatal(err)
		}
		again := Open(path, pos, opts) // resumes in fw%d.log.1
		wantTexts(t, readN(t, again, 1), []string{"a-0002"})
		if err := again.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if after := openFDs(t); after != before {
		t.Fatalf("%d open files before, %d after closing every follower", before, after)
	}
}

// 50 followers on 50 files, each on its own goroutine with its own writer,
// each get exactly their own lines.
func TestManyFollowersInParallel(t *testing.T) {
	const files, perFile = 50, 200
	dir := t.TempDir()
	var wg sync.WaitGroup
	errs := make(chan error, 2*files)
	for i := range files {
		path := fmt.Sprintf("%s/fw%02d.log", dir, i)
		prefix := fmt.Sprintf("fw%02d", i)
		wg.Add(2)
		go func() { // writer
			defer wg.Done()
			w, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
			if err != nil {
				errs <- err
				return
			}
			defer w.Close()
			for j := 0; j < perFile; j += 20 {
				if _, err := w.WriteString(lines(prefix, j, 20)); err != nil {
					errs <- err
					return
				}
				time.Sleep(time.Millisecond)
			}
		}()
		go func() { // follower
			defer wg.Done()
			errs <- followAll(path, prefix, perFile)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

// followAll reads n lines from path and checks they are prefix-0000… in order.
func followAll(path, prefix string, n int) error {
	f := Open(path, Position{}, Options{PollInterval: testPoll, ReadBuffer: 512})
	defer f.Close()
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()
	var buf []Line
	var end int64
	for i := 0; i < n; {
		var err error
		if buf, err = f.Next(ctx, buf, 7, 0); err != nil {
			return fmt.Errorf("%s after %d lines: %w", path, i, err)
		}
		for _, l := range buf {
			if want := fmt.Sprintf("%s-%04d", prefix, i); string(l.Text) != want || l.Start != end {
				return fmt.Errorf("%s line %d: %q at %d, want %q at %d", path, i, l.Text, l.Start, want, end)
			}
			end = l.End
			i++
		}
	}
	expectCtx, cancel2 := context.WithTimeout(context.Background(), 3*testPoll)
	defer cancel2()
	if extra, err := f.Next(expectCtx, buf, 0, 0); len(extra) > 0 || !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %d extra lines, %v", path, len(extra), err)
	}
	return nil
}

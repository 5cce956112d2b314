package tail

import (
	"context"
	"fmt"
	"os"
	"time"
)

// Follower follows one path: it reads complete lines from the file the path
// names, survives rotation and truncation, and reports where to resume.
//
// A Follower is not safe for concurrent use: Next, Position, Stat and Close
// must be called from one goroutine (or be otherwise serialized). It starts
// no goroutines; all work happens inside Next.
type Follower struct {
	path  string
	opts  Options
	start Position
	pos   Position // resume point after the last returned line

	src      *source // file being read; nil until opened
	resolved bool    // the start position has been handled
	waited   bool    // EventWaiting emitted for the current wait

	// buf[r:w] holds unconsumed bytes; base is the file offset of buf[0].
	buf  []byte
	r, w int
	base int64
	// An over-long line being skipped: its start and first MaxLineBytes.
	skipping  bool
	skipStart int64
	long      []byte

	scratch      []byte    // headMax bytes for first-line checks
	checked      time.Time // last size and first-line check
	lastData     time.Time // last read that returned bytes
	pendingSince time.Time // when the path was first seen elsewhere
	timer        *time.Timer
	closed       bool
}

// source is one open file.
type source struct {
	fd   *os.File
	path string // the name it was opened under
	id   FileID
}

// close closes s; a nil s is a no-op.
func (s *source) close() {
	if s != nil {
		_ = s.fd.Close() // read-only: nothing to flush
	}
}

// Open returns a Follower for path that resumes at start: the zero Position
// means the beginning of the file the path holds when Next is first called.
// Open does no I/O: opening, waiting and resolving the start position all
// happen in Next, which reports them as events.
func Open(path string, start Position, opts Options) *Follower {
	return &Follower{
		path:    path,
		opts:    opts.withDefaults(),
		start:   start,
		pos:     start,
		scratch: make([]byte, headMax),
	}
}

// Next blocks until at least one complete line is available or ctx is done
// (it then returns ctx.Err()). It appends up to max lines, with at most
// about maxBytes of Text in total, to buf[:0] and returns the result; max or
// maxBytes ≤ 0 means no such limit, and one line is always allowed even if
// it alone exceeds maxBytes. All lines of one call come from the same file,
// and a last line with no '\n' yet is never returned.
//
// The returned Text slices are valid until the next call to Next. After an
// I/O error the Follower stays usable: the next call retries.
func (f *Follower) Next(ctx context.Context, buf []Line, max, maxBytes int) ([]Line, error) {
	buf = buf[:0]
	if f.closed {
		return buf, fmt.Errorf("following %s: %w", f.path, os.ErrClosed)
	}
	for {
		if err := ctx.Err(); err != nil {
			return buf, err
		}
		ready, err := f.ensureOpen()
		if err != nil {
			return buf, err
		}
		if ready {
			if buf, err = f.fill(buf, max, maxBytes); err != nil || len(buf) > 0 {
				return buf, err
			}
			moved, err := f.checkRotation(time.Now())
			if err != nil {
				return buf, err
			}
			if moved {
				continue
			}
		}
		if err := f.sleep(ctx); err != nil {
			return buf, err
		}
	}
}

// Position returns the resume point after the last line returned by Next.
// Before any line it is the start position, or offset 0 of the file being
// read once Next has resolved the start position to a different file.
func (f *Follower) Position() Position { return f.pos }

// Stat reports, for status displays, the path of the file being read (a
// rotated sibling while catching up), its FileID, the resume offset and the
// file's current size. Before a file is open, id is the start position's
// and size is 0.
func (f *Follower) Stat() (path string, id FileID, offset, size int64) {
	if f.src == nil {
		return f.path, f.pos.File, f.pos.Offset, 0
	}
	if fi, err := f.src.fd.Stat(); err == nil {
		size = fi.Size()
	}
	return f.src.path, f.src.id, f.pos.Offset, size
}

// Close releases the open file. Next returns an error after Close.
func (f *Follower) Close() error {
	if f.closed {
		return nil
	}
	f.closed = true
	if f.timer != nil {
		f.timer.Stop()
	}
	if f.src == nil {
		return nil
	}
	err := f.src.fd.Close()
	f.src = nil
	if err != nil {
		return fmt.Errorf("closing %s: %w", f.path, err)
	}
	return nil
}

// sleep waits one PollInterval or until ctx is done.
func (f *Follower) sleep(ctx context.Context) error {
	if f.timer == nil {
		f.timer = time.NewTimer(f.opts.PollInterval)
	} else {
		f.timer.Reset(f.opts.PollInterval)
	}
	select {
	case <-ctx.Done():
		f.timer.Stop()
		return ctx.Err()
	case <-f.timer.C:
		return nil
	}
}

// emit passes ev to Options.OnEvent, if set.
func (f *Follower) emit(ev Event) {
	if f.opts.OnEvent != nil {
		f.opts.OnEvent(ev)
	}
}

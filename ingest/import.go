package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/activedefense/activedefense/ingest/tail"
	"github.com/activedefense/activedefense/schema"
)

// ErrFileInUse is returned by Import when the file is being read for the
// same device by the pipeline (or another import).
var ErrFileInUse = errors.New("the file is being read for this device")

// ImportOptions names a one-shot backfill.
type ImportOptions struct {
	Path     string
	Device   string // value of the device column
	Timezone string // "" = this server's zone
}

// ImportResult reports an import.
type ImportResult struct {
	Stream   string        `json:"stream"`
	Already  bool          `json:"already"` // the file was fully imported before
	Lines    uint64        `json:"lines"`
	Parsed   uint64        `json:"parsed"`
	Skipped  uint64        `json:"skipped"`
	Rejected uint64        `json:"rejected"`
	Rows     uint64        `json:"rows"`
	Duration time.Duration `json:"duration"`
	// Unterminated is the size of a last line without its newline, which
	// is not imported: it may still be being written. Complete it (or add
	// the newline) and import again to take it.
	Unterminated int64 `json:"unterminated"`
}

// Import backfills one file through the same parser and batcher as the
// pipeline, then returns. Exactly once is kept per device and file
// identity, whichever path reads the file: it starts where the last import
// of the file, or the device's follower, stopped, and does nothing when the
// file was fully read. It fails with ErrFileInUse while the device's
// follower (or another import) reads the file.
func Import(ctx context.Context, cfg Config, st schema.Store, log *logrus.Entry, o ImportOptions) (ImportResult, error) {
	if !schema.ValidName(o.Device) {
		return ImportResult{}, fmt.Errorf("invalid device name %q", o.Device)
	}
	loc, err := location(o.Timezone)
	if err != nil {
		return ImportResult{}, err
	}
	until, size, err := importEnd(o.Path)
	if err != nil {
		return ImportResult{}, err
	}
	name := fileStream(o.Device, until.File)
	res := ImportResult{Stream: name, Unterminated: size - until.Offset}
	c, _, owner := files.tryHold(o.Device, until.File, name)
	if c == nil {
		return res, fmt.Errorf("importing %s: %w (by %s; a rotated file is free once the follower has moved on)",
			o.Path, ErrFileInUse, owner)
	}
	defer files.release(c)
	s := &stream{name: name, device: o.Device, path: o.Path, loc: loc, cfg: cfg.withDefaults(), st: st,
		log:   log.WithFields(logrus.Fields{"device": o.Device, "file": o.Path, "stream": name}),
		stats: newStats(name, o.Device, o.Path), buffered: &atomic.Int64{}, until: &until, claim: c}
	if done, err := s.loadImport(ctx); err != nil || done {
		res.Already, res.Lines, res.Parsed, res.Skipped, res.Rejected = done, s.cp.Lines, s.cp.Parsed, s.cp.Skipped, s.cp.Rejected
		return res, err
	}
	start := time.Now()
	err = s.run(ctx)
	snap := s.stats.snapshot()
	res.Lines, res.Parsed, res.Skipped, res.Rejected = snap.Lines, snap.Parsed, snap.Skipped, snap.Rejected
	res.Rows, res.Duration = snap.RowsInserted, time.Since(start)
	if errors.Is(err, errDone) {
		err = nil
	}
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	return res, err
}

// loadImport sets an import stream's checkpoint from the furthest progress
// recorded for its file; done reports that the file was read to its end.
// The counters continue those of an earlier import of the file.
func (s *stream) loadImport(ctx context.Context) (done bool, err error) {
	s.cp = schema.Checkpoint{Stream: s.name, Device: s.device, Path: s.path}
	p, found, err := fileProgress(ctx, s.st, s.device, s.until.File)
	if err != nil || !found {
		return false, err
	}
	if perFile(p.Stream) {
		s.cp.Lines, s.cp.Parsed, s.cp.Skipped, s.cp.Rejected = p.Lines, p.Parsed, p.Skipped, p.Rejected
	}
	fromProgress(&s.cp, p)
	s.from = &p
	return p.PendingEnd <= p.Offset && int64(p.Offset) >= s.until.Offset, nil
}

// importEnd identifies the file and finds the end of its last complete
// line: the import stops there.
func importEnd(path string) (until tail.Position, size int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return until, 0, fmt.Errorf("opening %s: %w", path, err)
	}
	defer f.Close()
	id, err := tail.Identify(f)
	if err != nil {
		return until, 0, fmt.Errorf("identifying %s: %w", path, err)
	}
	fi, err := f.Stat()
	if err != nil {
		return until, 0, fmt.Errorf("reading %s: %w", path, err)
	}
	size = fi.Size()
	const chunk = 64 << 10
	buf := make([]byte, chunk)
	for end := size; end > 0; end -= chunk {
		from := max(0, end-chunk)
		b := buf[:end-from]
		if _, err := f.ReadAt(b, from); err != nil && !errors.Is(err, io.EOF) {
			return until, 0, fmt.Errorf("reading %s: %w", path, err)
		}
		if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
			return tail.Position{File: id, Offset: from + int64(i) + 1}, size, nil
		}
	}
	return tail.Position{File: id}, size, nil
}

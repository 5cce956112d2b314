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
// pipeline, then returns. Its checkpoint is keyed by device and file
// identity, so running it again on the same file continues where it
// stopped, or does nothing when the file was fully imported: exactly once.
func Import(ctx context.Context, cfg Config, st schema.Store, log *logrus.Entry, o ImportOptions) (ImportResult, error) {
	if !schema.ValidName(o.Device) {
		return ImportResult{}, fmt.Errorf("invalid device name %q", o.Device)
	}
	loc, err := location(o.Timezone)
	if err != nil {
		return ImportResult{}, err
	}
	cfg = cfg.withDefaults()
	until, size, err := importEnd(o.Path)
	if err != nil {
		return ImportResult{}, err
	}
	name := "import:" + o.Device + ":" + until.File.String()
	res := ImportResult{Stream: name, Unterminated: size - until.Offset}
	cp, ok, err := importProgress(ctx, st, o.Device, until.File)
	if err != nil {
		return res, err
	}
	if ok && cp.PendingEnd <= cp.Offset && int64(cp.Offset) >= until.Offset {
		res.Already, res.Lines, res.Parsed, res.Skipped, res.Rejected = true, cp.Lines, cp.Parsed, cp.Skipped, cp.Rejected
		return res, nil
	}
	start := time.Now()
	s := &stream{name: name, device: o.Device, path: o.Path, loc: loc, cfg: cfg, st: st,
		log:   log.WithFields(logrus.Fields{"device": o.Device, "file": o.Path, "stream": name}),
		stats: newStats(name, o.Device, o.Path), buffered: &atomic.Int64{}, until: &until}
	if ok {
		s.from = &cp
	}
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

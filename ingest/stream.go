package ingest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/sirupsen/logrus"

	"github.com/activedefense/activedefense/ingest/panos"
	"github.com/activedefense/activedefense/ingest/tail"
	"github.com/activedefense/activedefense/schema"
)

// stream ingests one source of lines (a device's file, or a file being
// imported) exactly once. A reader goroutine parses lines into batches; a
// flusher goroutine writes each batch in order:
//
//  1. an intent checkpoint {offset: start, pending_end: end},
//  2. one INSERT per daily partition and one for rejected lines, each with
//     a deduplication token derived from (stream, file, start, end, part),
//  3. a commit checkpoint {offset: end} (or, when the next batch is already
//     waiting, that batch's intent, which says the same).
//
// After a crash at any point, the stream re-reads exactly [offset,
// pending_end) and re-sends it with the same tokens before reading on, so
// the engine drops what it already has. The checkpoint never moves past
// rows not yet inserted. Two batches exist per stream (one filling, one
// flushing): a slow store stops the reader, and the file is the buffer.
type stream struct {
	name     string // checkpoint key
	device   string
	path     string
	loc      *time.Location
	cfg      Config
	st       schema.Store
	log      *logrus.Entry
	stats    *stats
	buffered *atomic.Int64
	until    *tail.Position // import: stop at the file's last newline
	// from is the checkpoint the stream resumed from: its own, or the
	// furthest one of its file (see fileProgress).
	from *schema.Checkpoint
	cp   schema.Checkpoint
	// base is cp's counters when the stream took its current file.
	base counts
	// claim holds the current file for this device (see files).
	claim  *claim
	failed atomic.Bool // a flush failed: stop reading
}

const (
	linesPerRead = 4096
	bytesPerRead = 4 << 20
)

// run ingests until ctx is done (or, for an import, the end is reached),
// then drains: the partial batch is flushed within cfg.DrainTimeout.
func (s *stream) run(ctx context.Context) error {
	defer func() { files.release(s.claim) }()
	start, pending, err := s.resume(ctx)
	if err != nil {
		return err
	}
	f := tail.Open(s.path, start, s.tailOptions())
	defer f.Close()
	fctx, cancelFlush := drainContext(ctx, s.cfg.DrainTimeout)
	defer cancelFlush()
	pool, queue := make(chan *batch, 2), make(chan *batch, 1)
	pool <- newBatch()
	pool <- newBatch()
	var wg sync.WaitGroup
	var flushErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		flushErr = s.flushAll(fctx, queue, pool)
	}()
	r := &reader{s: s, f: f, pool: pool, queue: queue, pending: pending}
	readErr := r.loop(ctx)
	close(queue)
	wg.Wait()
	if flushErr != nil {
		return flushErr
	}
	return readErr
}

func (s *stream) tailOptions() tail.Options {
	o := s.cfg.Tail
	o.OnEvent = func(ev tail.Event) {
		l := s.log.WithFields(logrus.Fields{"event": ev.Kind, "file": ev.Path, "offset": ev.Offset})
		if ev.Detail != "" {
			l = l.WithField("detail", ev.Detail)
		}
		switch ev.Kind {
		case tail.EventCheckpointFileMissing, tail.EventTruncated, tail.EventReplaced, tail.EventTooLong:
			l.Warn("file event")
		case tail.EventWaiting:
			s.stats.state("waiting", "file missing")
			l.Info("file event")
		default:
			l.Info("file event")
		}
	}
	return o
}

// drainContext returns a context for flushing that outlives ctx by grace.
func drainContext(ctx context.Context, grace time.Duration) (context.Context, context.CancelFunc) {
	fctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, func() {
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-t.C:
			cancel()
		case <-fctx.Done():
		}
	})
	return fctx, func() { stop(); cancel() }
}

// flushAll writes queued batches in order and recycles them. A batch's
// commit checkpoint is written only when no next batch is waiting: the next
// batch's intent checkpoint (offset = this batch's end, counters after it)
// commits it just as well, one write instead of two under load.
func (s *stream) flushAll(ctx context.Context, queue <-chan *batch, pool chan<- *batch) error {
	var first error
	idle := func() bool { return len(queue) == 0 }
	for b := range queue {
		if first == nil {
			if err := s.flush(ctx, b, idle); err != nil {
				first = err
				s.failed.Store(true)
			}
		}
		s.buffered.Add(-int64(b.size))
		b.reset()
		pool <- b
	}
	return first
}

// flush writes one batch, retrying with backoff until it succeeds or ctx
// ends (then the intent checkpoint makes the next start re-send it).
func (s *stream) flush(ctx context.Context, b *batch, idle func() bool) error {
	wait := s.cfg.RetryMin
	for {
		err := s.flushOnce(ctx, b, idle)
		if err == nil {
			s.stats.state("following", "")
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("flushing batch [%d, %d) of %s: %w", b.start, b.end, s.name, err)
		}
		s.log.WithError(err).WithField("retry_in", wait.String()).Warn("flush failed")
		s.stats.state("retrying", err.Error())
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return fmt.Errorf("flushing batch [%d, %d) of %s: %w", b.start, b.end, s.name, err)
		}
		wait = min(wait*2, s.cfg.RetryMax)
	}
}

func (s *stream) flushOnce(ctx context.Context, b *batch, idle func() bool) error {
	if b.rows() > 0 && !b.saved {
		intent := s.cp
		intent.File, intent.Offset, intent.PendingEnd, intent.Updated = b.file.String(), uint64(b.start), uint64(b.tokenEnd()), b.at
		intent.Timezone = b.zone
		if err := schema.SaveCheckpoint(ctx, s.st, intent); err != nil {
			return err
		}
		b.saved = true
	}
	for _, d := range b.dayKeys() {
		if err := s.insert(ctx, b, strconv.FormatInt(d, 10), &b.days[d].block); err != nil {
			return err
		}
	}
	if b.rejects.rows() > 0 {
		if err := s.insert(ctx, b, "rej", &b.rejects.block); err != nil {
			return err
		}
	}
	commit := s.cp
	commit.File, commit.Offset, commit.PendingEnd, commit.Updated = b.file.String(), uint64(b.end), uint64(b.end), time.Time{}
	commit.Lines += b.counts.lines
	commit.Parsed += b.counts.parsed
	commit.Skipped += b.counts.skipped
	commit.Rejected += b.counts.rejected
	if idle() || b.rows() == 0 { // a batch without rows wrote no intent: record its progress
		if err := schema.SaveCheckpoint(ctx, s.st, commit); err != nil {
			return err
		}
	}
	s.cp = commit
	s.stats.update(func(st *Status) {
		st.Batches++
		st.Committed = commit.Offset
		if b.newest.After(st.Newest) {
			st.Newest = b.newest
		}
	})
	return nil
}

// insert writes one part of the batch once.
func (s *stream) insert(ctx context.Context, b *batch, part string, blk *schema.Block) error {
	if b.inserted[part] {
		return nil
	}
	n, _ := blk.Rows()
	t0 := time.Now()
	if err := s.st.Insert(ctx, blk, schema.InsertOptions{DedupToken: b.token(part)}); err != nil {
		return err
	}
	d := time.Since(t0)
	b.inserted[part] = true
	s.stats.update(func(st *Status) {
		st.RowsInserted += uint64(n)
		st.InsertTime += d
		st.LastInsert = d
	})
	if s.log.Logger.IsLevelEnabled(logrus.DebugLevel) {
		s.log.WithFields(logrus.Fields{"table": blk.Table, "rows": n, "duration_ms": d.Milliseconds()}).Debug("inserted")
	}
	return nil
}

// errDone ends an import's reader at the end of the file.
var errDone = errors.New("end of import")

// lineString views a line's bytes as a string without copying; it is only
// valid until the follower's next read, and every use copies what it keeps.
func lineString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// parse classifies one line into the batch.
func (s *stream) parse(p *panos.Parser, rec *panos.Record, b *batch, ln tail.Line) {
	b.counts.lines++
	b.size += len(ln.Text)
	s.buffered.Add(int64(len(ln.Text)))
	switch {
	case ln.TooLong:
		s.reject(b, ln, "line_too_long", fmt.Sprintf("longer than %d bytes", s.cfg.MaxLineBytes))
		return
	case len(ln.Text) == 0:
		b.counts.skipped++ // a blank line carries nothing
		return
	}
	err := p.Parse(lineString(ln.Text), rec)
	var rej *panos.RejectError
	var skip *panos.SkipError
	switch {
	case err == nil:
		b.day(rec.Time).add(s.device, rec)
		b.counts.parsed++
		if rec.Time.After(b.newest) {
			b.newest = rec.Time
		}
	case errors.As(err, &skip):
		b.counts.skipped++
	case errors.As(err, &rej):
		s.reject(b, ln, rej.Reason, rej.Detail)
	default:
		s.reject(b, ln, "parse_error", err.Error())
	}
}

func (s *stream) reject(b *batch, ln tail.Line, reason, detail string) {
	b.counts.rejected++
	b.reasons[reason]++
	r := b.rejects
	r.ts.AppendTime(b.at)
	r.device.Append(s.device)
	r.reason.Append(reason)
	r.detail.Append(detail)
	r.file.Append(b.file.String())
	r.offset = append(r.offset, uint64(ln.Start))
	text := ln.Text
	if len(text) > s.cfg.RejectLineBytes {
		text = text[:s.cfg.RejectLineBytes]
	}
	r.line.AppendBytes(text)
}
